//! Inflation of gzip and zlib streams found at the start of decoded Base64
//! output: the Base64 decoder's chunks are fed to a reusable DEFLATE state
//! and the inflated bytes handed on in chunks, as any decoder's output.
//!
//! Invariants:
//! - Nothing is materialised: compressed bytes go straight from the Base64
//!   decoder's chunk buffer into the inflater, inflated bytes out through one
//!   reusable buffer of [`DECODE_CHUNK_LEN`] bytes. The DEFLATE state (its
//!   32 KiB window) is allocated on first use and reset, not reallocated,
//!   for each stream.
//! - Output stops at exactly the caller's budget; reaching it with more
//!   output left ends the stream with [`InflateEnd::Budget`]. A corrupt or
//!   truncated stream, a bad header or a checksum mismatch ends it with
//!   [`InflateEnd::Corrupt`], after everything inflated before the fault
//!   was handed on. Nothing here panics, whatever the input.
//! - Only a gzip member (`1f 8b 08`, RFC 1952, header fields parsed here,
//!   CRC-32 and length checked) or a zlib stream (`78 01|5e|9c|da`, RFC 1950,
//!   Adler-32 checked by the inflater) is recognised; raw DEFLATE has no
//!   header and is never guessed. Data after the end of the first stream
//!   (a second gzip member) is ignored.
//! - [`Inflater::plausible`] tells a real stream from random data behind a
//!   lucky header by inflating a prefix (used where a wrong guess costs
//!   more than one failed inflation: `StreamScanner` holding a span whole).

use std::ops::ControlFlow;

use flate2::{Crc, Decompress, FlushDecompress, Status};

use crate::finding::DecodeStep;
use crate::transform::{
    stream_decode, DecodeError, DecodeOutcome, TransformConfig, DECODE_CHUNK_LEN,
};

/// The container around a DEFLATE stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Container {
    /// gzip (RFC 1952).
    Gzip,
    /// zlib (RFC 1950).
    Zlib,
}

impl Container {
    /// The decode step reported for data inflated from this container.
    pub(crate) fn step(self) -> DecodeStep {
        match self {
            Container::Gzip => DecodeStep::Gzip,
            Container::Zlib => DecodeStep::Zlib,
        }
    }
}

/// The container whose header `head` (the first decoded bytes) begins
/// with: gzip's magic and DEFLATE method, or a zlib header with a 32 KiB
/// window, no preset dictionary and a valid check value.
pub(crate) fn sniff(head: &[u8]) -> Option<Container> {
    match head {
        [0x1f, 0x8b, 0x08, ..] => Some(Container::Gzip),
        // CMF 0x78: DEFLATE, 32 KiB window; FLG: FDICT clear, and
        // (CMF * 256 + FLG) % 31 == 0, which leaves exactly these four.
        [0x78, flg @ (0x01 | 0x5e | 0x9c | 0xda), ..] => {
            debug_assert_eq!((0x78u32 * 256 + u32::from(*flg)) % 31, 0);
            Some(Container::Zlib)
        }
        _ => None,
    }
}

/// How an inflated stream ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum InflateEnd {
    /// The stream ended properly (checksum verified).
    Complete,
    /// The output budget was reached with output left.
    Budget,
    /// Bad header, corrupt or truncated data, or a checksum mismatch.
    Corrupt,
    /// The consumer stopped the stream.
    Stopped,
}

/// Where the gzip header parser is.
#[derive(Clone, Copy, Debug)]
enum Gz {
    /// Within the 10 fixed bytes (count seen); `flags` kept from byte 3.
    Fixed(u8),
    /// Within the 2-byte FEXTRA length (bytes seen, value so far).
    ExtraLen(u8, u16),
    /// Skipping FEXTRA data (bytes left).
    Extra(u16),
    /// Skipping the zero-terminated file name.
    Name,
    /// Skipping the zero-terminated comment.
    Comment,
    /// Skipping the header CRC (bytes left).
    HeaderCrc(u8),
    /// In the DEFLATE data.
    Body,
    /// Within the 8-byte trailer (bytes seen).
    Trailer(u8),
}

const FHCRC: u8 = 0x02;
const FEXTRA: u8 = 0x04;
const FNAME: u8 = 0x08;
const FCOMMENT: u8 = 0x10;
const FRESERVED: u8 = 0xe0;

