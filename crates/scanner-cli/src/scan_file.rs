//! Scans one file: small files are read whole, large ones streamed in
//! blocks; binary-looking files are recognised (and UTF-16 text is not
//! mistaken for binary).
//!
//! Invariant: every call ends in exactly one [`FileOutcome`]; a file is
//! never dropped without one.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use scanner_engine::{Engine, Finding, ScanStats, Scratch};

use crate::scan_input::{scan_stream, StreamError};

/// Files larger than this are streamed in blocks instead of read whole.
pub const WHOLE_FILE_LIMIT: u64 = 8 << 20;

/// Bytes inspected to decide whether a file is binary.
pub const SNIFF_LEN: usize = 8192;

/// What to skip.
#[derive(Clone, Copy, Debug)]
pub struct FilePolicy {
    pub max_file_size: Option<u64>,
    pub scan_binary: bool,
}

/// Counters of the files scanned through the chunked API.
#[derive(Clone, Copy, Debug, Default)]
pub struct StreamTotals {
    pub files: u64,
    pub spans_split: u64,
    pub scan: ScanStats,
}

/// One worker's reusable state.
pub struct FileScanner<'e> {
    engine: &'e Engine,
    pub scratch: Scratch,
    buf: Vec<u8>,
    block: Vec<u8>,
    pub streamed: StreamTotals,
}

/// What became of one file.
#[derive(Debug)]
pub enum FileOutcome {
    /// Scanned: bytes read, and the engine's counters for this file (to
    /// warn about budgets hit).
    Scanned(u64, ScanStats),
    Binary,
    TooLarge(u64),
    Unreadable(io::Error),
}

impl<'e> FileScanner<'e> {
    pub fn new(engine: &'e Engine) -> FileScanner<'e> {
        FileScanner {
            engine,
            scratch: engine.new_scratch(),
            buf: Vec::new(),
            block: Vec::new(),
            streamed: StreamTotals::default(),
        }
    }

    /// Scans the file at `path`, passing findings to `sink`.
    pub fn scan(
        &mut self,
        path: &Path,
        policy: FilePolicy,
        sink: &mut dyn FnMut(Finding),
    ) -> FileOutcome {
        let mut file = match File::open(path) {
            Ok(f) => f,
            Err(e) => return FileOutcome::Unreadable(e),
        };
        let size = match file.metadata() {
            Ok(m) => m.len(),
            Err(e) => return FileOutcome::Unreadable(e),
        };
        if policy.max_file_size.is_some_and(|max| size > max) {
            return FileOutcome::TooLarge(size);
        }
        // Small files are read whole (one byte more than the limit tells
        // whether the file grew past it since its size was taken).
        let first_read = if size <= WHOLE_FILE_LIMIT {
            WHOLE_FILE_LIMIT + 1
        } else {
            SNIFF_LEN as u64
        };
        self.buf.clear();
        if let Err(e) = (&mut file).take(first_read).read_to_end(&mut self.buf) {
            return FileOutcome::Unreadable(e);
        }
        if !policy.scan_binary && looks_binary(&self.buf) {
            return FileOutcome::Binary;
        }
        if (self.buf.len() as u64) < first_read {
            let before = self.scratch.stats();
            self.engine
                .scan_bytes_with(&mut self.scratch, &self.buf, &mut |f| sink(f));
            let stats = self.scratch.stats().since(&before);
            return FileOutcome::Scanned(self.buf.len() as u64, stats);
        }
        match scan_stream(self.engine, &self.buf, file, sink, &mut self.block) {
            Ok(stats) => {
                self.streamed.files += 1;
                self.streamed.spans_split += stats.spans_split;
                self.streamed.scan += stats.scan;
                FileOutcome::Scanned(stats.bytes_fed, stats.scan)
            }
            Err(StreamError::Read(e)) => FileOutcome::Unreadable(e),
        }
    }
}

/// A NUL byte near the start marks a binary file, unless the file is UTF-16
/// text: a byte-order mark, or NULs on one byte parity only (ASCII-range
/// characters in UTF-16LE or BE) making up at least a third of the bytes.
pub fn looks_binary(data: &[u8]) -> bool {
    if data.starts_with(&[0xff, 0xfe]) || data.starts_with(&[0xfe, 0xff]) {
        return false;
    }
    let head = &data[..data.len().min(SNIFF_LEN)];
    if !head.contains(&0) {
        return false;
    }
    let (mut even, mut odd) = (0usize, 0usize);
    for (i, &b) in head.iter().enumerate() {
        if b == 0 {
            if i % 2 == 0 {
                even += 1;
            } else {
                odd += 1;
            }
        }
    }
    let one_parity = even == 0 || odd == 0;
    !(one_parity && (even + odd) * 3 >= head.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_sniffing() {
        assert!(looks_binary(b"abc\0def"));
        assert!(!looks_binary(b"plain text"));
        assert!(!looks_binary(b"\xff\xfea\0b\0"));
        assert!(!looks_binary(b"k\0e\0y\0=\0v\0"), "UTF-16LE without BOM");
        assert!(!looks_binary(b"\0k\0e\0y\0=\0v"), "UTF-16BE without BOM");
        assert!(looks_binary(b"\0\0\x01\x02abc\0"));
        let mut late_nul = vec![b'a'; SNIFF_LEN];
        late_nul.push(0);
        assert!(!looks_binary(&late_nul));
    }
}
