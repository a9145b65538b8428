//! Suppressions that judge a finding by itself: baseline fingerprints and
//! allowlisted values or regexes. (Inline markers need the finding's line
//! and live in [`crate::markers`].)
//!
//! Invariant: a suppressed finding is counted by the mechanism that
//! suppressed it, never silently dropped.

use std::collections::HashSet;

use scanner_engine::{Finding, Fingerprint};

/// The marker that suppresses findings on its line unless configured
/// otherwise.
pub const DEFAULT_MARKER: &str = "secretscan:allow";

/// What may suppress a finding.
#[derive(Clone, Debug)]
pub struct Suppressions {
    /// Inline markers: a finding on a line containing one is suppressed.
    pub markers: Vec<String>,
    /// Fingerprints accepted in a baseline.
    pub baseline: HashSet<Fingerprint>,
    /// Secrets (exact bytes) that are known not to be secrets.
    pub allow_values: HashSet<Vec<u8>>,
    /// Regexes matched against the secret; a match suppresses.
    pub allow_regexes: Vec<regex::bytes::Regex>,
}

impl Default for Suppressions {
    fn default() -> Suppressions {
        Suppressions {
            markers: vec![DEFAULT_MARKER.to_string()],
            baseline: HashSet::new(),
            allow_values: HashSet::new(),
            allow_regexes: Vec::new(),
        }
    }
}

/// Why a finding was suppressed (inline markers aside).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Report,
    Baseline,
    Allowlist,
}

impl Suppressions {
    /// Judges `f` by its fingerprint and secret.
    pub fn judge(&self, f: &Finding) -> Verdict {
        if self.baseline.contains(&f.fingerprint) {
            return Verdict::Baseline;
        }
        if self.allow_values.contains(&f.secret)
            || self.allow_regexes.iter().any(|r| r.is_match(&f.secret))
        {
            return Verdict::Allowlist;
        }
        Verdict::Report
    }
}
