//! Recognising an archive or compressed file from its first bytes and name.
//!
//! Magic bytes decide; the name is only a hint, used where a format has no
//! reliable magic at offset 0:
//! - a zip whose name says zip (or jar, war, ear, apk, whl, nupkg, aar) but
//!   which starts with other bytes (a self-extracting stub, a launcher script
//!   before a jar): the zip reader looks for the end-of-central-directory
//!   record, so such files are accepted;
//! - a pre-POSIX (v7) tar without the `ustar` magic: accepted when the name
//!   says tar *and* the first header's checksum is valid.
//!
//! Invariants: [`detect`] never panics, whatever the length of `head`
//! (including empty), and never reads past it. A compressed stream is only
//! recognised by its magic (a decoder could do nothing with the rest).

/// The container formats that [`super::scan_archive`] opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArchiveKind {
    /// A zip archive (also jar, war, ear, apk, whl, nupkg, aar, ...).
    Zip,
    /// A tar archive (POSIX ustar, GNU, or v7 with a name ending in `.tar`).
    Tar,
    /// A gzip stream (`.gz`, `.tgz`); a gzipped tar is walked as a tar.
    Gzip,
    /// A bzip2 stream (`.bz2`, `.tbz2`).
    Bzip2,
    /// An xz stream (`.xz`, `.txz`).
    Xz,
    /// A Zstandard stream (`.zst`, `.tzst`).
    Zstd,
}

impl ArchiveKind {
    /// Whether this is a compression wrapper around a single stream (as
    /// opposed to a container of named members).
    pub fn is_compressed_stream(self) -> bool {
        matches!(self, Self::Gzip | Self::Bzip2 | Self::Xz | Self::Zstd)
    }

    /// A short lowercase name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Zip => "zip",
            Self::Tar => "tar",
            Self::Gzip => "gzip",
            Self::Bzip2 => "bzip2",
            Self::Xz => "xz",
            Self::Zstd => "zstd",
        }
    }
}

impl std::fmt::Display for ArchiveKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How many leading bytes [`detect`] wants to see (the tar magic sits at
/// offset 257 and the checksum covers the whole 512-byte header).
pub const DETECT_HEAD_LEN: usize = 512;

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const XZ_MAGIC: &[u8] = &[0xfd, b'7', b'z', b'X', b'Z', 0x00];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
const ZIP_LOCAL: &[u8] = b"PK\x03\x04";
const ZIP_EMPTY: &[u8] = b"PK\x05\x06";
const ZIP_SPANNED: &[u8] = b"PK\x07\x08";

/// Extensions (lowercase, without the dot) of zip-based formats.
const ZIP_EXTENSIONS: &[&str] = &[
    "zip", "jar", "war", "ear", "apk", "aar", "whl", "nupkg", "ipa", "xpi", "vsix",
];

/// Recognises an archive or compressed file from its first bytes (at least
/// [`DETECT_HEAD_LEN`] when the file has that many) and its name (a file
/// name or a path; only the last component matters).
///
/// Returns `None` for anything else, including an empty `head`.
pub fn detect(name: &str, head: &[u8]) -> Option<ArchiveKind> {
    if head.starts_with(GZIP_MAGIC) {
        return Some(ArchiveKind::Gzip);
    }
    if head.len() >= 4 && head.starts_with(b"BZh") && (b'1'..=b'9').contains(&head[3]) {
        return Some(ArchiveKind::Bzip2);
    }
    if head.starts_with(XZ_MAGIC) {
        return Some(ArchiveKind::Xz);
    }
    if head.starts_with(ZSTD_MAGIC) {
        return Some(ArchiveKind::Zstd);
    }
    if head.starts_with(ZIP_LOCAL) || head.starts_with(ZIP_EMPTY) || head.starts_with(ZIP_SPANNED) {
        return Some(ArchiveKind::Zip);
    }
    if has_ustar_magic(head) {
        return Some(ArchiveKind::Tar);
    }
    let ext = extension(name);
    if ZIP_EXTENSIONS.contains(&ext.as_str()) && !head.is_empty() {
        return Some(ArchiveKind::Zip);
    }
    if ext == "tar" && tar_checksum_ok(head) {
        return Some(ArchiveKind::Tar);
    }
    None
}

/// Whether `head` holds a tar header with the POSIX or GNU `ustar` magic.
pub(crate) fn has_ustar_magic(head: &[u8]) -> bool {
    head.get(257..262) == Some(b"ustar")
}

/// Whether `head` starts with a 512-byte tar header whose checksum field
/// matches the header's bytes (the only check a v7 header allows).
pub(crate) fn tar_checksum_ok(head: &[u8]) -> bool {
    let Some(header) = head.get(..512) else {
        return false;
    };
    // The name must not be empty: an all-zero block is an end marker.
    if header[0] == 0 {
        return false;
    }
    let field = &header[148..156];
    let digits: Vec<u8> = field
        .iter()
        .copied()
        .skip_while(|b| *b == b' ')
        .take_while(|b| (b'0'..=b'7').contains(b))
        .collect();
    if digits.is_empty() {
        return false;
    }
    let mut stored: u32 = 0;
    for d in digits {
        stored = match stored.checked_mul(8) {
            Some(v) => v + u32::from(d - b'0'),
            None => return false,
        };
    }
    let sum: u32 = header
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                u32::from(b' ')
            } else {
                u32::from(*b)
            }
        })
        .sum();
    sum == stored
}

