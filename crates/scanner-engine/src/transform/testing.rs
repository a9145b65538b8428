//! The test harness every encoding's finder tests share: chunk invariance
//! (spans found in random chunks equal the spans of the whole buffer) and
//! fast paths against the byte-at-a-time reference
//! ([`Finder::feed`] against `Finder::feed_bytewise`).
//!
//! A new encoding gets both by adding its arm to [`log_feeds`]; its own
//! tests then call [`check_chunk_invariance`] on input of its own.

use core::ops::{ControlFlow, Range};

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use super::finder::{Finder, SpanGrammar};
use super::{
    find_spans, Base64SpanFinder, DecodeOutcome, EscapeSpanFinder, HexSpanFinder, HtmlSpanFinder,
    Span, SpanCounts, SpanFinder, TransformConfig, TransformKind, UrlSpanFinder, DECODE_CHUNK_LEN,
};

/// The proptest settings of the transform tests: `cases` cases, no
/// failure files.
pub(crate) fn proptest_config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Where to cut a buffer into chunks (as [`chunked_spans`] takes them) and
/// the absolute offset of its first byte.
pub(crate) fn chunking() -> impl Strategy<Value = (Vec<usize>, u64)> {
    (
        proptest::collection::vec(any::<usize>(), 0..8),
        prop_oneof![Just(0u64), 0u64..1_000_000],
    )
}

/// `base` with a `min_len` from `min_len` and a `max_encoded_len` from
/// `max_len` or, as often, unlimited.
pub(crate) fn limits(
    base: TransformConfig,
    min_len: Range<usize>,
    max_len: Range<usize>,
) -> impl Strategy<Value = TransformConfig> {
    (min_len, prop_oneof![Just(usize::MAX), max_len]).prop_map(move |(min_len, max_len)| {
        TransformConfig {
            min_len,
            max_encoded_len: max_len,
            ..base.clone()
        }
    })
}

/// Whether a decoder's output came in the promised chunks: every one but
/// the last exactly [`DECODE_CHUNK_LEN`] bytes.
pub(crate) fn full_chunks(sizes: &[usize]) -> bool {
    sizes
        .split_last()
        .is_none_or(|(_, init)| init.iter().all(|&n| n == DECODE_CHUNK_LEN))
}

/// Spans of `buf` found by feeding it to a fresh finder in pieces cut at
/// `cuts` (each taken modulo `buf.len() + 1`), at absolute offsets from
/// `base`; returned relative to `buf`.
pub(crate) fn chunked_spans(
    cfg: &TransformConfig,
    buf: &[u8],
    cuts: &[usize],
    base: u64,
) -> Vec<Span> {
    let mut f = SpanFinder::new(cfg);
    let mut spans = Vec::new();
    let mut push = |s: Span| {
        spans.push(Span {
            start: s.start - base,
            end: s.end - base,
        });
        ControlFlow::Continue(())
    };
    let mut cuts: Vec<usize> = cuts.iter().map(|&c| c % (buf.len() + 1)).collect();
    cuts.sort_unstable();
    let mut prev = 0;
    for c in cuts.into_iter().chain([buf.len()]) {
        let _ = f.feed(&buf[prev..c], base + prev as u64, &mut push);
        prev = c;
    }
    let _ = f.finish(&mut push);
    spans
}

