//! Keyword-context rules: expands the `context_names`, `context_key`,
//! `context_distance` and `value` fields of a rule into its regex and its
//! anchors, so the hundreds of prefixless rules share one scaffold instead
//! of each repeating it.
//!
//! The generated regex reports `value` when, before it on the same line or
//! key path:
//! 1. one of `context_names` (the provider, case-insensitive) starts an
//!    identifier, followed within `context_distance` identifier characters
//!    (`[A-Za-z0-9_.-]`, default 25) by the credential word `context_key`
//!    (default `token|key|secret|password|auth`, with an optional `api`,
//!    `api_` or `api-` before it; `""` for none), either in the same
//!    identifier (`DATADOG_API_KEY`, `datadog.api_key`), after an opening
//!    parenthesis (`Datadog(api_key=...)`), or one level down a key path
//!    (YAML/JSON `datadog:\n  api_key:`, an INI/TOML section
//!    `[datadog]\napi_key =`);
//! 2. then up to 12 more identifier characters, an optional closing quote or
//!    bracket, and an assignment operator of a common syntax: `=`, `:`,
//!    `:=`, `=>`, `>` (XML text), with optional quotes before the value;
//! 3. the value is group 1, and must end where its alphabet ends: the next
//!    byte is not a word character nor one of the value's own `-`, `+`,
//!    `/`, `=`, `~` (so a longer token is not reported by its prefix).
//!
//! Anchors are the literals of `context_names`, which must be at least
//! [`MIN_CONTEXT_ANCHOR_LEN`] bytes long (a provider name, not `key` or
//! `dd`), unless the rule states `keywords` itself.
//!
//! Invariants:
//! - Expansion never panics; every problem is an error message for
//!   [`crate::RuleError::InvalidRule`], naming the field at fault.
//! - A rule has either `regex` or context fields, never both.
//! - The generated regex has exactly one capture group before the value's
//!   own groups: the value is group 1.

use std::borrow::Cow;

use regex_syntax::hir::{Class, Hir, HirKind};

use crate::anchors::derive_anchors;
use crate::rules::RuleSpec;

/// Default most identifier characters between a provider name and the
/// credential word.
pub const DEFAULT_CONTEXT_DISTANCE: usize = 25;
/// Largest `context_distance` accepted (windows grow with it).
pub const MAX_CONTEXT_DISTANCE: usize = 80;
/// Shortest anchor derived from `context_names`.
pub const MIN_CONTEXT_ANCHOR_LEN: usize = 4;
/// The credential word when a rule gives no `context_key`.
pub const DEFAULT_CONTEXT_KEY: &str = "token|key|secret|password|auth";

// The methods of `RuleSpec` that need the expansion live here, so that
// `rules` does not depend on this module.
impl RuleSpec {
    /// Whether the shared value gate applies: as stated, else for
    /// keyword-context rules.
    pub fn effective_value_gate(&self) -> bool {
        self.value_gate.unwrap_or_else(|| is_context_rule(self))
    }

    /// The regex the rule is compiled from: `regex`, or the expansion of
    /// the context fields. Errors name the field at fault (not the rule).
    pub fn expanded_regex(&self) -> Result<Cow<'_, str>, String> {
        rule_regex(self)
    }
}

/// Whether `spec` uses any of the context fields.
pub fn is_context_rule(spec: &RuleSpec) -> bool {
    !spec.context_names.is_empty()
        || spec.context_key.is_some()
        || spec.context_distance.is_some()
        || spec.value.is_some()
}

