//! What one [`super::scan_archive`] call did: counters, and a bounded list of
//! warnings naming each member that was cut, skipped or found corrupt.
//!
//! Invariants: every member that is not yielded whole is counted in exactly
//! one counter below (directories, links and special files are counted as
//! such, not as skipped) and, for budgets, encryption, unsupported methods
//! and corruption, also recorded as an [`ArchiveWarning`] while the list has
//! room ([`super::ArchiveLimits::max_warnings`]); the rest are counted in
//! `warnings_omitted`, so nothing is dropped silently.

use std::fmt;

/// A budget of [`super::ArchiveLimits`], as reported by
/// [`ArchiveStats::budgets_hit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Budget {
    /// `max_entries`.
    Entries,
    /// `max_entry_bytes`.
    EntryBytes,
    /// `max_total_bytes`.
    TotalBytes,
    /// `max_depth`.
    Depth,
    /// `max_in_memory_bytes`.
    InMemory,
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Entries => "max_entries",
            Self::EntryBytes => "max_entry_bytes",
            Self::TotalBytes => "max_total_bytes",
            Self::Depth => "max_depth",
            Self::InMemory => "max_in_memory_bytes",
        })
    }
}

/// Why a member was cut, skipped, or yielded as plain bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// The member was longer than `max_entry_bytes`: its first `limit`
    /// bytes were yielded.
    EntryBytes { limit: u64 },
    /// `max_total_bytes` ran out while reading this member: what was
    /// decompressed so far was yielded, and the walk stopped here.
    TotalBytes { limit: u64 },
    /// `max_entries` was reached at this member; `skipped` members of this
    /// archive (at least) were not enumerated, and the walk stopped.
    Entries { limit: u64, skipped: u64 },
    /// A nested archive at level `limit + 1`: yielded as plain bytes.
    Depth { limit: u32 },
    /// A nested zip that needs random access but is larger than
    /// `max_in_memory_bytes`: yielded as plain bytes.
    InMemory { limit: u64 },
    /// An encrypted member (zip traditional or AES encryption): skipped.
    Encrypted,
    /// A member compressed with a method that is not supported: skipped.
    Unsupported(String),
    /// A corrupt or truncated archive or member; what could be read before
    /// the damage was yielded.
    Corrupt(String),
}

impl SkipReason {
    /// The budget this reason is about, if any.
    pub fn budget(&self) -> Option<Budget> {
        match self {
            Self::EntryBytes { .. } => Some(Budget::EntryBytes),
            Self::TotalBytes { .. } => Some(Budget::TotalBytes),
            Self::Entries { .. } => Some(Budget::Entries),
            Self::Depth { .. } => Some(Budget::Depth),
            Self::InMemory { .. } => Some(Budget::InMemory),
            Self::Encrypted | Self::Unsupported(_) | Self::Corrupt(_) => None,
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EntryBytes { limit } => {
                write!(f, "member truncated at max_entry_bytes ({limit} bytes)")
            }
            Self::TotalBytes { limit } => write!(
                f,
                "max_total_bytes ({limit} bytes) exhausted; rest of the archive not scanned"
            ),
            Self::Entries { limit, skipped } => write!(
                f,
                "max_entries ({limit}) reached; {skipped} or more members not scanned"
            ),
            Self::Depth { limit } => write!(
                f,
                "nested archive beyond max_depth ({limit}); scanned as plain bytes"
            ),
            Self::InMemory { limit } => write!(
                f,
                "nested zip larger than max_in_memory_bytes ({limit} bytes); scanned as plain bytes"
            ),
            Self::Encrypted => f.write_str("encrypted member skipped"),
            Self::Unsupported(why) => write!(f, "unsupported member skipped: {why}"),
            Self::Corrupt(why) => write!(f, "corrupt or truncated: {why}"),
        }
    }
}

/// One member that was cut, skipped or found corrupt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveWarning {
    /// The member's display path (`outer.zip!dir/inner.tar!file`), or the
    /// archive's own path when the damage is in the archive structure.
    pub path: String,
    /// What happened.
    pub reason: SkipReason,
}

impl fmt::Display for ArchiveWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

