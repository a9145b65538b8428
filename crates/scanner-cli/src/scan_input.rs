//! Streams input that is too large (or too open-ended) to read whole through
//! the engine's chunked API, in fixed-size blocks, so memory stays bounded
//! whatever the input's size.

use std::io::{self, Read};

use scanner_engine::{Engine, StreamStats};

use crate::output::Reporter;

/// Bytes read per block.
pub const BLOCK: usize = 64 * 1024;

/// Why a streamed scan stopped early.
pub enum StreamError {
    /// Reading the input failed.
    Read(io::Error),
    /// Writing a finding failed.
    Write(io::Error),
}

/// Feeds `first` (bytes already read, e.g. for sniffing) and then the rest
/// of `reader` to a stream scanner, reporting findings under `label`.
pub fn scan_stream(
    engine: &Engine,
    first: &[u8],
    mut reader: impl Read,
    label: &str,
    reporter: &mut Reporter,
    block: &mut Vec<u8>,
) -> Result<StreamStats, StreamError> {
    let mut scanner = engine.stream();
    let mut write_error = None;
    let mut report = |f: scanner_engine::Finding| {
        if write_error.is_none() {
            write_error = reporter.report(label, &f).err();
        }
    };
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
    let stats = scanner.finish(&mut report);
    match write_error {
        Some(e) => Err(StreamError::Write(e)),
        None => Ok(stats),
    }
}

/// Peak resident memory of this process in KiB (Linux), for `--stats`.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
