//! The idle scan of the Base64 finder: whole 64-byte blocks classified into
//! bit masks at once, so that stretches without a reportable run are skipped
//! without the per-byte state machine. A run that reaches a block's end is
//! followed into the next block, and a run ended by a line break stops the
//! scan only if the break may continue it, so ordinary source text (words
//! across block boundaries, short words at line ends) is skipped whole.
//!
//! Inside a window, [`run_blocks`] takes whole blocks of the window's own
//! characters at once (the inside of a long blob), with the counts the
//! window keeps read from the masks.
//!
//! Invariants: [`skip_blocks`] has exactly the effect of the finder's
//! `step` on the bytes it skips (nothing reported, the finder left idle,
//! the backslash-escape flag as `step` would leave it), and [`run_blocks`]
//! the effect of appending its blocks one character at a time; the
//! property tests `fast_feed_matches_bytewise`,
//! `block_skip_matches_bytewise_on_lines`, `long_blobs_match_bytewise` and
//! `word_count_across_blocks_matches_bytewise` check them against stepping
//! byte by byte.

use super::classify::{classify, BLOCK};
pub(super) use crate::transform::bit_runs::LongRuns;

/// Bit masks of the block of [`BLOCK`] bytes at `base` (bit `j` for byte
/// `base + j`): alphabet characters, `\r`/`\n`, backslashes, specific
/// characters.
#[derive(Clone, Copy)]
pub(super) struct BlockMasks {
    base: usize,
    alpha: u64,
    brk: u64,
    bsl: u64,
    /// The specific characters `+/-_`.
    spec: u64,
}

impl BlockMasks {
    /// No block (every offset is outside it).
    pub(super) const NONE: Self = Self {
        base: usize::MAX,
        alpha: 0,
        brk: 0,
        bsl: 0,
        spec: 0,
    };

    /// How many specific characters follow a letter or digit in the run of
    /// alphabet characters `i..i + len`, if this block holds all of it.
    #[inline]
    pub(super) fn specific_after_alnum(&self, i: usize, len: usize) -> Option<u32> {
        let off = i.checked_sub(self.base)?;
        if off.checked_add(len)? > BLOCK || len == 0 {
            return None;
        }
        // The run's first character follows no letter or digit of the run
        // (the byte before may be an escape's letter).
        let after_first = (u64::MAX >> (BLOCK - len)) << off & !(1 << off);
        let alnum = self.alpha & !self.spec;
        Some((self.spec & (alnum << 1) & after_first).count_ones())
    }

    /// The number of alphabet characters from offset `i` on, if this block
    /// holds `i` and the run of them ends inside the block (so the byte
    /// after it is in the block too).
    #[inline]
    pub(super) fn run_len(&self, i: usize) -> Option<usize> {
        let off = i.checked_sub(self.base).filter(|&o| o < BLOCK)?;
        let len = (!(self.alpha >> off)).trailing_zeros() as usize;
        (off + len < BLOCK).then_some(len)
    }
}

/// The length of the run of alphabet characters starting at `i` in
/// `chunk`, found with `blk` (the masks of the block holding `i`, if any)
/// and then whole blocks, stopping once it exceeds `limit`. `None` when the
/// run reaches bytes that no whole block covers (the caller steps there).
/// `blk` is left holding the last block classified, for the idle scan.
#[inline]
pub(super) fn run_len(chunk: &[u8], i: usize, blk: &mut BlockMasks, limit: usize) -> Option<usize> {
    if let Some(n) = blk.run_len(i) {
        return Some(n);
    }
    // The run fills the block from `i` on, or `i` is in no block yet.
    let mut base = if i.checked_sub(blk.base).is_some_and(|o| o < BLOCK) {
        blk.base + BLOCK
    } else {
        i
    };
    loop {
        let block = chunk
            .get(base..base + BLOCK)
            .filter(|_| chunk.len() > base + BLOCK)
            .and_then(|b| <&[u8; BLOCK]>::try_from(b).ok())?;
        *blk = block_masks(block, base);
        if let Some(n) = blk.run_len(base) {
            return Some(base + n - i);
        }
        base += BLOCK;
        if base - i > limit {
            return Some(base - i);
        }
    }
}

/// A window's run of letters, digits and its own specific characters, as
/// far as it has been followed.
pub(super) struct RunBlocks {
    /// Its length so far.
    pub(super) len: usize,
    /// Its specific characters that follow a letter or digit.
    pub(super) specific: u32,
    /// Its last byte is a letter or digit (or, if none yet, the byte
    /// before it is).
    pub(super) after_alnum: bool,
    /// Index of its last specific character.
    pub(super) last_specific: Option<usize>,
}

