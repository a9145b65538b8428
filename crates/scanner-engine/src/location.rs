//! Byte offset → (line, column), computed incrementally for offsets visited
//! in ascending order, so locating all findings of a buffer is one pass.
//!
//! Invariants: lines and columns are 1-based; a line ends at `\n`; the column
//! counts bytes from the start of the line. Offsets passed to
//! [`LineCursor::locate`] never decrease; each byte is examined at most once.

/// Tracks the line count and the last newline up to a position.
#[derive(Debug, Default)]
pub(crate) struct LineCursor {
    pos: usize,
    line: u64,
    line_start: usize,
}

impl LineCursor {
    pub(crate) fn new() -> LineCursor {
        LineCursor {
            pos: 0,
            line: 1,
            line_start: 0,
        }
    }

    /// Line and column of `offset` in `input`. `offset` must not be less than
    /// the previous call's (it is clamped to the input length).
    pub(crate) fn locate(&mut self, input: &[u8], offset: usize) -> (u64, u64) {
        let offset = offset.min(input.len());
        if offset > self.pos {
            let seg = &input[self.pos..offset];
            let newlines = memchr::memchr_iter(b'\n', seg).count();
            if newlines > 0 {
                self.line += newlines as u64;
                if let Some(last) = memchr::memrchr(b'\n', seg) {
                    self.line_start = self.pos + last + 1;
                }
            }
            self.pos = offset;
        }
        (self.line, (offset - self.line_start) as u64 + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive(input: &[u8], offset: usize) -> (u64, u64) {
        let before = &input[..offset];
        let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        let start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        (line, (offset - start) as u64 + 1)
    }

    #[test]
    fn simple_positions() {
        let text = b"ab\ncd\n\nxyz";
        let mut c = LineCursor::new();
        assert_eq!(c.locate(text, 0), (1, 1));
        assert_eq!(c.locate(text, 1), (1, 2));
        assert_eq!(c.locate(text, 3), (2, 1));
        assert_eq!(c.locate(text, 7), (4, 1));
        assert_eq!(c.locate(text, 9), (4, 3));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        #[test]
        fn matches_naive_count(
            input in proptest::collection::vec(prop_oneof![Just(b'\n'), any::<u8>()], 0..400),
            mut offsets in proptest::collection::vec(0usize..400, 0..20),
        ) {
            offsets.sort();
            let mut c = LineCursor::new();
            for o in offsets {
                let o = o.min(input.len());
                prop_assert_eq!(c.locate(&input, o), naive(&input, o));
            }
        }
    }
}
