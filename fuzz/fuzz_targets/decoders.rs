#![no_main]
//! The transforms (Base64, URL, hex, string escapes, HTML references)
//! against plain reference implementations.
//!
//! Input layout (missing header bytes read as 0):
//!
//! | byte | meaning |
//! |---|---|
//! | 0 | bits 0-1: Base64 (0), URL (1), a text encoding (2: chosen by byte 3), URL with `plus_to_space` (3); bits 2-3: decode budget (0, 3: default 64 MiB; 1: byte 1; 2: byte 1 × 64); bits 4-7: stop after that many output chunks (0: never) |
//! | 1 | budget parameter |
//! | 2 | span-finder config: bits 0-1 `min_len`, bits 2-4 `max_encoded_len`, bits 5-6 `max_spans_per_buffer` (each 0: default) |
//! | 3 | split seed: bits 0-2 pick the largest piece, bits 3-7 seed the piece lengths; with text encodings, bits 6-7 also pick it (0, 3: hex; 1: escape; 2: HTML) |
//! | 4.. | the encoded input |
//!
//! Checks:
//! 1. `transform::stream_decode` gives exactly the reference decoder's
//!    output, outcome (`decoded_len`, `truncated`) or error (kind, offset,
//!    `decoded_len`); chunks are all `DECODE_CHUNK_LEN` bytes but the last;
//!    a `Break` from `on_chunk` stops at that chunk with `stopped_early`.
//! 2. `find_spans` over the whole input equals a `SpanFinder` fed the same
//!    input in pieces (same spans in the same order, same counts); spans lie
//!    inside the input, are non-empty, in non-decreasing `start` order, never
//!    repeated; each is reported no later than `MAX_REPORT_LAG` bytes after
//!    its end.
//!
//! The Base64 reference mirrors the documented language of
//! `transform/base64.rs` (its "Decoder" paragraph), including its
//! leniencies, which are intended behaviour:
//! - ASCII whitespace (`u8::is_ascii_whitespace`: space, `\t`, `\n`, `\r`,
//!   form feed) is skipped anywhere, even between `=` signs;
//! - the alphabet is that of the first `+ / - _` in the input (standard if
//!   none); a later character of the other alphabet is `InvalidCharacter`;
//! - padding is optional and may be partial (`QQ=` decodes like `QQ==`);
//! - non-zero trailing bits of a 2- or 3-character tail are ignored;
//! - output stops at the budget: `truncated` is set when one more byte
//!   would exceed it, and nothing after that point is read (so an invalid
//!   byte there is not reported).

use std::collections::HashSet;
use std::ops::ControlFlow;

use libfuzzer_sys::fuzz_target;
use scanner_engine::transform::{
    find_spans, stream_decode, DecodeErrorKind, Span, SpanFinder, TransformConfig, TransformKind,
    DECODE_CHUNK_LEN, MAX_REPORT_LAG,
};

const STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// What a decode should end with: `Ok(truncated)` or the error.
type RefResult = Result<bool, (DecodeErrorKind, usize)>;

/// Output collector with the budget: `false` when a byte does not fit.
struct Out {
    bytes: Vec<u8>,
    max: usize,
}

impl Out {
    fn put(&mut self, b: u8) -> bool {
        if self.bytes.len() >= self.max {
            return false;
        }
        self.bytes.push(b);
        true
    }
}

