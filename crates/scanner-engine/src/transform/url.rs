//! URL percent-encoding: an incremental span finder and a streaming decoder.
//!
//! **Span.** A maximal run of URL characters — ASCII letters and digits,
//! `-._~`, `%`, and `!$&*+,;=:/?#@` — that holds at least one valid escape
//! (`%` and two hex digits, either case) and is at least `min_len` bytes
//! long. Quotes, parentheses, brackets, `<>`, backslash, whitespace, control
//! and non-ASCII bytes end a run (they delimit URLs in code and markup far
//! more often than they appear unescaped inside them).
//!
//! **Cap.** A run longer than `max_encoded_len` bytes is cut into consecutive
//! pieces of at most that length, each judged on its own. A cut falls before
//! a `%` escape in progress, so escapes are never split (unless the limit is
//! below 3 and the piece holds nothing but that escape).
//!
//! **Decoder.** `%XX` becomes byte `0xXX`; a `%` not followed by two hex
//! digits is copied literally; `+` becomes a space iff `plus_to_space`;
//! every other byte is copied. It never fails.
//!
//! **Speed.** Between runs, [`UrlSpanFinder::feed`] jumps with `memchr` to
//! the next `%` and feeds only the run holding it (and the chunk's trailing
//! run); inside a run, bytes that cannot change the escape state are
//! counted in bulk. `step` on every byte is the reference semantics.
//!
//! Invariants: the finder keeps O(1) scalar state and reports the same spans
//! however its input is chunked; the decoder's chunking depends only on
//! [`DECODE_CHUNK_LEN`](super::DECODE_CHUNK_LEN); nothing panics.

use core::ops::ControlFlow;

use memchr::{memchr, memchr2};
use wide::u8x16;

use super::byte_class::{at_least, at_most, eq, position, ByteClass};
use super::chunked_output::ChunkedOutput;
use super::finder::{Finder, Limits, Reporter, SpanGrammar};
use super::{to_u64, DecodeOutcome, Span};

/// `URL_CHAR[b]`: whether `b` may appear in a URL span.
static URL_CHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric();
        b += 1;
    }
    let extra = b"-._~%!$&*+,;=:/?#@";
    let mut i = 0;
    while i < extra.len() {
        t[extra[i] as usize] = true;
        i += 1;
    }
    t
};

/// Bytes that end a run: everything but [`URL_CHAR`]s. Besides control
/// bytes, space, DEL and non-ASCII, the printable ASCII bytes `"'()<>[\]^`
/// `` ` `` and `{|}`.
struct RunEnd;

impl ByteClass for RunEnd {
    fn lanes(v: u8x16) -> u8x16 {
        let within = |lo: u8, hi: u8| at_most(v - u8x16::splat(lo), hi - lo);
        at_most(v, b' ')
            | at_least(v, 0x7f)
            | within(b'\'', b')')
            | within(b'[', b'^')
            | within(b'{', b'}')
            | eq(v, b'"')
            | eq(v, b'<')
            | eq(v, b'>')
            | eq(v, b'`')
    }
    fn byte(b: u8) -> bool {
        !URL_CHAR[usize::from(b)]
    }
}

/// The value of an ASCII hex digit.
fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The start of the run of URL characters that ends at `end` (exclusive),
/// not before `from`: `end` minus the URL characters just before it.
#[inline]
fn run_start(chunk: &[u8], from: usize, end: usize) -> usize {
    end - chunk[from..end]
        .iter()
        .rev()
        .position(|&b| !URL_CHAR[usize::from(b)])
        .unwrap_or(end - from)
}

/// The index of the first `%` in `bytes`: a plain loop over the first few
/// bytes (runs and gaps are often short), `memchr` beyond.
#[inline]
fn find_percent(bytes: &[u8]) -> Option<usize> {
    const NEAR: usize = 16;
    let near = bytes.len().min(NEAR);
    match bytes[..near].iter().position(|&b| b == b'%') {
        Some(p) => Some(p),
        None => memchr(b'%', &bytes[near..]).map(|p| p + near),
    }
}

/// Where the finder is inside a `%XX` escape.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Esc {
    /// Not in an escape.
    #[default]
    None,
    /// Just after `%`.
    Percent,
    /// After `%` and one hex digit.
    OneHex,
}

/// Incremental finder of URL percent-encoded spans (see the module docs for
/// the grammar). Holds no heap memory.
pub type UrlSpanFinder = Finder<UrlGrammar>;

