//! The blobs a history scan reads, each once, with where they appear.
//!
//! Commits are visited in topological order (see [`crate::history`]); each
//! commit's tree is walked, skipping subtrees already walked (same tree id
//! = same content), so a tree is read once however many commits share it.
//! A blob's first location is the commit that introduced it and its path
//! there; later locations are kept up to a bound, the rest counted.
//!
//! Invariants: every blob reachable from the selected commits (and from
//! tags pointing at trees or blobs) is listed exactly once; submodule
//! entries (commits of another repository) and symbolic links (their
//! target path) are not blobs to scan.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use gix::ObjectId;

use crate::history::{CommitInfo, Tips};
use crate::GitError;

/// Where a blob appears: a commit (index into [`Inventory::commits`]; none
/// for blobs of the index or tagged directly) and a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub commit: Option<u32>,
    pub path: Arc<str>,
}

/// One distinct blob.
#[derive(Clone, Debug)]
pub struct BlobEntry {
    pub id: ObjectId,
    /// First location (the introducing commit and path) first.
    pub locations: Vec<Location>,
    /// Further locations beyond the bound, counted only.
    pub more_locations: u64,
}

/// Everything a history scan will read.
#[derive(Debug, Default)]
pub struct Inventory {
    pub commits: Vec<CommitInfo>,
    pub blobs: Vec<BlobEntry>,
    /// Trees read (each distinct tree once).
    pub trees: u64,
}

impl Inventory {
    /// The commit of a location.
    pub fn commit(&self, loc: &Location) -> Option<&CommitInfo> {
        loc.commit.map(|i| &self.commits[i as usize])
    }
}

/// Builds the inventory: the blobs of every commit in `commits` (in that
/// order) and of the trees and blobs tags point to directly.
/// Trees in `excluded` (those of commits left out with `--since-commit`)
/// and everything in them are known already: their blobs are not listed.
/// Commits in `covered` are listed but their trees not walked (an earlier
/// scan recorded all their blobs).
pub fn build(
    repo: &gix::Repository,
    commits: Vec<CommitInfo>,
    tips: &Tips,
    excluded: &[ObjectId],
    covered: &HashSet<ObjectId>,
    max_locations: usize,
) -> Result<Inventory, GitError> {
    let mut b = Builder {
        repo,
        max_locations: max_locations.max(1),
        seen_trees: HashSet::new(),
        blob_index: HashMap::new(),
        excluded_blobs: HashSet::new(),
        excluding: false,
        inv: Inventory::default(),
    };
    b.excluding = true;
    for &t in excluded {
        b.walk_tree(t, None)?;
    }
    b.excluding = false;
    for (i, c) in commits.iter().enumerate() {
        if !covered.contains(&c.id) {
            b.walk_tree(c.tree, Some(i as u32))?;
        }
    }
    for &t in &tips.trees {
        b.walk_tree(t, None)?;
    }
    for &blob in &tips.blobs {
        b.add_blob(blob, None, "(tagged blob)".into());
    }
    b.inv.commits = commits;
    Ok(b.inv)
}

struct Builder<'r> {
    repo: &'r gix::Repository,
    max_locations: usize,
    seen_trees: HashSet<ObjectId>,
    blob_index: HashMap<ObjectId, usize>,
    /// Blobs of the excluded trees.
    excluded_blobs: HashSet<ObjectId>,
    /// Walking excluded trees: blobs go to `excluded_blobs`.
    excluding: bool,
    inv: Inventory,
}

impl Builder<'_> {
    /// Walks `root` and its subtrees not walked before.
    fn walk_tree(&mut self, root: ObjectId, commit: Option<u32>) -> Result<(), GitError> {
        let mut stack: Vec<(ObjectId, String)> = vec![(root, String::new())];
        while let Some((tree_id, prefix)) = stack.pop() {
            if !self.seen_trees.insert(tree_id) {
                continue;
            }
            if !self.excluding {
                self.inv.trees += 1;
            }
            let tree = self
                .repo
                .find_tree(tree_id)
                .map_err(|e| GitError::new(format!("read tree {tree_id}"), e))?;
            for entry in tree.iter() {
                let entry =
                    entry.map_err(|e| GitError::new(format!("decode tree {tree_id}"), e))?;
                let mode = entry.mode();
                let name = String::from_utf8_lossy(entry.filename());
                let path = if prefix.is_empty() {
                    name.into_owned()
                } else {
                    format!("{prefix}/{name}")
                };
                let id = entry.oid().to_owned();
                if mode.is_tree() {
                    stack.push((id, path));
                } else if mode.is_blob() {
                    self.add_blob(id, commit, path.into());
                }
                // Symbolic links and submodules are not content to scan.
            }
        }
        Ok(())
    }

    fn add_blob(&mut self, id: ObjectId, commit: Option<u32>, path: Arc<str>) {
        if self.excluding {
            self.excluded_blobs.insert(id);
            return;
        }
        if self.excluded_blobs.contains(&id) {
            return;
        }
        let loc = Location { commit, path };
        match self.blob_index.get(&id) {
            Some(&i) => {
                let entry = &mut self.inv.blobs[i];
                if entry.locations.len() < self.max_locations {
                    entry.locations.push(loc);
                } else {
                    entry.more_locations += 1;
                }
            }
            None => {
                self.blob_index.insert(id, self.inv.blobs.len());
                self.inv.blobs.push(BlobEntry {
                    id,
                    locations: vec![loc],
                    more_locations: 0,
                });
            }
        }
    }
}
