//! [`TimingWheel`]: a bounded hashed timing wheel keyed by a `u64` time (in
//! the decode path, a decoded byte offset).
//!
//! Each match of the decoded stream schedules a window `[lo, hi)` keyed by
//! `hi`; when the decoded offset reaches `hi`, [`TimingWheel::advance`] hands
//! the window back so its bytes can be copied out of the ring.
//!
//! Layout. Time is cut into *ticks* of `slot_width` keys
//! (`tick(k) = k / slot_width`); the wheel has `slots` buckets (a power of
//! two) and bucket `tick & (slots - 1)` holds the items of that tick. Items
//! live in a slab of `max_items` nodes allocated at construction; buckets
//! are FIFO linked lists of slab indices. Keys at or beyond the horizon go
//! to an overflow min-heap ordered by `(key, seq)` (also preallocated to
//! `max_items`), from which they are pulled into buckets as time advances.
//!
//! Invariants (with `cur = tick(now)`):
//! - Every stored item has `key > now`; `len <= max_items`.
//! - A bucket item has `cur <= tick(key) < cur + slots`, so each bucket holds
//!   the items of exactly one tick; an overflow item has
//!   `tick(key) >= cur + slots`. Hence every bucket key is smaller than
//!   every overflow key, and buckets in tick order are in key order.
//! - `seq` increases with every stored push. Within a bucket, items with
//!   equal keys are linked in `seq` order (overflow items are pulled into
//!   a bucket before any direct push can reach it, and in `(key, seq)`
//!   order), and items are delivered sorted by `(key, seq)`: nondecreasing
//!   keys, insertion order among equal keys.
//! - Nothing allocates after construction: the slab, the bucket heads, the
//!   overflow heap and the sort scratch all have their final capacity, and
//!   their total size is `O(slots + max_items)`.
//! - No method panics (construction may abort on an impossible allocation,
//!   as any `Vec::with_capacity` does). If an `on_ready` callback panics,
//!   the items of that bucket not yet delivered are lost and their slab
//!   nodes stay unusable; the wheel remains memory-safe and bounded.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Sentinel index: end of a list.
const NIL: usize = usize::MAX;

/// Outcome of a successful [`TimingWheel::push`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Push<T> {
    /// The item was stored and will be delivered when time reaches its key.
    Scheduled,
    /// The key was not in the future (`key <= now()`): the item was not
    /// stored and is handed straight back.
    Ready(T),
}

/// Error of [`TimingWheel::push`]: `max_items` items are already stored.
/// Carries the rejected item back so the caller can fall back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Full<T>(pub T);

impl<T> Full<T> {
    /// The rejected item.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::fmt::Display for Full<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("timing wheel is full")
    }
}

impl<T: std::fmt::Debug> std::error::Error for Full<T> {}

/// One slab node: a stored item, or a free node (`item == None`).
#[derive(Clone, Debug)]
struct Node<T> {
    key: u64,
    seq: u64,
    /// Next node of the same bucket list or of the free list.
    next: usize,
    item: Option<T>,
}

/// Head and tail of a bucket's FIFO list of slab indices.
#[derive(Clone, Copy, Debug)]
struct Bucket {
    head: usize,
    tail: usize,
}

const EMPTY_BUCKET: Bucket = Bucket {
    head: NIL,
    tail: NIL,
};

/// A bounded hashed timing wheel: items scheduled at `u64` keys come back,
/// in key order, once time reaches their key.
///
/// Holds at most `max_items` items; memory is allocated once, at
/// construction, and is `O(slots + max_items)`.
#[derive(Clone, Debug)]
pub struct TimingWheel<T> {
    nodes: Vec<Node<T>>,
    free: usize,
    buckets: Vec<Bucket>,
    /// `slots - 1` (slots is a power of two).
    mask: usize,
    width: u64,
    /// Overflow items beyond the horizon: `(key, seq, node)`, min first.
    overflow: BinaryHeap<Reverse<(u64, u64, usize)>>,
    /// Sort scratch for one bucket: `(key, seq, node)`.
    scratch: Vec<(u64, u64, usize)>,
    now: u64,
    len: usize,
    seq: u64,
}