/// The URL percent-encoding span grammar (see the module docs), driven by
/// [`UrlSpanFinder`].
#[derive(Clone, Debug, Default)]
pub struct UrlGrammar {
    lim: Limits,
    /// A run (piece) is open.
    in_run: bool,
    /// Start of the open piece.
    start: u64,
    /// Bytes in the open piece.
    len: u64,
    /// The open piece holds a complete valid escape.
    has_escape: bool,
    esc: Esc,
    /// Offset of the `%` of the escape in progress.
    esc_start: u64,
}

impl UrlGrammar {
    /// Opens a run at `pos` (no run open).
    #[inline]
    fn open(&mut self, pos: u64) {
        self.in_run = true;
        self.start = pos;
        self.len = 0;
        self.has_escape = false;
        self.esc = Esc::None;
    }

    /// Accounts for bytes outside any run holding a `%`, with no run open
    /// before them nor after them: only the cuts of runs longer than
    /// `max_len` are visible (they are counted), so this is a no-op unless
    /// `bytes` is longer than that.
    fn skip_runs(&mut self, bytes: &[u8], out: &mut Reporter<'_>) {
        if to_u64(bytes.len()) <= self.lim.max_len {
            return;
        }
        for run in bytes.split(|&b| !URL_CHAR[usize::from(b)]) {
            // A run of `len` bytes is cut each time its piece is full and a
            // byte follows.
            let len = to_u64(run.len());
            if len > self.lim.max_len {
                let cuts = (len - 1) / self.lim.max_len;
                out.count_cuts(cuts);
            }
        }
    }

    /// Feeds `run`, URL characters at `pos` onwards, to the open run: the
    /// bytes that cannot change the escape state are counted in bulk.
    #[inline]
    fn run_bytes(&mut self, run: &[u8], pos: u64, out: &mut Reporter<'_>) -> ControlFlow<()> {
        let mut j = 0;
        while j < run.len() {
            let left = run.len() - j;
            if self.has_escape
                && left >= 2
                && self.len.saturating_add(to_u64(left)) <= self.lim.max_len
            {
                // The piece already qualifies on escapes and no cut falls in
                // the rest: only its length and the escape state at its end
                // matter, and the last two bytes determine that state.
                self.len += to_u64(left);
                let last = run.len() - 1;
                let (b1, b2) = (run[last - 1], run[last]);
                if b2 == b'%' {
                    self.esc = Esc::Percent;
                    self.esc_start = pos.saturating_add(to_u64(last));
                } else if b1 == b'%' && hex_val(b2).is_some() {
                    self.esc = Esc::OneHex;
                    self.esc_start = pos.saturating_add(to_u64(last - 1));
                } else {
                    self.esc = Esc::None;
                }
                return ControlFlow::Continue(());
            }
            if self.esc != Esc::None {
                self.step(run[j], pos.saturating_add(to_u64(j)), out)?;
                j += 1;
                continue;
            }
            // Outside an escape, bytes before the next `%` only lengthen
            // the piece (and may fill it).
            let quiet = find_percent(&run[j..]).unwrap_or(run.len() - j);
            let mut left = to_u64(quiet);
            while left > 0 {
                let room = self.lim.max_len.saturating_sub(self.len);
                if room == 0 {
                    // Full: `step` cuts the piece before this byte.
                    self.step(run[j], pos.saturating_add(to_u64(j)), out)?;
                    j += 1;
                    left -= 1;
                    continue;
                }
                let take = room.min(left);
                self.len += take;
                // `take <= quiet`, a `usize`.
                j += usize::try_from(take).unwrap_or(quiet);
                left -= take;
            }
            if let Some(&b) = run.get(j) {
                if let Some(&[_, h, l]) = run.get(j..j + 3) {
                    if hex_val(h).is_some()
                        && hex_val(l).is_some()
                        && self.len.saturating_add(3) <= self.lim.max_len
                    {
                        // A whole valid escape that fits: it only lengthens
                        // the piece and qualifies it (the escape state is
                        // back to `None` after it).
                        self.len += 3;
                        self.has_escape = true;
                        j += 3;
                        continue;
                    }
                }
                self.step(b, pos.saturating_add(to_u64(j)), out)?;
                j += 1;
            }
        }
        ControlFlow::Continue(())
    }

    /// Cuts the open piece before `pos` (or before the escape in progress)
    /// and starts the next piece there.
    fn cut(&mut self, pos: u64, out: &mut Reporter<'_>) -> ControlFlow<()> {
        let at = if self.esc != Esc::None && self.esc_start > self.start {
            self.esc_start
        } else {
            self.esc = Esc::None;
            pos
        };
        out.count_cuts(1);
        let piece = Span {
            start: self.start,
            end: at,
        };
        let qualifies = self.has_escape && piece.len() >= self.lim.min_len;
        self.start = at;
        self.len = pos.saturating_sub(at);
        self.has_escape = false;
        if qualifies {
            out.report(piece)
        } else {
            ControlFlow::Continue(())
        }
    }

