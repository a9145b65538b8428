//! `cargo xtask precision [secretscan flags]`: false-positive rate of the
//! built-in rules on clean corpora that every Debian machine has.
//!
//! Corpora (each skipped with a note when absent):
//! - `python-stdlib`: the directory `sysconfig.get_paths()["stdlib"]` names,
//!   without its `site-packages`/`dist-packages` children (third-party code
//!   may hold real credentials, and it differs between machines);
//! - `cargo-registry`: `$CARGO_HOME/registry/src` (default `~/.cargo`);
//! - `usr-include`: `/usr/include`.
//!
//! Each corpus is scanned with the release binary as `secretscan dir
//! --no-ignore --format jsonl PATH... [flags]`; findings whose path still
//! lies under a `site-packages` or `dist-packages` directory are dropped.
//! The report gives, per corpus, its size (bytes of regular files, symlinks
//! not followed), the findings and findings per MB, then the findings per
//! rule and corpus. Every finding on these trees is a false positive except
//! the private keys in test certificate data, so the numbers are a defect
//! list. Exit status 0 when the scans ran, 2 when a scan failed.
//!
//! Standard library only, like the rest of xtask: the JSON lines are read by
//! extracting the two string fields needed.

use std::collections::BTreeMap;
use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A named tree to scan.
struct Corpus {
    name: &'static str,
    paths: Vec<PathBuf>,
}

/// Runs the measurement with `binary`, passing `extra` flags to `secretscan dir`.
pub fn run(binary: &Path, extra: &[std::ffi::OsString]) -> Result<u8, String> {
    let corpora = corpora();
    if corpora.is_empty() {
        return Err("no corpus found (python3, cargo registry, /usr/include)".into());
    }
    // rule -> corpus -> count
    let mut by_rule: BTreeMap<String, BTreeMap<&str, usize>> = BTreeMap::new();
    let mut rows = Vec::new();
    for corpus in &corpora {
        let bytes: u64 = corpus.paths.iter().map(|p| tree_bytes(p)).sum();
        let output = Command::new(binary)
            .arg("dir")
            .arg("--no-ignore")
            .args(["--format", "jsonl"])
            .args(extra)
            .args(&corpus.paths)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
        if !matches!(output.status.code(), Some(0 | 1)) {
            return Err(format!(
                "scan of {} failed ({}): {}",
                corpus.name,
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let mut findings = 0usize;
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            let (Some(rule), Some(path)) =
                (string_field(line, "rule_id"), string_field(line, "path"))
            else {
                continue;
            };
            if path.contains("/site-packages/") || path.contains("/dist-packages/") {
                continue;
            }
            findings += 1;
            *by_rule
                .entry(rule)
                .or_default()
                .entry(corpus.name)
                .or_default() += 1;
        }
        rows.push((corpus.name, bytes, findings));
    }
    let mb = |b: u64| b as f64 / 1e6;
    println!(
        "{:<16} {:>10} {:>9} {:>12}",
        "CORPUS", "MB", "FINDINGS", "FINDINGS/MB"
    );
    for (name, bytes, findings) in &rows {
        println!(
            "{name:<16} {:>10.1} {findings:>9} {:>12.4}",
            mb(*bytes),
            *findings as f64 / mb(*bytes).max(1e-9)
        );
    }
    let total_bytes: u64 = rows.iter().map(|r| r.1).sum();
    let total: usize = rows.iter().map(|r| r.2).sum();
    println!(
        "{:<16} {:>10.1} {total:>9} {:>12.4}",
        "all",
        mb(total_bytes),
        total as f64 / mb(total_bytes).max(1e-9)
    );
    println!();
    print!("{:<40} {:>12}", "RULE", "FINDINGS/MB");
    for (name, _, _) in &rows {
        print!(" {name:>16}");
    }
    println!();
    let mut rules: Vec<_> = by_rule.into_iter().collect();
    rules.sort_by_key(|(id, counts)| {
        (
            std::cmp::Reverse(counts.values().sum::<usize>()),
            id.clone(),
        )
    });
    for (id, counts) in rules {
        let n: usize = counts.values().sum();
        print!("{id:<40} {:>12.4}", n as f64 / mb(total_bytes).max(1e-9));
        for (name, _, _) in &rows {
            print!(" {:>16}", counts.get(name).copied().unwrap_or(0));
        }
        println!();
    }
    Ok(0)
}

/// The corpora present on this machine.
fn corpora() -> Vec<Corpus> {
    let mut out = Vec::new();
    let stdlib = Command::new("python3")
        .args([
            "-c",
            "import sysconfig;print(sysconfig.get_paths()[\"stdlib\"])",
        ])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    match stdlib.and_then(|d| fs::read_dir(&d).ok()) {
        Some(entries) => {
            let mut paths: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .filter(|e| {
                    let n = e.file_name();
                    n != "site-packages" && n != "dist-packages"
                })
                .map(|e| e.path())
                .collect();
            paths.sort();
            out.push(Corpus {
                name: "python-stdlib",
                paths,
            });
        }
        None => eprintln!("precision: python3 standard library not found; skipped"),
    }
    let cargo_home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    match cargo_home.map(|c| c.join("registry").join("src")) {
        Some(p) if p.is_dir() => out.push(Corpus {
            name: "cargo-registry",
            paths: vec![p],
        }),
        _ => eprintln!("precision: cargo registry sources not found; skipped"),
    }
    if Path::new("/usr/include").is_dir() {
        out.push(Corpus {
            name: "usr-include",
            paths: vec!["/usr/include".into()],
        });
    } else {
        eprintln!("precision: /usr/include not found; skipped");
    }
    out
}

/// Bytes of the regular files under `path` (symlinks are not followed).
fn tree_bytes(path: &Path) -> u64 {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return 0;
    };
    if meta.is_file() {
        return meta.len();
    }
    if !meta.is_dir() {
        return 0;
    }
    let Ok(entries) = fs::read_dir(path) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| tree_bytes(&e.path()))
        .sum()
}

/// The value of the string field `"name":"..."` of a JSON line, unescaped
/// for the escapes paths and rule ids can contain.
fn string_field(line: &str, name: &str) -> Option<String> {
    let key = format!("\"{name}\":\"");
    let start = line.find(&key)? + key.len();
    let mut out = String::new();
    let mut chars = line[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?).unwrap_or('?'));
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::string_field;

    #[test]
    fn fields_are_extracted_and_unescaped() {
        let line = r#"{"rule_id":"github-pat-classic","path":"a\\b \"c\".txt","line":1}"#;
        assert_eq!(
            string_field(line, "rule_id").as_deref(),
            Some("github-pat-classic")
        );
        assert_eq!(
            string_field(line, "path").as_deref(),
            Some("a\\b \"c\".txt")
        );
        assert_eq!(string_field(line, "secret"), None);
    }
}
