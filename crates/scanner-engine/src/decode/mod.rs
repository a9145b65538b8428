//! The decoded-data pass: finds encoded spans (Base64, URL, hex, string
//! escapes, HTML references) in the root input, and gzip / zlib streams
//! behind Base64, decodes each one fully (bounded by budgets), scans the
//! decoded bytes with the same prefilter and confirmation as the raw pass,
//! and looks for nested spans in the decoded bytes, breadth first, down to
//! `Tuning::max_transform_depth`.
//!
//! This full-decode path is also the reference the streaming decode path is
//! tested against, and its fallback.
//!
//! Layer 4 (decoding): built on the per-buffer pass (`raw_pass`,
//! `confirm`), which it runs over each decoded buffer.
//!
//! Invariants:
//! - A finding from decoded data is located at the encoded bytes of its
//!   secret in the root input (`start..end`, mapped through every level),
//!   and reports the outermost encoded span (`encoded_start..encoded_end`)
//!   and the decode path from the outside in.
//! - Backpressure, not drops: root spans are found 64 KiB at a time and the
//!   queue drained whenever it is half full; nested spans wait for room (a
//!   parked search resumes later), so no span is dropped for lack of
//!   room. The queue holds at most `max_decode_queue + 1` items, plus one
//!   per output of a batch being flushed (each may park its search once),
//!   plus one per resumed search that found the queue full: a resumed
//!   search always queues the span it stopped at, so that draining makes
//!   progress even when every queued item is a parked search (they would
//!   otherwise park each other forever). Such spans are ranges of parked
//!   outputs in the slab, so the slab budget bounds them.
//! - Memory is bounded: decoded bytes per span by the transform's
//!   `max_decoded_bytes`, all decoded bytes of one scan by
//!   `max_total_decoded_bytes` (which also bounds the slab of child spans
//!   and parked outputs), queued work by `max_decode_queue`, the dedupe set
//!   by `dedupe_capacity`.
//! - Nothing is dropped silently: spans aborted by a budget or a decode
//!   error, nested spans beyond the slab budget, and dedupe hits are
//!   counted in `ScanStats`.
//! - Identical decoded output under the same root span is scanned once.
//! - Short decoded outputs are prefiltered in batches, in queue order: one
//!   Vectorscan scan over the batch, then each output holding an anchor
//!   hit is confirmed alone, exactly as without the batch (outputs without
//!   a hit would confirm nothing; with an anchorless rule in the engine
//!   every output is confirmed alone). Nested spans are queued in the
//!   same order as without the batch.
//! - A Base64 span whose output begins with a gzip or zlib header is not
//!   scanned as bytes: its output is digested (dedupe) and the span decoded
//!   again at once, through the inflater (`inflate.rs`), as an item one
//!   level deeper; findings in inflated data are located at the whole
//!   Base64 span. Inflation stops at `max_inflated_bytes` (and the scan's
//!   total budget), counted; a corrupt stream is counted; both keep what
//!   was inflated.
//! - When a [`RootSpanLog`] asks for it (the chunked scanner does), the
//!   root spans ending after its offset are kept, per transform, exactly as
//!   the root finders reported them; the log is complete only when every
//!   transform's finder ran over the whole input.

mod digest;
mod inflate;
mod stream;

use std::collections::VecDeque;
use std::ops::{ControlFlow, Range};

use crate::compiled::Engine;
use crate::finding::{DecodePath, DecodeStep, Finding};
use crate::raw_pass::{anchor_hit_ends, confirm_buffer, BufferScratch, Prefilter};
use crate::scan_types::PendingFinding;
use crate::structures::FixedSet128;
use crate::transform::base64::is_base64_char;
use crate::transform::{
    encoded_range, stream_decode, Span, SpanFinder, TransformConfig, TransformKind,
};

use smallvec::SmallVec;

use digest::DecodedDigest;
pub(crate) use inflate::Inflater;
use inflate::{sniff, Container, InflateEnd, ItemDecoder};
use stream::{stream_span, Outcome, ScanParts, StreamingPath};

/// Where a work item's encoded bytes are.
#[derive(Clone, Debug)]
enum Source {
    /// A range of the root input.
    Root(Range<usize>),
    /// A range of the slab (a child span copied out of its parent's output).
    Slab(Range<usize>),
}

/// One level of encoding between the root input and a work item's bytes.
#[derive(Clone, Debug)]
struct Level {
    transform: usize,
    source: Source,
    /// Offset of this level's encoded bytes in the decoded output of the
    /// level above it; for the outermost level, in the root input.
    at: u64,
    /// The level's decoded bytes are a compressed stream, inflated: its
    /// decoded offsets map to no finer range than its whole encoded span.
    inflate: Option<Container>,
}

/// Where the search for an item's nested spans resumes when the queue was
/// full: the item's decoded output (kept in the slab), the transform whose
/// finder was running and the decoded offset of the span it had found.
#[derive(Clone, Debug)]
struct Resume {
    decoded: Range<usize>,
    transform: usize,
    from: u64,
}