/// The last path component of `name` (after `/`, `\` or the `!` member
/// separator).
pub(crate) fn base_name(name: &str) -> &str {
    name.rsplit(['/', '\\', '!']).next().unwrap_or(name)
}

/// The lowercase extension of the last component of `name`, without the dot
/// (empty when there is none).
fn extension(name: &str) -> String {
    let base = base_name(name);
    match base.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext.to_ascii_lowercase(),
        _ => String::new(),
    }
}

/// The name of the single member of a compressed file: the file's base name
/// without the compression extension (`x.gz` → `x`, `a.tgz` → `a.tar`,
/// `b.tar.zst` → `b.tar`). A name without a known extension is kept as it
/// is, and an empty result becomes `data`.
pub fn compressed_member_name(name: &str) -> String {
    let base = base_name(name);
    let lower = base.to_ascii_lowercase();
    const STRIP: &[&str] = &[".gz", ".gzip", ".bz2", ".bzip2", ".xz", ".zst", ".zstd"];
    const TO_TAR: &[&str] = &[".tgz", ".taz", ".tbz2", ".tbz", ".txz", ".tzst"];
    let out = if let Some(ext) = STRIP.iter().find(|e| lower.ends_with(*e)) {
        base[..base.len() - ext.len()].to_string()
    } else if let Some(ext) = TO_TAR.iter().find(|e| lower.ends_with(*e)) {
        format!("{}.tar", &base[..base.len() - ext.len()])
    } else {
        base.to_string()
    };
    if out.is_empty() {
        "data".to_string()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_head(magic: bool) -> Vec<u8> {
        let mut h = vec![0u8; 512];
        h[..5].copy_from_slice(b"a.txt");
        h[100..107].copy_from_slice(b"0000644");
        h[156] = b'0';
        if magic {
            h[257..263].copy_from_slice(b"ustar\0");
            h[263..265].copy_from_slice(b"00");
        }
        let sum: u32 = h
            .iter()
            .enumerate()
            .map(|(i, b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    u32::from(*b)
                }
            })
            .sum();
        let field = format!("{sum:06o}\0 ");
        h[148..156].copy_from_slice(field.as_bytes());
        h
    }

    #[test]
    fn magic_decides() {
        assert_eq!(detect("x", &[0x1f, 0x8b, 8]), Some(ArchiveKind::Gzip));
        assert_eq!(detect("x", b"BZh91AY&SY"), Some(ArchiveKind::Bzip2));
        assert_eq!(detect("x", b"BZhx"), None);
        assert_eq!(detect("x", b"\xfd7zXZ\0\0"), Some(ArchiveKind::Xz));
        assert_eq!(detect("x", b"\x28\xb5\x2f\xfd\0"), Some(ArchiveKind::Zstd));
        assert_eq!(detect("x.txt", b"PK\x03\x04rest"), Some(ArchiveKind::Zip));
        assert_eq!(detect("x", b"PK\x05\x06"), Some(ArchiveKind::Zip));
        assert_eq!(detect("x", &tar_head(true)), Some(ArchiveKind::Tar));
        // The name never makes a compressed stream out of plain bytes.
        assert_eq!(detect("x.gz", b"hello"), None);
        assert_eq!(detect("x.tar.gz", b""), None);
    }

    #[test]
    fn extension_hints() {
        assert_eq!(detect("app.jar", b"#!/bin/sh\n"), Some(ArchiveKind::Zip));
        assert_eq!(detect("APP.WHL", b"x"), Some(ArchiveKind::Zip));
        assert_eq!(detect("app.jar", b""), None);
        assert_eq!(detect("old.tar", &tar_head(false)), Some(ArchiveKind::Tar));
        assert_eq!(detect("old.bin", &tar_head(false)), None);
        let mut bad = tar_head(false);
        bad[0] = b'b';
        assert_eq!(detect("old.tar", &bad), None);
        assert_eq!(detect("notes.txt", b"token=abc"), None);
    }

    #[test]
    fn member_names() {
        assert_eq!(compressed_member_name("dir/x.gz"), "x");
        assert_eq!(compressed_member_name("a.zip!x.TXT.GZ"), "x.TXT");
        assert_eq!(compressed_member_name("a.tgz"), "a.tar");
        assert_eq!(compressed_member_name("b.tar.zst"), "b.tar");
        assert_eq!(compressed_member_name("c.tbz2"), "c.tar");
        assert_eq!(compressed_member_name("blob"), "blob");
        assert_eq!(compressed_member_name(".gz"), "data");
    }

    #[test]
    fn short_and_odd_heads_do_not_panic() {
        for len in 0..600 {
            let head = vec![0xffu8; len];
            let _ = detect("x.tar", &head);
            let _ = detect("", &head);
        }
    }
}
