//! Rules as data: the TOML rule format, the built-in rule files, and the
//! errors a bad rule produces.
//!
//! Invariants:
//! - Parsing never panics; every problem becomes a [`RuleError`] that names
//!   the rule file (its *origin*) and, where there is one, the rule id.
//! - Unknown fields are errors, so a typo such as `min_entrpy` is caught
//!   instead of silently ignored.
//! - Built-in rules are embedded at compile time from `rules/*.toml`, in
//!   file-name order, so the rule order (and thus finding order for equal
//!   offsets) is stable.
//! - Every rule has a [`Confidence`]: the one it states, else `low` for
//!   `generic = true` rules and `medium` for all others
//!   ([`RuleSpec::effective_confidence`]). Built-in rules state theirs
//!   explicitly, and a category and (for vendor tokens) a provider; the test
//!   suite checks that.

use std::fmt;
use std::str::FromStr;

use include_dir::{include_dir, Dir};
use serde::Deserialize;

/// How sure a rule is that what it reports is a secret, ordered
/// `Low < Medium < High`.
///
/// - `High`: the secret identifies itself (a vendor prefix of 4+ characters,
///   a checksum, a PEM header), so a match is almost never anything else.
/// - `Medium`: a prefixless value recognised by a provider keyword or a
///   structure near it (`DATADOG_API_KEY=<hex>`, a password in a URL).
/// - `Low`: catch-all rules (`generic = true`) that judge by a variable name
///   and entropy alone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Catch-all rules judged by a variable name and entropy.
    #[default]
    Low,
    /// Prefixless values recognised by a provider keyword or structure.
    Medium,
    /// Self-identifying secrets (vendor prefix, checksum, PEM header).
    High,
}

impl Confidence {
    /// All levels, lowest first.
    pub const ALL: [Confidence; 3] = [Confidence::Low, Confidence::Medium, Confidence::High];

    /// The lowercase name used in rule files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Confidence {
    type Err = String;

    /// Parses `low`, `medium` or `high` (ASCII case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Confidence::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown confidence `{s}`: expected high, medium or low"))
    }
}

/// The category of rules that do not state one.
pub const DEFAULT_CATEGORY: &str = "uncategorized";

/// The categories built-in rules use (documented in `docs/rules.md`). Rule
/// files of users may use any other name.
pub const BUILTIN_CATEGORIES: &[&str] = &[
    "ai",
    "analytics",
    "ci-cd",
    "cloud",
    "commerce",
    "containers",
    "credential-file",
    "crypto",
    "data-api",
    "data-platform",
    "database-uri",
    "developer-tools",
    "email",
    "framework",
    "generic",
    "identity",
    "infrastructure",
    "jwt",
    "localization",
    "marketing",
    "messaging",
    "network-uri",
    "observability",
    "package-registry",
    "password-hash",
    "payments",
    "private-key",
    "productivity",
    "secrets-manager",
    "security",
    "self-hosted",
    "social",
    "source-control",
    "webhook",
];

static BUILTIN_RULE_DIR: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/rules");

