//! Classification of one 64-byte block into the hex finder's bit mask of
//! hex digits `0-9a-fA-F` (bit `j` for byte `j`).
//!
//! The portable version compares 16 bytes at a time with `wide`'s safe
//! vector types (SSE2 on x86-64, NEON on AArch64, scalar code elsewhere).
//! On x86-64 the widest instructions the CPU has (`vector_level.rs`,
//! detected once) are used: AVX-512BW compares the whole block at once
//! straight into a bit mask, AVX2 32 bytes at a time. Calling code
//! compiled for features the baseline lacks, and loading a vector from
//! memory, is `unsafe` in `core::arch`; that is the only unsafe code here,
//! each block after the runtime check it relies on.
//!
//! Invariant: every version gives the same mask for every block (the test
//! `versions_agree_on_every_byte` checks each version the CPU supports).

use wide::u8x16;

/// Size of a block.
pub(super) const BLOCK: usize = 64;

/// A scan over blocks, generic over the block classifier so that it is
/// compiled, with the classifier inlined, once for each vector level.
pub(super) trait BlockScan {
    type Out;
    /// Runs the scan with `classify` giving a block's mask of hex digits.
    fn run(self, classify: impl Fn(&[u8; BLOCK]) -> u64) -> Self::Out;
}

/// Whether the block skip beats probing one byte per `need` for runs of
/// `need` digits (measured on source files): up to a block's length with
/// AVX2 or AVX-512BW, up to 48 with the portable version; a longer `need`
/// lets the probe step over most bytes unread.
#[inline]
pub(super) fn block_skip_pays(need: u64) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use crate::transform::vector_level::{Level, LEVEL};
        if *LEVEL != Level::Baseline {
            return need <= BLOCK as u64;
        }
    }
    need <= 48
}

/// Runs `scan` with the widest vector instructions available.
#[inline]
pub(super) fn with_classifier<S: BlockScan>(scan: S) -> S::Out {
    #[cfg(target_arch = "x86_64")]
    {
        use crate::transform::vector_level::{Level, LEVEL};
        match *LEVEL {
            // SAFETY: `LEVEL` is `Avx512` only if the CPU has AVX-512BW.
            Level::Avx512 => return unsafe { x86::run_avx512(scan) },
            // SAFETY: `LEVEL` is `Avx2` only if the CPU has AVX2.
            Level::Avx2 => return unsafe { x86::run_avx2(scan) },
            Level::Baseline => {}
        }
    }
    scan.run(classify_portable)
}

/// Asks the CPU to fetch the cache line of `chunk` at `at` (any index:
/// the address is only computed, and a prefetch never faults) ahead of
/// use, so that a scan streaming from memory keeps several lines in
/// flight.
#[inline(always)]
pub(super) fn prefetch(chunk: &[u8], at: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let p = chunk.as_ptr().wrapping_add(at).cast::<i8>();
        // SAFETY: a prefetch reads nothing the program sees and never
        // faults, whatever the address (older toolchains declare it unsafe).
        #[allow(unused_unsafe)]
        unsafe {
            _mm_prefetch::<_MM_HINT_T0>(p);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (chunk, at);
}

/// The mask of hex digits of `block`, with the widest vector instructions
/// available (for tests; scans use [`with_classifier`]).
#[cfg(test)]
pub(super) fn classify(block: &[u8; BLOCK]) -> u64 {
    struct One<'a>(&'a [u8; BLOCK]);
    impl BlockScan for One<'_> {
        type Out = u64;
        fn run(self, classify: impl Fn(&[u8; BLOCK]) -> u64) -> u64 {
            classify(self.0)
        }
    }
    with_classifier(One(block))
}

/// The mask of hex digits of `block`, 16 bytes at a time with `wide`'s
/// vector types.
#[inline]
pub(super) fn classify_portable(block: &[u8; BLOCK]) -> u64 {
    let mut m = 0u64;
    for (j, lane) in block.chunks_exact(16).enumerate() {
        let Ok(bytes) = <[u8; 16]>::try_from(lane) else {
            continue;
        };
        m |= u64::from(lane_mask(u8x16::from(bytes))) << (16 * j);
    }
    m
}

/// The mask of hex digits of 16 bytes.
#[inline]
fn lane_mask(v: u8x16) -> u32 {
    let splat = u8x16::splat;
    // `x <= n` for unsigned bytes.
    let at_most = |x: u8x16, n: u8| x.min(splat(n)).simd_eq(x);
    let letter = at_most((v | splat(0x20)) - splat(b'a'), 5);
    let digit = at_most(v - splat(b'0'), 9);
    (letter | digit).to_bitmask()
}

