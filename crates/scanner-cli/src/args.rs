//! Command-line arguments (clap derive). Help texts here are the user's
//! documentation of every flag; keep them precise.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use scanner_engine::transform::{TransformConfig, TransformKind};

use crate::output::ColorChoice;

/// How much memory a scan takes, shown in `--help`.
const MEMORY_HELP: &str = "Memory, per scanning thread: files up to 8 MiB are read whole, larger \
files and standard input are streamed through a buffer of at most about 4.3 MiB; decoding adds \
at most 64 MiB of decoded data per scanned buffer (usually far less). Peak memory grows with \
the thread count, never with input size (--stats prints it as peak_rss_kib).\n\nExit status: 0 = no findings, 1 = findings \
reported, 2 = error.";

#[derive(Parser, Debug)]
#[command(
    name = "secretscan",
    version,
    about = "Find leaked secrets (API keys, tokens, private keys, passwords in URLs) in files and streams",
    after_help = "Exit status: 0 = no findings, 1 = findings reported, 2 = error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan files, directories and archives (recursively, in parallel;
    /// .gitignore is respected).
    #[command(after_help = MEMORY_HELP)]
    Dir(DirArgs),
    /// Scan standard input (streamed: any length, bounded memory).
    #[command(after_help = MEMORY_HELP)]
    Stdin(StdinArgs),
    /// Scan the history of a git repository: every blob reachable from the
    /// refs, once, with the commit that introduced it (or, with --staged,
    /// what is staged for the next commit).
    #[command(after_help = MEMORY_HELP)]
    Git(GitArgs),
    /// Print the findings recorded in a store (--store of dir or git).
    Report(ReportArgs),
    /// Record a decision about a finding in a store: accept (a real secret,
    /// being handled) or reject (not a secret); later reports keep it.
    Triage(TriageArgs),
    /// Inspect the rule set.
    Rules(RulesArgs),
}

/// Output format of findings (docs/output.md describes each).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Findings grouped under a header line per file: line:column, rule,
    /// redacted secret, decoding, fingerprint.
    Human,
    /// A JSON array of finding objects.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// One SARIF 2.1.0 log (for code-scanning dashboards); secrets are
    /// redacted in it unless --show-secrets.
    Sarif,
}

/// Format of `--rules` files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RulesFormatArg {
    /// Detect from extension and content (.yml/.yaml: Nosey Parker; TOML
    /// with gitleaks fields: gitleaks; else secretscan).
    Auto,
    /// secretscan TOML (docs/rules.md); invalid rules are errors.
    Secretscan,
    /// Nosey Parker / Kingfisher YAML; unsupported rules are skipped with a warning.
    Noseyparker,
    /// gitleaks TOML config; unsupported rules are skipped with a warning.
    Gitleaks,
}

#[derive(Args, Debug, Clone)]
pub struct RuleArgs {
    /// Add the rules in this rule file (repeatable): secretscan TOML, Nosey
    /// Parker / Kingfisher YAML or a gitleaks config. See docs/rules.md.
    #[arg(long = "rules", value_name = "FILE")]
    pub rule_files: Vec<PathBuf>,
    /// Format of the --rules files.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = RulesFormatArg::Auto)]
    pub rules_format: RulesFormatArg,
    /// Do not load the built-in rules (use only --rules files).
    #[arg(long)]
    pub no_builtin_rules: bool,
    /// Leave out rules below this confidence: `high` keeps only
    /// self-identifying tokens (vendor prefixes, checksums, PEM headers),
    /// `medium` adds provider-keyword rules, `low` (default) also keeps the
    /// generic catch-all rules. Rules without a stated confidence count as
    /// medium (low when `generic = true`). See docs/rules.md.
    #[arg(
        long,
        value_name = "LEVEL",
        default_value = "low",
        value_parser = clap::builder::TypedValueParser::map(
            clap::builder::PossibleValuesParser::new(["high", "medium", "low"]),
            |s: String| s.parse::<scanner_engine::Confidence>().expect("a listed level"),
        ),
    )]
    pub min_confidence: scanner_engine::Confidence,
    /// Do not keep compiled rule sets on disk. By default the compiled
    /// rules are cached in $SECRETSCAN_CACHE_DIR, else
    /// $XDG_CACHE_HOME/secretscan/rule-db, else ~/.cache/secretscan/rule-db,
    /// so later runs start in milliseconds instead of most of a second; a
    /// damaged or outdated cache file is rebuilt.
    #[arg(long)]
    pub no_rule_cache: bool,
}

