//! [`StoreWriter`]: records a scan's inputs and findings in batched
//! transactions.
//!
//! Findings arrive per input, possibly in several batches
//! ([`StoreWriter::record_findings`]), and are held in memory until the
//! input is complete ([`StoreWriter::record_input`]); then the input row,
//! its findings and its locations are written together inside the open
//! transaction, under a savepoint. The transaction is committed once it
//! holds [`WriterOptions::batch_rows`] rows or more, on
//! [`StoreWriter::flush`] and on [`StoreWriter::finish`].
//!
//! Invariants:
//! - A transaction holds whole inputs only: an input row is committed with
//!   all of its findings and locations, or none of them is. A kill at any
//!   moment loses at most the open batch, and the next incremental scan
//!   scans exactly the inputs whose rows were lost.
//! - An input whose writing fails is rolled back to its savepoint; the
//!   other inputs of the batch stay.
//! - Dropping a writer without [`StoreWriter::flush`] rolls back the open
//!   batch, as a crash would (a panic or an error path never commits).
//! - With [`WriterOptions::redact`], secret bytes are hashed as soon as
//!   they are handed over and never reach a statement; neither the matched
//!   text nor the encoded text is ever stored, redacted or not.
//! - Statements are prepared once per connection (statement cache) and
//!   there is no per-row commit.

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension};
use scanner_engine::Finding;

use crate::store::{to_i64, InputKey, ScanId};
use crate::{sha256_hex, StoreError};

/// Rows (input, finding and location rows) after which a batch commits.
pub const DEFAULT_BATCH_ROWS: usize = 1000;

/// How a [`StoreWriter`] records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriterOptions {
    /// Store secrets only as their SHA-256 (the `secret` column stays
    /// NULL; findings recorded earlier without redaction lose their secret
    /// when seen again).
    pub redact: bool,
    /// Commit once the open transaction holds this many rows (at the end of
    /// an input); at least 1.
    pub batch_rows: usize,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            redact: false,
            batch_rows: DEFAULT_BATCH_ROWS,
        }
    }
}

/// Where a git blob was found: recorded with each of its findings'
/// locations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GitProvenance {
    /// Commit id in hex.
    pub commit_id: String,
    pub author_name: String,
    pub author_email: String,
    /// Commit time, Unix seconds.
    pub commit_time: i64,
    /// The first line of the commit message (only that line is stored).
    pub summary: String,
}

/// What a writer did so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Transactions committed.
    pub commits: u64,
    /// Inputs recorded as scanned (committed or in the open batch).
    pub inputs: u64,
    /// Inputs recorded as unchanged.
    pub unchanged: u64,
    /// Locations recorded (one per finding per input).
    pub locations: u64,
}

/// A finding of an input not yet complete, reduced to what is stored.
struct Pending {
    fingerprint: String,
    rule_id: Arc<str>,
    rule_name: Arc<str>,
    /// `None` under redaction.
    secret: Option<Vec<u8>>,
    secret_sha256: String,
    entropy: f64,
    line: u64,
    column: u64,
    start: u64,
    end: u64,
    decode_path: String,
    provenance: Option<Arc<GitProvenance>>,
}

/// Records one scan's results; see the module documentation. Created by
/// [`Store::writer`](crate::Store::writer), on its own connection.
pub struct StoreWriter {
    conn: Connection,
    scan: ScanId,
    ruleset_hash: String,
    options: WriterOptions,
    pending: HashMap<String, Vec<Pending>>,
    in_tx: bool,
    rows_in_tx: usize,
    stats: WriterStats,
}

impl std::fmt::Debug for StoreWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreWriter")
            .field("scan", &self.scan)
            .field("options", &self.options)
            .field("stats", &self.stats)
            .finish()
    }
}

impl StoreWriter {
    pub(crate) fn new(
        conn: Connection,
        scan: ScanId,
        ruleset_hash: String,
        options: WriterOptions,
    ) -> StoreWriter {
        StoreWriter {
            conn,
            scan,
            ruleset_hash,
            options: WriterOptions {
                batch_rows: options.batch_rows.max(1),
                ..options
            },
            pending: HashMap::new(),
            in_tx: false,
            rows_in_tx: 0,
            stats: WriterStats::default(),
        }
    }

