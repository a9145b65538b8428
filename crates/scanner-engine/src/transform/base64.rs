//! Base64: an incremental span finder and a streaming decoder.
//!
//! **Alphabets.** Letters and digits, plus either `+` `/` (standard) or `-`
//! `_` (URL-safe). `+/-_` are the *specific* characters; a span's alphabet is
//! that of its specific characters, "undecided" if it has none (the two
//! decodings then agree).
//!
//! **Span.** Within a run of alphabet characters, a *window* is a maximal
//! stretch that uses only one alphabet. A run mixing both alphabets (e.g.
//! `path/to/x-y_z`) is split into overlapping windows: the standard window
//! ends just before the first `-`/`_`, and the URL-safe window starts at the
//! letters and digits after the last `+`/`/` before it (and vice versa), so
//! each window gets every character compatible with it. A window is reported
//! if it holds at least `min_len` alphabet characters and passes the junk
//! filter: it contains a digit, or both an upper- and a lower-case letter
//! (drops `CONSTANT_NAMES`, `/usr/local/share`, `------`, `//////`; Base64
//! of anything with mixed bits has both).
//!
//! - **Padding.** `=` ends a run. It is part of the span only if it is correct
//!   padding (one `=` after 3 characters mod 4, two after 2 mod 4) and fits
//!   within `max_encoded_len`; a lone `=` after 2 (mod 4) is left out.
//! - **Line breaks.** `\n` or `\r\n`, optionally followed by up to
//!   [`MAX_INDENT`] spaces or tabs (indentation), continue a run iff the
//!   window so far has a multiple of 4 characters (wrapped Base64 always
//!   breaks between quanta: PEM 64, MIME 76), is not URL-safe, and the next
//!   line starts with a letter, digit, `+` or `/`. A window that crosses a
//!   line break is standard-alphabet. A span never starts or ends with a line
//!   break.
//! - **Escapes.** The letter of a backslash escape `\n`, `\r`, `\t` (as in
//!   JSON strings holding PEM text) never starts a span, so the lines of an
//!   escaped PEM blob are found as aligned spans.
//! - **Cap.** A window about to exceed `max_encoded_len` bytes (at least 4;
//!   line breaks and indentation count) is reported up to its last complete
//!   quantum, and the run goes on as a new window from the next character,
//!   so every piece but the last is a whole number of quanta and decodes on
//!   its own.
//! - **Lag.** A span is reported at the latest when the finder has been fed
//!   [`MAX_REPORT_LAG`](super::MAX_REPORT_LAG) bytes past its end (the
//!   look-ahead is a line break, indentation and, for a cut, up to 3
//!   characters of the next quantum).
//!
//! **Decoder.** Skips ASCII whitespace anywhere, takes the alphabet of the
//! first specific character (standard if none), decodes whole quanta with
//! `base64-simd` where the input is clean and byte by byte otherwise,
//! accepts no padding or up to as many `=` as complete the last quantum
//! (whitespace may sit between them), ignores non-zero
//! trailing bits, and fails on a byte outside the alphabet, misplaced or
//! excess padding, data after padding, or a single trailing character.
//!
//! **Speed.** [`Base64SpanFinder::feed`] skips, without the per-byte state
//! machine, whole 64-byte blocks and single runs that cannot be reported
//! (too short, or junk as a whole) and leave no state, reports a run that
//! is one window ended by a plain byte at once, and appends letters and
//! digits to a window in bulk;
//! `step` on every byte is the reference semantics (see
//! `docs/transforms.md`).
//!
//! Invariants: the finder keeps O(1) scalar state, looks at each byte a
//! bounded number of times and reports the same spans however its input is
//! chunked; the decoder's
//! output chunking depends only on [`DECODE_CHUNK_LEN`](super::DECODE_CHUNK_LEN);
//! nothing panics.

use core::ops::ControlFlow;

use base64_simd::{Out, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use memchr::{memchr2, memchr3};

use super::sink::Sink;
use super::{
    to_u64, DecodeError, DecodeErrorKind, DecodeOutcome, Span, SpanCounts, TransformConfig,
};

// Byte classes of the span finder.
const OTHER: u8 = 0;
const UPPER: u8 = 1;
const LOWER: u8 = 2;
const DIGIT: u8 = 3;
const STD: u8 = 4;
const URL: u8 = 5;
const PAD: u8 = 6;
const CR: u8 = 7;
const LF: u8 = 8;
const HSPACE: u8 = 9;
const BSLASH: u8 = 10;

static CLASS: [u8; 256] = {
    let mut t = [OTHER; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = match c {
            b'A'..=b'Z' => UPPER,
            b'a'..=b'z' => LOWER,
            b'0'..=b'9' => DIGIT,
            b'+' | b'/' => STD,
            b'-' | b'_' => URL,
            b'=' => PAD,
            b'\r' => CR,
            b'\n' => LF,
            b' ' | b'\t' => HSPACE,
            b'\\' => BSLASH,
            _ => OTHER,
        };
        b += 1;
    }
    t
};

/// `IDLE_STOP[b]`: `b` is an alphabet character or a backslash, the bytes
/// the idle scan stops at.
static IDLE_STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = is_alphabet(CLASS[b]) || CLASS[b] == BSLASH;
        b += 1;
    }
    t
};

/// Size of the blocks of the idle scan.
const BLOCK: usize = 64;

/// Bit masks of the block of [`BLOCK`] bytes at `base` (bit `j` for byte
/// `base + j`): alphabet characters, `\r`/`\n`, backslashes.
#[derive(Clone, Copy)]
struct BlockMasks {
    base: usize,
    alpha: u64,
    brk: u64,
    bsl: u64,
}

impl BlockMasks {
    /// No block (every offset is outside it).
    const NONE: Self = Self {
        base: usize::MAX,
        alpha: 0,
        brk: 0,
        bsl: 0,
    };
}

/// The masks of `block`, at `base`. The bytes are classified with
/// branch-free arithmetic (vectorized by the compiler) into flag bytes,
/// which are packed eight at a time with a multiplication.
#[inline]
fn block_masks(block: &[u8; BLOCK], base: usize) -> BlockMasks {
    let mut flags = [0u8; BLOCK];
    for (f, &b) in flags.iter_mut().zip(block) {
        let letter = (b | 0x20).wrapping_sub(b'a') < 26;
        let digit = b.wrapping_sub(b'0') < 10;
        let specific = (b == b'+') | (b == b'/') | (b == b'-') | (b == b'_');
        let brk = (b == b'\r') | (b == b'\n');
        *f = u8::from(letter | digit | specific)
            | (u8::from(brk) << 1)
            | (u8::from(b == b'\\') << 2);
    }
    // Byte `j` of `x` (0 or 1) to bit `j` of the result.
    let pack = |x: u64| x.wrapping_mul(0x0102_0408_1020_4080) >> 56;
    const ONES: u64 = 0x0101_0101_0101_0101;
    let mut m = BlockMasks {
        base,
        ..BlockMasks::NONE
    };
    for (j, w) in flags.chunks_exact(8).enumerate() {
        let x = w.try_into().map_or(0, u64::from_le_bytes);
        let shift = 8 * j;
        m.alpha |= pack(x & ONES) << shift;
        m.brk |= pack((x >> 1) & ONES) << shift;
        m.bsl |= pack((x >> 2) & ONES) << shift;
    }
    m
}

/// `b` is a letter or a digit.
#[inline]
fn is_alnum(b: u8) -> bool {
    matches!(CLASS[usize::from(b)], UPPER..=DIGIT)
}

/// The junk-filter bit of a letter or digit (see [`Mix::seen`]).
#[inline]
fn seen_bit(b: u8) -> u8 {
    1 << (CLASS[usize::from(b)] & 7)
}

/// Whether a class is an alphabet character (either alphabet).
const fn is_alphabet(c: u8) -> bool {
    c >= UPPER && c <= URL
}

/// Whether byte `b` is a character of either Base64 alphabet.
#[inline]
pub(crate) fn is_base64_char(b: u8) -> bool {
    is_alphabet(CLASS[usize::from(b)])
}

