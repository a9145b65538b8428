//! The store's behaviour through its public API: schema and migrations,
//! batching, deduplication, incremental look-ups, triage, redaction, crash
//! consistency (dropped writer) and interrupted scans.

mod common;

use std::io;

use common::{count, finding, meta};
use scanner_engine::{DecodeStep, Finding, Fingerprint};
use scanner_fs::{Input, InputOutcome, InputReport, Scanned, Sink, Skip};
use scanner_store::{
    sha256_hex, ContentId, GitProvenance, InputKey, InputKind, ScanCounters, ScanStatus, Store,
    StoreError, StoreSink, TriageStatus, WriterOptions, SCHEMA_VERSION,
};

fn file(key: &str) -> InputKey<'_> {
    InputKey {
        kind: InputKind::File,
        key,
        content_hash: "h1",
    }
}

#[test]
fn open_creates_migrates_and_reopens_idempotently() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let store = Store::open(&path).unwrap();
    let conn = store.connection();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(fk, 1);
    let sync: i64 = conn
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sync, 1, "NORMAL");
    for t in ["scans", "inputs", "findings", "locations", "triage"] {
        assert_eq!(count(&store, t), 0, "{t}");
    }
    let scan = store.begin_scan(&meta("r1")).unwrap();
    drop(store);

    // Re-opening migrates nothing and keeps the data.
    let store = Store::open(&path).unwrap();
    assert_eq!(store.scans().unwrap().len(), 1);
    assert_eq!(store.scan(scan).unwrap().unwrap().meta, meta("r1"));
    assert_eq!(store.integrity_check().unwrap(), "ok");
    drop(store);
    let ro = Store::open_read_only(&path).unwrap();
    assert_eq!(ro.scans().unwrap().len(), 1);
    assert!(
        ro.begin_scan(&meta("r1")).is_err(),
        "read-only never writes"
    );
}

#[test]
fn newer_schema_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let store = Store::open(&path).unwrap();
    store
        .connection()
        .execute_batch(&format!("PRAGMA user_version = {}", SCHEMA_VERSION + 5))
        .unwrap();
    drop(store);
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::TooNew { found, supported }
            if found == SCHEMA_VERSION + 5 && supported == SCHEMA_VERSION),
        "{err:?}"
    );
    assert!(err.to_string().contains("newer"), "{err}");
    assert!(matches!(
        Store::open_read_only(&path),
        Err(StoreError::TooNew { .. })
    ));
    let conn = rusqlite_version(&path);
    assert_eq!(conn, SCHEMA_VERSION + 5, "left untouched");
}

/// The user_version of the file, read without the store's code.
fn rusqlite_version(path: &std::path::Path) -> i64 {
    // Reading the header: bytes 60..64 hold user_version, big-endian.
    let bytes = std::fs::read(path).unwrap();
    i64::from(i32::from_be_bytes(bytes[60..64].try_into().unwrap()))
}

#[test]
fn read_only_open_of_a_missing_or_empty_file_fails() {
    let dir = tempfile::tempdir().unwrap();
    assert!(Store::open_read_only(dir.path().join("none.db")).is_err());
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    assert!(matches!(
        Store::open_read_only(&empty),
        Err(StoreError::NeedsMigration { found: 0, .. })
    ));
}

#[test]
fn ten_thousand_findings_over_two_thousand_inputs_in_few_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store.db")).unwrap();
    let scan = store.begin_scan(&meta("r1")).unwrap();
    let mut w = store.writer(scan, WriterOptions::default()).unwrap();
    for i in 0..2000u64 {
        let path = format!("src/file{i}.rs");
        // Five findings per input; 2500 distinct secrets, each in 4 inputs.
        let batch: Vec<Finding> = (0..5u64)
            .map(|j| finding("generic", &format!("secret-{}", (i * 5 + j) % 2500), j + 1))
            .collect();
        w.record_findings(&path, &batch[..2], None);
        w.record_findings(&path, &batch[2..], None);
        w.record_input(&path, &file(&path), 1000).unwrap();
    }
    let stats = w.finish().unwrap();
    // Each input is 1 input row + 5 findings + 5 locations = 11 rows; a
    // batch commits at the first input boundary past 1000 rows (91 inputs),
    // and `finish` commits the rest.
    let per_batch = 1000usize.div_ceil(11) as u64;
    assert_eq!(stats.commits, 2000 / per_batch + 1);
    assert!(stats.commits <= 25, "{stats:?}");
    assert_eq!(stats.inputs, 2000);
    assert_eq!(stats.locations, 10_000);
    assert_eq!(count(&store, "inputs"), 2000);
    assert_eq!(count(&store, "findings"), 2500);
    assert_eq!(count(&store, "locations"), 10_000);
    let report = store.report(None).unwrap();
    assert_eq!(report.len(), 2500);
    assert!(report.iter().all(|f| f.locations.len() == 4));
}

