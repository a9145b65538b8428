//! `secretscan git [PATH]`: scans a repository's history (every blob once,
//! attributed to the commit that introduced it) or, with `--staged`, what
//! is staged for the next commit; optionally through a findings store that
//! makes rescans incremental.
//!
//! The planning (commits, trees, blobs) and the parallel scan live in
//! `scanner-git`; this module wires flags, the store and the output.
//! Invariants: every finding printed carries its provenance; with a store,
//! a blob's findings and the record that it was scanned are written in the
//! same batch (a killed scan loses whole blobs, never half of one), and
//! blobs skipped as already scanned have their known findings reported, so
//! a rescan prints what a full scan would.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use scanner_engine::Finding;
use scanner_fs::{
    Input, InputOutcome, InputPolicy, InputReport, ScanError, ScanSummary, Sink, Skip,
};
use scanner_git::{BlobScan, Inventory, RefSelection};
use scanner_store::{GitProvenance, InputKey, InputKind};

use crate::args::Format;
use crate::args::GitArgs;
use crate::diagnostics::{
    format_stats, peak_rss_kib, skipped_text, suppressed_text, warn_budgets, Console,
};
use crate::findings_out::FindingsOut;
use crate::output::provenance::{utc_date, AlsoIn};
use crate::output::Provenance;
use crate::setup::ScanSetup;
use crate::store_io::{provenance_of, to_finding, StoreRun};
use crate::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS};

pub fn run(args: &GitArgs) -> Result<u8, String> {
    let repo = scanner_git::open(&args.repo).map_err(|e| e.to_string())?;
    let local = repo.to_thread_local();
    let roots = [local
        .workdir()
        .map_or_else(|| args.repo.clone(), PathBuf::from)];
    let setup = ScanSetup::new(&args.rules, &args.decode, &args.suppress, &roots)?;
    let console = Console::new(!args.quiet);

    let mut store = match &args.store {
        Some(path) => {
            let policy = format!(
                "git scan_binary={} max_file_size={:?}",
                args.scan_binary, args.max_file_size
            );
            Some(StoreRun::open(
                path,
                &setup,
                &policy,
                format!("git {}", args.repo.display()),
                args.output.redact,
            )?)
        }
        None => None,
    };
    // Commits whose every blob an earlier scan with these rules recorded:
    // their trees are not walked again (not for --staged).
    let covered_hex: HashSet<String> = match &store {
        Some(s) if !args.staged => s.covered_commits()?,
        _ => HashSet::new(),
    };
    let covered: HashSet<scanner_git::ObjectId> = covered_hex
        .iter()
        .filter_map(|h| scanner_git::ObjectId::from_hex(h.as_bytes()).ok())
        .collect();
    let inv = if args.staged {
        scanner_git::plan_staged(&local)
    } else {
        let refs = match &args.branch {
            Some(rev) => RefSelection::Rev(rev.clone()),
            None => RefSelection::All,
        };
        scanner_git::plan(
            &local,
            &refs,
            args.since_commit.as_deref(),
            args.max_locations,
            &covered,
        )
    }
    .map_err(|e| format!("{}: {e}", args.repo.display()))?;
    let known: HashSet<String> = match &store {
        Some(s) => s
            .scanned(InputKind::Blob)?
            .into_iter()
            .map(|(key, _)| key)
            .collect(),
        None => HashSet::new(),
    };
    let threads = scanner_fs::thread_count(args.threads.unwrap_or(0));
    let known_blob = |id: &scanner_git::ObjectId| known.contains(&id.to_string());
    // The engine is compiled only when a blob needs scanning (or SARIF
    // needs the rule table): an unchanged repository rescans without it.
    let need_engine =
        args.output.format == Format::Sarif || inv.blobs.iter().any(|b| !known_blob(&b.id));
    let engine = if need_engine {
        Some(setup.engine()?)
    } else {
        None
    };
    let how = BlobScan {
        policy: InputPolicy {
            max_file_size: args.max_file_size,
            scan_binary: args.scan_binary,
            archives: None,
        },
        suppressions: &setup.suppressions,
        threads,
        known: &known_blob,
    };
    let mut sink = GitSink {
        out: FindingsOut::new(
            &args.output,
            &args.suppress,
            engine.into_iter().flat_map(|e| e.rules()),
            &console,
            args.verbose,
        )?,
        inv: &inv,
        store: store.as_mut(),
        held: HashMap::new(),
        reported_blobs: HashSet::new(),
    };
    // Findings of the covered commits, from the store.
    let reachable_covered: HashSet<String> = inv
        .commits
        .iter()
        .map(|c| c.id.to_string())
        .filter(|id| covered_hex.contains(id))
        .collect();
    sink.report_covered(&reachable_covered)
        .map_err(|e| e.to_string())?;
    let result = match engine {
        Some(engine) => scanner_git::scan_blobs(engine, &repo, &inv, &how, &mut sink),
        None => replay_known(&inv, &mut sink),
    };
    console.finish();
    let summary = result.map_err(|e| e.to_string())?;
    let GitSink { out, .. } = sink;
    let known_findings = out.known;
    let found = out.finish(args.suppress.write_baseline.as_deref())?;
    if let Some(mut s) = store {
        // Every blob of these commits is now recorded (unless some could
        // not be read): later scans need not walk their trees.
        if !args.staged && summary.skipped.unreadable == 0 {
            let ids: Vec<String> = inv.commits.iter().map(|c| c.id.to_string()).collect();
            s.writer.record_commits(&ids).map_err(|e| e.to_string())?;
        }
        s.finish(&summary, found)?;
    }
    if !args.quiet || args.stats {
        let secs = summary.seconds.max(1e-9);
        let mut line = format!(
            "secretscan: {found} finding(s) in {} blob(s) of {} commit(s), {:.1} MB in {:.2} s ({:.1} MB/s, {:.0} blobs/s, {threads} thread(s))",
            inv.blobs.len(),
            inv.commits.len(),
            summary.bytes as f64 / 1e6,
            summary.seconds,
            summary.bytes as f64 / 1e6 / secs,
            summary.inputs_scanned as f64 / secs,
        );
        line.push_str(&skipped_text(&summary.skipped));
        if !reachable_covered.is_empty() {
            line.push_str(&format!(
                "; {} commit(s) covered by the store (trees not walked)",
                reachable_covered.len()
            ));
        }
        if known_findings > 0 {
            line.push_str(&format!(
                "; {known_findings} finding(s) known from the store"
            ));
        }
        if let Some(text) = suppressed_text(&summary.suppressed) {
            line.push_str("; ");
            line.push_str(&text);
        }
        console.line(&line);
    }
    if args.stats {
        console.line(&format_stats(&summary.stats));
        console.line(&format!(
            "stats: trees={} streamed_blobs={} peak_rss_kib={}",
            inv.trees,
            summary.inputs_streamed,
            peak_rss_kib().unwrap_or(0)
        ));
    }
    if summary.inputs_scanned == 0
        && summary.skipped.unreadable > 0
        && summary.skipped.unchanged == 0
    {
        console.line("secretscan: error: nothing could be scanned (every blob was unreadable)");
        return Ok(EXIT_ERROR);
    }
    Ok(if found > 0 { EXIT_FINDINGS } else { EXIT_CLEAN })
}

