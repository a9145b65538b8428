//! Throughput of the raw (undecoded) pass of the built-in rule set over 32 MiB
//! of plain source code (see `secretscan_benches::plain_source_corpus`).
//!
//! Run with `cargo xtask bench` (or `cargo bench -p secretscan-benches`).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use scanner_engine::{Engine, Tuning};
use secretscan_benches::plain_source_corpus;

const CORPUS_BYTES: usize = 32 * 1024 * 1024;

fn raw_pass(c: &mut Criterion) {
    // Raw pass only: decoding is measured by the `decode` benchmark.
    let engine = Engine::builder()
        .tuning(Tuning {
            max_transform_depth: 0,
            ..Tuning::default()
        })
        .build()
        .expect("built-in rules compile");
    let mut scratch = engine.new_scratch();
    let corpus = plain_source_corpus(CORPUS_BYTES);

    let mut group = c.benchmark_group("raw_pass");
    group.throughput(Throughput::Bytes(corpus.len() as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("plain_source_32MiB", |b| {
        b.iter(|| {
            engine.scan_bytes_with(&mut scratch, black_box(&corpus), &mut |finding| {
                black_box(finding);
            });
        })
    });
    group.finish();
}

criterion_group!(benches, raw_pass);
criterion_main!(benches);
