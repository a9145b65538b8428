//! Developer tasks for the secretscan workspace, run as `cargo xtask <command>`
//! (the alias lives in `.cargo/config.toml`).
//!
//! Commands:
//!
//! - `setup [--vendored]`: check (and, as root, install with apt-get) the
//!   system packages the build needs: pkg-config and the distribution's
//!   Vectorscan library; with `--vendored`, the tools that build Vectorscan
//!   from source instead (see `setup.rs`).
//! - `scan PATH... [flags]`: build the CLI in release mode and run
//!   `secretscan dir PATH... [flags]`, exiting with its exit code.
//! - `test [--vendored] [args]`: `cargo test --workspace [args]`, against
//!   the system library or (`--vendored`) Vectorscan built from source.
//! - `vendored`: build the CLI with `--features vendored` and run a smoke
//!   scan with it, so the source-build path does not rot.
//! - `lint`: `cargo fmt --check` and `cargo clippy -D warnings`.
//! - `ci`: `lint`, then `test`.
//! - `bench [--quick] [--filter REGEX] [...]`: the criterion benchmarks
//!   (`cargo bench -p secretscan-benches`, output on stderr), then end-to-end
//!   runs of the release binary (a >= 500 MB tree with 1 and 2 threads,
//!   decode-heavy files, start-up), whose table is printed and written into
//!   docs/performance.md (see `bench.rs`, `tree.rs`, `measure.rs`).
//! - `compare [--rounds N] [--threads N] [--tree PATH]`: secretscan and the
//!   peer scanners named by `SECRETSCAN_COMPARE_*` on the same tree in
//!   alternating rounds (see `compare.rs`).
//! - `precision [flags]`: scan clean corpora (Python standard library,
//!   cargo registry sources, /usr/include) with the release binary and print
//!   findings per MB by corpus and rule (see `precision.rs`).
//! - `rss`: scan a 2 GiB one-line Base64 file (with a planted token that
//!   must be found) and a 1 GiB text file with the release binary and fail
//!   if peak RSS exceeds 256 MiB (see `rss.rs`).
//! - `git-bench [--commits N] [--keep]`: generate a repository with N
//!   commits (default 1200) from /usr/include headers, scan its history
//!   with the release binary with and without a findings store, and fail
//!   unless the rescan is 10 times faster with the same findings; peers
//!   from `GIT_BENCH_PEERS` are timed too (see `gitbench.rs`).
//! - `fuzz [--time SECS] [TARGET...]`: run the cargo-fuzz targets of `fuzz/`
//!   (all by default) for a share of SECS each (default 60), installing
//!   cargo-fuzz if needed; prints execs/s and coverage per target and fails
//!   on a crash, naming the artifact. See `docs/fuzzing.md`.
//!
//! Every command except `help` runs `setup` first. When `CARGO_TARGET_DIR` is
//! unset, cargo (except for `fuzz`, which builds into `fuzz/target`) is run
//! with `CARGO_TARGET_DIR=$HOME/.cache/secretscan/target`, a persistent
//! directory shared by all checkouts, so that repeated runs do not rebuild
//! (the vendored Vectorscan build takes ~5 minutes per profile).
//!
//! This program uses the standard library, `libc` (for `wait4` and
//! `posix_fadvise`) and the std-only corpus generators of `benches/`, so
//! that building it takes seconds.

use std::env;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

mod bench;
mod compare;
mod gitbench;
mod measure;
mod precision;
mod rss;
mod setup;
mod tree;

use setup::{setup, Toolchain};

const USAGE: &str = "\
Usage: cargo xtask <command> [args]

