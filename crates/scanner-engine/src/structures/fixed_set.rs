//! [`FixedSet128`]: a fixed-capacity open-addressing hash set of `u128`
//! digests, used to skip decoded outputs that were already scanned.
//!
//! Layout: a table of `2 * capacity` slots (a power of two) with linear
//! probing, and a parallel array of per-slot generation stamps. A slot is
//! occupied iff its stamp equals the current generation, so clearing is
//! bumping the generation: O(1), except once every 2^32 - 1 clears, when
//! the stamps are zeroed.
//!
//! Invariants:
//! - `len() <= capacity()`, and the table has `2 * capacity()` slots, so the
//!   load factor never exceeds 1/2 and every probe sequence meets an empty
//!   slot within the table size.
//! - The table and stamps are allocated once, in
//!   [`FixedSet128::with_capacity`]; nothing allocates afterwards.
//! - Inserting a new digest into a full set first clears the set (counted by
//!   [`FixedSet128::resets`]): the set stays bounded and a caller only loses
//!   dedupe opportunities (a digest seen before the reset is reported new
//!   again), never reports an unseen digest as present.
//! - No method panics.

/// A bounded set of 128-bit digests that clears itself when full.
#[derive(Clone, Debug)]
pub struct FixedSet128 {
    keys: Box<[u128]>,
    /// Slot `i` is occupied iff `stamps[i] == gen`.
    stamps: Box<[u32]>,
    gen: u32,
    /// `keys.len() - 1`.
    mask: usize,
    cap: usize,
    len: usize,
    resets: u64,
}

/// Where a digest's probe sequence ended.
enum Probe {
    Found,
    Vacant(usize),
}

impl FixedSet128 {
    /// Creates an empty set holding up to `cap` digests; `cap` is rounded up
    /// to a power of two (0 becomes 1). The table (`2 * cap` slots of 20
    /// bytes) is allocated here and never again.
    pub fn with_capacity(cap: usize) -> FixedSet128 {
        let max_pow2 = 1usize << (usize::BITS - 2);
        let cap = cap
            .max(1)
            .checked_next_power_of_two()
            .unwrap_or(max_pow2)
            .min(max_pow2);
        let slots = cap * 2;
        FixedSet128 {
            keys: vec![0u128; slots].into_boxed_slice(),
            stamps: vec![0u32; slots].into_boxed_slice(),
            gen: 1,
            mask: slots - 1,
            cap,
            len: 0,
            resets: 0,
        }
    }

    /// Maximum number of digests held before the set clears itself.
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// Number of digests held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the set holds no digest.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many times [`insert`](FixedSet128::insert) cleared the set
    /// because it was full (explicit [`clear`](FixedSet128::clear) calls are
    /// not counted).
    pub fn resets(&self) -> u64 {
        self.resets
    }

    /// Removes every digest. O(1) amortised; keeps the allocation and the
    /// [`resets`](FixedSet128::resets) count.
    pub fn clear(&mut self) {
        self.len = 0;
        match self.gen.checked_add(1) {
            Some(g) => self.gen = g,
            None => {
                self.stamps.fill(0);
                self.gen = 1;
            }
        }
    }

    /// Home slot of a digest. Digests are usually uniform already; the mix
    /// keeps structured values (counters, values differing only in their
    /// high half) from clustering.
    fn home(&self, h: u128) -> usize {
        let folded = (h as u64) ^ ((h >> 64) as u64).rotate_left(29);
        // splitmix64 finaliser.
        let mut x = folded ^ (folded >> 30);
        x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x ^= x >> 27;
        x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^= x >> 31;
        // Truncation is fine: only the low bits survive the mask.
        (x as usize) & self.mask
    }

    fn probe(&self, h: u128) -> Option<Probe> {
        let mut i = self.home(h);
        for _ in 0..self.keys.len() {
            if self.stamps[i] != self.gen {
                return Some(Probe::Vacant(i));
            }
            if self.keys[i] == h {
                return Some(Probe::Found);
            }
            i = (i + 1) & self.mask;
        }
        // Unreachable while the load factor is <= 1/2.
        None
    }

    /// True when `h` is in the set.
    pub fn contains(&self, h: u128) -> bool {
        matches!(self.probe(h), Some(Probe::Found))
    }

