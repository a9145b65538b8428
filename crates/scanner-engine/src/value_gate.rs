//! The shared value gate: one entropy floor and one placeholder check for
//! the secrets of every rule that opts in (`value_gate = true`, the default
//! for keyword-context rules), instead of a copy-pasted `allow` list per rule.
//!
//! The gate judges the secret alone (the capture group), never its context:
//! 1. **Entropy floor.** The rule's `min_entropy` when it states one, else a
//!    default by the alphabet the secret uses ([`default_min_entropy`]):
//!    2.5 bits per byte for digits, 3.0 for hex (UUIDs included), 3.5 for
//!    anything else, lowered for short secrets to 85% of `log2(len)` so that
//!    a random value of that length still passes.
//! 2. **Placeholder check** ([`placeholder_reason`]): one repeated character,
//!    two characters alternating, template and interpolation syntax
//!    (`${VAR}`, `$VAR`, `{{ var }}`, `<your-key>`, `%(name)s`, `#{x}`,
//!    `@VAR@`, `__VAR__`), placeholder words (`changeme`, `example`,
//!    `dummy`, `your-api-key`, ...), masks (`xxxx`, `***`, `...`), a run of
//!    six identical characters and a run of six sequential ones (`123456`,
//!    `abcdef`, `987654`) or keyboard rows (`qwerty`).
//!
//! Invariants:
//! - Pure functions of the bytes: no allocation, no panic on any input
//!   (invalid UTF-8 and empty values included).
//! - A value made of one repeated character is always rejected.
//! - The substring checks are rare in random tokens: each needs four to six
//!   specific characters in a row, so a random base62 or hex secret trips
//!   one with a probability well under 1 in 10,000.

use crate::finding::shannon_entropy;

/// Why the gate rejected a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rejection {
    /// Below the entropy floor.
    Entropy,
    /// A placeholder, template or mask (the reason names the check).
    Placeholder(&'static str),
}

/// Runs the gate on `value`: the entropy floor (`min_entropy`, else the
/// default for the value's alphabet), then the placeholder check.
pub(crate) fn check(value: &[u8], min_entropy: Option<f64>) -> Result<(), Rejection> {
    let floor = min_entropy.unwrap_or_else(|| default_min_entropy(value));
    if shannon_entropy(value) < floor {
        return Err(Rejection::Entropy);
    }
    match placeholder_reason(value) {
        Some(reason) => Err(Rejection::Placeholder(reason)),
        None => Ok(()),
    }
}

/// The default entropy floor (bits per byte) for `value`: by alphabet
/// (digits 2.5, hex and UUIDs 3.0, others 3.5), capped at 85% of
/// `log2(len)`, the most a value of that length can have.
pub fn default_min_entropy(value: &[u8]) -> f64 {
    let by_alphabet: f64 = if value.iter().all(u8::is_ascii_digit) {
        2.5
    } else if value.iter().all(|b| b.is_ascii_hexdigit() || *b == b'-') {
        3.0
    } else {
        3.5
    };
    let cap = 0.85 * (value.len().max(1) as f64).log2();
    by_alphabet.min(cap)
}

/// Placeholder words, compared ASCII case-insensitively anywhere in the value.
const WORDS: &[&str] = &[
    "changeme",
    "change_me",
    "change-me",
    "changeit",
    "example",
    "sample",
    "dummy",
    "placeholder",
    "redacted",
    "replaceme",
    "replace_me",
    "replace-me",
    "insert_",
    "insert-",
    "fixme",
    "notreal",
    "not_real",
    "not-real",
    "notasecret",
    "foobar",
    "lorem",
    "qwerty",
    "asdfgh",
    "your_",
    "your-",
    "yourkey",
    "yourtoken",
    "yoursecret",
    "yourapi",
    "yourpass",
];

/// Why `value` looks like a placeholder rather than a secret, or `None`.
pub fn placeholder_reason(value: &[u8]) -> Option<&'static str> {
    let first = *value.first()?;
    if value.iter().all(|&b| b == first) {
        return Some("one repeated character");
    }
    if value.len() >= 6 && alternates(value) {
        return Some("two characters repeated");
    }
    if let Some(r) = template_reason(value) {
        return Some(r);
    }
    if WORDS
        .iter()
        .any(|w| contains_ignore_case(value, w.as_bytes()))
    {
        return Some("placeholder word");
    }
    if has_run(value, 4, |b| b == b'x' || b == b'X')
        || has_run(value, 3, |b| b == b'*')
        || has_run(value, 3, |b| b == b'.')
        || has_run(value, 4, |b| b == b'#')
    {
        return Some("mask");
    }
    if longest_same_run(value) >= 6 {
        return Some("run of one character");
    }
    if longest_sequential_run(value) >= 6 {
        return Some("sequential characters");
    }
    None
}

/// `abab...`: at most two distinct bytes, each repeated.
fn alternates(value: &[u8]) -> bool {
    let a = value[0];
    let Some(&b) = value.iter().find(|&&c| c != a) else {
        return false;
    };
    value.iter().all(|&c| c == a || c == b)
}