fn ref_base64(enc: &[u8], max: usize) -> (Vec<u8>, RefResult) {
    let mut out = Out {
        bytes: Vec::new(),
        max,
    };
    // The alphabet: that of the first specific character.
    let url_safe = enc
        .iter()
        .find(|b| matches!(b, b'+' | b'/' | b'-' | b'_'))
        .is_some_and(|&b| b == b'-' || b == b'_');
    let alphabet = if url_safe { URL } else { STD };
    let mut quantum: Vec<u8> = Vec::new(); // 6-bit values
    let mut pads = 0usize;
    let mut last_char = 0usize;
    for (i, &b) in enc.iter().enumerate() {
        if b.is_ascii_whitespace() {
            continue;
        }
        if pads > 0 {
            if b != b'=' {
                return (out.bytes, Err((DecodeErrorKind::AfterPadding, i)));
            }
            if quantum.len() + pads >= 4 {
                return (out.bytes, Err((DecodeErrorKind::InvalidPadding, i)));
            }
            pads += 1;
            continue;
        }
        if b == b'=' {
            if quantum.len() < 2 {
                return (out.bytes, Err((DecodeErrorKind::InvalidPadding, i)));
            }
            pads = 1;
            continue;
        }
        let Some(v) = alphabet.iter().position(|&c| c == b) else {
            return (out.bytes, Err((DecodeErrorKind::InvalidCharacter, i)));
        };
        quantum.push(v as u8);
        last_char = i;
        if quantum.len() == 4 {
            let v = quantum
                .iter()
                .fold(0u32, |acc, &x| (acc << 6) | u32::from(x));
            for byte in [(v >> 16) as u8, (v >> 8) as u8, v as u8] {
                if !out.put(byte) {
                    return (out.bytes, Ok(true));
                }
            }
            quantum.clear();
        }
    }
    // The tail: 2 characters give 1 byte, 3 give 2; extra bits ignored.
    let tail: &[u8] = match quantum.len() {
        0 => &[],
        1 => {
            return (
                out.bytes,
                Err((DecodeErrorKind::TrailingSingleChar, last_char)),
            )
        }
        n => &quantum[..n],
    };
    if !tail.is_empty() {
        let mut v = 0u32;
        for k in 0..4 {
            v = (v << 6) | u32::from(tail.get(k).copied().unwrap_or(0));
        }
        let bytes = [(v >> 16) as u8, (v >> 8) as u8];
        for &byte in &bytes[..tail.len() - 1] {
            if !out.put(byte) {
                return (out.bytes, Ok(true));
            }
        }
    }
    (out.bytes, Ok(false))
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn ref_url(enc: &[u8], plus_to_space: bool, max: usize) -> (Vec<u8>, RefResult) {
    let mut out = Out {
        bytes: Vec::new(),
        max,
    };
    let mut i = 0;
    while i < enc.len() {
        let (byte, used) = match enc[i] {
            b'%' => match (
                enc.get(i + 1).copied().and_then(hex),
                enc.get(i + 2).copied().and_then(hex),
            ) {
                (Some(h), Some(l)) => ((h << 4) | l, 3),
                _ => (b'%', 1),
            },
            b'+' if plus_to_space => (b' ', 1),
            b => (b, 1),
        };
        if !out.put(byte) {
            return (out.bytes, Ok(true));
        }
        i += used;
    }
    (out.bytes, Ok(false))
}

/// Hex: digit pairs; a non-digit or a lone last digit is an error, after
/// the bytes of the pairs before it.
fn ref_hex(enc: &[u8], max: usize) -> (Vec<u8>, RefResult) {
    let mut out = Out {
        bytes: Vec::new(),
        max,
    };
    let mut i = 0;
    while i < enc.len() {
        let Some(h) = hex(enc[i]) else {
            return (out.bytes, Err((DecodeErrorKind::InvalidCharacter, i)));
        };
        let Some(&lo) = enc.get(i + 1) else {
            return (out.bytes, Err((DecodeErrorKind::TrailingSingleChar, i)));
        };
        let Some(l) = hex(lo) else {
            return (out.bytes, Err((DecodeErrorKind::InvalidCharacter, i + 1)));
        };
        if !out.put((h << 4) | l) {
            return (out.bytes, Ok(true));
        }
        i += 2;
    }
    (out.bytes, Ok(false))
}

/// `n` hex digits at the start of `s`, as a number.
fn hex_n(s: &[u8], n: usize) -> Option<u32> {
    let d = s.get(..n)?;
    d.iter()
        .try_fold(0u32, |acc, &b| Some(acc * 16 + u32::from(hex(b)?)))
}

/// Writes `bytes`; `false` when they do not all fit.
fn put_all(out: &mut Out, bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| out.put(b))
}