Commands:
  setup [--vendored]    check the system packages the build needs (pkg-config and the Vectorscan
                        library, libvectorscan-dev or libhyperscan-dev); install them with
                        apt-get when run as root, else print the command. --vendored: the tools
                        that build Vectorscan from source instead (cmake, ragel, g++, Boost)
  scan PATH... [FLAGS]  build secretscan (release) and run `secretscan dir PATH... [FLAGS]`
  test [--vendored] [ARGS]
                        run `cargo test --workspace [ARGS]` (--vendored: against Vectorscan
                        built from source, `--features scanner-engine/vendored`)
  vendored              build secretscan with Vectorscan built from source (--features vendored,
                        about 5 minutes the first time) and run a smoke scan with it
  lint                  run `cargo fmt --all -- --check`, then
                        `cargo clippy --workspace --all-targets -- -D warnings`
  ci                    run `lint`, then `test`
  bench [--quick] [--filter REGEX] [--runs N] [--criterion-only | --e2e-only] [--tree PATH]
        [--no-write] [-- CRITERION ARGS]
                        criterion benchmarks (output on stderr), then the release binary end to
                        end: a >= 500 MB tree with 1 and 2 threads, decode-heavy files against
                        plain text, cold and warm start-up; prints a table (MB/s, CPU, peak RSS)
                        and writes it into docs/performance.md (`cargo xtask bench --help`)
  compare [--rounds N] [--threads N] [--tree PATH] [--no-write]
                        secretscan and the peer scanners named by SECRETSCAN_COMPARE_KINGFISHER,
                        _GITLEAKS, _BETTERLEAKS, _NOSEYPARKER on the same tree in alternating
                        rounds: wall, CPU, peak RSS, findings, ratios (`cargo xtask compare --help`)
  precision [FLAGS]     scan the Python standard library (without site-packages), the cargo
                        registry sources and /usr/include with the release binary
                        (`secretscan dir --format jsonl [FLAGS]`) and print findings per MB
                        by corpus and by rule (every finding there is a false positive,
                        except private keys in test certificate data)
  rss                   check that peak memory stays under 256 MiB on a 2 GiB one-line
                        Base64 file (whose planted token must be found) and a 1 GiB text file
                        (release build; writes up to 2 GiB to the temporary directory,
                        removed afterwards)
  git-bench [--commits N] [--keep]
                        history scan of a generated N-commit repository; the --store rescan
                        must be 10x faster with the same findings (GIT_BENCH_PEERS times peers)
  fuzz [--time SECS] [TARGET...]
                        run the fuzz targets (default: all) for SECS seconds in all (default 60)
                        with cargo-fuzz (installed if missing); fails on a crash
  help                  print this message

