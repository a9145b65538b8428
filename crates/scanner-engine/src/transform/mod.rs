//! Encodings the engine looks inside (Base64, URL percent-encoding, hex,
//! string-literal escapes, HTML character references).
//!
//! Each transform has two halves:
//!
//! - a **span finder** ([`SpanFinder`]) that locates encoded spans in a byte
//!   stream. It is fed chunks with absolute offsets and keeps only a few
//!   scalar fields of state between them, so it works on a whole buffer and,
//!   incrementally, on a decoded stream as it flows. The spans it reports do
//!   not depend on how the input is split into chunks. Every encoding's
//!   finder is the one driver [`Finder`] over the encoding's
//!   [`SpanGrammar`] (`finder.rs`, which says how a new encoding plugs in).
//! - a **streaming decoder** ([`stream_decode`]) that decodes one span into a
//!   caller-owned, reusable buffer and hands the output on in chunks of at
//!   most [`DECODE_CHUNK_LEN`] bytes.
//!
//! Invariants (all transforms):
//! - Nothing here panics, whatever the input or configuration.
//! - Memory is bounded by configuration: a finder holds no heap memory; a
//!   decoder writes into `chunk_out`, which never grows beyond
//!   [`DECODE_CHUNK_LEN`] bytes (its capacity is reserved once and reused).
//! - Every cap is counted, never silent: spans beyond
//!   `max_spans_per_buffer` are counted in [`SpanCounts::dropped`], spans cut
//!   at `max_encoded_len` in [`SpanCounts::cut`], and decoded output beyond
//!   `max_decoded_bytes` sets [`DecodeOutcome::truncated`].
//! - Spans are half-open `[start, end)` absolute offsets, reported in
//!   non-decreasing order of `start`, never twice. Base64 spans of a run
//!   mixing both alphabets overlap, so ends are not always in order.
//! - A span is reported at most [`MAX_REPORT_LAG`] bytes after its end, and
//!   [`SpanFinder::open_start`] tells which fed bytes may still belong to a
//!   span not yet reported.
//!
//! See `docs/transforms.md` for the exact span grammars, the file layout and
//! a worked example of a new encoding.

use core::fmt;
use core::ops::ControlFlow;

pub mod base64;
mod bit_runs;
mod byte_class;
mod chunked_output;
pub mod escape;
mod finder;
pub mod hex;
pub mod html;
mod locate;
#[cfg(test)]
mod testing;
pub mod url;
#[cfg(target_arch = "x86_64")]
mod vector_level;

pub use self::base64::Base64SpanFinder;
pub use self::escape::EscapeSpanFinder;
pub use self::finder::{Finder, Limits, Reporter, SpanGrammar};
pub use self::hex::HexSpanFinder;
pub use self::html::HtmlSpanFinder;
pub use self::locate::encoded_range;
pub use self::url::UrlSpanFinder;

/// Size of the chunks a decoder hands to its `on_chunk` callback: every chunk
/// but the last of a decode is exactly this long.
pub const DECODE_CHUNK_LEN: usize = 3072;

/// A finder reports each span before it has been fed more than this many
/// bytes past the span's end (Base64 looks ahead over `\r\n`, up to
/// [`base64::MAX_INDENT`] bytes of indentation and 3 characters of the next
/// quantum; URL over at most 3 bytes; hex, escapes and HTML over one).
/// So when a span is reported, all of its bytes are among the last
/// `max_encoded_len + MAX_REPORT_LAG` bytes fed: a ring buffer of that size
/// still holds it.
pub const MAX_REPORT_LAG: u64 = 6 + base64::MAX_INDENT as u64;

/// Which encoding a [`TransformConfig`] describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransformKind {
    /// Base64, standard (`+/`) or URL-safe (`-_`) alphabet, padded or not,
    /// possibly wrapped in lines (PEM, MIME).
    Base64,
    /// URL percent-encoding (`%XX`), e.g. query strings.
    Url,
    /// Hex digit pairs (one case per run) that decode to text.
    Hex,
    /// String-literal escapes: `\uXXXX`, `\xNN`, `\/`, `\n`, ...
    Escape,
    /// HTML/XML character references: `&#103;`, `&#x67;`, `&amp;`, ...
    Html,
}

