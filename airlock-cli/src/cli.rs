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
            statemachine, fixtures, and validate-regular-requests (or regular-requests validate) \
            given a FILE."
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

    /// Force an active request to REJECTED or WITHDRAWN (OPS-1).
    #[command(
        name = "change-request-status",
        long_about = "Force an active request to REJECTED or WITHDRAWN (behaviour.md OPS-1).\n\n\
        The change is attributed to --user, who must be in the local user table (anyone who has \
        logged in), and marked as an automated action in the audit log; the Jobs site is \
        notified. Only an active (not final) request can be changed: a final one is refused with \
        invalid_transition and nothing changes. No new review turn starts. Asks for \
        confirmation on standard input unless --yes."
    )]
    ChangeRequestStatus(ChangeStatusArgs),

    /// Create or extend a request from workspace directories (OPS-2).
    #[command(
        name = "create-request",
        long_about = "Create or extend a request from workspace directories (behaviour.md \
        OPS-2).\n\n\
        Each directory becomes one file group, named after the directory with / replaced by -. \
        Every shown file of an allowed type under it is added as an OUTPUT file, except those \
        named by --supporting (added as SUPPORTING) and those already released (skipped); files \
        already on the request with older content are updated. The author is --username, or the \
        user of the most recently written output in the manifest; their record is fetched from \
        the Jobs site (its authorise endpoint), or read from the users file in test mode, and \
        saved. Context and controls, when given, are set on \
        every group of the request. With --submit, both are required, any file that cannot be \
        added fails the command, and the request is submitted. Every audit entry is marked as \
        an automated action.\n\n\
        Prints the result: completed, the request id and a message (\"Already released\" or \
        \"Already submitted\" when there was nothing to do). Exit code 0 when the command ran to \
        a result, 1 when it was refused or a file could not be added."
    )]
    CreateRequest(CreateRequestArgs),

    /// Check the regular-requests file and print it (OPS-3).
    #[command(
        name = "validate-regular-requests",
        long_about = "Check the regular-requests file and print its entries (behaviour.md \
        OPS-3).\n\n\
        Reads FILE, or the configured regular_requests_file. Each entry needs username (string \
        or null: null or \"\" takes the author from the manifest), workspace_name and dirs; \
        context, controls, supporting_files and submit are optional; unknown keys and wrong \
        types are errors, and submit: true needs non-empty context and controls. Prints every \
        problem with its entry number and field and exits 1, or prints the entries and exits 0."
    )]
    ValidateRegularRequests(ValidateRegularArgs),

    /// Regular release requests (OPS-3): run them now, or check the file.
    #[command(name = "regular-requests", subcommand)]
    RegularRequests(RegularCommand),

    /// List pending or stuck uploads, or retry a request's uploads (OPS-5).
    #[command(
        long_about = "List released files that are not uploaded yet, or retry them \
        (behaviour.md UPL-7, OPS-5).\n\n\
        Without a subcommand, lists every pending upload of an APPROVED request (request, path, \
        attempts, last error, last and next attempt time); with --stuck, only the stuck ones \
        (attempts >= upload_stuck_after), followed by APPROVED requests that have no released \
        file at all. `uploads retry <id>` makes the request's pending files due now; a running \
        worker (in airlock-web or airlock-uploader) picks them up within upload_poll_interval. \
        With --stuck, exits 1 when anything is stuck."
    )]
    Uploads(UploadsArgs),

    /// List undelivered or stuck notifications (OPS-5).
    #[command(
        long_about = "List notifications the worker has not delivered to the Jobs site yet \
        (behaviour.md NOT-5, OPS-5): id, request, event, acting user, attempts, last error and \
        next attempt time, oldest first. With --stuck, only those with at least \
        upload_stuck_after attempts, and exit 1 when there is one."
    )]
    Notifications(NotificationsArgs),

    /// Run every regular request now (OPS-3); the same as `regular-requests run`.
    #[command(
        name = "run-regular-requests",
        hide = true,
        long_about = "Run every entry of the regular-requests file now (behaviour.md OPS-3), \
        exactly as the daily job does: create-request for each valid entry, in order. One \
        entry's failure (an invalid entry, a refused action) does not stop the others. Prints \
        one result per entry and exits 1 if any entry failed."
    )]
    RunRegularRequests(RunRegularArgs),

    /// Developer fixtures: synthetic workspaces for benchmarks and demos.
    #[command(subcommand)]
    Fixtures(FixturesCommand),

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
    #[arg(long, short = 'w', value_name = "WORKSPACE", value_parser = workspace_name)]
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

