//! The schema and its migrations.
//!
//! Invariants:
//! - `PRAGMA user_version` is the number of migrations applied; migration
//!   `i` (0-based) takes the schema from version `i` to `i + 1`.
//! - Each migration runs in its own `BEGIN IMMEDIATE` transaction together
//!   with the `user_version` bump, so a database is always at exactly one
//!   version, even if the process dies mid-migration.
//! - The version is re-read inside that transaction, so two processes
//!   opening a fresh file at once do not apply a step twice.
//! - Migrations are append-only: a released step is never edited; a change
//!   is a new step at the end of [`MIGRATIONS`].
//! - A database whose version is past `MIGRATIONS.len()` is refused
//!   ([`StoreError::TooNew`]) and never written to.

use rusqlite::Connection;

use crate::StoreError;

/// The ordered migration steps; see the module invariants. The columns are
/// documented in `docs/store.md`.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: the initial schema.
    r#"
CREATE TABLE scans (
    id              INTEGER PRIMARY KEY,
    started_at      INTEGER NOT NULL,
    finished_at     INTEGER,
    tool_version    TEXT    NOT NULL,
    ruleset_hash    TEXT    NOT NULL,
    description     TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'running'
                    CHECK (status IN ('running', 'complete', 'interrupted')),
    inputs_scanned  INTEGER NOT NULL DEFAULT 0,
    inputs_unchanged INTEGER NOT NULL DEFAULT 0,
    inputs_skipped  INTEGER NOT NULL DEFAULT 0,
    bytes_scanned   INTEGER NOT NULL DEFAULT 0,
    findings        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX scans_status ON scans (status);

CREATE TABLE inputs (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL CHECK (kind IN ('file', 'blob')),
    key             TEXT    NOT NULL,
    content_hash    TEXT    NOT NULL,
    size            INTEGER NOT NULL,
    ruleset_hash    TEXT    NOT NULL,
    scan_id         INTEGER NOT NULL REFERENCES scans (id),
    last_seen_scan_id INTEGER NOT NULL REFERENCES scans (id),
    UNIQUE (kind, key, content_hash, ruleset_hash)
);

CREATE TABLE findings (
    id              INTEGER PRIMARY KEY,
    fingerprint     TEXT    NOT NULL UNIQUE,
    rule_id         TEXT    NOT NULL,
    rule_name       TEXT    NOT NULL,
    secret          BLOB,
    secret_sha256   TEXT    NOT NULL,
    entropy         REAL    NOT NULL,
    first_seen_scan_id INTEGER NOT NULL REFERENCES scans (id),
    last_seen_scan_id  INTEGER NOT NULL REFERENCES scans (id)
);

CREATE TABLE locations (
    id              INTEGER PRIMARY KEY,
    finding_id      INTEGER NOT NULL REFERENCES findings (id),
    input_id        INTEGER NOT NULL REFERENCES inputs (id),
    path            TEXT    NOT NULL,
    line            INTEGER NOT NULL,
    "column"        INTEGER NOT NULL,
    start           INTEGER NOT NULL,
    "end"           INTEGER NOT NULL,
    decode_path     TEXT    NOT NULL,
    commit_id       TEXT,
    author_name     TEXT,
    author_email    TEXT,
    commit_time     INTEGER,
    commit_summary  TEXT
);
CREATE INDEX locations_finding ON locations (finding_id);
CREATE INDEX locations_input ON locations (input_id);

CREATE TABLE triage (
    fingerprint     TEXT    PRIMARY KEY REFERENCES findings (fingerprint),
    status          TEXT    NOT NULL CHECK (status IN ('accepted', 'rejected')),
    note            TEXT,
    decided_at      INTEGER NOT NULL
);
"#,
    // Version 2: commits whose every blob was recorded under a rule set, so
    // a history rescan need not walk their trees again.
    r#"
CREATE TABLE commits (
    commit_id       TEXT    NOT NULL,
    ruleset_hash    TEXT    NOT NULL,
    scan_id         INTEGER NOT NULL REFERENCES scans (id),
    PRIMARY KEY (commit_id, ruleset_hash)
) WITHOUT ROWID;
"#,
];

/// The schema version this code writes and reads.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The database's `user_version`.
pub(crate) fn version(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Brings `conn`'s database to [`SCHEMA_VERSION`], one transaction per
/// step; refuses a newer database without writing to it.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    migrate_with(conn, MIGRATIONS)
}

/// [`migrate`] with an explicit list of steps (tests use longer lists).
pub(crate) fn migrate_with(conn: &mut Connection, steps: &[&str]) -> Result<(), StoreError> {
    let supported = steps.len() as i64;
    let found = version(conn)?;
    if found > supported {
        return Err(StoreError::TooNew { found, supported });
    }
    loop {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let v = version(&tx)?;
        if v > supported {
            return Err(StoreError::TooNew {
                found: v,
                supported,
            });
        }
        if v == supported {
            return Ok(());
        }
        tx.execute_batch(steps[v as usize])?;
        // PRAGMA takes no bound parameters; `v + 1` is an integer we made.
        tx.execute_batch(&format!("PRAGMA user_version = {}", v + 1))?;
        tx.commit()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_apply_in_order_and_stop_at_the_last() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(version(&conn).unwrap(), SCHEMA_VERSION);
        let mut longer: Vec<&str> = MIGRATIONS.to_vec();
        longer.push("CREATE TABLE extra (x INTEGER);");
        migrate_with(&mut conn, &longer).unwrap();
        assert_eq!(version(&conn).unwrap(), SCHEMA_VERSION + 1);
        // The code that knows fewer steps refuses the migrated database.
        assert!(matches!(
            migrate(&mut conn),
            Err(StoreError::TooNew { found, supported })
                if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION
        ));
    }

    #[test]
    fn a_failing_step_leaves_the_previous_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        let mut bad: Vec<&str> = MIGRATIONS.to_vec();
        bad.push("CREATE TABLE half (x INTEGER); THIS IS NOT SQL;");
        assert!(migrate_with(&mut conn, &bad).is_err());
        assert_eq!(version(&conn).unwrap(), SCHEMA_VERSION);
        let half: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'half'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(half, 0, "the failed step's DDL was rolled back");
    }
}
