//! Hex (base 16) text: an incremental span finder and a streaming decoder.
//!
//! **Span.** A maximal run of hex digits `0-9a-f` / `0-9A-F`, decoded in
//! pairs from its first digit (a trailing odd digit is left out of the
//! span), that
//! - holds at least `min_len` digits (default 32, i.e. 16 decoded bytes),
//! - does not mix the cases: a run with both `a-f` and `A-F` letters is
//!   not hex text (it is an identifier, Base64, ...), and
//! - decodes to text: at most one decoded byte in eight is outside
//!   printable ASCII (`0x20..=0x7e`, tab, CR, LF).
//!
//! The last rule is what keeps hashes cheap: a SHA-256 digest, a git object
//! id or a Cargo.lock checksum decodes to random bytes (about 37% of them
//! printable), so it is never reported and costs no decode. Hex of text —
//! a token, a configuration line, Base64 — is reported. The `0x` / `\x`
//! prefixes need no handling: `x` is not a hex digit, so the run starts
//! after it. A run is paired from its first digit: hex text glued to a
//! preceding hex digit decodes misaligned and fails the text rule.
//!
//! **Cap.** A run longer than `max_encoded_len` bytes (rounded down to an
//! even number, at least 2) is cut into consecutive pieces of that length,
//! each judged on its own; each cut is counted.
//!
//! **Decoder.** Pairs of hex digits (either case) become bytes. Any other
//! byte is an error (`InvalidCharacter`), and so is a trailing single digit
//! (`TrailingSingleChar`); before failing, the decoder has handed on the
//! bytes of every complete pair before it.
//!
//! **Speed.** Outside a run, [`HexSpanFinder::feed`] skips whole 64-byte
//! blocks in which no run of digits reaches `min_len`: `classify` turns a
//! block into a 64-bit mask of hex digits (AVX-512BW or AVX2 when the CPU
//! has them, detected once; `wide`'s 16-byte vectors otherwise), `blocks`
//! finds runs of `min_len` set bits with shift-and-ANDs (only in blocks
//! with that many digits at all) and follows the run reaching a block's
//! end into the next, prefetching a few blocks ahead. Above `min_len` 64
//! (48 without AVX2) a probe of the byte `min_len - 1` ahead is faster, as
//! it leaves most bytes unread. Runs too short to qualify (`dead`, `face`,
//! numbers) are skipped whole; only runs of at least `min_len` digits, and
//! the run at a chunk's end, go through `step`, the reference semantics.
//! On 64 MiB of source files (`/usr/include`, Rust crates) in 64 KiB
//! chunks, default settings, the finder went from 4.8 to 8.5 GB/s with the
//! chunk in cache and from 3.3 to 5.0 GB/s streamed from memory (AVX-512BW;
//! 6.6 GB/s in cache with the portable version).
//!
//! Invariants: O(1) scalar state, the same spans however the input is
//! chunked, a report lag of one byte, every cap counted; the decoder's
//! chunking depends only on [`DECODE_CHUNK_LEN`](super::DECODE_CHUNK_LEN);
//! nothing panics.

use core::ops::ControlFlow;

use self::blocks::{skip_blocks, BlockMask, LongRuns};
use self::classify::block_skip_pays;
use super::chunked_output::ChunkedOutput;
use super::finder::{Finder, Limits, Reporter, SpanGrammar};
use super::{to_u64, DecodeError, DecodeErrorKind, DecodeOutcome, Span};

mod blocks;
// The only unsafe code of the hex finder: x86 vector instructions chosen
// at run time, which `core::arch` makes unsafe to call.
#[allow(unsafe_code)]
mod classify;

/// `HEX_VAL[b]`: the value of hex digit `b`, or `NOT_HEX`.
static HEX_VAL: [u8; 256] = {
    let mut t = [NOT_HEX; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => NOT_HEX,
        };
        b += 1;
    }
    t
};

const NOT_HEX: u8 = 0xff;

/// The value of hex digit `b`, if it is one.
#[inline]
pub(crate) fn hex_val(b: u8) -> Option<u8> {
    let v = HEX_VAL[usize::from(b)];
    (v != NOT_HEX).then_some(v)
}

/// Whether a decoded byte counts as text for the span rule.
#[inline]
fn is_text(b: u8) -> bool {
    matches!(b, 0x20..=0x7e | b'\t' | b'\n' | b'\r')
}

/// Incremental finder of hex spans (see the module docs for the grammar).
/// Holds no heap memory.
pub type HexSpanFinder = Finder<HexGrammar>;

