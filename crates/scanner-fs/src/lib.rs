//! secretscan's file front end: everything between a list of paths and the
//! engine's findings.
//!
//! - [`archive`]: archive and compressed-file members enumerated as inputs,
//!   nested to a depth limit, within byte and entry budgets.
//!
//! Invariant shared by every module: an input is either scanned or counted
//! (and named) as skipped, with the reason; nothing is dropped silently.

pub mod archive;
