//! The table of configuration keys (`behaviour.md` §22): each key once, with its kind, its
//! default and its doc line. Loading, validation, redaction, errors and `check-config`'s
//! figures all follow from it.

pub use super::kind::KeyKind;
use super::kind::{Field, Kind, at_least};
use super::secret_key::{SECRET_KEY_FILE, check_secret_key};
use super::validate::{backend_slug, github_name, http_url, not_blank};
use super::{Config, DEFAULT_JOBS_API_ENDPOINT, DEFAULT_SQLITE_FILE, DatabaseUrl, ENV_PREFIX};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

/// One configuration key.
pub struct Key {
    /// The key as written in the file; also its field of [`Config`].
    pub name: &'static str,
    /// Its value when neither the file nor the environment sets it.
    pub default: KeyDefault,
    /// What it means.
    pub doc: &'static str,
    /// Its kind and field.
    pub(crate) kind: Kind,
}

impl Key {
    /// The environment variable overriding this key: `AIRLOCK_<NAME>`.
    pub fn env_var(&self) -> String {
        format!("{ENV_PREFIX}{}", self.name.to_ascii_uppercase())
    }

    /// How its value is written (and so how its environment variable is read).
    pub fn written(&self) -> KeyKind {
        self.kind.written()
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("name", &self.name)
            .field("written", &self.written())
            .field("default", &self.default)
            .finish()
    }
}

