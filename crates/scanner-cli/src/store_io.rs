//! The CLI's side of the findings store: the rule-set hash that decides
//! whether an earlier scan still counts, stored findings turned back into
//! reportable ones, and the `report` and `triage` commands.
//!
//! Invariant: the rule-set hash changes whenever the rules, their files,
//! the configuration, the decoding depth or the tool version change, so an
//! incremental scan never trusts a result obtained with other rules.

use std::collections::HashSet;
use std::io;
use std::path::Path;

use scanner_engine::{DecodePath, DecodeStep, Finding};
use scanner_fs::ScanSummary;
use scanner_store::{
    GitProvenance, InputKey, InputKind, ScanCounters, ScanId, ScanMeta, Store, StoreWriter,
    StoredFinding, TriageStatus, WriterOptions,
};

use crate::args::{Decision, ReportArgs, StatusArg, TriageArgs};
use crate::output::provenance::{utc_date, AlsoIn};
use crate::output::{Provenance, Reporter};
use crate::setup::ScanSetup;
use crate::{EXIT_CLEAN, EXIT_FINDINGS};

/// A hash of everything that decides what a scan finds: the tool version,
/// every rule as loaded (regex, keywords, filters, origin), the minimum
/// confidence, the decoding depth and encodings, the configuration file's
/// text, and `policy` (the input settings that matter: binary scanning, size and
/// archive limits). Computed from the rules as read, before compiling.
pub fn ruleset_hash(setup: &ScanSetup, policy: &str) -> String {
    let mut text = format!(
        "secretscan {}\ndepth {}\nmin_confidence {}\npolicy {policy}\n",
        env!("CARGO_PKG_VERSION"),
        setup.tuning.max_transform_depth,
        setup.rules.min_confidence,
    );
    let decoders: Vec<&str> = setup
        .tuning
        .transforms
        .iter()
        .map(|t| t.kind.name())
        .collect();
    text.push_str(&format!("decode {}\n", decoders.join(",")));
    if setup.tuning.inflate {
        text.push_str(&format!("inflate {}\n", setup.tuning.max_inflated_bytes));
    }
    for spec in setup.rules.set.rules() {
        text.push_str(&format!("{spec:?}\n"));
    }
    if !setup.config.origin.is_empty() {
        let content = std::fs::read(&setup.config.origin).unwrap_or_default();
        text.push_str(&format!("config {}\n", scanner_store::sha256_hex(&content)));
    }
    scanner_store::sha256_hex(text.as_bytes())
}

/// A stored finding at one of its locations, as a [`Finding`] to report.
/// A secret stored redacted is shown as its hash.
pub fn to_finding(sf: &StoredFinding, at: usize) -> Finding {
    let loc = &sf.locations[at];
    let secret = sf
        .secret
        .clone()
        .unwrap_or_else(|| format!("sha256:{}", sf.secret_sha256).into_bytes());
    let decode_path: DecodePath = loc
        .decode_path
        .split(" > ")
        .filter_map(|s| match s {
            "base64" => Some(DecodeStep::Base64),
            "url" => Some(DecodeStep::Url),
            "utf16le" => Some(DecodeStep::Utf16Le),
            "utf16be" => Some(DecodeStep::Utf16Be),
            "gzip" => Some(DecodeStep::Gzip),
            "zlib" => Some(DecodeStep::Zlib),
            "hex" => Some(DecodeStep::Hex),
            "escape" => Some(DecodeStep::Escape),
            "html" => Some(DecodeStep::Html),
            _ => None,
        })
        .collect();
    let mut f = Finding::for_secret(&sf.rule_id, &sf.rule_name, &secret);
    f.start = loc.start;
    f.end = loc.end;
    f.encoded_start = loc.start;
    f.encoded_end = loc.end;
    f.line = loc.line;
    f.column = loc.column;
    f.entropy = sf.entropy;
    f.decode_path = decode_path;
    f.fingerprint = sf.fingerprint;
    f
}

/// The store's provenance record as the output shows it.
pub fn provenance_of(g: &GitProvenance) -> Provenance {
    Provenance {
        commit: g.commit_id.clone(),
        author_name: g.author_name.clone(),
        author_email: g.author_email.clone(),
        time: g.commit_time,
        date: utc_date(g.commit_time),
        summary: g.summary.clone(),
        blob: String::new(),
        also: Vec::<AlsoIn>::new(),
        more: 0,
    }
}

/// The store of one scan: the database, this scan's id and its writer.
pub struct StoreRun {
    pub store: Store,
    pub writer: StoreWriter,
    pub scan: ScanId,
    pub ruleset: String,
}

