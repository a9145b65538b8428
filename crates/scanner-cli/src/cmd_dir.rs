//! `secretscan dir PATH...`: walks files and directories and scans each file.
//!
//! Invariants: every file the walk yields is either scanned or counted in
//! one of the skip counters (binary, too large, unreadable) and named on
//! stderr when unreadable; nothing is dropped silently. Files up to 8 MiB are
//! read whole; larger ones are streamed in 64 KiB blocks through the
//! engine's chunked API, so memory does not depend on file size. A PATH that does not
//! exist is an error (exit 2) before anything is scanned.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::time::Instant;

use ignore::WalkBuilder;
use scanner_engine::{ScanStats, Scratch};

use crate::args::{DirArgs, Format};
use crate::output::Reporter;
use crate::scan_input::{peak_rss_kib, scan_stream, StreamError};
use crate::{load, EXIT_CLEAN, EXIT_FINDINGS};

/// Bytes inspected to decide whether a file is binary.
const SNIFF_LEN: usize = 8192;

#[derive(Default)]
struct WalkCounts {
    files: u64,
    bytes: u64,
    skipped_binary: u64,
    skipped_large: u64,
    unreadable: u64,
}

pub fn run(args: &DirArgs) -> Result<u8, String> {
    for p in &args.paths {
        if !p.exists() {
            return Err(format!("{}: no such file or directory", p.display()));
        }
    }
    let engine = load::engine(&args.rules, args.decode.tuning())?;
    let mut scratch = engine.new_scratch();
    let mut reporter = Reporter::new(&args.output);
    let mut counts = WalkCounts::default();
    let mut buf = Vec::new();
    let mut block = Vec::new();
    let mut streamed = StreamTotals::default();
    let started = Instant::now();

    let mut walk = WalkBuilder::new(&args.paths[0]);
    for p in &args.paths[1..] {
        walk.add(p);
    }
    walk.hidden(false)
        .require_git(false)
        .git_ignore(!args.no_ignore)
        .git_global(!args.no_ignore)
        .git_exclude(!args.no_ignore)
        .ignore(!args.no_ignore)
        .parents(!args.no_ignore)
        .filter_entry(|e| e.file_name() != ".git");

    for entry in walk.build() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                counts.unreadable += 1;
                eprintln!("secretscan: skipped: {e}");
                continue;
            }
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.path();
        let shown = display_path(path);
        let mut io = FileIo {
            buf: &mut buf,
            block: &mut block,
            streamed: &mut streamed,
        };
        match scan_file(
            &engine,
            &mut scratch,
            path,
            &shown,
            args,
            &mut io,
            &mut reporter,
        )? {
            FileOutcome::Scanned(bytes) => {
                counts.files += 1;
                counts.bytes += bytes;
            }
            FileOutcome::Binary => counts.skipped_binary += 1,
            FileOutcome::TooLarge(size) => {
                counts.skipped_large += 1;
                eprintln!(
                    "secretscan: skipped {shown}: {size} bytes exceeds --max-file-size {}",
                    args.max_file_size.unwrap_or(u64::MAX)
                );
            }
            FileOutcome::Unreadable(e) => {
                counts.unreadable += 1;
                eprintln!("secretscan: cannot read {shown}: {e}");
            }
        }
    }

    let found = reporter.count();
    reporter
        .finish()
        .map_err(|e| format!("cannot write to stdout: {e}"))?;
    let secs = started.elapsed().as_secs_f64();
    if args.output.format == Format::Human || args.stats {
        eprintln!(
            "secretscan: {found} finding(s) in {} file(s), {:.1} MB in {secs:.2} s ({:.1} MB/s); skipped: {} binary, {} too large, {} unreadable",
            counts.files,
            counts.bytes as f64 / 1e6,
            counts.bytes as f64 / 1e6 / secs.max(1e-9),
            counts.skipped_binary,
            counts.skipped_large,
            counts.unreadable,
        );
    }
    if args.stats {
        let mut total = scratch.stats();
        total += streamed.scan;
        eprintln!("{}", format_stats(&total));
        eprintln!(
            "stats: streamed_files={} spans_split={} peak_rss_kib={}",
            streamed.files,
            streamed.spans_split,
            peak_rss_kib().unwrap_or(0)
        );
    }
    Ok(if found > 0 { EXIT_FINDINGS } else { EXIT_CLEAN })
}

/// Files larger than this are streamed in blocks instead of read whole.
const WHOLE_FILE_LIMIT: u64 = 8 << 20;

/// Counters of the files scanned through the chunked API.
#[derive(Default)]
struct StreamTotals {
    files: u64,
    spans_split: u64,
    scan: ScanStats,
}

