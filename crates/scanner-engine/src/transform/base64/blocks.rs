//! The idle scan of the Base64 finder: whole 64-byte blocks classified into
//! bit masks at once, so that stretches without a reportable run are skipped
//! without the per-byte state machine.
//!
//! Invariant: [`skip_blocks`] has exactly the effect of the finder's `step`
//! on the bytes it skips (nothing reported, the finder left idle, the
//! backslash-escape flag as `step` would leave it); the property test
//! `fast_feed_matches_bytewise` checks it against stepping byte by byte.

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
    k: u64,
    backslash: &mut bool,
    blk: &mut BlockMasks,
) -> usize {
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
