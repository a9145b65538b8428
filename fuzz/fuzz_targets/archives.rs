#![no_main]
//! Archive walking on arbitrary bytes: no panic, no runaway memory, and the
//! counters agree with what `visit` saw.
//!
//! Input layout: byte 0 picks the format to try (its magic bytes are
//! prepended so the input reaches that format's parser) and small limits
//! (bits 4-5: depth 0-3; bit 6: tiny byte budgets), the rest is the body.
//!
//! Checks: `scan_archive` returns (no panic) for every input; members
//! handed to `visit` are read to their end within `max_entry_bytes`; the
//! bytes and members `visit` saw equal `bytes_yielded` and
//! `members_yielded`; every member path starts with the display path.

use std::io::{Cursor, Read};

use libfuzzer_sys::fuzz_target;
use scanner_fs::archive::{scan_archive, ArchiveKind, ArchiveLimits};

const MAGICS: [(&[u8], ArchiveKind); 6] = [
    (b"PK\x03\x04", ArchiveKind::Zip),
    (b"", ArchiveKind::Tar),
    (b"\x1f\x8b\x08", ArchiveKind::Gzip),
    (b"BZh9", ArchiveKind::Bzip2),
    (b"\xfd7zXZ\x00", ArchiveKind::Xz),
    (b"\x28\xb5\x2f\xfd", ArchiveKind::Zstd),
];

fuzz_target!(|data: &[u8]| {
    let Some((&head, body)) = data.split_first() else {
        return;
    };
    let (magic, kind) = MAGICS[usize::from(head & 0x0f) % MAGICS.len()];
    let mut input = magic.to_vec();
    input.extend_from_slice(body);
    let limits = ArchiveLimits {
        max_depth: u32::from((head >> 4) & 3),
        max_entry_bytes: if head & 0x40 != 0 { 512 } else { 1 << 20 },
        max_total_bytes: if head & 0x40 != 0 { 4096 } else { 8 << 20 },
        max_in_memory_bytes: 1 << 20,
        ..ArchiveLimits::default()
    };
    let (mut members, mut bytes) = (0u64, 0u64);
    let mut visit = |path: &str, reader: &mut dyn Read| -> std::io::Result<()> {
        assert!(path.starts_with("fuzz.bin"), "member path {path}");
        let mut sink = Vec::new();
        let n = reader.read_to_end(&mut sink)? as u64;
        assert!(
            n <= limits.max_entry_bytes,
            "member of {n} bytes over the budget"
        );
        members += 1;
        bytes += n;
        Ok(())
    };
    let mut cursor = Cursor::new(input);
    if let Ok(stats) = scan_archive(kind, &mut cursor, "fuzz.bin", &limits, &mut visit) {
        assert_eq!(stats.members_yielded, members);
        assert_eq!(stats.bytes_yielded, bytes);
    }
});
