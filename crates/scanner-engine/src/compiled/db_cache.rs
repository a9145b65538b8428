//! The on-disk cache of compiled rule sets: the Vectorscan databases
//! (serialised) and what was derived from each rule (anchors, window
//! radius, secret group), so that a later build of the same rule set skips
//! anchor derivation, database compilation and, with [`crate::deferred`],
//! regex compilation.
//!
//! File format (`<key>.db` in the cache folder, little-endian): a 16-byte
//! magic, the 128-bit key, the payload length (u64), a 128-bit digest of the
//! payload, then the payload: the rule count, per rule its window radius,
//! secret group, anchors (length-prefixed) and whether they are matched
//! case-sensitively (one byte), then the three databases
//! (length-prefixed; the no-NUL one may be absent).
//!
//! Layer 1 (compiled engine), a part of `crate::compiled`.
//!
//! Invariants:
//! - The key covers everything a cached build depends on: the format
//!   version, the engine's version and source digest (set by the build
//!   script), the linked library's version string, every field of every
//!   rule spec in order and the tuning. Any change is a different key.
//! - Loading never trusts the file: a wrong magic, key, length or digest,
//!   a truncated payload, trailing bytes, a rule count that differs from
//!   the specs, or a database the library rejects is a miss, never a panic
//!   or a wrong engine.
//! - Files are written to a temporary name and renamed into place, so a
//!   reader never sees a half-written file; at most [`MAX_ENTRIES`] files
//!   are kept (the oldest are removed).

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use aegis::aegis128l::Aegis128LMac;

use super::Tuning;
use crate::rules::RuleSpec;

/// Bumped whenever the payload layout changes.
const MAGIC: &[u8; 16] = b"secretscan-db-v2";

/// A fixed, non-secret key: the MAC serves as a 128-bit hash.
const HASH_KEY: [u8; 16] = *b"secretscan-dbkey";

/// Most cached rule sets kept in one folder.
pub(crate) const MAX_ENTRIES: usize = 8;

/// What was derived from one rule when it was compiled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RuleDerived {
    /// Anchors (lowercase unless `anchors_exact`); empty for anchorless
    /// rules.
    pub anchors: Vec<Vec<u8>>,
    /// The anchors are matched case-sensitively.
    pub anchors_exact: bool,
    pub window_radius: u64,
    pub secret_group: usize,
}

/// A compiled rule set as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CachedBuild {
    pub rules: Vec<RuleDerived>,
    pub raw_db: Vec<u8>,
    pub raw_db_no_nul: Option<Vec<u8>>,
    pub stream_db: Vec<u8>,
}

/// 128-bit digest of `parts` (each length-prefixed, so no two different
/// lists of parts give the same input).
fn digest(parts: &[&[u8]]) -> u128 {
    let mut mac = Aegis128LMac::<16>::new(&HASH_KEY);
    for p in parts {
        mac.update(&(p.len() as u64).to_le_bytes());
        mac.update(p);
    }
    u128::from_le_bytes(mac.finalize())
}

/// The cache key of a rule set built with `tuning` against the linked
/// library.
pub(crate) fn key(specs: &[RuleSpec], tuning: &Tuning) -> u128 {
    let specs = format!("{specs:?}");
    let tuning = format!("{tuning:?}");
    let library = crate::vectorscan::library_version();
    digest(&[
        MAGIC,
        env!("CARGO_PKG_VERSION").as_bytes(),
        env!("SCANNER_ENGINE_SOURCE_DIGEST").as_bytes(),
        library.as_bytes(),
        specs.as_bytes(),
        tuning.as_bytes(),
    ])
}

/// The file of `key` in `dir`.
pub(crate) fn path_of(dir: &Path, key: u128) -> PathBuf {
    dir.join(format!("{key:032x}.db"))
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_u64(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// The file contents for `build` under `key`.
pub(crate) fn encode(key: u128, build: &CachedBuild) -> Vec<u8> {
    let mut payload = Vec::new();
    put_u64(&mut payload, build.rules.len() as u64);
    for r in &build.rules {
        put_u64(&mut payload, r.window_radius);
        put_u64(&mut payload, r.secret_group as u64);
        put_u64(&mut payload, r.anchors.len() as u64);
        for a in &r.anchors {
            put_bytes(&mut payload, a);
        }
        payload.push(u8::from(r.anchors_exact));
    }
    put_bytes(&mut payload, &build.raw_db);
    match &build.raw_db_no_nul {
        Some(db) => {
            payload.push(1);
            put_bytes(&mut payload, db);
        }
        None => payload.push(0),
    }
    put_bytes(&mut payload, &build.stream_db);
    let mut out = Vec::with_capacity(payload.len() + 56);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&key.to_le_bytes());
    put_u64(&mut out, payload.len() as u64);
    out.extend_from_slice(&digest(&[&payload]).to_le_bytes());
    out.extend_from_slice(&payload);
    out
}

/// A reader over untrusted bytes: every read is bounds-checked.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.rest.len() {
            return None;
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Some(head)
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn u128(&mut self) -> Option<u128> {
        Some(u128::from_le_bytes(self.take(16)?.try_into().ok()?))
    }

    /// A count or length, which cannot exceed the bytes left.
    fn len(&mut self) -> Option<usize> {
        let n = usize::try_from(self.u64()?).ok()?;
        (n <= self.rest.len()).then_some(n)
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.len()?;
        self.take(n)
    }
}