/// The alphabet a window is committed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Alpha {
    Undecided,
    Standard,
    UrlSafe,
}

/// Character count and junk-filter flags of a stretch of alphabet characters.
#[derive(Clone, Copy, Debug, Default)]
struct Mix {
    count: u64,
    /// Bit `1 << class` for each of `UPPER`, `LOWER`, `DIGIT` seen.
    seen: u8,
}

const SEEN_UPPER: u8 = 1 << UPPER;
const SEEN_LOWER: u8 = 1 << LOWER;
const SEEN_DIGIT: u8 = 1 << DIGIT;

impl Mix {
    #[inline]
    fn add(&mut self, class: u8) {
        self.count = self.count.saturating_add(1);
        // Classes are < 8; specific characters set bits the filter ignores.
        self.seen |= 1 << (class & 7);
    }

    /// The junk filter: a digit, or letters of both cases.
    fn plausible(&self) -> bool {
        self.seen & SEEN_DIGIT != 0
            || self.seen & (SEEN_UPPER | SEEN_LOWER) == SEEN_UPPER | SEEN_LOWER
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Between runs.
    Idle,
    /// The last byte was an alphabet character of the open window.
    Run,
    /// After `\r` that may start a line break.
    Cr,
    /// After a line break (and maybe indentation): the run continues if the
    /// next line starts with a letter, digit, `+` or `/`.
    Break,
    /// After one `=` that needs a second to be padding.
    Pad1,
}

/// Most spaces or tabs after a line break that still continue a run.
pub const MAX_INDENT: u32 = 64;

/// Incremental finder of Base64 spans (see the module docs for the grammar).
/// Holds no heap memory.
#[derive(Clone, Debug)]
pub struct Base64SpanFinder {
    min_len: u64,
    max_spans: u64,
    /// `max_encoded_len`, at least 4.
    max_bytes: u64,
    phase: Phase,
    /// Spaces and tabs seen in `Phase::Break`.
    indent: u32,
    /// Start of the open window (valid while `win.count > 0`).
    start: u64,
    /// One past the last alphabet character of the open window.
    end: u64,
    win: Mix,
    alpha: Alpha,
    /// One past the last character that completed a quantum of the window,
    /// and the window up to there (`qmix.count == 0`: none yet).
    qend: u64,
    qmix: Mix,
    /// The characters after `qend` (at most 3, never across a line break)
    /// and where they start.
    qnext: u64,
    rem: Mix,
    /// The letters and digits since the last specific character, line break
    /// or cut: where a window of the other alphabet would start. They are
    /// adjacent bytes.
    gap_start: u64,
    gap: Mix,
    /// The previous byte was an unescaped backslash.
    backslash: bool,
    next_pos: Option<u64>,
    counts: SpanCounts,
    stopped: bool,
}

impl Base64SpanFinder {
    /// A finder with `cfg`'s `min_len`, `max_spans_per_buffer` and
    /// `max_encoded_len` (`cfg.kind` is not checked).
    #[must_use]
    pub fn new(cfg: &TransformConfig) -> Self {
        Self {
            min_len: to_u64(cfg.min_len),
            max_spans: to_u64(cfg.max_spans_per_buffer),
            max_bytes: to_u64(cfg.max_encoded_len).max(4),
            phase: Phase::Idle,
            indent: 0,
            start: 0,
            end: 0,
            win: Mix::default(),
            alpha: Alpha::Undecided,
            qend: 0,
            qmix: Mix::default(),
            qnext: 0,
            rem: Mix::default(),
            gap_start: 0,
            gap: Mix::default(),
            backslash: false,
            next_pos: None,
            counts: SpanCounts::default(),
            stopped: false,
        }
    }

    /// Scans `chunk` starting at absolute offset `chunk_start`; see
    /// [`SpanFinder::feed`](super::SpanFinder::feed).
    pub fn feed(
        &mut self,
        chunk: &[u8],
        chunk_start: u64,
        on_span: &mut dyn FnMut(Span) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        if self.stopped {
            return ControlFlow::Break(());
        }
        if self.next_pos.is_some_and(|p| p != chunk_start) {
            self.close(on_span)?;
            self.backslash = false;
        }
        self.next_pos = Some(chunk_start.saturating_add(to_u64(chunk.len())));
        let n = chunk.len();
        let mut blk = BlockMasks::NONE;
        let mut i = 0;
        while i < n {
            if self.phase == Phase::Idle {
                i = self.skip_blocks(chunk, i, &mut blk);
                i = self.skip_idle(chunk, i);
                if i == n {
                    break;
                }
                // A run starts at `i`. A whole run that ends without any
                // state left behind is skipped or reported at once.
                if let Some((next, flow)) = self.whole_run(chunk, i, chunk_start, on_span) {
                    flow?;
                    i = next;
                    continue;
                }
                self.step(chunk[i], chunk_start.saturating_add(to_u64(i)), on_span)?;
                i += 1;
            } else if self.phase == Phase::Run && self.win.count > 0 {
                // Letters and digits that do not reach the cap, in bulk;
                // same effect as `step` on each.
                let pos = chunk_start.saturating_add(to_u64(i));
                let room = self
                    .start
                    .saturating_add(self.max_bytes)
                    .saturating_sub(pos);
                let avail = usize::try_from(room).map_or(n - i, |r| r.min(n - i));
                let m = self.add_alnum(&chunk[i..i + avail], pos);
                i += m;
                if let Some(&b) = chunk.get(i) {
                    self.step(b, chunk_start.saturating_add(to_u64(i)), on_span)?;
                    i += 1;
                }
            } else {
                self.step(chunk[i], chunk_start.saturating_add(to_u64(i)), on_span)?;
                i += 1;
            }
        }
        ControlFlow::Continue(())
    }

    /// Byte-at-a-time version of [`Self::feed`] (the reference semantics).
    #[cfg(test)]
    pub(crate) fn feed_bytewise(
        &mut self,
        chunk: &[u8],
        chunk_start: u64,
        on_span: &mut dyn FnMut(Span) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        if self.stopped {
            return ControlFlow::Break(());
        }
        if self.next_pos.is_some_and(|p| p != chunk_start) {
            self.close(on_span)?;
            self.backslash = false;
        }
        self.next_pos = Some(chunk_start.saturating_add(to_u64(chunk.len())));
        let mut pos = chunk_start;
        for &b in chunk {
            self.step(b, pos, on_span)?;
            pos = pos.saturating_add(1);
        }
        ControlFlow::Continue(())
    }

    /// In `Phase::Idle`, from `i`: skips whole 64-byte blocks (followed by
    /// at least one more byte of `chunk`) in which stepping would report
    /// nothing and leave the finder idle, and returns where to go on. With
    /// bit masks over a block, a run of alphabet characters (ignoring
    /// escapes, which only shorten runs) is harmless if it is shorter than
    /// `min_len` and the cap, ends inside the block, and is not followed by
    /// `\r` or `\n`; the bytes before the first other run are skipped, the
    /// backslash flag set from the backslashes just before it. The masks of
    /// the last block are kept in `blk` for the next call on the same chunk.
    #[inline]
    fn skip_blocks(&mut self, chunk: &[u8], mut i: usize, blk: &mut BlockMasks) -> usize {
        let k = self.min_len.min(self.max_bytes.saturating_add(1));
        if k == 0 {
            return i;
        }
        let k = u32::try_from(k).unwrap_or(u32::MAX);
        loop {
            let mut off = i.checked_sub(blk.base).unwrap_or(BLOCK);
            if off >= BLOCK {
                let Some(block) = chunk
                    .get(i..i + BLOCK)
                    .filter(|_| chunk.len() > i + BLOCK)
                    .and_then(|b| <&[u8; BLOCK]>::try_from(b).ok())
                else {
                    return i;
                };
                *blk = block_masks(block, i);
                off = 0;
            }
            // Runs start at `off` at the earliest (the finder is idle there).
            let alpha = blk.alpha & (u64::MAX << off);
            // Last byte of each run, and of each run of `k` characters.
            let ends = alpha & !(alpha >> 1);
            let mut long = 0;
            if k <= 64 {
                let mut x = alpha;
                let mut have = 1;
                while have * 2 <= k {
                    x &= x << have;
                    have *= 2;
                }
                long = x & (x << (k - have));
            }
            let hot = long | (ends & (blk.brk >> 1)) | (alpha & (1 << 63));
            let stop = if hot == 0 {
                BLOCK as u32
            } else {
                // The start of the run holding the first hot byte.
                let p = hot.trailing_zeros();
                let starts = alpha & !(alpha << 1) & (u64::MAX >> (63 - p));
                63 - starts.leading_zeros()
            };
            // `off < BLOCK`, so this is exact.
            let off = off as u32;
            if stop > off {
                // Backslashes just before `stop`: an odd number escapes.
                let span = (u64::MAX >> (64 - stop)) & (u64::MAX << off);
                let others = !blk.bsl & span;
                self.backslash = if others == 0 {
                    self.backslash ^ ((stop - off) % 2 == 1)
                } else {
                    (stop - 1 - (63 - others.leading_zeros())) % 2 == 1
                };
            }
            i = blk.base + stop as usize;
            if stop < BLOCK as u32 {
                return i;
            }
        }
    }

