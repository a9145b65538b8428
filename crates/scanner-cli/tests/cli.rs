//! The `secretscan` binary: exit codes, output formats, error messages.

mod common;

use common::{b64, secretscan, stderr, stdout, url_escape_all, utf16, TOKEN};

use std::fs;
use std::io::Write;
use std::process::{Command, Stdio};

#[test]
fn clean_directory_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.txt"), "nothing to see here\n").unwrap();
    let o = secretscan(&["dir", "."], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
}

#[test]
fn findings_exit_one_and_human_output_redacts() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("sub")).unwrap();
    fs::write(
        dir.path().join("sub/app.env"),
        format!("# config\nGITHUB_TOKEN={TOKEN}\n"),
    )
    .unwrap();
    let o = secretscan(&["dir", "."], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with("sub/app.env\n  2:14  github-pat-classic  "),
        "{out}"
    );
    assert!(!out.contains(TOKEN), "secret must be redacted: {out}");
    let o = secretscan(&["dir", ".", "--show-secrets"], dir.path());
    assert!(stdout(&o).contains(TOKEN));
}

#[test]
fn json_and_jsonl_have_every_field() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("k.py"),
        format!("x = 1\ntoken = '{TOKEN}'\n"),
    )
    .unwrap();
    let o = secretscan(&["dir", "k.py", "--format", "json"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("valid JSON");
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 1);
    let f = &arr[0];
    assert_eq!(f["rule_id"], "github-pat-classic");
    assert_eq!(f["path"], "k.py");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(2), Some(10))
    );
    assert_eq!(
        (f["start"].as_u64(), f["end"].as_u64()),
        (Some(15), Some(15 + TOKEN.len() as u64))
    );
    assert_eq!(f["secret"], TOKEN);
    assert!(f["match"].as_str().unwrap().contains(TOKEN));
    assert!(f["entropy"].as_f64().unwrap() > 3.0);
    assert_eq!(f["decode_path"], serde_json::json!([]));
    assert_eq!(f["fingerprint"].as_str().unwrap().len(), 16);
    assert!(f["rule_name"].as_str().unwrap().contains("GitHub"));

    let o = secretscan(
        &["dir", "k.py", "--format", "jsonl", "--redact"],
        dir.path(),
    );
    let lines: Vec<&str> = std::str::from_utf8(&o.stdout).unwrap().lines().collect();
    assert_eq!(lines.len(), 1);
    let f: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert!(!f["secret"].as_str().unwrap().contains(TOKEN));

    let clean = tempfile::tempdir().unwrap();
    let o = secretscan(&["dir", ".", "--format", "json"], clean.path());
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&stdout(&o)).unwrap(),
        serde_json::json!([])
    );
}

#[test]
fn missing_path_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let o = secretscan(&["dir", "does-not-exist"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("does-not-exist"), "{}", stderr(&o));
}

#[test]
fn bad_rule_file_is_an_error_naming_file_and_rule() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("bad.toml"),
        "[[rules]]\nid = 'broken-one'\nname = 'x'\nregex = 'abc(['\n",
    )
    .unwrap();
    let o = secretscan(&["dir", ".", "--rules", "bad.toml"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("bad.toml") && err.contains("broken-one"),
        "{err}"
    );

    let o = secretscan(&["dir", ".", "--rules", "missing.toml"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("missing.toml"), "{}", stderr(&o));
}

#[test]
fn extra_rule_file_adds_rules() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("mine.toml"),
        "[[rules]]\nid = 'acme-key'\nname = 'Acme key'\nregex = '''\\b(acme_[a-z0-9]{12})\\b'''\n",
    )
    .unwrap();
    fs::write(dir.path().join("conf.txt"), "k=acme_0a1b2c3d4e5f\n").unwrap();
    let o = secretscan(
        &[
            "dir",
            "conf.txt",
            "--rules",
            "mine.toml",
            "--format",
            "jsonl",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).contains("\"rule_id\":\"acme-key\""));
    let o = secretscan(&["rules", "list", "--rules", "mine.toml"], dir.path());
    assert!(stdout(&o).contains("acme-key"));
}

