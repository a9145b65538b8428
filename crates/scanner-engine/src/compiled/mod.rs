//! The compiled, immutable [`Engine`]: rules turned into regexes plus one
//! Vectorscan block database of their anchors, and the [`Tuning`] budgets;
//! [`EngineBuilder`] and the compilation (or loading from the on-disk
//! cache, `db_cache`). No scan code: the scan entry points
//! (`Engine::scan_bytes*`) are in `crate::pipeline`.
//!
//! Layer 1 (compiled engine): depends only on the leaves (rules, anchors,
//! transform settings, Vectorscan binding, ...).
//!
//! Invariants:
//! - An `Engine` never changes after `build()`; it is `Send + Sync` and is
//!   shared by every worker thread. All mutable state lives in a
//!   [`crate::Scratch`].
//! - Every rule has at least one prefilter pattern (anchors, or its own regex
//!   for rules that opt in with `anchorless = true`); the database reports
//!   pattern ids that index `Engine::patterns`.
//! - `window_radius` of a rule is an upper bound on its match length, so a
//!   window of that radius around an anchor hit contains the whole match.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use regex_automata::meta;
use smallvec::SmallVec;

use crate::anchors::derive_cased_anchors;
use crate::compat::RuleSet;
use crate::deferred::Deferred;
use crate::rules::{builtin_rules, Confidence, RuleError, RuleSpec};
use crate::utf16::Variant;
use crate::vectorscan::{escape_literal, Database, PatternFlags, VsPattern};

mod db_cache;
mod tuning;

use db_cache::{CachedBuild, RuleDerived};
pub use tuning::Tuning;

/// Source of [`Engine::id`]; starts at 1 so a fresh scratch (id 0) never matches.
static NEXT_ENGINE_ID: AtomicU64 = AtomicU64::new(1);

/// Public description of a loaded rule.
#[derive(Clone, Debug)]
pub struct RuleInfo {
    /// The rule's id (unique among the loaded rules).
    pub id: Arc<str>,
    /// The rule's human-readable name.
    pub name: Arc<str>,
    /// Anchors used to prefilter: as written when the rule's regex is
    /// case-sensitive throughout (matched exactly), else lowercase (matched
    /// in any case); empty for anchorless rules.
    pub anchors: Vec<String>,
    /// Where the rule came from.
    pub origin: String,
    /// Documentation links of the rule.
    pub references: Vec<String>,
    /// The rule's confidence (stated, or the default of
    /// [`RuleSpec::effective_confidence`]).
    pub confidence: Confidence,
    /// The rule's category ([`crate::DEFAULT_CATEGORY`] when it states none).
    pub category: Arc<str>,
    /// The vendor of the credential, when the rule names one.
    pub provider: Option<Arc<str>>,
}

/// A rule ready to confirm matches. Its regexes are compiled when first
/// used (see [`crate::deferred`]).
#[derive(Clone, Debug)]
pub(crate) struct CompiledRule {
    pub info: RuleInfo,
    pub regex: Arc<Deferred<meta::Regex>>,
    pub secret_group: usize,
    pub min_entropy: Option<f64>,
    /// Shared by every rule with the same allow pattern.
    pub allow: Vec<Arc<Deferred<regex::bytes::Regex>>>,
    /// Upper bound of the match length in bytes.
    pub window_radius: u64,
    /// Yields to specific rules reporting an overlapping secret.
    pub generic: bool,
    /// Runs the shared value gate (`crate::value_gate`) on the secret.
    pub value_gate: bool,
    /// Validator the secret must pass.
    pub checksum: Option<crate::checksum::Checksum>,
}

impl CompiledRule {
    /// The candidate window `[lo, hi)` of this rule around a prefilter hit
    /// ending at `end`. For an anchor of `len` bytes in a byte form of
    /// `width` bytes per code unit (`Some((len, width))`): `[end - radius,
    /// end - len + radius)` with `radius = window_radius * width`, which
    /// holds every match containing that anchor occurrence; near the buffer
    /// start the window starts at `end % width`, on the anchor's code-unit
    /// parity. For an anchorless rule's own regex (`None`): `[end -
    /// window_radius, end)`, saturating at 0.
    pub(crate) fn window(&self, end: u64, anchor: Option<(u64, u64)>) -> (u64, u64) {
        match anchor {
            Some((len, width)) => {
                let radius = self.window_radius * width;
                let lo = if end >= radius {
                    end - radius
                } else {
                    end % width
                };
                (lo, end - len + radius)
            }
            None => (end.saturating_sub(self.window_radius), end),
        }
    }
}

