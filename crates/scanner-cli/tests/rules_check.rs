//! `secretscan rules check` and `--rules` with foreign rule formats: output
//! lines, warnings naming file and rule, and exit codes.

mod common;

use common::{secretscan, stderr, stdout};

use std::fs;

const PASSING: &str = r#"
[[rules]]
id = "acme-token"
name = "Acme token"
regex = '''\b(acme_[a-z0-9]{16})\b'''
examples = ["token = acme_q8zrt2mw5xk9pl3v", "ACME=acme_0123456789abcdef"]
negative_examples = ["acme_short"]
"#;

const FAILING: &str = r#"
[[rules]]
id = "acme-token"
name = "Acme token"
regex = '''\b(acme_[a-z0-9]{16})\b'''
examples = ["token = acme_q8zrt2mw5xk9pl3v", "token = acme_TOO_SHORT"]
negative_examples = ["acme_0123456789abcdef"]
"#;

const GITLEAKS: &str = r#"
title = "custom"

[allowlist]
stopwords = ["notreal"]

[[rules]]
id = "acme-key"
description = "Acme key"
regex = '''acme[_-]?key\s*=\s*([a-z0-9]{24})'''
secretGroup = 1
entropy = 3.0
keywords = ["acme"]

[[rules]]
id = "pem-files"
path = '''\.pem$'''

[[rules]]
id = "after-token"
regex = '''(?<=token=)[a-z0-9]{24}'''
"#;

#[test]
fn check_builtin_rules_passes() {
    let dir = tempfile::tempdir().unwrap();
    let o = secretscan(&["rules", "check"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    let line = out.lines().last().unwrap();
    let rules: usize = line
        .strip_prefix("checked ")
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected summary: {line}"));
    assert!(rules >= 250, "{line}");
    assert!(line.ends_with(": 0 failures"), "{line}");
}

#[test]
fn check_passing_file() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("ok.toml"), PASSING).unwrap();
    let o = secretscan(&["rules", "check", "ok.toml"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "checked 1 rules, 3 examples: 0 failures\n");
}

#[test]
fn check_failing_file_prints_each_failure() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("bad.toml"), FAILING).unwrap();
    fs::write(dir.path().join("ok.toml"), PASSING).unwrap();
    let o = secretscan(&["rules", "check", "bad.toml", "ok.toml"], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "bad.toml: rule acme-token: example 2 not found: \"token = acme_TOO_SHORT\"\n\
         bad.toml: rule acme-token: negative example 1 reported: \"acme_0123456789abcdef\"\n\
         checked 2 rules, 6 examples: 2 failures\n"
    );
}

#[test]
fn check_load_error_exits_two() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("broken.toml"),
        "[[rules]]\nid = 'broken-re'\nname = 'x'\nregex = 'abc(['\n",
    )
    .unwrap();
    fs::write(dir.path().join("ok.toml"), PASSING).unwrap();
    let o = secretscan(&["rules", "check", "broken.toml", "ok.toml"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("broken.toml: rule `broken-re`: invalid regex"),
        "{err}"
    );
    // The other file is still checked.
    assert!(stdout(&o).contains("checked 1 rules, 3 examples: 0 failures"));
    let o = secretscan(&["rules", "check", "missing.toml"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("missing.toml"), "{}", stderr(&o));
}

#[test]
fn check_gitleaks_file_reports_skipped_rules() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("gitleaks.toml"), GITLEAKS).unwrap();
    let o = secretscan(&["rules", "check", "gitleaks.toml"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("gitleaks.toml: rule `pem-files`: skipped: matches file paths only"),
        "{err}"
    );
    assert!(
        err.contains("gitleaks.toml: rule `after-token`: skipped: look-behind"),
        "{err}"
    );
    assert_eq!(stdout(&o), "checked 1 rules, 0 examples: 0 failures\n");
}

#[test]
fn scan_with_gitleaks_rules() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("gitleaks.toml"), GITLEAKS).unwrap();
    fs::write(
        dir.path().join("app.cfg"),
        "acme_key = k3v9x2m8q7w4z1p6r5t0y8u2\nacme_key = k3v9x2m8notrealz1p6r5t0y8\n",
    )
    .unwrap();
    let o = secretscan(
        &[
            "dir",
            "app.cfg",
            "--rules",
            "gitleaks.toml",
            "--no-builtin-rules",
            "--format",
            "jsonl",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let findings: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["rule_id"], "acme-key");
    assert_eq!(findings[0]["secret"], "k3v9x2m8q7w4z1p6r5t0y8u2");
    assert_eq!(findings[0]["line"], 1);
    assert!(stderr(&o).contains("warning: gitleaks.toml: rule `pem-files`: skipped:"));

    // Forcing our own strict format on the gitleaks file is a load error.
    let o = secretscan(
        &[
            "dir",
            "app.cfg",
            "--rules",
            "gitleaks.toml",
            "--rules-format",
            "secretscan",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("gitleaks.toml"), "{}", stderr(&o));
}

#[test]
fn scan_with_yaml_rules_and_strictness_of_our_format() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("np.yml"),
        "rules:\n- name: Acme\n  id: np.acme.1\n  pattern: '\\b(acme_[a-z0-9]{16})\\b'\n  confidence: high\n",
    )
    .unwrap();
    fs::write(dir.path().join("in.txt"), "x = acme_q8zrt2mw5xk9pl3v\n").unwrap();
    let o = secretscan(
        &["dir", "in.txt", "--rules", "np.yml", "--format", "jsonl"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("\"rule_id\":\"np.acme.1\""),
        "{}",
        stdout(&o)
    );

    // An invalid rule in our own format stays an error even next to a
    // lenient foreign file.
    fs::write(
        dir.path().join("mine.toml"),
        "[[rules]]\nid = 'no-anchor'\nname = 'x'\nregex = '''\\b[a-f0-9]{32}\\b'''\n",
    )
    .unwrap();
    let o = secretscan(
        &["dir", "in.txt", "--rules", "np.yml", "--rules", "mine.toml"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("mine.toml: rule `no-anchor`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn rules_list_shows_foreign_rules() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("gitleaks.toml"), GITLEAKS).unwrap();
    let o = secretscan(
        &[
            "rules",
            "list",
            "--rules",
            "gitleaks.toml",
            "--no-builtin-rules",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("acme-key") && out.contains("Acme key"),
        "{out}"
    );
    assert!(out.ends_with("1 rules\n"), "{out}");
}
