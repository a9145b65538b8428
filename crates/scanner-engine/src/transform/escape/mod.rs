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

use super::byte_class::{at_most, eq, rposition, ByteClass};
use super::chunked_output::ChunkedOutput;
use super::finder::{scan_marked_runs, Finder, Limits, MarkedRuns, Reporter, SpanGrammar};
use super::hex::hex_val;
use super::{DecodeOutcome, Span};
use wide::u8x16;

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
        // Everything after the last non-run byte is in the run.
        let Some(p) = rposition::<NotRun>(&chunk[from..s]) else {
            return from;
        };
        let p = from + p;
        // A quote escaped by the backslashes before it stays in the run.
        let slashes = chunk[from..p]
            .iter()
            .rev()
            .take_while(|&&c| c == b'\\')
            .count();
        if escapable(chunk[p]) && slashes % 2 == 1 {
            s = p;
            continue;
        }
        return p + 1;
    }
    s
}

/// Bytes that are not [`RUN_CHAR`]s: control bytes but tab, DEL and the
/// three quotes.
pub struct NotRun;

impl ByteClass for NotRun {
    fn lanes(v: u8x16) -> u8x16 {
        (at_most(v, 0x1f) & !eq(v, b'\t')) | eq(v, 0x7f) | eq(v, b'"') | eq(v, b'\'') | eq(v, b'`')
    }
    fn byte(b: u8) -> bool {
        !RUN_CHAR[usize::from(b)]
    }
}

/// Where the fast path's walk over plain run text stops: a non-run byte or a backslash.
pub struct RunStop;

impl ByteClass for RunStop {
    fn lanes(v: u8x16) -> u8x16 {
        NotRun::lanes(v) | eq(v, b'\\')
    }
    fn byte(b: u8) -> bool {
        b == b'\\' || !RUN_CHAR[usize::from(b)]
    }
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

    /// The shared fast path of marked runs (`finder::scan_marked_runs`).
    fn scan(&mut self, chunk: &[u8], chunk_start: u64, out: &mut Reporter<'_>) -> ControlFlow<()> {
        scan_marked_runs(self, chunk, chunk_start, out)
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

impl MarkedRuns for EscapeGrammar {
    type RunStop = RunStop;

    fn in_run(&self) -> bool {
        self.in_run
    }

    fn in_plain_text(&self) -> bool {
        self.esc == Esc::None
    }

    fn piece_len(&mut self) -> (&mut u64, u64) {
        (&mut self.len, self.lim.max_len)
    }

    fn next_run(chunk: &[u8], from: usize) -> usize {
        run_start(chunk, from, next_strong(chunk, from).unwrap_or(chunk.len()))
    }
}

#[cfg(test)]
mod tests;
