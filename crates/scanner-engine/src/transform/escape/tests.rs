//! Tests of the string-escape finder and decoder: reference decoders,
//! round trips, chunk invariance, `encoded_range`, unit tests of the
//! grammar.

use super::super::testing::{self, check_against_reference};
use super::super::{find_spans, TransformConfig, DECODE_CHUNK_LEN};
use super::*;
use proptest::prelude::*;

/// Plain reference decoder, written without [`unit`].
fn ref_decode(enc: &[u8], max: usize) -> (Vec<u8>, bool) {
    let hexn = |s: &[u8], n: usize| -> Option<u32> {
        let d = s.get(..n)?;
        if !d.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        u32::from_str_radix(std::str::from_utf8(d).ok()?, 16).ok()
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < enc.len() {
        let mut piece = Vec::new();
        let used;
        if enc[i] != b'\\' || i + 1 == enc.len() {
            piece.push(enc[i]);
            used = 1;
        } else {
            let c = enc[i + 1];
            let rest = &enc[i + 2..];
            if c == b'u' && hexn(rest, 4).is_some() {
                let hi = hexn(rest, 4).unwrap();
                let lo = if rest.get(4..6) == Some(b"\\u") {
                    hexn(&rest[6..], 4)
                } else {
                    None
                };
                let ch = if (0xD800..0xDC00).contains(&hi) {
                    match lo.filter(|l| (0xDC00..0xE000).contains(l)) {
                        Some(lo) => {
                            used = 12;
                            char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                        }
                        None => {
                            used = 6;
                            None
                        }
                    }
                } else {
                    used = 6;
                    char::from_u32(hi)
                };
                let ch = ch.unwrap_or('\u{FFFD}');
                piece.extend_from_slice(ch.to_string().as_bytes());
            } else if c == b'x' && hexn(rest, 2).is_some() {
                piece.push(hexn(rest, 2).unwrap() as u8);
                used = 4;
            } else {
                used = 2;
                let simple = [
                    (b'n', b'\n'),
                    (b't', b'\t'),
                    (b'r', b'\r'),
                    (b'b', 8),
                    (b'f', 12),
                    (b'v', 11),
                    (b'a', 7),
                    (b'0', 0),
                ];
                if let Some(&(_, v)) = simple.iter().find(|(k, _)| *k == c) {
                    piece.push(v);
                } else if c.is_ascii_alphanumeric() {
                    piece.extend_from_slice(&[b'\\', c]);
                } else {
                    piece.push(c);
                }
            }
        }
        for b in piece {
            if out.len() == max {
                return (out, true);
            }
            out.push(b);
        }
        i += used;
    }
    (out, false)
}

fn decode_all(enc: &[u8], max: usize) -> (Vec<u8>, Vec<usize>, DecodeOutcome) {
    crate::transform::testing::decode_collecting(|buf, sink| stream_decode(enc, max, buf, sink))
}

/// Escapes every byte of `text` (`\xNN`, or `\uXXXX` per UTF-16 unit
/// when `unicode`).
pub(crate) fn escape(text: &str, unicode: bool) -> String {
    let mut out = String::new();
    if unicode {
        for u in text.encode_utf16() {
            out.push_str(&format!("\\u{u:04x}"));
        }
    } else {
        for b in text.bytes() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}

pub(crate) fn soup() -> impl Strategy<Value = Vec<u8>> {
    let atoms = prop_oneof![
        Just(b"\\u0041".to_vec()),
        Just(b"\\uD83D\\uDE00".to_vec()),
        Just(b"\\uDE00".to_vec()),
        Just(b"\\x4a".to_vec()),
        Just(b"\\u12".to_vec()),
        Just(b"\\x".to_vec()),
        Just(b"\\/".to_vec()),
        Just(b"\\\"".to_vec()),
        Just(b"\\\\".to_vec()),
        Just(b"\\n".to_vec()),
        Just(b"\\".to_vec()),
        Just(b"\\\n".to_vec()),
        "[\"' \n\t`]{1,2}".prop_map(String::into_bytes),
        "[a-fA-F0-9]{1,4}".prop_map(String::into_bytes),
        "[a-z/:]{1,8}".prop_map(String::into_bytes),
        "\\PC{1,8}".prop_map(|s| escape(&s, true).into_bytes()),
        any::<u8>().prop_map(|b| vec![b]),
    ];
    proptest::collection::vec(atoms, 0..60).prop_map(|v| v.concat())
}

/// Reference finder without cuts.
fn ref_spans(buf: &[u8], min_len: usize) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < buf.len() {
        if !RUN_CHAR[buf[i] as usize] {
            i += 1;
            continue;
        }
        let s = i;
        let mut strong = 0;
        while i < buf.len() {
            let b = buf[i];
            if b == b'\\' {
                match buf.get(i + 1) {
                    Some(&c) if escapable(c) => {
                        let rest = &buf[i + 2..];
                        let hex = |n: usize| {
                            rest.len() >= n && rest[..n].iter().all(u8::is_ascii_hexdigit)
                        };
                        if c == b'u' && hex(4) {
                            strong += 1;
                            i += 6;
                        } else if c == b'x' && hex(2) {
                            strong += 1;
                            i += 4;
                        } else {
                            strong += usize::from(c == b'/');
                            i += 2;
                        }
                    }
                    _ => {
                        i += 1;
                        break;
                    }
                }
            } else if RUN_CHAR[b as usize] {
                i += 1;
            } else {
                break;
            }
        }
        if strong >= min_len.max(1) {
            spans.push(Span {
                start: s as u64,
                end: i as u64,
            });
        }
    }
    spans
}

#[test]
fn finder_examples() {
    let cfg = TransformConfig::escape_default();
    let mut out = Vec::new();
    let text =
        br#"print("hello\n\tworld\"\\"); u = "https:\/\/hooks.example.com\/x"; s = 'a\x41\x42\'c'"#;
    find_spans(&cfg, text, &mut out);
    let got: Vec<&[u8]> = out
        .iter()
        .map(|s| &text[s.start as usize..s.end as usize])
        .collect();
    assert_eq!(
        got,
        vec![
            &br"https:\/\/hooks.example.com\/x"[..],
            &br"a\x41\x42\'c"[..]
        ]
    );
    // One strong escape is not enough by default.
    find_spans(&cfg, br#""\u0041 and \n""#, &mut out);
    assert!(out.is_empty());
    // A backslash before a line break ends the run, inside the span.
    find_spans(&cfg, b"\\x41\\x42\\\nx", &mut out);
    assert_eq!(out, vec![Span { start: 0, end: 9 }]);
}

#[test]
fn finder_cuts_before_escape() {
    let mut cfg = TransformConfig::escape_default();
    cfg.min_len = 1;
    cfg.max_encoded_len = 8;
    let mut out = Vec::new();
    let counts = find_spans(&cfg, br"ab\x41cd\u0042", &mut out);
    // "ab\x41cd" is 8 bytes; the next piece starts at the `\u`.
    assert_eq!(
        out,
        vec![Span { start: 0, end: 8 }, Span { start: 8, end: 14 }]
    );
    assert_eq!(counts.cut, 1);
}

#[test]
fn decoder_examples() {
    let (out, _, _) = decode_all(
        br#"\u0067\u0068p_\x41\/\"\\\n\t\q\u12\x4\uD83D\uDE00\uDE00\"#,
        usize::MAX,
    );
    assert_eq!(
        out,
        "ghp_A/\"\\\n\t\\q\\u12\\x4\u{1F600}\u{FFFD}\\".as_bytes()
    );
    let (out, _, o) = decode_all(br"\u00e9\u00e9", 3);
    assert_eq!(out, [0xc3, 0xa9, 0xc3]);
    assert!(o.truncated);
}

#[test]
fn decoder_chunks_and_early_stop() {
    let enc = b"\\x41".repeat(DECODE_CHUNK_LEN * 2 + 5);
    let (out, sizes, o) = decode_all(&enc, usize::MAX);
    assert_eq!(out.len(), DECODE_CHUNK_LEN * 2 + 5);
    assert_eq!(sizes, vec![DECODE_CHUNK_LEN, DECODE_CHUNK_LEN, 5]);
    assert_eq!(o.decoded_len, out.len() as u64);
    let mut buf = Vec::new();
    let o = stream_decode(&enc, usize::MAX, &mut buf, |_| ControlFlow::Break(()));
    assert!(o.stopped_early && !o.truncated);
    assert_eq!(o.decoded_len, DECODE_CHUNK_LEN as u64);
}

proptest! {
    #![proptest_config(testing::proptest_config(256))]

    #[test]
    fn decoder_matches_reference(
        enc in prop_oneof![soup(), proptest::collection::vec(any::<u8>(), 0..64)],
        max in prop_oneof![Just(usize::MAX), 0usize..64],
    ) {
        let (want, trunc) = ref_decode(&enc, max);
        let (got, sizes, o) = decode_all(&enc, max);
        testing::check_decoded((&got, &sizes, &o), (&want, trunc))?;
    }

    #[test]
    fn decoder_roundtrip(text in "\\PC{0,200}", unicode in any::<bool>()) {
        let (got, _, _) = decode_all(escape(&text, unicode).as_bytes(), usize::MAX);
        prop_assert_eq!(got, text.into_bytes());
    }

    #[test]
    fn finder_chunk_invariant(
        buf in soup(),
        (cuts, base) in testing::chunking(),
        cfg in testing::limits(TransformConfig::escape_default(), 0..5, 0..30),
    ) {
        check_against_reference(&cfg, &buf, (&cuts, base), 6, ref_spans)?;
    }

    #[test]
    fn mapped_range_decodes_to_the_range(
        text in "[ -~]{1,40}",
        unicode in any::<bool>(),
        a in 0usize..40,
        b in 0usize..40,
    ) {
        let enc = escape(&text, unicode).into_bytes();
        let cfg = TransformConfig::escape_default();
        testing::check_mapped_range(&cfg, (text.as_bytes(), &enc), (a, b), |piece| {
            decode_all(piece, usize::MAX).0
        })?;
    }
}

/// The vectorised byte classes of the fast path agree with `RUN_CHAR`.
#[test]
fn byte_classes_match_the_run_table() {
    crate::transform::byte_class::check_class::<super::NotRun>();
    crate::transform::byte_class::check_class::<super::RunStop>();
}
