//! `secretscan dir PATH...`: scans files and directories in parallel
//! through `scanner-fs`, and reports findings, warnings, progress and a
//! summary.
//!
//! This module only wires flags to the library and formats what it hears:
//! the walk, reading, suppressions and the pipeline live in `scanner-fs`.
//! Invariants: every skipped input is counted in the summary (and named
//! with `--verbose`, or always when it is too large or read only in part);
//! budget hits are always warned about; the findings count in the summary
//! is the number of findings written.

use std::sync::Arc;

use scanner_engine::Finding;
use scanner_fs::archive::{ArchiveLimits, ArchiveStats};
use scanner_fs::{
    scan_paths, Input, InputOutcome, InputPolicy, InputReport, ScanOptions, Sink, Skip, WalkOptions,
};
use scanner_store::{InputKey, InputKind};

use crate::args::DirArgs;
use crate::diagnostics::{format_stats, peak_rss_kib, summary_line, warn_budgets, Console};
use crate::findings_out::FindingsOut;
use crate::setup::ScanSetup;
use crate::store_io::StoreRun;
use crate::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS};

pub fn run(args: &DirArgs) -> Result<u8, String> {
    for p in &args.paths {
        if std::fs::symlink_metadata(p).is_err() {
            return Err(format!("{}: no such file or directory", p.display()));
        }
    }
    let setup = ScanSetup::new(&args.rules, &args.decode, &args.suppress, &args.paths)?;
    let engine = setup.engine()?;
    let mut excludes = args.excludes.clone();
    excludes.extend(setup.config.exclude.iter().cloned());
    let mut opts = ScanOptions {
        walk: WalkOptions {
            paths: args.paths.clone(),
            respect_ignore: !args.no_ignore,
            excludes,
            follow_symlinks: args.follow,
            // The report being written is not an input.
            skip_files: args.output.output.iter().cloned().collect(),
        },
        policy: InputPolicy {
            max_file_size: args.max_file_size,
            scan_binary: args.scan_binary,
            archives: (args.max_archive_depth > 0).then(|| ArchiveLimits {
                max_depth: args.max_archive_depth,
                max_total_bytes: args.max_archive_bytes,
                ..ArchiveLimits::default()
            }),
        },
        suppressions: setup.suppressions.clone(),
        threads: args.threads.unwrap_or(0),
        known: None,
    };
    let mut store = match &args.store {
        Some(path) => {
            let policy = format!(
                "dir scan_binary={} max_file_size={:?} archives={}/{}",
                args.scan_binary,
                args.max_file_size,
                args.max_archive_depth,
                args.max_archive_bytes
            );
            let run = StoreRun::open(
                path,
                &setup,
                &policy,
                format!(
                    "dir {}",
                    args.paths
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                args.output.redact,
            )?;
            let seen = run.scanned(InputKind::File)?;
            if !seen.is_empty() {
                opts.known = Some(Arc::new(move |path: &str, key: &str| {
                    seen.contains(&(path.to_string(), key.to_string()))
                }));
            }
            Some(run)
        }
        None => None,
    };
    let threads = opts.thread_count();
    let console = Console::new(!args.quiet);
    let mut sink = DirSink {
        out: FindingsOut::new(
            &args.output,
            &args.suppress,
            engine.rules(),
            &console,
            args.verbose,
        )?,
        store: store.as_mut(),
    };
    let result = scan_paths(engine, &opts, &mut sink);
    console.finish();
    let summary = result.map_err(|e| e.to_string())?;
    let DirSink { out, .. } = sink;
    let known = out.known;
    let count = out.finish(args.suppress.write_baseline.as_deref())?;
    if let Some(run) = store {
        run.finish(&summary, count)?;
    }
    let mut summary = summary;
    summary.findings += known;
    if !args.quiet || args.stats {
        console.line(&summary_line(&summary, threads));
    }
    if args.stats {
        console.line(&format_stats(&summary.stats));
        console.line(&format!(
            "stats: streamed_files={} spans_split={} peak_rss_kib={}",
            summary.inputs_streamed,
            summary.spans_split,
            peak_rss_kib().unwrap_or(0)
        ));
    }
    let unscannable = summary.skipped.unreadable + summary.skipped.vanished;
    if summary.inputs_scanned == 0 && unscannable > 0 {
        console.line("secretscan: error: nothing could be scanned (every file was unreadable)");
        return Ok(EXIT_ERROR);
    }
    Ok(if summary.findings > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    })
}