    /// The scan being recorded.
    pub fn scan(&self) -> ScanId {
        self.scan
    }

    /// What was done so far.
    pub fn stats(&self) -> WriterStats {
        self.stats
    }

    /// Holds findings of `input` (as shown: the path the findings belong
    /// to) until [`StoreWriter::record_input`] completes it. Touches no
    /// database; under redaction the secrets are hashed here.
    pub fn record_findings(
        &mut self,
        input: &str,
        findings: &[Finding],
        provenance: Option<&GitProvenance>,
    ) {
        if findings.is_empty() {
            return;
        }
        let provenance = provenance.map(|p| Arc::new(p.clone()));
        let redact = self.options.redact;
        let list = self.pending.entry(input.to_string()).or_default();
        list.extend(findings.iter().map(|f| Pending {
            fingerprint: f.fingerprint.to_string(),
            rule_id: f.rule_id.clone(),
            rule_name: f.rule_name.clone(),
            secret: (!redact).then(|| f.secret.clone()),
            secret_sha256: sha256_hex(&f.secret),
            entropy: f.entropy,
            line: f.line,
            column: f.column,
            start: f.start,
            end: f.end,
            decode_path: f.decode_path_string(),
            provenance: provenance.clone(),
        }));
    }

    /// Forgets the findings held for `input` (an input that was skipped or
    /// could not be read whole, and is not recorded as scanned).
    pub fn discard(&mut self, input: &str) {
        self.pending.remove(input);
    }

    /// Inputs with findings held and not yet recorded.
    pub fn pending_inputs(&self) -> usize {
        self.pending.len()
    }

    /// Records `key` as scanned by this scan under its rule-set hash, with
    /// every finding held for `input` (its name as shown), in the open
    /// batch; commits the batch when it is full. Recording the same content
    /// again (a forced rescan) replaces its locations.
    pub fn record_input(
        &mut self,
        input: &str,
        key: &InputKey<'_>,
        size: u64,
    ) -> Result<(), StoreError> {
        let findings = self.pending.remove(input).unwrap_or_default();
        self.begin()?;
        self.conn.execute_batch("SAVEPOINT input")?;
        match self.write_input(input, key, size, &findings) {
            Ok(()) => self.conn.execute_batch("RELEASE input")?,
            Err(e) => {
                // Leave the batch as it was before this input.
                let _ = self.conn.execute_batch("ROLLBACK TO input; RELEASE input");
                return Err(e);
            }
        }
        self.rows_in_tx += 1 + 2 * findings.len();
        self.stats.inputs += 1;
        self.stats.locations += findings.len() as u64;
        self.commit_if_full()
    }

    /// Records that this scan skipped `key` because the store already had
    /// it: the input and its findings are marked as seen by this scan.
    /// Returns false (and records nothing) when the store does not have it.
    pub fn record_unchanged(&mut self, key: &InputKey<'_>) -> Result<bool, StoreError> {
        self.begin()?;
        let scan = self.scan.0;
        let id: Option<i64> = self
            .conn
            .prepare_cached(
                "UPDATE inputs SET last_seen_scan_id = ?1
                 WHERE kind = ?2 AND key = ?3 AND content_hash = ?4 AND ruleset_hash = ?5
                 RETURNING id",
            )?
            .query_row(
                params![
                    scan,
                    key.kind.as_str(),
                    key.key,
                    key.content_hash,
                    self.ruleset_hash
                ],
                |r| r.get(0),
            )
            .optional()?;
        let Some(id) = id else {
            return Ok(false);
        };
        self.conn
            .prepare_cached(
                "UPDATE findings SET last_seen_scan_id = ?1
                 WHERE id IN (SELECT finding_id FROM locations WHERE input_id = ?2)",
            )?
            .execute(params![scan, id])?;
        self.rows_in_tx += 1;
        self.stats.unchanged += 1;
        self.commit_if_full()?;
        Ok(true)
    }

    /// Commits the open batch, if any. Findings held for inputs not yet
    /// recorded stay held.
    pub fn flush(&mut self) -> Result<(), StoreError> {
        if self.in_tx {
            self.conn.execute_batch("COMMIT")?;
            self.in_tx = false;
            self.rows_in_tx = 0;
            self.stats.commits += 1;
        }
        Ok(())
    }

