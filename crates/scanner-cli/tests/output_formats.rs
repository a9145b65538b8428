//! Output formats of the `secretscan` binary, end to end: every format of
//! `dir` and `stdin` against golden files in `tests/golden/`, the SARIF
//! structure, redaction, colour rules, `--output FILE` and human grouping.
//!
//! The golden runs use a rule file of their own (`--no-builtin-rules`), so
//! changes to the built-in rules do not touch them. Volatile parts (the
//! version, the temporary directory) are normalised before comparing.
//! `UPDATE_GOLDEN=1 cargo test -p scanner-cli --test output_formats`
//! rewrites the golden files; review the diff before committing it.

mod common;

use common::{b64, stderr, stdout, utf16, TOKEN};

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// Rules of the golden runs: one with a reference (SARIF `helpUri`), one
/// without, and one whose secret spans lines.
const RULES: &str = r#"
[[rules]]
id = "demo-token"
name = "Demo token"
regex = '''\b(demo_[A-Za-z0-9]{24})\b'''
references = ["https://example.com/docs/demo-token"]

[[rules]]
id = "other-key"
name = "Other key"
regex = '''\b(othr_[a-z0-9]{16})\b'''

[[rules]]
id = "demo-block"
name = "Demo key block"
regex = '''(BEGIN DEMO KEY\n[A-Za-z0-9\n]{8,200}\nEND DEMO KEY)'''
keywords = ["begin demo key"]
max_width = 300
"#;

const DEMO: &str = "demo_Q7wE9rT2yU4iO6pA8sD0fG1h";
const OTHER: &str = "othr_0a1b2c3d4e5f6a7b";
const BLOCK: &str = "BEGIN DEMO KEY\nQmFzZTY0IGlz\nbm90IHJlYWxseQ\nEND DEMO KEY";

/// The Base64 text that carries DEMO in the second file.
fn encoded_demo() -> String {
    b64(format!("token: {DEMO}\n").as_bytes())
}

/// Two files: `app.env` with two raw secrets, `sub dir/config.yaml` (a
/// space, to exercise URI encoding) with a Base64-encoded secret and a
/// multi-line one.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("rules.toml"), RULES).unwrap();
    fs::write(
        d.join("app.env"),
        format!("# settings\nDEMO_TOKEN={DEMO}\nOTHER={OTHER}\n"),
    )
    .unwrap();
    fs::create_dir(d.join("sub dir")).unwrap();
    fs::write(
        d.join("sub dir/config.yaml"),
        format!("data:\n  blob: {}\nkey: |\n  {BLOCK}\n", encoded_demo()),
    )
    .unwrap();
    dir
}

fn stdin_input() -> String {
    format!(
        "first line\ntoken={DEMO} other={OTHER}\nencoded: {}\n",
        encoded_demo()
    )
}

const RULE_ARGS: [&str; 3] = ["--no-builtin-rules", "--rules", "rules.toml"];

/// Runs `secretscan ARGS` in `cwd` with extra environment and optional
/// standard input.
fn run(args: &[&str], cwd: &Path, env: &[(&str, &str)], input: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_secretscan"));
    cmd.args(args)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run secretscan");
    let mut stdin = child.stdin.take().unwrap();
    if let Some(input) = input {
        stdin.write_all(input.as_bytes()).unwrap();
    }
    drop(stdin);
    child.wait_with_output().unwrap()
}

/// `secretscan dir` on the fixture's two files, in this order.
fn run_dir(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["dir", "app.env", "sub dir/config.yaml", "--threads", "1"];
    args.extend(RULE_ARGS);
    args.extend(extra);
    run(&args, dir, &[], None)
}

fn run_stdin(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["stdin"];
    args.extend(RULE_ARGS);
    args.extend(extra);
    run(&args, dir, &[], Some(&stdin_input()))
}