    /// In `Phase::Idle`, from `i`: the index of the next byte that starts a
    /// run (or `chunk.len()`), keeping track of backslash escapes; same
    /// effect as `step` on the bytes before it.
    #[inline]
    fn skip_idle(&mut self, chunk: &[u8], mut i: usize) -> usize {
        loop {
            let skip = chunk[i..]
                .iter()
                .position(|&b| IDLE_STOP[usize::from(b)])
                .unwrap_or(chunk.len() - i);
            if skip > 0 {
                // Neither alphabet nor backslash: clears the escape.
                self.backslash = false;
                i += skip;
            }
            let Some(&b) = chunk.get(i) else { return i };
            if b == b'\\' {
                self.backslash = !self.backslash;
            } else if self.backslash && matches!(b, b'n' | b'r' | b't') {
                // The letter of an escape: not a run start.
                self.backslash = false;
            } else {
                return i;
            }
            i += 1;
        }
    }

    /// In `Phase::Idle`, with a run starting at `i`: handles the whole run
    /// at once when it ends within `chunk` in a way that leaves the finder
    /// idle, with the same effect as `step` on each of its bytes, and
    /// returns the index of the byte after it (left to the idle scan) with
    /// the report's flow. `None`: step through it. The run is
    /// - skipped when no window of it can be reported: it is shorter than
    ///   `min_len`, or it fails the junk filter as a whole (every window is
    ///   a part of it, so fails too), and no line break can continue it;
    /// - reported as one span when it is one window: a single alphabet, no
    ///   longer than the cap, ended by a byte that is neither padding nor a
    ///   line break.
    #[inline]
    fn whole_run(
        &mut self,
        chunk: &[u8],
        i: usize,
        chunk_start: u64,
        on_span: &mut dyn FnMut(Span) -> ControlFlow<()>,
    ) -> Option<(usize, ControlFlow<()>)> {
        let rest = &chunk[i..];
        // Runs longer than the cap are cut into pieces: step through them.
        let cap = usize::try_from(self.max_bytes).unwrap_or(usize::MAX);
        let mut mix = Mix::default();
        let mut len = 0;
        for &b in rest.iter().take(cap.saturating_add(1)) {
            let c = CLASS[usize::from(b)];
            if !is_alphabet(c) {
                break;
            }
            mix.seen |= 1 << c;
            len += 1;
        }
        mix.count = to_u64(len);
        let end = *rest.get(len)?;
        if len > cap {
            return None;
        }
        let letters_digits_only = mix.seen & !(SEEN_UPPER | SEEN_LOWER | SEEN_DIGIT) == 0;
        let closes = match CLASS[usize::from(end)] {
            // The run closes; the byte is handled as in `Phase::Idle`.
            OTHER | HSPACE | BSLASH => true,
            // Padding (complete, awaiting a second `=`, or not fitting)
            // closes the run once the byte after the `=` is seen; that byte
            // (or the `=`) gets the `Idle` treatment. Only a window that is
            // not reported may end so: a reported one would include it.
            PAD => {
                if rest.len() <= len + 1 {
                    return None;
                }
                false
            }
            // A line break can only continue a window of a multiple of 4
            // characters; with letters and digits only, that is `len`.
            _ => {
                if len % 4 == 0 || !letters_digits_only {
                    return None;
                }
                false
            }
        };
        let quiet = mix.count < self.min_len || !mix.plausible();
        let one_window = mix.seen & (1 << STD) == 0 || mix.seen & (1 << URL) == 0;
        if !(quiet || closes && one_window) {
            return None;
        }
        // `step` would have left the backslash flag cleared (the last byte
        // was an alphabet character) and the alphabet undecided.
        self.backslash = false;
        self.alpha = Alpha::Undecided;
        self.clear_window();
        let flow = if quiet {
            ControlFlow::Continue(())
        } else {
            let start = chunk_start.saturating_add(to_u64(i));
            self.report(start, start.saturating_add(mix.count), mix, on_span)
        };
        Some((i + len, flow))
    }

    /// Reports the open span, if any; see
    /// [`SpanFinder::finish`](super::SpanFinder::finish).
    pub fn finish(&mut self, on_span: &mut dyn FnMut(Span) -> ControlFlow<()>) -> ControlFlow<()> {
        if self.stopped {
            return ControlFlow::Break(());
        }
        self.next_pos = None;
        self.backslash = false;
        self.close(on_span)
    }

    /// Forgets all state and counters.
    pub fn reset(&mut self) {
        self.phase = Phase::Idle;
        self.clear_window();
        self.alpha = Alpha::Undecided;
        self.backslash = false;
        self.next_pos = None;
        self.counts = SpanCounts::default();
        self.stopped = false;
    }

    /// Counters since the last reset.
    #[must_use]
    pub fn counts(&self) -> SpanCounts {
        self.counts
    }

    /// See [`SpanFinder::open_start`](super::SpanFinder::open_start).
    #[must_use]
    pub fn open_start(&self) -> Option<u64> {
        (self.phase != Phase::Idle && self.win.count > 0).then_some(self.start)
    }

    fn clear_window(&mut self) {
        self.win = Mix::default();
        self.qmix = Mix::default();
        self.rem = Mix::default();
        self.gap = Mix::default();
    }

    /// Whether a line break may continue the open window.
    fn can_wrap(&self) -> bool {
        self.win.count.is_multiple_of(4) && self.alpha != Alpha::UrlSafe
    }

    fn step(
        &mut self,
        b: u8,
        pos: u64,
        on_span: &mut dyn FnMut(Span) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let c = CLASS[usize::from(b)];
        // Each arm either consumes the byte (returns) or closes the run and
        // hands the byte to `Idle` (at most one extra round).
        loop {
            match self.phase {
                Phase::Idle => {
                    let escaped = self.backslash;
                    self.backslash = c == BSLASH && !escaped;
                    if is_alphabet(c) && !(escaped && matches!(b, b'n' | b'r' | b't')) {
                        self.phase = Phase::Run;
                        self.alpha = Alpha::Undecided;
                        self.clear_window();
                        return self.push_char(c, pos, on_span);
                    }
                    return ControlFlow::Continue(());
                }
                Phase::Run => match c {
                    UPPER..=URL => return self.push_char(c, pos, on_span),
                    PAD if self.padding_fits(pos) => {
                        if self.win.count % 4 == 3 {
                            return self.close_at(pos.saturating_add(1), on_span);
                        }
                        self.phase = Phase::Pad1;
                        return ControlFlow::Continue(());
                    }
                    LF | CR if self.can_wrap() => {
                        self.phase = if c == LF { Phase::Break } else { Phase::Cr };
                        self.indent = 0;
                        return ControlFlow::Continue(());
                    }
                    _ => self.close(on_span)?,
                },
                Phase::Cr => {
                    if c == LF {
                        self.phase = Phase::Break;
                        return ControlFlow::Continue(());
                    }
                    self.close(on_span)?;
                }
                Phase::Break => match c {
                    HSPACE if self.indent < MAX_INDENT => {
                        self.indent += 1;
                        return ControlFlow::Continue(());
                    }
                    UPPER | LOWER | DIGIT | STD => {
                        // `can_wrap` excluded URL-safe windows, so `+/` fit.
                        if self.alpha == Alpha::Undecided {
                            self.alpha = Alpha::Standard;
                        }
                        self.gap = Mix::default();
                        self.phase = Phase::Run;
                        return self.push_char(c, pos, on_span);
                    }
                    _ => self.close(on_span)?,
                },
                Phase::Pad1 => {
                    if c == PAD {
                        return self.close_at(pos.saturating_add(1), on_span);
                    }
                    self.close(on_span)?;
                }
            }
        }
    }