/// One encoded span waiting to be decoded, or (with `resume`) a decoded
/// span whose nested spans are still to be queued.
#[derive(Clone, Debug)]
struct WorkItem {
    root_start: u64,
    root_end: u64,
    path: DecodePath,
    /// Outermost first; the last level is the item's own encoding. Two
    /// inline: most items are root spans or one level below one, and an
    /// item is moved several times (queue, batch).
    levels: SmallVec<[Level; 2]>,
    /// Boxed: rare, and it would make every item larger.
    resume: Option<Box<Resume>>,
}

impl WorkItem {
    fn own(&self) -> &Level {
        self.levels
            .last()
            .expect("a work item has at least one level")
    }

    /// The root-input range whose decoding (through every level) holds
    /// decoded bytes `[lo, hi)` of this item.
    fn locate(
        &self,
        transforms: &[TransformConfig],
        input: &[u8],
        slab: &[u8],
        lo: u64,
        hi: u64,
    ) -> (u64, u64) {
        let (mut lo, mut hi) = (lo, hi);
        for level in self.levels.iter().rev() {
            let encoded = match &level.source {
                Source::Root(r) => &input[r.clone()],
                Source::Slab(r) => &slab[r.clone()],
            };
            let (s, e) = match level.inflate {
                // A compressed stream cannot be mapped byte by byte.
                Some(_) => (0, encoded.len() as u64),
                None => encoded_range(&transforms[level.transform], encoded, lo, hi),
            };
            lo = level.at + s;
            hi = level.at + e;
        }
        (lo, hi)
    }

    /// The item that inflates this (Base64) item's decoded output as
    /// `container`: the same encoded bytes, decoded again and inflated, one
    /// step deeper. A root span keeps only the part that decoded.
    fn inflated(&self, container: Container) -> WorkItem {
        let mut item = self.clone();
        item.resume = None;
        item.path.push(container.step());
        let root_end = self.root_end;
        let own = item
            .levels
            .last_mut()
            .expect("a work item has at least one level");
        own.inflate = Some(container);
        if let Source::Root(r) = &mut own.source {
            r.end = r.end.min(usize::try_from(root_end).unwrap_or(usize::MAX));
            r.start = r.start.min(r.end);
        }
        item
    }
}

/// Reusable state of the decoded-data pass.
#[derive(Debug)]
pub(crate) struct DecodeScratch {
    queue: VecDeque<WorkItem>,
    /// Encoded bytes of queued child spans.
    slab: Vec<u8>,
    /// Child spans found by the streaming path, before they are queued.
    staged: Vec<u8>,
    decoded: Vec<u8>,
    chunk: Vec<u8>,
    spans: Vec<Span>,
    seen: FixedSet128,
    /// Findings from decoded data in this scan; line and column are filled in
    /// at emission.
    pub(crate) findings: Vec<Finding>,
    streamer: Option<StreamingPath>,
    inflater: Inflater,
    batch: Batch,
}

impl DecodeScratch {
    pub(crate) fn new(dedupe_capacity: usize) -> DecodeScratch {
        DecodeScratch {
            queue: VecDeque::new(),
            slab: Vec::new(),
            staged: Vec::new(),
            decoded: Vec::new(),
            chunk: Vec::new(),
            spans: Vec::new(),
            seen: FixedSet128::with_capacity(dedupe_capacity.max(1)),
            findings: Vec::new(),
            streamer: None,
            inflater: Inflater::default(),
            batch: Batch::default(),
        }
    }
}

fn step_of(kind: TransformKind) -> DecodeStep {
    match kind {
        TransformKind::Base64 => DecodeStep::Base64,
        TransformKind::Url => DecodeStep::Url,
        TransformKind::Hex => DecodeStep::Hex,
        TransformKind::Escape => DecodeStep::Escape,
        TransformKind::Html => DecodeStep::Html,
    }
}

/// The root spans of the last scan that end after an offset, per
/// transform: what the chunked scanner needs to place its cuts, without
/// running the finders over the buffer again. Kept only while `from` is
/// set; the spans kept are bounded by the bytes after `from`.
#[derive(Debug, Default)]
pub(crate) struct RootSpanLog {
    /// Keep the spans ending after this offset of the input; `None` keeps
    /// nothing.
    pub(crate) from: Option<u64>,
    /// Per transform (index into `Tuning::transforms`), in the order found.
    pub(crate) spans: Vec<Vec<Span>>,
    /// Every transform's finder ran over the whole last input.
    pub(crate) complete: bool,
}

impl RootSpanLog {
    /// Empties the log before a scan of `transforms` transforms.
    fn start(&mut self, transforms: usize) {
        self.complete = false;
        self.spans.resize_with(transforms, Vec::new);
        for s in &mut self.spans {
            s.clear();
        }
    }

    /// Keeps the spans in `found` (of transform `t`) that end after `from`.
    fn record(&mut self, t: usize, found: &[Span]) {
        if let Some(from) = self.from {
            self.spans[t].extend(found.iter().filter(|s| s.end > from));
        }
    }
}

