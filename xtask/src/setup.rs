//! `cargo xtask setup`: checks the system packages a build needs and, when
//! run as root on a system with apt-get, installs the missing ones.
//!
//! Two sets of requirements exist, one per way of getting Vectorscan:
//! - [`Toolchain::System`] (the default build): pkg-config, a C compiler and
//!   the distribution's `libhs` (Intel Hyperscan `libhyperscan-dev` on
//!   x86-64, `libvectorscan-dev` elsewhere), at least [`MIN_LIBHS_VERSION`]
//!   (the version `scanner-engine/build.rs` checks too), that passes a
//!   known-answer test: Debian 12's Vectorscan 5.4.9 misses literal matches
//!   on AVX-512 CPUs, so it is replaced rather than accepted;
//! - [`Toolchain::Vendored`] (`--features vendored`): the tools that build
//!   Vectorscan from source (cmake, ragel, a C++ compiler, Boost headers,
//!   pkg-config).
//!
//! Invariant: everything this module prints goes to stderr (apt-get's output
//! included), so `cargo xtask scan PATH > findings.jsonl` holds findings only.

use std::env;
use std::ffi::OsStr;
use std::fs;
use std::io;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::{run, Failure};

/// Keeps apt-get from prompting (e.g. for time zone data).
const APT_ENV: (&str, &str) = ("DEBIAN_FRONTEND", "noninteractive");

/// The oldest libhs the engine accepts; keep equal to the constant in
/// `crates/scanner-engine/build.rs`.
pub const MIN_LIBHS_VERSION: &str = "5.4.0";

/// Which Vectorscan the build links.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Toolchain {
    /// The system's libhs, found with pkg-config (default features).
    System,
    /// Vectorscan built from source by vectorscan-rs-sys (`vendored`).
    Vendored,
}

/// How to tell whether a requirement is present.
enum Check {
    /// Any of these programs is on `PATH`.
    Program(&'static [&'static str]),
    /// Any of these files exists.
    File(&'static [&'static str]),
    /// `pkg-config --atleast-version=MIN_LIBHS_VERSION libhs` succeeds and
    /// the library passes [`KNOWN_ANSWER_TEST`].
    Libhs,
}

/// A system requirement and the Debian/Ubuntu packages that provide it: the
/// first one the package index knows is installed.
struct Requirement {
    name: &'static str,
    packages: &'static [&'static str],
    check: Check,
}

const PKG_CONFIG: Requirement = Requirement {
    name: "pkg-config",
    packages: &["pkg-config"],
    check: Check::Program(&["pkg-config"]),
};

/// The libhs packages in order of preference. On x86-64 Intel's Hyperscan
/// comes first: Debian 12's Vectorscan 5.4.9 fails the known-answer test
/// there (on AVX-512 CPUs), Hyperscan 5.4.0 passes it. Other architectures
/// have only Vectorscan.
#[cfg(target_arch = "x86_64")]
const LIBHS_PACKAGES: &[&str] = &["libhyperscan-dev", "libvectorscan-dev"];
#[cfg(not(target_arch = "x86_64"))]
const LIBHS_PACKAGES: &[&str] = &["libvectorscan-dev", "libhyperscan-dev"];

const SYSTEM_REQUIREMENTS: &[Requirement] = &[
    PKG_CONFIG,
    Requirement {
        name: "C compiler (cc)",
        packages: &["gcc"],
        check: Check::Program(&["cc"]),
    },
    Requirement {
        name: "a working Hyperscan/Vectorscan library (pkg-config module libhs >= 5.4.0)",
        packages: LIBHS_PACKAGES,
        check: Check::Libhs,
    },
];

/// A C program that exits 0 when the linked libhs reports the literal
/// matches it must (the same known-answer test the engine runs before it
/// builds a database, see `scanner-engine/src/vectorscan/mod.rs`).
const KNOWN_ANSWER_TEST: &str = r#"
#include <hs.h>
#include <stdio.h>
#include <string.h>
static int hits;
static int on_match(unsigned id, unsigned long long from, unsigned long long to,
                    unsigned flags, void *ctx) {
    (void)from; (void)flags; (void)ctx;
    if (id == 0 && to == 285) hits++; else hits += 100;
    return 0;
}
int main(void) {
    const char *patterns[] = {"tok_", "begin-blob", "end-blob"};
    unsigned flags[] = {HS_FLAG_CASELESS, HS_FLAG_CASELESS, HS_FLAG_CASELESS};
    unsigned ids[] = {0, 1, 2};
    char text[400] = "";
    hs_database_t *db = NULL;
    hs_compile_error_t *err = NULL;
    hs_scratch_t *scratch = NULL;
    for (int i = 0; i < 40; i++) strcat(text, "filler ");
    strcat(text, " tok_abcdef012345");
    if (hs_compile_multi(patterns, flags, ids, 3, HS_MODE_BLOCK, NULL, &db, &err) != HS_SUCCESS)
        return 2;
    if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS) return 2;
    if (hs_scan(db, text, (unsigned)strlen(text), 0, scratch, on_match, NULL) != HS_SUCCESS)
        return 2;
    printf("libhs %s: %d of 1 expected match\n", hs_version(), hits);
    return hits == 1 ? 0 : 1;
}
"#;

