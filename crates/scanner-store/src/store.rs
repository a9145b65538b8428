//! [`Store`]: opening the database, scans, incremental look-ups, reports
//! and triage.
//!
//! Invariants:
//! - Every connection runs with foreign keys on and a busy timeout; a
//!   read-write open puts the file in WAL mode with `synchronous=NORMAL`
//!   and migrates it to [`SCHEMA_VERSION`](crate::SCHEMA_VERSION) first.
//! - A read-only open never writes and accepts only a database at exactly
//!   the current schema version.
//! - At most one scan is `running` after [`Store::begin_scan`]: any other
//!   was left by a process that died and is marked `interrupted`.
//! - Fingerprints are stored as 16 lowercase hex digits, as shown to users.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::types::Value;
use rusqlite::{
    params, params_from_iter, Connection, OpenFlags, OptionalExtension, Row, Transaction,
    TransactionBehavior,
};
use scanner_engine::Fingerprint;

use crate::schema;
use crate::writer::{GitProvenance, StoreWriter, WriterOptions};
use crate::{now_unix, StoreError};

/// How long a connection waits for another process's write lock before
/// failing with `SQLITE_BUSY`.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The id of a scan (the `scans.id` column).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScanId(pub i64);

impl fmt::Display for ScanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What kind of input was scanned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InputKind {
    /// A file (or archive member) on disk, keyed by its path as shown.
    File,
    /// A git blob, keyed by its object id in hex.
    Blob,
}

impl InputKind {
    /// `file` or `blob`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::File => "file",
            InputKind::Blob => "blob",
        }
    }

    fn parse(s: &str) -> Result<InputKind, StoreError> {
        match s {
            "file" => Ok(InputKind::File),
            "blob" => Ok(InputKind::Blob),
            _ => Err(StoreError::Invalid(format!("input kind {s:?}"))),
        }
    }
}

/// One content of one input: what incremental scanning compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct InputKey<'a> {
    pub kind: InputKind,
    /// For a file, its path as shown in findings; for a blob, its object id
    /// in hex.
    pub key: &'a str,
    /// A hash of the content, chosen by the caller (e.g. [`crate::sha256_hex`]
    /// of the bytes; for a blob, its object id again). Only compared for
    /// equality.
    pub content_hash: &'a str,
}

/// What a scan is, given when it begins.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScanMeta {
    /// The tool's version, e.g. `env!("CARGO_PKG_VERSION")`.
    pub tool_version: String,
    /// A hash of the rule set and of every setting that changes what a scan
    /// finds: inputs scanned under another hash are scanned again.
    pub ruleset_hash: String,
    /// What was scanned, for people: the command line or the root scanned.
    pub description: String,
}

/// A scan's totals, given when it finishes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScanCounters {
    /// Inputs scanned in this scan.
    pub inputs_scanned: u64,
    /// Inputs not scanned because the store had them (same content and
    /// rule-set hash).
    pub inputs_unchanged: u64,
    /// Inputs skipped (binary, too large, unreadable, ...).
    pub inputs_skipped: u64,
    /// Bytes scanned.
    pub bytes_scanned: u64,
    /// Findings reported (including those of unchanged inputs).
    pub findings: u64,
}

/// Where a scan stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanStatus {
    /// Begun and not finished (or its process is still running).
    Running,
    /// Finished with [`Store::finish_scan`].
    Complete,
    /// Left running by a process that died; marked by the next
    /// [`Store::begin_scan`].
    Interrupted,
}

impl ScanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ScanStatus::Running => "running",
            ScanStatus::Complete => "complete",
            ScanStatus::Interrupted => "interrupted",
        }
    }

    fn parse(s: &str) -> Result<ScanStatus, StoreError> {
        match s {
            "running" => Ok(ScanStatus::Running),
            "complete" => Ok(ScanStatus::Complete),
            "interrupted" => Ok(ScanStatus::Interrupted),
            _ => Err(StoreError::Invalid(format!("scan status {s:?}"))),
        }
    }
}

