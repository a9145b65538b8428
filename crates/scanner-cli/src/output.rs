//! Formats findings for people (`human`) and programs (`json`, `jsonl`).
//!
//! Invariants: human output never shows a whole secret unless
//! `--show-secrets`; JSON output shows it unless `--redact`. `json` writes
//! one array for the whole run (opened on first use, closed by `finish`).

use std::io::{self, IsTerminal, Write};

use scanner_engine::Finding;
use serde::Serialize;

use crate::args::{Format, OutputArgs};

/// Writes findings to stdout in the chosen format.
pub struct Reporter {
    out: io::BufWriter<io::Stdout>,
    format: Format,
    show_secrets: bool,
    redact_json: bool,
    color: bool,
    count: u64,
}

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
    #[serde(rename = "match")]
    matched: String,
    entropy: f64,
    decode_path: Vec<&'static str>,
    fingerprint: String,
}

/// Shows the first few bytes of a secret and hides the rest.
pub fn redact(secret: &[u8]) -> String {
    let text = String::from_utf8_lossy(secret);
    let keep = (text.chars().count() / 4).min(4);
    let prefix: String = text.chars().take(keep).collect();
    format!("{prefix}… ({} bytes, redacted)", secret.len())
}

impl Reporter {
    pub fn new(args: &OutputArgs) -> Reporter {
        Reporter {
            out: io::BufWriter::new(io::stdout()),
            format: args.format,
            show_secrets: args.show_secrets,
            redact_json: args.redact,
            color: io::stdout().is_terminal(),
            count: 0,
        }
    }

    /// Number of findings reported so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn report(&mut self, path: &str, f: &Finding) -> io::Result<()> {
        self.count += 1;
        match self.format {
            Format::Human => self.human(path, f),
            Format::Json | Format::Jsonl => {
                let secret = if self.redact_json {
                    redact(&f.secret)
                } else {
                    String::from_utf8_lossy(&f.secret).into_owned()
                };
                let matched = if self.redact_json {
                    redact(&f.matched)
                } else {
                    String::from_utf8_lossy(&f.matched).into_owned()
                };
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
                    secret,
                    matched,
                    entropy: (f.entropy * 1000.0).round() / 1000.0,
                    decode_path: f.decode_path.iter().map(|s| s.as_str()).collect(),
                    fingerprint: f.fingerprint.to_string(),
                };
                if self.format == Format::Json {
                    self.out
                        .write_all(if self.count == 1 { b"[\n  " } else { b",\n  " })?;
                }
                serde_json::to_writer(&mut self.out, &obj)?;
                if self.format == Format::Jsonl {
                    self.out.write_all(b"\n")?;
                }
                Ok(())
            }
        }
    }

    fn human(&mut self, path: &str, f: &Finding) -> io::Result<()> {
        let secret = if self.show_secrets {
            String::from_utf8_lossy(&f.secret).into_owned()
        } else {
            redact(&f.secret)
        };
        let (bold, reset) = if self.color {
            ("\x1b[1;31m", "\x1b[0m")
        } else {
            ("", "")
        };
        writeln!(
            self.out,
            "{path}:{}:{}: {bold}{}{reset} ({})",
            f.line, f.column, f.rule_id, f.rule_name
        )?;
        writeln!(self.out, "    secret:      {secret}")?;
        if !f.decode_path.is_empty() {
            writeln!(self.out, "    decoded via: {}", f.decode_path_string())?;
        }
        writeln!(self.out, "    fingerprint: {}", f.fingerprint)?;
        Ok(())
    }

    /// Closes the JSON array (an empty array when nothing was found) and flushes.
    pub fn finish(mut self) -> io::Result<()> {
        if self.format == Format::Json {
            self.out
                .write_all(if self.count == 0 { b"[]\n" } else { b"\n]\n" })?;
        }
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_hides_most_of_the_secret() {
        let r = redact(b"ghp_R7vX2kq9LmN4pT8sW1yZ3bC6dF0gH5jK2aQe");
        assert!(r.starts_with("ghp_…"), "{r}");
        assert!(!r.contains("R7vX"), "{r}");
        assert!(redact(b"ab").starts_with("…"));
    }
}