/// One rule as written in a rule file.
///
/// See `docs/rules.md` for the meaning of each field.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Stable identifier, unique across all loaded rules (e.g. `github-pat-classic`).
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Regular expression in the syntax of the `regex` crate. Empty for a
    /// keyword-context rule, whose regex is generated from `context_names`,
    /// `context_key`, `context_distance` and `value`.
    #[serde(default)]
    pub regex: String,
    /// Keyword-context rule: the provider's names (regex fragments, matched
    /// case-insensitively, usually plain words), one of which must precede
    /// the value. They are the rule's anchors unless `keywords` is given.
    #[serde(default)]
    pub context_names: Vec<String>,
    /// Keyword-context rule: the credential word after the name (a regex
    /// fragment); default `token|key|secret|password|auth`, `""` for none.
    #[serde(default)]
    pub context_key: Option<String>,
    /// Keyword-context rule: most identifier characters between the name
    /// and the credential word (default 25).
    #[serde(default)]
    pub context_distance: Option<usize>,
    /// Keyword-context rule: the regex of the secret itself.
    #[serde(default)]
    pub value: Option<String>,
    /// Applies the shared value gate (entropy floor by alphabet, placeholder
    /// check) to the secret. Default: on for keyword-context rules, off for
    /// others.
    #[serde(default)]
    pub value_gate: Option<bool>,
    /// Name of a built-in validator the secret must pass (`github`, `npm`,
    /// `pypi`, `slack`, `jwt`).
    #[serde(default)]
    pub checksum: Option<String>,
    /// Literal anchors (ASCII case-insensitive) that occur inside every match.
    /// Derived from `regex` when absent.
    #[serde(default)]
    pub keywords: Option<Vec<String>>,
    /// Capture group holding the secret; defaults to 1 when the regex has a
    /// group, else 0 (the whole match).
    #[serde(default)]
    pub secret_group: Option<usize>,
    /// Minimum Shannon entropy (bits per byte) the secret must reach.
    #[serde(default)]
    pub min_entropy: Option<f64>,
    /// Regexes tested against the secret; any match marks it as not a secret.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Longest match to expect, for regexes with unbounded repetition.
    #[serde(default)]
    pub max_width: Option<usize>,
    /// Opt-in for rules without any literal anchor: the regex itself is
    /// compiled into the prefilter database (slower; use sparingly).
    #[serde(default)]
    pub anchorless: bool,
    /// Marks a catch-all rule (e.g. "a password assigned a random value"):
    /// its finding is dropped when a specific rule reports an overlapping
    /// secret, so a vendor token is reported once, under the vendor's rule.
    #[serde(default)]
    pub generic: bool,
    /// How sure a match is to be a secret; see [`RuleSpec::effective_confidence`]
    /// for the default.
    #[serde(default)]
    pub confidence: Option<Confidence>,
    /// Kind of service or credential (`cloud`, `ai`, `private-key`, ...);
    /// [`DEFAULT_CATEGORY`] when absent.
    #[serde(default)]
    pub category: Option<String>,
    /// The vendor whose credential this is (`github`, `aws`), absent for
    /// formats that belong to no vendor (private keys, URLs with passwords).
    #[serde(default)]
    pub provider: Option<String>,
    /// Documentation links.
    #[serde(default)]
    pub references: Vec<String>,
    /// Inputs in which the rule must report a finding.
    #[serde(default)]
    pub examples: Vec<String>,
    /// Inputs in which the rule must report nothing.
    #[serde(default)]
    pub negative_examples: Vec<String>,
    /// Where the rule was loaded from (file path or `builtin:NAME.toml`).
    #[serde(skip)]
    pub origin: String,
}

// `RuleSpec::expanded_regex` and `RuleSpec::effective_value_gate` depend on
// the keyword-context expansion and are defined in `crate::context`, which
// builds on this module (not the reverse).
impl RuleSpec {
    /// The stated confidence, else `Low` for generic rules and `Medium` for
    /// the others.
    pub fn effective_confidence(&self) -> Confidence {
        self.confidence.unwrap_or(if self.generic {
            Confidence::Low
        } else {
            Confidence::Medium
        })
    }

    /// The stated category, else [`DEFAULT_CATEGORY`].
    pub fn effective_category(&self) -> &str {
        self.category.as_deref().unwrap_or(DEFAULT_CATEGORY)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rules: Vec<RuleSpec>,
}

/// Why rules could not be loaded or compiled.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    /// The rule file is not valid TOML or does not follow the rule format.
    #[error("{origin}: invalid rule file: {message}")]
    Syntax {
        /// The rule file (path or `builtin:NAME.toml`).
        origin: String,
        /// The parser's message.
        message: String,
    },
    /// A rule's field has an invalid value (bad regex, bad group, ...).
    #[error("{origin}: rule `{rule_id}`: {message}")]
    InvalidRule {
        /// The rule file.
        origin: String,
        /// The rule's id.
        rule_id: String,
        /// What is wrong, naming the field.
        message: String,
    },
    /// Two rules share one id.
    #[error("duplicate rule id `{rule_id}`: defined in {first_origin} and in {second_origin}")]
    DuplicateId {
        /// The id both rules have.
        rule_id: String,
        /// The file of the first rule with it.
        first_origin: String,
        /// The file of the second.
        second_origin: String,
    },
    /// The prefilter database could not be built.
    #[error("could not compile the rule set: {message}")]
    Database {
        /// Vectorscan's message.
        message: String,
    },
    /// The linked Vectorscan library failed its known-answer self-test
    /// (it would miss matches), so no engine is built on it.
    #[error("unusable Vectorscan library: {message}")]
    Library {
        /// What failed and how to get a correct library.
        message: String,
    },
}

impl RuleError {
    /// The rule file the error is about (the second file for a duplicate
    /// id), or `""` when it concerns the whole rule set or the library.
    pub fn origin(&self) -> &str {
        match self {
            RuleError::Syntax { origin, .. } | RuleError::InvalidRule { origin, .. } => origin,
            RuleError::DuplicateId { second_origin, .. } => second_origin,
            RuleError::Database { .. } | RuleError::Library { .. } => "",
        }
    }

    pub(crate) fn invalid(rule: &RuleSpec, message: impl Into<String>) -> RuleError {
        RuleError::InvalidRule {
            origin: rule.origin.clone(),
            rule_id: rule.id.clone(),
            message: message.into(),
        }
    }
}