#[test]
fn findings_dedupe_by_fingerprint_across_inputs_and_scans() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store.db")).unwrap();
    let s1 = store.begin_scan(&meta("r1")).unwrap();
    let mut w = store.writer(s1, WriterOptions::default()).unwrap();
    let mut decoded = finding("aws", "AKIAEXAMPLE", 3);
    decoded.decode_path.push(DecodeStep::Base64);
    w.record_findings("a.env", &[finding("aws", "AKIAEXAMPLE", 1)], None);
    w.record_findings("b.env", &[decoded], None);
    // Same secret, other rule: another fingerprint.
    w.record_findings("b.env", &[finding("generic", "AKIAEXAMPLE", 4)], None);
    w.record_input("a.env", &file("a.env"), 10).unwrap();
    w.record_input("b.env", &file("b.env"), 10).unwrap();
    w.finish().unwrap();
    store.finish_scan(s1, &ScanCounters::default()).unwrap();

    let s2 = store.begin_scan(&meta("r1")).unwrap();
    let mut w = store.writer(s2, WriterOptions::default()).unwrap();
    w.record_findings("c.env", &[finding("aws", "AKIAEXAMPLE", 7)], None);
    w.record_input("c.env", &file("c.env"), 10).unwrap();
    w.finish().unwrap();

    let all = store.report(None).unwrap();
    assert_eq!(all.len(), 2);
    let aws = store
        .finding(Fingerprint::of("aws", b"AKIAEXAMPLE"))
        .unwrap()
        .unwrap();
    assert_eq!(aws.rule_id, "aws");
    assert_eq!(aws.rule_name, "aws name");
    assert_eq!(aws.secret.as_deref(), Some(&b"AKIAEXAMPLE"[..]));
    assert_eq!(aws.secret_sha256, sha256_hex(b"AKIAEXAMPLE"));
    assert_eq!((aws.first_seen_scan, aws.last_seen_scan), (s1, s2));
    let places: Vec<(&str, u64, &str)> = aws
        .locations
        .iter()
        .map(|l| (l.path.as_str(), l.line, l.decode_path.as_str()))
        .collect();
    assert_eq!(
        places,
        [("a.env", 1, ""), ("b.env", 3, "base64"), ("c.env", 7, "")]
    );
    assert_eq!(aws.locations[2].scan, s2);
    assert_eq!(aws.status(), TriageStatus::Open);
}

#[test]
fn rescanning_the_same_content_replaces_its_locations() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store.db")).unwrap();
    for _ in 0..2 {
        let scan = store.begin_scan(&meta("r1")).unwrap();
        let mut w = store.writer(scan, WriterOptions::default()).unwrap();
        w.record_findings("a", &[finding("r", "s1", 1), finding("r", "s2", 2)], None);
        w.record_input("a", &file("a"), 1).unwrap();
        w.finish().unwrap();
    }
    assert_eq!(count(&store, "inputs"), 1);
    assert_eq!(count(&store, "locations"), 2);
}

