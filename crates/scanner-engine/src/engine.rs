//! The compiled, immutable [`Engine`]: rules turned into regexes plus one
//! Vectorscan block database of their anchors, and the [`Tuning`] budgets.
//!
//! Invariants:
//! - An `Engine` never changes after `build()`; it is `Send + Sync` and is
//!   shared by every worker thread. All mutable state lives in [`Scratch`].
//! - Every rule has at least one prefilter pattern (anchors, or its own regex
//!   for rules that opt in with `anchorless = true`); the database reports
//!   pattern ids that index `Engine::patterns`.
//! - `window_radius` of a rule is an upper bound on its match length, so a
//!   window of that radius around an anchor hit contains the whole match.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use regex_automata::meta;
use smallvec::SmallVec;

use crate::anchors::derive_anchors;
use crate::finding::Finding;
use crate::rules::{builtin_rules, Confidence, RuleError, RuleSpec};
use crate::scratch::Scratch;
use crate::transform::TransformConfig;
use crate::utf16::Variant;
use crate::vectorscan::{escape_literal, Database, PatternFlags, VsPattern};

/// Source of [`Engine::id`]; starts at 1 so a fresh scratch (id 0) never matches.
static NEXT_ENGINE_ID: AtomicU64 = AtomicU64::new(1);

/// Budgets and limits of a scan. Every buffer the engine grows is capped by
/// one of these.
#[derive(Clone, Debug, PartialEq)]
pub struct Tuning {
    /// Most candidate windows kept per rule per scanned buffer. A rule whose
    /// anchors hit more often is confirmed by one regex pass over the whole
    /// buffer instead (counted in [`ScanStats::rules_fully_scanned`](crate::ScanStats::rules_fully_scanned)).
    /// Default 4096.
    pub max_windows_per_rule: usize,
    /// Match length assumed for a rule whose regex has unbounded repetition
    /// and no `max_width`. Default 512 bytes.
    pub default_max_width: usize,
    /// Most findings reported per scan call; the rest are counted in
    /// [`ScanStats::findings_dropped`](crate::ScanStats::findings_dropped). Default 10,000.
    pub max_findings_per_scan: usize,
    /// Encodings looked inside, with their per-transform limits. Default:
    /// Base64 and URL percent-encoding (see `docs/transforms.md`).
    pub transforms: Vec<TransformConfig>,
    /// Deepest nesting of encodings decoded (e.g. 2 for Base64 inside a URL);
    /// 0 disables decoding. Default 3.
    pub max_transform_depth: usize,
    /// Decoded bytes one scan call may produce in total, across all spans
    /// and depths; it also bounds the copies of queued nested spans. Spans
    /// beyond it are counted in [`ScanStats::decode_aborted`](crate::ScanStats::decode_aborted). Default 64 MiB.
    pub max_total_decoded_bytes: usize,
    /// Most encoded spans waiting to be decoded. Spans in the root input are
    /// found piece by piece and the queue is drained whenever it is half
    /// full, so none is dropped; nested spans found while the queue is full
    /// are counted in [`ScanStats::spans_dropped`](crate::ScanStats::spans_dropped).
    /// Default 4096.
    pub max_decode_queue: usize,
    /// Capacity of the set of decoded-output digests used to skip repeats.
    /// Default 4096.
    pub dedupe_capacity: usize,
    /// Encoded spans at least this long are decoded by the streaming path
    /// (ring buffer, Vectorscan stream, timing wheel); shorter ones are
    /// decoded whole and scanned as a buffer. 0 streams every span.
    /// Default 4096 bytes.
    pub stream_decode_min_len: usize,
    /// Capacity of the streaming path's ring of recent decoded bytes.
    /// Default 64 KiB.
    pub decode_ring_bytes: usize,
    /// Most candidate windows waiting on the timing wheel in one span; more
    /// send the span to the full-decode fallback. Default 4096.
    pub max_pending_windows: usize,
    /// Also look for secrets in UTF-16LE and UTF-16BE text (anchors are
    /// compiled in both byte forms too). Default true.
    pub scan_utf16: bool,
    /// Bytes a [`crate::StreamScanner`] keeps between rounds: encoded spans
    /// up to this long are decoded whole across chunk boundaries. Raised to
    /// the least safe value for the rule set (four times the widest rule plus
    /// context) when smaller. Default 64 KiB.
    pub stream_overlap: usize,
    /// New bytes a [`crate::StreamScanner`] gathers before scanning a
    /// round. Default 1 MiB.
    pub stream_step: usize,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            max_windows_per_rule: 4096,
            default_max_width: 512,
            max_findings_per_scan: 10_000,
            transforms: crate::decode::default_transforms(),
            max_transform_depth: 3,
            max_total_decoded_bytes: 64 << 20,
            max_decode_queue: 4096,
            dedupe_capacity: 4096,
            stream_decode_min_len: 4096,
            decode_ring_bytes: 64 << 10,
            max_pending_windows: 4096,
            scan_utf16: true,
            stream_overlap: 64 << 10,
            stream_step: 1 << 20,
        }
    }
}