    /// Whether `=` at `pos` (right after the window) starts correct padding
    /// that fits within `max_bytes`.
    fn padding_fits(&self, pos: u64) -> bool {
        let need = match self.win.count % 4 {
            2 => 2,
            3 => 1,
            _ => return false,
        };
        pos.saturating_add(need).saturating_sub(self.start) <= self.max_bytes
    }

    /// Adds an alphabet character (class `c`) at `pos` to the open window.
    fn push_char(
        &mut self,
        c: u8,
        pos: u64,
        on_span: &mut dyn FnMut(Span) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let specific = c == STD || c == URL;
        if specific {
            let alpha = if c == STD {
                Alpha::Standard
            } else {
                Alpha::UrlSafe
            };
            // A window made only of letters and digits (the gap is all of
            // it) merely inherited its alphabet from before a cut: it
            // switches without a split.
            if self.alpha != Alpha::Undecided
                && self.alpha != alpha
                && self.gap.count < self.win.count
            {
                self.alpha = alpha;
                self.switch_window(on_span)?;
            }
            self.alpha = alpha;
        }
        if self.win.count > 0 && pos.saturating_add(1).saturating_sub(self.start) > self.max_bytes {
            self.cut(on_span)?;
        }
        self.add(c, pos);
        ControlFlow::Continue(())
    }

    /// Appends the character at `pos` to the window (no cap check).
    #[inline]
    fn add(&mut self, c: u8, pos: u64) {
        if self.win.count == 0 {
            self.start = pos;
        }
        self.win.add(c);
        self.end = pos.saturating_add(1);
        if self.rem.count == 0 {
            self.qnext = pos;
        }
        self.rem.add(c);
        if self.win.count.is_multiple_of(4) {
            self.qend = self.end;
            self.qmix = self.win;
            self.rem = Mix::default();
        }
        if c == STD || c == URL {
            self.gap = Mix::default();
        } else {
            if self.gap.count == 0 {
                self.gap_start = pos;
            }
            self.gap.add(c);
        }
    }

    /// Appends the letters and digits at the start of `bytes`, the first at
    /// `p`, to the open window (`win.count > 0`, no cap check): same effect
    /// as [`Self::add`] on each. Returns how many there were.
    #[inline]
    fn add_alnum(&mut self, bytes: &[u8], p: u64) -> usize {
        let c0 = self.win.count;
        // Characters until the window's next quantum boundary (1..=4).
        let t1 = 4 - usize::from((c0 % 4) as u8);
        let mut t = 0;
        let mut seen = 0u8;
        while t < t1 {
            match bytes.get(t) {
                Some(&b) if is_alnum(b) => seen |= seen_bit(b),
                _ => break,
            }
            t += 1;
        }
        // The last quantum boundary reached (0: none) and the flags up to it.
        let mut tl = 0;
        let mut seen_q = 0u8;
        if t == t1 {
            tl = t;
            seen_q = seen;
            while let Some(&[a, b, c, d]) = bytes.get(t..t + 4) {
                if !(is_alnum(a) && is_alnum(b) && is_alnum(c) && is_alnum(d)) {
                    break;
                }
                seen |= seen_bit(a) | seen_bit(b) | seen_bit(c) | seen_bit(d);
                t += 4;
                tl = t;
                seen_q = seen;
            }
            while let Some(&b) = bytes.get(t).filter(|&&b| is_alnum(b)) {
                seen |= seen_bit(b);
                t += 1;
            }
        }
        let m = t;
        if m == 0 {
            return 0;
        }
        let m64 = to_u64(m);
        let old_seen = self.win.seen;
        self.win.count = self.win.count.saturating_add(m64);
        self.win.seen |= seen;
        self.end = p.saturating_add(m64);
        // `qnext`: the last character added while `rem` was empty, i.e.
        // right after a boundary (`t1 - 4` stands for the window so far).
        let back = (m + 3 - t1) % 4;
        if let Some(b) = (m - 1).checked_sub(back) {
            self.qnext = p.saturating_add(to_u64(b));
        }
        if tl > 0 {
            self.qend = p.saturating_add(to_u64(tl));
            self.qmix = Mix {
                count: c0.saturating_add(to_u64(tl)),
                seen: old_seen | seen_q,
            };
            self.rem = Mix {
                count: to_u64(m - tl),
                seen: bytes[tl..m].iter().fold(0, |s, &b| s | seen_bit(b)),
            };
        } else {
            self.rem.count = self.rem.count.saturating_add(m64);
            self.rem.seen |= seen;
        }
        if self.gap.count == 0 {
            self.gap_start = p;
        }
        self.gap.count = self.gap.count.saturating_add(m64);
        self.gap.seen |= seen;
        m
    }

    /// Mixed alphabets: reports the window so far and continues with a window
    /// of the other alphabet made of the letters and digits after this
    /// window's last specific character.
    fn switch_window(
        &mut self,
        on_span: &mut dyn FnMut(Span) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let (start, end, win) = (self.start, self.end, self.win);
        let g = self.gap;
        // The gap is adjacent bytes, so its quanta end every 4 bytes. Its
        // flags stand in for those of its parts (a lenient junk filter).
        let whole = g.count & !3;
        self.start = self.gap_start;
        self.win = g;
        self.qmix = Mix { count: whole, ..g };
        self.qend = self.gap_start.saturating_add(whole);
        self.rem = Mix {
            count: g.count - whole,
            ..g
        };
        self.qnext = self.qend;
        self.report(start, end, win, on_span)
    }

    /// The window is about to exceed `max_bytes`: reports it up to its last
    /// quantum boundary and continues with the characters after it.
    fn cut(&mut self, on_span: &mut dyn FnMut(Span) -> ControlFlow<()>) -> ControlFlow<()> {
        self.counts.cut = self.counts.cut.saturating_add(1);
        let piece = if self.qmix.count > 0 {
            let piece = (self.start, self.qend, self.qmix);
            self.start = self.qnext;
            self.win = self.rem;
            piece
        } else {
            // Unreachable with `max_bytes >= 4`: a window without a whole
            // quantum has no line break and at most 3 bytes.
            let piece = (self.start, self.end, self.win);
            self.win = Mix::default();
            self.rem = Mix::default();
            piece
        };
        self.qmix = Mix::default();
        if self.win.count == 0 {
            self.gap = Mix::default();
        } else if self.gap.count > 0 && self.gap_start < self.start {
            // The gap ran over the cut: all of the remainder is in it.
            self.gap_start = self.start;
            self.gap = self.win;
        }
        self.report(piece.0, piece.1, piece.2, on_span)
    }

    /// Ends the run at the end of its last alphabet character.
    fn close(&mut self, on_span: &mut dyn FnMut(Span) -> ControlFlow<()>) -> ControlFlow<()> {
        self.close_at(self.end, on_span)
    }

