//! Walking the members of a tar stream (sequential; no seeking needed).
//!
//! Invariants: regular files (and GNU sparse and contiguous files) are
//! members; directories, symbolic and hard links (never followed), devices,
//! FIFOs and unknown entry types are counted, not yielded; long names and
//! pax headers are applied by the `tar` crate and are not members. A damaged
//! header ends the walk of this tar (a tar has no index to resume from),
//! counted and named; the members before it were yielded.

use std::io::{self, Read, Seek};

use ::tar::EntryType;

use super::walk::{Halt, Step, Walker};

/// Walks the tar read from `input` (already counted as opened), whose
/// display path is `path` and level `level`. Returns `false` when the
/// very first header could not be read (not a readable tar; counted).
pub(crate) fn walk(
    w: &mut Walker<'_, '_, '_>,
    input: &mut dyn Read,
    path: &str,
    level: u32,
) -> Result<bool, Halt> {
    let mut archive = ::tar::Archive::new(input);
    let entries = archive.entries();
    walk_entries(w, entries, path, level)
}

/// [`walk`] for a seekable input (a plain top-level tar): the data of
/// members that are cut or not yielded is seeked over instead of read.
pub(crate) fn walk_seekable<R: Read + Seek>(
    w: &mut Walker<'_, '_, '_>,
    input: R,
    path: &str,
    level: u32,
) -> Result<bool, Halt> {
    let mut archive = ::tar::Archive::new(input);
    let entries = archive.entries_with_seek();
    walk_entries(w, entries, path, level)
}

fn walk_entries<R: Read>(
    w: &mut Walker<'_, '_, '_>,
    entries: io::Result<::tar::Entries<'_, R>>,
    path: &str,
    level: u32,
) -> Result<bool, Halt> {
    let entries = match entries {
        Ok(entries) => entries,
        Err(e) => {
            w.corrupt(path, format_args!("tar: {e}"));
            return Ok(false);
        }
    };
    let mut any = false;
    // Whether the last member ended on a read error: the header that follows
    // cannot be read either, and that is the same damage, counted once.
    let mut member_damaged = false;
    for entry in entries {
        let mut entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                w.check_total(path)?;
                if !member_damaged {
                    w.corrupt(path, format_args!("tar: {e}"));
                }
                return Ok(any);
            }
        };
        any = true;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let member_path = format!("{path}!{name}");
        w.take_entry(&member_path, 0)?;
        let kind = entry.header().entry_type();
        match kind {
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                let before = w.stats.corrupt;
                member(w, &member_path, &mut entry, level)?;
                member_damaged = w.stats.corrupt > before;
            }
            EntryType::Directory => w.stats.directories += 1,
            EntryType::Symlink | EntryType::Link => w.stats.links += 1,
            _ => w.stats.special_files += 1,
        }
        w.check_total(&member_path)?;
    }
    Ok(true)
}

fn member(w: &mut Walker<'_, '_, '_>, path: &str, entry: &mut dyn Read, level: u32) -> Step {
    w.member(path, entry, level)
}
