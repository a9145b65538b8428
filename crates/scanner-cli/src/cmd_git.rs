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
use scanner_fs::{Input, InputOutcome, InputPolicy, InputReport, Sink, Skip};
use scanner_git::{BlobScan, Inventory, RefSelection};
use scanner_store::{GitProvenance, InputKey, InputKind, ScanCounters};

use crate::args::GitArgs;
use crate::diagnostics::{format_stats, peak_rss_kib, warn_budgets, Console};
use crate::findings_out::FindingsOut;
use crate::output::provenance::{utc_date, AlsoIn};
use crate::output::Provenance;
use crate::setup::ScanSetup;
use crate::store_io::StoreRun;
use crate::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS};

pub fn run(args: &GitArgs) -> Result<u8, String> {
    let repo = scanner_git::open(&args.repo).map_err(|e| e.to_string())?;
    let local = repo.to_thread_local();
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
        )
    }
    .map_err(|e| format!("{}: {e}", args.repo.display()))?;
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
                &args.rules,
                &policy,
                format!("git {}", args.repo.display()),
                args.output.redact,
            )?)
        }
        None => None,
    };
    let known: HashSet<String> = match &store {
        Some(s) => s
            .scanned(InputKind::Blob)?
            .into_iter()
            .map(|(key, _)| key)
            .collect(),
        None => HashSet::new(),
    };
    let threads = match args.threads {
        Some(n) => n.max(1),
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let known_blob =
        |id: &scanner_git::ObjectId| !known.is_empty() && known.contains(&id.to_string());
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
            setup.engine.rules(),
            &console,
            args.verbose,
        )?,
        inv: &inv,
        store: store.as_mut(),
        held: HashMap::new(),
    };
    let result = scanner_git::scan_blobs(&setup.engine, &repo, &inv, &how, &mut sink);
    console.finish();
    let summary = result.map_err(|e| e.to_string())?;
    let GitSink { out, .. } = sink;
    let known_findings = out.known;
    let found = out.finish(args.suppress.write_baseline.as_deref())?;
    if let Some(s) = store {
        let counters = ScanCounters {
            inputs_scanned: summary.inputs_scanned,
            inputs_unchanged: summary.skipped.unchanged,
            inputs_skipped: summary.skipped.total() - summary.skipped.unchanged,
            bytes_scanned: summary.bytes,
            findings: found,
        };
        s.finish(&counters)?;
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
        let k = &summary.skipped;
        line.push_str(&format!(
            "; skipped: {} binary, {} too large, {} unreadable, {} unchanged",
            k.binary, k.too_large, k.unreadable, k.unchanged
        ));
        if known_findings > 0 {
            line.push_str(&format!(
                "; {known_findings} finding(s) known from the store"
            ));
        }
        let p = &summary.suppressed;
        if p.total() > 0 {
            line.push_str(&format!(
                "; suppressed: {} inline, {} baseline, {} allowlist",
                p.inline, p.baseline, p.allowlist
            ));
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
}

impl GitSink<'_> {
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