/// One row of `scans`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanRecord {
    pub id: ScanId,
    /// Unix seconds.
    pub started_at: i64,
    /// Unix seconds; `None` unless complete.
    pub finished_at: Option<i64>,
    pub status: ScanStatus,
    pub meta: ScanMeta,
    pub counters: ScanCounters,
}

/// A triage decision, or its absence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TriageStatus {
    /// No decision yet.
    Open,
    /// Confirmed a real secret, acknowledged by the team and being handled
    /// (rotated, removed from history, ...).
    Accepted,
    /// Not a secret: a false positive (test data, placeholder, example).
    Rejected,
}

impl TriageStatus {
    /// `open`, `accepted` or `rejected`.
    pub fn as_str(self) -> &'static str {
        match self {
            TriageStatus::Open => "open",
            TriageStatus::Accepted => "accepted",
            TriageStatus::Rejected => "rejected",
        }
    }

    /// The inverse of [`TriageStatus::as_str`].
    pub fn parse(s: &str) -> Option<TriageStatus> {
        match s {
            "open" => Some(TriageStatus::Open),
            "accepted" => Some(TriageStatus::Accepted),
            "rejected" => Some(TriageStatus::Rejected),
            _ => None,
        }
    }
}

/// A recorded triage decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Triage {
    /// [`TriageStatus::Accepted`] or [`TriageStatus::Rejected`].
    pub status: TriageStatus,
    pub note: Option<String>,
    /// Unix seconds.
    pub decided_at: i64,
}

/// One place a finding was seen.
#[derive(Clone, Debug, PartialEq)]
pub struct FindingLocation {
    pub input_kind: InputKind,
    /// The input's key (path, or blob object id).
    pub input_key: String,
    pub content_hash: String,
    /// The scan that scanned this content of the input.
    pub scan: ScanId,
    /// The input as shown: the file path (`archive!member` for archive
    /// members), or for a blob the path it had in the commit.
    pub path: String,
    /// 1-based.
    pub line: u64,
    /// 1-based, in bytes.
    pub column: u64,
    /// Byte span of the secret (or of the encoded text holding it).
    pub start: u64,
    pub end: u64,
    /// `base64 > url`, or empty for a raw finding.
    pub decode_path: String,
    pub provenance: Option<GitProvenance>,
}

/// A finding as stored, with its locations.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredFinding {
    pub fingerprint: Fingerprint,
    pub rule_id: String,
    pub rule_name: String,
    /// The secret, or `None` when it was recorded with redaction.
    pub secret: Option<Vec<u8>>,
    /// SHA-256 of the secret, 64 hex digits; always present.
    pub secret_sha256: String,
    pub entropy: f64,
    pub first_seen_scan: ScanId,
    pub last_seen_scan: ScanId,
    pub triage: Option<Triage>,
    /// The locations asked for (all of them in a report; those in the input
    /// for [`Store::findings_for_input`]), in the order recorded.
    pub locations: Vec<FindingLocation>,
}

impl StoredFinding {
    /// The triage status: open when no decision was recorded.
    pub fn status(&self) -> TriageStatus {
        self.triage
            .as_ref()
            .map_or(TriageStatus::Open, |t| t.status)
    }
}

/// Parses a fingerprint as shown (16 hex digits).
pub fn parse_fingerprint(s: &str) -> Option<Fingerprint> {
    if s.len() != 16 {
        return None;
    }
    u64::from_str_radix(s, 16).ok().map(Fingerprint)
}

/// An open findings store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    read_only: bool,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// Opens a read-write connection with the store's settings (no migration).
pub(crate) fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Invalid(format!(
            "journal mode {mode:?} (WAL could not be enabled)"
        )));
    }
    conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")?;
    conn.set_prepared_statement_cache_capacity(32);
    Ok(conn)
}

impl Store {
    /// Opens the store at `path`, creating the file if needed and migrating
    /// it to the current schema. Fails with [`StoreError::TooNew`] for a
    /// database of a newer secretscan, without changing it.
    pub fn open(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        let path = path.as_ref().to_path_buf();
        let mut conn = connect(&path)?;
        schema::migrate(&mut conn)?;
        Ok(Store {
            conn,
            path,
            read_only: false,
        })
    }

