//! Digest of decoded output for deduplication: an incremental AEGIS-128L MAC
//! over the decoded bytes (fed chunk by chunk, so nothing is buffered),
//! finalised together with the root span it came from.
//!
//! Invariants:
//! - Equal decoded bytes under the same root span give equal digests however
//!   the bytes were chunked; the same bytes under different root spans give
//!   different digests, so each location in the input is still reported.
//! - The key is fixed: digests are only compared within one process.

use aegis::aegis128l::Aegis128LMac;

/// A fixed, non-secret key: the MAC is used as a fast 128-bit hash.
const KEY: [u8; 16] = *b"secretscan-dedup";

/// Incremental digest of one decoded stream.
pub(crate) struct DecodedDigest {
    mac: Aegis128LMac<16>,
}

impl DecodedDigest {
    pub(crate) fn new() -> DecodedDigest {
        DecodedDigest {
            mac: Aegis128LMac::new(&KEY),
        }
    }

    pub(crate) fn update(&mut self, chunk: &[u8]) {
        self.mac.update(chunk);
    }

    /// The digest of everything fed, bound to the root span `[start, end)`.
    pub(crate) fn finish(mut self, root_start: u64, root_end: u64) -> u128 {
        let mut root = [0u8; 16];
        root[..8].copy_from_slice(&root_start.to_le_bytes());
        root[8..].copy_from_slice(&root_end.to_le_bytes());
        // The root span goes in after the data, behind a length marker, so no
        // data can collide with a different (data, root) pair by shifting bytes.
        self.mac.update(&[0xff; 16]);
        self.mac.update(&root);
        u128::from_le_bytes(self.mac.finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn digest(chunks: &[&[u8]], root: (u64, u64)) -> u128 {
        let mut d = DecodedDigest::new();
        for c in chunks {
            d.update(c);
        }
        d.finish(root.0, root.1)
    }

    #[test]
    fn root_span_separates_equal_data() {
        assert_eq!(digest(&[b"abc"], (0, 4)), digest(&[b"abc"], (0, 4)));
        assert_ne!(digest(&[b"abc"], (0, 4)), digest(&[b"abc"], (8, 12)));
        assert_ne!(digest(&[b"abc"], (0, 4)), digest(&[b"abd"], (0, 4)));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn chunking_does_not_change_digest(data in proptest::collection::vec(any::<u8>(), 0..600), cut in 0usize..600) {
            let cut = cut.min(data.len());
            prop_assert_eq!(digest(&[&data[..cut], &data[cut..]], (1, 2)), digest(&[&data], (1, 2)));
        }
    }
}
