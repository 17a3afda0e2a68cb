//! The configuration (`behaviour.md` §22, `workspace-format.md` §1, `api.md` §5).
//!
//! One TOML file of flat `key = value` pairs. Every key may be overridden by the environment
//! variable `AIRLOCK_<KEY IN UPPER CASE>` (e.g. `AIRLOCK_REQUIRED_REVIEWS=3`); an empty variable
//! overrides nothing. Unknown keys, wrong types and impossible values are refused with a
//! [`ConfigError`] that names the key and where its value came from (the file or the variable).
//!
//! Relative paths (in the file or the environment) resolve against a base directory: the
//! process's working directory for [`Config::load`] and [`Config::load_with_env`] (`api.md` §5),
//! or the one passed to [`Config::from_toml`]. Every duration is a number of seconds, written as
//! a TOML integer or float.
//!
//! Loading has no side effects. [`Config::create_dirs`] creates the directories the product
//! writes (`work_dir`, `request_dir`, `repo_cache_dir`, the SQLite file's directory);
//! `workspace_dir` (written by the job runner) and the users file must already exist.

use crate::db::pool::Target;
use airlock_core::Rules;
use airlock_core::users_file::{UsersFile, parse_users_file};
use serde::Deserialize;
use serde::de::{self, Visitor};
use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The prefix of every environment override.
pub const ENV_PREFIX: &str = "AIRLOCK_";

/// The default Jobs site API endpoint.
pub const DEFAULT_JOBS_API_ENDPOINT: &str = "https://jobs.opensafely.org/api/v2";

/// The SQLite file name used when `database_url` is not set, inside `work_dir`.
pub const DEFAULT_SQLITE_FILE: &str = "airlock.db";

/// How a key's value is written, which decides how an environment override is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// A TOML integer.
    Integer,
    /// A TOML integer or float.
    Number,
    /// A TOML string.
    Text,
}

/// One configuration key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyInfo {
    /// The key as written in the file.
    pub name: &'static str,
    /// Its kind.
    pub kind: KeyKind,
    /// What it means.
    pub doc: &'static str,
}

impl KeyInfo {
    /// The environment variable overriding this key: `AIRLOCK_<NAME>`.
    pub fn env_var(&self) -> String {
        format!("{ENV_PREFIX}{}", self.name.to_ascii_uppercase())
    }
}

/// Generates the raw (unvalidated) configuration struct and the key table from one list, so
/// that the two cannot drift apart.
macro_rules! config_keys {
    ($($key:ident: $ty:ty => $kind:ident, $doc:literal;)*) => {
        /// The file's values before validation; every key optional.
        #[derive(Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct RawConfig {
            $($key: Option<$ty>,)*
        }

        impl RawConfig {
            /// Takes every value `other` sets.
            fn merge(&mut self, other: RawConfig) {
                $(if other.$key.is_some() { self.$key = other.$key; })*
            }
        }

        /// Every configuration key, in the order `check-config` prints them.
        pub const KEYS: &[KeyInfo] = &[
            $(KeyInfo { name: stringify!($key), kind: KeyKind::$kind, doc: $doc },)*
        ];
    };
}

config_keys! {
    required_reviews: i64 => Integer, "N: independent reviews a request needs (at least 2)";
    work_dir: String => Text, "base directory; holds the SQLite database by default";
    workspace_dir: String => Text, "directory of workspaces (must exist; read-only)";
    request_dir: String => Text, "request file store";
    repo_cache_dir: String => Text, "git cache for the code view (default <work_dir>/repos)";
    database_url: String => Text, "postgres://... or a SQLite path (default <work_dir>/airlock.db)";
    jobs_api_endpoint: String => Text, "Jobs site API base URL, no trailing /";
    jobs_api_token: String => Text, "backend token for the Jobs site (secret)";
    dev_users_file: String => Text, "test-mode users file; ignored when a token is set";
    output_checking_org: String => Text, "GitHub org added to notifications (with the repo)";
    output_checking_repo: String => Text, "GitHub repo added to notifications (with the org)";
    backend: String => Text, "backend slug (logs, git user)";
    http_connect_timeout: Num => Number, "seconds to connect on every outbound call";
    http_timeout: Num => Number, "seconds for every outbound call";
    upload_timeout: Num => Number, "seconds per file upload";
    authz_refresh_interval: Num => Number, "seconds between re-authorisations (AUTH-5)";
    authz_grace_period: Num => Number, "seconds stale permissions stay usable (AUTH-7)";
    upload_poll_interval: Num => Number, "seconds between uploader passes (UPL-6)";
    upload_backoff_base: Num => Number, "seconds of the first retry delay (UPL-4)";
    upload_backoff_cap: Num => Number, "seconds of the longest retry delay (UPL-4)";
    upload_backoff_jitter: Num => Number, "fraction of random shortening of a delay, 0 to 1 (UPL-4)";
    upload_stuck_after: i64 => Integer, "attempts after which a file is stuck (UPL-7)";
    max_log_chars: i64 => Integer, "characters of a log shown (REN-5)";
    hint_low_count_threshold: i64 => Integer, "low-count hint threshold T (HNT-2)";
    hint_rounding_base: i64 => Integer, "rounding hint base (HNT-3)";
    regular_requests_file: String => Text, "OPS-3 file (default <work_dir>/regular_release_requests.json)";
    regular_requests_time: String => Text, "UTC time of day (HH:MM) of the worker's daily OPS-3 run, or off (default 03:00)";
    bind_address: String => Text, "IP address the web server listens on";
    port: i64 => Integer, "TCP port the web server listens on (0: any free port)";
    secret_key: String => Text, "session signing key: base64 or hex of 32 or 64 bytes (secret)";
}

/// The table entry of a key, if it is one.
pub fn key_info(name: &str) -> Option<&'static KeyInfo> {
    KEYS.iter().find(|k| k.name == name)
}

/// A number written as a TOML integer or float.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Num(f64);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct NumVisitor;
        impl Visitor<'_> for NumVisitor {
            type Value = Num;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number (integer or float)")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Num, E> {
                Ok(Num(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Num, E> {
                Ok(Num(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Num, E> {
                Ok(Num(v))
            }
        }
        d.deserialize_any(NumVisitor)
    }
}

/// Where a value came from; named in every error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The built-in default.
    Default,
    /// The configuration file.
    File(PathBuf),
    /// An environment variable.
    Env(String),
    /// Set by code (a [`Config`] built with [`Config::new`]).
    Code,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::File(path) => write!(f, "in {}", path.display()),
            Origin::Env(var) => write!(f, "from environment variable {var}"),
            Origin::Code => f.write_str("set in code"),
        }
    }
}

/// A refused configuration. Every variant about a value names its key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read configuration file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("configuration file {} is not valid TOML: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The parser's message (with line and column).
        message: String,
    },
    /// A key that is not a configuration key.
    #[error(
        "unknown configuration key `{key}` ({origin}); known keys: {}",
        known_keys()
    )]
    UnknownKey {
        /// The key.
        key: String,
        /// Where it was written.
        origin: Origin,
    },
    /// A required key has no value.
    #[error("missing configuration key `{key}`: set it in the configuration file or in {env_var}")]
    Missing {
        /// The key.
        key: &'static str,
        /// The variable that could set it.
        env_var: String,
    },
    /// A value of the wrong type or an impossible value.
    #[error("invalid configuration key `{key}` ({origin}): {message}")]
    Invalid {
        /// The key.
        key: &'static str,
        /// Where the value came from.
        origin: Origin,
        /// What is wrong.
        message: String,
    },
    /// A directory the product writes could not be created.
    #[error("cannot create directory {} (configuration key `{key}`): {source}", path.display())]
    CreateDir {
        /// The key naming the directory.
        key: &'static str,
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The working directory, against which relative paths resolve, is unknown.
    #[error("cannot determine the working directory to resolve relative paths: {0}")]
    CurrentDir(std::io::Error),
}

