//! Tests of the Base64 finder and decoder against reference implementations.

use core::ops::ControlFlow;

use proptest::prelude::*;

use super::{stream_decode, MAX_INDENT};
use crate::transform::testing::{self, check_chunk_invariance};
use crate::transform::{
    find_spans, DecodeError, DecodeErrorKind, DecodeOutcome, Span, SpanCounts, SpanFinder,
    TransformConfig, DECODE_CHUNK_LEN,
};

const STD_CHARS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_CHARS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Reference encoder: 3 bytes → 4 characters, optional padding, optional
/// line wrapping.
fn ref_encode(data: &[u8], url: bool, pad: bool, wrap: Option<(usize, &str)>) -> Vec<u8> {
    let chars = if url { URL_CHARS } else { STD_CHARS };
    let mut flat = Vec::new();
    for group in data.chunks(3) {
        let mut buf = [0u8; 3];
        buf[..group.len()].copy_from_slice(group);
        let v = (u32::from(buf[0]) << 16) | (u32::from(buf[1]) << 8) | u32::from(buf[2]);
        let n = group.len() + 1;
        for k in 0..4 {
            if k < n {
                flat.push(chars[((v >> (18 - 6 * k)) & 63) as usize]);
            } else if pad {
                flat.push(b'=');
            }
        }
    }
    match wrap {
        None => flat,
        Some((width, eol)) => flat.chunks(width).collect::<Vec<_>>().join(eol.as_bytes()),
    }
}

type RefResult = Result<bool, (DecodeErrorKind, usize)>;

/// Reference decoder: a plain loop, alphabet committed by the first
/// specific character. Returns the output and truncation or the error.
fn ref_decode(enc: &[u8], max: usize) -> (Vec<u8>, RefResult) {
    let mut out = Vec::new();
    let mut url: Option<bool> = None;
    let mut vals: Vec<u32> = Vec::new();
    let mut pads = 0;
    let mut last = 0;
    let emit = |out: &mut Vec<u8>, vals: &[u32], n: usize| -> bool {
        let v = vals.iter().fold(0u32, |acc, &x| (acc << 6) | x) << (6 * (4 - vals.len()));
        for k in 0..n {
            if out.len() == max {
                return false;
            }
            out.push((v >> (16 - 8 * k)) as u8);
        }
        true
    };
    for (i, &b) in enc.iter().enumerate() {
        if b.is_ascii_whitespace() {
            continue;
        }
        if pads > 0 {
            if b != b'=' {
                return (out, Err((DecodeErrorKind::AfterPadding, i)));
            }
            if vals.len() + pads >= 4 {
                return (out, Err((DecodeErrorKind::InvalidPadding, i)));
            }
            pads += 1;
            continue;
        }
        if b == b'=' {
            if vals.len() < 2 {
                return (out, Err((DecodeErrorKind::InvalidPadding, i)));
            }
            pads = 1;
            continue;
        }
        let v = if let Some(p) = STD_CHARS[..62].iter().position(|&c| c == b) {
            p
        } else if (b == b'+' || b == b'/') && url != Some(true) {
            url = Some(false);
            STD_CHARS.iter().position(|&c| c == b).unwrap()
        } else if (b == b'-' || b == b'_') && url != Some(false) {
            url = Some(true);
            URL_CHARS.iter().position(|&c| c == b).unwrap()
        } else {
            return (out, Err((DecodeErrorKind::InvalidCharacter, i)));
        };
        vals.push(v as u32);
        last = i;
        if vals.len() == 4 {
            if !emit(&mut out, &vals, 3) {
                return (out, Ok(true));
            }
            vals.clear();
        }
    }
    let ok = match vals.len() {
        1 => return (out, Err((DecodeErrorKind::TrailingSingleChar, last))),
        2 => emit(&mut out, &vals, 1),
        3 => emit(&mut out, &vals, 2),
        _ => true,
    };
    (out, Ok(!ok))
}

fn decode_all(enc: &[u8], max: usize) -> (Vec<u8>, Vec<usize>, Result<DecodeOutcome, DecodeError>) {
    testing::decode_collecting(|buf, sink| stream_decode(enc, max, buf, sink))
}

fn spans_of<'a>(cfg: &TransformConfig, text: &'a [u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    find_spans(cfg, text, &mut out);
    out.iter()
        .map(|s| &text[s.start as usize..s.end as usize])
        .collect()
}