#[test]
fn incremental_lookups_depend_on_content_and_ruleset() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store.db")).unwrap();
    let s1 = store.begin_scan(&meta("r1")).unwrap();
    let mut w = store.writer(s1, WriterOptions::default()).unwrap();
    let blob = InputKey {
        kind: InputKind::Blob,
        key: "0123abcd",
        content_hash: "0123abcd",
    };
    let prov = GitProvenance {
        commit_id: "c0ffee".into(),
        author_name: "A U Thor".into(),
        author_email: "a@example.com".into(),
        commit_time: 1_700_000_000,
        summary: "add config\n\nlong body".into(),
    };
    w.record_findings(
        "conf/app.yml",
        &[finding("r", "blobsecret", 2)],
        Some(&prov),
    );
    w.record_input("conf/app.yml", &blob, 40).unwrap();
    w.record_findings("a.txt", &[finding("r", "filesecret", 1)], None);
    w.record_input("a.txt", &file("a.txt"), 5).unwrap();
    w.record_input("clean.txt", &file("clean.txt"), 5).unwrap();
    w.finish().unwrap();

    assert!(store.is_scanned(&file("a.txt"), "r1").unwrap());
    assert!(store.is_scanned(&file("clean.txt"), "r1").unwrap());
    assert!(!store.is_scanned(&file("a.txt"), "r2").unwrap());
    let changed = InputKey {
        content_hash: "h2",
        ..file("a.txt")
    };
    assert!(!store.is_scanned(&changed, "r1").unwrap());
    assert!(!store.is_scanned(&file("other.txt"), "r1").unwrap());
    // A blob key is not a file key.
    let as_file = InputKey {
        kind: InputKind::File,
        ..blob
    };
    assert!(!store.is_scanned(&as_file, "r1").unwrap());
    assert!(store.is_scanned(&blob, "r1").unwrap());

    let files = store.scanned_set(InputKind::File, "r1").unwrap();
    assert_eq!(files.len(), 2);
    assert!(files.contains(&("a.txt".to_string(), "h1".to_string())));
    assert!(store.scanned_set(InputKind::File, "r2").unwrap().is_empty());
    assert_eq!(store.scanned_set(InputKind::Blob, "r1").unwrap().len(), 1);

    // What a later scan that skips the unchanged blob reports.
    let known = store.findings_for_input(&blob, "r1").unwrap();
    assert_eq!(known.len(), 1);
    assert_eq!(known[0].secret.as_deref(), Some(&b"blobsecret"[..]));
    let loc = &known[0].locations[0];
    assert_eq!(loc.input_kind, InputKind::Blob);
    assert_eq!(loc.input_key, "0123abcd");
    assert_eq!(loc.path, "conf/app.yml");
    let stored = loc.provenance.as_ref().unwrap();
    assert_eq!(stored.summary, "add config", "first line only");
    assert_eq!(stored.commit_id, "c0ffee");
    assert_eq!(stored.author_email, "a@example.com");
    assert_eq!(stored.commit_time, 1_700_000_000);
    assert!(store
        .findings_for_input(&file("clean.txt"), "r1")
        .unwrap()
        .is_empty());
    assert!(store.findings_for_input(&blob, "r2").unwrap().is_empty());

    // A second scan skips the blob: it and its finding are marked seen.
    let s2 = store.begin_scan(&meta("r1")).unwrap();
    let mut w = store.writer(s2, WriterOptions::default()).unwrap();
    assert!(w.record_unchanged(&blob).unwrap());
    assert!(!w.record_unchanged(&changed).unwrap());
    assert_eq!(w.finish().unwrap().unchanged, 1);
    let f = store
        .finding(Fingerprint::of("r", b"blobsecret"))
        .unwrap()
        .unwrap();
    assert_eq!((f.first_seen_scan, f.last_seen_scan), (s1, s2));
    let g = store
        .finding(Fingerprint::of("r", b"filesecret"))
        .unwrap()
        .unwrap();
    assert_eq!(g.last_seen_scan, s1);
}

#[test]
fn triage_is_checked_filtered_and_survives_rescans() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store.db")).unwrap();
    let scan_once = |store: &Store| {
        let scan = store.begin_scan(&meta("r1")).unwrap();
        let mut w = store.writer(scan, WriterOptions::default()).unwrap();
        let fs = [
            finding("r", "real", 1),
            finding("r", "fake", 2),
            finding("r", "new", 3),
        ];
        w.record_findings("a", &fs, None);
        w.record_input("a", &file("a"), 1).unwrap();
        w.finish().unwrap();
        store.finish_scan(scan, &ScanCounters::default()).unwrap();
    };
    scan_once(&store);
    let real = Fingerprint::of("r", b"real");
    let fake = Fingerprint::of("r", b"fake");
    let unknown = Fingerprint::of("r", b"never seen");
    let err = store
        .triage(unknown, TriageStatus::Accepted, None)
        .unwrap_err();
    assert!(matches!(&err, StoreError::UnknownFingerprint(fp) if *fp == unknown.to_string()));
    store
        .triage(real, TriageStatus::Accepted, Some("rotating, JIRA-1"))
        .unwrap();
    store
        .triage(fake, TriageStatus::Rejected, Some("test fixture"))
        .unwrap();

    let check = |store: &Store| {
        let fps = |s| -> Vec<Fingerprint> {
            let r = store.report(Some(s)).unwrap();
            r.iter().map(|f| f.fingerprint).collect()
        };
        assert_eq!(fps(TriageStatus::Accepted), [real]);
        assert_eq!(fps(TriageStatus::Rejected), [fake]);
        assert_eq!(fps(TriageStatus::Open), [Fingerprint::of("r", b"new")]);
        let acc = store.report(Some(TriageStatus::Accepted)).unwrap();
        let t = acc[0].triage.as_ref().unwrap();
        assert_eq!(t.note.as_deref(), Some("rotating, JIRA-1"));
        assert_eq!(acc[0].locations.len(), 1);
    };
    check(&store);
    scan_once(&store);
    check(&store);

    // Re-deciding replaces the decision; "open" withdraws it.
    store.triage(fake, TriageStatus::Accepted, None).unwrap();
    let f = store.finding(fake).unwrap().unwrap();
    assert_eq!(f.status(), TriageStatus::Accepted);
    assert_eq!(f.triage.unwrap().note, None);
    store.triage(fake, TriageStatus::Open, None).unwrap();
    assert_eq!(
        store.finding(fake).unwrap().unwrap().status(),
        TriageStatus::Open
    );
    assert_eq!(store.report(Some(TriageStatus::Open)).unwrap().len(), 2);
}

