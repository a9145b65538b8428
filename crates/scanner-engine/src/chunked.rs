//! Chunked scanning of an unbounded stream: [`StreamScanner`] takes the
//! input in pieces of any size and reports the findings `scan_bytes` would
//! report on the whole input, with absolute offsets and line numbers, while
//! holding only a bounded buffer.
//!
//! How: the buffer holds the bytes from `base` on. Once it holds
//! `2 * overlap + step` bytes (or `step` more than the last round kept), it
//! is scanned whole; findings that start in
//! the *stable* region `[emitted, stable_end)` are reported, where
//! `stable_end = len - overlap`, moved back to the start of an encoded span
//! that reaches into the last `overlap` bytes (that span may continue in the
//! next chunk). Then everything more than `overlap` bytes before
//! `stable_end` is dropped (but never the start of an encoded span that
//! continues past that point), and the next round rescans from there.
//! Both cuts use the spans the round's scan found over the whole buffer
//! (kept for them in the scratch's `RootSpanLog`), so the finders do not
//! run over the buffer a second time.
//!
//! Layer 5 (pipeline): built on `Engine::scan_bytes_with`.
//!
//! Invariants:
//! - `overlap` is at least the longest window any rule can need (twice the
//!   largest width bound, for UTF-16, plus context), so a match starting in
//!   the stable region lies wholly in the buffer, with its left context.
//! - Each finding is reported once: rounds report disjoint ranges of start
//!   offsets, in increasing order.
//! - The buffer stays within about `3 * overlap + step` bytes (feed splits
//!   large chunks).
//! - A match starting before the boundary ends inside the buffer (it is at
//!   most a quarter of the overlap long), and so does an encoded span of up
//!   to `overlap` bytes. A longer span still open at the buffer's end is
//!   counted in [`StreamStats::spans_split`] and decoded in pieces, so a
//!   secret across a piece boundary can be missed.
//! - Once the sink returns `ControlFlow::Break`, the scanner is stopped: it
//!   delivers no further finding and scans nothing more until `finish` or
//!   `reset` starts a new stream.
//! - After `finish` or `reset` the scanner is in the state of a new one
//!   (offsets, lines, counters from zero), keeping only the capacity of its
//!   buffers and its scratch: reusing it reports what a new scanner would.
//! - Except a Base64 span holding a compressed stream (which cannot be
//!   inflated from a piece): it is held whole, its findings deferred, up to
//!   `Tuning::max_inflated_bytes` of encoded bytes (the buffer then grows by
//!   that much at most); a longer one is split and counted in
//!   `ScanStats::inflate_budget_hits`, once.

use std::borrow::Borrow;
use std::io::{self, Read};
use std::ops::ControlFlow;

use crate::compiled::Engine;
use crate::decode::{root_span_inflates, Inflater};
use crate::finding::{DecodeStep, Finding, SinkFlow};
use crate::scratch::Scratch;
use crate::stats::ScanStats;
use crate::transform::base64::is_base64_char;
use crate::transform::{self, find_spans, Span, TransformConfig, TransformKind};

/// The greatest offset `<= at` in the encoded span `span` from which the
/// rest of the span decodes to the rest of its decoded bytes: Base64 at a
/// multiple of four alphabet characters from the span's start, URL encoding
/// not inside a `%XX` escape, hex at an even number of digits, escapes and
/// HTML references between whole units (an escape, a surrogate pair, a
/// reference).
fn resumable_cut(cfg: &TransformConfig, span: &[u8], at: usize) -> usize {
    let at = at.min(span.len());
    match cfg.kind {
        TransformKind::Base64 => {
            let is_data = |b: &u8| is_base64_char(*b);
            let chars = span[..at].iter().filter(|b| is_data(b)).count();
            let mut keep = chars - chars % 4;
            if keep == chars {
                return at;
            }
            // The byte offset of alphabet character number `keep`.
            for (i, b) in span.iter().enumerate() {
                if is_data(b) {
                    if keep == 0 {
                        return i;
                    }
                    keep -= 1;
                }
            }
            at
        }
        TransformKind::Url => {
            let escape_at = |i: usize| span.get(i) == Some(&b'%');
            if at >= 1 && escape_at(at - 1) {
                at - 1
            } else if at >= 2 && escape_at(at - 2) {
                at - 2
            } else {
                at
            }
        }
        TransformKind::Hex => at & !1,
        TransformKind::Escape => {
            let mut cut = at;
            transform::escape::walk_units(span, |i, used, decoded| {
                if i + used <= at {
                    return ControlFlow::Continue(());
                }
                // The unit holding `at`: a literal run may be cut anywhere.
                cut = if used == decoded { at } else { i };
                ControlFlow::Break(())
            });
            cut
        }
        TransformKind::Html => {
            let mut cut = at;
            transform::html::walk_units(span, |i, used, decoded| {
                if i + used <= at {
                    return ControlFlow::Continue(());
                }
                cut = if decoded.is_none() { at } else { i };
                ControlFlow::Break(())
            });
            cut
        }
    }
}