    /// Opens an existing store for reading only: never writes, never
    /// migrates (a database at another schema version is an error).
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        let path = path.as_ref().to_path_buf();
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.execute_batch("PRAGMA foreign_keys = ON;")?;
        let found = schema::version(&conn)?;
        let current = schema::SCHEMA_VERSION;
        if found > current {
            return Err(StoreError::TooNew {
                found,
                supported: current,
            });
        }
        if found < current {
            return Err(StoreError::NeedsMigration { found, current });
        }
        Ok(Store {
            conn,
            path,
            read_only: true,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records the start of a scan; first marks every scan still `running`
    /// as `interrupted` (their processes died: one store takes one scan at
    /// a time).
    pub fn begin_scan(&self, meta: &ScanMeta) -> Result<ScanId, StoreError> {
        let tx = self.write_transaction()?;
        tx.execute(
            "UPDATE scans SET status = 'interrupted' WHERE status = 'running'",
            [],
        )?;
        tx.execute(
            "INSERT INTO scans (started_at, tool_version, ruleset_hash, description, status)
             VALUES (?1, ?2, ?3, ?4, 'running')",
            params![
                now_unix(),
                meta.tool_version,
                meta.ruleset_hash,
                meta.description
            ],
        )?;
        let id = ScanId(tx.last_insert_rowid());
        tx.commit()?;
        Ok(id)
    }

    /// Marks `scan` complete with its totals (also a scan that another
    /// process's [`Store::begin_scan`] had marked interrupted meanwhile).
    pub fn finish_scan(&self, scan: ScanId, counters: &ScanCounters) -> Result<(), StoreError> {
        let n = self.conn.execute(
            "UPDATE scans SET status = 'complete', finished_at = ?2,
                 inputs_scanned = ?3, inputs_unchanged = ?4, inputs_skipped = ?5,
                 bytes_scanned = ?6, findings = ?7
             WHERE id = ?1",
            params![
                scan.0,
                now_unix(),
                to_i64(counters.inputs_scanned),
                to_i64(counters.inputs_unchanged),
                to_i64(counters.inputs_skipped),
                to_i64(counters.bytes_scanned),
                to_i64(counters.findings),
            ],
        )?;
        if n == 0 {
            return Err(StoreError::UnknownScan(scan.0));
        }
        Ok(())
    }

    /// One scan, if it exists.
    pub fn scan(&self, scan: ScanId) -> Result<Option<ScanRecord>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(&format!("{SCAN_COLUMNS} WHERE id = ?1"))?;
        st.query_row([scan.0], read_scan).optional()?.transpose()
    }

    /// Every scan, oldest first.
    pub fn scans(&self) -> Result<Vec<ScanRecord>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(&format!("{SCAN_COLUMNS} ORDER BY id"))?;
        let rows = st.query_map([], read_scan)?;
        let mut out = Vec::new();
        for r in rows {
            out.push(r??);
        }
        Ok(out)
    }

    /// Whether this content of this input was recorded as scanned under
    /// `ruleset_hash`: one look-up in the unique index.
    pub fn is_scanned(&self, input: &InputKey<'_>, ruleset_hash: &str) -> Result<bool, StoreError> {
        let mut st = self.conn.prepare_cached(
            "SELECT 1 FROM inputs
             WHERE kind = ?1 AND key = ?2 AND content_hash = ?3 AND ruleset_hash = ?4",
        )?;
        Ok(st.exists(params![
            input.kind.as_str(),
            input.key,
            input.content_hash,
            ruleset_hash
        ])?)
    }