impl TransformKind {
    /// Every kind, in the order of [`TransformKind::name`]'s table.
    pub const ALL: [TransformKind; 5] = [
        TransformKind::Base64,
        TransformKind::Url,
        TransformKind::Hex,
        TransformKind::Escape,
        TransformKind::Html,
    ];

    /// The lowercase name used in reports and on the command line
    /// (`base64`, `url`, `hex`, `escape`, `html`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            TransformKind::Base64 => "base64",
            TransformKind::Url => "url",
            TransformKind::Hex => "hex",
            TransformKind::Escape => "escape",
            TransformKind::Html => "html",
        }
    }
}

/// Limits and options of one transform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransformConfig {
    /// The encoding.
    pub kind: TransformKind,
    /// Shortest span reported. Base64: alphabet characters (line breaks,
    /// indentation and padding not counted). URL: bytes. Hex: digits.
    /// Escape: strong escapes (`\uXXXX`, `\xNN`, `\/`). HTML: character
    /// references.
    pub min_len: usize,
    /// Most spans a finder reports between two resets (one buffer); further
    /// spans are counted in [`SpanCounts::dropped`]. The engine's decode
    /// pass lifts this cap: it finds spans incrementally and waits for room
    /// in its queue instead (see `docs/stream-decode.md`).
    pub max_spans_per_buffer: usize,
    /// Longest span reported, in bytes; longer runs are cut into consecutive
    /// pieces, each judged on its own. Base64 (at least 4): a piece ends at
    /// its last complete quantum, so it decodes on its own. URL (at least 1):
    /// a cut never splits a `%XX` escape unless the limit is below 3. Hex (at
    /// least 2): pieces of whole bytes. Escape (at least 6) and HTML (at
    /// least 10): a cut never splits an escape or a reference.
    pub max_encoded_len: usize,
    /// Most decoded bytes [`stream_decode`] produces for one span; reaching
    /// it with output left sets [`DecodeOutcome::truncated`].
    pub max_decoded_bytes: usize,
    /// URL only: decode `+` as a space (form encoding). Ignored by Base64.
    pub plus_to_space: bool,
}

impl TransformConfig {
    /// This configuration without its cap on spans per buffer, for the
    /// engine's own passes: they find spans incrementally and wait for room
    /// instead of dropping (see `docs/stream-decode.md`).
    #[must_use]
    pub fn uncapped(&self) -> Self {
        Self {
            max_spans_per_buffer: usize::MAX,
            ..self.clone()
        }
    }

    /// Base64 defaults: `min_len` 20 alphabet characters (at least 15
    /// decoded bytes), 4096 spans per buffer, 64 MiB encoded per span,
    /// 64 MiB decoded per span.
    #[must_use]
    pub const fn base64_default() -> Self {
        Self {
            kind: TransformKind::Base64,
            min_len: 20,
            max_spans_per_buffer: 4096,
            max_encoded_len: 64 << 20,
            max_decoded_bytes: 64 << 20,
            plus_to_space: false,
        }
    }

    /// URL defaults: `min_len` 6 bytes (a span must also hold at least one
    /// valid `%XX`), 4096 spans per buffer, 64 MiB encoded per span, 64 MiB
    /// decoded per span, `plus_to_space` off.
    #[must_use]
    pub const fn url_default() -> Self {
        Self {
            kind: TransformKind::Url,
            min_len: 6,
            max_spans_per_buffer: 4096,
            max_encoded_len: 64 << 20,
            max_decoded_bytes: 64 << 20,
            plus_to_space: false,
        }
    }

    /// Hex defaults: `min_len` 32 digits (16 decoded bytes; the span must
    /// also decode to text, see `hex/mod.rs`), 4096 spans per buffer, 64 MiB
    /// encoded per span, 64 MiB decoded per span.
    #[must_use]
    pub const fn hex_default() -> Self {
        Self {
            kind: TransformKind::Hex,
            min_len: 32,
            ..Self::url_default()
        }
    }

    /// String-escape defaults: `min_len` 2 strong escapes (`\uXXXX`,
    /// `\xNN` or `\/`), 4096 spans per buffer, 64 MiB encoded per span,
    /// 64 MiB decoded per span.
    #[must_use]
    pub const fn escape_default() -> Self {
        Self {
            kind: TransformKind::Escape,
            min_len: 2,
            ..Self::url_default()
        }
    }