/// A key's value when neither the file nor the environment sets it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KeyDefault {
    /// None: the file or the environment must set it.
    Required,
    /// Unset (`None`).
    Unset,
    /// This integer, as if written in the file.
    Integer(i64),
    /// This number, as if written in the file.
    Number(f64),
    /// This text, as if written in the file.
    Text(&'static str),
    /// This file or directory inside `work_dir`.
    UnderWorkDir(&'static str),
    /// Unset in [`Config`]; the service generates the value once and keeps it in this file
    /// inside `work_dir` (`secret_key`).
    Generated(&'static str),
}

/// Declares [`KEYS`] from lines `name: Kind(args) = default, "doc";` (the field of each kind
/// is the field `name` of [`Config`]), and [`Config::blank`], every field at a placeholder.
macro_rules! keys {
    ($($name:ident: $kind:ident $(($($arg:expr),*))? = $default:expr, $doc:literal;)*) => {
        /// Every configuration key, in the order `check-config` prints them.
        pub static KEYS: &[Key] = &[$(
            Key {
                name: stringify!($name),
                default: $default,
                doc: $doc,
                kind: Kind::$kind(
                    Field { get: |c| &c.$name, set: |c| &mut c.$name }
                    $($(, $arg)*)?
                ),
            },
        )*];

        impl Config {
            /// Every key's field at a placeholder, before loading fills each one.
            pub(crate) fn blank() -> Config {
                Config {
                    $($name: Placeholder::placeholder(),)*
                    file: None,
                    origins: BTreeMap::new(),
                }
            }
        }
    };
}

use KeyDefault::{Generated, Integer, Number, Required, Text, UnderWorkDir, Unset};

keys! {
    required_reviews: Count(at_least(2)) = Integer(2),
        "N: independent reviews a request needs (at least 2)";
    work_dir: Dir = Required,
        "base directory; holds the SQLite database by default";
    workspace_dir: InputDir = Required,
        "directory of workspaces (must exist; read-only)";
    request_dir: Dir = Required,
        "request file store";
    repo_cache_dir: Dir = UnderWorkDir("repos"),
        "git cache for the code view (default <work_dir>/repos)";
    git_proxy_url: OptName(http_url) = Unset,
        "base URL of a git proxy for the code view: https://github.com/org/study is fetched from \
         <git_proxy_url>/github.com/org/study (unset: from the repository's own URL)";
    git_proxy_token: Secret(not_blank) = Unset,
        "token sent to the git proxy as a bearer token (secret)";
    git_timeout: Seconds = Number(120.0),
        "seconds one code-view fetch of a commit may take (WEB-9)";
    database_url: Database = UnderWorkDir(DEFAULT_SQLITE_FILE),
        "postgres://... or a SQLite path (default <work_dir>/airlock.db)";
    jobs_api_endpoint: Url = Text(DEFAULT_JOBS_API_ENDPOINT),
        "Jobs site API base URL, no trailing /";
    jobs_api_token: Secret(not_blank) = Unset,
        "backend token for the Jobs site (secret)";
    dev_users_file: OptFile = Unset,
        "test-mode users file; ignored when a token is set";
    output_checking_org: OptName(github_name) = Unset,
        "GitHub org added to notifications (with the repo)";
    output_checking_repo: OptName(github_name) = Unset,
        "GitHub repo added to notifications (with the org)";
    backend: Name(backend_slug) = Text("test"),
        "backend slug (logs, git user)";
    http_connect_timeout: Seconds = Number(10.0),
        "seconds to connect on every outbound call";
    http_timeout: Seconds = Number(60.0),
        "seconds for every outbound call";
    upload_timeout: Seconds = Number(300.0),
        "seconds per file upload";
    authz_refresh_interval: Seconds = Number(900.0),
        "seconds between re-authorisations (AUTH-5)";
    authz_grace_period: Seconds = Number(3600.0),
        "seconds stale permissions stay usable (AUTH-7)";
    upload_poll_interval: Seconds = Number(5.0),
        "seconds between uploader passes (UPL-6)";
    upload_backoff_base: Seconds = Number(30.0),
        "seconds of the first retry delay (UPL-4)";
    upload_backoff_cap: Seconds = Number(3600.0),
        "seconds of the longest retry delay (UPL-4)";
    upload_backoff_jitter: Fraction = Number(0.2),
        "fraction of random shortening of a delay, 0 to 1 (UPL-4)";
    upload_stuck_after: Int(at_least(1)) = Integer(8),
        "attempts after which a file is stuck (UPL-7)";
    max_log_chars: Count(at_least(1)) = Integer(10_000),
        "characters of a log shown (REN-5)";
    hint_low_count_threshold: Int(at_least(1)) = Integer(10),
        "low-count hint threshold T (HNT-2)";
    hint_rounding_base: Int(at_least(1)) = Integer(5),
        "rounding hint base (HNT-3)";
    regular_requests_file: File = UnderWorkDir("regular_release_requests.json"),
        "OPS-3 file (default <work_dir>/regular_release_requests.json)";
    regular_requests_time: TimeOfDay = Text("03:00"),
        "UTC time of day (HH:MM) of the worker's daily OPS-3 run, or off (default 03:00)";
    bind_address: Ip = Text("127.0.0.1"),
        "IP address the web server listens on";
    port: Port = Integer(8000),
        "TCP port the web server listens on (0: any free port)";
    public_url: OptName(http_url) = Unset,
        "the URL users open the service at, when it is not http://<bind_address>:<port>: \
         page cookies are Secure when it starts with https://, and form posts must come from it";
    secret_key: Secret(check_secret_key) = Generated(SECRET_KEY_FILE),
        "server secret for CSRF tokens and cookie sessions: base64 or hex of 32 or 64 bytes \
         (secret); unset, 32 random bytes are generated on first start and kept in \
         <work_dir>/secret_key";
}

/// The table entry of a key, if it is one.
pub fn key_info(name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.name == name)
}

/// The value a field holds before loading fills it; never seen once loading succeeds.
trait Placeholder {
    fn placeholder() -> Self;
}

macro_rules! placeholder_is_default {
    ($($ty:ty),*) => {
        $(impl Placeholder for $ty {
            fn placeholder() -> Self {
                Default::default()
            }
        })*
    };
}

placeholder_is_default!(usize, i64, u16, f64, Duration, PathBuf, String);

impl<T> Placeholder for Option<T> {
    fn placeholder() -> Self {
        None
    }
}

impl Placeholder for IpAddr {
    fn placeholder() -> Self {
        IpAddr::from([0, 0, 0, 0])
    }
}

impl Placeholder for DatabaseUrl {
    fn placeholder() -> Self {
        DatabaseUrl::new("")
    }
}