    /// Every (key, content hash) of `kind` recorded as scanned under
    /// `ruleset_hash`: load once, then scanning threads test membership
    /// without touching the database.
    pub fn scanned_set(
        &self,
        kind: InputKind,
        ruleset_hash: &str,
    ) -> Result<HashSet<(String, String)>, StoreError> {
        let mut st = self.conn.prepare_cached(
            "SELECT key, content_hash FROM inputs WHERE kind = ?1 AND ruleset_hash = ?2",
        )?;
        let rows = st.query_map(params![kind.as_str(), ruleset_hash], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut set = HashSet::new();
        for r in rows {
            set.insert(r?);
        }
        Ok(set)
    }

    /// Commits recorded as covered under `ruleset_hash` (see
    /// [`StoreWriter::record_commits`]).
    pub fn covered_commits(&self, ruleset_hash: &str) -> Result<HashSet<String>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached("SELECT commit_id FROM commits WHERE ruleset_hash = ?1")?;
        let rows = st.query_map(params![ruleset_hash], |r| r.get::<_, String>(0))?;
        let mut set = HashSet::new();
        for r in rows {
            set.insert(r?);
        }
        Ok(set)
    }

    /// Every finding recorded under `ruleset_hash` at a blob introduced by
    /// one of `commits`, with those locations only: what a history rescan
    /// reports for the commits it does not walk again.
    pub fn findings_in_commits(
        &self,
        commits: &HashSet<String>,
        ruleset_hash: &str,
    ) -> Result<Vec<StoredFinding>, StoreError> {
        let mut out = self.report(None)?;
        let ruleset_of: std::collections::HashMap<i64, String> = self
            .scans()?
            .into_iter()
            .map(|s| (s.id.0, s.meta.ruleset_hash))
            .collect();
        for f in &mut out {
            f.locations.retain(|l| {
                l.input_kind == InputKind::Blob
                    && ruleset_of.get(&l.scan.0).map(String::as_str) == Some(ruleset_hash)
                    && l.provenance
                        .as_ref()
                        .is_some_and(|p| commits.contains(&p.commit_id))
            });
        }
        out.retain(|f| !f.locations.is_empty());
        Ok(out)
    }

