//! Scans one input (a file, or any reader) with a thread's reusable state,
//! and hands its findings and outcome to a callback.
//!
//! Small inputs (up to [`WHOLE_INPUT_LIMIT`]) are read whole into a reused
//! buffer (after a sniff of their first [`SNIFF_LEN`] bytes when longer
//! than [`EAGER_READ_LIMIT`], so that a large binary file is not read
//! whole) and scanned in one call;
//! larger ones are streamed in
//! [`BLOCK`]-byte blocks through the engine's chunked API. Findings pass the
//! suppressions (baseline, allowlist), then wait until their line has been
//! read to its end so that an inline marker anywhere on the line is seen;
//! they leave in batches of at most [`BATCH`].
//!
//! Archives and compressed files on disk are opened (when the policy says
//! so) and each member is scanned as an input of its own.
//!
//! Invariants: every call ends in exactly one [`InputReport`], after all the
//! input's findings; the counters in it agree with the findings passed on;
//! memory per thread is one whole-input buffer, one block, one
//! `StreamScanner` (reused from one large input to the next) and at most
//! [`MAX_HELD`] findings waiting for their line to end.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use scanner_engine::{Engine, Finding, Scratch, StreamScanner};

use crate::archive::{self, ArchiveError, ArchiveKind, ArchiveLimits, DETECT_HEAD_LEN};
use crate::markers::LineMarkers;
use crate::sink::{Input, InputOutcome, InputReport, Scanned, Skip};
use crate::sniff::{looks_binary, SNIFF_LEN};
use crate::suppress::{Suppressions, Verdict};

/// Inputs up to this size are read whole; larger ones are streamed.
pub const WHOLE_INPUT_LIMIT: u64 = 8 << 20;

/// Inputs up to this size are read whole at once, without a sniff first:
/// one read instead of two for most source files, and a binary one costs
/// at most this much copying before it is skipped.
pub const EAGER_READ_LIMIT: u64 = 64 * 1024;

/// Bytes read per block when streaming.
pub const BLOCK: usize = 64 * 1024;

/// Findings passed on per batch.
pub const BATCH: usize = 256;

/// Findings held at most while waiting for the end of their line; beyond
/// that they are judged by the markers seen so far (a marker later on a
/// line longer than everything held is then missed, and the finding
/// reported).
pub const MAX_HELD: usize = 4096;

/// What to skip, and whether to open archives.
#[derive(Clone, Copy, Debug, Default)]
pub struct InputPolicy {
    /// Skip files larger than this (counted as too large).
    pub max_file_size: Option<u64>,
    /// Scan files that look binary too.
    pub scan_binary: bool,
    /// Scan the members of archives and compressed files found on disk,
    /// within these limits; `None` treats them as any other file (usually
    /// skipped as binary).
    pub archives: Option<ArchiveLimits>,
}

/// Something the scan of an input produced.
#[derive(Debug)]
pub enum InputEvent {
    Findings(Input, Vec<Finding>),
    Done(InputReport),
}

/// Says whether a file (path as shown, content key) was scanned before
/// with the same rules, so it can be skipped (see [`content_key`]).
pub type KnownInput = dyn Fn(&str, &str) -> bool + Send + Sync;

/// The content key of a file: its size and modification time, which change
/// whenever its content is rewritten (as `make` and git's index assume).
pub fn content_key(meta: &std::fs::Metadata) -> String {
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    format!("size:{}/mtime:{mtime}", meta.len())
}

/// One thread's reusable scanning state.
pub struct InputScanner<'e> {
    engine: &'e Engine,
    suppressions: &'e Suppressions,
    policy: InputPolicy,
    known: Option<&'e KnownInput>,
    scratch: Scratch,
    /// Scans the inputs too large to read whole, one after the other (its
    /// buffer and scratch are reused from one to the next).
    stream: StreamScanner<&'e Engine>,
    buf: Vec<u8>,
    block: Vec<u8>,
    gate: Gate,
}

/// Suppression state of the current input: markers seen, findings held
/// until their line ends, the batch being filled.
struct Gate {
    markers: LineMarkers,
    held: Vec<Finding>,
    batch: Vec<Finding>,
    scanned: Scanned,
}

