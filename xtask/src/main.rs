//! Developer tasks for the secretscan workspace, run as `cargo xtask <command>`
//! (the alias lives in `.cargo/config.toml`).
//!
//! Commands:
//!
//! - `setup`: check (and, as root, install with apt-get) the system tools
//!   needed to build Vectorscan: cmake, ragel, a C++ compiler, Boost headers
//!   and pkg-config.
//! - `scan PATH... [flags]`: build the CLI in release mode and run
//!   `secretscan dir PATH... [flags]`, exiting with its exit code.
//! - `test [args]`: `cargo test --workspace [args]`.
//! - `lint`: `cargo fmt --check` and `cargo clippy -D warnings`.
//! - `ci`: `lint`, then `test`.
//! - `bench [args]`: `cargo bench -p secretscan-benches -- [args]`.
//!
//! Every command except `help` runs `setup` first. When `CARGO_TARGET_DIR` is
//! unset, cargo is run with `CARGO_TARGET_DIR=$HOME/.cache/secretscan/target`,
//! a persistent directory shared by all checkouts, so that the ~9 minute
//! Vectorscan build happens once per profile rather than once per checkout.
//!
//! This program uses the standard library only, so that building it is
//! instant.

use std::env;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// Keeps apt-get from prompting (e.g. for time zone data).
const APT_ENV: (&str, &str) = ("DEBIAN_FRONTEND", "noninteractive");

const USAGE: &str = "\
Usage: cargo xtask <command> [args]

Commands:
  setup                 check the tools needed to build Vectorscan (cmake, ragel, C++ compiler,
                        Boost headers, pkg-config); install them with apt-get when run as root
  scan PATH... [FLAGS]  build secretscan (release) and run `secretscan dir PATH... [FLAGS]`
  test [ARGS]           run `cargo test --workspace [ARGS]`
  lint                  run `cargo fmt --all -- --check`, then
                        `cargo clippy --workspace --all-targets -- -D warnings`
  ci                    run `lint`, then `test`
  bench [ARGS]          run `cargo bench -p secretscan-benches -- [ARGS]`
  help                  print this message

All commands but `help` run `setup` first. If CARGO_TARGET_DIR is unset, cargo builds into
$HOME/.cache/secretscan/target so that Vectorscan is built only once.";

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
        Some("setup") => setup(true).map(|()| 0),
        Some("scan") => scan(&rest),
        Some("test") => test(&rest),
        Some("lint") => lint(),
        Some("ci") => ci(),
        Some("bench") => bench(&rest),
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

/// `cargo xtask setup`: makes sure the Vectorscan build dependencies exist.
/// `verbose` prints a line even when nothing is missing.
fn setup(verbose: bool) -> Result<(), Failure> {
    let path_var = env::var_os("PATH");
    let missing = missing_requirements(path_var.as_deref());
    let packages: Vec<&str> = missing.iter().map(|r| r.package).collect();
    match plan(&packages, is_root()) {
        Plan::NothingToDo => {
            if verbose {
                let names: Vec<&str> = REQUIREMENTS.iter().map(|r| r.name).collect();
                println!("setup: OK ({} found)", names.join(", "));
            }
            Ok(())
        }
        Plan::Instruct(command) => {
            report_missing(&missing);
            Err(Failure::new(
                2,
                format!(
                    "missing build tools for Vectorscan; install them with:\n    {command}\n\
                     (on systems without apt-get, install the equivalent packages)"
                ),
            ))
        }
        Plan::Install(packages) => {
            report_missing(&missing);
            if !find_program("apt-get", path_var.as_deref()) {
                return Err(Failure::new(
                    2,
                    format!(
                        "missing build tools for Vectorscan and apt-get is not available; \
                         install the equivalent of these Debian packages: {}",
                        packages.join(" ")
                    ),
                ));
            }
            eprintln!("setup: running as root; installing {}", packages.join(" "));
            let mut update = Command::new("apt-get");
            update.arg("update").env(APT_ENV.0, APT_ENV.1);
            run(&mut update)?;
            let mut install = Command::new("apt-get");
            install
                .args(["install", "-y"])
                .args(&packages)
                .env(APT_ENV.0, APT_ENV.1);
            run(&mut install)?;
            let still_missing = missing_requirements(env::var_os("PATH").as_deref());
            if still_missing.is_empty() {
                eprintln!("setup: OK");
                Ok(())
            } else {
                report_missing(&still_missing);
                Err(Failure::new(
                    2,
                    "build tools still missing after apt-get install",
                ))
            }
        }
    }
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
    setup(false)?;
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

/// `cargo xtask test [args]`: `cargo test --workspace [args]`.
fn test(args: &[OsString]) -> Outcome {
    setup(false)?;
    let mut command = cargo(&target_dir());
    command.args(["test", "--workspace"]).args(args);
    run(&mut command).map(|()| 0)
}

/// `cargo xtask lint`: rustfmt check, then clippy with warnings denied.
fn lint() -> Outcome {
    setup(false)?;
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

/// `cargo xtask bench [args]`: criterion benchmarks, `args` go to criterion.
fn bench(args: &[OsString]) -> Outcome {
    setup(false)?;
    let mut command = cargo(&target_dir());
    command
        .args(["bench", "-p", "secretscan-benches", "--"])
        .args(args);
    run(&mut command).map(|()| 0)
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

// ---------------------------------------------------------------------------
// Setup: requirements and what to do about missing ones
// ---------------------------------------------------------------------------

/// How to tell whether a requirement is present.
enum Check {
    /// Any of these programs is on `PATH`.
    Program(&'static [&'static str]),
    /// Any of these files exists.
    File(&'static [&'static str]),
}

/// A system tool needed to build Vectorscan and the Debian package providing it.
struct Requirement {
    name: &'static str,
    package: &'static str,
    check: Check,
}

const REQUIREMENTS: &[Requirement] = &[
    Requirement {
        name: "cmake",
        package: "cmake",
        check: Check::Program(&["cmake"]),
    },
    Requirement {
        name: "ragel",
        package: "ragel",
        check: Check::Program(&["ragel"]),
    },
    Requirement {
        name: "C++ compiler (c++ or g++)",
        package: "g++",
        check: Check::Program(&["c++", "g++"]),
    },
    Requirement {
        name: "Boost headers (boost/version.hpp)",
        package: "libboost-dev",
        check: Check::File(&[
            "/usr/include/boost/version.hpp",
            "/usr/local/include/boost/version.hpp",
        ]),
    },
    Requirement {
        name: "pkg-config",
        package: "pkg-config",
        check: Check::Program(&["pkg-config"]),
    },
];

/// The requirements not satisfied, looking up programs in `path_var`.
fn missing_requirements(path_var: Option<&OsStr>) -> Vec<&'static Requirement> {
    REQUIREMENTS
        .iter()
        .filter(|r| match r.check {
            Check::Program(names) => !names.iter().any(|n| find_program(n, path_var)),
            Check::File(paths) => !paths.iter().any(|p| Path::new(p).is_file()),
        })
        .collect()
}

