//! Reports findings in the chosen format: `human` (grouped by file, optional
//! colour), `json` (one array), `jsonl` (one object per line) and `sarif`
//! (one SARIF 2.1.0 log). docs/output.md is the user's description.
//!
//! One [`Reporter`] per run, driven by a single writer thread: the front end
//! (dir, stdin, ...) calls [`Reporter::report`] for every finding as it
//! arrives and [`Reporter::finish`] once at the end.
//!
//! Invariants:
//! - Findings are written as they come; nothing but a constant-size header
//!   (and, for SARIF, the rule table) is held in memory.
//! - Redaction: human and SARIF output never show a whole secret (nor its
//!   encoded text) unless `--show-secrets`; JSON output shows both unless
//!   `--redact`, which wins over `--show-secrets` in JSON and SARIF.
//! - Colour (ANSI escapes) appears only in human output, and only when
//!   [`use_color`] says so.
//! - Every write error names the destination ("standard output" or the
//!   `--output` file).

mod human;
mod json;
pub mod provenance;
mod sarif;
mod text;

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, IsTerminal, Write};

use clap::ValueEnum;
use scanner_engine::{Finding, RuleInfo};

use crate::args::{Format, OutputArgs};
pub use provenance::Provenance;

/// When human output is coloured (`--color`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and NO_COLOR is unset or empty.
    Auto,
    /// Always colour, even into files and pipes, regardless of NO_COLOR.
    Always,
    /// Never colour.
    Never,
}

/// Whether to colour: `always` and `never` decide alone; `auto` colours
/// only when the destination is a terminal and `NO_COLOR` is unset or empty
/// (<https://no-color.org>).
pub fn use_color(choice: ColorChoice, is_terminal: bool, no_color: Option<&OsStr>) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_terminal && no_color.is_none_or(|v| v.is_empty()),
    }
}

/// Everything that decides how findings are formatted.
#[derive(Clone, Copy, Debug)]
pub struct OutputOptions {
    pub format: Format,
    /// Show secrets in full in human and SARIF output.
    pub show_secrets: bool,
    /// Redact secrets in JSON and JSON-lines output.
    pub redact: bool,
    /// Colour human output with ANSI escapes.
    pub color: bool,
}

/// The writer of one format.
enum Sink {
    Human(human::Human),
    Json(json::Json),
    Sarif(sarif::Sarif),
}

/// Writes findings in one format to one destination.
pub struct Reporter {
    out: io::BufWriter<Box<dyn Write + Send>>,
    sink: Sink,
    /// The destination, as named in error messages.
    target: String,
    count: u64,
}