/// Counters for one top-level archive (nested archives included).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArchiveStats {
    /// Archives and compressed streams opened (a `.tar.gz` counts once).
    pub archives_opened: u64,
    /// Members handed to `visit` (including archives yielded as plain bytes).
    pub members_yielded: u64,
    /// Bytes that `visit` read from the members it was handed.
    pub bytes_yielded: u64,
    /// Directory entries (not yielded).
    pub directories: u64,
    /// Symbolic and hard links (not yielded, not followed).
    pub links: u64,
    /// Devices, FIFOs and other non-regular tar entries (not yielded).
    pub special_files: u64,
    /// Members cut at `max_entry_bytes` (their first bytes were yielded).
    pub truncated_entry_bytes: u64,
    /// Members cut when `max_total_bytes` ran out (0 or 1: the walk stops).
    pub truncated_total_bytes: u64,
    /// Members known not to have been reached because `max_total_bytes` ran
    /// out (zip members left in the archive being walked).
    pub skipped_byte_budget: u64,
    /// Members known not to have been enumerated because of `max_entries`
    /// (at least 1 when it was hit).
    pub skipped_entry_budget: u64,
    /// Nested archives beyond `max_depth`, yielded as plain bytes.
    pub depth_limit_hits: u64,
    /// Nested zips too large to hold in memory, yielded as plain bytes.
    pub in_memory_limit_hits: u64,
    /// Encrypted members skipped.
    pub skipped_encrypted: u64,
    /// Members skipped for an unsupported compression method.
    pub skipped_unsupported: u64,
    /// Corrupt or truncated archives and members (each damage counted once).
    pub corrupt: u64,
    /// Archives unreadable from their first bytes (each also counted in
    /// `corrupt`), yielded as plain bytes instead: the top-level input, a
    /// nested zip, or a nested tar or compressed stream whose reader failed
    /// within its first 64 KiB.
    pub scanned_as_plain: u64,
    /// The first warnings, in order (at most `max_warnings`).
    pub warnings: Vec<ArchiveWarning>,
    /// Warnings beyond `max_warnings`, counted only.
    pub warnings_omitted: u64,
}

impl ArchiveStats {
    /// The budgets that were hit, each once, in a fixed order
    /// (entries, entry bytes, total bytes, depth, in-memory), for a warning.
    pub fn budgets_hit(&self) -> Vec<Budget> {
        let mut out = Vec::new();
        if self.skipped_entry_budget > 0 {
            out.push(Budget::Entries);
        }
        if self.truncated_entry_bytes > 0 {
            out.push(Budget::EntryBytes);
        }
        if self.truncated_total_bytes > 0 || self.skipped_byte_budget > 0 {
            out.push(Budget::TotalBytes);
        }
        if self.depth_limit_hits > 0 {
            out.push(Budget::Depth);
        }
        if self.in_memory_limit_hits > 0 {
            out.push(Budget::InMemory);
        }
        out
    }

    /// Members not scanned at all: skipped for encryption, method or a
    /// budget (truncated members and members yielded as plain bytes were
    /// scanned and are not included).
    pub fn members_skipped(&self) -> u64 {
        self.skipped_encrypted
            + self.skipped_unsupported
            + self.skipped_entry_budget
            + self.skipped_byte_budget
    }

    /// Whether anything was cut, skipped or found corrupt.
    pub fn has_warnings(&self) -> bool {
        !self.warnings.is_empty() || self.warnings_omitted > 0
    }

    /// Records a warning, keeping at most `max` in the list.
    pub(crate) fn warn(&mut self, max: usize, path: &str, reason: SkipReason) {
        if self.warnings.len() < max {
            self.warnings.push(ArchiveWarning {
                path: path.to_string(),
                reason,
            });
        } else {
            self.warnings_omitted += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_are_bounded_and_counted() {
        let mut s = ArchiveStats::default();
        for i in 0..5 {
            s.warn(3, &format!("a!{i}"), SkipReason::Encrypted);
        }
        assert_eq!(s.warnings.len(), 3);
        assert_eq!(s.warnings_omitted, 2);
        assert_eq!(s.warnings[0].to_string(), "a!0: encrypted member skipped");
    }

    #[test]
    fn budgets_hit_in_order() {
        let s = ArchiveStats {
            depth_limit_hits: 1,
            truncated_entry_bytes: 2,
            ..ArchiveStats::default()
        };
        assert_eq!(s.budgets_hit(), vec![Budget::EntryBytes, Budget::Depth]);
        assert!(ArchiveStats::default().budgets_hit().is_empty());
    }
}
