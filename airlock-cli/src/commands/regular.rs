//! `validate-regular-requests` and `run-regular-requests` (OPS-3).

use crate::cli::{RunRegularArgs, ValidateRegularArgs};
use crate::commands::create_request::create;
use crate::context::{load_config, open_store};
use crate::{EXIT_FAILED, EXIT_OK};
use airlock_core::regular::{RegularError, RegularRequest, parse_entries, parse_regular_requests};
use airlock_store::ops::DirRequest;
use anyhow::Context;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Reads the file named on the command line, or the configured one.
fn read_file(config: Option<&Path>, file: Option<&Path>) -> anyhow::Result<(PathBuf, Vec<u8>)> {
    let path = match file {
        Some(path) => path.to_path_buf(),
        None => load_config(config)?.regular_requests_file,
    };
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok((path, bytes))
}

/// Checks the file; prints the entries (exit 0) or every problem (exit 1).
pub fn validate(
    config: Option<&Path>,
    args: &ValidateRegularArgs,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let (path, bytes) = read_file(config, args.file.as_deref())?;
    match parse_regular_requests(&bytes) {
        Ok(entries) if args.json => {
            writeln!(out, "{}", json!({"valid": true, "entries": entries}))?;
            Ok(EXIT_OK)
        }
        Ok(entries) => {
            writeln!(
                out,
                "{} is valid: {} regular request(s).",
                path.display(),
                entries.len()
            )?;
            for (i, entry) in entries.iter().enumerate() {
                print_entry(i + 1, entry, out)?;
            }
            Ok(EXIT_OK)
        }
        Err(errors) if args.json => {
            writeln!(out, "{}", json!({"valid": false, "errors": errors}))?;
            Ok(EXIT_FAILED)
        }
        Err(errors) => {
            print_errors(&path, &errors)?;
            Ok(EXIT_FAILED)
        }
    }
}

fn print_errors(path: &Path, errors: &[RegularError]) -> std::io::Result<()> {
    let mut err = std::io::stderr().lock();
    writeln!(err, "{} is invalid:", path.display())?;
    for e in errors {
        writeln!(err, "  {e} [{}]", e.problem.as_str())?;
    }
    Ok(())
}

fn print_entry(number: usize, entry: &RegularRequest, out: &mut dyn Write) -> std::io::Result<()> {
    let author = entry
        .effective_username()
        .unwrap_or("(the user of the latest output)");
    writeln!(
        out,
        "{number}. workspace {}, author {author}",
        entry.workspace_name
    )?;
    writeln!(out, "   dirs: {}", entry.dirs.join(", "))?;
    if !entry.supporting_files.is_empty() {
        writeln!(out, "   supporting: {}", entry.supporting_files.join(", "))?;
    }
    let or_none = |s: &str| {
        if s.is_empty() {
            "(none)".to_string()
        } else {
            s.to_string()
        }
    };
    writeln!(out, "   context: {}", or_none(&entry.context))?;
    writeln!(out, "   controls: {}", or_none(&entry.controls))?;
    writeln!(
        out,
        "   submit: {}",
        if entry.submit { "yes" } else { "no" }
    )?;
    Ok(())
}

/// Runs OPS-2 for every entry; an entry's failure does not stop the others.
pub fn run(
    config: Option<&Path>,
    args: &RunRegularArgs,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let loaded = load_config(config)?;
    let (_, bytes) = read_file(config, Some(&loaded.regular_requests_file))?;
    let entries = parse_entries(&bytes).map_err(|e| anyhow::anyhow!("{e}"))?;
    let store = open_store(&loaded)?;
    let mut results = Vec::with_capacity(entries.len());
    let mut failed = false;
    for (i, entry) in entries.into_iter().enumerate() {
        let (workspace, outcome) = match entry {
            Err(errors) => (
                errors.iter().find_map(|e| e.workspace.clone()),
                Err(errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")),
            ),
            Ok(entry) => {
                let spec = DirRequest {
                    dirs: entry.dirs.clone(),
                    supporting: entry.supporting_files.clone(),
                    context: Some(entry.context.clone()).filter(|c| !c.is_empty()),
                    controls: Some(entry.controls.clone()).filter(|c| !c.is_empty()),
                    submit: entry.submit,
                };
                let username = entry.effective_username();
                let outcome = create(&loaded, &store, &entry.workspace_name, username, &spec)
                    .map_err(|e| format!("{e:#}"));
                (Some(entry.workspace_name), outcome)
            }
        };
        let (completed, request_id, message) = match outcome {
            Ok(report) => {
                failed |= report.failures().next().is_some();
                (report.completed, report.request_id, report.message)
            }
            Err(message) => {
                failed = true;
                (false, None, message)
            }
        };
        results.push(
            json!({"entry": i + 1, "workspace": workspace, "completed": completed,
                            "request_id": request_id, "message": message}),
        );
    }
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &results)?;
        writeln!(out)?;
    } else {
        for r in &results {
            let request = r["request_id"].as_str().unwrap_or("-");
            let status = if r["completed"] == true {
                "ok"
            } else {
                "not completed"
            };
            writeln!(
                out,
                "entry {}: {status}: request {request}: {}",
                r["entry"],
                r["message"].as_str().unwrap_or_default()
            )?;
        }
    }
    Ok(if failed { EXIT_FAILED } else { EXIT_OK })
}
