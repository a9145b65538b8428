#![no_main]
//! The bounded structures of the stream-decode path against simple models
//! (semantics: `docs/structures.md`).
//!
//! The input is a program: five header bytes size a `ByteRing` (1), a
//! `TimingWheel<u32>` (slots, slot width, max items) and a `FixedSet128` (1); then each operation byte picks
//! a structure and an operation, and the bytes after it are its arguments
//! (missing bytes read as 0). After every operation the observable state
//! (`len`, offsets, `now`, ...) is compared with the model.
//!
//! - `ByteRing`: a `Vec` of every byte pushed since the last reset; the ring
//!   must hold its last `capacity()` bytes at offsets
//!   `[end - len, end)`, and `copy_range`/`range_slices` must return exactly
//!   `model[lo..hi]` when contained, and refuse (leaving `out` untouched)
//!   otherwise.
//! - `TimingWheel`: a `Vec` of `(key, item)` in insertion order; `push` is
//!   `Ready` iff `key <= now`, `Full` iff `max_items` are stored; `advance`
//!   and `drain_all` deliver the due items stable-sorted by key (equal keys
//!   in insertion order).
//! - `FixedSet128`: a `HashSet<u128>` with the clear-when-full rule:
//!   inserting a new digest into a full set clears it and counts a reset;
//!   re-inserting a present digest never resets; `clear` does not count.

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use scanner_engine::structures::{ByteRing, FixedSet128, Full, Push, TimingWheel};

/// Reads the program; past the end every read is 0.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn done(&self) -> bool {
        self.pos >= self.data.len()
    }
    fn u8(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }
    fn u64(&mut self) -> u64 {
        let mut v = [0u8; 8];
        for b in &mut v {
            *b = self.u8();
        }
        u64::from_le_bytes(v)
    }
    fn u128(&mut self) -> u128 {
        (u128::from(self.u64()) << 64) | u128::from(self.u64())
    }
    fn bytes(&mut self, n: usize) -> &'a [u8] {
        let start = self.pos.min(self.data.len());
        let end = start.saturating_add(n).min(self.data.len());
        self.pos = start.saturating_add(n);
        &self.data[start..end]
    }

    /// A time or key relative to `now`: mostly near it, sometimes far ahead
    /// (the overflow heap), sometimes in the past, sometimes at `u64::MAX`.
    fn time(&mut self, now: u64) -> u64 {
        match self.u8() % 8 {
            0 => now.saturating_sub(u64::from(self.u8() % 16)),
            1 | 2 | 3 => now.saturating_add(u64::from(self.u8() % 32)),
            4 => now.saturating_add(u64::from(self.u16())),
            5 => u64::MAX - u64::from(self.u8() % 4),
            6 => self.u64(),
            _ => now.saturating_add(u64::from(self.u8())),
        }
    }
}

struct RingModel {
    ring: ByteRing,
    cap: usize,
    all: Vec<u8>,
}

impl RingModel {
    fn new(cap: usize) -> Self {
        let ring = ByteRing::with_capacity(cap);
        let cap = cap.max(1);
        assert_eq!(ring.capacity(), cap);
        RingModel {
            ring,
            cap,
            all: Vec::new(),
        }
    }

    fn end(&self) -> u64 {
        self.all.len() as u64
    }
    fn start(&self) -> u64 {
        self.all.len().saturating_sub(self.cap) as u64
    }

    fn op(&mut self, r: &mut Reader<'_>) {
        match r.u8() % 4 {
            0 | 1 => {
                let n = usize::from(r.u8()) % (2 * self.cap + 8);
                let bytes = r.bytes(n);
                self.ring.push(bytes);
                self.all.extend_from_slice(bytes);
            }
            2 => {
                // Offsets around the retained window, including evicted
                // ones, not-yet-pushed ones and lo > hi.
                let base = self.end() + 4;
                let lo = base.saturating_sub(u64::from(r.u8()) % (self.cap as u64 + 16));
                let hi = base.saturating_sub(u64::from(r.u8()) % (self.cap as u64 + 16));
                let want = self.start() <= lo && lo <= hi && hi <= self.end();
                assert_eq!(
                    self.ring.contains(lo, hi),
                    want,
                    "ring contains({lo}, {hi})"
                );
                let mut out = vec![0xA5; 3];
                let ok = self.ring.copy_range(lo, hi, &mut out);
                assert_eq!(ok, want, "ring copy_range({lo}, {hi})");
                let slices = self.ring.range_slices(lo, hi);
                assert_eq!(slices.is_some(), want, "ring range_slices({lo}, {hi})");
                if want {
                    let exp = &self.all[lo as usize..hi as usize];
                    assert_eq!(&out[..3], &[0xA5; 3]);
                    assert_eq!(&out[3..], exp, "ring copy_range({lo}, {hi}) bytes");
                    let (a, b) = slices.unwrap();
                    assert!(
                        a.len() + b.len() == exp.len()
                            && a == &exp[..a.len()]
                            && b == &exp[a.len()..]
                    );
                    assert!(b.is_empty() || !a.is_empty(), "second slice without first");
                } else {
                    assert_eq!(out, vec![0xA5; 3], "refused copy_range touched out");
                }
            }
            _ => {
                self.ring.reset();
                self.all.clear();
            }
        }
        let len = self.all.len().min(self.cap);
        assert_eq!(self.ring.len(), len);
        assert_eq!(self.ring.is_empty(), len == 0);
        assert_eq!(self.ring.end_offset(), self.end());
        assert_eq!(self.ring.start_offset(), self.start());
        assert_eq!(self.ring.capacity(), self.cap);
    }
}

