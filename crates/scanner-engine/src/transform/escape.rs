//! String-literal escapes (JSON, JavaScript, Python, C, shell): an
//! incremental span finder and a streaming decoder.
//!
//! **Span.** A maximal run of string-literal characters — printable ASCII
//! but the quotes `"` `'` and backtick, tab, and every non-ASCII byte — and
//! of escapes (a backslash and the byte after it, which may be a quote: an
//! escaped quote does not end the run; a backslash before a line break or
//! another control byte stays in the span, and the run ends). It qualifies
//! when it holds at least `min_len` (default 2) **strong escapes**: `\uXXXX`
//! (four hex digits), `\xNN` (two hex digits) or `\/`. Ordinary source
//! strings, whose only escapes are `\n`, `\t`, `\"` or `\\`, never qualify,
//! so they are not decoded; JSON with escaped slashes
//! (`https:\/\/hooks.slack.com\/...`) and `\u`/`\x`-obfuscated text do.
//!
//! **Cap.** A run longer than `max_encoded_len` bytes (at least 6) is cut
//! into consecutive pieces of at most that length, each judged on its own;
//! a cut falls before an escape in progress, so an escape is never split
//! (a surrogate pair may be: each half then decodes to U+FFFD).
//!
//! **Decoder** (one unit at a time, [`unit`]):
//! - `\uXXXX` is the UTF-16 code unit `XXXX` (either hex case), written as
//!   UTF-8; a high surrogate followed by `\u` and a low surrogate is one
//!   code point; a lone surrogate becomes U+FFFD.
//! - `\xNN` is the byte `0xNN`.
//! - `\n \t \r \b \f \v \a \0` are LF, tab, CR, backspace, form feed,
//!   vertical tab, bell and NUL (`\0` is not read as an octal escape).
//! - A backslash before any other byte gives that byte (`\" \' \\ \/`, a
//!   backtick, ...), except a letter or digit, or a `\u`/`\x` without its hex
//!   digits: those are copied as they are, backslash included (Python keeps
//!   unknown escapes). A backslash at the end is copied.
//! - Every other byte is copied. It never fails.
//!
//! **Speed.** Between runs, [`EscapeSpanFinder::feed`] jumps with `memchr`
//! to the next backslash that may start a strong escape (followed by `u`,
//! `x` or `/`) and feeds only the run holding it (found by scanning back,
//! over escaped quotes too) and the chunk's trailing run: the runs skipped
//! hold no strong escape, so they cannot qualify (a skipped stretch longer
//! than the cap is stepped, for its cuts). Inside a run, plain characters
//! are counted in bulk. `step` on every byte is the reference semantics.
//!
//! Invariants: O(1) scalar state, the same spans however the input is
//! chunked, a report lag of one byte, every cap counted; the decoder's
//! chunking depends only on [`DECODE_CHUNK_LEN`](super::DECODE_CHUNK_LEN);
//! [`unit`] is the one definition of an escape shared by the decoder,
//! [`encoded_range`](super::encoded_range) and the engine's resumable cuts;
//! nothing panics.

use core::ops::ControlFlow;

use memchr::memchr;

use super::chunked_output::ChunkedOutput;
use super::finder::{Finder, Limits, Reporter, SpanGrammar};
use super::hex::hex_val;
use super::{to_u64, DecodeOutcome, Span};

/// `RUN_CHAR[b]`: whether `b` may appear unescaped in an escape span.
static RUN_CHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = (c >= 0x20 && c != 0x7f && c != b'"' && c != b'\'' && c != b'`') || c == b'\t';
        b += 1;
    }
    t
};

/// Whether `b` may follow a backslash inside the run (anything but a line
/// break or another control byte).
#[inline]
fn escapable(b: u8) -> bool {
    (b >= 0x20 && b != 0x7f) || b == b'\t'
}

/// Where the finder is inside an escape.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Esc {
    /// Not in an escape.
    #[default]
    None,
    /// Just after a backslash.
    Backslash,
    /// After `\u` and this many hex digits (0..=3).
    U(u8),
    /// After `\x` and this many hex digits (0..=1).
    X(u8),
}

