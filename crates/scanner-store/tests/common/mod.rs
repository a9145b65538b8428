//! Helpers shared by the store's integration tests.
#![allow(dead_code)]

use std::sync::Arc;

use scanner_engine::{DecodePath, Finding, Fingerprint};
use scanner_store::{ScanMeta, Store};

/// A finding of `rule` for `secret` at line `line` (offsets derived from
/// it), as the engine would report it.
pub fn finding(rule: &str, secret: &str, line: u64) -> Finding {
    let start = line * 100;
    Finding {
        rule_id: Arc::from(rule),
        rule_name: Arc::from(format!("{rule} name")),
        start,
        end: start + secret.len() as u64,
        encoded_start: start,
        encoded_end: start + secret.len() as u64,
        line,
        column: 5,
        secret: secret.as_bytes().to_vec(),
        matched: format!("key = {secret}").into_bytes(),
        encoded: secret.as_bytes().to_vec(),
        entropy: 4.0,
        decode_path: DecodePath::new(),
        fingerprint: Fingerprint::of(rule, secret.as_bytes()),
    }
}

pub fn meta(ruleset: &str) -> ScanMeta {
    ScanMeta {
        tool_version: "0.1.0".into(),
        ruleset_hash: ruleset.into(),
        description: "secretscan dir .".into(),
    }
}

pub fn count(store: &Store, table: &str) -> i64 {
    store
        .connection()
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}