/// Runs the decoded-data pass over `input`, its state kept in `decode`
/// between scans. `root_pending` holds the raw
/// pass's confirmed matches, used to drop decoded findings that repeat a raw
/// finding inside the same root span. The root spans are kept in `log` as it
/// asks.
pub(crate) fn scan_decoded(
    engine: &Engine,
    scratch: &mut BufferScratch,
    decode: &mut Option<DecodeScratch>,
    log: &mut RootSpanLog,
    input: &[u8],
    root_pending: &[PendingFinding],
    prefilter: Prefilter,
) {
    let tuning = &engine.tuning;
    log.start(tuning.transforms.len());
    if tuning.max_transform_depth == 0 || tuning.transforms.is_empty() {
        return;
    }
    let mut ds = decode
        .take()
        .unwrap_or_else(|| DecodeScratch::new(tuning.dedupe_capacity));
    ds.queue.clear();
    ds.slab.clear();
    ds.seen.clear();
    ds.findings.clear();
    let mut budget = tuning.max_total_decoded_bytes;
    let run = Run {
        engine,
        input,
        root_pending,
        prefilter,
    };

    // Root spans are found piece by piece; whenever the queue is full it is
    // drained (decoded, nested spans included) before more are found, so
    // the queue's cap bounds memory without dropping a span.
    for (t, cfg) in tuning.transforms.iter().enumerate() {
        let mut finder = SpanFinder::new(&cfg.uncapped());
        let mut offset = 0u64;
        for piece in input.chunks(ROOT_PIECE) {
            ds.spans.clear();
            let _ = finder.feed(piece, offset, &mut |span| {
                ds.spans.push(span);
                ControlFlow::Continue(())
            });
            offset += piece.len() as u64;
            log.record(t, &ds.spans);
            enqueue_root_spans(scratch, &mut ds, t, cfg.kind);
            // Half the queue is left for the nested spans found meanwhile.
            if ds.queue.len() >= tuning.max_decode_queue / 2 {
                run.drain(scratch, &mut ds, &mut budget);
            }
        }
        ds.spans.clear();
        let _ = finder.finish(&mut |span| {
            ds.spans.push(span);
            ControlFlow::Continue(())
        });
        log.record(t, &ds.spans);
        enqueue_root_spans(scratch, &mut ds, t, cfg.kind);
        scratch.stats.spans_truncated += finder.counts().cut;
    }
    log.complete = true;
    run.drain(scratch, &mut ds, &mut budget);
    keep_outermost(&mut ds.findings);
    *decode = Some(ds);
}

/// Root input bytes handed to a root span finder at a time: the most spans
/// found between two checks of the queue's cap is this over the shortest
/// span length.
const ROOT_PIECE: usize = 64 << 10;

/// What decoding one scan's queue needs besides the scratch.
struct Run<'a> {
    engine: &'a Engine,
    input: &'a [u8],
    root_pending: &'a [PendingFinding],
    prefilter: Prefilter,
}

