//! gzip and zlib data behind Base64, through the binary: found with its
//! decode path, switched off by `--no-decode`, capped by
//! `--max-inflated-bytes` with a warning naming the file; a decompression
//! bomb is cut at its budget in bounded memory and the rest of the file is
//! still scanned. Inputs are generated here, never checked in.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{b64, secretscan, stderr, stdout, TOKEN};
use flate2::write::{GzEncoder, ZlibEncoder};
use flate2::Compression;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Findings (rule, secret, decode path) printed as JSON lines.
fn findings(jsonl: &str) -> Vec<(String, String, String)> {
    jsonl
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["rule_id"].as_str().unwrap().to_string(),
                v["secret"].as_str().unwrap().to_string(),
                v["decode_path"].to_string(),
            )
        })
        .collect()
}

fn token(path: &[&str]) -> (String, String, String) {
    (
        "github-pat-classic".to_string(),
        TOKEN.to_string(),
        serde_json::json!(path).to_string(),
    )
}

/// The value of counter `name` in `--stats` output (`name=value` fields).
fn stat(stats: &str, name: &str) -> Option<u64> {
    stats
        .split_whitespace()
        .find_map(|field| field.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
}

/// `secretscan dir FILE --format jsonl --stats EXTRA...` on `content`.
fn scan_file(name: &str, content: &[u8], extra: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), content).unwrap();
    let mut args = vec!["dir", name, "--format", "jsonl", "--stats"];
    args.extend_from_slice(extra);
    secretscan(&args, dir.path())
}

/// Some YAML-like text to compress, with the token in the middle.
fn release_text() -> String {
    let mut text = String::new();
    for i in 0..200 {
        text.push_str(&format!("  key{i}: value number {i} of the release\n"));
        if i == 120 {
            text.push_str(&format!("  github_token: {TOKEN}\n"));
        }
    }
    text
}

#[test]
fn gzip_and_zlib_behind_base64_are_found_and_switched_off_by_no_decode() {
    let helm = b64(&gzip(release_text().as_bytes()));
    let jwt_like = b64(&zlib(format!("{{\"tok\":\"{TOKEN}\"}}").as_bytes()));
    let content = format!("kind: Secret\ndata:\n  release: {helm}\nnote: {jwt_like}\n");
    let o = scan_file("release.yaml", content.as_bytes(), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        findings(&stdout(&o)),
        [token(&["base64", "gzip"]), token(&["base64", "zlib"])]
    );
    let err = stderr(&o);
    assert_eq!(stat(&err, "spans_inflated"), Some(2), "{err}");
    assert!(!err.contains("warning"), "{err}");

    let o = scan_file("release.yaml", content.as_bytes(), &["--no-decode"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stat(&stderr(&o), "spans_inflated"), Some(0));
}

#[test]
fn max_inflated_bytes_cuts_a_stream_with_a_warning() {
    let helm = b64(&gzip(release_text().as_bytes()));
    let content = format!("release: {helm}\n");
    // The token is about 4.5 KB into the text: 1000 bytes do not reach it.
    let o = scan_file(
        "release.yaml",
        content.as_bytes(),
        &["--max-inflated-bytes", "1000"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    let warning = err
        .lines()
        .find(|l| l.starts_with("secretscan: warning: release.yaml: "))
        .unwrap_or_else(|| panic!("no warning naming the file: {err}"));
    assert!(
        warning.contains("1 compressed streams inflated only in part")
            && warning.contains("inflate_budget_hits=1")
            && warning.contains("max_inflated_bytes"),
        "{warning}"
    );
}

/// Deterministic lowercase words (xorshift), compressible like text.
fn words(seed: u64, n: usize) -> String {
    let mut x = seed | 1;
    let mut out = String::with_capacity(n + 16);
    while out.len() < n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        for i in 0..2 + (x % 9) as usize {
            out.push((b'a' + ((x >> (8 + 5 * i)) % 26) as u8) as char);
        }
        out.push(if x.is_multiple_of(11) { '\n' } else { ' ' });
    }
    out
}

/// `secretscan stdin --format jsonl --stats` on `content`.
fn scan_stdin(content: Vec<u8>) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_secretscan"))
        .args(["stdin", "--format", "jsonl", "--stats"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&content).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

#[test]
fn a_long_compressed_blob_in_streamed_input_is_inflated_whole() {
    // 6 MB of text around a gzip blob of about 1 MB of Base64, the token
    // at the end of its 1.5 MB of text: standard input is scanned in
    // rounds, and the blob is held whole, not cut into pieces.
    let text = format!("{}\ngithub_token: {TOKEN}\n", words(1, 1_500_000));
    let blob = b64(&gzip(text.as_bytes()));
    assert!(blob.len() > 900_000, "{}", blob.len());
    let content = format!(
        "{}\nrelease: {blob}\n{}\n",
        words(2, 4_000_000),
        words(3, 2_000_000)
    );
    let o = scan_stdin(content.into_bytes());
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(findings(&stdout(&o)), [token(&["base64", "gzip"])]);
    assert_eq!(stat(&err, "spans_split"), Some(0), "{err}");
    assert!(!err.contains("warning"), "{err}");
}

/// A gzip of 1 GiB of zeros (about 1 MiB compressed), in Base64 on one
/// line of a 1.4 MB file, with a token on the next line.
fn bomb_file() -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..1024 {
        e.write_all(&zeros).unwrap();
    }
    let gz = e.finish().unwrap();
    assert!(gz.len() < 2 << 20, "{}", gz.len());
    format!("payload: {}\nk={TOKEN}\n", b64(&gz)).into_bytes()
}

#[test]
fn a_decompression_bomb_is_cut_at_its_budget() {
    let content = bomb_file();
    let started = std::time::Instant::now();
    let o = scan_file("bomb.yaml", &content, &[]);
    let took = started.elapsed();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // The token after the bomb is found (raw).
    assert_eq!(findings(&stdout(&o)), [token(&[])]);
    let err = stderr(&o);
    assert_eq!(stat(&err, "inflate_budget_hits"), Some(1), "{err}");
    assert_eq!(stat(&err, "inflate_errors"), Some(0), "{err}");
    // 16 MiB inflated, plus the Base64 span's own 1 MiB.
    let decoded = stat(&err, "decoded_bytes").unwrap();
    assert!(
        (16 << 20..18 << 20).contains(&decoded),
        "decoded_bytes={decoded}"
    );
    assert!(
        err.lines()
            .any(|l| l.starts_with("secretscan: warning: bomb.yaml: ")
                && l.contains("compressed streams inflated only in part")),
        "{err}"
    );
    let peak_kib = stat(&err, "peak_rss_kib").expect("peak_rss_kib in --stats");
    assert!(peak_kib < 256 * 1024, "peak RSS {peak_kib} KiB");
    eprintln!(
        "bomb: {} bytes scanned in {took:?}, peak RSS {peak_kib} KiB",
        content.len()
    );

    // Standard input: the bomb is cut at its budget there too, and the
    // token after it found.
    let out = scan_stdin(content);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(findings(&stdout(&out)), [token(&[])]);
    assert_eq!(stat(&err, "inflate_budget_hits"), Some(1), "{err}");
    assert!(
        err.contains("compressed streams inflated only in part"),
        "{err}"
    );
}
