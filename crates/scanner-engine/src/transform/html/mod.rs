//! HTML/XML character references: an incremental span finder and a
//! streaming decoder.
//!
//! **Reference.** `&#` and 1 to 7 decimal digits, or `&#x` / `&#X` and 1 to
//! 6 hex digits, then `;` (a numeric reference: the code point, written as
//! UTF-8; 0, a surrogate or a value above U+10FFFF gives U+FFFD); or `&`, a
//! name from a small table ([`NAMED`]: `amp lt gt quot apos sol colon equals
//! plus nbsp` and a few more punctuation names), then `;`. The `;` is
//! required; names are case-sensitive.
//!
//! **Span.** A maximal run of printable ASCII other than space and
//! `< > " '` and backtick (markup and attribute delimiters end a run) that
//! holds at least `min_len` (default 2) references. Prose with one `&amp;`
//! is not decoded; `&#103;&#104;&#112;...`, or a URL in an attribute with
//! `&amp;`-separated parameters, is.
//!
//! **Cap.** A run longer than `max_encoded_len` bytes (at least 10, the
//! longest reference) is cut into consecutive pieces of at most that length,
//! each judged on its own; a cut falls before a reference in progress, so a
//! reference is never split.
//!
//! **Decoder.** References become their characters; everything else,
//! including a `&` that starts no reference, is copied. It never fails.
//!
//! **Speed.** Between runs, [`HtmlSpanFinder::feed`] jumps with `memchr` to
//! the next `&` that may start a reference (followed by `#` or a letter)
//! and feeds only the run holding it and the chunk's trailing run: the runs
//! skipped hold no reference (a skipped stretch longer than the cap is
//! stepped, for its cuts). Inside a run, plain characters are counted in
//! bulk. `step` on every byte is the reference semantics.
//!
//! Invariants: O(1) scalar state (a name in progress is packed into a
//! `u64`), the same spans however the input is chunked, a report lag of one
//! byte, every cap counted; [`reference`] is the one definition of a
//! reference shared by the decoder, [`encoded_range`](super::encoded_range)
//! and the engine's resumable cuts; nothing panics.

use core::ops::ControlFlow;

use memchr::memchr;

use super::byte_class::{at_least, at_most, eq, rposition, ByteClass};
use super::chunked_output::ChunkedOutput;
use super::escape::Decoded;
use super::finder::{scan_marked_runs, Finder, Limits, MarkedRuns, Reporter, SpanGrammar};
use super::hex::hex_val;
use super::{DecodeOutcome, Span};
use wide::u8x16;

/// The named references decoded: name (without `&` and `;`) and character.
pub const NAMED: &[(&str, char)] = &[
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("sol", '/'),
    ("bsol", '\\'),
    ("colon", ':'),
    ("semi", ';'),
    ("equals", '='),
    ("plus", '+'),
    ("nbsp", '\u{a0}'),
    ("num", '#'),
    ("excl", '!'),
    ("quest", '?'),
    ("period", '.'),
    ("comma", ','),
    ("lowbar", '_'),
    ("commat", '@'),
    ("dollar", '$'),
    ("percnt", '%'),
    ("ast", '*'),
    ("lpar", '('),
    ("rpar", ')'),
    ("Tab", '\t'),
    ("NewLine", '\n'),
];

/// Longest name in [`NAMED`].
const MAX_NAME: usize = 7;

/// The character of named reference `name`.
fn named(name: &[u8]) -> Option<char> {
    NAMED
        .iter()
        .find(|(n, _)| n.as_bytes() == name)
        .map(|&(_, c)| c)
}

/// Whether the name packed in `packed` (bytes in order, big-endian, `len`
/// of them) is in [`NAMED`].
fn named_packed(packed: u64, len: u8) -> bool {
    let bytes = packed.to_be_bytes();
    let len = usize::from(len).min(8);
    named(&bytes[8 - len..]).is_some()
}

/// `RUN_CHAR[b]`: whether `b` may appear in an HTML span.
static RUN_CHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] =
            c > 0x20 && c < 0x7f && c != b'<' && c != b'>' && c != b'"' && c != b'\'' && c != b'`';
        b += 1;
    }
    t
};

/// The code point of a numeric reference as a character.
fn code_point(v: u32) -> char {
    match v {
        0 => char::REPLACEMENT_CHARACTER,
        v => char::from_u32(v).unwrap_or(char::REPLACEMENT_CHARACTER),
    }
}