impl Run<'_> {
    /// Decodes every queued span, breadth first, until the queue is empty;
    /// then the slab of nested spans' bytes is free again.
    fn drain(&self, scratch: &mut BufferScratch, ds: &mut DecodeScratch, budget: &mut usize) {
        let Run {
            engine,
            input,
            root_pending,
            prefilter,
        } = *self;
        let tuning = &engine.tuning;
        let DecodeScratch {
            queue,
            slab,
            staged,
            decoded,
            chunk,
            spans: _,
            seen,
            findings,
            streamer,
            inflater,
            batch,
        } = ds;
        // Short outputs wait in the batch for one prefilter scan; every
        // other step flushes the batch first, so outputs are confirmed and
        // their nested spans queued in queue order.
        let gate = prefilter != Prefilter::Off && engine.literal_prefilter;
        // A compressed stream found in a span's output is inflated right
        // after it, without taking room in the queue.
        let mut inflate_next: Option<WorkItem> = None;
        loop {
            let Some(mut item) = inflate_next.take().or_else(|| queue.pop_front()) else {
                if batch.items.is_empty() {
                    break;
                }
                self.flush(scratch, queue, slab, findings, batch);
                continue;
            };
            if let Some(resume) = item.resume.take() {
                self.flush(scratch, queue, slab, findings, batch);
                let parent = Decoded::InSlab(resume.decoded);
                queue_children(
                    engine,
                    scratch,
                    queue,
                    slab,
                    &item,
                    parent,
                    resume.transform,
                    resume.from,
                    true,
                );
                continue;
            }
            let own = item.own().clone();
            let cfg = &tuning.transforms[own.transform];
            let want_children = item.path.len() < tuning.max_transform_depth;
            let (Source::Root(r) | Source::Slab(r)) = &own.source;
            let streams = r.len() >= tuning.stream_decode_min_len;
            if streams {
                // Confirmed while it streams: the batch goes first.
                self.flush(scratch, queue, slab, findings, batch);
            }
            let encoded: &[u8] = match &own.source {
                Source::Root(r) => &input[r.clone()],
                Source::Slab(r) => &slab[r.clone()],
            };
            let limit = match own.inflate {
                Some(_) => tuning.max_inflated_bytes.min(*budget),
                None => cfg.max_decoded_bytes.min(*budget),
            };
            let dec = ItemDecoder {
                cfg,
                inflate: own.inflate.map(|c| (c, limit)),
            };
            // This span's output may be a compressed stream to inflate next.
            let may_inflate = tuning.inflate
                && want_children
                && own.inflate.is_none()
                && cfg.kind == TransformKind::Base64
                && could_be_compressed(encoded);
            scratch.stats.spans_decoded += 1;
            let mark = findings.len();

            // A compressed stream is not scanned as bytes: its Base64 output
            // is only digested (for the dedupe), then inflated at once.
            if let Some(c) = may_inflate
                .then(|| sniff(&peek_head(cfg, encoded, chunk)))
                .flatten()
            {
                let mut digest = DecodedDigest::new();
                match digest_span(cfg, encoded, limit, chunk, &mut digest) {
                    Ok((len, used)) => {
                        if let Source::Root(r) = &own.source {
                            item.root_end = (r.start + used) as u64;
                        }
                        *budget -= len;
                        scratch.stats.decoded_bytes += len as u64;
                        if seen.insert(digest.finish(item.root_start, item.root_end)) {
                            inflate_next = Some(item.inflated(c));
                        } else {
                            scratch.stats.dedupe_hits += 1;
                        }
                    }
                    Err(SpanFailure::Budget) => scratch.stats.decode_aborted += 1,
                    Err(SpanFailure::Invalid) => scratch.stats.decode_errors += 1,
                }
                continue;
            }

            if streams {
                let sd = streamer.get_or_insert_with(|| StreamingPath::new(engine));
                staged.clear();
                let mut digest = DecodedDigest::new();
                let parts = ScanParts {
                    vs: &mut scratch.vs,
                    regex_states: &mut scratch.regex_states,
                    pending: &mut scratch.pending,
                    stats: &mut scratch.stats,
                };
                let mut on_match = |rule: u32, secret: &[u8], matched: &[u8], at: u64| {
                    let span = item.locate(
                        &tuning.transforms,
                        input,
                        slab,
                        at,
                        at + secret.len() as u64,
                    );
                    stage_finding(
                        engine,
                        findings,
                        root_pending,
                        input,
                        &item,
                        rule,
                        secret,
                        matched,
                        span,
                    )
                };
                let slab_budget = tuning.max_total_decoded_bytes.saturating_sub(slab.len());
                // Nested spans found while streaming must all fit in the
                // queue; when they do not, the span is decoded fully and its
                // nested spans queued as room frees up.
                let room = tuning.max_decode_queue.saturating_sub(queue.len());
                let outcome = stream_span(
                    engine,
                    sd,
                    parts,
                    dec,
                    encoded,
                    limit,
                    chunk,
                    &mut digest,
                    want_children,
                    staged,
                    slab_budget,
                    room,
                    &mut on_match,
                );
                match outcome {
                    Outcome::Finished {
                        decoded_len,
                        inflate,
                    } => {
                        *budget -= decoded_len as usize;
                        scratch.stats.decoded_bytes += decoded_len;
                        count_inflate(&mut scratch.stats, inflate);
                        if !seen.insert(digest.finish(item.root_start, item.root_end)) {
                            findings.truncate(mark);
                            scratch.stats.dedupe_hits += 1;
                            continue;
                        }
                        for child in sd.children.drain(..) {
                            scratch.stats.spans_found += 1;
                            let bytes = &staged[child.slab];
                            push_child(
                                engine,
                                scratch,
                                queue,
                                slab,
                                &item,
                                child.transform,
                                child.at,
                                bytes,
                            );
                        }
                        continue;
                    }
                    Outcome::Budget => {
                        findings.truncate(mark);
                        scratch.stats.decode_aborted += 1;
                        continue;
                    }
                    Outcome::Fallback => {
                        findings.truncate(mark);
                        scratch.stats.decode_fallbacks += 1;
                    }
                    Outcome::Invalid => findings.truncate(mark),
                }
            }

            // Full decode: the path for short spans, and the fallback.
            match decode_span(dec, inflater, encoded, limit, decoded, chunk) {
                Ok((used, inflate)) => {
                    count_inflate(&mut scratch.stats, inflate);
                    if let Source::Root(r) = &own.source {
                        // Report only the part of the root span that decoded.
                        item.root_end = (r.start + used) as u64;
                    }
                }
                Err(SpanFailure::Budget) => {
                    scratch.stats.decode_aborted += 1;
                    continue;
                }
                Err(SpanFailure::Invalid) => {
                    scratch.stats.decode_errors += 1;
                    continue;
                }
            }
            *budget -= decoded.len();
            scratch.stats.decoded_bytes += decoded.len() as u64;
            // The digest is bound to the root span, so it can only repeat
            // for nested spans: a root span is decoded once.
            if item.levels.len() > 1 {
                let mut digest = DecodedDigest::new();
                digest.update(decoded);
                if !seen.insert(digest.finish(item.root_start, item.root_end)) {
                    scratch.stats.dedupe_hits += 1;
                    continue;
                }
            }
            if gate && decoded.len() <= BATCH_OUTPUT_MAX {
                batch.push(item, decoded);
                if batch.is_full() {
                    self.flush(scratch, queue, slab, findings, batch);
                }
                continue;
            }
            self.flush(scratch, queue, slab, findings, batch);
            self.confirm_output(scratch, findings, slab, &item, decoded);
            if want_children {
                let parent = Decoded::Scratch(decoded);
                queue_children(engine, scratch, queue, slab, &item, parent, 0, 0, false);
            }
        }
        slab.clear();
    }

    /// Confirms the decoded output of `item` (prefilter and regexes) and
    /// stages its findings.
    fn confirm_output(
        &self,
        scratch: &mut BufferScratch,
        findings: &mut Vec<Finding>,
        slab: &[u8],
        item: &WorkItem,
        decoded: &[u8],
    ) {
        let (engine, input, root_pending) = (self.engine, self.input, self.root_pending);
        let transforms = &engine.tuning.transforms;
        confirm_buffer(engine, scratch, decoded, self.prefilter);
        for m in &scratch.utf16_found {
            let span = item.locate(transforms, input, slab, m.start, m.end);
            let f = m.to_finding(
                engine,
                span,
                (item.root_start, item.root_end),
                &item.path,
                &scratch.utf16_text,
            );
            stage(findings, root_pending, input, m.rule, f);
        }
        let mut pending = std::mem::take(&mut scratch.pending);
        for p in pending.drain(..) {
            let secret = &decoded[p.secret_start as usize..p.secret_end as usize];
            let matched = &decoded[p.match_start as usize..p.match_end as usize];
            let span = item.locate(transforms, input, slab, p.secret_start, p.secret_end);
            stage_finding(
                engine,
                findings,
                root_pending,
                input,
                item,
                p.rule,
                secret,
                matched,
                span,
            );
        }
        scratch.pending = pending;
    }

    /// Confirms the batched outputs and queues their nested spans, in
    /// order: one prefilter scan over all of them, then the usual
    /// confirmation of each output that holds an anchor hit (an output
    /// without one would confirm nothing). A hit across two outputs only
    /// makes the later one confirmed alone.
    fn flush(
        &self,
        scratch: &mut BufferScratch,
        queue: &mut VecDeque<WorkItem>,
        slab: &mut Vec<u8>,
        findings: &mut Vec<Finding>,
        batch: &mut Batch,
    ) {
        if batch.items.is_empty() {
            return;
        }
        let engine = self.engine;
        let Batch { bytes, items, hit } = batch;
        hit.clear();
        hit.resize(items.len(), false);
        let gated = anchor_hit_ends(engine, scratch, bytes, |end| {
            // The output holding the hit's last byte.
            let k = items.partition_point(|(_, item_end)| *item_end < end as usize);
            if let Some(h) = hit.get_mut(k) {
                *h = true;
            }
        });
        let mut start = 0;
        for (k, (item, end)) in items.drain(..).enumerate() {
            let out = &bytes[start..end];
            start = end;
            if !gated || hit[k] {
                self.confirm_output(scratch, findings, slab, &item, out);
            }
            if item.path.len() < engine.tuning.max_transform_depth {
                let parent = Decoded::Scratch(out);
                queue_children(engine, scratch, queue, slab, &item, parent, 0, 0, false);
            }
        }
        bytes.clear();
    }
}