const VENDORED_REQUIREMENTS: &[Requirement] = &[
    Requirement {
        name: "cmake",
        packages: &["cmake"],
        check: Check::Program(&["cmake"]),
    },
    Requirement {
        name: "ragel",
        packages: &["ragel"],
        check: Check::Program(&["ragel"]),
    },
    Requirement {
        name: "C++ compiler (c++ or g++)",
        packages: &["g++"],
        check: Check::Program(&["c++", "g++"]),
    },
    Requirement {
        name: "Boost headers (boost/version.hpp)",
        packages: &["libboost-dev"],
        check: Check::File(&[
            "/usr/include/boost/version.hpp",
            "/usr/local/include/boost/version.hpp",
        ]),
    },
    PKG_CONFIG,
];

fn requirements(toolchain: Toolchain) -> &'static [Requirement] {
    match toolchain {
        Toolchain::System => SYSTEM_REQUIREMENTS,
        Toolchain::Vendored => VENDORED_REQUIREMENTS,
    }
}

/// Makes sure the requirements of `toolchain` are met. `verbose` prints a
/// line even when nothing is missing.
pub fn setup(toolchain: Toolchain, verbose: bool) -> Result<(), Failure> {
    let path_var = env::var_os("PATH");
    let missing = missing_requirements(toolchain, path_var.as_deref());
    let first_choices: Vec<&str> = missing.iter().map(|r| r.packages[0]).collect();
    match plan(&first_choices, is_root()) {
        Plan::NothingToDo => {
            if verbose {
                let names: Vec<&str> = requirements(toolchain).iter().map(|r| r.name).collect();
                eprintln!("setup: OK ({} found)", names.join(", "));
            }
            Ok(())
        }
        Plan::Instruct(command) => {
            report_missing(&missing);
            Err(Failure::new(
                2,
                format!(
                    "missing system packages; install them with:\n    {command}\n\
                     (libhyperscan-dev instead of libvectorscan-dev on releases without \
                     Vectorscan; on systems without apt-get, install the equivalent packages)"
                ),
            ))
        }
        Plan::Install(_) => {
            report_missing(&missing);
            if !find_program("apt-get", path_var.as_deref()) {
                return Err(Failure::new(
                    2,
                    format!(
                        "missing system packages and apt-get is not available; \
                         install the equivalent of these Debian packages: {}",
                        first_choices.join(" ")
                    ),
                ));
            }
            let mut update = Command::new("apt-get");
            update.args(["update", "-q"]).env(APT_ENV.0, APT_ENV.1);
            run(update.stdout(stderr()))?;
            let mut packages: Vec<String> = missing
                .iter()
                .map(|r| available_package(r).to_string())
                .collect();
            packages.extend(conflicting_removals(&packages));
            eprintln!(
                "setup: running as root; apt-get install {}",
                packages.join(" ")
            );
            let mut install = Command::new("apt-get");
            install
                .args(["install", "-y", "-q", "--no-install-recommends"])
                .args(&packages)
                .env(APT_ENV.0, APT_ENV.1);
            run(install.stdout(stderr()))?;
            let still_missing = missing_requirements(toolchain, env::var_os("PATH").as_deref());
            if still_missing.is_empty() {
                eprintln!("setup: OK");
                Ok(())
            } else {
                report_missing(&still_missing);
                Err(Failure::new(
                    2,
                    "system packages still missing after apt-get install",
                ))
            }
        }
    }
}

/// Our stderr as a child's stdout.
fn stderr() -> Stdio {
    Stdio::from(io::stderr())
}

/// The two libhs packages conflict: installing one means removing the other
/// (apt-get's `package-` syntax), for each one that is installed.
fn conflicting_removals(installing: &[String]) -> Vec<String> {
    let conflicts: &[(&str, &[&str])] = &[
        ("libhyperscan-dev", &["libvectorscan-dev", "libvectorscan5"]),
        ("libvectorscan-dev", &["libhyperscan-dev", "libhyperscan5"]),
    ];
    let installed = |package: &str| {
        Command::new("dpkg-query")
            .args(["-W", "-f=${Status}", package])
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
    };
    conflicts
        .iter()
        .filter(|(package, _)| installing.iter().any(|p| p == package))
        .flat_map(|(_, others)| others.iter())
        .filter(|other| installed(other))
        .map(|other| format!("{other}-"))
        .collect()
}