/// The build stored in `file` under `key`, or `None` if the bytes are not
/// exactly that (see the module invariants).
pub(crate) fn decode(key: u128, file: &[u8]) -> Option<CachedBuild> {
    let mut r = Reader { rest: file };
    if r.take(MAGIC.len())? != MAGIC || r.u128()? != key {
        return None;
    }
    let len = r.len()?;
    let sum = r.u128()?;
    let payload = r.take(len)?;
    if !r.rest.is_empty() || digest(&[payload]) != sum {
        return None;
    }
    let mut p = Reader { rest: payload };
    let count = p.len()?;
    let mut rules = Vec::with_capacity(count);
    for _ in 0..count {
        let window_radius = p.u64()?;
        let secret_group = usize::try_from(p.u64()?).ok()?;
        let n = p.len()?;
        let mut anchors = Vec::with_capacity(n);
        for _ in 0..n {
            anchors.push(p.bytes()?.to_vec());
        }
        let anchors_exact = match p.take(1)? {
            [0] => false,
            [1] => true,
            _ => return None,
        };
        rules.push(RuleDerived {
            anchors,
            anchors_exact,
            window_radius,
            secret_group,
        });
    }
    let raw_db = p.bytes()?.to_vec();
    let raw_db_no_nul = match p.take(1)? {
        [0] => None,
        [1] => Some(p.bytes()?.to_vec()),
        _ => return None,
    };
    let stream_db = p.bytes()?.to_vec();
    if !p.rest.is_empty() {
        return None;
    }
    Some(CachedBuild {
        rules,
        raw_db,
        raw_db_no_nul,
        stream_db,
    })
}

/// The build cached in `dir` under `key`, if there is a valid one.
pub(crate) fn load(dir: &Path, key: u128) -> Option<CachedBuild> {
    let bytes = fs::read(path_of(dir, key)).ok()?;
    decode(key, &bytes)
}

/// Stores `build` in `dir` under `key` (creating `dir`), then removes the
/// oldest entries beyond [`MAX_ENTRIES`].
pub(crate) fn store(dir: &Path, key: u128, build: &CachedBuild) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let path = path_of(dir, key);
    let tmp = dir.join(format!("{key:032x}.{}.tmp", std::process::id()));
    let written = fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(&encode(key, build))?;
        f.sync_all()
    });
    let renamed = written.and_then(|()| fs::rename(&tmp, &path));
    if renamed.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    renamed?;
    prune(dir, &path);
    Ok(())
}

/// Removes the oldest `*.db` files of `dir` beyond [`MAX_ENTRIES`], never
/// `keep`. Best effort: a file that cannot be read or removed is left.
fn prune(dir: &Path, keep: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<_> = entries
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "db") && e.path() != keep)
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    if files.len() < MAX_ENTRIES {
        return;
    }
    files.sort();
    for (_, old) in &files[..files.len() + 1 - MAX_ENTRIES] {
        let _ = fs::remove_file(old);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> CachedBuild {
        CachedBuild {
            rules: vec![
                RuleDerived {
                    anchors: vec![b"ghp_".to_vec(), b"gho_".to_vec()],
                    anchors_exact: true,
                    window_radius: 40,
                    secret_group: 1,
                },
                RuleDerived {
                    anchors: vec![],
                    anchors_exact: false,
                    window_radius: 512,
                    secret_group: 0,
                },
            ],
            raw_db: b"raw".to_vec(),
            raw_db_no_nul: Some(b"no-nul".to_vec()),
            stream_db: b"stream".to_vec(),
        }
    }

    #[test]
    fn round_trip_and_key_check() {
        let b = sample();
        let bytes = encode(7, &b);
        assert_eq!(decode(7, &bytes), Some(b.clone()));
        assert_eq!(decode(8, &bytes), None);
        let none = CachedBuild {
            raw_db_no_nul: None,
            ..b
        };
        assert_eq!(decode(7, &encode(7, &none)), Some(none));
    }

    #[test]
    fn key_depends_on_rules_and_tuning() {
        let specs = crate::rules::parse_rules_toml(
            "[[rules]]\nid='a'\nname='A'\nregex='abc_[0-9]{4}'\n",
            "t.toml",
        )
        .unwrap();
        let t = Tuning::default();
        assert_eq!(key(&specs, &t), key(&specs, &t));
        let mut other = specs.clone();
        other[0].regex = "abc_[0-9]{5}".into();
        assert_ne!(key(&specs, &t), key(&other, &t));
        let t2 = Tuning::default().with_scan_utf16(false);
        assert_ne!(key(&specs, &t), key(&specs, &t2));
    }

    #[test]
    fn store_load_and_prune() {
        let dir = tempfile::tempdir().unwrap();
        let b = sample();
        for k in 0..(MAX_ENTRIES as u128 + 3) {
            store(dir.path(), k, &b).unwrap();
        }
        let files = fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(files, MAX_ENTRIES);
        let last = MAX_ENTRIES as u128 + 2;
        assert_eq!(load(dir.path(), last), Some(b));
        assert_eq!(load(dir.path(), 999), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// Any change to a cache file (a flipped byte, a cut, bytes added)
        /// is a miss, never a panic or a different build.
        #[test]
        fn damaged_files_are_misses(pos in any::<prop::sample::Index>(), flip in 1u8..=255, cut in any::<prop::sample::Index>(), extra in proptest::collection::vec(any::<u8>(), 1..8)) {
            let b = sample();
            let good = encode(3, &b);
            let mut flipped = good.clone();
            flipped[pos.index(good.len())] ^= flip;
            prop_assert_eq!(decode(3, &flipped), None);
            prop_assert_eq!(decode(3, &good[..cut.index(good.len())]), None);
            let mut longer = good.clone();
            longer.extend_from_slice(&extra);
            prop_assert_eq!(decode(3, &longer), None);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode(1, &bytes);
        }
    }
}
