//! Where the scanning commands' findings go: the reporter (stdout or
//! `--output`), the baseline being written, the progress line, and the
//! wording of skipped inputs; shared by `dir` and `git` so both report
//! alike.
//!
//! Invariant: every finding reported is also added to the baseline being
//! written (when `--write-baseline` is given), and counted.

use std::io;
use std::path::Path;

use scanner_engine::{Finding, RuleInfo};
use scanner_fs::baseline::BaselineWriter;
use scanner_fs::Skip;

use crate::args::{OutputArgs, SuppressArgs};
use crate::diagnostics::Console;
use crate::output::{Provenance, Reporter};

/// The findings side of a scan.
pub struct FindingsOut<'c> {
    reporter: Reporter,
    baseline: Option<BaselineWriter>,
    pub console: &'c Console,
    pub verbose: bool,
    /// Findings reported from a store for inputs skipped as unchanged.
    pub known: u64,
    /// Inputs scanned and their bytes, for the progress line.
    pub inputs: u64,
    pub bytes: u64,
}

impl<'c> FindingsOut<'c> {
    pub fn new<'r>(
        output: &OutputArgs,
        suppress: &SuppressArgs,
        rules: impl IntoIterator<Item = &'r RuleInfo>,
        console: &'c Console,
        verbose: bool,
    ) -> Result<FindingsOut<'c>, String> {
        Ok(FindingsOut {
            reporter: Reporter::open(output, rules)?,
            baseline: suppress
                .write_baseline
                .as_ref()
                .map(|_| BaselineWriter::default()),
            console,
            verbose,
            known: 0,
            inputs: 0,
            bytes: 0,
        })
    }

    /// Reports one finding (with its git provenance, if any).
    pub fn report(&mut self, path: &str, f: &Finding, git: Option<&Provenance>) -> io::Result<()> {
        self.reporter.report_with(path, f, git)?;
        if let Some(b) = &mut self.baseline {
            b.add(path, f);
        }
        Ok(())
    }

    /// Counts a scanned input and redraws the progress line.
    pub fn scanned(&mut self, bytes: u64) {
        self.inputs += 1;
        self.bytes += bytes;
        self.progress();
    }

    pub fn progress(&self) {
        self.console
            .progress(self.inputs, self.bytes, self.reporter.count());
    }

    /// Names a skipped input: always when it is too large (the user set the
    /// limit), otherwise with `--verbose`.
    pub fn skipped(&self, shown: &str, skip: &Skip) {
        if !self.verbose && !matches!(skip, Skip::TooLarge(..)) {
            return;
        }
        let why = match skip {
            Skip::Unreadable(e) => format!("unreadable: {e}"),
            Skip::TooLarge(size, limit) => {
                format!("{size} bytes exceeds --max-file-size {limit}")
            }
            other => other.reason().to_string(),
        };
        self.console
            .line(&format!("secretscan: skipped {shown}: {why}"));
    }

    /// Closes the output and writes the baseline; returns the findings
    /// reported.
    pub fn finish(self, write_baseline: Option<&Path>) -> Result<u64, String> {
        let count = self.reporter.count();
        self.reporter.finish().map_err(|e| e.to_string())?;
        if let (Some(writer), Some(path)) = (self.baseline, write_baseline) {
            writer.write(path)?;
            self.console.line(&format!(
                "secretscan: baseline with {count} finding(s) written to {}",
                path.display()
            ));
        }
        Ok(count)
    }
}
