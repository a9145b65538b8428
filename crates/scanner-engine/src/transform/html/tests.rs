//! Tests of the HTML reference finder and decoder: reference decoders,
//! round trips, chunk invariance, `encoded_range`, unit tests of the
//! grammar.

use super::super::testing::{self, check_against_reference};
use super::super::{find_spans, TransformConfig, DECODE_CHUNK_LEN};
use super::*;
use proptest::prelude::*;

/// Plain reference decoder, written without [`reference`].
fn ref_decode(enc: &[u8], max: usize) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut i = 0;
    while i < enc.len() {
        let mut piece = vec![enc[i]];
        let mut used = 1;
        if enc[i] == b'&' {
            if let Some(semi) = enc[i..].iter().take(12).position(|&b| b == b';') {
                let body = std::str::from_utf8(&enc[i + 1..i + semi]).unwrap_or("");
                let c = if let Some(h) = body.strip_prefix("#x").or_else(|| body.strip_prefix("#X"))
                {
                    (h.len() <= 6 && !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()))
                        .then(|| u32::from_str_radix(h, 16).unwrap())
                        .map(code_point)
                } else if let Some(d) = body.strip_prefix('#') {
                    (d.len() <= 7 && !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
                        .then(|| d.parse::<u32>().unwrap())
                        .map(code_point)
                } else {
                    named(body.as_bytes())
                };
                if let Some(c) = c {
                    piece = c.to_string().into_bytes();
                    used = semi + 1;
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

/// `text` with every character as a numeric reference (hex or decimal
/// by turns).
pub(crate) fn encode(text: &str) -> String {
    text.chars()
        .enumerate()
        .map(|(i, c)| {
            if i % 2 == 0 {
                format!("&#x{:x};", c as u32)
            } else {
                format!("&#{};", c as u32)
            }
        })
        .collect()
}

pub(crate) fn soup() -> impl Strategy<Value = Vec<u8>> {
    let atoms = prop_oneof![
        Just(b"&amp;".to_vec()),
        Just(b"&lt;".to_vec()),
        Just(b"&NewLine;".to_vec()),
        Just(b"&bogus;".to_vec()),
        Just(b"&#x67;".to_vec()),
        Just(b"&#X10FFFF;".to_vec()),
        Just(b"&#103;".to_vec()),
        Just(b"&#12345678;".to_vec()),
        Just(b"&#0;".to_vec()),
        Just(b"&#;".to_vec()),
        Just(b"&".to_vec()),
        Just(b"&#".to_vec()),
        Just(b";".to_vec()),
        "[ <>\"'\n]{1,2}".prop_map(String::into_bytes),
        "[a-zA-Z0-9#x]{1,6}".prop_map(String::into_bytes),
        "\\PC{1,6}".prop_map(|s| encode(&s).into_bytes()),
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
        while i < buf.len() && RUN_CHAR[buf[i] as usize] {
            i += 1;
        }
        let run = &buf[s..i];
        let refs = (0..run.len())
            .filter(|&k| reference(&run[k..]).is_some())
            .count();
        if refs >= min_len.max(1) {
            spans.push(Span {
                start: s as u64,
                end: i as u64,
            });
        }
    }
    spans
}

#[test]
fn reference_table() {
    for &(name, c) in NAMED {
        let r = format!("&{name};");
        assert_eq!(reference(r.as_bytes()), Some((r.len(), Decoded::char(c))));
        assert!(name.len() <= MAX_NAME);
    }
    assert_eq!(reference(b"&AMP;"), None);
    assert_eq!(reference(b"&amp"), None);
    assert_eq!(
        reference(b"&#x110000;").map(|r| r.1),
        Some(Decoded::char('\u{FFFD}'))
    );
    assert_eq!(
        reference(b"&#xD800;").map(|r| r.1),
        Some(Decoded::char('\u{FFFD}'))
    );
    assert_eq!(reference(b"&#1234567;").map(|r| r.0), Some(10));
    assert_eq!(reference(b"&#12345678;"), None);
    assert_eq!(reference(b"&#x1234567;"), None);
}

#[test]
fn finder_examples() {
    let cfg = TransformConfig::html_default();
    let mut out = Vec::new();
    let text = b"<p>Tom &amp; Jerry</p><a href=\"/x?a=1&amp;b=2&amp;c=3\">&#103;&#x68;&#112;_x</a> &lt;&bogus;";
    find_spans(&cfg, text, &mut out);
    let got: Vec<&[u8]> = out
        .iter()
        .map(|s| &text[s.start as usize..s.end as usize])
        .collect();
    assert_eq!(
        got,
        vec![&b"/x?a=1&amp;b=2&amp;c=3"[..], &b"&#103;&#x68;&#112;_x"[..]]
    );
}

#[test]
fn finder_cuts_before_reference() {
    let mut cfg = TransformConfig::html_default();
    cfg.min_len = 1;
    cfg.max_encoded_len = 10;
    let mut out = Vec::new();
    let counts = find_spans(&cfg, b"ab&#65;c&#x42;", &mut out);
    assert_eq!(
        out,
        vec![Span { start: 0, end: 8 }, Span { start: 8, end: 14 }]
    );
    assert_eq!(counts.cut, 1);
}

#[test]
fn decoder_examples() {
    let (out, _, _) = decode_all(b"&#103;&#x68;&#X70;&lowbar;&amp&lt;&#;&nbsp;&", usize::MAX);
    assert_eq!(out, "ghp_&amp<&#;\u{a0}&".as_bytes());
    let (out, _, o) = decode_all(b"&#65;&#66;&#67;", 2);
    assert_eq!(out, b"AB");
    assert!(o.truncated);
}

#[test]
fn decoder_chunks_and_early_stop() {
    let enc = b"&#65;".repeat(DECODE_CHUNK_LEN * 2 + 5);
    let (out, sizes, _) = decode_all(&enc, usize::MAX);
    assert_eq!(out.len(), DECODE_CHUNK_LEN * 2 + 5);
    assert_eq!(sizes, vec![DECODE_CHUNK_LEN, DECODE_CHUNK_LEN, 5]);
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
    fn decoder_roundtrip(text in "\\PC{0,200}") {
        let (got, _, _) = decode_all(encode(&text).as_bytes(), usize::MAX);
        prop_assert_eq!(got, text.into_bytes());
    }

    #[test]
    fn finder_chunk_invariant(
        buf in soup(),
        (cuts, base) in testing::chunking(),
        cfg in testing::limits(TransformConfig::html_default(), 0..5, 0..30),
    ) {
        check_against_reference(&cfg, &buf, (&cuts, base), 10, ref_spans)?;
    }

    #[test]
    fn mapped_range_decodes_to_the_range(
        text in "[ -~]{1,40}",
        a in 0usize..40,
        b in 0usize..40,
    ) {
        let enc = encode(&text).into_bytes();
        let cfg = TransformConfig::html_default();
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