/// The hex span grammar (see the module docs), driven by [`HexSpanFinder`].
#[derive(Clone, Debug, Default)]
pub struct HexGrammar {
    lim: Limits,
    /// A run (piece) is open.
    in_run: bool,
    /// Start of the open piece.
    start: u64,
    /// Digits in the open piece.
    len: u64,
    /// The high nibble of the pair in progress (when `len` is odd).
    high: u8,
    /// Decoded bytes of the piece that are not text.
    binary: u64,
    lower: bool,
    upper: bool,
}

impl HexGrammar {
    /// The longest piece, in digits: `max_len` rounded down to whole bytes.
    #[inline]
    fn piece_cap(&self) -> u64 {
        self.lim.max_len & !1
    }

    /// Starts a piece at `pos`.
    #[inline]
    fn open(&mut self, pos: u64) {
        self.in_run = true;
        self.start = pos;
        self.len = 0;
        self.binary = 0;
        self.lower = false;
        self.upper = false;
    }

    /// The open piece as a span, if it qualifies.
    fn qualifying(&self) -> Option<Span> {
        let digits = self.len & !1;
        let bytes = digits / 2;
        let ok = self.in_run
            && digits > 0
            && digits >= self.lim.min_len
            && !(self.lower && self.upper)
            && self.binary.saturating_mul(8) <= bytes;
        ok.then(|| Span {
            start: self.start,
            end: self.start.saturating_add(digits),
        })
    }

    /// Ends the open run, reporting it if it qualifies.
    fn close(&mut self, out: &mut Reporter<'_>) -> ControlFlow<()> {
        let span = self.qualifying();
        self.in_run = false;
        match span {
            Some(s) => out.report(s),
            None => ControlFlow::Continue(()),
        }
    }
}

impl SpanGrammar for HexGrammar {
    const MIN_PIECE: u64 = 2;

    fn new(lim: Limits) -> Self {
        Self {
            lim,
            ..Self::default()
        }
    }

    #[inline]
    fn step(&mut self, b: u8, pos: u64, out: &mut Reporter<'_>) -> ControlFlow<()> {
        let v = HEX_VAL[usize::from(b)];
        if v == NOT_HEX {
            return self.close(out);
        }
        if !self.in_run {
            self.open(pos);
        } else if self.len >= self.piece_cap() {
            // The piece is full (an even number of digits): report it, the
            // run goes on as a new piece.
            out.count_cuts(1);
            self.close(out)?;
            self.open(pos);
        }
        self.len += 1;
        if b >= b'a' {
            self.lower = true;
        } else if b >= b'A' {
            self.upper = true;
        }
        if self.len % 2 == 1 {
            self.high = v;
        } else if !is_text((self.high << 4) | v) {
            self.binary += 1;
        }
        ControlFlow::Continue(())
    }