/// The regex of `spec`: its `regex`, or the expansion of its context fields.
pub fn rule_regex(spec: &RuleSpec) -> Result<Cow<'_, str>, String> {
    if !is_context_rule(spec) {
        if spec.regex.trim().is_empty() {
            return Err("no `regex`: state a `regex`, or `context_names` and `value`".into());
        }
        return Ok(Cow::Borrowed(&spec.regex));
    }
    if !spec.regex.trim().is_empty() {
        return Err(
            "states both `regex` and context fields (`context_names`, `context_key`, \
             `context_distance`, `value`); use one or the other"
                .into(),
        );
    }
    if spec.context_names.is_empty() {
        return Err("context fields need `context_names` (the provider's names)".into());
    }
    let Some(value) = spec.value.as_deref() else {
        return Err("context fields need `value` (the regex of the secret)".into());
    };
    if spec.anchorless {
        return Err("a context rule is anchored by its names; remove `anchorless`".into());
    }
    if spec.secret_group.is_some_and(|g| g != 1) {
        return Err(
            "the secret of a context rule is group 1 (the value); remove `secret_group`".into(),
        );
    }
    let distance = spec.context_distance.unwrap_or(DEFAULT_CONTEXT_DISTANCE);
    if distance > MAX_CONTEXT_DISTANCE {
        return Err(format!(
            "context_distance = {distance} is over {MAX_CONTEXT_DISTANCE}"
        ));
    }
    for n in &spec.context_names {
        if n.trim().is_empty() {
            return Err("context_names has an empty name".into());
        }
        check_fragment("context_names", n)?;
    }
    let key = spec.context_key.as_deref().unwrap_or(DEFAULT_CONTEXT_KEY);
    if !key.is_empty() {
        check_fragment("context_key", key)?;
    }
    let value_hir = check_fragment("value", value)?;
    Ok(Cow::Owned(expand(
        &spec.context_names,
        key,
        distance,
        value,
        &value_hir,
    )))
}

/// The anchors of a context rule without `keywords`: the literals of its
/// names, each at least [`MIN_CONTEXT_ANCHOR_LEN`] bytes.
pub fn name_anchors(spec: &RuleSpec) -> Result<Vec<Vec<u8>>, String> {
    let names = format!("(?i:{})", alternation(&spec.context_names));
    let hir = regex_syntax::parse(&names).map_err(|e| format!("invalid context_names: {e}"))?;
    let anchors = derive_anchors(&hir).unwrap_or_default();
    let short: Vec<String> = anchors
        .iter()
        .filter(|a| a.len() < MIN_CONTEXT_ANCHOR_LEN)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    if anchors.is_empty() || !short.is_empty() {
        return Err(format!(
            "context_names must each contain a literal of {MIN_CONTEXT_ANCHOR_LEN}+ bytes to anchor \
             the rule{}; use the provider's full name (`datadog`, `dd_api`) or state `keywords` \
             that occur in every match",
            if short.is_empty() {
                String::new()
            } else {
                format!(" (too short: `{}`)", short.join("`, `"))
            }
        ));
    }
    Ok(anchors)
}

fn check_fragment(field: &str, fragment: &str) -> Result<Hir, String> {
    regex_syntax::parse(fragment).map_err(|e| {
        let msg = e.to_string();
        let last = msg
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or(&msg);
        format!("invalid {field} `{fragment}`: {}", last.trim())
    })
}

fn alternation(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("(?:{n})"))
        .collect::<Vec<_>>()
        .join("|")
}

/// Identifier characters of a key path.
const IDENT: &str = r"[A-Za-z0-9_.\-]";

fn expand(names: &[String], key: &str, distance: usize, value: &str, value_hir: &Hir) -> String {
    let names = alternation(names);
    // One level down a key path: YAML/JSON nesting, or an INI/TOML section.
    let nest = format!(
        r#"(?:["']?[ \t]*:[ \t]*\{{?[ \t]*\r?\n[ \t]{{1,16}}["']?|\][ \t]*\r?\n[ \t]{{0,16}}){IDENT}{{0,{distance}}}"#
    );
    let key = if key.is_empty() {
        String::new()
    } else {
        format!(r"(?:api[_\-]?)?(?:{key})")
    };
    format!(
        r#"(?i:(?:{names}){IDENT}{{0,{distance}}}(?:{nest})?(?:\(\s{{0,2}})?{key}){IDENT}{{0,12}}["'\]]{{0,2}}[ \t]{{0,16}}(?::=|=>|[:=>])\s{{0,6}}["'`]?({value}){end}"#,
        end = terminator(value_hir)
    )
}