impl Reporter {
    /// A reporter writing to `out` (buffered here; pass it unbuffered).
    /// `rules` are all loaded rules: SARIF lists them and refers to them by
    /// index. Writes the format's header (SARIF: everything up to the
    /// results) right away.
    pub fn new<'r>(
        opts: &OutputOptions,
        rules: impl IntoIterator<Item = &'r RuleInfo>,
        out: Box<dyn Write + Send>,
    ) -> io::Result<Reporter> {
        let mut out = io::BufWriter::new(out);
        let sink = match opts.format {
            Format::Human => Sink::Human(human::Human::new(opts)),
            Format::Json | Format::Jsonl => Sink::Json(json::Json::new(opts)),
            Format::Sarif => Sink::Sarif(sarif::Sarif::start(opts, rules, &mut out)?),
        };
        Ok(Reporter {
            out,
            sink,
            target: "output".to_string(),
            count: 0,
        })
    }

    /// A reporter for the command-line flags: writes to `--output FILE`
    /// (created or truncated) or standard output, colouring per `--color`.
    /// Errors name the destination.
    pub fn open<'r>(
        args: &OutputArgs,
        rules: impl IntoIterator<Item = &'r RuleInfo>,
    ) -> Result<Reporter, String> {
        let (out, target, is_terminal): (Box<dyn Write + Send>, String, bool) = match &args.output {
            Some(path) => {
                let file = File::create(path)
                    .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
                (Box::new(file), path.display().to_string(), false)
            }
            None => (
                Box::new(io::stdout()),
                "standard output".to_string(),
                io::stdout().is_terminal(),
            ),
        };
        let opts = OutputOptions {
            format: args.format,
            show_secrets: args.show_secrets,
            redact: args.redact,
            color: args.format == Format::Human
                && use_color(
                    args.color,
                    is_terminal,
                    std::env::var_os("NO_COLOR").as_deref(),
                ),
        };
        let mut reporter = Reporter::new(&opts, rules, out)
            .map_err(|e| format!("cannot write to {target}: {e}"))?;
        reporter.target = target;
        Ok(reporter)
    }

    /// Number of findings reported so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Writes one finding of the input shown as `path` (a display string:
    /// `/`-separated relative path, `a.zip!dir/x.env` for an archive
    /// member, or a label such as `<stdin>`).
    pub fn report(&mut self, path: &str, f: &Finding) -> io::Result<()> {
        self.report_with(path, f, None)
    }

    /// Writes one finding with its git provenance, when it has one.
    pub fn report_with(
        &mut self,
        path: &str,
        f: &Finding,
        git: Option<&Provenance>,
    ) -> io::Result<()> {
        self.count += 1;
        let result = match &mut self.sink {
            Sink::Human(h) => h.report(&mut self.out, path, f, git),
            Sink::Json(j) => j.report(&mut self.out, path, f, git),
            Sink::Sarif(s) => s.report(&mut self.out, path, f, git),
        };
        result.map_err(|e| self.name_error(e))
    }

    /// Writes the format's trailer (closes the JSON array or SARIF log) and
    /// flushes.
    pub fn finish(mut self) -> io::Result<()> {
        let result = match &mut self.sink {
            Sink::Human(_) => Ok(()),
            Sink::Json(j) => j.finish(&mut self.out),
            Sink::Sarif(s) => s.finish(&mut self.out),
        }
        .and_then(|_| self.out.flush());
        result.map_err(|e| self.name_error(e))
    }

    /// `e`, with a message naming the destination.
    fn name_error(&self, e: io::Error) -> io::Error {
        io::Error::new(e.kind(), format!("cannot write to {}: {e}", self.target))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::{Arc, Mutex};

    use scanner_engine::{DecodeStep, Fingerprint};

    /// A writer whose bytes the test reads back.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Rules `a` and `b`, as the engine describes them.
    fn rules() -> Vec<RuleInfo> {
        let toml = "[[rules]]\nid = 'a'\nname = 'a name'\nregex = 'aaa_[0-9]{8}'\n\
                    [[rules]]\nid = 'b'\nname = 'b name'\nregex = 'bbb_[0-9]{8}'\n";
        let specs = scanner_engine::parse_rules_toml(toml, "test").unwrap();
        let engine = scanner_engine::Engine::builder()
            .builtin_rules(false)
            .rules(specs)
            .build()
            .unwrap();
        engine.rules().cloned().collect()
    }

    fn finding(rule_id: &str) -> Finding {
        let mut f = Finding::for_secret(rule_id, &format!("{rule_id} name"), b"s3cr3t");
        f.start = 4;
        f.end = 12;
        f.encoded_end = 16;
        f.line = 1;
        f.column = 5;
        f.matched = b"k=s3cr3t".to_vec();
        f.encoded = b"czNjcjN0".to_vec();
        f.entropy = 2.5;
        f.decode_path = [DecodeStep::Base64].into_iter().collect();
        f.fingerprint = Fingerprint(0xabc);
        f
    }

    /// Everything `format` writes for two findings of rule `b` in an
    /// archive member.
    fn render(format: Format) -> String {
        let opts = OutputOptions {
            format,
            show_secrets: false,
            redact: false,
            color: false,
        };
        let buf = Shared::default();
        let rules = rules();
        let mut r = Reporter::new(&opts, &rules, Box::new(buf.clone())).unwrap();
        r.report("a.zip!dir/x.env", &finding("b")).unwrap();
        r.report("a.zip!dir/x.env", &finding("b")).unwrap();
        assert_eq!(r.count(), 2);
        r.finish().unwrap();
        let bytes = buf.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn reporter_writes_complete_documents() {
        let v: serde_json::Value = serde_json::from_str(&render(Format::Json)).unwrap();
        assert_eq!(v[1]["encoded"], "czNjcjN0");
        assert_eq!(render(Format::Jsonl).lines().count(), 2);
        let v: serde_json::Value = serde_json::from_str(&render(Format::Sarif)).unwrap();
        let result = &v["runs"][0]["results"][1];
        assert_eq!(result["ruleIndex"], 1);
        assert_eq!(
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "a.zip!dir/x.env"
        );
        let human = render(Format::Human);
        assert_eq!(human.matches("a.zip!dir/x.env").count(), 1, "{human}");
        for out in [render(Format::Human), render(Format::Sarif)] {
            assert!(
                !out.contains("s3cr3t") && !out.contains("czNjcjN0"),
                "{out}"
            );
        }
    }

    /// Front ends may move the reporter to a writer thread of its own.
    #[test]
    fn reporter_is_send() {
        fn send<T: Send>() {}
        send::<Reporter>();
    }

    #[test]
    fn always_and_never_decide_alone() {
        for tty in [false, true] {
            for nc in [None, Some(OsStr::new("")), Some(OsStr::new("1"))] {
                assert!(use_color(ColorChoice::Always, tty, nc));
                assert!(!use_color(ColorChoice::Never, tty, nc));
            }
        }
    }

    #[test]
    fn auto_needs_a_terminal_and_no_no_color() {
        assert!(use_color(ColorChoice::Auto, true, None));
        assert!(use_color(ColorChoice::Auto, true, Some(OsStr::new(""))));
        assert!(!use_color(ColorChoice::Auto, true, Some(OsStr::new("1"))));
        assert!(!use_color(ColorChoice::Auto, false, None));
        assert!(!use_color(ColorChoice::Auto, false, Some(OsStr::new(""))));
    }
}
