//! `cargo xtask fuzz`: runs the cargo-fuzz targets of `fuzz/` for a time
//! budget split between them, seeding each working corpus from
//! `fuzz/seeds/TARGET`, and reports executions per second, coverage and
//! crashes (see docs/fuzzing.md).
//!
//! Invariants: a crash fails the command (exit 1) and names the artifact;
//! every target gets at least one second; cargo-fuzz is installed when
//! missing.

use std::env;
use std::ffi::OsString;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::cargo::{display_command, run, workspace_root};
use crate::setup::{setup, Toolchain};
use crate::{Failure, Outcome};

const FUZZ_USAGE: &str = "\
Usage: cargo xtask fuzz [--time SECS] [TARGET...]

Runs each fuzz target of fuzz/ (all by default: scan_bytes, decoders, structures, chunked,
planted) with
cargo-fuzz for SECS / (number of targets) seconds (SECS defaults to 60), with the seed
corpus fuzz/seeds/TARGET copied into the working corpus fuzz/corpus/TARGET, the dictionary
fuzz/secretscan.dict and -max_len=65536. Installs cargo-fuzz if missing; on a stable
toolchain sets RUSTC_BOOTSTRAP=1 for cargo-fuzz's nightly flags. Prints execs/s and
coverage per target. Exit code: 0 no crash, 1 a target crashed (artifact under
fuzz/artifacts/TARGET), 2 error. The first build compiles the engine for the fuzz
profile (a minute or two). See docs/fuzzing.md.";

/// The fuzz targets in `fuzz/fuzz_targets/`, in the order `fuzz` runs them.
pub(crate) const FUZZ_TARGETS: &[&str] = &[
    "scan_bytes",
    "decoders",
    "structures",
    "chunked",
    "planted",
    "archives",
];

/// The largest input libFuzzer generates (`-max_len`).
const FUZZ_MAX_LEN: usize = 65536;

/// libFuzzer's `-timeout`: one input running longer than this is a crash.
const FUZZ_INPUT_TIMEOUT_SECS: u64 = 30;

/// `cargo xtask fuzz [--time SECS] [TARGET...]`: runs the cargo-fuzz targets.
pub(crate) fn fuzz(args: &[OsString]) -> Outcome {
    let options = match parse_fuzz_args(args)? {
        Some(options) => options,
        None => {
            println!("{FUZZ_USAGE}");
            return Ok(0);
        }
    };
    setup(Toolchain::System, false)?;
    let root = workspace_root();
    let fuzz_dir = root.join("fuzz");
    let bootstrap = !rustc_is_nightly();
    ensure_cargo_fuzz()?;

    // Build first, so that the (long) first build does not eat fuzzing time.
    let all = options.targets.len() == FUZZ_TARGETS.len();
    let builds: Vec<Option<&str>> = if all {
        vec![None]
    } else {
        options.targets.iter().map(|t| Some(t.as_str())).collect()
    };
    for target in builds {
        let mut build = cargo_fuzz(&root, bootstrap);
        build.args(["fuzz", "build"]);
        build.args(target);
        run(&mut build)?;
    }

    let share = (options.seconds / options.targets.len() as u64).max(1);
    let dict = fuzz_dir.join("secretscan.dict");
    let mut results = Vec::new();
    for target in &options.targets {
        let corpus = fuzz_dir.join("corpus").join(target);
        let seeded = seed_corpus(&fuzz_dir.join("seeds").join(target), &corpus)?;
        eprintln!(
            "xtask: fuzzing {target} for {share} s (corpus {}, {seeded} new seed(s))",
            corpus.display()
        );
        let mut command = cargo_fuzz(&root, bootstrap);
        command
            .args(["fuzz", "run", target.as_str()])
            .arg(&corpus)
            .arg("--")
            .arg(format!("-max_total_time={share}"))
            .arg(format!("-max_len={FUZZ_MAX_LEN}"))
            .arg(format!("-timeout={FUZZ_INPUT_TIMEOUT_SECS}"))
            .arg("-print_final_stats=1")
            .arg(format!("-dict={}", dict.display()));
        results.push((target.clone(), run_fuzzer(&mut command)?));
    }

    println!();
    println!(
        "{:<12} {:>10} {:>8} {:>8} {:>8}  result",
        "target", "execs/s", "cov", "ft", "corpus"
    );
    let mut crashed = false;
    for (target, report) in &results {
        let show = |v: Option<u64>| v.map_or_else(|| "?".to_string(), |v| v.to_string());
        let result = match (&report.artifact, report.success) {
            (Some(path), _) => format!("CRASH: {path}"),
            (None, true) => "ok".to_string(),
            (None, false) => "FAILED (no artifact; see the output above)".to_string(),
        };
        crashed |= report.artifact.is_some() || !report.success;
        println!(
            "{:<12} {:>10} {:>8} {:>8} {:>8}  {result}",
            target,
            show(report.execs_per_sec),
            show(report.cov),
            show(report.ft),
            show(report.corpus),
        );
    }
    if crashed {
        println!(
            "\nReproduce a crash with: cargo fuzz run TARGET ARTIFACT (RUSTC_BOOTSTRAP=1 on stable, \
             from the workspace root); see docs/fuzzing.md"
        );
        return Ok(1);
    }
    Ok(0)
}