/// Decoded outputs longer than this are confirmed alone, not batched.
const BATCH_OUTPUT_MAX: usize = 1 << 10;

/// A batch is flushed when it holds this many bytes or [`BATCH_ITEMS`]
/// outputs: the most it holds is this plus [`BATCH_OUTPUT_MAX`] bytes.
const BATCH_BYTES: usize = 16 << 10;
const BATCH_ITEMS: usize = 128;

/// Short decoded outputs (and their items, taken off the queue) waiting to
/// be confirmed after one prefilter scan over all of them: a Vectorscan
/// call per output costs more than scanning a few dozen bytes.
#[derive(Debug, Default)]
struct Batch {
    /// The outputs, adjacent, in queue order.
    bytes: Vec<u8>,
    /// Each output's item and the end of its output in `bytes`.
    items: Vec<(WorkItem, usize)>,
    /// Per output: an anchor hit ends in it (filled by a flush).
    hit: Vec<bool>,
}

impl Batch {
    fn push(&mut self, item: WorkItem, decoded: &[u8]) {
        self.bytes.extend_from_slice(decoded);
        self.items.push((item, self.bytes.len()));
    }

    fn is_full(&self) -> bool {
        self.bytes.len() >= BATCH_BYTES || self.items.len() >= BATCH_ITEMS
    }
}

/// Records a confirmed match from decoded data, found at `span` of the root
/// input, as a finding inside the item's root span (see [`stage`]).
#[allow(clippy::too_many_arguments)]
fn stage_finding(
    engine: &Engine,
    findings: &mut Vec<Finding>,
    root_pending: &[PendingFinding],
    input: &[u8],
    item: &WorkItem,
    rule_idx: u32,
    secret: &[u8],
    matched: &[u8],
    span: (u64, u64),
) {
    let info = &engine.rules[rule_idx as usize].info;
    let finding = Finding::new(
        &info.id,
        &info.name,
        secret,
        matched,
        span,
        (item.root_start, item.root_end),
        item.path.clone(),
    );
    stage(findings, root_pending, input, rule_idx, finding);
}