/// What a prefilter pattern id stands for.
#[derive(Debug)]
pub(crate) enum PatternTarget {
    /// A literal anchor, `len` bytes in the byte form `variant`, shared by
    /// these rules.
    Anchor {
        len: u64,
        rules: SmallVec<[u32; 2]>,
        variant: Variant,
    },
    /// An anchorless rule's own regex in prefilter mode.
    WholeRule { rule: u32 },
}

/// The immutable scanning engine. Build once, share everywhere.
///
/// ```
/// let engine = scanner_engine::Engine::builtin();
/// let findings = engine.scan_bytes(b"GITHUB_TOKEN=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\n");
/// assert_eq!(&*findings[0].rule_id, "github-pat-classic");
/// assert_eq!((findings[0].line, findings[0].column), (1, 14));
/// ```
#[derive(Debug)]
pub struct Engine {
    /// Process-unique identity, so a [`crate::Scratch`] notices a change of engine.
    pub(crate) id: u64,
    pub(crate) rules: Vec<CompiledRule>,
    pub(crate) patterns: Vec<PatternTarget>,
    pub(crate) raw_db: Database,
    /// The raw database without the UTF-16 forms, for buffers with no NUL
    /// byte (every UTF-16 form of an ASCII anchor has one); `None` when no
    /// rule has UTF-16 forms.
    pub(crate) raw_db_no_nul: Option<Database>,
    /// The same patterns in stream mode, for decoded bytes that arrive in chunks.
    pub(crate) stream_db: Database,
    /// Longest prefilter match: segment overlap for very large inputs.
    pub(crate) max_prefilter_width: u64,
    /// Every prefilter pattern is a literal anchor: a hit inside a buffer
    /// is a hit inside any concatenation holding it, so one scan over
    /// several buffers tells which can have matches (an anchorless rule's
    /// own regex might depend on where a buffer starts).
    pub(crate) literal_prefilter: bool,
    pub(crate) tuning: Tuning,
    pub(crate) database_cache: DatabaseCache,
}

/// What the on-disk database cache did for an engine (see
/// [`EngineBuilder::database_cache`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DatabaseCache {
    /// No cache folder was given.
    Off,
    /// The rule set was loaded from the cache: no compilation.
    Loaded,
    /// The rule set was compiled and stored in the cache.
    Stored,
    /// The rule set was compiled; storing it failed (the message says why).
    /// The engine is complete; only the next start-up is slower.
    NotStored(String),
    /// The rule set was compiled and not stored because rules were left
    /// out as invalid.
    Skipped,
}

/// Builder for [`Engine`]: choose rules and tuning.
///
/// ```
/// use scanner_engine::{Engine, Tuning, parse_rules_toml};
/// let extra = parse_rules_toml(r#"
/// [[rules]]
/// id = "acme-key"
/// name = "Acme API key"
/// regex = '''\b(acme_[a-z0-9]{16})\b'''
/// "#, "acme.toml").unwrap();
/// let engine = Engine::builder()
///     .builtin_rules(false)
///     .rules(extra)
///     .tuning(Tuning::default())
///     .build()
///     .unwrap();
/// assert_eq!(engine.scan_bytes(b"key: acme_0123456789abcdef").len(), 1);
/// ```
#[derive(Debug, Default)]
pub struct EngineBuilder {
    skip_builtin: bool,
    rules: Vec<RuleSpec>,
    /// Origins of rule-set sources added strict, and lenient: invalid
    /// rules of an origin only in `lenient` are left out by
    /// `build_with_skipped`.
    strict: BTreeSet<String>,
    lenient: BTreeSet<String>,
    tuning: Tuning,
    min_confidence: Confidence,
    cache_dir: Option<PathBuf>,
}

impl EngineBuilder {
    /// Leaves out rules whose confidence is below `level` (default
    /// [`Confidence::Low`]: all rules). They are not compiled, so they cost
    /// nothing at scan time and do not appear in [`Engine::rules`].
    pub fn min_confidence(mut self, level: Confidence) -> Self {
        self.min_confidence = level;
        self
    }

    /// Compiles the built-in rules (unless left out) followed by the added
    /// rules, without those below the minimum confidence.
    fn compile(self, skip_invalid: bool) -> Result<(Engine, Vec<RuleError>), RuleError> {
        let mut specs = if self.skip_builtin {
            Vec::new()
        } else {
            builtin_rules()?
        };
        specs.extend(self.rules);
        let min = self.min_confidence;
        specs.retain(|s| s.effective_confidence() >= min);
        Engine::compile(specs, self.tuning, skip_invalid, self.cache_dir)
    }

    /// Include the built-in rules (default `true`).
    pub fn builtin_rules(mut self, include: bool) -> Self {
        self.skip_builtin = !include;
        self
    }