impl ConfigError {
    /// The key the error is about, if any.
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::UnknownKey { key, .. } => Some(key),
            ConfigError::Missing { key, .. }
            | ConfigError::Invalid { key, .. }
            | ConfigError::CreateDir { key, .. } => Some(key),
            _ => None,
        }
    }
}

fn known_keys() -> String {
    KEYS.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")
}

/// A secret string: never shown by `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself; use only where it is needed.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// What [`Secret`] shows instead of its value.
pub const REDACTED: &str = "[redacted]";

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// A database URL: `postgres://...` or a SQLite file path. `Debug` and `Display` hide any
/// password in it.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// Wraps a URL as given (no validation).
    pub fn new(url: impl Into<String>) -> Self {
        DatabaseUrl(url.into())
    }

    /// The URL itself, for connecting.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL with the password of its user info and any `password=` parameter replaced.
    pub fn redacted(&self) -> String {
        redact_url(&self.0)
    }

    /// The SQLite file, when the URL names one (not `:memory:`).
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        match Target::parse(&self.0) {
            Ok(Target::Sqlite(path)) if !path.starts_with(':') => Some(PathBuf::from(path)),
            _ => None,
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

fn redact_url(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme_end) = out.find("://") {
        let rest_start = scheme_end + 3;
        let authority_end = out[rest_start..]
            .find(['/', '?', '#'])
            .map_or(out.len(), |i| rest_start + i);
        if let Some(at) = out[rest_start..authority_end].rfind('@') {
            let userinfo = &out[rest_start..rest_start + at];
            if let Some(colon) = userinfo.find(':') {
                out.replace_range(rest_start + colon + 1..rest_start + at, REDACTED);
            }
        }
    }
    if let Some(q) = out.find('?') {
        let (head, query) = out.split_at(q + 1);
        let query = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}={REDACTED}"),
                _ => pair.to_string(),
            })
            .collect::<Vec<_>>()
            .join("&");
        out = format!("{head}{query}");
    }
    out
}

/// The validated configuration. Paths are absolute.
///
/// Build it with [`Config::load`] (or [`Config::load_with_env`], [`Config::from_toml`]), or in
/// code with [`Config::new`] and then [`Config::validate`]. `Debug` hides the secrets and the
/// database password.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// N (§0.1): independent reviews a request needs; at least 2.
    pub required_reviews: usize,
    /// Base directory; holds the SQLite database and the regular-requests file by default.
    pub work_dir: PathBuf,
    /// Directory of workspaces, written by the job runner; must exist.
    pub workspace_dir: PathBuf,
    /// The request file store.
    pub request_dir: PathBuf,
    /// Git cache for the code view.
    pub repo_cache_dir: PathBuf,
    /// The database.
    pub database_url: DatabaseUrl,
    /// The Jobs site API base URL, without a trailing `/`.
    pub jobs_api_endpoint: String,
    /// The backend token for the Jobs site; unset means test mode (API-8).
    pub jobs_api_token: Option<Secret>,
    /// The test-mode users file (API-31); ignored when a token is set.
    pub dev_users_file: Option<PathBuf>,
    /// The output-checking GitHub org (set together with the repo).
    pub output_checking_org: Option<String>,
    /// The output-checking GitHub repo (set together with the org).
    pub output_checking_repo: Option<String>,
    /// The backend slug.
    pub backend: String,
    /// Connect timeout of every outbound call.
    pub http_connect_timeout: Duration,
    /// Timeout of every outbound call.
    pub http_timeout: Duration,
    /// Timeout of one file upload.
    pub upload_timeout: Duration,
    /// AUTH-5 refresh interval.
    pub authz_refresh_interval: Duration,
    /// AUTH-7 grace period; at least the refresh interval (AUTH-8).
    pub authz_grace_period: Duration,
    /// UPL-6 poll interval.
    pub upload_poll_interval: Duration,
    /// UPL-4 base delay.
    pub upload_backoff_base: Duration,
    /// UPL-4 cap; at least the base.
    pub upload_backoff_cap: Duration,
    /// UPL-4 jitter fraction, 0 to 1.
    pub upload_backoff_jitter: f64,
    /// UPL-7 attempts after which a file is stuck.
    pub upload_stuck_after: i64,
    /// REN-5 characters of a log shown.
    pub max_log_chars: usize,
    /// HNT-2 threshold.
    pub hint_low_count_threshold: i64,
    /// HNT-3 rounding base.
    pub hint_rounding_base: i64,
    /// OPS-3 regular requests file.
    pub regular_requests_file: PathBuf,
    /// OPS-3: the UTC time of day of the worker's daily run; `None` when switched off.
    pub regular_requests_time: Option<chrono::NaiveTime>,
    /// The web server's listen address.
    pub bind_address: IpAddr,
    /// The web server's port; 0 picks a free one.
    pub port: u16,
    /// The session signing key; unset means the web server makes a random one at start.
    pub secret_key: Option<Secret>,
    /// The file it was loaded from; `None` when built in code.
    file: Option<PathBuf>,
    origins: BTreeMap<&'static str, Origin>,
}

impl Config {
    /// A configuration with every default, for code and tests: `request_dir` is
    /// `<work_dir>/requests` and no users file or token is set, so set one of them and call
    /// [`Config::validate`] after changing fields. Relative paths are kept as given.
    pub fn new(work_dir: impl Into<PathBuf>, workspace_dir: impl Into<PathBuf>) -> Self {
        let work_dir = work_dir.into();
        let rules = Rules::default();
        Config {
            required_reviews: rules.required_reviews,
            request_dir: work_dir.join("requests"),
            repo_cache_dir: work_dir.join("repos"),
            database_url: DatabaseUrl::new(work_dir.join(DEFAULT_SQLITE_FILE).to_string_lossy()),
            regular_requests_file: work_dir.join("regular_release_requests.json"),
            regular_requests_time: chrono::NaiveTime::from_hms_opt(3, 0, 0),
            work_dir,
            workspace_dir: workspace_dir.into(),
            jobs_api_endpoint: DEFAULT_JOBS_API_ENDPOINT.to_string(),
            jobs_api_token: None,
            dev_users_file: None,
            output_checking_org: None,
            output_checking_repo: None,
            backend: "test".to_string(),
            http_connect_timeout: Duration::from_secs(10),
            http_timeout: Duration::from_secs(60),
            upload_timeout: Duration::from_secs(300),
            authz_refresh_interval: Duration::from_secs(900),
            authz_grace_period: Duration::from_secs(3600),
            upload_poll_interval: Duration::from_secs(5),
            upload_backoff_base: Duration::from_secs_f64(rules.upload_backoff_base),
            upload_backoff_cap: Duration::from_secs_f64(rules.upload_backoff_cap),
            upload_backoff_jitter: rules.upload_backoff_jitter,
            upload_stuck_after: rules.upload_stuck_after,
            max_log_chars: 10_000,
            hint_low_count_threshold: rules.hint_low_count_threshold,
            hint_rounding_base: rules.hint_rounding_base,
            bind_address: IpAddr::from([127, 0, 0, 1]),
            port: 8000,
            secret_key: None,
            file: None,
            origins: BTreeMap::new(),
        }
    }

