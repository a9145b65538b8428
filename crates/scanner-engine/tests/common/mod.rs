//! Encoders shared by the integration tests: plain reference
//! implementations, independent of the engine's decoders.

#![allow(dead_code)]

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
