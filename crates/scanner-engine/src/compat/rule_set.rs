//! [`RuleSet`]: the one entry point for gathering rules from several
//! sources (the built-in rules, files in this project's format, files in
//! foreign formats, rules built in code), each [`Strictness::Strict`] or
//! [`Strictness::Lenient`], for one engine
//! ([`crate::EngineBuilder::rule_set`]).
//!
//! Invariants:
//! - A strict source never loses a rule silently: a rule its loader would
//!   skip makes `add_text` fail, and at build time an invalid rule of a
//!   strict source fails the build.
//! - A lenient source's unloadable rules are skipped with a warning (the
//!   loaders' ``ORIGIN: rule `ID`: skipped: REASON``), and its rules that do
//!   not compile are left out and returned by
//!   [`crate::EngineBuilder::build_with_skipped`].
//! - Sources are told apart by origin (the name given to `add_text`, a
//!   rule's `origin`); an origin added both ways counts as strict.

use std::collections::BTreeSet;

use super::{load_rules, RuleFormat};
use crate::rules::{builtin_rules, RuleError, RuleSpec};

/// What to do with a rule that cannot be loaded or compiled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Strictness {
    /// The rule is an error: nothing is built until it is fixed. Right for
    /// the built-in rules and rules written for this engine.
    #[default]
    Strict,
    /// The rule is skipped and reported; the others load. Right for rules
    /// written for another scanner, some of which this engine cannot
    /// express.
    Lenient,
}

impl RuleFormat {
    /// The strictness rules of this format usually get: strict for this
    /// project's format, lenient for the foreign ones.
    pub fn default_strictness(self) -> Strictness {
        match self {
            RuleFormat::Secretscan => Strictness::Strict,
            RuleFormat::NoseyParkerYaml | RuleFormat::Gitleaks => Strictness::Lenient,
        }
    }
}

/// Rules gathered from several sources, each strict or lenient, with the
/// loaders' warnings. Build an engine from it with
/// [`EngineBuilder::rule_set`](crate::EngineBuilder::rule_set).
///
/// ```
/// use scanner_engine::compat::RuleFormat;
/// use scanner_engine::{RuleSet, Strictness};
/// use scanner_engine::Engine;
///
/// let ours = "[[rules]]\nid = 'acme'\nname = 'Acme key'\nregex = '''\\b(acme_[0-9a-f]{16})\\b'''\n";
/// let theirs = "rules:\n- name: Bad\n  id: bad.1\n  pattern: '(?<=x)abc_[0-9]{8}'\n";
/// let mut set = RuleSet::new();
/// set.add_text(ours, "acme.toml", RuleFormat::Secretscan, Strictness::Strict)?;
/// set.add_text(theirs, "np.yml", RuleFormat::NoseyParkerYaml, Strictness::Lenient)?;
/// assert_eq!(set.rules().len(), 1); // the look-behind rule was skipped...
/// assert!(set.warnings()[0].starts_with("np.yml: rule `bad.1`: skipped:")); // ...and said so
/// // Strict, the same file is an error.
/// let err = RuleSet::new()
///     .add_text(theirs, "np.yml", RuleFormat::NoseyParkerYaml, Strictness::Strict)
///     .unwrap_err();
/// assert_eq!(err.origin(), "np.yml");
///
/// let (engine, skipped) = Engine::builder().rule_set(set).build_with_skipped()?;
/// assert!(skipped.is_empty());
/// assert_eq!(engine.scan_bytes(b"k = acme_0123456789abcdef").len(), 1);
/// # Ok::<(), scanner_engine::RuleError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    rules: Vec<RuleSpec>,
    strict: BTreeSet<String>,
    lenient: BTreeSet<String>,
    warnings: Vec<String>,
}

impl RuleSet {
    /// An empty set (no built-in rules).
    pub fn new() -> RuleSet {
        RuleSet::default()
    }

    /// A set holding the built-in rules, strict.
    pub fn builtin() -> Result<RuleSet, RuleError> {
        let mut set = RuleSet::new();
        set.add_builtin()?;
        Ok(set)
    }

    /// Adds the built-in rules, strict (an error here means a broken build
    /// of this crate).
    pub fn add_builtin(&mut self) -> Result<(), RuleError> {
        self.add_rules(builtin_rules()?, Strictness::Strict);
        Ok(())
    }

    /// Adds the rules of one rule file, `text` in `format`, named `origin`
    /// in rules and messages (usually its path). A file that does not parse
    /// is an error either way; a rule its loader cannot express is an error
    /// when `strictness` is strict, else skipped with a warning.
    pub fn add_text(
        &mut self,
        text: &str,
        origin: &str,
        format: RuleFormat,
        strictness: Strictness,
    ) -> Result<(), RuleError> {
        let loaded = load_rules(text, origin, format)?;
        if strictness == Strictness::Strict {
            if let Some(e) = loaded.skipped.into_iter().next() {
                return Err(e);
            }
        }
        self.mark(origin, strictness);
        self.warnings.extend(loaded.warnings);
        self.add_rules(loaded.rules, strictness);
        Ok(())
    }

    /// Adds rules built otherwise (in code, from a configuration file),
    /// each source known by the rules' `origin`.
    pub fn add_rules(&mut self, rules: impl IntoIterator<Item = RuleSpec>, strictness: Strictness) {
        for rule in rules {
            self.mark(&rule.origin.clone(), strictness);
            self.rules.push(rule);
        }
    }

    fn mark(&mut self, origin: &str, strictness: Strictness) {
        let set = match strictness {
            Strictness::Strict => &mut self.strict,
            Strictness::Lenient => &mut self.lenient,
        };
        if !set.contains(origin) {
            set.insert(origin.to_string());
        }
    }

    /// The rules, in the order added.
    pub fn rules(&self) -> &[RuleSpec] {
        &self.rules
    }

    /// Keeps only the rules for which `keep` is true (e.g. to disable some).
    pub fn retain(&mut self, keep: impl FnMut(&RuleSpec) -> bool) {
        self.rules.retain(keep);
    }

    /// The loaders' warnings so far (skipped rules, ignored constructs),
    /// each naming its file.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Takes the warnings gathered so far (to print them as files load).
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// Whether invalid rules of the source `origin` are skipped rather than
    /// errors: it was added lenient and never strict.
    pub fn is_lenient(&self, origin: &str) -> bool {
        self.lenient.contains(origin) && !self.strict.contains(origin)
    }

    /// The rules, the origins of the strict sources and those of the
    /// lenient ones.
    pub(crate) fn into_parts(self) -> (Vec<RuleSpec>, BTreeSet<String>, BTreeSet<String>) {
        (self.rules, self.strict, self.lenient)
    }
}
