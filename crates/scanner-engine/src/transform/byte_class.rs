//! Searches for the first or last byte of a class, 64 bytes at a time.
//!
//! The escape and HTML finders spend most of their time walking runs of
//! ordinary text to the next byte that matters (a terminator, a backslash,
//! an `&`); on long runs (a line of Base64, minified code) a byte-by-byte
//! table lookup dominates. A [`ByteClass`] gives its class twice: as a
//! vector predicate over 16 bytes (`wide`'s safe vector types: SSE2 on
//! x86-64, NEON on AArch64, scalar code elsewhere) and as a byte predicate
//! for the tail; the two must agree on every byte value, which the tests
//! check for each class in use. A class is a type, so the searches are
//! compiled for it: a predicate called through a pointer cost a call per
//! 16 bytes and ran at a quarter of the speed.
//!
//! Invariants: [`position`] and [`rposition`] return exactly what
//! `iter().position` / `iter().rposition` with the byte predicate would;
//! nothing allocates or panics.

use wide::u8x16;

/// A set of byte values, as a vector predicate (lanes all ones where the
/// byte is in the class) and the equivalent byte predicate.
pub(crate) trait ByteClass {
    fn lanes(v: u8x16) -> u8x16;
    fn byte(b: u8) -> bool;
}

/// Lanes of `v` that are `<= n` (unsigned).
#[inline]
pub(crate) fn at_most(v: u8x16, n: u8) -> u8x16 {
    v.min(u8x16::splat(n)).simd_eq(v)
}

/// Lanes of `v` that are `>= n` (unsigned).
#[inline]
pub(crate) fn at_least(v: u8x16, n: u8) -> u8x16 {
    v.max(u8x16::splat(n)).simd_eq(v)
}

/// Lanes of `v` equal to `c`.
#[inline]
pub(crate) fn eq(v: u8x16, c: u8) -> u8x16 {
    v.simd_eq(u8x16::splat(c))
}

/// Bit `i` set where byte `i` of the 16 bytes at `block` is in `C`.
#[inline(always)]
fn mask16<C: ByteClass>(block: &[u8]) -> u64 {
    let mut lanes = [0u8; 16];
    lanes.copy_from_slice(&block[..16]);
    u64::from(C::lanes(u8x16::from(lanes)).to_bitmask())
}

/// Bit `i` set where byte `i` of the 64 bytes at `block` is in `C`.
#[inline(always)]
fn mask64<C: ByteClass>(block: &[u8]) -> u64 {
    mask16::<C>(&block[..16])
        | mask16::<C>(&block[16..32]) << 16
        | mask16::<C>(&block[32..48]) << 32
        | mask16::<C>(&block[48..64]) << 48
}

/// The index of the first byte of `bytes` in `C`.
#[inline]
pub(crate) fn position<C: ByteClass>(bytes: &[u8]) -> Option<usize> {
    let mut base = 0;
    let mut blocks = bytes.chunks_exact(64);
    for block in blocks.by_ref() {
        let mask = mask64::<C>(block);
        if mask != 0 {
            return Some(base + mask.trailing_zeros() as usize);
        }
        base += 64;
    }
    let mut lanes = blocks.remainder().chunks_exact(16);
    for block in lanes.by_ref() {
        let mask = mask16::<C>(block);
        if mask != 0 {
            return Some(base + mask.trailing_zeros() as usize);
        }
        base += 16;
    }
    lanes
        .remainder()
        .iter()
        .position(|&b| C::byte(b))
        .map(|i| base + i)
}

/// The index of the last byte of `bytes` in `C`.
#[inline]
pub(crate) fn rposition<C: ByteClass>(bytes: &[u8]) -> Option<usize> {
    let mut end = bytes.len();
    let mut blocks = bytes.rchunks_exact(64);
    for block in blocks.by_ref() {
        let mask = mask64::<C>(block);
        end -= 64;
        if mask != 0 {
            return Some(end + 63 - mask.leading_zeros() as usize);
        }
    }
    let mut lanes = blocks.remainder().rchunks_exact(16);
    for block in lanes.by_ref() {
        let mask = mask16::<C>(block);
        end -= 16;
        if mask != 0 {
            return Some(end + 63 - mask.leading_zeros() as usize);
        }
    }
    lanes.remainder().iter().rposition(|&b| C::byte(b))
}

/// Test helper: `class`'s two predicates agree on every byte value, in
/// every lane, and both searches agree with the byte predicate on inputs
/// made of the class's members and non-members at every alignment.
#[cfg(test)]
pub(crate) fn check_class<C: ByteClass>() {
    for b in 0..=255u8 {
        for lane in 0..16 {
            let mut bytes = [0u8; 16];
            // A filler outside the class, if there is one.
            let filler = (0..=255u8).find(|&f| !C::byte(f)).unwrap_or(0);
            bytes.fill(filler);
            bytes[lane] = b;
            let mask = C::lanes(u8x16::from(bytes)).to_bitmask();
            let expect = bytes
                .iter()
                .enumerate()
                .filter(|(_, &x)| C::byte(x))
                .fold(0u32, |m, (i, _)| m | 1 << i);
            assert_eq!(mask, expect, "byte {b:#04x} in lane {lane}");
        }
    }
    let mut x = 0x2545_f491_4f6c_dd1du64;
    for len in (0..80).chain([127, 128, 129, 200, 257]) {
        for _ in 0..20 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    // Mostly non-members, so that found positions vary.
                    let b = (x >> 32) as u8;
                    if x.is_multiple_of(7) || !C::byte(b) {
                        b
                    } else {
                        b'a'
                    }
                })
                .collect();
            assert_eq!(
                position::<C>(&bytes),
                bytes.iter().position(|&b| C::byte(b))
            );
            assert_eq!(
                rposition::<C>(&bytes),
                bytes.iter().rposition(|&b| C::byte(b))
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct QuoteOrControl;

    impl ByteClass for QuoteOrControl {
        fn lanes(v: u8x16) -> u8x16 {
            at_most(v, 0x1f) | eq(v, b'"') | at_least(v, 0x7f)
        }
        fn byte(b: u8) -> bool {
            b <= 0x1f || b == b'"' || b >= 0x7f
        }
    }

    #[test]
    fn searches_match_iterators() {
        check_class::<QuoteOrControl>();
        for len in [100, 300] {
            let mut s = vec![b'x'; len];
            s[37] = b'"';
            s[80] = 0x05;
            assert_eq!(position::<QuoteOrControl>(&s), Some(37));
            assert_eq!(rposition::<QuoteOrControl>(&s), Some(80));
            assert_eq!(position::<QuoteOrControl>(&s[..37]), None);
            assert_eq!(rposition::<QuoteOrControl>(&s[81..]), None);
            // Found in the 64-byte blocks, in the 16-byte ones, in the tail.
            for at in [0, 63, 64, 70, len - 20, len - 1] {
                let mut t = vec![b'x'; len];
                t[at] = b'"';
                assert_eq!(position::<QuoteOrControl>(&t), Some(at));
                assert_eq!(rposition::<QuoteOrControl>(&t), Some(at));
            }
        }
    }
}