All commands but `help` run `setup` first. If CARGO_TARGET_DIR is unset, cargo builds into
$HOME/.cache/secretscan/target so that repeated runs do not rebuild (`fuzz` builds into
fuzz/target).";

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
const FUZZ_TARGETS: &[&str] = &[
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

const SCAN_USAGE: &str = "\
Usage: cargo xtask scan PATH... [secretscan flags]

Builds secretscan in release mode and runs `secretscan dir PATH... [flags]`.
Exit code: 0 no findings, 1 findings, 2 error.
Example: cargo xtask scan src --format json";

fn main() -> ExitCode {
    let mut args = env::args_os().skip(1);
    let command = args.next();
    let rest: Vec<OsString> = args.collect();
    let result = match command.as_ref().and_then(|c| c.to_str()) {
        None | Some("help" | "-h" | "--help") => {
            println!("{USAGE}");
            Ok(0)
        }
        Some("setup") => setup_command(&rest),
        Some("scan") => scan(&rest),
        Some("test") => test(&rest),
        Some("lint") => lint(),
        Some("ci") => ci(),
        Some("bench") => bench(&rest),
        Some("compare") => compare(&rest),
        Some("fuzz") => fuzz(&rest),
        Some("rss") => rss_check(),
        Some("git-bench") => git_bench(&rest),
        Some("precision") => precision_check(&rest),
        Some("vendored") => vendored_smoke(),
        Some(_) => Err(Failure::new(
            2,
            format!(
                "unknown command `{}`; run `cargo xtask help`",
                command.unwrap_or_default().to_string_lossy()
            ),
        )),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            eprintln!("xtask: error: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

/// Command-line flags of a subcommand, read one at a time as `&str`.
struct Flags<'a> {
    it: std::slice::Iter<'a, OsString>,
}

impl<'a> Flags<'a> {
    fn new(args: &'a [OsString]) -> Self {
        Self { it: args.iter() }
    }

    /// The next argument; an error if it is not UTF-8.
    fn next_flag(&mut self) -> Option<Result<&'a str, String>> {
        let arg = self.it.next()?;
        Some(
            arg.to_str()
                .ok_or_else(|| format!("invalid argument {arg:?}")),
        )
    }

    /// The value of flag `name` (the next argument).
    fn value(&mut self, name: &str) -> Result<String, String> {
        self.it
            .next()
            .and_then(|v| v.to_str())
            .map(str::to_string)
            .ok_or_else(|| format!("{name} needs a value"))
    }

    /// The value of flag `name`, a number above 0.
    fn positive(&mut self, name: &str) -> Result<u64, String> {
        self.value(name)?
            .parse()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("{name} needs a positive number"))
    }

    /// The arguments not read yet.
    fn rest(&mut self) -> Vec<OsString> {
        self.it.by_ref().cloned().collect()
    }
}

/// An error to report on stderr, with the exit code to return.
#[derive(Debug)]
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// The exit code of a command, or `Err` with a message to print.
type Outcome = Result<u8, Failure>;

// ---------------------------------------------------------------------------
// Subcommands
// ---------------------------------------------------------------------------

/// `cargo xtask scan PATH... [flags]`: builds the CLI and runs `secretscan dir`.
/// Builds the CLI in release mode and returns the path of the binary.
fn build_release_cli() -> Result<PathBuf, Failure> {
    let target_dir = target_dir();
    let mut build = cargo(&target_dir);
    build.args(["build", "--release", "-p", "scanner-cli"]);
    // A build failure is an error (2), not "findings" (1).
    run(&mut build).map_err(|f| Failure::new(2, f.message))?;
    let binary = target_dir
        .path()
        .join("release")
        .join(format!("secretscan{}", env::consts::EXE_SUFFIX));
    if !binary.is_file() {
        return Err(Failure::new(
            2,
            format!(
                "build succeeded but {} does not exist (is the scanner-cli binary named `secretscan`?)",
                binary.display()
            ),
        ));
    }
    Ok(binary)
}

/// `git-bench [--commits N] [--keep]`: history scan and incremental rescan.
fn git_bench(args: &[OsString]) -> Outcome {
    let mut opts = gitbench::Options {
        commits: 1200,
        keep: false,
    };
    let mut it = args.iter().map(|a| a.to_string_lossy().into_owned());
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--commits" => {
                opts.commits = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or_else(|| Failure::new(2, "--commits needs a positive number"))?;
            }
            "--keep" => opts.keep = true,
            other => {
                return Err(Failure::new(
                    2,
                    format!("git-bench: unknown argument `{other}`"),
                ))
            }
        }
    }
    let binary = build_release_cli()?;
    let work = target_dir().path().join("git-bench");
    gitbench::run(&binary, &work, &opts).map_err(|e| Failure::new(1, format!("git-bench: {e}")))?;
    Ok(0)
}

/// `precision [flags]`: findings per MB of the release binary on clean corpora.
fn precision_check(args: &[OsString]) -> Outcome {
    setup(Toolchain::System, false)?;
    let binary = build_release_cli()?;
    precision::run(&binary, args).map_err(|message| Failure::new(2, message))
}

/// `rss`: peak memory must not grow with input size.
fn rss_check() -> Outcome {
    setup(Toolchain::System, false)?;
    let binary = build_release_cli()?;
    let work = env::temp_dir().join("secretscan-rss");
    let result = rss::check(&binary, &work);
    let _ = fs::remove_dir(&work);
    result
        .map(|()| 0)
        .map_err(|message| Failure::new(1, message))
}

