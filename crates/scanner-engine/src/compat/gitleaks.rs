//! gitleaks TOML configurations.
//!
//! Invariants:
//! - The file must be TOML; anything else is a syntax error naming the file.
//!   Each `[[rules]]` entry is decoded on its own, so one malformed rule is
//!   skipped with a message and the others still load.
//! - Allowlists only ever *reduce* findings, so an allowlist criterion that
//!   cannot be honoured (file `paths`, `commits`, `regexTarget = "match"` or
//!   `"line"`) is dropped with a warning: the rule then reports more, never
//!   less. An `AND` allowlist whose criteria cannot all be honoured is dropped
//!   whole for the same reason.
//! - Stopwords become case-insensitive escaped literals tested against the
//!   secret, as gitleaks does (a secret containing a stopword is ignored).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{finish, stopword_regex, translate, Draft, LoadedRules};
use crate::rules::RuleError;

#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "camelCase")]
struct Allowlist {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    condition: Option<String>,
    #[serde(default)]
    regex_target: Option<String>,
    #[serde(default)]
    regexes: Vec<String>,
    #[serde(default)]
    stopwords: Vec<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    commits: Vec<String>,
    /// Only in top-level `[[allowlists]]`: the rules it applies to.
    #[serde(default)]
    target_rules: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GlRule {
    id: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    regex: Option<String>,
    #[serde(default)]
    secret_group: Option<i64>,
    #[serde(default)]
    entropy: Option<f64>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    tags: Vec<String>,
    #[serde(default)]
    allowlist: Option<Allowlist>,
    #[serde(default)]
    allowlists: Vec<Allowlist>,
    #[serde(flatten)]
    other: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Extend {
    #[serde(default)]
    use_default: Option<bool>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    disabled_rules: Vec<String>,
}

/// The allow regexes an allowlist contributes, and what had to be dropped.
struct Mapped {
    allow: Vec<String>,
    notes: Vec<String>,
}

/// Maps one allowlist onto secret-tested allow regexes.
fn map_allowlist(al: &Allowlist) -> Mapped {
    let mut notes = Vec::new();
    let label = match &al.description {
        Some(d) if !d.trim().is_empty() => format!("allowlist \"{}\"", d.trim()),
        _ => "allowlist".to_string(),
    };
    let target = al
        .regex_target
        .as_deref()
        .unwrap_or("secret")
        .to_ascii_lowercase();
    let target_ok = target == "secret";
    let condition = al.condition.as_deref().unwrap_or("OR").to_ascii_uppercase();
    let kinds = [
        !al.regexes.is_empty(),
        !al.stopwords.is_empty(),
        !al.paths.is_empty(),
        !al.commits.is_empty(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    let honourable =
        (al.regexes.is_empty() || target_ok) && al.paths.is_empty() && al.commits.is_empty();
    if condition != "OR" && condition != "AND" {
        notes.push(format!(
            "{label} ignored: unknown condition `{}`",
            al.condition.as_deref().unwrap_or_default()
        ));
        return Mapped {
            allow: Vec::new(),
            notes,
        };
    }
    if condition == "AND" && kinds > 1 {
        let why = if honourable {
            "secretscan cannot require several allowlist criteria at once"
        } else {
            "some of its criteria (paths, commits, or a non-secret regexTarget) cannot be honoured"
        };
        notes.push(format!(
            "{label} with condition = \"AND\" ignored: {why}; the rule may report more"
        ));
        return Mapped {
            allow: Vec::new(),
            notes,
        };
    }
    let mut allow = Vec::new();
    if !al.regexes.is_empty() {
        if target_ok {
            for r in &al.regexes {
                match translate(r) {
                    Ok(t) if regex_syntax::parse(&t.pattern).is_ok() => allow.push(t.pattern),
                    Ok(_) | Err(_) => notes.push(format!(
                        "{label}: regex `{r}` does not compile as a Rust regex and is ignored"
                    )),
                }
            }
        } else {
            notes.push(format!(
                "{label}: regexes with regexTarget = \"{target}\" ignored (only \"secret\" is supported); the rule may report more"
            ));
        }
    }
    for w in &al.stopwords {
        if !w.is_empty() {
            allow.push(stopword_regex(w));
        }
    }
    if !al.paths.is_empty() {
        notes.push(format!(
            "{label}: `paths` ignored (file paths are not known to the engine); the rule may report more"
        ));
    }
    if !al.commits.is_empty() {
        notes.push(format!(
            "{label}: `commits` ignored (commits are not known to the engine); the rule may report more"
        ));
    }
    Mapped { allow, notes }
}

/// Loads a gitleaks configuration.
pub(super) fn load(text: &str, origin: &str) -> Result<LoadedRules, RuleError> {
    let syntax = |message: String| RuleError::Syntax {
        origin: origin.to_string(),
        message,
    };
    let mut table: toml::Table =
        toml::from_str(text).map_err(|e| syntax(e.to_string().trim_end().to_string()))?;
    let mut out = LoadedRules::default();

    if let Some(ext) = table.remove("extend") {
        let ext: Extend = ext
            .try_into()
            .map_err(|e: toml::de::Error| syntax(format!("[extend]: {e}")))?;
        if ext.use_default == Some(true) {
            out.warnings.push(format!(
                "{origin}: [extend] useDefault: gitleaks' default rules are not loaded; \
                 secretscan's built-in rules are used instead (unless --no-builtin-rules)"
            ));
        }
        if let Some(p) = ext.path {
            out.warnings.push(format!(
                "{origin}: [extend] path `{p}` not followed: only this file's rules are loaded"
            ));
        }
        if !ext.disabled_rules.is_empty() {
            out.warnings.push(format!(
                "{origin}: [extend] disabledRules ignored (they name gitleaks default rules)"
            ));
        }
    }

    // Global allowlists: the old singular `[allowlist]` and the newer
    // `[[allowlists]]` (optionally limited by `targetRules`).
    let mut globals: Vec<Allowlist> = Vec::new();
    if let Some(v) = table.remove("allowlist") {
        let al: Allowlist = v
            .try_into()
            .map_err(|e: toml::de::Error| syntax(format!("[allowlist]: {e}")))?;
        globals.push(al);
    }
    if let Some(v) = table.remove("allowlists") {
        let als: Vec<Allowlist> = v
            .try_into()
            .map_err(|e: toml::de::Error| syntax(format!("[[allowlists]]: {e}")))?;
        globals.extend(als);
    }
    let mut global_allow: Vec<(Vec<String>, Vec<String>)> = Vec::new();
    for al in &globals {
        let m = map_allowlist(al);
        for n in m.notes {
            out.warnings.push(format!("{origin}: global {n}"));
        }
        global_allow.push((al.target_rules.clone(), m.allow));
    }

    let rules = match table.remove("rules") {
        Some(toml::Value::Array(a)) => a,
        Some(_) => {
            return Err(syntax(
                "`rules` must be an array of tables ([[rules]])".into(),
            ))
        }
        None => Vec::new(),
    };
    for key in table.keys() {
        if key != "title" && key != "minVersion" && key != "description" {
            out.warnings
                .push(format!("{origin}: top-level field `{key}` ignored"));
        }
    }

    let mut unknown: BTreeMap<String, usize> = BTreeMap::new();
    for (n, value) in rules.into_iter().enumerate() {
        let label = value
            .get("id")
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| format!("#{}", n + 1));
        let rule: GlRule = match value.try_into() {
            Ok(r) => r,
            Err(e) => {
                let e: toml::de::Error = e;
                out.skip(
                    origin,
                    &label,
                    format_args!("malformed rule: {}", e.message()),
                );
                continue;
            }
        };
        for k in rule.other.keys() {
            *unknown.entry(k.clone()).or_default() += 1;
        }
        let id = rule.id.as_str();
        let pattern = match (&rule.regex, &rule.path) {
            (Some(r), _) if !r.is_empty() => r.as_str(),
            (_, Some(_)) => {
                out.skip(
                    origin,
                    id,
                    "matches file paths only (`path` without `regex`); secretscan matches file content",
                );
                continue;
            }
            _ => {
                out.skip(origin, id, "has no `regex`");
                continue;
            }
        };
        if rule.path.is_some() {
            out.warn_rule(
                origin,
                id,
                "`path` restriction ignored: the rule applies to every file",
            );
        }
        let secret_group = match rule.secret_group {
            None | Some(0) => None,
            Some(g) if g < 0 => {
                out.skip(origin, id, format_args!("secretGroup = {g} is negative"));
                continue;
            }
            Some(g) => Some(g as usize),
        };
        let mut allow = Vec::new();
        for al in rule.allowlist.iter().chain(rule.allowlists.iter()) {
            let m = map_allowlist(al);
            for note in m.notes {
                out.warn_rule(origin, id, note);
            }
            allow.extend(m.allow);
        }
        for (targets, regexes) in &global_allow {
            if targets.is_empty() || targets.iter().any(|t| t == id) {
                allow.extend(regexes.iter().cloned());
            }
        }
        let name = rule
            .description
            .as_deref()
            .filter(|d| !d.trim().is_empty())
            .unwrap_or(id);
        let draft = Draft {
            id,
            name,
            pattern,
            keywords: &rule.keywords,
            secret_group,
            min_entropy: rule.entropy,
            allow,
            confidence: None,
            references: Vec::new(),
            examples: Vec::new(),
            negative_examples: Vec::new(),
        };
        match finish(draft, origin, &mut out) {
            Ok(spec) => out.rules.push(spec),
            Err(reason) => out.skip(origin, id, reason),
        }
    }
    out.warn_unknown_fields(origin, &unknown);
    Ok(out)
}
