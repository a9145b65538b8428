//! Classification of one 64-byte block into the Base64 finder's bit masks
//! (bit `j` for byte `j`): alphabet characters, `\r`/`\n`, backslashes and
//! the specific characters `+/-_`.
//!
//! The portable version compares 16 bytes at a time with `wide`'s safe
//! vector types (SSE2 on x86-64, NEON on AArch64, scalar code elsewhere).
//! On x86-64 the widest instructions the CPU has (`vector_level.rs`,
//! detected once) are used: AVX-512BW compares the whole block at once straight into bit
//! masks, AVX2 32 bytes at a time. Calling code compiled for features the
//! baseline lacks, and loading a vector from memory, is `unsafe` in
//! `core::arch`; that is the only unsafe code here, each block after the
//! runtime check it relies on.
//!
//! Invariant: every version gives the same masks for every block (the test
//! `versions_agree_on_every_byte` checks each version the CPU supports).

use wide::u8x16;

/// Size of a block.
pub(super) const BLOCK: usize = 64;

/// The masks of one block: alphabet, line breaks, backslashes, specific.
pub(super) type Masks = [u64; 4];

/// The masks of `block`, with the widest vector instructions available.
#[inline]
pub(super) fn classify(block: &[u8; BLOCK]) -> Masks {
    #[cfg(target_arch = "x86_64")]
    {
        use crate::transform::vector_level::{Level, LEVEL};
        match *LEVEL {
            // SAFETY: `LEVEL` is `Avx512` only if the CPU has AVX-512BW.
            Level::Avx512 => return unsafe { x86::classify_avx512(block) },
            // SAFETY: `LEVEL` is `Avx2` only if the CPU has AVX2.
            Level::Avx2 => return unsafe { x86::classify_avx2(block) },
            Level::Baseline => {}
        }
    }
    classify_portable(block)
}

/// The masks of `block`, 16 bytes at a time with `wide`'s vector types.
#[inline]
pub(super) fn classify_portable(block: &[u8; BLOCK]) -> Masks {
    let mut m = [0u64; 4];
    for (j, lane) in block.chunks_exact(16).enumerate() {
        let Ok(bytes) = <[u8; 16]>::try_from(lane) else {
            continue;
        };
        for (mask, bits) in m.iter_mut().zip(lane_masks(u8x16::from(bytes))) {
            *mask |= u64::from(bits) << (16 * j);
        }
    }
    m
}

/// The masks of 16 bytes.
#[inline]
fn lane_masks(v: u8x16) -> [u32; 4] {
    let splat = u8x16::splat;
    // `x <= n` for unsigned bytes.
    let at_most = |x: u8x16, n: u8| x.min(splat(n)).simd_eq(x);
    let eq = |c: u8| v.simd_eq(splat(c));
    let letter = at_most((v | splat(0x20)) - splat(b'a'), 25);
    let digit = at_most(v - splat(b'0'), 9);
    let specific = eq(b'+') | eq(b'/') | eq(b'-') | eq(b'_');
    let alpha = letter | digit | specific;
    let brk = eq(b'\r') | eq(b'\n');
    [
        alpha.to_bitmask(),
        brk.to_bitmask(),
        eq(b'\\').to_bitmask(),
        specific.to_bitmask(),
    ]
}

#[cfg(target_arch = "x86_64")]
pub(super) mod x86 {
    use super::{Masks, BLOCK};
    use core::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_min_epu8, _mm256_movemask_epi8,
        _mm256_or_si256, _mm256_set1_epi8, _mm256_sub_epi8, _mm512_cmpeq_epi8_mask,
        _mm512_cmple_epu8_mask, _mm512_loadu_si512, _mm512_or_si512, _mm512_set1_epi8,
        _mm512_sub_epi8,
    };

    /// The masks of `block` with AVX-512BW: each class a compare or two of
    /// the whole block straight into a 64-bit mask.
    #[target_feature(enable = "avx512bw")]
    pub(crate) fn classify_avx512(block: &[u8; BLOCK]) -> Masks {
        // SAFETY: `block` is 64 readable bytes, as the load reads; it needs
        // no alignment.
        let v = unsafe { _mm512_loadu_si512(block.as_ptr().cast()) };
        let splat = |b: u8| _mm512_set1_epi8(b as i8);
        let eq = |c: u8| _mm512_cmpeq_epi8_mask(v, splat(c));
        let lower = _mm512_or_si512(v, splat(0x20));
        let letter = _mm512_cmple_epu8_mask(_mm512_sub_epi8(lower, splat(b'a')), splat(25));
        let digit = _mm512_cmple_epu8_mask(_mm512_sub_epi8(v, splat(b'0')), splat(9));
        let spec = eq(b'+') | eq(b'/') | eq(b'-') | eq(b'_');
        [
            letter | digit | spec,
            eq(b'\r') | eq(b'\n'),
            eq(b'\\'),
            spec,
        ]
    }

    /// The masks of `block` with AVX2, 32 bytes at a time.
    #[target_feature(enable = "avx2")]
    pub(crate) fn classify_avx2(block: &[u8; BLOCK]) -> Masks {
        let mut m = [0u64; 4];
        for half in 0..2 {
            let bytes = &block[32 * half..32 * half + 32];
            // SAFETY: `bytes` is 32 readable bytes, as the load reads; it
            // needs no alignment.
            let v = unsafe { _mm256_loadu_si256(bytes.as_ptr().cast::<__m256i>()) };
            let splat = |b: u8| _mm256_set1_epi8(b as i8);
            let eq = |c: u8| _mm256_cmpeq_epi8(v, splat(c));
            let at_most = |x: __m256i, n: u8| _mm256_cmpeq_epi8(_mm256_min_epu8(x, splat(n)), x);
            let or = _mm256_or_si256;
            let letter = at_most(_mm256_sub_epi8(or(v, splat(0x20)), splat(b'a')), 25);
            let digit = at_most(_mm256_sub_epi8(v, splat(b'0')), 9);
            let spec = or(or(eq(b'+'), eq(b'/')), or(eq(b'-'), eq(b'_')));
            let classes = [
                or(or(letter, digit), spec),
                or(eq(b'\r'), eq(b'\n')),
                eq(b'\\'),
                spec,
            ];
            for (mask, class) in m.iter_mut().zip(classes) {
                // The move-mask's 32 bits, as an unsigned number.
                let bits = u64::from(_mm256_movemask_epi8(class).cast_unsigned());
                *mask |= bits << (32 * half);
            }
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::testing::{block_with, for_test_blocks};

    /// Every byte value at every position lands in exactly the masks the
    /// finder's byte classes say, in the portable version.
    #[test]
    fn portable_masks_follow_the_byte_classes() {
        for b in 0..=255u8 {
            for pos in 0..BLOCK {
                let [alpha, brk, bsl, spec] = classify_portable(&block_with(b'.', b, pos));
                let bit = |mask: u64| mask >> pos & 1 == 1;
                assert_eq!(bit(alpha), super::super::is_base64_char(b), "{b:#04x}");
                assert_eq!(bit(brk), b == b'\r' || b == b'\n', "{b:#04x}");
                assert_eq!(bit(bsl), b == b'\\', "{b:#04x}");
                assert_eq!(bit(spec), b"+/-_".contains(&b), "{b:#04x}");
                let others = !(1u64 << pos);
                assert_eq!((alpha | brk | bsl | spec) & others, 0, "{b:#04x} at {pos}");
            }
        }
    }

    /// Each vector version this CPU supports gives the portable masks, for
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
        for_test_blocks(b".A", check);
    }
}
