//! [`Scratch`]: every mutable buffer a scan needs, reused across scans, and
//! the [`ScanStats`] counters.
//!
//! Invariants:
//! - A scratch serves one scan at a time (`&mut`), and may be moved between
//!   threads. It works with any engine: when used with a different engine
//!   than last time, its per-engine parts (Vectorscan scratch, regex caches)
//!   are rebuilt before scanning.
//! - Between scans every per-rule window list is empty and `touched` is
//!   empty; buffers keep their capacity so warm scans do not allocate.

use regex_automata::meta;
use regex_automata::util::captures::Captures;

use crate::decode::DecodeScratch;
use crate::engine::Engine;
use crate::finding::{DecodePath, Finding};
use crate::utf16::Variant;
use crate::vectorscan::VsScratch;

/// Counters describing what scans did. Cumulative for a [`Scratch`] until
/// [`Scratch::reset_stats`]; add two with `+=` to merge threads' stats.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScanStats {
    /// Bytes of root input scanned.
    pub bytes_scanned: u64,
    /// Prefilter (anchor) hits reported by Vectorscan.
    pub anchor_hits: u64,
    /// Candidate windows confirmed with a rule's regex (after merging).
    pub windows: u64,
    /// Times a rule exceeded `max_windows_per_rule` and was confirmed by one
    /// regex pass over the whole buffer instead.
    pub rules_fully_scanned: u64,
    /// Times the Vectorscan prefilter failed and every rule was confirmed
    /// over the whole buffer (no finding is lost, only time).
    pub prefilter_errors: u64,
    /// Regex matches rejected by `min_entropy`.
    pub rejected_entropy: u64,
    /// Regex matches rejected by an `allow` pattern.
    pub rejected_allow: u64,
    /// Regex matches rejected for being longer than the rule's width bound.
    pub rejected_width: u64,
    /// Regex matches rejected by the shared value gate's placeholder check
    /// (`xxxx`, `${VAR}`, `changeme`, one repeated character, ...).
    pub rejected_placeholder: u64,
    /// Regex matches rejected by the rule's `checksum` validator.
    pub rejected_checksum: u64,
    /// Encoded spans (Base64, URL) found, at any depth.
    pub spans_found: u64,
    /// Spans not decoded because a cap was reached (spans per buffer, decode
    /// queue, slab budget).
    pub spans_dropped: u64,
    /// Encoded runs longer than the transform's `max_encoded_len`, decoded
    /// only up to that length.
    pub spans_truncated: u64,
    /// Spans decoded (attempted).
    pub spans_decoded: u64,
    /// Spans abandoned because a decoded-bytes budget ran out.
    pub decode_aborted: u64,
    /// Spans abandoned because they were not valid encodings.
    pub decode_errors: u64,
    /// Decoded outputs skipped as identical to one already scanned under the
    /// same root span.
    pub dedupe_hits: u64,
    /// Decoded bytes scanned.
    pub decoded_bytes: u64,
    /// Streamed spans that hit a cap and were decoded fully instead.
    pub decode_fallbacks: u64,
    /// Windows whose bytes had left the ring and were decoded again.
    pub windows_redecoded: u64,
    /// Findings reported.
    pub findings: u64,
    /// Findings not reported because `max_findings_per_scan` was reached.
    pub findings_dropped: u64,
}

/// A budget that was exhausted during a scan, so findings may be missing:
/// which counter says so, how often, and the `Tuning` field that sets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BudgetHit {
    /// The `ScanStats` counter (e.g. `spans_dropped`).
    pub counter: &'static str,
    /// Its value.
    pub count: u64,
    /// What was not done, for messages (e.g. "nested encoded spans not decoded").
    pub what: &'static str,
    /// The `Tuning` field whose limit was reached.
    pub limit: &'static str,
}