    /// Loads the file, with overrides from the process environment; relative paths resolve
    /// against the working directory.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        Config::load_with_env(path, |var| std::env::var(var).ok())
    }

    /// Loads the file with overrides read through `env` (given a variable name, its value);
    /// relative paths resolve against the working directory.
    pub fn load_with_env(
        path: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let base = std::env::current_dir().map_err(ConfigError::CurrentDir)?;
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::from_toml(&text, path, env, &base)
    }

    /// Parses configuration text (`file` names it in errors), applies the overrides read
    /// through `env`, resolves relative paths against `base_dir` and validates the result.
    pub fn from_toml(
        text: &str,
        file: &Path,
        env: impl Fn(&str) -> Option<String>,
        base_dir: &Path,
    ) -> Result<Config, ConfigError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: file.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let mut raw = RawConfig::default();
        let mut origins = BTreeMap::new();
        for (key, value) in table {
            let origin = Origin::File(file.to_path_buf());
            let Some(info) = key_info(&key) else {
                return Err(ConfigError::UnknownKey { key, origin });
            };
            raw.merge(parse_value(info, value, &origin)?);
            origins.insert(info.name, origin);
        }
        for info in KEYS {
            let var = info.env_var();
            let Some(text) = env(&var).filter(|v| !v.is_empty()) else {
                continue;
            };
            let origin = Origin::Env(var);
            let value = env_value(info.kind, &text).map_err(|message| ConfigError::Invalid {
                key: info.name,
                origin: origin.clone(),
                message,
            })?;
            raw.merge(parse_value(info, value, &origin)?);
            origins.insert(info.name, origin);
        }
        let config = Builder {
            origins: &origins,
            base_dir,
            file,
        }
        .build(raw)?;
        config.validate()?;
        Ok(config)
    }

    /// Where a key's value came from.
    pub fn origin(&self, key: &str) -> Origin {
        match (self.origins.get(key), &self.file) {
            (Some(origin), _) => origin.clone(),
            (None, Some(_)) => Origin::Default,
            (None, None) => Origin::Code,
        }
    }

    /// The file the configuration was loaded from; `None` when built in code.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// Checks every value and every rule between values (the file loaders call this).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &'static str, message: String| ConfigError::Invalid {
            key,
            origin: self.origin(key),
            message,
        };
        if self.required_reviews < 2 {
            return Err(bad(
                "required_reviews",
                format!("must be at least 2, got {}", self.required_reviews),
            ));
        }
        must_be_dir("workspace_dir", &self.workspace_dir, true)
            .map_err(|m| bad("workspace_dir", m))?;
        for (key, path) in [
            ("work_dir", &self.work_dir),
            ("request_dir", &self.request_dir),
            ("repo_cache_dir", &self.repo_cache_dir),
        ] {
            must_be_dir(key, path, false).map_err(|m| bad(key, m))?;
        }
        if self.regular_requests_file.is_dir() {
            return Err(bad(
                "regular_requests_file",
                format!(
                    "{} is a directory, not a file",
                    self.regular_requests_file.display()
                ),
            ));
        }
        if let Err(e) = Target::parse(self.database_url.as_str()) {
            return Err(bad("database_url", e.to_string()));
        }
        if let Some(path) = self.database_url.sqlite_path()
            && path.is_dir()
        {
            return Err(bad(
                "database_url",
                format!("{} is a directory, not a SQLite file", path.display()),
            ));
        }
        check_http_url(&self.jobs_api_endpoint).map_err(|m| bad("jobs_api_endpoint", m))?;
        if self.jobs_api_endpoint.ends_with('/') {
            return Err(bad("jobs_api_endpoint", "must not end with /".into()));
        }
        if let Some(token) = &self.jobs_api_token
            && token.expose().trim().is_empty()
        {
            return Err(bad("jobs_api_token", "must not be blank".into()));
        }
        match (&self.jobs_api_token, &self.dev_users_file) {
            (None, None) => {
                return Err(bad(
                    "dev_users_file",
                    "neither jobs_api_token nor dev_users_file is set: set the token, or a \
                     users file for test mode (API-8)"
                        .into(),
                ));
            }
            (None, Some(file)) if !file.is_file() => {
                return Err(bad(
                    "dev_users_file",
                    format!("{} does not exist or is not a file", file.display()),
                ));
            }
            (None, Some(file)) => {
                load_users_file(file).map_err(|m| bad("dev_users_file", m))?;
            }
            _ => {}
        }
        match (&self.output_checking_org, &self.output_checking_repo) {
            (Some(_), None) => {
                return Err(bad(
                    "output_checking_repo",
                    "must be set when output_checking_org is set (both or neither)".into(),
                ));
            }
            (None, Some(_)) => {
                return Err(bad(
                    "output_checking_org",
                    "must be set when output_checking_repo is set (both or neither)".into(),
                ));
            }
            _ => {}
        }
        for (key, value) in [
            ("output_checking_org", &self.output_checking_org),
            ("output_checking_repo", &self.output_checking_repo),
        ] {
            if let Some(v) = value
                && !is_slug(v, &['-', '_', '.'])
            {
                return Err(bad(key, format!("{v:?} is not a GitHub name")));
            }
        }
        if !is_slug(&self.backend, &['-', '_']) {
            return Err(bad(
                "backend",
                format!(
                    "{:?} is not a slug (letters, digits, - and _)",
                    self.backend
                ),
            ));
        }
        for (key, value) in [
            ("http_connect_timeout", self.http_connect_timeout),
            ("http_timeout", self.http_timeout),
            ("upload_timeout", self.upload_timeout),
            ("authz_refresh_interval", self.authz_refresh_interval),
            ("authz_grace_period", self.authz_grace_period),
            ("upload_poll_interval", self.upload_poll_interval),
            ("upload_backoff_base", self.upload_backoff_base),
            ("upload_backoff_cap", self.upload_backoff_cap),
        ] {
            if value.is_zero() {
                return Err(bad(key, "must be a positive number of seconds".into()));
            }
        }
        if self.authz_grace_period < self.authz_refresh_interval {
            return Err(bad(
                "authz_grace_period",
                format!(
                    "must be at least authz_refresh_interval ({} s), got {} s (AUTH-8)",
                    self.authz_refresh_interval.as_secs_f64(),
                    self.authz_grace_period.as_secs_f64()
                ),
            ));
        }
        if self.upload_backoff_cap < self.upload_backoff_base {
            return Err(bad(
                "upload_backoff_cap",
                format!(
                    "must be at least upload_backoff_base ({} s), got {} s",
                    self.upload_backoff_base.as_secs_f64(),
                    self.upload_backoff_cap.as_secs_f64()
                ),
            ));
        }
        if !(0.0..=1.0).contains(&self.upload_backoff_jitter) {
            return Err(bad(
                "upload_backoff_jitter",
                format!(
                    "must be between 0 and 1, got {}",
                    self.upload_backoff_jitter
                ),
            ));
        }
        for (key, value) in [
            ("upload_stuck_after", self.upload_stuck_after),
            ("hint_low_count_threshold", self.hint_low_count_threshold),
            ("hint_rounding_base", self.hint_rounding_base),
        ] {
            if value < 1 {
                return Err(bad(key, format!("must be at least 1, got {value}")));
            }
        }
        if self.max_log_chars < 1 {
            return Err(bad("max_log_chars", "must be at least 1, got 0".into()));
        }
        if let Some(key) = &self.secret_key {
            check_secret_key(key.expose()).map_err(|m| bad("secret_key", m))?;
        }
        Ok(())
    }

    /// The rule parameters for `airlock-core`.
    pub fn rules(&self) -> Rules {
        Rules {
            required_reviews: self.required_reviews,
            hint_low_count_threshold: self.hint_low_count_threshold,
            hint_rounding_base: self.hint_rounding_base,
            upload_backoff_base: self.upload_backoff_base.as_secs_f64(),
            upload_backoff_cap: self.upload_backoff_cap.as_secs_f64(),
            upload_backoff_jitter: self.upload_backoff_jitter,
            upload_stuck_after: self.upload_stuck_after,
        }
    }

    /// True when no Jobs site token is set (API-8): login uses the users file.
    pub fn test_mode(&self) -> bool {
        self.jobs_api_token.is_none()
    }

    /// Test mode (AUTH-3): the parsed users file; `None` when a Jobs site token is set.
    pub fn load_users(&self) -> Result<Option<UsersFile>, ConfigError> {
        match self.users_file() {
            Some(path) => load_users_file(path)
                .map(Some)
                .map_err(|message| ConfigError::Invalid {
                    key: "dev_users_file",
                    origin: self.origin("dev_users_file"),
                    message,
                }),
            None => Ok(None),
        }
    }

    /// The users file in use: `dev_users_file` in test mode, else none.
    pub fn users_file(&self) -> Option<&Path> {
        if self.test_mode() {
            self.dev_users_file.as_deref()
        } else {
            None
        }
    }

    /// Creates the directories the product writes, when missing: `work_dir`, `request_dir`,
    /// `repo_cache_dir` and the SQLite file's directory.
    pub fn create_dirs(&self) -> Result<(), ConfigError> {
        let sqlite_dir = self
            .database_url
            .sqlite_path()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .filter(|p| !p.as_os_str().is_empty());
        let dirs = [
            ("work_dir", Some(self.work_dir.clone())),
            ("request_dir", Some(self.request_dir.clone())),
            ("repo_cache_dir", Some(self.repo_cache_dir.clone())),
            ("database_url", sqlite_dir),
        ];
        for (key, dir) in dirs {
            if let Some(path) = dir {
                std::fs::create_dir_all(&path).map_err(|source| ConfigError::CreateDir {
                    key,
                    path,
                    source,
                })?;
            }
        }
        Ok(())
    }

    /// Every key with its effective value, secrets as [`REDACTED`] and the database password
    /// hidden, unset values as `Null`, in the order of [`KEYS`]. For display only.
    pub fn entries(&self) -> Vec<ConfigEntry> {
        use serde_json::Value;
        let path = |p: &Path| Value::from(p.to_string_lossy().into_owned());
        let secs = |d: Duration| seconds_value(d.as_secs_f64());
        let opt = |v: &Option<String>| v.clone().map_or(Value::Null, Value::from);
        let secret = |v: &Option<Secret>| v.as_ref().map_or(Value::Null, |_| Value::from(REDACTED));
        KEYS.iter()
            .map(|info| {
                let value = match info.name {
                    "required_reviews" => Value::from(self.required_reviews),
                    "work_dir" => path(&self.work_dir),
                    "workspace_dir" => path(&self.workspace_dir),
                    "request_dir" => path(&self.request_dir),
                    "repo_cache_dir" => path(&self.repo_cache_dir),
                    "database_url" => Value::from(self.database_url.redacted()),
                    "jobs_api_endpoint" => Value::from(self.jobs_api_endpoint.clone()),
                    "jobs_api_token" => secret(&self.jobs_api_token),
                    "dev_users_file" => self.dev_users_file.as_deref().map_or(Value::Null, path),
                    "output_checking_org" => opt(&self.output_checking_org),
                    "output_checking_repo" => opt(&self.output_checking_repo),
                    "backend" => Value::from(self.backend.clone()),
                    "http_connect_timeout" => secs(self.http_connect_timeout),
                    "http_timeout" => secs(self.http_timeout),
                    "upload_timeout" => secs(self.upload_timeout),
                    "authz_refresh_interval" => secs(self.authz_refresh_interval),
                    "authz_grace_period" => secs(self.authz_grace_period),
                    "upload_poll_interval" => secs(self.upload_poll_interval),
                    "upload_backoff_base" => secs(self.upload_backoff_base),
                    "upload_backoff_cap" => secs(self.upload_backoff_cap),
                    "upload_backoff_jitter" => seconds_value(self.upload_backoff_jitter),
                    "upload_stuck_after" => Value::from(self.upload_stuck_after),
                    "max_log_chars" => Value::from(self.max_log_chars),
                    "hint_low_count_threshold" => Value::from(self.hint_low_count_threshold),
                    "hint_rounding_base" => Value::from(self.hint_rounding_base),
                    "regular_requests_file" => path(&self.regular_requests_file),
                    "regular_requests_time" => match self.regular_requests_time {
                        Some(t) => Value::from(t.format("%H:%M").to_string()),
                        None => Value::from("off"),
                    },
                    "bind_address" => Value::from(self.bind_address.to_string()),
                    "port" => Value::from(self.port),
                    "secret_key" => secret(&self.secret_key),
                    _ => Value::Null,
                };
                ConfigEntry {
                    key: info.name,
                    value,
                    origin: self.origin(info.name),
                }
            })
            .collect()
    }
}

