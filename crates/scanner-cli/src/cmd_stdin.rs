//! `secretscan stdin`: scans standard input as a stream (the first 8 MiB
//! whole, the rest in 64 KiB blocks), so memory does not grow with the
//! input. Suppressions and the configuration apply as for `dir`.

use std::io;
use std::path::PathBuf;

use scanner_fs::baseline::BaselineWriter;
use scanner_fs::{Input, InputEvent, InputOutcome, InputPolicy, InputScanner, Skip};

use crate::args::StdinArgs;
use crate::diagnostics::{format_stats, peak_rss_kib, suppressed_text, warn_budgets, Console};
use crate::output::Reporter;
use crate::setup::ScanSetup;
use crate::{EXIT_CLEAN, EXIT_FINDINGS};

pub fn run(args: &StdinArgs) -> Result<u8, String> {
    let roots = [PathBuf::from(".")];
    let setup = ScanSetup::new(&args.rules, &args.decode, &args.suppress, &roots)?;
    let engine = setup.engine()?;
    let console = Console::new(false);
    let mut reporter = Reporter::open(&args.output, engine.rules())?;
    let mut baseline = args
        .suppress
        .write_baseline
        .as_ref()
        .map(|_| BaselineWriter::default());
    // Standard input was piped on purpose: scan it even if it looks binary.
    let policy = InputPolicy {
        max_file_size: None,
        scan_binary: true,
        archives: None,
    };
    let mut scanner = InputScanner::new(engine, &setup.suppressions, policy);
    let mut write_error = None;
    let mut outcome = None;
    let stdin = io::stdin();
    let mut input = stdin.lock();
    let label = Input::path(args.label.as_str());
    scanner.scan_reader(&mut input, None, label, &mut |event| match event {
        InputEvent::Findings(input, findings) => {
            for f in &findings {
                if write_error.is_none() {
                    write_error = reporter.report(&input.path, f).err();
                }
                if let Some(b) = &mut baseline {
                    b.add(&input.path, f);
                }
            }
        }
        InputEvent::Done(report) => outcome = Some(report.outcome),
    });
    if let Some(e) = write_error {
        return Err(e.to_string());
    }
    let scanned = match outcome {
        Some(InputOutcome::Scanned(s)) => s,
        Some(InputOutcome::Skipped(Skip::Unreadable(e))) => {
            return Err(format!("cannot read standard input: {e}"))
        }
        other => return Err(format!("standard input not scanned: {other:?}")),
    };
    warn_budgets(&console, &args.label, &scanned.stats);
    if let Some(e) = &scanned.read_error {
        console.line(&format!(
            "secretscan: warning: standard input scanned in part: {e}"
        ));
    }
    let found = reporter.count();
    reporter.finish().map_err(|e| e.to_string())?;
    if let (Some(writer), Some(path)) = (baseline, &args.suppress.write_baseline) {
        writer.write(path)?;
    }
    if let Some(text) = suppressed_text(&scanned.suppressed) {
        console.line(&format!("secretscan: {text}"));
    }
    if args.stats {
        console.line(&format_stats(&scanned.stats));
        console.line(&format!(
            "stats: streamed_bytes={} streamed={} spans_split={} peak_rss_kib={}",
            scanned.bytes,
            scanned.streamed,
            scanned.spans_split,
            peak_rss_kib().unwrap_or(0)
        ));
    }
    Ok(if found > 0 { EXIT_FINDINGS } else { EXIT_CLEAN })
}
