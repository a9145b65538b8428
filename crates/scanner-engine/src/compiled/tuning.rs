//! [`Tuning`]: the budgets and limits of a scan, fixed when an engine is
//! built.
//!
//! Layer 1 (compiled engine): plain data over the transform settings.

use crate::transform::{default_transforms, TransformConfig};

/// Budgets and limits of a scan. Every buffer the engine grows is capped by
/// one of these.
///
/// New settings may be added, so a `Tuning` is built from
/// [`Tuning::default()`] and changed with the `with_*` methods (or by
/// assigning its public fields):
///
/// ```
/// use scanner_engine::Tuning;
/// let tuning = Tuning::default()
///     .with_max_transform_depth(1)
///     .with_max_findings_per_scan(100);
/// assert_eq!(tuning.max_transform_depth, 1);
/// assert_eq!(tuning.stream_step, Tuning::default().stream_step);
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Tuning {
    /// Most candidate windows kept per rule per scanned buffer. A rule whose
    /// anchors hit more often is confirmed by one regex pass over the whole
    /// buffer instead (counted in [`ScanStats::rules_fully_scanned`](crate::ScanStats::rules_fully_scanned)).
    /// Default 4096.
    pub max_windows_per_rule: usize,
    /// Match length assumed for a rule whose regex has unbounded repetition
    /// and no `max_width`. Default 512 bytes.
    pub default_max_width: usize,
    /// Most findings reported per scan call; the rest are counted in
    /// [`ScanStats::findings_dropped`](crate::ScanStats::findings_dropped). Default 10,000.
    pub max_findings_per_scan: usize,
    /// Encodings looked inside, with their per-transform limits. Default:
    /// all of them — Base64, URL percent-encoding, hex, string escapes,
    /// HTML references — with their defaults (see `docs/transforms.md`).
    pub transforms: Vec<TransformConfig>,
    /// Deepest nesting of encodings decoded (e.g. 2 for Base64 inside a URL);
    /// 0 disables decoding. Default 3.
    pub max_transform_depth: usize,
    /// Decoded bytes one scan call may produce in total, across all spans
    /// and depths; it also bounds the copies of queued nested spans. Spans
    /// beyond it are counted in [`ScanStats::decode_aborted`](crate::ScanStats::decode_aborted). Default 64 MiB.
    pub max_total_decoded_bytes: usize,
    /// Most encoded spans waiting to be decoded. Spans in the root input are
    /// found piece by piece and the queue is drained whenever it is half
    /// full, so none is dropped; nested spans found while the queue is full
    /// are counted in [`ScanStats::spans_dropped`](crate::ScanStats::spans_dropped).
    /// Default 4096.
    pub max_decode_queue: usize,
    /// Inflate gzip and zlib streams found at the start of decoded Base64
    /// output and scan the inflated bytes (decode path `base64 > gzip` or
    /// `base64 > zlib`; the inflation counts as one level of
    /// `max_transform_depth`). Default true.
    pub inflate: bool,
    /// Most inflated bytes produced for one compressed stream; a stream
    /// that inflates to more is scanned up to this point and counted in
    /// [`ScanStats::inflate_budget_hits`](crate::ScanStats::inflate_budget_hits).
    /// Inflated bytes also count toward `max_total_decoded_bytes`. It also
    /// caps the encoded bytes of a compressed Base64 span that a
    /// [`crate::StreamScanner`] holds whole rather than cut into pieces.
    /// Default 16 MiB.
    pub max_inflated_bytes: usize,
    /// Capacity of the set of decoded-output digests used to skip repeats.
    /// Default 4096.
    pub dedupe_capacity: usize,
    /// Encoded spans at least this long are decoded by the streaming path
    /// (ring buffer, Vectorscan stream, timing wheel); shorter ones are
    /// decoded whole and scanned as a buffer. 0 streams every span.
    /// Default 4096 bytes.
    pub stream_decode_min_len: usize,
    /// Capacity of the streaming path's ring of recent decoded bytes.
    /// Default 64 KiB.
    pub decode_ring_bytes: usize,
    /// Most candidate windows waiting on the timing wheel in one span; more
    /// send the span to the full-decode fallback. Default 4096.
    pub max_pending_windows: usize,
    /// Also look for secrets in UTF-16LE and UTF-16BE text (anchors are
    /// compiled in both byte forms too). Default true.
    pub scan_utf16: bool,
    /// Bytes a [`crate::StreamScanner`] keeps between rounds: encoded spans
    /// up to this long are decoded whole across chunk boundaries. Raised to
    /// the least safe value for the rule set (four times the widest rule plus
    /// context) when smaller. Default 64 KiB.
    pub stream_overlap: usize,
    /// New bytes a [`crate::StreamScanner`] gathers before scanning a
    /// round. Default 4 MiB: each round rescans twice the overlap, so a
    /// larger step rescans less (6% with the built-in rules' 128 KiB
    /// overlap, against 25% with 1 MiB steps) for 3 MiB more buffer.
    pub stream_step: usize,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            max_windows_per_rule: 4096,
            default_max_width: 512,
            max_findings_per_scan: 10_000,
            transforms: default_transforms(),
            max_transform_depth: 3,
            max_total_decoded_bytes: 64 << 20,
            max_decode_queue: 4096,
            inflate: true,
            max_inflated_bytes: 16 << 20,
            dedupe_capacity: 4096,
            stream_decode_min_len: 4096,
            decode_ring_bytes: 64 << 10,
            max_pending_windows: 4096,
            scan_utf16: true,
            stream_overlap: 64 << 10,
            stream_step: 4 << 20,
        }
    }
}

