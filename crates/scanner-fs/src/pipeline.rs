//! The parallel scan of files and directories: walker threads that scan
//! what they find, and one writer (the calling thread) that drives the
//! [`Sink`].
//!
//! Each of the walker's threads (the `ignore` crate's parallel walker, as in
//! ripgrep) owns an [`InputScanner`] with its own engine scratch and
//! buffers, so a file is read and scanned on the thread that found it, with
//! no hand-off per file. Findings and outcomes go, in batches of up to
//! [`BATCH_EVENTS`] events (one wake-up of the writer per batch rather than
//! per file), through one bounded channel to the calling thread, the only
//! one that calls the sink.
//!
//! Invariants: the channel holds at most [`BATCHES_PER_THREAD`] × threads
//! batches and each thread fills at most one more (scanning threads block
//! when the writer lags: backpressure, never loss); a thread's batch is
//! sent when full and when the thread ends, so events of one input keep
//! their order and none is left behind; every input the walk yields ends in
//! one [`InputReport`] passed to the sink and added to the [`ScanSummary`];
//! when the sink fails (stdout closed), the walk stops and the error is
//! returned.

use std::io;
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread;
use std::time::Instant;

use ignore::WalkState;
use scanner_engine::Engine;

use crate::input_scanner::{InputEvent, InputPolicy, InputScanner, KnownInput};
use crate::sink::{Input, InputOutcome, InputReport, ScanSummary, Sink, Skip};
use crate::suppress::Suppressions;
use crate::walk::{walker, WalkOptions};

/// Most events a scanning thread collects before it hands them to the
/// writer.
pub const BATCH_EVENTS: usize = 32;

/// Channel slots (batches) per scanning thread.
pub const BATCHES_PER_THREAD: usize = 2;

/// A scanning thread's end of the channel: collects events and sends them
/// [`BATCH_EVENTS`] at a time, and the rest when dropped.
struct BatchSender {
    tx: SyncSender<Vec<InputEvent>>,
    batch: Vec<InputEvent>,
    /// False once the writer has gone (the sink failed).
    open: bool,
}

impl BatchSender {
    fn new(tx: SyncSender<Vec<InputEvent>>) -> Self {
        Self {
            tx,
            batch: Vec::with_capacity(BATCH_EVENTS),
            open: true,
        }
    }

    fn send(&mut self, event: InputEvent) {
        if !self.open {
            return;
        }
        self.batch.push(event);
        if self.batch.len() >= BATCH_EVENTS {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.open && !self.batch.is_empty() {
            let full = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH_EVENTS));
            self.open = self.tx.send(full).is_ok();
        }
    }
}

impl Drop for BatchSender {
    fn drop(&mut self) {
        self.flush();
    }
}

fn batch_channel(threads: usize) -> (SyncSender<Vec<InputEvent>>, Receiver<Vec<InputEvent>>) {
    sync_channel(BATCHES_PER_THREAD * threads)
}

/// Everything a scan of paths needs besides the engine.
#[derive(Clone, Default)]
pub struct ScanOptions {
    pub walk: WalkOptions,
    pub policy: InputPolicy,
    pub suppressions: Suppressions,
    /// Scanning threads (0 = one per core).
    pub threads: usize,
    /// Files scanned before with the same rules (see
    /// [`crate::input_scanner::content_key`]): skipped unread.
    pub known: Option<std::sync::Arc<KnownInput>>,
}

impl ScanOptions {
    /// The thread count to use: `threads`, or one per core when 0.
    pub fn thread_count(&self) -> usize {
        thread_count(self.threads)
    }
}

/// `requested` threads, or one per core when 0.
pub fn thread_count(requested: usize) -> usize {
    if requested > 0 {
        requested
    } else {
        thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// Why a scan could not run or was cut short.
#[derive(Debug)]
pub enum ScanError {
    /// The options are invalid (e.g. a bad exclude glob); the message names
    /// the culprit.
    Options(String),
    /// The sink failed (e.g. stdout closed); the scan stopped.
    Sink(io::Error),
}

impl std::fmt::Display for ScanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScanError::Options(m) => f.write_str(m),
            ScanError::Sink(e) => write!(f, "cannot write findings: {e}"),
        }
    }
}

impl std::error::Error for ScanError {}