    /// Ends the open run, reporting it if it qualifies.
    fn close(&mut self, out: &mut Reporter<'_>) -> ControlFlow<()> {
        if !self.in_run {
            return ControlFlow::Continue(());
        }
        self.in_run = false;
        self.esc = Esc::None;
        if self.has_escape && self.len >= self.lim.min_len {
            let span = Span {
                start: self.start,
                end: self.start.saturating_add(self.len),
            };
            out.report(span)
        } else {
            ControlFlow::Continue(())
        }
    }
}

impl SpanGrammar for UrlGrammar {
    const MIN_PIECE: u64 = 1;

    fn new(lim: Limits) -> Self {
        Self {
            lim,
            ..Self::default()
        }
    }

    /// The fast paths: `memchr` between runs holding a `%`, bytes that
    /// cannot change the escape state counted in bulk; `step` on the rest.
    fn scan(&mut self, chunk: &[u8], chunk_start: u64, out: &mut Reporter<'_>) -> ControlFlow<()> {
        let n = chunk.len();
        let mut i = 0;
        while i < n {
            if !self.in_run {
                // Skip to the run holding the next `%`: runs without one
                // never qualify. Only the run that may go on in the next
                // chunk (the chunk's trailing run) is opened without a `%`.
                let percent = find_percent(&chunk[i..]);
                let s = match percent {
                    Some(p) => run_start(chunk, i, i + p),
                    None => run_start(chunk, i, n),
                };
                if s == n {
                    // No trailing run either.
                    self.skip_runs(&chunk[i..], out);
                    break;
                }
                if s > i {
                    self.skip_runs(&chunk[i..s], out);
                }
                i = s;
                self.open(chunk_start.saturating_add(to_u64(i)));
                if percent.is_none() {
                    // The chunk's trailing run: URL characters to its end
                    // (no need to look for the run's end again).
                    self.run_bytes(&chunk[i..], chunk_start.saturating_add(to_u64(i)), out)?;
                    break;
                }
            }
            // In a run: its bytes up to the first non-URL byte.
            let k = i + position::<RunEnd>(&chunk[i..]).unwrap_or(n - i);
            self.run_bytes(&chunk[i..k], chunk_start.saturating_add(to_u64(i)), out)?;
            if k == n {
                break;
            }
            self.close(out)?;
            i = k + 1;
        }
        ControlFlow::Continue(())
    }

    #[inline]
    fn step(&mut self, b: u8, pos: u64, out: &mut Reporter<'_>) -> ControlFlow<()> {
        if !URL_CHAR[usize::from(b)] {
            return self.close(out);
        }
        if !self.in_run {
            self.in_run = true;
            self.start = pos;
            self.len = 0;
            self.has_escape = false;
            self.esc = Esc::None;
        }
        if self.len >= self.lim.max_len {
            self.cut(pos, out)?;
        }
        self.len = self.len.saturating_add(1);
        let hex = hex_val(b).is_some();
        self.esc = match (self.esc, b) {
            (_, b'%') => {
                self.esc_start = pos;
                Esc::Percent
            }
            (Esc::Percent, _) if hex => Esc::OneHex,
            (Esc::OneHex, _) if hex => {
                self.has_escape = true;
                Esc::None
            }
            _ => Esc::None,
        };
        ControlFlow::Continue(())
    }

    fn end_stream(&mut self, out: &mut Reporter<'_>) -> ControlFlow<()> {
        self.close(out)
    }

    fn open_start(&self) -> Option<u64> {
        self.in_run.then_some(self.start)
    }
}