/// Reusable inflation state.
#[derive(Default)]
pub(crate) struct Inflater {
    /// Allocated on first use, reset for each stream.
    state: Option<Decompress>,
    out: Vec<u8>,
    crc: Crc,
    container: Option<Container>,
    gz: Option<Gz>,
    flags: u8,
    trailer: [u8; 8],
    /// Bytes handed on in the current stream.
    produced: u64,
    max_out: u64,
    end: Option<InflateEnd>,
}

impl std::fmt::Debug for Inflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inflater")
            .field("container", &self.container)
            .field("produced", &self.produced)
            .field("end", &self.end)
            .finish_non_exhaustive()
    }
}

/// What one inflation produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Inflated {
    /// Bytes handed on.
    pub len: u64,
    pub end: InflateEnd,
}

impl Inflater {
    /// Decodes `encoded` with `cfg` and inflates the result as `container`,
    /// handing at most `max_out` inflated bytes to `on_chunk` (chunks of at
    /// most [`DECODE_CHUNK_LEN`] bytes). A Base64 error part way ends the
    /// compressed input there (the stream is then usually truncated).
    pub(crate) fn run(
        &mut self,
        container: Container,
        cfg: &TransformConfig,
        encoded: &[u8],
        chunk: &mut Vec<u8>,
        max_out: usize,
        on_chunk: &mut dyn FnMut(&[u8]) -> ControlFlow<()>,
    ) -> Inflated {
        self.start(container, max_out);
        let _ = stream_decode(cfg, encoded, chunk, |input: &[u8]| {
            match self.feed(input, on_chunk) {
                Some(_) => ControlFlow::Break(()),
                None => ControlFlow::Continue(()),
            }
        });
        Inflated {
            len: self.produced,
            // Compressed input ran out before the stream's end.
            end: self.end.unwrap_or(InflateEnd::Corrupt),
        }
    }

    /// Whether `encoded` (Base64 with `cfg`, usually a prefix of a span)
    /// plausibly starts a `container` stream: inflating it hits no error
    /// (running out of input is fine). Rejects almost all random data
    /// behind a lucky header within a few hundred bytes.
    pub(crate) fn plausible(
        &mut self,
        container: Container,
        cfg: &TransformConfig,
        encoded: &[u8],
        chunk: &mut Vec<u8>,
    ) -> bool {
        let r = self.run(container, cfg, encoded, chunk, 1 << 16, &mut |_| {
            ControlFlow::Continue(())
        });
        // `end` is only `None` when the input ran out mid-stream.
        r.end != InflateEnd::Corrupt || self.end.is_none()
    }

    fn start(&mut self, container: Container, max_out: usize) {
        let zlib = container == Container::Zlib;
        match &mut self.state {
            Some(d) => d.reset(zlib),
            None => self.state = Some(Decompress::new(zlib)),
        }
        if self.out.len() != DECODE_CHUNK_LEN {
            self.out = vec![0; DECODE_CHUNK_LEN];
        }
        self.crc.reset();
        self.container = Some(container);
        self.gz = (container == Container::Gzip).then_some(Gz::Fixed(0));
        self.flags = 0;
        self.produced = 0;
        self.max_out = max_out as u64;
        self.end = None;
    }

    /// Feeds compressed bytes; `Some` once the stream has ended.
    fn feed(
        &mut self,
        mut input: &[u8],
        on_chunk: &mut dyn FnMut(&[u8]) -> ControlFlow<()>,
    ) -> Option<InflateEnd> {
        if self.end.is_some() {
            return self.end;
        }
        while !input.is_empty() || matches!(self.gz, None | Some(Gz::Body)) {
            let end = match self.gz {
                None | Some(Gz::Body) => {
                    let end = self.inflate(&mut input, on_chunk);
                    if end.is_none() && !matches!(self.gz, Some(Gz::Trailer(_))) {
                        // More input wanted.
                        return None;
                    }
                    end
                }
                Some(state) => self.gzip_framing(state, &mut input),
            };
            if let Some(end) = end {
                self.end = Some(end);
                return Some(end);
            }
        }
        None
    }