/// `(?:[^...]|$)`: the value ends where neither a word character nor one of
/// its own separators follows.
fn terminator(value: &Hir) -> String {
    let mut alphabet = [false; 128];
    collect_alphabet(value, &mut alphabet);
    let mut class = String::from(r"A-Za-z0-9_");
    if alphabet[b'-' as usize] {
        class.push_str(r"\-");
    }
    if alphabet[b'+' as usize] || alphabet[b'/' as usize] {
        class.push_str(r"+/=");
    }
    if alphabet[b'~' as usize] {
        class.push('~');
    }
    format!("(?:[^{class}]|$)")
}

/// Marks the ASCII bytes `hir` can match (classes and literals, recursively).
fn collect_alphabet(hir: &Hir, out: &mut [bool; 128]) {
    let mut mark = |lo: u32, hi: u32| {
        for b in lo..=hi.min(127) {
            out[b as usize] = true;
        }
    };
    match hir.kind() {
        HirKind::Literal(lit) => lit.0.iter().for_each(|&b| mark(u32::from(b), u32::from(b))),
        HirKind::Class(Class::Unicode(c)) => c
            .ranges()
            .iter()
            .for_each(|r| mark(u32::from(r.start()), u32::from(r.end()))),
        HirKind::Class(Class::Bytes(c)) => c
            .ranges()
            .iter()
            .for_each(|r| mark(u32::from(r.start()), u32::from(r.end()))),
        HirKind::Repetition(r) => collect_alphabet(&r.sub, out),
        HirKind::Capture(c) => collect_alphabet(&c.sub, out),
        HirKind::Concat(parts) | HirKind::Alternation(parts) => {
            parts.iter().for_each(|p| collect_alphabet(p, out))
        }
        HirKind::Empty | HirKind::Look(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::parse_rules_toml;

    fn spec(fields: &str) -> RuleSpec {
        let text = format!("[[rules]]\nid='demo-key'\nname='Demo'\n{fields}\n");
        parse_rules_toml(&text, "demo.toml").unwrap().remove(0)
    }

    fn matcher(fields: &str) -> regex::Regex {
        let s = spec(fields);
        regex::Regex::new(&rule_regex(&s).unwrap()).unwrap()
    }

    fn secret<'a>(re: &regex::Regex, text: &'a str) -> Option<&'a str> {
        re.captures(text).and_then(|c| c.get(1)).map(|m| m.as_str())
    }

    const HEX: &str = "0fc9aaf5f7b1bbcc738491da18f2531c";

    #[test]
    fn expansion_finds_the_value_in_common_syntaxes() {
        let re =
            matcher("context_names=['datadog','dd_api']\ncontext_key='key'\nvalue='[a-f0-9]{32}'");
        for line in [
            format!("DD_API_KEY={HEX}"),
            format!("export DATADOG_API_KEY=\"{HEX}\""),
            format!("datadog_api_key: '{HEX}'"),
            format!("  \"datadog_api_key\": \"{HEX}\","),
            format!("datadog.api_key = {HEX}"),
            format!("apiKey := datadog.Config{{}}; DATADOG_API_KEY := \"{HEX}\""),
            format!("$config['datadog_api_key'] => '{HEX}'"),
            format!("client = Datadog(api_key=\"{HEX}\")"),
            format!("datadog:\n  api_key: {HEX}"),
            format!("\"datadog\": {{\n    \"api_key\": \"{HEX}\""),
            format!("[datadog]\napi_key = {HEX}"),
            format!("<datadogApiKey>{HEX}</datadogApiKey>"),
        ] {
            assert_eq!(secret(&re, &line), Some(HEX), "{line}");
        }
    }

    #[test]
    fn expansion_needs_name_before_key_and_bounded_value() {
        let re =
            matcher("context_names=['datadog']\ncontext_key='api[_-]?key'\nvalue='[a-f0-9]{32}'");
        for line in [
            format!("API_KEY={HEX}"),                            // no provider name
            format!("{HEX} = DATADOG_API_KEY"),                  // value before the name
            format!("DATADOG_API_KEY={HEX}ab"),                  // a longer hex string
            format!("DATADOG_API_KEY={HEX}g"),                   // a longer word
            format!("datadog_site = x; API_KEY = {HEX}"),        // other identifier
            format!("DATADOG_{}_API_KEY={HEX}", "A".repeat(30)), // too far apart
            format!("datadog:\n\n  api_key: {HEX}"),             // not the next line
        ] {
            assert_eq!(secret(&re, &line), None, "{line}");
        }
        let re = matcher("context_names=['datadog']\ncontext_key='key'\ncontext_distance=40\nvalue='[a-f0-9]{32}'");
        let far = format!("DATADOG_{}_KEY={HEX}", "A".repeat(30));
        assert_eq!(secret(&re, &far), Some(HEX));
    }

    #[test]
    fn value_terminator_follows_the_alphabet() {
        let re = matcher("context_names=['acmecorp']\nvalue='[A-Za-z0-9_\\-]{8}'");
        assert_eq!(secret(&re, "ACMECORP_TOKEN=ab-d_fgh\n"), Some("ab-d_fgh"));
        assert_eq!(secret(&re, "ACMECORP_TOKEN=ab-d_fgh-"), None);
        assert_eq!(secret(&re, "ACMECORP_TOKEN=ab-d_fgh."), Some("ab-d_fgh"));
        let re = matcher("context_names=['acmecorp']\nvalue='[A-Za-z0-9/+]{8}'");
        assert_eq!(secret(&re, "acmecorp_secret: ab/d+fgh="), None);
        assert_eq!(secret(&re, "acmecorp_secret: ab/d+fgh\""), Some("ab/d+fgh"));
        // An empty key: the name alone.
        let re = matcher("context_names=['acmecorp']\ncontext_key=''\nvalue='ac-[a-z]{4}'");
        assert_eq!(secret(&re, "AcmeCorp(\"x\") = ac-abcd"), None);
        assert_eq!(secret(&re, "ACMECORP=ac-abcd"), Some("ac-abcd"));
        assert_eq!(secret(&re, "acmecorp(api=ac-abcd)"), Some("ac-abcd"));
    }

    #[test]
    fn errors_name_the_field() {
        let both = spec("regex='abcd'\ncontext_names=['acme']\nvalue='[a-z]{8}'");
        assert!(rule_regex(&both).unwrap_err().contains("both `regex`"));
        let neither = spec("");
        assert!(rule_regex(&neither).unwrap_err().contains("no `regex`"));
        let no_value = spec("context_names=['acmecorp']");
        assert!(rule_regex(&no_value).unwrap_err().contains("`value`"));
        let no_names = spec("value='[a-z]{8}'");
        assert!(rule_regex(&no_names).unwrap_err().contains("context_names"));
        let bad = spec("context_names=['acme(']\nvalue='[a-z]{8}'");
        assert!(rule_regex(&bad)
            .unwrap_err()
            .contains("invalid context_names"));
        let bad = spec("context_names=['acmecorp']\nvalue='[a-z'");
        assert!(rule_regex(&bad).unwrap_err().contains("invalid value"));
        let far = spec("context_names=['acmecorp']\nvalue='[a-z]{8}'\ncontext_distance=500");
        assert!(rule_regex(&far).unwrap_err().contains("context_distance"));
    }

    #[test]
    fn anchors_are_the_names_and_short_names_are_refused() {
        let s = spec("context_names=['DataDog','dd[_-]api']\nvalue='[a-f0-9]{32}'");
        let anchors = name_anchors(&s).unwrap();
        assert_eq!(
            anchors,
            vec![b"datadog".to_vec(), b"dd-api".to_vec(), b"dd_api".to_vec()]
        );
        let s = spec("context_names=['datadog','dd']\nvalue='[a-f0-9]{32}'");
        let e = name_anchors(&s).unwrap_err();
        assert!(e.contains("keywords"), "{e}");
        let s = spec("context_names=['fal']\nvalue='[a-f0-9]{32}'");
        let e = name_anchors(&s).unwrap_err();
        assert!(e.contains("`fal`"), "{e}");
    }
}
