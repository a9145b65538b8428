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
    /// Hex digit pairs.
    Hex,
    /// String-literal escapes (`\uXXXX`, `\xNN`, `\/`, `\n`, ...).
    Escape,
    /// HTML/XML character references (`&#103;`, `&#x67;`, `&amp;`, ...).
    Html,
}

impl DecodeStep {
    /// Lowercase name used in reports (`base64`, `url`, `utf16le`, `utf16be`,
    /// `hex`, `escape`, `html`).
    pub fn as_str(self) -> &'static str {
        match self {
            DecodeStep::Base64 => "base64",
            DecodeStep::Url => "url",
            DecodeStep::Utf16Le => "utf16le",
            DecodeStep::Utf16Be => "utf16be",
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
/// found in the raw input.
pub type DecodePath = SmallVec<[DecodeStep; 4]>;

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

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// A secret found by a rule.
#[derive(Clone, Debug, PartialEq)]
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
    pub secret: Vec<u8>,
    /// The rule's whole match, which contains the secret.
    pub matched: Vec<u8>,
    /// The bytes `start..end` as they stand in the root input: the encoded
    /// text that decodes to the secret (equal to `secret` for a raw finding;
    /// UTF-16 bytes for a secret found in UTF-16 text).
    pub encoded: Vec<u8>,
    /// Shannon entropy of the secret, in bits per byte.
    pub entropy: f64,
    /// Decoding applied to reach the secret; empty for raw findings.
    pub decode_path: DecodePath,
    /// Stable fingerprint of (rule id, secret).
    pub fingerprint: Fingerprint,
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

    /// The decode path as `base64 > url`, or an empty string for raw findings.
    pub fn decode_path_string(&self) -> String {
        let names: Vec<&str> = self.decode_path.iter().map(|s| s.as_str()).collect();
        names.join(" > ")
    }
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
