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
//!   on a crash, naming the artifact (see `fuzz.rs` and `docs/fuzzing.md`).
//!
//! Running cargo and other commands, and where cargo builds, is in
//! `cargo.rs`; this file holds the command table and the small commands.
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
use std::ffi::OsString;
use std::fs;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

mod bench;
mod cargo;
mod compare;
mod fuzz;
mod gitbench;
mod measure;
mod precision;
mod rss;
mod setup;
mod tree;

use setup::{setup, Toolchain};

pub(crate) use cargo::{cargo, display_command, run, target_dir, workspace_root};
use fuzz::fuzz;

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

/// Builds the CLI in release mode and returns the path of the binary.
fn build_release_cli() -> Result<PathBuf, Failure> {
    build_cli(&target_dir(), &[])
}

/// Builds the release CLI with Vectorscan compiled from source for this
/// CPU (`--features vendored-native`) in its own target directory (the
/// regular one with `-native` appended), so the two builds do not replace
/// each other; returns the binary.
fn build_native_cli() -> Result<PathBuf, Failure> {
    setup(Toolchain::Vendored, false)?;
    let mut dir = target_dir().path().as_os_str().to_owned();
    dir.push("-native");
    let native = cargo::TargetDir::User(PathBuf::from(dir));
    eprintln!(
        "xtask: building secretscan with Vectorscan for this CPU in {} (about 10 minutes the first time)",
        native.path().display()
    );
    build_cli(&native, &["--features", "vendored-native"])
}

/// `cargo build --release -p scanner-cli EXTRA` in `target_dir`; the
/// binary's path.
fn build_cli(target_dir: &cargo::TargetDir, extra: &[&str]) -> Result<PathBuf, Failure> {
    let mut build = cargo(target_dir);
    build
        .args(["build", "--release", "-p", "scanner-cli"])
        .args(extra);
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

/// `cargo xtask scan PATH... [flags]`: builds the CLI and runs `secretscan dir`.
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
        let native = if opts.native {
            Some(build_native_cli()?)
        } else {
            None
        };
        let work = target_dir().path().join("bench-e2e");
        section = bench::end_to_end(&opts, &binary, native.as_deref(), &work)
            .map_err(|m| Failure::new(1, m))?;
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
