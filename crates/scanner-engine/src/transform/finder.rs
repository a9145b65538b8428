//! The span-finder driver shared by every encoding.
//!
//! An encoding supplies a [`SpanGrammar`]: its per-byte state machine
//! ([`SpanGrammar::step`], the reference semantics), optionally a fast path
//! over a whole chunk ([`SpanGrammar::scan`]), and how to close the open run
//! at a gap or at the end of the stream. [`Finder<G>`] does the rest, once
//! for all encodings: the chunk protocol (absolute offsets, a gap closes the
//! open run), `finish`, `reset`, the early stop, and the span cap and
//! counters ([`Reporter`]). `Base64SpanFinder`, `UrlSpanFinder`,
//! `HexSpanFinder`, `EscapeSpanFinder` and `HtmlSpanFinder` are `Finder`s
//! over their grammars; everything is static dispatch, so a grammar's hot
//! loops compile as if written in place.
//!
//! **Adding an encoding** takes about a page
//! (a complete hex grammar is in `docs/transforms.md`, "Adding an
//! encoding"): a grammar struct (its [`Limits`] and the open run's
//! scalars), `MIN_PIECE`, `new`, `step`, `end_stream` and `open_start`, and
//! `pub type HexSpanFinder = Finder<HexGrammar>;`. Leave `scan` to its
//! default (stepping every byte) until a profile asks for a fast path. Then
//! wire it: a `TransformKind` and its defaults, a `SpanFinder` variant, the
//! decoder and `encoded_range`, and one arm in `testing::log_feeds` plus
//! its atoms in `finder_soup`, which put it under the shared property tests
//! (`transform::tests`). The grammar must keep these invariants, which
//! those tests check:
//!
//! - **O(1) state.** Scalar fields only: no heap, no buffer of past bytes.
//!   A span is described by its offsets; what a rule needs to remember about
//!   the bytes (a count, a flag, the offset of an escape) is kept as it
//!   goes.
//! - **Chunk invariance.** The spans, counts and `open_start` depend only on
//!   the bytes and their offsets, never on how they are split into chunks:
//!   `step` sees one byte at a time, and a `scan` fast path must have exactly
//!   the effect of `step` on each byte it covers (`fast_feed_matches_bytewise`
//!   compares the two).
//! - **Bounded report lag.** A span is reported at most
//!   [`MAX_REPORT_LAG`](super::MAX_REPORT_LAG) bytes after its end
//!   (look-ahead is bounded), and `open_start` never lies after the start of
//!   a span still to be reported; raise the constant if a grammar needs
//!   more look-ahead.
//! - **Caps counted.** Every qualifying span goes through
//!   [`Reporter::report`], which applies `max_spans_per_buffer` and counts
//!   what it drops; every cut of a run at `max_encoded_len` is counted with
//!   [`Reporter::count_cuts`]. After a `Break` from `report`, return it at
//!   once (`?`).
//! - Offsets saturate instead of overflowing; nothing panics.

use core::fmt;
use core::ops::ControlFlow;

use super::{to_u64, Span, SpanCounts, TransformConfig};

/// The per-encoding half of a span finder: a state machine over bytes at
/// absolute offsets, reporting spans through a [`Reporter`]. See the module
/// docs for the invariants an implementation keeps.
pub trait SpanGrammar: Clone + fmt::Debug {
    /// The shortest piece a run can be cut into: a smaller
    /// `max_encoded_len` is raised to this.
    const MIN_PIECE: u64;

    /// The grammar with these limits, no run open and no context: also how
    /// the driver resets it. Allocates nothing.
    fn new(lim: Limits) -> Self;

    /// Takes byte `b` at absolute offset `pos`: the reference semantics.
    fn step(&mut self, b: u8, pos: u64, out: &mut Reporter<'_>) -> ControlFlow<()>;

    /// Takes a whole chunk, its first byte at `chunk_start`, with exactly
    /// the effect of [`Self::step`] on each byte (the default). Fast paths
    /// go here.
    #[inline]
    fn scan(&mut self, chunk: &[u8], chunk_start: u64, out: &mut Reporter<'_>) -> ControlFlow<()> {
        step_each(self, chunk, chunk_start, out)
    }

    /// The input is interrupted (a gap in the offsets, or the end of the
    /// stream): closes the open run as a separator byte would, reporting
    /// what qualifies, and forgets any context carried from byte to byte.
    fn end_stream(&mut self, out: &mut Reporter<'_>) -> ControlFlow<()>;

    /// The start of the earliest span the grammar may still report, if a
    /// run is open.
    fn open_start(&self) -> Option<u64>;
}

/// The limits of a grammar, from its [`TransformConfig`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// `min_len`: the shortest span reported, in the grammar's unit.
    pub min_len: u64,
    /// `max_encoded_len` in bytes, at least [`SpanGrammar::MIN_PIECE`]:
    /// a longer run is cut into pieces of at most this length.
    pub max_len: u64,
}

/// [`SpanGrammar::step`] on each byte of `chunk`, the first at
/// `chunk_start`.
#[inline]
fn step_each<G: SpanGrammar>(
    grammar: &mut G,
    chunk: &[u8],
    chunk_start: u64,
    out: &mut Reporter<'_>,
) -> ControlFlow<()> {
    let mut pos = chunk_start;
    for &b in chunk {
        grammar.step(b, pos, out)?;
        pos = pos.saturating_add(1);
    }
    ControlFlow::Continue(())
}

/// The span cap, the counters and the early stop of one finder.
#[derive(Clone, Debug)]
struct Tally {
    max_spans: u64,
    counts: SpanCounts,
    stopped: bool,
}

/// Where a grammar's spans go: the caller's callback, behind the span cap
/// (`max_spans_per_buffer`) and the counters.
pub struct Reporter<'a> {
    tally: &'a mut Tally,
    on_span: &'a mut dyn FnMut(Span) -> ControlFlow<()>,
}