/// Incremental finder of escape spans (see the module docs for the
/// grammar). Holds no heap memory.
pub type EscapeSpanFinder = Finder<EscapeGrammar>;

/// The string-escape span grammar (see the module docs), driven by
/// [`EscapeSpanFinder`].
#[derive(Clone, Debug, Default)]
pub struct EscapeGrammar {
    lim: Limits,
    in_run: bool,
    /// Start of the open piece.
    start: u64,
    /// Bytes in the open piece.
    len: u64,
    /// Strong escapes in the open piece.
    strong: u64,
    esc: Esc,
    /// Offset of the backslash of the escape in progress.
    esc_start: u64,
}

impl EscapeGrammar {
    fn open(&mut self, pos: u64) {
        self.in_run = true;
        self.start = pos;
        self.len = 0;
        self.strong = 0;
        self.esc = Esc::None;
    }

    /// Ends the open run, reporting it if it qualifies.
    fn close(&mut self, out: &mut Reporter<'_>) -> ControlFlow<()> {
        if !self.in_run {
            return ControlFlow::Continue(());
        }
        self.in_run = false;
        self.esc = Esc::None;
        if self.strong >= self.lim.min_len.max(1) {
            out.report(Span {
                start: self.start,
                end: self.start.saturating_add(self.len),
            })
        } else {
            ControlFlow::Continue(())
        }
    }

    /// Appends the byte at `pos` to the open piece, cutting the piece first
    /// (before the escape in progress) when it is full.
    #[inline]
    fn push(&mut self, pos: u64, out: &mut Reporter<'_>) -> ControlFlow<()> {
        if self.len >= self.lim.max_len {
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
            let qualifies = self.strong >= self.lim.min_len.max(1);
            self.start = at;
            self.len = pos.saturating_sub(at);
            self.strong = 0;
            if qualifies {
                out.report(piece)?;
            }
        }
        self.len = self.len.saturating_add(1);
        ControlFlow::Continue(())
    }

    /// A byte outside any escape.
    #[inline]
    fn plain(&mut self, b: u8, pos: u64, out: &mut Reporter<'_>) -> ControlFlow<()> {
        if !RUN_CHAR[usize::from(b)] {
            return self.close(out);
        }
        if !self.in_run {
            self.open(pos);
        }
        self.push(pos, out)?;
        if b == b'\\' {
            self.esc = Esc::Backslash;
            self.esc_start = pos;
        }
        ControlFlow::Continue(())
    }

    /// In an open run, outside any escape or reference: the leading bytes
    /// of `bytes` that only lengthen the piece (plain run characters up to
    /// the next backslash, within the cap), counted at once as `step` would;
    /// returns how many.
    #[inline]
    fn bulk(&mut self, bytes: &[u8]) -> usize {
        let plain = bytes
            .iter()
            .position(|&b| b == b'\\' || !RUN_CHAR[usize::from(b)])
            .unwrap_or(bytes.len());
        let room = self.lim.max_len.saturating_sub(self.len);
        let take = usize::try_from(room).map_or(plain, |r| r.min(plain));
        self.len += to_u64(take);
        take
    }

    /// `chunk[from..to]`, with no run open before it and none after it
    /// and no backslash followed by `u`, `x` or `/` in it: its runs hold no
    /// strong escape, so stepping it reports nothing; only a cut of a run
    /// longer than the cap would show, so a gap that long is stepped.
    fn skip_gap(
        &mut self,
        chunk: &[u8],
        from: usize,
        to: usize,
        chunk_start: u64,
        out: &mut Reporter<'_>,
    ) -> ControlFlow<()> {
        if to_u64(to - from) <= self.lim.max_len {
            return ControlFlow::Continue(());
        }
        for (i, &b) in chunk.iter().enumerate().take(to).skip(from) {
            self.step(b, chunk_start.saturating_add(to_u64(i)), out)?;
        }
        ControlFlow::Continue(())
    }
}

