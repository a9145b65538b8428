//! The idle scan of the hex finder: whole 64-byte blocks classified into a
//! bit mask of hex digits at once, so that stretches in which no run of
//! digits is long enough to matter are skipped without looking at bytes
//! one by one. A run that reaches a block's end is followed into the next
//! block, so words and numbers across block boundaries do not stop the
//! scan.
//!
//! Invariant: [`skip_blocks`] only skips bytes on which stepping would
//! report nothing, count no cut and leave the finder idle (given that
//! every run shorter than `k` is within the cap, which the caller checks);
//! the property tests `fast_feed_matches_bytewise` and
//! `block_skip_matches_bytewise_on_source` check it against stepping byte
//! by byte.

use super::classify::{prefetch, with_classifier, BlockScan, BLOCK};
pub(super) use crate::transform::bit_runs::LongRuns;

/// How far ahead of the block being classified the scan prefetches.
const PREFETCH_AHEAD: usize = 768;

/// The mask of hex digits of the block of [`BLOCK`] bytes at `base` (bit
/// `j` for byte `base + j`), kept between calls on the same chunk.
#[derive(Clone, Copy, Debug)]
pub(super) struct BlockMask {
    base: usize,
    hex: u64,
}

impl BlockMask {
    /// No block (every offset is outside it).
    pub(super) const NONE: Self = Self {
        base: usize::MAX,
        hex: 0,
    };
}

/// For a finder with no open run at `i` of `chunk` (the byte before `i`,
/// if any, ended the last run): skips whole 64-byte blocks of `chunk` in
/// which every run of hex digits is shorter than `k` and ends inside the
/// chunk, and returns where to go on: the start of the first run of at
/// least `k` digits, of a run reaching the end of the last whole block of
/// the chunk, or where no whole block is left. A run that reaches a
/// block's end is followed into the next block. The mask of the last block
/// is kept in `blk` for the next call on the same chunk.
#[inline]
pub(super) fn skip_blocks(chunk: &[u8], i: usize, k: &LongRuns, blk: &mut BlockMask) -> usize {
    with_classifier(Skip { chunk, i, k, blk })
}

/// The arguments of [`skip_blocks`], run with a block classifier.
struct Skip<'a> {
    chunk: &'a [u8],
    i: usize,
    k: &'a LongRuns,
    blk: &'a mut BlockMask,
}

impl BlockScan for Skip<'_> {
    type Out = usize;

    #[inline(always)]
    fn run(self, classify: impl Fn(&[u8; BLOCK]) -> u64) -> usize {
        let Skip { chunk, i, k, blk } = self;
        skip_with(chunk, i, k, blk, classify)
    }
}

/// [`skip_blocks`] with `classify`.
#[inline(always)]
fn skip_with(
    chunk: &[u8],
    i: usize,
    k: &LongRuns,
    blk: &mut BlockMask,
    classify: impl Fn(&[u8; BLOCK]) -> u64,
) -> usize {
    // The cached block, if it holds `i`, from `i` on (runs start there at
    // the earliest: the finder is idle); else the block at `i`.
    let (mut base, mut hex) = match i.checked_sub(blk.base).filter(|&o| o < BLOCK) {
        Some(off) => (blk.base, blk.hex & (u64::MAX << off)),
        None => {
            let Some(block) = whole_block(chunk, i) else {
                return i;
            };
            *blk = BlockMask {
                base: i,
                hex: classify(block),
            };
            (i, blk.hex)
        }
    };
    // The run of `carry` digits (none if 0) that ends `base`'s previous
    // block, starting at `carry_start`.
    let mut carry = 0u64;
    let mut carry_start = base;
    loop {
        // The run through the block's first bytes (continuing `carry`).
        let first = (!hex).trailing_zeros();
        let lead = carry + u64::from(first);
        let lead_start = if carry == 0 { base } else { carry_start };
        if lead >= k.k() {
            return lead_start;
        }
        // The other runs, each inside the block or reaching its end.
        let rest = hex & u64::MAX.checked_shl(first).unwrap_or(0);
        // Most blocks of source text hold fewer than `k` digits in all.
        let hot = if u64::from(rest.count_ones()) >= k.k() {
            k.last_bytes(rest)
        } else {
            0
        };
        if hot != 0 {
            // The start of the run holding the first hot byte.
            let e = hot.trailing_zeros();
            let starts = rest & !(rest << 1);
            let s = 63 - (starts & (u64::MAX >> (63 - e))).leading_zeros();
            return base + s as usize;
        }
        // The run reaching the block's end: the whole block continuing
        // `lead`, or the last run of `rest`.
        let last = (!rest).leading_zeros();
        (carry, carry_start) = if first == BLOCK as u32 {
            (lead, lead_start)
        } else {
            (u64::from(last), base + BLOCK - last as usize)
        };
        base += BLOCK;
        prefetch(chunk, base + PREFETCH_AHEAD);
        let Some(block) = whole_block(chunk, base) else {
            return if carry == 0 { base } else { carry_start };
        };
        hex = classify(block);
        *blk = BlockMask { base, hex };
    }
}

/// The block of `chunk` at `i`, if a whole one is there.
#[inline(always)]
fn whole_block(chunk: &[u8], i: usize) -> Option<&[u8; BLOCK]> {
    chunk
        .get(i..i.saturating_add(BLOCK))
        .and_then(|b| <&[u8; BLOCK]>::try_from(b).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_stops_at_the_first_long_run() {
        for k in [5u64, 32, 64, 65, 100] {
            let runs = LongRuns::new(k);
            for start in [0usize, 1, 30, 63, 64, 65, 127, 128, 200] {
                for len in [k - 1, k, k + 1] {
                    let len = len as usize;
                    let mut chunk = b"x = 12 + beef;\n".repeat(30);
                    chunk.truncate(400);
                    // Short runs (at most 4 digits) around the long one.
                    chunk[start..start + len].fill(b'a');
                    chunk[start + len] = b' ';
                    if start > 0 {
                        chunk[start - 1] = b' ';
                    }
                    let mut blk = BlockMask::NONE;
                    let got = skip_blocks(&chunk, 0, &runs, &mut blk);
                    let whole = chunk.len() / BLOCK * BLOCK;
                    if len as u64 >= k && start + len <= whole {
                        assert_eq!(got, start, "k {k} start {start} len {len}");
                    } else if (len as u64) < k && start + len < whole {
                        assert!(got >= start + len, "k {k} start {start} len {len}: {got}");
                    }
                    assert!(got <= whole);
                }
            }
        }
    }
}
