//! The configuration file, `secretscan.toml`: extra rules, disabled rules,
//! path excludes, allowlisted values and regexes, extra inline markers.
//!
//! Found at the scan root (the first scanned directory) unless `--config`
//! names one or `--no-config` turns it off. Every key is optional:
//!
//! ```toml
//! exclude = ["tests/fixtures/**", "*.lock"]    # like --exclude
//! disable_rules = ["generic-password"]         # rule ids left out
//! rule_files = ["ci/extra-rules.toml"]         # like --rules, relative to this file
//! ignore_comments = ["gitleaks:allow"]         # like --ignore-comment
//!
//! [allowlist]
//! values = ["AKIAIOSFODNN7EXAMPLE"]            # secrets that are not secrets
//! regexes = ['''^dummy_''']                    # matched against the secret
//!
//! [[rules]]                                    # extra rules, format of docs/rules.md
//! id = "acme-key"
//! name = "Acme API key"
//! regex = '''acme_[a-z0-9]{32}'''
//! ```
//!
//! Invariant: an invalid file is an error naming the file, the line and the
//! key (unknown keys included); a disabled rule id that no loaded rule has
//! is an error too, so a typo never silently re-enables nothing.

use std::path::{Path, PathBuf};

use scanner_engine::RuleSpec;
use serde::Deserialize;

/// Name of the configuration file looked for at the scan root.
pub const FILE_NAME: &str = "secretscan.toml";

/// The parsed configuration (paths made relative to the current directory).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub disable_rules: Vec<String>,
    #[serde(default)]
    pub rule_files: Vec<PathBuf>,
    #[serde(default)]
    pub ignore_comments: Vec<String>,
    #[serde(default)]
    pub allowlist: Allowlist,
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
    /// The file this was read from (empty for the default configuration).
    #[serde(skip)]
    pub origin: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allowlist {
    #[serde(default)]
    pub values: Vec<String>,
    #[serde(default)]
    pub regexes: Vec<String>,
}

impl Config {
    /// The configuration to use: `explicit`, else `secretscan.toml` in the
    /// first of `roots` that is a directory, else the empty configuration.
    pub fn find(
        explicit: Option<&Path>,
        disabled: bool,
        roots: &[PathBuf],
    ) -> Result<Config, String> {
        if disabled {
            return Ok(Config::default());
        }
        if let Some(path) = explicit {
            return Config::read(path);
        }
        let root = roots.iter().find(|p| p.is_dir());
        match root.map(|r| r.join(FILE_NAME)) {
            Some(path) if path.is_file() => Config::read(&path),
            _ => Ok(Config::default()),
        }
    }

    /// Reads and validates one configuration file.
    pub fn read(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
        let origin = path.display().to_string();
        let mut config = Config::parse(&text, &origin)?;
        let base = path.parent().unwrap_or(Path::new(""));
        for f in &mut config.rule_files {
            if f.is_relative() {
                *f = base.join(&*f);
            }
        }
        Ok(config)
    }

    /// Parses configuration text; errors name `origin`, line and key.
    pub fn parse(text: &str, origin: &str) -> Result<Config, String> {
        let mut config: Config = toml::from_str(text)
            .map_err(|e| format!("invalid config file {origin}: {}", e.to_string().trim_end()))?;
        for r in &mut config.rules {
            r.origin = origin.to_string();
        }
        for (i, re) in config.allowlist.regexes.iter().enumerate() {
            regex::bytes::Regex::new(re).map_err(|e| {
                format!("invalid config file {origin}: allowlist.regexes[{i}] `{re}`: {e}")
            })?;
        }
        config.origin = origin.to_string();
        Ok(config)
    }

    /// The allowlist regexes, compiled (validated by `parse`).
    pub fn allow_regexes(&self) -> Vec<regex::bytes::Regex> {
        self.allowlist
            .regexes
            .iter()
            .filter_map(|r| regex::bytes::Regex::new(r).ok())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_config_parses() {
        let c = Config::parse(
            r#"
exclude = ["a/**"]
disable_rules = ["x"]
ignore_comments = ["gitleaks:allow"]
[allowlist]
values = ["v"]
regexes = ['^d']
[[rules]]
id = "acme-key"
name = "Acme"
regex = 'acme_[a-z0-9]{32}'
"#,
            "s.toml",
        )
        .unwrap();
        assert_eq!(c.exclude, ["a/**"]);
        assert_eq!(c.rules.len(), 1);
        assert_eq!(c.rules[0].origin, "s.toml");
        assert_eq!(c.allow_regexes().len(), 1);
    }

    #[test]
    fn errors_name_file_line_and_key() {
        let e = Config::parse("exclude = []\nexlude = [\"a\"]\n", "cfg.toml").unwrap_err();
        assert!(
            e.contains("cfg.toml") && e.contains("line 2") && e.contains("exlude"),
            "{e}"
        );
        let e = Config::parse("[allowlist]\nregexes = ['(']\n", "cfg.toml").unwrap_err();
        assert!(e.contains("allowlist.regexes[0]"), "{e}");
        let e = Config::parse("exclude = 3\n", "cfg.toml").unwrap_err();
        assert!(e.contains("line 1") && e.contains("exclude"), "{e}");
    }
}
