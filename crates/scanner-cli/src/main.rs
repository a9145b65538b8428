//! `secretscan`: command-line front end of the scanner engine.
//!
//! One module per subcommand (`cmd_dir`, `cmd_stdin`, `cmd_rules`), argument
//! definitions in `args`, report formatting in `output`, stderr messages in
//! `diagnostics`, the configuration file in `config`, rule loading in
//! `load` and what the scanning commands share in `setup`. Walking, reading
//! and suppressing live in the `scanner-fs` crate. Exit codes: 0 no
//! findings, 1 findings, 2 error (bad arguments, or nothing scannable).

mod args;
mod cmd_dir;
mod cmd_git;
mod cmd_rules;
mod cmd_stdin;
mod config;
mod diagnostics;
mod findings_out;
mod load;
mod output;
mod setup;
mod store_io;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

/// Exit code when the scan completed and found nothing.
pub const EXIT_CLEAN: u8 = 0;
/// Exit code when the scan found at least one secret.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code for errors (bad flags, unreadable rule files, missing paths).
pub const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let long_version = format!(
        "{} (Vectorscan {})",
        env!("CARGO_PKG_VERSION"),
        scanner_engine::vectorscan_version()
    );
    // clap keeps version strings as `&'static str`; this one is built once.
    let long_version: &'static str = Box::leak(long_version.into_boxed_str());
    let command = args::Cli::command().long_version(long_version);
    let cli = match args::Cli::from_arg_matches(&command.get_matches()) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    let result = match cli.command {
        args::Command::Dir(a) => cmd_dir::run(&a),
        args::Command::Stdin(a) => cmd_stdin::run(&a),
        args::Command::Git(a) => cmd_git::run(&a),
        args::Command::Report(a) => store_io::report(&a),
        args::Command::Triage(a) => store_io::triage(&a),
        args::Command::Rules(a) => cmd_rules::run(&a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("secretscan: error: {message}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
