//! Archive members as scan inputs: every format built here in memory with
//! the same crates' writers, nesting and the depth limit, zip bombs against
//! the budgets, encrypted/unsupported members, and damaged archives.

use std::io::{self, Cursor, Read, Write};

use scanner_fs::archive::{
    detect, scan_archive, ArchiveError, ArchiveKind, ArchiveLimits, ArchiveStats, Budget,
    SkipReason,
};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

const SECRET: &str = "token=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\n";
const MIB: u64 = 1024 * 1024;

// ---- builders ----------------------------------------------------------

fn zip_with(members: &[(&str, &[u8])], method: CompressionMethod) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(method);
    for (name, data) in members {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    zip_with(members, CompressionMethod::Deflated)
}

fn tar_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn bzip2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn xz(data: &[u8]) -> Vec<u8> {
    let mut e =
        lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::with_preset(1)).unwrap();
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zstd(data: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
}

// ---- running -----------------------------------------------------------

/// What `visit` received: (path, bytes), in order.
type Seen = Vec<(String, Vec<u8>)>;

fn scan_with(name: &str, bytes: &[u8], limits: &ArchiveLimits) -> (ArchiveStats, Seen) {
    let kind = detect(name, &bytes[..bytes.len().min(512)])
        .unwrap_or_else(|| panic!("{name} not recognised"));
    let mut seen = Seen::new();
    let mut visit = |path: &str, r: &mut dyn Read| -> io::Result<()> {
        let mut buf = Vec::new();
        r.read_to_end(&mut buf)?;
        seen.push((path.to_string(), buf));
        Ok(())
    };
    let stats = scan_archive(kind, &mut Cursor::new(bytes), name, limits, &mut visit)
        .expect("scan_archive");
    (stats, seen)
}

fn scan(name: &str, bytes: &[u8]) -> (ArchiveStats, Seen) {
    scan_with(name, bytes, &ArchiveLimits::default())
}

fn paths(seen: &Seen) -> Vec<&str> {
    seen.iter().map(|(p, _)| p.as_str()).collect()
}

fn content<'a>(seen: &'a Seen, path: &str) -> &'a [u8] {
    &seen
        .iter()
        .find(|(p, _)| p == path)
        .unwrap_or_else(|| panic!("{path} not visited; got {:?}", paths(seen)))
        .1
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

// ---- formats -----------------------------------------------------------

#[test]
fn zip_members_are_yielded() {
    let bytes = zip_of(&[("a.txt", b"hello\n"), ("conf/app.env", SECRET.as_bytes())]);
    let (stats, seen) = scan("app.jar", &bytes);
    assert_eq!(paths(&seen), ["app.jar!a.txt", "app.jar!conf/app.env"]);
    assert_eq!(content(&seen, "app.jar!conf/app.env"), SECRET.as_bytes());
    assert_eq!(stats.archives_opened, 1);
    assert_eq!(stats.members_yielded, 2);
    assert_eq!(stats.bytes_yielded, 6 + SECRET.len() as u64);
    assert!(!stats.has_warnings(), "{:?}", stats.warnings);
}

#[test]
fn zip_methods_stored_bzip2_xz() {
    for method in [
        CompressionMethod::Stored,
        CompressionMethod::Bzip2,
        CompressionMethod::Xz,
    ] {
        let bytes = zip_with(&[("s.txt", SECRET.as_bytes())], method);
        let (stats, seen) = scan("m.zip", &bytes);
        assert_eq!(
            content(&seen, "m.zip!s.txt"),
            SECRET.as_bytes(),
            "{method:?}"
        );
        assert_eq!(stats.corrupt, 0, "{method:?}: {:?}", stats.warnings);
    }
}

#[test]
fn zip_recognised_by_magic_whatever_the_name() {
    let bytes = zip_of(&[("s.txt", SECRET.as_bytes())]);
    assert_eq!(detect("thing.bin", &bytes), Some(ArchiveKind::Zip));
    let (_, seen) = scan("thing.bin", &bytes);
    assert_eq!(paths(&seen), ["thing.bin!s.txt"]);
}

#[test]
fn empty_zip_has_no_members() {
    let bytes = zip_of(&[]);
    assert!(bytes.starts_with(b"PK\x05\x06"));
    let (stats, seen) = scan("e.zip", &bytes);
    assert!(seen.is_empty());
    assert_eq!(stats.archives_opened, 1);
    assert_eq!(stats.corrupt, 0);
}

