//! Secrets inside gzip and zlib streams behind Base64 are found, with the
//! decode path `base64 > gzip` (or `zlib`) and the whole Base64 span as
//! their location; on both decode paths, through `StreamScanner` in any
//! chunking, nested inside URL encoding and around further Base64; the
//! inflation budget and corrupt streams are counted, never silent.

mod common;

use std::io::Write;

use common::{b64, url_encode_all};
use flate2::write::{GzEncoder, ZlibEncoder};
use flate2::Compression;
use proptest::prelude::*;
use scanner_engine::{DecodeStep, Engine, Finding, Tuning};
use std::sync::OnceLock;

const TOKEN: &str = "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";
const SLACK: &str = "xoxb-2841561223-5907812344410-Vq7cT2mK9pXzR4wL8sNd3bHf";

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn builtin() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(Engine::builtin)
}

/// Stream rounds every 16 KiB of new input (the overlap is the built-in
/// rules' 128 KiB), so inputs of a few hundred KiB take several rounds.
fn small_step() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| engine_with(Tuning::default().with_stream_step(16 << 10)))
}

fn engine_with(tuning: Tuning) -> Engine {
    Engine::builder().tuning(tuning).build().unwrap()
}

/// Deterministic lowercase words (xorshift), compressible like text but
/// not trivially.
fn words(seed: u64, n: usize) -> String {
    let mut x = seed | 1;
    let mut out = String::with_capacity(n + 16);
    while out.len() < n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let len = 2 + (x % 9) as usize;
        for i in 0..len {
            out.push((b'a' + ((x >> (8 + 5 * i)) % 26) as u8) as char);
        }
        out.push(if x.is_multiple_of(11) { '\n' } else { ' ' });
    }
    out.truncate(n);
    out
}

fn scan(engine: &Engine, input: &[u8]) -> (Vec<Finding>, scanner_engine::ScanStats) {
    let mut scratch = engine.new_scratch();
    let mut found = Vec::new();
    engine.scan_bytes_with(&mut scratch, input, &mut |f| found.push(f));
    (found, scratch.stats())
}

fn tokens(found: &[Finding]) -> Vec<&Finding> {
    found
        .iter()
        .filter(|f| f.secret == TOKEN.as_bytes())
        .collect()
}

/// The token is found once in `input`, with `path`, located at the whole
/// encoded span `encoded` (a compressed stream maps to no finer range).
fn found_at_span(engine: &Engine, input: &str, encoded: &str, path: &[DecodeStep]) {
    let start = input.find(encoded).unwrap();
    found_at(engine, input, encoded, (start, start + encoded.len()), path);
}

/// Like [`found_at_span`], the compressed stream's Base64 at `at`.
fn found_at(engine: &Engine, input: &str, encoded: &str, at: (usize, usize), path: &[DecodeStep]) {
    let (found, stats) = scan(engine, input.as_bytes());
    let t = tokens(&found);
    assert_eq!(t.len(), 1, "{found:#?}\n{stats:?}");
    let f = t[0];
    assert_eq!(&*f.rule_id, "github-pat-classic");
    assert_eq!(f.decode_path.as_slice(), path);
    let start = input.find(encoded).unwrap() as u64;
    let span = (start, start + encoded.len() as u64);
    assert_eq!((f.encoded_start, f.encoded_end), span, "{f:?}");
    assert_eq!((f.start, f.end), (at.0 as u64, at.1 as u64), "{f:?}");
    // `encoded` keeps the first 64 bytes of that span.
    let shown = at.0..at.1.min(at.0 + 64);
    assert_eq!(f.encoded, input.as_bytes()[shown].to_vec());
    let line = input[..start as usize].matches('\n').count() as u64 + 1;
    assert_eq!(f.line, line);
    assert!(stats.spans_inflated >= 1, "{stats:?}");
    assert_eq!(stats.inflate_errors, 0, "{stats:?}");
    assert!(stats.budgets_hit().is_empty(), "{stats:?}");
}