impl<T> TimingWheel<T> {
    /// Creates an empty wheel at time 0.
    ///
    /// `slots` is rounded up to a power of two (0 becomes 1), `slot_width`
    /// of 0 is treated as 1; keys up to `now + slots * slot_width` go
    /// straight into buckets, later ones into the overflow heap. At most
    /// `max_items` items are stored (0 makes every future push `Full`).
    pub fn new(slots: usize, slot_width: u64, max_items: usize) -> TimingWheel<T> {
        let slots = slots
            .max(1)
            .checked_next_power_of_two()
            .unwrap_or(1 << (usize::BITS - 1));
        let mut nodes = Vec::with_capacity(max_items);
        for i in 0..max_items {
            let next = if i + 1 < max_items { i + 1 } else { NIL };
            nodes.push(Node {
                key: 0,
                seq: 0,
                next,
                item: None,
            });
        }
        TimingWheel {
            nodes,
            free: if max_items > 0 { 0 } else { NIL },
            buckets: vec![EMPTY_BUCKET; slots],
            mask: slots - 1,
            width: slot_width.max(1),
            overflow: BinaryHeap::with_capacity(max_items),
            scratch: Vec::with_capacity(max_items),
            now: 0,
            len: 0,
            seq: 0,
        }
    }

    /// Current time: the largest `now` passed to
    /// [`advance`](TimingWheel::advance) (or reached by
    /// [`drain_all`](TimingWheel::drain_all)) since creation/reset.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Number of stored items.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no item is stored.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of buckets (a power of two).
    pub fn slots(&self) -> usize {
        self.buckets.len()
    }

    /// Keys per bucket (`>= 1`).
    pub fn slot_width(&self) -> u64 {
        self.width
    }

    /// Maximum number of stored items.
    pub fn max_items(&self) -> usize {
        self.nodes.len()
    }

    fn tick(&self, key: u64) -> u64 {
        key / self.width
    }

    /// True when a key (with `key > now`) belongs in a bucket rather than in
    /// the overflow heap.
    fn within_horizon(&self, key: u64) -> bool {
        let ahead = self.tick(key).saturating_sub(self.tick(self.now));
        ahead < self.buckets.len() as u64
    }

    fn bucket_index(&self, key: u64) -> usize {
        // Truncation is fine: only the low bits survive the mask.
        (self.tick(key) as usize) & self.mask
    }

    /// Appends slab node `idx` to the list of the bucket for its key.
    fn link(&mut self, idx: usize) {
        let Some(node) = self.nodes.get_mut(idx) else {
            return;
        };
        node.next = NIL;
        let key = node.key;
        let b = self.bucket_index(key);
        let tail = self.buckets[b].tail;
        if tail == NIL {
            self.buckets[b].head = idx;
        } else if let Some(t) = self.nodes.get_mut(tail) {
            t.next = idx;
        }
        self.buckets[b].tail = idx;
    }

    /// Removes slab node `idx`'s item, returns the node to the free list.
    fn release(&mut self, idx: usize) -> Option<T> {
        let node = self.nodes.get_mut(idx)?;
        let item = node.item.take()?;
        node.next = self.free;
        self.free = idx;
        self.len -= 1;
        Some(item)
    }