/// Prints findings with their provenance, records them in the store.
struct GitSink<'a> {
    out: FindingsOut<'a>,
    inv: &'a Inventory,
    store: Option<&'a mut StoreRun>,
    /// Findings of blobs not yet done, by blob index (with a store only).
    held: HashMap<u64, Vec<Finding>>,
    /// Blobs whose findings were reported from the store already.
    reported_blobs: HashSet<String>,
}

/// Passes every blob of `inv` to `sink` as unchanged (all are known to the
/// store), without an engine.
fn replay_known(inv: &Inventory, sink: &mut GitSink<'_>) -> Result<ScanSummary, ScanError> {
    let started = std::time::Instant::now();
    let mut summary = ScanSummary::default();
    for (i, blob) in inv.blobs.iter().enumerate() {
        let report = InputReport {
            input: Input {
                path: blob.locations[0].path.clone(),
                id: i as u64,
            },
            outcome: InputOutcome::Skipped(Skip::Unchanged(blob.id.to_string())),
        };
        summary.add(&report);
        sink.input_done(&report).map_err(ScanError::Sink)?;
    }
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

impl GitSink<'_> {
    /// Reports the findings the store holds for blobs introduced by
    /// `commits` (covered commits, not walked), with their stored
    /// provenance.
    fn report_covered(&mut self, commits: &HashSet<String>) -> std::io::Result<()> {
        let Some(st) = self.store.as_deref() else {
            return Ok(());
        };
        if commits.is_empty() {
            return Ok(());
        }
        let stored = st
            .findings_in_commits(commits)
            .map_err(std::io::Error::other)?;
        for sf in &stored {
            for (i, loc) in sf.locations.iter().enumerate() {
                let f = to_finding(sf, i);
                let mut prov = loc
                    .provenance
                    .as_ref()
                    .map(provenance_of)
                    .unwrap_or_default();
                prov.blob = loc.input_key.clone();
                self.reported_blobs.insert(loc.input_key.clone());
                self.out.known += 1;
                self.out.report(&loc.path, &f, Some(&prov))?;
            }
        }
        Ok(())
    }

    /// The provenance of blob `id` from the inventory.
    fn provenance(&self, id: u64) -> Provenance {
        let blob = &self.inv.blobs[id as usize];
        let first = self.inv.commit(&blob.locations[0]);
        let also = blob.locations[1..]
            .iter()
            .map(|l| AlsoIn {
                commit: self
                    .inv
                    .commit(l)
                    .map(|c| c.id.to_string())
                    .unwrap_or_default(),
                path: l.path.to_string(),
            })
            .collect();
        Provenance {
            commit: first.map(|c| c.id.to_string()).unwrap_or_default(),
            author_name: first.map(|c| c.author_name.clone()).unwrap_or_default(),
            author_email: first.map(|c| c.author_email.clone()).unwrap_or_default(),
            time: first.map_or(0, |c| c.time),
            date: first.map(|c| utc_date(c.time)).unwrap_or_default(),
            summary: first.map(|c| c.summary.clone()).unwrap_or_default(),
            blob: blob.id.to_string(),
            also,
            more: blob.more_locations,
        }
    }

    fn emit(&mut self, input: &Input, f: &Finding, prov: &Provenance) -> std::io::Result<()> {
        self.out.report(&input.path, f, Some(prov))
    }
}

