//! `cargo xtask git-bench`: builds a repository with a long history from
//! files present on any Debian machine, scans it with the release binary
//! (first with an empty findings store, then again with the same store),
//! and checks that the rescan is at least 10 times faster and reports the
//! same findings. Peers (other scanners) can be timed on the same
//! repository through the `GIT_BENCH_PEERS` environment variable.
//!
//! The repository is generated with `git fast-import`, deterministically:
//! commit `i` adds the next few text files of /usr/include (sorted), edits
//! two files added earlier, and every 50th commit plants a made-up token
//! (removed again 10 commits later), so the history has secrets that only
//! exist in old commits. Nothing is checked in; the work directory is
//! removed afterwards unless `--keep` is given.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Options of the check.
pub struct Options {
    pub commits: usize,
    pub keep: bool,
}

/// Runs the benchmark with the binary at `secretscan` in `work`.
pub fn run(secretscan: &Path, work: &Path, opts: &Options) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(work);
    std::fs::create_dir_all(work).map_err(|e| format!("{}: {e}", work.display()))?;
    let repo = work.join("history.git");
    let (blobs, bytes) = build_repo(&repo, opts.commits)?;
    println!(
        "git-bench: {} commits, {blobs} file versions, {:.1} MB of content, repository {}",
        opts.commits,
        bytes as f64 / 1e6,
        repo.display()
    );
    let store = work.join("findings.db");
    let (first_secs, first_out) = time_scan(secretscan, &repo, Some(&store))?;
    let (second_secs, second_out) = time_scan(secretscan, &repo, Some(&store))?;
    let (plain_secs, plain_out) = time_scan(secretscan, &repo, None)?;
    let count = |s: &str| s.lines().count();
    println!(
        "git-bench: secretscan git: {plain_secs:.2} s without a store ({} findings); \
         with --store: first scan {first_secs:.2} s, rescan {second_secs:.2} s (x{:.1})",
        count(&plain_out),
        first_secs / second_secs.max(1e-9)
    );
    let mut failures = Vec::new();
    if sorted_lines(&first_out) != sorted_lines(&second_out) {
        failures.push("the rescan reported other findings than the first scan".to_string());
    }
    if count(&first_out) < opts.commits / 50 {
        failures.push(format!(
            "{} findings, expected at least {} planted tokens",
            count(&first_out),
            opts.commits / 50
        ));
    }
    if first_secs < 10.0 * second_secs {
        failures.push(format!(
            "rescan only x{:.1} faster (need x10)",
            first_secs / second_secs.max(1e-9)
        ));
    }
    peers(&repo, plain_secs)?;
    if !opts.keep {
        let _ = std::fs::remove_dir_all(work);
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("; "))
    }
}

/// `secretscan git REPO --format jsonl` (with `--store`): wall seconds and
/// stdout with the volatile fields kept (findings compared as lines).
fn time_scan(bin: &Path, repo: &Path, store: Option<&Path>) -> Result<(f64, String), String> {
    let mut cmd = Command::new(bin);
    cmd.args(["git", "--quiet", "--format", "jsonl"]).arg(repo);
    if let Some(s) = store {
        cmd.arg("--store").arg(s);
    }
    let start = Instant::now();
    let out = cmd
        .output()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    let secs = start.elapsed().as_secs_f64();
    if !matches!(out.status.code(), Some(0 | 1)) {
        return Err(format!(
            "secretscan git failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok((secs, String::from_utf8_lossy(&out.stdout).into_owned()))
}

fn sorted_lines(s: &str) -> Vec<&str> {
    let mut v: Vec<&str> = s.lines().collect();
    v.sort_unstable();
    v
}

/// Times each peer of `GIT_BENCH_PEERS` (`name=command with {repo};...`).
fn peers(repo: &Path, ours: f64) -> Result<(), String> {
    let Ok(spec) = std::env::var("GIT_BENCH_PEERS") else {
        return Ok(());
    };
    for peer in spec.split(';').filter(|s| !s.trim().is_empty()) {
        let (name, template) = peer
            .split_once('=')
            .ok_or_else(|| format!("GIT_BENCH_PEERS: `{peer}` is not name=command"))?;
        let line = template.replace("{repo}", &repo.display().to_string());
        let start = Instant::now();
        let status = Command::new("sh")
            .args(["-c", &line])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| format!("{name}: {e}"))?;
        let secs = start.elapsed().as_secs_f64();
        println!(
            "git-bench: {name}: {secs:.2} s (exit {:?}); secretscan is x{:.2} its speed",
            status.code(),
            secs / ours.max(1e-9)
        );
    }
    Ok(())
}

/// Text files of /usr/include, sorted, as the source of content.
fn source_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "h") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(Path::new("/usr/include"), &mut out);
    out
}