    /// Schedules `item` at `key`.
    ///
    /// - `key <= now()`: returns `Ok(Push::Ready(item))` without storing it.
    /// - otherwise, if `max_items` items are stored: `Err(Full(item))`.
    /// - otherwise stores it and returns `Ok(Push::Scheduled)`. O(1), or
    ///   O(log n) when the key is beyond the horizon.
    pub fn push(&mut self, key: u64, item: T) -> Result<Push<T>, Full<T>> {
        if key <= self.now {
            return Ok(Push::Ready(item));
        }
        let idx = self.free;
        let Some(node) = self.nodes.get_mut(idx) else {
            // No free node: len == max_items.
            return Err(Full(item));
        };
        self.free = node.next;
        node.key = key;
        node.seq = self.seq;
        node.next = NIL;
        node.item = Some(item);
        self.len += 1;
        if self.within_horizon(key) {
            self.link(idx);
        } else {
            self.overflow.push(Reverse((key, self.seq, idx)));
        }
        self.seq = self.seq.wrapping_add(1);
        Ok(Push::Scheduled)
    }

    /// Delivers, in `(key, seq)` order, the items of bucket `b` with
    /// `key <= limit`; the rest stay in the bucket.
    fn fire_bucket(&mut self, b: usize, limit: u64, on_ready: &mut impl FnMut(u64, T)) {
        let Some(bucket) = self.buckets.get_mut(b) else {
            return;
        };
        let mut idx = bucket.head;
        if idx == NIL {
            return;
        }
        *bucket = EMPTY_BUCKET;
        self.scratch.clear();
        while let Some(node) = self.nodes.get(idx) {
            self.scratch.push((node.key, node.seq, idx));
            idx = node.next;
        }
        self.scratch.sort_unstable();
        let ready = self.scratch.partition_point(|&(key, _, _)| key <= limit);
        // Relink the survivors (sorted) before delivering, so a panicking
        // callback cannot leave the bucket list pointing at freed nodes.
        for i in ready..self.scratch.len() {
            let idx = self.scratch[i].2;
            self.link(idx);
        }
        for i in 0..ready {
            let (key, _, idx) = self.scratch[i];
            if let Some(item) = self.release(idx) {
                on_ready(key, item);
            }
        }
    }

    /// Moves time forward to `now` and calls `on_ready(key, item)` for every
    /// stored item with `key <= now`, in nondecreasing key order and, among
    /// equal keys, in insertion order. A `now` not greater than
    /// [`now()`](TimingWheel::now) does nothing.
    ///
    /// Cost: one step per slot crossed (at most `slots`, however far time
    /// jumps), plus `O(b log b)` per bucket of `b` items visited, plus
    /// `O(log n)` per item taken from or moved out of the overflow heap.
    pub fn advance(&mut self, now: u64, mut on_ready: impl FnMut(u64, T)) {
        if now <= self.now {
            return;
        }
        let old_tick = self.tick(self.now);
        let new_tick = self.tick(now);
        self.now = now;
        if self.len == 0 {
            return;
        }
        // Walk the ticks whose buckets may hold ready items. Bucket items
        // have ticks in [old_tick, old_tick + slots), so after a jump of a
        // whole rotation or more, every bucket is visited once, in tick
        // order, and emptied.
        let slots = self.buckets.len() as u64;
        let last = new_tick.min(old_tick.saturating_add(slots - 1));
        let mut t = old_tick;
        loop {
            if self.overflow.len() == self.len {
                break; // buckets are empty
            }
            let b = (t as usize) & self.mask;
            self.fire_bucket(b, now, &mut on_ready);
            if t >= last {
                break;
            }
            t += 1;
        }
        // Overflow keys are above every bucket key: deliver the ready ones
        // after the buckets, in (key, seq) order.
        while let Some(&Reverse((key, _, idx))) = self.overflow.peek() {
            if key > now {
                break;
            }
            self.overflow.pop();
            if let Some(item) = self.release(idx) {
                on_ready(key, item);
            }
        }
        // Pull overflow items that are now within the horizon into their
        // (empty) buckets, in (key, seq) order.
        while let Some(&Reverse((key, _, idx))) = self.overflow.peek() {
            if !self.within_horizon(key) {
                break;
            }
            self.overflow.pop();
            self.link(idx);
        }
    }

