//! Running commands and cargo from xtask: where cargo builds
//! ([`target_dir`]: `CARGO_TARGET_DIR`, else a persistent folder under
//! `$HOME/.cache`, else the workspace's `target`), the workspace root, and
//! running a command with a failure that names it.
//!
//! Invariants: every command xtask runs goes through [`run`] (or reports its
//! exit status itself), so a failure always names the command; cargo runs
//! from the workspace root.

use std::env;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Failure;

/// Runs `command` with inherited stdio; fails with a message naming the
/// command if it cannot start or exits unsuccessfully. The failure carries the
/// command's exit code (1 if it has none, e.g. when killed by a signal).
pub(crate) fn run(command: &mut Command) -> Result<(), Failure> {
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
pub(crate) fn display_command(command: &Command) -> String {
    let mut shown = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        shown.push(' ');
        shown.push_str(&arg.to_string_lossy());
    }
    shown
}

/// A `cargo` command (the one running this program, if known), run from the
/// workspace root and building into `target_dir`.
pub(crate) fn cargo(target_dir: &TargetDir) -> Command {
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
pub(crate) fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// Where cargo builds, as an absolute path, and who chose it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TargetDir {
    /// `CARGO_TARGET_DIR` as set by the user (made absolute).
    User(PathBuf),
    /// `$HOME/.cache/secretscan/target`, because `CARGO_TARGET_DIR` is unset.
    Home(PathBuf),
    /// Cargo's default, `<workspace>/target` (neither variable is set).
    Default(PathBuf),
}

impl TargetDir {
    pub(crate) fn path(&self) -> &Path {
        match self {
            TargetDir::User(dir) | TargetDir::Home(dir) | TargetDir::Default(dir) => dir,
        }
    }
}

/// The target directory for this run. Says so on stderr (once) when xtask
/// picks the persistent directory under `HOME`.
pub(crate) fn target_dir() -> TargetDir {
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
pub(crate) fn choose_target_dir(
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
}