fn store_provenance(p: &Provenance) -> GitProvenance {
    GitProvenance {
        commit_id: p.commit.clone(),
        author_name: p.author_name.clone(),
        author_email: p.author_email.clone(),
        commit_time: p.time,
        summary: p.summary.clone(),
    }
}

impl Sink for GitSink<'_> {
    fn findings(&mut self, input: &Input, findings: Vec<Finding>) -> std::io::Result<()> {
        let prov = self.provenance(input.id);
        for f in &findings {
            self.emit(input, f, &prov)?;
        }
        if self.store.is_some() {
            self.held.entry(input.id).or_default().extend(findings);
        }
        Ok(())
    }

    fn input_done(&mut self, report: &InputReport) -> std::io::Result<()> {
        let input = &report.input;
        let blob_hex = self.inv.blobs[input.id as usize].id.to_string();
        let key = InputKey {
            kind: InputKind::Blob,
            key: &blob_hex,
            content_hash: &blob_hex,
        };
        let held = self.held.remove(&input.id).unwrap_or_default();
        match &report.outcome {
            InputOutcome::Scanned(s) => {
                self.out.scanned(s.bytes);
                warn_budgets(self.out.console, &input.path, &s.stats);
                let prov = store_provenance(&self.provenance(input.id));
                if let Some(st) = self.store.as_deref_mut() {
                    if s.read_error.is_none() {
                        st.writer.record_findings(&input.path, &held, Some(&prov));
                        st.writer
                            .record_input(&input.path, &key, s.bytes)
                            .map_err(std::io::Error::other)?;
                    }
                }
            }
            InputOutcome::Skipped(Skip::Unchanged(_))
                if self.reported_blobs.contains(&blob_hex) => {}
            InputOutcome::Skipped(Skip::Unchanged(_)) => {
                let known = match self.store.as_deref_mut() {
                    Some(st) => st.unchanged(&key)?,
                    None => Vec::new(),
                };
                let prov = self.provenance(input.id);
                for f in &known {
                    self.out.known += 1;
                    self.emit(input, f, &prov)?;
                }
            }
            InputOutcome::Skipped(Skip::Binary) if self.store.is_some() => {
                // Binary with these settings now and next time: remember it.
                if let Some(st) = self.store.as_deref_mut() {
                    st.writer
                        .record_input(&input.path, &key, 0)
                        .map_err(std::io::Error::other)?;
                }
            }
            InputOutcome::Skipped(skip) => {
                let shown = format!("{} (blob {blob_hex})", input.path);
                self.out.skipped(&shown, skip);
            }
            InputOutcome::Archive(_) => {}
        }
        self.out.progress();
        Ok(())
    }
}
