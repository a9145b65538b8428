//! Streams input that is too large (or too open-ended) to read whole through
//! the engine's chunked API, in fixed-size blocks, so memory stays bounded
//! whatever the input's size.

use std::io::{self, Read};

use scanner_engine::{Engine, Finding, StreamStats};

/// Bytes read per block.
pub const BLOCK: usize = 64 * 1024;

/// Why a streamed scan stopped early.
pub enum StreamError {
    /// Reading the input failed.
    Read(io::Error),
}

/// Feeds `first` (bytes already read, e.g. for sniffing) and then the rest
/// of `reader` to a stream scanner, passing findings to `sink`.
pub fn scan_stream(
    engine: &Engine,
    first: &[u8],
    mut reader: impl Read,
    sink: &mut dyn FnMut(Finding),
    block: &mut Vec<u8>,
) -> Result<StreamStats, StreamError> {
    let mut scanner = engine.stream();
    let mut report = |f: Finding| sink(f);
    scanner.feed(first, &mut report);
    block.resize(BLOCK, 0);
    loop {
        match reader.read(block) {
            Ok(0) => break,
            Ok(n) => scanner.feed(&block[..n], &mut report),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(StreamError::Read(e)),
        }
    }
    Ok(scanner.finish(&mut report))
}

/// Peak resident memory of this process in KiB (Linux), for `--stats`.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