    /// The fast path: runs of hex digits that end inside the chunk, too
    /// short to qualify and too short to be cut, are skipped whole (they
    /// leave no state); the rest goes through `step`. When no run shorter
    /// than `min_len` can be cut, whole 64-byte blocks without a run of
    /// `min_len` digits are skipped (see `blocks`) or, for a long
    /// `min_len`, the skip probes one byte per `min_len`: if the byte
    /// `min_len - 1` ahead is not a digit, no qualifying run starts before
    /// it.
    fn scan(&mut self, chunk: &[u8], chunk_start: u64, out: &mut Reporter<'_>) -> ControlFlow<()> {
        let n = chunk.len();
        let need = self.lim.min_len.max(1);
        let cap = self.piece_cap();
        let is_hex = |b: u8| HEX_VAL[usize::from(b)] != NOT_HEX;
        // Probing skips runs without looking at all of them: only right
        // when every run shorter than `need` is within the cap.
        let probe = usize::try_from(need)
            .ok()
            .filter(|_| cap.saturating_add(1) >= need);
        // The block skip, under the same condition as probing, where it
        // is faster.
        let runs = probe
            .filter(|_| block_skip_pays(need))
            .map(|_| LongRuns::new(need));
        let mut blk = BlockMask::NONE;
        let mut i = 0;
        while i < n {
            if self.in_run {
                // Finish the open run byte by byte (it may qualify).
                self.step(chunk[i], chunk_start.saturating_add(to_u64(i)), out)?;
                i += 1;
                continue;
            }
            if let Some(runs) = &runs {
                i = skip_blocks(chunk, i, runs, &mut blk);
                if i >= n {
                    break;
                }
            }
            let (j, k) = if let Some(w) = probe {
                let Some(p) = i.checked_add(w - 1).filter(|&p| p < n) else {
                    // No room for a qualifying run: only the trailing run
                    // (it may go on in the next chunk) matters.
                    let s = n - chunk[i..].iter().rev().take_while(|&&b| is_hex(b)).count();
                    for (off, &b) in chunk[s..].iter().enumerate() {
                        self.step(b, chunk_start.saturating_add(to_u64(s + off)), out)?;
                    }
                    break;
                };
                if !is_hex(chunk[p]) {
                    i = p + 1;
                    continue;
                }
                let j = p - chunk[i..p].iter().rev().take_while(|&&b| is_hex(b)).count();
                let k = p + chunk[p..].iter().take_while(|&&b| is_hex(b)).count();
                (j, k)
            } else {
                let Some(j) = chunk[i..].iter().position(|&b| is_hex(b)) else {
                    break;
                };
                let j = i + j;
                let k = j + chunk[j..].iter().take_while(|&&b| is_hex(b)).count();
                (j, k)
            };
            let run = to_u64(k - j);
            if k < n && run & !1 < need && run <= cap {
                // Closed by chunk[k], reports nothing, no cut: no effect.
                i = k + 1;
                continue;
            }
            // A run that may qualify, be cut, or go on in the next chunk.
            let end = if k < n { k + 1 } else { n };
            for (off, &b) in chunk[j..end].iter().enumerate() {
                self.step(b, chunk_start.saturating_add(to_u64(j + off)), out)?;
            }
            i = end;
        }
        ControlFlow::Continue(())
    }

    fn end_stream(&mut self, out: &mut Reporter<'_>) -> ControlFlow<()> {
        self.close(out)
    }

    fn open_start(&self) -> Option<u64> {
        self.in_run.then_some(self.start)
    }
}

/// Decodes a hex span (see the module docs), handing the output to
/// `on_chunk` in chunks of [`DECODE_CHUNK_LEN`](super::DECODE_CHUNK_LEN)
/// bytes, at most `max_decoded` bytes in all. `chunk_out` is the reusable
/// staging buffer.
///
/// # Errors
/// `InvalidCharacter` at a byte that is not a hex digit,
/// `TrailingSingleChar` when one digit is left at the end; the bytes of
/// every complete pair before it have been handed on.
pub fn stream_decode(
    encoded: &[u8],
    max_decoded: usize,
    chunk_out: &mut Vec<u8>,
    on_chunk: impl FnMut(&[u8]) -> ControlFlow<()>,
) -> Result<DecodeOutcome, DecodeError> {
    let mut sink = ChunkedOutput::new(chunk_out, max_decoded, on_chunk);
    let mut staged = [0u8; 256];
    let mut pairs = encoded.chunks_exact(2);
    let mut at = 0usize;
    let mut failure = None;
    'outer: loop {
        let mut n = 0;
        while n < staged.len() {
            let Some(pair) = pairs.next() else { break };
            match (hex_val(pair[0]), hex_val(pair[1])) {
                (Some(h), Some(l)) => {
                    staged[n] = (h << 4) | l;
                    n += 1;
                    at += 2;
                }
                (h, _) => {
                    let offset = if h.is_some() { at + 1 } else { at };
                    failure = Some((DecodeErrorKind::InvalidCharacter, offset));
                    if sink.push(&staged[..n]).is_break() {
                        failure = None;
                    }
                    break 'outer;
                }
            }
        }
        if sink.push(&staged[..n]).is_break() {
            break;
        }
        if n < staged.len() {
            if let [last] = pairs.remainder() {
                failure = Some(if hex_val(*last).is_some() {
                    (DecodeErrorKind::TrailingSingleChar, at)
                } else {
                    (DecodeErrorKind::InvalidCharacter, at)
                });
            }
            break;
        }
    }
    let outcome = sink.finish();
    match failure {
        Some((kind, offset)) if !outcome.stopped_early && !outcome.truncated => Err(DecodeError {
            kind,
            offset,
            decoded_len: outcome.decoded_len,
        }),
        _ => Ok(outcome),
    }
}