#[test]
fn tar_and_compressed_tars() {
    let tar = tar_of(&[("etc/config.yml", SECRET.as_bytes()), ("b.txt", b"plain")]);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("t.tar", tar.clone()),
        ("t.tar.gz", gzip(&tar)),
        ("t.tgz", gzip(&tar)),
        ("t.tar.bz2", bzip2(&tar)),
        ("t.tar.xz", xz(&tar)),
        ("t.tar.zst", zstd(&tar)),
    ];
    for (name, bytes) in cases {
        let (stats, seen) = scan(name, &bytes);
        assert_eq!(
            paths(&seen),
            [format!("{name}!etc/config.yml"), format!("{name}!b.txt")],
            "{name}"
        );
        assert_eq!(
            content(&seen, &format!("{name}!etc/config.yml")),
            SECRET.as_bytes()
        );
        assert_eq!(
            stats.archives_opened, 1,
            "{name}: a compressed tar is one archive"
        );
        assert!(!stats.has_warnings(), "{name}: {:?}", stats.warnings);
    }
}

#[test]
fn compressed_single_files() {
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("x.env.gz", gzip(SECRET.as_bytes()), "x.env.gz!x.env"),
        ("x.bz2", bzip2(SECRET.as_bytes()), "x.bz2!x"),
        ("x.xz", xz(SECRET.as_bytes()), "x.xz!x"),
        ("x.zst", zstd(SECRET.as_bytes()), "x.zst!x"),
        ("dump", gzip(SECRET.as_bytes()), "dump!dump"),
    ];
    for (name, bytes, member) in cases {
        let (stats, seen) = scan(name, &bytes);
        assert_eq!(paths(&seen), [member], "{name}");
        assert_eq!(content(&seen, member), SECRET.as_bytes(), "{name}");
        assert_eq!(stats.members_yielded, 1);
        assert!(!stats.has_warnings(), "{name}: {:?}", stats.warnings);
    }
}

#[test]
fn tar_directories_and_links_are_counted_not_yielded() {
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Directory);
    h.set_size(0);
    h.set_mode(0o755);
    h.set_cksum();
    b.append_data(&mut h, "d/", io::empty()).unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Symlink);
    h.set_size(0);
    h.set_cksum();
    b.append_link(&mut h, "d/link", "/etc/passwd").unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Fifo);
    h.set_size(0);
    h.set_cksum();
    b.append_data(&mut h, "d/fifo", io::empty()).unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_size(SECRET.len() as u64);
    h.set_cksum();
    b.append_data(&mut h, "d/s.txt", SECRET.as_bytes()).unwrap();
    let bytes = b.into_inner().unwrap();
    let (stats, seen) = scan("l.tar", &bytes);
    assert_eq!(paths(&seen), ["l.tar!d/s.txt"]);
    assert_eq!(
        (stats.directories, stats.links, stats.special_files),
        (1, 1, 1)
    );
}

#[test]
fn zip_directories_and_symlinks_are_counted_not_yielded() {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default();
    w.add_directory("d/", opts).unwrap();
    w.add_symlink("d/link", "/etc/passwd", opts).unwrap();
    w.start_file("d/s.txt", opts).unwrap();
    w.write_all(SECRET.as_bytes()).unwrap();
    let bytes = w.finish().unwrap().into_inner();
    let (stats, seen) = scan("l.zip", &bytes);
    assert_eq!(paths(&seen), ["l.zip!d/s.txt"]);
    assert_eq!((stats.directories, stats.links), (1, 1));
}

// ---- nesting -----------------------------------------------------------

/// outer.zip ! mid.tar.gz ! lib/inner.zip ! secret.txt  (3 levels), and when
/// `fourth` is set, inner.zip also holds deeper.zip ! deep.txt (4 levels).
fn nested(fourth: bool) -> Vec<u8> {
    let deeper = zip_with(
        &[("deep.txt", SECRET.as_bytes())],
        CompressionMethod::Stored,
    );
    let mut inner_members: Vec<(&str, &[u8])> = vec![("secret.txt", SECRET.as_bytes())];
    if fourth {
        inner_members.push(("deeper.zip", &deeper));
    }
    let inner = zip_of(&inner_members);
    let mid = gzip(&tar_of(&[("lib/inner.zip", &inner), ("README", b"mid")]));
    zip_of(&[("mid.tar.gz", &mid), ("top.txt", b"top")])
}

