//! # scanner-engine
//!
//! An embeddable secret-scanning engine. Rules (regexes with literal
//! anchors, entropy floors and allowlists) are compiled into one Vectorscan
//! database of anchors; a scan runs that prefilter once over the input and
//! confirms each candidate window with the rule's regex.
//!
//! The engine does no I/O, starts no threads and keeps no global state: an
//! [`Engine`] is immutable and shared, and all mutable state of a scan lives
//! in a [`Scratch`] that a thread reuses.
//!
//! ```
//! use scanner_engine::Engine;
//!
//! let engine = Engine::builtin();
//! let mut scratch = engine.new_scratch();
//! let mut found = Vec::new();
//! engine.scan_bytes_with(&mut scratch, b"aws_access_key_id = AKIAQ3EGRTXP4W7ZC2NB\n", &mut |f| found.push(f));
//! assert_eq!(found.len(), 1);
//! assert_eq!(found[0].secret, b"AKIAQ3EGRTXP4W7ZC2NB");
//! assert!(found[0].decode_path.is_empty());
//! ```
//!
//! Input that arrives in pieces (a socket, a pipe, a file too large to
//! hold) goes through a [`StreamScanner`], which reports what `scan_bytes`
//! would report on the whole input, with absolute offsets, while holding a
//! bounded buffer; [`Engine::scan_reader`] does that for any `Read`:
//!
//! ```
//! use scanner_engine::Engine;
//!
//! let engine = Engine::builtin();
//! let mut stream = engine.stream();
//! let mut found = Vec::new();
//! for piece in [&b"log line 1\naws_access_key_id = AKIAQ3EG"[..], b"RTXP4W7ZC2NB\n"] {
//!     stream.feed(piece, &mut |f| found.push(f));
//! }
//! let stats = stream.finish(&mut |f| found.push(f));
//! assert_eq!(found.len(), 1);
//! assert_eq!((found[0].line, found[0].start), (2, 31));
//! assert_eq!(stats.bytes_fed, 52);
//!
//! let text = std::io::Cursor::new(b"token = AKIAQ3EGRTXP4W7ZC2NB\n".to_vec());
//! let mut from_reader = Vec::new();
//! engine.scan_reader(text, &mut |f| from_reader.push(f)).unwrap();
//! assert_eq!(from_reader[0].secret, b"AKIAQ3EGRTXP4W7ZC2NB");
//! ```
//!
//! See `docs/api.md` for what an embedder can rely on (sinks that stop a
//! scan, reusable stream scanners, loading rules with [`RuleSet`], the
//! `serde` feature), `docs/architecture.md` for the data flow and
//! `docs/rules.md` for the rule format.
#![warn(missing_docs)]

mod anchors;
mod checksum;
mod chunked;
pub mod compat;
mod compiled;
mod confirm;
mod context;
mod decode;
mod deferred;
mod finding;
mod location;
mod pipeline;
mod raw_pass;
mod rules;
mod scan_types;
mod scratch;
mod stats;
// Internals exposed for the fuzz targets, benchmarks and tests only: no
// stability promise, hidden from the documentation.
#[doc(hidden)]
pub mod structures;
#[doc(hidden)]
pub mod transform;
mod utf16;
mod value_gate;
// Unsafe code lives here (the Vectorscan C API demands it) and in
// `transform::base64::classify` and `transform::hex::classify` (x86 vector
// instructions chosen at run time).
#[allow(unsafe_code)]
mod vectorscan;

pub use checksum::Checksum;
pub use chunked::{StreamScanner, StreamStats};
pub use compat::{RuleSet, Strictness};
pub use compiled::{DatabaseCache, Engine, EngineBuilder, RuleInfo, Tuning};
pub use finding::{shannon_entropy, DecodePath, DecodeStep, Finding, Fingerprint, SinkFlow};
pub use rules::{
    builtin_rules, parse_rules_toml, Confidence, RuleError, RuleSpec, BUILTIN_CATEGORIES,
    DEFAULT_CATEGORY,
};
pub use scratch::Scratch;
pub use stats::{BudgetHit, ScanStats};
// The settings of one encoding in `Tuning::transforms`.
pub use transform::{TransformConfig, TransformKind};

/// The version of the Vectorscan (or Hyperscan) library linked into this
/// build: the system's `libhs` by default, a source build with the
/// `vendored` feature.
pub fn vectorscan_version() -> String {
    vectorscan::library_version()
}
