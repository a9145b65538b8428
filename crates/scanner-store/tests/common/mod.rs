//! Helpers shared by the store's integration tests.
#![allow(dead_code)]

use scanner_engine::Finding;
use scanner_store::{ScanMeta, Store};

/// A finding of `rule` for `secret` at line `line` (offsets derived from
/// it), as the engine would report it.
pub fn finding(rule: &str, secret: &str, line: u64) -> Finding {
    let start = line * 100;
    let mut f = Finding::for_secret(rule, &format!("{rule} name"), secret.as_bytes());
    f.start = start;
    f.end = start + secret.len() as u64;
    f.encoded_start = start;
    f.encoded_end = start + secret.len() as u64;
    f.line = line;
    f.column = 5;
    f.matched = format!("key = {secret}").into_bytes();
    f.entropy = 4.0;
    f
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