#[test]
fn gzip_in_base64() {
    let enc = b64(&gzip(
        format!("# ci env\nGITHUB_TOKEN={TOKEN}\n").as_bytes(),
    ));
    assert!(enc.starts_with("H4sI"), "{enc}");
    let input = format!("apiVersion: v1\nkind: Secret\ndata:\n  release: {enc}\n");
    found_at_span(
        builtin(),
        &input,
        &enc,
        &[DecodeStep::Base64, DecodeStep::Gzip],
    );
}

#[test]
fn compressed_bytes_are_not_scanned_as_such() {
    // A short, incompressible payload is kept in a stored DEFLATE block:
    // the token stands literally in the compressed bytes, and is reported
    // once, as found in the inflated data.
    let gz = gzip(format!("token={TOKEN}").as_bytes());
    assert!(
        gz.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()),
        "a stored block"
    );
    let enc = b64(&gz);
    found_at_span(
        builtin(),
        &format!("v: {enc}\n"),
        &enc,
        &[DecodeStep::Base64, DecodeStep::Gzip],
    );
}

#[test]
fn gzip_in_unpadded_base64url() {
    // As in web tokens and cookies: URL-safe alphabet, no padding.
    let mut text = format!("{{\"sub\":\"ci\",\"tok\":\"{TOKEN}\"}}");
    // Three lengths: the last quantum partial or whole.
    for _ in 0..3 {
        let enc = base64_simd::URL_SAFE_NO_PAD.encode_to_string(gzip(text.as_bytes()));
        let input = format!("Cookie: session={enc}; path=/\n");
        found_at_span(
            builtin(),
            &input,
            &enc,
            &[DecodeStep::Base64, DecodeStep::Gzip],
        );
        text.push('x');
    }
}

#[test]
fn zlib_in_base64() {
    let enc = b64(&zlib(format!("{{\"token\":\"{TOKEN}\"}}").as_bytes()));
    assert!(enc.starts_with("eJ"), "{enc}");
    let input = format!("payload = \"{enc}\"\n");
    found_at_span(
        builtin(),
        &input,
        &enc,
        &[DecodeStep::Base64, DecodeStep::Zlib],
    );
}

#[test]
fn gzip_in_base64_in_url_encoding() {
    let enc = url_encode_all(b64(&gzip(format!("token={TOKEN}").as_bytes())).as_bytes());
    let input = format!("GET /cb?state={enc} HTTP/1.1\n");
    let target = format!("/cb?state={enc}");
    // The URL span is the request target; the finding is located at the
    // Base64 text inside it (its characters are not escaped).
    let at = (
        input.find("state=").unwrap() + 6,
        input.find(" HTTP").unwrap(),
    );
    found_at(
        builtin(),
        &input,
        &target,
        at,
        &[DecodeStep::Url, DecodeStep::Base64, DecodeStep::Gzip],
    );
}

#[test]
fn base64_inside_gzip_inside_base64() {
    let inner = b64(format!("GITHUB_TOKEN={TOKEN}").as_bytes());
    let enc = b64(&gzip(
        format!("values:\n  blob: {inner}\n{}", words(13, 3000)).as_bytes(),
    ));
    let input = format!("x {enc} y\n");
    found_at_span(
        builtin(),
        &input,
        &enc,
        &[DecodeStep::Base64, DecodeStep::Gzip, DecodeStep::Base64],
    );
    // The inflation counts as one level of nesting: depth 2 stops at the
    // inflated text, depth 1 at the compressed bytes.
    for (depth, inflated) in [(2, 1), (1, 0)] {
        let e = engine_with(Tuning::default().with_max_transform_depth(depth));
        let (found, stats) = scan(&e, input.as_bytes());
        assert!(tokens(&found).is_empty(), "depth {depth}: {found:#?}");
        assert_eq!(stats.spans_inflated, inflated, "depth {depth}");
    }
}

