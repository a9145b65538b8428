//! The raw pass: one Vectorscan block scan of the input for every rule's
//! anchors, then regex confirmation inside the windows around the hits.
//!
//! Flow: anchor hit `(pattern, end)` → for each rule sharing that anchor, the
//! window `[end - radius, end - anchor_len + radius)` (which contains every
//! match containing that anchor occurrence) → windows merged per rule →
//! [`crate::confirm`] runs the rule's regex in each window → findings sorted
//! by position, located (line/column) and passed to the sink.
//!
//! Invariants:
//! - No finding is lost to the prefilter: a rule whose windows exceed
//!   `max_windows_per_rule`, or every rule when Vectorscan fails, is
//!   confirmed over the whole buffer instead (and counted in the stats).
//! - Inputs longer than one Vectorscan block (`u32::MAX` bytes) are scanned
//!   in overlapping segments; overlapping hits merge into the same window.
//! - All per-scan state lives in the [`Scratch`] and is left empty afterwards.

use crate::confirm::{confirm_rule, Region};
use crate::engine::{Engine, PatternTarget};
use crate::finding::{DecodePath, DecodeStep, Finding};
use crate::location::LineCursor;
use crate::scratch::{
    PendingFinding, RegexState, RuleWindows, ScanStats, Scratch, Utf16Match, VARIANTS,
};
use crate::utf16::{transcode, Variant};

/// Largest buffer one Vectorscan block scan accepts.
const MAX_BLOCK: usize = u32::MAX as usize;

/// How the candidate regions are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Prefilter {
    /// Vectorscan anchors, scanning in segments of at most this many bytes.
    Anchors { segment_len: usize },
    /// No prefilter: every rule's regex over the whole input (reference).
    Off,
}

pub(crate) fn scan(
    engine: &Engine,
    scratch: &mut Scratch,
    input: &[u8],
    sink: &mut impl FnMut(Finding),
) {
    scan_with(
        engine,
        scratch,
        input,
        Prefilter::Anchors {
            segment_len: MAX_BLOCK,
        },
        sink,
    )
}

pub(crate) fn scan_with(
    engine: &Engine,
    scratch: &mut Scratch,
    input: &[u8],
    prefilter: Prefilter,
    sink: &mut impl FnMut(Finding),
) {
    scratch.stats.bytes_scanned += input.len() as u64;
    confirm_buffer(engine, scratch, input, prefilter);
    // UTF-16 matches in the root input become findings right away.
    let mut utf16 = std::mem::take(&mut scratch.root_utf16);
    utf16.clear();
    for m in &scratch.utf16_found {
        let span = (m.start, m.end);
        utf16.push(m.to_finding(engine, span, span, &DecodePath::new(), &scratch.utf16_text));
    }
    scratch.root_utf16 = utf16;
    // Set the root matches aside (reusing both vectors' capacity) so decoded
    // buffers can use `pending` for their own matches.
    let mut root = std::mem::take(&mut scratch.root_pending);
    root.clear();
    root.append(&mut scratch.pending);
    crate::decode::scan_decoded(engine, scratch, input, &root, prefilter);
    emit(engine, scratch, input, &mut root, sink);
    scratch.root_pending = root;
}