/// The junk filter on one window's text: a digit or letters of both
/// cases, and at most one character in 8 a specific character (`+/-_`)
/// right after a letter or digit (line breaks and indentation between
/// them do not count).
fn plausible(enc: &[u8]) -> bool {
    let alphabet: Vec<u8> = enc
        .iter()
        .copied()
        .filter(|b| b.is_ascii_alphanumeric() || b"+/-_".contains(b))
        .collect();
    let chars = alphabet.len();
    let specific = alphabet
        .windows(2)
        .filter(|p| p[0].is_ascii_alphanumeric() && !p[1].is_ascii_alphanumeric())
        .count();
    (enc.iter().any(u8::is_ascii_digit)
        || (enc.iter().any(u8::is_ascii_uppercase) && enc.iter().any(u8::is_ascii_lowercase)))
        && specific * 8 <= chars
}

#[test]
fn decoder_examples() {
    let ok = |enc: &[u8]| {
        let (out, _, r) = decode_all(enc, usize::MAX);
        assert!(r.is_ok(), "{:?}: {r:?}", String::from_utf8_lossy(enc));
        out
    };
    assert_eq!(ok(b"aGVsbG8gd29ybGQ="), b"hello world");
    assert_eq!(ok(b"aGVsbG8gd29ybGQ"), b"hello world");
    assert_eq!(ok(b"aGVs\r\nbG8g\n  d29y bGQ="), b"hello world");
    assert_eq!(ok(b"aGk="), b"hi");
    assert_eq!(ok(b"aA=="), b"h");
    assert_eq!(ok(b"aA="), b"h");
    assert_eq!(ok(b"aB"), b"h"); // non-zero trailing bits ignored
    assert_eq!(ok(b"-_-_"), ok(b"+/+/"));
    assert_eq!(ok(b""), b"");

    let err = |enc: &[u8]| {
        decode_all(enc, usize::MAX)
            .2
            .map_err(|e| (e.kind, e.offset))
    };
    assert_eq!(err(b"aGk*"), Err((DecodeErrorKind::InvalidCharacter, 3)));
    assert_eq!(
        err(b"ab+/ab-_"),
        Err((DecodeErrorKind::InvalidCharacter, 6))
    );
    assert_eq!(err(b"a=="), Err((DecodeErrorKind::InvalidPadding, 1)));
    assert_eq!(err(b"aGk=="), Err((DecodeErrorKind::InvalidPadding, 4)));
    assert_eq!(err(b"aA==aGk="), Err((DecodeErrorKind::AfterPadding, 4)));
    assert_eq!(err(b"aGVsb"), Err((DecodeErrorKind::TrailingSingleChar, 4)));

    // The prefix before an error has been emitted.
    let (out, _, r) = decode_all(b"aGVsbG8g!", usize::MAX);
    assert_eq!(out, b"hello ");
    assert_eq!(r.unwrap_err().decoded_len, 6);
}

#[test]
fn decoder_truncates_and_stops() {
    let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 + 3) as u8).collect();
    let enc = ref_encode(&data, false, true, None);
    let (out, sizes, r) = decode_all(&enc, usize::MAX);
    assert_eq!(out, data);
    assert_eq!(
        sizes,
        vec![DECODE_CHUNK_LEN, DECODE_CHUNK_LEN, DECODE_CHUNK_LEN, 784]
    );
    assert!(!r.unwrap().truncated);

    let (out, _, r) = decode_all(&enc, 5000);
    assert_eq!(out, &data[..5000]);
    assert_eq!(
        r,
        Ok(DecodeOutcome {
            decoded_len: 5000,
            stopped_early: false,
            truncated: true
        })
    );

    let (_, _, r) = decode_all(&enc, 10_000);
    assert!(!r.unwrap().truncated);

    let mut buf = Vec::new();
    let r = stream_decode(&enc, usize::MAX, &mut buf, |_| ControlFlow::Break(()));
    assert_eq!(
        r,
        Ok(DecodeOutcome {
            decoded_len: DECODE_CHUNK_LEN as u64,
            stopped_early: true,
            truncated: false
        })
    );
    // An early stop wins over a later error.
    let mut bad = enc.clone();
    bad.push(b'!');
    let r = stream_decode(&bad, usize::MAX, &mut buf, |_| ControlFlow::Break(()));
    assert!(r.unwrap().stopped_early);
}

