#![no_main]
//! Chunked scanning equals `scan_bytes`: the input is fed to a
//! `StreamScanner` in pieces whose lengths the fuzzer chooses, and the
//! findings must equal those of one `scan_bytes` call (unless an encoded span
//! longer than the stream overlap was split, which is counted and allowed to
//! differ). Short rules and a small step make rounds frequent.
//!
//! Input layout: byte 0 = number of cuts (mod 16); then one byte per cut
//! (piece length 1..=256); the rest is the scanned data.

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use scanner_engine::{parse_rules_toml, Engine, Finding, Tuning};

static ENGINE: OnceLock<Engine> = OnceLock::new();

const RULES: &str = r#"
[[rules]]
id = "f-token"
name = "fuzz token"
regex = '''\b(tok_[a-z0-9]{12})\b'''

[[rules]]
id = "f-github"
name = "GitHub-like token"
regex = '''\b(ghp_[A-Za-z0-9]{36})\b'''

[[rules]]
id = "f-blob"
name = "unbounded blob"
regex = '''(BEGIN-BLOB[a-z0-9]+END-BLOB)'''
max_width = 60
"#;

fn engine() -> &'static Engine {
    ENGINE.get_or_init(|| {
        Engine::builder()
            .builtin_rules(false)
            .rules(parse_rules_toml(RULES, "fuzz.toml").expect("fuzz rules parse"))
            .tuning(
                Tuning::default()
                    .with_stream_step(16)
                    .with_stream_overlap(0),
            )
            .build()
            .expect("fuzz rules compile")
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

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let cuts = usize::from(n % 16).min(rest.len());
    let (lengths, input) = rest.split_at(cuts);
    let engine = engine();
    let whole: Vec<Key> = engine.scan_bytes(input).iter().map(key).collect();

    let mut scanner = engine.stream();
    let mut chunked = Vec::new();
    let mut at = 0;
    for &l in lengths {
        let end = (at + usize::from(l) + 1).min(input.len());
        scanner.feed(&input[at..end], &mut |f| chunked.push(key(&f)));
        at = end;
    }
    scanner.feed(&input[at..], &mut |f| chunked.push(key(&f)));
    let stats = scanner.finish(&mut |f| chunked.push(key(&f)));
    assert_eq!(
        stats.scan.findings,
        chunked.len() as u64,
        "findings counted as delivered"
    );
    if stats.spans_split == 0 {
        assert_eq!(chunked, whole, "chunked scan differs from scan_bytes");
    }
});
