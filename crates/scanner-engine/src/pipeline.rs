//! The scan pipeline: the per-buffer pass over the root input, the
//! decoded-data pass over its encoded spans, then one emission step that
//! drops generic findings overlapping specific ones, merges raw and decoded
//! findings in order of position, computes lines and columns and applies
//! the findings cap. Also the scan entry points of [`Engine`]
//! (`scan_bytes*`, `new_scratch`).
//!
//! Layer 5 (pipeline): built on the per-buffer pass (`raw_pass`) and
//! decoding (`decode`).
//!
//! Invariants:
//! - Findings reach the sink ordered by position in the root input, at
//!   most `max_findings_per_scan` of them (all for `scan_bytes`); the rest
//!   are counted in `findings_dropped`; none after the sink returns
//!   `ControlFlow::Break`.
//! - All per-scan state lives in the [`Scratch`] and is left empty
//!   afterwards, except its capacity.

use crate::compiled::Engine;
use crate::decode::scan_decoded;
use std::ops::ControlFlow;

use crate::finding::{DecodePath, DecodeStep, Finding, SinkFlow};
use crate::location::LineCursor;
use crate::raw_pass::{confirm_buffer, Prefilter, MAX_BLOCK};
use crate::scan_types::PendingFinding;
use crate::scratch::Scratch;

/// Most bytes of [`Finding::encoded`] kept for a secret inside a compressed
/// stream, which is located at the whole (possibly megabytes long) Base64
/// span around the stream.
pub(crate) const MAX_INFLATED_ENCODED: usize = 64;

impl Engine {
    /// A fresh scratch space for [`Engine::scan_bytes_with`].
    pub fn new_scratch(&self) -> Scratch {
        Scratch::new()
    }

    /// Scans `input` and returns all its findings ordered by position.
    /// `Tuning::max_findings_per_scan` does not apply: the caller receives
    /// every finding (use [`Engine::scan_bytes_with`] to cap them and see
    /// the counters).
    pub fn scan_bytes(&self, input: &[u8]) -> Vec<Finding> {
        let mut scratch = self.new_scratch();
        scratch.uncapped = true;
        let mut out = Vec::new();
        self.scan_bytes_with(&mut scratch, input, &mut |f| out.push(f));
        out
    }

    /// Scans `input` reusing `scratch`, passing findings (ordered by
    /// position) to `sink`. After the scratch has warmed up, a scan allocates
    /// nothing except the findings it reports.
    ///
    /// A sink returning [`ControlFlow::Break`] (see [`SinkFlow`]) receives
    /// no further finding of this scan.
    pub fn scan_bytes_with<R: SinkFlow>(
        &self,
        scratch: &mut Scratch,
        input: &[u8],
        sink: &mut impl FnMut(Finding) -> R,
    ) {
        scan(self, scratch, input, sink);
    }

    /// Scans without the Vectorscan prefilter: every rule's regex runs over
    /// the whole input. Slow; it exists as the reference the prefiltered scan
    /// is tested against (both must report the same findings).
    #[doc(hidden)]
    pub fn scan_bytes_unfiltered(&self, input: &[u8]) -> Vec<Finding> {
        let mut scratch = self.new_scratch();
        let mut out = Vec::new();
        scan_with(self, &mut scratch, input, Prefilter::Off, &mut |f| {
            out.push(f)
        });
        out
    }

    /// Like [`Engine::scan_bytes`], with the prefilter run over segments of at
    /// most `segment_len` bytes, as happens for inputs over 4 GiB. For tests.
    #[doc(hidden)]
    pub fn scan_bytes_segmented(&self, input: &[u8], segment_len: usize) -> Vec<Finding> {
        let mut scratch = self.new_scratch();
        let mut out = Vec::new();
        let prefilter = Prefilter::Anchors { segment_len };
        scan_with(self, &mut scratch, input, prefilter, &mut |f| out.push(f));
        out
    }
}

pub(crate) fn scan<R: SinkFlow>(
    engine: &Engine,
    scratch: &mut Scratch,
    input: &[u8],
    sink: &mut impl FnMut(Finding) -> R,
) {
    scan_with(
        engine,
        scratch,
        input,
        Prefilter::Anchors {
            segment_len: MAX_BLOCK,
        },
        sink,
    )
}

pub(crate) fn scan_with<R: SinkFlow>(
    engine: &Engine,
    scratch: &mut Scratch,
    input: &[u8],
    prefilter: Prefilter,
    sink: &mut impl FnMut(Finding) -> R,
) {
    // A scratch last used with another engine drops its decoding state
    // (sized for that engine); the per-buffer state is rebuilt by
    // `confirm_buffer`.
    if !scratch.buf.is_ready_for(engine) {
        scratch.decode = None;
    }
    scratch.buf.stats.bytes_scanned += input.len() as u64;
    confirm_buffer(engine, &mut scratch.buf, input, prefilter);
    // UTF-16 matches in the root input become findings right away.
    let mut utf16 = std::mem::take(&mut scratch.root_utf16);
    utf16.clear();
    for m in &scratch.buf.utf16_found {
        let span = (m.start, m.end);
        utf16.push(m.to_finding(
            engine,
            span,
            span,
            &DecodePath::new(),
            &scratch.buf.utf16_text,
        ));
    }
    scratch.root_utf16 = utf16;
    // Set the root matches aside (reusing both vectors' capacity) so decoded
    // buffers can use `pending` for their own matches.
    let mut root = std::mem::take(&mut scratch.root_pending);
    root.clear();
    root.append(&mut scratch.buf.pending);
    scan_decoded(
        engine,
        &mut scratch.buf,
        &mut scratch.decode,
        &mut scratch.root_spans,
        input,
        &root,
        prefilter,
    );
    emit(engine, scratch, input, &mut root, sink);
    scratch.root_pending = root;
}