#[test]
fn nested_three_deep() {
    let (stats, seen) = scan("outer.zip", &nested(false));
    assert_eq!(
        paths(&seen),
        [
            "outer.zip!mid.tar.gz!lib/inner.zip!secret.txt",
            "outer.zip!mid.tar.gz!README",
            "outer.zip!top.txt",
        ]
    );
    assert_eq!(
        content(&seen, "outer.zip!mid.tar.gz!lib/inner.zip!secret.txt"),
        SECRET.as_bytes()
    );
    assert_eq!(stats.archives_opened, 3);
    assert_eq!(stats.depth_limit_hits, 0);
    assert!(!stats.has_warnings(), "{:?}", stats.warnings);
}

#[test]
fn nested_four_deep_yields_the_fourth_level_raw() {
    let (stats, seen) = scan("outer.zip", &nested(true));
    let raw = content(&seen, "outer.zip!mid.tar.gz!lib/inner.zip!deeper.zip");
    // Stored, so the secret is visible in the raw bytes that are scanned.
    assert!(raw.starts_with(b"PK\x03\x04"));
    assert!(contains(raw, SECRET.as_bytes()));
    assert!(!paths(&seen).iter().any(|p| p.ends_with("deep.txt")));
    assert_eq!(stats.depth_limit_hits, 1);
    assert_eq!(stats.budgets_hit(), vec![Budget::Depth]);
    assert_eq!(
        stats.warnings[0].path,
        "outer.zip!mid.tar.gz!lib/inner.zip!deeper.zip"
    );
    assert_eq!(stats.warnings[0].reason, SkipReason::Depth { limit: 3 });

    // One more level of depth opens it.
    let limits = ArchiveLimits {
        max_depth: 4,
        ..ArchiveLimits::default()
    };
    let (stats, seen) = scan_with("outer.zip", &nested(true), &limits);
    assert_eq!(
        content(
            &seen,
            "outer.zip!mid.tar.gz!lib/inner.zip!deeper.zip!deep.txt"
        ),
        SECRET.as_bytes()
    );
    assert_eq!(stats.depth_limit_hits, 0);
}

#[test]
fn depth_zero_yields_the_input_whole() {
    let bytes = zip_of(&[("s.txt", SECRET.as_bytes())]);
    let limits = ArchiveLimits {
        max_depth: 0,
        ..ArchiveLimits::default()
    };
    let (stats, seen) = scan_with("a.zip", &bytes, &limits);
    assert_eq!(paths(&seen), ["a.zip"]);
    assert_eq!(content(&seen, "a.zip"), &bytes[..]);
    assert_eq!(stats.depth_limit_hits, 1);
}

#[test]
fn gzipped_zip_and_zip_in_zip() {
    let inner = zip_of(&[("s.txt", SECRET.as_bytes())]);
    let (_, seen) = scan("a.zip.gz", &gzip(&inner));
    assert_eq!(paths(&seen), ["a.zip.gz!a.zip!s.txt"]);
    let outer = zip_of(&[("WEB-INF/lib/dep.jar", &inner)]);
    let (_, seen) = scan("app.war", &outer);
    assert_eq!(paths(&seen), ["app.war!WEB-INF/lib/dep.jar!s.txt"]);
}

#[test]
fn nested_zip_larger_than_memory_cap_is_yielded_raw() {
    let filler = vec![b'x'; 64 * 1024];
    let inner = zip_with(
        &[("f.bin", &filler), ("s.txt", SECRET.as_bytes())],
        CompressionMethod::Stored,
    );
    let outer = gzip(&tar_of(&[("big.zip", &inner)]));
    let limits = ArchiveLimits {
        max_in_memory_bytes: 16 * 1024,
        ..ArchiveLimits::default()
    };
    let (stats, seen) = scan_with("o.tgz", &outer, &limits);
    assert_eq!(paths(&seen), ["o.tgz!big.zip"]);
    assert_eq!(content(&seen, "o.tgz!big.zip"), &inner[..]);
    assert_eq!(stats.in_memory_limit_hits, 1);
    assert_eq!(stats.budgets_hit(), vec![Budget::InMemory]);
}

