//! [`ScanStats`], the counters of what scans did, and [`BudgetHit`], an
//! exhausted budget they reveal.
//!
//! Layer 2 (scan types): plain data, no dependency on other modules.
//!
//! Invariants:
//! - Every counter is named once, in `zip_counters!`: the arithmetic
//!   (`+=`, [`ScanStats::since`]) and the listing ([`ScanStats::counters`])
//!   cover all of them, and a counter missing from the list is a compile
//!   error.

/// Counters describing what scans did. Cumulative for a [`Scratch`](crate::Scratch) until
/// [`Scratch::reset_stats`](crate::Scratch::reset_stats); add two with `+=` to merge threads' stats.
/// New counters may be added: read the fields, or list them all with
/// [`ScanStats::counters`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
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
    /// gzip / zlib streams inflated (at any depth).
    pub spans_inflated: u64,
    /// Compressed streams that inflate to more than `max_inflated_bytes`
    /// (or the rest of `max_total_decoded_bytes`): scanned up to there.
    pub inflate_budget_hits: u64,
    /// Compressed streams that were corrupt or truncated, or failed their
    /// checksum: scanned up to the fault.
    pub inflate_errors: u64,
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
                counter: "inflate_budget_hits",
                count: self.inflate_budget_hits,
                what: "compressed streams inflated only in part",
                limit: "max_inflated_bytes / max_total_decoded_bytes",
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
    spans_inflated,
    inflate_budget_hits,
    inflate_errors,
    findings,
    findings_dropped,
);

impl std::ops::AddAssign for ScanStats {
    fn add_assign(&mut self, o: ScanStats) {
        self.zip_with(&o, |a, b| a + b);
    }
}