/// Checks that `buf` cut at `cuts` (at offsets from `base`) gives the spans
/// of [`find_spans`] on the whole buffer, that the fast paths agree with
/// stepping byte by byte on the same pieces, and that a finder reset after
/// some input finds what a fresh one finds. Returns the spans and counts of
/// the whole buffer for the caller's own checks.
pub(crate) fn check_chunk_invariance(
    cfg: &TransformConfig,
    buf: &[u8],
    cuts: &[usize],
    base: u64,
) -> Result<(Vec<Span>, SpanCounts), TestCaseError> {
    let mut whole = Vec::new();
    let counts = find_spans(cfg, buf, &mut whole);
    prop_assert_eq!(chunked_spans(cfg, buf, cuts, base), whole.clone());
    let mut again = Vec::new();
    let mut push = |s: Span| {
        again.push(s);
        ControlFlow::Continue(())
    };
    let mut f = SpanFinder::new(cfg);
    let _ = f.feed(buf, base, &mut |_| ControlFlow::Break(()));
    f.reset();
    let _ = f.feed(buf, 0, &mut push);
    let _ = f.finish(&mut push);
    prop_assert_eq!(&again, &whole);
    prop_assert_eq!(f.counts(), counts);
    let pieces: Vec<(usize, bool)> = cuts.iter().map(|&c| (c, false)).collect();
    check_fast_matches_bytewise(cfg, buf, &pieces, usize::MAX)?;
    Ok((whole, counts))
}

/// [`check_chunk_invariance`], then against the encoding's reference: with
/// no length cap the spans are exactly `reference(buf, min_len)`; with one,
/// no span is longer than the cap (raised to the grammar's smallest piece,
/// `min_piece`).
pub(crate) fn check_against_reference(
    cfg: &TransformConfig,
    buf: &[u8],
    (cuts, base): (&[usize], u64),
    min_piece: usize,
    reference: impl Fn(&[u8], usize) -> Vec<Span>,
) -> Result<(), TestCaseError> {
    let (whole, _) = check_chunk_invariance(cfg, buf, cuts, base)?;
    if cfg.max_encoded_len == usize::MAX {
        prop_assert_eq!(whole, reference(buf, cfg.min_len));
    } else {
        for s in &whole {
            prop_assert!(s.len() <= cfg.max_encoded_len.max(min_piece) as u64);
        }
    }
    Ok(())
}

/// Checks one streaming decode against the reference decoder's output
/// `want` (and whether it was cut at the budget): same bytes, same
/// truncation, the outcome's length, every chunk but the last full.
pub(crate) fn check_decoded(
    (got, sizes, outcome): (&[u8], &[usize], &DecodeOutcome),
    (want, truncated): (&[u8], bool),
) -> Result<(), TestCaseError> {
    prop_assert_eq!(got, want);
    prop_assert_eq!(outcome.truncated, truncated);
    prop_assert_eq!(outcome.decoded_len, want.len() as u64);
    prop_assert!(full_chunks(sizes));
    Ok(())
}

/// Checks that `feed` reports exactly what `feed_bytewise` reports: same
/// spans in the same order, same flows, counts and `open_start` after every
/// piece, same early stop. `cuts` as in [`log_feeds`]; the callback breaks
/// after `stop_after` spans.
pub(crate) fn check_fast_matches_bytewise(
    cfg: &TransformConfig,
    buf: &[u8],
    cuts: &[(usize, bool)],
    stop_after: usize,
) -> Result<(), TestCaseError> {
    let fast = log_feeds(cfg, buf, cuts, stop_after, true);
    let slow = log_feeds(cfg, buf, cuts, stop_after, false);
    prop_assert_eq!(fast, slow);
    Ok(())
}

/// Feeds `buf` to a fresh finder of `cfg.kind` in pieces cut at `cuts`
/// (each taken modulo `buf.len() + 1`; `true` leaves a hole in the offsets
/// before the piece) with `feed` (`fast`) or `feed_bytewise`, and logs the
/// spans, then the flow, `open_start` and counts after every call.
fn log_feeds(
    cfg: &TransformConfig,
    buf: &[u8],
    cuts: &[(usize, bool)],
    stop_after: usize,
    fast: bool,
) -> Vec<String> {
    match cfg.kind {
        TransformKind::Base64 => {
            log_finder(&mut Base64SpanFinder::new(cfg), buf, cuts, stop_after, fast)
        }
        TransformKind::Url => log_finder(&mut UrlSpanFinder::new(cfg), buf, cuts, stop_after, fast),
        TransformKind::Hex => log_finder(&mut HexSpanFinder::new(cfg), buf, cuts, stop_after, fast),
        TransformKind::Escape => {
            log_finder(&mut EscapeSpanFinder::new(cfg), buf, cuts, stop_after, fast)
        }
        TransformKind::Html => {
            log_finder(&mut HtmlSpanFinder::new(cfg), buf, cuts, stop_after, fast)
        }
    }
}

