//! The recursive walk shared by every format: what happens to one member
//! (detect, recurse, or yield), the budgets that span the whole top-level
//! archive (entries, total bytes), and the bookkeeping of the stats.
//!
//! Invariants:
//! - every member handed to `visit` is read through a [`MemberReader`], so
//!   it is capped at `max_entry_bytes` and `visit` never sees a decoding
//!   error (a corrupt member ends early and is counted);
//! - an archive member is opened only while its level is at most
//!   `max_depth`; otherwise it is yielded as plain bytes and counted;
//! - a zip found inside a stream is held in memory only up to
//!   `max_in_memory_bytes`, otherwise yielded as plain bytes and counted;
//! - a nested archive unreadable from its first bytes is counted as corrupt
//!   and, when what its reader consumed was kept (see `replay`), yielded as
//!   plain bytes;
//! - once a walk-wide budget (entries, total bytes) is hit, the walk unwinds
//!   with [`Halt::Stop`] and nothing more is read;
//! - `visit`'s error unwinds with [`Halt::Visit`] at once.

use std::io::{self, Cursor, Read};
use std::rc::Rc;

use super::budget::{Charged, Counted, MemberReader, TotalBudget};
use super::decode;
use super::detect::{compressed_member_name, detect, ArchiveKind, DETECT_HEAD_LEN};
use super::limits::ArchiveLimits;
use super::replay::{Recording, REPLAY_CAP};
use super::stats::{ArchiveStats, SkipReason};
use super::{tar, zip};

/// The caller's callback: a member's display path and its bytes.
pub type Visit<'v> = dyn FnMut(&str, &mut dyn Read) -> io::Result<()> + 'v;

/// Why a walk unwinds.
#[derive(Debug)]
pub(crate) enum Halt {
    /// `visit` failed: return its error.
    Visit(io::Error),
    /// A walk-wide budget was hit (already counted): stop quietly.
    Stop,
}

pub(crate) type Step = Result<(), Halt>;

/// The state of one top-level walk.
pub(crate) struct Walker<'l, 'v, 'f> {
    pub(crate) limits: &'l ArchiveLimits,
    pub(crate) stats: ArchiveStats,
    pub(crate) budget: Rc<TotalBudget>,
    visit: &'v mut Visit<'f>,
    entries_seen: u64,
    total_reported: bool,
}

impl<'l, 'v, 'f> Walker<'l, 'v, 'f> {
    pub(crate) fn new(limits: &'l ArchiveLimits, visit: &'v mut Visit<'f>) -> Self {
        Self {
            limits,
            stats: ArchiveStats::default(),
            budget: TotalBudget::new(limits.max_total_bytes),
            visit,
            entries_seen: 0,
            total_reported: false,
        }
    }

    /// Records a warning (bounded list).
    pub(crate) fn warn(&mut self, path: &str, reason: SkipReason) {
        self.stats.warn(self.limits.max_warnings, path, reason);
    }

    /// Records a corrupt archive or member, unless the damage is only the
    /// end-of-file that a spent total budget produced (counted as such).
    pub(crate) fn corrupt(&mut self, path: &str, why: impl std::fmt::Display) {
        if self.budget.exhausted() {
            return;
        }
        self.stats.corrupt += 1;
        self.warn(path, SkipReason::Corrupt(why.to_string()));
    }

    /// Wraps a decoder's output so that it is charged to the total budget.
    pub(crate) fn charged<R: Read>(&self, inner: R) -> Charged<R> {
        Charged::new(inner, self.budget.clone())
    }

    /// Counts one enumerated entry against `max_entries`; `remaining` is
    /// how many entries of the current archive are known to follow this
    /// one (0 when unknown).
    pub(crate) fn take_entry(&mut self, path: &str, remaining: u64) -> Step {
        self.entries_seen += 1;
        if self.entries_seen > self.limits.max_entries {
            let skipped = remaining + 1;
            self.stats.skipped_entry_budget += skipped;
            let limit = self.limits.max_entries;
            self.warn(path, SkipReason::Entries { limit, skipped });
            return Err(Halt::Stop);
        }
        Ok(())
    }

    /// Stops the walk if the total budget was spent (reporting it once, at
    /// `path`, the member being read when it ran out).
    pub(crate) fn check_total(&mut self, path: &str) -> Step {
        if !self.budget.exhausted() {
            return Ok(());
        }
        if !self.total_reported {
            self.total_reported = true;
            self.stats.truncated_total_bytes += 1;
            let limit = self.limits.max_total_bytes;
            self.warn(path, SkipReason::TotalBytes { limit });
        }
        Err(Halt::Stop)
    }

    /// Handles one regular member of an archive at `level`: recurses into
    /// it when it is itself an archive within the depth, yields it otherwise.
    pub(crate) fn member(&mut self, path: &str, reader: &mut dyn Read, level: u32) -> Step {
        let mut m = MemberReader::new(reader, self.limits.max_entry_bytes);
        let kind = detect(path, m.peek_head(DETECT_HEAD_LEN));
        let corrupt_before = self.stats.corrupt;
        let result = match kind {
            Some(_) if level >= self.limits.max_depth => {
                self.stats.depth_limit_hits += 1;
                let limit = self.limits.max_depth;
                self.warn(path, SkipReason::Depth { limit });
                self.yield_member(path, &mut m)
            }
            Some(kind) => self.nested(kind, path, &mut m, level + 1),
            None => self.yield_member(path, &mut m),
        };
        if m.truncated() {
            self.stats.truncated_entry_bytes += 1;
            let limit = self.limits.max_entry_bytes;
            self.warn(path, SkipReason::EntryBytes { limit });
        }
        if let Some(e) = m.take_error() {
            // A nested archive cut by this error has counted it already.
            if self.stats.corrupt == corrupt_before {
                self.corrupt(path, e);
            }
        }
        result?;
        self.check_total(path)
    }