    /// Uses the rules of `set` (which holds the built-in rules only if they
    /// were added to it: this leaves out the builder's own), remembering
    /// which of its sources are lenient for
    /// [`EngineBuilder::build_with_skipped`].
    pub fn rule_set(mut self, set: RuleSet) -> Self {
        let (rules, strict, lenient) = set.into_parts();
        self.skip_builtin = true;
        self.rules.extend(rules);
        self.strict.extend(strict);
        self.lenient.extend(lenient);
        self
    }

    /// Adds rules (e.g. from [`crate::parse_rules_toml`]).
    pub fn rules(mut self, rules: impl IntoIterator<Item = RuleSpec>) -> Self {
        self.rules.extend(rules);
        self
    }

    /// Sets the budgets.
    pub fn tuning(mut self, tuning: Tuning) -> Self {
        self.tuning = tuning;
        self
    }

    /// Keeps compiled rule sets in `dir` (created if missing): a build of
    /// a rule set cached there with the same tuning, engine and library
    /// loads it instead of compiling (tens of milliseconds instead of most
    /// of a second for the built-in rules), and its regexes are compiled
    /// only when a scan first needs them. A missing, corrupt or foreign
    /// cache file only means a compilation; [`Engine::database_cache`] says
    /// what happened. Off by default: the engine writes nothing unless
    /// asked.
    pub fn database_cache(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// Compiles the rules. Errors name the rule and the file it came from.
    pub fn build(self) -> Result<Engine, RuleError> {
        self.compile(false).map(|(engine, _)| engine)
    }

    /// Like [`EngineBuilder::build`], but an invalid rule (bad regex, no
    /// anchor, duplicate id, anchorless regex Vectorscan rejects) is left out
    /// instead of failing the build; the errors of the rules left out are
    /// returned with the engine, in load order. Fails only when no rule is
    /// left or the database itself cannot be built.
    pub fn build_skipping_invalid(self) -> Result<(Engine, Vec<RuleError>), RuleError> {
        self.compile(true)
    }

    /// Compiles the rules with the strictness of their sources (see
    /// [`RuleSet`]): an invalid rule of a lenient source is left out and
    /// its error returned with the engine, in load order; an invalid rule
    /// of any other source (strict, built-in, added with
    /// [`EngineBuilder::rules`]) fails the build, as with
    /// [`EngineBuilder::build`].
    pub fn build_with_skipped(self) -> Result<(Engine, Vec<RuleError>), RuleError> {
        let lenient: BTreeSet<String> = self.lenient.difference(&self.strict).cloned().collect();
        if lenient.is_empty() {
            return self.build().map(|e| (e, Vec::new()));
        }
        let (engine, skipped) = self.compile(true)?;
        if let Some(e) = skipped.iter().find(|e| !lenient.contains(e.origin())) {
            return Err(e.clone());
        }
        Ok((engine, skipped))
    }
}

impl Engine {
    /// The engine with all built-in rules and default tuning.
    ///
    /// Compiling the built-in rules takes about 0.6 s and 100 MiB at peak
    /// (without a database cache); build once and share the engine (it is
    /// `Send + Sync`), or use [`EngineBuilder::database_cache`] so later
    /// processes load the compiled rules in milliseconds. For a `Result`
    /// instead of a panic, use [`Engine::try_builtin`].
    ///
    /// # Panics
    /// Only if the embedded rule files are broken, which the test suite
    /// rules out, or the linked Vectorscan library fails its self-test
    /// ([`RuleError::Library`]).
    pub fn builtin() -> Engine {
        Engine::try_builtin().unwrap_or_else(|e| panic!("built-in rules failed to compile: {e}"))
    }

    /// The engine with all built-in rules and default tuning, or why it
    /// cannot be built: in practice only [`RuleError::Library`], when the
    /// linked Vectorscan library fails its known-answer self-test. A
    /// service that must not panic at start-up uses this instead of
    /// [`Engine::builtin`]. Same cost: about 0.6 s without a database
    /// cache (see [`EngineBuilder::database_cache`]).
    ///
    /// ```
    /// let engine = scanner_engine::Engine::try_builtin()?;
    /// assert_eq!(engine.rules().len(), scanner_engine::builtin_rules()?.len());
    /// # Ok::<(), scanner_engine::RuleError>(())
    /// ```
    pub fn try_builtin() -> Result<Engine, RuleError> {
        Engine::builder().build()
    }

    /// A builder to choose rules and tuning.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    /// The loaded rules, in load order.
    pub fn rules(&self) -> impl ExactSizeIterator<Item = &RuleInfo> {
        self.rules.iter().map(|r| &r.info)
    }

    /// The budgets this engine scans with.
    pub fn tuning(&self) -> &Tuning {
        &self.tuning
    }

    /// Whether this engine was loaded from, or stored in, the database
    /// cache.
    pub fn database_cache(&self) -> &DatabaseCache {
        &self.database_cache
    }