/// The first of the requirement's packages that apt knows (after
/// `apt-get update`), else the first one (apt-get then names the problem).
fn available_package(requirement: &Requirement) -> &'static str {
    requirement
        .packages
        .iter()
        .copied()
        .find(|package| {
            Command::new("apt-cache")
                .args(["show", "--no-all-versions", package])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .unwrap_or(requirement.packages[0])
}

/// The requirements of `toolchain` not met, looking up programs in `path_var`.
fn missing_requirements(
    toolchain: Toolchain,
    path_var: Option<&OsStr>,
) -> Vec<&'static Requirement> {
    requirements(toolchain)
        .iter()
        .filter(|r| match r.check {
            Check::Program(names) => !names.iter().any(|n| find_program(n, path_var)),
            Check::File(paths) => !paths.iter().any(|p| Path::new(p).is_file()),
            Check::Libhs => !libhs_found(path_var),
        })
        .collect()
}

/// Whether pkg-config (looked up in `path_var`) finds a recent enough libhs
/// and a program linked with it passes [`KNOWN_ANSWER_TEST`].
fn libhs_found(path_var: Option<&OsStr>) -> bool {
    if !find_program("pkg-config", path_var) || !find_program("cc", path_var) {
        return false;
    }
    let pkg_config = |args: &[&str]| {
        let mut command = Command::new("pkg-config");
        if let Some(path) = path_var {
            command.env("PATH", path);
        }
        command
            .args(args)
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
    };
    let version_ok = pkg_config(&[&format!("--atleast-version={MIN_LIBHS_VERSION}"), "libhs"]);
    let Some(flags) = version_ok.and_then(|_| pkg_config(&["--cflags", "--libs", "libhs"])) else {
        return false;
    };
    match known_answer_test(&flags) {
        Ok(()) => true,
        Err(why) => {
            eprintln!("setup: the installed libhs is not usable: {why}");
            false
        }
    }
}

/// Compiles and runs [`KNOWN_ANSWER_TEST`] against libhs with the given
/// compiler flags (from pkg-config).
fn known_answer_test(pkg_config_flags: &str) -> Result<(), String> {
    let dir = env::temp_dir().join(format!("secretscan-setup-{}", std::process::id()));
    fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let source = dir.join("known_answer.c");
    let binary = dir.join("known_answer");
    let result = (|| {
        fs::write(&source, KNOWN_ANSWER_TEST).map_err(|e| e.to_string())?;
        let compiled = Command::new("cc")
            .arg(&source)
            .arg("-o")
            .arg(&binary)
            .args(pkg_config_flags.split_whitespace())
            .output()
            .map_err(|e| format!("running cc: {e}"))?;
        if !compiled.status.success() {
            return Err(format!(
                "could not compile a test program against it: {}",
                String::from_utf8_lossy(&compiled.stderr).trim()
            ));
        }
        let ran = Command::new(&binary)
            .output()
            .map_err(|e| format!("running the test program: {e}"))?;
        if ran.status.success() {
            Ok(())
        } else {
            Err(format!(
                "it misses matches ({}); Debian 12's Vectorscan 5.4.9 does on AVX-512 CPUs",
                String::from_utf8_lossy(&ran.stdout).trim()
            ))
        }
    })();
    let _ = fs::remove_dir_all(&dir);
    result
}

/// Whether an executable file `name` exists in a directory of `path_var`.
pub fn find_program(name: &str, path_var: Option<&OsStr>) -> bool {
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
            requirement.name,
            requirement.packages.join(" or ")
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
            plan(&["pkg-config", "libvectorscan-dev"], false),
            Plan::Instruct("sudo apt-get install -y pkg-config libvectorscan-dev".into())
        );
    }

    #[test]
    fn empty_path_misses_every_requirement() {
        let path = Some(OsStr::new("/nonexistent"));
        let missing: Vec<&str> = missing_requirements(Toolchain::System, path)
            .iter()
            .map(|r| r.packages[0])
            .collect();
        // Without pkg-config on PATH the library cannot be found either.
        assert_eq!(missing, ["pkg-config", "gcc", LIBHS_PACKAGES[0]]);
        let missing: Vec<&str> = missing_requirements(Toolchain::Vendored, path)
            .iter()
            .map(|r| r.packages[0])
            .collect();
        for package in ["cmake", "ragel", "g++", "pkg-config"] {
            assert!(missing.contains(&package), "{package} not reported missing");
        }
    }

    #[test]
    fn system_toolchain_needs_no_source_build_tools() {
        let packages: Vec<&str> = SYSTEM_REQUIREMENTS
            .iter()
            .flat_map(|r| r.packages.iter().copied())
            .collect();
        for tool in ["cmake", "ragel", "libboost-dev"] {
            assert!(
                !packages.contains(&tool),
                "{tool} required by the default build"
            );
        }
    }

    #[test]
    fn installed_libhs_passes_the_known_answer_test() {
        // Setup has run before the tests (cargo xtask test), so the library
        // the workspace links is installed and must pass.
        assert!(libhs_found(env::var_os("PATH").as_deref()));
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
}