/// String escapes, as `transform/escape/mod.rs` documents them.
fn ref_escape(enc: &[u8], max: usize) -> (Vec<u8>, RefResult) {
    let mut out = Out {
        bytes: Vec::new(),
        max,
    };
    let mut i = 0;
    while i < enc.len() {
        let mut buf = [0u8; 4];
        let (piece, used): (&[u8], usize) = if enc[i] != b'\\' || i + 1 == enc.len() {
            (&enc[i..=i], 1)
        } else {
            let c = enc[i + 1];
            let rest = &enc[i + 2..];
            match (c, hex_n(rest, 4), hex_n(rest, 2)) {
                (b'u', Some(hi), _) => {
                    let lo = match rest.get(4..6) {
                        Some(b"\\u") => hex_n(&rest[6..], 4),
                        _ => None,
                    };
                    let (ch, used) = match (hi, lo) {
                        (0xD800..=0xDBFF, Some(lo @ 0xDC00..=0xDFFF)) => (
                            char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)),
                            12,
                        ),
                        _ => (char::from_u32(hi), 6),
                    };
                    let ch = ch.unwrap_or(char::REPLACEMENT_CHARACTER);
                    (ch.encode_utf8(&mut buf).as_bytes(), used)
                }
                (b'x', _, Some(v)) => {
                    buf[0] = v as u8;
                    (&buf[..1], 4)
                }
                _ => {
                    let simple = match c {
                        b'n' => Some(b'\n'),
                        b't' => Some(b'\t'),
                        b'r' => Some(b'\r'),
                        b'b' => Some(8),
                        b'f' => Some(12),
                        b'v' => Some(11),
                        b'a' => Some(7),
                        b'0' => Some(0),
                        _ if c.is_ascii_alphanumeric() => None,
                        _ => Some(c),
                    };
                    match simple {
                        Some(v) => {
                            buf[0] = v;
                            (&buf[..1], 2)
                        }
                        None => (&enc[i..i + 2], 2),
                    }
                }
            }
        };
        if !put_all(&mut out, piece) {
            return (out.bytes, Ok(true));
        }
        i += used;
    }
    (out.bytes, Ok(false))
}

/// HTML character references, as `transform/html/mod.rs` documents them.
fn ref_html(enc: &[u8], max: usize) -> (Vec<u8>, RefResult) {
    let mut out = Out {
        bytes: Vec::new(),
        max,
    };
    let mut i = 0;
    while i < enc.len() {
        let mut buf = [0u8; 4];
        let mut piece: &[u8] = &enc[i..=i];
        let mut used = 1;
        if enc[i] == b'&' {
            let semi = enc[i..].iter().take(12).position(|&b| b == b';');
            let body = semi.map(|k| &enc[i + 1..i + k]);
            let ch = match body {
                Some([b'#', b'x' | b'X', d @ ..]) if (1..=6).contains(&d.len()) => {
                    hex_n(d, d.len()).map(|v| char::from_u32(v).filter(|_| v != 0))
                }
                Some([b'#', d @ ..])
                    if (1..=7).contains(&d.len()) && d.iter().all(u8::is_ascii_digit) =>
                {
                    let v = d.iter().fold(0u32, |a, &b| a * 10 + u32::from(b - b'0'));
                    Some(char::from_u32(v).filter(|_| v != 0))
                }
                Some(name) => scanner_engine::transform::html::NAMED
                    .iter()
                    .find(|(n, _)| n.as_bytes() == name)
                    .map(|&(_, c)| Some(c)),
                None => None,
            };
            if let (Some(ch), Some(k)) = (ch, semi) {
                piece = ch
                    .unwrap_or(char::REPLACEMENT_CHARACTER)
                    .encode_utf8(&mut buf)
                    .as_bytes();
                used = k + 1;
            }
        }
        if !put_all(&mut out, piece) {
            return (out.bytes, Ok(true));
        }
        i += used;
    }
    (out.bytes, Ok(false))
}

