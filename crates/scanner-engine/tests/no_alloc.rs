//! After warm-up, `scan_bytes_with` allocates nothing for a scan that
//! reports no findings, even when anchors hit and windows are confirmed.
//! (This test binary counts allocations with its own global allocator.)

use scanner_engine::Engine;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged, only counting calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn warm_scans_allocate_nothing() {
    let engine = Engine::builtin();
    let mut scratch = engine.new_scratch();
    // Near-misses: anchors hit, windows are confirmed, nothing is reported.
    let input =
        b"ghp_short AKIA0000 xoxb-1 sk_live_x -----BEGIN nothing\npostgres://localhost/db\n"
            .repeat(200);
    let mut n = 0usize;
    for _ in 0..3 {
        engine.scan_bytes_with(&mut scratch, &input, &mut |_| n += 1);
    }
    assert_eq!(n, 0, "the near-miss input should report nothing");
    assert!(
        scratch.stats().anchor_hits > 0,
        "the input should exercise the prefilter"
    );
    let before = ALLOCS.load(Ordering::Relaxed);
    for _ in 0..10 {
        engine.scan_bytes_with(&mut scratch, &input, &mut |_| n += 1);
    }
    let after = ALLOCS.load(Ordering::Relaxed);
    assert_eq!(
        after - before,
        0,
        "warm scans allocated {} times",
        after - before
    );
}
