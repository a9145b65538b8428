//! Searches for the first or last byte of a class, 16 bytes at a time.
//!
//! The escape and HTML finders spend most of their time walking runs of
//! ordinary text to the next byte that matters (a terminator, a backslash,
//! an `&`); on long runs (a line of Base64, minified code) a byte-by-byte
//! table lookup dominates. A [`ByteClass`] gives its class twice: as a
//! vector predicate over 16 bytes (`wide`'s safe vector types: SSE2 on
//! x86-64, NEON on AArch64, scalar code elsewhere) and as a byte predicate
//! for the tail; the two must agree on every byte value, which the tests
//! check for each class in use.
//!
//! Invariants: [`position`] and [`rposition`] return exactly what
//! `iter().position` / `iter().rposition` with the byte predicate would;
//! nothing allocates or panics.

use wide::u8x16;

/// A set of byte values, as a vector predicate (lanes all ones where the
/// byte is in the class) and the equivalent byte predicate.
pub(crate) struct ByteClass {
    pub(crate) lanes: fn(u8x16) -> u8x16,
    pub(crate) byte: fn(u8) -> bool,
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

/// The index of the first byte of `bytes` in `class`.
#[inline]
pub(crate) fn position(bytes: &[u8], class: &ByteClass) -> Option<usize> {
    let mut blocks = bytes.chunks_exact(16);
    let mut base = 0;
    for block in blocks.by_ref() {
        let Ok(lanes) = <[u8; 16]>::try_from(block) else {
            break;
        };
        let mask = ((class.lanes)(u8x16::from(lanes))).to_bitmask();
        if mask != 0 {
            return Some(base + mask.trailing_zeros() as usize);
        }
        base += 16;
    }
    blocks
        .remainder()
        .iter()
        .position(|&b| (class.byte)(b))
        .map(|i| base + i)
}

/// The index of the last byte of `bytes` in `class`.
#[inline]
pub(crate) fn rposition(bytes: &[u8], class: &ByteClass) -> Option<usize> {
    let mut blocks = bytes.rchunks_exact(16);
    let mut end = bytes.len();
    for block in blocks.by_ref() {
        let Ok(lanes) = <[u8; 16]>::try_from(block) else {
            break;
        };
        let mask = ((class.lanes)(u8x16::from(lanes))).to_bitmask();
        end -= 16;
        if mask != 0 {
            return Some(end + (31 - mask.leading_zeros() as usize));
        }
    }
    blocks.remainder().iter().rposition(|&b| (class.byte)(b))
}

/// Test helper: `class`'s two predicates agree on every byte value, in
/// every lane, and both searches agree with the byte predicate on inputs
/// made of the class's members and non-members at every alignment.
#[cfg(test)]
pub(crate) fn check_class(class: &ByteClass) {
    for b in 0..=255u8 {
        for lane in 0..16 {
            let mut bytes = [0u8; 16];
            // A filler outside the class, if there is one.
            let filler = (0..=255u8).find(|&f| !(class.byte)(f)).unwrap_or(0);
            bytes.fill(filler);
            bytes[lane] = b;
            let mask = ((class.lanes)(u8x16::from(bytes))).to_bitmask();
            let expect = bytes
                .iter()
                .enumerate()
                .filter(|(_, &x)| (class.byte)(x))
                .fold(0u32, |m, (i, _)| m | 1 << i);
            assert_eq!(mask, expect, "byte {b:#04x} in lane {lane}");
        }
    }
    let mut x = 0x2545_f491_4f6c_dd1du64;
    for len in 0..80 {
        for _ in 0..20 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    // Mostly non-members, so that found positions vary.
                    let b = (x >> 32) as u8;
                    if x.is_multiple_of(7) || !(class.byte)(b) {
                        b
                    } else {
                        b'a'
                    }
                })
                .collect();
            assert_eq!(
                position(&bytes, class),
                bytes.iter().position(|&b| (class.byte)(b))
            );
            assert_eq!(
                rposition(&bytes, class),
                bytes.iter().rposition(|&b| (class.byte)(b))
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_match_iterators() {
        let quote_or_control = ByteClass {
            lanes: |v| at_most(v, 0x1f) | eq(v, b'"') | at_least(v, 0x7f),
            byte: |b| b <= 0x1f || b == b'"' || b >= 0x7f,
        };
        check_class(&quote_or_control);
        let mut s = vec![b'x'; 100];
        s[37] = b'"';
        s[80] = 0x05;
        assert_eq!(position(&s, &quote_or_control), Some(37));
        assert_eq!(rposition(&s, &quote_or_control), Some(80));
        assert_eq!(position(&s[..37], &quote_or_control), None);
        assert_eq!(rposition(&s[81..], &quote_or_control), None);
    }
}
