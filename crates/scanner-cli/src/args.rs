//! Command-line arguments (clap derive). Help texts here are the user's
//! documentation of every flag; keep them precise.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    /// Scan files and directories (recursively; .gitignore is respected).
    Dir(DirArgs),
    /// Scan standard input.
    Stdin(StdinArgs),
    /// Inspect the rule set.
    Rules(RulesArgs),
}

/// Output format of findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One block per finding: path:line:column, rule, redacted secret.
    Human,
    /// A JSON array of finding objects.
    Json,
    /// One JSON object per line.
    Jsonl,
}

#[derive(Args, Debug, Clone)]
pub struct RuleArgs {
    /// Add the rules in this TOML rule file (repeatable). See docs/rules.md.
    #[arg(long = "rules", value_name = "FILE")]
    pub rule_files: Vec<PathBuf>,
    /// Do not load the built-in rules (use only --rules files).
    #[arg(long)]
    pub no_builtin_rules: bool,
}

#[derive(Args, Debug, Clone)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Print secrets in full in human output (they are redacted by default).
    #[arg(long)]
    pub show_secrets: bool,
    /// Redact secrets in JSON output too (JSON shows them in full by default).
    #[arg(long)]
    pub redact: bool,
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
    /// Skip files larger than this many bytes (they are counted and reported).
    /// Files are read whole, so this also bounds memory per file.
    #[arg(long, value_name = "BYTES", default_value_t = 256 * 1024 * 1024)]
    pub max_file_size: u64,
    /// Also scan files ignored by .gitignore, .ignore and git excludes.
    #[arg(long)]
    pub no_ignore: bool,
    /// Also scan files that look binary (a NUL byte in the first 8 KiB and
    /// no UTF-16 byte-order mark).
    #[arg(long)]
    pub scan_binary: bool,
    /// Print scan statistics to stderr when done.
    #[arg(long)]
    pub stats: bool,
}

#[derive(Args, Debug)]
pub struct StdinArgs {
    #[command(flatten)]
    pub rules: RuleArgs,
    #[command(flatten)]
    pub output: OutputArgs,
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
    /// List every loaded rule: id, name and prefilter keywords.
    List {
        #[command(flatten)]
        rules: RuleArgs,
        /// Output format (human table or JSON lines).
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
}