    /// Commits the open batch and closes the writer.
    /// Records `commits` as covered under this writer's rule set: every blob
    /// of their trees is recorded (call it after the last blob, so a crash
    /// before never claims a commit whose blobs were not all committed).
    pub fn record_commits(&mut self, commits: &[String]) -> Result<(), StoreError> {
        self.begin()?;
        {
            let mut st = self.conn.prepare_cached(
                "INSERT OR IGNORE INTO commits (commit_id, ruleset_hash, scan_id) VALUES (?1, ?2, ?3)",
            )?;
            for c in commits {
                st.execute(params![c, self.ruleset_hash, self.scan.0])?;
            }
        }
        self.rows_in_tx += commits.len();
        self.commit_if_full()
    }

    pub fn finish(mut self) -> Result<WriterStats, StoreError> {
        self.flush()?;
        Ok(self.stats)
    }

    fn begin(&mut self) -> Result<(), StoreError> {
        if !self.in_tx {
            // IMMEDIATE: take the write lock now (waiting up to the busy
            // timeout), not at the first write inside the batch.
            self.conn.execute_batch("BEGIN IMMEDIATE")?;
            self.in_tx = true;
            self.rows_in_tx = 0;
        }
        Ok(())
    }

    fn commit_if_full(&mut self) -> Result<(), StoreError> {
        if self.rows_in_tx >= self.options.batch_rows {
            self.flush()?;
        }
        Ok(())
    }

    /// The input row, then each finding (inserted, or its last-seen scan
    /// and secret updated) and its location.
    fn write_input(
        &self,
        input: &str,
        key: &InputKey<'_>,
        size: u64,
        findings: &[Pending],
    ) -> Result<(), StoreError> {
        let scan = self.scan.0;
        let input_id: i64 = self
            .conn
            .prepare_cached(
                "INSERT INTO inputs (kind, key, content_hash, size, ruleset_hash, scan_id,
                                     last_seen_scan_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
                 ON CONFLICT (kind, key, content_hash, ruleset_hash) DO UPDATE SET
                     size = excluded.size, scan_id = excluded.scan_id,
                     last_seen_scan_id = excluded.last_seen_scan_id
                 RETURNING id",
            )?
            .query_row(
                params![
                    key.kind.as_str(),
                    key.key,
                    key.content_hash,
                    to_i64(size),
                    self.ruleset_hash,
                    scan
                ],
                |r| r.get(0),
            )?;
        self.conn
            .prepare_cached("DELETE FROM locations WHERE input_id = ?1")?
            .execute([input_id])?;
        let mut upsert = self.conn.prepare_cached(
            "INSERT INTO findings (fingerprint, rule_id, rule_name, secret, secret_sha256,
                                   entropy, first_seen_scan_id, last_seen_scan_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
             ON CONFLICT (fingerprint) DO UPDATE SET
                 secret = excluded.secret, last_seen_scan_id = excluded.last_seen_scan_id
             RETURNING id",
        )?;
        let mut locate = self.conn.prepare_cached(
            "INSERT INTO locations (finding_id, input_id, path, line, \"column\", start, \"end\",
                                    decode_path, commit_id, author_name, author_email,
                                    commit_time, commit_summary)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?;
        for f in findings {
            let finding_id: i64 = upsert.query_row(
                params![
                    f.fingerprint,
                    &*f.rule_id,
                    &*f.rule_name,
                    f.secret,
                    f.secret_sha256,
                    f.entropy,
                    scan
                ],
                |r| r.get(0),
            )?;
            let p = f.provenance.as_deref();
            locate.execute(params![
                finding_id,
                input_id,
                input,
                to_i64(f.line),
                to_i64(f.column),
                to_i64(f.start),
                to_i64(f.end),
                f.decode_path,
                p.map(|p| &p.commit_id),
                p.map(|p| &p.author_name),
                p.map(|p| &p.author_email),
                p.map(|p| p.commit_time),
                p.map(|p| first_line(&p.summary)),
            ])?;
        }
        Ok(())
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

impl Drop for StoreWriter {
    /// Rolls back the open batch: only [`StoreWriter::flush`] and
    /// [`StoreWriter::finish`] commit the last batch.
    fn drop(&mut self) {
        if self.in_tx {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}
