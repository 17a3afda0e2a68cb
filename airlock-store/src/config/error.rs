//! Refusals: [`ConfigError`], and the [`Origin`] of a value that every refusal of a value names.

use super::{Config, KEYS};
use std::fmt;
use std::path::PathBuf;

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
    /// The generated server secret (`secret_key` unset) cannot be read, is malformed, or
    /// cannot be written. The message never shows the key.
    #[error("secret key file {} {problem} (configuration key `secret_key`)", path.display())]
    SecretKeyFile {
        /// The file, `<work_dir>/secret_key`.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
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
            ConfigError::SecretKeyFile { .. } => Some("secret_key"),
            _ => None,
        }
    }
}

impl Config {
    /// The refusal of `key`'s value, naming where it came from.
    pub(crate) fn invalid(&self, key: &'static str, message: String) -> ConfigError {
        ConfigError::Invalid {
            key,
            origin: self.origin(key),
            message,
        }
    }
}

fn known_keys() -> String {
    KEYS.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")
}
