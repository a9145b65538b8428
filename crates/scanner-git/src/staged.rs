//! What is staged for the next commit: index entries whose blob differs
//! from the blob at the same path in HEAD's tree (all entries when there is
//! no HEAD yet). For a pre-commit hook: changes in the work tree that are
//! not staged are not scanned, and unchanged files are not rescanned.

use std::collections::HashMap;
use std::sync::Arc;

use gix::ObjectId;

use crate::inventory::{BlobEntry, Inventory, Location};
use crate::GitError;

/// The staged blobs as an inventory (no commits; locations are index paths).
pub fn staged(repo: &gix::Repository) -> Result<Inventory, GitError> {
    let head = head_blobs(repo)?;
    let index = repo
        .index_or_empty()
        .map_err(|e| GitError::new("read the index", e))?;
    let mut inv = Inventory::default();
    for entry in index.entries() {
        if !matches!(
            entry.mode,
            gix::index::entry::Mode::FILE | gix::index::entry::Mode::FILE_EXECUTABLE
        ) {
            continue;
        }
        let path = entry.path(&index).to_string();
        if head.get(&path) == Some(&entry.id) {
            continue;
        }
        inv.blobs.push(BlobEntry {
            id: entry.id,
            locations: vec![Location {
                commit: None,
                path: Arc::from(path),
            }],
            more_locations: 0,
        });
    }
    Ok(inv)
}

/// Path -> blob id of HEAD's tree (empty without a HEAD commit).
fn head_blobs(repo: &gix::Repository) -> Result<HashMap<String, ObjectId>, GitError> {
    let mut map = HashMap::new();
    let Ok(commit) = repo.head_commit() else {
        return Ok(map);
    };
    let tree_id = commit
        .tree_id()
        .map_err(|e| GitError::new("read HEAD's tree", e))?
        .detach();
    let mut stack = vec![(tree_id, String::new())];
    while let Some((id, prefix)) = stack.pop() {
        let tree = repo
            .find_tree(id)
            .map_err(|e| GitError::new(format!("read tree {id}"), e))?;
        for entry in tree.iter() {
            let entry = entry.map_err(|e| GitError::new(format!("decode tree {id}"), e))?;
            let name = String::from_utf8_lossy(entry.filename());
            let path = if prefix.is_empty() {
                name.into_owned()
            } else {
                format!("{prefix}/{name}")
            };
            if entry.mode().is_tree() {
                stack.push((entry.oid().to_owned(), path));
            } else {
                map.insert(path, entry.oid().to_owned());
            }
        }
    }
    Ok(map)
}
