//! `cargo xtask compare`: secretscan next to other secret scanners on the
//! same directory tree, in alternating runs (A B C A B C ...), so that a
//! change in machine load hits every tool alike.
//!
//! Peers are not dependencies: each is taken from an environment variable
//! naming its binary, and skipped with a note when the variable is unset.
//! Each peer runs a plain directory scan with the same thread count, no
//! network access (no update checks, no validation) and its findings
//! written to a file of the work directory, from which they are counted.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::measure::{self, markdown_table, mib, Usage};

pub const USAGE: &str = "\
Usage: cargo xtask compare [--rounds N] [--threads N] [--tree PATH | --tree-mb MB] [--no-write]

Scans the same tree with secretscan (release build) and every peer whose binary is named by
an environment variable, in alternating rounds (A B C A B C ...), after one untimed warm-up
run of each. Prints the median wall time, user+sys CPU and peak RSS, the findings count and
the ratios to secretscan, and writes the table into docs/performance.md between
<!-- compare:begin --> and <!-- compare:end -->.

Peers (unset: skipped with a note):
  SECRETSCAN_COMPARE_KINGFISHER   kingfisher scan PATH --no-update-check --no-validate -j N
                                  --git-history none --format jsonl -o FILE
  SECRETSCAN_COMPARE_GITLEAKS     gitleaks dir PATH --no-banner --report-format json
                                  --report-path FILE (GOMAXPROCS=N)
  SECRETSCAN_COMPARE_BETTERLEAKS  betterleaks fs PATH --no-banner -o FILE.jsonl (GOMAXPROCS=N)
  SECRETSCAN_COMPARE_NOSEYPARKER  noseyparker scan --datastore TMP -j N --progress never PATH

  --rounds N      measured rounds (default 3)
  --threads N     scanning threads for every tool (default: the number of cores)
  --tree PATH     scan PATH instead of the benchmark tree of `cargo xtask bench`
  --tree-mb MB    size of that tree (default 600)
  --no-write      print the table only";

/// Parsed arguments.
#[derive(Debug, PartialEq)]
pub struct Options {
    pub rounds: usize,
    pub threads: usize,
    pub tree: Option<PathBuf>,
    pub tree_mb: u64,
    pub write: bool,
}

/// `Ok(None)` for `--help`.
pub fn parse(args: &[std::ffi::OsString]) -> Result<Option<Options>, String> {
    let mut opts = Options {
        rounds: 3,
        threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
        tree: None,
        tree_mb: 600,
        write: true,
    };
    let mut flags = crate::Flags::new(args);
    while let Some(arg) = flags.next_flag() {
        let arg = arg?;
        match arg {
            "-h" | "--help" => return Ok(None),
            "--rounds" => opts.rounds = flags.positive(arg)? as usize,
            "--threads" => opts.threads = flags.positive(arg)? as usize,
            "--tree" => opts.tree = Some(PathBuf::from(flags.value(arg)?)),
            "--tree-mb" => opts.tree_mb = flags.positive(arg)?,
            "--no-write" => opts.write = false,
            other => return Err(format!("compare: unknown argument `{other}` (see --help)")),
        }
    }
    Ok(Some(opts))
}

/// A scanner in the comparison.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Tool {
    Secretscan,
    Kingfisher,
    Gitleaks,
    Betterleaks,
    NoseyParker,
}

impl Tool {
    const PEERS: [Tool; 4] = [
        Tool::Kingfisher,
        Tool::Gitleaks,
        Tool::Betterleaks,
        Tool::NoseyParker,
    ];