// ---- budgets -----------------------------------------------------------

/// Visits without keeping the bytes: returns (path, length) pairs.
fn scan_counting(
    name: &str,
    bytes: &[u8],
    limits: &ArchiveLimits,
) -> (ArchiveStats, Vec<(String, u64)>) {
    let kind = detect(name, bytes).unwrap();
    let mut seen = Vec::new();
    let mut visit = |path: &str, r: &mut dyn Read| -> io::Result<()> {
        let n = io::copy(r, &mut io::sink())?;
        seen.push((path.to_string(), n));
        Ok(())
    };
    let stats = scan_archive(kind, &mut Cursor::new(bytes), name, limits, &mut visit).unwrap();
    (stats, seen)
}

fn zeros_zip(names: &[&str], each: u64) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(1))
        .large_file(each >= 4 * 1024 * MIB);
    for name in names {
        w.start_file(*name, opts).unwrap();
        io::copy(&mut io::repeat(0).take(each), &mut w).unwrap();
    }
    w.start_file("after.txt", opts).unwrap();
    w.write_all(SECRET.as_bytes()).unwrap();
    w.finish().unwrap().into_inner()
}

#[test]
fn zip_bomb_member_is_cut_at_max_entry_bytes() {
    // 200 MiB of zeros, deflated to a few hundred KiB.
    let bytes = zeros_zip(&["zeros.bin"], 200 * MIB);
    assert!(bytes.len() < 2 * MIB as usize);
    let limits = ArchiveLimits {
        max_entry_bytes: MIB,
        ..ArchiveLimits::default()
    };
    let (stats, seen) = scan_counting("bomb.zip", &bytes, &limits);
    assert_eq!(
        seen,
        vec![
            ("bomb.zip!zeros.bin".to_string(), MIB),
            ("bomb.zip!after.txt".to_string(), SECRET.len() as u64)
        ]
    );
    assert_eq!(stats.truncated_entry_bytes, 1);
    assert_eq!(stats.budgets_hit(), vec![Budget::EntryBytes]);
    assert_eq!(
        stats.warnings[0].reason,
        SkipReason::EntryBytes { limit: MIB }
    );
    // Neither building nor scanning held the 200 MiB (the peak of the whole
    // test process, other tests included, stays far below it).
    if let Some(peak) = peak_rss_bytes() {
        assert!(peak < 64 * MIB, "peak RSS {} MiB", peak / MIB);
    }
}

/// The process's peak resident set (Linux), if known.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[test]
fn total_budget_stops_the_walk() {
    let bytes = zeros_zip(&["a.bin", "b.bin", "c.bin"], 4 * MIB);
    let limits = ArchiveLimits {
        max_total_bytes: 6 * MIB,
        ..ArchiveLimits::default()
    };
    let (stats, seen) = scan_counting("t.zip", &bytes, &limits);
    assert_eq!(
        seen,
        vec![
            ("t.zip!a.bin".to_string(), 4 * MIB),
            ("t.zip!b.bin".to_string(), 2 * MIB)
        ]
    );
    assert_eq!(stats.truncated_total_bytes, 1);
    // c.bin and after.txt were not reached.
    assert_eq!(stats.skipped_byte_budget, 2);
    assert_eq!(stats.budgets_hit(), vec![Budget::TotalBytes]);
    assert_eq!(stats.warnings[0].path, "t.zip!b.bin");
}

#[test]
fn gzip_tar_bomb_is_bounded_by_the_total_budget() {
    // A tar.gz whose skipped data is still decompressed is charged too.
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut b = tar::Builder::new(gz);
    let mut h = tar::Header::new_gnu();
    h.set_size(64 * MIB);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, "zeros", io::repeat(0).take(64 * MIB))
        .unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_size(SECRET.len() as u64);
    h.set_cksum();
    b.append_data(&mut h, "s.txt", SECRET.as_bytes()).unwrap();
    let tgz = b.into_inner().unwrap().finish().unwrap();
    let limits = ArchiveLimits {
        max_entry_bytes: MIB,
        max_total_bytes: 8 * MIB,
        ..ArchiveLimits::default()
    };
    let (stats, seen) = scan_counting("b.tgz", &tgz, &limits);
    assert_eq!(seen, vec![("b.tgz!zeros".to_string(), MIB)]);
    assert_eq!(stats.truncated_entry_bytes, 1);
    assert_eq!(stats.truncated_total_bytes, 1);
    assert_eq!(stats.corrupt, 0, "{:?}", stats.warnings);
    assert_eq!(
        stats.budgets_hit(),
        vec![Budget::EntryBytes, Budget::TotalBytes]
    );
}