    /// Compiles `specs` (or loads them from the cache in `cache_dir`).
    /// With `skip_invalid`, rules that fail are left out and their errors
    /// returned; otherwise the first error is returned.
    fn compile(
        specs: Vec<RuleSpec>,
        tuning: Tuning,
        skip_invalid: bool,
        cache_dir: Option<PathBuf>,
    ) -> Result<(Engine, Vec<RuleError>), RuleError> {
        crate::vectorscan::self_test().map_err(|message| RuleError::Library { message })?;
        let cache = cache_dir.map(|dir| {
            let key = db_cache::key(&specs, &tuning);
            (dir, key)
        });
        let mut allow_pool = AllowPool::default();
        if let Some((dir, key)) = &cache {
            if let Some(engine) = db_cache::load(dir, *key)
                .and_then(|build| Engine::from_cache(&specs, &tuning, build, &mut allow_pool))
            {
                return Ok((engine, Vec::new()));
            }
        }
        let mut skipped = Vec::new();
        let mut seen: HashMap<String, String> = HashMap::new();
        // Each valid rule with its anchors and the index of its spec.
        let mut compiled = Vec::with_capacity(specs.len());
        for (spec_idx, spec) in specs.iter().enumerate() {
            let result = match seen.get(&spec.id) {
                Some(first) => Err(RuleError::DuplicateId {
                    rule_id: spec.id.clone(),
                    first_origin: first.clone(),
                    second_origin: spec.origin.clone(),
                }),
                None => compile_rule(spec, &tuning, &mut allow_pool),
            };
            match result {
                Ok((rule, derived)) => {
                    seen.insert(spec.id.clone(), spec.origin.clone());
                    compiled.push((spec_idx, rule, derived));
                }
                Err(e) if skip_invalid => skipped.push(e),
                Err(e) => return Err(e),
            }
        }
        // Assemble the database; in skipping mode an anchorless regex that
        // Vectorscan rejects is left out and the database built again.
        loop {
            let plan = Plan::new(&specs, &compiled, &tuning);
            match plan.compile_databases() {
                Ok(dbs) => {
                    let status = match &cache {
                        None => DatabaseCache::Off,
                        Some(_) if !skipped.is_empty() => DatabaseCache::Skipped,
                        Some((dir, key)) => {
                            let stored = CachedBuild::of(&compiled, &dbs)
                                .and_then(|build| db_cache::store(dir, *key, &build));
                            match stored {
                                Ok(()) => DatabaseCache::Stored,
                                Err(e) => DatabaseCache::NotStored(format!(
                                    "cannot store the compiled rules in {}: {e}",
                                    dir.display()
                                )),
                            }
                        }
                    };
                    return Ok((plan.finish(dbs, &tuning, status), skipped));
                }
                Err((Some(pos), e)) if skip_invalid => {
                    compiled.remove(pos);
                    skipped.push(e);
                }
                Err((_, e)) => return Err(e),
            }
        }
    }

    /// The engine of a cached build of `specs`, or `None` when the cached
    /// build does not fit them (then the rules are compiled).
    fn from_cache(
        specs: &[RuleSpec],
        tuning: &Tuning,
        build: CachedBuild,
        allow_pool: &mut AllowPool,
    ) -> Option<Engine> {
        if build.rules.len() != specs.len() {
            return None;
        }
        let compiled: Vec<_> = specs
            .iter()
            .zip(build.rules)
            .enumerate()
            .map(|(i, (spec, derived))| {
                let source = spec.expanded_regex().ok()?;
                let checksum = rule_checksum(spec).ok()?;
                let regex = Deferred::later(&source, compile_confirmation_regex);
                let rule = finish_rule(spec, &derived, checksum, regex, allow_pool.later(spec));
                Some((i, rule, derived))
            })
            .collect::<Option<_>>()?;
        let plan = Plan::new(specs, &compiled, tuning);
        let load = |bytes: &[u8]| Database::deserialize(bytes).ok();
        let dbs = Databases {
            raw: load(&build.raw_db)?,
            raw_no_nul: match &build.raw_db_no_nul {
                Some(b) => Some(load(b)?),
                None => None,
            },
            stream: load(&build.stream_db)?,
        };
        if dbs.raw_no_nul.is_some() != plan.has_utf16_forms() {
            return None;
        }
        Some(plan.finish(dbs, tuning, DatabaseCache::Loaded))
    }
}

/// The compiled allow regexes, one per distinct pattern (rule files repeat
/// the same placeholder lists).
#[derive(Default)]
struct AllowPool {
    by_pattern: HashMap<String, Arc<Deferred<regex::bytes::Regex>>>,
}

fn compile_allow_regex(pattern: &str) -> Result<regex::bytes::Regex, String> {
    regex::bytes::Regex::new(pattern).map_err(|e| e.to_string())
}

impl AllowPool {
    /// The rule's allow regexes, compiled now (errors name the rule).
    fn compiled(
        &mut self,
        spec: &RuleSpec,
    ) -> Result<Vec<Arc<Deferred<regex::bytes::Regex>>>, RuleError> {
        let mut out = Vec::with_capacity(spec.allow.len());
        for a in &spec.allow {
            if let Some(d) = self.by_pattern.get(a) {
                out.push(Arc::clone(d));
                continue;
            }
            let regex = compile_allow_regex(a)
                .map_err(|e| RuleError::invalid(spec, format!("invalid allow regex `{a}`: {e}")))?;
            let d = Arc::new(Deferred::ready(a, regex, compile_allow_regex));
            self.by_pattern.insert(a.clone(), Arc::clone(&d));
            out.push(d);
        }
        Ok(out)
    }

