//! Loaders for rule files written for other secret scanners, mapped onto
//! [`RuleSpec`]: Nosey Parker / Kingfisher YAML and gitleaks TOML.
//!
//! Invariants:
//! - Loading never panics. A file that cannot be parsed at all is a
//!   [`RuleError::Syntax`] naming the file; a single rule that cannot be
//!   expressed is *skipped* and reported as a warning of the form
//!   ``ORIGIN: rule `ID`: skipped: REASON``, and the other rules load.
//! - A construct is only ignored (with a warning) when ignoring it can make
//!   the rule report *more*, never less: e.g. an allowlist that tests the
//!   file path is dropped, a possessive quantifier becomes greedy. Anything
//!   that would change what the rule matches in an unknown way skips the rule.
//! - A rule with neither a derivable literal nor usable keywords is loaded as
//!   `anchorless` (its regex is the prefilter), with a warning, instead of
//!   being skipped.
//! - Every rule returned has a pattern that parses with `regex-syntax`, so the
//!   remaining errors at engine build time are about anchors or groups, which
//!   [`crate::EngineBuilder::build_skipping_invalid`] reports per rule.
//! - Our own format goes through [`crate::parse_rules_toml`] unchanged, with
//!   its strictness (unknown fields are errors).

mod dialect;
mod gitleaks;
mod noseyparker;
mod rule_set;

use std::path::Path;

// The pattern translator is public for the tests and fuzz targets only.
#[doc(hidden)]
pub use dialect::{translate, Translated, Unsupported};
pub use rule_set::{RuleSet, Strictness};

use crate::anchors::{derive_anchors, MIN_ANCHOR_LEN};
use crate::rules::{parse_rules_toml, Confidence, RuleError, RuleSpec};

/// The rule file formats this crate reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RuleFormat {
    /// This project's TOML format (`docs/rules.md`).
    Secretscan,
    /// Nosey Parker and Kingfisher YAML: a top-level `rules:` list with
    /// `name`, `id`, `pattern`.
    NoseyParkerYaml,
    /// gitleaks TOML configuration: `[[rules]]` with `id`, `regex`, ...
    Gitleaks,
}

impl RuleFormat {
    /// Guesses the format of a rule file from its extension and content.
    ///
    /// `.yml`/`.yaml` is Nosey Parker YAML. A TOML file is gitleaks when it
    /// has gitleaks-only top-level tables (`[allowlist]`, `[[allowlists]]`,
    /// `[extend]`, `title`) or a rule with gitleaks field names
    /// (`description`, `secretGroup`, `entropy`, `tags`, `path`,
    /// `allowlist(s)`), or rules with `id` and `regex` but no `name`.
    /// Everything else is our own format (whose parser then reports any
    /// problem). Files without a known extension are tried as TOML, then
    /// recognised as YAML by a `rules:` line.
    pub fn detect(path: &Path, text: &str) -> RuleFormat {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase());
        match ext.as_deref() {
            Some("yml" | "yaml") => return RuleFormat::NoseyParkerYaml,
            Some("toml") => return detect_toml(text).unwrap_or(RuleFormat::Secretscan),
            _ => {}
        }
        if let Some(f) = detect_toml(text) {
            return f;
        }
        if text.lines().any(|l| l.trim_end() == "rules:") {
            return RuleFormat::NoseyParkerYaml;
        }
        RuleFormat::Secretscan
    }

    /// A short lowercase name, as accepted by `--rules-format`.
    pub fn name(self) -> &'static str {
        match self {
            RuleFormat::Secretscan => "secretscan",
            RuleFormat::NoseyParkerYaml => "noseyparker",
            RuleFormat::Gitleaks => "gitleaks",
        }
    }
}

/// `Some(format)` when `text` is TOML; `None` when it does not parse.
fn detect_toml(text: &str) -> Option<RuleFormat> {
    let value: toml::Table = toml::from_str(text).ok()?;
    if ["allowlist", "allowlists", "extend", "title", "minVersion"]
        .iter()
        .any(|k| value.contains_key(*k))
    {
        return Some(RuleFormat::Gitleaks);
    }
    let Some(rules) = value.get("rules").and_then(|r| r.as_array()) else {
        return Some(RuleFormat::Secretscan);
    };
    const GITLEAKS_FIELDS: [&str; 7] = [
        "description",
        "secretGroup",
        "entropy",
        "tags",
        "path",
        "allowlist",
        "allowlists",
    ];
    let gitleaks = rules.iter().filter_map(|r| r.as_table()).any(|r| {
        GITLEAKS_FIELDS.iter().any(|k| r.contains_key(*k))
            || (r.contains_key("id") && r.contains_key("regex") && !r.contains_key("name"))
    });
    Some(if gitleaks {
        RuleFormat::Gitleaks
    } else {
        RuleFormat::Secretscan
    })
}

