//! Throughput of the raw (undecoded) pass of the built-in rule set on three
//! corpora:
//!
//! - `plain_source_32MiB`: 32 MiB of plain source code (see
//!   `secretscan_benches::plain_source_corpus`): few anchor hits, no secret.
//! - `anchor_dense_16MiB`: 16 MiB of lines that each name one of the rule
//!   set's anchors next to a harmless value (every anchor in turn), with the
//!   lines the engine still reports dropped: an anchor hit per line, every
//!   candidate window confirmed and rejected, no finding.
//! - `secret_dense_16MiB`: 16 MiB of plain source with one of the built-in
//!   rules' examples (inputs each rule must report) planted after every
//!   KiB: thousands of findings to confirm and report.
//!
//! Run with `cargo xtask bench` (or `cargo bench -p secretscan-benches`).

use std::collections::BTreeSet;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use scanner_engine::{builtin_rules, Engine, Tuning};
use secretscan_benches::{
    anchor_dense_corpus, drop_lines, group_times, plain_source_corpus, sprinkle_lines,
};

const PLAIN_BYTES: usize = 32 * 1024 * 1024;
const DENSE_BYTES: usize = 16 * 1024 * 1024;

/// Anchor-dense text without findings: the corpus with every line the
/// engine reports removed (a few rounds, as removing lines can only remove
/// findings, except for multi-line matches across the removed line).
fn anchor_dense_without_secrets(engine: &Engine) -> Vec<u8> {
    let mut anchors: Vec<&str> = engine
        .rules()
        .flat_map(|r| r.anchors.iter().map(String::as_str))
        .collect();
    anchors.sort_unstable();
    anchors.dedup();
    let mut corpus = anchor_dense_corpus(DENSE_BYTES, &anchors, 5);
    for _ in 0..4 {
        let lines: BTreeSet<usize> = engine
            .scan_bytes(&corpus)
            .iter()
            .map(|f| f.line as usize)
            .collect();
        if lines.is_empty() {
            break;
        }
        corpus = drop_lines(&corpus, &lines);
    }
    corpus
}

/// Plain source with one rule example planted after every KiB.
fn secret_dense() -> Vec<u8> {
    let rules = builtin_rules().expect("built-in rules load");
    let examples: Vec<&str> = rules
        .iter()
        .flat_map(|r| r.examples.iter().map(String::as_str))
        .collect();
    let base = plain_source_corpus(DENSE_BYTES);
    let mut corpus = sprinkle_lines(&base, &examples, 1024);
    corpus.truncate(DENSE_BYTES);
    corpus
}

fn raw_pass(c: &mut Criterion) {
    // Raw pass only: decoding is measured by the `decode` benchmark.
    let engine = Engine::builder()
        .tuning(Tuning::default().with_max_transform_depth(0))
        .build()
        .expect("built-in rules compile");
    let mut scratch = engine.new_scratch();
    let corpora = [
        ("plain_source_32MiB", plain_source_corpus(PLAIN_BYTES)),
        ("anchor_dense_16MiB", anchor_dense_without_secrets(&engine)),
        ("secret_dense_16MiB", secret_dense()),
    ];
    let (warm_up, measure) = group_times(3.0, 10.0);
    let mut group = c.benchmark_group("raw_pass");
    group.sample_size(10);
    group.warm_up_time(warm_up);
    group.measurement_time(measure);
    for (name, corpus) in &corpora {
        let mut findings = 0usize;
        engine.scan_bytes_with(&mut scratch, corpus, &mut |_| findings += 1);
        eprintln!(
            "raw_pass/{name}: {} bytes, {findings} finding(s) per scan",
            corpus.len()
        );
        group.throughput(Throughput::Bytes(corpus.len() as u64));
        group.bench_function(*name, |b| {
            b.iter(|| {
                engine.scan_bytes_with(&mut scratch, black_box(corpus), &mut |finding| {
                    black_box(finding);
                });
            })
        });
    }
    group.finish();
}

criterion_group!(benches, raw_pass);
criterion_main!(benches);
