//! `create-request` (OPS-2): create or extend a request from workspace directories.

use crate::cli::CreateRequestArgs;
use crate::context::{load_config, open_store};
use crate::{EXIT_FAILED, EXIT_OK};
use airlock_core::action::DirFileAction;
use airlock_store::auth::Directory;
use airlock_store::store::{DirReport, DirRequest};
use std::io::Write;
use std::path::Path;

/// Runs OPS-2 and prints its result.
pub fn run(
    config: Option<&Path>,
    args: &CreateRequestArgs,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let config = load_config(config)?;
    let store = open_store(&config)?;
    let spec = DirRequest {
        dirs: args.dirs.clone(),
        supporting: args.supporting.clone(),
        context: args.context.clone(),
        controls: args.controls.clone(),
        submit: args.submit,
    };
    let directory = Directory::from_config(&config)?;
    let report =
        store.create_request_for(&directory, &args.workspace, args.username.as_deref(), &spec)?;
    if args.json {
        writeln!(out, "{}", serde_json::to_string(&report)?)?;
    } else {
        print_report(&report, out)?;
    }
    Ok(match report.failures().next() {
        Some(_) => EXIT_FAILED,
        None => EXIT_OK,
    })
}

/// The human form: the result, then one line per file.
fn print_report(report: &DirReport, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "{}", report.message)?;
    for (path, result) in &report.files {
        match result {
            Ok(DirFileAction::Add) => writeln!(out, "  added      {path}")?,
            Ok(DirFileAction::Update) => writeln!(out, "  updated    {path}")?,
            Err(e) => writeln!(out, "  failed     {path}: {e}")?,
        }
    }
    for path in &report.unchanged {
        writeln!(out, "  unchanged  {path}")?;
    }
    for path in &report.released {
        writeln!(out, "  released   {path} (skipped)")?;
    }
    Ok(())
}