/// `text` without what changes from run to run or release to release.
fn normalise(text: &str, dir: &Path) -> String {
    let version = format!("\"version\": \"{}\"", env!("CARGO_PKG_VERSION"));
    let mut text = text.replace(&version, "\"version\": \"<VERSION>\"");
    for prefix in [dir.to_path_buf(), dir.canonicalize().unwrap()] {
        text = text.replace(&*prefix.to_string_lossy(), "<TMP>");
    }
    text
}

/// Compares `actual` with `tests/golden/NAME`, or rewrites the file when
/// `UPDATE_GOLDEN=1`.
fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, actual).unwrap();
        return;
    }
    let expected = fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with UPDATE_GOLDEN=1 to create it",
            path.display()
        )
    });
    if actual != expected {
        let line = actual
            .lines()
            .zip(expected.lines())
            .position(|(a, e)| a != e)
            .unwrap_or(actual.lines().count().min(expected.lines().count()));
        panic!(
            "{name} differs from the golden file at line {} (UPDATE_GOLDEN=1 rewrites it)\n\
             --- expected\n{expected}\n--- actual\n{actual}",
            line + 1
        );
    }
}

#[test]
fn every_format_of_dir_matches_its_golden_file() {
    let dir = fixture();
    for (format, file) in [
        ("human", "dir.human"),
        ("json", "dir.json"),
        ("jsonl", "dir.jsonl"),
        ("sarif", "dir.sarif"),
    ] {
        let o = run_dir(dir.path(), &["--format", format]);
        assert_eq!(o.status.code(), Some(1), "{format}: {}", stderr(&o));
        golden(file, &normalise(&stdout(&o), dir.path()));
    }
}

#[test]
fn every_format_of_stdin_matches_its_golden_file() {
    let dir = fixture();
    for (format, file) in [
        ("human", "stdin.human"),
        ("json", "stdin.json"),
        ("jsonl", "stdin.jsonl"),
        ("sarif", "stdin.sarif"),
    ] {
        let o = run_stdin(dir.path(), &["--format", format]);
        assert_eq!(o.status.code(), Some(1), "{format}: {}", stderr(&o));
        golden(file, &normalise(&stdout(&o), dir.path()));
    }
}

#[test]
fn json_carries_the_encoded_text_and_redacts_it_with_redact() {
    let dir = fixture();
    let o = run_dir(dir.path(), &["--format", "json"]);
    let found: Vec<Value> = serde_json::from_str(&stdout(&o)).unwrap();
    let decoded: Vec<&Value> = found.iter().filter(|f| f["secret"] == DEMO).collect();
    assert_eq!(decoded.len(), 2, "{found:#?}");
    // Raw: the encoded text is the secret itself.
    assert_eq!(decoded[0]["encoded"], DEMO);
    assert_eq!(decoded[0]["decode_path"], serde_json::json!([]));
    // Decoded: the Base64 characters that decode to the secret.
    let encoded = decoded[1]["encoded"].as_str().unwrap();
    assert!(encoded_demo().contains(encoded), "{encoded}");
    assert_eq!(decoded[1]["decode_path"], serde_json::json!(["base64"]));

    let o = run_dir(dir.path(), &["--format", "jsonl", "--redact"]);
    let out = stdout(&o);
    for secret in [DEMO, OTHER, encoded] {
        assert!(!out.contains(secret), "{secret} in {out}");
    }
}

