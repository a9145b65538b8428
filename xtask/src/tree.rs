//! The directory tree that `bench` and `compare` scan end to end: files
//! present on any Debian machine with a Rust toolchain, hard-linked (copied
//! when linking fails) into `$HOME/.cache/secretscan/bench-tree-<MB>MB`.
//!
//! Sources, in this order, each walked depth first in sorted order and
//! taken up to its share of the target size:
//!
//! | label            | source                              | share      |
//! |------------------|-------------------------------------|------------|
//! | `include`        | `/usr/include`                      | 1/3        |
//! | `python`         | `/usr/lib/python3*` (sorted)        | 1/6        |
//! | `cargo-registry` | `$CARGO_HOME/registry/src`          | 1/3        |
//! | `share`          | `/usr/share`                        | the rest   |
//!
//! Symbolic links, `.git` directories and files that change what scanners
//! skip (`.gitignore`, `.ignore`, `.gitleaksignore`, `secretscan.toml`) are
//! left out, so every scanner sees the same files. A file that would take a
//! source past its share is skipped (smaller later files may still fit).
//! The tree is built once; `MANIFEST` (relative path and size per file,
//! then a `total` line) marks it complete and is read on later runs. Delete
//! the directory to rebuild it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// An assembled tree.
pub struct Tree {
    pub path: PathBuf,
    pub files: u64,
    pub bytes: u64,
}

impl Tree {
    /// E.g. `642.1 MB in 41,352 files (…/bench-tree-600MB)`.
    pub fn describe(&self) -> String {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let shown = match home.as_deref().and_then(|h| self.path.strip_prefix(h).ok()) {
            Some(rel) => format!("$HOME/{}", rel.display()),
            None => self.path.display().to_string(),
        };
        format!(
            "{:.1} MB in {} files (`{shown}`)",
            self.bytes as f64 / 1e6,
            thousands(self.files),
        )
    }
}

/// Names that are never copied into the tree.
const SKIPPED_NAMES: &[&str] = &[
    ".git",
    ".gitignore",
    ".ignore",
    ".gitleaksignore",
    "secretscan.toml",
];

/// The tree of `target_mb` (decimal) megabytes, built if missing.
pub fn ensure(target_mb: u64) -> Result<Tree, String> {
    let home = std::env::var_os("HOME").ok_or("HOME is not set")?;
    let dir = Path::new(&home)
        .join(".cache")
        .join("secretscan")
        .join(format!("bench-tree-{target_mb}MB"));
    let manifest = dir.join("MANIFEST");
    if let Ok(text) = fs::read_to_string(&manifest) {
        if let Some(tree) = parse_manifest(&dir, &text) {
            return Ok(tree);
        }
    }
    eprintln!(
        "xtask: assembling the {target_mb} MB benchmark tree in {} (once)",
        dir.display()
    );
    let _ = fs::remove_dir_all(&dir);
    let files_dir = dir.join("files");
    fs::create_dir_all(&files_dir).map_err(|e| format!("{}: {e}", files_dir.display()))?;
    let target = target_mb * 1_000_000;
    let mut listing = String::new();
    let (mut files, mut bytes) = (0u64, 0u64);
    for (label, roots, share) in sources(target) {
        let cap = share.min(target.saturating_sub(bytes));
        let mut taken = 0u64;
        for root in roots {
            let mut found = Vec::new();
            walk(&root, &root, &mut found);
            for (rel, size) in found {
                if taken + size > cap {
                    continue;
                }
                let from = root.join(&rel);
                let name = Path::new(label)
                    .join(root.file_name().unwrap_or_default())
                    .join(&rel);
                let to = files_dir.join(&name);
                if let Some(parent) = to.parent() {
                    fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
                }
                if fs::hard_link(&from, &to).is_err() && fs::copy(&from, &to).is_err() {
                    continue;
                }
                listing.push_str(&format!("{size}\t{}\n", name.display()));
                taken += size;
                files += 1;
            }
        }
        bytes += taken;
    }
    listing.push_str(&format!("total\t{files}\t{bytes}\n"));
    let mut out =
        fs::File::create(&manifest).map_err(|e| format!("{}: {e}", manifest.display()))?;
    out.write_all(listing.as_bytes())
        .map_err(|e| format!("{}: {e}", manifest.display()))?;
    if bytes < target / 2 {
        eprintln!(
            "xtask: warning: the benchmark tree holds only {:.0} MB of the {target_mb} MB asked for",
            bytes as f64 / 1e6
        );
    }
    Ok(Tree {
        path: files_dir,
        files,
        bytes,
    })
}

/// The sources with their byte shares of `target`.
fn sources(target: u64) -> Vec<(&'static str, Vec<PathBuf>, u64)> {
    let mut python: Vec<PathBuf> = fs::read_dir("/usr/lib")
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("python3"))
                })
                .collect()
        })
        .unwrap_or_default();
    python.sort();
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .unwrap_or_default();
    vec![
        ("include", vec!["/usr/include".into()], target / 3),
        ("python", python, target / 6),
        (
            "cargo-registry",
            vec![cargo_home.join("registry").join("src")],
            target / 3,
        ),
        ("share", vec!["/usr/share".into()], target),
    ]
}

/// Appends the regular files under `dir` (relative to `root`, with their
/// sizes) to `out`, sorted, depth first; symbolic links and
/// [`SKIPPED_NAMES`] are left out.
fn walk(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, u64)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        if SKIPPED_NAMES.iter().any(|n| entry.file_name() == **n) {
            continue;
        }
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_dir() {
            walk(root, &path, out);
        } else if kind.is_file() {
            let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
            if let Ok(rel) = path.strip_prefix(root) {
                out.push((rel.to_path_buf(), size));
            }
        }
    }
}

/// Regular files under `path` (or `path` itself) and their total size,
/// with the same files left out as when the tree is assembled.
pub fn size_of(path: &Path) -> (u64, u64) {
    if path.is_file() {
        return (1, fs::metadata(path).map_or(0, |m| m.len()));
    }
    let mut found = Vec::new();
    walk(path, path, &mut found);
    (found.len() as u64, found.iter().map(|(_, size)| size).sum())
}

/// The tree a complete `MANIFEST` describes, if its last line is the total.
fn parse_manifest(dir: &Path, text: &str) -> Option<Tree> {
    let last = text.lines().last()?;
    let mut fields = last.split('\t');
    (fields.next()? == "total").then_some(())?;
    let files = fields.next()?.parse().ok()?;
    let bytes = fields.next()?.parse().ok()?;
    Some(Tree {
        path: dir.join("files"),
        files,
        bytes,
    })
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_total_and_thousands() {
        let tree = parse_manifest(Path::new("/t"), "5\ta/b\ntotal\t1\t5\n").unwrap();
        assert_eq!((tree.files, tree.bytes), (1, 5));
        assert!(parse_manifest(Path::new("/t"), "5\ta/b\n").is_none());
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
    }
}