    /// The rule's allow regexes, compiled on first use.
    fn later(&mut self, spec: &RuleSpec) -> Vec<Arc<Deferred<regex::bytes::Regex>>> {
        spec.allow
            .iter()
            .map(|a| {
                Arc::clone(
                    self.by_pattern
                        .entry(a.clone())
                        .or_insert_with(|| Arc::new(Deferred::later(a, compile_allow_regex))),
                )
            })
            .collect()
    }
}

/// The prefilter patterns of a set of compiled rules, before the databases
/// are built (or loaded).
struct Plan<'s> {
    rules: Vec<CompiledRule>,
    patterns: Vec<PatternTarget>,
    vs_patterns: Vec<VsPattern>,
    /// Anchorless rules: index in `rules` and spec.
    whole_rule_patterns: Vec<(u32, &'s RuleSpec)>,
}

/// The three databases of an engine.
struct Databases {
    raw: Database,
    raw_no_nul: Option<Database>,
    stream: Database,
}

impl CachedBuild {
    /// The cache entry of a successful compilation.
    fn of(
        compiled: &[(usize, CompiledRule, RuleDerived)],
        dbs: &Databases,
    ) -> std::io::Result<CachedBuild> {
        let ser = |db: &Database| {
            db.serialize()
                .map_err(|e| std::io::Error::other(format!("cannot serialise a database: {e}")))
        };
        Ok(CachedBuild {
            rules: compiled.iter().map(|(_, _, d)| d.clone()).collect(),
            raw_db: ser(&dbs.raw)?,
            raw_db_no_nul: dbs.raw_no_nul.as_ref().map(ser).transpose()?,
            stream_db: ser(&dbs.stream)?,
        })
    }
}

impl<'s> Plan<'s> {
    /// The patterns of `compiled` (rules with their spec index and derived
    /// data), in a deterministic order: anchors sorted, each in its byte
    /// forms, then the anchorless rules' regexes.
    fn new(
        specs: &'s [RuleSpec],
        compiled: &[(usize, CompiledRule, RuleDerived)],
        tuning: &Tuning,
    ) -> Plan<'s> {
        let mut rules = Vec::with_capacity(compiled.len());
        // Keyed by literal and whether it is matched case-sensitively.
        let mut anchor_rules: HashMap<(Vec<u8>, bool), SmallVec<[u32; 2]>> = HashMap::new();
        let mut whole_rule_patterns = Vec::new();
        for (spec_idx, rule, derived) in compiled {
            let rule_idx = rules.len() as u32;
            if derived.anchors.is_empty() {
                whole_rule_patterns.push((rule_idx, &specs[*spec_idx]));
            }
            for a in &derived.anchors {
                let entry = anchor_rules
                    .entry((a.clone(), derived.anchors_exact))
                    .or_default();
                if !entry.contains(&rule_idx) {
                    entry.push(rule_idx);
                }
            }
            rules.push(rule.clone());
        }

        let mut anchors: Vec<_> = anchor_rules.into_iter().collect();
        anchors.sort();
        let mut patterns = Vec::new();
        let mut vs_patterns = Vec::new();
        for ((lit, exact), rule_ids) in anchors {
            for variant in Variant::ALL {
                // UTF-16 forms only for ASCII anchors (a byte-wise widening of
                // UTF-8 would not be UTF-16).
                if variant != Variant::Raw && !(tuning.scan_utf16 && lit.is_ascii()) {
                    continue;
                }
                let bytes = variant.encode_literal(&lit);
                vs_patterns.push(VsPattern {
                    expression: escape_literal(&bytes),
                    flags: PatternFlags {
                        caseless: !exact,
                        ..Default::default()
                    },
                    id: patterns.len() as u32,
                });
                patterns.push(PatternTarget::Anchor {
                    len: bytes.len() as u64,
                    rules: rule_ids.clone(),
                    variant,
                });
            }
        }
        for (rule_idx, spec) in &whole_rule_patterns {
            vs_patterns.push(VsPattern {
                // Compiled rules have a valid expansion.
                expression: spec
                    .expanded_regex()
                    .map_or_else(|_| spec.regex.clone(), |r| r.into_owned()),
                flags: PatternFlags {
                    prefilter: true,
                    utf8: true,
                    ..Default::default()
                },
                id: patterns.len() as u32,
            });
            patterns.push(PatternTarget::WholeRule { rule: *rule_idx });
        }
        Plan {
            rules,
            patterns,
            vs_patterns,
            whole_rule_patterns,
        }
    }