/// splitmix64.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn check_decode(cfg: &TransformConfig, input: &[u8], stop_after: usize) {
    let (want, want_result) = match cfg.kind {
        TransformKind::Base64 => ref_base64(input, cfg.max_decoded_bytes),
        TransformKind::Url => ref_url(input, cfg.plus_to_space, cfg.max_decoded_bytes),
        TransformKind::Hex => ref_hex(input, cfg.max_decoded_bytes),
        TransformKind::Escape => ref_escape(input, cfg.max_decoded_bytes),
        TransformKind::Html => ref_html(input, cfg.max_decoded_bytes),
    };
    let mut chunk_buf = Vec::new();
    let mut got = Vec::new();
    let mut chunk_lens = Vec::new();
    let result = stream_decode(cfg, input, &mut chunk_buf, |chunk| {
        got.extend_from_slice(chunk);
        chunk_lens.push(chunk.len());
        if chunk_lens.len() == stop_after {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    assert!(
        chunk_buf.len() <= DECODE_CHUNK_LEN,
        "staging buffer holds {} bytes",
        chunk_buf.len()
    );
    for (k, &n) in chunk_lens.iter().enumerate() {
        assert!(n > 0 && n <= DECODE_CHUNK_LEN, "chunk {k} has {n} bytes");
        if k + 1 < chunk_lens.len() {
            assert_eq!(
                n,
                DECODE_CHUNK_LEN,
                "chunk {k} of {} is short",
                chunk_lens.len()
            );
        }
    }
    let chunks_in_full = want.len().div_ceil(DECODE_CHUNK_LEN);
    if stop_after > 0 && stop_after <= chunks_in_full {
        // `on_chunk` stopped the decode at chunk `stop_after`.
        let cut = (stop_after * DECODE_CHUNK_LEN).min(want.len());
        assert_eq!(got, &want[..cut], "output before the early stop");
        let outcome = result.unwrap_or_else(|e| panic!("early stop lost to {e:?}"));
        assert!(outcome.stopped_early, "stopped_early not set: {outcome:?}");
        assert_eq!(outcome.decoded_len, cut as u64);
        return;
    }
    assert_eq!(got, want, "decoded output ({:?})", cfg.kind);
    match (result, want_result) {
        (Ok(o), Ok(truncated)) => {
            assert!(!o.stopped_early, "stopped_early without a Break: {o:?}");
            assert_eq!(o.truncated, truncated, "truncated flag: {o:?}");
            assert_eq!(o.decoded_len, want.len() as u64);
        }
        (Err(e), Err((kind, offset))) => {
            assert_eq!((e.kind, e.offset), (kind, offset), "decode error {e:?}");
            assert_eq!(e.decoded_len, want.len() as u64);
        }
        (got, want) => panic!("decoder returned {got:?}, reference {want:?}"),
    }
}

fn check_spans(cfg: &TransformConfig, input: &[u8], split: u8) {
    let mut whole = Vec::new();
    let whole_counts = find_spans(cfg, input, &mut whole);

    let max_piece = [1usize, 2, 3, 7, 16, 64, 300, 4096][usize::from(split & 7)];
    let mut rng = u64::from(split >> 3) ^ ((input.len() as u64) << 8);
    let mut finder = SpanFinder::new(cfg);
    let mut pieces: Vec<Span> = Vec::new();
    let mut pos = 0usize;
    while pos < input.len() {
        let n = (next(&mut rng) as usize % (max_piece + 1)).min(input.len() - pos);
        let piece = &input[pos..pos + n];
        let fed_before = pos as u64;
        let flow = finder.feed(piece, fed_before, &mut |s: Span| {
            assert!(
                fed_before <= s.end.saturating_add(MAX_REPORT_LAG),
                "span {s:?} reported after {fed_before} bytes fed (lag > {MAX_REPORT_LAG})"
            );
            pieces.push(s);
            ControlFlow::Continue(())
        });
        assert!(flow.is_continue());
        pos += n;
    }
    let total = input.len() as u64;
    let flow = finder.finish(&mut |s: Span| {
        assert!(
            total <= s.end.saturating_add(MAX_REPORT_LAG),
            "span {s:?} reported only at finish after {total} bytes (lag > {MAX_REPORT_LAG})"
        );
        pieces.push(s);
        ControlFlow::Continue(())
    });
    assert!(flow.is_continue());
    assert_eq!(
        whole, pieces,
        "spans depend on the split (max piece {max_piece})"
    );
    assert_eq!(
        whole_counts,
        finder.counts(),
        "span counts depend on the split"
    );
    assert_eq!(whole_counts.reported, whole.len() as u64);
    assert!(whole.len() <= cfg.max_spans_per_buffer);

    // The cap is at least one quantum (Base64), one escape (URL, string
    // escapes: `\uXXXX`), one byte (hex) or one reference (HTML).
    let cap = match cfg.kind {
        TransformKind::Base64 => cfg.max_encoded_len.max(4),
        TransformKind::Url => cfg.max_encoded_len.max(3),
        TransformKind::Hex => cfg.max_encoded_len.max(2),
        TransformKind::Escape => cfg.max_encoded_len.max(6),
        _ => cfg.max_encoded_len.max(10),
    };
    let mut seen = HashSet::new();
    let mut prev_start = 0;
    for s in &whole {
        assert!(
            s.start < s.end && s.end <= total,
            "span {s:?} outside {total} bytes"
        );
        assert!(s.start >= prev_start, "span {s:?} out of order");
        assert!(seen.insert((s.start, s.end)), "span {s:?} reported twice");
        assert!(
            s.len() <= cap as u64,
            "span {s:?} longer than the cap {cap}"
        );
        prev_start = s.start;
    }
}

fuzz_target!(|data: &[u8]| {
    let header = |k: usize| data.get(k).copied().unwrap_or(0);
    let (mode, budget, finder_cfg, split) = (header(0), header(1), header(2), header(3));
    let input = data.get(4..).unwrap_or(&[]);

    let mut cfg = match (mode & 3, split >> 6) {
        (0, _) => TransformConfig::base64_default(),
        (1 | 3, _) => TransformConfig::url_default(),
        (_, 1) => TransformConfig::escape_default(),
        (_, 2) => TransformConfig::html_default(),
        _ => TransformConfig::hex_default(),
    };
    cfg.plus_to_space = mode & 3 == 3;
    match (mode >> 2) & 3 {
        1 => cfg.max_decoded_bytes = usize::from(budget),
        2 => cfg.max_decoded_bytes = usize::from(budget) * 64,
        _ => {}
    }
    let stop_after = usize::from(mode >> 4);
    check_decode(&cfg, input, stop_after);

    match finder_cfg & 3 {
        1 => cfg.min_len = 1,
        2 => cfg.min_len = 4,
        3 => cfg.min_len = usize::from(finder_cfg >> 2) % 48,
        _ => {}
    }
    match (finder_cfg >> 2) & 7 {
        1 => cfg.max_encoded_len = 1,
        2 => cfg.max_encoded_len = 3,
        3 => cfg.max_encoded_len = 4,
        4 => cfg.max_encoded_len = 7,
        5 => cfg.max_encoded_len = 24,
        6 => cfg.max_encoded_len = 100,
        _ => {}
    }
    match (finder_cfg >> 5) & 3 {
        1 => cfg.max_spans_per_buffer = 0,
        2 => cfg.max_spans_per_buffer = 1,
        3 => cfg.max_spans_per_buffer = 3,
        _ => {}
    }
    check_spans(&cfg, input, split);
});
