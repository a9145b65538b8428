//! Streaming decode of one encoded span: the decoder's chunks flow into a
//! bounded ring buffer, a Vectorscan stream of the rules' anchors, the child
//! span finders and the dedupe digest; each anchor hit schedules a window on
//! a timing wheel keyed by the window's end, and the window is confirmed once
//! the decoded offset has passed that end (plus a little look-ahead context).
//!
//! Invariants:
//! - Decoded offsets are monotonic from 0 for each span; the ring holds the
//!   last `decode_ring_bytes` of them.
//! - A window `[lo, hi)` is confirmed over `[lo - 4, hi + 5)` (clamped): four
//!   bytes of look-behind for `\b`, one byte for the right-edge re-search of
//!   a match ending at `hi`, four bytes of look-ahead. It fires when the
//!   decoded offset reaches `hi + 5`, or at the end of the span.
//! - Windows of one rule fire in order of `hi`; a window starts its search no
//!   earlier than the end of the rule's last match, so overlapping windows do
//!   not report a match twice.
//! - Window bytes come from the ring, or are re-decoded from the encoded span
//!   when evicted. Whenever a cap is hit (windows per rule, pending windows,
//!   a child span no longer in the ring, the slab budget, a Vectorscan error,
//!   a UTF-16 anchor hit, whose windows need transcoding)
//!   the result is [`Outcome::Fallback`]: the caller discards what this span
//!   staged and decodes it fully instead. Nothing is lost.
//! - An inflated item (a compressed stream inside Base64) flows through the
//!   same machinery, its decoder being the Base64 decoder followed by the
//!   inflater, with two differences: its output stops at its inflation
//!   budget, so [`Outcome::Budget`] never ends it; and a window whose bytes
//!   left the ring is a fallback, not a re-decode (re-inflating from the
//!   stream's start for each such window would cost the whole stream each
//!   time).

use std::ops::ControlFlow;

use crate::compiled::{Engine, PatternTarget};
use crate::confirm::{confirm_rule, Region};
use crate::scan_types::{PendingFinding, RegexState};
use crate::stats::ScanStats;
use crate::structures::{ByteRing, Push, TimingWheel};
use crate::transform::{stream_decode, Span, SpanFinder, TransformConfig};
use crate::utf16::Variant;
use crate::vectorscan::{VsScratch, VsStream};

use super::digest::DecodedDigest;
use super::inflate::{InflateEnd, Inflater, ItemDecoder};

/// Look-behind context copied before a window.
const BEFORE: u64 = 4;
/// Bytes after a window: one for the right-edge re-search, four of look-ahead.
const AFTER: u64 = 5;

/// A candidate window of one rule in decoded offsets.
#[derive(Clone, Copy, Debug)]
struct Window {
    rule: u32,
    lo: u64,
    hi: u64,
}

/// How streaming one span ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Decoded and scanned completely; `decoded_len` bytes; for an inflated
    /// item, how its stream ended.
    Finished {
        decoded_len: u64,
        inflate: Option<InflateEnd>,
    },
    /// A cap was hit or data could not be materialised: decode fully instead.
    Fallback,
    /// The decoded-bytes budget ran out.
    Budget,
    /// The span is not valid encoding.
    Invalid,
}

/// A child span found in the decoded stream, its encoded bytes in the slab.
#[derive(Clone, Debug)]
pub(crate) struct Child {
    pub transform: usize,
    pub slab: std::ops::Range<usize>,
    /// Offset of the child span in the decoded stream.
    pub at: u64,
}

/// Reusable state of the streaming path.
#[derive(Debug)]
pub(crate) struct StreamingPath {
    stream: Option<VsStream>,
    ring: ByteRing,
    wheel: TimingWheel<Window>,
    finders: Vec<SpanFinder>,
    windows_per_rule: Vec<u32>,
    last_end: Vec<u64>,
    touched: Vec<u32>,
    window_buf: Vec<u8>,
    redecode_chunk: Vec<u8>,
    inflater: Inflater,
    /// Child spans found in the current span.
    pub(crate) children: Vec<Child>,
}

impl StreamingPath {
    pub(crate) fn new(engine: &Engine) -> StreamingPath {
        let t = &engine.tuning;
        StreamingPath {
            stream: None,
            ring: ByteRing::with_capacity(t.decode_ring_bytes.max(1)),
            wheel: TimingWheel::new(256, 64, t.max_pending_windows),
            // Uncapped: the number of nested spans is limited below, where
            // too many send the span to the full-decode path (which queues
            // them as room frees up) instead of losing the rest.
            finders: t
                .transforms
                .iter()
                .map(|cfg| SpanFinder::new(&cfg.uncapped()))
                .collect(),
            windows_per_rule: vec![0; engine.rules.len()],
            last_end: vec![0; engine.rules.len()],
            touched: Vec::new(),
            window_buf: Vec::new(),
            redecode_chunk: Vec::new(),
            inflater: Inflater::default(),
            children: Vec::new(),
        }
    }

