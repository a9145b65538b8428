//! What the CLI says on stderr besides findings: warnings about budgets
//! hit, the run's summary, `--stats` counters, and the progress bar.
//!
//! Invariants: a budget hit on an input is always reported (naming the
//! input), whatever `--quiet` says; the progress bar is drawn only on a
//! terminal and every other stderr line is printed around it, never into it.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use scanner_engine::ScanStats;
use scanner_fs::{ScanSummary, SkipCounts, Suppressed};

/// Prints stderr lines, suspending the progress bar (when there is one)
/// while they are written.
pub struct Console {
    bar: Option<ProgressBar>,
}

impl Console {
    /// A console with a progress bar when `progress` and stderr is a
    /// terminal.
    pub fn new(progress: bool) -> Console {
        let bar = (progress && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {elapsed} {msg} ({binary_bytes_per_sec})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        Console { bar }
    }

    /// One line on stderr.
    pub fn line(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{text}")),
            None => eprintln!("{text}"),
        }
    }

    /// Updates the progress bar (no-op without one).
    pub fn progress(&self, files: u64, bytes: u64, findings: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(bytes);
            bar.set_message(format!(
                "{files} files, {:.1} MB, {findings} findings",
                bytes as f64 / 1e6
            ));
        }
    }

    /// Removes the progress bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Warns, naming the input, about every budget the scan of one input
/// exhausted: findings may be missing there, and the user must know.
pub fn warn_budgets(console: &Console, shown: &str, stats: &ScanStats) {
    for hit in stats.budgets_hit() {
        console.line(&format!(
            "secretscan: warning: {shown}: {} {} ({}={}; limit {} reached), findings may be missing",
            hit.count, hit.what, hit.counter, hit.count, hit.limit
        ));
    }
}

/// The closing summary of a directory scan.
pub fn summary_line(s: &ScanSummary, threads: usize) -> String {
    let secs = s.seconds.max(1e-9);
    let mut line = format!(
        "secretscan: {} finding(s) in {} file(s), {:.1} MB in {:.2} s ({:.1} MB/s, {threads} thread(s))",
        s.findings,
        s.inputs_scanned,
        s.bytes as f64 / 1e6,
        s.seconds,
        s.bytes as f64 / 1e6 / secs,
    );
    if s.archives > 0 {
        line.push_str(&format!(
            "; archives: {} opened, {} member(s) not scanned",
            s.archives, s.archive_members_skipped
        ));
    }
    line.push_str(&skipped_text(&s.skipped));
    if let Some(text) = suppressed_text(&s.suppressed) {
        line.push_str("; ");
        line.push_str(&text);
    }
    if s.inputs_with_budgets_hit > 0 {
        line.push_str(&format!(
            "; budgets hit in {} file(s) (warnings above)",
            s.inputs_with_budgets_hit
        ));
    }
    if s.read_errors > 0 {
        line.push_str(&format!("; {} file(s) read only in part", s.read_errors));
    }
    line
}

/// `; skipped: 3 binary, 1 unreadable` (reasons with a count), or
/// `; skipped: none`.
pub fn skipped_text(k: &SkipCounts) -> String {
    let reasons: Vec<String> = [
        (k.binary, "binary"),
        (k.too_large, "too large"),
        (k.unreadable, "unreadable"),
        (k.vanished, "vanished"),
        (k.not_regular, "not a regular file"),
        (k.unchanged, "unchanged since the last scan"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    if reasons.is_empty() {
        "; skipped: none".to_string()
    } else {
        format!("; skipped: {}", reasons.join(", "))
    }
}

/// `suppressed: 1 inline, 0 baseline, 2 allowlist`, when any was.
pub fn suppressed_text(p: &Suppressed) -> Option<String> {
    (p.total() > 0).then(|| {
        format!(
            "suppressed: {} inline, {} baseline, {} allowlist",
            p.inline, p.baseline, p.allowlist
        )
    })
}

/// Every engine counter as `name=value`, a few per line, for `--stats`.
pub fn format_stats(s: &ScanStats) -> String {
    s.counters()
        .chunks(6)
        .map(|group| {
            let fields: Vec<String> = group.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("stats: {}", fields.join(" "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Peak resident memory of this process in KiB (Linux), for `--stats`.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--stats` prints every engine counter, each with its own value.
    #[test]
    fn stats_name_every_counter() {
        // `ScanStats` is non-exhaustive: built from its default here.
        #[allow(clippy::field_reassign_with_default)]
        let stats = {
            let mut s = ScanStats::default();
            s.decode_fallbacks = 7;
            s.windows_redecoded = 9;
            s.rejected_checksum = 3;
            s
        };
        let text = format_stats(&stats);
        let counters = stats.counters();
        assert!(counters.len() >= 22, "{}", counters.len());
        for (name, value) in counters {
            assert!(
                text.contains(&format!(" {name}={value}")),
                "{name} missing in {text}"
            );
        }
        assert!(text.lines().all(|l| l.starts_with("stats: ")), "{text}");
    }
}