/// Public description of a loaded rule.
#[derive(Clone, Debug)]
pub struct RuleInfo {
    pub id: Arc<str>,
    pub name: Arc<str>,
    /// Anchors used to prefilter (lowercase); empty for anchorless rules.
    pub anchors: Vec<String>,
    /// Where the rule came from.
    pub origin: String,
    pub references: Vec<String>,
    /// The rule's confidence (stated, or the default of
    /// [`RuleSpec::effective_confidence`]).
    pub confidence: Confidence,
    /// The rule's category ([`crate::DEFAULT_CATEGORY`] when it states none).
    pub category: Arc<str>,
    /// The vendor of the credential, when the rule names one.
    pub provider: Option<Arc<str>>,
}

/// A rule ready to confirm matches.
#[derive(Clone, Debug)]
pub(crate) struct CompiledRule {
    pub info: RuleInfo,
    pub regex: meta::Regex,
    pub secret_group: usize,
    pub min_entropy: Option<f64>,
    pub allow: Vec<regex::bytes::Regex>,
    /// Upper bound of the match length in bytes.
    pub window_radius: u64,
    /// Yields to specific rules reporting an overlapping secret.
    pub generic: bool,
    /// Runs the shared value gate (`crate::value_gate`) on the secret.
    pub value_gate: bool,
    /// Validator the secret must pass.
    pub checksum: Option<crate::checksum::Checksum>,
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
/// let findings = engine.scan_bytes(b"GITHUB_TOKEN=ghp_R7vX2kq9LmN4pT8sW1yZ3bC6dF0gH5jK2aQe\n");
/// assert_eq!(&*findings[0].rule_id, "github-pat-classic");
/// assert_eq!((findings[0].line, findings[0].column), (1, 14));
/// ```
#[derive(Debug)]
pub struct Engine {
    /// Process-unique identity, so a [`Scratch`] notices a change of engine.
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
    pub(crate) tuning: Tuning,
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
    tuning: Tuning,
    min_confidence: Confidence,
}

impl EngineBuilder {
    /// Leaves out rules whose confidence is below `level` (default
    /// [`Confidence::Low`]: all rules). They are not compiled, so they cost
    /// nothing at scan time and do not appear in [`Engine::rules`].
    pub fn min_confidence(mut self, level: Confidence) -> Self {
        self.min_confidence = level;
        self
    }

    /// The built-in rules (unless left out) followed by the added rules,
    /// without those below the minimum confidence.
    fn specs(self) -> Result<(Vec<RuleSpec>, Tuning), RuleError> {
        let mut specs = if self.skip_builtin {
            Vec::new()
        } else {
            builtin_rules()?
        };
        specs.extend(self.rules);
        let min = self.min_confidence;
        specs.retain(|s| s.effective_confidence() >= min);
        Ok((specs, self.tuning))
    }

