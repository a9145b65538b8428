//! After warm-up, `scan_bytes_with` allocates nothing for a scan that
//! reports no findings, even when anchors hit and windows are confirmed.
//! (This test binary counts allocations with its own global allocator, per
//! thread, so the test harness's own work on other threads is not counted.)

// A global allocator is an unsafe trait: the standard library's API demands it.
#![allow(unsafe_code)]

use scanner_engine::{Engine, ScanStats};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

fn allocs() -> usize {
    ALLOCS.with(Cell::get)
}

fn count() {
    // `try_with`: the thread-local may already be gone while a thread exits.
    let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: forwards to the system allocator unchanged, only counting calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Warms a scratch up on `input` (which must report nothing), then returns
/// how many allocations ten more scans made and the scratch's counters.
fn allocations_of_warm_scans(input: &[u8]) -> (usize, ScanStats) {
    let engine = Engine::builtin();
    let mut scratch = engine.new_scratch();
    let mut n = 0usize;
    for _ in 0..3 {
        engine.scan_bytes_with(&mut scratch, input, &mut |_| n += 1);
    }
    assert_eq!(n, 0, "the input should report nothing");
    let before = allocs();
    for _ in 0..10 {
        engine.scan_bytes_with(&mut scratch, input, &mut |_| n += 1);
    }
    (allocs() - before, scratch.stats())
}

#[test]
fn warm_scans_allocate_nothing() {
    // Near-misses: anchors hit, windows are confirmed, nothing is reported.
    let input =
        b"ghp_short AKIA0000 xoxb-1 sk_live_x -----BEGIN nothing\npostgres://localhost/db\n"
            .repeat(200);
    let (allocated, stats) = allocations_of_warm_scans(&input);
    assert!(
        stats.anchor_hits > 0,
        "the input should exercise the prefilter"
    );
    assert_eq!(allocated, 0, "warm scans allocated {allocated} times");
}

#[test]
fn warm_scans_with_decoding_allocate_nothing() {
    // Base64 blobs, URL-encoded strings and identifiers that look like
    // Base64: spans are found and decoded, nothing is reported.
    let input = b"data: aGVsbG8gd29ybGQsIHRoaXMgaXMgbm90IGEgc2VjcmV0Cg==\n\
        q=hello%20world%2C%20nothing%20here&x=1\n\
        __NR_sched_setattr_constants_LONG_NAME_2 = 0x00000000000000001234abcd\n"
        .repeat(100);
    let (allocated, stats) = allocations_of_warm_scans(&input);
    assert!(
        stats.spans_decoded > 0,
        "the input should exercise decoding"
    );
    assert_eq!(allocated, 0, "warm scans allocated {allocated} times");
}
