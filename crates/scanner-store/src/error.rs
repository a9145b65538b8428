//! The store's error type.

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed (I/O, locking past the busy timeout, corruption, ...).
    #[error("findings store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database was written by a newer version of this tool: its schema
    /// version is past the newest this code knows, so it is left untouched.
    #[error(
        "findings store has schema version {found}, newer than this secretscan supports \
         ({supported}); use a newer secretscan or another store file"
    )]
    TooNew { found: i64, supported: i64 },
    /// Opened read-only, the database needs migrating (or was never
    /// created): open it read-write once.
    #[error(
        "findings store has schema version {found}, this secretscan needs {current}; \
         open it read-write once to migrate it"
    )]
    NeedsMigration { found: i64, current: i64 },
    /// A write (a writer) asked of a store opened read-only.
    #[error("findings store is open read-only")]
    ReadOnly,
    /// `triage` named a fingerprint that no stored finding has.
    #[error("no finding with fingerprint {0} in the store")]
    UnknownFingerprint(String),
    /// A scan id that is not in the store.
    #[error("no scan with id {0} in the store")]
    UnknownScan(i64),
    /// A value in the database that this code cannot read (a text column
    /// with a value outside its documented set, a malformed fingerprint).
    #[error("findings store holds an invalid value: {0}")]
    Invalid(String),
}
