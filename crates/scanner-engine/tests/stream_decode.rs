//! The streaming decode path (ring buffer, Vectorscan stream, timing wheel,
//! re-decode, fallback) reports exactly what the full-decode path reports,
//! for secrets planted under random nestings of Base64, URL encoding, hex,
//! string escapes and HTML character references.

mod common;

use common::{b64, escape_u, escape_x, hex_lower, html_refs, url_encode_all};
use proptest::prelude::*;
use scanner_engine::{Engine, Finding, Tuning};
use std::sync::OnceLock;

fn engine_with(tuning: Tuning) -> Engine {
    Engine::builder().tuning(tuning).build().unwrap()
}

/// Every span decoded whole: the reference.
fn full_decode() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| engine_with(Tuning::default().with_stream_decode_min_len(usize::MAX)))
}

/// Every span streamed with the default ring.
fn streaming() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| engine_with(Tuning::default().with_stream_decode_min_len(0)))
}

/// Every span streamed through a ring and wheel so small that windows are
/// re-decoded and caps send spans to the fallback.
fn streaming_tiny() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| {
        engine_with(
            Tuning::default()
                .with_stream_decode_min_len(0)
                .with_decode_ring_bytes(96)
                .with_max_pending_windows(3)
                .with_max_windows_per_rule(4),
        )
    })
}

const SECRETS: &[&str] = &[
    "token=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",
    "aws_access_key_id = AKIAQ3EGRTXP4W7ZC2NB",
    "SLACK=xoxb-2841561223-5907812344410-Vq7cT2mK9pXzR4wL8sNd3bHf",
    "stripe: sk_live_51Hq8ZpL2kR7vX9mN4tB6wY3cD0fG5jH8aQe",
    "npm_token: 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",
];

#[derive(Clone, Copy, Debug)]
enum Enc {
    Base64,
    Base64Wrapped(usize),
    UrlAll,
    UrlPartial,
    Hex,
    EscapeU,
    EscapeX,
    Html,
}

fn encode(data: &[u8], enc: Enc) -> Vec<u8> {
    match enc {
        Enc::Base64 => b64(data).into_bytes(),
        Enc::Base64Wrapped(w) => {
            let s = b64(data);
            s.as_bytes().chunks(w).collect::<Vec<_>>().join(&b"\n"[..])
        }
        Enc::UrlAll => url_encode_all(data).into_bytes(),
        Enc::UrlPartial => data
            .iter()
            .flat_map(|&b| match b {
                b'_' | b'=' | b' ' | b':' | b'/' | b'+' => format!("%{b:02X}").into_bytes(),
                _ => vec![b],
            })
            .collect(),
        Enc::Hex => hex_lower(data).into_bytes(),
        Enc::EscapeU => escape_u(&String::from_utf8_lossy(data)).into_bytes(),
        Enc::EscapeX => escape_x(data).into_bytes(),
        Enc::Html => html_refs(&String::from_utf8_lossy(data)).into_bytes(),
    }
}

fn enc_strategy() -> impl Strategy<Value = Enc> {
    prop_oneof![
        Just(Enc::Base64),
        prop_oneof![Just(64usize), Just(76)].prop_map(Enc::Base64Wrapped),
        Just(Enc::UrlAll),
        Just(Enc::UrlPartial),
        Just(Enc::Hex),
        Just(Enc::EscapeU),
        Just(Enc::EscapeX),
        Just(Enc::Html),
    ]
}

/// One part of an input: the `nth` part's secret is `SECRETS[nth]`, so an
/// input holds each secret at most once. (Equal decoded output under one
/// root span is decoded once, by design: two occurrences of a secret inside
/// one long escape or HTML run are reported once, at whichever the pass
/// reaches first, which differs between the full and streaming paths.)
fn piece(nth: usize) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => proptest::collection::vec(enc_strategy(), 0..=3).prop_map(move |encs| {
            let mut data = SECRETS[nth % SECRETS.len()].as_bytes().to_vec();
            for e in encs {
                data = encode(&data, e);
            }
            data
        }),
        1 => proptest::collection::vec(any::<u8>(), 10..80).prop_map(|b| b64(&b).into_bytes()),
        1 => "[ -~]{0,60}".prop_map(String::into_bytes),
        1 => "[a-z%0-9A-F]{0,30}".prop_map(String::into_bytes),
    ]
}