/// Counters of a chunked scan, beside the engine's [`ScanStats`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamStats {
    /// Bytes fed.
    pub bytes_fed: u64,
    /// Times the buffer was scanned.
    pub rounds: u64,
    /// Encoded spans still open at a round's end and longer than the
    /// overlap, so decoded in pieces rather than whole.
    pub spans_split: u64,
    /// The engine's counters, summed over rounds (bytes in the overlap are
    /// counted once per round that scans them).
    pub scan: ScanStats,
}

/// Scans a stream fed in chunks. Create with [`Engine::stream`] (borrowing
/// the engine) or [`StreamScanner::new`] (with any `E: Borrow<Engine>`,
/// e.g. an `Arc<Engine>`, so the scanner can be kept beside it or moved to
/// another thread). [`StreamScanner::finish`] ends a stream and readies the
/// scanner for the next one, reusing its buffers and scratch.
///
/// ```
/// use scanner_engine::Engine;
/// let engine = Engine::builtin();
/// let mut scanner = engine.stream();
/// let mut found = Vec::new();
/// for piece in [&b"x = 1\ntoken: ghp_R7vX2kq9"[..], b"LmN4pT8sW1yZ3bC6dF0gH52jIYXo\n"] {
///     scanner.feed(piece, &mut |f| found.push(f));
/// }
/// scanner.finish(&mut |f| found.push(f));
/// assert_eq!(found.len(), 1);
/// assert_eq!((found[0].line, found[0].column, found[0].start), (2, 8, 13));
/// ```
pub struct StreamScanner<E> {
    engine: E,
    scratch: Scratch,
    buf: Vec<u8>,
    /// Absolute offset of `buf[0]`.
    base: u64,
    /// Findings starting before this absolute offset have been reported.
    emitted: u64,
    /// Newlines before `base`.
    lines_before: u64,
    /// Bytes between the start of the line holding `base` and `base`.
    column_before: u64,
    overlap: usize,
    step: usize,
    /// Spans found here when the round's scan kept none (decoding off).
    spans: Vec<Span>,
    /// Buffer length that starts the next round: `2 * overlap + step`, or
    /// `step` more than a round kept (a held compressed span).
    next_round_at: usize,
    /// Absolute start of the last compressed span found too long to hold
    /// (counted once).
    cut_compressed: Option<u64>,
    /// Absolute offset where the buffer was last cut inside a long span:
    /// a span found starting there is a piece, not a stream's start.
    piece_start: Option<u64>,
    head_chunk: Vec<u8>,
    inflater: Inflater,
    round: Vec<Finding>,
    stats: StreamStats,
    /// Findings passed to the caller's sink.
    delivered: u64,
    /// The sink returned `Break`: nothing more is scanned or reported.
    stopped: bool,
}

impl<E> std::fmt::Debug for StreamScanner<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamScanner")
            .field("base", &self.base)
            .field("buffered", &self.buf.len())
            .field("overlap", &self.overlap)
            .finish()
    }
}

impl Engine {
    /// The bytes a [`StreamScanner`] keeps between rounds: the tuning's
    /// `stream_overlap`, raised to what the rules need (four times the
    /// widest rule plus context; 131,136 bytes for the built-in rules).
    pub fn stream_overlap(&self) -> usize {
        self.tuning.stream_overlap.max(self.stream_overlap_needed())
    }

    /// A scanner for input that arrives in chunks (see [`StreamScanner`]).
    pub fn stream(&self) -> StreamScanner<&Engine> {
        StreamScanner::new(self)
    }

