//! Inline allow markers: a comment such as `secretscan:allow` on a line
//! suppresses the findings located on that line.
//!
//! [`LineMarkers`] is fed the input in order, in pieces of any size, and
//! records which lines hold a marker. A finding can be judged once its line
//! has been seen to its end ([`LineMarkers::line_complete`]); the caller
//! holds findings until then.
//!
//! Invariants: the result does not depend on how the input is cut into
//! pieces (a marker split across two pieces is found); memory is bounded by
//! [`MAX_MARKED_LINES`] recorded lines plus one marker's length of carry.

use memchr::memmem;

/// Most marked lines remembered per input; markers beyond are counted in
/// [`LineMarkers::lines_not_recorded`] and do not suppress.
pub const MAX_MARKED_LINES: usize = 1 << 20;

/// Marked lines of one input.
#[derive(Debug)]
pub struct LineMarkers {
    finders: Vec<memmem::Finder<'static>>,
    longest: usize,
    /// Line number (1-based) of the first byte not yet fed.
    line: u64,
    /// Bytes fed so far.
    fed: u64,
    /// Tail of the input fed so far (at most `longest - 1` bytes), for
    /// markers cut between pieces, and the line number of its first byte.
    carry: Vec<u8>,
    carry_line: u64,
    /// Marked lines, ascending (markers are found in input order).
    marked: Vec<u64>,
    not_recorded: u64,
    joined: Vec<u8>,
}

impl LineMarkers {
    /// Looks for each of `markers` (empty markers are ignored).
    pub fn new(markers: &[String]) -> LineMarkers {
        let finders: Vec<_> = markers
            .iter()
            .filter(|m| !m.is_empty())
            .map(|m| memmem::Finder::new(m.as_bytes()).into_owned())
            .collect();
        let longest = finders.iter().map(|f| f.needle().len()).max().unwrap_or(0);
        LineMarkers {
            finders,
            longest,
            line: 1,
            fed: 0,
            carry: Vec::new(),
            carry_line: 1,
            marked: Vec::new(),
            not_recorded: 0,
            joined: Vec::new(),
        }
    }

    /// Forgets everything fed, keeping the markers (for the next input).
    pub fn reset(&mut self) {
        self.line = 1;
        self.fed = 0;
        self.carry.clear();
        self.carry_line = 1;
        self.marked.clear();
        self.not_recorded = 0;
    }

    /// Whether any marker is configured.
    pub fn is_active(&self) -> bool {
        !self.finders.is_empty()
    }

    /// Feeds the next piece of the input.
    ///
    /// The piece is searched where it lies; only the junction with the
    /// previous piece (the carry plus the first `longest - 1` bytes) is
    /// copied, so markers cut between pieces are found without copying
    /// the input.
    pub fn feed(&mut self, piece: &[u8]) {
        if !self.is_active() {
            return;
        }
        let piece_line = self.line;
        let carried = self.carry.len();
        // (line of the text searched, position in it) of each hit: in the
        // junction those starting in the carry, in the piece all others.
        let mut hits: Vec<(bool, usize)> = Vec::new();
        if carried > 0 {
            let mut joined = std::mem::take(&mut self.joined);
            joined.clear();
            joined.extend_from_slice(&self.carry);
            joined.extend_from_slice(&piece[..piece.len().min(self.longest.saturating_sub(1))]);
            for finder in &self.finders {
                let len = finder.needle().len();
                hits.extend(
                    finder
                        .find_iter(&joined)
                        .filter(|&h| h < carried && h + len > carried)
                        .map(|h| (true, h)),
                );
            }
            self.joined = joined;
        }
        for finder in &self.finders {
            hits.extend(finder.find_iter(piece).map(|h| (false, h)));
        }
        hits.sort_unstable_by_key(|&(in_junction, at)| (!in_junction, at));
        for (in_junction, at) in hits {
            let line = if in_junction {
                self.carry_line + newlines(&self.joined[..at])
            } else {
                piece_line + newlines(&piece[..at])
            };
            self.mark(line);
        }
        self.line = piece_line + newlines(piece);
        self.fed += piece.len() as u64;
        // The new carry: the last `longest - 1` bytes fed (they may reach
        // back into the old carry when the piece is short).
        let keep = self.longest.saturating_sub(1);
        if piece.len() >= keep {
            self.carry.clear();
            self.carry.extend_from_slice(&piece[piece.len() - keep..]);
        } else {
            let drop = (carried + piece.len()).saturating_sub(keep);
            self.carry.drain(..drop.min(carried));
            self.carry.extend_from_slice(piece);
        }
        self.carry_line = self.line - newlines(&self.carry);
    }