struct WheelModel {
    wheel: TimingWheel<u32>,
    max_items: usize,
    now: u64,
    /// Stored `(key, item)` in insertion order.
    items: Vec<(u64, u32)>,
    next_item: u32,
}

impl WheelModel {
    fn new(slots: usize, width: u64, max_items: usize) -> Self {
        let wheel = TimingWheel::new(slots, width, max_items);
        assert_eq!(wheel.slots(), slots.max(1).next_power_of_two());
        assert_eq!(wheel.slot_width(), width.max(1));
        assert_eq!(wheel.max_items(), max_items);
        WheelModel {
            wheel,
            max_items,
            now: 0,
            items: Vec::new(),
            next_item: 0,
        }
    }

    /// Removes the items with `key <= t`, stable-sorted by key.
    fn take_due(&mut self, t: u64) -> Vec<(u64, u32)> {
        let mut due: Vec<(u64, u32)> = self
            .items
            .iter()
            .copied()
            .filter(|&(k, _)| k <= t)
            .collect();
        self.items.retain(|&(k, _)| k > t);
        due.sort_by_key(|&(k, _)| k);
        due
    }

    fn op(&mut self, r: &mut Reader<'_>) {
        match r.u8() % 8 {
            0..=3 => {
                let key = r.time(self.now);
                let item = self.next_item;
                self.next_item += 1;
                let got = self.wheel.push(key, item);
                if key <= self.now {
                    assert_eq!(
                        got,
                        Ok(Push::Ready(item)),
                        "wheel push({key}) at now {}",
                        self.now
                    );
                } else if self.items.len() >= self.max_items {
                    assert_eq!(got, Err(Full(item)), "wheel push({key}) when full");
                } else {
                    assert_eq!(
                        got,
                        Ok(Push::Scheduled),
                        "wheel push({key}) at now {}",
                        self.now
                    );
                    self.items.push((key, item));
                }
            }
            4 | 5 => {
                let t = r.time(self.now);
                let mut got = Vec::new();
                self.wheel.advance(t, |k, v| got.push((k, v)));
                let want = if t > self.now {
                    self.now = t;
                    self.take_due(t)
                } else {
                    Vec::new()
                };
                assert_eq!(got, want, "wheel advance({t})");
            }
            6 => {
                let mut got = Vec::new();
                self.wheel.drain_all(|k, v| got.push((k, v)));
                if let Some(max) = self.items.iter().map(|&(k, _)| k).max() {
                    self.now = self.now.max(max);
                }
                let want = self.take_due(u64::MAX);
                assert_eq!(got, want, "wheel drain_all");
            }
            _ => {
                self.wheel.reset();
                self.items.clear();
                self.now = 0;
            }
        }
        assert_eq!(self.wheel.now(), self.now, "wheel now");
        assert_eq!(self.wheel.len(), self.items.len(), "wheel len");
        assert_eq!(self.wheel.is_empty(), self.items.is_empty());
    }
}

struct SetModel {
    set: FixedSet128,
    cap: usize,
    model: HashSet<u128>,
    resets: u64,
}

impl SetModel {
    fn new(cap: usize) -> Self {
        let set = FixedSet128::with_capacity(cap);
        let cap = cap.max(1).next_power_of_two();
        assert_eq!(set.capacity(), cap);
        SetModel {
            set,
            cap,
            model: HashSet::new(),
            resets: 0,
        }
    }

    /// A digest: mostly from a small pool (so repeats happen), including
    /// values whose halves cancel or collide when folded.
    fn digest(r: &mut Reader<'_>) -> u128 {
        let sel = r.u8();
        let x = u128::from(sel % 32);
        match sel >> 5 {
            0 | 1 => x,
            2 => x << 64,
            3 => x | (x << 64),
            4 => u128::MAX - x,
            5 => x << 120,
            6 => (x << 64) | (x ^ 1),
            _ => r.u128(),
        }
    }

    fn op(&mut self, r: &mut Reader<'_>) {
        match r.u8() % 8 {
            0..=4 => {
                let h = Self::digest(r);
                let want = if self.model.contains(&h) {
                    false
                } else {
                    if self.model.len() == self.cap {
                        self.model.clear();
                        self.resets += 1;
                    }
                    self.model.insert(h);
                    true
                };
                assert_eq!(self.set.insert(h), want, "set insert({h:#x})");
            }
            5 | 6 => {
                let h = Self::digest(r);
                assert_eq!(
                    self.set.contains(h),
                    self.model.contains(&h),
                    "set contains({h:#x})"
                );
            }
            _ => {
                self.set.clear();
                self.model.clear();
            }
        }
        assert_eq!(self.set.len(), self.model.len(), "set len");
        assert_eq!(self.set.is_empty(), self.model.is_empty());
        assert_eq!(self.set.resets(), self.resets, "set resets");
        assert!(self.set.len() <= self.set.capacity());
    }
}

fuzz_target!(|data: &[u8]| {
    let mut r = Reader { data, pos: 0 };
    let mut ring = RingModel::new(usize::from(r.u8() % 64));
    let slots = usize::from(r.u8() % 17);
    let width = u64::from(r.u8() % 9);
    let max_items = usize::from(r.u8() % 33);
    let mut wheel = WheelModel::new(slots, width, max_items);
    let mut set = SetModel::new(usize::from(r.u8() % 17));
    while !r.done() {
        match r.u8() % 3 {
            0 => ring.op(&mut r),
            1 => wheel.op(&mut r),
            _ => set.op(&mut r),
        }
    }
    // Every set member is still reported present.
    for h in &set.model {
        assert!(set.set.contains(*h), "set lost {h:#x}");
    }
});
