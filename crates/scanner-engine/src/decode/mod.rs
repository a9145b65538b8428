//! The decoded-data pass: finds Base64 and URL-encoded spans in the root
//! input, decodes each one fully (bounded by budgets), scans the decoded
//! bytes with the same prefilter and confirmation as the raw pass, and looks
//! for nested spans in the decoded bytes, breadth first, down to
//! `Tuning::max_transform_depth`.
//!
//! This full-decode path is also the reference the streaming decode path is
//! tested against, and its fallback.
//!
//! Invariants:
//! - A finding from decoded data reports the *outermost* encoded span in the
//!   root input (`start..end`) and the decode path from the outside in.
//! - Memory is bounded: decoded bytes per span by the transform's
//!   `max_decoded_bytes`, all decoded bytes of one scan by
//!   `max_total_decoded_bytes` (which also bounds the slab of queued child
//!   spans), queued work by `max_decode_queue`, the dedupe set by
//!   `dedupe_capacity`.
//! - Nothing is dropped silently: spans over the queue cap, spans aborted by
//!   a budget or a decode error, and dedupe hits are counted in `ScanStats`.
//! - Identical decoded output under the same root span is scanned once.

mod digest;
mod stream;

use std::collections::VecDeque;
use std::ops::{ControlFlow, Range};

use crate::engine::Engine;
use crate::finding::{shannon_entropy, DecodePath, DecodeStep, Finding, Fingerprint};
use crate::raw_pass::{confirm_buffer, Prefilter};
use crate::scratch::{PendingFinding, Scratch};
use crate::structures::FixedSet128;
use crate::transform::{find_spans, stream_decode, Span, TransformConfig, TransformKind};

use digest::DecodedDigest;
use stream::{stream_span, Outcome, ScanParts, StreamDecoder};

/// Where a work item's encoded bytes are.
#[derive(Clone, Debug)]
enum Source {
    /// A range of the root input.
    Root(Range<usize>),
    /// A range of the slab (a child span copied out of its parent's output).
    Slab(Range<usize>),
}

/// One encoded span waiting to be decoded.
#[derive(Clone, Debug)]
struct WorkItem {
    root_start: u64,
    root_end: u64,
    transform: usize,
    path: DecodePath,
    source: Source,
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
    streamer: Option<StreamDecoder>,
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
        }
    }
}

fn step_of(kind: TransformKind) -> DecodeStep {
    match kind {
        TransformKind::Base64 => DecodeStep::Base64,
        TransformKind::Url => DecodeStep::Url,
    }
}

