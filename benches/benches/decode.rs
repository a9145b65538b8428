//! Throughput of a full scan (raw pass plus Base64/URL decoding, default
//! tuning) on three 16 MiB corpora: plain source text, YAML dense with Base64
//! blobs, and access logs with percent-encoded query strings; and on the two
//! decode-heaviest shapes: one 64 MiB line of Base64, and 60,000 short Base64
//! values one per line. The ratio of the decode-heavy corpora to plain text
//! is the cost of looking inside encodings.
//!
//! Run with `cargo xtask bench` (or `cargo bench -p secretscan-benches`).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use scanner_engine::Engine;
use secretscan_benches::{
    base64_dense_corpus, base64_one_line_corpus, group_times, plain_source_corpus,
    short_base64_values_corpus, url_heavy_corpus,
};

const CORPUS_BYTES: usize = 16 * 1024 * 1024;

fn decode(c: &mut Criterion) {
    let engine = Engine::builtin();
    let mut scratch = engine.new_scratch();
    let corpora = [
        ("plain_source", plain_source_corpus(CORPUS_BYTES)),
        ("base64_dense", base64_dense_corpus(CORPUS_BYTES, 7)),
        ("url_heavy_logs", url_heavy_corpus(CORPUS_BYTES, 11)),
        (
            "base64_one_line_64MiB",
            base64_one_line_corpus(64 << 20, 13),
        ),
        (
            "short_base64_values_60k",
            short_base64_values_corpus(60_000, 17),
        ),
    ];
    let (warm_up, measure) = group_times(3.0, 10.0);
    let mut group = c.benchmark_group("full_scan");
    group.sample_size(10);
    group.warm_up_time(warm_up);
    group.measurement_time(measure);
    for (name, corpus) in &corpora {
        group.throughput(Throughput::Bytes(corpus.len() as u64));
        group.bench_function(*name, |b| {
            b.iter(|| {
                engine.scan_bytes_with(&mut scratch, black_box(corpus), &mut |f| {
                    black_box(f);
                });
            })
        });
    }
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
