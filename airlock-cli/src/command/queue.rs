//! `uploads` and `notifications` (OPS-5): what the worker has not delivered yet, and the retry.

use crate::cli::{NotificationsArgs, RetryArgs, UploadsArgs};
use crate::context::{load_config, open_store};
use crate::{EXIT_FAILED, EXIT_OK};
use airlock_core::Timestamp;
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;

fn time(t: Option<Timestamp>) -> String {
    t.map_or_else(
        || "-".to_string(),
        |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}

fn json_time(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| Value::from(t.to_rfc3339()))
}

/// One line per entry: the text with control characters escaped.
fn one_line(text: &str) -> String {
    text.chars().flat_map(char::escape_debug).collect()
}

/// `uploads [--stuck]`: pending (or stuck) uploads and, with `--stuck`, APPROVED requests with
/// no released file.
pub fn uploads(
    config: Option<&Path>,
    args: &UploadsArgs,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let config = load_config(config)?;
    let store = open_store(&config)?;
    let files = if args.stuck {
        store.stuck_uploads()?
    } else {
        store.pending_uploads()?
    };
    let without = store.approved_without_released()?;
    if args.json {
        let files: Vec<Value> = files
            .iter()
            .map(|f| {
                json!({"request_id": f.request_id, "workspace": f.workspace, "path": f.relpath,
                       "attempts": f.attempts, "last_error": f.last_error,
                       "last_attempt_at": json_time(f.last_attempt_at),
                       "next_attempt_at": json_time(f.next_attempt_at)})
            })
            .collect();
        writeln!(
            out,
            "{}",
            json!({"files": files, "requests_without_released_files": without})
        )?;
    } else {
        let what = if args.stuck { "stuck" } else { "pending" };
        if files.is_empty() {
            writeln!(out, "No {what} uploads.")?;
        }
        for f in &files {
            writeln!(
                out,
                "{} {} attempts={} last_attempt={} next_attempt={} error={}",
                f.request_id,
                one_line(&f.relpath),
                f.attempts,
                time(f.last_attempt_at),
                time(f.next_attempt_at),
                one_line(f.last_error.as_deref().unwrap_or("-"))
            )?;
        }
        for id in &without {
            writeln!(out, "{id} is APPROVED but has no released file")?;
        }
    }
    let stuck = args.stuck && !(files.is_empty() && without.is_empty());
    Ok(if stuck { EXIT_FAILED } else { EXIT_OK })
}

/// `uploads retry <id>`: the request's pending files are due now.
pub fn retry(config: Option<&Path>, args: &RetryArgs, out: &mut dyn Write) -> anyhow::Result<u8> {
    let config = load_config(config)?;
    let store = open_store(&config)?;
    let n = store.retry_uploads(&args.request_id)?;
    writeln!(
        out,
        "{n} pending file(s) of request {} are due now.",
        args.request_id
    )?;
    Ok(EXIT_OK)
}

/// `notifications [--stuck]`: undelivered (or stuck) notifications, oldest first.
pub fn notifications(
    config: Option<&Path>,
    args: &NotificationsArgs,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let config = load_config(config)?;
    let store = open_store(&config)?;
    let entries = if args.stuck {
        store.stuck_notifications()?
    } else {
        store.undelivered_notifications()?
    };
    if args.json {
        let rows: Vec<Value> = entries
            .iter()
            .map(|e| {
                json!({"id": e.id, "request_id": e.request_id, "event_type": e.event_type,
                       "user": e.username, "attempts": e.attempts, "last_error": e.last_error,
                       "created_at": json_time(Some(e.created_at)),
                       "next_attempt_at": json_time(e.next_attempt_at)})
            })
            .collect();
        writeln!(out, "{}", Value::from(rows))?;
    } else {
        if entries.is_empty() {
            let what = if args.stuck { "stuck" } else { "undelivered" };
            writeln!(out, "No {what} notifications.")?;
        }
        for e in &entries {
            writeln!(
                out,
                "{} {} {} user={} attempts={} created={} next_attempt={} error={}",
                e.id,
                e.request_id,
                e.event_type,
                e.username,
                e.attempts,
                time(Some(e.created_at)),
                time(e.next_attempt_at),
                one_line(e.last_error.as_deref().unwrap_or("-"))
            )?;
        }
    }
    Ok(if args.stuck && !entries.is_empty() {
        EXIT_FAILED
    } else {
        EXIT_OK
    })
}
