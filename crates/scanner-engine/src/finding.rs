//! What a scan reports: [`Finding`], its decode path and its fingerprint.
//!
//! Invariants:
//! - `start..end`, `line` and `column` locate the secret in the *root*
//!   input: for a finding inside decoded data, the encoded bytes that decode
//!   to the secret (whole Base64 quanta, whole `%XX` escapes, mapped through
//!   every level of nesting); `line` and `column` are 1-based, `column`
//!   counts bytes (UTF-16 code units for text found in UTF-16).
//! - `encoded_start..encoded_end` is the outermost encoded span holding the
//!   secret, and equals `start..end` for a raw finding; it always contains
//!   `start..end`.
//! - The fingerprint depends only on the rule id and the secret bytes, so it
//!   is stable across runs, files, offsets and versions of this crate.

use std::fmt;
use std::sync::Arc;

use smallvec::SmallVec;

/// One step of decoding between the root input and the text that matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
#[non_exhaustive]
pub enum DecodeStep {
    /// Base64 (standard or URL-safe alphabet, padded or not, wrapped).
    Base64,
    /// URL percent-encoding.
    Url,
    /// UTF-16, little-endian.
    Utf16Le,
    /// UTF-16, big-endian.
    Utf16Be,
    /// A gzip stream, inflated (found at the start of decoded Base64).
    Gzip,
    /// A zlib stream, inflated (found at the start of decoded Base64).
    Zlib,
    /// Hex digit pairs.
    Hex,
    /// String-literal escapes (`\uXXXX`, `\xNN`, `\/`, `\n`, ...).
    Escape,
    /// HTML/XML character references (`&#103;`, `&#x67;`, `&amp;`, ...).
    Html,
}

impl DecodeStep {
    /// Lowercase name used in reports (`base64`, `url`, `utf16le`,
    /// `utf16be`, `gzip`, `zlib`, `hex`, `escape`, `html`).
    pub fn as_str(self) -> &'static str {
        match self {
            DecodeStep::Base64 => "base64",
            DecodeStep::Url => "url",
            DecodeStep::Utf16Le => "utf16le",
            DecodeStep::Utf16Be => "utf16be",
            DecodeStep::Gzip => "gzip",
            DecodeStep::Zlib => "zlib",
            DecodeStep::Hex => "hex",
            DecodeStep::Escape => "escape",
            DecodeStep::Html => "html",
        }
    }
}

impl fmt::Display for DecodeStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Decoding steps from the outermost encoding inwards; empty for a secret
/// found in the raw input. Reads as a slice of [`DecodeStep`]s (it
/// dereferences to `[DecodeStep]`) and displays as `base64 > url`.
///
/// ```
/// use scanner_engine::{DecodePath, DecodeStep};
/// let mut path: DecodePath = [DecodeStep::Url].into_iter().collect();
/// path.push(DecodeStep::Base64);
/// assert_eq!(path.len(), 2);
/// assert_eq!(path.first(), Some(&DecodeStep::Url));
/// assert_eq!(path.to_string(), "url > base64");
/// assert_eq!(DecodePath::new().to_string(), "");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DecodePath(SmallVec<[DecodeStep; 4]>);

/// A sequence of step names (`["base64", "url"]`).
#[cfg(feature = "serde")]
impl serde::Serialize for DecodePath {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter())
    }
}

impl DecodePath {
    /// The empty path of a raw finding.
    pub fn new() -> DecodePath {
        DecodePath(SmallVec::new())
    }

    /// Appends an inner step.
    pub fn push(&mut self, step: DecodeStep) {
        self.0.push(step);
    }

    /// The steps, outermost first.
    pub fn as_slice(&self) -> &[DecodeStep] {
        &self.0
    }
}

impl std::ops::Deref for DecodePath {
    type Target = [DecodeStep];

    fn deref(&self) -> &[DecodeStep] {
        &self.0
    }
}

impl FromIterator<DecodeStep> for DecodePath {
    fn from_iter<I: IntoIterator<Item = DecodeStep>>(iter: I) -> Self {
        DecodePath(iter.into_iter().collect())
    }
}