fn log_finder<G: SpanGrammar>(
    finder: &mut Finder<G>,
    buf: &[u8],
    cuts: &[(usize, bool)],
    stop_after: usize,
    fast: bool,
) -> Vec<String> {
    let mut log = Vec::new();
    let mut spans = 0usize;
    let mut cb = |s: Span| {
        spans += 1;
        log.push(format!("{s:?}"));
        if spans >= stop_after {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let mut pieces: Vec<(usize, bool)> = cuts
        .iter()
        .map(|&(c, gap)| (c % (buf.len() + 1), gap))
        .collect();
    pieces.sort_unstable();
    pieces.push((buf.len(), false));
    let (mut prev, mut shift) = (0, 0u64);
    let mut states = Vec::new();
    for (c, gap) in pieces {
        if gap {
            shift += 3;
        }
        let at = prev as u64 + shift;
        let piece = &buf[prev..c];
        let flow = if fast {
            finder.feed(piece, at, &mut cb)
        } else {
            finder.feed_bytewise(piece, at, &mut cb)
        };
        states.push(format!(
            "{c} {flow:?} {:?} {:?}",
            finder.open_start(),
            finder.counts()
        ));
        prev = c;
    }
    let flow = finder.finish(&mut cb);
    states.push(format!("finish {flow:?} {:?}", finder.counts()));
    log.extend(states);
    log
}

/// Test helper: a block of `fill` with `b` at `pos`.
pub(crate) fn block_with(fill: u8, b: u8, pos: usize) -> [u8; 64] {
    let mut block = [fill; 64];
    block[pos] = b;
    block
}

/// Test helper: calls `check` on the blocks a block classifier's versions
/// are compared on: every byte value at every position on each background
/// of `fills`, then 2,000 pseudo-random blocks.
pub(crate) fn for_test_blocks(fills: &[u8], mut check: impl FnMut(&[u8; 64])) {
    for b in 0..=255u8 {
        for pos in 0..64 {
            for &fill in fills {
                check(&block_with(fill, b, pos));
            }
        }
    }
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..2000 {
        let mut block = [0u8; 64];
        for byte in &mut block {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *byte = (x >> 32) as u8;
        }
        check(&block);
    }
}

/// Runs one streaming decode (`run`, given the reusable chunk buffer and
/// the output callback) collecting its output and chunk sizes, and checks
/// that the buffer stayed within two chunks. Returns the output, the chunk
/// sizes and the decoder's own result.
pub(crate) fn decode_collecting<R>(
    run: impl FnOnce(&mut Vec<u8>, &mut dyn FnMut(&[u8]) -> ControlFlow<()>) -> R,
) -> (Vec<u8>, Vec<usize>, R) {
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let mut sizes = Vec::new();
    let r = run(&mut buf, &mut |c: &[u8]| {
        sizes.push(c.len());
        out.extend_from_slice(c);
        ControlFlow::Continue(())
    });
    assert!(buf.capacity() <= 2 * DECODE_CHUNK_LEN);
    (out, sizes, r)
}

/// Checks that [`encoded_range`](super::encoded_range) maps decoded bytes
/// `lo..hi` of `data` (picked from `a` and `b`) to encoded bytes of `enc`
/// that `decode` turns back into exactly them.
pub(crate) fn check_mapped_range(
    cfg: &TransformConfig,
    (data, enc): (&[u8], &[u8]),
    (a, b): (usize, usize),
    decode: impl Fn(&[u8]) -> Vec<u8>,
) -> Result<(), TestCaseError> {
    let lo = a % data.len();
    let hi = lo + 1 + b % (data.len() - lo);
    let (s, e) = super::encoded_range(cfg, enc, lo as u64, hi as u64);
    prop_assert_eq!(&decode(&enc[s as usize..e as usize])[..], &data[lo..hi]);
    Ok(())
}