/// Parses a rule file in this project's TOML format. `origin` names the
/// file in error messages and in each rule's `origin`.
pub fn parse_rules_toml(text: &str, origin: &str) -> Result<Vec<RuleSpec>, RuleError> {
    let file: RuleFile = toml::from_str(text).map_err(|e| RuleError::Syntax {
        origin: origin.to_string(),
        message: e.to_string().trim_end().to_string(),
    })?;
    let mut rules = file.rules;
    for r in &mut rules {
        r.origin = origin.to_string();
    }
    Ok(rules)
}

/// The built-in rules, parsed from the embedded `rules/*.toml` files.
pub fn builtin_rules() -> Result<Vec<RuleSpec>, RuleError> {
    let mut files: Vec<_> = BUILTIN_RULE_DIR
        .files()
        .filter(|f| f.path().extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort_by_key(|f| f.path());
    let mut rules = Vec::new();
    for f in files {
        let origin = format!("builtin:{}", f.path().display());
        let text = f.contents_utf8().ok_or_else(|| RuleError::Syntax {
            origin: origin.clone(),
            message: "file is not UTF-8".into(),
        })?;
        rules.extend(parse_rules_toml(text, &origin)?);
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_fields() {
        let text = r#"
[[rules]]
id = "demo-token"
name = "Demo token"
regex = '''\b(demo_[a-z0-9]{8})\b'''
keywords = ["demo_"]
secret_group = 1
min_entropy = 2.5
allow = ["(?i)example"]
max_width = 64
confidence = "high"
category = "demo"
provider = "demo"
references = ["https://example.invalid/docs"]
examples = ["x = demo_ab12cd34"]
negative_examples = ["demo_short"]
"#;
        let rules = parse_rules_toml(text, "demo.toml").unwrap();
        assert_eq!(rules.len(), 1);
        let r = &rules[0];
        assert_eq!(r.id, "demo-token");
        assert_eq!(r.keywords.as_deref(), Some(&["demo_".to_string()][..]));
        assert_eq!(r.secret_group, Some(1));
        assert_eq!(r.min_entropy, Some(2.5));
        assert_eq!(r.max_width, Some(64));
        assert_eq!(r.origin, "demo.toml");
        assert_eq!(r.confidence, Some(Confidence::High));
        assert_eq!(r.category.as_deref(), Some("demo"));
        assert_eq!(r.provider.as_deref(), Some("demo"));
    }

    #[test]
    fn confidence_order_names_and_defaults() {
        assert!(Confidence::Low < Confidence::Medium && Confidence::Medium < Confidence::High);
        for c in Confidence::ALL {
            assert_eq!(c.as_str().parse::<Confidence>(), Ok(c));
        }
        assert_eq!("HIGH".parse::<Confidence>(), Ok(Confidence::High));
        assert!("certain".parse::<Confidence>().is_err());
        let text = "[[rules]]\nid='a'\nname='A'\nregex='abc'\n[[rules]]\nid='b'\nname='B'\nregex='abc'\ngeneric=true\n";
        let rules = parse_rules_toml(text, "d.toml").unwrap();
        assert_eq!(rules[0].effective_confidence(), Confidence::Medium);
        assert_eq!(rules[1].effective_confidence(), Confidence::Low);
        assert_eq!(rules[0].effective_category(), DEFAULT_CATEGORY);
        let bad = "[[rules]]\nid='a'\nname='A'\nregex='abc'\nconfidence='sure'\n";
        assert!(parse_rules_toml(bad, "d.toml").is_err());
    }

    #[test]
    fn unknown_field_is_an_error_naming_the_file() {
        let text = "[[rules]]\nid='a'\nname='A'\nregex='abc'\nmin_entrpy=3.0\n";
        let err = parse_rules_toml(text, "mine.toml").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("mine.toml:"), "{msg}");
        assert!(msg.contains("min_entrpy"), "{msg}");
    }

    #[test]
    fn builtin_rules_parse() {
        let rules = builtin_rules().unwrap();
        assert!(!rules.is_empty());
        assert!(rules.iter().all(|r| r.origin.starts_with("builtin:")));
    }

    /// Every built-in rule states its confidence and category (no rule
    /// relies on the defaults), from the documented list of categories.
    #[test]
    fn builtin_rules_state_confidence_and_category() {
        for r in builtin_rules().unwrap() {
            assert!(r.confidence.is_some(), "{}: no confidence", r.id);
            let cat = r.category.as_deref().unwrap_or_default();
            assert!(
                BUILTIN_CATEGORIES.contains(&cat),
                "{}: category `{cat}`",
                r.id
            );
            if r.generic {
                assert_eq!(r.confidence, Some(Confidence::Low), "{}", r.id);
            }
            if let Some(p) = &r.provider {
                assert!(
                    !p.is_empty()
                        && p.bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
                    "{}: provider `{p}`",
                    r.id
                );
            }
        }
    }
}
