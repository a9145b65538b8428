//! Context invariance at the sizes real inputs have: a secret that
//! `scan_bytes` finds in a small input is found the same way (rule, secret,
//! decode path) and at the same place when that input is planted in
//! megabytes of plain text, of one Base64 run, of one URL-encoded run, of
//! one run of hex, of string escapes or of HTML character references, or
//! among tens of thousands of short encoded values (Base64, or hex among
//! 100,000 SHA-256 digests) on one line or many, and
//! through every entry point: `scan_bytes`, `StreamScanner` fed in 4 KiB,
//! 64 KiB and 1 MiB chunks, and `scan_reader`. The engine decodes every
//! encoding (hex is not on by default). Inputs are generated
//! deterministically here, never checked in.

mod common;

use common::{b64, escape_u, hex_lower, html_refs, url_encode_all};
use scanner_engine::transform::{TransformConfig, TransformKind};
use scanner_engine::{Engine, Finding, ScanStats, Tuning};
use std::sync::OnceLock;

/// The secrets planted: one line each, for four rules.
const SECRET_LINES: &[(&str, &str)] = &[
    (
        "github-pat-classic",
        "token = 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",
    ),
    (
        "aws-access-key-id",
        "aws_access_key_id = AKIAQ3EGRTXP4W7ZC2NB",
    ),
    (
        "slack-bot-token",
        "SLACK=xoxb-2841561223-5907812344410-Vq7cT2mK9pXzR4wL8sNd3bHf",
    ),
    (
        "stripe-secret-key-live",
        "stripe: sk_live_51Hq8ZpL2kR7vX9mN4tB6wY3cD0fG5jH8aQe",
    ),
];

const MIB: usize = 1 << 20;

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| {
        Engine::builder()
            .tuning(
                Tuning::default().with_transforms(
                    TransformKind::ALL
                        .iter()
                        .map(|&k| TransformConfig::default_for(k))
                        .collect(),
                ),
            )
            .build()
            .unwrap()
    })
}

/// xorshift64*: deterministic bytes without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
    fn words(&mut self, n: usize) -> String {
        const WORDS: &[&str] = &[
            "let", "value", "compute", "return", "config", "for", "item", "in", "list", "self",
            "map", "the", "of", "data", "while", "if", "else", "match", "result", "error",
        ];
        let mut s = String::with_capacity(n + 16);
        while s.len() < n {
            s.push_str(WORDS[self.below(WORDS.len())]);
            s.push(if self.below(12) == 0 { '\n' } else { ' ' });
        }
        s
    }
}

/// A secret line padded with spaces to a multiple of three bytes, so its
/// Base64 has no padding and can sit inside a longer run.
fn padded(line: &str) -> String {
    let mut s = format!(" {line} ");
    while s.len() % 3 != 0 {
        s.push(' ');
    }
    s
}

/// How a secret line is encoded and what surrounds it.
#[derive(Clone, Copy, Debug)]
enum Shape {
    /// Raw and Base64-encoded lines in ordinary text.
    PlainText,
    /// Inside one Base64 run of random data, all on one line.
    Base64Run,
    /// Inside one run of percent-encoded text.
    UrlRun,
    /// Among short Base64 values separated by commas, on one line.
    ShortValuesOneLine,
    /// Among short Base64 values, one per line.
    ShortValuesLines,
    /// Inside one run of hex-encoded text.
    HexRun,
    /// Inside one run of `\uXXXX` escapes.
    EscapeRun,
    /// Inside one run of HTML character references.
    HtmlRun,
    /// Hex-encoded, among SHA-256 hex digests, one per line.
    HexAmongDigests,
}

/// The planted piece for `line` in `shape`.
fn encode(shape: Shape, line: &str) -> String {
    match shape {
        Shape::PlainText => format!("{line}\n"),
        Shape::Base64Run | Shape::ShortValuesOneLine | Shape::ShortValuesLines => {
            b64(padded(line).as_bytes())
        }
        Shape::UrlRun => url_encode_all(padded(line).as_bytes()),
        Shape::HexRun | Shape::HexAmongDigests => hex_lower(padded(line).as_bytes()),
        Shape::EscapeRun => escape_u(&padded(line)),
        Shape::HtmlRun => html_refs(&padded(line)),
    }
}

