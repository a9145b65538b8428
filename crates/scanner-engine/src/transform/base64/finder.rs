//! The Base64 span finder (grammar in the parent module's docs).

use core::ops::ControlFlow;

use super::blocks::{run_blocks, run_len, skip_blocks, BlockMasks, LongRuns, RunBlocks};
use crate::transform::finder::{Finder, Limits, Reporter, SpanGrammar};
use crate::transform::{to_u64, Span};

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

/// `SEEN_BIT[b]`: the bit [`Mix::add`] sets for an alphabet character `b`
/// (0 for other bytes).
static SEEN_BIT: [u8; 256] = {
    let mut t = [0; 256];
    let mut b = 0;
    while b < 256 {
        if is_alphabet(CLASS[b]) {
            t[b] = 1 << (CLASS[b] & 7);
        }
        b += 1;
    }
    t
};

/// `b` is a letter or a digit.
#[inline]
fn is_alnum(b: u8) -> bool {
    matches!(CLASS[usize::from(b)], UPPER..=DIGIT)
}

/// How many specific characters of the alphabet characters `bytes` follow
/// a letter or digit (see [`Mix::word_like`]).
fn specific_after_alnum(bytes: &[u8]) -> u32 {
    specific_after(bytes, false)
}

/// Bytes of a window's run looked at one by one before whole blocks: most
/// runs in source text end sooner.
const BULK_HEAD: usize = 32;

/// Extends `run` (a window's run of letters, digits and the specific
/// characters of class `own`, in `bytes` from `run.len` on) byte by byte,
/// up to `until`; returns whether a byte outside the run ended it.
#[inline]
fn walk_run(bytes: &[u8], until: usize, own: u8, run: &mut RunBlocks) -> bool {
    let (mut len, mut specific, mut after_alnum) = (run.len, run.specific, run.after_alnum);
    let mut last_specific = run.last_specific;
    let mut stopped = false;
    for (j, &b) in bytes.iter().enumerate().take(until).skip(len) {
        let c = CLASS[usize::from(b)];
        if matches!(c, UPPER..=DIGIT) {
            after_alnum = true;
        } else if c == own {
            specific = specific.saturating_add(u32::from(after_alnum));
            after_alnum = false;
            last_specific = Some(j);
        } else {
            stopped = true;
            break;
        }
        len = j + 1;
    }
    *run = RunBlocks {
        len,
        specific,
        after_alnum,
        last_specific,
    };
    stopped
}

/// The [`Mix::seen`] bits of the alphabet characters `bytes`, gathered
/// until all of `all` are set (the bits cannot go beyond them).
#[inline]
fn seen_until(bytes: &[u8], all: u8) -> u8 {
    let mut seen = 0;
    for &b in bytes {
        seen |= SEEN_BIT[usize::from(b)];
        if seen == all {
            break;
        }
    }
    seen
}