/// The first backslash at or after `from` that may start a strong escape
/// (followed by `u`, `x` or `/`, or last in the chunk).
fn next_strong(chunk: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(p) = memchr(b'\\', chunk.get(at..)?) {
        let p = at + p;
        if matches!(chunk.get(p + 1), None | Some(b'u' | b'x' | b'/')) {
            return Some(p);
        }
        at = p + 1;
    }
    None
}

/// The start of the run that holds `chunk[end - 1]` (or starts at `end`),
/// with no run open at `from`: scans back over run characters and over
/// quotes escaped by an odd number of backslashes (which `step` keeps in
/// the run), not before `from`.
fn run_start(chunk: &[u8], from: usize, end: usize) -> usize {
    let mut s = end;
    while s > from {
        let b = chunk[s - 1];
        if RUN_CHAR[usize::from(b)] {
            s -= 1;
            continue;
        }
        // A quote escaped by the backslashes before it stays in the run.
        let slashes = chunk[from..s - 1]
            .iter()
            .rev()
            .take_while(|&&c| c == b'\\')
            .count();
        if escapable(b) && slashes % 2 == 1 {
            s -= 1;
            continue;
        }
        break;
    }
    s
}

impl SpanGrammar for EscapeGrammar {
    const MIN_PIECE: u64 = 6;

    fn new(lim: Limits) -> Self {
        Self {
            lim,
            ..Self::default()
        }
    }

    #[inline]
    fn step(&mut self, b: u8, pos: u64, out: &mut Reporter<'_>) -> ControlFlow<()> {
        match self.esc {
            Esc::None => self.plain(b, pos, out),
            Esc::Backslash => {
                if !escapable(b) {
                    return self.close(out);
                }
                self.push(pos, out)?;
                self.esc = match b {
                    b'u' => Esc::U(0),
                    b'x' => Esc::X(0),
                    b'/' => {
                        self.strong += 1;
                        Esc::None
                    }
                    _ => Esc::None,
                };
                ControlFlow::Continue(())
            }
            Esc::U(k) | Esc::X(k) => {
                if hex_val(b).is_none() {
                    // An incomplete escape: copied as it is; the byte is
                    // plain text.
                    self.esc = Esc::None;
                    return self.plain(b, pos, out);
                }
                self.push(pos, out)?;
                let digits = if matches!(self.esc, Esc::U(_)) { 4 } else { 2 };
                self.esc = if k + 1 == digits {
                    self.strong += 1;
                    Esc::None
                } else if digits == 4 {
                    Esc::U(k + 1)
                } else {
                    Esc::X(k + 1)
                };
                ControlFlow::Continue(())
            }
        }
    }

    /// The fast path: `memchr` to the run holding the next backslash; that
    /// run (and the chunk's trailing run) goes through `step`.
    fn scan(&mut self, chunk: &[u8], chunk_start: u64, out: &mut Reporter<'_>) -> ControlFlow<()> {
        let n = chunk.len();
        let mut i = 0;
        while i < n {
            if !self.in_run {
                let s = run_start(chunk, i, next_strong(chunk, i).unwrap_or(n));
                self.skip_gap(chunk, i, s, chunk_start, out)?;
                if s == n {
                    break;
                }
                i = s;
            }
            // Step until the run closes (on the byte that closes it).
            while i < n {
                if self.in_run && self.esc == Esc::None {
                    i += self.bulk(&chunk[i..]);
                    if i == n {
                        break;
                    }
                }
                self.step(chunk[i], chunk_start.saturating_add(to_u64(i)), out)?;
                i += 1;
                if !self.in_run {
                    break;
                }
            }
        }
        ControlFlow::Continue(())
    }

    fn end_stream(&mut self, out: &mut Reporter<'_>) -> ControlFlow<()> {
        self.close(out)
    }

    fn open_start(&self) -> Option<u64> {
        self.in_run.then_some(self.start)
    }
}

/// Decoded bytes of one unit: at most 4.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Decoded {
    bytes: [u8; 4],
    len: u8,
}