/// An input of about `size` bytes of `shape` with every secret line planted
/// once at a random place; returns it with each piece's offset.
fn build(shape: Shape, size: usize, seed: u64) -> (Vec<u8>, Vec<(usize, String)>) {
    let mut rng = Rng(seed);
    let pieces: Vec<String> = SECRET_LINES.iter().map(|(_, l)| encode(shape, l)).collect();
    // Filler between pieces, in units that keep the shape's grammar.
    let filler = |rng: &mut Rng, n: usize| -> String {
        match shape {
            Shape::PlainText => rng.words(n),
            Shape::Base64Run => b64(&rng.bytes(n / 4 * 3)),
            Shape::UrlRun => url_encode_all(rng.words(n / 2).as_bytes()),
            Shape::HexRun => hex_lower(rng.words(n / 2).as_bytes()),
            Shape::EscapeRun => escape_u(&rng.words(n / 6)),
            Shape::HtmlRun => html_refs(&rng.words(n / 5)),
            Shape::HexAmongDigests => {
                let mut s = String::new();
                while s.len() < n {
                    s.push_str(&hex_lower(&rng.bytes(32)));
                    s.push('\n');
                }
                s
            }
            Shape::ShortValuesOneLine | Shape::ShortValuesLines => {
                let sep = if matches!(shape, Shape::ShortValuesLines) {
                    "\n"
                } else {
                    ","
                };
                let mut s = String::new();
                while s.len() < n {
                    let len = 12 + rng.below(34);
                    s.push_str(&b64(&rng.bytes(len)));
                    s.push_str(sep);
                }
                s
            }
        }
    };
    let sep = match shape {
        Shape::PlainText | Shape::ShortValuesLines | Shape::HexAmongDigests => "\n",
        Shape::ShortValuesOneLine => ",",
        Shape::Base64Run | Shape::UrlRun | Shape::HexRun | Shape::EscapeRun | Shape::HtmlRun => "",
    };
    let gaps = pieces.len() + 1;
    let mut cuts: Vec<usize> = (0..gaps).map(|_| 1 + rng.below(size / gaps)).collect();
    let total: usize = cuts.iter().sum();
    for c in &mut cuts {
        *c = *c * size / total.max(1);
    }
    let mut out = String::with_capacity(size + 4096);
    let mut placed = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        out.push_str(&filler(&mut rng, cuts[i]));
        out.push_str(sep);
        placed.push((out.len(), piece.clone()));
        out.push_str(piece);
        out.push_str(sep);
    }
    out.push_str(&filler(&mut rng, cuts[gaps - 1]));
    out.push('\n');
    (out.into_bytes(), placed)
}

type Key = (String, Vec<u8>, String, u64, u64, u64, u64);

fn key(f: &Finding) -> Key {
    (
        f.rule_id.to_string(),
        f.secret.clone(),
        f.decode_path_string(),
        f.start,
        f.end,
        f.line,
        f.column,
    )
}

fn whole(input: &[u8]) -> (Vec<Finding>, ScanStats) {
    let mut scratch = engine().new_scratch();
    let mut found = Vec::new();
    engine().scan_bytes_with(&mut scratch, input, &mut |f| found.push(f));
    let stats = scratch.stats();
    assert_eq!(stats.findings, found.len() as u64, "findings counter");
    (found, stats)
}

fn chunked(input: &[u8], chunk: usize) -> Vec<Finding> {
    let mut scanner = engine().stream();
    let mut found = Vec::new();
    for piece in input.chunks(chunk) {
        scanner.feed(piece, &mut |f| found.push(f));
    }
    let stats = scanner.finish(&mut |f| found.push(f));
    assert_eq!(stats.scan.findings, found.len() as u64, "findings counter");
    found
}

