//! `secretscan dir` in CI use: inline allow markers, --ignore-comment,
//! baselines, the configuration file, excludes, ignore files, skipped
//! inputs and exit codes, all through the binary.

mod common;

use std::fs;
use std::path::Path;

use common::{b64, secretscan, stderr, stdout, TOKEN};

/// A second made-up token, so two findings differ by fingerprint.
const TOKEN2: &str = "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";

fn jsonl(o: &std::process::Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("jsonl line"))
        .collect()
}

fn scan(dir: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["dir", ".", "--format", "jsonl"];
    args.extend_from_slice(extra);
    secretscan(&args, dir)
}

fn secrets(o: &std::process::Output) -> Vec<String> {
    let mut v: Vec<String> = jsonl(o)
        .iter()
        .map(|f| f["secret"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn inline_allow_marker_suppresses_its_line_only() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("a.py"),
        format!("t1 = '{TOKEN}'  # secretscan:allow\nt2 = '{TOKEN2}'\n"),
    )
    .unwrap();
    let o = scan(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(secrets(&o), [TOKEN2]);
    assert!(
        stderr(&o).contains("suppressed: 1 inline"),
        "{}",
        stderr(&o)
    );

    // A marker before the secret on the same line counts too, and a
    // Base64-encoded secret is judged by the line of its encoded text.
    fs::write(
        dir.path().join("a.py"),
        format!(
            "# secretscan:allow {TOKEN2}\nblob = '{}'\n",
            b64(format!("key={TOKEN}").as_bytes())
        ),
    )
    .unwrap();
    let o = scan(dir.path(), &[]);
    assert_eq!(secrets(&o), [TOKEN]);
}

#[test]
fn ignore_comment_honours_other_tools_markers() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("a.env"),
        format!("A={TOKEN} # gitleaks:allow\nB={TOKEN2} # nosec\n"),
    )
    .unwrap();
    let o = scan(dir.path(), &[]);
    assert_eq!(secrets(&o).len(), 2);
    let o = scan(dir.path(), &["--ignore-comment", "gitleaks:allow"]);
    assert_eq!(secrets(&o), [TOKEN2]);
    let o = scan(
        dir.path(),
        &[
            "--ignore-comment",
            "gitleaks:allow",
            "--ignore-comment",
            "nosec",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = scan(dir.path(), &["--ignore-comment", " "]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--ignore-comment"), "{}", stderr(&o));
}

#[test]
fn markers_work_in_streamed_files() {
    // Over the 8 MiB whole-read limit: streamed in blocks; the marker ends a
    // line that starts in one block and ends in another.
    let dir = tempfile::tempdir().unwrap();
    let mut text = "filler line of plain text\n".repeat(400_000);
    let pad = 65_536 - text.len() % 65_536 - 20;
    text.push_str(&"y".repeat(pad));
    text.push_str(&format!(
        " {TOKEN} {} secretscan:allow\n",
        "z".repeat(70_000)
    ));
    text.push_str(&format!("k={TOKEN2}\n"));
    fs::write(dir.path().join("big.log"), &text).unwrap();
    let o = scan(dir.path(), &[]);
    assert_eq!(secrets(&o), [TOKEN2], "{}", stderr(&o));
}

#[test]
fn baseline_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("old.txt"), format!("k={TOKEN}\n")).unwrap();
    let o = scan(dir.path(), &["--write-baseline", "baseline.txt"]);
    assert_eq!(o.status.code(), Some(1));
    let text = fs::read_to_string(dir.path().join("baseline.txt")).unwrap();
    let fp = jsonl(&o)[0]["fingerprint"].as_str().unwrap().to_string();
    assert!(text.starts_with("# secretscan baseline"), "{text}");
    assert!(
        text.contains(&format!("{fp} github-pat-classic old.txt:1")),
        "{text}"
    );
    assert!(!text.contains(TOKEN), "the baseline holds no secret");

    // Known finding suppressed; a new one still reported.
    fs::write(dir.path().join("new.txt"), format!("k={TOKEN2}\n")).unwrap();
    let o = scan(dir.path(), &["--baseline", "baseline.txt"]);
    assert_eq!(secrets(&o), [TOKEN2]);
    assert!(stderr(&o).contains("1 baseline"), "{}", stderr(&o));

    // Writing again is stable (sorted) and complete.
    let o = scan(dir.path(), &["--write-baseline", "b2.txt"]);
    assert_eq!(o.status.code(), Some(1));
    let again = scan(
        dir.path(),
        &["--threads", "1", "--write-baseline", "b3.txt"],
    );
    assert_eq!(again.status.code(), Some(1));
    let b2 = fs::read_to_string(dir.path().join("b2.txt")).unwrap();
    assert_eq!(b2, fs::read_to_string(dir.path().join("b3.txt")).unwrap());
    assert_eq!(b2.lines().filter(|l| !l.starts_with('#')).count(), 2);

    fs::write(dir.path().join("bad.txt"), "0123 rule p:1\n").unwrap();
    let o = scan(dir.path(), &["--baseline", "bad.txt"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("bad.txt:1"), "{}", stderr(&o));
}

#[test]
fn config_file_at_the_root() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("fixtures")).unwrap();
    fs::write(dir.path().join("fixtures/k.txt"), format!("k={TOKEN}\n")).unwrap();
    fs::write(
        dir.path().join("app.txt"),
        format!("k={TOKEN2}\nacme_{}\n", "a1".repeat(16)),
    )
    .unwrap();
    fs::write(
        dir.path().join("secretscan.toml"),
        r#"
exclude = ["fixtures/**"]
[allowlist]
values = ["placeholder-never-matches"]
[[rules]]
id = "acme-key"
name = "Acme key"
regex = '''\b(acme_[a-z0-9]{32})\b'''
"#,
    )
    .unwrap();
    let o = scan(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let found = jsonl(&o);
    let rules: Vec<&str> = found
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["github-pat-classic", "acme-key"], "{}", stdout(&o));
    assert!(found.iter().all(|f| f["path"] == "app.txt"));

    // Allowlisted value and disabled rule.
    fs::write(
        dir.path().join("secretscan.toml"),
        "disable_rules = [\"github-pat-classic\"]\n",
    )
    .unwrap();
    let o = scan(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(jsonl(&o).is_empty());
    // --no-config brings the rule back.
    let o = scan(dir.path(), &["--no-config"]);
    assert_eq!(secrets(&o), [TOKEN2, TOKEN]);
    // An allowlist regex suppresses and is counted.
    fs::write(
        dir.path().join("secretscan.toml"),
        "[allowlist]\nregexes = ['''^ghp_Q8''']\nvalues = [\"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\"]\n",
    )
    .unwrap();
    let o = scan(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stderr(&o).contains("3 allowlist"), "{}", stderr(&o));
}

#[test]
fn invalid_config_names_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.txt"), "nothing\n").unwrap();
    fs::write(
        dir.path().join("secretscan.toml"),
        "exclude = []\nexcludes = [\"x\"]\n",
    )
    .unwrap();
    let o = scan(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("secretscan.toml") && err.contains("line 2") && err.contains("excludes"),
        "{err}"
    );

    fs::write(
        dir.path().join("other.toml"),
        "disable_rules = [\"no-such-rule\"]\n",
    )
    .unwrap();
    let o = scan(dir.path(), &["--config", "other.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("other.toml") && stderr(&o).contains("no-such-rule"),
        "{}",
        stderr(&o)
    );

    let o = scan(dir.path(), &["--config", "missing.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("missing.toml"), "{}", stderr(&o));
}

#[test]
fn excludes_ignore_files_and_hidden_files() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    for sub in ["vendor/lib", "src", ".config", ".git"] {
        fs::create_dir_all(p.join(sub)).unwrap();
    }
    fs::write(p.join("vendor/lib/x.txt"), format!("k={TOKEN}\n")).unwrap();
    fs::write(p.join("src/app.min.js"), format!("k={TOKEN}\n")).unwrap();
    fs::write(p.join("src/ignored.txt"), format!("k={TOKEN}\n")).unwrap();
    fs::write(p.join(".config/hidden.env"), format!("k={TOKEN}\n")).unwrap();
    fs::write(p.join(".git/config"), format!("k={TOKEN}\n")).unwrap();
    fs::write(p.join(".gitignore"), "ignored.txt\n").unwrap();
    let paths = |o: &std::process::Output| {
        let mut v: Vec<String> = jsonl(o)
            .iter()
            .map(|f| f["path"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    let o = scan(p, &[]);
    assert_eq!(
        paths(&o),
        [".config/hidden.env", "src/app.min.js", "vendor/lib/x.txt"]
    );
    let o = scan(p, &["--exclude", "vendor", "--exclude", "*.min.js"]);
    assert_eq!(paths(&o), [".config/hidden.env"]);
    let o = scan(p, &["--exclude", "vendor/lib/**", "--no-ignore"]);
    assert_eq!(
        paths(&o),
        [".config/hidden.env", "src/app.min.js", "src/ignored.txt"]
    );
    let o = scan(p, &["--exclude", "["]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("`[`"), "{}", stderr(&o));
}

#[cfg(unix)]
#[test]
fn fifos_symlinks_and_unscannable_inputs() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    fs::write(p.join("real.txt"), format!("k={TOKEN}\n")).unwrap();
    fs::create_dir(p.join("links")).unwrap();
    symlink(p.join("real.txt"), p.join("links/link.txt")).unwrap();
    let fifo = p.join("links/pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    let have_fifo = made.is_ok_and(|s| s.success());

    // Symlinks are not followed by default; --follow follows them.
    let o = secretscan(&["dir", "links", "--format", "jsonl", "--verbose"], p);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    if have_fifo {
        let err = stderr(&o);
        assert!(err.contains("1 not a regular file"), "{err}");
        assert!(err.contains("links/pipe: not a regular file"), "{err}");
    }
    let o = secretscan(&["dir", "links", "--format", "jsonl", "--follow"], p);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(secrets(&o), [TOKEN]);

    // Only a dangling link, followed: nothing could be scanned: exit 2.
    let lonely = tempfile::tempdir().unwrap();
    symlink(lonely.path().join("gone"), lonely.path().join("dangling")).unwrap();
    let o = secretscan(&["dir", ".", "--follow", "--verbose"], lonely.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("dangling"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("nothing could be scanned"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn quiet_prints_no_summary_but_still_warns() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.txt"), format!("k={TOKEN}\n")).unwrap();
    let o = secretscan(&["dir", ".", "--quiet"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "");
    let o = secretscan(&["dir", "."], dir.path());
    assert!(
        stderr(&o).contains("1 finding(s) in 1 file(s)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn dir_store_skips_unchanged_files_and_reports_what_it_knows() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    fs::create_dir(p.join("src")).unwrap();
    fs::write(p.join("src/a.env"), format!("A={TOKEN}\n")).unwrap();
    fs::write(p.join("src/b.txt"), "nothing here\n").unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["dir", "src", "--format", "jsonl", "--store", "s.db"];
        args.extend_from_slice(extra);
        secretscan(&args, p)
    };
    let first = run(&[]);
    assert_eq!(first.status.code(), Some(1), "{}", stderr(&first));
    assert_eq!(secrets(&first), [TOKEN]);
    let again = run(&[]);
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
    assert_eq!(secrets(&again), [TOKEN], "known findings are reported");
    assert!(stderr(&again).contains("2 unchanged"), "{}", stderr(&again));
    // A changed file is scanned again; the unchanged one is not.
    std::thread::sleep(std::time::Duration::from_millis(20));
    fs::write(p.join("src/b.txt"), format!("B={TOKEN2}\n")).unwrap();
    let third = run(&[]);
    assert_eq!(secrets(&third), [TOKEN2, TOKEN]);
    assert!(stderr(&third).contains("1 unchanged"), "{}", stderr(&third));
    // Other rules (a disabled one) mean a full rescan.
    fs::write(
        p.join("secretscan.toml"),
        "disable_rules = [\"aws-access-key-id\"]\n",
    )
    .unwrap();
    let o = secretscan(
        &[
            "dir",
            "src",
            "--format",
            "jsonl",
            "--store",
            "s.db",
            "--config",
            "secretscan.toml",
        ],
        p,
    );
    assert!(!stderr(&o).contains("unchanged"), "{}", stderr(&o));
    assert_eq!(secrets(&o), [TOKEN2, TOKEN]);
}

#[test]
fn the_output_file_is_not_scanned() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.env"), format!("A={TOKEN}\n")).unwrap();
    for _ in 0..2 {
        let o = secretscan(
            &["dir", ".", "--format", "jsonl", "--output", "report.jsonl"],
            dir.path(),
        );
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let report = fs::read_to_string(dir.path().join("report.jsonl")).unwrap();
        assert_eq!(report.lines().count(), 1, "{report}");
    }
}