    /// Inserts `h`; returns true if it was not present, false if it was.
    ///
    /// When the set is full and `h` is new, the set is cleared first and
    /// [`resets`](FixedSet128::resets) is incremented. O(1) expected.
    pub fn insert(&mut self, h: u128) -> bool {
        let slot = match self.probe(h) {
            Some(Probe::Found) => return false,
            Some(Probe::Vacant(i)) if self.len < self.cap => i,
            _ => {
                self.clear();
                self.resets = self.resets.saturating_add(1);
                self.home(h)
            }
        };
        self.keys[slot] = h;
        self.stamps[slot] = self.gen;
        self.len += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    #[test]
    fn insert_contains_len() {
        let mut s = FixedSet128::with_capacity(4);
        assert_eq!(s.capacity(), 4);
        assert!(s.is_empty());
        assert!(s.insert(7));
        assert!(!s.insert(7));
        assert!(s.insert(0)); // zero is a valid digest
        assert!(s.insert(u128::MAX));
        assert!(s.contains(0) && s.contains(7) && s.contains(u128::MAX));
        assert!(!s.contains(8));
        assert_eq!(s.len(), 3);
        assert_eq!(s.resets(), 0);
    }

    #[test]
    fn capacity_rounds_up() {
        assert_eq!(FixedSet128::with_capacity(0).capacity(), 1);
        assert_eq!(FixedSet128::with_capacity(5).capacity(), 8);
        assert_eq!(FixedSet128::with_capacity(8).capacity(), 8);
    }

    #[test]
    fn full_set_resets_then_inserts() {
        let mut s = FixedSet128::with_capacity(2);
        assert!(s.insert(1));
        assert!(s.insert(2));
        assert!(!s.insert(2)); // present: no reset
        assert_eq!(s.resets(), 0);
        assert!(s.insert(3));
        assert_eq!(s.resets(), 1);
        assert_eq!(s.len(), 1);
        assert!(s.contains(3) && !s.contains(1) && !s.contains(2));
        assert!(s.insert(1)); // lost dedupe opportunity, still correct
    }

    #[test]
    fn explicit_clear_is_not_counted() {
        let mut s = FixedSet128::with_capacity(4);
        s.insert(1);
        s.clear();
        assert!(s.is_empty() && !s.contains(1));
        assert_eq!(s.resets(), 0);
        assert!(s.insert(1));
    }

    #[test]
    fn generation_wrap_clears_stamps() {
        let mut s = FixedSet128::with_capacity(4);
        s.insert(1);
        s.gen = u32::MAX;
        s.stamps.fill(u32::MAX); // every slot looks occupied by garbage
        s.keys.fill(9);
        s.clear();
        assert_eq!(s.gen, 1);
        assert!(!s.contains(9) && !s.contains(1));
        assert!(s.insert(9));
        assert!(s.contains(9));
    }

    #[test]
    fn ten_times_capacity_stays_bounded() {
        let cap = 64;
        let mut s = FixedSet128::with_capacity(cap);
        for i in 0..10 * cap as u128 {
            assert!(s.insert(i << 64 | i)); // structured values
            assert!(s.len() <= cap);
            assert!(s.contains(i << 64 | i));
        }
        // A reset happens at every `cap + 1`-th new digest.
        assert_eq!(s.resets(), 9);
        assert_eq!(s.len(), cap);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Matches a `HashSet` model, including the clear-when-full rule.
        #[test]
        fn set_matches_model(
            cap in 1usize..40,
            values in proptest::collection::vec(
                prop_oneof![3 => 0u128..60, 1 => any::<u128>(), 1 => (0u128..60).prop_map(|v| v << 64)],
                0..300,
            ),
        ) {
            let mut set = FixedSet128::with_capacity(cap);
            let cap = set.capacity();
            let mut model: HashSet<u128> = HashSet::new();
            let mut resets = 0u64;
            for v in values {
                let expect_new = !model.contains(&v);
                if expect_new && model.len() == cap {
                    model.clear();
                    resets += 1;
                }
                model.insert(v);
                prop_assert_eq!(set.insert(v), expect_new);
                prop_assert_eq!(set.len(), model.len());
                prop_assert_eq!(set.resets(), resets);
                prop_assert!(set.len() <= cap);
                for probe in [v, v ^ 1, v.wrapping_add(1 << 64)] {
                    prop_assert_eq!(set.contains(probe), model.contains(&probe));
                }
            }
        }
    }
}