    /// Include the built-in rules (default `true`).
    pub fn builtin_rules(mut self, include: bool) -> Self {
        self.skip_builtin = !include;
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

    /// Compiles the rules. Errors name the rule and the file it came from.
    pub fn build(self) -> Result<Engine, RuleError> {
        let (specs, tuning) = self.specs()?;
        Engine::compile(specs, tuning, false).map(|(engine, _)| engine)
    }

    /// Like [`EngineBuilder::build`], but an invalid rule (bad regex, no
    /// anchor, duplicate id, anchorless regex Vectorscan rejects) is left out
    /// instead of failing the build; the errors of the rules left out are
    /// returned with the engine, in load order. Fails only when no rule is
    /// left or the database itself cannot be built.
    pub fn build_skipping_invalid(self) -> Result<(Engine, Vec<RuleError>), RuleError> {
        let (specs, tuning) = self.specs()?;
        Engine::compile(specs, tuning, true)
    }
}

impl Engine {
    /// The engine with all built-in rules and default tuning.
    ///
    /// # Panics
    /// Only if the embedded rule files are broken, which the test suite rules out.
    pub fn builtin() -> Engine {
        Engine::builder()
            .build()
            .unwrap_or_else(|e| panic!("built-in rules failed to compile: {e}"))
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

    /// A fresh scratch space for [`Engine::scan_bytes_with`].
    pub fn new_scratch(&self) -> Scratch {
        Scratch::new()
    }

    /// Scans `input` and returns all its findings ordered by position.
    /// `Tuning::max_findings_per_scan` does not apply: the caller receives
    /// every finding (use [`Engine::scan_bytes_with`] to cap them and see
    /// the counters).
    pub fn scan_bytes(&self, input: &[u8]) -> Vec<Finding> {
        let mut scratch = self.new_scratch();
        scratch.uncapped = true;
        let mut out = Vec::new();
        self.scan_bytes_with(&mut scratch, input, &mut |f| out.push(f));
        out
    }

    /// Scans `input` reusing `scratch`, passing findings (ordered by
    /// position) to `sink`. After the scratch has warmed up, a scan allocates
    /// nothing except the findings it reports.
    pub fn scan_bytes_with(
        &self,
        scratch: &mut Scratch,
        input: &[u8],
        sink: &mut impl FnMut(Finding),
    ) {
        crate::raw_pass::scan(self, scratch, input, sink);
    }

    /// Scans without the Vectorscan prefilter: every rule's regex runs over
    /// the whole input. Slow; it exists as the reference the prefiltered scan
    /// is tested against (both must report the same findings).
    #[doc(hidden)]
    pub fn scan_bytes_unfiltered(&self, input: &[u8]) -> Vec<Finding> {
        let mut scratch = self.new_scratch();
        let mut out = Vec::new();
        crate::raw_pass::scan_with(
            self,
            &mut scratch,
            input,
            crate::raw_pass::Prefilter::Off,
            &mut |f| out.push(f),
        );
        out
    }

    /// Like [`Engine::scan_bytes`], with the prefilter run over segments of at
    /// most `segment_len` bytes, as happens for inputs over 4 GiB. For tests.
    #[doc(hidden)]
    pub fn scan_bytes_segmented(&self, input: &[u8], segment_len: usize) -> Vec<Finding> {
        let mut scratch = self.new_scratch();
        let mut out = Vec::new();
        let prefilter = crate::raw_pass::Prefilter::Anchors { segment_len };
        crate::raw_pass::scan_with(self, &mut scratch, input, prefilter, &mut |f| out.push(f));
        out
    }

    /// Compiles `specs`. With `skip_invalid`, rules that fail are left out
    /// and their errors returned; otherwise the first error is returned.
    fn compile(
        specs: Vec<RuleSpec>,
        tuning: Tuning,
        skip_invalid: bool,
    ) -> Result<(Engine, Vec<RuleError>), RuleError> {
        crate::vectorscan::self_test().map_err(|message| RuleError::Library { message })?;
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
                None => compile_rule(spec, &tuning),
            };
            match result {
                Ok((rule, anchors)) => {
                    seen.insert(spec.id.clone(), spec.origin.clone());
                    compiled.push((spec_idx, rule, anchors));
                }
                Err(e) if skip_invalid => skipped.push(e),
                Err(e) => return Err(e),
            }
        }
        // Assemble the database; in skipping mode an anchorless regex that
        // Vectorscan rejects is left out and the database built again.
        loop {
            match Engine::assemble(&specs, &compiled, &tuning) {
                Ok(engine) => return Ok((engine, skipped)),
                Err((Some(pos), e)) if skip_invalid => {
                    compiled.remove(pos);
                    skipped.push(e);
                }
                Err((_, e)) => return Err(e),
            }
        }
    }

