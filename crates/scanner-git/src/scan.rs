//! Scans the blobs of an [`Inventory`] in parallel through the scanner-fs
//! pipeline: each thread opens its own handle on the repository and reads
//! blobs by id; findings and outcomes go to the caller's [`Sink`] with the
//! blob's index as the input id, so the sink can look up its provenance.
//!
//! Invariants: each blob is read and scanned at most once; a blob that is
//! skipped (already scanned, too large, unreadable, binary) ends in a
//! report with the reason like any file.

use std::sync::atomic::{AtomicUsize, Ordering};

use gix::ObjectId;
use scanner_engine::Engine;
use scanner_fs::{
    run_workers, Input, InputEvent, InputOutcome, InputPolicy, InputReport, ScanError, ScanSummary,
    Sink, Skip, Suppressions,
};

use crate::inventory::Inventory;

/// How to scan the blobs.
pub struct BlobScan<'a> {
    pub policy: InputPolicy,
    pub suppressions: &'a Suppressions,
    pub threads: usize,
    /// Blobs already scanned (e.g. by an earlier run with the same rules,
    /// from a findings store): reported as skipped, not read.
    pub known: &'a (dyn Fn(&ObjectId) -> bool + Sync),
}

/// Scans every blob of `inv`, passing events to `sink`.
pub fn scan_blobs(
    engine: &Engine,
    repo: &gix::ThreadSafeRepository,
    inv: &Inventory,
    how: &BlobScan<'_>,
    sink: &mut dyn Sink,
) -> Result<ScanSummary, ScanError> {
    let next = AtomicUsize::new(0);
    let max = how.policy.max_file_size;
    run_workers(
        engine,
        how.suppressions,
        how.policy,
        how.threads,
        || {
            let mut repo = repo.to_thread_local();
            repo.object_cache_size_if_unset(4 << 20);
            let next = &next;
            move |scanner: &mut scanner_fs::InputScanner<'_>, send: &mut dyn FnMut(InputEvent)| {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(blob) = inv.blobs.get(i) else {
                    return false;
                };
                let input = Input {
                    path: blob.locations[0].path.clone(),
                    id: i as u64,
                };
                let skipped = |skip| {
                    InputEvent::Done(InputReport {
                        input: input.clone(),
                        outcome: InputOutcome::Skipped(skip),
                    })
                };
                if (how.known)(&blob.id) {
                    send(skipped(Skip::Unchanged(blob.id.to_string())));
                    return true;
                }
                if let Some(max) = max {
                    match repo.find_header(blob.id) {
                        Ok(h) if h.size() > max => {
                            send(skipped(Skip::TooLarge(h.size(), max)));
                            return true;
                        }
                        Ok(_) => {}
                        Err(e) => {
                            send(skipped(Skip::Unreadable(format!("blob {}: {e}", blob.id))));
                            return true;
                        }
                    }
                }
                match repo.find_object(blob.id) {
                    Ok(object) => {
                        let data: &[u8] = &object.data;
                        scanner.scan_reader(&mut &data[..], Some(data.len() as u64), input, send);
                    }
                    Err(e) => send(skipped(Skip::Unreadable(format!("blob {}: {e}", blob.id)))),
                }
                true
            }
        },
        sink,
    )
}