    /// Whether some pattern is a UTF-16 form (then the engine has a second
    /// raw database without them, for buffers with no NUL byte).
    fn has_utf16_forms(&self) -> bool {
        self.patterns
            .iter()
            .any(|p| matches!(p, PatternTarget::Anchor { variant, .. } if *variant != Variant::Raw))
    }

    /// Builds the databases. On failure, returns the error and, when one
    /// anchorless rule is at fault, its position in `rules`.
    fn compile_databases(&self) -> Result<Databases, (Option<usize>, RuleError)> {
        if self.rules.is_empty() {
            return Err((
                None,
                RuleError::Database {
                    message: "no rules to compile".into(),
                },
            ));
        }
        // A compile error names the anchorless rule at fault (its index in
        // `rules`, which is its position in `compiled`) when there is one.
        let name_error = |e: crate::vectorscan::CompileError| match e
            .pattern_index
            .and_then(|i| self.patterns.get(i))
        {
            Some(PatternTarget::WholeRule { rule }) => {
                match self.whole_rule_patterns.iter().find(|(r, _)| r == rule) {
                    Some((_, spec)) => (
                        Some(*rule as usize),
                        RuleError::invalid(
                            spec,
                            format!(
                                "Vectorscan cannot compile this anchorless regex: {}",
                                e.message
                            ),
                        ),
                    ),
                    None => (None, RuleError::Database { message: e.message }),
                }
            }
            _ => (None, RuleError::Database { message: e.message }),
        };
        let raw = Database::compile_block(&self.vs_patterns).map_err(name_error)?;
        let raw_no_nul = if self.has_utf16_forms() {
            let ascii_only: Vec<VsPattern> = self
                .vs_patterns
                .iter()
                .filter(|p| !matches!(&self.patterns[p.id as usize], PatternTarget::Anchor { variant, .. } if *variant != Variant::Raw))
                .cloned()
                .collect();
            Some(Database::compile_block(&ascii_only).map_err(name_error)?)
        } else {
            None
        };
        let stream = Database::compile_stream(&self.vs_patterns).map_err(name_error)?;
        Ok(Databases {
            raw,
            raw_no_nul,
            stream,
        })
    }

    /// The engine of these patterns and databases.
    fn finish(self, dbs: Databases, tuning: &Tuning, database_cache: DatabaseCache) -> Engine {
        let rules = self.rules;
        let max_prefilter_width = self
            .patterns
            .iter()
            .map(|p| match p {
                PatternTarget::Anchor { len, .. } => *len,
                PatternTarget::WholeRule { rule } => rules[*rule as usize].window_radius,
            })
            .max()
            .unwrap_or(0);
        let literal_prefilter = self
            .patterns
            .iter()
            .all(|p| matches!(p, PatternTarget::Anchor { .. }));
        Engine {
            id: NEXT_ENGINE_ID.fetch_add(1, Ordering::Relaxed),
            rules,
            patterns: self.patterns,
            raw_db: dbs.raw,
            raw_db_no_nul: dbs.raw_no_nul,
            stream_db: dbs.stream,
            max_prefilter_width,
            literal_prefilter,
            tuning: tuning.clone(),
            database_cache,
        }
    }
}

/// The regex that confirms a rule's matches, compiled in ASCII mode when it
/// can be: `\w`, `\d`, `\s`, `\b` and `(?i)` cover ASCII, and `.` and
/// negated classes match any byte but a newline. Secrets are ASCII, and
/// the Unicode forms of these classes cost about a third of the memory and
/// startup time of the built-in rule set. A regex that needs Unicode (a
/// `\p{..}` class, say) is compiled with Unicode.
fn compile_confirmation_regex(pattern: &str) -> Result<meta::Regex, String> {
    let ascii = regex_automata::util::syntax::Config::new()
        .unicode(false)
        .utf8(false);
    if let Ok(regex) = meta::Regex::builder().syntax(ascii).build(pattern) {
        return Ok(regex);
    }
    meta::Regex::builder()
        .build(pattern)
        .map_err(|e| e.to_string())
}

