//! The output side shared by the streaming decoders: a staging buffer of at
//! most [`DECODE_CHUNK_LEN`] bytes, flushed to the caller's callback whenever
//! it is full, under a total budget (`max_decoded_bytes`).
//!
//! Invariants:
//! - `out.len() < DECODE_CHUNK_LEN` between calls (a full buffer is flushed
//!   at once), so every chunk but the last has exactly `DECODE_CHUNK_LEN`
//!   bytes, whatever sizes the decoder pushes.
//! - `emitted + out.len() <= budget`; a push that would exceed the budget
//!   writes what fits, sets `truncated` and stops.
//! - Once stopped (callback `Break` or truncation) nothing more is written.

use core::ops::ControlFlow;

use super::{to_u64, DecodeOutcome, DECODE_CHUNK_LEN};

/// Chunked, budgeted output of one decode.
pub(crate) struct ChunkedOutput<'a, F> {
    pub(crate) out: &'a mut Vec<u8>,
    on_chunk: F,
    emitted: u64,
    budget: u64,
    truncated: bool,
    stopped: bool,
}

impl<'a, F: FnMut(&[u8]) -> ControlFlow<()>> ChunkedOutput<'a, F> {
    /// Clears `out` and reserves one chunk (a no-op once warmed up).
    pub(crate) fn new(out: &'a mut Vec<u8>, budget: usize, on_chunk: F) -> Self {
        out.clear();
        out.reserve(DECODE_CHUNK_LEN);
        Self {
            out,
            on_chunk,
            emitted: 0,
            budget: to_u64(budget),
            truncated: false,
            stopped: false,
        }
    }

    /// Bytes that can be written now without a flush and within budget.
    pub(crate) fn room(&self) -> usize {
        let chunk_room = DECODE_CHUNK_LEN.saturating_sub(self.out.len());
        let left = self.budget.saturating_sub(self.written());
        usize::try_from(left).map_or(chunk_room, |l| l.min(chunk_room))
    }

    fn written(&self) -> u64 {
        self.emitted.saturating_add(to_u64(self.out.len()))
    }

    /// Writes `bytes`, flushing full chunks. `Break` when the callback asked
    /// to stop or the budget ran out (then `truncated` is set).
    pub(crate) fn push(&mut self, mut bytes: &[u8]) -> ControlFlow<()> {
        while !bytes.is_empty() {
            let take = self.room().min(bytes.len());
            if take == 0 {
                // The chunk is never full here (flushed below), so the
                // budget is exhausted with output left.
                self.truncated = true;
                return ControlFlow::Break(());
            }
            let (now, rest) = bytes.split_at(take);
            self.out.extend_from_slice(now);
            bytes = rest;
            self.after_write()?;
        }
        ControlFlow::Continue(())
    }

    /// To call after writing into `out` directly (at most `room()` bytes):
    /// flushes a full chunk.
    pub(crate) fn after_write(&mut self) -> ControlFlow<()> {
        if self.out.len() >= DECODE_CHUNK_LEN {
            self.flush()
        } else {
            ControlFlow::Continue(())
        }
    }

    /// Hands the staged bytes to the callback.
    pub(crate) fn flush(&mut self) -> ControlFlow<()> {
        if self.stopped {
            return ControlFlow::Break(());
        }
        if self.out.is_empty() {
            return ControlFlow::Continue(());
        }
        let flow = (self.on_chunk)(self.out);
        self.emitted = self.emitted.saturating_add(to_u64(self.out.len()));
        self.out.clear();
        if flow.is_break() {
            self.stopped = true;
        }
        flow
    }

    /// Flushes what is left (unless stopped by the callback) and reports.
    pub(crate) fn finish(mut self) -> DecodeOutcome {
        let _ = self.flush();
        self.out.clear();
        self.outcome()
    }

    /// The outcome so far.
    pub(crate) fn outcome(&self) -> DecodeOutcome {
        DecodeOutcome {
            decoded_len: self.emitted,
            stopped_early: self.stopped,
            truncated: self.truncated,
        }
    }

    /// Bytes handed to the callback so far.
    pub(crate) fn emitted(&self) -> u64 {
        self.emitted
    }
}