/// Checks the SARIF log's required fields and types, and that every
/// result's `ruleIndex` points to the rule with its `ruleId`.
fn check_sarif(text: &str) -> Value {
    let log: Value = serde_json::from_str(text).expect("SARIF is JSON");
    assert_eq!(
        log["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    assert_eq!(log["version"], "2.1.0");
    let runs = log["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    let driver = &runs[0]["tool"]["driver"];
    assert_eq!(driver["name"], "secretscan");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let rules = driver["rules"].as_array().expect("rules");
    assert!(!rules.is_empty());
    for r in rules {
        assert!(r["id"].is_string(), "{r}");
        assert!(r["shortDescription"]["text"].is_string(), "{r}");
    }
    let results = runs[0]["results"].as_array().expect("results");
    for res in results {
        let id = res["ruleId"].as_str().expect("ruleId");
        let index = res["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], id, "{res}");
        assert_eq!(res["level"], "error");
        assert!(res["message"]["text"].is_string(), "{res}");
        let loc = &res["locations"][0]["physicalLocation"];
        assert!(loc["artifactLocation"]["uri"].is_string(), "{res}");
        let region = &loc["region"];
        for field in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(region[field].as_u64().is_some_and(|n| n >= 1), "{res}");
        }
        assert!(
            region["endLine"].as_u64() > region["startLine"].as_u64()
                || region["endColumn"].as_u64() > region["startColumn"].as_u64(),
            "{res}"
        );
        let fp = res["partialFingerprints"]["secretscan/v1"].as_str();
        assert_eq!(fp.map(str::len), Some(16), "{res}");
    }
    log
}

#[test]
fn sarif_is_well_formed_and_redacted() {
    let dir = fixture();
    let o = run_dir(dir.path(), &["--format", "sarif"]);
    let log = check_sarif(&stdout(&o));
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 3);
    assert_eq!(rules[0]["helpUri"], "https://example.com/docs/demo-token");
    assert!(rules[1].get("helpUri").is_none());
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    let uris: Vec<&str> = results
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        uris,
        [
            "app.env",
            "app.env",
            "sub%20dir/config.yaml",
            "sub%20dir/config.yaml"
        ]
    );
    // The multi-line secret: line 4, after "  ", to past "END DEMO KEY" three
    // lines below.
    let block = &results[3];
    assert_eq!(block["ruleId"], "demo-block");
    assert_eq!(
        block["locations"][0]["physicalLocation"]["region"],
        serde_json::json!({"startLine": 4, "startColumn": 3, "endLine": 7, "endColumn": 13})
    );
    // The decoded secret names its decoding.
    assert!(results[2]["message"]["text"]
        .as_str()
        .unwrap()
        .ends_with("(decoded via base64)"));

    // Nothing of any secret, nor the encoded text, without --show-secrets,
    // even when JSON would show it (no --redact).
    let text = stdout(&o);
    for secret in [DEMO, OTHER, "QmFzZTY0IGlz", &encoded_demo()[4..]] {
        assert!(!text.contains(secret), "{secret} in SARIF");
    }
    let o = run_dir(dir.path(), &["--format", "sarif", "--show-secrets"]);
    let text = stdout(&o);
    check_sarif(&text);
    assert!(text.contains(DEMO) && text.contains(OTHER));
    // --redact wins, as in JSON.
    let o = run_dir(
        dir.path(),
        &["--format", "sarif", "--show-secrets", "--redact"],
    );
    assert!(!stdout(&o).contains(DEMO) && !stdout(&o).contains(OTHER));
}

#[test]
fn sarif_with_builtin_rules_indexes_the_whole_rule_table() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("k.py"), format!("token = '{TOKEN}'\n")).unwrap();
    let o = run(&["dir", "k.py", "--format", "sarif"], dir.path(), &[], None);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let log = check_sarif(&stdout(&o));
    assert!(
        log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len()
            > 50
    );
    assert_eq!(log["runs"][0]["results"][0]["ruleId"], "github-pat-classic");
    assert!(!stdout(&o).contains(TOKEN));

    // No findings: a complete log with an empty results array.
    fs::write(dir.path().join("k.py"), "nothing here\n").unwrap();
    let o = run(&["dir", "k.py", "--format", "sarif"], dir.path(), &[], None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let log = check_sarif(&stdout(&o));
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
}