impl<'e> InputScanner<'e> {
    pub fn new(
        engine: &'e Engine,
        suppressions: &'e Suppressions,
        policy: InputPolicy,
    ) -> InputScanner<'e> {
        InputScanner {
            engine,
            suppressions,
            policy,
            known: None,
            scratch: engine.new_scratch(),
            stream: engine.stream(),
            buf: Vec::new(),
            block: Vec::new(),
            gate: Gate {
                markers: LineMarkers::new(&suppressions.markers),
                held: Vec::new(),
                batch: Vec::new(),
                scanned: Scanned::default(),
            },
        }
    }

    /// Files for which `known` says yes are skipped as
    /// [`Skip::Unchanged`] without being read.
    pub fn set_known(&mut self, known: Option<&'e KnownInput>) {
        self.known = known;
    }

    /// Scans the regular file at `path`, reported as `input`. An archive
    /// or compressed file (when the policy opens them) is reported member by
    /// member (`archive!member`), then once itself with its
    /// [`InputOutcome::Archive`] counters.
    pub fn scan_file(&mut self, path: &Path, input: Input, out: &mut dyn FnMut(InputEvent)) {
        let outcome = match File::open(path) {
            Ok(mut file) => match file.metadata() {
                Ok(m) if !m.is_file() => InputOutcome::Skipped(Skip::NotRegular),
                Ok(m) => {
                    let key = content_key(&m);
                    if self.known.is_some_and(|known| known(&input.path, &key)) {
                        InputOutcome::Skipped(Skip::Unchanged(key))
                    } else {
                        let head = self.archive_kind(&mut file, m.len(), &input.path);
                        match head {
                            Ok((Some((kind, limits)), _)) => match file.seek(SeekFrom::Start(0)) {
                                Ok(_) => self.scan_archive(kind, limits, file, &input, out),
                                Err(e) => InputOutcome::Skipped(io_skip(&e)),
                            },
                            Ok((None, head)) => {
                                match self.scan_open(file, Some(m.len()), true, head, &input, out) {
                                    InputOutcome::Scanned(mut s) => {
                                        s.content_key = Some(key);
                                        InputOutcome::Scanned(s)
                                    }
                                    other => other,
                                }
                            }
                            Err(e) => InputOutcome::Skipped(io_skip(&e)),
                        }
                    }
                }
                Err(e) => InputOutcome::Skipped(io_skip(&e)),
            },
            Err(e) => InputOutcome::Skipped(io_skip(&e)),
        };
        out(InputEvent::Done(InputReport { input, outcome }));
    }

    /// Scans everything `reader` yields, reported as `input` (for archive
    /// members, git blobs, standard input and embedders).
    pub fn scan_reader(
        &mut self,
        reader: &mut dyn Read,
        size_hint: Option<u64>,
        input: Input,
        out: &mut dyn FnMut(InputEvent),
    ) {
        let outcome = self.scan_open(reader, size_hint, false, Head::Unread, &input, out);
        out(InputEvent::Done(InputReport { input, outcome }));
    }

    /// The archive kind of `file` when the policy opens archives and its
    /// first bytes (and name) say it is one. Those bytes stay in the
    /// whole-input buffer (the file is not rewound), as the returned
    /// [`Head`] says.
    fn archive_kind(
        &mut self,
        file: &mut File,
        size: u64,
        name: &str,
    ) -> io::Result<(Option<(ArchiveKind, ArchiveLimits)>, Head)> {
        let Some(limits) = self.policy.archives else {
            return Ok((None, Head::Unread));
        };
        if self.policy.max_file_size.is_some_and(|max| size > max) {
            return Ok((None, Head::Unread));
        }
        self.buf.clear();
        read_up_to(file, DETECT_HEAD_LEN as u64, &mut self.buf)?;
        let kind = archive::detect(name, &self.buf).map(|kind| (kind, limits));
        Ok((kind, Head::InBuffer))
    }

    /// Scans every member of an archive file as an input of its own.
    fn scan_archive(
        &mut self,
        kind: ArchiveKind,
        limits: ArchiveLimits,
        mut file: File,
        input: &Input,
        out: &mut dyn FnMut(InputEvent),
    ) -> InputOutcome {
        let mut visit = |member: &str, reader: &mut dyn Read| -> io::Result<()> {
            let member = Input {
                path: member.into(),
                id: input.id,
            };
            self.scan_reader(reader, None, member, out);
            Ok(())
        };
        match archive::scan_archive(kind, &mut file, &input.path, &limits, &mut visit) {
            Ok(stats) => InputOutcome::Archive(Box::new(stats)),
            Err(ArchiveError::Input(e) | ArchiveError::Visit(e)) => {
                InputOutcome::Skipped(Skip::Unreadable(e.to_string()))
            }
        }
    }

    fn scan_open(
        &mut self,
        mut reader: impl Read,
        size: Option<u64>,
        exact_size: bool,
        head: Head,
        input: &Input,
        out: &mut dyn FnMut(InputEvent),
    ) -> InputOutcome {
        if let (Some(size), Some(max)) = (size, self.policy.max_file_size) {
            if size > max {
                return InputOutcome::Skipped(Skip::TooLarge(size, max));
            }
        }
        // Small inputs are read whole (one byte more than the limit tells
        // whether the input grew past it); a file longer than
        // `EAGER_READ_LIMIT` is sniffed first, so a binary one is not read
        // on. Reading a regular file stops at its length (as its metadata
        // gave it), which saves the read that would return nothing; one
        // that grew meanwhile is scanned as it was.
        let limit = WHOLE_INPUT_LIMIT + 1;
        let stop = match size {
            Some(s) if exact_size && s < limit => s,
            _ => limit,
        };
        let first_read = match size {
            Some(s) if s > EAGER_READ_LIMIT => SNIFF_LEN as u64,
            _ => stop,
        };
        // The head already read (archive detection) is kept; it was cut
        // short only by the end of the input.
        let have = match head {
            Head::Unread => {
                self.buf.clear();
                0
            }
            Head::InBuffer if self.buf.len() < DETECT_HEAD_LEN => first_read,
            Head::InBuffer => self.buf.len() as u64,
        };
        if let Err(e) = read_up_to(&mut reader, first_read.saturating_sub(have), &mut self.buf) {
            return InputOutcome::Skipped(io_skip(&e));
        }
        if !self.policy.scan_binary && looks_binary(&self.buf) {
            return InputOutcome::Skipped(Skip::Binary);
        }
        let streamed = size.is_some_and(|s| s > WHOLE_INPUT_LIMIT);
        if !streamed && self.buf.len() as u64 == first_read && first_read < stop {
            if let Err(e) = read_up_to(&mut reader, stop - first_read, &mut self.buf) {
                return InputOutcome::Skipped(io_skip(&e));
            }
        }
        self.gate.start();
        let gate = &mut self.gate;
        if !streamed && (self.buf.len() as u64) < limit {
            gate.markers.feed(&self.buf);
            let before = self.scratch.stats();
            self.engine
                .scan_bytes_with(&mut self.scratch, &self.buf, &mut |f| {
                    gate.take(self.suppressions, f, input, out)
                });
            gate.scanned.stats = self.scratch.stats().since(&before);
            gate.scanned.bytes = self.buf.len() as u64;
        } else {
            let stream = &mut self.stream;
            // A stream left unfinished (a panic in a sink) is dropped.
            stream.reset();
            gate.markers.feed(&self.buf);
            stream.feed(&self.buf, &mut |f| {
                gate.take(self.suppressions, f, input, out)
            });
            self.block.resize(BLOCK, 0);
            loop {
                let n = match reader.read(&mut self.block) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        // What was read is scanned to the end and reported;
                        // the error is reported with it.
                        gate.scanned.read_error = Some(format!(
                            "read failed after {} bytes: {e}",
                            stream.stats().bytes_fed
                        ));
                        break;
                    }
                };
                gate.markers.feed(&self.block[..n]);
                stream.feed(&self.block[..n], &mut |f| {
                    gate.take(self.suppressions, f, input, out)
                });
                gate.release(false, input, out);
            }
            let stats = stream.finish(&mut |f| gate.take(self.suppressions, f, input, out));
            gate.scanned.stats = stats.scan;
            gate.scanned.bytes = stats.bytes_fed;
            gate.scanned.streamed = true;
            gate.scanned.spans_split = stats.spans_split;
        }
        InputOutcome::Scanned(Box::new(gate.finish(input, out)))
    }
}