/// Keeps a decoded finding unless it repeats a raw finding of the same rule
/// and secret inside its root span, or a decoded finding already staged for
/// the same root span.
fn stage(
    findings: &mut Vec<Finding>,
    root_pending: &[PendingFinding],
    input: &[u8],
    rule_idx: u32,
    f: Finding,
) {
    let repeats_raw = root_pending.iter().any(|r| {
        r.rule == rule_idx
            && r.secret_start >= f.encoded_start
            && r.secret_end <= f.encoded_end
            && input[r.secret_start as usize..r.secret_end as usize] == *f.secret
    });
    let repeats_decoded = findings.iter().any(|g| {
        (g.start, g.end, g.encoded_start, g.encoded_end)
            == (f.start, f.end, f.encoded_start, f.encoded_end)
            && g.rule_id == f.rule_id
            && g.secret == f.secret
    });
    if !repeats_raw && !repeats_decoded {
        findings.push(f);
    }
}

/// Queues a child span found at offset `at` of `parent`'s decoded output,
/// copying its encoded bytes to the slab, unless the slab budget is
/// exhausted (then it is counted as dropped). The caller checks the queue's
/// room.
#[allow(clippy::too_many_arguments)]
fn push_child(
    engine: &Engine,
    scratch: &mut BufferScratch,
    queue: &mut VecDeque<WorkItem>,
    slab: &mut Vec<u8>,
    parent: &WorkItem,
    transform: usize,
    at: u64,
    bytes: &[u8],
) {
    let tuning = &engine.tuning;
    if slab.len() + bytes.len() > tuning.max_total_decoded_bytes {
        scratch.stats.spans_dropped += 1;
        return;
    }
    let from = slab.len();
    slab.extend_from_slice(bytes);
    push_child_at(engine, queue, parent, transform, at, from..slab.len());
}

/// Queues a child span whose encoded bytes are `slab[bytes]`, found at
/// offset `at` of `parent`'s decoded output.
fn push_child_at(
    engine: &Engine,
    queue: &mut VecDeque<WorkItem>,
    parent: &WorkItem,
    transform: usize,
    at: u64,
    bytes: Range<usize>,
) {
    let tuning = &engine.tuning;
    let mut path = parent.path.clone();
    path.push(step_of(tuning.transforms[transform].kind));
    let mut levels = parent.levels.clone();
    levels.push(Level {
        transform,
        source: Source::Slab(bytes),
        at,
        inflate: None,
    });
    queue.push_back(WorkItem {
        root_start: parent.root_start,
        root_end: parent.root_end,
        path,
        levels,
        resume: None,
    });
}

/// A decoded output whose nested spans are being queued.
enum Decoded<'a> {
    /// In the reusable decode buffer (valid until the next decode).
    Scratch(&'a [u8]),
    /// Parked in the slab.
    InSlab(Range<usize>),
}

/// Finds the nested spans of `parent`'s decoded output, starting with
/// transform `first` at decoded offset `from`, and queues them while the
/// queue has room. When it is full, the rest of the search is queued as one
/// [`Resume`] item (the decoded output parked in the slab), and no span is
/// dropped; only an exhausted slab budget drops spans, counted. With
/// `take_one` (a resumed search) the first span found is queued even when
/// the queue is full, so every resumed search makes progress (see the
/// module docs for the queue's bound).
#[allow(clippy::too_many_arguments)]
fn queue_children(
    engine: &Engine,
    scratch: &mut BufferScratch,
    queue: &mut VecDeque<WorkItem>,
    slab: &mut Vec<u8>,
    parent: &WorkItem,
    decoded: Decoded<'_>,
    first: usize,
    from: u64,
    take_one: bool,
) {
    let tuning = &engine.tuning;
    // A resumed search queues the span it stopped at even when the queue
    // is full: otherwise a queue holding only parked searches would park
    // them again and again.
    let mut must_take = take_one;
    for t in first..tuning.transforms.len() {
        let start = if t == first { from } else { 0 };
        let cfg = tuning.transforms[t].uncapped();
        let rest = match &decoded {
            Decoded::InSlab(r) => &slab[r.start + start as usize..r.end],
            Decoded::Scratch(bytes) => &bytes[start as usize..],
        };
        if !could_hold_span(&cfg, rest) {
            continue;
        }
        let mut finder = SpanFinder::new(&cfg);
        let room = |queue: &VecDeque<WorkItem>| queue.len() < tuning.max_decode_queue;
        let mut parked = None;
        match &decoded {
            Decoded::InSlab(r) => {
                let mut on_span = |span: Span| {
                    if !room(queue) && !must_take {
                        parked = Some(span.start);
                        return ControlFlow::Break(());
                    }
                    must_take = false;
                    scratch.stats.spans_found += 1;
                    let bytes = r.start + span.start as usize..r.start + span.end as usize;
                    push_child_at(engine, queue, parent, t, span.start, bytes);
                    ControlFlow::Continue(())
                };
                let bytes = &slab[r.start + start as usize..r.end];
                if finder.feed(bytes, start, &mut on_span).is_continue() {
                    let _ = finder.finish(&mut on_span);
                }
            }
            Decoded::Scratch(bytes) => {
                let mut on_span = |span: Span| {
                    if !room(queue) && !must_take {
                        parked = Some(span.start);
                        return ControlFlow::Break(());
                    }
                    must_take = false;
                    scratch.stats.spans_found += 1;
                    let child = &bytes[span.start as usize..span.end as usize];
                    push_child(engine, scratch, queue, slab, parent, t, span.start, child);
                    ControlFlow::Continue(())
                };
                if finder
                    .feed(&bytes[start as usize..], start, &mut on_span)
                    .is_continue()
                {
                    let _ = finder.finish(&mut on_span);
                }
            }
        }
        scratch.stats.spans_truncated += finder.counts().cut;
        let Some(at) = parked else { continue };
        // Park the rest of the search (at least one span is left: counted
        // as dropped when the slab has no room for the decoded output).
        let range = match decoded {
            Decoded::InSlab(r) => r,
            Decoded::Scratch(bytes) => {
                if slab.len() + bytes.len() > tuning.max_total_decoded_bytes {
                    scratch.stats.spans_dropped += 1;
                    return;
                }
                let from = slab.len();
                slab.extend_from_slice(bytes);
                from..slab.len()
            }
        };
        let mut resume = parent.clone();
        resume.resume = Some(Box::new(Resume {
            decoded: range,
            transform: t,
            from: at,
        }));
        queue.push_back(resume);
        return;
    }
}

