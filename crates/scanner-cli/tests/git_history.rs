//! `secretscan git` on repositories built here with the `git` command:
//! secrets added then deleted, on a side branch only, in a merge, in a
//! renamed file, in a binary blob and Base64-encoded; each found once and
//! attributed to the commit and path that introduced it. `--staged` sees
//! what is staged and nothing else. With `--store`, a rescan skips every
//! blob and reports the same findings; a scan killed at any point and run
//! again ends with the findings of an uninterrupted scan.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use common::{b64, secretscan, stderr, stdout, TOKEN};
use scanner_engine::Checksum;

const TOKEN2: &str = "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";
const TOKEN3: &str = "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";
const TOKEN4: &str = "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";

fn git(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Ada Author")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Ada Author")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .env("GIT_AUTHOR_DATE", "2024-01-02T03:04:05Z")
        .env("GIT_COMMITTER_DATE", "2024-01-02T03:04:05Z")
        .output()
        .expect("git is installed");
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

fn commit(dir: &Path, msg: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", msg]);
    git(dir, &["rev-parse", "HEAD"])
}

fn findings(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("jsonl"))
        .collect()
}

/// (secret, path, introducing commit) of each finding, sorted.
fn attributed(o: &Output) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = findings(o)
        .iter()
        .map(|f| {
            (
                f["secret"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["git"]["commit"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// A repository exercising the history cases; returns it with the
/// expected attribution.
fn history_repo() -> (tempfile::TempDir, Vec<(String, String, String)>) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    git(p, &["init", "-q", "-b", "main"]);
    fs::write(p.join("README"), "hello\n").unwrap();
    let c0 = commit(p, "initial");
    // Added, then deleted.
    fs::write(p.join("config.py"), format!("TOKEN = '{TOKEN}'\n")).unwrap();
    let c1 = commit(p, "add config");
    fs::remove_file(p.join("config.py")).unwrap();
    commit(p, "remove the token");
    // Renamed later: attributed to the commit that introduced the blob.
    fs::write(p.join("old.env"), format!("KEY={TOKEN2}\n")).unwrap();
    let c3 = commit(p, "add env");
    git(p, &["mv", "old.env", "new.env"]);
    commit(p, "rename env");
    // Binary blob: skipped as binary.
    fs::write(
        p.join("blob.bin"),
        [b"\0\0\x01".as_slice(), TOKEN.as_bytes()].concat(),
    )
    .unwrap();
    commit(p, "add binary");
    // Side branch only, then merged: Base64-encoded secret.
    git(p, &["checkout", "-q", "-b", "side"]);
    let encoded = b64(format!("token={TOKEN3}\n").as_bytes());
    fs::write(p.join("k8s.yaml"), format!("data:\n  token: {encoded}\n")).unwrap();
    let c6 = commit(p, "side: add secret manifest");
    // A branch that is never merged.
    git(p, &["checkout", "-q", "-b", "unmerged", "main"]);
    fs::write(p.join("wip.txt"), format!("wip {TOKEN4}\n")).unwrap();
    let c7 = commit(p, "wip");
    git(p, &["checkout", "-q", "main"]);
    git(p, &["merge", "-q", "--no-ff", "-m", "merge side", "side"]);
    let _ = c0;
    let mut expected = vec![
        (TOKEN.to_string(), "config.py".to_string(), c1),
        (TOKEN2.to_string(), "old.env".to_string(), c3),
        (TOKEN3.to_string(), "k8s.yaml".to_string(), c6),
        (TOKEN4.to_string(), "wip.txt".to_string(), c7),
    ];
    expected.sort();
    (dir, expected)
}

#[test]
fn history_cases_are_found_once_and_attributed() {
    let (dir, expected) = history_repo();
    let o = secretscan(&["git", ".", "--format", "jsonl"], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(attributed(&o), expected, "{}", stdout(&o));
    let all = findings(&o);
    let encoded = all.iter().find(|f| f["secret"] == TOKEN3).unwrap();
    assert_eq!(encoded["decode_path"], serde_json::json!(["base64"]));
    let f = &all[0]["git"];
    assert_eq!(f["author_name"], "Ada Author");
    assert_eq!(f["author_email"], "ada@example.com");
    assert_eq!(f["date"], "2024-01-02T03:04:05Z");
    // The renamed blob lists its second path.
    let renamed = all.iter().find(|f| f["secret"] == TOKEN2).unwrap();
    assert_eq!(renamed["git"]["also"][0]["path"], "new.env", "{renamed}");
    let err = stderr(&o);
    assert!(err.contains("1 binary"), "{err}");

    // A bare clone gives the same result.
    let bare = tempfile::tempdir().unwrap();
    let src = dir.path().to_str().unwrap();
    git(
        bare.path(),
        &["clone", "-q", "--bare", "--mirror", src, "repo.git"],
    );
    git(&bare.path().join("repo.git"), &["gc", "-q"]);
    let o = secretscan(&["git", "repo.git", "--format", "jsonl"], bare.path());
    assert_eq!(attributed(&o), expected, "{}", stderr(&o));

    // --branch main leaves out the unmerged branch; --since-commit leaves
    // out what came before.
    let o = secretscan(
        &["git", ".", "--format", "jsonl", "--branch", "main"],
        dir.path(),
    );
    let secrets: Vec<String> = attributed(&o).into_iter().map(|t| t.0).collect();
    assert!(!secrets.contains(&TOKEN4.to_string()), "{secrets:?}");
    assert_eq!(secrets.len(), 3);
    let o = secretscan(
        &[
            "git",
            ".",
            "--format",
            "jsonl",
            "--branch",
            "main",
            "--since-commit",
            "side",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));

    let o = secretscan(&["git", "no-such-dir"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no-such-dir"), "{}", stderr(&o));
    let o = secretscan(&["git", ".", "--branch", "nope"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nope"), "{}", stderr(&o));
}

#[test]
fn staged_scans_the_index_only() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    git(p, &["init", "-q", "-b", "main"]);
    fs::write(p.join("a.txt"), format!("old {TOKEN}\n")).unwrap();
    commit(p, "committed secret");
    fs::write(p.join("staged.txt"), format!("k={TOKEN2}\n")).unwrap();
    git(p, &["add", "staged.txt"]);
    fs::write(p.join("unstaged.txt"), format!("k={TOKEN3}\n")).unwrap();
    let o = secretscan(&["git", "--staged", "--format", "jsonl"], p);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let got: Vec<String> = attributed(&o)
        .into_iter()
        .map(|t| t.0 + " " + &t.1)
        .collect();
    assert_eq!(got, [format!("{TOKEN2} staged.txt")]);
    git(p, &["reset", "-q"]);
    let o = secretscan(&["git", "--staged", "--format", "jsonl"], p);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn store_rescan_skips_known_blobs_and_reports_the_same_findings() {
    let (dir, expected) = history_repo();
    let p = dir.path();
    let first = secretscan(&["git", ".", "--format", "jsonl", "--store", "s.db"], p);
    assert_eq!(attributed(&first), expected);
    let again = secretscan(&["git", ".", "--format", "jsonl", "--store", "s.db"], p);
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(attributed(&again), expected, "{}", stderr(&again));
    let err = stderr(&again);
    // Every commit is covered by the store: no tree walked, no blob read.
    assert!(
        err.contains("in 0 blob(s)")
            && err.contains("9 commit(s) covered by the store")
            && err.contains("4 finding(s) known from the store"),
        "{err}"
    );
    // A new commit is walked; its new blob scanned, the rest known.
    git(p, &["checkout", "-q", "main"]);
    fs::write(p.join("late.txt"), format!("late {TOKEN4}\n")).unwrap();
    let late = commit(p, "late");
    let third = secretscan(&["git", ".", "--format", "jsonl", "--store", "s.db"], p);
    let got = attributed(&third);
    assert_eq!(got.len(), expected.len() + 1, "{}", stderr(&third));
    assert!(got.contains(&(TOKEN4.to_string(), "late.txt".to_string(), late)));

    // report and triage.
    let o = secretscan(&["report", "--store", "s.db", "--format", "jsonl"], p);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let fp = findings(&o).iter().find(|f| f["secret"] == TOKEN).unwrap()["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    let o = secretscan(
        &[
            "triage",
            &fp,
            "reject",
            "--note",
            "test data",
            "--store",
            "s.db",
        ],
        p,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = secretscan(
        &[
            "report", "--store", "s.db", "--format", "jsonl", "--status", "open",
        ],
        p,
    );
    assert!(findings(&o).iter().all(|f| f["secret"] != TOKEN));
    let o = secretscan(
        &[
            "report", "--store", "s.db", "--format", "jsonl", "--status", "rejected",
        ],
        p,
    );
    assert_eq!(findings(&o).len(), 1);
    let o = secretscan(
        &["triage", "0123456789abcdef", "accept", "--store", "s.db"],
        p,
    );
    assert_eq!(o.status.code(), Some(2));
    let o = secretscan(&["triage", "xyz", "accept", "--store", "s.db"], p);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("xyz"), "{}", stderr(&o));

    // --redact keeps secrets out of the database.
    let o = secretscan(
        &[
            "git", ".", "--format", "jsonl", "--store", "r.db", "--redact",
        ],
        p,
    );
    assert_eq!(o.status.code(), Some(1));
    let db = fs::read(p.join("r.db")).unwrap();
    let wal = fs::read(p.join("r.db-wal")).unwrap_or_default();
    for t in [TOKEN, TOKEN2, TOKEN3, TOKEN4] {
        let hit = |hay: &[u8]| hay.windows(t.len()).any(|w| w == t.as_bytes());
        assert!(!hit(&db) && !hit(&wal), "{t} stored in spite of --redact");
    }
}

#[cfg(unix)]
#[test]
fn a_killed_scan_resumes_to_the_same_findings() {
    use std::time::Duration;
    // Enough blobs that a kill lands mid-scan: 400 commits of 5 files.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    git(p, &["init", "-q", "-b", "main"]);
    let mut fast_import = String::new();
    for c in 0..400 {
        fast_import.push_str("commit refs/heads/main\n");
        fast_import.push_str("committer Ada <ada@example.com> 1700000000 +0000\n");
        let msg = format!("commit {c}");
        fast_import.push_str(&format!("data {}\n{msg}\n", msg.len()));
        for f in 0..5 {
            let body = if (c * 5 + f) % 97 == 0 {
                // A distinct token per commit, with a valid checksum.
                let token = Checksum::make_crc_token("ghp_", &format!("{}{c:04}", &TOKEN[4..30]));
                format!("n={c} f={f} k={token}\n")
            } else {
                format!("n={c} f={f} {}\n", "filler text ".repeat(1000))
            };
            fast_import.push_str(&format!(
                "M 644 inline f{f}.txt\ndata {}\n{body}\n",
                body.len()
            ));
        }
    }
    let mut child = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(p)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(fast_import.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());

    let full = secretscan(&["git", ".", "--format", "jsonl", "--threads", "1"], p);
    let expected = attributed(&full);
    assert!(expected.len() >= 20, "{}", expected.len());
    let mut resumed_mid_scan = 0;
    let mut reruns = Vec::new();
    for delay_ms in [0u64, 5, 20, 60] {
        let db = format!("kill{delay_ms}.db");
        let mut run = Command::new(env!("CARGO_BIN_EXE_secretscan"))
            .args([
                "git",
                ".",
                "--format",
                "jsonl",
                "--threads",
                "1",
                "--store",
                &db,
            ])
            .current_dir(p)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Wait until the scan has committed its first batch of blobs, then
        // let it run a little more before SIGKILL.
        let started = std::time::Instant::now();
        let committed = || {
            scanner_store::Store::open_read_only(p.join(&db))
                .ok()
                .and_then(|s| {
                    s.connection()
                        .query_row("SELECT count(*) FROM inputs", [], |r| r.get::<_, i64>(0))
                        .ok()
                })
                .unwrap_or(0)
        };
        while committed() == 0 && started.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = run.kill(); // SIGKILL
        let _ = run.wait();
        let rerun = secretscan(
            &[
                "git",
                ".",
                "--format",
                "jsonl",
                "--threads",
                "1",
                "--store",
                &db,
            ],
            p,
        );
        let err = stderr(&rerun);
        assert_eq!(
            attributed(&rerun),
            expected,
            "after a kill {delay_ms} ms into the scan: {err}"
        );
        // Both blobs known from the killed run and blobs scanned anew.
        let unchanged = err.contains("unchanged") && !err.contains(" 0 unchanged");
        let fresh = !err.contains("in 0.0 MB");
        if unchanged && fresh {
            resumed_mid_scan += 1;
        }
        reruns.push(err.clone());
        let store = scanner_store::Store::open(p.join(&db)).unwrap();
        assert_eq!(store.integrity_check().unwrap(), "ok");
    }
    assert!(
        resumed_mid_scan > 0,
        "no kill landed mid-scan; the repository is too small for this machine: {reruns:#?}"
    );
}