/// The reference at the start of `s` (which starts with `&`), if any: its
/// encoded length (at most 10 bytes) and what it decodes to.
pub(crate) fn reference(s: &[u8]) -> Option<(usize, Decoded)> {
    if s.first() != Some(&b'&') {
        return None;
    }
    if s.get(1) == Some(&b'#') {
        let (hex, from) = match s.get(2) {
            Some(b'x' | b'X') => (true, 3),
            _ => (false, 2),
        };
        let (radix, most) = if hex { (16, 6) } else { (10, 7) };
        let digits = s
            .get(from..)?
            .iter()
            .take(most + 1)
            .take_while(|&&b| {
                if hex {
                    hex_val(b).is_some()
                } else {
                    b.is_ascii_digit()
                }
            })
            .count();
        if digits == 0 || digits > most || s.get(from + digits) != Some(&b';') {
            return None;
        }
        let v = s[from..from + digits].iter().fold(0u32, |acc, &b| {
            acc * radix + u32::from(hex_val(b).unwrap_or(0))
        });
        return Some((from + digits + 1, Decoded::char(code_point(v))));
    }
    let name = s
        .get(1..)?
        .iter()
        .take(MAX_NAME + 1)
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    if name == 0 || name > MAX_NAME || s.get(1 + name) != Some(&b';') {
        return None;
    }
    let c = named(&s[1..=name])?;
    Some((name + 2, Decoded::char(c)))
}

/// Where the finder is inside a reference.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Ref {
    #[default]
    None,
    /// After `&`.
    Amp,
    /// After `&#`.
    Hash,
    /// After `&#` and this many decimal digits.
    Dec(u8),
    /// After `&#x`.
    X,
    /// After `&#x` and this many hex digits.
    Hex(u8),
    /// After `&` and this many letters (packed in `name`).
    Name(u8),
}

/// Incremental finder of HTML reference spans (see the module docs for the
/// grammar). Holds no heap memory.
pub type HtmlSpanFinder = Finder<HtmlGrammar>;

/// The HTML character-reference span grammar (see the module docs), driven
/// by [`HtmlSpanFinder`].
#[derive(Clone, Debug, Default)]
pub struct HtmlGrammar {
    lim: Limits,
    in_run: bool,
    start: u64,
    len: u64,
    /// References in the open piece.
    refs: u64,
    state: Ref,
    /// Offset of the `&` of the reference in progress.
    ref_start: u64,
    /// The letters of a name in progress, packed.
    name: u64,
}

impl HtmlGrammar {
    fn close(&mut self, out: &mut Reporter<'_>) -> ControlFlow<()> {
        if !self.in_run {
            return ControlFlow::Continue(());
        }
        self.in_run = false;
        self.state = Ref::None;
        if self.refs >= self.lim.min_len.max(1) {
            out.report(Span {
                start: self.start,
                end: self.start.saturating_add(self.len),
            })
        } else {
            ControlFlow::Continue(())
        }
    }

    /// Cuts the open piece before `pos` (or before the reference in
    /// progress) and starts the next piece there.
    fn cut(&mut self, pos: u64, out: &mut Reporter<'_>) -> ControlFlow<()> {
        let at = if self.state != Ref::None && self.ref_start > self.start {
            self.ref_start
        } else {
            self.state = Ref::None;
            pos
        };
        out.count_cuts(1);
        let piece = Span {
            start: self.start,
            end: at,
        };
        let qualifies = self.refs >= self.lim.min_len.max(1);
        self.start = at;
        self.len = pos.saturating_sub(at);
        self.refs = 0;
        if qualifies {
            out.report(piece)
        } else {
            ControlFlow::Continue(())
        }
    }
}

/// The first `&` at or after `from` that may start a reference (followed
/// by `#` or a letter, or last in the chunk).
fn next_reference(chunk: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(p) = memchr(b'&', chunk.get(at..)?) {
        let p = at + p;
        match chunk.get(p + 1) {
            None | Some(b'#') => return Some(p),
            Some(c) if c.is_ascii_alphabetic() => return Some(p),
            _ => at = p + 1,
        }
    }
    None
}

/// The start of the run of [`RUN_CHAR`] bytes that ends at `end`, not
/// before `from`.
fn run_start(chunk: &[u8], from: usize, end: usize) -> usize {
    rposition::<NotRun>(&chunk[from..end]).map_or(from, |p| from + p + 1)
}

/// Bytes that are not [`RUN_CHAR`]s: space, control bytes, DEL and above,
/// markup characters and quotes.
pub struct NotRun;

impl ByteClass for NotRun {
    fn lanes(v: u8x16) -> u8x16 {
        at_most(v, 0x20)
            | at_least(v, 0x7f)
            | eq(v, b'<')
            | eq(v, b'>')
            | eq(v, b'"')
            | eq(v, b'\'')
            | eq(v, b'`')
    }
    fn byte(b: u8) -> bool {
        !RUN_CHAR[usize::from(b)]
    }
}