/// Rules loaded from one file, with everything the user should be told.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct LoadedRules {
    /// The rules that could be mapped, in file order.
    pub rules: Vec<RuleSpec>,
    /// Messages naming the file (and rule, where there is one): skipped
    /// rules (``ORIGIN: rule `ID`: skipped: ...``), ignored constructs and
    /// translations that widen a pattern.
    pub warnings: Vec<String>,
    /// The rules skipped, as [`RuleError::InvalidRule`]s in file order
    /// (each also has its warning).
    pub skipped: Vec<RuleError>,
}

impl LoadedRules {
    fn warn_rule(&mut self, origin: &str, id: &str, message: impl std::fmt::Display) {
        self.warnings
            .push(format!("{origin}: rule `{id}`: {message}"));
    }

    fn skip(&mut self, origin: &str, id: &str, reason: impl std::fmt::Display) {
        self.skipped.push(RuleError::InvalidRule {
            origin: origin.to_string(),
            rule_id: id.to_string(),
            message: reason.to_string(),
        });
        self.warn_rule(origin, id, format_args!("skipped: {reason}"));
    }

    /// One warning listing the rule fields the loader does not know, with
    /// how many rules carried each.
    fn warn_unknown_fields(
        &mut self,
        origin: &str,
        unknown: &std::collections::BTreeMap<String, usize>,
    ) {
        if unknown.is_empty() {
            return;
        }
        let list: Vec<String> = unknown
            .iter()
            .map(|(k, n)| format!("`{k}` ({n} rule(s))"))
            .collect();
        self.warnings.push(format!(
            "{origin}: unknown rule field(s) ignored: {}",
            list.join(", ")
        ));
    }
}

/// Loads a rule file of the given format. `origin` names the file in every
/// rule and message.
///
/// ```
/// use scanner_engine::compat::{load_rules, RuleFormat};
/// let yaml = "rules:\n- name: Demo\n  id: demo.1\n  pattern: '\\b(dmo_[a-z0-9]{8})\\b'\n";
/// let loaded = load_rules(yaml, "demo.yml", RuleFormat::NoseyParkerYaml).unwrap();
/// assert_eq!(loaded.rules[0].id, "demo.1");
/// assert!(loaded.warnings.is_empty());
/// ```
pub fn load_rules(text: &str, origin: &str, format: RuleFormat) -> Result<LoadedRules, RuleError> {
    match format {
        RuleFormat::Secretscan => Ok(LoadedRules {
            rules: parse_rules_toml(text, origin)?,
            ..LoadedRules::default()
        }),
        RuleFormat::NoseyParkerYaml => noseyparker::load(text, origin),
        RuleFormat::Gitleaks => gitleaks::load(text, origin),
    }
}

/// Fields of a foreign rule before they become a [`RuleSpec`].
struct Draft<'a> {
    id: &'a str,
    name: &'a str,
    pattern: &'a str,
    keywords: &'a [String],
    secret_group: Option<usize>,
    min_entropy: Option<f64>,
    allow: Vec<String>,
    /// The source's own confidence, when it has one (else `medium` applies).
    confidence: Option<Confidence>,
    references: Vec<String>,
    examples: Vec<String>,
    negative_examples: Vec<String>,
}