fn scan(args: &[OsString]) -> Outcome {
    let first = args.first().and_then(|a| a.to_str());
    if matches!(first, Some("-h" | "--help")) {
        println!("{SCAN_USAGE}");
        return Ok(0);
    }
    if args.is_empty() || first.is_some_and(|a| a.starts_with('-')) {
        eprintln!("{SCAN_USAGE}");
        return Err(Failure::new(2, "`scan` needs at least one PATH"));
    }
    setup(Toolchain::System, false)?;
    let binary = build_release_cli()?;
    let mut secretscan = Command::new(&binary);
    secretscan.arg("dir").args(args);
    let status = secretscan.status().map_err(|e| {
        Failure::new(
            2,
            format!("could not start `{}`: {e}", display_command(&secretscan)),
        )
    })?;
    // Killed by a signal: no exit code, report an error.
    Ok(status
        .code()
        .map_or(2, |code| u8::try_from(code).unwrap_or(2)))
}

/// `cargo xtask setup [--vendored]`.
fn setup_command(args: &[OsString]) -> Outcome {
    let (toolchain, rest) = split_vendored_flag(args);
    if let Some(extra) = rest.first() {
        return Err(Failure::new(
            2,
            format!(
                "`setup` takes only --vendored, not `{}`",
                extra.to_string_lossy()
            ),
        ));
    }
    setup(toolchain, true).map(|()| 0)
}

/// Takes a leading `--vendored` off `args`.
fn split_vendored_flag(args: &[OsString]) -> (Toolchain, &[OsString]) {
    match args.split_first() {
        Some((first, rest)) if first == "--vendored" => (Toolchain::Vendored, rest),
        _ => (Toolchain::System, args),
    }
}

/// `cargo xtask test [--vendored] [args]`: `cargo test --workspace [args]`.
fn test(args: &[OsString]) -> Outcome {
    let (toolchain, args) = split_vendored_flag(args);
    setup(toolchain, false)?;
    let mut command = cargo(&target_dir());
    command.args(["test", "--workspace"]);
    if toolchain == Toolchain::Vendored {
        command.args(["--features", "scanner-engine/vendored"]);
    }
    command.args(args);
    run(&mut command).map(|()| 0)
}

