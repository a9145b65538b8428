//! Which commits a history scan covers, in topological order: every commit
//! reachable from the selected refs, parents before children (ties broken
//! by commit time, then id, so the order is deterministic), minus the
//! commits reachable from `--since-commit`.
//!
//! Invariant: each commit appears once; a commit's parents that are in the
//! set come before it, so "the first commit in this order whose tree has a
//! blob" is the commit that introduced it on every path through history.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

use gix::ObjectId;

use crate::GitError;

/// What a finding's provenance says about a commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitInfo {
    pub id: ObjectId,
    pub tree: ObjectId,
    pub author_name: String,
    pub author_email: String,
    /// Author time, seconds since the Unix epoch.
    pub time: i64,
    /// First line of the message.
    pub summary: String,
}

/// Which refs to start from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum RefSelection {
    /// Every ref (branches, tags, remotes, notes, stash) and HEAD.
    #[default]
    All,
    /// One revision (branch, tag, commit id, `HEAD~3`, ...).
    Rev(String),
}

/// Starting points found on the refs: commits, and trees or blobs that a
/// tag points to directly.
#[derive(Debug, Default)]
pub struct Tips {
    pub commits: Vec<ObjectId>,
    pub trees: Vec<ObjectId>,
    pub blobs: Vec<ObjectId>,
}

/// The tips selected by `sel`.
pub fn tips(repo: &gix::Repository, sel: &RefSelection) -> Result<Tips, GitError> {
    let mut ids = Vec::new();
    match sel {
        RefSelection::All => {
            let platform = repo.references().map_err(GitError::of("list refs"))?;
            for r in platform.all().map_err(GitError::of("list refs"))? {
                let mut r = r.map_err(|e| GitError::new("read ref", e))?;
                let name = r.name().as_bstr().to_string();
                match r.peel_to_id() {
                    Ok(id) => ids.push(id.detach()),
                    Err(e) => return Err(GitError::new(format!("resolve ref {name}"), e)),
                }
            }
            if let Ok(id) = repo.head_id() {
                ids.push(id.detach());
            }
        }
        RefSelection::Rev(spec) => {
            let id = repo
                .rev_parse_single(spec.as_str())
                .map_err(|e| GitError::new(format!("resolve revision `{spec}`"), e))?;
            ids.push(id.detach());
        }
    }
    let mut tips = Tips::default();
    let mut seen = HashSet::new();
    for id in ids {
        if !seen.insert(id) {
            continue;
        }
        let object = repo
            .find_object(id)
            .map_err(|e| GitError::new(format!("read object {id}"), e))?
            .peel_tags_to_end()
            .map_err(|e| GitError::new(format!("peel tag {id}"), e))?;
        match object.kind {
            gix::object::Kind::Commit => tips.commits.push(object.id),
            gix::object::Kind::Tree => tips.trees.push(object.id),
            gix::object::Kind::Blob => tips.blobs.push(object.id),
            gix::object::Kind::Tag => {}
        }
    }
    Ok(tips)
}

/// The commit `rev` resolves to (for `--since-commit`).
pub fn resolve_commit(repo: &gix::Repository, rev: &str) -> Result<ObjectId, GitError> {
    let id = repo
        .rev_parse_single(rev)
        .map_err(|e| GitError::new(format!("resolve revision `{rev}`"), e))?;
    let commit = id
        .object()
        .and_then(|o| o.peel_to_commit())
        .map_err(|e| GitError::new(format!("`{rev}` is not a commit"), e))?;
    Ok(commit.id)
}

struct Node {
    info: CommitInfo,
    parents: Vec<ObjectId>,
}

/// The commits of a scan, parents first, and the trees of the boundary:
/// hidden commits that are parents of included ones (their content counts
/// as seen).
pub struct Selection {
    pub commits: Vec<CommitInfo>,
    pub boundary_trees: Vec<ObjectId>,
}