/// Compiles one rule (its regexes now, to validate them); returns it with
/// what was derived from it (anchors, empty for anchorless rules).
fn compile_rule(
    spec: &RuleSpec,
    tuning: &Tuning,
    allow_pool: &mut AllowPool,
) -> Result<(CompiledRule, RuleDerived), RuleError> {
    if spec.id.trim().is_empty() {
        return Err(RuleError::invalid(spec, "rule id is empty"));
    }
    let source = spec
        .expanded_regex()
        .map_err(|e| RuleError::invalid(spec, e))?;
    let hir = regex_syntax::parse(&source)
        .map_err(|e| RuleError::invalid(spec, format!("invalid regex: {e}")))?;
    let regex = compile_confirmation_regex(&source)
        .map_err(|e| RuleError::invalid(spec, format!("invalid regex: {e}")))?;
    let checksum = rule_checksum(spec)?;
    let groups = regex.captures_len();
    let secret_group = spec.secret_group.unwrap_or(if groups > 1 { 1 } else { 0 });
    if secret_group >= groups {
        return Err(RuleError::invalid(
            spec,
            format!(
                "secret_group = {secret_group}, but the regex has only {} capture group(s)",
                groups - 1
            ),
        ));
    }
    if let Some(e) = spec.min_entropy {
        if !(0.0..=8.0).contains(&e) {
            return Err(RuleError::invalid(
                spec,
                format!("min_entropy = {e} is outside 0..=8 bits per byte"),
            ));
        }
    }
    let allow = allow_pool.compiled(spec)?;

    // Keywords and provider names are matched without regard to case;
    // anchors derived from a regex that is case-sensitive throughout are
    // matched exactly.
    let mut anchors_exact = false;
    let anchors = match &spec.keywords {
        Some(kws) => {
            let mut lits = Vec::new();
            for k in kws {
                if k.len() < crate::anchors::MIN_ANCHOR_LEN {
                    return Err(RuleError::invalid(
                        spec,
                        format!(
                            "keyword `{k}` is shorter than {} bytes and would match almost everywhere",
                            crate::anchors::MIN_ANCHOR_LEN
                        ),
                    ));
                }
                lits.push(k.as_bytes().to_ascii_lowercase());
            }
            if lits.is_empty() && !spec.anchorless {
                return Err(RuleError::invalid(spec, "keywords = [] leaves the rule without anchors"));
            }
            // Keywords that are exactly the literals derived from a regex
            // that is case-sensitive throughout are matched in that case.
            let mut sorted = lits.clone();
            sorted.sort();
            sorted.dedup();
            match derive_cased_anchors(&hir) {
                Some(derived) if derived.exact && derived.clone().caseless() == sorted => {
                    anchors_exact = true;
                    derived.literals
                }
                _ => lits,
            }
        }
        None if crate::context::is_context_rule(spec) => {
            crate::context::name_anchors(spec).map_err(|e| RuleError::invalid(spec, e))?
        }
        None => match derive_cased_anchors(&hir) {
            Some(derived) => {
                anchors_exact = derived.exact;
                derived.literals
            }
            None if spec.anchorless => Vec::new(),
            None => {
                return Err(RuleError::invalid(
                    spec,
                    "no literal anchor of 3+ bytes can be derived from the regex; add `keywords` \
                     that occur in every match, or set `anchorless = true` to prefilter with the regex itself",
                ))
            }
        },
    };

    let max_len = hir.properties().maximum_len();
    let window_radius = match max_len {
        Some(m) => spec.max_width.map_or(m, |w| w.min(m)),
        None => spec.max_width.unwrap_or(tuning.default_max_width),
    } as u64;

    let derived = RuleDerived {
        anchors,
        anchors_exact,
        window_radius,
        secret_group,
    };
    let regex = Deferred::ready(&source, regex, compile_confirmation_regex);
    let rule = finish_rule(spec, &derived, checksum, regex, allow);
    Ok((rule, derived))
}

/// The validator the rule names in `checksum`, if any.
fn rule_checksum(spec: &RuleSpec) -> Result<Option<crate::checksum::Checksum>, RuleError> {
    let Some(name) = spec.checksum.as_deref() else {
        return Ok(None);
    };
    crate::checksum::Checksum::from_name(name)
        .map(Some)
        .ok_or_else(|| {
            RuleError::invalid(
                spec,
                format!(
                    "unknown checksum `{name}`: expected one of {}",
                    crate::checksum::Checksum::NAMES.join(", ")
                ),
            )
        })
}

