//! Maps a range of decoded bytes back to the encoded bytes it came from, so
//! a secret found in decoded data can be located precisely in its input.
//!
//! Invariants:
//! - The result is the smallest range of `encoded` whose decoding contains
//!   the decoded range, with Base64 widened to whole 4-character quanta (the
//!   unit that decodes on its own) and URL encoding to whole `%XX` escapes.
//! - The mapping follows the same grammar as [`super::stream_decode`]
//!   (alphabet chosen by the first specific character, whitespace skipped,
//!   `%` without two hex digits taken literally), so it agrees with the
//!   decoder on every input; ranges past the decoded end are clamped.
//! - It allocates nothing and never panics.

use core::ops::ControlFlow;

use memchr::{memchr, memchr2};

use super::{TransformConfig, TransformKind};

/// The encoded range `[start, end)` (offsets in `encoded`) that decodes to
/// the decoded range `[lo, hi)`.
#[must_use]
pub fn encoded_range(cfg: &TransformConfig, encoded: &[u8], lo: u64, hi: u64) -> (u64, u64) {
    let hi = hi.max(lo);
    match cfg.kind {
        TransformKind::Base64 => base64_range(encoded, lo, hi),
        // `+` decodes one for one whether or not it becomes a space.
        TransformKind::Url => url_range(encoded, lo, hi),
        TransformKind::Hex => super::hex::encoded_range(encoded, lo, hi),
        TransformKind::Escape => units_range(lo, hi, encoded.len(), |f| {
            super::escape::walk_units(encoded, |at, used, decoded| f(at, used, decoded, true));
        }),
        TransformKind::Html => units_range(lo, hi, encoded.len(), |f| {
            super::html::walk_units(encoded, |at, used, decoded| match decoded {
                Some(d) => f(at, used, d.as_slice().len(), false),
                None => f(at, used, used, true),
            });
        }),
    }
}

/// The range of whole units (escapes, references) that decode to `[lo,
/// hi)`, from a walk over the units: `walk` calls its argument with each
/// unit's encoded offset and length, its decoded length, and whether it
/// is a run of literal bytes (one decoded byte per encoded byte, so it can
/// be entered part way: `walk_units` of escapes reports literal runs and
/// escapes alike, and an escape's decoded length differs from its encoded
/// one unless it is literal).
fn units_range(
    lo: u64,
    hi: u64,
    len: usize,
    walk: impl FnOnce(&mut dyn FnMut(usize, usize, usize, bool) -> ControlFlow<()>),
) -> (u64, u64) {
    let mut decoded = 0u64;
    let mut start = None;
    let mut end = None;
    walk(&mut |at, used, out, maybe_literal| {
        let (at, used, out) = (at as u64, used as u64, out as u64);
        // A literal run decodes one for one (an escape walk marks every
        // unit as possibly literal: a unit whose lengths differ is an
        // escape, whole).
        let literal = maybe_literal && used == out;
        if start.is_none() && decoded + out > lo {
            start = Some(if literal { at + (lo - decoded) } else { at });
        }
        if decoded + out >= hi {
            end = Some(if literal && hi > decoded {
                at + (hi - decoded)
            } else {
                at + used
            });
            return ControlFlow::Break(());
        }
        decoded += out;
        ControlFlow::Continue(())
    });
    let len = len as u64;
    let end = end.unwrap_or(len);
    (start.unwrap_or(end).min(end), end)
}

/// Base64: decoded byte `d` lies in quantum `d / 3`, which is alphabet
/// characters `4q .. 4q + 4`.
fn base64_range(encoded: &[u8], lo: u64, hi: u64) -> (u64, u64) {
    let url_safe = match (memchr2(b'+', b'/', encoded), memchr2(b'-', b'_', encoded)) {
        (Some(s), Some(u)) => u < s,
        (None, Some(_)) => true,
        _ => false,
    };
    let table = if url_safe {
        &URL_SAFE_DATA
    } else {
        &STANDARD_DATA
    };
    let is_data = |b: u8| table[usize::from(b)];
    let first_char = lo / 3 * 4;
    let last_char = hi.div_ceil(3) * 4; // exclusive
    let mut start = None;
    let mut end = 0u64;
    let mut chars = 0u64;
    for (i, &b) in encoded.iter().enumerate() {
        if !is_data(b) {
            continue;
        }
        if chars == first_char {
            start = Some(i as u64);
        }
        chars += 1;
        end = i as u64 + 1;
        if chars == last_char {
            break;
        }
    }
    match start {
        Some(start) => (start, end),
        None => (encoded.len() as u64, encoded.len() as u64),
    }
}

/// Alphabet characters of standard and URL-safe Base64.
static STANDARD_DATA: [bool; 256] = alphabet(b'+', b'/');
static URL_SAFE_DATA: [bool; 256] = alphabet(b'-', b'_');

const fn alphabet(c62: u8, c63: u8) -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == c62 || c == c63;
        b += 1;
    }
    t
}