/// A cheap, exact pre-check before running a span finder over a (usually
/// short) decoded output: a Base64 span needs `min_len` alphabet characters
/// (counted, with an early exit, for outputs up to 256 bytes, where the
/// finder's own start-up cost dominates), a URL span a `%`, a hex span a
/// run of `min_len` hex digits (looked for in outputs up to 256 bytes), an
/// escape span `min_len` pairs `\u`, `\x` or `\/`, an HTML span a `&` and
/// `min_len` semicolons.
fn could_hold_span(cfg: &TransformConfig, bytes: &[u8]) -> bool {
    match cfg.kind {
        TransformKind::Base64 => {
            if bytes.len() < cfg.min_len {
                return false;
            }
            if bytes.len() > 256 {
                return true;
            }
            let mut count = 0;
            for &b in bytes {
                count += usize::from(is_base64_char(b));
                if count >= cfg.min_len {
                    return true;
                }
            }
            false
        }
        TransformKind::Url => memchr::memchr(b'%', bytes).is_some(),
        TransformKind::Hex => {
            let need = cfg.min_len.max(2);
            if bytes.len() < need {
                return false;
            }
            if bytes.len() > 256 {
                return true;
            }
            let mut run = 0;
            for &b in bytes {
                run = if b.is_ascii_hexdigit() { run + 1 } else { 0 };
                if run >= need {
                    return true;
                }
            }
            false
        }
        TransformKind::Escape => {
            let need = cfg.min_len.max(1);
            memchr::memchr_iter(b'\\', bytes)
                .filter(|&i| matches!(bytes.get(i + 1), Some(b'u' | b'x' | b'/')))
                .nth(need - 1)
                .is_some()
        }
        TransformKind::Html => {
            let need = cfg.min_len.max(1);
            memchr::memchr(b'&', bytes).is_some()
                && memchr::memchr_iter(b';', bytes).nth(need - 1).is_some()
        }
    }
}

/// Among decoded findings of the same rule and secret at overlapping
/// locations (e.g. a Base64 run decoded both on its own and inside the URL
/// span around it), keeps the one with the widest encoded span, then the
/// shortest decode path.
fn keep_outermost(findings: &mut Vec<Finding>) {
    let key = |f: &Finding| {
        (
            f.rule_id.clone(),
            f.secret.clone(),
            f.start,
            std::cmp::Reverse(f.encoded_end - f.encoded_start),
            f.decode_path.len(),
        )
    };
    findings.sort_by_cached_key(key);
    // `dedup_by` compares each finding with the last one kept.
    findings.dedup_by(|f, kept| {
        kept.rule_id == f.rule_id
            && kept.secret == f.secret
            && f.start < kept.end
            && kept.start < f.end
    });
}

/// Why a span produced no decoded output.
enum SpanFailure {
    /// A decoded-bytes budget ran out.
    Budget,
    /// Not a valid encoding.
    Invalid,
}

/// Decodes `encoded` into `out` (cleared first), failing if it would exceed
/// `limit` bytes; returns how many encoded bytes were decoded and, for an
/// inflated item, how its stream ended. A Base64 span that turns invalid
/// part way keeps the output decoded before the offending byte; one invalid
/// from its first quantum is an error. An inflated item never fails: its
/// output stops at `limit` or at a fault in the stream, and what came
/// before is kept.
fn decode_span(
    dec: ItemDecoder<'_>,
    inflater: &mut Inflater,
    encoded: &[u8],
    limit: usize,
    out: &mut Vec<u8>,
    chunk: &mut Vec<u8>,
) -> Result<(usize, Option<InflateEnd>), SpanFailure> {
    let cfg = dec.cfg;
    out.clear();
    let mut over = false;
    let (result, inflate) = dec.decode(inflater, encoded, chunk, |c: &[u8]| {
        if out.len() + c.len() > limit {
            over = true;
            return ControlFlow::Break(());
        }
        out.extend_from_slice(c);
        ControlFlow::Continue(())
    });
    match result {
        Ok(o) if o.truncated || over => Err(SpanFailure::Budget),
        Ok(_) => Ok((encoded.len(), inflate)),
        // The output of every complete quantum before the offending byte is
        // valid decoded data: keep it (a run cut at a buffer's end, a
        // wrapped block followed by an unrelated line, a stray character).
        // The span then ends with the last quantum decoded.
        Err(_) if !out.is_empty() => {
            let (_, end) = encoded_range(cfg, encoded, 0, out.len() as u64);
            Ok((end as usize, None))
        }
        Err(_) => Err(SpanFailure::Invalid),
    }
}