#[test]
fn finder_examples() {
    let cfg = TransformConfig::base64_default();
    let text = b"Authorization: Basic dXNlcm5hbWU6cGFzc3dvcmQxMjM=\r\n";
    assert_eq!(
        spans_of(&cfg, text),
        vec![&b"dXNlcm5hbWU6cGFzc3dvcmQxMjM="[..]]
    );

    // Junk filter: one case and no digit.
    let text = b"MY_VERY_LONG_CONSTANT_NAME /usr/local/share/applications \
                 ------------------------------ //////////////////////////";
    assert!(spans_of(&cfg, text).is_empty());

    // Padding: only when it fits.
    let text = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVl= x QUJDREVGR0hJSktMTU5PUFFSU1RVVld=";
    assert_eq!(
        spans_of(&cfg, text),
        vec![
            &b"QUJDREVGR0hJSktMTU5PUFFSU1RVVl"[..],
            &b"QUJDREVGR0hJSktMTU5PUFFSU1RVVld="[..]
        ]
    );
    let text = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWQ=x";
    assert_eq!(
        spans_of(&cfg, text),
        vec![&b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWQ"[..]]
    );
    let text = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWQ===";
    assert_eq!(
        spans_of(&cfg, text),
        vec![&b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWQ=="[..]]
    );
}

#[test]
fn finder_line_breaks() {
    let cfg = TransformConfig::base64_default();
    let pem = b"-----BEGIN PRIVATE KEY-----\r\nMIIBVAIBADANBgkqhkiG9w0BAQEFAASC\r\nAT4wggE6AgEAAkEAq7BFUpkGp3+XQw==\r\n-----END PRIVATE KEY-----\n";
    assert_eq!(
        spans_of(&cfg, pem),
        vec![&b"MIIBVAIBADANBgkqhkiG9w0BAQEFAASC\r\nAT4wggE6AgEAAkEAq7BFUpkGp3+XQw=="[..]]
    );
    // Indented (YAML block scalar).
    let yaml = b"key: |\n  QUJDREVGR0hJSktMTU5P\n  UFFSU1RVVldYWVo=\nnext: 1\n";
    assert_eq!(
        spans_of(&cfg, yaml),
        vec![&b"QUJDREVGR0hJSktMTU5P\n  UFFSU1RVVldYWVo="[..]]
    );
    // A line of 21 characters is not wrapped Base64: no join.
    let text = b"QUJDREVGR0hJSktMTU5PU\nFFSU1RVVldYWVoxMjM0NTY3\n";
    assert_eq!(
        spans_of(&cfg, text),
        vec![
            &b"QUJDREVGR0hJSktMTU5PU"[..],
            &b"FFSU1RVVldYWVoxMjM0NTY3"[..]
        ]
    );
    // URL-safe windows never wrap; a blank line ends a run.
    let text = b"QUJDREVGR0hJSktMTU5P-_AB\nUFFSU1RVVldYWVoxMjM0\n\nQUJDREVGR0hJSktMTU5P";
    assert_eq!(
        spans_of(&cfg, text),
        vec![
            &b"QUJDREVGR0hJSktMTU5P-_AB"[..],
            &b"UFFSU1RVVldYWVoxMjM0"[..],
            &b"QUJDREVGR0hJSktMTU5P"[..]
        ]
    );
    // Escaped PEM in JSON: the `n` of `\n` does not start a span.
    let json = br#""-----BEGIN KEY-----\nMIIBVAIBADANBgkqhkiG9w0BAQEFAASC\nAT4wggE6AgEAAkEAq7BFUpkGp3\n-----END KEY-----\n""#;
    assert_eq!(
        spans_of(&cfg, json),
        vec![
            &b"MIIBVAIBADANBgkqhkiG9w0BAQEFAASC"[..],
            &b"AT4wggE6AgEAAkEAq7BFUpkGp3"[..]
        ]
    );
}

#[test]
fn finder_indent_limit_and_padding_fit() {
    let cfg = TransformConfig::base64_default();
    let line = "QUJDREVGR0hJSktMTU5P";
    for (indent, joined) in [
        (MAX_INDENT as usize, true),
        (MAX_INDENT as usize + 1, false),
    ] {
        let text = format!("{line}\n{}UFFSU1RVVldYWVoxMjM0NTY3\n", " ".repeat(indent));
        let spans = spans_of(&cfg, text.as_bytes());
        assert_eq!(spans.len(), if joined { 1 } else { 2 }, "{indent}");
    }
    // Padding is left out when it would exceed max_encoded_len.
    let mut cfg = TransformConfig::base64_default();
    cfg.min_len = 4;
    cfg.max_encoded_len = 7;
    assert_eq!(spans_of(&cfg, b"aB3dEf5="), vec![&b"aB3dEf5"[..]]);
    cfg.max_encoded_len = 8;
    assert_eq!(spans_of(&cfg, b"aB3dEf5="), vec![&b"aB3dEf5="[..]]);
    assert_eq!(spans_of(&cfg, b"aB3dEf=="), vec![&b"aB3dEf=="[..]]);
    cfg.max_encoded_len = 7;
    assert_eq!(spans_of(&cfg, b"aB3dEf=="), vec![&b"aB3dEf"[..]]);
}

#[test]
fn finder_mixed_alphabets_overlap() {
    let mut cfg = TransformConfig::base64_default();
    cfg.min_len = 8;
    let text = b"https://host.example/api/v1/eyJ0eXAiOiJKV1Qi-_abc ";
    assert_eq!(
        spans_of(&cfg, text),
        vec![
            &b"example/api/v1/eyJ0eXAiOiJKV1Qi"[..],
            &b"eyJ0eXAiOiJKV1Qi-_abc"[..]
        ]
    );
}

#[test]
fn finder_cuts_and_caps() {
    let mut cfg = TransformConfig::base64_default();
    cfg.min_len = 4;
    cfg.max_encoded_len = 10; // -> 8 characters per piece
    let text = b" aB3dEf5hIj7lMn9pQrSt ";
    let mut out = Vec::new();
    let counts = find_spans(&cfg, text, &mut out);
    assert_eq!(
        out,
        vec![
            Span { start: 1, end: 9 },
            Span { start: 9, end: 17 },
            Span { start: 17, end: 21 }
        ]
    );
    assert_eq!(counts.cut, 2);

    cfg.max_encoded_len = usize::MAX;
    cfg.max_spans_per_buffer = 1;
    let counts = find_spans(&cfg, b"aB3dEf5h Ij7lMn9p QrSt", &mut out);
    assert_eq!(out, vec![Span { start: 0, end: 8 }]);
    assert_eq!(
        counts,
        SpanCounts {
            reported: 1,
            dropped: 2,
            cut: 0
        }
    );
}

#[test]
fn finder_stops_on_break() {
    let cfg = TransformConfig::base64_default();
    let mut f = SpanFinder::new(&cfg);
    let mut n = 0;
    let text = b"QUJDREVGR0hJSktMTU5PUFFS QUJDREVGR0hJSktMTU5PUFFS ";
    let flow = f.feed(text, 0, &mut |_| {
        n += 1;
        ControlFlow::Break(())
    });
    assert!(flow.is_break());
    assert!(f
        .feed(text, 51, &mut |_| ControlFlow::Continue(()))
        .is_break());
    assert_eq!(n, 1);
    f.reset();
    assert!(f
        .feed(text, 0, &mut |_| ControlFlow::Continue(()))
        .is_continue());
    assert_eq!(f.counts().reported, 2);
}

fn soup() -> impl Strategy<Value = Vec<u8>> {
    let atoms = prop_oneof![
        "[A-Za-z0-9+/]{1,70}".prop_map(String::into_bytes),
        "[A-Za-z0-9_-]{1,30}".prop_map(String::into_bytes),
        "[a-z ]{1,10}".prop_map(String::into_bytes),
        Just(b"=".to_vec()),
        Just(b"==".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\n  ".to_vec()),
        (1usize..80).prop_map(|n| b" ".repeat(n)),
        Just(b"\\".to_vec()),
        Just(b"\\n".to_vec()),
        Just(b"-".to_vec()),
        Just(b"_".to_vec()),
        Just(b"+".to_vec()),
        Just(b"/".to_vec()),
        Just(b"\"".to_vec()),
        any::<u8>().prop_map(|b| vec![b]),
    ];
    proptest::collection::vec(atoms, 0..40).prop_map(|v| v.concat())
}

fn encoded_input() -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::collection::vec(any::<u8>(), 0..5000),
        any::<bool>(),
        any::<bool>(),
        prop_oneof![Just(None), Just(Some(64)), Just(Some(76))],
        any::<bool>(),
    )
        .prop_map(|(data, url, pad, width, crlf)| {
            ref_encode(
                &data,
                url,
                pad,
                width.map(|w| (w, if crlf { "\r\n" } else { "\n" })),
            )
        })
}

proptest! {
    #![proptest_config(testing::proptest_config(256))]

    #[test]
    fn decoder_roundtrip(
        data in proptest::collection::vec(any::<u8>(), 0..8000),
        url in any::<bool>(),
        pad in any::<bool>(),
        width in prop_oneof![Just(None), Just(Some(64)), Just(Some(76))],
        crlf in any::<bool>(),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let enc = ref_encode(&data, url, pad, width.map(|w| (w, eol)));
        let (out, sizes, r) = decode_all(&enc, usize::MAX);
        prop_assert_eq!(&out, &data);
        prop_assert_eq!(r, Ok(DecodeOutcome {
            decoded_len: data.len() as u64, stopped_early: false, truncated: false
        }));
        prop_assert!(testing::full_chunks(&sizes));
        // base64-simd agrees on the unwrapped form.
        if width.is_none() {
            let engine = match (url, pad) {
                (false, true) => &base64_simd::STANDARD,
                (false, false) => &base64_simd::STANDARD_NO_PAD,
                (true, true) => &base64_simd::URL_SAFE,
                (true, false) => &base64_simd::URL_SAFE_NO_PAD,
            };
            prop_assert_eq!(engine.encode_to_string(&data).into_bytes(), enc);
        }
    }

    #[test]
    fn decoder_matches_reference(
        enc in prop_oneof![
            soup(),
            encoded_input(),
            (encoded_input(), any::<usize>(), any::<u8>()).prop_map(|(mut e, at, b)| {
                if !e.is_empty() {
                    let at = at % e.len();
                    e[at] = b;
                }
                e
            }),
        ],
        max in prop_oneof![Just(usize::MAX), 0usize..5000],
    ) {
        let (want, want_r) = ref_decode(&enc, max);
        let (got, sizes, r) = decode_all(&enc, max);
        prop_assert_eq!(&got, &want);
        match (want_r, r) {
            (Ok(trunc), Ok(o)) => {
                prop_assert_eq!(o, DecodeOutcome {
                    decoded_len: want.len() as u64, stopped_early: false, truncated: trunc
                });
            }
            (Err((kind, offset)), Err(e)) => {
                prop_assert_eq!(e, DecodeError { kind, offset, decoded_len: want.len() as u64 });
            }
            (w, g) => prop_assert!(false, "reference {:?}, got {:?}", w, g),
        }
        prop_assert!(testing::full_chunks(&sizes));
    }

    #[test]
    fn finder_chunk_invariant(
        buf in soup(),
        (cuts, base) in testing::chunking(),
        cfg in testing::limits(TransformConfig::base64_default(), 0..24, 0..40),
    ) {
        let (whole, counts) = check_chunk_invariance(&cfg, &buf, &cuts, base)?;
        for w in whole.windows(2) {
            prop_assert!(w[0].start <= w[1].start);
            prop_assert!(w[0] != w[1]);
        }
        for s in &whole {
            let text = &buf[s.start as usize..s.end as usize];
            let chars = text
                .iter()
                .filter(|b| b.is_ascii_alphanumeric() || b"+/-_".contains(b))
                .count();
            prop_assert!(chars >= cfg.min_len);
            prop_assert!(text.len() <= cfg.max_encoded_len.max(4));
            prop_assert!(!text[0].is_ascii_whitespace() && !text[text.len() - 1].is_ascii_whitespace());
            // Exact unless a mixed-alphabet window was cut (lenient then).
            prop_assert!(counts.cut > 0 || plausible(text));
        }
    }

    #[test]
    fn finder_finds_planted(
        pre in "[ -~]{0,40}",
        post in "[ -~]{0,40}",
        data in proptest::collection::vec(any::<u8>(), 15..300),
        url in any::<bool>(),
        pad in any::<bool>(),
        wrap in any::<bool>(),
        crlf in any::<bool>(),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let url = url && !wrap;
        let blob = ref_encode(&data, url, pad, wrap.then_some((64, eol)));
        prop_assume!(plausible(&blob));
        let mut buf = pre.into_bytes();
        if wrap {
            buf.extend_from_slice(format!("{eol}-----BEGIN BLOB-----{eol}").as_bytes());
        } else {
            buf.extend_from_slice(b"\"");
        }
        let start = buf.len() as u64;
        buf.extend_from_slice(&blob);
        let end = buf.len() as u64;
        if wrap {
            buf.extend_from_slice(format!("{eol}-----END BLOB-----{eol}").as_bytes());
        } else {
            buf.extend_from_slice(b"\"");
        }
        buf.extend_from_slice(post.as_bytes());
        let mut out = Vec::new();
        find_spans(&TransformConfig::base64_default(), &buf, &mut out);
        prop_assert!(out.contains(&Span { start, end }), "{:?} not in {:?}", (start, end), out);
        let (decoded, _, r) = decode_all(&buf[start as usize..end as usize], usize::MAX);
        prop_assert!(r.is_ok());
        prop_assert_eq!(decoded, data);
    }
}

/// Text shaped like source code and prose for the block skip: short words
/// and long runs, line breaks (with indentation) after runs of every
/// length, specific characters, escapes and backslashes, padding, spread
/// over many 64-byte blocks so that runs cross block boundaries.
fn line_soup() -> impl Strategy<Value = Vec<u8>> {
    let atoms = prop_oneof![
        4 => "[A-Za-z0-9]{1,9}",
        2 => "[a-z]{1,4}[A-Z0-9][a-z0-9]{0,6}",
        1 => "[A-Za-z0-9]{14,70}",
        2 => "[ .(),:;]{1,2}",
        2 => "\r?\n[ \t]{0,5}",
        2 => "[A-Za-z0-9]{0,3}[+/_-][A-Za-z0-9]{0,5}",
        1 => r"\\\\?[nrt]?",
        1 => "={1,2}",
    ];
    proptest::collection::vec(atoms, 0..160).prop_map(|v| v.concat().into_bytes())
}

proptest! {
    #![proptest_config(testing::proptest_config(2048))]

    /// On source-like text over many blocks, the block skip and the other
    /// fast paths report exactly what stepping byte by byte reports.
    #[test]
    fn block_skip_matches_bytewise_on_lines(
        buf in line_soup(),
        cuts in proptest::collection::vec((any::<usize>(), proptest::bool::weighted(0.1)), 0..4),
        min_len in prop_oneof![Just(20usize), 4usize..40, Just(80), Just(200)],
        max_len in prop_oneof![4 => Just(usize::MAX), 1 => 0usize..100],
    ) {
        let mut cfg = TransformConfig::base64_default().uncapped();
        cfg.min_len = min_len;
        cfg.max_encoded_len = max_len;
        testing::check_fast_matches_bytewise(&cfg, &buf, &cuts, usize::MAX)?;
    }
}

/// Runs with specific characters (one alphabet or both) that cross a
/// 64-byte block boundary at every offset and are followed by a line
/// break and a long line: the block skip must hand exactly those that a
/// line break may continue to the state machine.
#[test]
fn block_skip_follows_runs_across_blocks() {
    let next_line = b"\nQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0MTIz xyz";
    for lead in 50..66 {
        for len in 1..24 {
            for spec_at in 0..len {
                for (spec, other) in [(b'_', b'/'), (b'/', b'_'), (b'+', b'+')] {
                    let mut buf = vec![b' '; lead];
                    buf.extend((0..len).map(|j| match j {
                        j if j == spec_at => spec,
                        j if j + 2 == spec_at => other,
                        j => b"aB3"[j % 3],
                    }));
                    buf.extend_from_slice(next_line);
                    buf.extend_from_slice(&[b'.'; 70]);
                    let cfg = TransformConfig::base64_default().uncapped();
                    testing::check_fast_matches_bytewise(&cfg, &buf, &[], usize::MAX)
                        .unwrap_or_else(|e| panic!("{e}: {:?}", String::from_utf8_lossy(&buf)));
                }
            }
        }
    }
}

/// Short runs of letters and digits continued by line breaks with every
/// indentation around the limit, with `\n` and `\r\n`, in and out of a
/// reportable length: the fast path that follows wrapped lines agrees with
/// stepping byte by byte.
#[test]
fn wrapped_lines_follow_the_indent_limit() {
    for indent in (0..4).chain(MAX_INDENT as usize - 2..MAX_INDENT as usize + 3) {
        for eol in ["\n", "\r\n", "\r"] {
            for (first, second) in [("abcd", "eF3"), ("abcdefgh", "ijklmnop2Q"), ("ab1C", "")] {
                let mut text = format!("x = {first}{eol}{}{second}", " ".repeat(indent));
                text.push_str(&format!("{eol}    Zq09{eol}  tail.\n"));
                text.push_str(&".".repeat(80));
                let cfg = TransformConfig::base64_default().uncapped();
                for min_len in [4, 8, 12, 20] {
                    let cfg = TransformConfig {
                        min_len,
                        ..cfg.clone()
                    };
                    testing::check_fast_matches_bytewise(&cfg, text.as_bytes(), &[], usize::MAX)
                        .unwrap_or_else(|e| panic!("{e}: {text:?}"));
                }
            }
        }
    }
}

/// Words joined by `_`, `-`, `/` or `+` are not Base64 (more than one
/// character in 8 is specific); Base64 of text, in either alphabet, is.
#[test]
fn word_like_runs_are_junk() {
    let cfg = TransformConfig::base64_default();
    for junk in [
        "ossl_check_X509_ALGOR_sk_type",
        "BOOST_NO_CXX11_HDR_TYPE_TRAITS",
        "10/blob/HEAD/meetings/summit",
        "x86_64-linux-gnu/Lib3/Python",
        "a+b+c+d+e+f+g+h+i+j+k+L+M+N+O+P",
    ] {
        let text = format!("({junk})");
        assert!(spans_of(&cfg, text.as_bytes()).is_empty(), "{junk}");
    }
    // Exactly one specific character in 8 is still Base64.
    let edge = "aB3dEfGh_iJkLmNo/";
    assert_eq!(
        spans_of(&cfg, format!("({})", &edge[..16]).as_bytes()).len(),
        0,
        "too short"
    );
    let edge = "aB3dEfG_hiJkLmN_oPqRsTuV";
    assert_eq!(
        spans_of(&cfg, format!("({edge})").as_bytes()),
        vec![edge.as_bytes()]
    );
    // Runs of specific characters count once: Base64 of `0xff` fill.
    let mut filled = vec![0xffu8; 30];
    filled.extend_from_slice(b"token=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");
    for secret in [
        &filled[..],
        &b"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"[..],
        b"{\"key\": \"AKIAQ3EGRZ7XKPWN5TUV\", \"who\": \"ci?\"}",
        b"user:p@ss>w0rd~~~???",
    ] {
        for enc in [base64_simd::STANDARD, base64_simd::URL_SAFE_NO_PAD] {
            let b64 = enc.encode_to_string(secret);
            let text = format!("x = \"{b64}\"\n");
            assert_eq!(
                spans_of(&cfg, text.as_bytes()),
                vec![b64.as_bytes()],
                "{b64}"
            );
        }
    }
}

/// Regression: a run starting after an escape's letter (`\n+0a00`) must
/// not count its first specific character as following a letter (the
/// block masks see the escaped `n` as a letter before it).
#[test]
fn word_count_ignores_the_escape_before_a_run() {
    let mut buf = b"0\\n+0a00".to_vec();
    buf.extend_from_slice(&[b' '; 70]);
    let mut cfg = TransformConfig::base64_default().uncapped();
    cfg.min_len = 0;
    testing::check_fast_matches_bytewise(&cfg, &buf, &[], usize::MAX).unwrap();
    let spans = spans_of(&cfg, &buf);
    assert!(spans.contains(&&b"+0a00"[..]), "{spans:?}");
}

proptest! {
    #![proptest_config(testing::proptest_config(256))]

    /// Long blobs (many 64-byte blocks inside one window, both alphabets,
    /// a foreign specific character or padding somewhere, small caps):
    /// the whole-block path inside a window agrees with stepping.
    #[test]
    fn long_blobs_match_bytewise(
        data in proptest::collection::vec(any::<u8>(), 100..1500),
        url in any::<bool>(),
        foreign_at in proptest::option::of(0usize..2000),
        cuts in proptest::collection::vec((any::<usize>(), proptest::bool::weighted(0.1)), 0..4),
        max_len in prop_oneof![3 => Just(usize::MAX), 1 => 4usize..600],
    ) {
        let enc = if url { base64_simd::URL_SAFE } else { base64_simd::STANDARD };
        let mut blob = enc.encode_to_string(&data).into_bytes();
        if let Some(at) = foreign_at.filter(|&a| a < blob.len()) {
            blob[at] = if url { b'/' } else { b'_' };
        }
        let mut buf = b"key: \"".to_vec();
        buf.extend_from_slice(&blob);
        buf.extend_from_slice(b"\"\n");
        let mut cfg = TransformConfig::base64_default().uncapped();
        cfg.max_encoded_len = max_len;
        testing::check_fast_matches_bytewise(&cfg, &buf, &cuts, usize::MAX)?;
        // Cut inside the blob: the run reaches the end of what was fed, so
        // the bulk path inside the window takes the rest.
        let inside = [(6 + blob.len() - blob.len() / 8, false)];
        testing::check_fast_matches_bytewise(&cfg, &buf, &inside, usize::MAX)?;
    }
}

/// A window near the word-like threshold whose specific characters sit at
/// the starts of the 64-byte blocks of the whole-block path (after a
/// letter, or after another specific character): adding them one by one
/// moves the window across the threshold, and the block path must count
/// each exactly as stepping does.
#[test]
fn word_count_across_blocks_matches_bytewise() {
    // Period 9, one `/` each: below one in 8. The bulk path starts after
    // the first `/` (run index 8) and takes 32 bytes one by one, so its
    // blocks start at run indices 41, 105, 169, 233.
    let base: Vec<u8> = b"aB3dEf7g/".iter().copied().cycle().take(270).collect();
    let extras = [41usize, 105, 169, 20, 60, 130, 190, 250];
    for doubled in [false, true] {
        for n in 0..=extras.len() {
            let mut run = base.clone();
            for &at in &extras[..n] {
                run[at] = b'/';
            }
            if doubled {
                // A `/` ending a block right before one starting the next.
                run[40] = b'/';
                run[104] = b'/';
            }
            let mut buf = b"k = \"".to_vec();
            buf.extend_from_slice(&run);
            buf.extend_from_slice(b"\"\n");
            buf.extend_from_slice(&[b' '; 70]);
            let cfg = TransformConfig::base64_default().uncapped();
            // Cut inside the run's last bytes: a run reaching the end of
            // what was fed is stepped into, then taken in bulk.
            let cut = [(5 + 260, false)];
            testing::check_fast_matches_bytewise(&cfg, &buf, &cut, usize::MAX)
                .unwrap_or_else(|e| panic!("{e}: {n} extras, doubled {doubled}"));
        }
    }
}

/// Lines of short Base64 values (either alphabet, padded or not, wrapped
/// or not, some cut short or followed by stray padding): the fast path
/// that reports a whole run with its padding, or over the lines that
/// continue it, agrees with stepping byte by byte.
fn value_lines() -> impl Strategy<Value = Vec<u8>> {
    let value = (
        proptest::collection::vec(any::<u8>(), 1..48),
        any::<bool>(),
        any::<bool>(),
        0usize..4,
    )
        .prop_map(|(data, url, pad, extra_pad)| {
            let enc = match (url, pad) {
                (false, true) => base64_simd::STANDARD,
                (false, false) => base64_simd::STANDARD_NO_PAD,
                (true, true) => base64_simd::URL_SAFE,
                (true, false) => base64_simd::URL_SAFE_NO_PAD,
            };
            let mut v = enc.encode_to_string(&data).into_bytes();
            v.extend(std::iter::repeat_n(b'=', extra_pad / 3));
            v
        });
    let line = (
        "[ ]{0,3}[a-z_]{1,8}[:=] ?",
        value,
        prop_oneof!["\n", "\r\n", "\"\n", " ", "\n[ ]{1,4}[A-Za-z0-9]{4,12}\n"],
    )
        .prop_map(|(key, value, eol)| [key.into_bytes(), value, eol.into_bytes()].concat());
    proptest::collection::vec(line, 1..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(testing::proptest_config(1024))]

    #[test]
    fn value_lines_match_bytewise(
        buf in value_lines(),
        cuts in proptest::collection::vec((any::<usize>(), proptest::bool::weighted(0.1)), 0..4),
        min_len in prop_oneof![Just(20usize), 4usize..40],
        max_len in prop_oneof![4 => Just(usize::MAX), 1 => 4usize..80],
    ) {
        let mut cfg = TransformConfig::base64_default().uncapped();
        cfg.min_len = min_len;
        cfg.max_encoded_len = max_len;
        testing::check_fast_matches_bytewise(&cfg, &buf, &cuts, usize::MAX)?;
    }
}

/// A standard-alphabet window whose next line starts with a key joined by
/// `_` or `-` (YAML values one per line): the window takes the key's
/// leading letters and switches alphabets at the `_`, as stepping does;
/// one that is word-like as a whole is still junk.
#[test]
fn wrapped_window_switches_at_the_next_key() {
    let cfg = TransformConfig::base64_default().uncapped();
    for (value, reported) in [
        ("aB3dEf7g/hIjKl9MnOpQ+rS2", true),
        ("aB/cD/eF/gH/iJ/kL/mN/oPq", false),
    ] {
        for key in ["next_key", "next-key", "x_", "a1b2_c"] {
            for eol in ["\n", "\r\n"] {
                let text = format!("  k: {value}{eol}  {key}: v{eol}{}", ".".repeat(70));
                testing::check_fast_matches_bytewise(&cfg, text.as_bytes(), &[], usize::MAX)
                    .unwrap_or_else(|e| panic!("{e}: {text:?}"));
                let spans = spans_of(&cfg, text.as_bytes());
                let head = key.split(['_', '-']).next().unwrap();
                let window = format!("{value}{eol}  {head}");
                assert_eq!(
                    spans.contains(&window.as_bytes()),
                    reported,
                    "{text:?}: {spans:?}"
                );
            }
        }
    }
}