impl Extend<DecodeStep> for DecodePath {
    fn extend<I: IntoIterator<Item = DecodeStep>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

impl<'a> IntoIterator for &'a DecodePath {
    type Item = &'a DecodeStep;
    type IntoIter = std::slice::Iter<'a, DecodeStep>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl From<&[DecodeStep]> for DecodePath {
    fn from(steps: &[DecodeStep]) -> Self {
        steps.iter().copied().collect()
    }
}

impl fmt::Display for DecodePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" > ")?;
            }
            f.write_str(step.as_str())?;
        }
        Ok(())
    }
}

/// A stable 64-bit fingerprint of (rule id, secret), shown as 16 hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub u64);

impl Fingerprint {
    /// FNV-1a over the rule id, a separator byte and the secret.
    pub fn of(rule_id: &str, secret: &[u8]) -> Fingerprint {
        const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
        const PRIME: u64 = 0x0000_0100_0000_01b3;
        let mut h = OFFSET;
        for &b in rule_id.as_bytes().iter().chain(&[0xff]).chain(secret) {
            h ^= u64::from(b);
            h = h.wrapping_mul(PRIME);
        }
        Fingerprint(h)
    }
}

/// The 16 hex digits of its `Display` form (a string, so that JSON readers
/// with 53-bit numbers keep every bit).
#[cfg(feature = "serde")]
impl serde::Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// A secret found by a rule.
///
/// Scans create findings; fields may be added, so code outside the engine
/// reads them, and rebuilds a finding kept elsewhere (a findings store, a
/// test) with [`Finding::for_secret`] and field assignments.
///
/// Findings are `Eq` and `Hash` (to deduplicate or index them): two are
/// equal when every field is, the entropy compared by its bits
/// ([`f64::to_bits`]), so equality is reflexive even for a NaN assigned by
/// hand; the engine computes the entropy from the secret, so equal secrets
/// have bit-equal entropies.
///
/// With the `serde` feature, findings implement `serde::Serialize`: the
/// fields by name, byte fields through `serialize_bytes` (an array of
/// numbers in JSON), `decode_path` as step names, `fingerprint` as its 16
/// hex digits.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Finding {
    /// Id of the rule that matched.
    pub rule_id: Arc<str>,
    /// Name of the rule that matched.
    pub rule_name: Arc<str>,
    /// Byte offset of the secret in the root input; for a decoded finding,
    /// of the first encoded byte that decodes to it.
    pub start: u64,
    /// End (exclusive) of that span.
    pub end: u64,
    /// Start of the outermost encoded span holding the secret (`start` for
    /// a raw finding).
    pub encoded_start: u64,
    /// End (exclusive) of that span (`end` for a raw finding).
    pub encoded_end: u64,
    /// 1-based line of `start`.
    pub line: u64,
    /// 1-based byte column of `start` within its line.
    pub column: u64,
    /// The secret: the rule's secret capture group.
    #[cfg_attr(feature = "serde", serde(serialize_with = "serialize_bytes"))]
    pub secret: Vec<u8>,
    /// The rule's whole match, which contains the secret.
    #[cfg_attr(feature = "serde", serde(serialize_with = "serialize_bytes"))]
    pub matched: Vec<u8>,
    /// The bytes `start..end` as they stand in the root input: the encoded
    /// text that decodes to the secret (equal to `secret` for a raw finding;
    /// UTF-16 bytes for a secret found in UTF-16 text; for a secret inside
    /// a compressed stream, only the span's first 64 bytes).
    #[cfg_attr(feature = "serde", serde(serialize_with = "serialize_bytes"))]
    pub encoded: Vec<u8>,
    /// Shannon entropy of the secret, in bits per byte.
    pub entropy: f64,
    /// Decoding applied to reach the secret; empty for raw findings.
    pub decode_path: DecodePath,
    /// Stable fingerprint of (rule id, secret).
    pub fingerprint: Fingerprint,
}

/// Writes a byte field as bytes (formats without a byte type write a
/// sequence of numbers).
#[cfg(feature = "serde")]
fn serialize_bytes<S: serde::Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_bytes(bytes)
}

/// Everything a [`Finding`] holds, with the entropy by its bits (so that
/// equality is an equivalence and agrees with the hash).
type FindingKey<'a> = (
    (&'a str, &'a str),
    (u64, u64, u64, u64, u64, u64),
    (&'a [u8], &'a [u8], &'a [u8]),
    u64,
    &'a DecodePath,
    &'a Fingerprint,
);