/// Runs the decoded-data pass over `input`. `root_pending` holds the raw
/// pass's confirmed matches, used to drop decoded findings that repeat a raw
/// finding inside the same root span.
pub(crate) fn scan_decoded(
    engine: &Engine,
    scratch: &mut Scratch,
    input: &[u8],
    root_pending: &[PendingFinding],
    prefilter: Prefilter,
) {
    let tuning = &engine.tuning;
    if tuning.max_transform_depth == 0 || tuning.transforms.is_empty() {
        return;
    }
    let mut ds = scratch
        .decode
        .take()
        .unwrap_or_else(|| DecodeScratch::new(tuning.dedupe_capacity));
    ds.queue.clear();
    ds.slab.clear();
    ds.seen.clear();
    ds.findings.clear();
    let mut budget = tuning.max_total_decoded_bytes;

    enqueue_spans(engine, scratch, &mut ds, input);
    let DecodeScratch {
        queue,
        slab,
        staged,
        decoded,
        chunk,
        spans,
        seen,
        findings,
        streamer,
    } = &mut ds;
    while let Some(mut item) = queue.pop_front() {
        let cfg = &tuning.transforms[item.transform];
        let want_children = item.path.len() < tuning.max_transform_depth;
        let encoded: &[u8] = match &item.source {
            Source::Root(r) => &input[r.clone()],
            Source::Slab(r) => &slab[r.clone()],
        };
        let limit = cfg.max_decoded_bytes.min(budget);
        scratch.stats.spans_decoded += 1;
        let mark = findings.len();

        if encoded.len() >= tuning.stream_decode_min_len {
            let sd = streamer.get_or_insert_with(|| StreamDecoder::new(engine));
            staged.clear();
            let mut digest = DecodedDigest::new();
            let parts = ScanParts {
                vs: &mut scratch.vs,
                regex_states: &mut scratch.regex_states,
                pending: &mut scratch.pending,
                stats: &mut scratch.stats,
            };
            let mut on_match = |rule: u32, secret: &[u8], matched: &[u8]| {
                stage_finding(
                    engine,
                    findings,
                    root_pending,
                    input,
                    &item,
                    rule,
                    secret,
                    matched,
                )
            };
            let slab_budget = tuning.max_total_decoded_bytes.saturating_sub(slab.len());
            let outcome = stream_span(
                engine,
                sd,
                parts,
                cfg,
                encoded,
                limit,
                chunk,
                &mut digest,
                want_children,
                staged,
                slab_budget,
                &mut on_match,
            );
            match outcome {
                Outcome::Finished { decoded_len } => {
                    budget -= decoded_len as usize;
                    scratch.stats.decoded_bytes += decoded_len;
                    if !seen.insert(digest.finish(item.root_start, item.root_end)) {
                        findings.truncate(mark);
                        scratch.stats.dedupe_hits += 1;
                        continue;
                    }
                    for child in sd.children.drain(..) {
                        let bytes = &staged[child.slab];
                        push_child(engine, scratch, queue, slab, &item, child.transform, bytes);
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
        match decode_span(cfg, encoded, limit, decoded, chunk) {
            Ok(used) => {
                if let Source::Root(r) = &item.source {
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
        budget -= decoded.len();
        scratch.stats.decoded_bytes += decoded.len() as u64;
        let mut digest = DecodedDigest::new();
        digest.update(decoded);
        if !seen.insert(digest.finish(item.root_start, item.root_end)) {
            scratch.stats.dedupe_hits += 1;
            continue;
        }
        confirm_buffer(engine, scratch, decoded, prefilter);
        for m in &scratch.utf16_found {
            let f = m.to_finding(
                engine,
                item.root_start,
                item.root_end,
                &item.path,
                &scratch.utf16_text,
            );
            stage(findings, root_pending, input, m.rule, f);
        }
        let mut pending = std::mem::take(&mut scratch.pending);
        for p in pending.drain(..) {
            let secret = &decoded[p.secret_start as usize..p.secret_end as usize];
            let matched = &decoded[p.match_start as usize..p.match_end as usize];
            stage_finding(
                engine,
                findings,
                root_pending,
                input,
                &item,
                p.rule,
                secret,
                matched,
            );
        }
        scratch.pending = pending;
        if want_children {
            for (t, cfg) in tuning.transforms.iter().enumerate() {
                let counts = find_spans(cfg, decoded, spans);
                scratch.stats.spans_dropped += counts.dropped;
                scratch.stats.spans_truncated += counts.cut;
                for span in spans.iter() {
                    let bytes = &decoded[span.start as usize..span.end as usize];
                    push_child(engine, scratch, queue, slab, &item, t, bytes);
                }
            }
        }
    }
    keep_outermost(findings);
    scratch.decode = Some(ds);
}

/// Records a confirmed match from decoded data as a finding of the item's
/// root span (see [`stage`]).
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
) {
    let rule = &engine.rules[rule_idx as usize];
    let finding = Finding {
        rule_id: rule.info.id.clone(),
        rule_name: rule.info.name.clone(),
        start: item.root_start,
        end: item.root_end,
        line: 0,
        column: 0,
        secret: secret.to_vec(),
        matched: matched.to_vec(),
        entropy: shannon_entropy(secret),
        decode_path: item.path.clone(),
        fingerprint: Fingerprint::of(&rule.info.id, secret),
    };
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
            && r.secret_start >= f.start
            && r.secret_end <= f.end
            && input[r.secret_start as usize..r.secret_end as usize] == *f.secret
    });
    let repeats_decoded = findings.iter().any(|g| {
        g.start == f.start && g.end == f.end && g.rule_id == f.rule_id && g.secret == f.secret
    });
    if !repeats_raw && !repeats_decoded {
        findings.push(f);
    }
}

/// Queues a child span found in `parent`'s decoded output, copying its
/// encoded bytes to the slab, unless the queue or the slab budget is full.
fn push_child(
    engine: &Engine,
    scratch: &mut Scratch,
    queue: &mut VecDeque<WorkItem>,
    slab: &mut Vec<u8>,
    parent: &WorkItem,
    transform: usize,
    bytes: &[u8],
) {
    let tuning = &engine.tuning;
    scratch.stats.spans_found += 1;
    if queue.len() >= tuning.max_decode_queue
        || slab.len() + bytes.len() > tuning.max_total_decoded_bytes
    {
        scratch.stats.spans_dropped += 1;
        return;
    }
    let at = slab.len();
    slab.extend_from_slice(bytes);
    let mut path = parent.path.clone();
    path.push(step_of(tuning.transforms[transform].kind));
    queue.push_back(WorkItem {
        root_start: parent.root_start,
        root_end: parent.root_end,
        transform,
        path,
        source: Source::Slab(at..slab.len()),
    });
}

/// Among decoded findings of the same rule and secret whose root spans
/// overlap (e.g. a Base64 run decoded both on its own and inside the URL
/// span around it), keeps the one with the widest root span, then the
/// shortest decode path.
fn keep_outermost(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| {
        (
            &a.rule_id,
            &a.secret,
            a.start,
            std::cmp::Reverse(a.end),
            a.decode_path.len(),
        )
            .cmp(&(
                &b.rule_id,
                &b.secret,
                b.start,
                std::cmp::Reverse(b.end),
                b.decode_path.len(),
            ))
    });
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
/// `limit` bytes; returns how many encoded bytes were decoded. A Base64
/// span that fails to decode after a line break (a wrapped block followed by an unrelated line that looked like a
/// continuation) is retried once up to that line break.
fn decode_span(
    cfg: &TransformConfig,
    encoded: &[u8],
    limit: usize,
    out: &mut Vec<u8>,
    chunk: &mut Vec<u8>,
) -> Result<usize, SpanFailure> {
    let mut attempt = |encoded: &[u8], out: &mut Vec<u8>| {
        out.clear();
        let mut over = false;
        let result = stream_decode(cfg, encoded, chunk, |c: &[u8]| {
            if out.len() + c.len() > limit {
                over = true;
                return ControlFlow::Break(());
            }
            out.extend_from_slice(c);
            ControlFlow::Continue(())
        });
        match result {
            Ok(o) if o.truncated || over => Err(None),
            Ok(_) => Ok(()),
            Err(e) => Err(Some(e.offset)),
        }
    };
    match attempt(encoded, out) {
        Ok(()) => Ok(encoded.len()),
        Err(None) => Err(SpanFailure::Budget),
        Err(Some(offset)) => {
            let before = &encoded[..offset.min(encoded.len())];
            match memchr::memrchr(b'\n', before) {
                Some(nl) if nl >= cfg.min_len => match attempt(&encoded[..nl], out) {
                    Ok(()) => Ok(nl),
                    Err(None) => Err(SpanFailure::Budget),
                    Err(Some(_)) => Err(SpanFailure::Invalid),
                },
                _ => Err(SpanFailure::Invalid),
            }
        }
    }
}

/// Finds every transform's spans in the root input and queues them.
fn enqueue_spans(engine: &Engine, scratch: &mut Scratch, ds: &mut DecodeScratch, input: &[u8]) {
    for (t, cfg) in engine.tuning.transforms.iter().enumerate() {
        ds.spans.clear();
        let counts = find_spans(cfg, input, &mut ds.spans);
        scratch.stats.spans_dropped += counts.dropped;
        scratch.stats.spans_truncated += counts.cut;
        for span in &ds.spans {
            scratch.stats.spans_found += 1;
            if ds.queue.len() >= engine.tuning.max_decode_queue {
                scratch.stats.spans_dropped += 1;
                continue;
            }
            ds.queue.push_back(WorkItem {
                root_start: span.start,
                root_end: span.end,
                transform: t,
                path: std::iter::once(step_of(cfg.kind)).collect(),
                source: Source::Root(span.start as usize..span.end as usize),
            });
        }
    }
}

/// Default transforms: Base64 and URL percent-encoding with their defaults.
pub(crate) fn default_transforms() -> Vec<TransformConfig> {
    vec![
        TransformConfig::base64_default(),
        TransformConfig::url_default(),
    ]
}