/// `cargo xtask vendored`: builds the CLI against Vectorscan built from
/// source and checks that it reports its version and finds a planted token.
fn vendored_smoke() -> Outcome {
    setup(Toolchain::Vendored, false)?;
    let target_dir = target_dir();
    let mut build = cargo(&target_dir);
    build.args(["build", "-p", "scanner-cli", "--features", "vendored"]);
    run(&mut build).map_err(|f| Failure::new(2, f.message))?;
    let binary = target_dir
        .path()
        .join("debug")
        .join(format!("secretscan{}", env::consts::EXE_SUFFIX));
    let version = Command::new(&binary)
        .arg("--version")
        .output()
        .map_err(|e| Failure::new(2, format!("could not run {}: {e}", binary.display())))?;
    let version = String::from_utf8_lossy(&version.stdout).into_owned();
    if !version.contains("Vectorscan") {
        return Err(Failure::new(
            1,
            format!("`secretscan --version` does not name Vectorscan: {version:?}"),
        ));
    }
    let input = "config: token = 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\n";
    let mut scan = Command::new(&binary);
    scan.args(["stdin", "--format", "jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    let mut child = scan
        .spawn()
        .map_err(|e| Failure::new(2, format!("could not run {}: {e}", binary.display())))?;
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        stdin
            .write_all(input.as_bytes())
            .map_err(|e| Failure::new(2, format!("writing to secretscan stdin: {e}")))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|e| Failure::new(2, format!("waiting for secretscan: {e}")))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if output.status.code() != Some(1) || !stdout.contains("github") {
        return Err(Failure::new(
            1,
            format!(
                "vendored smoke scan: expected exit 1 and a GitHub finding, got {} and {stdout:?}",
                output.status
            ),
        ));
    }
    eprintln!("vendored: OK ({})", version.trim());
    Ok(0)
}

/// `cargo xtask lint`: rustfmt check, then clippy with warnings denied.
fn lint() -> Outcome {
    setup(Toolchain::System, false)?;
    let target_dir = target_dir();
    run(cargo(&target_dir).args(["fmt", "--all", "--", "--check"]))?;
    run(cargo(&target_dir).args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    Ok(0)
}

/// `cargo xtask ci`: `lint`, then `test`.
fn ci() -> Outcome {
    lint()?;
    test(&[])
}

/// `cargo xtask bench [flags] [-- criterion args]`: the criterion
/// benchmarks, then end-to-end runs of the release binary (see `bench.rs`).
fn bench(args: &[OsString]) -> Outcome {
    let Some(opts) = bench::parse(args).map_err(|m| Failure::new(2, m))? else {
        println!("{}", bench::USAGE);
        return Ok(0);
    };
    setup(Toolchain::System, false)?;
    let criterion_table = if opts.criterion {
        bench::criterion(&opts)?
    } else {
        String::new()
    };
    let mut section = String::new();
    if opts.e2e {
        let binary = build_release_cli()?;
        let work = target_dir().path().join("bench-e2e");
        section = bench::end_to_end(&opts, &binary, &work).map_err(|m| Failure::new(1, m))?;
    }
    if !criterion_table.is_empty() {
        if !section.is_empty() {
            section.push('\n');
        }
        section.push_str(&criterion_table);
    }
    println!("{section}");
    if opts.write && opts.e2e {
        write_doc_section("bench", &section)?;
    }
    Ok(0)
}

/// `cargo xtask compare [flags]`: secretscan and peer scanners on one tree.
fn compare(args: &[OsString]) -> Outcome {
    let Some(opts) = compare::parse(args).map_err(|m| Failure::new(2, m))? else {
        println!("{}", compare::USAGE);
        return Ok(0);
    };
    setup(Toolchain::System, false)?;
    let binary = build_release_cli()?;
    let work = target_dir().path().join("compare");
    let section = compare::run(&opts, &binary, &work).map_err(|m| Failure::new(1, m))?;
    println!("{section}");
    if opts.write {
        write_doc_section("compare", &section)?;
    }
    Ok(0)
}

/// Replaces the `<!-- NAME:begin -->` ... `<!-- NAME:end -->` section of
/// docs/performance.md with `body`.
fn write_doc_section(name: &str, body: &str) -> Result<(), Failure> {
    let path = workspace_root().join("docs").join("performance.md");
    let doc = fs::read_to_string(&path)
        .map_err(|e| Failure::new(2, format!("cannot read {}: {e}", path.display())))?;
    fs::write(&path, measure::replace_between_markers(&doc, name, body))
        .map_err(|e| Failure::new(2, format!("cannot write {}: {e}", path.display())))?;
    eprintln!("xtask: table written to {}", path.display());
    Ok(())
}

/// `cargo xtask fuzz [--time SECS] [TARGET...]`: runs the cargo-fuzz targets.
fn fuzz(args: &[OsString]) -> Outcome {
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

// ---------------------------------------------------------------------------
// Running commands
// ---------------------------------------------------------------------------

/// Runs `command` with inherited stdio; fails with a message naming the
/// command if it cannot start or exits unsuccessfully. The failure carries the
/// command's exit code (1 if it has none, e.g. when killed by a signal).
fn run(command: &mut Command) -> Result<(), Failure> {
    let shown = display_command(command);
    let status = command
        .status()
        .map_err(|e| Failure::new(2, format!("could not start `{shown}`: {e}")))?;
    if status.success() {
        return Ok(());
    }
    let code = status
        .code()
        .and_then(|c| u8::try_from(c).ok())
        .filter(|&c| c != 0)
        .unwrap_or(1);
    Err(Failure::new(code, format!("`{shown}` failed ({status})")))
}

/// `program arg...` for messages (environment variables are not shown).
fn display_command(command: &Command) -> String {
    let mut shown = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        shown.push(' ');
        shown.push_str(&arg.to_string_lossy());
    }
    shown
}

/// A `cargo` command (the one running this program, if known), run from the
/// workspace root and building into `target_dir`.
fn cargo(target_dir: &TargetDir) -> Command {
    let program = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut command = Command::new(program);
    command.current_dir(workspace_root());
    match target_dir {
        TargetDir::User(dir) | TargetDir::Home(dir) => {
            command.env("CARGO_TARGET_DIR", dir);
        }
        TargetDir::Default(_) => {}
    }
    command
}

/// The workspace root: the parent of this package's directory.
fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// Where cargo builds, as an absolute path, and who chose it.
#[derive(Debug, PartialEq, Eq)]
enum TargetDir {
    /// `CARGO_TARGET_DIR` as set by the user (made absolute).
    User(PathBuf),
    /// `$HOME/.cache/secretscan/target`, because `CARGO_TARGET_DIR` is unset.
    Home(PathBuf),
    /// Cargo's default, `<workspace>/target` (neither variable is set).
    Default(PathBuf),
}

impl TargetDir {
    fn path(&self) -> &Path {
        match self {
            TargetDir::User(dir) | TargetDir::Home(dir) | TargetDir::Default(dir) => dir,
        }
    }
}

/// The target directory for this run. Says so on stderr (once) when xtask
/// picks the persistent directory under `HOME`.
fn target_dir() -> TargetDir {
    let cwd = env::current_dir().unwrap_or_else(|_| workspace_root());
    let dir = choose_target_dir(
        env::var_os("CARGO_TARGET_DIR").as_deref(),
        env::var_os("HOME").as_deref(),
        &cwd,
        &workspace_root(),
    );
    if let TargetDir::Home(path) = &dir {
        use std::sync::atomic::{AtomicBool, Ordering};
        static SAID: AtomicBool = AtomicBool::new(false);
        if !SAID.swap(true, Ordering::Relaxed) {
            eprintln!(
                "xtask: CARGO_TARGET_DIR is unset; using {} (persistent, so Vectorscan is built only once)",
                path.display()
            );
        }
    }
    dir
}

/// Decides the target directory from `CARGO_TARGET_DIR` and `HOME`. A relative
/// `CARGO_TARGET_DIR` is taken relative to `cwd`, as cargo would.
fn choose_target_dir(
    cargo_target_dir: Option<&OsStr>,
    home: Option<&OsStr>,
    cwd: &Path,
    workspace_root: &Path,
) -> TargetDir {
    match (cargo_target_dir, home) {
        (Some(dir), _) if !dir.is_empty() => TargetDir::User(cwd.join(dir)),
        (_, Some(home)) if !home.is_empty() => TargetDir::Home(
            Path::new(home)
                .join(".cache")
                .join("secretscan")
                .join("target"),
        ),
        _ => TargetDir::Default(workspace_root.join("target")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_dir_prefers_env_then_home_then_workspace() {
        let cwd = Path::new("/work/here");
        let root = Path::new("/work");
        let home = Some(OsStr::new("/h"));
        assert_eq!(
            choose_target_dir(Some(OsStr::new("/t")), home, cwd, root),
            TargetDir::User("/t".into())
        );
        assert_eq!(
            choose_target_dir(Some(OsStr::new("rel")), None, cwd, root),
            TargetDir::User("/work/here/rel".into())
        );
        assert_eq!(
            choose_target_dir(None, home, cwd, root),
            TargetDir::Home("/h/.cache/secretscan/target".into())
        );
        assert_eq!(
            choose_target_dir(Some(OsStr::new("")), None, cwd, root),
            TargetDir::Default("/work/target".into())
        );
    }

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