    /// HTML defaults: `min_len` 2 character references, 4096 spans per
    /// buffer, 64 MiB encoded per span, 64 MiB decoded per span.
    #[must_use]
    pub const fn html_default() -> Self {
        Self {
            kind: TransformKind::Html,
            min_len: 2,
            ..Self::url_default()
        }
    }

    /// The defaults of `kind`.
    #[must_use]
    pub const fn default_for(kind: TransformKind) -> Self {
        match kind {
            TransformKind::Base64 => Self::base64_default(),
            TransformKind::Url => Self::url_default(),
            TransformKind::Hex => Self::hex_default(),
            TransformKind::Escape => Self::escape_default(),
            TransformKind::Html => Self::html_default(),
        }
    }
}

/// An encoded span: half-open `[start, end)` in absolute offsets of the
/// stream the finder was fed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// Offset of the first byte.
    pub start: u64,
    /// Offset one past the last byte.
    pub end: u64,
}

impl Span {
    /// Length in bytes (`end - start`, 0 if reversed).
    #[must_use]
    pub const fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    /// Whether the span holds no bytes.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a finder did since its last reset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpanCounts {
    /// Spans handed to the callback.
    pub reported: u64,
    /// Spans that qualified but were not reported because
    /// `max_spans_per_buffer` had been reached.
    pub dropped: u64,
    /// Times a run longer than `max_encoded_len` was cut.
    pub cut: u64,
}

/// An incremental span finder for one transform.
///
/// Feed contiguous chunks with their absolute start offsets, then call
/// [`SpanFinder::finish`]. A chunk that does not start where the previous one
/// ended first closes any open span, as if a separator lay between them.
/// When the callback returns `Break`, the finder stops: it reports nothing
/// more until [`SpanFinder::reset`].
#[derive(Clone, Debug)]
pub enum SpanFinder {
    /// Base64 spans.
    Base64(Base64SpanFinder),
    /// URL percent-encoded spans.
    Url(UrlSpanFinder),
    /// Hex spans.
    Hex(HexSpanFinder),
    /// String-escape spans.
    Escape(EscapeSpanFinder),
    /// HTML character-reference spans.
    Html(HtmlSpanFinder),
}

impl SpanFinder {
    /// A finder for `cfg.kind` with `cfg`'s limits. Allocates nothing.
    #[must_use]
    pub fn new(cfg: &TransformConfig) -> Self {
        match cfg.kind {
            TransformKind::Base64 => Self::Base64(Base64SpanFinder::new(cfg)),
            TransformKind::Url => Self::Url(UrlSpanFinder::new(cfg)),
            TransformKind::Hex => Self::Hex(HexSpanFinder::new(cfg)),
            TransformKind::Escape => Self::Escape(EscapeSpanFinder::new(cfg)),
            TransformKind::Html => Self::Html(HtmlSpanFinder::new(cfg)),
        }
    }

    /// Scans `chunk`, whose first byte is at absolute offset `chunk_start`,
    /// reporting each span that ends inside it (or whose end became certain
    /// with it). Returns `Break` iff the finder is stopped.
    pub fn feed(
        &mut self,
        chunk: &[u8],
        chunk_start: u64,
        on_span: &mut dyn FnMut(Span) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        match self {
            Self::Base64(f) => f.feed(chunk, chunk_start, on_span),
            Self::Url(f) => f.feed(chunk, chunk_start, on_span),
            Self::Hex(f) => f.feed(chunk, chunk_start, on_span),
            Self::Escape(f) => f.feed(chunk, chunk_start, on_span),
            Self::Html(f) => f.feed(chunk, chunk_start, on_span),
        }
    }

    /// Ends the stream: reports the span still open, if any. The finder then
    /// accepts a new stream (offsets may restart); counters are kept until
    /// [`SpanFinder::reset`]. Returns `Break` iff the finder is stopped.
    pub fn finish(&mut self, on_span: &mut dyn FnMut(Span) -> ControlFlow<()>) -> ControlFlow<()> {
        match self {
            Self::Base64(f) => f.finish(on_span),
            Self::Url(f) => f.finish(on_span),
            Self::Hex(f) => f.finish(on_span),
            Self::Escape(f) => f.finish(on_span),
            Self::Html(f) => f.finish(on_span),
        }
    }

