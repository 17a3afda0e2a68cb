//! `change-request-status`: an operator forces an active request to REJECTED or WITHDRAWN
//! (OPS-1).

use crate::cli::{ChangeStatusArgs, ForcedStatus};
use crate::context::{load_config, open_store};
use crate::{EXIT_FAILED, EXIT_OK};
use airlock_core::Status;
use airlock_core::action::Action;
use airlock_store::db;
use airlock_store::store::Target;
use anyhow::{Context, bail};
use std::io::{BufRead, Write};
use std::path::Path;

/// Shows the request, asks for confirmation unless `--yes`, and forces the status.
pub fn run(
    config: Option<&Path>,
    args: &ChangeStatusArgs,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let config = load_config(config)?;
    let store = open_store(&config)?;
    let to = match args.status {
        ForcedStatus::Rejected => Status::Rejected,
        ForcedStatus::Withdrawn => Status::Withdrawn,
    };
    let request = {
        let mut conn = store
            .pool()
            .get()
            .context("cannot open a database connection")?;
        match db::load_request(&mut conn, &args.request_id)? {
            Some(request) => request,
            None => bail!("no request {:?}", args.request_id),
        }
    };
    let Some((user, _)) = store.user(&args.user)? else {
        bail!(
            "no user {:?} in the local user table (a user appears there once they have logged \
             in)",
            args.user
        );
    };
    if !args.yes {
        let mut err = std::io::stderr();
        write!(
            err,
            "Request {} in workspace {} by {} is {}. Move it to {} as {}? [y/N] ",
            request.id, request.workspace, request.author, request.status, to, args.user
        )?;
        err.flush()?;
        let mut answer = String::new();
        input.read_line(&mut answer)?;
        if !matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            writeln!(err, "Cancelled: nothing changed.")?;
            return Ok(EXIT_FAILED);
        }
    }
    store.automated().act(
        &user,
        Target::Request(&request.id),
        &Action::ForceStatus { to },
    )?;
    if args.json {
        let value = serde_json::json!({
            "request_id": request.id,
            "workspace": request.workspace,
            "from": request.status.as_str(),
            "to": to.as_str(),
            "user": args.user,
        });
        writeln!(out, "{value}")?;
    } else {
        writeln!(
            out,
            "Request {} moved from {} to {} by {} (automated action).",
            request.id, request.status, to, args.user
        )?;
    }
    Ok(EXIT_OK)
}
