//! [`ByteRing`]: a fixed-capacity ring buffer of bytes addressed by
//! monotonically increasing stream offsets.
//!
//! The stream-decode path pushes decoded bytes into the ring; a window
//! `[lo, hi)` scheduled by a match is later copied out of it by offset, or,
//! if its start has already been evicted, re-decoded by the caller.
//!
//! Invariants:
//! - `buf.len() == capacity() >= 1`; the buffer is allocated once, in
//!   [`ByteRing::with_capacity`], and never reallocated (not even by
//!   [`ByteRing::reset`]).
//! - `len() <= capacity()`. The retained bytes are the last `len()` bytes
//!   pushed: stream offsets `[start_offset(), end_offset())`, where
//!   `end_offset()` counts every byte pushed since creation or the last
//!   reset and `start_offset() == end_offset() - len()`.
//! - `head` is the physical index where the next byte goes; the oldest
//!   retained byte is at `(head + capacity - len) % capacity`.
//! - No method panics: out-of-range requests return `false` / `None`.

/// A bounded ring buffer of bytes with monotonic stream offsets.
///
/// Pushing more than [`capacity`](ByteRing::capacity) bytes evicts the
/// oldest ones; offsets keep counting, so a byte keeps the same offset for as
/// long as it is retained.
#[derive(Clone, Debug)]
pub struct ByteRing {
    buf: Box<[u8]>,
    head: usize,
    len: usize,
    end: u64,
}

impl ByteRing {
    /// Creates an empty ring that retains the last `cap` bytes pushed.
    ///
    /// A `cap` of 0 is treated as 1. The buffer is allocated here and never
    /// again.
    pub fn with_capacity(cap: usize) -> ByteRing {
        let cap = cap.max(1);
        ByteRing {
            buf: vec![0u8; cap].into_boxed_slice(),
            head: 0,
            len: 0,
            end: 0,
        }
    }

    /// Maximum number of bytes retained.
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// Number of bytes currently retained (`<= capacity()`).
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no byte is retained (nothing pushed since creation/reset).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Stream offset one past the newest byte: the total number of bytes
    /// pushed since creation or the last [`reset`](ByteRing::reset).
    pub fn end_offset(&self) -> u64 {
        self.end
    }

    /// Stream offset of the oldest retained byte (`end_offset() - len()`).
    pub fn start_offset(&self) -> u64 {
        // `len <= end` always holds: every retained byte was pushed.
        self.end.saturating_sub(self.len as u64)
    }

    /// Empties the ring and sets both offsets back to 0, keeping the
    /// allocation.
    pub fn reset(&mut self) {
        self.head = 0;
        self.len = 0;
        self.end = 0;
    }

    /// Appends `bytes`, evicting the oldest bytes when the ring is full.
    ///
    /// A push longer than the capacity keeps only its last `capacity()`
    /// bytes (the earlier ones still count towards the offsets). At most two
    /// slice copies; never allocates.
    pub fn push(&mut self, bytes: &[u8]) {
        let cap = self.buf.len();
        let n = bytes.len();
        // `u64` offsets cannot realistically overflow; saturate rather than
        // wrap so offsets stay monotonic even then.
        self.end = self.end.saturating_add(n as u64);
        if n >= cap {
            // Only the last `cap` bytes survive; lay them out from index 0.
            self.buf.copy_from_slice(&bytes[n - cap..]);
            self.head = 0;
            self.len = cap;
            return;
        }
        // n < cap, head < cap.
        let first = n.min(cap - self.head);
        self.buf[self.head..self.head + first].copy_from_slice(&bytes[..first]);
        self.buf[..n - first].copy_from_slice(&bytes[first..]);
        self.head = (self.head + n) % cap;
        self.len = (self.len + n).min(cap);
    }

    /// True when every byte of `[lo, hi)` is retained, i.e.
    /// `start_offset() <= lo <= hi <= end_offset()`. An empty range at a
    /// retained position (including `end_offset()`) counts as contained.
    pub fn contains(&self, lo: u64, hi: u64) -> bool {
        self.start_offset() <= lo && lo <= hi && hi <= self.end
    }

    /// The bytes of `[lo, hi)` as at most two slices (the second is
    /// non-empty only when the range wraps around the end of the buffer),
    /// or `None` when the range is not [contained](ByteRing::contains).
    pub fn range_slices(&self, lo: u64, hi: u64) -> Option<(&[u8], &[u8])> {
        if !self.contains(lo, hi) {
            return None;
        }
        let cap = self.buf.len();
        // Both differences are <= len <= cap, so they fit in usize.
        let skip = usize::try_from(lo - self.start_offset()).ok()?;
        let n = usize::try_from(hi - lo).ok()?;
        let tail = (self.head + cap - self.len) % cap;
        let idx = (tail + skip) % cap;
        let first = n.min(cap - idx);
        Some((&self.buf[idx..idx + first], &self.buf[..n - first]))
    }

