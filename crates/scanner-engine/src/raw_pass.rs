//! The raw pass: one Vectorscan block scan of the input for every rule's
//! anchors, then regex confirmation inside the windows around the hits.
//!
//! Flow: anchor hit `(pattern, end)` → for each rule sharing that anchor, the
//! window `[end - radius, end - anchor_len + radius)` (which contains every
//! match containing that anchor occurrence) → windows merged per rule →
//! [`crate::confirm`] runs the rule's regex in each window → confirmed
//! matches in `scratch.pending` (UTF-16 ones in `scratch.utf16_found`).
//!
//! This is the per-buffer pass: it runs over the root input and, from
//! `crate::decode`, over each decoded buffer, and keeps its state in a
//! [`BufferScratch`]. Emission (ordering, lines, the findings cap) is in
//! `crate::pipeline`.
//!
//! Layer 3 (per-buffer pass): depends on the compiled engine, the scan
//! types and the leaves only.
//!
//! Invariants:
//! - No finding is lost to the prefilter: a rule whose windows exceed
//!   `max_windows_per_rule`, or every rule when Vectorscan fails, is
//!   confirmed over the whole buffer instead (and counted in the stats).
//! - Inputs longer than one Vectorscan block (`u32::MAX` bytes) are scanned
//!   in overlapping segments; overlapping hits merge into the same window.
//! - All per-buffer state lives in the [`BufferScratch`]; window lists are
//!   left empty afterwards.

use crate::compiled::{Engine, PatternTarget};
use crate::confirm::{confirm_rule, Region};
use crate::scan_types::{PendingFinding, RegexState, Utf16Match};
use crate::stats::ScanStats;
use crate::utf16::{transcode, Variant};
use crate::vectorscan::{Database, VsScratch};

/// Largest buffer one Vectorscan block scan accepts.
pub(crate) const MAX_BLOCK: usize = u32::MAX as usize;

/// How the candidate regions are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Prefilter {
    /// Vectorscan anchors, scanning in segments of at most this many bytes.
    Anchors { segment_len: usize },
    /// No prefilter: every rule's regex over the whole input (reference).
    Off,
}

/// Window slots per rule: raw, UTF-16LE, UTF-16BE (slot = rule * 3 + variant).
pub(crate) const VARIANTS: usize = 3;

/// Candidate windows of one rule in the current buffer.
#[derive(Debug, Default)]
pub(crate) struct RuleWindows {
    /// Half-open byte ranges `[lo, hi)`, merged when they overlap.
    pub spans: Vec<(u64, u64)>,
    /// Set when the window cap was exceeded: confirm over the whole buffer.
    pub whole_buffer: bool,
}

/// Reusable state of the per-buffer pass: the Vectorscan scratch, the
/// windows of each (rule, variant) slot, the rules' regex states, the
/// matches of the buffer last confirmed and the counters. Part of the
/// public [`crate::Scratch`].
#[derive(Debug)]
pub(crate) struct BufferScratch {
    engine_id: u64,
    pub(crate) vs: VsScratch,
    pub(crate) windows: Vec<RuleWindows>,
    pub(crate) touched: Vec<u32>,
    pub(crate) regex_states: Vec<Option<RegexState>>,
    pub(crate) pending: Vec<PendingFinding>,
    /// UTF-16 matches of the buffer last confirmed, their text in `utf16_text`.
    pub(crate) utf16_found: Vec<Utf16Match>,
    pub(crate) utf16_text: Vec<u8>,
    /// Transcoding buffers of one UTF-16 window.
    pub(crate) utf16_window: Vec<u8>,
    pub(crate) utf16_map: Vec<u32>,
    pub(crate) stats: ScanStats,
}

impl BufferScratch {
    /// An empty scratch; it sizes itself on first use.
    pub(crate) fn new() -> BufferScratch {
        BufferScratch {
            engine_id: 0,
            vs: VsScratch::empty(),
            windows: Vec::new(),
            touched: Vec::new(),
            regex_states: Vec::new(),
            pending: Vec::new(),
            utf16_found: Vec::new(),
            utf16_text: Vec::new(),
            utf16_window: Vec::new(),
            utf16_map: Vec::new(),
            stats: ScanStats::default(),
        }
    }

