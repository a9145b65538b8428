//! The budgets that bound the work and memory spent on one top-level
//! archive, against zip bombs and deep nesting.
//!
//! Invariants: every limit is enforced by [`super::scan_archive`] whatever
//! the archive declares about itself (declared sizes and counts are never
//! trusted), and a limit that is hit is always counted in
//! [`super::ArchiveStats`], never silent.

const MIB: u64 = 1024 * 1024;

/// Limits for one call of [`super::scan_archive`] (one top-level archive and
/// everything nested in it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// How many archive levels are opened: the top-level archive is level 1,
    /// an archive inside it level 2, and so on. An archive member at a
    /// deeper level is yielded as plain bytes (so it is still scanned) and
    /// counted. A compressed tar (`.tar.gz`) is one level; a compressed
    /// single file (`x.gz`) is one level too. `0` opens nothing: the input
    /// is yielded whole as one member. Default 3.
    pub max_depth: u32,
    /// Members (files, directories, links, all levels together) enumerated
    /// in one top-level archive; past it the walk stops. Default 100 000.
    pub max_entries: u64,
    /// Bytes read from one member; a longer member is yielded up to this
    /// many bytes and counted as truncated. Default 256 MiB.
    pub max_entry_bytes: u64,
    /// Bytes produced by decompression in one top-level archive, nested
    /// archives included: zip member data (stored or compressed) and the
    /// output of gzip, bzip2, xz and zstd streams (for a compressed tar that
    /// is the whole tar stream, headers and skipped members included).
    /// When it runs out, the member being read is cut there (its bytes so
    /// far are yielded), the walk stops, and it is counted. Members of a
    /// plain, uncompressed top-level tar are slices of the input, not
    /// decompressed, and are bounded by `max_entry_bytes` only.
    /// Default 1 GiB.
    pub max_total_bytes: u64,
    /// Bytes held in memory at once for one purpose: a zip nested in a
    /// stream (which needs random access) is read into memory up to this
    /// size, and a larger one is yielded as plain bytes and counted; it also
    /// caps the window/dictionary that an xz or zstd stream may ask the
    /// decoder to allocate (a stream asking more is refused by the decoder
    /// and counted as corrupt, with the decoder's message). Default 64 MiB.
    pub max_in_memory_bytes: u64,
    /// How many skip and budget warnings [`super::ArchiveStats::warnings`]
    /// keeps, in order; further ones are only counted in
    /// [`super::ArchiveStats::warnings_omitted`]. Default 100.
    pub max_warnings: usize,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        Self {
            max_depth: 3,
            max_entries: 100_000,
            max_entry_bytes: 256 * MIB,
            max_total_bytes: 1024 * MIB,
            max_in_memory_bytes: 64 * MIB,
            max_warnings: 100,
        }
    }
}
