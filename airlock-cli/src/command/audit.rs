//! `audit`: the audit log dump (AUD-7) and `audit verify` (AUD-5).

use crate::cli::{AuditDumpArgs, VerifyArgs};
use crate::context::{load_config, open_database};
use crate::{EXIT_FAILED, EXIT_OK};
use airlock_core::audit::{AuditEntry, AuditType};
use airlock_core::chain::ChainVerifier;
use airlock_store::db::{self, AuditFilter};
use std::fmt::Write as _;
use std::io::Write;
use std::ops::ControlFlow;
use std::path::Path;

/// Rows read per query while verifying.
pub const VERIFY_BATCH: i64 = 1000;

/// Prints the matching entries, newest first (AUD-7).
pub fn dump(
    config: Option<&Path>,
    args: &AuditDumpArgs,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let config = load_config(config)?;
    let mut conn = open_database(&config)?;
    let filter = AuditFilter {
        user: args.user.clone(),
        workspace: args.workspace.clone(),
        request: args.request.clone(),
        limit: args.limit,
        after_id: None,
    };
    let entries = db::audit_entries(&mut conn, filter)?;
    if args.json {
        let list: Vec<serde_json::Value> = entries.iter().map(entry_json).collect();
        serde_json::to_writer_pretty(&mut *out, &list)?;
        writeln!(out)?;
    } else {
        for entry in &entries {
            writeln!(out, "{}", format_line(entry))?;
        }
    }
    Ok(EXIT_OK)
}

/// One dump line (AUD-7): `<created_at to the second> <TYPE padded> user=<u> workspace=<w>
/// [request=<id>] [path=<p>] [k=v ...] [hidden=True]`. Extra keys come in key order; control
/// characters in values are escaped so that the entry stays on one line.
pub fn format_line(entry: &AuditEntry) -> String {
    let e = &entry.entry;
    let width = AuditType::longest_name();
    let mut line = format!(
        "{} {:<width$} user={} workspace={}",
        e.created_at.format("%Y-%m-%dT%H:%M:%S"),
        e.kind.as_str(),
        one_line(&e.user),
        one_line(&e.workspace),
    );
    if let Some(request) = &e.request {
        let _ = write!(line, " request={}", one_line(request));
    }
    if let Some(path) = &e.path {
        let _ = write!(line, " path={}", one_line(path));
    }
    for (key, value) in &e.extra {
        let _ = write!(line, " {}={}", one_line(key), one_line(value));
    }
    if entry.hidden {
        line.push_str(" hidden=True");
    }
    line
}

/// The text with control characters escaped (`\n`, `\t`, `\u{1b}`, ...).
fn one_line(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// An entry as JSON, every stored field.
pub fn entry_json(entry: &AuditEntry) -> serde_json::Value {
    let e = &entry.entry;
    serde_json::json!({
        "id": entry.id,
        "type": e.kind.as_str(),
        "user": e.user,
        "workspace": e.workspace,
        "request": e.request,
        "path": e.path,
        "extra": e.extra,
        "created_at": e.created_at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        "hidden": entry.hidden,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    })
}

/// Walks the whole chain in id order (AUD-5); exit 0 when intact, 1 at the first bad entry.
pub fn verify(config: Option<&Path>, args: &VerifyArgs, out: &mut dyn Write) -> anyhow::Result<u8> {
    let config = load_config(config)?;
    let mut conn = open_database(&config)?;
    let mut verifier = ChainVerifier::new();
    db::for_each_audit_entry(&mut conn, VERIFY_BATCH, |entry| {
        if verifier.push(entry) {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(())
        }
    })?;
    let checked = verifier.checked();
    match verifier.finish() {
        Ok(checked) => {
            if args.json {
                writeln!(
                    out,
                    "{}",
                    serde_json::json!({"ok": true, "checked": checked})
                )?;
            } else {
                writeln!(
                    out,
                    "OK: {checked} audit {} checked; the hash chain is intact.",
                    plural(checked)
                )?;
            }
            Ok(EXIT_OK)
        }
        Err(bad) => {
            if args.json {
                let value = serde_json::json!({
                    "ok": false,
                    "checked": checked,
                    "first_bad": {"id": bad.id, "reason": bad.fault.to_string()},
                });
                writeln!(out, "{value}")?;
            } else {
                writeln!(
                    out,
                    "FAILED: the first bad entry is {}: {} ({checked} {} checked).",
                    bad.id,
                    bad.fault,
                    plural(checked)
                )?;
            }
            Ok(EXIT_FAILED)
        }
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "entry" } else { "entries" }
}