#[derive(Args, Debug, Clone)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Print secrets in full in human and SARIF output (they are redacted
    /// there by default).
    #[arg(long)]
    pub show_secrets: bool,
    /// Redact secrets in JSON output too (JSON shows them in full by
    /// default); in JSON and SARIF output it wins over --show-secrets.
    #[arg(long)]
    pub redact: bool,
    /// Write findings to FILE (created or truncated) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Colour in human output: auto = only when writing to a terminal and
    /// the NO_COLOR environment variable is unset or empty.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Args, Debug, Clone)]
pub struct DecodeArgs {
    /// Do not look inside encoded text, nor inflate gzip / zlib data behind
    /// Base64 (raw bytes only).
    #[arg(long)]
    pub no_decode: bool,
    /// Encodings to look inside, comma-separated: base64, url, hex (hex
    /// digit pairs that decode to text), escape (string-literal escapes
    /// \uXXXX, \xNN, \/ ...), html (character references &#103; &#x67;
    /// &amp; ...), gzip (gzip / zlib data behind Base64, inflated), or all.
    /// Default: all of them.
    #[arg(
        long,
        value_name = "LIST",
        value_parser = parse_decode_list,
        conflicts_with = "no_decode"
    )]
    pub decode: Option<DecodeList>,
    /// Deepest nesting of encodings to decode, e.g. 2 for Base64 inside a
    /// URL-encoded string; inflating gzip / zlib data behind Base64 counts
    /// as one level. 0 is the same as --no-decode.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub max_decode_depth: usize,
    /// Most bytes inflated from one gzip / zlib stream found behind Base64
    /// (decompression bombs stop here: what was inflated is scanned and the
    /// cut is warned about on stderr).
    #[arg(long, value_name = "BYTES", default_value_t = scanner_engine::Tuning::default().max_inflated_bytes)]
    pub max_inflated_bytes: usize,
}

/// What one `--decode` name turns on in the engine's settings.
type DecodeSetting = fn(&mut scanner_engine::Tuning);

/// The names `--decode` accepts, in the order their transforms run, and
/// what each turns on. `all` is every one of them. A new decoding step
/// (or a flag of the engine) is one more line here.
const DECODE_NAMES: &[(&str, DecodeSetting)] = &[
    ("base64", |t| enable(t, TransformKind::Base64)),
    ("url", |t| enable(t, TransformKind::Url)),
    ("hex", |t| enable(t, TransformKind::Hex)),
    ("escape", |t| enable(t, TransformKind::Escape)),
    ("html", |t| enable(t, TransformKind::Html)),
    ("gzip", |t| t.inflate = true),
];

/// Adds `kind`'s transform, with its defaults, to `t`.
fn enable(t: &mut scanner_engine::Tuning, kind: TransformKind) {
    t.transforms.push(TransformConfig::default_for(kind));
}

/// The encodings selected by `--decode`: indices into [`DECODE_NAMES`],
/// in table order, without repeats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeList(Vec<usize>);

/// Parses `--decode`'s comma-separated list of names (or `all`).
fn parse_decode_list(s: &str) -> Result<DecodeList, String> {
    let known = || {
        DECODE_NAMES
            .iter()
            .map(|(n, _)| *n)
            .chain(["all"])
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut picked = vec![false; DECODE_NAMES.len()];
    for name in s.split(',').map(str::trim) {
        if name.eq_ignore_ascii_case("all") {
            picked.iter_mut().for_each(|p| *p = true);
            continue;
        }
        match DECODE_NAMES
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(i) => picked[i] = true,
            None if name.is_empty() => {
                return Err(format!(
                    "empty encoding name in '{s}' (expected: {})",
                    known()
                ))
            }
            None => return Err(format!("unknown encoding '{name}' (expected: {})", known())),
        }
    }
    Ok(DecodeList(
        picked
            .iter()
            .enumerate()
            .filter_map(|(i, &p)| p.then_some(i))
            .collect(),
    ))
}

