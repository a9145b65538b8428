#![no_main]
//! Context invariance under fuzzing: a GitHub token line, raw, Base64- or
//! URL-encoded, or gzip'd behind Base64, is planted in about 1-4 MiB of context grown from the
//! fuzzer's bytes; `scan_bytes` and a `StreamScanner` fed in chunks of a
//! fuzzer-chosen size must both report it inside the planted piece with
//! the expected decode path, and count exactly what they deliver.
//!
//! Input layout: byte 0 = shape (mod 4: raw, Base64, URL, gzip in Base64); byte 1 = size
//! (1 + b % 4 MiB); byte 2 = where the piece goes (in 256ths of the
//! context); byte 3 = chunk size (in KiB, 1 + b); the rest is the context
//! pattern, repeated. The piece is fenced by `"` and spaces so no encoded
//! run of the context can swallow it.

use std::io::Write;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use scanner_engine::{DecodeStep, Engine, Finding};

const TOKEN: &str = "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";

static ENGINE: OnceLock<Engine> = OnceLock::new();

fn b64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

fn url_all(data: &[u8]) -> String {
    data.iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("writing to a Vec");
    e.finish().expect("writing to a Vec")
}

fn check(found: &[Finding], lo: u64, hi: u64, path: &[DecodeStep], what: &str) {
    let hit = found.iter().any(|f| {
        &*f.rule_id == "github-pat-classic"
            && f.secret == TOKEN.as_bytes()
            && f.decode_path.as_slice() == path
            && lo <= f.start
            && f.end <= hi
    });
    assert!(
        hit,
        "{what}: planted token at {lo}..{hi} ({path:?}) not reported"
    );
}

// The engine is built before fuzzing starts, so its compile time is not
// charged to the first input (libFuzzer reports units slower than 10 s).
fuzz_target!(init: {
    ENGINE.get_or_init(Engine::builtin);
}, |data: &[u8]| {
    let [shape, size, place, chunk, pattern @ ..] = data else { return };
    if pattern.is_empty() {
        return;
    }
    let engine = ENGINE.get_or_init(Engine::builtin);
    let size = (1 + usize::from(*size) % 4) << 20;
    let line = format!("\n token = {TOKEN} \n");
    let (piece, path): (String, &[DecodeStep]) = match shape % 4 {
        0 => (line, &[]),
        1 => (b64(line.as_bytes()), &[DecodeStep::Base64]),
        2 => (url_all(line.as_bytes()), &[DecodeStep::Url]),
        _ => (b64(&gzip(line.as_bytes())), &[DecodeStep::Base64, DecodeStep::Gzip]),
    };
    let context: Vec<u8> = pattern.iter().copied().cycle().take(size).collect();
    let at = context.len() * usize::from(*place) / 256;
    let mut input = context[..at].to_vec();
    input.extend_from_slice(b" \" ");
    let lo = input.len() as u64;
    input.extend_from_slice(piece.as_bytes());
    let hi = input.len() as u64;
    input.extend_from_slice(b" \" ");
    input.extend_from_slice(&context[at..]);

    let mut scratch = engine.new_scratch();
    let mut whole = Vec::new();
    engine.scan_bytes_with(&mut scratch, &input, &mut |f| whole.push(f));
    assert_eq!(scratch.stats().findings, whole.len() as u64, "scan_bytes_with count");
    if scratch.stats().budgets_hit().is_empty() {
        check(&whole, lo, hi, path, "scan_bytes");
    }

    let mut scanner = engine.stream();
    let mut chunked = Vec::new();
    for piece in input.chunks((1 + usize::from(*chunk)) << 10) {
        scanner.feed(piece, &mut |f| chunked.push(f));
    }
    let stats = scanner.finish(&mut |f| chunked.push(f));
    assert_eq!(stats.scan.findings, chunked.len() as u64, "StreamScanner count");
    if stats.scan.budgets_hit().is_empty() {
        check(&chunked, lo, hi, path, "StreamScanner");
    }
});