/// Runs the prefilter over `buf` and confirms every candidate window,
/// appending confirmed matches (offsets relative to `buf`) to
/// `scratch.pending`. Used for the root input and for decoded buffers alike.
pub(crate) fn confirm_buffer(
    engine: &Engine,
    scratch: &mut Scratch,
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

/// Scans `input` for anchors and fills the per-rule windows. Returns `false`
/// if Vectorscan reported an error.
fn collect_windows(
    engine: &Engine,
    scratch: &mut Scratch,
    input: &[u8],
    segment_len: usize,
) -> bool {
    let overlap = engine.max_prefilter_width.min(segment_len as u64 / 2) as usize;
    let Scratch {
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
        // Without a NUL byte no UTF-16 form of an anchor can match.
        let db = match &engine.raw_db_no_nul {
            Some(db) if memchr::memchr(0, segment).is_none() => db,
            _ => &engine.raw_db,
        };
        let res = vs.scan_block(db, segment, |id, end| {
            stats.anchor_hits += 1;
            let end = base + end;
            match &engine.patterns[id as usize] {
                PatternTarget::Anchor {
                    len,
                    rules,
                    variant,
                } => {
                    let width = variant.width();
                    for &r in rules {
                        let radius = engine.rules[r as usize].window_radius * width;
                        // Keep the window start on the anchor's code-unit parity.
                        let lo = if end >= radius {
                            end - radius
                        } else {
                            end % width
                        };
                        let slot = r as usize * VARIANTS + variant.index();
                        let window = (lo, end - len + radius);
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
                    let radius = engine.rules[*rule as usize].window_radius;
                    let window = (end.saturating_sub(radius), end);
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
fn confirm_touched(engine: &Engine, scratch: &mut Scratch, input: &[u8]) {
    let Scratch {
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
        let state = Scratch::regex_state(regex_states, engine, r);
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

/// Reports the root matches and the decoded findings merged in order of
/// position in the root input, with line and column, up to the findings cap.
fn emit(
    engine: &Engine,
    scratch: &mut Scratch,
    input: &[u8],
    root: &mut Vec<PendingFinding>,
    sink: &mut impl FnMut(Finding),
) {
    root.sort_unstable();
    root.dedup();
    let mut decoded = match scratch.decode.as_mut() {
        Some(ds) => std::mem::take(&mut ds.findings),
        None => Vec::new(),
    };
    decoded.append(&mut scratch.root_utf16);
    drop_generic_overlaps(engine, root, &mut decoded);
    decoded.sort_by(|a, b| (a.start, &a.rule_id, a.end).cmp(&(b.start, &b.rule_id, b.end)));
    let mut cursor = LineCursor::new();
    let cap = if scratch.uncapped {
        usize::MAX
    } else {
        engine.tuning.max_findings_per_scan
    };
    let total = root.len() + decoded.len();
    let mut roots = root.iter().peekable();
    let mut decs = decoded.drain(..).peekable();
    for n in 0..total {
        if n >= cap {
            scratch.stats.findings_dropped += (total - n) as u64;
            break;
        }
        let take_root = match (roots.peek(), decs.peek()) {
            (Some(r), Some(d)) => r.secret_start <= d.start,
            (Some(_), None) => true,
            _ => false,
        };
        let mut finding = if take_root {
            let p = roots.next().expect("peeked");
            raw_finding(engine, input, p)
        } else {
            decs.next().expect("peeked")
        };
        let start = (finding.start as usize).min(input.len());
        let end = (finding.end as usize).clamp(start, input.len());
        finding.encoded = input[start..end].to_vec();
        let (line, column) = cursor.locate(input, finding.start as usize);
        finding.line = line;
        finding.column = match finding.decode_path.first() {
            Some(DecodeStep::Utf16Le) => crate::utf16::column(input, finding.start as usize, false),
            Some(DecodeStep::Utf16Be) => crate::utf16::column(input, finding.start as usize, true),
            _ => column,
        };
        scratch.stats.findings += 1;
        sink(finding);
    }
    drop(decs);
    if let Some(ds) = scratch.decode.as_mut() {
        ds.findings = decoded;
    }
    root.clear();
}

/// Removes findings of generic rules whose secret overlaps a specific rule's
/// finding: in the root input by the secrets' byte spans; in decoded data by
/// the encoded bytes the secrets were located at.
fn drop_generic_overlaps(
    engine: &Engine,
    root: &mut Vec<PendingFinding>,
    decoded: &mut Vec<Finding>,
) {
    let is_generic = |rule: u32| engine.rules[rule as usize].generic;
    if root.iter().any(|p| is_generic(p.rule)) {
        let specific: Vec<(u64, u64)> = root
            .iter()
            .filter(|p| !is_generic(p.rule))
            .map(|p| (p.secret_start, p.secret_end))
            .collect();
        root.retain(|p| {
            !is_generic(p.rule)
                || !specific
                    .iter()
                    .any(|&(s, e)| s < p.secret_end && p.secret_start < e)
        });
    }
    // Decoded findings are rare; look rules up by id without allocating.
    let is_generic_id = |id: &str| engine.rules.iter().any(|r| r.generic && &*r.info.id == id);
    if !decoded.iter().any(|f| is_generic_id(&f.rule_id)) {
        return;
    }
    let snapshot: Vec<(u64, u64)> = decoded
        .iter()
        .filter(|f| !is_generic_id(&f.rule_id))
        .map(|f| (f.start, f.end))
        .collect();
    decoded.retain(|f| {
        !is_generic_id(&f.rule_id) || !snapshot.iter().any(|&(s, e)| s < f.end && f.start < e)
    });
}

/// A finding for a match in the root input (line and column filled by the caller).
fn raw_finding(engine: &Engine, input: &[u8], p: &PendingFinding) -> Finding {
    let span = (p.secret_start, p.secret_end);
    let info = &engine.rules[p.rule as usize].info;
    Finding::new(
        &info.id,
        &info.name,
        &input[p.secret_start as usize..p.secret_end as usize],
        &input[p.match_start as usize..p.match_end as usize],
        span,
        span,
        DecodePath::new(),
    )
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