    /// Appends the bytes of `[lo, hi)` to `out` and returns true when the
    /// range is [contained](ByteRing::contains); otherwise returns false and
    /// leaves `out` unchanged.
    ///
    /// `out` grows only if its spare capacity is smaller than `hi - lo`.
    pub fn copy_range(&self, lo: u64, hi: u64, out: &mut Vec<u8>) -> bool {
        match self.range_slices(lo, hi) {
            Some((a, b)) => {
                out.extend_from_slice(a);
                out.extend_from_slice(b);
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn copy(r: &ByteRing, lo: u64, hi: u64) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        r.copy_range(lo, hi, &mut out).then_some(out)
    }

    #[test]
    fn empty_ring() {
        let r = ByteRing::with_capacity(4);
        assert_eq!(r.capacity(), 4);
        assert!(r.is_empty());
        assert_eq!((r.start_offset(), r.end_offset()), (0, 0));
        assert_eq!(copy(&r, 0, 0), Some(vec![]));
        assert_eq!(copy(&r, 0, 1), None);
    }

    #[test]
    fn zero_capacity_is_one() {
        let mut r = ByteRing::with_capacity(0);
        assert_eq!(r.capacity(), 1);
        r.push(b"abc");
        assert_eq!((r.start_offset(), r.end_offset()), (2, 3));
        assert_eq!(copy(&r, 2, 3), Some(b"c".to_vec()));
    }

    #[test]
    fn wrap_around_copy() {
        let mut r = ByteRing::with_capacity(5);
        r.push(b"abc");
        r.push(b"defg"); // retains "cdefg", physical layout "fgcde"
        assert_eq!(r.len(), 5);
        assert_eq!((r.start_offset(), r.end_offset()), (2, 7));
        assert_eq!(copy(&r, 2, 7), Some(b"cdefg".to_vec()));
        assert_eq!(copy(&r, 3, 6), Some(b"def".to_vec()));
        let (a, b) = r.range_slices(2, 7).unwrap();
        assert_eq!((a, b), (&b"cde"[..], &b"fg"[..]));
        assert_eq!(copy(&r, 1, 3), None);
        assert_eq!(copy(&r, 6, 8), None);
    }

    #[test]
    fn oversized_push_keeps_last_cap_bytes() {
        let mut r = ByteRing::with_capacity(3);
        r.push(b"x");
        r.push(b"0123456789");
        assert_eq!((r.start_offset(), r.end_offset()), (8, 11));
        assert_eq!(copy(&r, 8, 11), Some(b"789".to_vec()));
        r.push(b"ab");
        assert_eq!(copy(&r, 10, 13), Some(b"9ab".to_vec()));
    }

    #[test]
    fn failed_copy_leaves_out_unchanged() {
        let mut r = ByteRing::with_capacity(4);
        r.push(b"abcdef");
        let mut out = b"keep".to_vec();
        assert!(!r.copy_range(0, 3, &mut out));
        assert!(!r.copy_range(5, 4, &mut out)); // lo > hi
        assert!(!r.copy_range(3, u64::MAX, &mut out));
        assert_eq!(out, b"keep");
        assert!(r.copy_range(4, 6, &mut out));
        assert_eq!(out, b"keepef");
    }

    #[test]
    fn reset_restarts_offsets() {
        let mut r = ByteRing::with_capacity(4);
        r.push(b"abcdef");
        r.reset();
        assert!(r.is_empty());
        assert_eq!((r.start_offset(), r.end_offset()), (0, 0));
        assert_eq!(r.capacity(), 4);
        r.push(b"xy");
        assert_eq!(copy(&r, 0, 2), Some(b"xy".to_vec()));
    }

    #[derive(Clone, Debug)]
    enum Op {
        Push(Vec<u8>),
        Reset,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            12 => proptest::collection::vec(any::<u8>(), 0..20).prop_map(Op::Push),
            2 => proptest::collection::vec(any::<u8>(), 20..80).prop_map(Op::Push),
            1 => Just(Op::Reset),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// The ring agrees with a model holding every byte pushed: a range
        /// can be copied exactly when it lies within the last `cap` bytes,
        /// and then yields the model's bytes.
        #[test]
        fn ring_matches_model(
            cap in 1usize..40,
            ops in proptest::collection::vec(op(), 0..40),
            probes in proptest::collection::vec((0u64..200, 0u64..200), 1..12),
        ) {
            let mut ring = ByteRing::with_capacity(cap);
            let mut model: Vec<u8> = Vec::new();
            for op in ops {
                match op {
                    Op::Push(bytes) => {
                        ring.push(&bytes);
                        model.extend_from_slice(&bytes);
                    }
                    Op::Reset => {
                        ring.reset();
                        model.clear();
                    }
                }
                let end = model.len() as u64;
                let start = end.saturating_sub(cap as u64);
                prop_assert_eq!(ring.end_offset(), end);
                prop_assert_eq!(ring.start_offset(), start);
                prop_assert_eq!(ring.len() as u64, end - start);
                prop_assert_eq!(ring.capacity(), cap);
                // Probes relative to the end too, so they hit the window.
                for &(a, b) in &probes {
                    for (lo, hi) in [(a, b), (end.saturating_sub(a % 50), end.saturating_sub(b % 50))] {
                        let ok = start <= lo && lo <= hi && hi <= end;
                        prop_assert_eq!(ring.contains(lo, hi), ok);
                        let mut out = vec![0xAA];
                        let got = ring.copy_range(lo, hi, &mut out);
                        prop_assert_eq!(got, ok);
                        if ok {
                            prop_assert_eq!(out[0], 0xAA);
                            prop_assert_eq!(&out[1..], &model[lo as usize..hi as usize]);
                        } else {
                            prop_assert_eq!(out, vec![0xAA]);
                        }
                    }
                }
            }
        }
    }
}