impl Gate {
    fn start(&mut self) {
        self.markers.reset();
        self.held.clear();
        self.batch.clear();
        self.scanned = Scanned::default();
    }

    /// Takes one finding from the engine.
    fn take(
        &mut self,
        suppressions: &Suppressions,
        f: Finding,
        input: &Input,
        out: &mut dyn FnMut(InputEvent),
    ) {
        match suppressions.judge(&f) {
            Verdict::Report if self.markers.is_active() => {
                self.held.push(f);
                if self.held.len() >= MAX_HELD {
                    self.release(true, input, out);
                }
            }
            Verdict::Report => self.pass(f, input, out),
            Verdict::Baseline => self.scanned.suppressed.baseline += 1,
            Verdict::Allowlist => self.scanned.suppressed.allowlist += 1,
        }
    }

    /// Judges held findings whose line has ended (all of them when `all`).
    fn release(&mut self, all: bool, input: &Input, out: &mut dyn FnMut(InputEvent)) {
        if self.held.is_empty() {
            return;
        }
        let markers = &self.markers;
        let ready = if all {
            self.held.len()
        } else {
            // Findings arrive in order of position, so of line.
            self.held
                .iter()
                .position(|f| !markers.line_complete(f.line))
                .unwrap_or(self.held.len())
        };
        let held: Vec<Finding> = self.held.drain(..ready).collect();
        for f in held {
            if self.markers.is_marked(f.line) {
                self.scanned.suppressed.inline += 1;
            } else {
                self.pass(f, input, out);
            }
        }
    }