    /// Delivers every stored item in the order [`advance`] would (e.g. at
    /// end of stream) and sets time to the largest stored key, if that is
    /// later than [`now()`](TimingWheel::now).
    ///
    /// [`advance`]: TimingWheel::advance
    pub fn drain_all(&mut self, on_item: impl FnMut(u64, T)) {
        if self.len == 0 {
            return;
        }
        // Overflow keys are above every bucket key; otherwise the largest
        // key is in the last non-empty bucket in tick order.
        let max_key = match self.overflow.iter().map(|Reverse((k, _, _))| *k).max() {
            Some(k) => k,
            None => self.max_bucket_key(),
        };
        self.advance(max_key, on_item);
    }

    /// Largest key stored in a bucket (or `now` when the buckets are empty).
    fn max_bucket_key(&self) -> u64 {
        let cur = self.tick(self.now);
        for ahead in (0..self.buckets.len() as u64).rev() {
            let b = (cur.wrapping_add(ahead) as usize) & self.mask;
            let mut idx = self.buckets[b].head;
            let mut max = None;
            while let Some(node) = self.nodes.get(idx) {
                max = max.max(Some(node.key));
                idx = node.next;
            }
            if let Some(max) = max {
                return max;
            }
        }
        self.now
    }

    /// Drops every stored item and sets time back to 0, keeping all
    /// allocations. O(max_items + slots).
    pub fn reset(&mut self) {
        let n = self.nodes.len();
        for (i, node) in self.nodes.iter_mut().enumerate() {
            node.item = None;
            node.next = if i + 1 < n { i + 1 } else { NIL };
        }
        self.free = if n > 0 { 0 } else { NIL };
        self.buckets.fill(EMPTY_BUCKET);
        self.overflow.clear();
        self.scratch.clear();
        self.now = 0;
        self.len = 0;
        self.seq = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn collect<T>(w: &mut TimingWheel<T>, now: u64) -> Vec<(u64, T)> {
        let mut out = Vec::new();
        w.advance(now, |k, v| out.push((k, v)));
        out
    }

    #[test]
    fn ready_and_scheduled() {
        let mut w = TimingWheel::new(8, 4, 10);
        assert_eq!(w.push(0, 'a'), Ok(Push::Ready('a')));
        assert_eq!(w.push(5, 'b'), Ok(Push::Scheduled));
        assert_eq!(w.len(), 1);
        assert_eq!(collect(&mut w, 4), vec![]);
        assert_eq!(w.push(4, 'c'), Ok(Push::Ready('c')));
        assert_eq!(collect(&mut w, 5), vec![(5, 'b')]);
        assert!(w.is_empty());
        assert_eq!(w.now(), 5);
    }

    #[test]
    fn equal_keys_fifo_and_key_order_within_slot() {
        let mut w = TimingWheel::new(4, 10, 16);
        for (k, v) in [(9, 1), (3, 2), (9, 3), (5, 4), (3, 5), (12, 6)] {
            assert_eq!(w.push(k, v), Ok(Push::Scheduled));
        }
        assert_eq!(collect(&mut w, 4), vec![(3, 2), (3, 5)]);
        assert_eq!(collect(&mut w, 100), vec![(5, 4), (9, 1), (9, 3), (12, 6)]);
    }

    #[test]
    fn time_does_not_go_backwards() {
        let mut w = TimingWheel::new(4, 1, 4);
        w.advance(10, |_, _: u8| {});
        w.advance(3, |_, _| {});
        assert_eq!(w.now(), 10);
        assert_eq!(w.push(7, 1), Ok(Push::Ready(1)));
    }

    #[test]
    fn full_returns_item() {
        let mut w = TimingWheel::new(2, 1, 2);
        assert_eq!(w.push(1, "a"), Ok(Push::Scheduled));
        assert_eq!(w.push(100, "b"), Ok(Push::Scheduled));
        assert_eq!(w.push(2, "c"), Err(Full("c")));
        // Ready items are not stored, so they never hit the limit.
        assert_eq!(w.push(0, "d"), Ok(Push::Ready("d")));
        assert_eq!(collect(&mut w, 1), vec![(1, "a")]);
        assert_eq!(w.push(2, "c"), Ok(Push::Scheduled));
        assert_eq!(Full("x").into_inner(), "x");
        let mut z = TimingWheel::new(1, 1, 0);
        assert_eq!(z.push(1, ()), Err(Full(())));
    }

    #[test]
    fn beyond_horizon_and_big_jumps() {
        let mut w = TimingWheel::new(4, 2, 32); // horizon: 8 keys
        for k in [1000, 3, 50, 9, 1000, 8, 7, u64::MAX] {
            assert_eq!(w.push(k, k), Ok(Push::Scheduled));
        }
        assert_eq!(collect(&mut w, 8), vec![(3, 3), (7, 7), (8, 8)]);
        // Jump over many rotations: pulled from overflow and delivered.
        assert_eq!(collect(&mut w, 999), vec![(9, 9), (50, 50)]);
        assert_eq!(collect(&mut w, 1000), vec![(1000, 1000), (1000, 1000)]);
        assert_eq!(w.len(), 1);
        let mut rest = Vec::new();
        w.drain_all(|k, v| rest.push((k, v)));
        assert_eq!(rest, vec![(u64::MAX, u64::MAX)]);
        assert_eq!(w.now(), u64::MAX);
        assert_eq!(w.push(u64::MAX, 1), Ok(Push::Ready(1)));
    }

    #[test]
    fn drain_all_sets_now_to_max_key() {
        let mut w = TimingWheel::new(16, 1, 8);
        for k in [5, 2, 9, 2] {
            let _ = w.push(k, k);
        }
        let mut out = Vec::new();
        w.drain_all(|k, _| out.push(k));
        assert_eq!(out, vec![2, 2, 5, 9]);
        assert_eq!(w.now(), 9);
        w.drain_all(|_, _| unreachable!());
        assert_eq!(w.now(), 9);
    }

    #[test]
    fn reset_restores_time_and_capacity() {
        let mut w = TimingWheel::new(4, 1, 3);
        for k in [1, 2, 100] {
            let _ = w.push(k, k);
        }
        w.advance(50, |_, _| {});
        w.reset();
        assert!(w.is_empty());
        assert_eq!(w.now(), 0);
        for k in [3, 1, 2] {
            assert_eq!(w.push(k, k), Ok(Push::Scheduled));
        }
        assert_eq!(w.push(4, 4), Err(Full(4)));
        assert_eq!(collect(&mut w, 3), vec![(1, 1), (2, 2), (3, 3)]);
    }

    #[test]
    fn degenerate_parameters() {
        let w: TimingWheel<()> = TimingWheel::new(0, 0, 0);
        assert_eq!((w.slots(), w.slot_width(), w.max_items()), (1, 1, 0));
        let w: TimingWheel<()> = TimingWheel::new(5, 3, 7);
        assert_eq!((w.slots(), w.slot_width(), w.max_items()), (8, 3, 7));
    }

    #[derive(Clone, Debug)]
    enum Op {
        /// Push at `now + d` (saturating), `d` may be <= 0.
        PushRel(i64),
        /// Push at an absolute key.
        PushAbs(u64),
        /// Advance to `now + d` (saturating), `d` may be negative.
        AdvanceRel(i64),
        AdvanceAbs(u64),
        DrainAll,
        Reset,
    }

    fn rel_key() -> impl Strategy<Value = i64> {
        prop_oneof![
            2 => -6i64..=0,
            6 => 1i64..12,
            3 => 12i64..80,
            2 => 80i64..5_000,
            1 => Just(i64::MAX),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            10 => rel_key().prop_map(Op::PushRel),
            1 => prop_oneof![0u64..200, u64::MAX - 3..=u64::MAX].prop_map(Op::PushAbs),
            6 => prop_oneof![
                4 => -5i64..8,
                2 => 8i64..100,
                1 => 100i64..10_000,
            ]
            .prop_map(Op::AdvanceRel),
            1 => prop_oneof![0u64..300, u64::MAX - 3..=u64::MAX].prop_map(Op::AdvanceAbs),
            1 => Just(Op::DrainAll),
            1 => Just(Op::Reset),
        ]
    }

    fn offset(now: u64, d: i64) -> u64 {
        if d >= 0 {
            now.saturating_add(d as u64)
        } else {
            now.saturating_sub(d.unsigned_abs())
        }
    }

    /// Model: stored items in insertion order; popping sorts stably by key.
    struct Model {
        now: u64,
        max: usize,
        items: Vec<(u64, u32)>,
    }

    impl Model {
        fn push(&mut self, key: u64, v: u32) -> Result<Push<u32>, Full<u32>> {
            if key <= self.now {
                Ok(Push::Ready(v))
            } else if self.items.len() >= self.max {
                Err(Full(v))
            } else {
                self.items.push((key, v));
                Ok(Push::Scheduled)
            }
        }

        fn pop_until(&mut self, limit: u64) -> Vec<(u64, u32)> {
            let (mut ready, rest): (Vec<_>, Vec<_>) =
                self.items.iter().partition(|(k, _)| *k <= limit);
            ready.sort_by_key(|(k, _)| *k); // stable
            self.items = rest;
            ready
        }

        fn advance(&mut self, now: u64) -> Vec<(u64, u32)> {
            if now <= self.now {
                return Vec::new();
            }
            self.now = now;
            self.pop_until(now)
        }

        fn drain_all(&mut self) -> Vec<(u64, u32)> {
            let out = self.pop_until(u64::MAX);
            if let Some(&(k, _)) = out.last() {
                self.now = self.now.max(k);
            }
            out
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Random interleavings of push / advance / drain_all / reset agree
        /// with the model on every outcome and every delivered sequence.
        #[test]
        fn wheel_matches_model(
            slots in 1usize..9,
            width in prop_oneof![Just(1u64), 1u64..6],
            max in 0usize..24,
            ops in proptest::collection::vec(op(), 0..120),
        ) {
            let mut wheel = TimingWheel::new(slots, width, max);
            let mut model = Model { now: 0, max, items: Vec::new() };
            for (i, op) in ops.into_iter().enumerate() {
                let v = i as u32;
                match op {
                    Op::PushRel(d) => {
                        let key = offset(model.now, d);
                        prop_assert_eq!(wheel.push(key, v), model.push(key, v));
                    }
                    Op::PushAbs(key) => {
                        prop_assert_eq!(wheel.push(key, v), model.push(key, v));
                    }
                    Op::AdvanceRel(_) | Op::AdvanceAbs(_) => {
                        let now = match op {
                            Op::AdvanceRel(d) => offset(model.now, d),
                            Op::AdvanceAbs(n) => n,
                            _ => unreachable!(),
                        };
                        let mut got = Vec::new();
                        wheel.advance(now, |k, v| got.push((k, v)));
                        prop_assert_eq!(got, model.advance(now));
                    }
                    Op::DrainAll => {
                        let mut got = Vec::new();
                        wheel.drain_all(|k, v| got.push((k, v)));
                        prop_assert_eq!(got, model.drain_all());
                    }
                    Op::Reset => {
                        wheel.reset();
                        model.now = 0;
                        model.items.clear();
                    }
                }
                prop_assert_eq!(wheel.now(), model.now);
                prop_assert_eq!(wheel.len(), model.items.len());
                prop_assert!(wheel.len() <= max);
            }
            let mut got = Vec::new();
            wheel.drain_all(|k, v| got.push((k, v)));
            prop_assert_eq!(got, model.drain_all());
            prop_assert!(wheel.is_empty());
        }
    }
}
