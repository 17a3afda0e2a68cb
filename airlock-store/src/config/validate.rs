//! Validation: every key's own check (from its kind in the table), then the rules between keys.

use super::kind::{Kind, PORTS};
use super::{Config, ConfigError, KEYS};
use crate::db::pool::Target;
use airlock_core::users_file::{UsersFile, parse_users_file};
use std::path::Path;

impl Config {
    /// Checks every value and every rule between values (the file loaders call this).
    pub fn validate(&self) -> Result<(), ConfigError> {
        for key in KEYS {
            key.kind
                .check(self, key.name)
                .map_err(|message| self.invalid(key.name, message))?;
        }
        for rule in RULES {
            rule(self).map_err(|(key, message)| self.invalid(key, message))?;
        }
        Ok(())
    }
}

impl Kind {
    /// The value's own check; `name` is the key, for messages.
    fn check(&self, config: &Config, name: &str) -> Result<(), String> {
        match self {
            Kind::Count(f, range) => range
                .check(i64::try_from(*(f.get)(config)).unwrap_or(i64::MAX))
                .map(drop),
            Kind::Int(f, range) => range.check(*(f.get)(config)).map(drop),
            Kind::Port(f) => PORTS.check(i64::from(*(f.get)(config))).map(drop),
            Kind::Seconds(f) if (f.get)(config).is_zero() => {
                Err("must be a positive number of seconds".into())
            }
            Kind::Seconds(_) => Ok(()),
            Kind::Fraction(f) => match *(f.get)(config) {
                v if (0.0..=1.0).contains(&v) => Ok(()),
                v => Err(format!("must be between 0 and 1, got {v}")),
            },
            Kind::Dir(f) => must_be_dir(name, (f.get)(config), false),
            Kind::InputDir(f) => must_be_dir(name, (f.get)(config), true),
            Kind::File(f) => match (f.get)(config) {
                path if path.is_dir() => {
                    Err(format!("{} is a directory, not a file", path.display()))
                }
                _ => Ok(()),
            },
            Kind::OptFile(_) | Kind::Ip(_) | Kind::TimeOfDay(_) => Ok(()),
            Kind::Database(f) => {
                let url = (f.get)(config);
                Target::parse(url.as_str()).map_err(|e| e.to_string())?;
                match url.sqlite_path() {
                    Some(path) if path.is_dir() => Err(format!(
                        "{} is a directory, not a SQLite file",
                        path.display()
                    )),
                    _ => Ok(()),
                }
            }
            Kind::Url(f) => check_http_url((f.get)(config)),
            Kind::Name(f, check) => check((f.get)(config)),
            Kind::OptName(f, check) => (f.get)(config).as_deref().map_or(Ok(()), check),
            Kind::Secret(f, check) => (f.get)(config)
                .as_ref()
                .map_or(Ok(()), |s| check(s.expose())),
        }
    }
}