    /// Steps the gzip header or trailer parser over `input`.
    fn gzip_framing(&mut self, state: Gz, input: &mut &[u8]) -> Option<InflateEnd> {
        // No input: nothing ends here.
        let (&b, rest) = input.split_first()?;
        *input = rest;
        let next = match state {
            Gz::Fixed(n) => {
                match n {
                    // The magic and method were sniffed; checked again as the
                    // inflater may be given any stream.
                    0 if b != 0x1f => return Some(InflateEnd::Corrupt),
                    1 if b != 0x8b => return Some(InflateEnd::Corrupt),
                    2 if b != 0x08 => return Some(InflateEnd::Corrupt),
                    3 if b & FRESERVED != 0 => return Some(InflateEnd::Corrupt),
                    3 => self.flags = b,
                    _ => {}
                }
                if n < 9 {
                    Gz::Fixed(n + 1)
                } else {
                    self.field_from(0)
                }
            }
            Gz::ExtraLen(0, _) => Gz::ExtraLen(1, u16::from(b)),
            Gz::ExtraLen(_, lo) => match lo | (u16::from(b) << 8) {
                0 => self.field_from(1),
                n => Gz::Extra(n),
            },
            Gz::Extra(1) => self.field_from(1),
            Gz::Extra(n) => Gz::Extra(n - 1),
            Gz::Name if b == 0 => self.field_from(2),
            Gz::Comment if b == 0 => self.field_from(3),
            Gz::Name | Gz::Comment => state,
            Gz::HeaderCrc(1) => Gz::Body,
            Gz::HeaderCrc(n) => Gz::HeaderCrc(n - 1),
            Gz::Trailer(n) => {
                self.trailer[n as usize] = b;
                if n < 7 {
                    Gz::Trailer(n + 1)
                } else {
                    let crc = u32::from_le_bytes([
                        self.trailer[0],
                        self.trailer[1],
                        self.trailer[2],
                        self.trailer[3],
                    ]);
                    let size = u32::from_le_bytes([
                        self.trailer[4],
                        self.trailer[5],
                        self.trailer[6],
                        self.trailer[7],
                    ]);
                    let ok = crc == self.crc.sum() && size == self.crc.amount();
                    return Some(if ok {
                        InflateEnd::Complete
                    } else {
                        InflateEnd::Corrupt
                    });
                }
            }
            Gz::Body => Gz::Body,
        };
        self.gz = Some(next);
        None
    }

    /// The first optional header field present from number `from` on
    /// (0 FEXTRA, 1 FNAME, 2 FCOMMENT, 3 FHCRC, their order in the header),
    /// else the body.
    fn field_from(&self, from: usize) -> Gz {
        let order = [FEXTRA, FNAME, FCOMMENT, FHCRC];
        for &flag in order.get(from..).unwrap_or(&[]) {
            if self.flags & flag != 0 {
                return match flag {
                    FEXTRA => Gz::ExtraLen(0, 0),
                    FNAME => Gz::Name,
                    FCOMMENT => Gz::Comment,
                    _ => Gz::HeaderCrc(2),
                };
            }
        }
        Gz::Body
    }

    /// Inflates from `input` until it is used up (`None`: more input
    /// wanted) or the stream ends; hands the output on.
    fn inflate(
        &mut self,
        input: &mut &[u8],
        on_chunk: &mut dyn FnMut(&[u8]) -> ControlFlow<()>,
    ) -> Option<InflateEnd> {
        let Some(d) = self.state.as_mut() else {
            return Some(InflateEnd::Corrupt);
        };
        loop {
            let (in0, out0) = (d.total_in(), d.total_out());
            let status = d.decompress(input, &mut self.out, FlushDecompress::None);
            let used = usize::try_from(d.total_in() - in0).unwrap_or(input.len());
            let made = usize::try_from(d.total_out() - out0).unwrap_or(0);
            *input = input.get(used..).unwrap_or(&[]);
            let room = self.max_out - self.produced;
            let give = made.min(usize::try_from(room).unwrap_or(usize::MAX));
            if give > 0 {
                let out = &self.out[..give];
                if self.container == Some(Container::Gzip) {
                    self.crc.update(out);
                }
                self.produced += give as u64;
                if on_chunk(out).is_break() {
                    return Some(InflateEnd::Stopped);
                }
            }
            if give < made {
                return Some(InflateEnd::Budget);
            }
            match status {
                Err(_) => return Some(InflateEnd::Corrupt),
                Ok(Status::StreamEnd) => {
                    if self.container == Some(Container::Gzip) {
                        self.gz = Some(Gz::Trailer(0));
                        return None;
                    }
                    return Some(InflateEnd::Complete);
                }
                Ok(Status::Ok | Status::BufError) => {
                    // Output may be left in the state: go on even without
                    // input (at an exactly used-up budget, this tells
                    // whether the stream ends there or goes on).
                    if made == self.out.len() {
                        continue;
                    }
                    if input.is_empty() {
                        return None;
                    }
                    if used == 0 && made == 0 {
                        // No progress with input left: cannot happen for a
                        // sound inflater; end rather than spin.
                        return Some(InflateEnd::Corrupt);
                    }
                }
            }
        }
    }
}

