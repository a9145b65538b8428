//! What the scanning commands share before a scan starts: the configuration
//! file, the rules (compiled into the engine on first use), and the
//! suppressions (inline markers, baseline, allowlist).

use std::path::PathBuf;
use std::sync::OnceLock;

use scanner_engine::{Engine, Tuning};
use scanner_fs::suppress::{Suppressions, DEFAULT_MARKER};

use crate::args::{DecodeArgs, RuleArgs, SuppressArgs};
use crate::config::Config;
use crate::load;

/// Everything a scanning command needs, built from its flags.
pub struct ScanSetup {
    pub config: Config,
    pub rules: load::Rules,
    pub tuning: Tuning,
    engine: OnceLock<Engine>,
    pub suppressions: Suppressions,
}

impl ScanSetup {
    /// Reads the configuration (looked for under `roots`), builds the engine
    /// and the suppressions. Errors name the file or flag at fault.
    pub fn new(
        rules: &RuleArgs,
        decode: &DecodeArgs,
        suppress: &SuppressArgs,
        roots: &[PathBuf],
    ) -> Result<ScanSetup, String> {
        let config = Config::find(suppress.config.as_deref(), suppress.no_config, roots)?;
        let rule_set = load::rules(rules, &config)?;
        let mut markers = vec![DEFAULT_MARKER.to_string()];
        for m in suppress
            .ignore_comments
            .iter()
            .chain(&config.ignore_comments)
        {
            if m.trim().is_empty() {
                return Err("--ignore-comment: the marker text must not be empty".to_string());
            }
            markers.push(m.clone());
        }
        let baseline = match (&suppress.baseline, &suppress.write_baseline) {
            (Some(path), None) => scanner_fs::baseline::read(path)?,
            _ => Default::default(),
        };
        let suppressions = Suppressions {
            markers,
            baseline,
            allow_values: config
                .allowlist
                .values
                .iter()
                .map(|v| v.as_bytes().to_vec())
                .collect(),
            allow_regexes: config.allow_regexes(),
        };
        Ok(ScanSetup {
            config,
            rules: rule_set,
            tuning: decode.tuning(),
            engine: OnceLock::new(),
            suppressions,
        })
    }

    /// The engine, compiled on first use; errors name the rule at fault.
    pub fn engine(&self) -> Result<&Engine, String> {
        if let Some(e) = self.engine.get() {
            return Ok(e);
        }
        let engine = self.rules.compile(self.tuning.clone())?;
        Ok(self.engine.get_or_init(|| engine))
    }
}