impl Reporter<'_> {
    /// Reports a span that qualifies: hands it to the callback, or counts it
    /// in [`SpanCounts::dropped`] once the cap is reached. Returns `Break`
    /// iff the callback did; the finder is then stopped until reset.
    #[inline]
    pub fn report(&mut self, span: Span) -> ControlFlow<()> {
        let tally = &mut *self.tally;
        if tally.counts.reported >= tally.max_spans {
            tally.counts.dropped = tally.counts.dropped.saturating_add(1);
            return ControlFlow::Continue(());
        }
        tally.counts.reported += 1;
        let flow = (self.on_span)(span);
        if flow.is_break() {
            tally.stopped = true;
        }
        flow
    }

    /// Counts `n` cuts of runs longer than `max_encoded_len`
    /// ([`SpanCounts::cut`]).
    #[inline]
    pub fn count_cuts(&mut self, n: u64) {
        self.tally.counts.cut = self.tally.counts.cut.saturating_add(n);
    }
}

/// An incremental span finder: a [`SpanGrammar`] driven through chunks.
/// Holds no heap memory. Its methods are those of
/// [`SpanFinder`](super::SpanFinder), statically dispatched.
#[derive(Clone, Debug)]
pub struct Finder<G> {
    grammar: G,
    /// The grammar's limits, to start it afresh on reset.
    lim: Limits,
    tally: Tally,
    /// Where the next chunk is expected to start.
    next_pos: Option<u64>,
}

impl<G: SpanGrammar> Finder<G> {
    /// A finder with `cfg`'s `min_len`, `max_spans_per_buffer` and
    /// `max_encoded_len` (`cfg.kind` is not checked). Allocates nothing.
    #[must_use]
    pub fn new(cfg: &TransformConfig) -> Self {
        let lim = Limits {
            min_len: to_u64(cfg.min_len),
            max_len: to_u64(cfg.max_encoded_len).max(G::MIN_PIECE),
        };
        Self {
            grammar: G::new(lim),
            lim,
            tally: Tally {
                max_spans: to_u64(cfg.max_spans_per_buffer),
                counts: SpanCounts::default(),
                stopped: false,
            },
            next_pos: None,
        }
    }

    /// Scans `chunk` starting at absolute offset `chunk_start`; see
    /// [`SpanFinder::feed`](super::SpanFinder::feed).
    #[inline]
    pub fn feed(
        &mut self,
        chunk: &[u8],
        chunk_start: u64,
        on_span: &mut dyn FnMut(Span) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        self.feed_with(chunk, chunk_start, on_span, |g, out| {
            g.scan(chunk, chunk_start, out)
        })
    }

    /// Byte-at-a-time version of [`Self::feed`] (the reference semantics).
    #[cfg(test)]
    pub(crate) fn feed_bytewise(
        &mut self,
        chunk: &[u8],
        chunk_start: u64,
        on_span: &mut dyn FnMut(Span) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        self.feed_with(chunk, chunk_start, on_span, |g, out| {
            step_each(g, chunk, chunk_start, out)
        })
    }

    /// The chunk protocol around `body`, which takes the chunk's bytes:
    /// nothing once stopped; a chunk that does not start where the previous
    /// one ended first ends the stream (closing the open run).
    #[inline]
    fn feed_with(
        &mut self,
        chunk: &[u8],
        chunk_start: u64,
        on_span: &mut dyn FnMut(Span) -> ControlFlow<()>,
        body: impl FnOnce(&mut G, &mut Reporter<'_>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        if self.tally.stopped {
            return ControlFlow::Break(());
        }
        let mut out = Reporter {
            tally: &mut self.tally,
            on_span,
        };
        if self.next_pos.is_some_and(|p| p != chunk_start) {
            self.grammar.end_stream(&mut out)?;
        }
        self.next_pos = Some(chunk_start.saturating_add(to_u64(chunk.len())));
        body(&mut self.grammar, &mut out)
    }