/// How many specific characters of the alphabet characters `bytes` follow
/// a letter or digit, the byte before them being one iff `after_alnum`.
fn specific_after(bytes: &[u8], mut after_alnum: bool) -> u32 {
    let mut count = 0u32;
    for &b in bytes {
        let alnum = is_alnum(b);
        count = count.saturating_add(u32::from(after_alnum && !alnum));
        after_alnum = alnum;
    }
    count
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

/// How the lines after a window that a line break may continue end (see
/// [`follow_wrapped_lines`]).
#[derive(Debug, PartialEq, Eq)]
enum Wrapped {
    /// The window closes with its last character before this index; the
    /// finder is idle there, having seen only line breaks and indentation.
    Closes(usize),
    /// The last line's letters and digits, from `line` to `end`, are
    /// followed by `-` or `_`: the window (standard alphabet) switches
    /// alphabets there, as `step` does with the byte at `end`.
    Switches { line: usize, end: usize },
}

/// For a window of the standard alphabet (or letters and digits only), of
/// a multiple of 4 characters, ending in `rest` just before the line break
/// at `p` (`mix` holds it, `cap` is the longest span): follows the lines
/// that continue it as `step` would (a break, at most [`MAX_INDENT`]
/// spaces or tabs, a letter or digit), adding their letters and digits to
/// `mix`, and tells how it ends: it closes (a byte that does not continue
/// it, or a line break after a count that is not a multiple of 4), or a
/// line's letters and digits are followed by a character of the URL-safe
/// alphabet. `None` when `step` is needed: `rest` ends first, a line
/// continues with `+`/`/` or ends with one, or with padding, or the window
/// would exceed the cap.
fn follow_wrapped_lines(rest: &[u8], mut p: usize, mix: &mut Mix, cap: usize) -> Option<Wrapped> {
    loop {
        let mut q = p;
        if rest[q] == b'\r' {
            q += 1;
            if *rest.get(q)? != b'\n' {
                // A lone `\r` closes the window.
                return Some(Wrapped::Closes(p));
            }
        }
        q += 1;
        q += rest
            .get(q..)?
            .iter()
            .take(MAX_INDENT as usize)
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        let first = *rest.get(q)?;
        if !is_alnum(first) {
            return (CLASS[usize::from(first)] != STD).then_some(Wrapped::Closes(p));
        }
        let len = rest[q..].iter().take_while(|&&b| is_alnum(b)).count();
        p = q + len;
        if p > cap {
            return None;
        }
        mix.seen |= rest[q..p]
            .iter()
            .fold(0, |seen, &b| seen | SEEN_BIT[usize::from(b)]);
        mix.count = mix.count.saturating_add(to_u64(len));
        match CLASS[usize::from(*rest.get(p)?)] {
            CR | LF if mix.count.is_multiple_of(4) => {}
            OTHER | HSPACE | BSLASH | CR | LF => return Some(Wrapped::Closes(p)),
            URL => return Some(Wrapped::Switches { line: q, end: p }),
            _ => return None,
        }
    }
}

/// The alphabet a window is committed to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Alpha {
    #[default]
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
    /// How many specific characters (`+/-_`) follow a letter or digit
    /// (`u32` keeps the struct at 16 bytes: it is copied per quantum).
    specific: u32,
    /// The last character added was a letter or digit.
    after_alnum: bool,
}

const SEEN_UPPER: u8 = 1 << UPPER;
const SEEN_LOWER: u8 = 1 << LOWER;
const SEEN_DIGIT: u8 = 1 << DIGIT;
const SEEN_ALL: u8 = SEEN_UPPER | SEEN_LOWER | SEEN_DIGIT;

impl Mix {
    #[inline]
    fn add(&mut self, class: u8) {
        self.count = self.count.saturating_add(1);
        // Classes are < 8; specific characters set bits the filter ignores.
        self.seen |= 1 << (class & 7);
        let alnum = matches!(class, UPPER..=DIGIT);
        if !alnum && self.after_alnum {
            self.specific = self.specific.saturating_add(1);
        }
        self.after_alnum = alnum;
    }

    /// The junk filter: [`Self::mixed`] and not [`Self::word_like`].
    fn plausible(&self) -> bool {
        self.mixed() && !self.word_like()
    }

    /// A digit, or letters of both cases (drops `CONSTANT_NAMES`,
    /// `/usr/local/share`, `------`). Holds for a stretch if it holds for
    /// any part of it.
    fn mixed(&self) -> bool {
        self.seen & SEEN_DIGIT != 0
            || self.seen & (SEEN_UPPER | SEEN_LOWER) == SEEN_UPPER | SEEN_LOWER
    }