/// Whether an executable file `name` exists in a directory of `path_var`.
fn find_program(name: &str, path_var: Option<&OsStr>) -> bool {
    let Some(path_var) = path_var else {
        return false;
    };
    env::split_paths(path_var).any(|dir| {
        let candidate = dir.join(format!("{name}{}", env::consts::EXE_SUFFIX));
        fs::metadata(&candidate).is_ok_and(|m| m.is_file() && is_executable(&m))
    })
}

#[cfg(unix)]
fn is_executable(metadata: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    metadata.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_: &fs::Metadata) -> bool {
    true
}

fn report_missing(missing: &[&Requirement]) {
    for requirement in missing {
        eprintln!(
            "setup: missing {} (Debian/Ubuntu package: {})",
            requirement.name, requirement.package
        );
    }
}

/// What `setup` does, given the missing packages and whether we are root.
#[derive(Debug, PartialEq, Eq)]
enum Plan {
    NothingToDo,
    /// Run `apt-get update` and `apt-get install -y` these packages.
    Install(Vec<String>),
    /// Tell the user to run this command, and fail.
    Instruct(String),
}

fn plan(missing_packages: &[&str], root: bool) -> Plan {
    let mut packages: Vec<String> = Vec::new();
    for package in missing_packages {
        if !packages.iter().any(|p| p == package) {
            packages.push((*package).to_string());
        }
    }
    if packages.is_empty() {
        Plan::NothingToDo
    } else if root {
        Plan::Install(packages)
    } else {
        Plan::Instruct(format!("sudo apt-get install -y {}", packages.join(" ")))
    }
}

/// Whether the effective user id is 0: from `/proc/self/status` on Linux,
/// else from `id -u`. Unknown counts as not root (we then only print advice).
fn is_root() -> bool {
    if let Ok(status) = fs::read_to_string("/proc/self/status") {
        if let Some(euid) = effective_uid_from_proc_status(&status) {
            return euid == 0;
        }
    }
    Command::new("id")
        .arg("-u")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .is_some_and(|uid| uid.trim() == "0")
}

/// The effective uid: the second number of the `Uid:` line
/// (`Uid: real effective saved filesystem`).
fn effective_uid_from_proc_status(status: &str) -> Option<u32> {
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_missing_means_nothing_to_do() {
        assert_eq!(plan(&[], true), Plan::NothingToDo);
        assert_eq!(plan(&[], false), Plan::NothingToDo);
    }

    #[test]
    fn root_installs_only_missing_packages() {
        assert_eq!(
            plan(&["cmake", "ragel", "cmake"], true),
            Plan::Install(vec!["cmake".into(), "ragel".into()])
        );
    }

    #[test]
    fn non_root_is_told_the_sudo_command() {
        assert_eq!(
            plan(&["ragel", "libboost-dev"], false),
            Plan::Instruct("sudo apt-get install -y ragel libboost-dev".into())
        );
    }

    #[test]
    fn empty_path_misses_every_program() {
        let missing = missing_requirements(Some(OsStr::new("/nonexistent")));
        let names: Vec<&str> = missing.iter().map(|r| r.package).collect();
        for package in ["cmake", "ragel", "g++", "pkg-config"] {
            assert!(names.contains(&package), "{package} not reported missing");
        }
        assert!(missing_requirements(None).len() >= 4);
    }

    #[test]
    fn programs_are_found_on_path() {
        assert!(find_program(
            "sh",
            Some(OsStr::new("/nonexistent:/bin:/usr/bin"))
        ));
        assert!(!find_program("sh", Some(OsStr::new("/nonexistent"))));
    }

    #[test]
    fn effective_uid_is_parsed() {
        let status = "Name:\tx\nUid:\t1000\t0\t1000\t1000\nGid:\t1\t1\t1\t1\n";
        assert_eq!(effective_uid_from_proc_status(status), Some(0));
        assert_eq!(effective_uid_from_proc_status("Name:\tx\n"), None);
    }

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
}
