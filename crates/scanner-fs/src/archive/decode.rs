//! Streaming decoders for the compressed-stream formats: gzip, bzip2, xz and
//! Zstandard, each yielding the decompressed bytes through `Read`.
//!
//! Invariants: every decoder streams (memory bounded by the format's window:
//! 32 KiB for gzip, under 8 MiB for bzip2, and for xz and zstd the window the
//! stream asks for, refused above `max_in_memory_bytes`); concatenated
//! streams/frames are decoded as one stream (multi-member gzip, bzip2 and xz
//! streams, zstd frames, zstd skippable frames skipped); a malformed stream
//! is an `io::Error`, never a panic.

use std::io::{self, BufRead, BufReader, Read};

use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};

use super::detect::ArchiveKind;

/// A decoder for `kind` over `input`; `None` when `kind` is not a
/// compressed-stream format. `max_window` caps the xz dictionary and the
/// zstd window (bytes).
pub(crate) fn decoder<'a>(
    kind: ArchiveKind,
    input: impl Read + 'a,
    max_window: u64,
) -> Option<Box<dyn Read + 'a>> {
    Some(match kind {
        ArchiveKind::Gzip => Box::new(flate2::read::MultiGzDecoder::new(input)),
        ArchiveKind::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(input)),
        ArchiveKind::Xz => {
            let kib = u32::try_from(max_window / 1024).unwrap_or(u32::MAX - 1);
            Box::new(lzma_rust2::XzReader::new_mem_limit(
                BufReader::new(input),
                true,
                kib.max(1),
            ))
        }
        ArchiveKind::Zstd => Box::new(ZstdReader::new(BufReader::new(input), max_window)),
        ArchiveKind::Zip | ArchiveKind::Tar => return None,
    })
}

/// A Zstandard stream of any number of frames (skippable frames skipped).
pub(crate) struct ZstdReader<R: BufRead> {
    source: R,
    decoder: FrameDecoder,
    in_frame: bool,
    /// Whether at least one frame was started (an empty input is an error,
    /// like for the other formats).
    started: bool,
}

impl<R: BufRead> ZstdReader<R> {
    pub(crate) fn new(source: R, max_window: u64) -> Self {
        let mut decoder = FrameDecoder::new();
        decoder.set_max_window_size(max_window);
        Self {
            source,
            decoder,
            in_frame: false,
            started: false,
        }
    }

    /// Starts the next frame; `Ok(false)` at a clean end of input.
    fn next_frame(&mut self) -> io::Result<bool> {
        loop {
            if self.source.fill_buf()?.is_empty() {
                if self.started {
                    return Ok(false);
                }
                return Err(invalid("empty zstd stream"));
            }
            match self.decoder.reset(&mut self.source) {
                Ok(()) => {
                    self.in_frame = true;
                    self.started = true;
                    return Ok(true);
                }
                Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                    length,
                    ..
                })) => {
                    let skipped = io::copy(
                        &mut (&mut self.source).take(u64::from(length)),
                        &mut io::sink(),
                    )?;
                    if skipped < u64::from(length) {
                        return Err(invalid("truncated zstd skippable frame"));
                    }
                    self.started = true;
                }
                Err(e) => return Err(invalid(&format!("zstd: {e}"))),
            }
        }
    }
}

impl<R: BufRead> Read for ZstdReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if !self.in_frame && !self.next_frame()? {
                return Ok(0);
            }
            while self.decoder.can_collect() == 0 && !self.decoder.is_finished() {
                self.decoder
                    .decode_blocks(&mut self.source, BlockDecodingStrategy::UptoBlocks(1))
                    .map_err(|e| invalid(&format!("zstd: {e}")))?;
                if self.decoder.can_collect() == 0
                    && !self.decoder.is_finished()
                    && self.source.fill_buf()?.is_empty()
                {
                    return Err(invalid("truncated zstd frame"));
                }
            }
            let n = self.decoder.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            if self.decoder.is_finished() && self.decoder.can_collect() == 0 {
                self.in_frame = false;
            }
        }
    }
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zstd(data: &[u8]) -> Vec<u8> {
        ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
    }

    #[test]
    fn zstd_multiple_and_skippable_frames() {
        let mut input = zstd(b"first ");
        input.extend_from_slice(&0x184D_2A50u32.to_le_bytes());
        input.extend_from_slice(&3u32.to_le_bytes());
        input.extend_from_slice(b"xyz");
        input.extend_from_slice(&zstd(b"second"));
        let mut out = String::new();
        ZstdReader::new(&input[..], 1 << 20)
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "first second");
    }

    #[test]
    fn zstd_garbage_is_an_error() {
        let mut out = Vec::new();
        assert!(ZstdReader::new(&b"\x28\xb5\x2f\xfdgarbage"[..], 1 << 20)
            .read_to_end(&mut out)
            .is_err());
        assert!(ZstdReader::new(&b""[..], 1 << 20)
            .read_to_end(&mut out)
            .is_err());
    }
}