impl Finding {
    /// The fields equality and hashing compare.
    fn key(&self) -> FindingKey<'_> {
        // Destructured so that a new field cannot be forgotten here.
        let Finding {
            rule_id,
            rule_name,
            start,
            end,
            encoded_start,
            encoded_end,
            line,
            column,
            secret,
            matched,
            encoded,
            entropy,
            decode_path,
            fingerprint,
        } = self;
        (
            (rule_id, rule_name),
            (*start, *end, *encoded_start, *encoded_end, *line, *column),
            (secret, matched, encoded),
            entropy.to_bits(),
            decode_path,
            fingerprint,
        )
    }
}

impl PartialEq for Finding {
    fn eq(&self, other: &Finding) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Finding {}

impl std::hash::Hash for Finding {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl Finding {
    /// A finding of the rule `rule_id` (named `rule_name`) at `span` (see
    /// the field docs) inside the encoded span `encoded`; line, column and
    /// `encoded` are filled in at emission. The one constructor of the
    /// engine's findings.
    pub(crate) fn new(
        rule_id: &Arc<str>,
        rule_name: &Arc<str>,
        secret: &[u8],
        matched: &[u8],
        span: (u64, u64),
        encoded: (u64, u64),
        decode_path: DecodePath,
    ) -> Finding {
        Finding {
            rule_id: rule_id.clone(),
            rule_name: rule_name.clone(),
            start: span.0,
            end: span.1,
            encoded_start: encoded.0,
            encoded_end: encoded.1,
            line: 0,
            column: 0,
            secret: secret.to_vec(),
            matched: matched.to_vec(),
            encoded: Vec::new(),
            entropy: shannon_entropy(secret),
            decode_path,
            fingerprint: Fingerprint::of(rule_id, secret),
        }
    }

    /// A raw finding of the rule `rule_id` (named `rule_name`) for
    /// `secret`, not located yet: offsets, line and column are 0, `matched`
    /// and `encoded` are the secret, the decode path is empty, and the
    /// entropy and fingerprint are computed from the secret. Scans never
    /// use it; it is for rebuilding a finding kept elsewhere, whose other
    /// fields are then assigned.
    ///
    /// ```
    /// use scanner_engine::{Finding, Fingerprint};
    /// let mut f = Finding::for_secret("aws.access-key", "AWS access key", b"AKIAQ3EGRTXP4W7ZC2NB");
    /// f.line = 3;
    /// assert_eq!(f.fingerprint, Fingerprint::of("aws.access-key", b"AKIAQ3EGRTXP4W7ZC2NB"));
    /// assert_eq!((f.start, f.end, f.matched.len()), (0, 0, 20));
    /// ```
    pub fn for_secret(rule_id: &str, rule_name: &str, secret: &[u8]) -> Finding {
        let mut f = Finding::new(
            &Arc::from(rule_id),
            &Arc::from(rule_name),
            secret,
            secret,
            (0, 0),
            (0, 0),
            DecodePath::new(),
        );
        f.encoded = secret.to_vec();
        f
    }

    /// The decode path as `base64 > url`, or an empty string for raw findings.
    pub fn decode_path_string(&self) -> String {
        self.decode_path.to_string()
    }
}

/// What a finding sink returns: `()` to take every finding, or
/// [`ControlFlow<()>`](std::ops::ControlFlow) to stop the scan with
/// `Break(())`. The scan entry points take any `FnMut(Finding) -> R` with
/// `R: SinkFlow`, so a plain closure `|f| found.push(f)` keeps working.
///
/// ```
/// use std::ops::ControlFlow;
/// use scanner_engine::Engine;
///
/// let engine = Engine::builtin();
/// let input = b"a = AKIAQ3EGRTXP4W7ZC2NB\nb = AKIAQ3EGRTXP4W7ZC2NC\n";
/// assert_eq!(engine.scan_bytes(input).len(), 2);
/// let mut first = None;
/// engine.scan_bytes_with(&mut engine.new_scratch(), input, &mut |f| {
///     first = Some(f);
///     ControlFlow::Break(())
/// });
/// assert_eq!(first.unwrap().line, 1);
/// ```
pub trait SinkFlow: sealed::Sealed {
    /// `Continue(())` to go on, `Break(())` to stop.
    fn into_flow(self) -> std::ops::ControlFlow<()>;
}

impl SinkFlow for () {
    fn into_flow(self) -> std::ops::ControlFlow<()> {
        std::ops::ControlFlow::Continue(())
    }
}

impl SinkFlow for std::ops::ControlFlow<()> {
    fn into_flow(self) -> std::ops::ControlFlow<()> {
        self
    }
}

mod sealed {
    /// Only `()` and `ControlFlow<()>` are sink results.
    pub trait Sealed {}
    impl Sealed for () {}
    impl Sealed for std::ops::ControlFlow<()> {}
}

/// Shannon entropy of `bytes` in bits per byte (0 for empty input).
pub fn shannon_entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn entropy_known_values() {
        assert_eq!(shannon_entropy(b""), 0.0);
        assert_eq!(shannon_entropy(b"aaaa"), 0.0);
        assert!((shannon_entropy(b"abab") - 1.0).abs() < 1e-12);
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-12);
    }