/// One key's effective value, for display ([`Config::entries`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigEntry {
    /// The key.
    pub key: &'static str,
    /// Its value (redacted when secret; `Null` when unset).
    pub value: serde_json::Value,
    /// Where the value came from.
    pub origin: Origin,
}

/// A whole number as an integer, anything else as a float.
fn seconds_value(v: f64) -> serde_json::Value {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        serde_json::Value::from(v as i64)
    } else {
        serde_json::Value::from(v)
    }
}

/// Reads one value through the typed raw struct, so the type error names the key.
fn parse_value(
    info: &'static KeyInfo,
    value: toml::Value,
    origin: &Origin,
) -> Result<RawConfig, ConfigError> {
    let mut one = toml::Table::new();
    one.insert(info.name.to_string(), value);
    toml::Value::Table(one)
        .try_into::<RawConfig>()
        .map_err(|e| ConfigError::Invalid {
            key: info.name,
            origin: origin.clone(),
            message: e.message().trim_end().to_string(),
        })
}

/// The TOML value of an environment override of a key of this kind.
fn env_value(kind: KeyKind, text: &str) -> Result<toml::Value, String> {
    let trimmed = text.trim();
    match kind {
        KeyKind::Integer => trimmed
            .parse::<i64>()
            .map(toml::Value::Integer)
            .map_err(|_| format!("expected an integer, got {text:?}")),
        KeyKind::Number => trimmed
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(toml::Value::Float)
            .ok_or_else(|| format!("expected a number, got {text:?}")),
        KeyKind::Text => Ok(toml::Value::String(text.to_string())),
    }
}

/// Turns raw values into a [`Config`], filling defaults and resolving paths.
struct Builder<'a> {
    origins: &'a BTreeMap<&'static str, Origin>,
    base_dir: &'a Path,
    file: &'a Path,
}

