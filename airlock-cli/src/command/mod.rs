//! One module per subcommand. Each `run` writes its result to `out` and returns the exit
//! code; an `Err` is reported by [`crate::run`] (exit 1, or 2 for a usage error).

pub mod audit;
pub mod change_status;
pub mod check_config;
pub mod create_request;
pub mod fixtures;
pub mod migrate;
pub mod queue;
pub mod regular;
pub mod statemachine;

use crate::cli::{AuditAction, Cli, Command, FixturesCommand, RegularCommand, UploadsAction};
use std::io::Write;

/// Runs the parsed command, writing to standard output.
pub fn dispatch(cli: &Cli) -> anyhow::Result<u8> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let config = cli.config.as_deref();
    let code = match &cli.command {
        Command::Migrate(args) => migrate::run(config, args, &mut out)?,
        Command::CheckConfig(args) => check_config::run(config, args, &mut out)?,
        Command::Audit(args) => match &args.action {
            Some(AuditAction::Verify(verify)) => audit::verify(config, verify, &mut out)?,
            None => audit::dump(config, &args.dump, &mut out)?,
        },
        Command::ChangeRequestStatus(args) => {
            change_status::run(config, args, &mut std::io::stdin().lock(), &mut out)?
        }
        Command::CreateRequest(args) => create_request::run(config, args, &mut out)?,
        Command::ValidateRegularRequests(args) => regular::validate(config, args, &mut out)?,
        Command::RunRegularRequests(args) | Command::RegularRequests(RegularCommand::Run(args)) => {
            regular::run(config, args, &mut out)?
        }
        Command::RegularRequests(RegularCommand::Validate(args)) => {
            regular::validate(config, args, &mut out)?
        }
        Command::Uploads(args) => match &args.action {
            Some(UploadsAction::Retry(retry)) => queue::retry(config, retry, &mut out)?,
            None => queue::uploads(config, args, &mut out)?,
        },
        Command::Notifications(args) => queue::notifications(config, args, &mut out)?,
        Command::Fixtures(FixturesCommand::GenerateWorkspace(args)) => {
            fixtures::generate(args, &mut out)?
        }
        Command::Statemachine => statemachine::run(&mut out)?,
    };
    out.flush()?;
    Ok(code)
}