fn separator() -> impl Strategy<Value = &'static [u8]> {
    prop_oneof![
        Just(&b" "[..]),
        Just(&b"\n"[..]),
        Just(&b"\""[..]),
        Just(&b"\n  key: "[..])
    ]
}

fn key(f: &Finding) -> (u64, u64, String, Vec<u8>, String) {
    (
        f.start,
        f.end,
        f.rule_id.to_string(),
        f.secret.clone(),
        f.decode_path_string(),
    )
}

fn keys(engine: &Engine, input: &[u8]) -> Vec<(u64, u64, String, Vec<u8>, String)> {
    engine.scan_bytes(input).iter().map(key).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn streaming_equals_full_decode(
        parts in (1..=SECRETS.len())
            .prop_flat_map(|n| (0..n).map(|i| (piece(i), separator())).collect::<Vec<_>>())
    ) {
        let mut input = Vec::new();
        for (p, sep) in parts {
            input.extend_from_slice(&p);
            input.extend_from_slice(sep);
        }
        let reference = keys(full_decode(), &input);
        prop_assert_eq!(&keys(streaming(), &input), &reference);
        prop_assert_eq!(&keys(streaming_tiny(), &input), &reference);
    }
}

#[test]
fn planted_secret_under_three_encodings_is_found_by_both_paths() {
    let data = encode(
        &encode(&encode(SECRETS[0].as_bytes(), Enc::Base64), Enc::UrlAll),
        Enc::Base64Wrapped(76),
    );
    let mut input = b"blob: ".to_vec();
    input.extend_from_slice(&data);
    input.push(b'\n');
    let reference = keys(full_decode(), &input);
    assert_eq!(reference.len(), 1, "{reference:?}");
    // The inner Base64 may also be decoded straight from the URL-encoded text
    // (its runs between escapes are Base64 too); the shorter path is kept.
    let path = &reference[0].4;
    assert!(
        path == "base64 > url > base64" || path == "base64 > base64",
        "{path}"
    );
    assert_eq!(keys(streaming(), &input), reference);
    assert_eq!(keys(streaming_tiny(), &input), reference);
}

#[test]
fn streaming_counts_fallbacks_and_redecodes_with_tiny_caps() {
    let mut input = Vec::new();
    for s in SECRETS {
        input.extend_from_slice(&encode(s.as_bytes(), Enc::Base64));
        input.push(b'\n');
    }
    let big = encode(SECRETS.join(" and ").as_bytes(), Enc::Base64);
    input.extend_from_slice(&big);
    let engine = streaming_tiny();
    let mut scratch = engine.new_scratch();
    let mut found = Vec::new();
    engine.scan_bytes_with(&mut scratch, &input, &mut |f| found.push(key(&f)));
    assert_eq!(found, keys(full_decode(), &input));
    let stats = scratch.stats();
    assert!(
        stats.decode_fallbacks + stats.windows_redecoded > 0,
        "{stats:?}"
    );
}

#[test]
fn text_encodings_nested_with_base64_and_url_are_found_by_both_paths() {
    let chains: &[&[Enc]] = &[
        &[Enc::Hex],
        &[Enc::EscapeU, Enc::Base64],
        &[Enc::EscapeX, Enc::UrlAll],
        &[Enc::Html, Enc::Base64Wrapped(76)],
        &[Enc::Base64, Enc::Hex],
        &[Enc::UrlPartial, Enc::Html],
        &[Enc::Hex, Enc::EscapeU, Enc::Base64],
    ];
    for chain in chains {
        let mut input = b"v: \"".to_vec();
        for s in SECRETS {
            let mut data = s.as_bytes().to_vec();
            for &e in *chain {
                data = encode(&data, e);
            }
            input.extend_from_slice(&data);
            input.extend_from_slice(b"\"\nv: \"");
        }
        let reference = keys(full_decode(), &input);
        assert_eq!(reference.len(), SECRETS.len(), "{chain:?}: {reference:?}");
        assert_eq!(keys(streaming(), &input), reference, "{chain:?}");
        assert_eq!(keys(streaming_tiny(), &input), reference, "{chain:?}");
    }
}
