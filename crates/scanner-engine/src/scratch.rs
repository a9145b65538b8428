//! [`Scratch`]: every mutable buffer a scan needs, reused across scans:
//! the per-buffer pass's state, the decoding state and the root input's
//! matches until emission.
//!
//! Layer 5 (pipeline): it holds the state of every layer below.
//!
//! Invariants:
//! - A scratch serves one scan at a time (`&mut`), and may be moved between
//!   threads. It works with any engine: when used with a different engine
//!   than last time, its per-engine parts (Vectorscan scratch, regex caches,
//!   decoding state) are rebuilt before scanning.
//! - Between scans every per-rule window list is empty and `touched` is
//!   empty; buffers keep their capacity so warm scans do not allocate.

use crate::decode::{DecodeScratch, RootSpanLog};
use crate::finding::Finding;
use crate::raw_pass::BufferScratch;
use crate::scan_types::PendingFinding;
use crate::stats::ScanStats;

/// Reusable per-thread scan state. Create with [`Engine::new_scratch`](crate::Engine::new_scratch) or
/// [`Scratch::new`].
#[derive(Debug)]
pub struct Scratch {
    /// State of the per-buffer pass (root input and decoded buffers), and
    /// the counters.
    pub(crate) buf: BufferScratch,
    /// The root buffer's matches while decoded buffers are scanned.
    pub(crate) root_pending: Vec<PendingFinding>,
    /// Findings in UTF-16 text of the root input, until emission.
    pub(crate) root_utf16: Vec<Finding>,
    /// State of the decoded-data pass, created on first use.
    pub(crate) decode: Option<DecodeScratch>,
    /// Report every finding, ignoring `max_findings_per_scan` (set by
    /// `Engine::scan_bytes`, whose caller receives a `Vec` of all).
    pub(crate) uncapped: bool,
    /// Root spans of the last scan, kept when the chunked scanner asks.
    pub(crate) root_spans: RootSpanLog,
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch::new()
    }
}

impl Scratch {
    /// An empty scratch; it sizes itself on first use.
    pub fn new() -> Scratch {
        Scratch {
            buf: BufferScratch::new(),
            root_pending: Vec::new(),
            root_utf16: Vec::new(),
            decode: None,
            uncapped: false,
            root_spans: RootSpanLog::default(),
        }
    }

    /// Counters accumulated since creation or the last [`Scratch::reset_stats`].
    pub fn stats(&self) -> ScanStats {
        self.buf.stats
    }

    /// Zeroes the counters.
    pub fn reset_stats(&mut self) {
        self.buf.stats = ScanStats::default();
    }
}