    /// Forgets all state and counters (start of a new buffer).
    pub fn reset(&mut self) {
        match self {
            Self::Base64(f) => f.reset(),
            Self::Url(f) => f.reset(),
            Self::Hex(f) => f.reset(),
            Self::Escape(f) => f.reset(),
            Self::Html(f) => f.reset(),
        }
    }

    /// Counters since the last reset.
    #[must_use]
    pub fn counts(&self) -> SpanCounts {
        match self {
            Self::Base64(f) => f.counts(),
            Self::Url(f) => f.counts(),
            Self::Hex(f) => f.counts(),
            Self::Escape(f) => f.counts(),
            Self::Html(f) => f.counts(),
        }
    }

    /// The start of the earliest span this finder may still report, if a run
    /// is open. Bytes before it — or, when `None`, all bytes fed so far — can
    /// no longer be part of a span reported later, so a ring buffer of the
    /// stream may drop them.
    #[must_use]
    pub fn open_start(&self) -> Option<u64> {
        match self {
            Self::Base64(f) => f.open_start(),
            Self::Url(f) => f.open_start(),
            Self::Hex(f) => f.open_start(),
            Self::Escape(f) => f.open_start(),
            Self::Html(f) => f.open_start(),
        }
    }
}

/// Finds all spans of `cfg.kind` in `buf` (offsets relative to `buf`):
/// clears `out`, then pushes at most `cfg.max_spans_per_buffer` spans in
/// order. The returned counts tell how many qualifying spans were dropped by
/// that cap and how many runs were cut at `max_encoded_len`.
///
/// `out` is the only allocation; reuse it across calls.
pub fn find_spans(cfg: &TransformConfig, buf: &[u8], out: &mut Vec<Span>) -> SpanCounts {
    out.clear();
    let mut finder = SpanFinder::new(cfg);
    let mut push = |s: Span| {
        out.push(s);
        ControlFlow::Continue(())
    };
    let _ = finder.feed(buf, 0, &mut push);
    let _ = finder.finish(&mut push);
    finder.counts()
}

/// How a [`stream_decode`] ended without error.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DecodeOutcome {
    /// Bytes handed to `on_chunk`, in total.
    pub decoded_len: u64,
    /// `on_chunk` returned `Break`; decoding stopped there.
    pub stopped_early: bool,
    /// The span decodes to more than `max_decoded_bytes`; output stopped at
    /// exactly `max_decoded_bytes` and the rest of the span was not read.
    pub truncated: bool,
}

/// Why a span failed to decode (Base64 and hex; the other decoders cannot
/// fail).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DecodeErrorKind {
    /// Base64: a byte that is neither whitespace, `=`, nor in the span's
    /// alphabet (the alphabet of its first `+/-_`; standard if none). Hex: a
    /// byte that is not a hex digit.
    InvalidCharacter,
    /// `=` after fewer than 2 characters of a 4-character quantum, or more
    /// `=` than the quantum needs.
    InvalidPadding,
    /// A byte other than whitespace or `=` after padding.
    AfterPadding,
    /// The span ends with a single character of a quantum (Base64: 6 bits;
    /// hex: one digit).
    TrailingSingleChar,
}

/// A decode failure. Before failing, the decoder has handed `on_chunk` the
/// output of every complete quantum before `offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DecodeError {
    /// What went wrong.
    pub kind: DecodeErrorKind,
    /// Offset of the offending byte in the encoded input.
    pub offset: usize,
    /// Bytes handed to `on_chunk` before the failure.
    pub decoded_len: u64,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            DecodeErrorKind::InvalidCharacter => "invalid character",
            DecodeErrorKind::InvalidPadding => "invalid padding",
            DecodeErrorKind::AfterPadding => "data after padding",
            DecodeErrorKind::TrailingSingleChar => "single trailing character",
        };
        write!(f, "{what} at offset {}", self.offset)
    }
}

impl std::error::Error for DecodeError {}