/// Extends `run` over the whole blocks of `bytes` from `run.len` on that
/// hold only letters, digits and the specific characters that `own`
/// accepts (the window's alphabet). Stops before the first block holding
/// any other byte (the caller goes on byte by byte there).
#[inline]
pub(super) fn run_blocks(bytes: &[u8], own: impl Fn(u8) -> bool, run: &mut RunBlocks) {
    for block in bytes[run.len..].chunks_exact(BLOCK) {
        let Ok(block) = <&[u8; BLOCK]>::try_from(block) else {
            break;
        };
        let [alpha, _, _, spec] = classify(block);
        if alpha != u64::MAX {
            break;
        }
        // Specific characters are rare (one in 32 in random Base64).
        let mut others = spec;
        let mut foreign = false;
        while others != 0 {
            foreign |= !own(block[others.trailing_zeros() as usize]);
            others &= others - 1;
        }
        if foreign {
            break;
        }
        let alnum = !spec;
        let after = alnum << 1 | u64::from(run.after_alnum);
        run.specific = run.specific.saturating_add((spec & after).count_ones());
        if spec != 0 {
            run.last_specific = Some(run.len + 63 - spec.leading_zeros() as usize);
        }
        run.after_alnum = alnum >> 63 == 1;
        run.len += BLOCK;
    }
}

/// The masks of `block`, at `base` (see [`classify`]).
#[inline]
fn block_masks(block: &[u8; BLOCK], base: usize) -> BlockMasks {
    let [alpha, brk, bsl, spec] = classify(block);
    BlockMasks {
        base,
        alpha,
        brk,
        bsl,
        spec,
    }
}

/// A run of alphabet characters that reaches the end of the last block
/// classified and goes on in the next one.
#[derive(Clone, Copy)]
struct OpenRun {
    /// Index of its first byte in the chunk.
    start: usize,
    /// Characters so far.
    len: u64,
    /// It holds a specific character (`+/-_`).
    specific: bool,
    /// The finder's escape flag at its first byte.
    escaped: bool,
}

/// Whether a run of `len` characters, ended by `\r` or `\n`, may be
/// continued by the line break: only a window of a multiple of 4
/// characters can be. Runs with specific characters (which may be split
/// into windows of other lengths) or starting after a backslash (whose
/// first letter may be an escape's) count as possibly continued.
#[inline]
fn may_wrap(len: u64, specific: bool, escaped: bool) -> bool {
    len.is_multiple_of(4) || specific || escaped
}

/// The escape flag after the bytes `off..stop` of a block, from `flag`
/// before them: an odd number of backslashes just before `stop` escapes.
#[inline]
fn escape_flag(bsl: u64, off: u32, stop: u32, flag: bool) -> bool {
    if stop <= off {
        return flag;
    }
    let span = (u64::MAX >> (64 - stop)) & (u64::MAX << off);
    let others = !bsl & span;
    if others == 0 {
        flag ^ ((stop - off) % 2 == 1)
    } else {
        (stop - 1 - (63 - others.leading_zeros())) % 2 == 1
    }
}

/// Bits `from..to` (`to <= 64`; none if `to <= from`).
#[inline]
fn bit_range(from: u32, to: u32) -> u64 {
    if to <= from {
        return 0;
    }
    (u64::MAX << from) & (u64::MAX >> (64 - to))
}

/// The block of `chunk` at `i`, if a whole one is there with at least one
/// byte after it (so a run's end inside it is seen).
#[inline]
fn whole_block(chunk: &[u8], i: usize) -> Option<&[u8; BLOCK]> {
    chunk
        .get(i..i + BLOCK)
        .filter(|_| chunk.len() > i + BLOCK)
        .and_then(|b| <&[u8; BLOCK]>::try_from(b).ok())
}

