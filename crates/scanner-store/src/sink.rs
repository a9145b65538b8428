//! [`StoreSink`]: a [`Sink`] that records a file scan in the store and
//! forwards everything to another sink (the CLI's reporter).
//!
//! The pipeline's [`InputReport`] carries no content hash, so the caller
//! supplies a function that identifies the content of each scanned input
//! ([`ContentId`]); an input it cannot identify is not recorded as scanned
//! (its findings are still forwarded) and is simply scanned again next
//! time.
//!
//! Invariants: findings are forwarded unchanged and in order; an input is
//! recorded only when it was scanned whole (no read error) and identified;
//! findings of skipped or partly read inputs are discarded from the store's
//! buffer, never recorded under another input.

use std::io;

use scanner_engine::Finding;
use scanner_fs::{Input, InputOutcome, InputReport, Sink};

use crate::store::{InputKey, InputKind, ScanCounters};
use crate::writer::{StoreWriter, WriterStats};
use crate::StoreError;

/// The identity of a file's scanned content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContentId {
    /// A hash of the bytes that were scanned, e.g. [`crate::sha256_hex`].
    pub content_hash: String,
    pub size: u64,
}

/// Records file inputs and their findings through a [`StoreWriter`] and
/// forwards every call to `inner`. `identify` gives the content hash of a
/// scanned input (keyed by [`InputReport::path`]); it should hash the bytes
/// that were scanned, since hashing the file again afterwards races with
/// writers of the file.
pub struct StoreSink<S, F> {
    inner: S,
    writer: StoreWriter,
    identify: F,
    counters: ScanCounters,
}

impl<S, F> StoreSink<S, F>
where
    S: Sink,
    F: FnMut(&InputReport) -> Option<ContentId>,
{
    pub fn new(inner: S, writer: StoreWriter, identify: F) -> StoreSink<S, F> {
        StoreSink {
            inner,
            writer,
            identify,
            counters: ScanCounters::default(),
        }
    }

    /// Totals of what passed through, for [`crate::Store::finish_scan`]
    /// (`inputs_unchanged` stays 0: the pipeline does not skip inputs).
    pub fn counters(&self) -> ScanCounters {
        self.counters
    }

    /// Commits the last batch; returns the inner sink and the writer's
    /// totals.
    pub fn finish(self) -> Result<(S, WriterStats), StoreError> {
        let stats = self.writer.finish()?;
        Ok((self.inner, stats))
    }
}

impl<S, F> Sink for StoreSink<S, F>
where
    S: Sink,
    F: FnMut(&InputReport) -> Option<ContentId>,
{
    fn findings(&mut self, input: &Input, findings: Vec<Finding>) -> io::Result<()> {
        self.counters.findings += findings.len() as u64;
        self.writer.record_findings(&input.path, &findings, None);
        self.inner.findings(input, findings)
    }

    fn input_done(&mut self, report: &InputReport) -> io::Result<()> {
        let path = &*report.input.path;
        match &report.outcome {
            InputOutcome::Scanned(s) => {
                self.counters.inputs_scanned += 1;
                self.counters.bytes_scanned += s.bytes;
                let id = if s.read_error.is_none() {
                    (self.identify)(report)
                } else {
                    None
                };
                match id {
                    Some(id) => {
                        let key = InputKey {
                            kind: InputKind::File,
                            key: path,
                            content_hash: &id.content_hash,
                        };
                        self.writer
                            .record_input(path, &key, id.size)
                            .map_err(io::Error::other)?;
                    }
                    None => self.writer.discard(path),
                }
            }
            InputOutcome::Skipped(_) => {
                self.counters.inputs_skipped += 1;
                self.writer.discard(path);
            }
            // Its members were recorded one by one, as inputs of their own.
            InputOutcome::Archive(_) => {}
        }
        self.inner.input_done(report)
    }
}
