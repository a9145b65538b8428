//! `--format json` (one array for the whole run) and `--format jsonl` (one
//! object per line), for programs.
//!
//! Invariants: every finding object has the same fields (see
//! docs/output.md); `secret`, `encoded` and `match` are shown in full
//! unless `--redact`; `json` always writes a complete array, `[]` when
//! nothing was found.

use std::io::{self, Write};

use scanner_engine::Finding;
use serde::Serialize;

use super::provenance::Provenance;
use super::text::{encoded_bytes, shown};
use super::OutputOptions;
use crate::args::Format;

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule_id: &'a str,
    rule_name: &'a str,
    path: &'a str,
    line: u64,
    column: u64,
    start: u64,
    end: u64,
    encoded_start: u64,
    encoded_end: u64,
    secret: String,
    /// The bytes `start..end` as text (UTF-16 input decoded).
    encoded: String,
    #[serde(rename = "match")]
    matched: String,
    entropy: f64,
    decode_path: Vec<&'static str>,
    fingerprint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    git: Option<&'a Provenance>,
}

pub struct Json {
    /// One array (`json`) rather than lines (`jsonl`).
    array: bool,
    redact: bool,
    written: u64,
}

impl Json {
    pub fn new(opts: &OutputOptions) -> Json {
        Json {
            array: opts.format == Format::Json,
            redact: opts.redact,
            written: 0,
        }
    }

    pub fn report(
        &mut self,
        out: &mut impl Write,
        path: &str,
        f: &Finding,
        git: Option<&Provenance>,
    ) -> io::Result<()> {
        let full = !self.redact;
        let obj = JsonFinding {
            rule_id: &f.rule_id,
            rule_name: &f.rule_name,
            path,
            line: f.line,
            column: f.column,
            start: f.start,
            end: f.end,
            encoded_start: f.encoded_start,
            encoded_end: f.encoded_end,
            secret: shown(&f.secret, full),
            encoded: shown(&encoded_bytes(f), full),
            matched: shown(&f.matched, full),
            entropy: (f.entropy * 1000.0).round() / 1000.0,
            decode_path: f.decode_path.iter().map(|s| s.as_str()).collect(),
            fingerprint: f.fingerprint.to_string(),
            git,
        };
        if self.array {
            out.write_all(if self.written == 0 {
                b"[\n  "
            } else {
                b",\n  "
            })?;
        }
        serde_json::to_writer(&mut *out, &obj)?;
        if !self.array {
            out.write_all(b"\n")?;
        }
        self.written += 1;
        Ok(())
    }

    /// Closes the array (`[]` when nothing was found).
    pub fn finish(&mut self, out: &mut impl Write) -> io::Result<()> {
        if self.array {
            out.write_all(if self.written == 0 { b"[]\n" } else { b"\n]\n" })?;
        }
        Ok(())
    }
}