/// Decodes one encoded span of `cfg.kind`, handing the output to `on_chunk`
/// in order, in chunks of [`DECODE_CHUNK_LEN`] bytes (the last one shorter).
///
/// `chunk_out` is a reusable staging buffer: it is cleared first and never
/// holds more than [`DECODE_CHUNK_LEN`] bytes. Stops early when `on_chunk`
/// returns `Break`, and with `truncated` after `cfg.max_decoded_bytes` bytes.
///
/// # Errors
/// Base64 and hex only (URL, escape and HTML decoding cannot fail): see
/// [`DecodeErrorKind`]. An early stop by `on_chunk` wins over an error
/// found later.
pub fn stream_decode(
    cfg: &TransformConfig,
    encoded: &[u8],
    chunk_out: &mut Vec<u8>,
    on_chunk: impl FnMut(&[u8]) -> ControlFlow<()>,
) -> Result<DecodeOutcome, DecodeError> {
    match cfg.kind {
        TransformKind::Base64 => {
            self::base64::stream_decode(encoded, cfg.max_decoded_bytes, chunk_out, on_chunk)
        }
        TransformKind::Url => Ok(self::url::stream_decode(
            encoded,
            cfg.max_decoded_bytes,
            cfg.plus_to_space,
            chunk_out,
            on_chunk,
        )),
        TransformKind::Hex => {
            self::hex::stream_decode(encoded, cfg.max_decoded_bytes, chunk_out, on_chunk)
        }
        TransformKind::Escape => Ok(self::escape::stream_decode(
            encoded,
            cfg.max_decoded_bytes,
            chunk_out,
            on_chunk,
        )),
        TransformKind::Html => Ok(self::html::stream_decode(
            encoded,
            cfg.max_decoded_bytes,
            chunk_out,
            on_chunk,
        )),
    }
}

