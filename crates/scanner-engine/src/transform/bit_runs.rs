//! Runs of set bits in a 64-bit block mask (bit `j` for byte `j` of a
//! 64-byte block), for the finders' block skips (`base64/blocks.rs`,
//! `hex/blocks.rs`): which bytes end a run of at least `k` set bits.
//!
//! Invariant: [`LongRuns::last_bytes`] sets exactly the bits that end a
//! run of `k` or more set bits lying within the mask (tested against a
//! plain count).

/// Bits in a block mask.
const BLOCK: u64 = 64;

/// Finds the runs of at least `k` set bits in a block's mask: the mask
/// ANDed with itself shifted by 1, 2, 4, ... (a bit then stands for the
/// run of `2^n` bytes ending there) and a last shift that makes up `k`.
/// The shifts are worked out once; unused ones are 0 (no effect), so the
/// loop has no branches.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct LongRuns {
    k: u64,
    shifts: [u32; 7],
}

impl LongRuns {
    /// Runs of at least `k` set bits (`k == 0`: every set bit ends one).
    pub(crate) fn new(k: u64) -> Self {
        let mut shifts = [0; 7];
        if (1..=BLOCK).contains(&k) {
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

    /// The run length looked for.
    #[inline]
    pub(crate) fn k(&self) -> u64 {
        self.k
    }

    /// Bit `j` set iff bits `j + 1 - k ..= j` are all set in `mask` (none
    /// when `k` exceeds the block).
    #[inline]
    pub(crate) fn last_bytes(&self, mask: u64) -> u64 {
        if self.k > BLOCK {
            return 0;
        }
        self.shifts.iter().fold(mask, |x, &s| x & (x << s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_runs_match_a_count() {
        for k in [1u64, 2, 3, 7, 20, 32, 33, 63, 64, 65, 1000] {
            let runs = LongRuns::new(k);
            for seed in 0..200u64 {
                let mask = seed
                    .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                    .rotate_left((seed % 64) as u32)
                    | if seed % 3 == 0 { 0x00ff_ffff_ff00 } else { 0 };
                let mut expect = 0u64;
                let mut run = 0u64;
                for j in 0..64 {
                    run = if mask >> j & 1 == 1 { run + 1 } else { 0 };
                    if run >= k {
                        expect |= 1 << j;
                    }
                }
                assert_eq!(runs.last_bytes(mask), expect, "k {k} mask {mask:#x}");
            }
        }
    }
}