/// The statuses an operator may force (OPS-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ForcedStatus {
    /// The request is rejected.
    #[value(name = "REJECTED")]
    Rejected,
    /// The request is withdrawn.
    #[value(name = "WITHDRAWN")]
    Withdrawn,
}

/// Options of `change-request-status`.
#[derive(Debug, Args)]
pub struct ChangeStatusArgs {
    /// The request id.
    #[arg(value_name = "REQUEST_ID")]
    pub request_id: String,

    /// The local user the change is attributed to.
    #[arg(long, short = 'u', value_name = "USERNAME")]
    pub user: String,

    /// The new status.
    #[arg(long, short = 's', value_enum, ignore_case = true)]
    pub status: ForcedStatus,

    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Print the result as JSON.
    #[arg(
        long,
        long_help = "Print the result as JSON: {\"request_id\", \"workspace\", \"from\", \"to\", \
            \"user\"}."
    )]
    pub json: bool,
}

/// Options of `create-request`, shared with the regular requests (OPS-2).
#[derive(Debug, Args)]
pub struct CreateRequestArgs {
    /// The workspace.
    #[arg(value_name = "WORKSPACE", value_parser = workspace_name)]
    pub workspace: String,

    /// The directories, one file group each.
    #[arg(value_name = "DIR", required = true)]
    pub dirs: Vec<String>,

    /// The author; default: the user of the most recently written output.
    #[arg(long, value_name = "USERNAME")]
    pub username: Option<String>,

    /// Context set on every group.
    #[arg(long, value_name = "TEXT")]
    pub context: Option<String>,

    /// Controls set on every group.
    #[arg(long, value_name = "TEXT")]
    pub controls: Option<String>,

    /// A file under the directories to add as SUPPORTING (repeatable).
    #[arg(long = "supporting", value_name = "PATH")]
    pub supporting: Vec<String>,

    /// Submit the request (needs --context and --controls).
    #[arg(long)]
    pub submit: bool,

    /// Print the result as JSON.
    #[arg(
        long,
        long_help = "Print the OPS-2 result as JSON: {\"completed\": bool, \"request_id\": \
            string or null, \"message\": string}."
    )]
    pub json: bool,
}

/// Options of `validate-regular-requests`.
#[derive(Debug, Args)]
pub struct ValidateRegularArgs {
    /// The file to check; default: the configured regular_requests_file.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// Print the result as JSON.
    #[arg(
        long,
        long_help = "Print the result as JSON: {\"valid\": true, \"entries\": [...]}, or \
            {\"valid\": false, \"errors\": [{\"entry\", \"workspace\", \"field\", \"problem\", \
            \"message\"}]}."
    )]
    pub json: bool,
}

/// Subcommands of `regular-requests`.
#[derive(Debug, Subcommand)]
pub enum RegularCommand {
    /// Run every regular request now (OPS-3), as the worker's daily run does.
    #[command(
        long_about = "Run every entry of the regular-requests file now (behaviour.md OPS-3), \
        exactly as the worker's daily run does (at regular_requests_time, UTC): create-request \
        for each valid entry, in order. One entry's failure (an invalid entry, a refused action, \
        a file that cannot be added) does not stop the others. Authors' records come from the \
        Jobs site (or the users file in test mode). Prints one result per entry and exits 1 if \
        any entry failed."
    )]
    Run(RunRegularArgs),
    /// Check the regular-requests file and print it; as `validate-regular-requests`.
    Validate(ValidateRegularArgs),
}

