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
//! [`Config::secret_key_or_generate`] gives the server secret, generating it on first use when
//! `secret_key` is not set.
//!
//! Every key is declared once, in the table of [`KEYS`] (`keys.rs`): its name (which is also
//! its field of [`Config`]), its kind, its default and its doc line. Everything else follows
//! from the table, one concern per file:
//! - `kind.rs`: what a kind is (how a value is written, which typed field it fills);
//! - `load.rs`: the file and the environment, read into the fields, then the defaults;
//! - `validate.rs`: every value's own check, then the rules between keys;
//! - `display.rs`: the effective values that `airlock check-config` prints;
//! - `secret.rs`: values that never show their secret ([`Secret`], [`DatabaseUrl`]);
//! - `secret_key.rs`: the server secret ([`SecretKey`]);
//! - `error.rs`: [`ConfigError`] and [`Origin`].
//!
//! Adding a key means adding its line to the table and its field here (and using it).

mod display;
mod error;
mod keys;
mod kind;
mod load;
mod secret;
mod secret_key;
#[cfg(test)]
mod tests;
mod validate;

pub use display::ConfigEntry;
pub use error::{ConfigError, Origin};
pub use keys::{KEYS, Key, KeyDefault, KeyKind, key_info};
pub use secret::{DatabaseUrl, REDACTED, Secret};
pub use secret_key::{SECRET_KEY_FILE, SecretKey};
pub use validate::load_users_file;

use airlock_core::Rules;
use airlock_core::users_file::UsersFile;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The prefix of every environment override.
pub const ENV_PREFIX: &str = "AIRLOCK_";

/// The default Jobs site API endpoint.
pub const DEFAULT_JOBS_API_ENDPOINT: &str = "https://jobs.opensafely.org/api/v2";

/// The SQLite file name used when `database_url` is not set, inside `work_dir`.
pub const DEFAULT_SQLITE_FILE: &str = "airlock.db";

/// The validated configuration. Paths are absolute.
///
/// Build it with [`Config::load`] (or [`Config::load_with_env`], [`Config::from_toml`]), or in
/// code with [`Config::new`] and then [`Config::validate`]. `Debug` hides the secrets and the
/// database password. Each field is the key of [`KEYS`] of the same name.
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
    /// WEB-8: the git proxy repositories are fetched through, when configured.
    pub git_proxy_url: Option<String>,
    /// WEB-8: the bearer token for the git proxy.
    pub git_proxy_token: Option<Secret>,
    /// WEB-9: how long one fetch of a commit may take.
    pub git_timeout: Duration,
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
    /// The URL users open the service at (PG-10, PG-11), when configured.
    pub public_url: Option<String>,
    /// The server secret as configured (hex or base64); unset means the one generated in
    /// `<work_dir>/secret_key`. Use it through [`Config::secret_key_or_generate`].
    pub secret_key: Option<Secret>,
    /// The file it was loaded from; `None` when built in code.
    file: Option<PathBuf>,
    /// Where each value that is not a default came from.
    origins: BTreeMap<&'static str, Origin>,
}

impl Config {
    /// A configuration with every default, for code and tests: `request_dir` is
    /// `<work_dir>/requests` and no users file or token is set, so set one of them and call
    /// [`Config::validate`] after changing fields. Relative paths are kept as given.
    pub fn new(work_dir: impl Into<PathBuf>, workspace_dir: impl Into<PathBuf>) -> Self {
        let mut config = Config::blank();
        let work_dir = work_dir.into();
        config.request_dir = work_dir.join("requests");
        config.work_dir = work_dir;
        config.workspace_dir = workspace_dir.into();
        for key in ["work_dir", "workspace_dir", "request_dir"] {
            config.origins.insert(key, Origin::Code);
        }
        // The required keys are set above and every default of the table reads (a test shows
        // it), so this cannot fail.
        let filled = config.fill_defaults(Path::new(""));
        debug_assert!(filled.is_ok(), "the key table's defaults: {filled:?}");
        config
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
                .map_err(|message| self.invalid("dev_users_file", message)),
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

    /// Creates the directories the product writes, when missing: every directory key that is
    /// not an input (`work_dir`, `request_dir`, `repo_cache_dir`) and the SQLite file's
    /// directory.
    pub fn create_dirs(&self) -> Result<(), ConfigError> {
        let sqlite_dir = self
            .database_url
            .sqlite_path()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .filter(|p| !p.as_os_str().is_empty())
            .map(|dir| ("database_url", dir));
        let dirs = KEYS
            .iter()
            .filter_map(|key| Some((key.name, key.kind.written_dir(self)?.to_path_buf())));
        for (key, path) in dirs.chain(sqlite_dir) {
            std::fs::create_dir_all(&path).map_err(|source| ConfigError::CreateDir {
                key,
                path,
                source,
            })?;
        }
        Ok(())
    }
}