    /// Scans everything `reader` yields, in blocks of `Tuning::stream_step`
    /// bytes, passing findings to `sink`. When the sink returns
    /// [`ControlFlow::Break`] (see [`SinkFlow`]), reading stops there.
    pub fn scan_reader<R: SinkFlow>(
        &self,
        mut reader: impl Read,
        sink: &mut impl FnMut(Finding) -> R,
    ) -> io::Result<StreamStats> {
        let mut scanner = self.stream();
        let mut block = vec![0u8; scanner.step.min(1 << 20)];
        while !scanner.is_stopped() {
            match reader.read(&mut block) {
                Ok(0) => break,
                Ok(n) => scanner.feed(&block[..n], sink),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(scanner.finish(sink))
    }

    /// The least overlap that keeps every rule's windows inside the buffer:
    /// twice (UTF-16) the largest width bound, plus look-around context.
    fn stream_overlap_needed(&self) -> usize {
        let widest = self
            .rules
            .iter()
            .map(|r| r.window_radius)
            .max()
            .unwrap_or(0);
        (4 * widest + 64) as usize
    }
}

impl<E: Borrow<Engine>> StreamScanner<E> {
    /// A scanner for input that arrives in chunks, scanning with `engine`
    /// (`&Engine`, `Arc<Engine>`, ...).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use scanner_engine::{Engine, StreamScanner};
    ///
    /// let engine = Arc::new(Engine::builtin());
    /// let mut scanner = StreamScanner::new(Arc::clone(&engine));
    /// let worker = std::thread::spawn(move || {
    ///     let mut found = 0;
    ///     for input in [&b"id = AKIAQ3EGRTXP4W7ZC2NB\n"[..], b"nothing\n"] {
    ///         scanner.feed(input, &mut |_| found += 1);
    ///         scanner.finish(&mut |_| found += 1); // ready for the next input
    ///     }
    ///     found
    /// });
    /// assert_eq!(worker.join().unwrap(), 1);
    /// ```
    pub fn new(engine: E) -> StreamScanner<E> {
        let e: &Engine = engine.borrow();
        let overlap = e.stream_overlap();
        let step = e.tuning.stream_step.max(1);
        let scratch = e.new_scratch();
        StreamScanner {
            engine,
            scratch,
            buf: Vec::new(),
            base: 0,
            emitted: 0,
            lines_before: 0,
            column_before: 0,
            overlap,
            step,
            spans: Vec::new(),
            next_round_at: 2 * overlap + step,
            cut_compressed: None,
            piece_start: None,
            head_chunk: Vec::new(),
            inflater: Inflater::default(),
            round: Vec::new(),
            stats: StreamStats::default(),
            delivered: 0,
            stopped: false,
        }
    }

    /// The engine this scanner scans with.
    pub fn engine(&self) -> &Engine {
        self.engine.borrow()
    }

    /// Drops the current stream (its unreported findings included) and
    /// starts a new one: offsets, lines and counters from zero. Buffers and
    /// scratch keep their capacity.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.base = 0;
        self.emitted = 0;
        self.lines_before = 0;
        self.column_before = 0;
        self.next_round_at = 2 * self.overlap + self.step;
        self.cut_compressed = None;
        self.piece_start = None;
        self.head_chunk.clear();
        self.round.clear();
        self.stats = StreamStats::default();
        self.delivered = 0;
        self.stopped = false;
        self.scratch.reset_stats();
    }

    /// Adds `chunk` to the stream, reporting the findings that became stable.
    /// Once the sink has returned [`ControlFlow::Break`] the scanner is
    /// stopped ([`StreamScanner::is_stopped`]) and ignores further input.
    pub fn feed<R: SinkFlow>(&mut self, chunk: &[u8], sink: &mut impl FnMut(Finding) -> R) {
        if self.stopped {
            return;
        }
        self.stats.bytes_fed += chunk.len() as u64;
        let mut rest = chunk;
        while !rest.is_empty() {
            rest = &rest[self.buffer(rest)..];
            if self.buf.len() >= self.next_round_at {
                self.round(false, sink);
                self.next_round_at = (2 * self.overlap).max(self.buf.len()) + self.step;
                if self.stopped {
                    return;
                }
            }
        }
    }

    /// Appends `chunk` to the buffer, `step` bytes at a time, until a round
    /// is due; returns how many bytes it took. Not generic, so it is
    /// compiled with the engine's optimisation whatever the caller's sink
    /// (a caller built without optimisation feeding one byte at a time
    /// still runs optimised code here).
    fn buffer(&mut self, chunk: &[u8]) -> usize {
        let mut used = 0;
        for piece in chunk.chunks(self.step) {
            self.buf.extend_from_slice(piece);
            used += piece.len();
            if self.buf.len() >= self.next_round_at {
                break;
            }
        }
        used
    }

    /// Ends the stream, reporting the remaining findings (none if the
    /// scanner is stopped); returns the stream's counters. The scanner is
    /// then [reset](StreamScanner::reset), ready for another stream.
    pub fn finish<R: SinkFlow>(&mut self, sink: &mut impl FnMut(Finding) -> R) -> StreamStats {
        if !self.stopped {
            self.round(true, sink);
        }
        let stats = self.stats();
        self.reset();
        stats
    }

    /// Whether a sink returned [`ControlFlow::Break`]: the scanner then
    /// reports nothing more and ignores further input.
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// Counters so far. `scan.findings` counts the findings passed to the
    /// sink (rounds overlap, so the engine confirms some twice).
    pub fn stats(&self) -> StreamStats {
        let mut scan = self.scratch.stats();
        scan.findings = self.delivered;
        StreamStats { scan, ..self.stats }
    }

    fn round<R: SinkFlow>(&mut self, last: bool, sink: &mut impl FnMut(Finding) -> R) {
        self.stats.rounds += 1;
        let len = self.buf.len();
        // The cuts below look only at spans ending in the last three
        // overlaps; the scan keeps those for them.
        self.scratch.root_spans.from = (!last).then(|| len.saturating_sub(3 * self.overlap) as u64);
        let mut round = std::mem::take(&mut self.round);
        round.clear();
        self.engine
            .borrow()
            .scan_bytes_with(&mut self.scratch, &self.buf, &mut |f| round.push(f));
        let (spans, stable_end) = if last {
            (Vec::new(), len)
        } else {
            let spans = self.tail_spans();
            let stable_end = self.stable_end(&spans);
            (spans, stable_end)
        };
        let stable_abs = self.base + stable_end as u64;
        for mut f in round.drain(..) {
            let start = self.base + f.start;
            if start < self.emitted || start >= stable_abs {
                continue;
            }
            if f.line == 1 {
                f.column += match f.decode_path.first() {
                    Some(DecodeStep::Utf16Le | DecodeStep::Utf16Be) => self.column_before / 2,
                    _ => self.column_before,
                };
            }
            f.line += self.lines_before;
            f.start = start;
            f.end += self.base;
            f.encoded_start += self.base;
            f.encoded_end += self.base;
            self.delivered += 1;
            if let ControlFlow::Break(()) = sink(f).into_flow() {
                self.stopped = true;
                break;
            }
        }
        round.clear();
        self.round = round;
        if self.stopped {
            self.buf.clear();
            return;
        }
        self.emitted = stable_abs;
        if !last {
            let split = self.stats.spans_split;
            let keep_from = self.drop_point(stable_end.saturating_sub(self.overlap), &spans);
            if self.stats.spans_split > split {
                // The buffer now starts inside a long span.
                self.piece_start = Some(self.base + keep_from as u64);
            }
            self.drop_before(keep_from);
            // Give the log its vectors back, to reuse their capacity.
            self.scratch.root_spans.spans = spans;
        }
    }

    /// Per transform, the spans over the whole buffer that end after the
    /// offset the round's scan was asked to keep them from: those the scan
    /// kept, or (when it kept none, decoding being off) found here.
    fn tail_spans(&mut self) -> Vec<Vec<Span>> {
        let log = &mut self.scratch.root_spans;
        let from = log.from.take().unwrap_or(0);
        let mut spans = std::mem::take(&mut log.spans);
        if log.complete {
            return spans;
        }
        let transforms = &self.engine.borrow().tuning.transforms;
        spans.resize_with(transforms.len(), Vec::new);
        for (cfg, kept) in transforms.iter().zip(&mut spans) {
            // Cut points must consider every span.
            find_spans(&cfg.uncapped(), &self.buf, &mut self.spans);
            kept.clear();
            kept.extend(self.spans.iter().filter(|s| s.end > from));
        }
        spans
    }

    /// Where to cut the buffer: `at`, or the start of an encoded span that
    /// contains `at` (a span cut in the middle would be seen differently in
    /// the next round, e.g. a wrapped Base64 block no longer continued). A
    /// span starting more than one overlap before `at` is cut anyway, at a
    /// point where its decoding can resume (a Base64 quantum boundary
    /// counted from the span's start, never inside a `%XX` escape), and
    /// counted as split.
    fn drop_point(&mut self, at: usize, spans: &[Vec<Span>]) -> usize {
        let region = at.saturating_sub(self.overlap);
        let mut cut = at;
        for (cfg, spans) in self.engine.borrow().tuning.transforms.iter().zip(spans) {
            for s in spans {
                let (start, end) = (s.start as usize, s.end as usize);
                if !(start < at && at < end) {
                    continue;
                }
                if start > region {
                    cut = cut.min(start);
                } else {
                    // Cut where its decoding can resume (the buffer itself
                    // starts at a resumable point).
                    self.stats.spans_split += 1;
                    cut = cut.min(start + resumable_cut(cfg, &self.buf[start..end], at - start));
                }
            }
        }
        cut
    }

    /// `len - overlap`, moved back to the start of an encoded span that
    /// reaches into the last `overlap` bytes and may continue, when that span
    /// starts within the `overlap` bytes before: it is then scanned whole in
    /// the next round. Spans starting earlier are counted as split, unless
    /// they hold a compressed stream short enough to hold whole (then the
    /// stable end moves back to its start too).
    fn stable_end(&mut self, spans: &[Vec<Span>]) -> usize {
        let len = self.buf.len();
        let tail = len - self.overlap;
        let region = tail.saturating_sub(self.overlap);
        let mut stable = tail;
        for (t, spans) in spans.iter().enumerate() {
            let mut open_long = None;
            for s in spans {
                let (start, end) = (s.start as usize, s.end as usize);
                if end > tail {
                    if start > region {
                        stable = stable.min(start);
                    } else if end == len {
                        open_long.get_or_insert(start);
                    }
                }
            }
            if let Some(start) = open_long {
                if self.holds_compressed_span(t, start) {
                    stable = stable.min(start);
                } else {
                    self.stats.spans_split += 1;
                }
            }
        }
        stable.max(self.emitted.saturating_sub(self.base) as usize)
    }

    /// Whether the span of transform `t` starting at `start`, which began
    /// at or before the stable region and is open at the buffer's end, holds
    /// a compressed stream (its Base64 decodes to a gzip or zlib header)
    /// that is held whole: at most `max_inflated_bytes` long so far. A longer
    /// one is counted in `inflate_budget_hits` (once) and split like any
    /// long span.
    fn holds_compressed_span(&mut self, t: usize, start: usize) -> bool {
        let tuning = &self.engine.borrow().tuning;
        let cfg = &tuning.transforms[t];
        if !(tuning.inflate && tuning.max_transform_depth >= 2 && cfg.kind == TransformKind::Base64)
        {
            return false;
        }
        let len = self.buf.len();
        let abs = self.base + start as u64;
        if self.piece_start == Some(abs) {
            return false;
        }
        let encoded = &self.buf[start..];
        if !root_span_inflates(
            tuning,
            cfg,
            encoded,
            &mut self.head_chunk,
            &mut self.inflater,
        ) {
            return false;
        }
        if len - start <= tuning.max_inflated_bytes {
            return true;
        }
        if self.cut_compressed != Some(abs) {
            self.cut_compressed = Some(abs);
            self.scratch.buf.stats.inflate_budget_hits += 1;
        }
        false
    }

    /// Drops `buf[..n]`, keeping the line and column bookkeeping.
    fn drop_before(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        let dropped = &self.buf[..n];
        let newlines = memchr::memchr_iter(b'\n', dropped).count() as u64;
        match memchr::memrchr(b'\n', dropped) {
            Some(last) => self.column_before = (n - last - 1) as u64,
            None => self.column_before += n as u64,
        }
        self.lines_before += newlines;
        self.base += n as u64;
        self.buf.drain(..n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::stream_decode;
    use proptest::prelude::*;

    fn decode(cfg: &TransformConfig, encoded: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut chunk = Vec::new();
        let _ = stream_decode(cfg, encoded, &mut chunk, |c: &[u8]| {
            out.extend_from_slice(c);
            ControlFlow::Continue(())
        });
        out
    }

    /// Text pieces in `kind`'s encoding, mixed with literal text where the
    /// encoding has any.
    fn encoded(kind: TransformKind) -> impl Strategy<Value = Vec<u8>> {
        let piece = (0u8..4, "[ -~]{1,6}").prop_map(move |(how, text)| {
            let t = text.as_bytes();
            let s: String = match (kind, how) {
                (TransformKind::Hex, _) => t.iter().map(|b| format!("{b:02x}")).collect(),
                (TransformKind::Escape, 0) => text
                    .encode_utf16()
                    .map(|u| format!("\\u{u:04x}"))
                    .chain(["\\uD83D\\uDE00".to_string()])
                    .collect(),
                (TransformKind::Escape, 1) => t.iter().map(|b| format!("\\x{b:02x}")).collect(),
                (TransformKind::Escape, 2) => "\\n\\\"\\\\\\/".to_string(),
                (TransformKind::Html, 0) => t.iter().map(|b| format!("&#{b};")).collect(),
                (TransformKind::Html, 1) => t.iter().map(|b| format!("&#x{b:X};")).collect(),
                (TransformKind::Html, 2) => "&amp;&lt;&NewLine;&".to_string(),
                _ => text.replace(['\\', '&'], "_"),
            };
            s.into_bytes()
        });
        proptest::collection::vec(piece, 1..20).prop_map(|v| v.concat())
    }

    /// An engine with one token rule and every transform.
    fn token_engine() -> &'static Engine {
        static ENGINE: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
        ENGINE.get_or_init(|| {
            let rules = crate::parse_rules_toml(
                "[[rules]]\nid = \"t\"\nname = \"t\"\nregex = '''tok_[a-z0-9]{12}'''\n",
                "t.toml",
            )
            .unwrap();
            Engine::builder()
                .builtin_rules(false)
                .rules(rules)
                .build()
                .unwrap()
        })
    }

    /// Text with pieces of every encoding, Base64 of text and long runs.
    fn mixed_text() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            encoded(TransformKind::Hex),
            encoded(TransformKind::Escape),
            encoded(TransformKind::Html),
            "[ -~]{0,80}".prop_map(|t| base64_simd::STANDARD.encode_to_string(t).into_bytes()),
            "[a-zA-Z0-9%_/+=\\n -]{0,120}".prop_map(String::into_bytes),
        ];
        proptest::collection::vec(piece, 1..30).prop_map(|v| v.join(&b" "[..]))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

        /// The spans a round's scan keeps for the cuts are exactly those the
        /// finders report over the whole buffer (the fallback when decoding
        /// is off), from any offset on.
        #[test]
        fn kept_spans_match_the_finders(text in mixed_text(), from in any::<usize>()) {
            let engine = token_engine();
            let mut scanner = engine.stream();
            scanner.buf.extend_from_slice(&text);
            let from = (from % (text.len() + 1)) as u64;
            scanner.scratch.root_spans.from = Some(from);
            engine.scan_bytes_with(&mut scanner.scratch, &scanner.buf, &mut |_| {});
            prop_assert!(scanner.scratch.root_spans.complete);
            let kept = scanner.tail_spans();
            prop_assert!(kept.iter().flatten().all(|s| s.end > from));
            scanner.scratch.root_spans.complete = false;
            scanner.scratch.root_spans.from = Some(from);
            let found = scanner.tail_spans();
            prop_assert_eq!(kept, found);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        /// A span cut where `resumable_cut` says decodes, in two pieces, to
        /// exactly what it decodes to whole.
        #[test]
        fn cuts_of_text_encodings_resume(
            (kind, span) in prop_oneof![
                encoded(TransformKind::Hex).prop_map(|s| (TransformKind::Hex, s)),
                encoded(TransformKind::Escape).prop_map(|s| (TransformKind::Escape, s)),
                encoded(TransformKind::Html).prop_map(|s| (TransformKind::Html, s)),
            ],
            at in any::<usize>(),
        ) {
            let cfg = TransformConfig::default_for(kind);
            let at = at % (span.len() + 1);
            let cut = resumable_cut(&cfg, &span, at);
            prop_assert!(cut <= at);
            prop_assert!(at - cut <= 12, "cut {} far before {}", cut, at);
            let mut two = decode(&cfg, &span[..cut]);
            two.extend(decode(&cfg, &span[cut..]));
            prop_assert_eq!(two, decode(&cfg, &span));
        }
    }
}