/// Options and subcommands of `uploads`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct UploadsArgs {
    /// A subcommand instead of the listing.
    #[command(subcommand)]
    pub action: Option<UploadsAction>,

    /// Only stuck files (attempts >= upload_stuck_after).
    #[arg(long)]
    pub stuck: bool,

    /// Print JSON.
    #[arg(
        long,
        long_help = "Print JSON: {\"files\": [{\"request_id\", \"workspace\", \"path\", \
            \"attempts\", \"last_error\", \"last_attempt_at\", \"next_attempt_at\"}], \
            \"requests_without_released_files\": [...]}."
    )]
    pub json: bool,
}

/// Subcommands of `uploads`.
#[derive(Debug, Subcommand)]
pub enum UploadsAction {
    /// Make a request's pending uploads due now (OPS-5).
    Retry(RetryArgs),
}

/// Options of `uploads retry`.
#[derive(Debug, Args)]
pub struct RetryArgs {
    /// The request id.
    pub request_id: String,
}

/// Options of `notifications`.
#[derive(Debug, Args)]
pub struct NotificationsArgs {
    /// Only stuck notifications (attempts >= upload_stuck_after).
    #[arg(long)]
    pub stuck: bool,

    /// Print JSON: an array of {"id", "request_id", "event_type", "user", "attempts",
    /// "last_error", "created_at", "next_attempt_at"}.
    #[arg(long)]
    pub json: bool,
}

/// Options of `regular-requests run` (and its older name `run-regular-requests`).
#[derive(Debug, Args)]
pub struct RunRegularArgs {
    /// Print the results as JSON.
    #[arg(
        long,
        long_help = "Print a JSON array with one object per entry: {\"entry\", \"workspace\", \
            \"completed\", \"request_id\", \"message\", \"failed\"}; a failed entry has \
            failed true and the error as its message."
    )]
    pub json: bool,
}

/// Subcommands of `fixtures`.
#[derive(Debug, Subcommand)]
pub enum FixturesCommand {
    /// Write a synthetic workspace with a valid manifest.
    #[command(
        name = "generate-workspace",
        long_about = "Write a synthetic workspace with a valid manifest (workspace-format.md), \
        for benchmarks and demos.\n\n\
        Writes DIR/NAME with --outputs manifest entries spread over output/groupNN/setNN/ \
        directories of 100 files: CSV tables, PNG, HTML and text files, a few of a refused type, \
        about 1% highly sensitive (listed, not on disk), 0.3% excluded (a message file only) and \
        2% out of date, plus job logs under metadata/. The same --seed writes the same bytes. \
        Needs no configuration."
    )]
    GenerateWorkspace(GenerateWorkspaceArgs),
}

/// Options of `fixtures generate-workspace`.
#[derive(Debug, Args)]
pub struct GenerateWorkspaceArgs {
    /// The directory that holds workspaces (created if missing).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    /// The workspace name.
    #[arg(long, default_value = "synthetic", value_parser = workspace_name)]
    pub name: String,

    /// Number of manifest outputs.
    #[arg(long, default_value_t = 10_000)]
    pub outputs: usize,

    /// Seed of the generator.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Print the result as JSON.
    #[arg(
        long,
        long_help = "Print the result as JSON: {\"workspace\", \"dir\", \"outputs\", \"shown\", \
            \"logs\"}."
    )]
    pub json: bool,
}

/// FMT-1: a workspace name is one path segment (a usage error otherwise).
fn workspace_name(name: &str) -> Result<String, String> {
    airlock_core::workspace::validate_workspace_name(name)
        .map(str::to_string)
        .map_err(|_| {
            "a workspace name is one path segment: not empty, not starting with '.', without \
             '/', '\\' or control characters"
                .to_string()
        })
}
