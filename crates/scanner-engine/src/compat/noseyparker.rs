//! Nosey Parker and Kingfisher YAML rule files.
//!
//! Invariants:
//! - The file must be a YAML mapping; anything else is a syntax error naming
//!   the file. Each entry of `rules:` is decoded on its own, so one malformed
//!   rule is skipped with a message and the others still load.
//! - Mapped fields: `id`, `name`, `pattern`, `examples`, `negative_examples`,
//!   `references`, `min_entropy`, and Kingfisher's `confidence` when it is
//!   `low`, `medium` or `high` (otherwise the rule gets the default,
//!   `medium`, with a warning). The fields in [`IGNORED_FIELDS`] are
//!   accepted and ignored silently (ignoring them can only widen a rule);
//!   any other field is reported once per file.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_yaml_ng::Value;

use super::{finish, Draft, LoadedRules};
use crate::rules::{Confidence, RuleError};

/// Fields of Nosey Parker / Kingfisher rules that carry no meaning for
/// matching here: descriptions, metadata, and live-validation settings.
/// `depends_on_rule` and `pattern_requirements` narrow a rule in Kingfisher;
/// without them the rule reports a superset.
pub const IGNORED_FIELDS: &[&str] = &[
    "description",
    "categories",
    "visible",
    "validation",
    "depends_on_rule",
    "revocation",
    "tls_mode",
    "pattern_requirements",
    "prefix",
    "tags",
];

#[derive(Deserialize)]
struct YamlRule {
    name: String,
    id: String,
    pattern: String,
    #[serde(default)]
    examples: Vec<String>,
    #[serde(default)]
    negative_examples: Vec<String>,
    #[serde(default)]
    references: Vec<String>,
    #[serde(default)]
    min_entropy: Option<f64>,
    #[serde(default)]
    confidence: Option<String>,
    #[serde(flatten)]
    other: BTreeMap<String, Value>,
}

/// Loads a YAML rule file.
pub(super) fn load(text: &str, origin: &str) -> Result<LoadedRules, RuleError> {
    let syntax = |message: String| RuleError::Syntax {
        origin: origin.to_string(),
        message,
    };
    let doc: Value = serde_yaml_ng::from_str(text).map_err(|e| syntax(e.to_string()))?;
    let map = match doc {
        Value::Mapping(m) => m,
        Value::Null => serde_yaml_ng::Mapping::new(),
        _ => return Err(syntax("expected a mapping with a `rules:` list".into())),
    };
    let mut out = LoadedRules::default();
    let rules = match map.get("rules") {
        Some(Value::Sequence(s)) => s.clone(),
        Some(Value::Null) | None => {
            let what = if map.contains_key("rulesets") {
                "the file has `rulesets:` but no `rules:`; rulesets are ignored"
            } else {
                "the file has no `rules:` list"
            };
            out.warnings.push(format!("{origin}: {what}"));
            Vec::new()
        }
        Some(_) => return Err(syntax("`rules` must be a list".into())),
    };
    for key in map.keys() {
        if let Some(k) = key.as_str() {
            if k != "rules" && k != "rulesets" {
                out.warnings
                    .push(format!("{origin}: top-level field `{k}` ignored"));
            }
        }
    }
    let mut unknown: BTreeMap<String, usize> = BTreeMap::new();
    for (n, value) in rules.into_iter().enumerate() {
        let label = value
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| format!("#{}", n + 1));
        let rule: YamlRule = match serde_yaml_ng::from_value(value) {
            Ok(r) => r,
            Err(e) => {
                out.skip(origin, &label, format_args!("malformed rule: {e}"));
                continue;
            }
        };
        for k in rule.other.keys() {
            if !IGNORED_FIELDS.contains(&k.as_str()) {
                *unknown.entry(k.clone()).or_default() += 1;
            }
        }
        let confidence = match rule.confidence.as_deref().map(str::parse::<Confidence>) {
            None => None,
            Some(Ok(c)) => Some(c),
            Some(Err(e)) => {
                out.warn_rule(origin, &rule.id, format_args!("{e}; using medium"));
                None
            }
        };
        let draft = Draft {
            id: &rule.id,
            name: &rule.name,
            pattern: &rule.pattern,
            keywords: &[],
            secret_group: None,
            min_entropy: rule.min_entropy,
            allow: Vec::new(),
            confidence,
            references: rule.references.clone(),
            examples: rule.examples.clone(),
            negative_examples: rule.negative_examples.clone(),
        };
        match finish(draft, origin, &mut out) {
            Ok(spec) => out.rules.push(spec),
            Err(reason) => out.skip(origin, &rule.id, reason),
        }
    }
    out.warn_unknown_fields(origin, &unknown);
    Ok(out)
}