    /// Whether the scratch was last made ready for `engine` (then
    /// [`BufferScratch::prepare`] keeps everything as it is).
    pub(crate) fn is_ready_for(&self, engine: &Engine) -> bool {
        self.engine_id == engine.id
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
}

/// Runs the prefilter over `buf` and confirms every candidate window,
/// appending confirmed matches (offsets relative to `buf`) to
/// `scratch.pending`. Used for the root input and for decoded buffers alike.
pub(crate) fn confirm_buffer(
    engine: &Engine,
    scratch: &mut BufferScratch,
    buf: &[u8],
    prefilter: Prefilter,
) {
    let ready = scratch.prepare(engine);
    let prefilter_ok = match prefilter {
        Prefilter::Anchors { segment_len } => {
            ready && collect_windows(engine, scratch, buf, segment_len.max(1))
        }
        Prefilter::Off => false,
    };
    if !prefilter_ok {
        if prefilter != Prefilter::Off {
            scratch.stats.prefilter_errors += 1;
        }
        // Without the prefilter every rule is confirmed over the whole
        // buffer as raw text (UTF-16 text needs anchor hits to be found).
        scratch.touched.clear();
        for (idx, w) in scratch.windows.iter_mut().enumerate() {
            w.spans.clear();
            w.whole_buffer = idx % VARIANTS == 0;
            if w.whole_buffer {
                scratch.touched.push(idx as u32);
            }
        }
    }
    scratch.utf16_found.clear();
    scratch.utf16_text.clear();
    confirm_touched(engine, scratch, buf);
    drop_misaligned_twins(&mut scratch.utf16_found, &scratch.utf16_text);
}

/// The raw database to scan `segment` with: without a NUL byte no UTF-16
/// form of an anchor can match, so the one without them when there is one.
fn raw_db_for<'e>(engine: &'e Engine, segment: &[u8]) -> &'e Database {
    match &engine.raw_db_no_nul {
        Some(db) if memchr::memchr(0, segment).is_none() => db,
        _ => &engine.raw_db,
    }
}

/// Calls `on_hit` with the end offset of every anchor hit in `buf` (at most
/// [`MAX_BLOCK`] bytes), with the database [`confirm_buffer`] would use;
/// nothing is confirmed or counted. Returns `false` if the prefilter
/// failed (the caller then confirms without the gate).
pub(crate) fn anchor_hit_ends(
    engine: &Engine,
    scratch: &mut BufferScratch,
    buf: &[u8],
    mut on_hit: impl FnMut(u64),
) -> bool {
    if buf.len() > MAX_BLOCK || !scratch.prepare(engine) {
        return false;
    }
    scratch
        .vs
        .scan_block(raw_db_for(engine, buf), buf, |_, end| {
            on_hit(end);
            true
        })
        .is_ok()
}

/// Scans `input` for anchors and fills the per-rule windows. Returns `false`
/// if Vectorscan reported an error.
fn collect_windows(
    engine: &Engine,
    scratch: &mut BufferScratch,
    input: &[u8],
    segment_len: usize,
) -> bool {
    let overlap = engine.max_prefilter_width.min(segment_len as u64 / 2) as usize;
    let BufferScratch {
        vs,
        windows,
        touched,
        stats,
        ..
    } = scratch;
    let max_windows = engine.tuning.max_windows_per_rule;
    let mut seg_start = 0usize;
    loop {
        let seg_end = input.len().min(seg_start.saturating_add(segment_len));
        let base = seg_start as u64;
        let segment = &input[seg_start..seg_end];
        let res = vs.scan_block(raw_db_for(engine, segment), segment, |id, end| {
            stats.anchor_hits += 1;
            let end = base + end;
            match &engine.patterns[id as usize] {
                PatternTarget::Anchor {
                    len,
                    rules,
                    variant,
                } => {
                    for &r in rules {
                        let window =
                            engine.rules[r as usize].window(end, Some((*len, variant.width())));
                        let slot = r as usize * VARIANTS + variant.index();
                        add_window(
                            &mut windows[slot],
                            touched,
                            slot as u32,
                            window,
                            max_windows,
                        );
                    }
                }
                PatternTarget::WholeRule { rule } => {
                    let window = engine.rules[*rule as usize].window(end, None);
                    let slot = *rule as usize * VARIANTS;
                    add_window(
                        &mut windows[slot],
                        touched,
                        slot as u32,
                        window,
                        max_windows,
                    );
                }
            }
            true
        });
        if res.is_err() {
            return false;
        }
        if seg_end >= input.len() {
            return true;
        }
        seg_start = seg_end - overlap;
    }
}