#[test]
fn utf16_input_is_located_and_shown_in_characters() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("w.txt"),
        utf16(&format!("x\ntoken = {TOKEN}\n"), false),
    )
    .unwrap();
    let o = run(
        &["dir", "w.txt", "--format", "jsonl"],
        dir.path(),
        &[],
        None,
    );
    let f: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(f["decode_path"], serde_json::json!(["utf16le"]));
    assert_eq!(f["encoded"], TOKEN, "the UTF-16 text, decoded");
    let o = run(
        &["dir", "w.txt", "--format", "sarif"],
        dir.path(),
        &[],
        None,
    );
    let log = check_sarif(&stdout(&o));
    let region = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
    let end = 9 + TOKEN.len() as u64;
    assert_eq!(
        *region,
        serde_json::json!({"startLine": 2, "startColumn": 9, "endLine": 2, "endColumn": end})
    );
}

#[test]
fn human_output_groups_findings_under_one_header_per_file() {
    let dir = fixture();
    let o = run_dir(dir.path(), &[]);
    let out = stdout(&o);
    let headers: Vec<&str> = out
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with(' '))
        .collect();
    assert_eq!(headers, ["app.env", "sub dir/config.yaml"], "{out}");
    let groups: Vec<&str> = out.split("\n\n").collect();
    assert_eq!(groups.len(), 2, "{out}");
    assert_eq!(groups[0].matches("fingerprint:").count(), 2, "{out}");
    assert_eq!(groups[1].matches("fingerprint:").count(), 2, "{out}");
    assert!(
        groups[0].contains("  2:12  demo-token  Demo token\n"),
        "{out}"
    );
    assert!(groups[1].contains("decoded via: base64\n"), "{out}");
    // Redacted by default, the encoded text too; in full with --show-secrets,
    // the multi-line secret with its newlines escaped.
    assert!(
        !out.contains(DEMO) && !out.contains(&encoded_demo()[4..]),
        "{out}"
    );
    let out = stdout(&run_dir(dir.path(), &["--show-secrets"]));
    assert!(out.contains(DEMO), "{out}");
    assert!(out.contains(&BLOCK.replace('\n', "\\n")), "{out}");
}

#[test]
fn color_follows_the_flag_and_no_color() {
    let dir = fixture();
    let colored = |extra: &[&str], env: &[(&str, &str)]| {
        let mut args = vec!["dir", "app.env", "--threads", "1"];
        args.extend(RULE_ARGS);
        args.extend(extra);
        let o = run(&args, dir.path(), env, None);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        stdout(&o).contains('\x1b')
    };
    assert!(colored(&["--color", "always"], &[]));
    assert!(colored(&["--color", "always"], &[("NO_COLOR", "1")]));
    assert!(!colored(&["--color", "never"], &[]));
    // auto: standard output is a pipe here, so no colour, NO_COLOR or not.
    assert!(!colored(&[], &[]));
    assert!(!colored(&["--color", "auto"], &[("NO_COLOR", "1")]));
    // Colour is for people: never in machine formats.
    for format in ["json", "jsonl", "sarif"] {
        assert!(!colored(&["--color", "always", "--format", format], &[]));
    }
    let o = run(&["dir", ".", "--color", "sometimes"], dir.path(), &[], None);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn output_file_receives_what_stdout_would() {
    let dir = fixture();
    for format in ["human", "json", "sarif"] {
        let expected = stdout(&run_dir(dir.path(), &["--format", format]));
        let o = run_dir(dir.path(), &["--format", format, "--output", "found.out"]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(o.stdout.is_empty(), "{format}: {}", stdout(&o));
        let written = fs::read_to_string(dir.path().join("found.out")).unwrap();
        assert_eq!(written, expected, "{format}");
    }
    // The file is truncated, not appended to.
    fs::write(dir.path().join("found.out"), "x".repeat(100_000)).unwrap();
    let o = run_stdin(dir.path(), &["--format", "jsonl", "-o", "found.out"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let written = fs::read_to_string(dir.path().join("found.out")).unwrap();
    assert_eq!(written.lines().count(), 3, "{written}");
    // A file that cannot be created is an error naming it.
    let o = run_dir(dir.path(), &["--output", "no-such-dir/found.out"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no-such-dir/found.out"),
        "{}",
        stderr(&o)
    );
}