/// Decodes a percent-encoded span (see the module docs), handing the output
/// to `on_chunk` in chunks of [`DECODE_CHUNK_LEN`](super::DECODE_CHUNK_LEN)
/// bytes, at most `max_decoded` bytes in all. `chunk_out` is the reusable
/// staging buffer.
pub fn stream_decode(
    encoded: &[u8],
    max_decoded: usize,
    plus_to_space: bool,
    chunk_out: &mut Vec<u8>,
    on_chunk: impl FnMut(&[u8]) -> ControlFlow<()>,
) -> DecodeOutcome {
    let mut sink = ChunkedOutput::new(chunk_out, max_decoded, on_chunk);
    let mut i = 0;
    while let Some(rest) = encoded.get(i..).filter(|r| !r.is_empty()) {
        let special = if plus_to_space {
            memchr2(b'%', b'+', rest)
        } else {
            memchr(b'%', rest)
        };
        let literal = special.unwrap_or(rest.len());
        let flow = if literal > 0 {
            i += literal;
            sink.push(&rest[..literal])
        } else if rest[0] == b'+' {
            i += 1;
            sink.push(b" ")
        } else {
            match (
                rest.get(1).copied().and_then(hex_val),
                rest.get(2).copied().and_then(hex_val),
            ) {
                (Some(hi), Some(lo)) => {
                    i += 3;
                    sink.push(&[(hi << 4) | lo])
                }
                _ => {
                    i += 1;
                    sink.push(b"%")
                }
            }
        };
        if flow.is_break() {
            break;
        }
    }
    sink.finish()
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, check_against_reference};
    use super::super::{find_spans, TransformConfig, DECODE_CHUNK_LEN};
    use super::*;
    use proptest::prelude::*;

    /// Plain reference decoder: returns the output and whether the budget cut it.
    fn ref_decode(enc: &[u8], plus: bool, max: usize) -> (Vec<u8>, bool) {
        let mut out = Vec::new();
        let mut i = 0;
        while i < enc.len() {
            let b = enc[i];
            let (byte, used) = if b == b'%'
                && i + 2 < enc.len()
                && enc[i + 1].is_ascii_hexdigit()
                && enc[i + 2].is_ascii_hexdigit()
            {
                let s = std::str::from_utf8(&enc[i + 1..i + 3]).unwrap();
                (u8::from_str_radix(s, 16).unwrap(), 3)
            } else if b == b'+' && plus {
                (b' ', 1)
            } else {
                (b, 1)
            };
            if out.len() == max {
                return (out, true);
            }
            out.push(byte);
            i += used;
        }
        (out, false)
    }

    fn decode_all(enc: &[u8], plus: bool, max: usize) -> (Vec<u8>, Vec<usize>, DecodeOutcome) {
        super::super::testing::decode_collecting(|buf, sink| {
            stream_decode(enc, max, plus, buf, sink)
        })
    }

    /// Reference finder without cuts: maximal runs with an escape.
    fn ref_spans(buf: &[u8], min_len: usize) -> Vec<Span> {
        let mut spans = Vec::new();
        let mut i = 0;
        while i < buf.len() {
            if !URL_CHAR[buf[i] as usize] {
                i += 1;
                continue;
            }
            let s = i;
            while i < buf.len() && URL_CHAR[buf[i] as usize] {
                i += 1;
            }
            let run = &buf[s..i];
            let esc = run
                .windows(3)
                .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit());
            if esc && run.len() >= min_len {
                spans.push(Span {
                    start: s as u64,
                    end: i as u64,
                });
            }
        }
        spans
    }

    fn soup() -> impl Strategy<Value = Vec<u8>> {
        let atoms = prop_oneof![
            Just(b"%".to_vec()),
            Just(b"%2F".to_vec()),
            Just(b"%4a".to_vec()),
            Just(b"%G1".to_vec()),
            Just(b" ".to_vec()),
            Just(b"\"".to_vec()),
            Just(b"\n".to_vec()),
            Just(b"=".to_vec()),
            Just(b"&".to_vec()),
            Just(b"+".to_vec()),
            "[a-f0-9]{1,3}".prop_map(String::into_bytes),
            "[a-zA-Z]{1,8}".prop_map(String::into_bytes),
            any::<u8>().prop_map(|b| vec![b]),
        ];
        proptest::collection::vec(atoms, 0..80).prop_map(|v| v.concat())
    }

    #[test]
    fn decoder_examples() {
        assert_eq!(decode_all(b"%41%2f%2F%zz%4+%", false, 100).0, b"A//%zz%4+%");
        assert_eq!(decode_all(b"a+b%2B", true, 100).0, b"a b+");
        let (out, _, o) = decode_all(b"%41%42%43", false, 2);
        assert_eq!(out, b"AB");
        assert!(o.truncated);
        let (out, _, o) = decode_all(b"%41%42", false, 2);
        assert_eq!(out, b"AB");
        assert!(!o.truncated);
        let (out, _, o) = decode_all(b"", false, 0);
        assert!(out.is_empty() && !o.truncated);
    }

    #[test]
    fn decoder_chunks_and_early_stop() {
        let enc = b"%41".repeat(DECODE_CHUNK_LEN * 2 + 5);
        let (out, sizes, o) = decode_all(&enc, false, usize::MAX);
        assert_eq!(out.len(), DECODE_CHUNK_LEN * 2 + 5);
        assert_eq!(sizes, vec![DECODE_CHUNK_LEN, DECODE_CHUNK_LEN, 5]);
        assert_eq!(o.decoded_len, out.len() as u64);

        let mut buf = Vec::new();
        let mut calls = 0;
        let o = stream_decode(&enc, usize::MAX, false, &mut buf, |_| {
            calls += 1;
            ControlFlow::Break(())
        });
        assert_eq!(calls, 1);
        assert!(o.stopped_early && !o.truncated);
        assert_eq!(o.decoded_len, DECODE_CHUNK_LEN as u64);
    }

    #[test]
    fn run_end_class_agrees_with_the_table() {
        super::super::byte_class::check_class::<RunEnd>();
    }

    #[test]
    fn finder_examples() {
        let cfg = TransformConfig::url_default();
        let mut out = Vec::new();
        let text = b"GET /search?q=hello%20world&x=1 HTTP/1.1\n50% off (a%2) 'p%41ss%3D1'";
        find_spans(&cfg, text, &mut out);
        let got: Vec<&[u8]> = out
            .iter()
            .map(|s| &text[s.start as usize..s.end as usize])
            .collect();
        assert_eq!(
            got,
            vec![&b"/search?q=hello%20world&x=1"[..], &b"p%41ss%3D1"[..]]
        );

        // min_len counts bytes
        find_spans(&cfg, b" %41ab ", &mut out);
        assert!(out.is_empty());
        find_spans(&cfg, b" %41abc ", &mut out);
        assert_eq!(out, vec![Span { start: 1, end: 7 }]);
    }

    #[test]
    fn finder_cuts_before_escape() {
        let mut cfg = TransformConfig::url_default();
        cfg.min_len = 1;
        cfg.max_encoded_len = 8;
        let text = b"ab%41cd%42ef%43";
        let mut out = Vec::new();
        let counts = find_spans(&cfg, text, &mut out);
        // pieces: "ab%41cd" (cut before "%42"), "%42ef%43"
        assert_eq!(
            out,
            vec![Span { start: 0, end: 7 }, Span { start: 7, end: 15 }]
        );
        assert_eq!(counts.cut, 1);
    }

    proptest! {
        #![proptest_config(testing::proptest_config(256))]

        #[test]
        fn decoder_matches_reference(
            enc in prop_oneof![soup(), proptest::collection::vec(any::<u8>(), 0..64)],
            plus in any::<bool>(),
            max in prop_oneof![Just(usize::MAX), 0usize..64],
        ) {
            let (want, trunc) = ref_decode(&enc, plus, max);
            let (got, sizes, o) = decode_all(&enc, plus, max);
            testing::check_decoded((&got, &sizes, &o), (&want, trunc))?;
            prop_assert!(!o.stopped_early);
        }

        #[test]
        fn decoder_roundtrip(
            data in proptest::collection::vec(any::<u8>(), 0..4000),
            plus in any::<bool>(),
            escape_all in any::<bool>(),
        ) {
            let mut enc = Vec::new();
            for &b in &data {
                if b == b' ' && plus {
                    enc.push(b'+');
                } else if !escape_all && (b.is_ascii_alphanumeric() || b"-._~".contains(&b)) {
                    enc.push(b);
                } else {
                    enc.extend_from_slice(format!("%{b:02X}").as_bytes());
                }
            }
            let (got, sizes, o) = decode_all(&enc, plus, usize::MAX);
            prop_assert_eq!(got, data);
            prop_assert!(!o.truncated);
            prop_assert!(testing::full_chunks(&sizes));
        }

        #[test]
        fn finder_chunk_invariant(
            buf in soup(),
            (cuts, base) in testing::chunking(),
            cfg in testing::limits(TransformConfig::url_default(), 0..12, 0..16),
        ) {
            check_against_reference(&cfg, &buf, (&cuts, base), 1, ref_spans)?;
        }

        #[test]
        fn finder_finds_planted(
            pre in "[ -~]{0,40}",
            post in "[ -~]{0,40}",
            key in "[a-z]{2,8}",
            val in proptest::collection::vec(any::<u8>(), 1..40),
        ) {
            let mut span = format!("{key}=").into_bytes();
            for b in &val {
                span.extend_from_slice(format!("%{b:02x}").as_bytes());
            }
            let mut buf = pre.into_bytes();
            buf.push(b'"');
            let start = buf.len() as u64;
            buf.extend_from_slice(&span);
            let end = buf.len() as u64;
            buf.push(b'"');
            buf.extend_from_slice(post.as_bytes());
            let mut out = Vec::new();
            find_spans(&TransformConfig::url_default(), &buf, &mut out);
            prop_assert!(out.contains(&Span { start, end }), "{:?}", out);
        }
    }
}
