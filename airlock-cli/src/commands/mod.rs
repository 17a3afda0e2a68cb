//! One module per subcommand. Each `run` writes its result to `out` and returns the exit
//! code; an `Err` is reported by [`crate::run`] (exit 1, or 2 for a usage error).

pub mod audit;
pub mod check_config;
pub mod migrate;
pub mod statemachine;

use crate::cli::{AuditAction, Cli, Command};
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
        Command::Statemachine => statemachine::run(&mut out)?,
    };
    out.flush()?;
    Ok(code)
}
