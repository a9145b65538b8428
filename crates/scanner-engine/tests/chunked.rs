//! Chunk invariance: feeding an input to a `StreamScanner` in any chunking
//! reports exactly what `scan_bytes` reports on the whole input (offsets,
//! lines, columns, decode paths), for raw and encoded secrets.

mod common;

use common::{b64, url_encode_all};
use proptest::prelude::*;
use scanner_engine::{parse_rules_toml, Engine, Finding, Tuning};
use std::sync::OnceLock;

/// Short rules, so the stream overlap is small and rounds happen often.
fn small_engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| {
        let rules = parse_rules_toml(
            r#"
[[rules]]
id = "t-token"
name = "test token"
regex = '''\b(tok_[a-z0-9]{12})\b'''

[[rules]]
id = "t-blob"
name = "unbounded blob"
regex = '''(BEGIN-BLOB[a-z0-9]+END-BLOB)'''
max_width = 60
"#,
            "small.toml",
        )
        .unwrap();
        Engine::builder()
            .builtin_rules(false)
            .rules(rules)
            .tuning(
                Tuning::default()
                    .with_stream_step(32)
                    .with_stream_overlap(0),
            )
            .build()
            .unwrap()
    })
}

fn builtin_small_step() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| {
        Engine::builder()
            .tuning(Tuning::default().with_stream_step(4096))
            .build()
            .unwrap()
    })
}

type Key = (u64, u64, String, Vec<u8>, String, u64, u64);

fn key(f: &Finding) -> Key {
    (
        f.start,
        f.end,
        f.rule_id.to_string(),
        f.secret.clone(),
        f.decode_path_string(),
        f.line,
        f.column,
    )
}

fn chunked(engine: &Engine, input: &[u8], cuts: &[usize]) -> Vec<Key> {
    let mut scanner = engine.stream();
    let mut out = Vec::new();
    let mut at = 0;
    for &c in cuts {
        let c = c.clamp(at, input.len());
        scanner.feed(&input[at..c], &mut |f| out.push(key(&f)));
        at = c;
    }
    scanner.feed(&input[at..], &mut |f| out.push(key(&f)));
    scanner.finish(&mut |f| out.push(key(&f)));
    out
}

fn whole(engine: &Engine, input: &[u8]) -> Vec<Key> {
    engine.scan_bytes(input).iter().map(key).collect()
}

