//! `secretscan stdin`: scans standard input as a stream, in fixed-size
//! blocks, so memory does not grow with the input.

use std::io;

use crate::args::StdinArgs;
use crate::output::Reporter;
use crate::scan_input::{peak_rss_kib, scan_stream, StreamError};
use crate::{load, EXIT_CLEAN, EXIT_FINDINGS};

pub fn run(args: &StdinArgs) -> Result<u8, String> {
    let engine = load::engine(&args.rules, args.decode.tuning())?;
    let mut reporter = Reporter::open(&args.output, engine.rules())?;
    let mut block = Vec::new();
    let mut write_error = None;
    let mut sink = |f: scanner_engine::Finding| {
        if write_error.is_none() {
            write_error = reporter.report(&args.label, &f).err();
        }
    };
    let stdin = io::stdin().lock();
    let stats = match scan_stream(&engine, &[], stdin, &mut sink, &mut block) {
        Ok(stats) => stats,
        Err(StreamError::Read(e)) => return Err(format!("cannot read standard input: {e}")),
    };
    if let Some(e) = write_error {
        return Err(e.to_string());
    }
    crate::cmd_dir::warn_budgets(&args.label, &stats.scan);
    let found = reporter.count();
    reporter.finish().map_err(|e| e.to_string())?;
    if args.stats {
        eprintln!("{}", crate::cmd_dir::format_stats(&stats.scan));
        eprintln!(
            "stats: streamed_bytes={} rounds={} spans_split={} peak_rss_kib={}",
            stats.bytes_fed,
            stats.rounds,
            stats.spans_split,
            peak_rss_kib().unwrap_or(0)
        );
    }
    Ok(if found > 0 { EXIT_FINDINGS } else { EXIT_CLEAN })
}