/// Parsed `fuzz` arguments.
#[derive(Debug, PartialEq, Eq)]
struct FuzzOptions {
    seconds: u64,
    targets: Vec<String>,
}

/// `Ok(None)` for `--help`.
fn parse_fuzz_args(args: &[OsString]) -> Result<Option<FuzzOptions>, Failure> {
    let mut seconds = 60;
    let mut targets: Vec<String> = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let arg = arg
            .to_str()
            .ok_or_else(|| Failure::new(2, format!("invalid argument {arg:?}")))?;
        let time = match arg {
            "-h" | "--help" => return Ok(None),
            "--time" => Some(
                args.next()
                    .and_then(|v| v.to_str())
                    .ok_or_else(|| Failure::new(2, "`--time` needs a number of seconds"))?,
            ),
            _ => arg.strip_prefix("--time="),
        };
        if let Some(value) = time {
            seconds = value
                .parse::<u64>()
                .ok()
                .filter(|&s| s > 0)
                .ok_or_else(|| {
                    Failure::new(2, format!("`--time {value}`: not a positive number"))
                })?;
        } else if FUZZ_TARGETS.contains(&arg) {
            if !targets.iter().any(|t| t == arg) {
                targets.push(arg.to_string());
            }
        } else {
            return Err(Failure::new(
                2,
                format!(
                    "unknown fuzz target or option `{arg}` (targets: {})",
                    FUZZ_TARGETS.join(", ")
                ),
            ));
        }
    }
    if targets.is_empty() {
        targets = FUZZ_TARGETS.iter().map(|t| t.to_string()).collect();
    }
    Ok(Some(FuzzOptions { seconds, targets }))
}

/// Whether `rustc` (`$RUSTC` if set) is a nightly or dev toolchain.
fn rustc_is_nightly() -> bool {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| OsString::from("rustc"));
    Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .is_some_and(|v| v.contains("-nightly") || v.contains("-dev"))
}

/// A `cargo` command for cargo-fuzz, run from the workspace root. It builds
/// into `fuzz/target` (cargo-fuzz's default), so any `CARGO_TARGET_DIR` is
/// removed; `bootstrap` sets `RUSTC_BOOTSTRAP=1` for cargo-fuzz's nightly
/// flags on a stable toolchain.
fn cargo_fuzz(root: &Path, bootstrap: bool) -> Command {
    let program = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut command = Command::new(program);
    command.current_dir(root).env_remove("CARGO_TARGET_DIR");
    if bootstrap {
        command.env("RUSTC_BOOTSTRAP", "1");
    }
    command
}

/// Installs cargo-fuzz with `cargo install --locked` unless `cargo fuzz` runs.
fn ensure_cargo_fuzz() -> Result<(), Failure> {
    let program = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let present = Command::new(&program)
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if present {
        return Ok(());
    }
    eprintln!("xtask: cargo-fuzz not found; installing it (cargo install cargo-fuzz --locked)");
    let mut install = Command::new(&program);
    install.args(["install", "cargo-fuzz", "--locked"]);
    run(&mut install)
}

/// Copies the files of `seeds` that `corpus` lacks (by name) into it,
/// creating it; returns how many were copied. Missing `seeds` is fine.
fn seed_corpus(seeds: &Path, corpus: &Path) -> Result<usize, Failure> {
    let io = |what: &str, path: &Path, e: std::io::Error| {
        Failure::new(2, format!("{what} {}: {e}", path.display()))
    };
    fs::create_dir_all(corpus).map_err(|e| io("cannot create", corpus, e))?;
    let Ok(entries) = fs::read_dir(seeds) else {
        return Ok(0);
    };
    let mut copied = 0;
    for entry in entries {
        let entry = entry.map_err(|e| io("cannot read", seeds, e))?;
        let from = entry.path();
        let to = corpus.join(entry.file_name());
        if from.is_file() && !to.exists() {
            fs::copy(&from, &to).map_err(|e| io("cannot copy", &from, e))?;
            copied += 1;
        }
    }
    Ok(copied)
}

/// What one fuzzer run reported.
#[derive(Debug, Default, PartialEq, Eq)]
struct FuzzReport {
    success: bool,
    execs_per_sec: Option<u64>,
    cov: Option<u64>,
    ft: Option<u64>,
    corpus: Option<u64>,
    /// The crash (or timeout, leak, OOM) input libFuzzer wrote.
    artifact: Option<String>,
}