/// Every byte the store left on disk: the database, its WAL and index.
fn store_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        all.extend(std::fs::read(e.unwrap().path()).unwrap());
    }
    all
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn redaction_keeps_secret_bytes_out_of_the_files() {
    const SECRET: &str = "ghp_R3dact3dS3cr3tValue0123456789abcdef";
    for redact in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("store.db")).unwrap();
        let scan = store.begin_scan(&meta("r1")).unwrap();
        let opts = WriterOptions {
            redact,
            ..WriterOptions::default()
        };
        let mut w = store.writer(scan, opts).unwrap();
        let mut f = finding("github", SECRET, 1);
        // The engine also carries the match and the encoded text.
        f.matched = format!("token: {SECRET}").into_bytes();
        w.record_findings("x.yml", &[f], None);
        w.record_input("x.yml", &file("x.yml"), 60).unwrap();
        w.finish().unwrap();
        let stored = store.report(None).unwrap().pop().unwrap();
        assert_eq!(stored.secret_sha256, sha256_hex(SECRET.as_bytes()));
        // Checked both before and after the WAL is folded into the file.
        let before = store_bytes(dir.path());
        store
            .connection()
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap();
        let after = store_bytes(dir.path());
        if redact {
            assert_eq!(stored.secret, None);
            assert!(!contains(&before, SECRET.as_bytes()));
            assert!(!contains(&after, SECRET.as_bytes()));
        } else {
            // The search itself works: unredacted, the secret is there.
            assert_eq!(stored.secret.as_deref(), Some(SECRET.as_bytes()));
            assert!(contains(&after, SECRET.as_bytes()));
        }
    }
}

#[test]
fn dropped_writer_loses_only_its_open_batch() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let store = Store::open(&path).unwrap();
    let scan = store.begin_scan(&meta("r1")).unwrap();
    let opts = WriterOptions {
        batch_rows: 1_000_000,
        ..WriterOptions::default()
    };
    let mut w = store.writer(scan, opts).unwrap();
    let names: Vec<String> = (0..6).map(|i| format!("f{i}")).collect();
    for (i, name) in names.iter().enumerate() {
        w.record_findings(name, &[finding("r", &format!("s{i}"), 1)], None);
        w.record_input(name, &file(name), 1).unwrap();
        if i == 2 {
            w.flush().unwrap();
        }
    }
    // Findings of an input never completed are held, never written.
    w.record_findings("partial", &[finding("r", "p", 1)], None);
    assert_eq!(w.stats().commits, 1);
    drop(w);
    drop(store);

    let store = Store::open(&path).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let fk: i64 = store
        .connection()
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(fk, 0);
    for (i, name) in names.iter().enumerate() {
        assert_eq!(
            store.is_scanned(&file(name), "r1").unwrap(),
            i <= 2,
            "{name}"
        );
    }
    assert_eq!(count(&store, "findings"), 3);
    assert_eq!(count(&store, "locations"), 3);
}

#[test]
fn running_scans_are_marked_interrupted_by_the_next_begin() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store.db")).unwrap();
    let killed = store.begin_scan(&meta("r1")).unwrap();
    let next = store.begin_scan(&meta("r1")).unwrap();
    assert_ne!(killed, next);
    assert_eq!(
        store.scan(killed).unwrap().unwrap().status,
        ScanStatus::Interrupted
    );
    assert_eq!(
        store.scan(next).unwrap().unwrap().status,
        ScanStatus::Running
    );
    let counters = ScanCounters {
        inputs_scanned: 10,
        inputs_unchanged: 5,
        inputs_skipped: 2,
        bytes_scanned: 12345,
        findings: 3,
    };
    store.finish_scan(next, &counters).unwrap();
    let rec = store.scan(next).unwrap().unwrap();
    assert_eq!(rec.status, ScanStatus::Complete);
    assert_eq!(rec.counters, counters);
    assert!(rec.finished_at.unwrap() >= rec.started_at);
    // A complete scan stays complete.
    store.begin_scan(&meta("r1")).unwrap();
    assert_eq!(
        store.scan(next).unwrap().unwrap().status,
        ScanStatus::Complete
    );
    assert!(matches!(
        store.finish_scan(scanner_store::ScanId(999), &counters),
        Err(StoreError::UnknownScan(999))
    ));
    assert!(matches!(
        store.writer(scanner_store::ScanId(999), WriterOptions::default()),
        Err(StoreError::UnknownScan(999))
    ));
}

