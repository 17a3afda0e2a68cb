//! # airlock-cli
//!
//! The `airlock` operator command line (`behaviour.md` §20): database migrations, the
//! configuration check, the audit log dump and its hash-chain verification, forced statuses,
//! requests from directories and the regular requests (OPS-1 to OPS-3), the upload and
//! notification queues with their retry (OPS-5), fixtures, and the status machine diagram.
//!
//! Layout: [`cli`] declares the arguments (clap), [`commands`] holds one module per
//! subcommand, [`context`] loads the configuration and opens the database for them.
//!
//! Exit codes: [`EXIT_OK`] on success, [`EXIT_FAILED`] when the command was refused or found a
//! fault, [`EXIT_USAGE`] for a usage error. Errors go to standard error; results go to standard
//! output, as human text or, with `--json`, as JSON.

pub mod cli;
pub mod command;
pub mod context;

use clap::Parser;
use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

/// Success.
pub const EXIT_OK: u8 = 0;
/// The command was refused, failed, or found a fault (e.g. a broken audit chain).
pub const EXIT_FAILED: u8 = 1;
/// The command line was wrong (clap's code for usage errors).
pub const EXIT_USAGE: u8 = 2;

/// Parses the arguments, runs the command and returns the process exit code.
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => return print_clap_error(&e),
    };
    init_logging();
    match command::dispatch(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => report(&e),
    }
}

/// Prints a clap error (or help and version, which clap reports as errors) with its code.
fn print_clap_error(e: &clap::Error) -> ExitCode {
    // Printing can only fail when the stream is closed; nothing is left to report then.
    let _ = e.print();
    ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { EXIT_OK })
}

/// Prints a command's error to standard error and picks the exit code.
fn report(e: &anyhow::Error) -> ExitCode {
    if let Some(clap_error) = e.downcast_ref::<clap::Error>() {
        return print_clap_error(clap_error);
    }
    // A closed standard output (`airlock audit | head`) is not a failure.
    if e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    }) {
        return ExitCode::from(EXIT_OK);
    }
    let _ = writeln!(std::io::stderr(), "error: {e:#}");
    ExitCode::from(EXIT_FAILED)
}

/// Logs to standard error; `RUST_LOG` sets the level (default `warn`).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .try_init();
}
