//! Chunked scanning of an unbounded stream: [`StreamScanner`] takes the
//! input in pieces of any size and reports the findings `scan_bytes` would
//! report on the whole input, with absolute offsets and line numbers, while
//! holding only a bounded buffer.
//!
//! How: the buffer holds the bytes from `base` on. Once it holds
//! `2 * overlap + step` bytes, it is scanned whole; findings that start in
//! the *stable* region `[emitted, stable_end)` are reported, where
//! `stable_end = len - overlap`, moved back to the start of an encoded span
//! that reaches into the last `overlap` bytes (that span may continue in the
//! next chunk). Then everything more than `overlap` bytes before
//! `stable_end` is dropped (but never the start of an encoded span that
//! continues past that point), and the next round rescans from there.
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

use std::io::{self, Read};
use std::ops::ControlFlow;

use crate::compiled::Engine;
use crate::finding::{DecodeStep, Finding};
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

/// Scans a stream fed in chunks. Create with [`Engine::stream`].
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
pub struct StreamScanner<'e> {
    engine: &'e Engine,
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
    spans: Vec<Span>,
    round: Vec<Finding>,
    stats: StreamStats,
    /// Findings passed to the caller's sink.
    delivered: u64,
}

impl std::fmt::Debug for StreamScanner<'_> {
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
    pub fn stream(&self) -> StreamScanner<'_> {
        let overlap = self.stream_overlap();
        StreamScanner {
            engine: self,
            scratch: self.new_scratch(),
            buf: Vec::new(),
            base: 0,
            emitted: 0,
            lines_before: 0,
            column_before: 0,
            overlap,
            step: self.tuning.stream_step.max(1),
            spans: Vec::new(),
            round: Vec::new(),
            stats: StreamStats::default(),
            delivered: 0,
        }
    }

    /// Scans everything `reader` yields, in blocks of `Tuning::stream_step`
    /// bytes, passing findings to `sink`.
    pub fn scan_reader(
        &self,
        mut reader: impl Read,
        sink: &mut impl FnMut(Finding),
    ) -> io::Result<StreamStats> {
        let mut scanner = self.stream();
        let mut block = vec![0u8; scanner.step.min(1 << 20)];
        loop {
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

impl StreamScanner<'_> {
    /// Adds `chunk` to the stream, reporting the findings that became stable.
    pub fn feed(&mut self, chunk: &[u8], sink: &mut impl FnMut(Finding)) {
        self.stats.bytes_fed += chunk.len() as u64;
        for piece in chunk.chunks(self.step) {
            self.buf.extend_from_slice(piece);
            if self.buf.len() >= 2 * self.overlap + self.step {
                self.round(false, sink);
            }
        }
    }

    /// Ends the stream, reporting the remaining findings; returns the counters.
    pub fn finish(mut self, sink: &mut impl FnMut(Finding)) -> StreamStats {
        self.round(true, sink);
        self.stats()
    }

    /// Counters so far. `scan.findings` counts the findings passed to the
    /// sink (rounds overlap, so the engine confirms some twice).
    pub fn stats(&self) -> StreamStats {
        let mut scan = self.scratch.stats();
        scan.findings = self.delivered;
        StreamStats { scan, ..self.stats }
    }

    fn round(&mut self, last: bool, sink: &mut impl FnMut(Finding)) {
        self.stats.rounds += 1;
        let len = self.buf.len();
        let stable_end = if last { len } else { self.stable_end() };
        let mut round = std::mem::take(&mut self.round);
        round.clear();
        self.engine
            .scan_bytes_with(&mut self.scratch, &self.buf, &mut |f| round.push(f));
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
            sink(f);
        }
        self.round = round;
        self.emitted = stable_abs;
        if !last {
            let keep_from = self.drop_point(stable_end.saturating_sub(self.overlap));
            self.drop_before(keep_from);
        }
    }

    /// Where to cut the buffer: `at`, or the start of an encoded span that
    /// contains `at` (a span cut in the middle would be seen differently in
    /// the next round, e.g. a wrapped Base64 block no longer continued). A
    /// span starting more than one overlap before `at` is cut anyway, at a
    /// point where its decoding can resume (a Base64 quantum boundary
    /// counted from the span's start, never inside a `%XX` escape), and
    /// counted as split.
    fn drop_point(&mut self, at: usize) -> usize {
        let region = at.saturating_sub(self.overlap);
        let mut cut = at;
        for cfg in &self.engine.tuning.transforms {
            // Cut points must consider every span.
            let cfg = cfg.uncapped();
            find_spans(&cfg, &self.buf[region..], &mut self.spans);
            let mut long_span = false;
            for s in &self.spans {
                let (start, end) = (region + s.start as usize, region + s.end as usize);
                if start < at && at < end {
                    if start > region {
                        cut = cut.min(start);
                    } else {
                        long_span = true;
                    }
                }
            }
            if !long_span {
                continue;
            }
            // The span may have started before `region`: find its true start
            // (the buffer itself starts at a resumable point) to cut it where
            // its decoding can resume.
            find_spans(&cfg, &self.buf, &mut self.spans);
            for s in &self.spans {
                let (start, end) = (s.start as usize, s.end as usize);
                if start <= region && at < end {
                    self.stats.spans_split += 1;
                    cut = cut.min(start + resumable_cut(&cfg, &self.buf[start..end], at - start));
                }
            }
        }
        cut
    }

    /// `len - overlap`, moved back to the start of an encoded span that
    /// reaches into the last `overlap` bytes and may continue, when that span
    /// starts within the `overlap` bytes before: it is then scanned whole in
    /// the next round. Spans starting earlier are counted as split.
    fn stable_end(&mut self) -> usize {
        let len = self.buf.len();
        let tail = len - self.overlap;
        let region = tail.saturating_sub(self.overlap);
        let mut stable = tail;
        for cfg in &self.engine.tuning.transforms {
            find_spans(&cfg.uncapped(), &self.buf[region..], &mut self.spans);
            for s in &self.spans {
                let (start, end) = (region + s.start as usize, region + s.end as usize);
                if end > tail {
                    if start > region {
                        stable = stable.min(start);
                    } else if end == len {
                        self.stats.spans_split += 1;
                    }
                }
            }
        }
        stable.max(self.emitted.saturating_sub(self.base) as usize)
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