    fn reset(&mut self) {
        self.ring.reset();
        self.wheel.reset();
        for f in &mut self.finders {
            f.reset();
        }
        for &r in &self.touched {
            self.windows_per_rule[r as usize] = 0;
            self.last_end[r as usize] = 0;
        }
        self.touched.clear();
        self.children.clear();
    }
}

/// Receives each confirmed match: (rule index, secret, whole match, decoded
/// offset of the secret).
pub(crate) type MatchSink<'a> = dyn FnMut(u32, &[u8], &[u8], u64) + 'a;

/// What the streaming path borrows from the scan's scratch.
pub(crate) struct ScanParts<'a> {
    pub vs: &'a mut VsScratch,
    pub regex_states: &'a mut [Option<RegexState>],
    pub pending: &'a mut Vec<PendingFinding>,
    pub stats: &'a mut ScanStats,
}

/// Streams one span. `on_match(rule, secret, matched)` receives each confirmed
/// match (the caller stages it: on any outcome but `Finished` it is discarded).
/// Child spans are copied into `slab` (at most `slab_budget` bytes, at most
/// `max_children` of them) and listed in `sd.children` when `find_children`
/// is set; more send the span to the full-decode fallback.
#[allow(clippy::too_many_arguments)]
pub(crate) fn stream_span(
    engine: &Engine,
    sd: &mut StreamingPath,
    parts: ScanParts<'_>,
    dec: ItemDecoder<'_>,
    encoded: &[u8],
    limit: usize,
    chunk_buf: &mut Vec<u8>,
    digest: &mut DecodedDigest,
    find_children: bool,
    slab: &mut Vec<u8>,
    slab_budget: usize,
    max_children: usize,
    on_match: &mut MatchSink<'_>,
) -> Outcome {
    sd.reset();
    let ScanParts {
        vs,
        regex_states,
        pending,
        stats,
    } = parts;
    if sd.stream.is_none() {
        match vs.open_stream(&engine.stream_db) {
            Ok(s) => sd.stream = Some(s),
            Err(_) => return Outcome::Fallback,
        }
    }
    let StreamingPath {
        stream,
        ring,
        wheel,
        finders,
        windows_per_rule,
        last_end,
        touched,
        window_buf,
        redecode_chunk,
        inflater,
        children,
    } = sd;
    let stream = stream.as_mut().expect("opened above");
    let budgets = ChildBudgets {
        slab_start: slab.len(),
        slab_bytes: slab_budget,
        count: max_children,
    };
    let mut decoded_end = 0u64;
    let mut outcome = None;

    let mut fire = |w: Window,
                    decoded_end: u64,
                    ring: &ByteRing,
                    redecode_chunk: &mut Vec<u8>,
                    stats: &mut ScanStats|
     -> bool {
        let r = w.rule as usize;
        let lo = w.lo.max(last_end[r]);
        if lo >= w.hi {
            return true;
        }
        let ctx_lo = w.lo.saturating_sub(BEFORE);
        let ctx_hi = (w.hi + AFTER).min(decoded_end);
        window_buf.clear();
        if !ring.copy_range(ctx_lo, ctx_hi, window_buf) {
            if dec.inflate.is_some()
                || !redecode(dec.cfg, encoded, ctx_lo, ctx_hi, window_buf, redecode_chunk)
            {
                return false;
            }
            stats.windows_redecoded += 1;
        }
        stats.windows += 1;
        let state = RegexState::of_rule(regex_states, engine, r);
        let mark = pending.len();
        let region = Region::Window(lo - ctx_lo, w.hi.min(ctx_hi) - ctx_lo);
        confirm_rule(engine, r, state, window_buf, region, pending, stats);
        for p in pending.drain(mark..) {
            last_end[r] = last_end[r].max(ctx_lo + p.match_end);
            let secret = &window_buf[p.secret_start as usize..p.secret_end as usize];
            let matched = &window_buf[p.match_start as usize..p.match_end as usize];
            on_match(w.rule, secret, matched, ctx_lo + p.secret_start);
        }
        true
    };

    // Schedules the windows of one anchor hit; false when a cap is hit.
    let schedule = |id: u32,
                    end: u64,
                    wheel: &mut TimingWheel<Window>,
                    touched: &mut Vec<u32>,
                    windows_per_rule: &mut [u32]| {
        let mut push = |rule: u32, lo: u64, hi: u64| -> bool {
            let n = &mut windows_per_rule[rule as usize];
            if *n == 0 {
                touched.push(rule);
            }
            *n += 1;
            if *n as usize > engine.tuning.max_windows_per_rule {
                return false;
            }
            matches!(
                wheel.push(hi + AFTER, Window { rule, lo, hi }),
                Ok(Push::Scheduled)
            )
        };
        match &engine.patterns[id as usize] {
            // UTF-16 text inside a streamed span is confirmed by the
            // full-decode path, which transcodes windows.
            PatternTarget::Anchor { variant, .. } if *variant != Variant::Raw => false,
            PatternTarget::Anchor {
                len,
                rules,
                variant,
            } => rules.iter().all(|&rule| {
                let (lo, hi) =
                    engine.rules[rule as usize].window(end, Some((*len, variant.width())));
                push(rule, lo, hi)
            }),
            PatternTarget::WholeRule { rule } => {
                let (lo, hi) = engine.rules[*rule as usize].window(end, None);
                push(*rule, lo, hi)
            }
        }
    };

    let decoded = dec.decode(inflater, encoded, chunk_buf, |chunk: &[u8]| {
        if decoded_end as usize + chunk.len() > limit {
            outcome = Some(Outcome::Budget);
            return ControlFlow::Break(());
        }
        digest.update(chunk);
        ring.push(chunk);
        let chunk_start = decoded_end;
        decoded_end += chunk.len() as u64;

        let mut capped = false;
        let scanned = vs.scan_stream(stream, chunk, |id, end| {
            stats.anchor_hits += 1;
            capped = !schedule(id, end, wheel, touched, windows_per_rule);
            !capped
        });
        if scanned.is_err() || capped {
            outcome = Some(Outcome::Fallback);
            return ControlFlow::Break(());
        }

        if find_children {
            let mut lost = false;
            for (t, finder) in finders.iter_mut().enumerate() {
                let _ = finder.feed(chunk, chunk_start, &mut |span: Span| {
                    if !take_child(t, span, ring, slab, budgets, children) {
                        lost = true;
                        return ControlFlow::Break(());
                    }
                    ControlFlow::Continue(())
                });
            }
            if lost {
                outcome = Some(Outcome::Fallback);
                return ControlFlow::Break(());
            }
        }

        let mut ok = true;
        wheel.advance(decoded_end, |_, w| {
            if ok {
                ok = fire(w, decoded_end, ring, redecode_chunk, stats);
            }
        });
        if !ok {
            outcome = Some(Outcome::Fallback);
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    let (decode_result, inflate_end) = decoded;

    // End of data: end-of-data matches, the finders' last spans, the windows
    // still pending. The stream is reset either way, ready for the next span.
    let mut capped = false;
    let reset = vs.reset_stream(stream, |id, end| {
        capped |= !schedule(id, end, wheel, touched, windows_per_rule);
        true
    });
    if let Some(o) = outcome {
        return o;
    }
    if decode_result.is_err() {
        return Outcome::Invalid;
    }
    if reset.is_err() || capped {
        return Outcome::Fallback;
    }
    if find_children {
        let mut lost = false;
        for (t, finder) in finders.iter_mut().enumerate() {
            let _ = finder.finish(&mut |span: Span| {
                if !take_child(t, span, ring, slab, budgets, children) {
                    lost = true;
                    return ControlFlow::Break(());
                }
                ControlFlow::Continue(())
            });
        }
        if lost {
            return Outcome::Fallback;
        }
    }
    let mut ok = true;
    wheel.drain_all(|_, w| {
        if ok {
            ok = fire(w, decoded_end, ring, redecode_chunk, stats);
        }
    });
    if !ok {
        return Outcome::Fallback;
    }
    Outcome::Finished {
        decoded_len: decoded_end,
        inflate: inflate_end,
    }
}

/// Limits on the nested spans one streamed span may collect.
#[derive(Clone, Copy)]
struct ChildBudgets {
    /// Where this span's children start in the slab.
    slab_start: usize,
    /// Most bytes of children in the slab.
    slab_bytes: usize,
    /// Most children (the room left in the decode queue).
    count: usize,
}

/// Copies a child span's encoded bytes from the ring into the slab; false if
/// they are no longer in the ring or a budget is exhausted (the caller then
/// falls back to the full-decode path).
fn take_child(
    transform: usize,
    span: Span,
    ring: &ByteRing,
    slab: &mut Vec<u8>,
    budgets: ChildBudgets,
    children: &mut Vec<Child>,
) -> bool {
    let len = span.len() as usize;
    if slab.len() - budgets.slab_start + len > budgets.slab_bytes || children.len() >= budgets.count
    {
        return false;
    }
    let at = slab.len();
    if !ring.copy_range(span.start, span.end, slab) {
        return false;
    }
    children.push(Child {
        transform,
        slab: at..slab.len(),
        at: span.start,
    });
    true
}

/// Decodes `encoded` again and keeps only decoded bytes `[lo, hi)` in `out`;
/// true when all of them were produced.
fn redecode(
    cfg: &TransformConfig,
    encoded: &[u8],
    lo: u64,
    hi: u64,
    out: &mut Vec<u8>,
    chunk: &mut Vec<u8>,
) -> bool {
    out.clear();
    let mut offset = 0u64;
    let _ = stream_decode(cfg, encoded, chunk, |c: &[u8]| {
        let start = offset;
        offset += c.len() as u64;
        if offset > lo && start < hi {
            let from = lo.saturating_sub(start) as usize;
            let to = (hi.min(offset) - start) as usize;
            out.extend_from_slice(&c[from..to]);
        }
        if offset >= hi {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    out.len() as u64 == hi - lo
}
