//! `--min-confidence`, `rules list --summary`, `rules list --format
//! markdown` (and that docs/rules-list.md is its current output), and Nosey
//! Parker YAML edge cases: negative examples of connection strings to Unix
//! sockets, and rules without any literal anchor.

mod common;

use common::{secretscan, stderr, stdout};

use std::fs;
use std::path::Path;

/// A password the generic (low-confidence) rule reports, and nothing else.
const GENERIC_ONLY: &str = "DB_PASSWORD = \"q8Zr7t2Mw5xK9pL3vN\"\n";

#[test]
fn min_confidence_medium_drops_generic_findings() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("app.env"), GENERIC_ONLY).unwrap();
    let o = secretscan(&["dir", "app.env", "--format", "jsonl"], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("\"rule_id\":\"generic-secret-assignment\""),
        "{}",
        stdout(&o)
    );
    let o = secretscan(
        &[
            "dir",
            "app.env",
            "--format",
            "jsonl",
            "--min-confidence",
            "medium",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(stdout(&o), "");
    let o = secretscan(&["dir", "app.env", "--min-confidence", "sure"], dir.path());
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn summary_counts_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let o = secretscan(&["rules", "list", "--summary"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let number = |prefix: &str| -> usize {
        out.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .and_then(|r| r.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no `{prefix}` line: {out}"))
    };
    let rules = number("rules: ");
    assert!(rules >= 700, "{out}");
    assert!(number("providers: ") >= 300, "{out}");
    let indented = |section: &str| -> usize {
        out.lines()
            .skip_while(|l| *l != section)
            .skip(1)
            .take_while(|l| l.starts_with("  "))
            .map(|l| {
                l.split_whitespace()
                    .last()
                    .unwrap()
                    .parse::<usize>()
                    .unwrap()
            })
            .sum()
    };
    assert_eq!(indented("by confidence:"), rules, "{out}");
    assert_eq!(indented("by category:"), rules, "{out}");

    let o = secretscan(
        &["rules", "list", "--summary", "--min-confidence", "high"],
        dir.path(),
    );
    let high = stdout(&o);
    assert!(high.contains("  low                     0"), "{high}");
    assert!(high.contains("  medium                  0"), "{high}");
}

#[test]
fn docs_rules_list_is_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    let o = secretscan(&["rules", "list", "--format", "markdown"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let generated = stdout(&o);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules-list.md");
    let committed = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        generated == committed,
        "docs/rules-list.md is out of date with the built-in rules; regenerate it with\n  \
         cargo run -p scanner-cli -- rules list --format markdown > docs/rules-list.md"
    );
    assert!(generated.contains(
        "| `github-pat-classic` | GitHub personal access token (classic) | high | `ghp_` |"
    ));
}

/// Our own YAML in Nosey Parker's format: a MongoDB URI rule whose negative
/// examples are Unix-socket URIs (percent-encoded paths, no password), and a
/// Salesforce-style token rule with no literal of 3+ bytes.
const NP_RULES: &str = r#"rules:
- name: MongoDB URI with credentials
  id: test.mongo.1
  pattern: |
    (?x)
    (?: mongodb\+srv | mongodb ) ://      (?# scheme )
      ([A-Za-z0-9%._~-]{3,})              (?# user )
    : ([A-Za-z0-9%._~!-]{3,})             (?# password )
    @ ([A-Za-z0-9_.-]{3,} (?: :\d{1,5})?) (?# host and port )
    (?: [^A-Za-z0-9_.-] | $ )
  confidence: high
  examples:
  - 'uri: "mongodb://appuser:Zq8rT2mW5x@db0.example.net:27017/main"'
  negative_examples:
  - 'mongodb://appuser:Zq8rT2mW5x@%2Ftmp%2Fmongodb-27017.sock'
  - 'mongodb://%2Ftmp%2Fmongodb-27017.sock'
  - 'client = MongoClient("mongodb://reporting@%2Ftmp%2Fmongodb-27017.sock/?authSource=admin")'
- name: Org access token (no literal prefix)
  id: test.org-token.1
  pattern: '\b(00[A-Za-z0-9]{13}![A-Za-z0-9_.]{96})'
  examples:
  - 'ORG_TOKEN=00Dq8ZrT2mW5xK9!AQcA7kPz0Lm3Nq8Rt2Vx5Yb9Cd1Ef4Gh7Jk0Mn3Pq6St9Vw2Xz5Ab8De1Gh4Jk7Mn0Pq3St6Vw9Yz2Bc5Ef8Hj1Km4Np7Qs0Tv3'
  negative_examples:
  - 'ORG_TOKEN=00Dq8ZrT2mW5xK9!short'
"#;

#[test]
fn noseyparker_socket_negatives_and_anchorless_rules() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("np.yml"), NP_RULES).unwrap();
    let o = secretscan(&["rules", "check", "np.yml"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(stdout(&o), "checked 2 rules, 6 examples: 0 failures\n");
    let err = stderr(&o);
    assert!(
        err.contains("np.yml: rule `test.org-token.1`: no literal anchor"),
        "{err}"
    );
    assert!(!err.contains("skipped"), "{err}");

    // Scanning: the socket URIs stay quiet (built-in rules too), the
    // anchorless rule reports its token, and the YAML confidence is kept.
    fs::write(
        dir.path().join("conf.txt"),
        "a = mongodb://appuser:Zq8rT2mW5x@%2Ftmp%2Fmongodb-27017.sock\n\
         b = mongodb://reporting@%2Ftmp%2Fmongodb-27017.sock/?authSource=admin\n\
         ORG_TOKEN=00Dq8ZrT2mW5xK9!AQcA7kPz0Lm3Nq8Rt2Vx5Yb9Cd1Ef4Gh7Jk0Mn3Pq6St9Vw2Xz5Ab8De1Gh4Jk7Mn0Pq3St6Vw9Yz2Bc5Ef8Hj1Km4Np7Qs0Tv3\n",
    )
    .unwrap();
    let o = secretscan(
        &["dir", "conf.txt", "--rules", "np.yml", "--format", "jsonl"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let rules: Vec<String> = stdout(&o)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            format!("{}@{}", v["rule_id"].as_str().unwrap(), v["line"])
        })
        .collect();
    assert!(
        rules.contains(&"test.org-token.1@3".to_string()),
        "{rules:?}"
    );
    assert!(
        !rules.iter().any(|r| r.ends_with("@1") || r.ends_with("@2")),
        "{rules:?}"
    );
    let o = secretscan(
        &[
            "rules",
            "list",
            "--rules",
            "np.yml",
            "--no-builtin-rules",
            "--format",
            "jsonl",
        ],
        dir.path(),
    );
    let out = stdout(&o);
    assert!(
        out.contains("\"confidence\":\"high\"") && out.contains("\"confidence\":\"medium\""),
        "{out}"
    );
}
