//! Base64: an incremental span finder and a streaming decoder.
//!
//! **Alphabets.** Letters and digits, plus either `+` `/` (standard) or `-`
//! `_` (URL-safe). `+/-_` are the *specific* characters; a span's alphabet is
//! that of its specific characters, "undecided" if it has none (the two
//! decodings then agree).
//!
//! **Span.** Within a run of alphabet characters, a *window* is a maximal
//! stretch that uses only one alphabet. A run mixing both alphabets (e.g.
//! `path/to/x-y_z`) is split into overlapping windows: the standard window
//! ends just before the first `-`/`_`, and the URL-safe window starts at the
//! letters and digits after the last `+`/`/` before it (and vice versa), so
//! each window gets every character compatible with it. A window is reported
//! if it holds at least `min_len` alphabet characters and passes the junk
//! filter: it contains a digit, or both an upper- and a lower-case letter
//! (drops `CONSTANT_NAMES`, `/usr/local/share`, `------`, `//////`; Base64
//! of anything with mixed bits has both), and at most one character in 8
//! is a specific character right after a letter or digit (drops words
//! joined by `_`, `-`, `/`: `ossl_check_X509_type`, `org/3/library/os`).
//!
//! - **Padding.** `=` ends a run. It is part of the span only if it is correct
//!   padding (one `=` after 3 characters mod 4, two after 2 mod 4) and fits
//!   within `max_encoded_len`; a lone `=` after 2 (mod 4) is left out.
//! - **Line breaks.** `\n` or `\r\n`, optionally followed by up to
//!   [`MAX_INDENT`] spaces or tabs (indentation), continue a run iff the
//!   window so far has a multiple of 4 characters (wrapped Base64 always
//!   breaks between quanta: PEM 64, MIME 76), is not URL-safe, and the next
//!   line starts with a letter, digit, `+` or `/`. A window that crosses a
//!   line break is standard-alphabet. A span never starts or ends with a line
//!   break.
//! - **Escapes.** The letter of a backslash escape `\n`, `\r`, `\t` (as in
//!   JSON strings holding PEM text) never starts a span, so the lines of an
//!   escaped PEM blob are found as aligned spans.
//! - **Cap.** A window about to exceed `max_encoded_len` bytes (at least 4;
//!   line breaks and indentation count) is reported up to its last complete
//!   quantum, and the run goes on as a new window from the next character,
//!   so every piece but the last is a whole number of quanta and decodes on
//!   its own.
//! - **Lag.** A span is reported at the latest when the finder has been fed
//!   [`MAX_REPORT_LAG`](super::MAX_REPORT_LAG) bytes past its end (the
//!   look-ahead is a line break, indentation and, for a cut, up to 3
//!   characters of the next quantum).
//!
//! **Decoder.** Skips ASCII whitespace anywhere, takes the alphabet of the
//! first specific character (standard if none), decodes whole quanta with
//! `base64-simd` where the input is clean and byte by byte otherwise,
//! accepts no padding or up to as many `=` as complete the last quantum
//! (whitespace may sit between them), ignores non-zero
//! trailing bits, and fails on a byte outside the alphabet, misplaced or
//! excess padding, data after padding, or a single trailing character.
//!
//! **Speed.** [`Base64SpanFinder::feed`] skips, without the per-byte state
//! machine, whole 64-byte blocks and single runs that cannot be reported
//! (too short, or junk as a whole) and leave no state, reports a run that
//! is one window ended by a plain byte at once, and appends letters and
//! digits to a window in bulk;
//! `step` on every byte is the reference semantics (see
//! `docs/transforms.md`).
//!
//! Invariants: the finder keeps O(1) scalar state, looks at each byte a
//! bounded number of times and reports the same spans however its input is
//! chunked; the decoder's
//! output chunking depends only on [`DECODE_CHUNK_LEN`](super::DECODE_CHUNK_LEN);
//! nothing panics.

//!
//! Layout: `finder` (the span grammar's state machine and its fast paths),
//! `blocks` (the 64-byte block skip of the idle scan), `classify` (a
//! block's bit masks, with the widest vector instructions the CPU has), `decode` (the
//! streaming decoder and its tables), `tests`.

mod blocks;
// The only unsafe code outside `vectorscan`: x86 vector instructions
// chosen at run time, which `core::arch` makes unsafe to call.
#[allow(unsafe_code)]
mod classify;
mod decode;
mod finder;
#[cfg(test)]
mod tests;

pub use self::decode::stream_decode;
pub(crate) use self::finder::is_base64_char;
pub use self::finder::{Base64Grammar, Base64SpanFinder, MAX_INDENT};
