//! `secretscan rules list` shows the loaded rules; `secretscan rules check`
//! compiles rules and runs their examples.
//!
//! Invariants of `check`:
//! - Each rule file is compiled on an engine of its own (no built-in rules),
//!   so a file is checked exactly as written; without files the built-in
//!   rules are checked on the built-in engine.
//! - An example counts as found only when the rule itself reports it; a
//!   negative example fails only when the rule itself reports it.
//! - Exit 0: no failures; 1: some example failed; 2: a file could not be
//!   loaded or compiled (other files are still checked).

use std::collections::HashSet;
use std::io::{self, Write};

use scanner_engine::compat::RuleFormat;
use scanner_engine::{builtin_rules, Engine, RuleSpec, Tuning};

use crate::args::{Format, RulesArgs, RulesCommand, RulesFormatArg};
use crate::{load, EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS};

pub fn run(args: &RulesArgs) -> Result<u8, String> {
    match &args.command {
        RulesCommand::List { rules, format } => {
            list(&load::engine(rules, Tuning::default())?, *format)
        }
        RulesCommand::Check {
            files,
            rules_format,
        } => check(files, *rules_format),
    }
}

fn list(engine: &Engine, format: Format) -> Result<u8, String> {
    let mut out = io::BufWriter::new(io::stdout());
    let write = |out: &mut io::BufWriter<io::Stdout>| -> io::Result<()> {
        if format == Format::Human {
            writeln!(out, "{:<40} {:<55} KEYWORDS", "ID", "NAME")?;
        }
        for r in engine.rules() {
            if format == Format::Human {
                writeln!(out, "{:<40} {:<55} {}", r.id, r.name, r.anchors.join(", "))?;
            } else {
                let obj = serde_json::json!({
                    "id": &*r.id, "name": &*r.name, "keywords": r.anchors,
                    "origin": r.origin, "references": r.references,
                });
                serde_json::to_writer(&mut *out, &obj)?;
                writeln!(out)?;
            }
        }
        if format == Format::Human {
            writeln!(out, "{} rules", engine.rules().len())?;
        }
        out.flush()
    };
    write(&mut out).map_err(|e| format!("cannot write to stdout: {e}"))?;
    Ok(EXIT_CLEAN)
}

/// Counts of one `rules check` run.
#[derive(Default)]
struct Tally {
    rules: usize,
    examples: usize,
    failures: usize,
}

fn check(files: &[std::path::PathBuf], format: RulesFormatArg) -> Result<u8, String> {
    let mut out = io::BufWriter::new(io::stdout());
    let mut tally = Tally::default();
    let mut load_error = false;
    if files.is_empty() {
        let specs = builtin_rules().map_err(|e| e.to_string())?;
        let engine = Engine::builder().build().map_err(|e| e.to_string())?;
        check_rules(&engine, &specs, &mut tally, &mut out)?;
    } else {
        for path in files {
            let result = load::load_file(path, format).and_then(|(fmt, loaded)| {
                if loaded.rules.is_empty() {
                    return Ok(None);
                }
                let lenient = fmt != RuleFormat::Secretscan;
                let builder = Engine::builder()
                    .builtin_rules(false)
                    .rules(loaded.rules.clone());
                let engine = load::build(builder, lenient, &HashSet::new())?;
                Ok(Some((engine, loaded.rules)))
            });
            match result {
                Ok(Some((engine, specs))) => check_rules(&engine, &specs, &mut tally, &mut out)?,
                Ok(None) => eprintln!("secretscan: warning: {}: no rules to check", path.display()),
                Err(e) => {
                    eprintln!("secretscan: error: {e}");
                    load_error = true;
                }
            }
        }
    }
    writeln!(
        out,
        "checked {} rules, {} examples: {} failures",
        tally.rules, tally.examples, tally.failures
    )
    .and_then(|_| out.flush())
    .map_err(|e| format!("cannot write to stdout: {e}"))?;
    Ok(if load_error {
        EXIT_ERROR
    } else if tally.failures > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    })
}

/// Runs the examples of every rule of `specs` that `engine` compiled.
fn check_rules(
    engine: &Engine,
    specs: &[RuleSpec],
    tally: &mut Tally,
    out: &mut impl Write,
) -> Result<(), String> {
    let compiled: HashSet<&str> = engine.rules().map(|r| &*r.id).collect();
    let mut scratch = engine.new_scratch();
    let mut reported = |input: &str, id: &str| -> bool {
        let mut hit = false;
        engine.scan_bytes_with(&mut scratch, input.as_bytes(), &mut |f| {
            hit |= *f.rule_id == *id;
        });
        hit
    };
    let io_err = |e: io::Error| format!("cannot write to stdout: {e}");
    for spec in specs.iter().filter(|s| compiled.contains(s.id.as_str())) {
        tally.rules += 1;
        for (n, ex) in spec.examples.iter().enumerate() {
            tally.examples += 1;
            if !reported(ex, &spec.id) {
                tally.failures += 1;
                writeln!(
                    out,
                    "{}: rule {}: example {} not found: {ex:?}",
                    spec.origin,
                    spec.id,
                    n + 1
                )
                .map_err(io_err)?;
            }
        }
        for (n, ex) in spec.negative_examples.iter().enumerate() {
            tally.examples += 1;
            if reported(ex, &spec.id) {
                tally.failures += 1;
                writeln!(
                    out,
                    "{}: rule {}: negative example {} reported: {ex:?}",
                    spec.origin,
                    spec.id,
                    n + 1
                )
                .map_err(io_err)?;
            }
        }
    }
    Ok(())
}
