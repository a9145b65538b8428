//! Text helpers shared by the formats: redaction, the encoded text of a
//! finding, escaping for terminals, and the extent (end line and column) of
//! the located bytes.
//!
//! Invariants: [`redact`] never reveals more than 4 characters (and at most
//! a quarter) of its input; [`escape_controls`] output contains no control
//! characters, so file names and secrets cannot inject terminal escapes or
//! break the layout of human output.

use std::borrow::Cow;

use scanner_engine::{DecodeStep, Finding};

/// Shows the first few characters of a secret and hides the rest.
pub fn redact(secret: &[u8]) -> String {
    let text = String::from_utf8_lossy(secret);
    let keep = (text.chars().count() / 4).min(4);
    let prefix: String = text.chars().take(keep).collect();
    format!("{prefix}… ({} bytes, redacted)", secret.len())
}

/// `bytes` in full (lossy UTF-8), or redacted.
pub fn shown(bytes: &[u8], full: bool) -> String {
    if full {
        String::from_utf8_lossy(bytes).into_owned()
    } else {
        redact(bytes)
    }
}

/// The input was UTF-16 text (LE: `Some(false)`, BE: `Some(true)`), so the
/// located bytes of `f` are UTF-16 code units.
fn utf16_order(f: &Finding) -> Option<bool> {
    match f.decode_path.first() {
        Some(DecodeStep::Utf16Le) => Some(false),
        Some(DecodeStep::Utf16Be) => Some(true),
        _ => None,
    }
}

/// The bytes of `f` as they stand in the input (`encoded`; `secret` when
/// the engine did not fill it in).
fn located(f: &Finding) -> &[u8] {
    if f.encoded.is_empty() {
        &f.secret
    } else {
        &f.encoded
    }
}

fn code_units(bytes: &[u8], big_endian: bool) -> impl Iterator<Item = u16> + '_ {
    bytes.chunks_exact(2).map(move |p| {
        if big_endian {
            u16::from_be_bytes([p[0], p[1]])
        } else {
            u16::from_le_bytes([p[0], p[1]])
        }
    })
}

/// The encoded text of `f` as bytes of UTF-8 text: the located bytes, or,
/// for UTF-16 input, those bytes decoded from UTF-16 (lossily).
pub fn encoded_bytes(f: &Finding) -> Cow<'_, [u8]> {
    match utf16_order(f) {
        Some(be) => Cow::Owned(
            char::decode_utf16(code_units(located(f), be))
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect::<String>()
                .into_bytes(),
        ),
        None => Cow::Borrowed(located(f)),
    }
}

/// End of the located bytes as (line, column), 1-based with an exclusive
/// column, counted in the same units as the finding's own column (bytes;
/// UTF-16 code units for UTF-16 input): the start line plus the newlines
/// inside, and the column just past the last byte.
pub fn end_position(f: &Finding) -> (u64, u64) {
    let (newlines, after_last) = match utf16_order(f) {
        Some(be) => extent(code_units(located(f), be), u16::from(b'\n')),
        None => extent(located(f).iter().copied(), b'\n'),
    };
    if newlines == 0 {
        (f.line, f.column + after_last)
    } else {
        (f.line + newlines, after_last + 1)
    }
}

/// (number of `newline` units, units after the last newline or in all).
fn extent<T: PartialEq>(units: impl Iterator<Item = T>, newline: T) -> (u64, u64) {
    units.fold((0, 0), |(lines, col), u| {
        if u == newline {
            (lines + 1, 0)
        } else {
            (lines, col + 1)
        }
    })
}

/// `s` with control characters (newlines, escapes, NUL, ...) written as
/// Rust escapes such as `\n` and `\u{1b}`.
pub fn escape_controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use scanner_engine::Fingerprint;

    fn finding(encoded: &[u8], path: &[DecodeStep], line: u64, column: u64) -> Finding {
        let mut f = Finding::for_secret("r", "R", b"s");
        f.end = encoded.len() as u64;
        f.encoded_end = encoded.len() as u64;
        f.line = line;
        f.column = column;
        f.encoded = encoded.to_vec();
        f.entropy = 0.0;
        f.decode_path = path.iter().copied().collect();
        f.fingerprint = Fingerprint(0);
        f
    }

    #[test]
    fn redaction_hides_most_of_the_secret() {
        let r = redact(b"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");
        assert!(r.starts_with("ghp_…"), "{r}");
        assert!(!r.contains("R7vX"), "{r}");
        assert!(redact(b"ab").starts_with("…"));
    }

    #[test]
    fn end_of_a_one_line_secret_is_past_its_last_byte() {
        assert_eq!(end_position(&finding(b"abcd", &[], 3, 5)), (3, 9));
    }

    #[test]
    fn end_of_a_multi_line_secret_counts_its_newlines() {
        let key = b"-----BEGIN KEY-----\nAAAA\nBB\n-----END KEY-----";
        assert_eq!(end_position(&finding(key, &[], 10, 7)), (13, 18));
        // A trailing newline ends the region at column 1 of the next line.
        assert_eq!(end_position(&finding(b"ab\n", &[], 1, 1)), (2, 1));
    }

    #[test]
    fn utf16_input_is_measured_in_code_units() {
        let le: Vec<u8> = "ab\ncde"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let f = finding(&le, &[DecodeStep::Utf16Le], 2, 4);
        assert_eq!(end_position(&f), (3, 4));
        assert_eq!(&*encoded_bytes(&f), b"ab\ncde");
        let be: Vec<u8> = "xyz".encode_utf16().flat_map(u16::to_be_bytes).collect();
        let f = finding(&be, &[DecodeStep::Utf16Be, DecodeStep::Base64], 1, 1);
        assert_eq!(end_position(&f), (1, 4));
        assert_eq!(&*encoded_bytes(&f), b"xyz");
    }

    #[test]
    fn controls_are_escaped() {
        assert_eq!(escape_controls("plain"), "plain");
        assert_eq!(escape_controls("a\nb\x1b[31m"), "a\\nb\\u{1b}[31m");
    }
}