/// For a finder in `Phase::Idle` at `i` of `chunk`: skips whole 64-byte
/// blocks (followed by at least one more byte of `chunk`) in which stepping
/// would report nothing and leave the finder idle, and returns where to go
/// on: the start of the first run that needs the state machine, or where
/// no whole block is left. With bit masks over the blocks, a run of
/// alphabet characters (ignoring escapes, which only shorten runs) is
/// harmless if it is shorter than `k` characters (`min_len`, or the cap
/// plus one if smaller) and is not continued by a line break (it is not
/// followed by `\r`/`\n`, or cannot be, see [`may_wrap`]); a run that
/// reaches a block's end is followed into the next block. The `backslash`
/// flag (the finder's escape state) is left as stepping to the returned
/// index would leave it. The masks of the last block are kept in `blk`
/// for the next call on the same chunk.
#[inline]
pub(super) fn skip_blocks(
    chunk: &[u8],
    mut i: usize,
    k: &LongRuns,
    backslash: &mut bool,
    blk: &mut BlockMasks,
) -> usize {
    if k.k() == 0 {
        return i;
    }
    let mut open: Option<OpenRun> = None;
    loop {
        let mut off = i.checked_sub(blk.base).unwrap_or(BLOCK);
        if off >= BLOCK {
            let Some(block) = whole_block(chunk, i) else {
                return match open {
                    Some(run) => {
                        *backslash = run.escaped;
                        run.start
                    }
                    None => i,
                };
            };
            *blk = block_masks(block, i);
            off = 0;
        }
        // `off < BLOCK`, so this is exact.
        let mut off = off as u32;
        if let Some(run) = open.take() {
            // `off == 0`: the open run goes on with the block's first bytes.
            let first = (!blk.alpha).trailing_zeros();
            let len = run.len + u64::from(first);
            let specific = run.specific || blk.spec & bit_range(0, first) != 0;
            if first == BLOCK as u32 {
                if len >= k.k() {
                    *backslash = run.escaped;
                    return run.start;
                }
                open = Some(OpenRun {
                    len,
                    specific,
                    ..run
                });
                i = blk.base + BLOCK;
                continue;
            }
            let wraps = blk.brk >> first & 1 == 1 && may_wrap(len, specific, run.escaped);
            if len >= k.k() || wraps {
                *backslash = run.escaped;
                return run.start;
            }
            // The run ended with an alphabet character, so no escape is
            // pending (`backslash` was cleared when it was opened).
            off = first;
        }
        // Runs start at `off` at the earliest (the finder is idle there).
        let alpha = blk.alpha & (u64::MAX << off);
        let starts = alpha & !(alpha << 1);
        // Bit `j`: the run holding byte `j` starts at or before it.
        let start_of = |j: u32| 63 - (starts & (u64::MAX >> (63 - j))).leading_zeros();
        // Runs of `k` characters, and runs that a line break may continue.
        let mut hot = k.last_bytes(alpha);
        let mut nl_ends = alpha & !(alpha >> 1) & (blk.brk >> 1);
        while nl_ends != 0 {
            let e = nl_ends.trailing_zeros();
            let s = start_of(e);
            let specific = blk.spec & bit_range(s, e + 1) != 0;
            let escaped = if s == off {
                *backslash
            } else {
                blk.bsl >> (s - 1) & 1 == 1
            };
            if may_wrap(u64::from(e + 1 - s), specific, escaped) {
                hot |= 1 << e;
            }
            nl_ends &= nl_ends - 1;
        }
        if hot != 0 {
            // The start of the run holding the first hot byte.
            let stop = start_of(hot.trailing_zeros());
            *backslash = escape_flag(blk.bsl, off, stop, *backslash);
            return blk.base + stop as usize;
        }
        if alpha >> 63 == 1 {
            // The last run goes on in the next block.
            let s = start_of(63);
            open = Some(OpenRun {
                start: blk.base + s as usize,
                len: u64::from(64 - s),
                specific: blk.spec & bit_range(s, 64) != 0,
                escaped: escape_flag(blk.bsl, off, s, *backslash),
            });
            *backslash = false;
        } else {
            *backslash = escape_flag(blk.bsl, off, BLOCK as u32, *backslash);
        }
        i = blk.base + BLOCK;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_len_stops_inside_the_block_only() {
        let mut block = [b' '; BLOCK];
        block[10..30].fill(b'a');
        let m = block_masks(&block, 1000);
        assert_eq!(m.run_len(1010), Some(20));
        assert_eq!(m.run_len(1020), Some(10));
        assert_eq!(m.run_len(1030), Some(0));
        assert_eq!(m.run_len(999), None);
        assert_eq!(m.run_len(1064), None);
        block[40..].fill(b'Z');
        let m = block_masks(&block, 0);
        assert_eq!(m.run_len(40), None, "the run reaches the block's end");
    }

    /// The run length across blocks agrees with counting byte by byte, or
    /// is `None` only where no whole block (with a byte after it) covers
    /// the run's end.
    #[test]
    fn run_len_across_blocks_counts_like_bytes() {
        for total in [0usize, 1, 63, 64, 65, 130, 200, 300] {
            for start in [0usize, 5, 63, 64, 100] {
                let mut chunk = vec![b' '; 400];
                chunk[start..start + total].fill(b'Q');
                let expect = total;
                let mut blk = if start >= 64 {
                    block_masks(<&[u8; BLOCK]>::try_from(&chunk[64..128]).unwrap(), 64)
                } else {
                    BlockMasks::NONE
                };
                let got = run_len(&chunk, start, &mut blk.clone(), usize::MAX);
                match got {
                    Some(n) => assert_eq!(n, expect, "start {start} total {total}"),
                    None => assert!(start + total + 1 + BLOCK > chunk.len()),
                }
                // A limit stops the count early, past the limit.
                if let Some(n) = run_len(&chunk, start, &mut blk, 10) {
                    assert!(n == expect || n > 10, "start {start} total {total}: {n}");
                }
            }
        }
    }
}
