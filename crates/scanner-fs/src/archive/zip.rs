//! Walking the members of a zip archive (random access through its central
//! directory).
//!
//! Invariants: members are visited in central-directory order; directories
//! and symlinks are counted, not yielded; an encrypted member, a member with
//! an unsupported compression method, or a member whose local header is
//! damaged is counted and named, and the walk goes on with the next member;
//! each member's data is charged to the total budget as it is decompressed
//! (never inflated ahead of `visit` reading it). Zstandard members (method
//! 93) are decoded here from their raw data, the zip crate being built
//! without its C zstd backend. Members sharing a name are collapsed to one
//! by the zip reader: that is counted as damage to the archive.

use std::io::{Read, Seek};

use ::zip::result::ZipError;
use ::zip::{CompressionMethod, ZipArchive};

use super::decode;
use super::detect::ArchiveKind;
use super::stats::SkipReason;
use super::walk::{Halt, Step, Walker};

/// The methods the zip crate decodes as built here (Zstandard is decoded
/// by this module).
const SUPPORTED: &[CompressionMethod] = &[
    CompressionMethod::Stored,
    CompressionMethod::Deflated,
    CompressionMethod::Deflate64,
    CompressionMethod::Bzip2,
    CompressionMethod::Lzma,
    CompressionMethod::Xz,
];

/// Walks `archive` (already opened and counted), whose display path is
/// `path` and level `level`.
pub(crate) fn walk<R: Read + Seek>(
    w: &mut Walker<'_, '_, '_>,
    archive: &mut ZipArchive<R>,
    path: &str,
    level: u32,
) -> Step {
    if archive.has_duplicate_names() {
        // The zip reader keeps one central-directory entry per name.
        w.corrupt(path, "duplicate member names: one member per name is read");
    }
    let len = archive.len();
    for i in 0..len {
        let remaining = (len - i - 1) as u64;
        let (name, is_dir, is_link, encrypted, method) = match archive.by_index_data(i) {
            Ok(e) => (
                match e.name() {
                    Ok(n) => n.into_owned(),
                    Err(_) => String::from_utf8_lossy(e.name_raw()).into_owned(),
                },
                e.is_dir(),
                e.is_symlink(),
                e.encrypted(),
                e.compression(),
            ),
            Err(err) => {
                w.corrupt(&format!("{path}!#{i}"), err);
                continue;
            }
        };
        let member_path = format!("{path}!{name}");
        w.take_entry(&member_path, remaining)?;
        if is_dir {
            w.stats.directories += 1;
            continue;
        }
        if is_link {
            w.stats.links += 1;
            continue;
        }
        if encrypted {
            w.stats.skipped_encrypted += 1;
            w.warn(&member_path, SkipReason::Encrypted);
            continue;
        }
        if method != CompressionMethod::ZSTD && !SUPPORTED.contains(&method) {
            w.stats.skipped_unsupported += 1;
            let why = format!("compression method {method:?}");
            w.warn(&member_path, SkipReason::Unsupported(why));
            continue;
        }
        let result = if method == CompressionMethod::ZSTD {
            match archive.by_index_raw(i) {
                Ok(raw) => {
                    let window = w.limits.max_in_memory_bytes;
                    match decode::decoder(ArchiveKind::Zstd, raw, window) {
                        Some(dec) => {
                            let mut dec = w.charged(dec);
                            w.member(&member_path, &mut dec, level)
                        }
                        None => Ok(()),
                    }
                }
                Err(err) => {
                    skipped(w, &member_path, err);
                    Ok(())
                }
            }
        } else {
            match archive.by_index(i) {
                Ok(file) => {
                    let mut file = w.charged(file);
                    w.member(&member_path, &mut file, level)
                }
                Err(err) => {
                    skipped(w, &member_path, err);
                    Ok(())
                }
            }
        };
        if let Err(Halt::Stop) = result {
            if w.budget.exhausted() {
                w.stats.skipped_byte_budget += remaining;
            }
        }
        result?;
    }
    Ok(())
}

/// Counts a member the zip reader refused to open.
fn skipped(w: &mut Walker<'_, '_, '_>, member_path: &str, err: ZipError) {
    match err {
        ZipError::UnsupportedArchive(ZipError::PASSWORD_REQUIRED) | ZipError::InvalidPassword => {
            w.stats.skipped_encrypted += 1;
            w.warn(member_path, SkipReason::Encrypted);
        }
        ZipError::UnsupportedArchive(why) => {
            w.stats.skipped_unsupported += 1;
            w.warn(member_path, SkipReason::Unsupported(why.to_string()));
        }
        ZipError::CompressionMethodNotSupported(m) => {
            w.stats.skipped_unsupported += 1;
            w.warn(
                member_path,
                SkipReason::Unsupported(format!("compression method {m}")),
            );
        }
        other => w.corrupt(member_path, other),
    }
}
