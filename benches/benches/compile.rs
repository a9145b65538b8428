//! Rule-set compilation: building an `Engine` from the embedded rule files
//! (parsing the TOML, compiling every confirmation regex, building the
//! Vectorscan block and stream databases). This is most of the start-up
//! time of every `secretscan` run.
//!
//! - `compile/builtin_all`: all built-in rules (what `secretscan` loads by
//!   default).
//! - `compile/builtin_high`: only the high-confidence rules
//!   (`--min-confidence high`).
//!
//! Run with `cargo xtask bench compile`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use scanner_engine::{Confidence, Engine};
use secretscan_benches::group_times;

fn compile(c: &mut Criterion) {
    let (warm_up, measure) = group_times(2.0, 10.0);
    let mut group = c.benchmark_group("compile");
    group.sample_size(10);
    group.warm_up_time(warm_up);
    group.measurement_time(measure);
    for (name, level) in [
        ("builtin_all", Confidence::Low),
        ("builtin_high", Confidence::High),
    ] {
        let rules = Engine::builder()
            .min_confidence(level)
            .build()
            .expect("built-in rules compile")
            .rules()
            .len();
        eprintln!("compile/{name}: {rules} rules");
        group.bench_function(name, |b| {
            b.iter(|| {
                black_box(
                    Engine::builder()
                        .min_confidence(level)
                        .build()
                        .expect("built-in rules compile"),
                )
            })
        });
    }
    group.finish();
}

criterion_group!(benches, compile);
criterion_main!(benches);
