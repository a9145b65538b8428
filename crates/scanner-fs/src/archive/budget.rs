//! Reader wrappers that enforce the byte budgets and keep decoding errors
//! away from the caller's `visit`.
//!
//! - [`TotalBudget`] is the shared count of decompressed bytes left for one
//!   top-level archive; [`Charged`] charges every byte a decoder produces to
//!   it and reports end-of-file once it is spent.
//! - [`MemberReader`] is what a member is read through: it caps the member
//!   at `max_entry_bytes`, replays the head it peeked for detection, and
//!   turns a read error of the layers below (a corrupt member) into
//!   end-of-file, remembering the error for the stats.
//!
//! Invariants: no wrapper ever allocates in proportion to what it reads
//! (the head is at most [`super::detect::DETECT_HEAD_LEN`] bytes); a budget
//! is declared hit only when a byte beyond it actually exists (a member of
//! exactly `max_entry_bytes` bytes is not truncated); once a budget is spent
//! every later read reports end-of-file.

use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;

/// Decompressed bytes left for one top-level archive, shared by all the
/// [`Charged`] readers of that walk (single-threaded).
#[derive(Debug)]
pub(crate) struct TotalBudget {
    left: Cell<u64>,
    exhausted: Cell<bool>,
}

impl TotalBudget {
    pub(crate) fn new(limit: u64) -> Rc<Self> {
        Rc::new(Self {
            left: Cell::new(limit),
            exhausted: Cell::new(false),
        })
    }

    /// Whether a byte beyond the budget was produced (and withheld).
    pub(crate) fn exhausted(&self) -> bool {
        self.exhausted.get()
    }
}

/// Charges the bytes `inner` (a decoder) produces to a [`TotalBudget`].
pub(crate) struct Charged<R> {
    inner: R,
    budget: Rc<TotalBudget>,
}

impl<R: Read> Charged<R> {
    pub(crate) fn new(inner: R, budget: Rc<TotalBudget>) -> Self {
        Self { inner, budget }
    }
}

impl<R: Read> Read for Charged<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() || self.budget.exhausted() {
            return Ok(0);
        }
        let left = self.budget.left.get();
        if left == 0 {
            // Probe: is there really a byte beyond the budget?
            let mut probe = [0u8; 1];
            let n = self.inner.read(&mut probe)?;
            if n > 0 {
                self.budget.exhausted.set(true);
            }
            return Ok(0);
        }
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?.min(want);
        self.budget.left.set(left - n as u64);
        Ok(n)
    }
}

/// One member's bytes: capped at `limit`, head replayed, errors captured.
pub(crate) struct MemberReader<'a> {
    inner: &'a mut dyn Read,
    head: Vec<u8>,
    head_pos: usize,
    limit: u64,
    consumed: u64,
    truncated: bool,
    error: Option<io::Error>,
}

impl<'a> MemberReader<'a> {
    pub(crate) fn new(inner: &'a mut dyn Read, limit: u64) -> Self {
        Self {
            inner,
            head: Vec::new(),
            head_pos: 0,
            limit,
            consumed: 0,
            truncated: false,
            error: None,
        }
    }

    /// Reads up to `len` bytes ahead (fewer at end-of-file, at the cap, or
    /// after an error) and keeps them for replay; returns them.
    pub(crate) fn peek_head(&mut self, len: usize) -> &[u8] {
        let mut head = vec![0u8; len];
        let mut filled = 0;
        while filled < len {
            match self.read_inner(&mut head[filled..]) {
                0 => break,
                n => filled += n,
            }
        }
        head.truncate(filled);
        self.head = head;
        self.head_pos = 0;
        &self.head
    }

    /// Whether the member was longer than the cap.
    pub(crate) fn truncated(&self) -> bool {
        self.truncated
    }

    /// The read error of the layers below, if one happened.
    pub(crate) fn take_error(&mut self) -> Option<io::Error> {
        self.error.take()
    }

    /// Reads from `inner` within the cap; errors are recorded and end the
    /// member (reported as 0, end-of-file).
    fn read_inner(&mut self, buf: &mut [u8]) -> usize {
        if buf.is_empty() || self.error.is_some() || self.truncated {
            return 0;
        }
        let left = self.limit - self.consumed;
        if left == 0 {
            let mut probe = [0u8; 1];
            match read_retrying(self.inner, &mut probe) {
                Ok(0) => {}
                Ok(_) => self.truncated = true,
                Err(e) => self.error = Some(e),
            }
            return 0;
        }
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        match read_retrying(self.inner, &mut buf[..want]) {
            Ok(n) => {
                let n = n.min(want);
                self.consumed += n as u64;
                n
            }
            Err(e) => {
                self.error = Some(e);
                0
            }
        }
    }
}

impl Read for MemberReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.head_pos < self.head.len() {
            let n = buf.len().min(self.head.len() - self.head_pos);
            buf[..n].copy_from_slice(&self.head[self.head_pos..self.head_pos + n]);
            self.head_pos += n;
            if self.head_pos == self.head.len() {
                self.head = Vec::new();
                self.head_pos = 0;
            }
            return Ok(n);
        }
        Ok(self.read_inner(buf))
    }
}

fn read_retrying(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Counts the bytes read through it (what `visit` consumed).
pub(crate) struct Counted<'a> {
    pub(crate) inner: &'a mut dyn Read,
    pub(crate) count: u64,
}

impl Read for Counted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Failing;
    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::InvalidData, "bad block"))
        }
    }

    #[test]
    fn member_cap_truncates_only_when_longer() {
        let data = vec![7u8; 100];
        let mut src: &[u8] = &data;
        let mut m = MemberReader::new(&mut src, 100);
        let mut out = Vec::new();
        m.read_to_end(&mut out).unwrap();
        assert_eq!(out.len(), 100);
        assert!(!m.truncated());

        let mut src: &[u8] = &data;
        let mut m = MemberReader::new(&mut src, 40);
        assert_eq!(m.peek_head(10).len(), 10);
        let mut out = Vec::new();
        m.read_to_end(&mut out).unwrap();
        assert_eq!(out, vec![7u8; 40]);
        assert!(m.truncated());
    }

    #[test]
    fn member_errors_become_eof() {
        let mut src = Failing;
        let mut m = MemberReader::new(&mut src, 10);
        let mut out = Vec::new();
        assert_eq!(m.read_to_end(&mut out).unwrap(), 0);
        assert!(m.take_error().is_some());
    }

    #[test]
    fn total_budget_is_shared_and_probed() {
        let budget = TotalBudget::new(10);
        let mut a = Charged::new(&[1u8; 6][..], budget.clone());
        let mut out = Vec::new();
        a.read_to_end(&mut out).unwrap();
        assert_eq!(out.len(), 6);
        assert!(!budget.exhausted());
        let mut b = Charged::new(&[2u8; 4][..], budget.clone());
        out.clear();
        b.read_to_end(&mut out).unwrap();
        assert_eq!(out.len(), 4);
        assert!(!budget.exhausted(), "exactly at the budget is not over it");
        let mut c = Charged::new(&[3u8; 1][..], budget.clone());
        out.clear();
        c.read_to_end(&mut out).unwrap();
        assert!(out.is_empty());
        assert!(budget.exhausted());
    }
}
