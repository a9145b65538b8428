//! UTF-16 support: the byte forms of anchors in UTF-16LE/BE, and
//! transcoding of a UTF-16 window to UTF-8 with a map back to the original
//! byte offsets, so the rules' (UTF-8) regexes can confirm UTF-16 text.
//!
//! Invariants:
//! - `transcode` reads whole code units from an even offset relative to the
//!   window start; unpaired surrogates become U+FFFD, never an error.
//! - `map` has one entry per output byte plus one: `map[i]` is the offset
//!   (in the UTF-16 input) of the code unit that produced output byte `i`,
//!   and `map[out.len()]` is the input length consumed, so any output range
//!   maps back to a UTF-16 byte range.

use crate::finding::DecodeStep;

/// Which byte form of the text a pattern or window is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Variant {
    Raw,
    Utf16Le,
    Utf16Be,
}

impl Variant {
    pub(crate) const ALL: [Variant; 3] = [Variant::Raw, Variant::Utf16Le, Variant::Utf16Be];

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// Bytes per character of ASCII text in this form.
    pub(crate) fn width(self) -> u64 {
        match self {
            Variant::Raw => 1,
            _ => 2,
        }
    }

    pub(crate) fn step(self) -> Option<DecodeStep> {
        match self {
            Variant::Raw => None,
            Variant::Utf16Le => Some(DecodeStep::Utf16Le),
            Variant::Utf16Be => Some(DecodeStep::Utf16Be),
        }
    }

    /// The literal `lit` (ASCII) in this byte form.
    pub(crate) fn encode_literal(self, lit: &[u8]) -> Vec<u8> {
        match self {
            Variant::Raw => lit.to_vec(),
            Variant::Utf16Le => lit.iter().flat_map(|&b| [b, 0]).collect(),
            Variant::Utf16Be => lit.iter().flat_map(|&b| [0, b]).collect(),
        }
    }
}

/// Transcodes UTF-16 `input` (little- or big-endian) to UTF-8 in `out`,
/// recording in `map` the input offset behind each output byte (see the
/// module invariants). Both vectors are cleared first.
pub(crate) fn transcode(input: &[u8], big_endian: bool, out: &mut Vec<u8>, map: &mut Vec<u32>) {
    out.clear();
    map.clear();
    let unit = |i: usize| -> u16 {
        let pair = [input[i], input[i + 1]];
        if big_endian {
            u16::from_be_bytes(pair)
        } else {
            u16::from_le_bytes(pair)
        }
    };
    let mut i = 0;
    let mut buf = [0u8; 4];
    while i + 1 < input.len() {
        let start = i;
        let u = unit(i);
        i += 2;
        let ch = match u {
            0xD800..=0xDBFF if i + 1 < input.len() => {
                let low = unit(i);
                if (0xDC00..=0xDFFF).contains(&low) {
                    i += 2;
                    char::from_u32(
                        0x10000 + ((u32::from(u) - 0xD800) << 10) + (u32::from(low) - 0xDC00),
                    )
                } else {
                    None
                }
            }
            _ => char::from_u32(u32::from(u)),
        }
        .unwrap_or(char::REPLACEMENT_CHARACTER);
        let encoded = ch.encode_utf8(&mut buf);
        out.extend_from_slice(encoded.as_bytes());
        for _ in 0..encoded.len() {
            map.push(start as u32);
        }
    }
    map.push(i as u32);
}

/// 1-based column, in UTF-16 code units, of the unit at byte `start`: units
/// back to the previous newline (U+000A) or to a byte-order mark at offset 0.
pub(crate) fn column(input: &[u8], start: usize, big_endian: bool) -> u64 {
    let mut i = start.min(input.len());
    let mut units = 0;
    while i >= 2 {
        let pair = [input[i - 2], input[i - 1]];
        let u = if big_endian {
            u16::from_be_bytes(pair)
        } else {
            u16::from_le_bytes(pair)
        };
        if u == 0x000A || (i == 2 && u == 0xFEFF) {
            break;
        }
        i -= 2;
        units += 1;
    }
    units + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn utf16(s: &str, big_endian: bool) -> Vec<u8> {
        s.encode_utf16()
            .flat_map(|u| {
                if big_endian {
                    u.to_be_bytes()
                } else {
                    u.to_le_bytes()
                }
            })
            .collect()
    }

    #[test]
    fn columns_count_code_units_after_newline_or_bom() {
        let le = utf16("\u{FEFF}ab\ncd", false);
        assert_eq!(column(&le, 2, false), 1);
        assert_eq!(column(&le, 4, false), 2);
        assert_eq!(column(&le, 10, false), 2);
        let be = utf16("x\nyz", true);
        assert_eq!(column(&be, 6, true), 2);
    }

    #[test]
    fn literal_forms() {
        assert_eq!(Variant::Utf16Le.encode_literal(b"ab"), b"a\0b\0");
        assert_eq!(Variant::Utf16Be.encode_literal(b"ab"), b"\0a\0b");
    }

    #[test]
    fn unpaired_surrogate_becomes_replacement() {
        let mut out = Vec::new();
        let mut map = Vec::new();
        transcode(&[0x00, 0xD8, b'a', 0], false, &mut out, &mut map);
        assert_eq!(String::from_utf8(out).unwrap(), "\u{FFFD}a");
        assert_eq!(map, vec![0, 0, 0, 2, 4]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        #[test]
        fn roundtrip_and_map(s in "\\PC{0,40}", be in any::<bool>()) {
            let bytes = utf16(&s, be);
            let mut out = Vec::new();
            let mut map = Vec::new();
            transcode(&bytes, be, &mut out, &mut map);
            prop_assert_eq!(std::str::from_utf8(&out).unwrap(), s.as_str());
            prop_assert_eq!(map.len(), out.len() + 1);
            prop_assert_eq!(*map.last().unwrap() as usize, bytes.len());
            // Each char's first output byte maps to that char's UTF-16 offset.
            let mut utf8_at = 0;
            let mut utf16_at = 0;
            for ch in s.chars() {
                prop_assert_eq!(map[utf8_at] as usize, utf16_at);
                utf8_at += ch.len_utf8();
                utf16_at += ch.len_utf16() * 2;
            }
        }
    }
}
