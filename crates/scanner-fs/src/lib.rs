//! secretscan's file front end: everything between a list of paths and the
//! engine's findings, as a library other tools can link.
//!
//! - [`walk`]: which files are visited (ignore files, excludes, symlinks).
//! - [`sniff`]: binary or text (UTF-16 text is text).
//! - [`input_scanner`]: one input scanned with a thread's reusable state:
//!   read whole or streamed, suppressions applied, findings batched.
//! - [`markers`]: inline allow comments (`secretscan:allow`) by line.
//! - [`suppress`], [`baseline`]: suppression by fingerprint, value, regex.
//! - [`pipeline`]: the parallel scan and its single writer.
//! - [`sink`]: the [`Sink`] trait consumers implement, outcomes, totals.
//! - [`archive`]: archive and compressed-file members as inputs.
//!
//! Invariant shared by every module: an input is either scanned or counted
//! (and named) as skipped, with the reason; nothing is dropped silently.
//!
//! ```no_run
//! use scanner_fs::{scan_paths, ScanOptions, Sink};
//! struct Print;
//! impl Sink for Print {
//!     fn findings(&mut self, input: &scanner_fs::Input, found: Vec<scanner_engine::Finding>) -> std::io::Result<()> {
//!         for f in found {
//!             println!("{}:{}: {}", input.path, f.line, f.rule_id);
//!         }
//!         Ok(())
//!     }
//! }
//! let engine = scanner_engine::Engine::builtin();
//! let mut opts = ScanOptions::default();
//! opts.walk.paths.push(".".into());
//! opts.walk.respect_ignore = true;
//! let summary = scan_paths(&engine, &opts, &mut Print).unwrap();
//! eprintln!("{} files, {} findings", summary.inputs_scanned, summary.findings);
//! ```

pub mod archive;
pub mod baseline;
pub mod input_scanner;
pub mod markers;
pub mod pipeline;
pub mod sink;
pub mod sniff;
pub mod suppress;
pub mod walk;

pub use input_scanner::{content_key, InputEvent, InputPolicy, InputScanner, KnownInput};
pub use pipeline::{run_workers, scan_paths, thread_count, ScanError, ScanOptions};
pub use sink::{
    Input, InputOutcome, InputReport, ScanSummary, Scanned, Sink, Skip, SkipCounts, Suppressed,
};
pub use suppress::Suppressions;
pub use walk::WalkOptions;