impl ScanStats {
    /// The budgets these counters show were exhausted: the only ways a scan
    /// can miss a secret it would otherwise find. Empty when none was.
    pub fn budgets_hit(&self) -> Vec<BudgetHit> {
        let all = [
            BudgetHit {
                counter: "findings_dropped",
                count: self.findings_dropped,
                what: "findings not reported",
                limit: "max_findings_per_scan",
            },
            BudgetHit {
                counter: "spans_dropped",
                count: self.spans_dropped,
                what: "nested encoded spans not decoded",
                limit: "max_decode_queue / max_total_decoded_bytes",
            },
            BudgetHit {
                counter: "decode_aborted",
                count: self.decode_aborted,
                what: "encoded spans abandoned",
                limit: "max_total_decoded_bytes / max_decoded_bytes",
            },
        ];
        all.into_iter().filter(|b| b.count > 0).collect()
    }

    /// The counters of `self` minus those of `earlier` (a snapshot taken
    /// before), saturating at zero.
    pub fn since(&self, earlier: &ScanStats) -> ScanStats {
        let mut d = *self;
        d.zip_with(earlier, |a, b| a.saturating_sub(b));
        d
    }
}

/// Names each counter of `ScanStats` once, for all the arithmetic on them
/// (`zip_with`) and for listing them by name (`counters`).
macro_rules! zip_counters {
    ($($field:ident),* $(,)?) => {
        impl ScanStats {
            fn zip_with(&mut self, other: &ScanStats, f: impl Fn(u64, u64) -> u64) {
                // Exhaustive: a counter missing from the list is a compile error.
                let ScanStats { $($field: _),* } = *other;
                $(self.$field = f(self.$field, other.$field);)*
            }

            /// Every counter with its field name, in declaration order (for
            /// printing all of them, e.g. `--stats`).
            pub fn counters(&self) -> Vec<(&'static str, u64)> {
                vec![$((stringify!($field), self.$field)),*]
            }
        }
    };
}

zip_counters!(
    bytes_scanned,
    anchor_hits,
    windows,
    rules_fully_scanned,
    prefilter_errors,
    rejected_entropy,
    rejected_allow,
    rejected_width,
    rejected_placeholder,
    rejected_checksum,
    spans_found,
    spans_dropped,
    spans_truncated,
    spans_decoded,
    decode_aborted,
    decode_errors,
    dedupe_hits,
    decoded_bytes,
    decode_fallbacks,
    windows_redecoded,
    findings,
    findings_dropped,
);

impl std::ops::AddAssign for ScanStats {
    fn add_assign(&mut self, o: ScanStats) {
        self.zip_with(&o, |a, b| a + b);
    }
}

/// Window slots per rule: raw, UTF-16LE, UTF-16BE (slot = rule * 3 + variant).
pub(crate) const VARIANTS: usize = 3;

/// A match found in UTF-16 text of the buffer being confirmed.
#[derive(Clone, Debug)]
pub(crate) struct Utf16Match {
    pub rule: u32,
    pub variant: Variant,
    /// The secret's span in the buffer's UTF-16 bytes.
    pub start: u64,
    pub end: u64,
    /// The secret and the whole match, transcoded to UTF-8, in `utf16_text`.
    pub secret: std::ops::Range<usize>,
    pub matched: std::ops::Range<usize>,
}

impl Utf16Match {
    /// A finding for this match at `span` in the root input, inside the
    /// encoded span `encoded`, below `path`.
    pub(crate) fn to_finding(
        &self,
        engine: &Engine,
        span: (u64, u64),
        encoded: (u64, u64),
        path: &DecodePath,
        text: &[u8],
    ) -> Finding {
        let mut decode_path = path.clone();
        decode_path.extend(self.variant.step());
        let info = &engine.rules[self.rule as usize].info;
        Finding::new(
            &info.id,
            &info.name,
            &text[self.secret.clone()],
            &text[self.matched.clone()],
            span,
            encoded,
            decode_path,
        )
    }
}

/// Candidate windows of one rule in the current buffer.
#[derive(Debug, Default)]
pub(crate) struct RuleWindows {
    /// Half-open byte ranges `[lo, hi)`, merged when they overlap.
    pub spans: Vec<(u64, u64)>,
    /// Set when the window cap was exceeded: confirm over the whole buffer.
    pub whole_buffer: bool,
}