#[test]
fn plain_tar_member_is_cut_and_the_next_one_read() {
    let big = vec![b'a'; 300_000];
    let tar = tar_of(&[("big.txt", &big), ("s.txt", SECRET.as_bytes())]);
    let limits = ArchiveLimits {
        max_entry_bytes: 1000,
        ..ArchiveLimits::default()
    };
    let (stats, seen) = scan_with("p.tar", &tar, &limits);
    assert_eq!(content(&seen, "p.tar!big.txt"), &big[..1000]);
    assert_eq!(content(&seen, "p.tar!s.txt"), SECRET.as_bytes());
    assert_eq!(stats.truncated_entry_bytes, 1);
    assert_eq!(stats.warnings[0].path, "p.tar!big.txt");
}

#[test]
fn many_members_hit_the_entry_budget() {
    let names: Vec<String> = (0..2000).map(|i| format!("f{i}.txt")).collect();
    let members: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
    let bytes = zip_with(&members, CompressionMethod::Stored);
    let limits = ArchiveLimits {
        max_entries: 500,
        max_warnings: 10,
        ..ArchiveLimits::default()
    };
    let (stats, seen) = scan_counting("many.zip", &bytes, &limits);
    assert_eq!(seen.len(), 500);
    assert_eq!(stats.skipped_entry_budget, 1500);
    assert_eq!(stats.budgets_hit(), vec![Budget::Entries]);
    assert_eq!(
        stats.warnings[0].reason,
        SkipReason::Entries {
            limit: 500,
            skipped: 1500
        }
    );
}

// ---- skipped and damaged members -----------------------------------------

/// Rewrites a field of every local and central header of a zip.
fn patch_zip(bytes: &mut [u8], local_off: usize, central_off: usize, value: u16) {
    let v = value.to_le_bytes();
    let mut i = 0;
    while i + 4 <= bytes.len() {
        let off = match &bytes[i..i + 4] {
            b"PK\x03\x04" => Some(local_off),
            b"PK\x01\x02" => Some(central_off),
            _ => None,
        };
        if let Some(off) = off {
            bytes[i + off..i + off + 2].copy_from_slice(&v);
            i += 4;
        } else {
            i += 1;
        }
    }
}

#[test]
fn encrypted_zip_member_is_counted() {
    let mut bytes = zip_with(&[("s.txt", b"ciphertext here")], CompressionMethod::Stored);
    patch_zip(&mut bytes, 6, 8, 1); // general-purpose flag bit 0: encrypted
    let (stats, seen) = scan("enc.zip", &bytes);
    assert!(seen.is_empty());
    assert_eq!(stats.skipped_encrypted, 1);
    assert_eq!(stats.members_skipped(), 1);
    assert_eq!(stats.warnings[0].path, "enc.zip!s.txt");
    assert_eq!(stats.warnings[0].reason, SkipReason::Encrypted);
}

#[test]
fn unsupported_method_zip_member_is_counted() {
    let mut bytes = zip_with(&[("s.txt", b"some bytes")], CompressionMethod::Stored);
    patch_zip(&mut bytes, 8, 10, 97); // method 97: WavPack
    let (stats, seen) = scan("u.zip", &bytes);
    assert!(seen.is_empty());
    assert_eq!(stats.skipped_unsupported, 1, "{:?}", stats.warnings);
    assert!(matches!(
        stats.warnings[0].reason,
        SkipReason::Unsupported(_)
    ));
}

#[test]
fn duplicate_zip_member_names_are_counted() {
    let mut bytes = zip_with(
        &[("a.txt", b"first"), ("b.txt", SECRET.as_bytes())],
        CompressionMethod::Stored,
    );
    let at: Vec<usize> = (0..bytes.len() - 5)
        .filter(|&i| &bytes[i..i + 5] == b"b.txt")
        .collect();
    for i in at {
        bytes[i..i + 5].copy_from_slice(b"a.txt");
    }
    let (stats, seen) = scan("d.zip", &bytes);
    assert_eq!(seen.len(), 1);
    assert_eq!(stats.corrupt, 1);
    assert_eq!(stats.warnings[0].path, "d.zip");
}

