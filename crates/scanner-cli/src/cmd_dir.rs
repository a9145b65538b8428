//! `secretscan dir PATH...`: walks files and directories and scans them in
//! parallel.
//!
//! A walker thread sends file paths through a bounded queue to worker
//! threads (`--threads`, default: one per core), each with its own engine
//! scratch; workers send findings and per-file outcomes through a second
//! bounded queue to this thread, the only writer of stdout. When workers
//! lag, the walker blocks; when the writer lags, the workers block.
//!
//! Invariants: every file the walk yields is either scanned or counted in
//! one of the skip counters (binary, too large, unreadable) and named on
//! stderr when unreadable or too large; nothing is dropped silently. Memory
//! is bounded by the thread count times one file buffer (files up to 8 MiB
//! are read whole, larger ones streamed in 64 KiB blocks), plus the queues.
//! Findings of one file keep their order; files appear in completion order
//! (`--threads 1` gives walk order).

use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Instant;

use ignore::WalkBuilder;
use scanner_engine::{Engine, Finding, ScanStats};

use crate::args::{DirArgs, Format};
use crate::output::Reporter;
use crate::scan_file::{FileOutcome, FilePolicy, FileScanner, StreamTotals};
use crate::scan_input::peak_rss_kib;
use crate::{load, EXIT_CLEAN, EXIT_FINDINGS};

/// Queue slots per worker thread (paths, and findings/outcomes).
const QUEUE_PER_THREAD: usize = 64;

#[derive(Default)]
struct WalkCounts {
    files: u64,
    bytes: u64,
    skipped_binary: u64,
    skipped_large: u64,
    unreadable: u64,
}

/// What workers and the walker tell the writer.
enum Event {
    Finding(Arc<str>, Finding),
    File(Arc<str>, FileOutcome),
    WalkError(String),
    WorkerDone(ScanStats, StreamTotals),
}

pub fn run(args: &DirArgs) -> Result<u8, String> {
    for p in &args.paths {
        if !p.exists() {
            return Err(format!("{}: no such file or directory", p.display()));
        }
    }
    let engine = load::engine(&args.rules, args.decode.tuning())?;
    let threads = args
        .threads
        .unwrap_or_else(|| thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let policy = FilePolicy {
        max_file_size: args.max_file_size,
        scan_binary: args.scan_binary,
    };
    let mut reporter = Reporter::open(&args.output, engine.rules())?;
    let mut counts = WalkCounts::default();
    let mut scan_stats = ScanStats::default();
    let mut streamed = StreamTotals::default();
    let mut write_error = None;
    let started = Instant::now();

    let (path_tx, path_rx) = sync_channel::<PathBuf>(QUEUE_PER_THREAD * threads);
    let (event_tx, event_rx) = sync_channel::<Event>(QUEUE_PER_THREAD * threads);
    let path_rx = Arc::new(Mutex::new(path_rx));
    thread::scope(|s| {
        let walker_events = event_tx.clone();
        s.spawn(move || walk(args, path_tx, walker_events));
        for _ in 0..threads {
            let (paths, events, engine) = (Arc::clone(&path_rx), event_tx.clone(), &engine);
            s.spawn(move || work(engine, policy, &paths, events));
        }
        drop(event_tx);
        for event in event_rx {
            match event {
                Event::Finding(shown, f) => {
                    if write_error.is_none() {
                        write_error = reporter.report(&shown, &f).err();
                    }
                }
                Event::File(shown, outcome) => tally(&mut counts, &shown, outcome, args),
                Event::WalkError(message) => {
                    counts.unreadable += 1;
                    eprintln!("secretscan: skipped: {message}");
                }
                Event::WorkerDone(stats, totals) => {
                    scan_stats += stats;
                    streamed.files += totals.files;
                    streamed.spans_split += totals.spans_split;
                    scan_stats += totals.scan;
                }
            }
        }
    });
    if let Some(e) = write_error {
        return Err(e.to_string());
    }

    let found = reporter.count();
    reporter.finish().map_err(|e| e.to_string())?;
    let secs = started.elapsed().as_secs_f64();
    if args.output.format == Format::Human || args.stats {
        eprintln!(
            "secretscan: {found} finding(s) in {} file(s), {:.1} MB in {secs:.2} s ({:.1} MB/s, {threads} thread(s)); \
             skipped: {} binary, {} too large, {} unreadable",
            counts.files,
            counts.bytes as f64 / 1e6,
            counts.bytes as f64 / 1e6 / secs.max(1e-9),
            counts.skipped_binary,
            counts.skipped_large,
            counts.unreadable,
        );
    }
    if args.stats {
        eprintln!("{}", format_stats(&scan_stats));
        eprintln!(
            "stats: streamed_files={} spans_split={} peak_rss_kib={}",
            streamed.files,
            streamed.spans_split,
            peak_rss_kib().unwrap_or(0)
        );
    }
    Ok(if found > 0 { EXIT_FINDINGS } else { EXIT_CLEAN })
}

/// Walks the paths, sending each regular file to the workers. Stops early
/// if the workers are gone.
fn walk(args: &DirArgs, paths: SyncSender<PathBuf>, events: SyncSender<Event>) {
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
        let sent = match entry {
            Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => {
                paths.send(e.into_path()).is_ok()
            }
            Ok(_) => true,
            Err(e) => events.send(Event::WalkError(e.to_string())).is_ok(),
        };
        if !sent {
            return;
        }
    }
}

/// A worker: scans files from the queue until it is closed.
fn work(
    engine: &Engine,
    policy: FilePolicy,
    paths: &Mutex<Receiver<PathBuf>>,
    events: SyncSender<Event>,
) {
    let mut scanner = FileScanner::new(engine);
    loop {
        // A poisoned lock only means another worker panicked; the queue is intact.
        let next = paths.lock().unwrap_or_else(|p| p.into_inner()).recv();
        let Ok(path) = next else { break };
        let shown: Arc<str> = display_path(&path).into();
        let outcome = scanner.scan(&path, policy, &mut |f| {
            let _ = events.send(Event::Finding(Arc::clone(&shown), f));
        });
        if events.send(Event::File(shown, outcome)).is_err() {
            break;
        }
    }
    let _ = events.send(Event::WorkerDone(scanner.scratch.stats(), scanner.streamed));
}

/// Counts one file's outcome, naming files that were not scanned in full.
fn tally(counts: &mut WalkCounts, shown: &str, outcome: FileOutcome, args: &DirArgs) {
    match outcome {
        FileOutcome::Scanned(bytes, stats) => {
            counts.files += 1;
            counts.bytes += bytes;
            warn_budgets(shown, &stats);
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

/// Warns on stderr, naming the input, about every budget the scan of one
/// input exhausted: findings may be missing there, and the user must know.
pub fn warn_budgets(shown: &str, stats: &ScanStats) {
    for hit in stats.budgets_hit() {
        eprintln!(
            "secretscan: warning: {shown}: {} {} ({}={}; limit {} reached), findings may be missing",
            hit.count, hit.what, hit.counter, hit.count, hit.limit
        );
    }
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
    fn display_strips_dot_slash() {
        assert_eq!(display_path(Path::new("./a/b.txt")), "a/b.txt");
        assert_eq!(display_path(Path::new("a/b.txt")), "a/b.txt");
        assert_eq!(display_path(Path::new("./")), "./");
    }
}
