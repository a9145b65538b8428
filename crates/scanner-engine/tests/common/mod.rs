//! Shared by the integration tests: plain reference encoders, independent
//! of the engine's decoders, and the checks of a single decoded token
//! finding.

#![allow(dead_code)]

use scanner_engine::{DecodeStep, Engine, Finding};

/// Standard Base64 with padding.
pub fn b64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

/// Percent-encodes every byte that is not an ASCII letter or digit.
pub fn url_encode_all(data: &[u8]) -> String {
    data.iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// UTF-16 (little- or big-endian) with a byte-order mark.
pub fn utf16_with_bom(text: &str, big_endian: bool) -> Vec<u8> {
    let mut out = if big_endian {
        vec![0xfe, 0xff]
    } else {
        vec![0xff, 0xfe]
    };
    for u in text.encode_utf16() {
        out.extend(if big_endian {
            u.to_be_bytes()
        } else {
            u.to_le_bytes()
        });
    }
    out
}

/// Lowercase hex of every byte.
pub fn hex_lower(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

/// `\uXXXX` for every UTF-16 code unit of `text` (JSON, JavaScript).
pub fn escape_u(text: &str) -> String {
    text.encode_utf16().map(|u| format!("\\u{u:04x}")).collect()
}

/// `\xNN` for every byte (Python, C, shell).
pub fn escape_x(data: &[u8]) -> String {
    data.iter().map(|b| format!("\\x{b:02X}")).collect()
}

/// An HTML numeric character reference for every character, decimal and
/// hex by turns.
pub fn html_refs(text: &str) -> String {
    text.chars()
        .enumerate()
        .map(|(i, c)| {
            if i % 2 == 0 {
                format!("&#{};", c as u32)
            } else {
                format!("&#x{:X};", c as u32)
            }
        })
        .collect()
}

pub const TOKEN: &str = "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";

pub fn token_findings(engine: &Engine, input: &str) -> Vec<Finding> {
    engine
        .scan_bytes(input.as_bytes())
        .into_iter()
        .filter(|f| f.secret == TOKEN.as_bytes())
        .collect()
}

/// Exactly one finding of [`TOKEN`] in `input`, with `path`, the root span
/// `encoded` and a location inside it that is the input's own text, at the
/// right line and column; returns it.
pub fn single(engine: &Engine, input: &str, encoded: &str, path: &[DecodeStep]) -> Finding {
    let found = token_findings(engine, input);
    assert_eq!(
        found.len(),
        1,
        "expected one finding in {input:?}, got {found:#?}"
    );
    let f = &found[0];
    assert_eq!(&*f.rule_id, "github-pat-classic");
    assert_eq!(f.decode_path.as_slice(), path, "{input:?}");
    let span_start = input.find(encoded).expect("encoded text in input") as u64;
    assert_eq!(
        (f.encoded_start, f.encoded_end),
        (span_start, span_start + encoded.len() as u64),
        "root span of {input:?}"
    );
    // The finding is located at the encoded bytes of the secret itself:
    // inside the span, and shorter than it (every input here has text
    // around the token).
    assert!(
        f.encoded_start <= f.start && f.start < f.end && f.end <= f.encoded_end,
        "{f:?}"
    );
    assert!(f.end - f.start < f.encoded_end - f.encoded_start, "{f:?}");
    // `encoded` is the input's own text at start..end.
    assert_eq!(
        f.encoded,
        input.as_bytes()[f.start as usize..f.end as usize],
        "{f:?}"
    );
    if path.is_empty() {
        assert_eq!(f.encoded, f.secret);
    } else {
        assert_ne!(f.encoded, f.secret, "encoded text differs from the secret");
    }
    let start = f.start;
    let line = input[..start as usize].matches('\n').count() as u64 + 1;
    let col = start
        - input[..start as usize]
            .rfind('\n')
            .map_or(0, |p| p as u64 + 1)
        + 1;
    assert_eq!((f.line, f.column), (line, col));
    f.clone()
}