/// A rule between keys: the key to blame and why.
type Rule = fn(&Config) -> Result<(), (&'static str, String)>;

/// The rules between keys, in the order they are checked.
const RULES: &[Rule] = &[
    token_or_users_file,
    org_and_repo_together,
    grace_covers_refresh,
    backoff_cap_covers_base,
];

/// API-8: a Jobs site token, or a users file for test mode that exists and parses (API-31).
fn token_or_users_file(c: &Config) -> Result<(), (&'static str, String)> {
    let blame = |m: String| Err(("dev_users_file", m));
    match (&c.jobs_api_token, &c.dev_users_file) {
        (None, None) => blame(
            "neither jobs_api_token nor dev_users_file is set: set the token, or a users file \
             for test mode (API-8)"
                .into(),
        ),
        (None, Some(file)) if !file.is_file() => blame(format!(
            "{} does not exist or is not a file",
            file.display()
        )),
        (None, Some(file)) => load_users_file(file).map(drop).or_else(blame),
        _ => Ok(()),
    }
}

/// The output-checking org and repo are set together or not at all.
fn org_and_repo_together(c: &Config) -> Result<(), (&'static str, String)> {
    match (&c.output_checking_org, &c.output_checking_repo) {
        (Some(_), None) => Err((
            "output_checking_repo",
            "must be set when output_checking_org is set (both or neither)".into(),
        )),
        (None, Some(_)) => Err((
            "output_checking_org",
            "must be set when output_checking_repo is set (both or neither)".into(),
        )),
        _ => Ok(()),
    }
}

/// AUTH-8: the grace period is at least the refresh interval.
fn grace_covers_refresh(c: &Config) -> Result<(), (&'static str, String)> {
    if c.authz_grace_period >= c.authz_refresh_interval {
        return Ok(());
    }
    Err((
        "authz_grace_period",
        format!(
            "must be at least authz_refresh_interval ({} s), got {} s (AUTH-8)",
            c.authz_refresh_interval.as_secs_f64(),
            c.authz_grace_period.as_secs_f64()
        ),
    ))
}

/// UPL-4: the longest retry delay is at least the first.
fn backoff_cap_covers_base(c: &Config) -> Result<(), (&'static str, String)> {
    if c.upload_backoff_cap >= c.upload_backoff_base {
        return Ok(());
    }
    Err((
        "upload_backoff_cap",
        format!(
            "must be at least upload_backoff_base ({} s), got {} s",
            c.upload_backoff_base.as_secs_f64(),
            c.upload_backoff_cap.as_secs_f64()
        ),
    ))
}

/// A directory key: when `must_exist`, it must be an existing directory; otherwise it must
/// not be something other than a directory.
fn must_be_dir(key: &str, path: &Path, must_exist: bool) -> Result<(), String> {
    if path.is_dir() {
        Ok(())
    } else if path.exists() {
        Err(format!("{} is not a directory", path.display()))
    } else if must_exist {
        Err(format!(
            "directory {} does not exist ({key} must be created by the job runner)",
            path.display()
        ))
    } else {
        Ok(())
    }
}

/// An absolute `http://` or `https://` URL with a host, no query or fragment and no trailing
/// `/`.
fn check_http_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("{url:?} is not an http:// or https:// URL"))?;
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() || host.starts_with(':') || host.contains('@') {
        return Err(format!("{url:?} has no host"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) || url.contains(['?', '#']) {
        return Err(format!(
            "{url:?} is not a plain URL (no spaces, query or fragment)"
        ));
    }
    if url.ends_with('/') {
        return Err("must not end with /".into());
    }
    Ok(())
}

/// Letters, digits and the given punctuation; not empty.
fn is_slug(value: &str, extra: &[char]) -> bool {
    !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(&c))
}

/// The backend: a slug of letters, digits, `-` and `_`.
pub(crate) fn backend_slug(value: &str) -> Result<(), String> {
    if is_slug(value, &['-', '_']) {
        Ok(())
    } else {
        Err(format!(
            "{value:?} is not a slug (letters, digits, - and _)"
        ))
    }
}

/// A GitHub org or repo name: letters, digits, `-`, `_` and `.`.
pub(crate) fn github_name(value: &str) -> Result<(), String> {
    if is_slug(value, &['-', '_', '.']) {
        Ok(())
    } else {
        Err(format!("{value:?} is not a GitHub name"))
    }
}

/// PG-10: an `http://` or `https://` URL without query or fragment (`public_url`).
pub(crate) fn http_url(value: &str) -> Result<(), String> {
    check_http_url(value.trim_end_matches('/'))
}

/// Not only spaces.
pub(crate) fn not_blank(value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        Err("must not be blank".into())
    } else {
        Ok(())
    }
}

/// Reads and checks a test-mode users file (API-31); the message names the file and every
/// problem. The file is small configuration, read whole.
pub fn load_users_file(path: &Path) -> Result<UsersFile, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse_users_file(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}