    /// Ends the run; the open window, if any, ends at `end`.
    fn close_at(
        &mut self,
        end: u64,
        on_span: &mut dyn FnMut(Span) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let open = self.phase != Phase::Idle;
        self.phase = Phase::Idle;
        let (start, win) = (self.start, self.win);
        self.clear_window();
        self.alpha = Alpha::Undecided;
        if open {
            self.report(start, end, win, on_span)
        } else {
            ControlFlow::Continue(())
        }
    }

    /// Reports a finished window if it passes `min_len`, the junk filter and
    /// the span cap.
    fn report(
        &mut self,
        start: u64,
        end: u64,
        win: Mix,
        on_span: &mut dyn FnMut(Span) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        if win.count == 0 || win.count < self.min_len || !win.plausible() {
            return ControlFlow::Continue(());
        }
        if self.counts.reported >= self.max_spans {
            self.counts.dropped = self.counts.dropped.saturating_add(1);
            return ControlFlow::Continue(());
        }
        self.counts.reported += 1;
        let flow = on_span(Span { start, end });
        if flow.is_break() {
            self.stopped = true;
        }
        flow
    }
}

// Decoder table entries beyond the 6-bit values.
const D_INVALID: u8 = 0xFF;
const D_SPACE: u8 = 0xFE;
const D_PAD: u8 = 0xFD;

const fn decode_table(specific: [u8; 2]) -> [u8; 256] {
    let mut t = [D_INVALID; 256];
    let mut i = 0u8;
    while i < 26 {
        t[(b'A' + i) as usize] = i;
        t[(b'a' + i) as usize] = 26 + i;
        i += 1;
    }
    let mut d = 0u8;
    while d < 10 {
        t[(b'0' + d) as usize] = 52 + d;
        d += 1;
    }
    t[specific[0] as usize] = 62;
    t[specific[1] as usize] = 63;
    t[b'=' as usize] = D_PAD;
    // ASCII whitespace, as `u8::is_ascii_whitespace`.
    t[b' ' as usize] = D_SPACE;
    t[b'\t' as usize] = D_SPACE;
    t[b'\n' as usize] = D_SPACE;
    t[b'\r' as usize] = D_SPACE;
    t[0x0C] = D_SPACE;
    t
}

static STANDARD_TABLE: [u8; 256] = decode_table([b'+', b'/']);
static URL_SAFE_TABLE: [u8; 256] = decode_table([b'-', b'_']);

/// Byte-by-byte decoding state: the quantum being gathered and padding.
struct Quantum {
    table: &'static [u8; 256],
    vals: [u8; 4],
    n: usize,
    pads: usize,
    /// Offset of the last alphabet character.
    last: usize,
}

impl Quantum {
    /// Takes byte `b` at `off`. `Err` on invalid input, `Ok(Break)` when the
    /// sink stopped.
    fn step<F: FnMut(&[u8]) -> ControlFlow<()>>(
        &mut self,
        b: u8,
        off: usize,
        sink: &mut Sink<'_, F>,
    ) -> Result<ControlFlow<()>, (DecodeErrorKind, usize)> {
        let v = self.table[usize::from(b)];
        if v == D_SPACE {
            return Ok(ControlFlow::Continue(()));
        }
        if self.pads > 0 {
            if v != D_PAD {
                return Err((DecodeErrorKind::AfterPadding, off));
            }
            if self.n + self.pads >= 4 {
                return Err((DecodeErrorKind::InvalidPadding, off));
            }
            self.pads += 1;
            return Ok(ControlFlow::Continue(()));
        }
        match v {
            D_PAD if self.n < 2 => Err((DecodeErrorKind::InvalidPadding, off)),
            D_PAD => {
                self.pads = 1;
                Ok(ControlFlow::Continue(()))
            }
            D_INVALID => Err((DecodeErrorKind::InvalidCharacter, off)),
            _ => {
                self.vals[self.n & 3] = v;
                self.n += 1;
                self.last = off;
                if self.n < 4 {
                    return Ok(ControlFlow::Continue(()));
                }
                self.n = 0;
                Ok(sink.push(&self.bytes()))
            }
        }
    }

    /// The 3 bytes of the gathered values (missing ones count as 0).
    fn bytes(&self) -> [u8; 3] {
        let [a, b, c, d] = self.vals.map(u32::from);
        let v = (a << 18) | (b << 12) | (c << 6) | d;
        let [_, x, y, z] = v.to_be_bytes();
        [x, y, z]
    }

