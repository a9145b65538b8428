//! The Vectorscan prefilter must be lossless: a scan that confirms only the
//! windows around anchor hits reports exactly what running every rule's
//! regex over the whole input reports, however the secrets are placed, and
//! however the input is segmented.

use proptest::prelude::*;
use scanner_engine::{builtin_rules, parse_rules_toml, Engine, Finding};
use std::sync::OnceLock;

/// Rules chosen to stress windowing: unbounded widths, anchors in the middle,
/// shared anchors, an anchor ending the match, case-insensitive context,
/// word boundaries.
const STRESS_RULES: &str = r#"
[[rules]]
id = "t-prefix"
name = "prefix token"
regex = '''\b(tok_[a-z0-9]{12})\b'''

[[rules]]
id = "t-prefix-long"
name = "same anchor, longer body"
regex = '''\b(tok_[a-z0-9]{20})\b'''

[[rules]]
id = "t-context"
name = "context keyword before value"
regex = '''(?i)acme[_ .-]?key[^\n]{0,12}?\b([A-F0-9]{16})\b'''

[[rules]]
id = "t-middle"
name = "anchor in the middle"
regex = '''\b([a-z]{4}-MID-[0-9]{6})\b'''

[[rules]]
id = "t-suffix"
name = "anchor at the end"
regex = '''\b([a-z0-9]{10}-SUFFIX)'''

[[rules]]
id = "t-unbounded"
name = "unbounded body with max_width"
regex = '''(BEGIN-BLOB[a-z0-9]+END-BLOB)'''
max_width = 80
"#;

fn stress_engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| {
        Engine::builder()
            .builtin_rules(false)
            .rules(parse_rules_toml(STRESS_RULES, "stress.toml").unwrap())
            .build()
            .unwrap()
    })
}

fn builtin_engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(Engine::builtin)
}

fn builtin_examples() -> &'static Vec<String> {
    static E: OnceLock<Vec<String>> = OnceLock::new();
    E.get_or_init(|| {
        builtin_rules()
            .unwrap()
            .into_iter()
            .flat_map(|r| r.examples)
            .collect()
    })
}

fn key(f: &Finding) -> (u64, u64, String, Vec<u8>) {
    (f.start, f.end, f.rule_id.to_string(), f.secret.clone())
}

fn assert_same(engine: &Engine, input: &[u8]) -> Result<(), TestCaseError> {
    let fast: Vec<_> = engine.scan_bytes(input).iter().map(key).collect();
    let reference: Vec<_> = engine
        .scan_bytes_unfiltered(input)
        .iter()
        .map(key)
        .collect();
    prop_assert_eq!(&fast, &reference);
    let segmented: Vec<_> = engine
        .scan_bytes_segmented(input, 97)
        .iter()
        .map(key)
        .collect();
    prop_assert_eq!(&segmented, &reference);
    Ok(())
}

fn stress_piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        "[a-z0-9]{12}".prop_map(|s| format!("tok_{s}").into_bytes()),
        "[a-z0-9]{20}".prop_map(|s| format!("tok_{s}").into_bytes()),
        "[a-z0-9]{11,21}".prop_map(|s| format!("tok_{s}").into_bytes()),
        "[A-F0-9]{16}".prop_map(|s| format!("ACME_KEY = {s}").into_bytes()),
        "[A-F0-9]{16}".prop_map(|s| format!("acme-key: '{s}'").into_bytes()),
        // Any case right after the (case-insensitive) anchor.
        ("[aA][cC][mM][eE][kK][eE][yY]", "[A-F0-9]{16}")
            .prop_map(|(k, s)| format!("{k} = {s}").into_bytes()),
        ("[a-z]{3,5}", "[0-9]{5,7}").prop_map(|(a, b)| format!("{a}-MID-{b}").into_bytes()),
        "[a-z0-9]{0,90}".prop_map(|s| format!("BEGIN-BLOB{s}END-BLOB").into_bytes()),
        "[a-z0-9]{10}".prop_map(|s| format!("{s}-SUFFIX").into_bytes()),
        "[ -~]{0,40}".prop_map(String::into_bytes),
        Just(b"\n".to_vec()),
        Just(b"tok_".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..16),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn stress_rules_prefilter_equals_reference(pieces in proptest::collection::vec(stress_piece(), 0..24)) {
        let input: Vec<u8> = pieces.concat();
        assert_same(stress_engine(), &input)?;
    }

    #[test]
    fn builtin_rules_prefilter_equals_reference(
        picks in proptest::collection::vec((any::<prop::sample::Index>(), "[ -~\n]{0,30}"), 1..6)
    ) {
        let examples = builtin_examples();
        let mut input = Vec::new();
        for (idx, filler) in picks {
            input.extend_from_slice(filler.as_bytes());
            input.extend_from_slice(idx.get(examples).as_bytes());
        }
        assert_same(builtin_engine(), &input)?;
    }
}

/// Pieces as short encoded values, one per line (Base64, sometimes twice,
/// or hex): their decoded outputs are prefiltered together in batches, and
/// only those with an anchor hit are confirmed. That gate must lose
/// nothing, wherever the outputs' boundaries fall.
fn encoded_lines(pieces: Vec<(Vec<u8>, u8)>) -> Vec<u8> {
    let b64 = |b: &[u8]| base64_simd::STANDARD.encode_to_string(b);
    let mut input = Vec::new();
    for (i, (piece, how)) in pieces.iter().enumerate() {
        let value = match how % 4 {
            0 | 1 => b64(piece),
            2 => b64(b64(piece).as_bytes()),
            _ => piece.iter().map(|b| format!("{b:02x}")).collect(),
        };
        input.extend_from_slice(format!("value_{i}: {value}\n").as_bytes());
    }
    input
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn stress_rules_in_short_encoded_values(
        pieces in proptest::collection::vec((stress_piece(), any::<u8>()), 0..200)
    ) {
        assert_same(stress_engine(), &encoded_lines(pieces))?;
    }

    #[test]
    fn builtin_rules_in_short_encoded_values(
        picks in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), "[ -~]{0,12}"), 1..40)
    ) {
        let examples = builtin_examples();
        let pieces = picks
            .into_iter()
            .map(|(idx, how, filler)| ([filler.as_bytes(), idx.get(examples).as_bytes()].concat(), how))
            .collect();
        assert_same(builtin_engine(), &encoded_lines(pieces))?;
    }
}
