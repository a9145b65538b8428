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

use std::fs;
use std::path::{Path, PathBuf};

use scanner_engine::compat::RuleFormat;
use scanner_engine::{Confidence, Engine, EngineBuilder, RuleError, RuleSet, Strictness, Tuning};

use crate::args::{RuleArgs, RulesFormatArg};
use crate::config::Config;

/// Reads one rule file into `set`, strict for the secretscan format and
/// lenient for foreign ones, printing its warnings to stderr. Returns the
/// format it was read as.
pub fn add_file(
    set: &mut RuleSet,
    path: &Path,
    format: RulesFormatArg,
) -> Result<RuleFormat, String> {
    let text = fs::read_to_string(path)
        .map_err(|e| format!("cannot read rule file {}: {e}", path.display()))?;
    let format = match format {
        RulesFormatArg::Auto => RuleFormat::detect(path, &text),
        RulesFormatArg::Secretscan => RuleFormat::Secretscan,
        RulesFormatArg::Noseyparker => RuleFormat::NoseyParkerYaml,
        RulesFormatArg::Gitleaks => RuleFormat::Gitleaks,
    };
    let added = set.add_text(
        &text,
        &path.display().to_string(),
        format,
        format.default_strictness(),
    );
    for w in set.take_warnings() {
        eprintln!("secretscan: warning: {w}");
    }
    added.map_err(|e| e.to_string())?;
    Ok(format)
}

/// The engine for `args`, scanning with `tuning`.
pub fn engine(args: &RuleArgs, tuning: Tuning) -> Result<Engine, String> {
    engine_with(args, &Config::default(), tuning)
}

/// The engine for `args` plus the rules, rule files and disabled rules of
/// `config`, scanning with `tuning`. A disabled id no loaded rule has is an
/// error naming the configuration file.
pub fn engine_with(args: &RuleArgs, config: &Config, tuning: Tuning) -> Result<Engine, String> {
    rules(args, config)?.compile(tuning)
}

/// The rules a scan will use, read and checked but not compiled (so that
/// a scan that finds everything in its store need not compile them).
pub struct Rules {
    /// The rules, disabled ones removed, each source strict or lenient;
    /// `min_confidence` applies at build.
    pub set: RuleSet,
    pub min_confidence: Confidence,
    /// Where compiled rule sets are cached (`None`: not cached).
    pub cache_dir: Option<PathBuf>,
}

impl Rules {
    /// Compiles the engine, scanning with `tuning`.
    pub fn compile(&self, tuning: Tuning) -> Result<Engine, String> {
        let mut builder = Engine::builder()
            .rule_set(self.set.clone())
            .min_confidence(self.min_confidence)
            .tuning(tuning);
        if let Some(dir) = &self.cache_dir {
            builder = builder.database_cache(dir);
        }
        build(builder)
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
pub fn rules(args: &RuleArgs, config: &Config) -> Result<Rules, String> {
    let mut set = if args.no_builtin_rules {
        RuleSet::new()
    } else {
        RuleSet::builtin().map_err(|e| e.to_string())?
    };
    for path in args.rule_files.iter().chain(&config.rule_files) {
        add_file(&mut set, path, args.rules_format)?;
    }
    set.add_rules(config.rules.iter().cloned(), Strictness::Strict);
    for id in &config.disable_rules {
        if !set.rules().iter().any(|r| &r.id == id) {
            return Err(format!(
                "{}: disable_rules: no loaded rule has the id `{id}`",
                config.origin
            ));
        }
    }
    set.retain(|r| !config.disable_rules.contains(&r.id));
    Ok(Rules {
        set,
        min_confidence: args.min_confidence,
        cache_dir: if args.no_rule_cache {
            None
        } else {
            default_cache_dir()
        },
    })
}

/// Builds with the strictness of each rule's source: invalid rules of
/// foreign files are skipped, each named on stderr; any other invalid rule
/// is the error.
pub fn build(builder: EngineBuilder) -> Result<Engine, String> {
    let (engine, skipped) = builder.build_with_skipped().map_err(|e| e.to_string())?;
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
