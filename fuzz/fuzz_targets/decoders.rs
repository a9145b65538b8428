#![no_main]
//! The Base64 and URL transforms against plain reference implementations.
//!
//! Input layout (missing header bytes read as 0):
//!
//! | byte | meaning |
//! |---|---|
//! | 0 | bit 0: Base64 (0) or URL (1); bit 1: `plus_to_space`; bits 2-3: decode budget (0, 3: default 64 MiB; 1: byte 1; 2: byte 1 × 64); bits 4-7: stop after that many output chunks (0: never) |
//! | 1 | budget parameter |
//! | 2 | span-finder config: bits 0-1 `min_len`, bits 2-4 `max_encoded_len`, bits 5-6 `max_spans_per_buffer` (each 0: default) |
//! | 3 | split seed: bits 0-2 pick the largest piece, bits 3-7 seed the piece lengths |
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

    // The cap is at least one quantum (Base64) or one escape (URL).
    let cap = match cfg.kind {
        TransformKind::Base64 => cfg.max_encoded_len.max(4),
        TransformKind::Url => cfg.max_encoded_len.max(3),
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

    let mut cfg = if mode & 1 == 0 {
        TransformConfig::base64_default()
    } else {
        TransformConfig::url_default()
    };
    cfg.plus_to_space = mode & 2 != 0;
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