    /// The findings recorded for this content of this input under
    /// `ruleset_hash`, each with its locations in that input only: what a
    /// scan that skips the unchanged input reports. Empty when the input
    /// was not scanned (or had no findings).
    pub fn findings_for_input(
        &self,
        input: &InputKey<'_>,
        ruleset_hash: &str,
    ) -> Result<Vec<StoredFinding>, StoreError> {
        let id: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT id FROM inputs
                 WHERE kind = ?1 AND key = ?2 AND content_hash = ?3 AND ruleset_hash = ?4",
            )?
            .query_row(
                params![
                    input.kind.as_str(),
                    input.key,
                    input.content_hash,
                    ruleset_hash
                ],
                |r| r.get(0),
            )
            .optional()?;
        match id {
            None => Ok(Vec::new()),
            Some(id) => self.load(Filter::Input(id)),
        }
    }

    /// Every finding with the given triage status (all when `None`), with
    /// all its locations, in order of first recording.
    pub fn report(&self, status: Option<TriageStatus>) -> Result<Vec<StoredFinding>, StoreError> {
        match status {
            None => self.load(Filter::All),
            Some(s) => self.load(Filter::Status(s)),
        }
    }

    /// One finding with all its locations, if stored.
    pub fn finding(&self, fingerprint: Fingerprint) -> Result<Option<StoredFinding>, StoreError> {
        Ok(self
            .load(Filter::Fingerprint(fingerprint.to_string()))?
            .pop())
    }

    /// Records the team's decision on a finding, replacing any earlier one;
    /// [`TriageStatus::Open`] removes the decision. Fails with
    /// [`StoreError::UnknownFingerprint`] when no finding has it.
    pub fn triage(
        &self,
        fingerprint: Fingerprint,
        status: TriageStatus,
        note: Option<&str>,
    ) -> Result<(), StoreError> {
        let fp = fingerprint.to_string();
        let tx = self.write_transaction()?;
        let known = tx
            .prepare_cached("SELECT 1 FROM findings WHERE fingerprint = ?1")?
            .exists([&fp])?;
        if !known {
            return Err(StoreError::UnknownFingerprint(fp));
        }
        match status {
            TriageStatus::Open => {
                tx.execute("DELETE FROM triage WHERE fingerprint = ?1", [&fp])?;
            }
            TriageStatus::Accepted | TriageStatus::Rejected => {
                tx.execute(
                    "INSERT INTO triage (fingerprint, status, note, decided_at)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (fingerprint) DO UPDATE SET
                         status = excluded.status, note = excluded.note,
                         decided_at = excluded.decided_at",
                    params![fp, status.as_str(), note, now_unix()],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// A batched writer for `scan`, on its own connection (so it can move
    /// to another thread while this store answers queries).
    pub fn writer(&self, scan: ScanId, options: WriterOptions) -> Result<StoreWriter, StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly);
        }
        let record = self.scan(scan)?.ok_or(StoreError::UnknownScan(scan.0))?;
        let conn = connect(&self.path)?;
        let found = schema::version(&conn)?;
        if found != schema::SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                found,
                supported: schema::SCHEMA_VERSION,
            });
        }
        Ok(StoreWriter::new(
            conn,
            scan,
            record.meta.ruleset_hash,
            options,
        ))
    }

    /// `PRAGMA integrity_check`: `ok`, or SQLite's list of problems.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        let mut st = self.conn.prepare("PRAGMA integrity_check")?;
        let rows = st.query_map([], |r| r.get::<_, String>(0))?;
        let mut lines = Vec::new();
        for r in rows {
            lines.push(r?);
        }
        Ok(lines.join("\n"))
    }

    /// The underlying connection, for ad-hoc queries (tests, diagnostics).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// A transaction that takes the write lock at once (waiting up to the
    /// busy timeout), so reading then writing inside it cannot fail on a
    /// snapshot that another writer made stale.
    fn write_transaction(&self) -> Result<Transaction<'_>, StoreError> {
        Ok(Transaction::new_unchecked(
            &self.conn,
            TransactionBehavior::Immediate,
        )?)
    }

    /// Loads findings and their locations matching `filter`.
    fn load(&self, filter: Filter) -> Result<Vec<StoredFinding>, StoreError> {
        let (fwhere, lwhere, args): (&str, &str, Vec<Value>) = match &filter {
            Filter::All => ("1", "1", vec![]),
            Filter::Status(TriageStatus::Open) => ("t.status IS NULL", "t.status IS NULL", vec![]),
            Filter::Status(s) => (
                "t.status = ?1",
                "t.status = ?1",
                vec![Value::Text(s.as_str().to_string())],
            ),
            Filter::Input(id) => (
                "f.id IN (SELECT finding_id FROM locations WHERE input_id = ?1)",
                "l.input_id = ?1",
                vec![Value::Integer(*id)],
            ),
            Filter::Fingerprint(fp) => (
                "f.fingerprint = ?1",
                "f.fingerprint = ?1",
                vec![Value::Text(fp.clone())],
            ),
        };
        let mut out = Vec::new();
        let mut index: HashMap<i64, usize> = HashMap::new();
        {
            let mut st = self.conn.prepare_cached(&format!(
                "SELECT f.id, f.fingerprint, f.rule_id, f.rule_name, f.secret, f.secret_sha256,
                        f.entropy, f.first_seen_scan_id, f.last_seen_scan_id,
                        t.status, t.note, t.decided_at
                 FROM findings f LEFT JOIN triage t ON t.fingerprint = f.fingerprint
                 WHERE {fwhere} ORDER BY f.id"
            ))?;
            let mut rows = st.query(params_from_iter(args.iter()))?;
            while let Some(r) = rows.next()? {
                let id: i64 = r.get(0)?;
                index.insert(id, out.len());
                out.push(read_finding(r)?);
            }
        }
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT l.finding_id, i.kind, i.key, i.content_hash, i.scan_id, l.path, l.line,
                    l.\"column\", l.start, l.\"end\", l.decode_path, l.commit_id,
                    l.author_name, l.author_email, l.commit_time, l.commit_summary
             FROM locations l
             JOIN inputs i ON i.id = l.input_id
             JOIN findings f ON f.id = l.finding_id
             LEFT JOIN triage t ON t.fingerprint = f.fingerprint
             WHERE {lwhere} ORDER BY l.finding_id, l.id"
        ))?;
        let mut rows = st.query(params_from_iter(args.iter()))?;
        while let Some(r) = rows.next()? {
            let fid: i64 = r.get(0)?;
            if let Some(&k) = index.get(&fid) {
                out[k].locations.push(read_location(r)?);
            }
        }
        Ok(out)
    }
}