    /// More than one character in 8 is a specific character right after a
    /// letter or digit: words joined by `_`, `-` or `/`
    /// (`ossl_check_X509_type`, `docs/v2/api-ref`). Base64 of text has
    /// almost none (`-` and `_` encode only the bytes `>?~` and DEL in the
    /// last place of a quantum), of random bytes one in 33; runs of them
    /// (Base64 of `0xff` fill is `////`) count once.
    fn word_like(&self) -> bool {
        u64::from(self.specific).saturating_mul(8) > self.count
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Phase {
    /// Between runs.
    #[default]
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
pub type Base64SpanFinder = Finder<Base64Grammar>;

/// The Base64 span grammar (see the module docs), driven by
/// [`Base64SpanFinder`].
#[derive(Clone, Debug, Default)]
pub struct Base64Grammar {
    /// `max_len` is `max_encoded_len`, at least 4.
    lim: Limits,
    /// The block skip passes over runs shorter than this: `min_len`, or the
    /// cap plus one if smaller.
    block_k: LongRuns,
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
}

impl SpanGrammar for Base64Grammar {
    /// A piece ends at a quantum boundary, so holds at least one quantum.
    const MIN_PIECE: u64 = 4;

    fn new(lim: Limits) -> Self {
        Self {
            block_k: LongRuns::new(lim.min_len.min(lim.max_len.saturating_add(1))),
            lim,
            ..Self::default()
        }
    }

    /// The fast paths: whole blocks and runs skipped or reported at once,
    /// letters and digits appended in bulk; `step` on everything else.
    fn scan(&mut self, chunk: &[u8], chunk_start: u64, out: &mut Reporter<'_>) -> ControlFlow<()> {
        let n = chunk.len();
        let mut blk = BlockMasks::NONE;
        let mut i = 0;
        while i < n {
            if self.phase == Phase::Idle {
                i = skip_blocks(chunk, i, &self.block_k, &mut self.backslash, &mut blk);
                i = self.skip_idle(chunk, i);
                if i == n {
                    break;
                }
                // A run starts at `i`. A whole run that ends without any
                // state left behind is skipped or reported at once.
                if let Some((next, flow)) = self.whole_run(chunk, i, &mut blk, chunk_start, out) {
                    flow?;
                    i = next;
                    continue;
                }
                self.step(chunk[i], chunk_start.saturating_add(to_u64(i)), out)?;
                i += 1;
            } else if self.phase == Phase::Run && self.win.count > 0 {
                // Letters and digits that do not reach the cap, in bulk;
                // same effect as `step` on each.
                let pos = chunk_start.saturating_add(to_u64(i));
                let room = self
                    .start
                    .saturating_add(self.lim.max_len)
                    .saturating_sub(pos);
                let avail = usize::try_from(room).map_or(n - i, |r| r.min(n - i));
                let bytes = &chunk[i..i + avail];
                let m = if self.alpha == Alpha::Undecided {
                    self.add_alnum(bytes, pos)
                } else {
                    self.add_committed(bytes, pos)
                };
                i += m;
                if let Some(&b) = chunk.get(i) {
                    self.step(b, chunk_start.saturating_add(to_u64(i)), out)?;
                    i += 1;
                }
            } else {
                self.step(chunk[i], chunk_start.saturating_add(to_u64(i)), out)?;
                i += 1;
            }
        }
        ControlFlow::Continue(())
    }

    fn step(&mut self, b: u8, pos: u64, out: &mut Reporter<'_>) -> ControlFlow<()> {
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
                        return self.push_char(c, pos, out);
                    }
                    return ControlFlow::Continue(());
                }
                Phase::Run => match c {
                    UPPER..=URL => return self.push_char(c, pos, out),
                    PAD if self.padding_fits(pos) => {
                        if self.win.count % 4 == 3 {
                            return self.close_at(pos.saturating_add(1), out);
                        }
                        self.phase = Phase::Pad1;
                        return ControlFlow::Continue(());
                    }
                    LF | CR if self.can_wrap() => {
                        self.phase = if c == LF { Phase::Break } else { Phase::Cr };
                        self.indent = 0;
                        return ControlFlow::Continue(());
                    }
                    _ => self.close(out)?,
                },
                Phase::Cr => {
                    if c == LF {
                        self.phase = Phase::Break;
                        return ControlFlow::Continue(());
                    }
                    self.close(out)?;
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
                        return self.push_char(c, pos, out);
                    }
                    _ => self.close(out)?,
                },
                Phase::Pad1 => {
                    if c == PAD {
                        return self.close_at(pos.saturating_add(1), out);
                    }
                    self.close(out)?;
                }
            }
        }
    }

    fn end_stream(&mut self, out: &mut Reporter<'_>) -> ControlFlow<()> {
        self.backslash = false;
        self.close(out)
    }

    fn open_start(&self) -> Option<u64> {
        (self.phase != Phase::Idle && self.win.count > 0).then_some(self.start)
    }
}

