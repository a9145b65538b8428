//! The streaming Base64 decoder (rules in the parent module's docs).

use core::ops::ControlFlow;

use base64_simd::{Out, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use memchr::{memchr2, memchr3};

use crate::transform::chunked_output::ChunkedOutput;
use crate::transform::{DecodeError, DecodeErrorKind, DecodeOutcome};

// Decoder table entries beyond the 6-bit values.
const D_INVALID: u8 = 0xFF;
const D_SPACE: u8 = 0xFE;
const D_PAD: u8 = 0xFD;

const fn decode_table(specific: [u8; 2]) -> [u8; 256] {
    let mut t = [D_INVALID; 256];
    let mut i = 0u8;
    while i < 26 {
        t[(b'A' + i) as usize] = i;
        t[(b'a' + i) as usize] = 26 + i;
        i += 1;
    }
    let mut d = 0u8;
    while d < 10 {
        t[(b'0' + d) as usize] = 52 + d;
        d += 1;
    }
    t[specific[0] as usize] = 62;
    t[specific[1] as usize] = 63;
    t[b'=' as usize] = D_PAD;
    // ASCII whitespace, as `u8::is_ascii_whitespace`.
    t[b' ' as usize] = D_SPACE;
    t[b'\t' as usize] = D_SPACE;
    t[b'\n' as usize] = D_SPACE;
    t[b'\r' as usize] = D_SPACE;
    t[0x0C] = D_SPACE;
    t
}

static STANDARD_TABLE: [u8; 256] = decode_table([b'+', b'/']);
static URL_SAFE_TABLE: [u8; 256] = decode_table([b'-', b'_']);

/// Byte-by-byte decoding state: the quantum being gathered and padding.
struct Quantum {
    table: &'static [u8; 256],
    vals: [u8; 4],
    n: usize,
    pads: usize,
    /// Offset of the last alphabet character.
    last: usize,
}

impl Quantum {
    /// Takes byte `b` at `off`. `Err` on invalid input, `Ok(Break)` when the
    /// sink stopped.
    fn step<F: FnMut(&[u8]) -> ControlFlow<()>>(
        &mut self,
        b: u8,
        off: usize,
        sink: &mut ChunkedOutput<'_, F>,
    ) -> Result<ControlFlow<()>, (DecodeErrorKind, usize)> {
        let v = self.table[usize::from(b)];
        if v == D_SPACE {
            return Ok(ControlFlow::Continue(()));
        }
        if self.pads > 0 {
            if v != D_PAD {
                return Err((DecodeErrorKind::AfterPadding, off));
            }
            if self.n + self.pads >= 4 {
                return Err((DecodeErrorKind::InvalidPadding, off));
            }
            self.pads += 1;
            return Ok(ControlFlow::Continue(()));
        }
        match v {
            D_PAD if self.n < 2 => Err((DecodeErrorKind::InvalidPadding, off)),
            D_PAD => {
                self.pads = 1;
                Ok(ControlFlow::Continue(()))
            }
            D_INVALID => Err((DecodeErrorKind::InvalidCharacter, off)),
            _ => {
                self.vals[self.n & 3] = v;
                self.n += 1;
                self.last = off;
                if self.n < 4 {
                    return Ok(ControlFlow::Continue(()));
                }
                self.n = 0;
                Ok(sink.push(&self.bytes()))
            }
        }
    }

    /// The 3 bytes of the gathered values (missing ones count as 0).
    fn bytes(&self) -> [u8; 3] {
        let [a, b, c, d] = self.vals.map(u32::from);
        let v = (a << 18) | (b << 12) | (c << 6) | d;
        let [_, x, y, z] = v.to_be_bytes();
        [x, y, z]
    }

    /// The end of input: decodes a 2- or 3-character tail.
    fn finish<F: FnMut(&[u8]) -> ControlFlow<()>>(
        &mut self,
        sink: &mut ChunkedOutput<'_, F>,
    ) -> Result<ControlFlow<()>, (DecodeErrorKind, usize)> {
        let keep = match self.n {
            1 => return Err((DecodeErrorKind::TrailingSingleChar, self.last)),
            2 => 1,
            3 => 2,
            _ => return Ok(ControlFlow::Continue(())),
        };
        for v in &mut self.vals[self.n..] {
            *v = 0;
        }
        self.n = 0;
        let bytes = self.bytes();
        Ok(sink.push(&bytes[..keep]))
    }
}

/// Decodes a Base64 span (see the module docs), handing the output to
/// `on_chunk` in chunks of [`DECODE_CHUNK_LEN`](crate::transform::DECODE_CHUNK_LEN)
/// bytes, at most `max_decoded` bytes in all. `chunk_out` is the reusable
/// staging buffer.
///
/// # Errors
/// See [`DecodeErrorKind`]; the output of every complete quantum before the
/// offending byte has been handed to `on_chunk` first.
pub fn stream_decode(
    encoded: &[u8],
    max_decoded: usize,
    chunk_out: &mut Vec<u8>,
    on_chunk: impl FnMut(&[u8]) -> ControlFlow<()>,
) -> Result<DecodeOutcome, DecodeError> {
    // The alphabet of the first specific character; a later character of
    // the other alphabet is then invalid.
    let url_safe = match (memchr2(b'+', b'/', encoded), memchr2(b'-', b'_', encoded)) {
        (Some(s), Some(u)) => u < s,
        (None, Some(_)) => true,
        _ => false,
    };
    let (table, simd) = if url_safe {
        (&URL_SAFE_TABLE, &URL_SAFE_NO_PAD)
    } else {
        (&STANDARD_TABLE, &STANDARD_NO_PAD)
    };
    let mut sink = ChunkedOutput::new(chunk_out, max_decoded, on_chunk);
    let mut q = Quantum {
        table,
        vals: [0; 4],
        n: 0,
        pads: 0,
        last: 0,
    };
    let mut i = 0;
    let result = 'outer: loop {
        let Some(rest) = encoded.get(i..).filter(|r| !r.is_empty()) else {
            break q.finish(&mut sink);
        };
        if q.n == 0 && q.pads == 0 && table[usize::from(rest[0])] < 64 {
            // Fast path: whole quanta up to the next line break or `=`,
            // within the chunk and the budget.
            let window = &rest[..rest.len().min(sink.room() / 3 * 4)];
            let clean = memchr3(b'\n', b'\r', b'=', window).unwrap_or(window.len());
            let quanta = clean / 4;
            if quanta > 0 {
                let src = &rest[..quanta * 4];
                let old = sink.out.len();
                sink.out.resize(old + quanta * 3, 0);
                if simd
                    .decode(src, Out::from_slice(&mut sink.out[old..]))
                    .is_ok()
                {
                    i += src.len();
                    if sink.after_write().is_break() {
                        break Ok(ControlFlow::Break(()));
                    }
                    continue;
                }
                // Something in there is not plain Base64 (a space, a bad
                // byte): redo these bytes one by one.
                sink.out.truncate(old);
                for (k, &b) in src.iter().enumerate() {
                    match q.step(b, i + k, &mut sink) {
                        Ok(ControlFlow::Continue(())) => {}
                        other => break 'outer other,
                    }
                }
                i += src.len();
                continue;
            }
        }
        match q.step(rest[0], i, &mut sink) {
            Ok(ControlFlow::Continue(())) => i += 1,
            other => break other,
        }
    };
    match result {
        Ok(_) => Ok(sink.finish()),
        Err((kind, offset)) => {
            if sink.flush().is_break() {
                return Ok(sink.finish());
            }
            Err(DecodeError {
                kind,
                offset,
                decoded_len: sink.emitted(),
            })
        }
    }
}
