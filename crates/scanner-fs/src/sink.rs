//! What the pipeline tells its consumer: the [`Sink`] trait, the outcome of
//! each input, and the run's [`ScanSummary`].
//!
//! Invariants: a sink is called from one thread only (the pipeline's
//! writer), so it needs no locking; every input the walk yields reaches
//! [`Sink::input_done`] exactly once, after all its findings; an input's
//! findings arrive in order of position, possibly in several batches.

use std::io;
use std::sync::Arc;

use scanner_engine::{Finding, ScanStats};

use crate::archive::ArchiveStats;

/// Receives findings and per-input events. Implemented by the CLI's
/// reporters, the findings store and embedders.
pub trait Sink {
    /// A batch of findings of `input` (already filtered by suppressions).
    fn findings(&mut self, input: &Input, findings: Vec<Finding>) -> io::Result<()>;

    /// `input` is done: scanned or skipped, see [`InputReport::outcome`].
    fn input_done(&mut self, report: &InputReport) -> io::Result<()> {
        let _ = report;
        Ok(())
    }
}

/// An input as the pipeline names it to the sink.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    /// As shown in findings: the path as walked (without a leading `./`),
    /// `archive!member` for archive members, a blob's first path for git.
    pub path: Arc<str>,
    /// The front end's own number for the input (0 for files; the blob's
    /// index for git), so a sink can find what it knows about it.
    pub id: u64,
}

impl Input {
    /// A file or other input known by its path alone.
    pub fn path(path: impl Into<Arc<str>>) -> Input {
        Input {
            path: path.into(),
            id: 0,
        }
    }
}

/// How one input ended.
#[derive(Debug)]
pub struct InputReport {
    pub input: Input,
    pub outcome: InputOutcome,
}

/// Scanned, skipped with the reason, or an archive whose members were
/// reported as inputs of their own before it.
#[derive(Debug)]
pub enum InputOutcome {
    Scanned(Box<Scanned>),
    Skipped(Skip),
    Archive(Box<ArchiveStats>),
}

/// What scanning one input did.
#[derive(Clone, Debug, Default)]
pub struct Scanned {
    /// Bytes read and scanned.
    pub bytes: u64,
    /// The engine's counters for this input (budgets hit, spans, ...).
    pub stats: ScanStats,
    /// Findings reported for this input.
    pub findings: u64,
    /// Findings left out by suppressions, by kind.
    pub suppressed: Suppressed,
    /// Streamed through the engine's chunked API (large input).
    pub streamed: bool,
    /// Encoded spans longer than the stream overlap, decoded in pieces.
    pub spans_split: u64,
    /// Reading failed part-way: what was read before was scanned and its
    /// findings reported; this says what went wrong.
    pub read_error: Option<String>,
    /// For a file on disk: its content key (size and modification time,
    /// see [`crate::input_scanner::content_key`]), for incremental scans.
    pub content_key: Option<String>,
}

/// Findings suppressed, by the mechanism that suppressed them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Suppressed {
    /// By an inline marker (`secretscan:allow`) on the finding's line.
    pub inline: u64,
    /// By fingerprint, in the baseline.
    pub baseline: u64,
    /// By an allowlisted value or regex of the configuration.
    pub allowlist: u64,
}

impl Suppressed {
    pub fn total(&self) -> u64 {
        self.inline + self.baseline + self.allowlist
    }
}

impl std::ops::AddAssign for Suppressed {
    fn add_assign(&mut self, o: Suppressed) {
        self.inline += o.inline;
        self.baseline += o.baseline;
        self.allowlist += o.allowlist;
    }
}

/// Why an input was not scanned.
#[derive(Debug)]
pub enum Skip {
    /// Looks binary (NUL bytes near the start, not UTF-16 text).
    Binary,
    /// Larger than the size limit: (size, limit).
    TooLarge(u64, u64),
    /// Not a regular file: FIFO, socket, device.
    NotRegular,
    /// Gone between the walk and the read.
    Vanished,
    /// Could not be read (permissions, I/O error, walk error); the message
    /// says why.
    Unreadable(String),
    /// Scanned before with the same rules (known to a findings store); the
    /// content key that matched (the blob id for git).
    Unchanged(String),
}

impl Skip {
    /// Short reason shown in summaries.
    pub fn reason(&self) -> &'static str {
        match self {
            Skip::Binary => "binary",
            Skip::TooLarge(..) => "too large",
            Skip::NotRegular => "not a regular file",
            Skip::Vanished => "vanished",
            Skip::Unreadable(_) => "unreadable",
            Skip::Unchanged(_) => "unchanged",
        }
    }
}

/// Inputs skipped, by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SkipCounts {
    pub binary: u64,
    pub too_large: u64,
    pub not_regular: u64,
    pub vanished: u64,
    pub unreadable: u64,
    pub unchanged: u64,
}

impl SkipCounts {
    pub fn total(&self) -> u64 {
        self.binary
            + self.too_large
            + self.not_regular
            + self.vanished
            + self.unreadable
            + self.unchanged
    }

    pub(crate) fn count(&mut self, skip: &Skip) {
        match skip {
            Skip::Binary => self.binary += 1,
            Skip::TooLarge(..) => self.too_large += 1,
            Skip::NotRegular => self.not_regular += 1,
            Skip::Vanished => self.vanished += 1,
            Skip::Unreadable(_) => self.unreadable += 1,
            Skip::Unchanged(_) => self.unchanged += 1,
        }
    }
}

/// Totals of one run.
#[derive(Clone, Debug, Default)]
pub struct ScanSummary {
    /// Inputs scanned (files and archive members).
    pub inputs_scanned: u64,
    /// Archives and compressed files opened (their members are inputs).
    pub archives: u64,
    /// Archive members not scanned (encrypted, unsupported method, entry or
    /// byte budget), over all archives.
    pub archive_members_skipped: u64,
    /// Archives in which a budget was hit or damage was found.
    pub archives_with_warnings: u64,
    /// Bytes scanned.
    pub bytes: u64,
    pub skipped: SkipCounts,
    /// Findings passed to the sink.
    pub findings: u64,
    pub suppressed: Suppressed,
    /// Inputs on which at least one engine budget was hit.
    pub inputs_with_budgets_hit: u64,
    /// Inputs streamed through the chunked API.
    pub inputs_streamed: u64,
    pub spans_split: u64,
    /// Inputs whose reading failed part-way (scanned up to the failure).
    pub read_errors: u64,
    /// The engine's counters summed over all inputs.
    pub stats: ScanStats,
    /// Wall time of the run in seconds.
    pub seconds: f64,
}

impl ScanSummary {
    /// Adds one input's outcome.
    pub fn add(&mut self, report: &InputReport) {
        match &report.outcome {
            InputOutcome::Scanned(s) => {
                self.inputs_scanned += 1;
                self.bytes += s.bytes;
                self.findings += s.findings;
                self.suppressed += s.suppressed;
                self.stats += s.stats;
                if !s.stats.budgets_hit().is_empty() {
                    self.inputs_with_budgets_hit += 1;
                }
                if s.streamed {
                    self.inputs_streamed += 1;
                }
                self.spans_split += s.spans_split;
                if s.read_error.is_some() {
                    self.read_errors += 1;
                }
            }
            InputOutcome::Skipped(skip) => self.skipped.count(skip),
            InputOutcome::Archive(a) => {
                self.archives += 1;
                self.archive_members_skipped += a.members_skipped();
                if a.has_warnings() || !a.budgets_hit().is_empty() {
                    self.archives_with_warnings += 1;
                }
            }
        }
    }
}