/// Which findings [`Store::load`] returns.
enum Filter {
    All,
    Status(TriageStatus),
    Input(i64),
    Fingerprint(String),
}

const SCAN_COLUMNS: &str = "SELECT id, started_at, finished_at, status, tool_version,
    ruleset_hash, description, inputs_scanned, inputs_unchanged, inputs_skipped,
    bytes_scanned, findings FROM scans";

fn read_scan(r: &Row<'_>) -> rusqlite::Result<Result<ScanRecord, StoreError>> {
    let status: String = r.get(3)?;
    let counters = ScanCounters {
        inputs_scanned: to_u64(r.get(7)?),
        inputs_unchanged: to_u64(r.get(8)?),
        inputs_skipped: to_u64(r.get(9)?),
        bytes_scanned: to_u64(r.get(10)?),
        findings: to_u64(r.get(11)?),
    };
    let meta = ScanMeta {
        tool_version: r.get(4)?,
        ruleset_hash: r.get(5)?,
        description: r.get(6)?,
    };
    let (id, started_at, finished_at) = (ScanId(r.get(0)?), r.get(1)?, r.get(2)?);
    Ok(ScanStatus::parse(&status).map(|status| ScanRecord {
        id,
        started_at,
        finished_at,
        status,
        meta,
        counters,
    }))
}

fn read_finding(r: &Row<'_>) -> Result<StoredFinding, StoreError> {
    let fp: String = r.get(1)?;
    let fingerprint =
        parse_fingerprint(&fp).ok_or_else(|| StoreError::Invalid(format!("fingerprint {fp:?}")))?;
    let triage = match r.get::<_, Option<String>>(9)? {
        None => None,
        Some(s) => Some(Triage {
            status: TriageStatus::parse(&s)
                .filter(|s| *s != TriageStatus::Open)
                .ok_or_else(|| StoreError::Invalid(format!("triage status {s:?}")))?,
            note: r.get(10)?,
            decided_at: r.get(11)?,
        }),
    };
    Ok(StoredFinding {
        fingerprint,
        rule_id: r.get(2)?,
        rule_name: r.get(3)?,
        secret: r.get(4)?,
        secret_sha256: r.get(5)?,
        entropy: r.get(6)?,
        first_seen_scan: ScanId(r.get(7)?),
        last_seen_scan: ScanId(r.get(8)?),
        triage,
        locations: Vec::new(),
    })
}

fn read_location(r: &Row<'_>) -> Result<FindingLocation, StoreError> {
    let kind: String = r.get(1)?;
    let commit_id: Option<String> = r.get(11)?;
    let provenance = match commit_id {
        None => None,
        Some(commit_id) => Some(GitProvenance {
            commit_id,
            author_name: r.get::<_, Option<String>>(12)?.unwrap_or_default(),
            author_email: r.get::<_, Option<String>>(13)?.unwrap_or_default(),
            commit_time: r.get::<_, Option<i64>>(14)?.unwrap_or_default(),
            summary: r.get::<_, Option<String>>(15)?.unwrap_or_default(),
        }),
    };
    Ok(FindingLocation {
        input_kind: InputKind::parse(&kind)?,
        input_key: r.get(2)?,
        content_hash: r.get(3)?,
        scan: ScanId(r.get(4)?),
        path: r.get(5)?,
        line: to_u64(r.get(6)?),
        column: to_u64(r.get(7)?),
        start: to_u64(r.get(8)?),
        end: to_u64(r.get(9)?),
        decode_path: r.get(10)?,
        provenance,
    })
}

/// SQLite integers are signed 64-bit: counts and offsets past `i64::MAX`
/// (never reached in practice) are clamped.
pub(crate) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

pub(crate) fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}
