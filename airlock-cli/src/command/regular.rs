//! `regular-requests validate|run` (also `validate-regular-requests`, `run-regular-requests`),
//! OPS-3.

use crate::cli::{RunRegularArgs, ValidateRegularArgs};
use crate::context::{load_config, open_store};
use crate::{EXIT_FAILED, EXIT_OK};
use airlock_core::regular::{RegularError, RegularRequest, parse_regular_requests};
use airlock_store::auth::Directory;
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
    let store = open_store(&loaded)?;
    let directory = Directory::from_config(&loaded)?;
    let results = store
        .run_regular_requests(&directory, &bytes)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &results)?;
        writeln!(out)?;
    } else {
        for r in &results {
            let status = if r.failed {
                "failed"
            } else if r.completed {
                "ok"
            } else {
                "not completed"
            };
            writeln!(
                out,
                "entry {}: {status}: request {}: {}",
                r.entry,
                r.request_id.as_deref().unwrap_or("-"),
                r.message
            )?;
        }
    }
    Ok(if results.iter().any(|r| r.failed) {
        EXIT_FAILED
    } else {
        EXIT_OK
    })
}