/// Writes findings, records them in the store, warns and shows progress.
struct DirSink<'c> {
    out: FindingsOut<'c>,
    store: Option<&'c mut StoreRun>,
}

impl DirSink<'_> {
    /// Budgets hit in an archive are always warned about (members were cut
    /// or skipped there); damage, encrypted and unsupported members are
    /// named with --verbose and counted in the summary.
    fn warn_archive(&self, shown: &str, stats: &ArchiveStats) {
        let console = self.out.console;
        let budgets = stats.budgets_hit();
        if !budgets.is_empty() {
            let names: Vec<String> = budgets.iter().map(|b| b.to_string()).collect();
            console.line(&format!(
                "secretscan: warning: {shown}: archive budget hit ({}): {} member(s) not scanned, {} cut; findings may be missing",
                names.join(", "),
                stats.members_skipped(),
                stats.truncated_entry_bytes + stats.truncated_total_bytes
            ));
        }
        if self.out.verbose {
            for w in &stats.warnings {
                console.line(&format!("secretscan: archive: {w}"));
            }
            if stats.warnings_omitted > 0 {
                console.line(&format!(
                    "secretscan: archive: {shown}: {} more warning(s) not shown",
                    stats.warnings_omitted
                ));
            }
        }
    }
}

impl Sink for DirSink<'_> {
    fn findings(&mut self, input: &Input, findings: Vec<Finding>) -> std::io::Result<()> {
        for f in &findings {
            self.out.report(&input.path, f, None)?;
        }
        if let Some(st) = self.store.as_deref_mut() {
            st.writer.record_findings(&input.path, &findings, None);
        }
        Ok(())
    }

    fn input_done(&mut self, report: &InputReport) -> std::io::Result<()> {
        let shown = &report.input.path;
        match &report.outcome {
            InputOutcome::Scanned(s) => {
                self.out.scanned(s.bytes);
                if let Some(st) = self.store.as_deref_mut() {
                    match (&s.content_key, &s.read_error) {
                        (Some(ck), None) => {
                            let key = InputKey {
                                kind: InputKind::File,
                                key: shown,
                                content_hash: ck,
                            };
                            st.writer
                                .record_input(shown, &key, s.bytes)
                                .map_err(std::io::Error::other)?;
                        }
                        // Archive members and files read in part are
                        // scanned again next time.
                        _ => st.writer.discard(shown),
                    }
                }
                warn_budgets(self.out.console, shown, &s.stats);
                if let Some(e) = &s.read_error {
                    self.out.console.line(&format!(
                        "secretscan: warning: {shown}: scanned in part: {e}"
                    ));
                }
            }
            InputOutcome::Skipped(Skip::Unchanged(ck)) => {
                let key = InputKey {
                    kind: InputKind::File,
                    key: shown,
                    content_hash: ck,
                };
                let known = match self.store.as_deref_mut() {
                    Some(st) => st.unchanged(&key)?,
                    None => Vec::new(),
                };
                for f in &known {
                    self.out.known += 1;
                    self.out.report(shown, f, None)?;
                }
            }
            InputOutcome::Skipped(skip) => self.out.skipped(shown, skip),
            InputOutcome::Archive(stats) => self.warn_archive(shown, stats),
        }
        self.out.progress();
        Ok(())
    }
}
