//! A directory of ordinary config and code files holding secrets of many
//! providers: `secretscan dir` must report each planted secret with the
//! expected rule id, line and column, and nothing else.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

type Key = (String, u64, u64, String, String);

fn key(v: &Value) -> Key {
    (
        v["path"].as_str().unwrap().to_string(),
        v["line"].as_u64().unwrap(),
        v["column"].as_u64().unwrap(),
        v["rule_id"].as_str().unwrap().to_string(),
        v["secret"].as_str().unwrap().to_string(),
    )
}

#[test]
fn every_planted_secret_is_reported_at_its_line_and_column() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let expected_text = std::fs::read_to_string(fixtures.join("providers.expected.json")).unwrap();
    let expected: Vec<Value> = serde_json::from_str(&expected_text).unwrap();
    let expected: BTreeSet<Key> = expected.iter().map(key).collect();

    let providers: BTreeSet<&str> = expected
        .iter()
        .map(|k| k.3.split('-').next().unwrap())
        .collect();
    assert!(
        providers.len() >= 20,
        "fixture covers only {} providers: {providers:?}",
        providers.len()
    );

    let out = Command::new(env!("CARGO_BIN_EXE_secretscan"))
        .args(["dir", ".", "--format", "jsonl", "--no-ignore"])
        .current_dir(fixtures.join("providers"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reported: BTreeSet<Key> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| key(&serde_json::from_str(l).unwrap()))
        .collect();

    let missing: Vec<_> = expected.difference(&reported).collect();
    let unexpected: Vec<_> = reported.difference(&expected).collect();
    assert!(
        missing.is_empty() && unexpected.is_empty(),
        "missing {}:\n{missing:#?}\nunexpected {}:\n{unexpected:#?}",
        missing.len(),
        unexpected.len()
    );
}

#[test]
fn thread_count_changes_only_the_order_of_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/providers");
    let run = |threads: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_secretscan"))
            .args([
                "dir",
                ".",
                "--format",
                "jsonl",
                "--no-ignore",
                "--threads",
                threads,
            ])
            .current_dir(&dir)
            .output()
            .unwrap();
        let mut lines: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(String::from)
            .collect();
        lines.sort();
        (out.status.code(), lines)
    };
    let one = run("1");
    assert_eq!(one.0, Some(1));
    assert!(one.1.len() >= 20);
    assert_eq!(run("4"), one);
}