/// Records a candidate window in a (rule, variant) slot, merging it into the
/// previous one when they overlap. When the cap is exceeded, a raw slot
/// switches to a whole-buffer confirm; a UTF-16 slot (which must keep its
/// code-unit alignment) extends its last window instead.
fn add_window(
    w: &mut RuleWindows,
    touched: &mut Vec<u32>,
    slot: u32,
    (lo, hi): (u64, u64),
    max_windows: usize,
) {
    if w.whole_buffer {
        return;
    }
    if w.spans.is_empty() {
        touched.push(slot);
    }
    if let Some(last) = w.spans.last_mut() {
        if lo <= last.1 && hi >= last.0 {
            last.0 = last.0.min(lo);
            last.1 = last.1.max(hi);
            return;
        }
    }
    if w.spans.len() >= max_windows {
        if (slot as usize).is_multiple_of(VARIANTS) {
            w.spans.clear();
            w.whole_buffer = true;
        } else if let Some(last) = w.spans.last_mut() {
            last.1 = last.1.max(hi);
        }
        return;
    }
    w.spans.push((lo, hi));
}

/// Confirms every touched rule and leaves the window lists empty.
fn confirm_touched(engine: &Engine, scratch: &mut BufferScratch, input: &[u8]) {
    let BufferScratch {
        windows,
        touched,
        regex_states,
        pending,
        stats,
        utf16_found,
        utf16_text,
        utf16_window,
        utf16_map,
        ..
    } = scratch;
    for &slot in touched.iter() {
        let slot = slot as usize;
        let r = slot / VARIANTS;
        let variant = Variant::ALL[slot % VARIANTS];
        let w = &mut windows[slot];
        let state = RegexState::of_rule(regex_states, engine, r);
        if variant != Variant::Raw {
            sort_and_merge(&mut w.spans);
            for &(lo, hi) in &w.spans {
                stats.windows += 1;
                let out = Utf16Out {
                    found: utf16_found,
                    text: utf16_text,
                    window: utf16_window,
                    map: utf16_map,
                };
                confirm_utf16_window(
                    engine,
                    r,
                    variant,
                    state,
                    input,
                    (lo, hi),
                    out,
                    pending,
                    stats,
                );
            }
        } else if w.whole_buffer {
            stats.rules_fully_scanned += 1;
            confirm_rule(engine, r, state, input, Region::Whole, pending, stats);
        } else {
            sort_and_merge(&mut w.spans);
            for &(lo, hi) in &w.spans {
                stats.windows += 1;
                confirm_rule(
                    engine,
                    r,
                    state,
                    input,
                    Region::Window(lo, hi),
                    pending,
                    stats,
                );
            }
        }
        w.spans.clear();
        w.whole_buffer = false;
    }
    touched.clear();
}

/// ASCII text in UTF-16LE, read one byte later, is also valid UTF-16BE (and
/// the reverse), so one secret can match in both forms a byte apart. Keeps
/// the form whose secret starts at an even offset, the alignment of text
/// that starts at the buffer start or after a byte-order mark.
fn drop_misaligned_twins(found: &mut Vec<Utf16Match>, text: &[u8]) {
    if found.len() < 2 {
        return;
    }
    let twin_of = |m: &Utf16Match, n: &Utf16Match| {
        m.rule == n.rule
            && m.variant != n.variant
            && m.start.abs_diff(n.start) == 1
            && text[m.secret.clone()] == text[n.secret.clone()]
    };
    let mut i = 0;
    while i < found.len() {
        let odd_twin = found[i].start % 2 == 1
            && found
                .iter()
                .any(|n| n.start % 2 == 0 && twin_of(&found[i], n));
        if odd_twin {
            found.swap_remove(i);
        } else {
            i += 1;
        }
    }
}