impl DecodeArgs {
    /// The engine budgets these flags select.
    pub fn tuning(&self) -> scanner_engine::Tuning {
        let depth = if self.no_decode {
            0
        } else {
            self.max_decode_depth
        };
        let mut tuning = scanner_engine::Tuning::default()
            .with_max_transform_depth(depth)
            .with_inflate(!self.no_decode)
            .with_max_inflated_bytes(self.max_inflated_bytes);
        if let Some(list) = &self.decode {
            // A list starts from nothing: whatever a name in DECODE_NAMES
            // turns on is off first (a flag added to the table is reset
            // here too).
            tuning.transforms.clear();
            tuning.inflate = false;
            for &i in &list.0 {
                (DECODE_NAMES[i].1)(&mut tuning);
            }
        }
        tuning
    }
}

/// Suppressions and the configuration file, shared by the scanning commands.
#[derive(Args, Debug, Clone)]
pub struct SuppressArgs {
    /// Also treat TEXT as an inline allow marker (repeatable), e.g.
    /// `gitleaks:allow`: findings on a line containing `secretscan:allow` or
    /// any such TEXT are not reported (they are counted as suppressed).
    #[arg(long = "ignore-comment", value_name = "TEXT")]
    pub ignore_comments: Vec<String>,
    /// Do not report findings whose fingerprint is listed in FILE (written
    /// by --write-baseline and reviewed).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write every finding of this scan to FILE as a baseline (sorted, one
    /// line per finding: fingerprint, rule, path:line). --baseline is not
    /// applied while writing, so the new baseline is complete.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Configuration file (see docs/cli.md). Default: `secretscan.toml` in
    /// the first scanned directory, when there is one.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Do not read a configuration file.
    #[arg(long)]
    pub no_config: bool,
}