    /// Reports the open span, if any; see
    /// [`SpanFinder::finish`](super::SpanFinder::finish).
    pub fn finish(&mut self, on_span: &mut dyn FnMut(Span) -> ControlFlow<()>) -> ControlFlow<()> {
        if self.tally.stopped {
            return ControlFlow::Break(());
        }
        self.next_pos = None;
        self.grammar.end_stream(&mut Reporter {
            tally: &mut self.tally,
            on_span,
        })
    }

    /// Forgets all state and counters.
    pub fn reset(&mut self) {
        self.grammar = G::new(self.lim);
        self.next_pos = None;
        self.tally.counts = SpanCounts::default();
        self.tally.stopped = false;
    }

    /// Counters since the last reset.
    #[must_use]
    pub fn counts(&self) -> SpanCounts {
        self.tally.counts
    }

    /// See [`SpanFinder::open_start`](super::SpanFinder::open_start).
    #[must_use]
    pub fn open_start(&self) -> Option<u64> {
        self.grammar.open_start()
    }
}

/// For a grammar's fast path inside an open run: the leading bytes of
/// `bytes` before the first one in `stop`, no more than keep the open piece
/// (`len` bytes so far) within `max_len`; adds them to `len` and returns
/// how many. Stepping them would only have counted them.
#[inline]
pub(crate) fn lengthen_piece<Stop: super::byte_class::ByteClass>(
    len: &mut u64,
    max_len: u64,
    bytes: &[u8],
) -> usize {
    let plain = super::byte_class::position::<Stop>(bytes).unwrap_or(bytes.len());
    let room = max_len.saturating_sub(*len);
    let take = usize::try_from(room).map_or(plain, |r| r.min(plain));
    *len += to_u64(take);
    take
}

/// For a grammar's fast path over `chunk[from..to]`, a gap known to hold no
/// span that qualifies (no run open before or after it): stepping it would
/// report nothing, except a cut of a run longer than `max_len`, so only a
/// gap that long is stepped.
pub(crate) fn skip_gap<G: SpanGrammar>(
    grammar: &mut G,
    max_len: u64,
    chunk: &[u8],
    (from, to): (usize, usize),
    chunk_start: u64,
    out: &mut Reporter<'_>,
) -> ControlFlow<()> {
    if to_u64(to - from) <= max_len {
        return ControlFlow::Continue(());
    }
    for (i, &b) in chunk.iter().enumerate().take(to).skip(from) {
        grammar.step(b, chunk_start.saturating_add(to_u64(i)), out)?;
    }
    ControlFlow::Continue(())
}

/// A grammar whose spans are runs of text that hold enough *markers*
/// (string escapes, character references): the escape and HTML grammars.
/// They share one fast path, [`scan_marked_runs`].
pub(crate) trait MarkedRuns: SpanGrammar {
    /// Bytes that end plain text inside a run: non-run bytes and the first
    /// byte of a marker.
    type RunStop: super::byte_class::ByteClass;
    /// Whether a run is open.
    fn in_run(&self) -> bool;
    /// Whether the open run is outside any marker, so plain text only
    /// lengthens it.
    fn in_plain_text(&self) -> bool;
    /// The open piece's length, to be lengthened, and its cap.
    fn piece_len(&mut self) -> (&mut u64, u64);
    /// With no run open at `from`: where the run holding the next possible
    /// marker at or after `from` starts (`chunk.len()` if there is none;
    /// then only the chunk's trailing run is left to step).
    fn next_run(chunk: &[u8], from: usize) -> usize;
}

/// The fast path of a [`MarkedRuns`] grammar, with exactly the effect of
/// `step` on every byte: gaps up to the run holding the next marker are
/// skipped (see [`skip_gap`]), plain text inside a run is counted in bulk,
/// and everything else (markers, the byte that closes a run) is stepped.
pub(crate) fn scan_marked_runs<G: MarkedRuns>(
    grammar: &mut G,
    chunk: &[u8],
    chunk_start: u64,
    out: &mut Reporter<'_>,
) -> ControlFlow<()> {
    let n = chunk.len();
    let mut i = 0;
    while i < n {
        if !grammar.in_run() {
            let s = G::next_run(chunk, i);
            let (_, max_len) = grammar.piece_len();
            skip_gap(grammar, max_len, chunk, (i, s), chunk_start, out)?;
            if s == n {
                break;
            }
            i = s;
        }
        // Step until the run closes (on the byte that closes it).
        while i < n {
            if grammar.in_run() && grammar.in_plain_text() {
                let (len, max_len) = grammar.piece_len();
                i += lengthen_piece::<G::RunStop>(len, max_len, &chunk[i..]);
                if i == n {
                    break;
                }
            }
            grammar.step(chunk[i], chunk_start.saturating_add(to_u64(i)), out)?;
            i += 1;
            if !grammar.in_run() {
                break;
            }
        }
    }
    ControlFlow::Continue(())
}
