//! secretscan's git front end: every blob reachable from a repository's
//! refs, scanned once, with the commit that introduced it.
//!
//! - [`history`]: the commits to cover, in topological order.
//! - [`inventory`]: the distinct blobs of those commits with their
//!   locations (introducing commit and path first).
//! - [`staged`]: the blobs staged in the index (for pre-commit hooks).
//! - [`scan`]: the parallel scan of an inventory through scanner-fs.
//!
//! Pure Rust through gix: no `git` process, no libgit2; bare repositories
//! and packed objects work. Blobs are read whole (git stores them
//! compressed; one blob per scanning thread is in memory at a time) and
//! larger than 8 MiB ones are scanned through the engine's stream API.
//!
//! ```no_run
//! use scanner_git::{open, plan, RefSelection};
//! let repo = open(std::path::Path::new(".")).unwrap();
//! let covered = Default::default();
//! let inv = plan(&repo.to_thread_local(), &RefSelection::All, None, 8, &covered).unwrap();
//! println!("{} commits, {} blobs", inv.commits.len(), inv.blobs.len());
//! ```

pub mod history;
pub mod inventory;
pub mod scan;
pub mod staged;

use std::fmt;
use std::path::Path;

pub use gix::ObjectId;
pub use history::{CommitInfo, RefSelection};
pub use inventory::{BlobEntry, Inventory, Location};
pub use scan::{scan_blobs, BlobScan};

/// A git operation that failed, with what was being done.
#[derive(Debug)]
pub struct GitError {
    pub context: String,
    pub message: String,
}

impl GitError {
    pub fn new(context: impl Into<String>, e: impl fmt::Display) -> GitError {
        GitError {
            context: context.into(),
            message: e.to_string(),
        }
    }

    /// A `map_err` adapter with a fixed context.
    pub fn of<E: fmt::Display>(context: &'static str) -> impl Fn(E) -> GitError {
        move |e| GitError::new(context, e)
    }
}

impl fmt::Display for GitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.context, self.message)
    }
}

impl std::error::Error for GitError {}

/// Opens the repository at `path` (a work tree or a bare repository).
pub fn open(path: &Path) -> Result<gix::ThreadSafeRepository, GitError> {
    gix::open(path)
        .map(|r| r.into_sync())
        .map_err(|e| GitError::new(format!("{}: not a git repository", path.display()), e))
}

/// The inventory of a history scan: commits reachable from `refs` but not
/// from `since` (a revision), and their blobs, less the blobs already in
/// the trees of the commits `since` leaves out.
///
/// Commits in `covered` (every blob of theirs recorded by an earlier scan)
/// are listed but their trees are not walked.
pub fn plan(
    repo: &gix::Repository,
    refs: &RefSelection,
    since: Option<&str>,
    max_locations: usize,
    covered: &std::collections::HashSet<ObjectId>,
) -> Result<Inventory, GitError> {
    let tips = history::tips(repo, refs)?;
    let hide = since
        .map(|rev| history::resolve_commit(repo, rev))
        .transpose()?;
    let sel = history::commits_in_order(repo, &tips.commits, hide)?;
    inventory::build(
        repo,
        sel.commits,
        &tips,
        &sel.boundary_trees,
        covered,
        max_locations,
    )
}

/// The inventory of what is staged in the index.
pub fn plan_staged(repo: &gix::Repository) -> Result<Inventory, GitError> {
    staged::staged(repo)
}