#[test]
fn zstd_zip_member_is_decoded() {
    let compressed = zstd(SECRET.as_bytes());
    let mut bytes = zip_with(&[("s.txt", &compressed)], CompressionMethod::Stored);
    patch_zip(&mut bytes, 8, 10, 93); // method 93: Zstandard
    let (stats, seen) = scan("z.zip", &bytes);
    assert_eq!(content(&seen, "z.zip!s.txt"), SECRET.as_bytes());
    assert_eq!(stats.corrupt, 0, "{:?}", stats.warnings);
}

#[test]
fn corrupt_zip_member_is_counted_and_the_rest_goes_on() {
    let noise: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
    let mut bytes = zip_of(&[("bad.bin", &noise), ("s.txt", SECRET.as_bytes())]);
    // Damage the middle of the first member's deflated data.
    for b in &mut bytes[60..90] {
        *b ^= 0x5a;
    }
    let (stats, seen) = scan("c.zip", &bytes);
    assert_eq!(content(&seen, "c.zip!s.txt"), SECRET.as_bytes());
    assert_eq!(stats.corrupt, 1, "{:?}", stats.warnings);
    assert_eq!(stats.warnings[0].path, "c.zip!bad.bin");
}

#[test]
fn truncated_tar_gz_yields_what_precedes_the_damage() {
    let big: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let tgz = gzip(&tar_of(&[("s.txt", SECRET.as_bytes()), ("big.bin", &big)]));
    let cut = &tgz[..tgz.len() / 2];
    let (stats, seen) = scan("cut.tar.gz", cut);
    assert_eq!(content(&seen, "cut.tar.gz!s.txt"), SECRET.as_bytes());
    // The damage is counted once, at the member it cut.
    assert_eq!(stats.corrupt, 1, "{:?}", stats.warnings);
    assert_eq!(stats.warnings[0].path, "cut.tar.gz!big.bin");
    assert!(matches!(stats.warnings[0].reason, SkipReason::Corrupt(_)));
}

#[test]
fn damaged_nested_tar_gz_is_counted_once() {
    let big: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let tgz = gzip(&tar_of(&[("s.txt", SECRET.as_bytes()), ("big.bin", &big)]));
    let cut = &tgz[..tgz.len() / 2];
    let bytes = zip_with(
        &[("cut.tgz", cut), ("after.txt", b"after")],
        CompressionMethod::Stored,
    );
    let (stats, seen) = scan("o.zip", &bytes);
    assert_eq!(
        paths(&seen),
        [
            "o.zip!cut.tgz!s.txt",
            "o.zip!cut.tgz!big.bin",
            "o.zip!after.txt"
        ]
    );
    assert_eq!(stats.corrupt, 1, "{:?}", stats.warnings);
}

#[test]
fn unreadable_top_level_archive_is_scanned_as_plain_bytes() {
    let bytes = zip_of(&[("s.txt", SECRET.as_bytes())]);
    let cut = &bytes[..bytes.len() - 30]; // no end-of-central-directory
    let (stats, seen) = scan("cut.zip", cut);
    assert_eq!(paths(&seen), ["cut.zip"]);
    assert_eq!(content(&seen, "cut.zip"), cut);
    assert_eq!((stats.corrupt, stats.scanned_as_plain), (1, 1));
    let (stats, seen) = scan("g.gz", b"\x1f\x8bnot really gzip");
    assert_eq!(paths(&seen), ["g.gz"]);
    assert_eq!(stats.scanned_as_plain, 1);
}

#[test]
fn unreadable_nested_archives_are_scanned_as_plain_bytes() {
    let fake_gz = [&b"\x1f\x8b"[..], SECRET.as_bytes()].concat();
    let fake_jar = SECRET.as_bytes();
    let fake_bz2 = [&b"BZh9"[..], SECRET.as_bytes()].concat();
    let bytes = zip_of(&[
        ("notes.gz", &fake_gz),
        ("lib.jar", fake_jar),
        ("x.bz2", &fake_bz2),
    ]);
    let (stats, seen) = scan("n.zip", &bytes);
    assert_eq!(
        paths(&seen),
        ["n.zip!notes.gz", "n.zip!lib.jar", "n.zip!x.bz2"]
    );
    assert_eq!(content(&seen, "n.zip!notes.gz"), &fake_gz[..]);
    assert_eq!(content(&seen, "n.zip!lib.jar"), fake_jar);
    assert_eq!(content(&seen, "n.zip!x.bz2"), &fake_bz2[..]);
    assert_eq!(
        (stats.corrupt, stats.scanned_as_plain),
        (3, 3),
        "{:?}",
        stats.warnings
    );
}

