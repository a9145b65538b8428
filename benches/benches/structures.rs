//! The bounded data structures of the stream-decode path, at the sizes the
//! engine uses (`Tuning::default()`):
//!
//! - `ring/push_3k_copy_256`: `ByteRing` of 64 KiB; 3 KiB chunks of decoded
//!   bytes pushed, and after each push a 256-byte window copied out from
//!   a few KiB back (what a scheduled window does). Throughput in bytes
//!   pushed.
//! - `timing_wheel/push_advance`: `TimingWheel` of 256 slots of 64 bytes
//!   and 4096 items; windows scheduled 0-24 KiB ahead (some beyond the
//!   horizon, into the overflow heap) while time advances by 3 KiB steps
//!   and the ready ones come back. Throughput in items.
//! - `dedupe/insert_half_repeats`: `FixedSet128` of 4096 digests; inserts of
//!   pseudo-random digests of which half repeat a recent one (the set
//!   clears itself when full). Throughput in inserts.
//!
//! Run with `cargo xtask bench structures`.

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use scanner_engine::structures::{ByteRing, FixedSet128, Push, TimingWheel};
use secretscan_benches::group_times;

/// xorshift64 for keys and digests (fixed seed, deterministic).
fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// A group with the sample size and times shared by the three groups.
fn new_group<'a>(
    c: &'a mut Criterion,
    name: &str,
    throughput: Throughput,
) -> BenchmarkGroup<'a, WallTime> {
    let (warm_up, measure) = group_times(1.0, 4.0);
    let mut group = c.benchmark_group(name);
    group.sample_size(20);
    group.warm_up_time(warm_up);
    group.measurement_time(measure);
    group.throughput(throughput);
    group
}

fn structures(c: &mut Criterion) {
    let chunk: Vec<u8> = (0..3072u32).map(|i| (i % 251) as u8).collect();
    const CHUNKS: usize = 4096;
    let mut group = new_group(c, "ring", Throughput::Bytes((chunk.len() * CHUNKS) as u64));
    let mut ring = ByteRing::with_capacity(64 << 10);
    let mut window = Vec::with_capacity(256);
    group.bench_function("push_3k_copy_256", |b| {
        b.iter(|| {
            ring.reset();
            let mut copied = 0usize;
            for _ in 0..CHUNKS {
                ring.push(black_box(&chunk));
                let end = ring.end_offset();
                let lo = end.saturating_sub(5000);
                window.clear();
                copied += usize::from(ring.copy_range(lo, lo + 256, &mut window));
            }
            black_box(copied)
        })
    });
    group.finish();

    const ITEMS: usize = 100_000;
    let mut group = new_group(c, "timing_wheel", Throughput::Elements(ITEMS as u64));
    let mut wheel: TimingWheel<u32> = TimingWheel::new(256, 64, 4096);
    group.bench_function("push_advance", |b| {
        b.iter(|| {
            wheel.reset();
            let mut state = 0x2545_F491_4F6C_DD1Du64;
            let mut now = 0u64;
            let mut delivered = 0u64;
            for i in 0..ITEMS {
                if i % 32 == 31 {
                    now += 3072;
                    wheel.advance(now, |key, _| delivered = delivered.wrapping_add(key));
                }
                let key = now + 1 + xorshift(&mut state) % (24 << 10);
                match wheel.push(key, i as u32) {
                    Ok(Push::Scheduled) => {}
                    Ok(Push::Ready(_)) | Err(_) => delivered += 1,
                }
            }
            wheel.drain_all(|key, _| delivered = delivered.wrapping_add(key));
            black_box(delivered)
        })
    });
    group.finish();

    const INSERTS: usize = 100_000;
    let mut group = new_group(c, "dedupe", Throughput::Elements(INSERTS as u64));
    let mut set = FixedSet128::with_capacity(4096);
    group.bench_function("insert_half_repeats", |b| {
        b.iter(|| {
            set.clear();
            let mut state = 0x9E37_79B9_7F4A_7C15u64;
            let mut recent = [0u128; 64];
            let mut new = 0usize;
            for i in 0..INSERTS {
                let r = xorshift(&mut state);
                let digest = if r & 1 == 0 {
                    recent[(r >> 1) as usize % recent.len()]
                } else {
                    let d = (u128::from(xorshift(&mut state)) << 64) | u128::from(r);
                    recent[i % recent.len()] = d;
                    d
                };
                new += usize::from(set.insert(black_box(digest)));
            }
            black_box(new)
        })
    });
    group.finish();
}

criterion_group!(benches, structures);
criterion_main!(benches);
