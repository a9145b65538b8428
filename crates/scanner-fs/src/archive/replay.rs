//! Keeping the first bytes that a container reader consumed from a member
//! stream, so that a nested archive that turns out to be unreadable from
//! its very start can still be yielded as plain bytes (and scanned).
//!
//! Invariants: at most `cap` bytes are kept (a decoder that consumed more
//! before failing makes the replay impossible, reported by
//! [`Recording::into_replay`] returning `None`); the bytes are passed through
//! unchanged.

use std::io::{self, Cursor, Read};

/// How many leading bytes are kept: more than any of the decoders here
/// reads ahead before it can report a bad header (flate2 buffers 32 KiB).
pub(crate) const REPLAY_CAP: usize = 64 * 1024;

/// Passes `inner` through, keeping the first `cap` bytes read.
pub(crate) struct Recording<R> {
    inner: R,
    kept: Vec<u8>,
    cap: usize,
    overflowed: bool,
}

impl<R: Read> Recording<R> {
    pub(crate) fn new(inner: R, cap: usize) -> Self {
        Self {
            inner,
            kept: Vec::new(),
            cap,
            overflowed: false,
        }
    }

    /// The whole stream again, from its first byte: the kept bytes, then the
    /// rest of `inner`; `None` if more than `cap` bytes were consumed.
    pub(crate) fn into_replay(self) -> Option<io::Chain<Cursor<Vec<u8>>, R>> {
        if self.overflowed {
            return None;
        }
        Some(Cursor::new(self.kept).chain(self.inner))
    }
}

impl<R: Read> Read for Recording<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if !self.overflowed {
            if self.kept.len() + n <= self.cap {
                self.kept.extend_from_slice(&buf[..n]);
            } else {
                self.overflowed = true;
                self.kept = Vec::new();
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replays_from_the_start_within_the_cap() {
        let data: Vec<u8> = (0..100u8).collect();
        let mut r = Recording::new(&data[..], 64);
        let mut first = [0u8; 30];
        r.read_exact(&mut first).unwrap();
        let mut all = Vec::new();
        r.into_replay().unwrap().read_to_end(&mut all).unwrap();
        assert_eq!(all, data);

        let mut r = Recording::new(&data[..], 16);
        r.read_exact(&mut first).unwrap();
        assert!(r.into_replay().is_none());
    }
}
