//! secretscan's findings store: one SQLite file holding the scans run, the
//! inputs they scanned, the findings deduplicated by fingerprint with every
//! place each was seen, and the team's triage decisions.
//!
//! - [`Store`] opens (creating and migrating) the database and answers
//!   queries: incremental-scan look-ups ([`Store::is_scanned`],
//!   [`Store::scanned_set`]), known findings of an unchanged input
//!   ([`Store::findings_for_input`]), reports and triage.
//! - [`StoreWriter`] records a scan's results in batched transactions.
//! - [`StoreSink`] wraps a [`scanner_fs::Sink`], recording what it forwards.
//!
//! Invariants:
//! - Findings are unique by fingerprint; each place one was seen is a
//!   location row tied to the input (kind, key, content hash, rule-set
//!   hash) it was seen in.
//! - An input is marked scanned in the same transaction as all its
//!   findings and locations, so after a crash at any moment the database is
//!   consistent and an input is either fully recorded or not at all.
//! - With redaction, no secret bytes (nor the matched text, nor any input
//!   content) reach the database: only a SHA-256 of the secret.
//! - Triage decisions are keyed by fingerprint and are never touched by a
//!   scan.
//!
//! The schema and the reasons for these choices are in `docs/store.md`.

mod error;
mod schema;
mod sink;
mod store;
mod writer;

pub use error::StoreError;
pub use schema::SCHEMA_VERSION;
pub use sink::{ContentId, StoreSink};
pub use store::{
    parse_fingerprint, FindingLocation, InputKey, InputKind, ScanCounters, ScanId, ScanMeta,
    ScanRecord, ScanStatus, Store, StoredFinding, Triage, TriageStatus, BUSY_TIMEOUT,
};
pub use writer::{GitProvenance, StoreWriter, WriterOptions, WriterStats, DEFAULT_BATCH_ROWS};

use sha2::{Digest, Sha256};
use std::io::Read;

/// SHA-256 of `bytes` as 64 lowercase hex digits: how secrets are stored
/// under redaction, and a content hash callers may use for files.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// SHA-256 (hex) and length of everything `reader` yields: a content hash
/// for [`InputKey::content_hash`] computed while reading.
pub fn sha256_reader(mut reader: impl Read) -> std::io::Result<(String, u64)> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut n = 0u64;
    loop {
        let k = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((hex(&h.finalize()), n))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Seconds since the Unix epoch, now (0 if the clock is before it).
pub(crate) fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_known_value() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let (h, n) = sha256_reader(&b"abc"[..]).unwrap();
        assert_eq!((h.as_str(), n), (sha256_hex(b"abc").as_str(), 3));
    }
}
