//! `--format human`: findings grouped by file, for people.
//!
//! A header line with the path starts each group (whenever the path differs
//! from the previous finding's; groups after the first are preceded by a
//! blank line), then one indented block per finding:
//!
//! ```text
//! config/app.env
//!   2:14  github-pat-classic  GitHub personal access token (classic)
//!         secret:      ghp_… (40 bytes, redacted)
//!         encoded:     Z2hw… (56 bytes, redacted)     (decoded findings only)
//!         decoded via: base64 > url                   (decoded findings only)
//!         fingerprint: 3f2a9c0d1e4b5a69
//! ```
//!
//! Invariants: secrets and their encoded text are redacted unless
//! `--show-secrets`; control characters in paths, rule names and secrets
//! are escaped, so every block has exactly these lines; ANSI colour only
//! when enabled.

use std::io::{self, Write};

use scanner_engine::Finding;

use super::provenance::Provenance;
use super::text::{encoded_bytes, escape_controls, shown};
use super::OutputOptions;

const PATH_STYLE: &str = "\x1b[1;35m";
const LOCATION_STYLE: &str = "\x1b[32m";
const RULE_STYLE: &str = "\x1b[1;31m";
const RESET: &str = "\x1b[0m";

pub struct Human {
    show_secrets: bool,
    color: bool,
    /// Path of the previous finding (its group is open).
    last_path: Option<String>,
}

impl Human {
    pub fn new(opts: &OutputOptions) -> Human {
        Human {
            show_secrets: opts.show_secrets,
            color: opts.color,
            last_path: None,
        }
    }

    /// The escapes that switch `style` on and off (empty without colour).
    fn paint<'a>(&self, style: &'a str) -> (&'a str, &'static str) {
        if self.color {
            (style, RESET)
        } else {
            ("", "")
        }
    }

    pub fn report(
        &mut self,
        out: &mut impl Write,
        path: &str,
        f: &Finding,
        git: Option<&Provenance>,
    ) -> io::Result<()> {
        if self.last_path.as_deref() != Some(path) {
            if self.last_path.is_some() {
                writeln!(out)?;
            }
            let (on, off) = self.paint(PATH_STYLE);
            writeln!(out, "{on}{}{off}", escape_controls(path))?;
            self.last_path = Some(path.to_string());
        }
        let (loc_on, loc_off) = self.paint(LOCATION_STYLE);
        let (rule_on, rule_off) = self.paint(RULE_STYLE);
        writeln!(
            out,
            "  {loc_on}{}:{}{loc_off}  {rule_on}{}{rule_off}  {}",
            f.line,
            f.column,
            escape_controls(&f.rule_id),
            escape_controls(&f.rule_name)
        )?;
        let secret = shown(&f.secret, self.show_secrets);
        writeln!(out, "        secret:      {}", escape_controls(&secret))?;
        if !f.decode_path.is_empty() {
            let encoded = shown(&encoded_bytes(f), self.show_secrets);
            writeln!(out, "        encoded:     {}", escape_controls(&encoded))?;
            writeln!(out, "        decoded via: {}", f.decode_path_string())?;
        }
        if let Some(g) = git {
            if !g.commit.is_empty() {
                writeln!(
                    out,
                    "        commit:      {} {} <{}> {}",
                    &g.commit[..g.commit.len().min(12)],
                    escape_controls(&g.author_name),
                    escape_controls(&g.author_email),
                    g.date
                )?;
                writeln!(out, "        message:     {}", escape_controls(&g.summary))?;
            }
            let more = g.also.len() as u64 + g.more;
            if more > 0 {
                writeln!(
                    out,
                    "        also in:     {more} more commit/path location(s)"
                )?;
            }
        }
        writeln!(out, "        fingerprint: {}", f.fingerprint)
    }
}
