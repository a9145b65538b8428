//! Input larger than the stream buffer goes through the chunked API: stdin
//! fed in 7-byte writes reports exactly what one write reports, and a large
//! file is streamed by `dir` with every secret at its exact line and column.

mod common;

use common::{b64, TOKEN};

use std::io::Write;
use std::process::{Command, Stdio};

/// About `size` bytes of log-like lines with a raw token every `every` lines
/// and a Base64-wrapped one in between; returns the text and the expected
/// (line, column) of each secret (for the wrapped one, of its own encoded
/// bytes).
fn corpus(size: usize, every: usize) -> (String, Vec<(u64, u64)>) {
    let mut text = String::new();
    let mut expected = Vec::new();
    let mut line = 1u64;
    while text.len() < size {
        let n = line as usize;
        if n.is_multiple_of(every) {
            text.push_str("  auth: ");
            expected.push((line, 9));
            text.push_str(TOKEN);
        } else if n % every == every / 2 {
            // The token starts at decoded offset 6 ("token "), in Base64
            // quantum 2: at character 8 of the blob, column 6 + 8.
            text.push_str("blob=");
            expected.push((line, 14));
            text.push_str(&b64(format!("token {TOKEN}").as_bytes()));
        } else {
            text.push_str(&format!(
                "2026-11-23T12:00:{:02} INFO request {n} served in {} ms",
                n % 60,
                n % 97
            ));
        }
        text.push('\n');
        line += 1;
    }
    (text, expected)
}

fn run_stdin(input: &[u8], write_size: usize) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_secretscan"))
        .args(["stdin", "--format", "jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let data = input.to_vec();
    let writer = std::thread::spawn(move || {
        for piece in data.chunks(write_size) {
            stdin.write_all(piece).unwrap();
            stdin.flush().unwrap();
        }
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_eq!(out.status.code(), Some(1));
    String::from_utf8(out.stdout).unwrap()
}

fn positions(jsonl: &str) -> Vec<(u64, u64)> {
    jsonl
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            assert_eq!(v["secret"], TOKEN);
            (v["line"].as_u64().unwrap(), v["column"].as_u64().unwrap())
        })
        .collect()
}

#[test]
fn stdin_in_seven_byte_writes_equals_one_write() {
    let (text, expected) = corpus(2_600_000, 4000);
    let one = run_stdin(text.as_bytes(), text.len());
    let sevens = run_stdin(text.as_bytes(), 7);
    assert_eq!(sevens, one);
    assert_eq!(positions(&one), expected);
}

#[test]
fn large_file_is_streamed_with_exact_positions() {
    let dir = tempfile::tempdir().unwrap();
    let (text, expected) = corpus(12_000_000, 20_000);
    std::fs::write(dir.path().join("big.log"), &text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_secretscan"))
        .args(["dir", "big.log", "--format", "jsonl", "--stats"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(positions(&String::from_utf8(out.stdout).unwrap()), expected);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("streamed_files=1"), "{err}");
}