/// Runs the fuzzer, echoing its stderr (libFuzzer's log) while parsing it.
fn run_fuzzer(command: &mut Command) -> Result<FuzzReport, Failure> {
    use std::io::{BufRead, BufReader};
    let shown = display_command(command);
    let mut child = command
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Failure::new(2, format!("could not start `{shown}`: {e}")))?;
    let mut report = FuzzReport::default();
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).split(b'\n') {
            let Ok(line) = line else { break };
            let line = String::from_utf8_lossy(&line);
            eprintln!("{line}");
            parse_fuzzer_line(&line, &mut report);
        }
    }
    let status = child
        .wait()
        .map_err(|e| Failure::new(2, format!("waiting for `{shown}`: {e}")))?;
    report.success = status.success();
    Ok(report)
}

/// Updates `report` from one line of libFuzzer output: the last status line
/// (`#N ... cov: C ft: F corp: K/... exec/s: E`) gives coverage, the final
/// `stat::average_exec_per_sec` the speed, `Test unit written to PATH` the
/// artifact.
fn parse_fuzzer_line(line: &str, report: &mut FuzzReport) {
    if let Some(path) = line.split("Test unit written to ").nth(1) {
        report.artifact = Some(path.trim().to_string());
        return;
    }
    if let Some(value) = line.strip_prefix("stat::average_exec_per_sec:") {
        report.execs_per_sec = value.trim().parse().ok().or(report.execs_per_sec);
        return;
    }
    if !line.starts_with('#') {
        return;
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    let field = |name: &str| -> Option<u64> {
        let at = words.iter().position(|w| *w == name)?;
        let value = words.get(at + 1)?;
        value.split('/').next()?.parse().ok()
    };
    if let Some(cov) = field("cov:") {
        report.cov = Some(cov);
        report.ft = field("ft:").or(report.ft);
        report.corpus = field("corp:").or(report.corpus);
        // `exec/s: 0` on the first lines means "not measured yet".
        if let Some(speed) = field("exec/s:").filter(|&s| s > 0) {
            report.execs_per_sec = Some(speed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzz_args_default_and_explicit() {
        let args = |list: &[&str]| list.iter().map(OsString::from).collect::<Vec<_>>();
        let all: Vec<String> = FUZZ_TARGETS.iter().map(|t| t.to_string()).collect();
        assert_eq!(
            parse_fuzz_args(&[]).unwrap(),
            Some(FuzzOptions {
                seconds: 60,
                targets: all
            })
        );
        assert_eq!(
            parse_fuzz_args(&args(&[
                "--time",
                "90",
                "decoders",
                "structures",
                "decoders"
            ]))
            .unwrap(),
            Some(FuzzOptions {
                seconds: 90,
                targets: vec!["decoders".into(), "structures".into()]
            })
        );
        assert_eq!(
            parse_fuzz_args(&args(&["scan_bytes", "--time=5"])).unwrap(),
            Some(FuzzOptions {
                seconds: 5,
                targets: vec!["scan_bytes".into()]
            })
        );
        assert_eq!(parse_fuzz_args(&args(&["--help"])).unwrap(), None);
        assert!(parse_fuzz_args(&args(&["--time"])).is_err());
        assert!(parse_fuzz_args(&args(&["--time", "0"])).is_err());
        assert!(parse_fuzz_args(&args(&["nope"])).is_err());
    }

    #[test]
    fn fuzzer_output_is_parsed() {
        let mut report = FuzzReport::default();
        for line in [
            "INFO: Seed: 42",
            "#2\tINITED cov: 10 ft: 11 corp: 1/1b exec/s: 0 rss: 30Mb",
            "#4096\tpulse  cov: 1234 ft: 5678 corp: 90/4321b lim: 43 exec/s: 2048 rss: 80Mb",
            "#70000\tDONE   cov: 1300 ft: 6000 corp: 95/5Kb lim: 100 exec/s: 2300 rss: 90Mb",
            "stat::number_of_executed_units: 70000",
            "stat::average_exec_per_sec:     2333",
        ] {
            parse_fuzzer_line(line, &mut report);
        }
        assert_eq!(report.cov, Some(1300));
        assert_eq!(report.ft, Some(6000));
        assert_eq!(report.corpus, Some(95));
        assert_eq!(report.execs_per_sec, Some(2333));
        assert_eq!(report.artifact, None);
        parse_fuzzer_line(
            "artifact_prefix='/w/fuzz/artifacts/decoders/'; Test unit written to /w/fuzz/artifacts/decoders/crash-abc",
            &mut report,
        );
        assert_eq!(
            report.artifact.as_deref(),
            Some("/w/fuzz/artifacts/decoders/crash-abc")
        );
    }
}