impl Builder<'_> {
    fn origin(&self, key: &'static str) -> Origin {
        self.origins.get(key).cloned().unwrap_or(Origin::Default)
    }

    fn bad(&self, key: &'static str, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            key,
            origin: self.origin(key),
            message: message.into(),
        }
    }

    fn required(&self, key: &'static str, value: Option<String>) -> Result<PathBuf, ConfigError> {
        match value {
            Some(v) => self.path(key, v),
            None => Err(ConfigError::Missing {
                key,
                env_var: format!("{ENV_PREFIX}{}", key.to_ascii_uppercase()),
            }),
        }
    }

    fn path(&self, key: &'static str, value: String) -> Result<PathBuf, ConfigError> {
        if value.trim().is_empty() {
            return Err(self.bad(key, "must not be empty"));
        }
        Ok(self.resolve(Path::new(&value)))
    }

    fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.base_dir.join(path)
        }
    }

    fn seconds(
        &self,
        key: &'static str,
        value: Option<Num>,
        default: f64,
    ) -> Result<Duration, ConfigError> {
        let secs = value.map_or(default, |n| n.0);
        if !secs.is_finite() || secs <= 0.0 {
            return Err(self.bad(
                key,
                format!("must be a positive number of seconds, got {secs}"),
            ));
        }
        Duration::try_from_secs_f64(secs)
            .map_err(|_| self.bad(key, format!("{secs} seconds is too long")))
    }

    fn int<T: TryFrom<i64>>(
        &self,
        key: &'static str,
        value: Option<i64>,
        default: T,
    ) -> Result<T, ConfigError> {
        match value {
            None => Ok(default),
            Some(v) => T::try_from(v).map_err(|_| self.bad(key, format!("{v} is out of range"))),
        }
    }

    fn text(
        &self,
        key: &'static str,
        value: Option<String>,
    ) -> Result<Option<String>, ConfigError> {
        match value {
            Some(v) if v.trim().is_empty() => Err(self.bad(key, "must not be empty")),
            other => Ok(other),
        }
    }

    fn database_url(
        &self,
        value: Option<String>,
        work_dir: &Path,
    ) -> Result<DatabaseUrl, ConfigError> {
        let Some(url) = value else {
            return Ok(DatabaseUrl::new(
                work_dir.join(DEFAULT_SQLITE_FILE).to_string_lossy(),
            ));
        };
        match Target::parse(&url) {
            Err(e) => Err(self.bad("database_url", e.to_string())),
            Ok(Target::Postgres(_)) => Ok(DatabaseUrl::new(url.trim())),
            Ok(Target::Sqlite(path)) if path.starts_with(':') => Ok(DatabaseUrl::new(url.trim())),
            Ok(Target::Sqlite(path)) => Ok(DatabaseUrl::new(
                self.resolve(Path::new(&path)).to_string_lossy(),
            )),
        }
    }

    fn build(&self, raw: RawConfig) -> Result<Config, ConfigError> {
        let defaults = Config::new(PathBuf::new(), PathBuf::new());
        let work_dir = self.required("work_dir", raw.work_dir)?;
        let workspace_dir = self.required("workspace_dir", raw.workspace_dir)?;
        let request_dir = self.required("request_dir", raw.request_dir)?;
        let repo_cache_dir = match raw.repo_cache_dir {
            Some(v) => self.path("repo_cache_dir", v)?,
            None => work_dir.join("repos"),
        };
        let regular_requests_file = match raw.regular_requests_file {
            Some(v) => self.path("regular_requests_file", v)?,
            None => work_dir.join("regular_release_requests.json"),
        };
        let dev_users_file = match raw.dev_users_file {
            Some(v) => Some(self.path("dev_users_file", v)?),
            None => None,
        };
        let database_url = self.database_url(raw.database_url, &work_dir)?;
        let jobs_api_endpoint = raw
            .jobs_api_endpoint
            .map(|e| e.trim().to_string())
            .unwrap_or(defaults.jobs_api_endpoint);
        let bind_address = match raw.bind_address {
            None => defaults.bind_address,
            Some(a) => a.trim().parse::<IpAddr>().map_err(|_| {
                self.bad(
                    "bind_address",
                    format!("{a:?} is not an IP address (such as 127.0.0.1 or 0.0.0.0)"),
                )
            })?,
        };
        let jitter = raw
            .upload_backoff_jitter
            .map_or(defaults.upload_backoff_jitter, |n| n.0);
        Ok(Config {
            required_reviews: match raw.required_reviews {
                Some(n) if n < 2 => {
                    return Err(
                        self.bad("required_reviews", format!("must be at least 2, got {n}"))
                    );
                }
                other => self.int("required_reviews", other, defaults.required_reviews)?,
            },
            work_dir,
            workspace_dir,
            request_dir,
            repo_cache_dir,
            database_url,
            jobs_api_endpoint,
            jobs_api_token: self
                .text("jobs_api_token", raw.jobs_api_token)?
                .map(Secret::new),
            dev_users_file,
            output_checking_org: self.text("output_checking_org", raw.output_checking_org)?,
            output_checking_repo: self.text("output_checking_repo", raw.output_checking_repo)?,
            backend: raw.backend.unwrap_or(defaults.backend),
            http_connect_timeout: self.seconds(
                "http_connect_timeout",
                raw.http_connect_timeout,
                10.0,
            )?,
            http_timeout: self.seconds("http_timeout", raw.http_timeout, 60.0)?,
            upload_timeout: self.seconds("upload_timeout", raw.upload_timeout, 300.0)?,
            authz_refresh_interval: self.seconds(
                "authz_refresh_interval",
                raw.authz_refresh_interval,
                900.0,
            )?,
            authz_grace_period: self.seconds(
                "authz_grace_period",
                raw.authz_grace_period,
                3600.0,
            )?,
            upload_poll_interval: self.seconds(
                "upload_poll_interval",
                raw.upload_poll_interval,
                5.0,
            )?,
            upload_backoff_base: self.seconds(
                "upload_backoff_base",
                raw.upload_backoff_base,
                defaults.upload_backoff_base.as_secs_f64(),
            )?,
            upload_backoff_cap: self.seconds(
                "upload_backoff_cap",
                raw.upload_backoff_cap,
                defaults.upload_backoff_cap.as_secs_f64(),
            )?,
            upload_backoff_jitter: if jitter.is_finite() {
                jitter
            } else {
                return Err(self.bad("upload_backoff_jitter", "must be a finite number"));
            },
            upload_stuck_after: self.int(
                "upload_stuck_after",
                raw.upload_stuck_after,
                defaults.upload_stuck_after,
            )?,
            max_log_chars: self.int("max_log_chars", raw.max_log_chars, defaults.max_log_chars)?,
            hint_low_count_threshold: self.int(
                "hint_low_count_threshold",
                raw.hint_low_count_threshold,
                defaults.hint_low_count_threshold,
            )?,
            hint_rounding_base: self.int(
                "hint_rounding_base",
                raw.hint_rounding_base,
                defaults.hint_rounding_base,
            )?,
            regular_requests_file,
            regular_requests_time: match self
                .text("regular_requests_time", raw.regular_requests_time)?
            {
                None => defaults.regular_requests_time,
                Some(v) if v.trim().eq_ignore_ascii_case("off") => None,
                Some(v) => Some(
                    chrono::NaiveTime::parse_from_str(v.trim(), "%H:%M").map_err(|_| {
                        self.bad(
                            "regular_requests_time",
                            format!(
                                "expected a UTC time of day as HH:MM (e.g. 03:00) or off, got {v:?}"
                            ),
                        )
                    })?,
                ),
            },
            bind_address,
            port: match raw.port {
                Some(p) if !(0..=65535).contains(&p) => {
                    return Err(self.bad("port", format!("must be between 0 and 65535, got {p}")));
                }
                other => self.int("port", other, defaults.port)?,
            },
            secret_key: self.text("secret_key", raw.secret_key)?.map(Secret::new),
            file: Some(self.file.to_path_buf()),
            origins: self.origins.clone(),
        })
    }
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

/// An absolute `http://` or `https://` URL with a host and no query or fragment.
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
    Ok(())
}

/// Letters, digits and the given punctuation; not empty.
fn is_slug(value: &str, extra: &[char]) -> bool {
    !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(&c))
}

/// A key of 32 or 64 bytes, written as hex or as standard padded base64 (what the web
/// server's signing key accepts).
fn check_secret_key(key: &str) -> Result<(), String> {
    let key = key.trim();
    let hex_ok = key.chars().all(|c| c.is_ascii_hexdigit()) && matches!(key.len(), 64 | 128);
    let b64_bytes = base64_len(key);
    if hex_ok || matches!(b64_bytes, Some(32 | 64)) {
        Ok(())
    } else {
        Err(format!(
            "must be 32 or 64 random bytes as hex or base64 (e.g. `openssl rand -base64 64`); \
             got {} characters",
            key.len()
        ))
    }
}

/// The decoded length of standard padded base64, or `None` when it is not base64.
fn base64_len(s: &str) -> Option<usize> {
    if s.is_empty() || !s.len().is_multiple_of(4) {
        return None;
    }
    let body = s.trim_end_matches('=');
    let pad = s.len() - body.len();
    if pad > 2
        || !body
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '/')
    {
        return None;
    }
    Some(s.len() / 4 * 3 - pad)
}

