//! The idle scan of the Base64 finder: whole 64-byte blocks classified into
//! bit masks at once, so that stretches without a reportable run are skipped
//! without the per-byte state machine.
//!
//! Invariant: [`skip_blocks`] has exactly the effect of the finder's `step`
//! on the bytes it skips (nothing reported, the finder left idle, the
//! backslash-escape flag as `step` would leave it); the property test
//! `fast_feed_matches_bytewise` checks it against stepping byte by byte.

use wide::u8x16;

/// Size of the blocks of the idle scan.
const BLOCK: usize = 64;

/// Bit masks of the block of [`BLOCK`] bytes at `base` (bit `j` for byte
/// `base + j`): alphabet characters, `\r`/`\n`, backslashes.
#[derive(Clone, Copy)]
pub(super) struct BlockMasks {
    base: usize,
    alpha: u64,
    brk: u64,
    bsl: u64,
}

impl BlockMasks {
    /// No block (every offset is outside it).
    pub(super) const NONE: Self = Self {
        base: usize::MAX,
        alpha: 0,
        brk: 0,
        bsl: 0,
    };

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

/// The masks of `block`, at `base`: 16 bytes at a time, each class a few
/// byte-wise compares whose results are gathered into bits with one
/// move-mask (SSE2 on x86-64, NEON or scalar code elsewhere, through
/// `wide`'s safe vector types).
#[inline]
fn block_masks(block: &[u8; BLOCK], base: usize) -> BlockMasks {
    let mut m = BlockMasks {
        base,
        ..BlockMasks::NONE
    };
    for (j, lane) in block.chunks_exact(16).enumerate() {
        let Ok(bytes) = <[u8; 16]>::try_from(lane) else {
            continue;
        };
        let (alpha, brk, bsl) = lane_masks(u8x16::from(bytes));
        let shift = 16 * j;
        m.alpha |= u64::from(alpha) << shift;
        m.brk |= u64::from(brk) << shift;
        m.bsl |= u64::from(bsl) << shift;
    }
    m
}

/// Bit masks of 16 bytes: alphabet characters, `\r`/`\n`, backslashes.
#[inline]
fn lane_masks(v: u8x16) -> (u32, u32, u32) {
    let splat = u8x16::splat;
    // `x <= n` for unsigned bytes.
    let at_most = |x: u8x16, n: u8| x.min(splat(n)).simd_eq(x);
    let eq = |c: u8| v.simd_eq(splat(c));
    let letter = at_most((v | splat(0x20)) - splat(b'a'), 25);
    let digit = at_most(v - splat(b'0'), 9);
    let specific = eq(b'+') | eq(b'/') | eq(b'-') | eq(b'_');
    let alpha = letter | digit | specific;
    let brk = eq(b'\r') | eq(b'\n');
    (alpha.to_bitmask(), brk.to_bitmask(), eq(b'\\').to_bitmask())
}

/// Finds the runs of at least `k` alphabet characters in a block's mask:
/// the mask ANDed with itself shifted by 1, 2, 4, ... (a bit then stands
/// for the run of `2^n` bytes ending there) and a last shift that makes up
/// `k`. The shifts are worked out once; unused ones are 0 (no effect), so
/// the loop has no branches.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct LongRuns {
    k: u64,
    shifts: [u32; 7],
}

impl LongRuns {
    pub(super) fn new(k: u64) -> Self {
        let mut shifts = [0; 7];
        if (1..=BLOCK as u64).contains(&k) {
            let mut have = 1;
            let mut n = 0;
            while have * 2 <= k {
                shifts[n] = have as u32;
                have *= 2;
                n += 1;
            }
            shifts[n] = (k - have) as u32;
        }
        LongRuns { k, shifts }
    }

    /// Bit `j` set iff bytes `j + 1 - k ..= j` all have their bit in
    /// `alpha` (none when `k` exceeds the block).
    #[inline]
    fn last_bytes(&self, alpha: u64) -> u64 {
        if self.k > BLOCK as u64 {
            return 0;
        }
        self.shifts.iter().fold(alpha, |x, &s| x & (x << s))
    }
}

/// For a finder in `Phase::Idle` at `i` of `chunk`: skips whole 64-byte blocks (followed by
/// at least one more byte of `chunk`) in which stepping would report
/// nothing and leave the finder idle, and returns where to go on. With
/// bit masks over a block, a run of alphabet characters (ignoring
/// escapes, which only shorten runs) is harmless if it is shorter than
/// `k` characters (`min_len`, or the cap plus one if smaller), ends inside the block, and is not followed by
/// `\r` or `\n`; the bytes before the first other run are skipped, the
/// `backslash` flag (the finder's escape state) set from the backslashes just before it. The masks of
/// the last block are kept in `blk` for the next call on the same chunk.
#[inline]
pub(super) fn skip_blocks(
    chunk: &[u8],
    mut i: usize,
    k: &LongRuns,
    backslash: &mut bool,
    blk: &mut BlockMasks,
) -> usize {
    if k.k == 0 {
        return i;
    }
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
        let long = k.last_bytes(alpha);
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
            *backslash = if others == 0 {
                *backslash ^ ((stop - off) % 2 == 1)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte value lands in the masks exactly as the finder's byte
    /// classes say, at every lane position.
    #[test]
    fn masks_classify_every_byte_value() {
        for b in 0..=255u8 {
            for pos in [0, 15, 16, 33, 63] {
                let mut block = [b'.'; BLOCK];
                block[pos] = b;
                let m = block_masks(&block, 100);
                let bit = |mask: u64| mask >> pos & 1 == 1;
                assert_eq!(bit(m.alpha), super::super::is_base64_char(b), "{b:#04x}");
                assert_eq!(bit(m.brk), b == b'\r' || b == b'\n', "{b:#04x}");
                assert_eq!(bit(m.bsl), b == b'\\', "{b:#04x}");
                let others = |mask: u64| mask & !(1 << pos);
                assert_eq!(others(m.alpha) | others(m.brk) | others(m.bsl), 0);
            }
        }
    }

    #[test]
    fn long_runs_match_a_count() {
        for k in [1u64, 2, 3, 7, 20, 33, 63, 64, 65, 1000] {
            let runs = LongRuns::new(k);
            for seed in 0..200u64 {
                let alpha = seed
                    .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                    .rotate_left((seed % 64) as u32)
                    | if seed % 3 == 0 { 0x00ff_ffff_ff00 } else { 0 };
                let mut expect = 0u64;
                let mut run = 0u64;
                for j in 0..64 {
                    run = if alpha >> j & 1 == 1 { run + 1 } else { 0 };
                    if run >= k {
                        expect |= 1 << j;
                    }
                }
                assert_eq!(runs.last_bytes(alpha), expect, "k {k} alpha {alpha:#x}");
            }
        }
    }

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