/// The encoded range of a hex span that decodes to `[lo, hi)`: two digits
/// per byte, clamped to the span.
pub(crate) fn encoded_range(encoded: &[u8], lo: u64, hi: u64) -> (u64, u64) {
    let len = to_u64(encoded.len()) & !1;
    (lo.saturating_mul(2).min(len), hi.saturating_mul(2).min(len))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{self, check_against_reference};
    use super::super::{find_spans, TransformConfig, DECODE_CHUNK_LEN};
    use super::*;
    use proptest::prelude::*;

    fn hex(data: &[u8], upper: bool) -> Vec<u8> {
        data.iter()
            .flat_map(|b| {
                if upper {
                    format!("{b:02X}")
                } else {
                    format!("{b:02x}")
                }
                .into_bytes()
            })
            .collect()
    }

    /// Plain reference decoder: output, truncation, error (kind, offset).
    #[allow(clippy::type_complexity)]
    fn ref_decode(enc: &[u8], max: usize) -> (Vec<u8>, bool, Option<(DecodeErrorKind, usize)>) {
        let mut out = Vec::new();
        let mut i = 0;
        while i < enc.len() {
            let h = enc[i];
            if !h.is_ascii_hexdigit() {
                return (out, false, Some((DecodeErrorKind::InvalidCharacter, i)));
            }
            let Some(&l) = enc.get(i + 1) else {
                return (out, false, Some((DecodeErrorKind::TrailingSingleChar, i)));
            };
            if !l.is_ascii_hexdigit() {
                return (out, false, Some((DecodeErrorKind::InvalidCharacter, i + 1)));
            }
            if out.len() == max {
                return (out, true, None);
            }
            let s = std::str::from_utf8(&enc[i..i + 2]).unwrap();
            out.push(u8::from_str_radix(s, 16).unwrap());
            i += 2;
        }
        (out, false, None)
    }

    fn decode_all(
        enc: &[u8],
        max: usize,
    ) -> (Vec<u8>, Vec<usize>, Result<DecodeOutcome, DecodeError>) {
        super::super::testing::decode_collecting(|buf, sink| stream_decode(enc, max, buf, sink))
    }

    /// Reference finder without cuts.
    fn ref_spans(buf: &[u8], min_len: usize) -> Vec<Span> {
        let mut spans = Vec::new();
        let mut i = 0;
        while i < buf.len() {
            if !buf[i].is_ascii_hexdigit() {
                i += 1;
                continue;
            }
            let s = i;
            while i < buf.len() && buf[i].is_ascii_hexdigit() {
                i += 1;
            }
            let digits = (i - s) & !1;
            let run = &buf[s..s + digits];
            // Case is judged on the whole run, its odd digit included.
            let whole = &buf[s..i];
            let mixed = whole.iter().any(u8::is_ascii_lowercase)
                && whole.iter().any(u8::is_ascii_uppercase);
            let (bytes, _, _) = ref_decode(run, usize::MAX);
            let binary = bytes.iter().filter(|&&b| !is_text(b)).count();
            if digits > 0 && digits >= min_len && !mixed && binary * 8 <= bytes.len() {
                spans.push(Span {
                    start: s as u64,
                    end: (s + digits) as u64,
                });
            }
        }
        spans
    }

    pub(crate) fn soup() -> impl Strategy<Value = Vec<u8>> {
        let atoms = prop_oneof![
            "[ -~]{1,20}".prop_map(|s| hex(s.as_bytes(), false)),
            "[ -~]{1,20}".prop_map(|s| hex(s.as_bytes(), true)),
            proptest::collection::vec(any::<u8>(), 1..24).prop_map(|v| hex(&v, false)),
            "[0-9a-fA-F]{1,8}".prop_map(String::into_bytes),
            "[ g-z:\"x\n]{1,3}".prop_map(String::into_bytes),
            Just(b"0x".to_vec()),
            any::<u8>().prop_map(|b| vec![b]),
        ];
        proptest::collection::vec(atoms, 0..40).prop_map(|v| v.concat())
    }

    /// Text shaped like source code: identifiers, numbers, hex words,
    /// digests of 32 to 64 digits, hex of text, line breaks, and long runs
    /// of digits, over many 64-byte blocks with runs across their edges.
    fn source_soup() -> impl Strategy<Value = Vec<u8>> {
        let atoms = prop_oneof![
            4 => "[A-Za-z_][A-Za-z0-9_]{0,12}".prop_map(String::into_bytes),
            2 => "(0x)?[0-9]{1,8}".prop_map(String::into_bytes),
            2 => "(deadbeef|cafe|face|c0ffee|Bad|FADE|abc|0xff|e5)".prop_map(String::into_bytes),
            1 => "[0-9a-f]{32,64}".prop_map(String::into_bytes),
            1 => "[0-9A-F]{30,66}".prop_map(String::into_bytes),
            1 => "[ -~]{8,40}".prop_map(|s| hex(s.as_bytes(), false)),
            1 => "[ -~]{8,40}".prop_map(|s| hex(s.as_bytes(), true)),
            1 => "[0-9a-fA-F]{60,150}".prop_map(String::into_bytes),
            3 => "[ .(),:;=\"{}-]{1,3}".prop_map(String::into_bytes),
            2 => "\r?\n[ \t]{0,8}".prop_map(String::into_bytes),
        ];
        proptest::collection::vec(atoms, 0..200).prop_map(|v| v.concat())
    }

    #[test]
    fn finder_examples() {
        let cfg = TransformConfig::hex_default();
        let mut out = Vec::new();
        let secret = hex(b"token=ghp_abcdefghijklmnop", false);
        let sha = b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let mut text = b"sum = \"".to_vec();
        text.extend_from_slice(sha);
        text.extend_from_slice(b"\"\nkey = 0x");
        let start = text.len() as u64;
        text.extend_from_slice(&secret);
        let end = text.len() as u64;
        text.extend_from_slice(b";\nshort = cafe4141414141\n");
        find_spans(&cfg, &text, &mut out);
        assert_eq!(out, vec![Span { start, end }]);

        // Mixed case is not hex; one case of either kind is.
        let upper = hex(b"some text to find here", true);
        find_spans(&cfg, &upper, &mut out);
        assert_eq!(out.len(), 1);
        let mut mixed = upper.clone();
        mixed.extend_from_slice(b"abcdef");
        find_spans(&cfg, &mixed, &mut out);
        assert!(out.is_empty());

        // An odd digit at the end is left out; min_len counts digits.
        let mut cfg = cfg;
        cfg.min_len = 4;
        find_spans(&cfg, b"41424", &mut out);
        assert_eq!(out, vec![Span { start: 0, end: 4 }]);
        find_spans(&cfg, b"414", &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn finder_cuts_pieces() {
        let mut cfg = TransformConfig::hex_default();
        cfg.min_len = 2;
        cfg.max_encoded_len = 5; // 4 digits a piece
        let mut out = Vec::new();
        let counts = find_spans(&cfg, b"4142434445", &mut out);
        assert_eq!(
            out,
            vec![
                Span { start: 0, end: 4 },
                Span { start: 4, end: 8 },
                Span { start: 8, end: 10 }
            ]
        );
        assert_eq!(counts.cut, 2);
    }

    #[test]
    fn decoder_examples() {
        let (out, _, r) = decode_all(b"48656C6c6f", usize::MAX);
        assert_eq!(out, b"Hello");
        assert_eq!(r.map(|o| o.decoded_len), Ok(5));
        let (out, _, r) = decode_all(b"4142zz", usize::MAX);
        assert_eq!(out, b"AB");
        assert_eq!(
            r,
            Err(DecodeError {
                kind: DecodeErrorKind::InvalidCharacter,
                offset: 4,
                decoded_len: 2
            })
        );
        let (out, _, r) = decode_all(b"41424", usize::MAX);
        assert_eq!(out, b"AB");
        assert_eq!(
            r.map_err(|e| e.kind),
            Err(DecodeErrorKind::TrailingSingleChar)
        );
        let (out, _, r) = decode_all(b"414243", 2);
        assert_eq!(out, b"AB");
        assert!(r.unwrap().truncated);
        let (_, _, r) = decode_all(b"4142", 2);
        assert!(!r.unwrap().truncated);
        let (_, _, r) = decode_all(b"4142zz", 1);
        assert!(r.unwrap().truncated, "truncation wins over a later error");
    }

    #[test]
    fn decoder_chunks_and_early_stop() {
        let enc = b"41".repeat(DECODE_CHUNK_LEN * 2 + 5);
        let (out, sizes, _) = decode_all(&enc, usize::MAX);
        assert_eq!(out.len(), DECODE_CHUNK_LEN * 2 + 5);
        assert_eq!(sizes, vec![DECODE_CHUNK_LEN, DECODE_CHUNK_LEN, 5]);
        let mut enc = enc;
        enc.push(b'!');
        let mut buf = Vec::new();
        let mut calls = 0;
        let r = stream_decode(&enc, usize::MAX, &mut buf, |_| {
            calls += 1;
            ControlFlow::Break(())
        });
        assert_eq!(calls, 1);
        let o = r.unwrap();
        assert!(o.stopped_early && !o.truncated);
        assert_eq!(o.decoded_len, DECODE_CHUNK_LEN as u64);
    }

    proptest! {
        #![proptest_config(testing::proptest_config(256))]

        #[test]
        fn decoder_matches_reference(
            enc in prop_oneof![
                soup(),
                "[0-9a-fA-F]{0,80}".prop_map(String::into_bytes),
                proptest::collection::vec(any::<u8>(), 0..64),
            ],
            max in prop_oneof![Just(usize::MAX), 0usize..64],
        ) {
            let (want, trunc, err) = ref_decode(&enc, max);
            let (got, sizes, r) = decode_all(&enc, max);
            prop_assert_eq!(&got, &want);
            prop_assert!(testing::full_chunks(&sizes));
            match (r, err) {
                (Ok(o), None) => {
                    prop_assert_eq!(o.truncated, trunc);
                    prop_assert_eq!(o.decoded_len, want.len() as u64);
                }
                (Err(e), Some((kind, offset))) => {
                    prop_assert_eq!((e.kind, e.offset), (kind, offset));
                    prop_assert_eq!(e.decoded_len, want.len() as u64);
                }
                (r, err) => prop_assert!(false, "{:?} vs {:?}", r, err),
            }
        }

        #[test]
        fn decoder_roundtrip(data in proptest::collection::vec(any::<u8>(), 0..4000), upper in any::<bool>()) {
            let (got, _, r) = decode_all(&hex(&data, upper), usize::MAX);
            prop_assert_eq!(got, data);
            prop_assert!(r.is_ok());
        }

        #[test]
        fn finder_chunk_invariant(
            buf in soup(),
            (cuts, base) in testing::chunking(),
            cfg in testing::limits(TransformConfig::hex_default(), 0..40, 0..24),
        ) {
            check_against_reference(&cfg, &buf, (&cuts, base), 2, ref_spans)?;
        }

        #[test]
        fn mapped_range_decodes_to_the_range(
            data in "[ -~]{1,60}",
            a in 0usize..60,
            b in 0usize..60,
        ) {
            let data = data.into_bytes();
            let enc = hex(&data, false);
            let cfg = TransformConfig::hex_default();
            testing::check_mapped_range(&cfg, (&data, &enc), (a, b), |piece| {
                decode_all(piece, usize::MAX).0
            })?;
        }
    }

    proptest! {
        #![proptest_config(testing::proptest_config(1024))]

        /// On source-like text over many blocks, the block skip and the
        /// probes report exactly what stepping byte by byte reports.
        #[test]
        fn block_skip_matches_bytewise_on_source(
            buf in source_soup(),
            cuts in proptest::collection::vec((any::<usize>(), proptest::bool::weighted(0.1)), 0..4),
            min_len in prop_oneof![Just(32usize), 0usize..70, Just(64), Just(65), Just(128), Just(200)],
            max_len in prop_oneof![4 => Just(usize::MAX), 1 => 0usize..160],
        ) {
            let mut cfg = TransformConfig::hex_default().uncapped();
            cfg.min_len = min_len;
            cfg.max_encoded_len = max_len;
            testing::check_fast_matches_bytewise(&cfg, &buf, &cuts, usize::MAX)?;
        }
    }

    /// A run of exactly `need` digits (and one shorter or longer), alone in
    /// its blocks or after a short run, at every offset across two block
    /// boundaries: the block skip must stop at exactly the runs that
    /// stepping reports or cuts.
    #[test]
    fn block_skip_finds_runs_at_every_offset() {
        for need in [2usize, 5, 31, 32, 33, 48, 63, 64] {
            let cfg = TransformConfig {
                min_len: need,
                ..TransformConfig::hex_default().uncapped()
            };
            for len in [need - 1, need, need + 1] {
                let run = &hex(&b"text 0123456789 ".repeat(8), false)[..len];
                for before in [&b""[..], b"ab "] {
                    for lead in 0..140 {
                        let mut buf = b"xyz = (".repeat(30)[..lead].to_vec();
                        buf.extend_from_slice(before);
                        buf.extend_from_slice(run);
                        buf.extend_from_slice(&b"); // ok\n".repeat(20));
                        testing::check_fast_matches_bytewise(&cfg, &buf, &[], usize::MAX)
                            .unwrap_or_else(|e| panic!("{e}: need {need} len {len} lead {lead}"));
                    }
                }
            }
        }
    }
}