/// Reads and checks a test-mode users file (API-31); the message names the file and every
/// problem. The file is small configuration, read whole.
pub fn load_users_file(path: &Path) -> Result<UsersFile, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse_users_file(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A temporary base directory with a workspaces directory and a users file.
    struct Fixture {
        dir: tempfile::TempDir,
    }

    const MINIMAL: &str = r#"
work_dir = "work"
workspace_dir = "workspaces"
request_dir = "work/requests"
dev_users_file = "users.json"
"#;

    impl Fixture {
        fn new() -> Self {
            let dir = tempfile::tempdir().expect("tempdir");
            std::fs::create_dir(dir.path().join("workspaces")).expect("mkdir");
            std::fs::write(dir.path().join("users.json"), "{}").expect("users file");
            Fixture { dir }
        }

        fn base(&self) -> &Path {
            self.dir.path()
        }

        fn load(&self, text: &str) -> Result<Config, ConfigError> {
            self.load_env(text, &[])
        }

        fn load_env(&self, text: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
            let env: HashMap<String, String> = env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            Config::from_toml(
                text,
                Path::new("airlock.toml"),
                |var| env.get(var).cloned(),
                self.base(),
            )
        }

        /// MINIMAL plus one line; the load must fail naming `key`.
        fn refused(&self, extra: &str, key: &str) -> String {
            self.refused_env(&format!("{MINIMAL}{extra}\n"), &[], key)
        }

        fn refused_env(&self, text: &str, env: &[(&str, &str)], key: &str) -> String {
            let err = match self.load_env(text, env) {
                Ok(config) => panic!("accepted {text:?} {env:?}: {config:?}"),
                Err(e) => e,
            };
            let message = err.to_string();
            assert_eq!(err.key(), Some(key), "{message}");
            assert!(message.contains(&format!("`{key}`")), "{message}");
            message
        }
    }

    #[test]
    fn cfg_minimal_file_gets_every_default() {
        let f = Fixture::new();
        let config = f.load(MINIMAL).expect("valid");
        assert_eq!(config.required_reviews, 2);
        assert_eq!(config.work_dir, f.base().join("work"));
        assert_eq!(config.workspace_dir, f.base().join("workspaces"));
        assert_eq!(config.request_dir, f.base().join("work/requests"));
        assert_eq!(config.repo_cache_dir, f.base().join("work/repos"));
        assert_eq!(
            config.database_url.sqlite_path(),
            Some(f.base().join("work").join(DEFAULT_SQLITE_FILE))
        );
        assert_eq!(
            config.regular_requests_file,
            f.base().join("work/regular_release_requests.json")
        );
        assert_eq!(config.jobs_api_endpoint, DEFAULT_JOBS_API_ENDPOINT);
        assert_eq!(config.backend, "test");
        assert_eq!(config.http_connect_timeout, Duration::from_secs(10));
        assert_eq!(config.http_timeout, Duration::from_secs(60));
        assert_eq!(config.upload_timeout, Duration::from_secs(300));
        assert_eq!(config.authz_refresh_interval, Duration::from_secs(900));
        assert_eq!(config.authz_grace_period, Duration::from_secs(3600));
        assert_eq!(config.upload_poll_interval, Duration::from_secs(5));
        assert_eq!(config.max_log_chars, 10_000);
        assert_eq!(config.bind_address, IpAddr::from([127, 0, 0, 1]));
        assert_eq!(config.port, 8000);
        assert_eq!(config.secret_key, None);
        assert_eq!(config.rules(), Rules::default());
        assert!(config.test_mode());
        assert_eq!(
            config.users_file(),
            Some(f.base().join("users.json").as_path())
        );
        assert_eq!(config.file(), Some(Path::new("airlock.toml")));
        assert_eq!(
            config.origin("work_dir"),
            Origin::File("airlock.toml".into())
        );
        assert_eq!(config.origin("port"), Origin::Default);
    }

    #[test]
    fn cfg_every_key_of_section_22_is_read() {
        let f = Fixture::new();
        let text = format!(
            r#"
required_reviews = 3
work_dir = "{base}/w"
workspace_dir = "workspaces"
request_dir = "req"
repo_cache_dir = "cache"
database_url = "postgres://airlock:hunter2@db.example/airlock"
jobs_api_endpoint = "http://jobs.example/api/v2"
jobs_api_token = "token-123"
output_checking_org = "my-org"
output_checking_repo = "output-checking"
backend = "tpp"
http_connect_timeout = 2.5
http_timeout = 30
upload_timeout = 120.0
authz_refresh_interval = 60
authz_grace_period = 60
upload_poll_interval = 0.5
upload_backoff_base = 1
upload_backoff_cap = 10
upload_backoff_jitter = 0
upload_stuck_after = 3
max_log_chars = 500
hint_low_count_threshold = 7
hint_rounding_base = 10
regular_requests_file = "regular.json"
regular_requests_time = "04:30"
bind_address = "0.0.0.0"
port = 0
secret_key = "{key}"
"#,
            base = f.base().display(),
            key = "A".repeat(43) + "="
        );
        let c = f.load(&text).expect("valid");
        assert_eq!(c.required_reviews, 3);
        assert_eq!(c.work_dir, f.base().join("w"));
        assert_eq!(c.request_dir, f.base().join("req"));
        assert_eq!(c.repo_cache_dir, f.base().join("cache"));
        assert_eq!(
            c.database_url.as_str(),
            "postgres://airlock:hunter2@db.example/airlock"
        );
        assert_eq!(c.jobs_api_endpoint, "http://jobs.example/api/v2");
        assert_eq!(
            c.jobs_api_token.as_ref().map(Secret::expose),
            Some("token-123")
        );
        assert!(!c.test_mode());
        assert_eq!(c.users_file(), None);
        assert_eq!(c.output_checking_org.as_deref(), Some("my-org"));
        assert_eq!(c.output_checking_repo.as_deref(), Some("output-checking"));
        assert_eq!(c.backend, "tpp");
        assert_eq!(c.http_connect_timeout, Duration::from_millis(2500));
        assert_eq!(c.http_timeout, Duration::from_secs(30));
        assert_eq!(c.upload_timeout, Duration::from_secs(120));
        assert_eq!(c.authz_refresh_interval, Duration::from_secs(60));
        assert_eq!(c.authz_grace_period, Duration::from_secs(60));
        assert_eq!(c.upload_poll_interval, Duration::from_millis(500));
        assert_eq!(c.regular_requests_file, f.base().join("regular.json"));
        assert_eq!(
            c.regular_requests_time,
            chrono::NaiveTime::from_hms_opt(4, 30, 0)
        );
        assert_eq!(c.bind_address, IpAddr::from([0, 0, 0, 0]));
        assert_eq!(c.port, 0);
        assert!(c.secret_key.is_some());
        assert_eq!(
            c.rules(),
            Rules {
                required_reviews: 3,
                hint_low_count_threshold: 7,
                hint_rounding_base: 10,
                upload_backoff_base: 1.0,
                upload_backoff_cap: 10.0,
                upload_backoff_jitter: 0.0,
                upload_stuck_after: 3,
            }
        );
        assert_eq!(c.max_log_chars, 500);
        // Every key of the file is in the key table, and the table has nothing else.
        let table: toml::Table = toml::from_str(&text).expect("toml");
        let mut written: Vec<&str> = table.keys().map(String::as_str).collect();
        written.sort_unstable();
        let mut known: Vec<&str> = KEYS.iter().map(|k| k.name).collect();
        known.sort_unstable();
        known.retain(|k| *k != "dev_users_file");
        assert_eq!(written, known);
    }

    #[test]
    fn cfg_secrets_never_appear_in_debug_or_entries() {
        let f = Fixture::new();
        let secret = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY="; // 32 bytes
        assert_eq!(base64_len(secret), Some(32));
        let text = format!(
            "{MINIMAL}secret_key = \"{secret}\"\njobs_api_token = \"tok-s3cret\"\n\
             database_url = \"postgres://u:pw-s3cret@h/db?password=q-s3cret&sslmode=require\"\n"
        );
        let config = f.load(&text).expect("valid");
        let debug = format!("{config:?}");
        for hidden in [secret, "tok-s3cret", "pw-s3cret", "q-s3cret"] {
            assert!(!debug.contains(hidden), "{hidden} in {debug}");
        }
        assert!(debug.contains(REDACTED));
        let shown = serde_json::to_string(
            &config
                .entries()
                .into_iter()
                .map(|e| (e.key, e.value))
                .collect::<BTreeMap<_, _>>(),
        )
        .expect("json");
        for hidden in [secret, "tok-s3cret", "pw-s3cret", "q-s3cret"] {
            assert!(!shown.contains(hidden), "{hidden} in {shown}");
        }
        assert!(shown.contains("postgres://u:[redacted]@h/db?password=[redacted]&sslmode=require"));
        assert_eq!(config.secret_key.as_ref().map(Secret::expose), Some(secret));
    }

    #[test]
    fn cfg_env_overrides_every_kind_and_names_its_variable() {
        let f = Fixture::new();
        let config = f
            .load_env(
                MINIMAL,
                &[
                    ("AIRLOCK_REQUIRED_REVIEWS", "4"),
                    ("AIRLOCK_HTTP_TIMEOUT", "2.5"),
                    ("AIRLOCK_REQUEST_DIR", "elsewhere"),
                    ("AIRLOCK_BACKEND", "123"),
                    ("AIRLOCK_PORT", ""),
                ],
            )
            .expect("valid");
        assert_eq!(config.required_reviews, 4);
        assert_eq!(config.http_timeout, Duration::from_millis(2500));
        assert_eq!(config.request_dir, f.base().join("elsewhere"));
        assert_eq!(config.backend, "123");
        assert_eq!(config.port, 8000, "an empty variable overrides nothing");
        assert_eq!(
            config.origin("required_reviews"),
            Origin::Env("AIRLOCK_REQUIRED_REVIEWS".into())
        );
        assert_eq!(KEYS[0].env_var(), "AIRLOCK_REQUIRED_REVIEWS");

        let m = f.refused_env(
            MINIMAL,
            &[("AIRLOCK_REQUIRED_REVIEWS", "two")],
            "required_reviews",
        );
        assert!(m.contains("AIRLOCK_REQUIRED_REVIEWS"), "{m}");
        let m = f.refused_env(
            MINIMAL,
            &[("AIRLOCK_REQUIRED_REVIEWS", "1")],
            "required_reviews",
        );
        assert!(
            m.contains("AIRLOCK_REQUIRED_REVIEWS") && m.contains("at least 2"),
            "{m}"
        );
        let m = f.refused_env(
            MINIMAL,
            &[("AIRLOCK_UPLOAD_TIMEOUT", "soon")],
            "upload_timeout",
        );
        assert!(m.contains("AIRLOCK_UPLOAD_TIMEOUT"), "{m}");
        let m = f.refused_env(MINIMAL, &[("AIRLOCK_HTTP_TIMEOUT", "NaN")], "http_timeout");
        assert!(m.contains("AIRLOCK_HTTP_TIMEOUT"), "{m}");
        // The environment can supply a required key.
        let without_work_dir = MINIMAL.replace("work_dir = \"work\"\n", "");
        let config = f
            .load_env(&without_work_dir, &[("AIRLOCK_WORK_DIR", "w2")])
            .expect("valid");
        assert_eq!(config.work_dir, f.base().join("w2"));
    }

    #[test]
    fn cfg_unknown_keys_are_refused_by_name() {
        let f = Fixture::new();
        let m = f.refused("required_review = 3", "required_review");
        assert!(
            m.contains("unknown configuration key") && m.contains("airlock.toml"),
            "{m}"
        );
        f.refused("[server]\nport = 1", "server");
    }

    #[test]
    fn cfg_wrong_types_are_refused_by_name() {
        let f = Fixture::new();
        let m = f.refused("required_reviews = \"two\"", "required_reviews");
        assert!(m.contains("airlock.toml"), "{m}");
        f.refused("required_reviews = 2.5", "required_reviews");
        f.refused("http_timeout = \"60s\"", "http_timeout");
        f.refused("backend = 7", "backend");
        f.refused("port = true", "port");
        let text = MINIMAL.replace("work_dir = \"work\"", "work_dir = [\"work\"]");
        f.refused_env(&text, &[], "work_dir");
    }

    #[test]
    fn cfg_n_below_two_is_refused() {
        let f = Fixture::new();
        for n in ["1", "0", "-3"] {
            let m = f.refused(&format!("required_reviews = {n}"), "required_reviews");
            assert!(m.contains("at least 2"), "{m}");
        }
        let mut config = f.load(MINIMAL).expect("valid");
        config.required_reviews = 1;
        assert_eq!(
            config
                .validate()
                .err()
                .and_then(|e| e.key().map(String::from)),
            Some("required_reviews".into())
        );
    }

    #[test]
    fn cfg_required_keys_are_named_when_missing() {
        let f = Fixture::new();
        for key in ["work_dir", "workspace_dir", "request_dir"] {
            let text: String = MINIMAL
                .lines()
                .filter(|l| !l.starts_with(&format!("{key} ")))
                .map(|l| format!("{l}\n"))
                .collect();
            let m = f.refused_env(&text, &[], key);
            assert!(
                m.contains(&format!("AIRLOCK_{}", key.to_uppercase())),
                "{m}"
            );
        }
        let text = MINIMAL.replace("\"work/requests\"", "\"\"");
        f.refused_env(&text, &[], "request_dir");
    }

    #[test]
    fn cfg_directories_must_exist_or_be_creatable() {
        let f = Fixture::new();
        let text = MINIMAL.replace("\"workspaces\"", "\"no-such-dir\"");
        let m = f.refused_env(&text, &[], "workspace_dir");
        assert!(m.contains("does not exist"), "{m}");
        let text = MINIMAL.replace("\"workspaces\"", "\"users.json\"");
        let m = f.refused_env(&text, &[], "workspace_dir");
        assert!(m.contains("not a directory"), "{m}");
        let text = MINIMAL.replace("\"work/requests\"", "\"users.json\"");
        f.refused_env(&text, &[], "request_dir");
        f.refused("repo_cache_dir = \"users.json\"", "repo_cache_dir");
        f.refused(
            "regular_requests_file = \"workspaces\"",
            "regular_requests_file",
        );
        for bad in ["25:00", "3am", "03:00:00", "never"] {
            let m = f.refused(
                &format!("regular_requests_time = \"{bad}\""),
                "regular_requests_time",
            );
            assert!(m.contains("HH:MM"), "{m}");
        }
        let off = f
            .load(&format!("{MINIMAL}regular_requests_time = \"Off\"\n"))
            .expect("valid");
        assert_eq!(off.regular_requests_time, None);
        // Directories the product writes need not exist yet; create_dirs makes them.
        let config = f.load(MINIMAL).expect("valid");
        assert!(!config.work_dir.exists());
        config.create_dirs().expect("created");
        for dir in [
            &config.work_dir,
            &config.request_dir,
            &config.repo_cache_dir,
        ] {
            assert!(dir.is_dir(), "{}", dir.display());
        }
        let text = format!("{MINIMAL}database_url = \"sqlite://db/dir/a.db\"\n");
        let config = f.load(&text).expect("valid");
        assert_eq!(
            config.database_url.sqlite_path(),
            Some(f.base().join("db/dir/a.db"))
        );
        config.create_dirs().expect("created");
        assert!(f.base().join("db/dir").is_dir());
    }

    #[test]
    fn cfg_database_url_is_checked() {
        let f = Fixture::new();
        let m = f.refused("database_url = \"mysql://h/db\"", "database_url");
        assert!(m.contains("mysql"), "{m}");
        f.refused("database_url = \"workspaces\"", "database_url");
        let config = f
            .load(&format!(
                "{MINIMAL}database_url = \"data/airlock.sqlite\"\n"
            ))
            .expect("valid");
        assert_eq!(
            config.database_url.as_str(),
            f.base().join("data/airlock.sqlite").to_string_lossy()
        );
    }

    #[test]
    fn cfg_jobs_api_endpoint_must_be_an_http_url_without_trailing_slash() {
        let f = Fixture::new();
        for bad in [
            "ftp://jobs.example/api",
            "jobs.example/api",
            "https://",
            "https:///x",
            "https://jobs.example/api/",
            "https://jobs example/api",
            "https://h/api?x=1",
        ] {
            f.refused(
                &format!("jobs_api_endpoint = \"{bad}\""),
                "jobs_api_endpoint",
            );
        }
        let config = f
            .load(&format!(
                "{MINIMAL}jobs_api_endpoint = \"https://jobs.example:8443/api/v2\"\n"
            ))
            .expect("valid");
        assert_eq!(config.jobs_api_endpoint, "https://jobs.example:8443/api/v2");
    }

    #[test]
    fn api_8_neither_token_nor_users_file_is_refused() {
        let f = Fixture::new();
        let without_users: String = MINIMAL.replace("dev_users_file = \"users.json\"\n", "");
        let m = f.refused_env(&without_users, &[], "dev_users_file");
        assert!(m.contains("jobs_api_token"), "{m}");
        let text = MINIMAL.replace("\"users.json\"", "\"missing.json\"");
        f.refused_env(&text, &[], "dev_users_file");
        // With a token, the users file is ignored, even a missing one.
        let config = f
            .load_env(&text, &[("AIRLOCK_JOBS_API_TOKEN", "t")])
            .expect("valid");
        assert!(!config.test_mode());
        assert_eq!(config.users_file(), None);
        f.refused("jobs_api_token = \"  \"", "jobs_api_token");
    }

    #[test]
    fn api_31_a_users_file_with_a_bad_grant_stops_startup() {
        let f = Fixture::new();
        let config = f.load(MINIMAL).expect("an empty users file is valid");
        assert_eq!(config.load_users().expect("load").map(|u| u.len()), Some(0));
        std::fs::write(
            f.base().join("users.json"),
            r#"{"r1": {"token": "t", "details": {"username": "r1",
                 "workspaces": {"ws": {"project_details": {"name": "P"}, "archived": false,
                                       "role": "lead"}}}}}"#,
        )
        .expect("write");
        let m = f.refused_env(MINIMAL, &[], "dev_users_file");
        assert!(
            m.contains("exactly the keys project_details and archived"),
            "{m}"
        );
        assert!(m.contains("users.json"), "{m}");
        std::fs::write(f.base().join("users.json"), "[").expect("write");
        let m = f.refused_env(MINIMAL, &[], "dev_users_file");
        assert!(m.contains("not valid JSON"), "{m}");
    }

    #[test]
    fn cfg_output_checking_org_and_repo_go_together() {
        let f = Fixture::new();
        f.refused("output_checking_org = \"org\"", "output_checking_repo");
        f.refused("output_checking_repo = \"repo\"", "output_checking_org");
        f.refused(
            "output_checking_org = \"a b\"\noutput_checking_repo = \"r\"",
            "output_checking_org",
        );
        f.load(&format!(
            "{MINIMAL}output_checking_org = \"org\"\noutput_checking_repo = \"repo\"\n"
        ))
        .expect("valid");
    }

    #[test]
    fn cfg_impossible_numbers_are_refused() {
        let f = Fixture::new();
        f.refused("backend = \"\"", "backend");
        f.refused("backend = \"a/b\"", "backend");
        f.refused("http_timeout = 0", "http_timeout");
        f.refused("upload_timeout = -5", "upload_timeout");
        f.refused("http_connect_timeout = 1e300", "http_connect_timeout");
        f.refused("upload_poll_interval = nan", "upload_poll_interval");
        let m = f.refused(
            "authz_refresh_interval = 600\nauthz_grace_period = 300",
            "authz_grace_period",
        );
        assert!(m.contains("AUTH-8"), "{m}");
        f.refused(
            "upload_backoff_base = 100\nupload_backoff_cap = 50",
            "upload_backoff_cap",
        );
        f.refused("upload_backoff_jitter = 1.5", "upload_backoff_jitter");
        f.refused("upload_backoff_jitter = -0.1", "upload_backoff_jitter");
        f.refused("upload_stuck_after = 0", "upload_stuck_after");
        f.refused("max_log_chars = 0", "max_log_chars");
        f.refused("max_log_chars = -1", "max_log_chars");
        f.refused("hint_low_count_threshold = 0", "hint_low_count_threshold");
        f.refused("hint_rounding_base = 0", "hint_rounding_base");
        f.refused("port = 70000", "port");
        f.refused("port = -1", "port");
        f.refused("bind_address = \"localhost\"", "bind_address");
        f.load(&format!(
            "{MINIMAL}bind_address = \"::1\"\nupload_backoff_jitter = 1\n"
        ))
        .expect("IPv6 and a jitter of 1 are fine");
    }

    #[test]
    fn cfg_secret_key_must_be_32_or_64_bytes() {
        let f = Fixture::new();
        let m = f.refused("secret_key = \"too-short\"", "secret_key");
        assert!(
            !m.contains("too-short"),
            "the key itself is never shown: {m}"
        );
        f.refused(
            &format!("secret_key = \"{}\"", "ab".repeat(20)),
            "secret_key",
        );
        for good in ["ab".repeat(32), "ab".repeat(64), "A".repeat(86) + "=="] {
            let config = f
                .load(&format!("{MINIMAL}secret_key = \"{good}\"\n"))
                .expect("valid key");
            assert_eq!(
                config.secret_key.map(|s| s.expose().to_string()),
                Some(good)
            );
        }
    }

    #[test]
    fn cfg_syntax_errors_name_the_file() {
        let f = Fixture::new();
        let err = f.load("work_dir = ").expect_err("bad toml");
        assert!(matches!(err, ConfigError::Syntax { .. }), "{err}");
        assert!(err.to_string().contains("airlock.toml"), "{err}");
        let err = f
            .load(&format!("{MINIMAL}port = 1\nport = 2\n"))
            .expect_err("duplicate");
        assert!(err.to_string().contains("port"), "{err}");
    }

    #[test]
    fn cfg_load_reads_a_file_relative_to_the_working_directory() {
        let f = Fixture::new();
        let file = f.base().join("airlock.toml");
        let absolute = MINIMAL
            .replace("\"work", &format!("\"{}/work", f.base().display()))
            .replace(
                "\"workspaces\"",
                &format!("\"{}/workspaces\"", f.base().display()),
            )
            .replace(
                "\"users.json\"",
                &format!("\"{}/users.json\"", f.base().display()),
            );
        std::fs::write(&file, absolute).expect("write");
        let config = Config::load_with_env(&file, |_| None).expect("valid");
        assert_eq!(config.workspace_dir, f.base().join("workspaces"));
        let err =
            Config::load_with_env(&f.base().join("nope.toml"), |_| None).expect_err("missing");
        assert!(matches!(err, ConfigError::Read { .. }), "{err}");
    }

    #[test]
    fn cfg_config_built_in_code_validates() {
        let f = Fixture::new();
        let mut config = Config::new(f.base().join("work"), f.base().join("workspaces"));
        config.dev_users_file = Some(f.base().join("users.json"));
        config.validate().expect("valid");
        assert_eq!(config.origin("port"), Origin::Code);
        config.port = 0;
        config.upload_backoff_jitter = 2.0;
        let err = config.validate().expect_err("jitter");
        assert!(err.to_string().contains("set in code"), "{err}");
    }

    #[test]
    fn cfg_entries_list_every_key_in_order() {
        let f = Fixture::new();
        let config = f
            .load(&format!("{MINIMAL}http_timeout = 2.5\n"))
            .expect("valid");
        let entries = config.entries();
        assert_eq!(
            entries.iter().map(|e| e.key).collect::<Vec<_>>(),
            KEYS.iter().map(|k| k.name).collect::<Vec<_>>()
        );
        let get = |k: &str| entries.iter().find(|e| e.key == k).map(|e| e.value.clone());
        assert_eq!(get("http_timeout"), Some(serde_json::json!(2.5)));
        assert_eq!(get("http_connect_timeout"), Some(serde_json::json!(10)));
        assert_eq!(get("jobs_api_token"), Some(serde_json::Value::Null));
        assert_eq!(get("required_reviews"), Some(serde_json::json!(2)));
    }
}