    fn name(self) -> &'static str {
        match self {
            Tool::Secretscan => "secretscan",
            Tool::Kingfisher => "kingfisher",
            Tool::Gitleaks => "gitleaks",
            Tool::Betterleaks => "betterleaks",
            Tool::NoseyParker => "noseyparker",
        }
    }

    fn env_var(self) -> String {
        format!("SECRETSCAN_COMPARE_{}", self.name().to_uppercase())
    }

    /// The command scanning `tree` with `threads` threads, findings written
    /// to `report` (or a datastore under it).
    fn command(self, binary: &Path, tree: &Path, threads: usize, report: &Path) -> Command {
        let mut c = Command::new(binary);
        let n = threads.to_string();
        match self {
            Tool::Secretscan => {
                c.arg("dir")
                    .arg(tree)
                    .args(["--quiet", "--format", "jsonl", "--threads", &n]);
                c.arg("--output").arg(report);
            }
            Tool::Kingfisher => {
                c.arg("scan").arg(tree).args([
                    "--no-update-check",
                    "--no-validate",
                    "--git-history",
                    "none",
                    "--format",
                    "jsonl",
                    "-j",
                    &n,
                    "-o",
                ]);
                c.arg(report);
            }
            Tool::Gitleaks => {
                c.arg("dir").arg(tree).args([
                    "--no-banner",
                    "--no-color",
                    "--report-format",
                    "json",
                    "--report-path",
                ]);
                c.arg(report).env("GOMAXPROCS", &n);
            }
            Tool::Betterleaks => {
                c.arg("fs")
                    .arg(tree)
                    .args(["--no-banner", "--no-color", "-o"]);
                c.arg(report).env("GOMAXPROCS", &n);
            }
            Tool::NoseyParker => {
                let _ = fs::remove_dir_all(report);
                c.arg("scan")
                    .arg("--datastore")
                    .arg(report)
                    .args(["-j", &n, "--progress", "never"])
                    .arg(tree);
            }
        }
        c
    }

    /// Where the findings go (a file; a datastore directory for Nosey Parker).
    fn report_name(self) -> &'static str {
        match self {
            Tool::Secretscan => "secretscan.jsonl",
            Tool::Kingfisher => "kingfisher.jsonl",
            Tool::Gitleaks => "gitleaks.json",
            Tool::Betterleaks => "betterleaks.jsonl",
            Tool::NoseyParker => "noseyparker.datastore",
        }
    }

    /// Findings in the report, when its format is cheap to count.
    fn count_findings(self, report: &Path) -> Option<usize> {
        let text = fs::read_to_string(report).ok();
        match self {
            Tool::Secretscan => text.map(|t| t.lines().count()),
            // JSON Lines: one object per finding, then a summary line.
            Tool::Kingfisher => {
                text.map(|t| t.lines().filter(|l| l.starts_with("{\"rule\"")).count())
            }
            Tool::Gitleaks => text.map(|t| t.matches("\"RuleID\"").count()),
            Tool::Betterleaks => {
                text.map(|t| t.lines().filter(|l| l.contains("\"finding\":")).count())
            }
            Tool::NoseyParker => None,
        }
    }

    /// `--version` (or equivalent) of the binary, first line.
    fn version(self, binary: &Path) -> String {
        let arg = match self {
            Tool::Gitleaks => "version",
            _ => "--version",
        };
        Command::new(binary)
            .arg(arg)
            .output()
            .map(|o| {
                let text = String::from_utf8_lossy(&o.stdout).into_owned();
                text.lines().next().unwrap_or("").trim().to_string()
            })
            .unwrap_or_default()
    }
}

