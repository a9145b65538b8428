//! The shapes of real large inputs, through the binary: every secret the
//! engine finds in a small file is printed by `secretscan dir` (files over
//! 8 MiB are streamed) and `secretscan stdin` when it sits in megabytes of
//! encoded context; a budget that is hit is warned about, naming the file.
//! Inputs are generated here, never checked in.

mod common;

use common::{b64, secretscan, stderr, stdout, url_escape_all, TOKEN};
use std::io::Write;
use std::process::{Command, Stdio};

const MIB: usize = 1 << 20;

/// Deterministic pseudo-random bytes (xorshift64*).
fn random_bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

/// The token line padded to a multiple of three bytes, Base64-encoded, so
/// it can sit inside a longer Base64 run.
fn encoded_token_line() -> String {
    let mut line = format!(" token = {TOKEN} ");
    while line.len() % 3 != 0 {
        line.push(' ');
    }
    b64(line.as_bytes())
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

fn scan_dir(name: &str, content: &[u8]) -> (Vec<(String, String, String)>, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), content).unwrap();
    let o = secretscan(&["dir", name, "--format", "jsonl", "--stats"], dir.path());
    assert_eq!(o.status.code(), Some(1), "{name}: {}", stderr(&o));
    (findings(&stdout(&o)), stderr(&o))
}