/// Reusable buffers for reading files.
struct FileIo<'a> {
    buf: &'a mut Vec<u8>,
    block: &'a mut Vec<u8>,
    streamed: &'a mut StreamTotals,
}

/// What became of one file.
enum FileOutcome {
    Scanned(u64),
    Binary,
    TooLarge(u64),
    Unreadable(io::Error),
}

/// Scans one file: read whole when small, streamed in blocks when large.
/// Only a failure to write findings is an error.
fn scan_file(
    engine: &scanner_engine::Engine,
    scratch: &mut Scratch,
    path: &Path,
    shown: &str,
    args: &DirArgs,
    io: &mut FileIo<'_>,
    reporter: &mut Reporter,
) -> Result<FileOutcome, String> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => return Ok(FileOutcome::Unreadable(e)),
    };
    let size = match file.metadata() {
        Ok(m) => m.len(),
        Err(e) => return Ok(FileOutcome::Unreadable(e)),
    };
    if let Some(max) = args.max_file_size {
        if size > max {
            return Ok(FileOutcome::TooLarge(size));
        }
    }
    io.buf.clear();
    // Small files are read whole (one more byte than the limit tells whether
    // the file grew past it since the size was taken).
    let first_read = if size <= WHOLE_FILE_LIMIT {
        WHOLE_FILE_LIMIT + 1
    } else {
        SNIFF_LEN as u64
    };
    let mut file = file;
    if let Err(e) = (&mut file).take(first_read).read_to_end(io.buf) {
        return Ok(FileOutcome::Unreadable(e));
    }
    if !args.scan_binary && looks_binary(io.buf) {
        return Ok(FileOutcome::Binary);
    }
    if (io.buf.len() as u64) < first_read {
        scan_one(engine, scratch, io.buf, shown, reporter)?;
        return Ok(FileOutcome::Scanned(io.buf.len() as u64));
    }
    match scan_stream(engine, io.buf, file, shown, reporter, io.block) {
        Ok(stats) => {
            io.streamed.files += 1;
            io.streamed.spans_split += stats.spans_split;
            io.streamed.scan += stats.scan;
            Ok(FileOutcome::Scanned(stats.bytes_fed))
        }
        Err(StreamError::Read(e)) => Ok(FileOutcome::Unreadable(e)),
        Err(StreamError::Write(e)) => Err(format!("cannot write to stdout: {e}")),
    }
}

fn scan_one(
    engine: &scanner_engine::Engine,
    scratch: &mut Scratch,
    data: &[u8],
    shown: &str,
    reporter: &mut Reporter,
) -> Result<(), String> {
    let mut write_error = None;
    engine.scan_bytes_with(scratch, data, &mut |f| {
        if write_error.is_none() {
            write_error = reporter.report(shown, &f).err();
        }
    });
    match write_error {
        Some(e) => Err(format!("cannot write to stdout: {e}")),
        None => Ok(()),
    }
}

/// A NUL byte near the start marks a binary file, unless the file is UTF-16
/// text: a byte-order mark, or NULs on one byte parity only (ASCII-range
/// characters in UTF-16LE or BE) making up at least a third of the bytes.
fn looks_binary(data: &[u8]) -> bool {
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

/// The path as shown in reports: as walked, without a leading `./`.
fn display_path(path: &Path) -> String {
    let s = path.display().to_string();
    match s.strip_prefix("./") {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => s,
    }
}

/// One line per group of counters, for `--stats`.
pub fn format_stats(s: &ScanStats) -> String {
    format!(
        "stats: bytes_scanned={} anchor_hits={} windows={} rules_fully_scanned={} prefilter_errors={}\n\
         stats: rejected_entropy={} rejected_allow={} rejected_width={} findings={} findings_dropped={}\n\
         stats: spans_found={} spans_dropped={} spans_truncated={} spans_decoded={} decoded_bytes={} \
         decode_aborted={} decode_errors={} dedupe_hits={}",
        s.bytes_scanned,
        s.anchor_hits,
        s.windows,
        s.rules_fully_scanned,
        s.prefilter_errors,
        s.rejected_entropy,
        s.rejected_allow,
        s.rejected_width,
        s.findings,
        s.findings_dropped,
        s.spans_found,
        s.spans_dropped,
        s.spans_truncated,
        s.spans_decoded,
        s.decoded_bytes,
        s.decode_aborted,
        s.decode_errors,
        s.dedupe_hits,
    )
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

    #[test]
    fn display_strips_dot_slash() {
        assert_eq!(display_path(Path::new("./a/b.txt")), "a/b.txt");
        assert_eq!(display_path(Path::new("a/b.txt")), "a/b.txt");
        assert_eq!(display_path(Path::new("./")), "./");
    }
}