/// Decodes one work item's encoded bytes: its transform's decoder and,
/// when the item is a compressed stream, the inflater behind it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ItemDecoder<'a> {
    pub cfg: &'a TransformConfig,
    /// The container to inflate and the most inflated bytes to produce.
    pub inflate: Option<(Container, usize)>,
}

impl ItemDecoder<'_> {
    /// Like [`stream_decode`]; an inflated item never fails (its end is
    /// returned beside the outcome) and hands on at most its budget.
    pub(crate) fn decode(
        &self,
        inflater: &mut Inflater,
        encoded: &[u8],
        chunk: &mut Vec<u8>,
        mut on_chunk: impl FnMut(&[u8]) -> ControlFlow<()>,
    ) -> (Result<DecodeOutcome, DecodeError>, Option<InflateEnd>) {
        match self.inflate {
            None => (stream_decode(self.cfg, encoded, chunk, on_chunk), None),
            Some((container, max_out)) => {
                let r = inflater.run(container, self.cfg, encoded, chunk, max_out, &mut on_chunk);
                let outcome = DecodeOutcome {
                    decoded_len: r.len,
                    stopped_early: r.end == InflateEnd::Stopped,
                    truncated: false,
                };
                (Ok(outcome), Some(r.end))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::{GzEncoder, ZlibEncoder};
    use flate2::Compression;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn b64(data: &[u8]) -> Vec<u8> {
        base64_simd::STANDARD.encode_to_string(data).into_bytes()
    }

    fn run(inf: &mut Inflater, compressed: &[u8], max: usize) -> (Vec<u8>, Inflated) {
        // Streams cut inside their header are still inflated as gzip.
        let container = sniff(compressed).unwrap_or(Container::Gzip);
        let mut got = Vec::new();
        let mut chunk = Vec::new();
        let r = inf.run(
            container,
            &TransformConfig::base64_default(),
            &b64(compressed),
            &mut chunk,
            max,
            &mut |c| {
                assert!(c.len() <= DECODE_CHUNK_LEN);
                got.extend_from_slice(c);
                ControlFlow::Continue(())
            },
        );
        assert_eq!(r.len, got.len() as u64);
        (got, r)
    }

    fn text(n: usize) -> Vec<u8> {
        (0..n)
            .map(|i| b"the quick brown fox "[i % 20] ^ (i / 7 % 3) as u8)
            .collect()
    }

    #[test]
    fn sniffs_gzip_and_the_four_zlib_headers_only() {
        assert_eq!(sniff(&gzip(b"x")), Some(Container::Gzip));
        for flg in [0x01, 0x5e, 0x9c, 0xda] {
            assert_eq!(sniff(&[0x78, flg, 0]), Some(Container::Zlib));
        }
        let valid = (0..=255u8)
            .filter(|&f| (0x78u32 * 256 + u32::from(f)).is_multiple_of(31) && f & 0x20 == 0)
            .count();
        assert_eq!(valid, 4);
        assert_eq!(sniff(&[0x78, 0x9d]), None);
        assert_eq!(sniff(&[0x1f, 0x8b, 0x07]), None);
        assert_eq!(sniff(&[0x1f, 0x8b]), None);
        assert_eq!(sniff(b"hello"), None);
    }

    #[test]
    fn inflates_gzip_and_zlib_and_reuses_the_state() {
        let mut inf = Inflater::default();
        for n in [0, 1, 3071, 3072, 3073, 100_000] {
            let data = text(n);
            let (got, r) = run(&mut inf, &gzip(&data), usize::MAX);
            assert_eq!((got.as_slice(), r.end), (&data[..], InflateEnd::Complete));
            let (got, r) = run(&mut inf, &zlib(&data), usize::MAX);
            assert_eq!((got.as_slice(), r.end), (&data[..], InflateEnd::Complete));
        }
    }

    #[test]
    fn gzip_optional_header_fields_are_skipped() {
        let data = text(5000);
        let mut e = flate2::GzBuilder::new()
            .filename("secrets.txt")
            .comment("a comment")
            .extra(vec![1, 2, 3, 4, 5])
            .write(Vec::new(), Compression::best());
        e.write_all(&data).unwrap();
        let gz = e.finish().unwrap();
        let (got, r) = run(&mut Inflater::default(), &gz, usize::MAX);
        assert_eq!((got, r.end), (data, InflateEnd::Complete));
    }

    #[test]
    fn budget_stops_at_exactly_the_limit() {
        let data = vec![0u8; 1 << 20];
        let mut inf = Inflater::default();
        for max in [0, 1, 3072, 10_000, (1 << 20) - 1] {
            let (got, r) = run(&mut inf, &gzip(&data), max);
            assert_eq!((got.len(), r.end), (max, InflateEnd::Budget), "{max}");
        }
        // A stream that ends exactly at the budget is complete.
        let (got, r) = run(&mut inf, &zlib(&data), 1 << 20);
        assert_eq!((got.len(), r.end), (1 << 20, InflateEnd::Complete));
        let (got, r) = run(&mut inf, &gzip(&data), 1 << 20);
        assert_eq!((got.len(), r.end), (1 << 20, InflateEnd::Complete));
        let (got, r) = run(&mut inf, &zlib(&data[..1000]), 1000);
        assert_eq!((got.len(), r.end), (1000, InflateEnd::Complete));
    }

    #[test]
    fn random_data_behind_a_header_is_not_plausible() {
        let cfg = TransformConfig::base64_default();
        let mut inf = Inflater::default();
        let mut chunk = Vec::new();
        let data = text(100_000);
        for c in [gzip(&data), zlib(&data)] {
            let enc = b64(&c);
            let container = sniff(&c).unwrap();
            for cut in [enc.len(), 1024.min(enc.len()), 100] {
                assert!(inf.plausible(container, &cfg, &enc[..cut], &mut chunk));
            }
        }
        // Pseudo-random bytes behind each header: all but a few rejected.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut accepted = 0;
        for i in 0..400 {
            let mut c = match i % 3 {
                0 => vec![0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3],
                1 => vec![0x78, 0x9c],
                _ => vec![0x78, 0x01],
            };
            c.extend((0..768).map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            }));
            let container = sniff(&c).unwrap();
            accepted += usize::from(inf.plausible(container, &cfg, &b64(&c), &mut chunk));
        }
        assert!(accepted <= 4, "{accepted} of 400 random streams accepted");
    }

    #[test]
    fn truncated_and_corrupt_streams_keep_what_was_inflated() {
        let data = text(200_000);
        let gz = gzip(&data);
        let mut inf = Inflater::default();
        for cut in [1, 5, 10, 11, gz.len() / 2, gz.len() - 4, gz.len() - 1] {
            let (got, r) = run(&mut inf, &gz[..cut], usize::MAX);
            assert_eq!(r.end, InflateEnd::Corrupt, "cut {cut}");
            assert_eq!(got, data[..got.len()], "a prefix of the data");
        }
        let mut bad = gz.clone();
        let n = bad.len();
        bad[n - 6] ^= 1; // CRC
        let (got, r) = run(&mut inf, &bad, usize::MAX);
        assert_eq!((got.len(), r.end), (data.len(), InflateEnd::Corrupt));
        let mut bad = gz.clone();
        bad[3] = 0x80; // reserved flag
        assert_eq!(run(&mut inf, &bad, usize::MAX).1.end, InflateEnd::Corrupt);
        let mut bad = zlib(&data);
        bad[40] ^= 0x55;
        let (got, r) = run(&mut inf, &bad, usize::MAX);
        assert_eq!(r.end, InflateEnd::Corrupt);
        assert!(got.len() < data.len());
        // The state is sound again for the next stream.
        let (got, r) = run(&mut inf, &gz, usize::MAX);
        assert_eq!((got, r.end), (data, InflateEnd::Complete));
    }
}