    /// Hands `reader` to `visit` as the member `path`.
    pub(crate) fn yield_member(&mut self, path: &str, reader: &mut dyn Read) -> Step {
        let mut counted = Counted {
            inner: reader,
            count: 0,
        };
        let result = (self.visit)(path, &mut counted);
        self.stats.members_yielded += 1;
        self.stats.bytes_yielded += counted.count;
        result.map_err(Halt::Visit)
    }

    /// Opens the archive member `path` of kind `kind` as an archive of
    /// level `level`.
    fn nested(
        &mut self,
        kind: ArchiveKind,
        path: &str,
        m: &mut MemberReader<'_>,
        level: u32,
    ) -> Step {
        if kind == ArchiveKind::Zip {
            return self.nested_zip(path, m, level);
        }
        let mut rec = Recording::new(m, REPLAY_CAP);
        let opened = if kind == ArchiveKind::Tar {
            let opened = tar::walk(self, &mut rec, path, level)?;
            if opened {
                self.stats.archives_opened += 1;
            }
            opened
        } else {
            self.compressed(kind, &mut rec, path, level)?
        };
        if opened {
            return Ok(());
        }
        // Unreadable from its first bytes (counted as corrupt): scan the
        // member as it is, if what the reader consumed was kept.
        match rec.into_replay() {
            Some(mut replay) => {
                self.stats.scanned_as_plain += 1;
                self.yield_member(path, &mut replay)
            }
            None => Ok(()),
        }
    }

    /// A zip inside a stream: read it into memory (bounded), then walk it.
    fn nested_zip(&mut self, path: &str, m: &mut MemberReader<'_>, level: u32) -> Step {
        let cap = self.limits.max_in_memory_bytes;
        let mut buf = Vec::new();
        // Reading from a MemberReader never fails (errors become EOF).
        let _ = m.by_ref().take(cap.saturating_add(1)).read_to_end(&mut buf);
        if buf.len() as u64 > cap {
            self.stats.in_memory_limit_hits += 1;
            self.warn(path, SkipReason::InMemory { limit: cap });
            let mut chained = Cursor::new(buf).chain(m);
            return self.yield_member(path, &mut chained);
        }
        match ::zip::ZipArchive::new(Cursor::new(&buf[..])) {
            Ok(mut archive) => {
                self.stats.archives_opened += 1;
                zip::walk(self, &mut archive, path, level)
            }
            Err(e) => {
                self.check_total(path)?;
                self.corrupt(path, format_args!("zip: {e}"));
                self.stats.scanned_as_plain += 1;
                self.yield_member(path, &mut Cursor::new(&buf[..]))
            }
        }
    }

    /// Walks a compressed stream read from `input`: a compressed tar is
    /// walked as a tar at the same level; anything else is the stream's
    /// single member, named after `path` without the compression extension.
    /// Returns whether the stream could be opened at all (some bytes were
    /// decompressed).
    pub(crate) fn compressed(
        &mut self,
        kind: ArchiveKind,
        input: &mut dyn Read,
        path: &str,
        level: u32,
    ) -> Result<bool, Halt> {
        let Some(dec) = decode::decoder(kind, input, self.limits.max_in_memory_bytes) else {
            return Ok(false);
        };
        let mut dec = self.charged(dec);
        let mut head = vec![0u8; DETECT_HEAD_LEN];
        let mut filled = 0;
        let mut failure = None;
        while filled < head.len() {
            match dec.read(&mut head[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        head.truncate(filled);
        if filled == 0 {
            if let Some(e) = failure {
                self.corrupt(path, format_args!("{kind}: {e}"));
                return Ok(false);
            }
        }
        self.stats.archives_opened += 1;
        let member_name = compressed_member_name(path);
        let member_path = format!("{path}!{member_name}");
        let mut rest = FailAfter {
            head: Cursor::new(head),
            failure,
            inner: dec,
        };
        if detect(&member_name, rest.head.get_ref()) == Some(ArchiveKind::Tar) {
            tar::walk(self, &mut rest, path, level)?;
        } else {
            self.member(&member_path, &mut rest, level)?;
        }
        Ok(true)
    }
}

/// The peeked head of a decoded stream, then the failure met while peeking
/// (if any), then the rest of the stream.
struct FailAfter<R> {
    head: Cursor<Vec<u8>>,
    failure: Option<io::Error>,
    inner: R,
}

impl<R: Read> Read for FailAfter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.head.read(buf)?;
        if n > 0 || buf.is_empty() {
            return Ok(n);
        }
        if let Some(e) = self.failure.take() {
            return Err(e);
        }
        self.inner.read(buf)
    }
}
