//! Throughput of the span finders alone (Base64, URL, hex, string escapes,
//! HTML references; no decoding, no scanning) on three 8 MiB corpora: plain
//! source text, YAML dense with Base64 blobs, and access logs with
//! percent-encoded query strings.
//!
//! - `find_spans/*`: block mode, one call over the whole corpus (the root
//!   input and full-decode buffers).
//! - `feed_3k/*`: `SpanFinder::feed` on consecutive chunks of
//!   `DECODE_CHUNK_LEN` bytes, as on the streaming path.
//!
//! Run with `cargo bench -p secretscan-benches --bench span_finders`.

use std::hint::black_box;
use std::ops::ControlFlow;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use scanner_engine::transform::{
    find_spans, Span, SpanFinder, TransformConfig, TransformKind, DECODE_CHUNK_LEN,
};
use secretscan_benches::{base64_dense_corpus, group_times, plain_source_corpus, url_heavy_corpus};

const CORPUS_BYTES: usize = 8 * 1024 * 1024;

fn span_finders(c: &mut Criterion) {
    let corpora = [
        ("plain_source", plain_source_corpus(CORPUS_BYTES)),
        ("base64_dense", base64_dense_corpus(CORPUS_BYTES, 7)),
        ("url_heavy_logs", url_heavy_corpus(CORPUS_BYTES, 11)),
    ];
    let kinds = TransformKind::ALL.map(|k| (k.name(), k));

    let (warm_up, measure) = group_times(1.0, 4.0);
    let mut group = c.benchmark_group("find_spans");
    group.sample_size(10);
    group.warm_up_time(warm_up);
    group.measurement_time(measure);
    let mut out: Vec<Span> = Vec::new();
    for (cname, corpus) in &corpora {
        group.throughput(Throughput::Bytes(corpus.len() as u64));
        for (kname, kind) in kinds {
            let mut cfg = TransformConfig::default_for(kind);
            // Count every span: the cap would otherwise stop reporting early.
            cfg.max_spans_per_buffer = usize::MAX;
            group.bench_function(format!("{kname}/{cname}"), |b| {
                b.iter(|| {
                    let counts = find_spans(&cfg, black_box(corpus), &mut out);
                    black_box((counts, out.len()))
                })
            });
        }
    }
    group.finish();

    let mut group = c.benchmark_group("feed_3k");
    group.sample_size(10);
    group.warm_up_time(warm_up);
    group.measurement_time(measure);
    for (cname, corpus) in &corpora {
        group.throughput(Throughput::Bytes(corpus.len() as u64));
        for (kname, kind) in kinds {
            let mut cfg = TransformConfig::default_for(kind);
            cfg.max_spans_per_buffer = usize::MAX;
            let mut finder = SpanFinder::new(&cfg);
            group.bench_function(format!("{kname}/{cname}"), |b| {
                b.iter(|| {
                    finder.reset();
                    let mut n = 0u64;
                    let mut on_span = |s: Span| {
                        n = n.wrapping_add(s.end);
                        ControlFlow::Continue(())
                    };
                    let mut at = 0u64;
                    for chunk in black_box(corpus).chunks(DECODE_CHUNK_LEN) {
                        let _ = finder.feed(chunk, at, &mut on_span);
                        at += chunk.len() as u64;
                    }
                    let _ = finder.finish(&mut on_span);
                    black_box((n, finder.counts()))
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, span_finders);
criterion_main!(benches);
