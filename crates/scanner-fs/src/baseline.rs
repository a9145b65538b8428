//! Baseline files: findings a team has reviewed and accepted, suppressed by
//! fingerprint in later scans.
//!
//! Format (text, one finding per line, sorted by path, line and rule, so
//! that a regenerated baseline diffs cleanly in review):
//!
//! ```text
//! # secretscan baseline v1: findings listed here are not reported again.
//! 8f0c2e6b1a9d4c37 github-pat-classic src/settings.py:12
//! ```
//!
//! Only the first field (the fingerprint of rule id and secret) suppresses;
//! rule and location are there for the reviewer. Blank lines and lines
//! starting with `#` are ignored.
//!
//! Invariant: a malformed line is an error naming the file and line, never
//! skipped.

use std::collections::{BTreeSet, HashSet};
use std::fmt::Write as _;
use std::path::Path;

use scanner_engine::{Finding, Fingerprint};

/// First line of every baseline written.
pub const HEADER: &str = "# secretscan baseline v1: findings listed here are not reported again.\n\
     # One line per finding: fingerprint, rule id, path:line. Regenerate with --write-baseline.\n";

/// Reads the fingerprints of a baseline file.
pub fn read(path: &Path) -> Result<HashSet<Fingerprint>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read baseline {}: {e}", path.display()))?;
    parse(&text).map_err(|(line, msg)| format!("{}:{line}: {msg}", path.display()))
}

/// Parses baseline text; an error gives the 1-based line and what is wrong.
pub fn parse(text: &str) -> Result<HashSet<Fingerprint>, (usize, String)> {
    let mut set = HashSet::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let field = line.split_whitespace().next().unwrap_or("");
        let valid = field.len() == 16 && field.bytes().all(|b| b.is_ascii_hexdigit());
        let value = u64::from_str_radix(field, 16).ok().filter(|_| valid);
        match value {
            Some(v) => {
                set.insert(Fingerprint(v));
            }
            None => {
                return Err((
                    i + 1,
                    format!("expected a 16-hex-digit fingerprint, found `{field}`"),
                ))
            }
        }
    }
    Ok(set)
}

/// Collects findings for a baseline, in memory bounded by the number of
/// distinct (path, line, rule, fingerprint) entries.
#[derive(Debug, Default)]
pub struct BaselineWriter {
    entries: BTreeSet<(String, u64, String, Fingerprint)>,
}

impl BaselineWriter {
    pub fn add(&mut self, path: &str, f: &Finding) {
        self.entries.insert((
            path.to_string(),
            f.line,
            f.rule_id.to_string(),
            f.fingerprint,
        ));
    }

    /// The baseline text, sorted.
    pub fn render(&self) -> String {
        let mut out = String::from(HEADER);
        for (path, line, rule, fp) in &self.entries {
            let _ = writeln!(out, "{fp} {rule} {path}:{line}");
        }
        out
    }

    /// Writes the baseline to `path` (replacing it).
    pub fn write(&self, path: &Path) -> Result<(), String> {
        std::fs::write(path, self.render())
            .map_err(|e| format!("cannot write baseline {}: {e}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_comments_and_rejects_garbage() {
        let ok = "# c\n\n00000000000000ff rule a.txt:3\n0123456789abcdef\n";
        let set = parse(ok).unwrap();
        assert!(set.contains(&Fingerprint(0xff)));
        assert!(set.contains(&Fingerprint(0x0123_4567_89ab_cdef)));
        assert_eq!(set.len(), 2);
        let err = parse("0000000000000001 r p:1\nnot-a-fingerprint r p:2\n").unwrap_err();
        assert_eq!(err.0, 2);
        assert!(err.1.contains("not-a-fingerprint"), "{}", err.1);
        assert!(
            parse("+123456789abcdef\n").is_err(),
            "sign is not a hex digit"
        );
    }
}