    fn pass(&mut self, f: Finding, input: &Input, out: &mut dyn FnMut(InputEvent)) {
        self.scanned.findings += 1;
        self.batch.push(f);
        if self.batch.len() >= BATCH {
            self.flush(input, out);
        }
    }

    fn flush(&mut self, input: &Input, out: &mut dyn FnMut(InputEvent)) {
        if !self.batch.is_empty() {
            let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
            out(InputEvent::Findings(input.clone(), batch));
        }
    }

    /// End of input: every held finding is judged and passed on.
    fn finish(&mut self, input: &Input, out: &mut dyn FnMut(InputEvent)) -> Scanned {
        self.release(true, input, out);
        self.flush(input, out);
        std::mem::take(&mut self.scanned)
    }
}

/// What [`InputScanner::scan_open`] finds in the whole-input buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Head {
    /// Nothing of this input: reading starts at its beginning.
    Unread,
    /// Its first bytes (up to [`DETECT_HEAD_LEN`], fewer only at its end),
    /// read for archive detection: reading goes on after them.
    InBuffer,
}

/// Most bytes asked for by one `read` of [`read_up_to`].
const READ_STEP: u64 = 1 << 20;

/// Reads until `limit` bytes or the end of `reader`, appending to `buf`.
/// Each `read` asks for all that is left (up to [`READ_STEP`]), so a file
/// whose length is known takes one call (`read_to_end` starts at 8 KiB a
/// call and doubles: four calls for a 40 KiB file).
fn read_up_to(reader: &mut impl Read, limit: u64, buf: &mut Vec<u8>) -> io::Result<()> {
    let mut left = limit;
    while left > 0 {
        let start = buf.len();
        let step = left.min(READ_STEP) as usize;
        buf.resize(start + step, 0);
        let mut filled = 0;
        while filled < step {
            match reader.read(&mut buf[start + filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    buf.truncate(start + filled);
                    return Err(e);
                }
            }
        }
        buf.truncate(start + filled);
        if filled < step {
            return Ok(());
        }
        left -= step as u64;
    }
    Ok(())
}

/// The skip reason for an I/O error.
fn io_skip(e: &io::Error) -> Skip {
    match e.kind() {
        io::ErrorKind::NotFound => Skip::Vanished,
        _ => Skip::Unreadable(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out at most `step` bytes a call, failing with `Interrupted`
    /// every third call, and counts the calls that returned data.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
        calls: usize,
        reads: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            self.calls += 1;
            if self.calls.is_multiple_of(3) {
                return Err(io::ErrorKind::Interrupted.into());
            }
            let n = self.data.len().min(self.step).min(out.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            self.reads += usize::from(n > 0);
            Ok(n)
        }
    }

    #[test]
    fn read_up_to_stops_at_the_limit_or_the_end() {
        let data: Vec<u8> = (0..3 * READ_STEP as usize + 5).map(|i| i as u8).collect();
        for step in [1, 7, 4096, usize::MAX] {
            for limit in [0, 1, 100, READ_STEP, READ_STEP + 1, 5 * READ_STEP] {
                let mut reader = Trickle {
                    data: &data[..data.len().min(200_000 * step.min(20))],
                    step,
                    calls: 0,
                    reads: 0,
                };
                let avail = reader.data.len();
                let mut buf = b"head".to_vec();
                read_up_to(&mut reader, limit, &mut buf).unwrap();
                let want = (limit as usize).min(avail);
                assert_eq!(&buf[..4], b"head");
                assert_eq!(&buf[4..], &data[..want], "step {step}, limit {limit}");
            }
        }
    }

    #[test]
    fn a_known_length_takes_one_read() {
        let data = vec![b'x'; 40 << 10];
        let mut reader = Trickle {
            data: &data,
            step: usize::MAX,
            calls: 0,
            reads: 0,
        };
        let mut buf = Vec::new();
        read_up_to(&mut reader, data.len() as u64, &mut buf).unwrap();
        assert_eq!(buf, data);
        assert_eq!(reader.reads, 1);
    }
}
