//! Archive and compressed-file members as scan inputs.
//!
//! [`detect`] recognises an archive from its first bytes (and its name, as a
//! hint); [`scan_archive`] then enumerates its members, recursing into
//! nested archives up to [`ArchiveLimits::max_depth`], and hands each
//! regular member to a `visit` callback as a stream, under a display path
//! that joins the levels with `!`:
//! `outer.zip!lib/inner.tar.gz!etc/config.yml`.
//!
//! Formats: zip (and jar, war, ear, apk, whl, nupkg, aar, ...), tar, and the
//! compressed streams gzip, bzip2, xz and zstd. A compressed tar is a tar
//! (one level); a compressed single file `x.gz` has one member, `x.gz!x`.
//!
//! Invariants (see `docs/archives.md`):
//! - members are streamed; nothing is read whole into memory except a zip
//!   nested in a stream, bounded by `max_in_memory_bytes`;
//! - every budget of [`ArchiveLimits`] is enforced on the bytes actually
//!   produced, never on sizes the archive declares;
//! - every member that is cut, skipped, or found corrupt is counted in
//!   [`ArchiveStats`] and named in its bounded warning list;
//! - no input makes this module panic; no `unsafe`.
//!
//! Modules: `detect` (recognition), `limits`, `stats`, `error`, `budget`
//! (byte-budget reader wrappers), `replay` (re-reading the start of a
//! nested archive found unreadable), `decode` (compressed-stream decoders),
//! `walk` (per-member recursion and walk-wide budgets), `zip` and `tar`
//! (the two container walkers).

#![forbid(unsafe_code)]

mod budget;
mod decode;
mod detect;
mod error;
mod limits;
mod replay;
mod stats;
mod tar;
mod walk;
mod zip;

use std::io::{self, BufReader, Read, Seek, SeekFrom};

pub use detect::{compressed_member_name, detect, ArchiveKind, DETECT_HEAD_LEN};
pub use error::ArchiveError;
pub use limits::ArchiveLimits;
pub use stats::{ArchiveStats, ArchiveWarning, Budget, SkipReason};
pub use walk::Visit;

use budget::MemberReader;
use walk::{Halt, Walker};

/// The separator between the levels of a member's display path.
pub const MEMBER_SEPARATOR: char = '!';

/// Enumerates the members of the archive of kind `kind` read from `input`
/// (from its start, whatever its current position), recursing into nested
/// archives up to `limits.max_depth`, and calls `visit(member_path, reader)`
/// for each regular member. `member_path` is `display_path`, then `!` and
/// the member's name, for each level.
///
/// - `visit` may read as much of the reader as it likes; the reader ends at
///   the member's end, at `max_entry_bytes`, at the total budget, or at a
///   decoding error (counted), and never returns an error.
/// - A top-level archive that cannot be opened at all (not even its first
///   member) is counted as corrupt and handed to `visit` whole, as plain
///   bytes under `display_path` (capped at `max_entry_bytes`), so its bytes
///   are still scanned (`stats.scanned_as_plain`).
/// - With `max_depth == 0` nothing is opened: the input is yielded whole
///   under `display_path` and the depth hit counted.
///
/// Errors: [`ArchiveError::Visit`] when `visit` fails (the walk stops at
/// once), [`ArchiveError::Input`] when `input` cannot be rewound. Damage in
/// the archive is never an error: see [`ArchiveStats`].
pub fn scan_archive<R: Read + Seek + ?Sized>(
    kind: ArchiveKind,
    input: &mut R,
    display_path: &str,
    limits: &ArchiveLimits,
    visit: &mut Visit<'_>,
) -> Result<ArchiveStats, ArchiveError> {
    input
        .seek(SeekFrom::Start(0))
        .map_err(ArchiveError::Input)?;
    let mut w = Walker::new(limits, visit);
    let opened = match open_top(&mut w, kind, input, display_path) {
        Ok(opened) => opened,
        Err(Halt::Stop) => true,
        Err(Halt::Visit(e)) => return Err(ArchiveError::Visit(e)),
    };
    if !opened {
        input
            .seek(SeekFrom::Start(0))
            .map_err(ArchiveError::Input)?;
        w.stats.scanned_as_plain += 1;
        yield_plain(&mut w, input, display_path)?;
    }
    Ok(w.stats)
}

/// Opens and walks the top-level archive; `Ok(false)` when it could not be
/// opened at all (already counted as corrupt).
fn open_top<R: Read + Seek + ?Sized>(
    w: &mut Walker<'_, '_, '_>,
    kind: ArchiveKind,
    input: &mut R,
    path: &str,
) -> Result<bool, Halt> {
    if w.limits.max_depth == 0 {
        w.stats.depth_limit_hits += 1;
        w.warn(path, SkipReason::Depth { limit: 0 });
        yield_plain_inner(w, input, path)?;
        return Ok(true);
    }
    match kind {
        ArchiveKind::Zip => match ::zip::ZipArchive::new(&mut *input) {
            Ok(mut archive) => {
                w.stats.archives_opened += 1;
                zip::walk(w, &mut archive, path, 1)?;
                Ok(true)
            }
            Err(e) => {
                w.corrupt(path, format_args!("zip: {e}"));
                Ok(false)
            }
        },
        ArchiveKind::Tar => {
            let opened = tar::walk_seekable(w, BufReader::new(input), path, 1)?;
            if opened {
                w.stats.archives_opened += 1;
            }
            Ok(opened)
        }
        _ => {
            let mut reader = BufReader::new(input);
            w.compressed(kind, &mut reader, path, 1)
        }
    }
}

fn yield_plain<R: Read + ?Sized>(
    w: &mut Walker<'_, '_, '_>,
    input: &mut R,
    path: &str,
) -> Result<(), ArchiveError> {
    match yield_plain_inner(w, input, path) {
        Ok(()) | Err(Halt::Stop) => Ok(()),
        Err(Halt::Visit(e)) => Err(ArchiveError::Visit(e)),
    }
}

/// Yields `input` whole as one plain member (capped at `max_entry_bytes`).
fn yield_plain_inner<R: Read + ?Sized>(
    w: &mut Walker<'_, '_, '_>,
    input: &mut R,
    path: &str,
) -> Result<(), Halt> {
    let mut reader = ReadRef(input);
    let mut m = MemberReader::new(&mut reader, w.limits.max_entry_bytes);
    let result = w.yield_member(path, &mut m);
    if m.truncated() {
        w.stats.truncated_entry_bytes += 1;
        let limit = w.limits.max_entry_bytes;
        w.warn(path, SkipReason::EntryBytes { limit });
    }
    if let Some(e) = m.take_error() {
        w.corrupt(path, e);
    }
    result
}

/// `&mut R` for an unsized `R`, as a sized `Read`.
struct ReadRef<'a, R: ?Sized>(&'a mut R);

impl<R: Read + ?Sized> Read for ReadRef<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}