#[test]
fn generic_and_vendor_secrets_in_one_stream_are_both_reported() {
    // All findings in one stream share its span as location: the generic
    // rule yields to a vendor rule only for the same secret.
    let text = format!(
        "database:\n  password: Tz8kL2mQ9vRx4pW1\napi_key: \"{TOKEN}\"\n{}",
        words(15, 2000)
    );
    let input = format!("release: {}\n", b64(&gzip(text.as_bytes())));
    let found = builtin().scan_bytes(input.as_bytes());
    let got: Vec<(&str, &[u8])> = found
        .iter()
        .map(|f| (&*f.rule_id, f.secret.as_slice()))
        .collect();
    assert_eq!(
        got,
        [
            ("generic-secret-assignment", &b"Tz8kL2mQ9vRx4pW1"[..]),
            ("github-pat-classic", TOKEN.as_bytes()),
        ],
        "{found:#?}"
    );
}

#[test]
fn inflation_can_be_turned_off() {
    // Text long enough to be Huffman-coded, not stored.
    let enc = b64(&gzip(
        format!("token={TOKEN}\n{}", words(14, 3000)).as_bytes(),
    ));
    let input = format!("v: {enc}\n");
    let off = engine_with(Tuning::default().with_inflate(false));
    let (found, stats) = scan(&off, input.as_bytes());
    assert!(tokens(&found).is_empty(), "{found:#?}");
    assert_eq!(stats.spans_inflated, 0);
    assert_eq!(tokens(&scan(builtin(), input.as_bytes()).0).len(), 1);
}