/// Where the fast path's walk over plain run text stops: a non-run byte or an `&`.
pub struct RunStop;

impl ByteClass for RunStop {
    fn lanes(v: u8x16) -> u8x16 {
        NotRun::lanes(v) | eq(v, b'&')
    }
    fn byte(b: u8) -> bool {
        b == b'&' || !RUN_CHAR[usize::from(b)]
    }
}

impl SpanGrammar for HtmlGrammar {
    const MIN_PIECE: u64 = 10;

    fn new(lim: Limits) -> Self {
        Self {
            lim,
            ..Self::default()
        }
    }

    #[inline]
    fn step(&mut self, b: u8, pos: u64, out: &mut Reporter<'_>) -> ControlFlow<()> {
        if !RUN_CHAR[usize::from(b)] {
            return self.close(out);
        }
        if !self.in_run {
            self.in_run = true;
            self.start = pos;
            self.len = 0;
            self.refs = 0;
            self.state = Ref::None;
        }
        if self.len >= self.lim.max_len {
            self.cut(pos, out)?;
        }
        self.len = self.len.saturating_add(1);
        if b == b'&' {
            self.state = Ref::Amp;
            self.ref_start = pos;
            return ControlFlow::Continue(());
        }
        let hex = hex_val(b).is_some();
        self.state = match (self.state, b) {
            (Ref::Amp, b'#') => Ref::Hash,
            (Ref::Amp, _) if b.is_ascii_alphabetic() => {
                self.name = u64::from(b);
                Ref::Name(1)
            }
            (Ref::Hash, b'x' | b'X') => Ref::X,
            (Ref::Hash, _) if b.is_ascii_digit() => Ref::Dec(1),
            (Ref::Dec(n), _) if b.is_ascii_digit() && n < 7 => Ref::Dec(n + 1),
            (Ref::X, _) if hex => Ref::Hex(1),
            (Ref::Hex(n), _) if hex && n < 6 => Ref::Hex(n + 1),
            (Ref::Name(n), _) if b.is_ascii_alphabetic() && usize::from(n) < MAX_NAME => {
                self.name = (self.name << 8) | u64::from(b);
                Ref::Name(n + 1)
            }
            (Ref::Dec(_) | Ref::Hex(_), b';') => {
                self.refs += 1;
                Ref::None
            }
            (Ref::Name(n), b';') => {
                if named_packed(self.name, n) {
                    self.refs += 1;
                }
                Ref::None
            }
            _ => Ref::None,
        };
        ControlFlow::Continue(())
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

/// Decodes an HTML span (see the module docs), handing the output to
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
    walk_units(encoded, |i, used, decoded| {
        let flow = match decoded {
            Some(d) => sink.push(d.as_slice()),
            None => sink.push(&encoded[i..i + used]),
        };
        if flow.is_break() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    sink.finish()
}

/// Calls `f(encoded offset, encoded len, decoded)` on each unit of
/// `encoded` in order — a reference (`Some` with its character) or a run
/// of literal bytes (`None`: copied) — until it returns `Break`.
pub(crate) fn walk_units(
    encoded: &[u8],
    mut f: impl FnMut(usize, usize, Option<Decoded>) -> ControlFlow<()>,
) {
    let mut i = 0;
    while let Some(rest) = encoded.get(i..).filter(|r| !r.is_empty()) {
        let (used, decoded) = match reference(rest) {
            Some((used, d)) => (used, Some(d)),
            None => {
                // Literal bytes up to the next `&` (this one included when
                // it starts no reference).
                let skip = usize::from(rest[0] == b'&');
                (
                    skip + memchr(b'&', &rest[skip..]).unwrap_or(rest.len() - skip),
                    None,
                )
            }
        };
        if f(i, used, decoded).is_break() {
            return;
        }
        i += used;
    }
}

impl MarkedRuns for HtmlGrammar {
    type RunStop = RunStop;

    fn in_run(&self) -> bool {
        self.in_run
    }

    fn in_plain_text(&self) -> bool {
        self.state == Ref::None
    }

    fn piece_len(&mut self) -> (&mut u64, u64) {
        (&mut self.len, self.lim.max_len)
    }

    fn next_run(chunk: &[u8], from: usize) -> usize {
        run_start(
            chunk,
            from,
            next_reference(chunk, from).unwrap_or(chunk.len()),
        )
    }
}

#[cfg(test)]
mod tests;