/// Every planted secret is found at its piece with the decode path the
/// small input gives, identically by every entry point, with nothing
/// dropped.
fn check(shape: Shape, size: usize, seed: u64) {
    let (input, placed) = build(shape, size, seed);
    let (found, stats) = whole(&input);
    assert_eq!(stats.spans_dropped, 0, "{shape:?}: {stats:?}");
    assert_eq!(stats.findings_dropped, 0, "{shape:?}: {stats:?}");
    assert_eq!(stats.decode_aborted, 0, "{shape:?}: {stats:?}");
    for ((rule, line), (at, piece)) in SECRET_LINES.iter().zip(&placed) {
        let small = engine().scan_bytes(piece.as_bytes());
        let expected = small
            .iter()
            .find(|f| &*f.rule_id == *rule)
            .unwrap_or_else(|| panic!("{shape:?}: small input {piece:?} of {line:?} not found"));
        let hits: Vec<&Finding> = found
            .iter()
            .filter(|f| f.rule_id == expected.rule_id && f.secret == expected.secret)
            .collect();
        assert_eq!(hits.len(), 1, "{shape:?} {rule}: {hits:#?}");
        let f = hits[0];
        assert_eq!(f.decode_path, expected.decode_path, "{shape:?} {rule}");
        let (lo, hi) = (*at as u64, (*at + piece.len()) as u64);
        assert!(
            lo <= f.start && f.end <= hi,
            "{shape:?} {rule}: found at {}..{}, planted at {lo}..{hi}",
            f.start,
            f.end
        );
        assert_eq!(
            f.start - lo,
            expected.start,
            "{shape:?} {rule}: offset in piece"
        );
    }
    let mut want: Vec<Key> = found.iter().map(key).collect();
    want.sort();
    for chunk in [4 << 10, 64 << 10, MIB] {
        let mut got: Vec<Key> = chunked(&input, chunk).iter().map(key).collect();
        got.sort();
        assert_eq!(
            got, want,
            "{shape:?}: StreamScanner with {chunk}-byte chunks"
        );
    }
    let mut from_reader = Vec::new();
    let stats = engine()
        .scan_reader(&input[..], &mut |f| from_reader.push(f))
        .unwrap();
    assert_eq!(stats.scan.findings, from_reader.len() as u64);
    let mut got: Vec<Key> = from_reader.iter().map(key).collect();
    got.sort();
    assert_eq!(got, want, "{shape:?}: scan_reader");
}

#[test]
fn plain_text_8_mib() {
    check(Shape::PlainText, 8 * MIB, 1);
}

#[test]
fn one_base64_run_8_mib() {
    check(Shape::Base64Run, 8 * MIB, 2);
}

#[test]
fn one_url_encoded_run_8_mib() {
    check(Shape::UrlRun, 8 * MIB, 3);
}

#[test]
fn short_base64_values_on_one_line() {
    // About 60,000 values on one line of ~2.4 MB.
    check(Shape::ShortValuesOneLine, 2400 << 10, 4);
}

#[test]
fn short_base64_values_one_per_line() {
    // About 100,000 values, one per line.
    check(Shape::ShortValuesLines, 4 * MIB, 5);
}

/// Base64 wrapped at 76 columns (MIME, PEM) holding ten secrets: each is
/// found once, inside the blob, by every entry point.
#[test]
fn mime_wrapped_blob_with_ten_secrets() {
    let mut rng = Rng(6);
    let line = padded(SECRET_LINES[0].1);
    let mut decoded = Vec::new();
    for _ in 0..10 {
        let n = (rng.below(900 << 10) + 3) / 3 * 3;
        decoded.extend(rng.bytes(n));
        decoded.extend(line.as_bytes());
    }
    decoded.extend(rng.bytes(3000));
    let blob = b64(&decoded);
    let mut input = String::from("Content-Transfer-Encoding: base64\n\n");
    for row in blob.as_bytes().chunks(76) {
        input.push_str(std::str::from_utf8(row).unwrap());
        input.push_str("\r\n");
    }
    input.push_str("\n-- end --\n");
    let input = input.into_bytes();
    let (found, stats) = whole(&input);
    let tokens: Vec<&Finding> = found
        .iter()
        .filter(|f| &*f.rule_id == "github-pat-classic")
        .collect();
    assert_eq!(tokens.len(), 10, "{stats:?}");
    let mut starts: Vec<u64> = tokens.iter().map(|f| f.start).collect();
    starts.dedup();
    assert_eq!(starts.len(), 10, "each secret at its own place");
    let mut want: Vec<Key> = found.iter().map(key).collect();
    want.sort();
    for chunk in [4 << 10, 64 << 10, MIB] {
        let mut got: Vec<Key> = chunked(&input, chunk).iter().map(key).collect();
        got.sort();
        assert_eq!(got, want, "StreamScanner with {chunk}-byte chunks");
    }
}

