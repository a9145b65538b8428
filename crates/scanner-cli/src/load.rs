//! Builds the engine from the built-in rules plus `--rules` files; every
//! error names the file at fault.
//!
//! Invariants:
//! - Built-in rules and secretscan-format files are strict: an invalid rule
//!   is an error (exit 2), even when foreign files are loaded alongside.
//! - Foreign formats (Nosey Parker YAML, gitleaks) are lenient: rules that
//!   cannot be loaded or compiled are skipped, and each one is named on
//!   stderr as ``FILE: rule `ID`: skipped: REASON``.
//! - `--min-confidence` is applied by the engine builder, before compiling:
//!   rules below it are never compiled, so an invalid foreign rule below the
//!   level is not reported either.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use scanner_engine::compat::{load_rules, LoadedRules, RuleFormat};
use scanner_engine::{
    builtin_rules, Confidence, Engine, EngineBuilder, RuleError, RuleSpec, Tuning,
};

use crate::args::{RuleArgs, RulesFormatArg};
use crate::config::Config;

/// Reads and parses one rule file, printing its warnings to stderr.
pub fn load_file(path: &Path, format: RulesFormatArg) -> Result<(RuleFormat, LoadedRules), String> {
    let text = fs::read_to_string(path)
        .map_err(|e| format!("cannot read rule file {}: {e}", path.display()))?;
    let format = match format {
        RulesFormatArg::Auto => RuleFormat::detect(path, &text),
        RulesFormatArg::Secretscan => RuleFormat::Secretscan,
        RulesFormatArg::Noseyparker => RuleFormat::NoseyParkerYaml,
        RulesFormatArg::Gitleaks => RuleFormat::Gitleaks,
    };
    let loaded =
        load_rules(&text, &path.display().to_string(), format).map_err(|e| e.to_string())?;
    for w in &loaded.warnings {
        eprintln!("secretscan: warning: {w}");
    }
    Ok((format, loaded))
}

/// The engine for `args`, scanning with `tuning`.
pub fn engine(args: &RuleArgs, tuning: Tuning) -> Result<Engine, String> {
    engine_with(args, &Config::default(), tuning)
}

/// The engine for `args` plus the rules, rule files and disabled rules of
/// `config`, scanning with `tuning`. A disabled id no loaded rule has is an
/// error naming the configuration file.
pub fn engine_with(args: &RuleArgs, config: &Config, tuning: Tuning) -> Result<Engine, String> {
    rule_set(args, config)?.compile(tuning)
}

/// The rules a scan will use, read and checked but not compiled (so that
/// a scan that finds everything in its store need not compile them).
pub struct RuleSet {
    /// The rules, disabled ones removed; `min_confidence` applies at build.
    pub specs: Vec<RuleSpec>,
    pub min_confidence: Confidence,
    /// Where compiled rule sets are cached (`None`: not cached).
    pub cache_dir: Option<PathBuf>,
    lenient: bool,
    strict: HashSet<String>,
}

impl RuleSet {
    /// Compiles the engine, scanning with `tuning`.
    pub fn compile(&self, tuning: Tuning) -> Result<Engine, String> {
        let mut builder = Engine::builder()
            .builtin_rules(false)
            .rules(self.specs.iter().cloned())
            .min_confidence(self.min_confidence)
            .tuning(tuning);
        if let Some(dir) = &self.cache_dir {
            builder = builder.database_cache(dir);
        }
        build(builder, self.lenient, &self.strict)
    }
}

/// The folder for compiled rule sets: `$SECRETSCAN_CACHE_DIR` (empty: no
/// cache), else `$XDG_CACHE_HOME/secretscan/rule-db`, else
/// `$HOME/.cache/secretscan/rule-db`; `None` when none is set.
pub fn default_cache_dir() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = std::env::var_os("SECRETSCAN_CACHE_DIR") {
        return (!dir.is_empty()).then(|| PathBuf::from(dir));
    }
    let base = var("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("secretscan").join("rule-db"))
}

/// Reads the rules for `args` plus the rules, rule files and disabled rules
/// of `config`. A disabled id no loaded rule has is an error naming the
/// configuration file.
pub fn rule_set(args: &RuleArgs, config: &Config) -> Result<RuleSet, String> {
    let mut specs = if args.no_builtin_rules {
        Vec::new()
    } else {
        builtin_rules().map_err(|e| e.to_string())?
    };
    let mut strict: HashSet<String> = HashSet::new();
    let mut lenient = false;
    for path in args.rule_files.iter().chain(&config.rule_files) {
        let (format, loaded) = load_file(path, args.rules_format)?;
        if format == RuleFormat::Secretscan {
            strict.insert(path.display().to_string());
        } else {
            lenient = true;
        }
        specs.extend(loaded.rules);
    }
    if !config.rules.is_empty() {
        strict.insert(config.origin.clone());
        specs.extend(config.rules.iter().cloned());
    }
    for id in &config.disable_rules {
        if !specs.iter().any(|r| &r.id == id) {
            return Err(format!(
                "{}: disable_rules: no loaded rule has the id `{id}`",
                config.origin
            ));
        }
    }
    specs.retain(|r| !config.disable_rules.contains(&r.id));
    Ok(RuleSet {
        specs,
        min_confidence: args.min_confidence,
        cache_dir: if args.no_rule_cache {
            None
        } else {
            default_cache_dir()
        },
        lenient,
        strict,
    })
}

/// Builds strictly, or (when `lenient`) skipping invalid rules of foreign
/// files while still failing on invalid built-in or `strict`-origin rules.
pub fn build(
    builder: EngineBuilder,
    lenient: bool,
    strict: &HashSet<String>,
) -> Result<Engine, String> {
    if !lenient {
        return builder.build().map_err(|e| e.to_string());
    }
    let (engine, skipped) = builder
        .build_skipping_invalid()
        .map_err(|e| e.to_string())?;
    for e in &skipped {
        let origin = e.origin();
        if origin.starts_with("builtin:") || strict.contains(origin) {
            return Err(e.to_string());
        }
    }
    for e in &skipped {
        eprintln!("secretscan: warning: {}", skipped_message(e));
    }
    Ok(engine)
}

/// ``ORIGIN: rule `ID`: skipped: REASON`` for a rule left out of the engine.
pub fn skipped_message(e: &RuleError) -> String {
    match e {
        RuleError::InvalidRule {
            origin,
            rule_id,
            message,
        } => format!("{origin}: rule `{rule_id}`: skipped: {message}"),
        RuleError::DuplicateId {
            rule_id,
            first_origin,
            second_origin,
        } => format!(
            "{second_origin}: rule `{rule_id}`: skipped: duplicate id, already defined in {first_origin}"
        ),
        other => format!("skipped: {other}"),
    }
}