/// Turns a draft into a rule: translates the pattern, checks that it parses,
/// and chooses anchors. `Err` is the reason to skip the rule.
fn finish(draft: Draft<'_>, origin: &str, out: &mut LoadedRules) -> Result<RuleSpec, String> {
    if draft.id.trim().is_empty() {
        return Err("rule has an empty id".into());
    }
    let translated = translate(draft.pattern).map_err(|u| u.0)?;
    for n in &translated.notes {
        out.warn_rule(origin, draft.id, n);
    }
    let hir = regex_syntax::parse(&translated.pattern).map_err(|e| {
        format!(
            "pattern does not compile as a Rust regex: {}",
            first_line_of_error(&e.to_string())
        )
    })?;
    if let Some(e) = draft.min_entropy {
        if !(0.0..=8.0).contains(&e) || e.is_nan() {
            return Err(format!("entropy {e} is outside 0..=8 bits per byte"));
        }
    }
    for a in &draft.allow {
        if let Err(e) = regex_syntax::parse(a) {
            return Err(format!(
                "allowlist regex `{a}` does not compile as a Rust regex: {}",
                first_line_of_error(&e.to_string())
            ));
        }
    }
    let short: Vec<&str> = draft
        .keywords
        .iter()
        .filter(|k| k.len() < MIN_ANCHOR_LEN)
        .map(String::as_str)
        .collect();
    if !short.is_empty() {
        out.warn_rule(
            origin,
            draft.id,
            format_args!(
                "keyword(s) {} shorter than {MIN_ANCHOR_LEN} bytes dropped",
                short
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    let long: Vec<String> = draft
        .keywords
        .iter()
        .filter(|k| k.len() >= MIN_ANCHOR_LEN)
        .cloned()
        .collect();
    // Anchors derived from the regex occur in every match, so they are used
    // whenever they exist; the file's keywords (which other scanners look for
    // anywhere in the file) only stand in when nothing can be derived.
    let derived = derive_anchors(&hir).is_some();
    // Without any literal (a bare token shape such as Salesforce's
    // `00D...!...`), the rule is prefiltered with its own regex rather than
    // skipped; Vectorscan may still reject the regex, which skips it then.
    let anchorless = !derived && long.is_empty();
    if anchorless {
        out.warn_rule(
            origin,
            draft.id,
            "no literal anchor; the regex itself is used as the prefilter (slower)",
        );
    }
    let keywords = if derived || long.is_empty() {
        None
    } else {
        out.warn_rule(
            origin,
            draft.id,
            "no literal can be derived from the pattern; its keywords are used as anchors, \
             so only matches that contain a keyword are found",
        );
        Some(long)
    };
    Ok(RuleSpec {
        id: draft.id.to_string(),
        name: draft.name.to_string(),
        regex: translated.pattern,
        keywords,
        secret_group: draft.secret_group,
        min_entropy: draft.min_entropy,
        allow: draft.allow,
        max_width: None,
        anchorless,
        generic: false,
        confidence: draft.confidence,
        category: None,
        provider: None,
        references: draft.references,
        examples: draft.examples,
        negative_examples: draft.negative_examples,
        origin: origin.to_string(),
        ..RuleSpec::default()
    })
}

/// `regex-syntax` errors span several lines (pattern, caret, message); the
/// last line is the message.
fn first_line_of_error(e: &str) -> String {
    e.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(e)
        .trim()
        .to_string()
}

/// A case-insensitive regex matching `word` literally anywhere in the secret.
fn stopword_regex(word: &str) -> String {
    format!("(?i){}", regex_syntax::escape(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection() {
        let p = Path::new;
        assert_eq!(
            RuleFormat::detect(p("r.yml"), ""),
            RuleFormat::NoseyParkerYaml
        );
        assert_eq!(
            RuleFormat::detect(p("r.YAML"), ""),
            RuleFormat::NoseyParkerYaml
        );
        let ours = "[[rules]]\nid='a'\nname='A'\nregex='abc'\n";
        assert_eq!(
            RuleFormat::detect(p("r.toml"), ours),
            RuleFormat::Secretscan
        );
        let gl = "[[rules]]\nid='a'\nregex='abc'\n";
        assert_eq!(RuleFormat::detect(p("r.toml"), gl), RuleFormat::Gitleaks);
        let gl2 = "[[rules]]\nid='a'\nname='x'\nregex='abc'\nsecretGroup=1\n";
        assert_eq!(RuleFormat::detect(p("r.toml"), gl2), RuleFormat::Gitleaks);
        let gl3 = "[allowlist]\npaths=['x']\n";
        assert_eq!(RuleFormat::detect(p("r.toml"), gl3), RuleFormat::Gitleaks);
        assert_eq!(
            RuleFormat::detect(p("r.toml"), "not [ toml"),
            RuleFormat::Secretscan
        );
        assert_eq!(RuleFormat::detect(p("rules"), gl), RuleFormat::Gitleaks);
        assert_eq!(
            RuleFormat::detect(p("rules"), "rules:\n- id: x\n"),
            RuleFormat::NoseyParkerYaml
        );
    }

    #[test]
    fn stopwords_are_escaped() {
        let re = regex::Regex::new(&stopword_regex("a.b+")).unwrap();
        assert!(re.is_match("xxA.B+yy"));
        assert!(!re.is_match("axbb"));
    }
}