#[test]
fn skipped_files_are_counted_and_named() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("big.txt"),
        format!("{TOKEN}\n{}", "x".repeat(5000)),
    )
    .unwrap();
    fs::write(dir.path().join("blob.bin"), format!("\0\0\0{TOKEN}")).unwrap();
    let o = secretscan(&["dir", ".", "--max-file-size", "1000"], dir.path());
    assert_eq!(o.status.code(), Some(0));
    let err = stderr(&o);
    assert!(
        err.contains("big.txt") && err.contains("--max-file-size"),
        "{err}"
    );
    assert!(
        err.contains("1 binary") && err.contains("1 too large"),
        "{err}"
    );
    let o = secretscan(&["dir", ".", "--scan-binary"], dir.path());
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn gitignored_and_hidden_files() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(".gitignore"), "ignored.txt\n").unwrap();
    fs::write(dir.path().join("ignored.txt"), TOKEN).unwrap();
    let o = secretscan(&["dir", "."], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = secretscan(&["dir", ".", "--no-ignore"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    // Hidden files such as .env are scanned.
    fs::write(dir.path().join(".env"), TOKEN).unwrap();
    let o = secretscan(&["dir", "."], dir.path());
    assert!(stdout(&o).contains(".env\n  1:1  "), "{}", stdout(&o));
}

#[test]
fn stdin_scan() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_secretscan"))
        .args(["stdin", "--format", "jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("a\nb {TOKEN}\n").as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let f: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(
        (f["path"].as_str(), f["line"].as_u64(), f["column"].as_u64()),
        (Some("<stdin>"), Some(2), Some(3))
    );
}

#[test]
fn rules_list_shows_builtin_rules() {
    let dir = tempfile::tempdir().unwrap();
    let o = secretscan(&["rules", "list"], dir.path());
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(
        out.contains("github-pat-classic") && out.contains("ghp_"),
        "{out}"
    );
    let n: usize = out
        .lines()
        .last()
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(n >= 80, "{n} rules");
}

#[test]
fn decoded_secrets_carry_their_path_and_root_span() {
    let dir = tempfile::tempdir().unwrap();
    let blob = b64(format!("token: {TOKEN}\n").as_bytes());
    let nested = b64(blob.as_bytes());
    let url = format!("token%3D{}", TOKEN.replace('_', "%5F"));
    fs::write(
        dir.path().join("secret.yaml"),
        format!("data:\n  a: {blob}\n  b: {nested}\n  c: \"{url}\"\n"),
    )
    .unwrap();
    let o = secretscan(
        &["dir", "secret.yaml", "--format", "jsonl", "--stats"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let found: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary: Vec<_> = found
        .iter()
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["decode_path"].clone(),
            )
        })
        .collect();
    // Each finding is located at the encoded bytes of the token: the token
    // starts at decoded offset 7 ("token: "), in Base64 quantum 2, so at
    // character 8 of the blob (column 6 + 8); nested, the inner blob's
    // character 8 is decoded byte 8 of the outer one, again quantum 2; in
    // the URL text after "token%3D" (column 7 + 8).
    assert_eq!(
        summary,
        vec![
            (2, 14, serde_json::json!(["base64"])),
            (3, 14, serde_json::json!(["base64", "base64"])),
            (4, 15, serde_json::json!(["url"])),
        ]
    );
    assert!(found.iter().all(|f| f["secret"] == TOKEN));
    // The outermost encoded span is reported too.
    assert_eq!(
        found[0]["encoded_end"].as_u64().unwrap() - found[0]["encoded_start"].as_u64().unwrap(),
        blob.len() as u64
    );
    assert_eq!(
        found[1]["encoded_end"].as_u64().unwrap() - found[1]["encoded_start"].as_u64().unwrap(),
        nested.len() as u64
    );
    let err = stderr(&o);
    assert!(
        err.contains("spans_decoded=") && err.contains("dedupe_hits="),
        "{err}"
    );

    let o = secretscan(&["dir", "secret.yaml", "--no-decode"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = secretscan(
        &[
            "dir",
            "secret.yaml",
            "--max-decode-depth",
            "1",
            "--format",
            "jsonl",
        ],
        dir.path(),
    );
    assert_eq!(stdout(&o).lines().count(), 2);
}

#[test]
fn every_encoding_is_found_with_its_path_and_root_span() {
    let dir = tempfile::tempdir().unwrap();
    // 49 bytes: its Base64 ends in padding, which URL encoding must escape.
    let line = format!("token = {TOKEN}!");
    let b64_of = |s: &str| b64(s.as_bytes());
    let cases: Vec<(&str, Vec<u8>, Vec<&str>)> = vec![
        ("base64.txt", b64_of(&line).into_bytes(), vec!["base64"]),
        (
            "url.txt",
            url_escape_all(line.as_bytes()).into_bytes(),
            vec!["url"],
        ),
        (
            "b64-in-url.txt",
            url_escape_all(b64_of(&line).as_bytes()).into_bytes(),
            vec!["url", "base64"],
        ),
        (
            "url-in-b64.txt",
            b64_of(&url_escape_all(line.as_bytes())).into_bytes(),
            vec!["base64", "url"],
        ),
        (
            "b64-of-b64.txt",
            b64_of(&b64_of(&line)).into_bytes(),
            vec!["base64", "base64"],
        ),
        (
            "utf16le.txt",
            utf16(&format!("x\n{line}\n"), false),
            vec!["utf16le"],
        ),
        (
            "utf16be.txt",
            utf16(&format!("x\n{line}\n"), true),
            vec!["utf16be"],
        ),
    ];
    for (name, encoded, path) in &cases {
        // Encoded text on line 2 after a prefix, so spans and columns are exercised.
        let mut content = b"header\nvalue: ".to_vec();
        let utf16 = name.starts_with("utf16");
        if utf16 {
            content.clear();
        }
        let root_start = content.len() as u64;
        content.extend_from_slice(encoded);
        if !utf16 {
            content.extend_from_slice(b"\n");
        }
        fs::write(dir.path().join(name), &content).unwrap();
        let o = secretscan(&["dir", name, "--format", "jsonl"], dir.path());
        assert_eq!(o.status.code(), Some(1), "{name}: {}", stderr(&o));
        let found: Vec<serde_json::Value> = stdout(&o)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(found.len(), 1, "{name}: {found:#?}");
        let f = &found[0];
        assert_eq!(f["secret"], TOKEN, "{name}");
        assert_eq!(f["decode_path"], serde_json::json!(path), "{name}");
        if utf16 {
            let at = 2 + 2 * (2 + "token = ".len() as u64);
            assert_eq!(
                (
                    f["start"].as_u64(),
                    f["line"].as_u64(),
                    f["column"].as_u64()
                ),
                (Some(at), Some(2), Some(9)),
                "{name}"
            );
        } else {
            let root_end = root_start + encoded.len() as u64;
            assert_eq!(
                (f["encoded_start"].as_u64(), f["encoded_end"].as_u64()),
                (Some(root_start), Some(root_end)),
                "{name}"
            );
            // Located at the token's own encoded bytes, inside the span.
            let (start, end) = (f["start"].as_u64().unwrap(), f["end"].as_u64().unwrap());
            assert!(
                root_start < start && start < end && end <= root_end,
                "{name}: {f}"
            );
            assert_eq!(
                (f["line"].as_u64(), f["column"].as_u64()),
                (Some(2), Some(8 + start - root_start)),
                "{name}"
            );
        }
    }
}