/// URL encoding: a valid `%XX` is three encoded bytes for one decoded byte,
/// everything else one for one.
fn url_range(encoded: &[u8], lo: u64, hi: u64) -> (u64, u64) {
    let hex = |b: Option<&u8>| b.is_some_and(u8::is_ascii_hexdigit);
    let mut decoded = 0u64;
    let mut i = 0usize;
    let mut start = None;
    let len = encoded.len();
    while i < len {
        // Literal bytes up to the next `%`.
        let literal = memchr(b'%', &encoded[i..]).unwrap_or(len - i) as u64;
        if literal > 0 {
            if start.is_none() && decoded + literal > lo {
                start = Some(i as u64 + (lo - decoded));
            }
            if decoded + literal >= hi {
                let end = i as u64 + (hi - decoded);
                return (start.unwrap_or(end), end);
            }
            decoded += literal;
            i += literal as usize;
            continue;
        }
        let width = if hex(encoded.get(i + 1)) && hex(encoded.get(i + 2)) {
            3
        } else {
            1
        };
        if start.is_none() && decoded >= lo {
            start = Some(i as u64);
        }
        decoded += 1;
        i += width;
        if decoded >= hi {
            return (start.unwrap_or(i as u64), i as u64);
        }
    }
    let end = len as u64;
    (start.unwrap_or(end), end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::stream_decode;
    use proptest::prelude::*;
    use std::ops::ControlFlow;

    fn decode(cfg: &TransformConfig, encoded: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut chunk = Vec::new();
        let _ = stream_decode(cfg, encoded, &mut chunk, |c: &[u8]| {
            out.extend_from_slice(c);
            ControlFlow::Continue(())
        });
        out
    }

    #[test]
    fn base64_quanta_with_line_breaks() {
        let cfg = TransformConfig::base64_default();
        // "secret-value-here" in Base64, wrapped after 8 characters.
        let encoded = b"c2VjcmV0\n  LXZhbHVl\n  LWhlcmU=";
        let decoded = decode(&cfg, encoded);
        assert_eq!(decoded, b"secret-value-here");
        // "value" is decoded bytes 7..12: quanta 2..4, characters 8..16.
        let (s, e) = encoded_range(&cfg, encoded, 7, 12);
        assert_eq!(&encoded[s as usize..e as usize], b"LXZhbHVl");
        assert_eq!(encoded_range(&cfg, encoded, 0, 3), (0, 4));
    }

    #[test]
    fn url_escapes_stay_whole() {
        let cfg = TransformConfig::url_default();
        let encoded = b"a%3Db%26tok%3Dxyz%zz";
        assert_eq!(decode(&cfg, encoded), b"a=b&tok=xyz%zz");
        // "=xyz" is decoded bytes 7..11.
        let (s, e) = encoded_range(&cfg, encoded, 7, 11);
        assert_eq!(&encoded[s as usize..e as usize], b"%3Dxyz");
        let (s, e) = encoded_range(&cfg, encoded, 1, 2);
        assert_eq!(&encoded[s as usize..e as usize], b"%3D");
        let (s, e) = encoded_range(&cfg, encoded, 11, 14);
        assert_eq!(&encoded[s as usize..e as usize], b"%zz");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Decoding the mapped encoded range gives back the decoded range
        /// (URL), or a range containing it at the same quantum offset (Base64).
        #[test]
        fn mapped_range_decodes_to_the_range(
            data in proptest::collection::vec(any::<u8>(), 1..200),
            wrap in 4usize..80,
            a in 0usize..200,
            b in 0usize..200,
        ) {
            let b64 = base64_simd::STANDARD.encode_to_string(&data).into_bytes();
            let wrapped: Vec<u8> = b64
                .chunks(wrap)
                .flat_map(|line| line.iter().copied().chain(*b"\r\n"))
                .collect();
            let cfg = TransformConfig::base64_default();
            let (lo, hi) = (a.min(b) % data.len(), (a.max(b) % data.len()) + 1);
            let (lo, hi) = (lo.min(hi - 1), hi);
            let (s, e) = encoded_range(&cfg, &wrapped, lo as u64, hi as u64);
            let piece = decode(&cfg, &wrapped[s as usize..e as usize]);
            let skip = lo % 3;
            prop_assert!(piece.len() >= skip + (hi - lo));
            prop_assert_eq!(&piece[skip..skip + (hi - lo)], &data[lo..hi]);

            let url: Vec<u8> = data.iter().flat_map(|&x| {
                if x.is_ascii_alphanumeric() { vec![x] } else { format!("%{x:02X}").into_bytes() }
            }).collect();
            let ucfg = TransformConfig::url_default();
            let (s, e) = encoded_range(&ucfg, &url, lo as u64, hi as u64);
            prop_assert_eq!(decode(&ucfg, &url[s as usize..e as usize]), data[lo..hi].to_vec());
        }
    }
}