/// Decodes `encoded` into `digest` only, like [`decode_span`] (same
/// budget, same partial output before an invalid byte); returns the decoded
/// length and how many encoded bytes were decoded.
fn digest_span(
    cfg: &TransformConfig,
    encoded: &[u8],
    limit: usize,
    chunk: &mut Vec<u8>,
    digest: &mut DecodedDigest,
) -> Result<(usize, usize), SpanFailure> {
    let mut len = 0usize;
    let mut over = false;
    let result = stream_decode(cfg, encoded, chunk, |c: &[u8]| {
        if len + c.len() > limit {
            over = true;
            return ControlFlow::Break(());
        }
        digest.update(c);
        len += c.len();
        ControlFlow::Continue(())
    });
    match result {
        Ok(o) if o.truncated || over => Err(SpanFailure::Budget),
        Ok(_) => Ok((len, encoded.len())),
        Err(_) if len > 0 => {
            let (_, end) = encoded_range(cfg, encoded, 0, len as u64);
            Ok((len, end as usize))
        }
        Err(_) => Err(SpanFailure::Invalid),
    }
}

/// Counts an inflated stream and how it ended.
fn count_inflate(stats: &mut crate::stats::ScanStats, end: Option<InflateEnd>) {
    let Some(end) = end else { return };
    stats.spans_inflated += 1;
    match end {
        InflateEnd::Budget => stats.inflate_budget_hits += 1,
        InflateEnd::Corrupt => stats.inflate_errors += 1,
        InflateEnd::Complete | InflateEnd::Stopped => {}
    }
}

/// Whether the decoded-data pass would inflate the Base64 span `encoded`
/// found in the root input: inflation is on and deep enough, and its output
/// begins with a gzip or zlib header followed by data that inflates without
/// error as far as its first 1 KiB of encoded bytes go (random data behind
/// a lucky header is rejected). `chunk` and `inflater` are reusable.
pub(crate) fn root_span_inflates(
    tuning: &crate::compiled::Tuning,
    cfg: &TransformConfig,
    encoded: &[u8],
    chunk: &mut Vec<u8>,
    inflater: &mut Inflater,
) -> bool {
    if !(tuning.inflate && tuning.max_transform_depth >= 2 && cfg.kind == TransformKind::Base64) {
        return false;
    }
    if !could_be_compressed(encoded) {
        return false;
    }
    let Some(container) = sniff(&peek_head(cfg, encoded, chunk)) else {
        return false;
    };
    // Cut at a quantum boundary of alphabet characters is not needed: a
    // prefix ending mid-quantum still hands on every complete quantum.
    let prefix = &encoded[..encoded.len().min(1024)];
    inflater.plausible(container, cfg, prefix, chunk)
}

/// Whether Base64 text can decode to a gzip or zlib header: its first
/// character is `H` (`1f 8b 08` is `H4sI`) or `e` (`78 ..` is `e...`).
fn could_be_compressed(encoded: &[u8]) -> bool {
    matches!(
        encoded.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'H' | b'e')
    )
}

/// The first decoded bytes of a (long) span, enough to recognise a
/// compressed stream's header: only the span's first 256 encoded bytes are
/// decoded.
fn peek_head(cfg: &TransformConfig, encoded: &[u8], chunk: &mut Vec<u8>) -> SmallVec<[u8; 4]> {
    let mut head = SmallVec::new();
    let prefix = &encoded[..encoded.len().min(256)];
    let _ = stream_decode(cfg, prefix, chunk, |c: &[u8]| {
        head.extend_from_slice(&c[..c.len().min(4)]);
        ControlFlow::Break(())
    });
    head
}

/// Queues the root spans in `ds.spans`, found by transform `t`.
fn enqueue_root_spans(
    scratch: &mut BufferScratch,
    ds: &mut DecodeScratch,
    t: usize,
    kind: TransformKind,
) {
    for span in &ds.spans {
        scratch.stats.spans_found += 1;
        ds.queue.push_back(WorkItem {
            root_start: span.start,
            root_end: span.end,
            path: std::iter::once(step_of(kind)).collect(),
            levels: std::iter::once(Level {
                transform: t,
                source: Source::Root(span.start as usize..span.end as usize),
                at: span.start,
                inflate: None,
            })
            .collect(),
            resume: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A work item is built, queued, popped and batched for every span:
    /// its size is most of the per-span copying.
    #[test]
    fn work_items_stay_small() {
        let size = std::mem::size_of::<WorkItem>();
        assert!(size <= 160, "WorkItem is {size} bytes");
    }
}