/// Writes the repository with `git fast-import`; returns (file versions,
/// content bytes).
fn build_repo(repo: &Path, commits: usize) -> Result<(usize, u64), String> {
    let ok = Command::new("git")
        .args(["init", "-q", "--bare"])
        .arg(repo)
        .status()
        .map_err(|e| format!("git: {e}"))?;
    if !ok.success() {
        return Err("git init failed".into());
    }
    let files = source_files();
    if files.len() < 100 {
        return Err("too few header files under /usr/include to build a history".into());
    }
    let mut child = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(repo)
        .stdin(Stdio::piped())
        .spawn()
        .map_err(|e| format!("git fast-import: {e}"))?;
    let mut stdin = child.stdin.take().expect("piped");
    let (mut versions, mut bytes) = (0usize, 0u64);
    let mut next_file = 0usize;
    let mut present: Vec<String> = Vec::new();
    for i in 0..commits {
        let mut cmd = String::new();
        let _ = writeln!(cmd, "commit refs/heads/main");
        let _ = writeln!(
            cmd,
            "committer Bench <bench@example.com> {} +0000",
            1_600_000_000 + i * 600
        );
        let msg = format!("commit {i}");
        let _ = write!(cmd, "data {}\n{msg}\n", msg.len());
        stdin.write_all(cmd.as_bytes()).map_err(|e| e.to_string())?;
        let mut put = |name: &str, data: &[u8], stdin: &mut std::process::ChildStdin| {
            versions += 1;
            bytes += data.len() as u64;
            let head = format!("M 644 inline {name}\ndata {}\n", data.len());
            stdin.write_all(head.as_bytes())?;
            stdin.write_all(data)?;
            stdin.write_all(b"\n")
        };
        // Three new files per commit (cycling through the sources).
        for _ in 0..3 {
            let src = &files[next_file % files.len()];
            let name = format!("src/{}", next_file);
            next_file += 1;
            let data = std::fs::read(src).unwrap_or_default();
            put(&name, &data, &mut stdin).map_err(|e| e.to_string())?;
            present.push(name);
        }
        // Two edits of earlier files.
        for k in 0..2 {
            let name = present[(i * 7 + k * 13) % present.len()].clone();
            let data = format!("/* edit {i}.{k} */\n").repeat(20 + i % 50);
            put(&name, data.as_bytes(), &mut stdin).map_err(|e| e.to_string())?;
        }
        if i % 50 == 0 {
            // Varied digits: a run of zeros would read as a placeholder.
            let n = (i as u64 + 1).wrapping_mul(2_654_435_761) % 100_000_000;
            let token = github_token(&format!("R7vX2kq9LmN4pT8sW1yZ3b{n:08}"));
            let data = format!("GITHUB_TOKEN={token}\n");
            put("config/secrets.env", data.as_bytes(), &mut stdin).map_err(|e| e.to_string())?;
        }
        if i % 50 == 10 {
            stdin
                .write_all(b"D config/secrets.env\n")
                .map_err(|e| e.to_string())?;
        }
        stdin.write_all(b"\n").map_err(|e| e.to_string())?;
    }
    drop(stdin);
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err("git fast-import failed".into());
    }
    Ok((versions, bytes))
}

/// `ghp_` + `body` + the CRC-32 of `body` in six base62 characters: a token
/// that passes the `github-pat-classic` rule's checksum (the scheme of
/// `scanner_engine::Checksum::make_crc_token`, which xtask does not link).
fn github_token(body: &str) -> String {
    const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut crc = !0u32;
    for &b in body.as_bytes() {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                0xEDB8_8320 ^ (crc >> 1)
            } else {
                crc >> 1
            };
        }
    }
    let mut n = !crc;
    let mut check = [b'0'; 6];
    for slot in check.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    format!("ghp_{body}{}", String::from_utf8_lossy(&check))
}

#[cfg(test)]
mod tests {
    #[test]
    fn github_token_has_the_checksum_of_the_planted_token() {
        assert_eq!(
            super::github_token("R7vX2kq9LmN4pT8sW1yZ3bC6dF0gH5"),
            crate::rss::PLANTED_TOKEN
        );
    }
}