/// Collects what a [`StoreSink`] forwards.
#[derive(Default)]
struct Collect {
    findings: Vec<(String, usize)>,
    done: Vec<String>,
}

impl Sink for Collect {
    fn findings(&mut self, input: &Input, findings: Vec<Finding>) -> io::Result<()> {
        self.findings.push((input.path.to_string(), findings.len()));
        Ok(())
    }
    fn input_done(&mut self, report: &InputReport) -> io::Result<()> {
        self.done.push(report.input.path.to_string());
        Ok(())
    }
}

fn scanned(path: &str, bytes: u64, read_error: Option<&str>) -> InputReport {
    InputReport {
        input: Input::path(path),
        outcome: InputOutcome::Scanned(Box::new(Scanned {
            bytes,
            read_error: read_error.map(str::to_string),
            ..Scanned::default()
        })),
    }
}

#[test]
fn store_sink_records_identified_inputs_and_forwards_everything() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store.db")).unwrap();
    let scan = store.begin_scan(&meta("r1")).unwrap();
    let w = store.writer(scan, WriterOptions::default()).unwrap();
    let mut sink = StoreSink::new(Collect::default(), w, |r: &InputReport| {
        (&*r.input.path != "unhashable").then(|| ContentId {
            content_hash: sha256_hex(r.input.path.as_bytes()),
            size: 7,
        })
    });
    let feed: &mut dyn Sink = &mut sink;
    feed.findings(&Input::path("a"), vec![finding("r", "sa", 1)])
        .unwrap();
    feed.findings(&Input::path("a"), vec![finding("r", "sa2", 2)])
        .unwrap();
    feed.input_done(&scanned("a", 7, None)).unwrap();
    feed.findings(&Input::path("torn"), vec![finding("r", "st", 1)])
        .unwrap();
    feed.input_done(&scanned("torn", 3, Some("I/O error")))
        .unwrap();
    feed.findings(&Input::path("unhashable"), vec![finding("r", "su", 1)])
        .unwrap();
    feed.input_done(&scanned("unhashable", 3, None)).unwrap();
    feed.input_done(&InputReport {
        input: Input::path("bin"),
        outcome: InputOutcome::Skipped(Skip::Binary),
    })
    .unwrap();
    let counters = sink.counters();
    assert_eq!(
        (
            counters.inputs_scanned,
            counters.inputs_skipped,
            counters.findings,
            counters.bytes_scanned
        ),
        (3, 1, 4, 13)
    );
    let (inner, stats) = sink.finish().unwrap();
    assert_eq!(inner.findings.len(), 4);
    assert_eq!(inner.done, ["a", "torn", "unhashable", "bin"]);
    assert_eq!(stats.inputs, 1);
    let a = InputKey {
        kind: InputKind::File,
        key: "a",
        content_hash: &sha256_hex(b"a"),
    };
    assert!(store.is_scanned(&a, "r1").unwrap());
    assert_eq!(store.findings_for_input(&a, "r1").unwrap().len(), 2);
    assert_eq!(count(&store, "inputs"), 1);
    assert_eq!(count(&store, "findings"), 2);
}

#[test]
fn readers_see_committed_batches_only_and_are_not_blocked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let store = Store::open(&path).unwrap();
    let scan = store.begin_scan(&meta("r1")).unwrap();
    let mut w = store.writer(scan, WriterOptions::default()).unwrap();
    w.record_findings("a", &[finding("r", "sa", 1)], None);
    w.record_input("a", &file("a"), 1).unwrap();
    // The batch is open (write lock held): readers go on, without it.
    let reader = Store::open_read_only(&path).unwrap();
    assert!(reader.report(None).unwrap().is_empty());
    assert!(!store.is_scanned(&file("a"), "r1").unwrap());
    w.flush().unwrap();
    assert_eq!(reader.report(None).unwrap().len(), 1);
    assert!(store.is_scanned(&file("a"), "r1").unwrap());
}
