//! `cargo xtask rss`: checks that peak memory does not grow with input size.
//!
//! Writes two large inputs to a temporary directory (a 2 GiB single-line
//! Base64 file with a Base64-encoded GitHub token planted in its middle, and
//! a 1 GiB text file), scans each with the release binary
//! (`secretscan dir FILE --stats`), reads the peak resident set size the
//! binary reports (`peak_rss_kib`, from /proc/self/status), and fails if
//! either exceeds the limit (256 MiB) or the planted token is not reported.
//! The files are removed afterwards.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::Command;

/// Peak RSS allowed for each scan.
const LIMIT_KIB: u64 = 256 * 1024;

/// Runs the check with the binary at `secretscan`; returns an error message
/// naming the input that failed.
pub fn check(secretscan: &Path, work_dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(work_dir)
        .map_err(|e| format!("cannot create {}: {e}", work_dir.display()))?;
    let inputs = [
        ("base64-2GiB-one-line.txt", 2u64 << 30, Kind::Base64Line),
        ("text-1GiB.txt", 1 << 30, Kind::Text),
    ];
    let mut failures = Vec::new();
    for (name, size, kind) in inputs {
        let path = work_dir.join(name);
        write_input(&path, size, kind)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        let result = measure(secretscan, &path);
        let _ = std::fs::remove_file(&path);
        match result {
            Ok((_, findings))
                if matches!(kind, Kind::Base64Line) && !findings.contains(PLANTED_TOKEN) =>
            {
                return Err(format!(
                    "{name}: the token planted in the middle of the line was not reported"
                ));
            }
            Ok((kib, _)) => {
                let verdict = if kib <= LIMIT_KIB { "ok" } else { "OVER LIMIT" };
                println!(
                    "rss: {name}: peak {:.1} MiB (limit {} MiB): {verdict}",
                    kib as f64 / 1024.0,
                    LIMIT_KIB / 1024
                );
                if kib > LIMIT_KIB {
                    failures.push(name);
                }
            }
            Err(e) => return Err(format!("{name}: {e}")),
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "peak RSS over {} MiB for: {}",
            LIMIT_KIB / 1024,
            failures.join(", ")
        ))
    }
}

/// The token planted (Base64-encoded) in the middle of the Base64 line.
pub const PLANTED_TOKEN: &str = "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";

/// Standard Base64 of `data` (whose length is a multiple of 3: no padding).
fn base64(data: &[u8]) -> Vec<u8> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    data.chunks(3)
        .flat_map(|c| {
            let n = c
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
            (0..4).map(move |i| ALPHABET[((n >> (18 - 6 * i)) & 63) as usize])
        })
        .collect()
}

#[derive(Clone, Copy)]
pub enum Kind {
    Base64Line,
    Text,
}

/// Writes `size` bytes of deterministic content: one line of Base64 (of
/// pseudo-random bytes, with the encoded token line planted halfway, on a
/// quantum boundary), or lines of source-like text.
pub fn write_input(path: &Path, size: u64, kind: Kind) -> std::io::Result<()> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut written = 0u64;
    let mut line = Vec::with_capacity(4096);
    let mut planted = false;
    while written < size {
        line.clear();
        match kind {
            Kind::Base64Line => {
                if !planted && written >= size / 2 {
                    planted = true;
                    let mut text = format!(" token = {PLANTED_TOKEN} ").into_bytes();
                    while text.len() % 3 != 0 {
                        text.push(b' ');
                    }
                    line.extend(base64(&text));
                }
                for _ in 0..4096 {
                    line.push(ALPHABET[(next() % 64) as usize]);
                }
            }
            Kind::Text => {
                let n = next();
                line.extend_from_slice(
                    format!(
                        "    value_{} = compute(item_{}, {}) # keep the original order\n",
                        n % 1000,
                        n % 97,
                        n % 13
                    )
                    .as_bytes(),
                );
            }
        }
        let take = line.len().min((size - written) as usize);
        out.write_all(&line[..take])?;
        written += take as u64;
    }
    out.flush()
}

/// Scans `path` and returns the peak RSS (KiB) the binary reports and the
/// findings it printed.
fn measure(secretscan: &Path, path: &Path) -> Result<(u64, String), String> {
    let out = Command::new(secretscan)
        .arg("dir")
        .arg(path)
        .args(["--format", "jsonl", "--stats"])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", secretscan.display()))?;
    if !matches!(out.status.code(), Some(0 | 1)) {
        return Err(format!(
            "secretscan failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let kib = stderr
        .split_whitespace()
        .find_map(|w| w.strip_prefix("peak_rss_kib="))
        .and_then(|v| v.parse().ok())
        .filter(|&kib| kib > 0)
        .ok_or_else(|| format!("no peak_rss_kib in secretscan's --stats output:\n{stderr}"))?;
    Ok((kib, String::from_utf8_lossy(&out.stdout).into_owned()))
}
