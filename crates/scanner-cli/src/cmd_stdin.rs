//! `secretscan stdin`: scans standard input.

use std::io::{self, Read};

use crate::args::StdinArgs;
use crate::output::Reporter;
use crate::{load, EXIT_CLEAN, EXIT_FINDINGS};

pub fn run(args: &StdinArgs) -> Result<u8, String> {
    let engine = load::engine(&args.rules, args.decode.tuning())?;
    let mut input = Vec::new();
    io::stdin()
        .lock()
        .read_to_end(&mut input)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    let mut scratch = engine.new_scratch();
    let mut reporter = Reporter::new(&args.output);
    let mut write_error = None;
    engine.scan_bytes_with(&mut scratch, &input, &mut |f| {
        if write_error.is_none() {
            write_error = reporter.report(&args.label, &f).err();
        }
    });
    let found = reporter.count();
    if let Some(e) = write_error {
        return Err(format!("cannot write to stdout: {e}"));
    }
    reporter
        .finish()
        .map_err(|e| format!("cannot write to stdout: {e}"))?;
    if args.stats {
        eprintln!("{}", crate::cmd_dir::format_stats(&scratch.stats()));
    }
    Ok(if found > 0 { EXIT_FINDINGS } else { EXIT_CLEAN })
}