/// Reports the root matches and the decoded findings merged in order of
/// position in the root input, with line and column, up to the findings cap
/// or until the sink breaks.
fn emit<R: SinkFlow>(
    engine: &Engine,
    scratch: &mut Scratch,
    input: &[u8],
    root: &mut Vec<PendingFinding>,
    sink: &mut impl FnMut(Finding) -> R,
) {
    root.sort_unstable();
    root.dedup();
    let mut decoded = match scratch.decode.as_mut() {
        Some(ds) => std::mem::take(&mut ds.findings),
        None => Vec::new(),
    };
    decoded.append(&mut scratch.root_utf16);
    drop_generic_overlaps(engine, root, &mut decoded);
    decoded.sort_by(|a, b| (a.start, &a.rule_id, a.end).cmp(&(b.start, &b.rule_id, b.end)));
    let mut cursor = LineCursor::new();
    let cap = if scratch.uncapped {
        usize::MAX
    } else {
        engine.tuning.max_findings_per_scan
    };
    let total = root.len() + decoded.len();
    let mut roots = root.iter().peekable();
    let mut decs = decoded.drain(..).peekable();
    for n in 0..total {
        if n >= cap {
            scratch.buf.stats.findings_dropped += (total - n) as u64;
            break;
        }
        let take_root = match (roots.peek(), decs.peek()) {
            (Some(r), Some(d)) => r.secret_start <= d.start,
            (Some(_), None) => true,
            _ => false,
        };
        let mut finding = if take_root {
            let p = roots.next().expect("peeked");
            raw_finding(engine, input, p)
        } else {
            decs.next().expect("peeked")
        };
        let start = (finding.start as usize).min(input.len());
        let mut end = (finding.end as usize).clamp(start, input.len());
        if inflated(&finding) {
            // Located at a whole compressed stream's span: keep its start.
            end = end.min(start.saturating_add(MAX_INFLATED_ENCODED));
        }
        finding.encoded = input[start..end].to_vec();
        let (line, column) = cursor.locate(input, finding.start as usize);
        finding.line = line;
        finding.column = match finding.decode_path.first() {
            Some(DecodeStep::Utf16Le) => crate::utf16::column(input, finding.start as usize, false),
            Some(DecodeStep::Utf16Be) => crate::utf16::column(input, finding.start as usize, true),
            _ => column,
        };
        scratch.buf.stats.findings += 1;
        if let ControlFlow::Break(()) = sink(finding).into_flow() {
            break;
        }
    }
    drop(decs);
    if let Some(ds) = scratch.decode.as_mut() {
        ds.findings = decoded;
    }
    root.clear();
}

/// Removes findings of generic rules whose secret overlaps a specific rule's
/// finding: in the root input by the secrets' byte spans; in decoded data by
/// the encoded bytes the secrets were located at, and, where one of them is
/// inside a compressed stream (located at the stream's whole span), only
/// when one secret holds the other.
fn drop_generic_overlaps(
    engine: &Engine,
    root: &mut Vec<PendingFinding>,
    decoded: &mut Vec<Finding>,
) {
    let is_generic = |rule: u32| engine.rules[rule as usize].generic;
    if root.iter().any(|p| is_generic(p.rule)) {
        let specific: Vec<(u64, u64)> = root
            .iter()
            .filter(|p| !is_generic(p.rule))
            .map(|p| (p.secret_start, p.secret_end))
            .collect();
        root.retain(|p| {
            !is_generic(p.rule)
                || !specific
                    .iter()
                    .any(|&(s, e)| s < p.secret_end && p.secret_start < e)
        });
    }
    // Decoded findings are rare; look rules up by id without allocating.
    let is_generic_id = |id: &str| engine.rules.iter().any(|r| r.generic && &*r.info.id == id);
    if !decoded.iter().any(|f| is_generic_id(&f.rule_id)) {
        return;
    }
    let snapshot: Vec<(u64, u64, bool, Vec<u8>)> = decoded
        .iter()
        .filter(|f| !is_generic_id(&f.rule_id))
        .map(|f| (f.start, f.end, inflated(f), f.secret.clone()))
        .collect();
    decoded.retain(|f| {
        !is_generic_id(&f.rule_id)
            || !snapshot.iter().any(|(s, e, coarse, secret)| {
                // Findings inside one compressed stream all share its whole
                // span as location: there, only the same secret (one
                // holding the other) counts as an overlap.
                let same_text = || {
                    memchr::memmem::find(secret, &f.secret).is_some()
                        || memchr::memmem::find(&f.secret, secret).is_some()
                };
                *s < f.end && f.start < *e && (!(*coarse || inflated(f)) || same_text())
            })
    });
}

/// Whether `f` was found in inflated data (located at a whole compressed
/// stream's span).
fn inflated(f: &Finding) -> bool {
    f.decode_path
        .iter()
        .any(|s| matches!(s, DecodeStep::Gzip | DecodeStep::Zlib))
}

/// A finding for a match in the root input (line and column filled by the caller).
fn raw_finding(engine: &Engine, input: &[u8], p: &PendingFinding) -> Finding {
    let span = (p.secret_start, p.secret_end);
    let info = &engine.rules[p.rule as usize].info;
    Finding::new(
        &info.id,
        &info.name,
        &input[p.secret_start as usize..p.secret_end as usize],
        &input[p.match_start as usize..p.match_end as usize],
        span,
        span,
        DecodePath::new(),
    )
}