/// Buffers of UTF-16 confirmation.
struct Utf16Out<'a> {
    found: &'a mut Vec<Utf16Match>,
    text: &'a mut Vec<u8>,
    window: &'a mut Vec<u8>,
    map: &'a mut Vec<u32>,
}

/// Transcodes a UTF-16 window (with four characters of context on each side)
/// to UTF-8, confirms the rule there, and records each match with its span
/// mapped back to the UTF-16 bytes.
#[allow(clippy::too_many_arguments)]
fn confirm_utf16_window(
    engine: &Engine,
    rule: usize,
    variant: Variant,
    state: &mut RegexState,
    input: &[u8],
    (lo, hi): (u64, u64),
    out: Utf16Out<'_>,
    pending: &mut Vec<PendingFinding>,
    stats: &mut ScanStats,
) {
    let len = input.len() as u64;
    let lo = lo.min(len);
    let back = lo.min(8) & !1;
    let ctx_lo = lo - back;
    let mut ctx_hi = (hi + 8).min(len);
    if (ctx_hi - ctx_lo) % 2 == 1 {
        ctx_hi -= 1;
    }
    if ctx_hi <= ctx_lo {
        return;
    }
    let big_endian = variant == Variant::Utf16Be;
    transcode(
        &input[ctx_lo as usize..ctx_hi as usize],
        big_endian,
        out.window,
        out.map,
    );
    let map = &*out.map;
    let text = &*out.window;
    let a = map.partition_point(|&m| u64::from(m) < lo - ctx_lo);
    let b = map.partition_point(|&m| u64::from(m) < hi.min(ctx_hi) - ctx_lo);
    let mark = pending.len();
    confirm_rule(
        engine,
        rule,
        state,
        text,
        Region::Window(a as u64, b as u64),
        pending,
        stats,
    );
    for p in pending.drain(mark..) {
        let secret_at = out.text.len();
        out.text
            .extend_from_slice(&text[p.secret_start as usize..p.secret_end as usize]);
        let matched_at = out.text.len();
        out.text
            .extend_from_slice(&text[p.match_start as usize..p.match_end as usize]);
        out.found.push(Utf16Match {
            rule: rule as u32,
            variant,
            start: ctx_lo + u64::from(map[p.secret_start as usize]),
            end: ctx_lo + u64::from(map[p.secret_end as usize]),
            secret: secret_at..matched_at,
            matched: matched_at..out.text.len(),
        });
    }
}

/// Sorts windows and merges overlapping ones (segment overlaps can produce
/// out-of-order or duplicate windows).
fn sort_and_merge(spans: &mut Vec<(u64, u64)>) {
    if spans.windows(2).all(|p| p[0].1 < p[1].0) {
        return;
    }
    spans.sort_unstable();
    let mut out = 0;
    for i in 1..spans.len() {
        if spans[i].0 <= spans[out].1 {
            spans[out].1 = spans[out].1.max(spans[i].1);
        } else {
            out += 1;
            spans[out] = spans[i];
        }
    }
    spans.truncate(out + 1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_sorts_and_joins_overlaps() {
        let mut v = vec![(10, 20), (0, 5), (4, 8), (20, 25), (30, 31)];
        sort_and_merge(&mut v);
        assert_eq!(v, vec![(0, 8), (10, 25), (30, 31)]);
    }

    #[test]
    fn add_window_merges_and_caps() {
        let mut w = RuleWindows::default();
        let mut touched = Vec::new();
        add_window(&mut w, &mut touched, 3, (0, 10), 2);
        add_window(&mut w, &mut touched, 3, (5, 12), 2);
        add_window(&mut w, &mut touched, 3, (20, 30), 2);
        assert_eq!(w.spans, vec![(0, 12), (20, 30)]);
        assert_eq!(touched, vec![3]);
        add_window(&mut w, &mut touched, 3, (40, 50), 2);
        assert!(w.whole_buffer);
        assert!(w.spans.is_empty());
        assert_eq!(touched, vec![3]);
    }
}