/// Runs the comparison; returns the Markdown section for the document.
pub fn run(opts: &Options, secretscan: &Path, work: &Path) -> Result<String, String> {
    fs::create_dir_all(work).map_err(|e| format!("{}: {e}", work.display()))?;
    let mut tools = vec![(Tool::Secretscan, secretscan.to_path_buf())];
    let mut notes = Vec::new();
    for peer in Tool::PEERS {
        match std::env::var_os(peer.env_var()) {
            Some(path) if !path.is_empty() && Path::new(&path).is_file() => {
                tools.push((peer, PathBuf::from(path)));
            }
            Some(path) if !path.is_empty() => notes.push(format!(
                "{}: skipped, {} names no file ({})",
                peer.name(),
                peer.env_var(),
                Path::new(&path).display()
            )),
            _ => notes.push(format!(
                "{}: skipped ({} is unset)",
                peer.name(),
                peer.env_var()
            )),
        }
    }
    for note in &notes {
        eprintln!("xtask: {note}");
    }
    let (tree_path, tree_text) = match &opts.tree {
        Some(path) => (path.clone(), format!("`{}`", path.display())),
        None => {
            let tree = crate::tree::ensure(opts.tree_mb)?;
            let text = format!(
                "the benchmark tree of `cargo xtask bench`, {}",
                tree.describe()
            );
            (tree.path, text)
        }
    };

    let load_before = crate::bench::load_average();
    let mut samples: Vec<Vec<Usage>> = vec![Vec::new(); tools.len()];
    let mut findings: Vec<Option<usize>> = vec![None; tools.len()];
    for round in 0..=opts.rounds {
        for (i, (tool, binary)) in tools.iter().enumerate() {
            let report = work.join(tool.report_name());
            let mut command = tool.command(binary, &tree_path, opts.threads, &report);
            let usage = measure::run(
                &mut command,
                &work.join(format!("{}.stdout", tool.name())),
                &work.join(format!("{}.stderr", tool.name())),
            )?;
            let what = if round == 0 {
                "warm-up".to_string()
            } else {
                format!("round {round}")
            };
            eprintln!(
                "xtask: {} {what}: {:.2} s wall, {:.2} s CPU, {}, exit {:?}",
                tool.name(),
                usage.wall,
                usage.cpu(),
                mib(usage.peak_rss_kib),
                usage.code
            );
            if usage.code.is_none() {
                return Err(format!("{} was killed by a signal", tool.name()));
            }
            findings[i] = tool.count_findings(&report);
            if round > 0 {
                samples[i].push(usage);
            }
        }
    }

    let medians: Vec<Usage> = samples.iter().map(|s| measure::median_usage(s)).collect();
    let base = &medians[0];
    let rows: Vec<Vec<String>> = tools
        .iter()
        .zip(&medians)
        .zip(&findings)
        .map(|(((tool, binary), m), found)| {
            vec![
                format!("{} {}", tool.name(), version_number(&tool.version(binary))),
                format!("{:.2} s", m.wall),
                format!("{:.2}", m.wall / base.wall.max(1e-9)),
                format!("{:.2} s", m.cpu()),
                format!("{:.2}", m.cpu() / base.cpu().max(1e-9)),
                mib(m.peak_rss_kib),
                format!(
                    "{:.2}",
                    m.peak_rss_kib as f64 / base.peak_rss_kib.max(1) as f64
                ),
                found.map_or("?".into(), |n| n.to_string()),
                m.code.map_or("signal".into(), |c| c.to_string()),
            ]
        })
        .collect();
    let table = markdown_table(
        &[
            "scanner",
            "wall",
            "× secretscan",
            "user+sys CPU",
            "× secretscan",
            "peak RSS",
            "× secretscan",
            "findings",
            "exit",
        ],
        &rows,
    );
    let mut text = format!(
        "Tree: {tree_text}; {} thread(s) each; medians of {} alternating round(s) after one \
         warm-up run of each (`cargo xtask compare --rounds {}`); load average (1 min) \
         {load_before} before, {} after.\n\n{table}",
        opts.threads,
        opts.rounds,
        opts.rounds,
        crate::bench::load_average()
    );
    for note in notes {
        text.push_str(&format!("\n- {note}"));
    }
    Ok(text)
}

/// The version number in a `--version` line (`kingfisher 2.14.0` →
/// `2.14.0`), or the line itself.
fn version_number(line: &str) -> String {
    line.split_whitespace()
        .find(|w| {
            w.chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit() || c == 'v')
        })
        .unwrap_or(line)
        .trim_start_matches('v')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_and_versions() {
        let args = |l: &[&str]| l.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        let o = parse(&args(&["--rounds", "2", "--threads", "1", "--no-write"]))
            .unwrap()
            .unwrap();
        assert_eq!((o.rounds, o.threads, o.write), (2, 1, false));
        assert!(parse(&args(&["--rounds", "0"])).is_err());
        assert_eq!(parse(&args(&["-h"])).unwrap(), None);
        assert_eq!(version_number("kingfisher 2.14.0"), "2.14.0");
        assert_eq!(version_number("8.30.1"), "8.30.1");
        assert_eq!(version_number("v8.30.1"), "8.30.1");
        assert_eq!(Tool::Gitleaks.env_var(), "SECRETSCAN_COMPARE_GITLEAKS");
    }
}