impl StoreRun {
    /// Opens (creating or migrating) the store at `path` and begins a scan
    /// with the rule-set hash of `setup` and `policy`.
    pub fn open(
        path: &Path,
        setup: &ScanSetup,
        policy: &str,
        description: String,
        redact: bool,
    ) -> Result<StoreRun, String> {
        let named = |e: scanner_store::StoreError| format!("{}: {e}", path.display());
        let store = Store::open(path).map_err(named)?;
        let ruleset = ruleset_hash(setup, policy);
        let scan = store
            .begin_scan(&ScanMeta {
                tool_version: env!("CARGO_PKG_VERSION").to_string(),
                ruleset_hash: ruleset.clone(),
                description,
            })
            .map_err(named)?;
        let writer = store
            .writer(
                scan,
                WriterOptions {
                    redact,
                    ..WriterOptions::default()
                },
            )
            .map_err(named)?;
        Ok(StoreRun {
            store,
            writer,
            scan,
            ruleset,
        })
    }

    /// The (key, content hash) pairs of `kind` scanned with these rules.
    pub fn scanned(&self, kind: InputKind) -> Result<HashSet<(String, String)>, String> {
        self.store
            .scanned_set(kind, &self.ruleset)
            .map_err(|e| e.to_string())
    }

    /// Commits covered under these rules (every blob recorded).
    pub fn covered_commits(&self) -> Result<HashSet<String>, String> {
        self.store
            .covered_commits(&self.ruleset)
            .map_err(|e| e.to_string())
    }

    /// The findings stored for blobs introduced by `commits`.
    pub fn findings_in_commits(
        &self,
        commits: &HashSet<String>,
    ) -> Result<Vec<StoredFinding>, scanner_store::StoreError> {
        self.store.findings_in_commits(commits, &self.ruleset)
    }

    /// Marks `key` as seen by this scan and returns its known findings.
    pub fn unchanged(&mut self, key: &InputKey<'_>) -> io::Result<Vec<Finding>> {
        self.writer
            .record_unchanged(key)
            .map_err(io::Error::other)?;
        let stored = self
            .store
            .findings_for_input(key, &self.ruleset)
            .map_err(io::Error::other)?;
        Ok(stored
            .iter()
            .flat_map(|sf| (0..sf.locations.len()).map(move |i| to_finding(sf, i)))
            .collect())
    }

    /// Commits the last batch and closes the scan with the counters of
    /// `summary` and the `findings` reported.
    pub fn finish(self, summary: &ScanSummary, findings: u64) -> Result<(), String> {
        let counters = ScanCounters {
            inputs_scanned: summary.inputs_scanned,
            inputs_unchanged: summary.skipped.unchanged,
            inputs_skipped: summary.skipped.total() - summary.skipped.unchanged,
            bytes_scanned: summary.bytes,
            findings,
        };
        self.writer.finish().map_err(|e| e.to_string())?;
        self.store
            .finish_scan(self.scan, &counters)
            .map_err(|e| e.to_string())
    }
}

/// `secretscan report`.
pub fn report(args: &ReportArgs) -> Result<u8, String> {
    let store =
        Store::open_read_only(&args.store).map_err(|e| format!("{}: {e}", args.store.display()))?;
    let status = args.status.map(|s| match s {
        StatusArg::Open => TriageStatus::Open,
        StatusArg::Accepted => TriageStatus::Accepted,
        StatusArg::Rejected => TriageStatus::Rejected,
    });
    let findings = store
        .report(status)
        .map_err(|e| format!("{}: {e}", args.store.display()))?;
    let mut reporter = Reporter::open(&args.output, std::iter::empty())?;
    for sf in &findings {
        for (i, loc) in sf.locations.iter().enumerate() {
            let f = to_finding(sf, i);
            let prov = loc.provenance.as_ref().map(provenance_of);
            let prov = prov.map(|mut p| {
                if loc.input_kind == scanner_store::InputKind::Blob {
                    p.blob = loc.input_key.clone();
                }
                p
            });
            reporter
                .report_with(&loc.path, &f, prov.as_ref())
                .map_err(|e| e.to_string())?;
        }
    }
    let count = reporter.count();
    reporter.finish().map_err(|e| e.to_string())?;
    eprintln!(
        "secretscan: {} finding(s) at {count} location(s) in {}",
        findings.len(),
        args.store.display()
    );
    Ok(if findings.is_empty() {
        EXIT_CLEAN
    } else {
        EXIT_FINDINGS
    })
}

/// `secretscan triage`.
pub fn triage(args: &TriageArgs) -> Result<u8, String> {
    let fp = scanner_store::parse_fingerprint(&args.fingerprint).ok_or_else(|| {
        format!(
            "`{}` is not a fingerprint (16 hex digits, as printed with each finding)",
            args.fingerprint
        )
    })?;
    let status = match args.decision {
        Decision::Accept => TriageStatus::Accepted,
        Decision::Reject => TriageStatus::Rejected,
        Decision::Reopen => TriageStatus::Open,
    };
    let store = Store::open(&args.store).map_err(|e| format!("{}: {e}", args.store.display()))?;
    store
        .triage(fp, status, args.note.as_deref())
        .map_err(|e| format!("{}: {e}", args.store.display()))?;
    eprintln!(
        "secretscan: {} marked {} in {}",
        fp,
        status.as_str(),
        args.store.display()
    );
    Ok(EXIT_CLEAN)
}