/// Scans every file under `opts.walk.paths`, passing findings and outcomes
/// to `sink`; returns the run's totals.
pub fn scan_paths(
    engine: &Engine,
    opts: &ScanOptions,
    sink: &mut dyn Sink,
) -> Result<ScanSummary, ScanError> {
    let started = Instant::now();
    let threads = opts.thread_count();
    let walk = walker(&opts.walk, threads).map_err(ScanError::Options)?;
    let (tx, rx) = batch_channel(threads);
    let mut summary = ScanSummary::default();
    let result = thread::scope(|s| {
        s.spawn(move || {
            walk.run(|| {
                let mut out = BatchSender::new(tx.clone());
                let mut scanner = InputScanner::new(engine, &opts.suppressions, opts.policy);
                scanner.set_known(opts.known.as_deref());
                Box::new(move |entry| visit(&mut scanner, &mut out, entry))
            })
        });
        drive(rx, sink, &mut summary)
    });
    result.map_err(ScanError::Sink)?;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// Runs `threads` scanning threads over work that is not a directory walk
/// (git blobs, a list of inputs): each thread gets its own [`InputScanner`]
/// and its own state from `make_worker`, and calls that worker until it
/// returns `false` (no work left). The worker scans inputs with the scanner
/// and passes the events to the given sender. The calling thread drives
/// `sink`, as in [`scan_paths`].
pub fn run_workers<F, W>(
    engine: &Engine,
    suppressions: &Suppressions,
    policy: InputPolicy,
    threads: usize,
    make_worker: F,
    sink: &mut dyn Sink,
) -> Result<ScanSummary, ScanError>
where
    F: Fn() -> W + Sync,
    W: FnMut(&mut InputScanner<'_>, &mut dyn FnMut(InputEvent)) -> bool,
{
    let started = Instant::now();
    let threads = threads.max(1);
    let (tx, rx) = batch_channel(threads);
    let mut summary = ScanSummary::default();
    let result = thread::scope(|s| {
        for _ in 0..threads {
            let (tx, make_worker) = (tx.clone(), &make_worker);
            s.spawn(move || {
                let mut scanner = InputScanner::new(engine, suppressions, policy);
                let mut worker = make_worker();
                let mut out = BatchSender::new(tx);
                while worker(&mut scanner, &mut |ev| out.send(ev)) && out.open {}
            });
        }
        drop(tx);
        drive(rx, sink, &mut summary)
    });
    result.map_err(ScanError::Sink)?;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// One entry of the walk, on a scanning thread.
fn visit(
    scanner: &mut InputScanner<'_>,
    out: &mut BatchSender,
    entry: Result<ignore::DirEntry, ignore::Error>,
) -> WalkState {
    let mut send = |ev: InputEvent| out.send(ev);
    match entry {
        Err(e) => send(InputEvent::Done(InputReport {
            input: Input::path(error_path(&e)),
            outcome: InputOutcome::Skipped(Skip::Unreadable(e.to_string())),
        })),
        Ok(entry) => match entry.file_type() {
            Some(t) if t.is_file() => {
                let input = Input::path(display_path(entry.path()));
                scanner.scan_file(entry.path(), input, &mut send);
            }
            // Directories are walked; unfollowed symbolic links are the
            // user's choice (--follow), like ignored files.
            Some(t) if t.is_dir() || t.is_symlink() => {}
            // Standard input (`-`) is not a path to walk.
            None => {}
            Some(_) => send(InputEvent::Done(InputReport {
                input: Input::path(display_path(entry.path())),
                outcome: InputOutcome::Skipped(Skip::NotRegular),
            })),
        },
    }
    if out.open {
        WalkState::Continue
    } else {
        WalkState::Quit
    }
}

/// The writer: passes events to the sink until every scanner is done or
/// the sink fails (dropping the receiver then stops the scanners).
fn drive(
    rx: Receiver<Vec<InputEvent>>,
    sink: &mut dyn Sink,
    summary: &mut ScanSummary,
) -> io::Result<()> {
    for event in rx.into_iter().flatten() {
        match event {
            InputEvent::Findings(input, batch) => sink.findings(&input, batch)?,
            InputEvent::Done(report) => {
                summary.add(&report);
                sink.input_done(&report)?;
            }
        }
    }
    Ok(())
}

/// The path a walk error is about, or `(walk)` when it names none.
fn error_path(e: &ignore::Error) -> String {
    match e {
        ignore::Error::WithPath { path, .. } => display_path(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => display_path(child),
        _ => "(walk)".to_string(),
    }
}

/// The path as shown in reports: as walked, without a leading `./`.
pub fn display_path(path: &Path) -> String {
    let s = path.display().to_string();
    match s.strip_prefix("./") {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => s,
    }
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
