//! `check-config`: validates the configuration and prints the effective values (§22).

use crate::cli::CheckConfigArgs;
use crate::context::config_path;
use crate::{EXIT_FAILED, EXIT_OK};
use airlock_store::config::{Config, ConfigEntry, Origin};
use std::io::Write;
use std::path::Path;

/// Loads the configuration; prints it, or the reason it is refused (exit 1).
pub fn run(
    config: Option<&Path>,
    args: &CheckConfigArgs,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let path = config_path(config)?;
    let config = match Config::load(path) {
        Ok(config) => config,
        Err(e) if args.json => {
            let value = serde_json::json!({"valid": false, "key": e.key(), "error": e.to_string()});
            serde_json::to_writer_pretty(&mut *out, &value)?;
            writeln!(out)?;
            writeln!(std::io::stderr(), "error: {e}")?;
            return Ok(EXIT_FAILED);
        }
        Err(e) => return Err(e.into()),
    };
    let entries = config.entries();
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &as_json(path, &entries))?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "# Valid configuration from {}. Secrets are redacted.",
            path.display()
        )?;
        for entry in &entries {
            writeln!(out, "{}", human_line(entry))?;
        }
    }
    Ok(EXIT_OK)
}

/// `{"file", "config": {key: value}, "origins": {key: origin}}`.
fn as_json(path: &Path, entries: &[ConfigEntry]) -> serde_json::Value {
    let config: serde_json::Map<String, serde_json::Value> = entries
        .iter()
        .map(|e| (e.key.to_string(), e.value.clone()))
        .collect();
    let origins: serde_json::Map<String, serde_json::Value> = entries
        .iter()
        .map(|e| (e.key.to_string(), origin_label(&e.origin).into()))
        .collect();
    serde_json::json!({
        "file": path.to_string_lossy(),
        "config": config,
        "origins": origins,
    })
}

/// `file`, `default`, `env:AIRLOCK_X` or `code`.
fn origin_label(origin: &Origin) -> String {
    match origin {
        Origin::File(_) => "file".to_string(),
        Origin::Default => "default".to_string(),
        Origin::Env(var) => format!("env:{var}"),
        Origin::Code => "code".to_string(),
    }
}

/// A TOML line, with a comment naming the origin unless the value is from the file.
fn human_line(entry: &ConfigEntry) -> String {
    let Some(value) = toml_value(&entry.value) else {
        return format!("# {} is not set", entry.key);
    };
    match &entry.origin {
        Origin::File(_) => format!("{} = {value}", entry.key),
        Origin::Env(var) => format!("{} = {value}  # from {var}", entry.key),
        other => format!("{} = {value}  # {}", entry.key, origin_label(other)),
    }
}

/// The TOML spelling of a displayed value; `None` for an unset (null) one.
fn toml_value(value: &serde_json::Value) -> Option<toml::Value> {
    match value {
        serde_json::Value::Null => None,
        serde_json::Value::Bool(b) => Some(toml::Value::Boolean(*b)),
        serde_json::Value::Number(n) => Some(match n.as_i64() {
            Some(i) => toml::Value::Integer(i),
            None => toml::Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        }),
        serde_json::Value::String(s) => Some(toml::Value::String(s.clone())),
        other => Some(toml::Value::String(other.to_string())),
    }
}