fn scan_stdin(content: &[u8]) -> Vec<(String, String, String)> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_secretscan"))
        .args(["stdin", "--format", "jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let data = content.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    findings(&String::from_utf8_lossy(&out.stdout))
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

/// The stats line's `findings=N` agrees with what was printed.
fn assert_counted(stats: &str, printed: usize) {
    assert_eq!(
        stat(stats, "findings"),
        Some(printed as u64),
        "printed {printed}, stats say: {stats}"
    );
}

#[test]
fn secret_in_the_middle_of_one_long_base64_line() {
    // 4 MiB of Base64 of random data, the encoded secret, 4 MiB more: one
    // line of over 8 MiB, so `dir` streams it.
    let mut line = b64(&random_bytes(1, 3 * MIB));
    line.push_str(&encoded_token_line());
    line.push_str(&b64(&random_bytes(2, 3 * MIB)));
    line.push('\n');
    let (found, stats) = scan_dir("blob.txt", line.as_bytes());
    assert_eq!(found, vec![token(&["base64"])]);
    assert_eq!(stat(&stats, "streamed_files"), Some(1), "{stats}");
    assert_counted(&stats, 1);
    assert_eq!(scan_stdin(line.as_bytes()), vec![token(&["base64"])]);
}

#[test]
fn secret_among_200k_short_base64_values_one_per_line() {
    let mut text = String::new();
    for i in 0..200_000u64 {
        if i == 150_000 {
            text.push_str(&encoded_token_line());
        } else {
            text.push_str(&b64(&random_bytes(i + 10, 40)));
        }
        text.push('\n');
    }
    let (found, stats) = scan_dir("values.txt", text.as_bytes());
    assert_eq!(found, vec![token(&["base64"])]);
    assert_counted(&stats, 1);
    assert_eq!(stat(&stats, "spans_dropped"), Some(0), "{stats}");
    assert_eq!(scan_stdin(text.as_bytes()), vec![token(&["base64"])]);
}

#[test]
fn secret_in_value_15000_of_minified_json() {
    // 20,000 short Base64 values on one line of about 1.6 MB.
    let values: Vec<String> = (0..20_000u64)
        .map(|i| {
            if i == 15_000 {
                format!("\"{}\"", encoded_token_line())
            } else {
                format!("\"{}\"", b64(&random_bytes(i + 7, 54)))
            }
        })
        .collect();
    let line = format!("{{\"v\":[{}]}}\n", values.join(","));
    let (found, stats) = scan_dir("min.json", line.as_bytes());
    assert_eq!(found, vec![token(&["base64"])]);
    assert_eq!(stat(&stats, "spans_dropped"), Some(0), "{stats}");
    assert_eq!(scan_stdin(line.as_bytes()), vec![token(&["base64"])]);
}

#[test]
fn token_in_the_middle_of_20_mib_of_percent_encoded_text() {
    let filler = |seed: u64| -> String {
        let words: Vec<String> = random_bytes(seed, 5 * MIB)
            .chunks(8)
            .map(|c| {
                c.iter()
                    .map(|b| (b'a' + b % 26) as char)
                    .collect::<String>()
            })
            .collect();
        url_escape_all(words.join(" / ").as_bytes())
    };
    let mut text = filler(3);
    text.push_str(&url_escape_all(format!(" token={TOKEN} ").as_bytes()));
    text.push_str(&filler(4));
    text.push('\n');
    assert!(text.len() > 20 * MIB, "{}", text.len());
    let (found, _) = scan_dir("encoded.log", text.as_bytes());
    assert_eq!(found, vec![token(&["url"])]);
    assert_eq!(scan_stdin(text.as_bytes()), vec![token(&["url"])]);
}

/// Text to its encoded form.
type Encoder = fn(&str) -> String;

/// One line of 12-20 MiB of hex, `\uXXXX` escapes or HTML references of
/// text, the token in its middle: `dir` streams it, `stdin` too, and both
/// print the token once with the one-step path.
#[test]
fn token_in_the_middle_of_long_hex_escape_and_html_lines() {
    let text = |seed: u64| -> String {
        random_bytes(seed, 2 * MIB)
            .chunks(8)
            .map(|c| {
                c.iter()
                    .map(|b| (b'a' + b % 26) as char)
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let encoders: [(&str, Encoder); 3] = [
        ("hex", |s| s.bytes().map(|b| format!("{b:02x}")).collect()),
        ("escape", |s| {
            s.bytes().map(|b| format!("\\u{b:04x}")).collect()
        }),
        ("html", |s| s.bytes().map(|b| format!("&#{b};")).collect()),
    ];
    for (step, enc) in encoders {
        let plain = format!("{} token={TOKEN} {}", text(5), text(6));
        let mut line = enc(&plain);
        line.push('\n');
        assert!(line.len() > 8 * MIB, "{step}: {}", line.len());
        let (found, stats) = scan_dir("long.txt", line.as_bytes());
        assert_eq!(found, vec![token(&[step])], "{step}: {stats}");
        assert_eq!(stat(&stats, "streamed_files"), Some(1), "{stats}");
        assert_counted(&stats, 1);
        assert_eq!(scan_stdin(line.as_bytes()), vec![token(&[step])], "{step}");
    }
}

#[test]
fn ten_secrets_in_a_mime_wrapped_10_mb_blob() {
    let mut line = format!(" token = {TOKEN} ");
    while line.len() % 3 != 0 {
        line.push(' ');
    }
    let mut decoded = Vec::new();
    for i in 0..10u64 {
        decoded.extend(random_bytes(i + 20, 750_000 / 3 * 3));
        decoded.extend(line.as_bytes());
    }
    let mut text = String::from("Content-Type: application/octet-stream\n\n");
    for row in b64(&decoded).as_bytes().chunks(76) {
        text.push_str(std::str::from_utf8(row).unwrap());
        text.push('\n');
    }
    let (found, stats) = scan_dir("mail.eml", text.as_bytes());
    assert_eq!(found, vec![token(&["base64"]); 10]);
    assert_counted(&stats, 10);
    assert_eq!(scan_stdin(text.as_bytes()), vec![token(&["base64"]); 10]);
}

#[test]
fn a_findings_cap_that_is_hit_is_warned_about() {
    // 12,000 distinct AWS access key ids in one file read whole: over the
    // default cap of 10,000 findings per scan.
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut text = String::new();
    for (i, chunk) in random_bytes(9, 12_000 * 16).chunks(16).enumerate() {
        let id: String = chunk
            .iter()
            .map(|b| alphabet[(*b as usize) % 32] as char)
            .collect();
        text.push_str(&format!("key{i} = AKIA{id}\n"));
    }
    let (found, stats) = scan_dir("keys.txt", text.as_bytes());
    assert_eq!(found.len(), 10_000);
    // A few random ids fail the rule's entropy floor; the rest over the cap
    // are counted and named.
    let warning = stats
        .lines()
        .find(|l| l.starts_with("secretscan: warning: keys.txt: "))
        .unwrap_or_else(|| panic!("no warning naming the file: {stats}"));
    assert!(
        warning.contains("findings not reported") && warning.contains("max_findings_per_scan"),
        "{warning}"
    );
    let dropped: u64 = warning["secretscan: warning: keys.txt: ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1900..=2000).contains(&dropped), "{warning}");
    assert_counted(&stats, 10_000);
}

/// A 2 GiB sparse file (zeros, a token at the very end) is scanned in full
/// with `--scan-binary`, streamed, within 256 MiB of peak memory.
#[test]
fn a_2_gib_sparse_file_is_scanned_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sparse.img");
    let size: u64 = 2 << 30;
    let tail = format!("\nk={TOKEN}\n");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(size).unwrap();
    use std::os::unix::fs::FileExt;
    file.write_all_at(tail.as_bytes(), size - tail.len() as u64)
        .unwrap();
    drop(file);
    let o = secretscan(
        &[
            "dir",
            "sparse.img",
            "--scan-binary",
            "--format",
            "jsonl",
            "--stats",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(findings(&stdout(&o)), [token(&[])]);
    let err = stderr(&o);
    assert!(err.contains("2147.5 MB"), "{err}");
    let peak_kib: u64 = err
        .split("peak_rss_kib=")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .expect("peak_rss_kib in --stats");
    assert!(peak_kib < 256 * 1024, "peak RSS {peak_kib} KiB");
}