    fn mark(&mut self, line: u64) {
        if self.marked.last() == Some(&line) {
            return;
        }
        if self.marked.len() >= MAX_MARKED_LINES {
            self.not_recorded += 1;
            return;
        }
        self.marked.push(line);
    }

    /// Whether `line` has been fed to its end (its newline was seen).
    pub fn line_complete(&self, line: u64) -> bool {
        line < self.line
    }

    /// Whether a marker was seen on `line`.
    pub fn is_marked(&self, line: u64) -> bool {
        self.marked.binary_search(&line).is_ok()
    }

    /// Marked lines beyond [`MAX_MARKED_LINES`], which do not suppress.
    pub fn lines_not_recorded(&self) -> u64 {
        self.not_recorded
    }
}

/// Newlines in `bytes`.
fn newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn marked_lines(input: &[u8], cuts: &[usize], markers: &[&str]) -> Vec<u64> {
        let markers: Vec<String> = markers.iter().map(|s| s.to_string()).collect();
        let mut m = LineMarkers::new(&markers);
        let mut at = 0;
        for &c in cuts {
            let c = c.clamp(at, input.len());
            m.feed(&input[at..c]);
            at = c;
        }
        m.feed(&input[at..]);
        let lines = input.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        (1..=lines).filter(|&l| m.is_marked(l)).collect()
    }

    #[test]
    fn finds_markers_by_line() {
        let text = b"a = 1\nkey = x # secretscan:allow\nb\n// gitleaks:allow\n";
        assert_eq!(
            marked_lines(text, &[], &["secretscan:allow", "gitleaks:allow"]),
            vec![2, 4]
        );
        assert_eq!(marked_lines(text, &[], &["secretscan:allow"]), vec![2]);
        assert!(marked_lines(text, &[], &[]).is_empty());
    }

    #[test]
    fn line_completion_follows_newlines() {
        let mut m = LineMarkers::new(&["m:allow".to_string()]);
        m.feed(b"one\ntwo");
        assert!(m.line_complete(1));
        assert!(!m.line_complete(2));
        m.feed(b" m:al");
        m.feed(b"low\n");
        assert!(m.line_complete(2));
        assert!(m.is_marked(2));
        m.reset();
        assert!(!m.is_marked(2));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        #[test]
        fn chunking_does_not_change_marked_lines(
            parts in proptest::collection::vec(prop_oneof![
                Just("x"), Just("\n"), Just("allow"), Just("s:allow"), Just("s:"), Just("a\nb")
            ], 0..60),
            cuts in proptest::collection::vec(0usize..200, 0..8),
        ) {
            let input: Vec<u8> = parts.concat().into_bytes();
            let mut cuts = cuts;
            cuts.sort_unstable();
            prop_assert_eq!(
                marked_lines(&input, &cuts, &["s:allow"]),
                marked_lines(&input, &[], &["s:allow"])
            );
            // Markers of different lengths, one inside the other.
            let two = ["s:allow", "w\nb"];
            prop_assert_eq!(marked_lines(&input, &cuts, &two), marked_lines(&input, &[], &two));
        }
    }
}