#[test]
fn one_hex_run_8_mib() {
    check(Shape::HexRun, 8 * MIB, 11);
}

#[test]
fn one_escape_run_8_mib() {
    check(Shape::EscapeRun, 8 * MIB, 12);
}

#[test]
fn one_html_run_8_mib() {
    check(Shape::HtmlRun, 8 * MIB, 13);
}

/// 100,000 SHA-256 hex digests, one per line (6.4 MiB, like a large
/// lockfile), with the secrets hex-encoded among them: the digests decode
/// to binary and are not hex spans; the secrets are.
#[test]
fn hex_among_a_hundred_thousand_digests() {
    check(Shape::HexAmongDigests, 6_500_000, 14);
}

/// A run of `\uXXXX` escapes of 24 MiB.
#[test]
fn escape_run_24_mib() {
    check(Shape::EscapeRun, 24 * MIB, 15);
}

/// A URL-encoded run of 20 MiB with the token in the middle.
#[test]
fn url_encoded_run_20_mib() {
    check(Shape::UrlRun, 20 * MIB, 7);
}

/// A Base64 run of 30 MiB: the secrets are found wherever they sit.
#[test]
fn one_base64_run_30_mib() {
    check(Shape::Base64Run, 30 * MIB, 8);
}

/// A Base64 blob whose decoded text holds 10,000 short Base64 values, more
/// than the queue holds: the nested spans wait for room instead of being
/// dropped, and the secret in value 9,000 is found.
#[test]
fn ten_thousand_nested_values_wait_for_room() {
    let mut rng = Rng(9);
    let values: Vec<String> = (0..10_000)
        .map(|i| {
            if i == 9_000 {
                encode(Shape::ShortValuesOneLine, SECRET_LINES[0].1)
            } else {
                let n = 12 + rng.below(30);
                b64(&rng.bytes(n))
            }
        })
        .collect();
    let inner = format!("[{}]", values.join(", "));
    let input = format!("payload: {}\n", b64(inner.as_bytes()));
    let (found, stats) = whole(input.as_bytes());
    assert_eq!(stats.spans_dropped, 0, "{stats:?}");
    // Values under 20 characters are too short to be spans.
    assert!(stats.spans_found > 2 * 4096, "{stats:?}");
    let tokens: Vec<&Finding> = found
        .iter()
        .filter(|f| &*f.rule_id == "github-pat-classic")
        .collect();
    assert_eq!(tokens.len(), 1, "{stats:?}");
    assert_eq!(tokens[0].decode_path_string(), "base64 > base64");
}

/// 4 MiB of one anchor repeated (`glpat-glpat-...`, from a fuzzer input that
/// took 27 s under ASan): every anchor hit merges into one window whose
/// regex match is megabytes wide and rejected for its width; a token line
/// planted in the middle is still found, by every entry point, and the
/// counters agree.
#[test]
fn four_mib_of_one_anchor_repeated() {
    let context = "glpat-".repeat(4 * MIB / 6);
    let (head, tail) = context.split_at(context.len() / 2);
    let line = SECRET_LINES[0].1;
    let input = format!("{head}\n{line}\n{tail}");
    let start = (head.len() + 1 + line.find("ghp_").unwrap()) as u64;
    let (found, stats) = whole(input.as_bytes());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (&*found[0].rule_id, found[0].start),
        ("github-pat-classic", start)
    );
    assert!(stats.rejected_width >= 1, "{stats:?}");
    assert!(stats.anchor_hits > 600_000, "{stats:?}");
    let keys: Vec<Key> = found.iter().map(key).collect();
    for chunk in [64 << 10, MIB] {
        let streamed: Vec<Key> = chunked(input.as_bytes(), chunk).iter().map(key).collect();
        assert_eq!(streamed, keys, "chunks of {chunk}");
    }
}