/// `with_FIELD(value)`: this tuning with `FIELD` set to `value`.
macro_rules! setters {
    ($($field:ident: $ty:ty => $setter:ident;)*) => {
        impl Tuning {
            $(
                #[doc = concat!("This tuning with [`Tuning::", stringify!($field), "`] set to `value`.")]
                #[must_use]
                pub fn $setter(mut self, value: $ty) -> Self {
                    self.$field = value;
                    self
                }
            )*
        }
    };
}

setters! {
    max_windows_per_rule: usize => with_max_windows_per_rule;
    default_max_width: usize => with_default_max_width;
    max_findings_per_scan: usize => with_max_findings_per_scan;
    transforms: Vec<TransformConfig> => with_transforms;
    max_transform_depth: usize => with_max_transform_depth;
    max_total_decoded_bytes: usize => with_max_total_decoded_bytes;
    max_decode_queue: usize => with_max_decode_queue;
    dedupe_capacity: usize => with_dedupe_capacity;
    stream_decode_min_len: usize => with_stream_decode_min_len;
    decode_ring_bytes: usize => with_decode_ring_bytes;
    max_pending_windows: usize => with_max_pending_windows;
    scan_utf16: bool => with_scan_utf16;
    stream_overlap: usize => with_stream_overlap;
    stream_step: usize => with_stream_step;
    inflate: bool => with_inflate;
    max_inflated_bytes: usize => with_max_inflated_bytes;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_setter_changes_its_field_only() {
        let d = Tuning::default();
        let mut expected = d.clone();
        expected.max_windows_per_rule = 1;
        expected.default_max_width = 2;
        expected.max_findings_per_scan = 3;
        expected.transforms = Vec::new();
        expected.max_transform_depth = 4;
        expected.max_total_decoded_bytes = 5;
        expected.max_decode_queue = 6;
        expected.dedupe_capacity = 7;
        expected.stream_decode_min_len = 8;
        expected.decode_ring_bytes = 9;
        expected.max_pending_windows = 10;
        expected.scan_utf16 = false;
        expected.stream_overlap = 11;
        expected.stream_step = 12;
        expected.inflate = false;
        expected.max_inflated_bytes = 13;
        let built = d
            .with_max_windows_per_rule(1)
            .with_default_max_width(2)
            .with_max_findings_per_scan(3)
            .with_transforms(Vec::new())
            .with_max_transform_depth(4)
            .with_max_total_decoded_bytes(5)
            .with_max_decode_queue(6)
            .with_dedupe_capacity(7)
            .with_stream_decode_min_len(8)
            .with_decode_ring_bytes(9)
            .with_max_pending_windows(10)
            .with_scan_utf16(false)
            .with_stream_overlap(11)
            .with_stream_step(12)
            .with_inflate(false)
            .with_max_inflated_bytes(13);
        assert_eq!(built, expected);
        assert_eq!(
            Tuning::default().with_max_decode_queue(6).dedupe_capacity,
            Tuning::default().dedupe_capacity
        );
    }
}