/// Every commit reachable from `tips` and not from `hide`, parents first.
pub fn commits_in_order(
    repo: &gix::Repository,
    tips: &[ObjectId],
    hide: Option<ObjectId>,
) -> Result<Selection, GitError> {
    let hidden = match hide {
        Some(h) => reachable(repo, &[h], &HashSet::new())?
            .into_keys()
            .collect(),
        None => HashSet::new(),
    };
    let nodes = reachable(repo, tips, &hidden)?;
    let mut boundary: Vec<ObjectId> = nodes
        .values()
        .flat_map(|n| n.parents.iter())
        .filter(|p| hidden.contains(*p))
        .copied()
        .collect();
    boundary.sort_unstable();
    boundary.dedup();
    let boundary_trees = boundary
        .into_iter()
        .map(|id| read_commit(repo, id).map(|n| n.info.tree))
        .collect::<Result<Vec<_>, _>>()?;
    // Kahn's algorithm over parent -> child edges inside the set.
    let mut pending_parents: HashMap<ObjectId, usize> = HashMap::with_capacity(nodes.len());
    let mut children: HashMap<ObjectId, Vec<ObjectId>> = HashMap::with_capacity(nodes.len());
    for (id, node) in &nodes {
        let inside: Vec<&ObjectId> = node
            .parents
            .iter()
            .filter(|p| nodes.contains_key(*p))
            .collect();
        pending_parents.insert(*id, inside.len());
        for p in inside {
            children.entry(*p).or_default().push(*id);
        }
    }
    let mut ready: BinaryHeap<Reverse<(i64, ObjectId)>> = pending_parents
        .iter()
        .filter(|(_, &n)| n == 0)
        .map(|(id, _)| Reverse((nodes[id].info.time, *id)))
        .collect();
    let mut order = Vec::with_capacity(nodes.len());
    while let Some(Reverse((_, id))) = ready.pop() {
        for child in children.get(&id).into_iter().flatten() {
            let n = pending_parents.get_mut(child).expect("child is a node");
            *n -= 1;
            if *n == 0 {
                ready.push(Reverse((nodes[child].info.time, *child)));
            }
        }
        order.push(id);
    }
    let mut nodes = nodes;
    let commits = order
        .into_iter()
        .filter_map(|id| nodes.remove(&id).map(|n| n.info))
        .collect();
    Ok(Selection {
        commits,
        boundary_trees,
    })
}

/// Commits reachable from `from`, stopping at `stop`.
fn reachable(
    repo: &gix::Repository,
    from: &[ObjectId],
    stop: &HashSet<ObjectId>,
) -> Result<HashMap<ObjectId, Node>, GitError> {
    let mut nodes: HashMap<ObjectId, Node> = HashMap::new();
    let mut stack: Vec<ObjectId> = from
        .iter()
        .filter(|id| !stop.contains(*id))
        .copied()
        .collect();
    while let Some(id) = stack.pop() {
        if nodes.contains_key(&id) {
            continue;
        }
        let node = read_commit(repo, id)?;
        for p in &node.parents {
            if !stop.contains(p) && !nodes.contains_key(p) {
                stack.push(*p);
            }
        }
        nodes.insert(id, node);
    }
    Ok(nodes)
}

fn read_commit(repo: &gix::Repository, id: ObjectId) -> Result<Node, GitError> {
    let commit = repo
        .find_commit(id)
        .map_err(|e| GitError::new(format!("read commit {id}"), e))?;
    let c = commit
        .decode()
        .map_err(|e| GitError::new(format!("decode commit {id}"), e))?;
    let (name, email, time) = match c.author() {
        Ok(a) => (a.name.to_string(), a.email.to_string(), a.seconds()),
        Err(_) => (String::new(), String::new(), 0),
    };
    let summary = String::from_utf8_lossy(c.message.split(|&b| b == b'\n').next().unwrap_or(&[]))
        .trim_end()
        .to_string();
    Ok(Node {
        info: CommitInfo {
            id,
            tree: c.tree(),
            author_name: name,
            author_email: email,
            time,
            summary,
        },
        parents: c.parents().collect(),
    })
}