    /// The end of input: decodes a 2- or 3-character tail.
    fn finish<F: FnMut(&[u8]) -> ControlFlow<()>>(
        &mut self,
        sink: &mut Sink<'_, F>,
    ) -> Result<ControlFlow<()>, (DecodeErrorKind, usize)> {
        let keep = match self.n {
            1 => return Err((DecodeErrorKind::TrailingSingleChar, self.last)),
            2 => 1,
            3 => 2,
            _ => return Ok(ControlFlow::Continue(())),
        };
        for v in &mut self.vals[self.n..] {
            *v = 0;
        }
        self.n = 0;
        let bytes = self.bytes();
        Ok(sink.push(&bytes[..keep]))
    }
}

/// Decodes a Base64 span (see the module docs), handing the output to
/// `on_chunk` in chunks of [`DECODE_CHUNK_LEN`](super::DECODE_CHUNK_LEN)
/// bytes, at most `max_decoded` bytes in all. `chunk_out` is the reusable
/// staging buffer.
///
/// # Errors
/// See [`DecodeErrorKind`]; the output of every complete quantum before the
/// offending byte has been handed to `on_chunk` first.
pub fn stream_decode(
    encoded: &[u8],
    max_decoded: usize,
    chunk_out: &mut Vec<u8>,
    on_chunk: impl FnMut(&[u8]) -> ControlFlow<()>,
) -> Result<DecodeOutcome, DecodeError> {
    // The alphabet of the first specific character; a later character of
    // the other alphabet is then invalid.
    let url_safe = match (memchr2(b'+', b'/', encoded), memchr2(b'-', b'_', encoded)) {
        (Some(s), Some(u)) => u < s,
        (None, Some(_)) => true,
        _ => false,
    };
    let (table, simd) = if url_safe {
        (&URL_SAFE_TABLE, &URL_SAFE_NO_PAD)
    } else {
        (&STANDARD_TABLE, &STANDARD_NO_PAD)
    };
    let mut sink = Sink::new(chunk_out, max_decoded, on_chunk);
    let mut q = Quantum {
        table,
        vals: [0; 4],
        n: 0,
        pads: 0,
        last: 0,
    };
    let mut i = 0;
    let result = 'outer: loop {
        let Some(rest) = encoded.get(i..).filter(|r| !r.is_empty()) else {
            break q.finish(&mut sink);
        };
        if q.n == 0 && q.pads == 0 && table[usize::from(rest[0])] < 64 {
            // Fast path: whole quanta up to the next line break or `=`,
            // within the chunk and the budget.
            let window = &rest[..rest.len().min(sink.room() / 3 * 4)];
            let clean = memchr3(b'\n', b'\r', b'=', window).unwrap_or(window.len());
            let quanta = clean / 4;
            if quanta > 0 {
                let src = &rest[..quanta * 4];
                let old = sink.out.len();
                sink.out.resize(old + quanta * 3, 0);
                if simd
                    .decode(src, Out::from_slice(&mut sink.out[old..]))
                    .is_ok()
                {
                    i += src.len();
                    if sink.after_write().is_break() {
                        break Ok(ControlFlow::Break(()));
                    }
                    continue;
                }
                // Something in there is not plain Base64 (a space, a bad
                // byte): redo these bytes one by one.
                sink.out.truncate(old);
                for (k, &b) in src.iter().enumerate() {
                    match q.step(b, i + k, &mut sink) {
                        Ok(ControlFlow::Continue(())) => {}
                        other => break 'outer other,
                    }
                }
                i += src.len();
                continue;
            }
        }
        match q.step(rest[0], i, &mut sink) {
            Ok(ControlFlow::Continue(())) => i += 1,
            other => break other,
        }
    };
    match result {
        Ok(_) => Ok(sink.finish()),
        Err((kind, offset)) => {
            if sink.flush().is_break() {
                return Ok(sink.finish());
            }
            Err(DecodeError {
                kind,
                offset,
                decoded_len: sink.emitted(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{find_spans, SpanFinder, TransformConfig, DECODE_CHUNK_LEN};
    use super::*;
    use proptest::prelude::*;

    const STD_CHARS: &[u8; 64] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const URL_CHARS: &[u8; 64] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    /// Reference encoder: 3 bytes → 4 characters, optional padding, optional
    /// line wrapping.
    fn ref_encode(data: &[u8], url: bool, pad: bool, wrap: Option<(usize, &str)>) -> Vec<u8> {
        let chars = if url { URL_CHARS } else { STD_CHARS };
        let mut flat = Vec::new();
        for group in data.chunks(3) {
            let mut buf = [0u8; 3];
            buf[..group.len()].copy_from_slice(group);
            let v = (u32::from(buf[0]) << 16) | (u32::from(buf[1]) << 8) | u32::from(buf[2]);
            let n = group.len() + 1;
            for k in 0..4 {
                if k < n {
                    flat.push(chars[((v >> (18 - 6 * k)) & 63) as usize]);
                } else if pad {
                    flat.push(b'=');
                }
            }
        }
        match wrap {
            None => flat,
            Some((width, eol)) => flat.chunks(width).collect::<Vec<_>>().join(eol.as_bytes()),
        }
    }

    type RefResult = Result<bool, (DecodeErrorKind, usize)>;

    /// Reference decoder: a plain loop, alphabet committed by the first
    /// specific character. Returns the output and truncation or the error.
    fn ref_decode(enc: &[u8], max: usize) -> (Vec<u8>, RefResult) {
        let mut out = Vec::new();
        let mut url: Option<bool> = None;
        let mut vals: Vec<u32> = Vec::new();
        let mut pads = 0;
        let mut last = 0;
        let emit = |out: &mut Vec<u8>, vals: &[u32], n: usize| -> bool {
            let v = vals.iter().fold(0u32, |acc, &x| (acc << 6) | x) << (6 * (4 - vals.len()));
            for k in 0..n {
                if out.len() == max {
                    return false;
                }
                out.push((v >> (16 - 8 * k)) as u8);
            }
            true
        };
        for (i, &b) in enc.iter().enumerate() {
            if b.is_ascii_whitespace() {
                continue;
            }
            if pads > 0 {
                if b != b'=' {
                    return (out, Err((DecodeErrorKind::AfterPadding, i)));
                }
                if vals.len() + pads >= 4 {
                    return (out, Err((DecodeErrorKind::InvalidPadding, i)));
                }
                pads += 1;
                continue;
            }
            if b == b'=' {
                if vals.len() < 2 {
                    return (out, Err((DecodeErrorKind::InvalidPadding, i)));
                }
                pads = 1;
                continue;
            }
            let v = if let Some(p) = STD_CHARS[..62].iter().position(|&c| c == b) {
                p
            } else if (b == b'+' || b == b'/') && url != Some(true) {
                url = Some(false);
                STD_CHARS.iter().position(|&c| c == b).unwrap()
            } else if (b == b'-' || b == b'_') && url != Some(false) {
                url = Some(true);
                URL_CHARS.iter().position(|&c| c == b).unwrap()
            } else {
                return (out, Err((DecodeErrorKind::InvalidCharacter, i)));
            };
            vals.push(v as u32);
            last = i;
            if vals.len() == 4 {
                if !emit(&mut out, &vals, 3) {
                    return (out, Ok(true));
                }
                vals.clear();
            }
        }
        let ok = match vals.len() {
            1 => return (out, Err((DecodeErrorKind::TrailingSingleChar, last))),
            2 => emit(&mut out, &vals, 1),
            3 => emit(&mut out, &vals, 2),
            _ => true,
        };
        (out, Ok(!ok))
    }

    fn decode_all(
        enc: &[u8],
        max: usize,
    ) -> (Vec<u8>, Vec<usize>, Result<DecodeOutcome, DecodeError>) {
        let mut buf = Vec::new();
        let mut out = Vec::new();
        let mut sizes = Vec::new();
        let r = stream_decode(enc, max, &mut buf, |c| {
            sizes.push(c.len());
            out.extend_from_slice(c);
            ControlFlow::Continue(())
        });
        assert!(buf.capacity() <= 2 * DECODE_CHUNK_LEN);
        (out, sizes, r)
    }

    fn spans_of<'a>(cfg: &TransformConfig, text: &'a [u8]) -> Vec<&'a [u8]> {
        let mut out = Vec::new();
        find_spans(cfg, text, &mut out);
        out.iter()
            .map(|s| &text[s.start as usize..s.end as usize])
            .collect()
    }

    fn chunked_spans(cfg: &TransformConfig, buf: &[u8], cuts: &[usize], base: u64) -> Vec<Span> {
        let mut f = SpanFinder::new(cfg);
        let mut spans = Vec::new();
        let mut push = |s: Span| {
            spans.push(Span {
                start: s.start - base,
                end: s.end - base,
            });
            ControlFlow::Continue(())
        };
        let mut cuts: Vec<usize> = cuts.iter().map(|&c| c % (buf.len() + 1)).collect();
        cuts.sort_unstable();
        let mut prev = 0;
        for c in cuts.into_iter().chain([buf.len()]) {
            let _ = f.feed(&buf[prev..c], base + prev as u64, &mut push);
            prev = c;
        }
        let _ = f.finish(&mut push);
        spans
    }

    fn plausible(enc: &[u8]) -> bool {
        enc.iter().any(u8::is_ascii_digit)
            || (enc.iter().any(u8::is_ascii_uppercase) && enc.iter().any(u8::is_ascii_lowercase))
    }

    #[test]
    fn decoder_examples() {
        let ok = |enc: &[u8]| {
            let (out, _, r) = decode_all(enc, usize::MAX);
            assert!(r.is_ok(), "{:?}: {r:?}", String::from_utf8_lossy(enc));
            out
        };
        assert_eq!(ok(b"aGVsbG8gd29ybGQ="), b"hello world");
        assert_eq!(ok(b"aGVsbG8gd29ybGQ"), b"hello world");
        assert_eq!(ok(b"aGVs\r\nbG8g\n  d29y bGQ="), b"hello world");
        assert_eq!(ok(b"aGk="), b"hi");
        assert_eq!(ok(b"aA=="), b"h");
        assert_eq!(ok(b"aA="), b"h");
        assert_eq!(ok(b"aB"), b"h"); // non-zero trailing bits ignored
        assert_eq!(ok(b"-_-_"), ok(b"+/+/"));
        assert_eq!(ok(b""), b"");

        let err = |enc: &[u8]| {
            decode_all(enc, usize::MAX)
                .2
                .map_err(|e| (e.kind, e.offset))
        };
        assert_eq!(err(b"aGk*"), Err((DecodeErrorKind::InvalidCharacter, 3)));
        assert_eq!(
            err(b"ab+/ab-_"),
            Err((DecodeErrorKind::InvalidCharacter, 6))
        );
        assert_eq!(err(b"a=="), Err((DecodeErrorKind::InvalidPadding, 1)));
        assert_eq!(err(b"aGk=="), Err((DecodeErrorKind::InvalidPadding, 4)));
        assert_eq!(err(b"aA==aGk="), Err((DecodeErrorKind::AfterPadding, 4)));
        assert_eq!(err(b"aGVsb"), Err((DecodeErrorKind::TrailingSingleChar, 4)));

        // The prefix before an error has been emitted.
        let (out, _, r) = decode_all(b"aGVsbG8g!", usize::MAX);
        assert_eq!(out, b"hello ");
        assert_eq!(r.unwrap_err().decoded_len, 6);
    }

    #[test]
    fn decoder_truncates_and_stops() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 + 3) as u8).collect();
        let enc = ref_encode(&data, false, true, None);
        let (out, sizes, r) = decode_all(&enc, usize::MAX);
        assert_eq!(out, data);
        assert_eq!(
            sizes,
            vec![DECODE_CHUNK_LEN, DECODE_CHUNK_LEN, DECODE_CHUNK_LEN, 784]
        );
        assert!(!r.unwrap().truncated);

        let (out, _, r) = decode_all(&enc, 5000);
        assert_eq!(out, &data[..5000]);
        assert_eq!(
            r,
            Ok(DecodeOutcome {
                decoded_len: 5000,
                stopped_early: false,
                truncated: true
            })
        );

        let (_, _, r) = decode_all(&enc, 10_000);
        assert!(!r.unwrap().truncated);

        let mut buf = Vec::new();
        let r = stream_decode(&enc, usize::MAX, &mut buf, |_| ControlFlow::Break(()));
        assert_eq!(
            r,
            Ok(DecodeOutcome {
                decoded_len: DECODE_CHUNK_LEN as u64,
                stopped_early: true,
                truncated: false
            })
        );
        // An early stop wins over a later error.
        let mut bad = enc.clone();
        bad.push(b'!');
        let r = stream_decode(&bad, usize::MAX, &mut buf, |_| ControlFlow::Break(()));
        assert!(r.unwrap().stopped_early);
    }