/// The rule of `spec` with its derived data, checksum and regexes
/// (compiled or not).
fn finish_rule(
    spec: &RuleSpec,
    derived: &RuleDerived,
    checksum: Option<crate::checksum::Checksum>,
    regex: Deferred<meta::Regex>,
    allow: Vec<Arc<Deferred<regex::bytes::Regex>>>,
) -> CompiledRule {
    let info = RuleInfo {
        id: spec.id.as_str().into(),
        name: spec.name.as_str().into(),
        anchors: derived
            .anchors
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect(),
        origin: spec.origin.clone(),
        references: spec.references.clone(),
        confidence: spec.effective_confidence(),
        category: spec.effective_category().into(),
        provider: spec.provider.as_deref().map(Into::into),
    };
    CompiledRule {
        info,
        regex: Arc::new(regex),
        secret_group: derived.secret_group,
        min_entropy: spec.min_entropy,
        allow,
        window_radius: derived.window_radius,
        generic: spec.generic,
        value_gate: spec.effective_value_gate(),
        checksum,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Findings of every example of every built-in rule, as comparable text.
    fn example_findings(engine: &Engine) -> Vec<String> {
        let mut out = Vec::new();
        for spec in builtin_rules().unwrap() {
            for ex in spec.examples.iter().chain(&spec.negative_examples) {
                for f in engine.scan_bytes(ex.as_bytes()) {
                    out.push(format!("{ex:?} {} {}..{}", f.rule_id, f.start, f.end));
                }
            }
        }
        out
    }

    #[test]
    fn database_cache_loads_what_it_stored_and_survives_damage() {
        let dir = tempfile::tempdir().unwrap();
        let build = || {
            Engine::builder()
                .database_cache(dir.path())
                .build()
                .unwrap()
        };
        let fresh = Engine::builder().build().unwrap();
        assert_eq!(fresh.database_cache(), &DatabaseCache::Off);
        let first = build();
        assert_eq!(first.database_cache(), &DatabaseCache::Stored);
        let second = build();
        assert_eq!(second.database_cache(), &DatabaseCache::Loaded);
        // Loaded rules compile their regexes only when a scan needs them.
        assert!(second.rules.iter().all(|r| !r.regex.is_compiled()));
        assert_eq!(second.rules().count(), fresh.rules().count());
        for (a, b) in second.rules().zip(fresh.rules()) {
            assert_eq!((&a.id, &a.anchors), (&b.id, &b.anchors));
        }
        let expected = example_findings(&fresh);
        assert!(expected.len() > 1000, "{}", expected.len());
        assert_eq!(example_findings(&second), expected);

        // A damaged file is a miss: the rules are compiled and stored again.
        let file = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "db"))
            .unwrap();
        let mut bytes = std::fs::read(&file).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x40;
        std::fs::write(&file, &bytes).unwrap();
        let third = build();
        assert_eq!(third.database_cache(), &DatabaseCache::Stored);
        assert_eq!(example_findings(&third), expected);
        assert_eq!(build().database_cache(), &DatabaseCache::Loaded);

        // Other tuning is another entry.
        let other = Engine::builder()
            .database_cache(dir.path())
            .tuning(Tuning::default().with_scan_utf16(false))
            .build()
            .unwrap();
        assert_eq!(other.database_cache(), &DatabaseCache::Stored);
    }

    #[test]
    fn unwritable_cache_folder_still_builds() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, b"x").unwrap();
        let engine = Engine::builder()
            .builtin_rules(false)
            .rules(
                crate::parse_rules_toml(
                    "[[rules]]\nid='a'\nname='A'\nregex='abc_[0-9]{4}'\n",
                    "t.toml",
                )
                .unwrap(),
            )
            .database_cache(blocker.join("sub"))
            .build()
            .unwrap();
        assert!(
            matches!(engine.database_cache(), DatabaseCache::NotStored(m) if m.contains("sub"))
        );
        assert_eq!(engine.scan_bytes(b"x abc_1234").len(), 1);
    }

    #[test]
    fn confirmation_regexes_are_ascii_unless_they_need_unicode() {
        // ASCII mode: `\w` stops at a non-ASCII letter, `[^\s]` takes any
        // byte, invalid UTF-8 included.
        let r = compile_confirmation_regex(r"key=(\w+)").unwrap();
        let m = r.find(b"key=abc\xc3\xa9def").unwrap();
        assert_eq!(m.range(), 0..7);
        let r = compile_confirmation_regex(r"key=([^\s]+)").unwrap();
        assert_eq!(r.find(b"key=a\xffb c").unwrap().range(), 0..7);
        // A Unicode class falls back to Unicode mode instead of failing.
        let r = compile_confirmation_regex(r"name=(\p{L}+)").unwrap();
        assert_eq!(r.find("name=été!".as_bytes()).unwrap().range(), 0..10);
        assert!(compile_confirmation_regex("(").is_err());
    }
}
