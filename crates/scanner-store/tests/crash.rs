//! Crash consistency with a real crash: a child process (this test binary
//! again, running only `crash_child`) records inputs, commits some, and
//! aborts mid-batch with no destructor run. The parent then checks that the
//! database is sound, holds exactly the committed inputs, and that the
//! next scan marks the dead scan interrupted.

mod common;

use std::process::Command;

use common::{count, finding, meta};
use scanner_store::{InputKey, InputKind, ScanStatus, Store, WriterOptions};

const DB_VAR: &str = "SECRETSCAN_STORE_CRASH_DB";
const COMMITTED: usize = 40;
const TOTAL: usize = 45;

fn key(name: &str) -> InputKey<'_> {
    InputKey {
        kind: InputKind::File,
        key: name,
        content_hash: "c",
    }
}

/// The child's work; does nothing unless run by the parent.
#[test]
fn crash_child() {
    let Ok(db) = std::env::var(DB_VAR) else {
        return;
    };
    let store = Store::open(&db).unwrap();
    let scan = store.begin_scan(&meta("r1")).unwrap();
    // Each input is 1 + 2 * 3 = 7 rows: with batches of 70 rows, inputs
    // 0..40 are committed by the 4th batch and 40..45 stay open.
    let opts = WriterOptions {
        batch_rows: 70,
        ..WriterOptions::default()
    };
    let mut w = store.writer(scan, opts).unwrap();
    for i in 0..TOTAL {
        let name = format!("f{i}");
        let fs: Vec<_> = (0..3)
            .map(|j| finding("r", &format!("s{}", i * 3 + j), j as u64 + 1))
            .collect();
        w.record_findings(&name, &fs, None);
        w.record_input(&name, &key(&name), 10).unwrap();
    }
    assert_eq!(w.stats().commits, (COMMITTED / 10) as u64);
    std::process::abort();
}

#[test]
fn a_kill_mid_batch_leaves_a_consistent_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["crash_child", "--exact", "--test-threads=1", "--nocapture"])
        .env(DB_VAR, &db)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the child aborts");
    assert!(!stderr.contains("panicked"), "the child failed: {stderr}");
    // The child left its WAL behind (no clean close).
    assert!(dir.path().join("store.db-wal").exists());

    let store = Store::open(&db).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let scanned = store.scanned_set(InputKind::File, "r1").unwrap();
    assert_eq!(scanned.len(), COMMITTED);
    for i in 0..TOTAL {
        let name = format!("f{i}");
        assert_eq!(scanned.contains(&(name, "c".to_string())), i < COMMITTED);
    }
    assert_eq!(count(&store, "findings"), (COMMITTED * 3) as i64);
    assert_eq!(count(&store, "locations"), (COMMITTED * 3) as i64);
    let dead = store.scans().unwrap()[0].id;
    assert_eq!(
        store.scan(dead).unwrap().unwrap().status,
        ScanStatus::Running
    );
    store.begin_scan(&meta("r1")).unwrap();
    assert_eq!(
        store.scan(dead).unwrap().unwrap().status,
        ScanStatus::Interrupted
    );
}