    #[test]
    fn fingerprint_is_stable_and_separates_rule_and_secret() {
        // A fixed value guards against accidental changes to the algorithm,
        // which would break stores that deduplicate by fingerprint.
        assert_eq!(
            Fingerprint::of("r", b"s").to_string(),
            Fingerprint::of("r", b"s").to_string()
        );
        assert_ne!(Fingerprint::of("ab", b"c"), Fingerprint::of("a", b"bc"));
        assert_eq!(Fingerprint::of("", b"").0, 0xaf64_724c_8602_eb6e);
    }

    #[test]
    fn decode_path_reads_as_a_slice_and_displays_outermost_first() {
        let steps = [DecodeStep::Url, DecodeStep::Base64, DecodeStep::Utf16Le];
        let path = DecodePath::from(&steps[..]);
        assert_eq!(path.as_slice(), steps);
        assert_eq!(&*path, steps);
        assert_eq!(path.iter().count(), 3);
        assert_eq!((&path).into_iter().last(), Some(&DecodeStep::Utf16Le));
        assert_eq!(path.to_string(), "url > base64 > utf16le");
        let mut built = DecodePath::new();
        assert!(built.is_empty());
        built.extend([DecodeStep::Url, DecodeStep::Base64]);
        built.push(DecodeStep::Utf16Le);
        assert_eq!(built, path);
        let mut raw = Finding::for_secret("r", "R", b"s");
        assert_eq!(raw.decode_path_string(), "");
        raw.decode_path = path;
        assert_eq!(raw.decode_path_string(), "url > base64 > utf16le");
    }

    #[test]
    fn findings_are_eq_and_hash_by_every_field_entropy_by_bits() {
        use std::collections::HashSet;
        use std::hash::BuildHasher;
        let a = Finding::for_secret("r", "R", b"s3cr3t");
        let mut b = a.clone();
        assert_eq!(a, b);
        let state = std::hash::RandomState::new();
        assert_eq!(state.hash_one(&a), state.hash_one(&b));
        b.line = 2;
        assert_ne!(a, b);
        let mut c = a.clone();
        c.entropy = f64::NAN;
        assert_eq!(c, c.clone(), "equality is reflexive even for NaN");
        assert_ne!(a, c);
        let mut d = a.clone();
        d.decode_path.push(DecodeStep::Base64);
        assert_ne!(a, d);
        let set: HashSet<Finding> = [a.clone(), b, c.clone(), c, d, a].into_iter().collect();
        assert_eq!(set.len(), 4);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn findings_serialize_by_field_name() {
        let mut f = Finding::for_secret("r.id", "R name", b"ab");
        f.decode_path = [DecodeStep::Base64, DecodeStep::Utf16Le]
            .into_iter()
            .collect();
        f.line = 7;
        let v = serde_json::to_value(&f).unwrap();
        assert_eq!(v["rule_id"], "r.id");
        assert_eq!(v["rule_name"], "R name");
        assert_eq!(v["line"], 7);
        assert_eq!(v["secret"], serde_json::json!([97, 98]));
        assert_eq!(v["entropy"], 1.0);
        assert_eq!(v["decode_path"], serde_json::json!(["base64", "utf16le"]));
        assert_eq!(v["fingerprint"], Fingerprint::of("r.id", b"ab").to_string());
        assert_eq!(v.as_object().unwrap().len(), 14);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn entropy_is_between_zero_and_log2_of_distinct(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let e = shannon_entropy(&bytes);
            let mut distinct = bytes.clone();
            distinct.sort();
            distinct.dedup();
            prop_assert!(e >= 0.0);
            prop_assert!(e <= (distinct.len().max(1) as f64).log2() + 1e-9);
        }
    }
}