    #[test]
    fn finder_examples() {
        let cfg = TransformConfig::base64_default();
        let text = b"Authorization: Basic dXNlcm5hbWU6cGFzc3dvcmQxMjM=\r\n";
        assert_eq!(
            spans_of(&cfg, text),
            vec![&b"dXNlcm5hbWU6cGFzc3dvcmQxMjM="[..]]
        );

        // Junk filter: one case and no digit.
        let text = b"MY_VERY_LONG_CONSTANT_NAME /usr/local/share/applications \
                     ------------------------------ //////////////////////////";
        assert!(spans_of(&cfg, text).is_empty());

        // Padding: only when it fits.
        let text = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVl= x QUJDREVGR0hJSktMTU5PUFFSU1RVVld=";
        assert_eq!(
            spans_of(&cfg, text),
            vec![
                &b"QUJDREVGR0hJSktMTU5PUFFSU1RVVl"[..],
                &b"QUJDREVGR0hJSktMTU5PUFFSU1RVVld="[..]
            ]
        );
        let text = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWQ=x";
        assert_eq!(
            spans_of(&cfg, text),
            vec![&b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWQ"[..]]
        );
        let text = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWQ===";
        assert_eq!(
            spans_of(&cfg, text),
            vec![&b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWQ=="[..]]
        );
    }

    #[test]
    fn finder_line_breaks() {
        let cfg = TransformConfig::base64_default();
        let pem = b"-----BEGIN PRIVATE KEY-----\r\nMIIBVAIBADANBgkqhkiG9w0BAQEFAASC\r\nAT4wggE6AgEAAkEAq7BFUpkGp3+XQw==\r\n-----END PRIVATE KEY-----\n";
        assert_eq!(
            spans_of(&cfg, pem),
            vec![&b"MIIBVAIBADANBgkqhkiG9w0BAQEFAASC\r\nAT4wggE6AgEAAkEAq7BFUpkGp3+XQw=="[..]]
        );
        // Indented (YAML block scalar).
        let yaml = b"key: |\n  QUJDREVGR0hJSktMTU5P\n  UFFSU1RVVldYWVo=\nnext: 1\n";
        assert_eq!(
            spans_of(&cfg, yaml),
            vec![&b"QUJDREVGR0hJSktMTU5P\n  UFFSU1RVVldYWVo="[..]]
        );
        // A line of 21 characters is not wrapped Base64: no join.
        let text = b"QUJDREVGR0hJSktMTU5PU\nFFSU1RVVldYWVoxMjM0NTY3\n";
        assert_eq!(
            spans_of(&cfg, text),
            vec![
                &b"QUJDREVGR0hJSktMTU5PU"[..],
                &b"FFSU1RVVldYWVoxMjM0NTY3"[..]
            ]
        );
        // URL-safe windows never wrap; a blank line ends a run.
        let text = b"QUJDREVGR0hJSktMTU5P-_AB\nUFFSU1RVVldYWVoxMjM0\n\nQUJDREVGR0hJSktMTU5P";
        assert_eq!(
            spans_of(&cfg, text),
            vec![
                &b"QUJDREVGR0hJSktMTU5P-_AB"[..],
                &b"UFFSU1RVVldYWVoxMjM0"[..],
                &b"QUJDREVGR0hJSktMTU5P"[..]
            ]
        );
        // Escaped PEM in JSON: the `n` of `\n` does not start a span.
        let json = br#""-----BEGIN KEY-----\nMIIBVAIBADANBgkqhkiG9w0BAQEFAASC\nAT4wggE6AgEAAkEAq7BFUpkGp3\n-----END KEY-----\n""#;
        assert_eq!(
            spans_of(&cfg, json),
            vec![
                &b"MIIBVAIBADANBgkqhkiG9w0BAQEFAASC"[..],
                &b"AT4wggE6AgEAAkEAq7BFUpkGp3"[..]
            ]
        );
    }

    #[test]
    fn finder_indent_limit_and_padding_fit() {
        let cfg = TransformConfig::base64_default();
        let line = "QUJDREVGR0hJSktMTU5P";
        for (indent, joined) in [
            (MAX_INDENT as usize, true),
            (MAX_INDENT as usize + 1, false),
        ] {
            let text = format!("{line}\n{}UFFSU1RVVldYWVoxMjM0NTY3\n", " ".repeat(indent));
            let spans = spans_of(&cfg, text.as_bytes());
            assert_eq!(spans.len(), if joined { 1 } else { 2 }, "{indent}");
        }
        // Padding is left out when it would exceed max_encoded_len.
        let mut cfg = TransformConfig::base64_default();
        cfg.min_len = 4;
        cfg.max_encoded_len = 7;
        assert_eq!(spans_of(&cfg, b"aB3dEf5="), vec![&b"aB3dEf5"[..]]);
        cfg.max_encoded_len = 8;
        assert_eq!(spans_of(&cfg, b"aB3dEf5="), vec![&b"aB3dEf5="[..]]);
        assert_eq!(spans_of(&cfg, b"aB3dEf=="), vec![&b"aB3dEf=="[..]]);
        cfg.max_encoded_len = 7;
        assert_eq!(spans_of(&cfg, b"aB3dEf=="), vec![&b"aB3dEf"[..]]);
    }

    #[test]
    fn finder_mixed_alphabets_overlap() {
        let mut cfg = TransformConfig::base64_default();
        cfg.min_len = 8;
        let text = b"https://host.example/api/v1/eyJ0eXAiOiJKV1Qi-_abc ";
        assert_eq!(
            spans_of(&cfg, text),
            vec![
                &b"example/api/v1/eyJ0eXAiOiJKV1Qi"[..],
                &b"eyJ0eXAiOiJKV1Qi-_abc"[..]
            ]
        );
    }

    #[test]
    fn finder_cuts_and_caps() {
        let mut cfg = TransformConfig::base64_default();
        cfg.min_len = 4;
        cfg.max_encoded_len = 10; // -> 8 characters per piece
        let text = b" aB3dEf5hIj7lMn9pQrSt ";
        let mut out = Vec::new();
        let counts = find_spans(&cfg, text, &mut out);
        assert_eq!(
            out,
            vec![
                Span { start: 1, end: 9 },
                Span { start: 9, end: 17 },
                Span { start: 17, end: 21 }
            ]
        );
        assert_eq!(counts.cut, 2);

        cfg.max_encoded_len = usize::MAX;
        cfg.max_spans_per_buffer = 1;
        let counts = find_spans(&cfg, b"aB3dEf5h Ij7lMn9p QrSt", &mut out);
        assert_eq!(out, vec![Span { start: 0, end: 8 }]);
        assert_eq!(
            counts,
            SpanCounts {
                reported: 1,
                dropped: 2,
                cut: 0
            }
        );
    }

    #[test]
    fn finder_stops_on_break() {
        let cfg = TransformConfig::base64_default();
        let mut f = SpanFinder::new(&cfg);
        let mut n = 0;
        let text = b"QUJDREVGR0hJSktMTU5PUFFS QUJDREVGR0hJSktMTU5PUFFS ";
        let flow = f.feed(text, 0, &mut |_| {
            n += 1;
            ControlFlow::Break(())
        });
        assert!(flow.is_break());
        assert!(f
            .feed(text, 51, &mut |_| ControlFlow::Continue(()))
            .is_break());
        assert_eq!(n, 1);
        f.reset();
        assert!(f
            .feed(text, 0, &mut |_| ControlFlow::Continue(()))
            .is_continue());
        assert_eq!(f.counts().reported, 2);
    }

    fn soup() -> impl Strategy<Value = Vec<u8>> {
        let atoms = prop_oneof![
            "[A-Za-z0-9+/]{1,70}".prop_map(String::into_bytes),
            "[A-Za-z0-9_-]{1,30}".prop_map(String::into_bytes),
            "[a-z ]{1,10}".prop_map(String::into_bytes),
            Just(b"=".to_vec()),
            Just(b"==".to_vec()),
            Just(b"\n".to_vec()),
            Just(b"\r\n".to_vec()),
            Just(b"\r".to_vec()),
            Just(b"\n  ".to_vec()),
            (1usize..80).prop_map(|n| b" ".repeat(n)),
            Just(b"\\".to_vec()),
            Just(b"\\n".to_vec()),
            Just(b"-".to_vec()),
            Just(b"_".to_vec()),
            Just(b"+".to_vec()),
            Just(b"/".to_vec()),
            Just(b"\"".to_vec()),
            any::<u8>().prop_map(|b| vec![b]),
        ];
        proptest::collection::vec(atoms, 0..40).prop_map(|v| v.concat())
    }

    fn encoded_input() -> impl Strategy<Value = Vec<u8>> {
        (
            proptest::collection::vec(any::<u8>(), 0..5000),
            any::<bool>(),
            any::<bool>(),
            prop_oneof![Just(None), Just(Some(64)), Just(Some(76))],
            any::<bool>(),
        )
            .prop_map(|(data, url, pad, width, crlf)| {
                ref_encode(
                    &data,
                    url,
                    pad,
                    width.map(|w| (w, if crlf { "\r\n" } else { "\n" })),
                )
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 256,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn decoder_roundtrip(
            data in proptest::collection::vec(any::<u8>(), 0..8000),
            url in any::<bool>(),
            pad in any::<bool>(),
            width in prop_oneof![Just(None), Just(Some(64)), Just(Some(76))],
            crlf in any::<bool>(),
        ) {
            let eol = if crlf { "\r\n" } else { "\n" };
            let enc = ref_encode(&data, url, pad, width.map(|w| (w, eol)));
            let (out, sizes, r) = decode_all(&enc, usize::MAX);
            prop_assert_eq!(&out, &data);
            prop_assert_eq!(r, Ok(DecodeOutcome {
                decoded_len: data.len() as u64, stopped_early: false, truncated: false
            }));
            if let Some((_, init)) = sizes.split_last() {
                prop_assert!(init.iter().all(|&n| n == DECODE_CHUNK_LEN));
            }
            // base64-simd agrees on the unwrapped form.
            if width.is_none() {
                let engine = match (url, pad) {
                    (false, true) => &base64_simd::STANDARD,
                    (false, false) => &base64_simd::STANDARD_NO_PAD,
                    (true, true) => &base64_simd::URL_SAFE,
                    (true, false) => &base64_simd::URL_SAFE_NO_PAD,
                };
                prop_assert_eq!(engine.encode_to_string(&data).into_bytes(), enc);
            }
        }

        #[test]
        fn decoder_matches_reference(
            enc in prop_oneof![
                soup(),
                encoded_input(),
                (encoded_input(), any::<usize>(), any::<u8>()).prop_map(|(mut e, at, b)| {
                    if !e.is_empty() {
                        let at = at % e.len();
                        e[at] = b;
                    }
                    e
                }),
            ],
            max in prop_oneof![Just(usize::MAX), 0usize..5000],
        ) {
            let (want, want_r) = ref_decode(&enc, max);
            let (got, sizes, r) = decode_all(&enc, max);
            prop_assert_eq!(&got, &want);
            match (want_r, r) {
                (Ok(trunc), Ok(o)) => {
                    prop_assert_eq!(o, DecodeOutcome {
                        decoded_len: want.len() as u64, stopped_early: false, truncated: trunc
                    });
                }
                (Err((kind, offset)), Err(e)) => {
                    prop_assert_eq!(e, DecodeError { kind, offset, decoded_len: want.len() as u64 });
                }
                (w, g) => prop_assert!(false, "reference {:?}, got {:?}", w, g),
            }
            if let Some((_, init)) = sizes.split_last() {
                prop_assert!(init.iter().all(|&n| n == DECODE_CHUNK_LEN));
            }
        }

        #[test]
        fn finder_chunk_invariant(
            buf in soup(),
            cuts in proptest::collection::vec(any::<usize>(), 0..8),
            min_len in 0usize..24,
            max_len in prop_oneof![Just(usize::MAX), 0usize..40],
            base in prop_oneof![Just(0u64), 0u64..1_000_000],
        ) {
            let mut cfg = TransformConfig::base64_default();
            cfg.min_len = min_len;
            cfg.max_encoded_len = max_len;
            let mut whole = Vec::new();
            let counts = find_spans(&cfg, &buf, &mut whole);
            prop_assert_eq!(chunked_spans(&cfg, &buf, &cuts, base), whole.clone());
            for w in whole.windows(2) {
                prop_assert!(w[0].start <= w[1].start);
                prop_assert!(w[0] != w[1]);
            }
            for s in &whole {
                let text = &buf[s.start as usize..s.end as usize];
                let chars = text
                    .iter()
                    .filter(|b| b.is_ascii_alphanumeric() || b"+/-_".contains(b))
                    .count();
                prop_assert!(chars >= min_len);
                prop_assert!(text.len() <= max_len.max(4));
                prop_assert!(!text[0].is_ascii_whitespace() && !text[text.len() - 1].is_ascii_whitespace());
                // Exact unless a mixed-alphabet window was cut (lenient then).
                prop_assert!(counts.cut > 0 || plausible(text));
            }
        }

        #[test]
        fn finder_finds_planted(
            pre in "[ -~]{0,40}",
            post in "[ -~]{0,40}",
            data in proptest::collection::vec(any::<u8>(), 15..300),
            url in any::<bool>(),
            pad in any::<bool>(),
            wrap in any::<bool>(),
            crlf in any::<bool>(),
        ) {
            let eol = if crlf { "\r\n" } else { "\n" };
            let url = url && !wrap;
            let blob = ref_encode(&data, url, pad, wrap.then_some((64, eol)));
            prop_assume!(plausible(&blob));
            let mut buf = pre.into_bytes();
            if wrap {
                buf.extend_from_slice(format!("{eol}-----BEGIN BLOB-----{eol}").as_bytes());
            } else {
                buf.extend_from_slice(b"\"");
            }
            let start = buf.len() as u64;
            buf.extend_from_slice(&blob);
            let end = buf.len() as u64;
            if wrap {
                buf.extend_from_slice(format!("{eol}-----END BLOB-----{eol}").as_bytes());
            } else {
                buf.extend_from_slice(b"\"");
            }
            buf.extend_from_slice(post.as_bytes());
            let mut out = Vec::new();
            find_spans(&TransformConfig::base64_default(), &buf, &mut out);
            prop_assert!(out.contains(&Span { start, end }), "{:?} not in {:?}", (start, end), out);
            let (decoded, _, r) = decode_all(&buf[start as usize..end as usize], usize::MAX);
            prop_assert!(r.is_ok());
            prop_assert_eq!(decoded, data);
        }
    }
}
