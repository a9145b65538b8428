//! `secretscan dir PATH...`: walks files and directories and scans each file.
//!
//! Invariants: every file the walk yields is either scanned or counted in
//! one of the skip counters (binary, too large, unreadable) and named on
//! stderr when unreadable; nothing is dropped silently. A PATH that does not
//! exist is an error (exit 2) before anything is scanned.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::time::Instant;

use ignore::WalkBuilder;
use scanner_engine::{ScanStats, Scratch};

use crate::args::{DirArgs, Format};
use crate::output::Reporter;
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
        match read_file(path, args.max_file_size, &mut buf) {
            Ok(()) => {}
            Err(ReadError::TooLarge(size)) => {
                counts.skipped_large += 1;
                eprintln!(
                    "secretscan: skipped {shown}: {size} bytes exceeds --max-file-size {}",
                    args.max_file_size
                );
                continue;
            }
            Err(ReadError::Io(e)) => {
                counts.unreadable += 1;
                eprintln!("secretscan: cannot read {shown}: {e}");
                continue;
            }
        }
        if !args.scan_binary && looks_binary(&buf) {
            counts.skipped_binary += 1;
            continue;
        }
        counts.files += 1;
        counts.bytes += buf.len() as u64;
        scan_one(&engine, &mut scratch, &buf, &shown, &mut reporter)?;
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
        eprintln!("{}", format_stats(&scratch.stats()));
    }
    Ok(if found > 0 { EXIT_FINDINGS } else { EXIT_CLEAN })
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

enum ReadError {
    TooLarge(u64),
    Io(io::Error),
}

/// Reads the file into `buf` (reusing its capacity) unless it is larger than `max`.
fn read_file(path: &Path, max: u64, buf: &mut Vec<u8>) -> Result<(), ReadError> {
    buf.clear();
    let file = File::open(path).map_err(ReadError::Io)?;
    let size = file.metadata().map_err(ReadError::Io)?.len();
    if size > max {
        return Err(ReadError::TooLarge(size));
    }
    // Read at most max + 1 bytes, in case the file grew since the metadata call.
    file.take(max + 1).read_to_end(buf).map_err(ReadError::Io)?;
    if buf.len() as u64 > max {
        return Err(ReadError::TooLarge(buf.len() as u64));
    }
    Ok(())
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