fn small_piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        "[a-z0-9]{12}".prop_map(|s| format!("tok_{s}").into_bytes()),
        "[a-z0-9]{12}".prop_map(|s| b64(format!("k=tok_{s}").as_bytes()).into_bytes()),
        "[a-z0-9]{12}".prop_map(|s| url_encode_all(format!("k=tok_{s}").as_bytes()).into_bytes()),
        "[a-z0-9]{0,40}".prop_map(|s| format!("BEGIN-BLOB{s}END-BLOB").into_bytes()),
        // Printable text without `\` and `&`: a string escape or HTML
        // reference in it would open an escape or HTML run (such runs go on
        // across spaces) longer than the overlap, which is split by design.
        r"[ -%'-\[\]-~]{0,30}".prop_map(String::into_bytes),
        Just(b"\n".to_vec()),
        Just(b" ".to_vec()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn chunking_does_not_change_findings(
        pieces in proptest::collection::vec(small_piece(), 0..60),
        mut cuts in proptest::collection::vec(0usize..3000, 0..12),
    ) {
        // Pieces apart, so no encoded run outgrows the (small) overlap; runs
        // longer than the overlap are split by design (counted, see below).
        let input = pieces.join(&b" "[..]);
        cuts.sort();
        prop_assert_eq!(chunked(small_engine(), &input, &cuts), whole(small_engine(), &input));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn builtin_rules_over_large_inputs(
        seeds in proptest::collection::vec(0usize..5, 1..5),
        mut cuts in proptest::collection::vec(0usize..200_000, 0..8),
    ) {
        const SECRETS: [&str; 5] = [
            "token=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",
            "aws_access_key_id = AKIAQ3EGRTXP4W7ZC2NB",
            "SLACK=xoxb-2841561223-5907812344410-Vq7cT2mK9pXzR4wL8sNd3bHf",
            "stripe: sk_live_51Hq8ZpL2kR7vX9mN4tB6wY3cD0fG5jH8aQe",
            "npm_token: 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",
        ];
        let filler = "fn main() { let value = compute(1, 2); }\n".repeat(900);
        let mut input = String::new();
        for (i, s) in seeds.iter().enumerate() {
            input.push_str(&filler);
            match i % 3 {
                0 => input.push_str(SECRETS[*s]),
                1 => input.push_str(&b64(SECRETS[*s].as_bytes())),
                _ => input.push_str(&url_encode_all(SECRETS[*s].as_bytes())),
            }
            input.push('\n');
        }
        cuts.sort();
        let engine = builtin_small_step();
        let expected = whole(engine, input.as_bytes());
        prop_assert_eq!(expected.len(), seeds.len());
        prop_assert_eq!(chunked(engine, input.as_bytes(), &cuts), expected);
    }
}

#[test]
fn encoded_span_up_to_twice_the_overlap_is_decoded_whole() {
    let engine = small_engine();
    // Base64 of ~300 bytes ending in a token: a span of ~420 bytes, longer
    // than the small engine's overlap (304) but shorter than twice it.
    let text = format!("{} tok_abcdef012345", "filler ".repeat(40));
    let input = format!(
        "{}\nkey: {}\n{}",
        "x ".repeat(500),
        b64(text.as_bytes()),
        "y ".repeat(500)
    );
    let expected = whole(engine, input.as_bytes());
    assert_eq!(expected.len(), 1);
    for step in [1, 7, 64, 333] {
        let cuts: Vec<usize> = (step..input.len()).step_by(step).collect();
        assert_eq!(
            chunked(engine, input.as_bytes(), &cuts),
            expected,
            "chunks of {step}"
        );
    }
}

#[test]
fn a_long_span_cut_at_the_buffer_start_loses_nothing() {
    // The shape of the `chunked` fuzz target's crash input: a run of Base64
    // characters (`x`) continued by a short Base64 line is one wrapped span,
    // longer than the small engine's overlap, so the buffer is cut inside
    // it. The finding used to be placed at the span's start, which differs
    // between a whole scan and a chunked one (and once the start lay in an
    // already reported region, the finding was dropped). Located at the
    // token's own encoded bytes, and cut at a quantum boundary, it is now
    // the same in every chunking, for every alignment of the run.
    let engine = small_engine();
    for run in [400, 401, 402, 403, 1200] {
        let mut input = "word ".repeat(150);
        input.push('\n');
        input.push_str(&"x".repeat(run));
        input.push('\n');
        input.push_str(&b64(b"key=tok_abcdef012345"));
        input.push('\n');
        input.push_str(&"tail ".repeat(150));
        let expected = whole(engine, input.as_bytes());
        if run % 4 == 0 {
            // The run keeps the line's quanta aligned: the token decodes.
            assert_eq!(expected.len(), 1, "run {run}");
        }
        for step in [1, 5, 16, 100] {
            let mut scanner = engine.stream();
            let mut found = Vec::new();
            for piece in input.as_bytes().chunks(step) {
                scanner.feed(piece, &mut |f| found.push(key(&f)));
            }
            let stats = scanner.finish(&mut |f| found.push(key(&f)));
            assert_eq!(found, expected, "run {run}, chunks of {step}: {stats:?}");
            assert_eq!(stats.scan.findings, found.len() as u64);
        }
    }
}

#[test]
fn encoded_span_longer_than_the_overlap_is_counted_as_split() {
    let engine = small_engine();
    let blob = b64(&vec![b'x'; 3000]);
    let mut scanner = engine.stream();
    scanner.feed(blob.as_bytes(), &mut |_| ());
    let stats = scanner.finish(&mut |_| ());
    assert!(stats.spans_split >= 1, "{stats:?}");
}

#[test]
fn buffer_stays_bounded_and_reader_works() {
    let engine = small_engine();
    let mut input = Vec::new();
    for i in 0..2000 {
        input.extend_from_slice(format!("line {i} tok_{i:012}\n").as_bytes());
    }
    let mut from_reader = Vec::new();
    let stats = engine
        .scan_reader(&input[..], &mut |f| from_reader.push(key(&f)))
        .unwrap();
    assert_eq!(from_reader, whole(engine, &input));
    assert_eq!(from_reader.len(), 2000);
    assert!(stats.rounds > 10, "{stats:?}");
    // Rescanned overlap is bounded: far less than one full rescan per round.
    assert!(
        stats.scan.bytes_scanned < 20 * input.len() as u64,
        "{stats:?}"
    );
}