impl Decoded {
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    fn one(b: u8) -> Self {
        Self {
            bytes: [b, 0, 0, 0],
            len: 1,
        }
    }

    fn two(a: u8, b: u8) -> Self {
        Self {
            bytes: [a, b, 0, 0],
            len: 2,
        }
    }

    /// The UTF-8 form of `c`.
    pub(crate) fn char(c: char) -> Self {
        let mut bytes = [0u8; 4];
        let len = c.encode_utf8(&mut bytes).len();
        Self {
            bytes,
            len: u8::try_from(len).unwrap_or(4),
        }
    }
}

/// Four hex digits at the start of `s`, as a number.
fn hex4(s: &[u8]) -> Option<u32> {
    let d = s.get(..4)?;
    d.iter()
        .try_fold(0u32, |acc, &b| Some((acc << 4) | u32::from(hex_val(b)?)))
}

/// The first unit of `s` (not empty, starting with a backslash): its
/// encoded length (1 to 12 bytes) and what it decodes to (see the module
/// docs). `s` without a backslash at its start is one literal byte.
pub(crate) fn unit(s: &[u8]) -> (usize, Decoded) {
    let (Some(&b'\\'), Some(&c)) = (s.first(), s.get(1)) else {
        return (1, Decoded::one(s.first().copied().unwrap_or(b'\\')));
    };
    let simple = |b: u8| (2, Decoded::one(b));
    match c {
        b'u' => match hex4(&s[2..]) {
            Some(hi @ 0xD800..=0xDBFF) => {
                let low = match s.get(6..8) {
                    Some(b"\\u") => hex4(&s[8..]).filter(|lo| (0xDC00..=0xDFFF).contains(lo)),
                    _ => None,
                };
                match low {
                    Some(lo) => {
                        let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                        (
                            12,
                            Decoded::char(
                                char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER),
                            ),
                        )
                    }
                    None => (6, Decoded::char(char::REPLACEMENT_CHARACTER)),
                }
            }
            Some(cu) => (
                6,
                Decoded::char(char::from_u32(cu).unwrap_or(char::REPLACEMENT_CHARACTER)),
            ),
            None => (2, Decoded::two(b'\\', c)),
        },
        b'x' => match (
            s.get(2).and_then(|&b| hex_val(b)),
            s.get(3).and_then(|&b| hex_val(b)),
        ) {
            (Some(h), Some(l)) => (4, Decoded::one((h << 4) | l)),
            _ => (2, Decoded::two(b'\\', c)),
        },
        b'n' => simple(b'\n'),
        b't' => simple(b'\t'),
        b'r' => simple(b'\r'),
        b'b' => simple(0x08),
        b'f' => simple(0x0c),
        b'v' => simple(0x0b),
        b'a' => simple(0x07),
        b'0' => simple(0),
        _ if c.is_ascii_alphanumeric() => (2, Decoded::two(b'\\', c)),
        _ => simple(c),
    }
}

/// Decodes an escape span (see the module docs), handing the output to
/// `on_chunk` in chunks of [`DECODE_CHUNK_LEN`](super::DECODE_CHUNK_LEN)
/// bytes, at most `max_decoded` bytes in all. `chunk_out` is the reusable
/// staging buffer.
pub fn stream_decode(
    encoded: &[u8],
    max_decoded: usize,
    chunk_out: &mut Vec<u8>,
    on_chunk: impl FnMut(&[u8]) -> ControlFlow<()>,
) -> DecodeOutcome {
    let mut sink = ChunkedOutput::new(chunk_out, max_decoded, on_chunk);
    let mut i = 0;
    while let Some(rest) = encoded.get(i..).filter(|r| !r.is_empty()) {
        let literal = memchr(b'\\', rest).unwrap_or(rest.len());
        let flow = if literal > 0 {
            i += literal;
            sink.push(&rest[..literal])
        } else {
            let (used, out) = unit(rest);
            i += used;
            sink.push(out.as_slice())
        };
        if flow.is_break() {
            break;
        }
    }
    sink.finish()
}