/// A confirmed match waiting for line numbers and emission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct PendingFinding {
    pub secret_start: u64,
    pub rule: u32,
    pub secret_end: u64,
    pub match_start: u64,
    pub match_end: u64,
}

/// Regex search state of one rule.
#[derive(Debug)]
pub(crate) struct RegexState {
    pub cache: meta::Cache,
    pub captures: Captures,
}

/// Reusable per-thread scan state. Create with [`Engine::new_scratch`] or
/// [`Scratch::new`].
#[derive(Debug)]
pub struct Scratch {
    engine_id: u64,
    pub(crate) vs: VsScratch,
    pub(crate) windows: Vec<RuleWindows>,
    pub(crate) touched: Vec<u32>,
    pub(crate) regex_states: Vec<Option<RegexState>>,
    pub(crate) pending: Vec<PendingFinding>,
    /// The root buffer's matches while decoded buffers are scanned.
    pub(crate) root_pending: Vec<PendingFinding>,
    /// UTF-16 matches of the buffer last confirmed, their text in `utf16_text`.
    pub(crate) utf16_found: Vec<Utf16Match>,
    pub(crate) utf16_text: Vec<u8>,
    /// Transcoding buffers of one UTF-16 window.
    pub(crate) utf16_window: Vec<u8>,
    pub(crate) utf16_map: Vec<u32>,
    /// Findings in UTF-16 text of the root input, until emission.
    pub(crate) root_utf16: Vec<Finding>,
    /// State of the decoded-data pass, created on first use.
    pub(crate) decode: Option<DecodeScratch>,
    pub(crate) stats: ScanStats,
    /// Report every finding, ignoring `max_findings_per_scan` (set by
    /// `Engine::scan_bytes`, whose caller receives a `Vec` of all).
    pub(crate) uncapped: bool,
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
            engine_id: 0,
            vs: VsScratch::empty(),
            windows: Vec::new(),
            touched: Vec::new(),
            regex_states: Vec::new(),
            pending: Vec::new(),
            root_pending: Vec::new(),
            utf16_found: Vec::new(),
            utf16_text: Vec::new(),
            utf16_window: Vec::new(),
            utf16_map: Vec::new(),
            root_utf16: Vec::new(),
            decode: None,
            stats: ScanStats::default(),
            uncapped: false,
        }
    }

    /// Counters accumulated since creation or the last [`Scratch::reset_stats`].
    pub fn stats(&self) -> ScanStats {
        self.stats
    }

    /// Zeroes the counters.
    pub fn reset_stats(&mut self) {
        self.stats = ScanStats::default();
    }

    /// Makes the scratch ready for `engine`. Returns `false` if Vectorscan
    /// scratch could not be allocated (the scan then confirms without the
    /// prefilter).
    pub(crate) fn prepare(&mut self, engine: &Engine) -> bool {
        if self.engine_id == engine.id {
            return true;
        }
        self.windows.clear();
        self.windows
            .resize_with(engine.rules.len() * VARIANTS, RuleWindows::default);
        self.regex_states.clear();
        self.regex_states.resize_with(engine.rules.len(), || None);
        self.touched.clear();
        self.pending.clear();
        self.decode = None;
        let no_nul_ok = match &engine.raw_db_no_nul {
            Some(db) => self.vs.grow_for(db).is_ok(),
            None => true,
        };
        if self.vs.grow_for(&engine.raw_db).is_err()
            || self.vs.grow_for(&engine.stream_db).is_err()
            || !no_nul_ok
        {
            return false;
        }
        self.engine_id = engine.id;
        true
    }

    /// The regex state of rule `idx`, created on first use.
    pub(crate) fn regex_state<'s>(
        regex_states: &'s mut [Option<RegexState>],
        engine: &Engine,
        idx: usize,
    ) -> &'s mut RegexState {
        regex_states[idx].get_or_insert_with(|| {
            let re = engine.rules[idx].regex.get();
            RegexState {
                cache: re.create_cache(),
                captures: re.create_captures(),
            }
        })
    }
}