/// Template and interpolation syntax.
fn template_reason(v: &[u8]) -> Option<&'static str> {
    const INNER: &[&[u8]] = &[b"${", b"$(", b"{{", b"}}", b"%(", b"#{", b"<%", b"%>"];
    if INNER.iter().any(|p| contains_ignore_case(v, p)) {
        return Some("template syntax");
    }
    let last = v[v.len() - 1];
    let first = v[0];
    let enclosed = |open: u8, close: u8| v.len() >= 2 && first == open && last == close;
    if enclosed(b'<', b'>') || enclosed(b'{', b'}') || enclosed(b'@', b'@') || enclosed(b'[', b']')
    {
        return Some("template syntax");
    }
    if v.len() >= 4 && v.starts_with(b"__") && v.ends_with(b"__") {
        return Some("template syntax");
    }
    if first == b'$'
        && v.get(1)
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
    {
        return Some("variable reference");
    }
    if matches!(v, b"%s" | b"%d" | b"%v" | b"%r") {
        return Some("format directive");
    }
    None
}

fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && hay.len() >= needle.len()
        && hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

fn has_run(v: &[u8], min: usize, pred: impl Fn(u8) -> bool) -> bool {
    let mut run = 0;
    for &b in v {
        run = if pred(b) { run + 1 } else { 0 };
        if run >= min {
            return true;
        }
    }
    false
}

fn longest_same_run(v: &[u8]) -> usize {
    let (mut best, mut run) = (0, 0);
    for (i, &b) in v.iter().enumerate() {
        run = if i > 0 && v[i - 1] == b { run + 1 } else { 1 };
        best = best.max(run);
    }
    best
}

/// Longest run of alphanumerics each one above (or each one below) the
/// previous: `123456`, `abcdef`, `FEDCBA`.
fn longest_sequential_run(v: &[u8]) -> usize {
    let mut best = 0;
    for step in [1i16, -1] {
        let mut run = 0;
        for (i, &b) in v.iter().enumerate() {
            let follows = i > 0
                && b.is_ascii_alphanumeric()
                && v[i - 1].is_ascii_alphanumeric()
                && i16::from(b) - i16::from(v[i - 1]) == step;
            run = if follows {
                run + 1
            } else {
                usize::from(b.is_ascii_alphanumeric())
            };
            best = best.max(run);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn placeholders_are_rejected() {
        for v in [
            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "<your-api-key>",
            "${DATADOG_API_KEY}",
            "$API_KEY",
            "{{ api_key }}",
            "{api_key}",
            "changeme-changeme",
            "EXAMPLEKEY0123456789",
            "dummy_token_value",
            "your-secret-key-here",
            "00000000000000000000000000000000",
            "0123456789abcdef0123456789abcdef",
            "abababababababab",
            "qwertyuiop123",
            "%(password)s",
            "__API_KEY__",
            "@TOKEN@",
            "abc***def",
            "a8f3...9d2c",
        ] {
            assert!(placeholder_reason(v.as_bytes()).is_some(), "{v}");
            assert!(check(v.as_bytes(), Some(0.0)).is_err(), "{v}");
        }
    }

    #[test]
    fn random_values_pass() {
        for v in [
            "0fc9aaf5f7b1bbcc738491da18f2531c",
            "6770029b3bc292407f3fa41cb0648351",
            "q7Rt2xVp9LmK4wZs",
            "Xq3vR8tL2mN7pK4wJ9zB",
            "d6e1c989-9d56-46d8-aa23-d9fc0eb859e9",
            "84920573611946",
        ] {
            assert_eq!(placeholder_reason(v.as_bytes()), None, "{v}");
            assert_eq!(check(v.as_bytes(), None), Ok(()), "{v}");
        }
    }

    #[test]
    fn entropy_floor_by_alphabet_and_length() {
        assert_eq!(default_min_entropy(b"12345678901234567890"), 2.5);
        assert_eq!(
            default_min_entropy(b"0fc9aaf5f7b1bbcc738491da18f2531c"),
            3.0
        );
        assert_eq!(
            default_min_entropy(b"d6e1c989-9d56-46d8-aa23-d9fc0eb859e9"),
            3.0
        );
        assert_eq!(default_min_entropy(b"Xq3vR8tL2mN7pK4wJ9zB0000"), 3.5);
        // Short values: capped below log2(len).
        let short = default_min_entropy(b"a8F3kQ9z");
        assert!(short < 3.0 && short > 2.5, "{short}");
        assert!(default_min_entropy(b"") <= 0.0);
        // A stated floor overrides the default.
        assert_eq!(
            check(b"aabbccddeeff0011", Some(3.9)),
            Err(Rejection::Entropy)
        );
        assert_eq!(check(b"a1b2", Some(0.0)), Ok(()));
    }

    #[test]
    fn sequential_and_same_runs() {
        assert_eq!(longest_sequential_run(b"x123456y"), 6);
        assert_eq!(longest_sequential_run(b"zyxwv"), 5);
        assert_eq!(longest_sequential_run(b"9:;<"), 1);
        assert_eq!(longest_same_run(b"ab0000000c"), 7);
        assert_eq!(longest_same_run(b""), 0);
    }

    proptest! {
        #[test]
        fn gate_never_panics(v in proptest::collection::vec(any::<u8>(), 0..80), e in proptest::option::of(0.0f64..8.0)) {
            let _ = check(&v, e);
            let _ = placeholder_reason(&v);
            let _ = default_min_entropy(&v);
        }

        #[test]
        fn one_repeated_character_is_always_rejected(b in any::<u8>(), n in 1usize..200, e in proptest::option::of(0.0f64..8.0)) {
            let v = vec![b; n];
            prop_assert!(placeholder_reason(&v).is_some());
            prop_assert!(check(&v, e).is_err());
        }
    }
}