    /// Builds the engine from compiled rules. On failure, returns the error
    /// and, when one anchorless rule is at fault, its position in `compiled`.
    #[allow(clippy::type_complexity)]
    fn assemble(
        specs: &[RuleSpec],
        compiled: &[(usize, CompiledRule, Vec<Vec<u8>>)],
        tuning: &Tuning,
    ) -> Result<Engine, (Option<usize>, RuleError)> {
        if compiled.is_empty() {
            return Err((
                None,
                RuleError::Database {
                    message: "no rules to compile".into(),
                },
            ));
        }
        let mut rules = Vec::with_capacity(compiled.len());
        let mut anchor_rules: HashMap<Vec<u8>, SmallVec<[u32; 2]>> = HashMap::new();
        let mut whole_rule_patterns = Vec::new();
        for (spec_idx, rule, anchors) in compiled {
            let rule_idx = rules.len() as u32;
            if anchors.is_empty() {
                whole_rule_patterns.push((rule_idx, &specs[*spec_idx]));
            }
            for a in anchors {
                let entry = anchor_rules.entry(a.clone()).or_default();
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
        for (lit, rule_ids) in anchors {
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
                        caseless: true,
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
                expression: spec.regex.clone(),
                flags: PatternFlags {
                    prefilter: true,
                    utf8: true,
                    ..Default::default()
                },
                id: patterns.len() as u32,
            });
            patterns.push(PatternTarget::WholeRule { rule: *rule_idx });
        }
        // A compile error names the anchorless rule at fault (its index in
        // `rules`, which is its position in `compiled`) when there is one.
        let name_error = |e: crate::vectorscan::CompileError| match e
            .pattern_index
            .and_then(|i| patterns.get(i))
        {
            Some(PatternTarget::WholeRule { rule }) => {
                match whole_rule_patterns.iter().find(|(r, _)| r == rule) {
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
        let raw_db = Database::compile_block(&vs_patterns).map_err(name_error)?;
        let ascii_only: Vec<VsPattern> = vs_patterns
            .iter()
            .filter(|p| !matches!(&patterns[p.id as usize], PatternTarget::Anchor { variant, .. } if *variant != Variant::Raw))
            .cloned()
            .collect();
        let raw_db_no_nul = if ascii_only.len() < vs_patterns.len() {
            Some(Database::compile_block(&ascii_only).map_err(name_error)?)
        } else {
            None
        };
        let stream_db = Database::compile_stream(&vs_patterns).map_err(name_error)?;
        let max_prefilter_width = patterns
            .iter()
            .map(|p| match p {
                PatternTarget::Anchor { len, .. } => *len,
                PatternTarget::WholeRule { rule } => rules[*rule as usize].window_radius,
            })
            .max()
            .unwrap_or(0);
        Ok(Engine {
            id: NEXT_ENGINE_ID.fetch_add(1, Ordering::Relaxed),
            rules,
            patterns,
            raw_db,
            raw_db_no_nul,
            stream_db,
            max_prefilter_width,
            tuning: tuning.clone(),
        })
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

/// Compiles one rule; returns it with its anchors (empty for anchorless rules).
fn compile_rule(
    spec: &RuleSpec,
    tuning: &Tuning,
) -> Result<(CompiledRule, Vec<Vec<u8>>), RuleError> {
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
    let checksum = match spec.checksum.as_deref() {
        None => None,
        Some(name) => Some(crate::checksum::Checksum::from_name(name).ok_or_else(|| {
            RuleError::invalid(
                spec,
                format!(
                    "unknown checksum `{name}`: expected one of {}",
                    crate::checksum::Checksum::NAMES.join(", ")
                ),
            )
        })?),
    };
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
    let allow = spec
        .allow
        .iter()
        .map(|a| {
            regex::bytes::Regex::new(a)
                .map_err(|e| RuleError::invalid(spec, format!("invalid allow regex `{a}`: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;

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
            lits
        }
        None if crate::context::is_context_rule(spec) => {
            crate::context::name_anchors(spec).map_err(|e| RuleError::invalid(spec, e))?
        }
        None => match derive_anchors(&hir) {
            Some(lits) => lits,
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

    let info = RuleInfo {
        id: spec.id.as_str().into(),
        name: spec.name.as_str().into(),
        anchors: anchors
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect(),
        origin: spec.origin.clone(),
        references: spec.references.clone(),
        confidence: spec.effective_confidence(),
        category: spec.effective_category().into(),
        provider: spec.provider.as_deref().map(Into::into),
    };
    Ok((
        CompiledRule {
            info,
            regex,
            secret_group,
            min_entropy: spec.min_entropy,
            allow,
            window_radius,
            generic: spec.generic,
            value_gate: spec.effective_value_gate(),
            checksum,
        },
        anchors,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

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