/// `usize` to `u64` without a cast that could truncate on exotic targets.
pub(crate) fn to_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// Default transforms: every encoding, in the order of
/// [`TransformKind::ALL`], with its defaults (the default of
/// `Tuning::transforms`). The text encodings cost little on plain source
/// (see `docs/transforms.md`, "Defaults").
pub(crate) fn default_transforms() -> Vec<TransformConfig> {
    TransformKind::ALL
        .iter()
        .map(|&k| TransformConfig::default_for(k))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn find_spans_dispatch_and_cap() {
        let mut cfg = TransformConfig::url_default();
        cfg.max_spans_per_buffer = 2;
        let buf = b"a=%41%42 b=%43%44 c=%45%46 d=%47%48";
        let mut out = Vec::new();
        let counts = find_spans(&cfg, buf, &mut out);
        assert_eq!(
            out,
            vec![Span { start: 0, end: 8 }, Span { start: 9, end: 17 }]
        );
        assert_eq!(counts.reported, 2);
        assert_eq!(counts.dropped, 2);

        let cfg = TransformConfig::base64_default();
        let buf = b"key: \"c2VjcmV0LXRva2VuLWZvci10ZXN0cw==\"";
        let counts = find_spans(&cfg, buf, &mut out);
        assert_eq!(out, vec![Span { start: 6, end: 38 }]);
        assert_eq!(
            counts,
            SpanCounts {
                reported: 1,
                dropped: 0,
                cut: 0
            }
        );
    }

    #[test]
    fn stream_decode_dispatch() {
        let mut buf = Vec::new();
        let mut got = Vec::new();
        let cfg = TransformConfig::base64_default();
        let r = stream_decode(&cfg, b"aGVsbG8gd29ybGQ=", &mut buf, |c| {
            got.extend_from_slice(c);
            ControlFlow::Continue(())
        });
        assert_eq!(got, b"hello world");
        assert_eq!(
            r,
            Ok(DecodeOutcome {
                decoded_len: 11,
                stopped_early: false,
                truncated: false
            })
        );

        got.clear();
        let mut cfg = TransformConfig::url_default();
        cfg.plus_to_space = true;
        let r = stream_decode(&cfg, b"a+b%2Fc", &mut buf, |c| {
            got.extend_from_slice(c);
            ControlFlow::Continue(())
        });
        assert_eq!(got, b"a b/c");
        assert_eq!(r.map(|o| o.decoded_len), Ok(5));
    }

    proptest! {
        #![proptest_config(testing::proptest_config(1024))]

        /// The fast paths of `feed` (bulk skips and runs) report exactly
        /// what stepping byte by byte reports: same spans in the same order,
        /// same counts, same `open_start` after every chunk, same early stop.
        #[test]
        fn fast_feed_matches_bytewise(
            buf in finder_soup(),
            cuts in proptest::collection::vec((any::<usize>(), proptest::bool::weighted(0.1)), 0..12),
            kind in proptest::sample::select(TransformKind::ALL.to_vec()),
            min_len in prop_oneof![Just(None), (0usize..30).prop_map(Some)],
            max_len in prop_oneof![3 => Just(usize::MAX), 1 => 0usize..100],
            max_spans in prop_oneof![Just(usize::MAX), 0usize..5],
            stop_after in prop_oneof![Just(usize::MAX), 1usize..6],
        ) {
            let mut cfg = TransformConfig::default_for(kind);
            if let Some(m) = min_len {
                cfg.min_len = m;
            }
            cfg.max_encoded_len = max_len;
            cfg.max_spans_per_buffer = max_spans;
            testing::check_fast_matches_bytewise(&cfg, &buf, &cuts, stop_after)?;
        }
    }

    proptest! {
        #![proptest_config(testing::proptest_config(256))]

        /// Fed byte by byte, every span is reported within `MAX_REPORT_LAG`
        /// bytes of its end and `max_encoded_len + MAX_REPORT_LAG` of its
        /// start.
        #[test]
        fn report_lag_is_bounded(
            atoms in proptest::collection::vec(
                prop_oneof![
                    "[A-Za-z0-9+/]{1,70}",
                    "[A-Za-z0-9_%-]{1,30}",
                    "[ \r\n=%]{1,4}",
                    (0usize..80).prop_map(|n| format!("\r\n{}", " ".repeat(n))),
                    "[0-9a-f]{1,40}",
                    r#"(\\u00[4-7][0-9a-f]|\\x[4-7][0-9A-F]|\\[/n"]|&#x[4-7][0-9a-f];|&#1[01][0-9];|&amp;|[ '"<])"#,
                ],
                0..40,
            ),
            kind in proptest::sample::select(TransformKind::ALL.to_vec()),
            max_len in prop_oneof![Just(usize::MAX), 0usize..100],
        ) {
            let buf = atoms.concat().into_bytes();
            let mut cfg = TransformConfig::default_for(kind);
            cfg.min_len = 1;
            cfg.max_encoded_len = max_len;
            let mut f = SpanFinder::new(&cfg);
            let mut spans = Vec::new();
            let mut floor = 0u64;
            let bound = (max_len as u64).max(10).saturating_add(MAX_REPORT_LAG);
            for (i, b) in buf.iter().enumerate() {
                let _ = f.feed(std::slice::from_ref(b), i as u64, &mut |s| {
                    spans.push(s);
                    ControlFlow::Continue(())
                });
                let fed = i as u64 + 1;
                for s in spans.drain(..) {
                    prop_assert!(fed - s.end <= MAX_REPORT_LAG, "{:?} at {}", s, fed);
                    prop_assert!(fed - s.start <= bound);
                    prop_assert!(s.start >= floor, "{:?} before open start {}", s, floor);
                }
                floor = f.open_start().unwrap_or(fed);
                prop_assert!(floor <= fed && fed - floor <= bound);
            }
            let _ = f.finish(&mut |s| {
                spans.push(s);
                ControlFlow::Continue(())
            });
            for s in spans.drain(..) {
                prop_assert!(s.start >= floor);
            }
        }
    }

    /// Text mixing everything the finders look at: prose and code, Base64
    /// blobs (both alphabets, padded or not, quoted or wrapped as PEM with
    /// `\n`/`\r\n` and indentation), JSON-escaped PEM, `%XX` strings, hex
    /// of text and of random bytes, `\u`/`\x` escapes, HTML references.
    fn finder_soup() -> impl Strategy<Value = Vec<u8>> {
        let blob = (
            proptest::collection::vec(any::<u8>(), 1..120),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(data, url, pad)| {
                let e = match (url, pad) {
                    (false, true) => base64_simd::STANDARD,
                    (false, false) => base64_simd::STANDARD_NO_PAD,
                    (true, true) => base64_simd::URL_SAFE,
                    (true, false) => base64_simd::URL_SAFE_NO_PAD,
                };
                e.encode_to_string(&data).into_bytes()
            });
        let pem = (
            proptest::collection::vec(any::<u8>(), 1..200),
            prop_oneof![Just(4usize), Just(16), Just(64), Just(76)],
            prop_oneof![Just("\n"), Just("\r\n"), Just("\\n")],
            0usize..70,
        )
            .prop_map(|(data, width, nl, indent)| {
                let enc = base64_simd::STANDARD.encode_to_string(&data).into_bytes();
                let mut out = b"-----BEGIN KEY-----".to_vec();
                for line in enc.chunks(width) {
                    out.extend_from_slice(nl.as_bytes());
                    out.extend(std::iter::repeat_n(b' ', indent));
                    out.extend_from_slice(line);
                }
                out.extend_from_slice(nl.as_bytes());
                out.extend_from_slice(b"-----END KEY-----");
                out
            });
        let escaped = proptest::collection::vec(any::<u8>(), 1..12).prop_map(|v| {
            v.iter().fold(Vec::new(), |mut out, b| {
                out.extend_from_slice(format!("%{b:02X}").as_bytes());
                out
            })
        });
        let hex = (
            proptest::collection::vec(any::<u8>(), 1..40),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(data, text, upper)| {
                data.iter().fold(Vec::new(), |mut out, &b| {
                    let b = if text { b'!' + b % 90 } else { b };
                    let s = if upper {
                        format!("{b:02X}")
                    } else {
                        format!("{b:02x}")
                    };
                    out.extend_from_slice(s.as_bytes());
                    out
                })
            });
        let escapes = proptest::collection::vec((0u8..6, 0x21u16..0x7f), 1..12).prop_map(|v| {
            v.iter().fold(Vec::new(), |mut out, &(how, c)| {
                let s = match how {
                    0 => format!("\\u{c:04x}"),
                    1 => format!("\\x{c:02X}"),
                    2 => "\\/".to_string(),
                    3 => "\\n\\\"".to_string(),
                    4 => format!("&#x{c:x};"),
                    _ => format!("&#{c};&amp;"),
                };
                out.extend_from_slice(s.as_bytes());
                out
            })
        });
        let atoms = prop_oneof![
            "[ -~]{1,30}".prop_map(String::into_bytes),
            "[a-zA-Z0-9_]{1,40}".prop_map(String::into_bytes),
            "[a-zA-Z0-9+/=\\-]{1,40}".prop_map(String::into_bytes),
            "[ \t\r\n=%\\\\]{1,4}".prop_map(String::into_bytes),
            blob,
            pem,
            escaped,
            hex,
            escapes,
            r"[0-9a-fA-F\\&#;xu/]{1,20}".prop_map(String::into_bytes),
            proptest::collection::vec(any::<u8>(), 1..8),
        ];
        proptest::collection::vec(atoms, 0..30).prop_map(|v| v.concat())
    }

    #[test]
    fn offsets_near_u64_max_do_not_panic() {
        let text = b"QUJDREVGR0hJSktMTU5PUFFS\r\n  aB3d%41%42%43 41424344 \\x41\\u0042 &#65;&amp;";
        for kind in TransformKind::ALL {
            let mut cfg = TransformConfig::default_for(kind);
            cfg.min_len = 1;
            cfg.max_encoded_len = 8;
            let mut f = SpanFinder::new(&cfg);
            let mut n = 0;
            let mut count = |s: Span| {
                assert!(s.start <= s.end);
                n += 1;
                ControlFlow::Continue(())
            };
            let _ = f.feed(text, u64::MAX - 10, &mut count);
            let _ = f.feed(text, u64::MAX, &mut count);
            let _ = f.finish(&mut count);
            assert!(n > 0);
        }
    }

    #[test]
    fn span_finder_enum_feeds_in_chunks() {
        let cfg = TransformConfig::url_default();
        let mut f = SpanFinder::new(&cfg);
        let mut spans = Vec::new();
        let mut push = |s: Span| {
            spans.push(s);
            ControlFlow::Continue(())
        };
        let _ = f.feed(b"x q=a%2", 100, &mut push);
        let _ = f.feed(b"0b ", 107, &mut push);
        let _ = f.finish(&mut push);
        assert_eq!(
            spans,
            vec![Span {
                start: 102,
                end: 109
            }]
        );
        assert_eq!(f.counts().reported, 1);
        f.reset();
        assert_eq!(f.counts(), SpanCounts::default());
    }
}
