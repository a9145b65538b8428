//! Which files a scan visits: the `ignore` crate's parallel walker (as in
//! ripgrep) configured from [`WalkOptions`].
//!
//! Rules: `.gitignore`, `.ignore` and git excludes are respected unless
//! `respect_ignore` is off; hidden files are scanned, `.git` directories
//! never; symbolic links are not followed unless `follow_symlinks`;
//! `excludes` are globs: one without `/` matches any file or directory name
//! (`*.min.js`, `node_modules`), one with `/` matches the path relative to
//! the scan root it was found under (`tests/fixtures/**`).
//!
//! Invariant: an excluded or ignored path is the user's choice and is not
//! counted; everything else the walk yields reaches the pipeline.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{GlobSet, GlobSetBuilder};
use ignore::{WalkBuilder, WalkParallel};

/// What to walk.
#[derive(Clone, Debug, Default)]
pub struct WalkOptions {
    /// Files and directories to scan.
    pub paths: Vec<PathBuf>,
    /// Skip files ignored by .gitignore, .ignore and git excludes.
    pub respect_ignore: bool,
    /// Globs of paths to leave out (see the module docs).
    pub excludes: Vec<String>,
    /// Follow symbolic links.
    pub follow_symlinks: bool,
    /// Files never to scan, e.g. the report being written (`--output`)
    /// when it lies inside a scanned directory.
    pub skip_files: Vec<PathBuf>,
}

/// Exclusion globs, split by how they match.
#[derive(Debug)]
pub struct Excludes {
    /// Globs without `/`: matched against each file or directory name.
    names: GlobSet,
    /// Globs with `/`: matched against the path relative to its root.
    paths: GlobSet,
    roots: Vec<PathBuf>,
}

impl Excludes {
    /// Compiles `globs`; an invalid glob is an error naming it.
    pub fn new(globs: &[String], roots: &[PathBuf]) -> Result<Excludes, String> {
        let (mut names, mut paths) = (GlobSetBuilder::new(), GlobSetBuilder::new());
        for g in globs {
            let trimmed = g.trim_start_matches("./").trim_start_matches('/');
            let trimmed = trimmed.trim_end_matches('/');
            let glob = globset::GlobBuilder::new(trimmed)
                .literal_separator(true)
                .build()
                .map_err(|e| format!("invalid exclude glob `{g}`: {e}"))?;
            if trimmed.contains('/') {
                paths.add(glob);
            } else {
                names.add(glob);
            }
        }
        let build = |b: GlobSetBuilder| b.build().map_err(|e| format!("exclude globs: {e}"));
        Ok(Excludes {
            names: build(names)?,
            paths: build(paths)?,
            roots: roots.to_vec(),
        })
    }

    /// Whether `path` (as walked) is excluded.
    pub fn excludes(&self, path: &Path) -> bool {
        if let Some(name) = path.file_name() {
            if self.names.is_match(Path::new(name)) {
                return true;
            }
        }
        if self.paths.is_empty() {
            return false;
        }
        self.roots.iter().any(|root| {
            path.strip_prefix(root)
                .is_ok_and(|rel| !rel.as_os_str().is_empty() && self.paths.is_match(rel))
        })
    }
}

/// A parallel walker over `opts.paths` with `threads` threads.
pub fn walker(opts: &WalkOptions, threads: usize) -> Result<WalkParallel, String> {
    let Some((first, rest)) = opts.paths.split_first() else {
        return Err("no path to scan".to_string());
    };
    let excludes = Arc::new(Excludes::new(&opts.excludes, &opts.paths)?);
    let skip: Arc<Vec<PathBuf>> = Arc::new(
        opts.skip_files
            .iter()
            .filter_map(|p| p.canonicalize().ok())
            .collect(),
    );
    let mut walk = WalkBuilder::new(first);
    for p in rest {
        walk.add(p);
    }
    let ig = opts.respect_ignore;
    walk.hidden(false)
        .require_git(false)
        .git_ignore(ig)
        .git_global(ig)
        .git_exclude(ig)
        .ignore(ig)
        .parents(ig)
        .follow_links(opts.follow_symlinks)
        .threads(threads.max(1))
        .filter_entry(move |e| {
            e.file_name() != ".git" && !excludes.excludes(e.path()) && !is_skipped(&skip, e.path())
        });
    Ok(walk.build_parallel())
}

/// Whether `path` is one of `skip` (canonical paths); the file name is
/// compared first so that only namesakes are canonicalized.
fn is_skipped(skip: &[PathBuf], path: &Path) -> bool {
    let Some(name) = path.file_name() else {
        return false;
    };
    skip.iter().any(|s| s.file_name() == Some(name))
        && path.canonicalize().is_ok_and(|c| skip.contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(globs: &[&str]) -> Excludes {
        let globs: Vec<String> = globs.iter().map(|s| s.to_string()).collect();
        Excludes::new(&globs, &[PathBuf::from("root"), PathBuf::from("./other")]).unwrap()
    }

    #[test]
    fn name_globs_match_any_component_name() {
        let e = ex(&["*.min.js", "node_modules"]);
        assert!(e.excludes(Path::new("root/a/b.min.js")));
        assert!(e.excludes(Path::new("root/x/node_modules")));
        assert!(!e.excludes(Path::new("root/a/b.js")));
    }

    #[test]
    fn path_globs_match_relative_to_the_root() {
        let e = ex(&["tests/fixtures/**", "./docs/*.md"]);
        assert!(e.excludes(Path::new("root/tests/fixtures/k.pem")));
        assert!(e.excludes(Path::new("./other/tests/fixtures/a/b")));
        assert!(!e.excludes(Path::new("root/src/tests/fixtures/k.pem")));
        assert!(e.excludes(Path::new("root/docs/a.md")));
        assert!(!e.excludes(Path::new("root/docs/sub/a.md")), "* stops at /");
    }

    #[test]
    fn invalid_glob_is_named() {
        let err = Excludes::new(&["a[".to_string()], &[]).unwrap_err();
        assert!(err.contains("`a[`"), "{err}");
    }
}