/// Calls `f(encoded offset, encoded len, decoded len)` on each unit of
/// `encoded` in order (literal runs as one call each) until it returns
/// `Break`.
pub(crate) fn walk_units(
    encoded: &[u8],
    mut f: impl FnMut(usize, usize, usize) -> ControlFlow<()>,
) {
    let mut i = 0;
    while let Some(rest) = encoded.get(i..).filter(|r| !r.is_empty()) {
        let literal = memchr(b'\\', rest).unwrap_or(rest.len());
        let (used, decoded) = if literal > 0 {
            (literal, literal)
        } else {
            let (used, out) = unit(rest);
            (used, usize::from(out.len))
        };
        if f(i, used, decoded).is_break() {
            return;
        }
        i += used;
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, check_chunk_invariance};
    use super::super::{find_spans, TransformConfig, DECODE_CHUNK_LEN};
    use super::*;
    use proptest::prelude::*;

    /// Plain reference decoder, written without [`unit`].
    fn ref_decode(enc: &[u8], max: usize) -> (Vec<u8>, bool) {
        let hexn = |s: &[u8], n: usize| -> Option<u32> {
            let d = s.get(..n)?;
            if !d.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            u32::from_str_radix(std::str::from_utf8(d).ok()?, 16).ok()
        };
        let mut out = Vec::new();
        let mut i = 0;
        while i < enc.len() {
            let mut piece = Vec::new();
            let used;
            if enc[i] != b'\\' || i + 1 == enc.len() {
                piece.push(enc[i]);
                used = 1;
            } else {
                let c = enc[i + 1];
                let rest = &enc[i + 2..];
                if c == b'u' && hexn(rest, 4).is_some() {
                    let hi = hexn(rest, 4).unwrap();
                    let lo = if rest.get(4..6) == Some(b"\\u") {
                        hexn(&rest[6..], 4)
                    } else {
                        None
                    };
                    let ch = if (0xD800..0xDC00).contains(&hi) {
                        match lo.filter(|l| (0xDC00..0xE000).contains(l)) {
                            Some(lo) => {
                                used = 12;
                                char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                            }
                            None => {
                                used = 6;
                                None
                            }
                        }
                    } else {
                        used = 6;
                        char::from_u32(hi)
                    };
                    let ch = ch.unwrap_or('\u{FFFD}');
                    piece.extend_from_slice(ch.to_string().as_bytes());
                } else if c == b'x' && hexn(rest, 2).is_some() {
                    piece.push(hexn(rest, 2).unwrap() as u8);
                    used = 4;
                } else {
                    used = 2;
                    let simple = [
                        (b'n', b'\n'),
                        (b't', b'\t'),
                        (b'r', b'\r'),
                        (b'b', 8),
                        (b'f', 12),
                        (b'v', 11),
                        (b'a', 7),
                        (b'0', 0),
                    ];
                    if let Some(&(_, v)) = simple.iter().find(|(k, _)| *k == c) {
                        piece.push(v);
                    } else if c.is_ascii_alphanumeric() {
                        piece.extend_from_slice(&[b'\\', c]);
                    } else {
                        piece.push(c);
                    }
                }
            }
            for b in piece {
                if out.len() == max {
                    return (out, true);
                }
                out.push(b);
            }
            i += used;
        }
        (out, false)
    }

    fn decode_all(enc: &[u8], max: usize) -> (Vec<u8>, Vec<usize>, DecodeOutcome) {
        let mut buf = Vec::new();
        let mut out = Vec::new();
        let mut sizes = Vec::new();
        let o = stream_decode(enc, max, &mut buf, |c| {
            sizes.push(c.len());
            out.extend_from_slice(c);
            ControlFlow::Continue(())
        });
        assert!(buf.capacity() <= 2 * DECODE_CHUNK_LEN);
        (out, sizes, o)
    }

    /// Escapes every byte of `text` (`\xNN`, or `\uXXXX` per UTF-16 unit
    /// when `unicode`).
    pub(crate) fn escape(text: &str, unicode: bool) -> String {
        let mut out = String::new();
        if unicode {
            for u in text.encode_utf16() {
                out.push_str(&format!("\\u{u:04x}"));
            }
        } else {
            for b in text.bytes() {
                out.push_str(&format!("\\x{b:02X}"));
            }
        }
        out
    }

    pub(crate) fn soup() -> impl Strategy<Value = Vec<u8>> {
        let atoms = prop_oneof![
            Just(b"\\u0041".to_vec()),
            Just(b"\\uD83D\\uDE00".to_vec()),
            Just(b"\\uDE00".to_vec()),
            Just(b"\\x4a".to_vec()),
            Just(b"\\u12".to_vec()),
            Just(b"\\x".to_vec()),
            Just(b"\\/".to_vec()),
            Just(b"\\\"".to_vec()),
            Just(b"\\\\".to_vec()),
            Just(b"\\n".to_vec()),
            Just(b"\\".to_vec()),
            Just(b"\\\n".to_vec()),
            "[\"' \n\t`]{1,2}".prop_map(String::into_bytes),
            "[a-fA-F0-9]{1,4}".prop_map(String::into_bytes),
            "[a-z/:]{1,8}".prop_map(String::into_bytes),
            "\\PC{1,8}".prop_map(|s| escape(&s, true).into_bytes()),
            any::<u8>().prop_map(|b| vec![b]),
        ];
        proptest::collection::vec(atoms, 0..60).prop_map(|v| v.concat())
    }

    /// Reference finder without cuts.
    fn ref_spans(buf: &[u8], min_len: usize) -> Vec<Span> {
        let mut spans = Vec::new();
        let mut i = 0;
        while i < buf.len() {
            if !RUN_CHAR[buf[i] as usize] {
                i += 1;
                continue;
            }
            let s = i;
            let mut strong = 0;
            while i < buf.len() {
                let b = buf[i];
                if b == b'\\' {
                    match buf.get(i + 1) {
                        Some(&c) if escapable(c) => {
                            let rest = &buf[i + 2..];
                            let hex = |n: usize| {
                                rest.len() >= n && rest[..n].iter().all(u8::is_ascii_hexdigit)
                            };
                            if c == b'u' && hex(4) {
                                strong += 1;
                                i += 6;
                            } else if c == b'x' && hex(2) {
                                strong += 1;
                                i += 4;
                            } else {
                                strong += usize::from(c == b'/');
                                i += 2;
                            }
                        }
                        _ => {
                            i += 1;
                            break;
                        }
                    }
                } else if RUN_CHAR[b as usize] {
                    i += 1;
                } else {
                    break;
                }
            }
            if strong >= min_len.max(1) {
                spans.push(Span {
                    start: s as u64,
                    end: i as u64,
                });
            }
        }
        spans
    }

    #[test]
    fn finder_examples() {
        let cfg = TransformConfig::escape_default();
        let mut out = Vec::new();
        let text = br#"print("hello\n\tworld\"\\"); u = "https:\/\/hooks.example.com\/x"; s = 'a\x41\x42\'c'"#;
        find_spans(&cfg, text, &mut out);
        let got: Vec<&[u8]> = out
            .iter()
            .map(|s| &text[s.start as usize..s.end as usize])
            .collect();
        assert_eq!(
            got,
            vec![
                &br"https:\/\/hooks.example.com\/x"[..],
                &br"a\x41\x42\'c"[..]
            ]
        );
        // One strong escape is not enough by default.
        find_spans(&cfg, br#""\u0041 and \n""#, &mut out);
        assert!(out.is_empty());
        // A backslash before a line break ends the run, inside the span.
        find_spans(&cfg, b"\\x41\\x42\\\nx", &mut out);
        assert_eq!(out, vec![Span { start: 0, end: 9 }]);
    }

    #[test]
    fn finder_cuts_before_escape() {
        let mut cfg = TransformConfig::escape_default();
        cfg.min_len = 1;
        cfg.max_encoded_len = 8;
        let mut out = Vec::new();
        let counts = find_spans(&cfg, br"ab\x41cd\u0042", &mut out);
        // "ab\x41cd" is 8 bytes; the next piece starts at the `\u`.
        assert_eq!(
            out,
            vec![Span { start: 0, end: 8 }, Span { start: 8, end: 14 }]
        );
        assert_eq!(counts.cut, 1);
    }

    #[test]
    fn decoder_examples() {
        let (out, _, _) = decode_all(
            br#"\u0067\u0068p_\x41\/\"\\\n\t\q\u12\x4\uD83D\uDE00\uDE00\"#,
            usize::MAX,
        );
        assert_eq!(
            out,
            "ghp_A/\"\\\n\t\\q\\u12\\x4\u{1F600}\u{FFFD}\\".as_bytes()
        );
        let (out, _, o) = decode_all(br"\u00e9\u00e9", 3);
        assert_eq!(out, [0xc3, 0xa9, 0xc3]);
        assert!(o.truncated);
    }

    #[test]
    fn decoder_chunks_and_early_stop() {
        let enc = b"\\x41".repeat(DECODE_CHUNK_LEN * 2 + 5);
        let (out, sizes, o) = decode_all(&enc, usize::MAX);
        assert_eq!(out.len(), DECODE_CHUNK_LEN * 2 + 5);
        assert_eq!(sizes, vec![DECODE_CHUNK_LEN, DECODE_CHUNK_LEN, 5]);
        assert_eq!(o.decoded_len, out.len() as u64);
        let mut buf = Vec::new();
        let o = stream_decode(&enc, usize::MAX, &mut buf, |_| ControlFlow::Break(()));
        assert!(o.stopped_early && !o.truncated);
        assert_eq!(o.decoded_len, DECODE_CHUNK_LEN as u64);
    }

    proptest! {
        #![proptest_config(testing::proptest_config(256))]

        #[test]
        fn decoder_matches_reference(
            enc in prop_oneof![soup(), proptest::collection::vec(any::<u8>(), 0..64)],
            max in prop_oneof![Just(usize::MAX), 0usize..64],
        ) {
            let (want, trunc) = ref_decode(&enc, max);
            let (got, sizes, o) = decode_all(&enc, max);
            prop_assert_eq!(&got, &want);
            prop_assert_eq!(o.truncated, trunc);
            prop_assert_eq!(o.decoded_len, want.len() as u64);
            prop_assert!(testing::full_chunks(&sizes));
        }

        #[test]
        fn decoder_roundtrip(text in "\\PC{0,200}", unicode in any::<bool>()) {
            let (got, _, _) = decode_all(escape(&text, unicode).as_bytes(), usize::MAX);
            prop_assert_eq!(got, text.into_bytes());
        }

        #[test]
        fn finder_chunk_invariant(
            buf in soup(),
            (cuts, base) in testing::chunking(),
            cfg in testing::limits(TransformConfig::escape_default(), 0..5, 0..30),
        ) {
            let (whole, _) = check_chunk_invariance(&cfg, &buf, &cuts, base)?;
            if cfg.max_encoded_len == usize::MAX {
                prop_assert_eq!(whole, ref_spans(&buf, cfg.min_len));
            } else {
                for s in &whole {
                    prop_assert!(s.len() <= cfg.max_encoded_len.max(6) as u64);
                }
            }
        }

        #[test]
        fn mapped_range_decodes_to_the_range(
            text in "[ -~]{1,40}",
            unicode in any::<bool>(),
            a in 0usize..40,
            b in 0usize..40,
        ) {
            let enc = escape(&text, unicode).into_bytes();
            let data = text.as_bytes();
            let lo = a % data.len();
            let hi = lo + 1 + b % (data.len() - lo);
            let cfg = TransformConfig::escape_default();
            let (s, e) = super::super::encoded_range(&cfg, &enc, lo as u64, hi as u64);
            let (piece, _, _) = decode_all(&enc[s as usize..e as usize], usize::MAX);
            prop_assert_eq!(&piece[..], &data[lo..hi]);
        }
    }
}