impl Base64Grammar {
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
    ///   a run of letters and digits that line breaks continue is followed
    ///   over the lines and skipped with them when the whole window cannot
    ///   be reported (see [`follow_wrapped_lines`]);
    /// - reported as one span when it is one window: a single alphabet, no
    ///   longer than the cap, ended by a byte that leaves nothing open (not
    ///   a first `=` whose second is beyond `chunk`; a line break only
    ///   where it cannot continue the window, or after the lines that
    ///   continue it, see [`follow_wrapped_lines`]), with its padding.
    #[inline]
    fn whole_run(
        &mut self,
        chunk: &[u8],
        i: usize,
        blk: &mut BlockMasks,
        chunk_start: u64,
        out: &mut Reporter<'_>,
    ) -> Option<(usize, ControlFlow<()>)> {
        let rest = &chunk[i..];
        // Runs longer than the cap are cut into pieces: step through them.
        let cap = usize::try_from(self.lim.max_len).unwrap_or(usize::MAX);
        let mut mix = Mix::default();
        let mut len = 0;
        if let Some(n) = run_len(chunk, i, blk, cap) {
            // The block masks tell where the run ends: only the junk-filter
            // flags are left to collect, without branches. A run past the
            // cap is stepped through below.
            if n > cap {
                return None;
            }
            len = n;
            mix.seen = rest[..n]
                .iter()
                .fold(0, |seen, &b| seen | SEEN_BIT[usize::from(b)]);
        } else {
            for &b in rest.iter().take(cap.saturating_add(1)) {
                let c = CLASS[usize::from(b)];
                if !is_alphabet(c) {
                    break;
                }
                mix.seen |= 1 << c;
                len += 1;
            }
        }
        mix.count = to_u64(len);
        let end = *rest.get(len)?;
        if len > cap {
            return None;
        }
        let letters_digits_only = mix.seen & !(SEEN_UPPER | SEEN_LOWER | SEEN_DIGIT) == 0;
        // The junk filter's count of specific characters after a letter or
        // digit in the run (its first line), from the block masks if they
        // cover it.
        let run_specific = |blk: &BlockMasks| {
            blk.specific_after_alnum(i, len)
                .unwrap_or_else(|| specific_after_alnum(&rest[..len]))
        };
        // A run of one alphabet (within the cap) is one window; a run
        // mixing both is split into windows, each too short or unmixed if
        // the whole run is, but perhaps less word-like.
        let url_safe = mix.seen & (1 << URL) != 0;
        let one_window = mix.seen & (1 << STD) == 0 || !url_safe;

        // Where the finder is idle again (after the run, or after the last
        // line it continues on), and where the window ends (after the run,
        // its padding, or its last continued line).
        let mut stop = len;
        let mut window_end = len;
        match CLASS[usize::from(end)] {
            // The run closes; the byte is handled as in `Phase::Idle`.
            OTHER | HSPACE | BSLASH => {}
            // Padding that completes the last quantum within the cap is part
            // of the window (`=` for 3 characters over a multiple of 4, `==`
            // for 2); otherwise the `=` closes the run. Either way the `=`
            // bytes, seen by `Idle`, change nothing.
            PAD => {
                let after = *rest.get(len + 1)?;
                let need = match len % 4 {
                    2 if after == b'=' => 2,
                    3 => 1,
                    _ => 0,
                };
                if need > 0 && len + need <= cap {
                    window_end = len + need;
                }
            }
            // A line break continues only a window of a multiple of 4
            // characters of the standard alphabet: a window of one
            // alphabet is then the whole run, and the lines that continue
            // it are followed. The last window of a run mixing alphabets
            // may wrap whatever the run's length: stepped.
            _ => {
                if !one_window {
                    return None;
                }
                if len % 4 == 0 && !url_safe {
                    match follow_wrapped_lines(rest, len, &mut mix, cap)? {
                        Wrapped::Closes(p) => {
                            stop = p;
                            window_end = p;
                        }
                        Wrapped::Switches { line, end } => {
                            if !letters_digits_only {
                                mix.specific = run_specific(blk);
                            }
                            let at = chunk_start.saturating_add(to_u64(i));
                            self.open_before_switch(
                                at,
                                end,
                                mix,
                                at + to_u64(line),
                                &rest[line..end],
                            );
                            return Some((i + end, ControlFlow::Continue(())));
                        }
                    }
                }
            }
        }
        let mut quiet = mix.count < self.lim.min_len || !mix.mixed();
        if !quiet && !letters_digits_only {
            mix.specific = run_specific(blk);
            quiet = one_window && mix.word_like();
        }
        if !(quiet || one_window) {
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
            self.report(start, start.saturating_add(to_u64(window_end)), mix, out)
        };
        Some((i + stop, flow))
    }