#[derive(Args, Debug)]
pub struct DirArgs {
    /// Files or directories to scan.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub rules: RuleArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub decode: DecodeArgs,
    #[command(flatten)]
    pub suppress: SuppressArgs,
    /// Leave out paths matching GLOB (repeatable). A glob without `/`
    /// matches any file or directory name (`*.min.js`, `node_modules`); one
    /// with `/` matches the path relative to the scanned directory
    /// (`tests/fixtures/**`).
    #[arg(long = "exclude", value_name = "GLOB")]
    pub excludes: Vec<String>,
    /// Follow symbolic links (not followed by default).
    #[arg(long)]
    pub follow: bool,
    /// Record findings and scanned files in this SQLite store; a later scan
    /// with the same rules skips files whose size and modification time
    /// are unchanged (and reports their known findings). Archives are
    /// always rescanned. With --redact, secrets are stored only as hashes.
    #[arg(long, value_name = "FILE")]
    pub store: Option<PathBuf>,
    /// No progress bar and no summary on stderr (warnings are still shown).
    #[arg(long, short)]
    pub quiet: bool,
    /// Name every skipped file (unreadable, vanished, not a regular file,
    /// binary) on stderr.
    #[arg(long, short)]
    pub verbose: bool,
    /// Skip files larger than this many bytes (they are counted and named on
    /// stderr). Default: no limit. Files over 8 MiB are streamed in 64 KiB
    /// blocks, so memory use does not depend on file size.
    #[arg(long, value_name = "BYTES")]
    pub max_file_size: Option<u64>,
    /// Open archives and compressed files (zip, jar, war, apk, whl, nupkg,
    /// tar, tar.gz/tgz, gz, bz2, xz, zst) nested up to N levels deep and
    /// scan their members (`outer.zip!dir/inner.tar.gz!file`). 0 scans them
    /// as plain files (usually skipped as binary). Members beyond the depth
    /// are scanned as plain bytes.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub max_archive_depth: u32,
    /// Decompressed bytes scanned per archive (all members, nesting
    /// included); beyond, the archive is cut and a warning names it.
    /// Protects against decompression bombs.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 30)]
    pub max_archive_bytes: u64,
    /// Also scan files ignored by .gitignore, .ignore and git excludes.
    #[arg(long)]
    pub no_ignore: bool,
    /// Also scan files that look binary (NUL bytes in the first 8 KiB, unless
    /// a byte-order mark or their pattern marks UTF-16 text).
    #[arg(long)]
    pub scan_binary: bool,
    /// Print scan statistics to stderr when done.
    #[arg(long)]
    pub stats: bool,
    /// Scanning threads (default: one per core). Findings of one file stay
    /// together; with more than one thread, files are reported in the order
    /// they finish.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}

#[derive(Args, Debug)]
pub struct GitArgs {
    /// The repository: a work tree or a bare repository.
    #[arg(default_value = ".", value_name = "PATH")]
    pub repo: PathBuf,
    /// Scan only what is reachable from this revision (branch, tag, commit)
    /// instead of every ref.
    #[arg(long, value_name = "REV", conflicts_with = "staged")]
    pub branch: Option<String>,
    /// Leave out commits reachable from this revision (scan what came
    /// after it).
    #[arg(long, value_name = "REV", conflicts_with = "staged")]
    pub since_commit: Option<String>,
    /// Scan the blobs staged in the index that differ from HEAD (for a
    /// pre-commit hook); unstaged changes are not scanned.
    #[arg(long)]
    pub staged: bool,
    #[command(flatten)]
    pub rules: RuleArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub decode: DecodeArgs,
    #[command(flatten)]
    pub suppress: SuppressArgs,
    /// Record findings and scanned blobs in this SQLite store; a later scan
    /// with the same rules skips the blobs it has (and reports their known
    /// findings). With --redact, secrets are stored only as SHA-256 hashes.
    #[arg(long, value_name = "FILE")]
    pub store: Option<PathBuf>,
    /// Skip blobs larger than this many bytes (counted and named).
    #[arg(long, value_name = "BYTES")]
    pub max_file_size: Option<u64>,
    /// Also scan blobs that look binary.
    #[arg(long)]
    pub scan_binary: bool,
    /// Further commit/path locations listed per blob (the rest counted).
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub max_locations: usize,
    /// No progress line and no summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Name every skipped blob on stderr.
    #[arg(long, short)]
    pub verbose: bool,
    /// Print scan statistics to stderr when done.
    #[arg(long)]
    pub stats: bool,
    /// Scanning threads (default: one per core).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}

/// Triage status to filter a report by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StatusArg {
    /// No decision recorded.
    Open,
    /// Accepted: a real secret, being handled.
    Accepted,
    /// Rejected: not a secret.
    Rejected,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The store written by `dir --store` or `git --store`.
    #[arg(long, value_name = "FILE")]
    pub store: PathBuf,
    /// Only findings with this triage status (default: all).
    #[arg(long, value_enum)]
    pub status: Option<StatusArg>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// A triage decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Decision {
    /// A real secret, acknowledged.
    Accept,
    /// Not a secret (false positive, test data).
    Reject,
    /// Withdraw an earlier decision.
    Reopen,
}

#[derive(Args, Debug)]
pub struct TriageArgs {
    /// The finding's fingerprint (16 hex digits, as printed with it).
    #[arg(value_name = "FINGERPRINT")]
    pub fingerprint: String,
    #[arg(value_enum)]
    pub decision: Decision,
    /// Why (kept with the decision).
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// The store holding the finding.
    #[arg(long, value_name = "FILE")]
    pub store: PathBuf,
}

#[derive(Args, Debug)]
pub struct StdinArgs {
    #[command(flatten)]
    pub rules: RuleArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub decode: DecodeArgs,
    #[command(flatten)]
    pub suppress: SuppressArgs,
    /// Path to show in findings for standard input.
    #[arg(long, default_value = "<stdin>")]
    pub label: String,
    /// Print scan statistics to stderr when done.
    #[arg(long)]
    pub stats: bool,
}

#[derive(Args, Debug)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub command: RulesCommand,
}

#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// List every loaded rule: id, confidence, name and prefilter keywords.
    List {
        #[command(flatten)]
        rules: RuleArgs,
        /// Output format: human table, JSON lines (`json` and `jsonl`), or a
        /// Markdown table per category (as in docs/rules-list.md).
        #[arg(long, value_enum, default_value_t = crate::cmd_rules::ListFormat::Human)]
        format: crate::cmd_rules::ListFormat,
        /// Print counts instead of the rules: rules, providers, and rules per
        /// category and per confidence.
        #[arg(long)]
        summary: bool,
    },
    /// Compile rules and run their examples and negative examples. Without
    /// FILEs, checks the built-in rules; otherwise each file's rules on
    /// their own. Exit status: 0 = all pass, 1 = failures, 2 = load error.
    Check {
        /// Rule files to check (default: the built-in rules).
        #[arg(value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Format of the FILEs.
        #[arg(long, value_enum, value_name = "FORMAT", default_value_t = RulesFormatArg::Auto)]
        rules_format: RulesFormatArg,
    },
}