#[test]
fn truncated_and_corrupt_streams_are_counted_and_keep_their_prefix() {
    // The token near the start of 200 KB of text; the stream cut in half.
    let text = format!("token={TOKEN}\n{}", words(1, 200_000));
    let gz = gzip(text.as_bytes());
    let cut = b64(&gz[..gz.len() / 2]);
    let (found, stats) = scan(builtin(), format!("a: {cut}\n").as_bytes());
    assert_eq!(tokens(&found).len(), 1, "{stats:?}");
    assert_eq!(stats.inflate_errors, 1, "{stats:?}");
    assert_eq!(stats.inflate_budget_hits, 0, "{stats:?}");
    // Corruption in the middle, a checksum mismatch, a header and nothing
    // else, random bytes behind a valid header: counted, no panic.
    let mut mid = gz.clone();
    let n = mid.len();
    for b in &mut mid[n / 2..n / 2 + 64] {
        *b ^= 0xa5;
    }
    let mut crc = gz.clone();
    crc[n - 7] ^= 1;
    let mut noise = vec![0x78, 0x9c];
    noise.extend((0..300u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    for (i, bad) in [mid, crc, gz[..15].to_vec(), noise].iter().enumerate() {
        let (found, stats) = scan(builtin(), format!("b: {}\n", b64(bad)).as_bytes());
        assert_eq!(stats.inflate_errors, 1, "case {i}: {stats:?}");
        if i == 1 {
            // Everything inflated before the trailer was scanned.
            assert_eq!(tokens(&found).len(), 1, "case {i}");
        }
    }
}

#[test]
fn inflation_budget_is_counted_and_what_came_before_is_scanned() {
    let engine = engine_with(Tuning::default().with_max_inflated_bytes(100_000));
    let before = format!("token={TOKEN}\n{}", words(2, 300_000));
    let after = format!("{}\ntoken={TOKEN}\n", words(3, 300_000));
    for (text, found_expected) in [(before, 1), (after, 0)] {
        let (found, stats) = scan(
            &engine,
            format!("z: {}\n", b64(&gzip(text.as_bytes()))).as_bytes(),
        );
        assert_eq!(tokens(&found).len(), found_expected, "{stats:?}");
        assert_eq!(stats.inflate_budget_hits, 1, "{stats:?}");
        let hits = stats.budgets_hit();
        assert!(
            hits.iter().any(|h| h.counter == "inflate_budget_hits"
                && h.count == 1
                && h.limit.contains("max_inflated_bytes")),
            "{hits:?}"
        );
    }
    // Inflated bytes count toward the scan's total budget too.
    let engine = engine_with(Tuning::default().with_max_total_decoded_bytes(150_000));
    let text = format!("{}\ntoken={TOKEN}\n", words(4, 20_000).repeat(20));
    let (found, stats) = scan(
        &engine,
        format!("z: {}\n", b64(&gzip(text.as_bytes()))).as_bytes(),
    );
    assert!(tokens(&found).is_empty());
    assert_eq!(stats.inflate_budget_hits, 1, "{stats:?}");
    assert!(stats.decoded_bytes <= 150_000, "{stats:?}");
}

#[test]
fn long_spans_are_streamed_and_agree_with_the_full_decode() {
    // About 3 MiB of text, the token near its end: a Base64 span of over a
    // megabyte, far above `stream_decode_min_len`.
    let text = format!(
        "{}\nGITHUB_TOKEN={TOKEN}\n{}",
        words(5, 3 << 20),
        words(6, 2000)
    );
    let enc = b64(&gzip(text.as_bytes()));
    assert!(enc.len() > 1 << 20, "{}", enc.len());
    let input = format!("log line\nartifact: {enc}\nlast line\n");
    found_at_span(
        builtin(),
        &input,
        &enc,
        &[DecodeStep::Base64, DecodeStep::Gzip],
    );
    let full = engine_with(Tuning::default().with_stream_decode_min_len(usize::MAX));
    let (a, sa) = scan(builtin(), input.as_bytes());
    let (b, sb) = scan(&full, input.as_bytes());
    assert_eq!(a, b);
    assert_eq!(sa.decode_fallbacks, 0, "{sa:?}");
    assert_eq!(
        (sa.spans_inflated, sa.decoded_bytes),
        (sb.spans_inflated, sb.decoded_bytes)
    );
    // With a tiny ring, windows leave it before they fire: an inflated
    // stream is then inflated whole by the full-decode path instead (never
    // re-inflated from its start once per window).
    let tiny = engine_with(
        Tuning::default()
            .with_stream_decode_min_len(0)
            .with_decode_ring_bytes(96),
    );
    let text = format!(
        "{}\nGITHUB_TOKEN={TOKEN}\n{}",
        words(11, 100_000),
        words(12, 100)
    );
    let input = format!("k: {}\n", b64(&gzip(text.as_bytes())));
    let (c, sc) = scan(&tiny, input.as_bytes());
    assert_eq!(tokens(&c).len(), 1, "{sc:?}");
    assert!(sc.decode_fallbacks >= 1, "{sc:?}");
    assert_eq!(c, scan(&full, input.as_bytes()).0);
}

#[test]
fn identical_compressed_blobs_under_one_root_are_inflated_once() {
    let blob = b64(&gzip(format!("token={TOKEN}").as_bytes()));
    let enc = url_encode_all(vec![blob.as_str(); 20].join(" ").as_bytes());
    let (found, stats) = scan(builtin(), format!("d=\"{enc}\"\n").as_bytes());
    let t = tokens(&found);
    assert_eq!(t.len(), 1, "{t:#?}");
    assert_eq!(
        t[0].decode_path.as_slice(),
        &[DecodeStep::Url, DecodeStep::Base64, DecodeStep::Gzip]
    );
    assert_eq!(stats.spans_inflated, 1, "{stats:?}");
    assert!(stats.dedupe_hits >= 19, "{stats:?}");
}

fn stream_scan(engine: &Engine, input: &[u8], cuts: &[usize]) -> Vec<Finding> {
    let mut s = engine.stream();
    let mut found = Vec::new();
    let mut at = 0;
    for &c in cuts {
        let c = c.clamp(at, input.len());
        s.feed(&input[at..c], &mut |f| found.push(f));
        at = c;
    }
    s.feed(&input[at..], &mut |f| found.push(f));
    s.finish(&mut |f| found.push(f));
    found
}

#[test]
fn stream_scanner_finds_what_scan_bytes_finds() {
    let small = b64(&zlib(format!("SLACK={SLACK}\n").as_bytes()));
    let big = b64(&gzip(
        format!("{}\ntoken={TOKEN}\n", words(7, 60_000)).as_bytes(),
    ));
    let input = format!(
        "{}\nfirst: {small}\n{}\nsecond: {big}\n{}\n",
        words(8, 300_000),
        words(9, 200_000),
        words(10, 5_000)
    );
    let expected = builtin().scan_bytes(input.as_bytes());
    assert_eq!(expected.len(), 2, "{expected:#?}");
    let bytes = input.as_bytes();
    for step in [4096, 65_537, 1 << 20] {
        let cuts: Vec<usize> = (1..=bytes.len() / step).map(|i| i * step).collect();
        assert_eq!(
            stream_scan(small_step(), bytes, &cuts),
            expected,
            "step {step}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// A token planted in random text, compressed and Base64-encoded among
    /// more random text, is found by `scan_bytes` and by any chunking of
    /// the stream API.
    #[test]
    fn planted_token_is_found_in_any_chunking(
        seed in any::<u64>(),
        before in 0usize..3000,
        after in 0usize..3000,
        around in 0usize..400_000,
        zl in any::<bool>(),
        wrap in prop_oneof![Just(0usize), Just(64), Just(76)],
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let text = format!("{}\nGITHUB_TOKEN={TOKEN}\n{}", words(seed, before), words(seed ^ 7, after));
        let compressed = if zl { zlib(text.as_bytes()) } else { gzip(text.as_bytes()) };
        let mut enc = b64(&compressed);
        if wrap > 0 {
            enc = enc.as_bytes().chunks(wrap).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join("\n    ");
        }
        let input = format!("{}\nblob:\n    {enc}\n{}", words(seed ^ 1, around), words(seed ^ 2, 100));
        let found = builtin().scan_bytes(input.as_bytes());
        let t = tokens(&found);
        prop_assert_eq!(t.len(), 1, "{:#?}", found);
        let step = if zl { DecodeStep::Zlib } else { DecodeStep::Gzip };
        prop_assert_eq!(t[0].decode_path.as_slice(), &[DecodeStep::Base64, step]);
        let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(input.len() + 1)).collect();
        cuts.sort_unstable();
        prop_assert_eq!(stream_scan(small_step(), input.as_bytes(), &cuts), found);
    }
}

/// Stream rounds every 256 KiB of new input.
fn step_256k(max_inflated_bytes: usize) -> Engine {
    engine_with(
        Tuning::default()
            .with_stream_step(256 << 10)
            .with_max_inflated_bytes(max_inflated_bytes),
    )
}

fn stream_scan_stats(
    engine: &Engine,
    input: &[u8],
    chunk: usize,
) -> (Vec<Finding>, scanner_engine::StreamStats) {
    let mut s = engine.stream();
    let mut found = Vec::new();
    for piece in input.chunks(chunk) {
        s.feed(piece, &mut |f| found.push(f));
    }
    let stats = s.finish(&mut |f| found.push(f));
    (found, stats)
}

#[test]
fn stream_scanner_holds_a_long_compressed_span_whole() {
    // About 1 MB of Base64, far over the overlap: a piece of it could not
    // be inflated, so the span is held whole and the token near the end of
    // the stream is found.
    let text = format!(
        "{}\ntoken={TOKEN}\n{}",
        words(16, 1_200_000),
        words(17, 500)
    );
    let enc = b64(&gzip(text.as_bytes()));
    assert!(enc.len() > 700_000, "{}", enc.len());
    let input = format!(
        "{}\nblob: {enc}\n{}\n",
        words(18, 300_000),
        words(19, 100_000)
    );
    let engine = step_256k(16 << 20);
    let expected = engine.scan_bytes(input.as_bytes());
    assert_eq!(tokens(&expected).len(), 1, "{expected:#?}");
    let (found, stats) = stream_scan_stats(&engine, input.as_bytes(), 4096);
    assert_eq!(found, expected);
    assert_eq!(stats.spans_split, 0, "{stats:?}");
    assert_eq!(stats.scan.inflate_budget_hits, 0, "{stats:?}");
    // Small feeds do not start a round each while the span is held: a
    // round per step of new input.
    let bound = input.len() as u64 / (256 << 10) + 2;
    assert!(stats.rounds <= bound, "{} rounds > {bound}", stats.rounds);
}

#[test]
fn stream_scanner_splits_a_compressed_span_over_the_budget_and_counts_it() {
    let words_before = words(20, 1_000_000);
    let early = format!("token={TOKEN}\n{words_before}");
    let late = format!("{words_before}\ntoken={TOKEN}\n");
    let engine = step_256k(400_000);
    for (text, expected_tokens) in [(early, 1), (late, 0)] {
        let enc = b64(&gzip(text.as_bytes()));
        let input = format!("{}\nblob: {enc}\n{}\n", words(21, 300_000), words(22, 1000));
        let (found, stats) = stream_scan_stats(&engine, input.as_bytes(), 65_536);
        assert_eq!(tokens(&found).len(), expected_tokens, "{stats:?}");
        assert!(stats.spans_split >= 1, "{stats:?}");
        assert!(stats.scan.inflate_budget_hits >= 1, "{stats:?}");
        assert!(
            stats
                .scan
                .budgets_hit()
                .iter()
                .any(|h| h.counter == "inflate_budget_hits"),
            "{stats:?}"
        );
    }
}

#[test]
fn random_data_behind_a_zlib_header_is_not_held_nor_warned_about() {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut data = vec![0x78, 0x9c];
    data.extend((0..1_000_000).map(|_| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x as u8
    }));
    let input = format!(
        "{}\nblob: {}\n{}\n",
        words(23, 300_000),
        b64(&data),
        words(24, 1000)
    );
    let (found, stats) = stream_scan_stats(&step_256k(400_000), input.as_bytes(), 65_536);
    assert!(found.is_empty(), "{found:#?}");
    assert!(stats.spans_split >= 1, "{stats:?}");
    assert_eq!(stats.scan.inflate_budget_hits, 0, "{stats:?}");
    assert!(stats.scan.budgets_hit().is_empty(), "{stats:?}");
}

/// A scanner reset in the middle of a held compressed span, or reused after
/// one, reports exactly what a new scanner reports, counters included.
#[test]
fn a_reused_stream_scanner_forgets_a_held_compressed_span() {
    // As in the test above: about 1 MB of Base64, held whole; the cut
    // below falls after the first round (512 KiB), inside the span.
    let text = format!("{}\ntoken={TOKEN}\n", words(21, 1_200_000));
    let enc = b64(&gzip(text.as_bytes()));
    assert!(enc.len() > 700_000, "{}", enc.len());
    let input = format!(
        "{}\nblob: {enc}\n{}\n",
        words(22, 300_000),
        words(23, 50_000)
    );
    let engine = step_256k(16 << 20);
    let (fresh, fresh_stats) = stream_scan_stats(&engine, input.as_bytes(), 4096);
    assert_eq!(tokens(&fresh).len(), 1, "{fresh:#?}");

    let mut scanner = engine.stream();
    let mut sink = |_f: Finding| {};
    // Stop inside the Base64 blob, with the span held, then start over.
    let cut = input.find("blob: ").unwrap() + enc.len() / 2;
    assert!(cut > 2 * engine.stream_overlap() + (256 << 10), "{cut}");
    for piece in input.as_bytes()[..cut].chunks(4096) {
        scanner.feed(piece, &mut sink);
    }
    assert!(scanner.stats().rounds >= 1);
    scanner.reset();
    let mut found = Vec::new();
    for piece in input.as_bytes().chunks(4096) {
        scanner.feed(piece, &mut |f| found.push(f));
    }
    let stats = scanner.finish(&mut |f| found.push(f));
    assert_eq!(found, fresh);
    assert_eq!(stats, fresh_stats);
    // And once more after a finished stream.
    let mut again = Vec::new();
    for piece in input.as_bytes().chunks(4096) {
        scanner.feed(piece, &mut |f| again.push(f));
    }
    let stats = scanner.finish(&mut |f| again.push(f));
    assert_eq!(again, fresh);
    assert_eq!(stats, fresh_stats);
}
