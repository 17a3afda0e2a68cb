//! The command line: global options and one subcommand per operator action (§20).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// `airlock`: operator commands for Airlock.
#[derive(Debug, Parser)]
#[command(
    name = "airlock",
    version,
    about = "Operator commands for Airlock, the output-release review service",
    long_about = "Operator commands for Airlock, the output-release review service \
        (behaviour.md §20).\n\n\
        Most commands read the configuration file given by --config or AIRLOCK_CONFIG \
        (behaviour.md §22). Any configuration key can be overridden by the environment variable \
        AIRLOCK_<KEY IN UPPER CASE>, e.g. AIRLOCK_DATABASE_URL.\n\n\
        Exit codes: 0 success; 1 refused, failed, or a fault was found; 2 usage error.",
    propagate_version = true
)]
pub struct Cli {
    /// The configuration file (TOML, behaviour.md §22).
    #[arg(
        long,
        short = 'c',
        global = true,
        env = "AIRLOCK_CONFIG",
        value_name = "FILE",
        long_help = "The configuration file (TOML, behaviour.md §22). Relative paths inside it \
            resolve against the working directory. Required by every command except \
            statemachine."
    )]
    pub config: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create or upgrade the database schema.
    #[command(long_about = "Create or upgrade the database schema.\n\n\
        Applies every pending embedded migration to the database named by database_url (SQLite \
        by default, or PostgreSQL), creating the directories the product writes (work_dir, \
        request_dir, repo_cache_dir, the SQLite file's directory) when missing. Running it again \
        changes nothing. Every other database command refuses to run on an unmigrated \
        database.")]
    Migrate(MigrateArgs),

    /// Validate the configuration and print the effective values.
    #[command(
        long_about = "Validate the configuration and print the effective values \
        (behaviour.md §22).\n\n\
        Reads the configuration file with its AIRLOCK_* environment overrides, checks every \
        value, and prints every key with its effective value and where it came from (the file, \
        an environment variable, or the default). Secrets (jobs_api_token, secret_key, a \
        database password) are redacted. An invalid configuration exits 1 with a message \
        naming the key."
    )]
    CheckConfig(CheckConfigArgs),

    /// Print the audit log, or verify its hash chain.
    #[command(
        long_about = "Print the audit log (AUD-7, OPS-4), or verify its hash chain \
        (`audit verify`, AUD-5).\n\n\
        Without a subcommand, prints the matching entries newest first, one per line:\n\
        <time to the second, UTC, ISO 8601> <TYPE> user=<u> workspace=<w> [request=<id>] \
        [path=<p>] [k=v ...] [hidden=True]\n\
        Filters combine with AND. Hidden entries are included. Control characters in values \
        are escaped so that each entry stays on one line."
    )]
    Audit(AuditArgs),

    /// Print the request status machine as a Mermaid diagram.
    #[command(
        long_about = "Print the request status machine (behaviour.md §4, ST-4) as a \
        Mermaid stateDiagram-v2, generated from the transition table the product enforces, \
        with the operator's forced changes (OPS-1) as a note. Needs no configuration."
    )]
    Statemachine,
}

/// Options of `migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Print the result as JSON.
    #[arg(
        long,
        long_help = "Print the result as JSON: {\"backend\": ..., \"applied\": [names]}."
    )]
    pub json: bool,
}

/// Options of `check-config`.
#[derive(Debug, Args)]
pub struct CheckConfigArgs {
    /// Print the effective configuration as JSON.
    #[arg(
        long,
        long_help = "Print the effective configuration as JSON: {\"file\", \"config\": {key: \
            value}, \"origins\": {key: origin}}; unset keys are null. An invalid configuration \
            prints {\"valid\": false, \"key\", \"error\"} and exits 1."
    )]
    pub json: bool,
}

/// `audit`: the dump's filters, or a subcommand.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AuditArgs {
    /// A subcommand instead of the dump.
    #[command(subcommand)]
    pub action: Option<AuditAction>,

    /// The dump's filters and format.
    #[command(flatten)]
    pub dump: AuditDumpArgs,
}

/// Filters and format of the audit dump (AUD-7).
#[derive(Debug, Args, Default)]
pub struct AuditDumpArgs {
    /// Only entries by this user.
    #[arg(long, short = 'u', value_name = "USERNAME")]
    pub user: Option<String>,

    /// Only entries about this workspace.
    #[arg(long, short = 'w', value_name = "WORKSPACE")]
    pub workspace: Option<String>,

    /// Only entries about this request.
    #[arg(long, short = 'r', value_name = "REQUEST_ID")]
    pub request: Option<String>,

    /// At most this many entries (the newest).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
    pub limit: Option<i64>,

    /// Print a JSON array of entries instead of lines.
    #[arg(
        long,
        long_help = "Print a JSON array of entries, newest first, instead of lines. Each entry \
            has id, type, user, workspace, request, path, extra, created_at (RFC 3339, \
            microseconds, UTC), hidden, prev_hash and hash."
    )]
    pub json: bool,
}

/// Subcommands of `audit`.
#[derive(Debug, Subcommand)]
pub enum AuditAction {
    /// Verify the audit log's hash chain.
    #[command(long_about = "Verify the audit log's hash chain (AUD-4, AUD-5).\n\n\
        Walks every entry in id order, streaming, and checks that each prev_hash is the \
        previous entry's hash, that each stored hash matches the one recomputed from the \
        entry's content, and that every hidden entry belongs to a request and turn that has a \
        REQUEST_EARLY_RETURN entry. Prints the number of entries checked and exits 0, or \
        prints the id of the first bad entry and the reason and exits 1.")]
    Verify(VerifyArgs),
}

/// Options of `audit verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Print the result as JSON.
    #[arg(
        long,
        long_help = "Print the result as JSON: {\"ok\": true, \"checked\": n}, or {\"ok\": \
            false, \"checked\": n, \"first_bad\": {\"id\", \"reason\"}}."
    )]
    pub json: bool,
}