    /// Leaves the finder as `step` would just before the URL-safe character
    /// that ends the letters and digits `line` (from `line_start`) on the
    /// last line continuing a standard-alphabet window (`mix`, from `start`
    /// to `start + len`): in the window, which is about to switch alphabets
    /// with those letters and digits as the gap. [`Self::switch_window`]
    /// sets the quantum state from the gap.
    fn open_before_switch(
        &mut self,
        start: u64,
        len: usize,
        mix: Mix,
        line_start: u64,
        line: &[u8],
    ) {
        self.backslash = false;
        self.phase = Phase::Run;
        self.alpha = Alpha::Standard;
        self.start = start;
        self.end = start.saturating_add(to_u64(len));
        self.win = Mix {
            after_alnum: true,
            ..mix
        };
        self.gap_start = line_start;
        self.gap = Mix {
            count: to_u64(line.len()),
            seen: line
                .iter()
                .fold(0, |seen, &b| seen | SEEN_BIT[usize::from(b)]),
            specific: 0,
            after_alnum: true,
        };
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

    /// Whether `=` at `pos` (right after the window) starts correct padding
    /// that fits within `max_len`.
    fn padding_fits(&self, pos: u64) -> bool {
        let need = match self.win.count % 4 {
            2 => 2,
            3 => 1,
            _ => return false,
        };
        pos.saturating_add(need).saturating_sub(self.start) <= self.lim.max_len
    }

    /// Adds an alphabet character (class `c`) at `pos` to the open window.
    fn push_char(&mut self, c: u8, pos: u64, out: &mut Reporter<'_>) -> ControlFlow<()> {
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
                self.switch_window(out)?;
            }
            self.alpha = alpha;
        }
        if self.win.count > 0 && pos.saturating_add(1).saturating_sub(self.start) > self.lim.max_len
        {
            self.cut(out)?;
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
            // Empty, but knowing what the character before it was.
            self.rem = Mix {
                after_alnum: self.win.after_alnum,
                ..Mix::default()
            };
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
        self.win.after_alnum = true;
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
                specific: self.win.specific,
                after_alnum: true,
            };
            self.rem = Mix {
                count: to_u64(m - tl),
                seen: bytes[tl..m].iter().fold(0, |s, &b| s | seen_bit(b)),
                specific: 0,
                after_alnum: true,
            };
        } else {
            self.rem.count = self.rem.count.saturating_add(m64);
            self.rem.seen |= seen;
            self.rem.after_alnum = true;
        }
        if self.gap.count == 0 {
            self.gap_start = p;
        }
        self.gap.count = self.gap.count.saturating_add(m64);
        self.gap.seen |= seen;
        self.gap.after_alnum = true;
        m
    }

    /// Appends the alphabet characters of the window's committed alphabet
    /// (letters, digits and its two specific characters) at the start of
    /// `bytes`, the first at `p`, to the open window (`win.count > 0`,
    /// alphabet decided, no cap check): same effect as [`Self::push_char`]
    /// on each (within the cap and the alphabet, that is [`Self::add`]).
    /// Returns how many there were. The inside of a long Base64 blob.
    fn add_committed(&mut self, bytes: &[u8], p: u64) -> usize {
        let own = if self.alpha == Alpha::Standard {
            STD
        } else {
            URL
        };
        // The run, its specific characters after a letter or digit, and
        // where the last specific character is.
        // Byte by byte, whole blocks once the run proves long, then byte by
        // byte again.
        let own_byte = |b: u8| CLASS[usize::from(b)] == own;
        let mut run = RunBlocks {
            len: 0,
            specific: 0,
            after_alnum: self.win.after_alnum,
            last_specific: None,
        };
        let stopped = walk_run(bytes, bytes.len().min(BULK_HEAD), own, &mut run);
        if !stopped {
            run_blocks(bytes, own_byte, &mut run);
            walk_run(bytes, bytes.len(), own, &mut run);
        }
        let RunBlocks {
            len: m,
            specific,
            after_alnum,
            last_specific,
        } = run;
        if m == 0 {
            return 0;
        }
        let m64 = to_u64(m);
        let alnum_at = |k: usize| is_alnum(bytes[k]);
        let c0 = self.win.count;
        // Characters until the window's next quantum boundary (1..=4), and
        // the last boundary reached (0: none).
        let t1 = 4 - usize::from((c0 % 4) as u8);
        let tl = if m >= t1 { t1 + (m - t1) / 4 * 4 } else { 0 };
        let all = SEEN_ALL | 1 << own;
        let seen_run = seen_until(&bytes[..m], all);
        if tl > 0 {
            let at_tl = alnum_at(tl - 1);
            let tail = &bytes[tl..m];
            let tail_specific = specific_after(tail, at_tl);
            self.qend = p.saturating_add(to_u64(tl));
            self.qmix = Mix {
                count: c0.saturating_add(to_u64(tl)),
                seen: self.win.seen | seen_until(&bytes[..tl], all),
                specific: self.win.specific.saturating_add(specific - tail_specific),
                after_alnum: at_tl,
            };
            self.rem = Mix {
                count: to_u64(tail.len()),
                seen: seen_until(tail, all),
                specific: tail_specific,
                after_alnum: tail.last().map_or(at_tl, |&b| is_alnum(b)),
            };
        } else {
            self.rem.count = self.rem.count.saturating_add(m64);
            self.rem.seen |= seen_run;
            self.rem.specific = self.rem.specific.saturating_add(specific);
            self.rem.after_alnum = after_alnum;
        }
        // `qnext`: the last character added while `rem` was empty.
        let back = (m + 3 - t1) % 4;
        if let Some(b) = (m - 1).checked_sub(back) {
            self.qnext = p.saturating_add(to_u64(b));
        }
        self.win.count = c0.saturating_add(m64);
        self.win.seen |= seen_run;
        self.win.specific = self.win.specific.saturating_add(specific);
        self.win.after_alnum = after_alnum;
        self.end = p.saturating_add(m64);
        // The gap: the letters and digits after the last specific character.
        match last_specific {
            Some(s) => {
                let gap = &bytes[s + 1..m];
                if !gap.is_empty() {
                    self.gap_start = p.saturating_add(to_u64(s + 1));
                }
                self.gap = Mix {
                    count: to_u64(gap.len()),
                    seen: seen_until(gap, SEEN_ALL),
                    specific: 0,
                    after_alnum: !gap.is_empty(),
                };
            }
            None => {
                if self.gap.count == 0 {
                    self.gap_start = p;
                }
                self.gap.count = self.gap.count.saturating_add(m64);
                // No specific character in the run: only letter and digit
                // bits.
                self.gap.seen |= seen_run;
                self.gap.after_alnum = true;
            }
        }
        m
    }

    /// Mixed alphabets: reports the window so far and continues with a window
    /// of the other alphabet made of the letters and digits after this
    /// window's last specific character.
    fn switch_window(&mut self, out: &mut Reporter<'_>) -> ControlFlow<()> {
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
        self.report(start, end, win, out)
    }

    /// The window is about to exceed `max_len`: reports it up to its last
    /// quantum boundary and continues with the characters after it.
    fn cut(&mut self, out: &mut Reporter<'_>) -> ControlFlow<()> {
        out.count_cuts(1);
        let piece = if self.qmix.count > 0 {
            let piece = (self.start, self.qend, self.qmix);
            self.start = self.qnext;
            self.win = self.rem;
            piece
        } else {
            // Unreachable with `max_len >= 4`: a window without a whole
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
        self.report(piece.0, piece.1, piece.2, out)
    }

    /// Ends the run at the end of its last alphabet character.
    fn close(&mut self, out: &mut Reporter<'_>) -> ControlFlow<()> {
        self.close_at(self.end, out)
    }

    /// Ends the run; the open window, if any, ends at `end`.
    fn close_at(&mut self, end: u64, out: &mut Reporter<'_>) -> ControlFlow<()> {
        let open = self.phase != Phase::Idle;
        self.phase = Phase::Idle;
        let (start, win) = (self.start, self.win);
        self.clear_window();
        self.alpha = Alpha::Undecided;
        if open {
            self.report(start, end, win, out)
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
        out: &mut Reporter<'_>,
    ) -> ControlFlow<()> {
        if win.count == 0 || win.count < self.lim.min_len || !win.plausible() {
            return ControlFlow::Continue(());
        }
        out.report(Span { start, end })
    }
}