#[cfg(target_arch = "x86_64")]
pub(super) mod x86 {
    use super::{BlockScan, BLOCK};
    use core::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_min_epu8, _mm256_movemask_epi8,
        _mm256_or_si256, _mm256_set1_epi8, _mm256_sub_epi8, _mm512_cmple_epu8_mask,
        _mm512_loadu_si512, _mm512_or_si512, _mm512_set1_epi8, _mm512_sub_epi8,
    };

    /// `scan` compiled for AVX-512BW, with [`classify_avx512`].
    #[target_feature(enable = "avx512bw")]
    pub(super) fn run_avx512<S: BlockScan>(scan: S) -> S::Out {
        scan.run(|block| classify_avx512(block))
    }

    /// `scan` compiled for AVX2, with [`classify_avx2`].
    #[target_feature(enable = "avx2")]
    pub(super) fn run_avx2<S: BlockScan>(scan: S) -> S::Out {
        scan.run(|block| classify_avx2(block))
    }

    /// The mask of hex digits of `block` with AVX-512BW: two compares of
    /// the whole block straight into 64-bit masks.
    #[target_feature(enable = "avx512bw")]
    #[inline]
    pub(crate) fn classify_avx512(block: &[u8; BLOCK]) -> u64 {
        // SAFETY: `block` is 64 readable bytes, as the load reads; it needs
        // no alignment.
        let v = unsafe { _mm512_loadu_si512(block.as_ptr().cast()) };
        let splat = |b: u8| _mm512_set1_epi8(b as i8);
        let lower = _mm512_or_si512(v, splat(0x20));
        let letter = _mm512_cmple_epu8_mask(_mm512_sub_epi8(lower, splat(b'a')), splat(5));
        let digit = _mm512_cmple_epu8_mask(_mm512_sub_epi8(v, splat(b'0')), splat(9));
        letter | digit
    }

    /// The mask of hex digits of `block` with AVX2, 32 bytes at a time.
    #[target_feature(enable = "avx2")]
    #[inline]
    pub(crate) fn classify_avx2(block: &[u8; BLOCK]) -> u64 {
        let mut m = 0u64;
        for half in 0..2 {
            let bytes = &block[32 * half..32 * half + 32];
            // SAFETY: `bytes` is 32 readable bytes, as the load reads; it
            // needs no alignment.
            let v = unsafe { _mm256_loadu_si256(bytes.as_ptr().cast::<__m256i>()) };
            let splat = |b: u8| _mm256_set1_epi8(b as i8);
            let at_most = |x: __m256i, n: u8| _mm256_cmpeq_epi8(_mm256_min_epu8(x, splat(n)), x);
            let letter = at_most(
                _mm256_sub_epi8(_mm256_or_si256(v, splat(0x20)), splat(b'a')),
                5,
            );
            let digit = at_most(_mm256_sub_epi8(v, splat(b'0')), 9);
            // The move-mask's 32 bits, as an unsigned number.
            let bits = _mm256_movemask_epi8(_mm256_or_si256(letter, digit)).cast_unsigned();
            m |= u64::from(bits) << (32 * half);
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::testing::{block_with, for_test_blocks};

    /// Every byte value at every position is in the mask exactly when it
    /// is a hex digit, in the portable version.
    #[test]
    fn portable_mask_follows_the_hex_digits() {
        for b in 0..=255u8 {
            for pos in 0..BLOCK {
                let m = classify_portable(&block_with(b'.', b, pos));
                let want = u64::from(super::super::hex_val(b).is_some()) << pos;
                assert_eq!(m, want, "{b:#04x} at {pos}");
            }
        }
    }

    /// Each vector version this CPU supports gives the portable mask, for
    /// every byte value at every position on two backgrounds and for
    /// pseudo-random blocks.
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn versions_agree_on_every_byte() {
        let has_avx2 = std::is_x86_feature_detected!("avx2");
        let has_avx512 = std::is_x86_feature_detected!("avx512bw");
        let check = |block: &[u8; BLOCK]| {
            let want = classify_portable(block);
            if has_avx2 {
                // SAFETY: the CPU has AVX2 (checked above).
                assert_eq!(unsafe { x86::classify_avx2(block) }, want, "{block:?}");
            }
            if has_avx512 {
                // SAFETY: the CPU has AVX-512BW (checked above).
                assert_eq!(unsafe { x86::classify_avx512(block) }, want, "{block:?}");
            }
            assert_eq!(classify(block), want);
        };
        for_test_blocks(b".a", check);
    }
}