#[test]
fn visit_error_stops_the_walk() {
    let bytes = zip_of(&[("a.txt", b"a"), ("b.txt", b"b")]);
    let mut calls = 0;
    let mut visit = |_: &str, _: &mut dyn Read| -> io::Result<()> {
        calls += 1;
        Err(io::Error::other("stop here"))
    };
    let err = scan_archive(
        ArchiveKind::Zip,
        &mut Cursor::new(&bytes),
        "v.zip",
        &ArchiveLimits::default(),
        &mut visit,
    )
    .unwrap_err();
    assert!(matches!(err, ArchiveError::Visit(ref e) if e.to_string() == "stop here"));
    assert_eq!(calls, 1);
}

// ---- robustness ------------------------------------------------------------

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    /// 64 cases, or `ARCHIVE_FUZZ_CASES` for a longer local run.
    fn fuzz_cases() -> u32 {
        std::env::var("ARCHIVE_FUZZ_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(64)
    }

    fn magics() -> Vec<(&'static str, Vec<u8>)> {
        let tar = tar_of(&[("s.txt", SECRET.as_bytes())]);
        vec![
            ("f.gz", vec![0x1f, 0x8b, 0x08, 0x00]),
            ("f.bz2", b"BZh9".to_vec()),
            ("f.xz", b"\xfd7zXZ\x00".to_vec()),
            ("f.zst", vec![0x28, 0xb5, 0x2f, 0xfd]),
            ("f.zip", b"PK\x03\x04".to_vec()),
            ("f.zip", b"PK\x05\x06".to_vec()),
            ("f.tar", tar[..512].to_vec()),
            ("f.tgz", gzip(&tar)[..20].to_vec()),
            (
                "f.zip",
                zip_of(&[("s.txt", SECRET.as_bytes())])[..40].to_vec(),
            ),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: fuzz_cases(), ..ProptestConfig::default() })]

        #[test]
        fn garbage_after_magic_never_panics(
            tail in proptest::collection::vec(any::<u8>(), 0..2048),
        ) {
            let limits = ArchiveLimits {
                max_total_bytes: 4 * MIB,
                max_in_memory_bytes: MIB,
                ..ArchiveLimits::default()
            };
            for (name, magic) in magics() {
                let mut bytes = magic.clone();
                bytes.extend_from_slice(&tail);
                let kind = detect(name, &bytes).unwrap_or(ArchiveKind::Zip);
                let mut visit = |_: &str, r: &mut dyn Read| -> io::Result<()> {
                    io::copy(r, &mut io::sink()).map(|_| ())
                };
                let stats = scan_archive(kind, &mut Cursor::new(&bytes), name, &limits, &mut visit)
                    .expect("damage is counted, never an error");
                prop_assert!(stats.bytes_yielded <= limits.max_total_bytes + bytes.len() as u64);
            }
        }

        #[test]
        fn damaged_nested_archives_never_panic(
            flips in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..12),
        ) {
            let mut bytes = nested(true);
            for (at, xor) in flips {
                let i = at.index(bytes.len());
                bytes[i] ^= xor;
            }
            let mut visit = |_: &str, r: &mut dyn Read| -> io::Result<()> {
                io::copy(r, &mut io::sink()).map(|_| ())
            };
            let limits = ArchiveLimits {
                max_total_bytes: 16 * MIB,
                ..ArchiveLimits::default()
            };
            let stats = scan_archive(ArchiveKind::Zip, &mut Cursor::new(&bytes), "n.zip", &limits, &mut visit)
                .expect("damage is counted, never an error");
            // Bounded by the budget plus the input yielded as plain bytes.
            prop_assert!(stats.bytes_yielded <= limits.max_total_bytes + bytes.len() as u64);
        }
    }
}
