//! What a key is: its [`Kind`] decides how its value is written (a TOML integer, number or
//! string, and so how an `AIRLOCK_` variable is read), which typed field of [`Config`] it
//! fills, its own check and how `check-config` shows it. Reading is in `load.rs`, checking in
//! `validate.rs`, showing in `display.rs`.

use super::{Config, DatabaseUrl, Secret};
use chrono::NaiveTime;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

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

/// A field of [`Config`], reached through plain functions so that the key table can hold it.
pub(crate) struct Field<T: 'static> {
    /// The field.
    pub(crate) get: fn(&Config) -> &T,
    /// The field, to fill it.
    pub(crate) set: fn(&mut Config) -> &mut T,
}

/// A check of a text value; the message says what is wrong (never the value of a secret).
pub(crate) type Check = fn(&str) -> Result<(), String>;

/// The whole numbers an integer key accepts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Range {
    min: i64,
    max: i64,
}

/// At least `min`.
pub(crate) const fn at_least(min: i64) -> Range {
    Range { min, max: i64::MAX }
}

/// A TCP port.
pub(crate) const PORTS: Range = Range { min: 0, max: 65535 };

impl Range {
    /// `v` when it is in the range, else why not.
    pub(crate) fn check(self, v: i64) -> Result<i64, String> {
        match (v < self.min || v > self.max, self.max) {
            (false, _) => Ok(v),
            (true, i64::MAX) => Err(format!("must be at least {}, got {v}", self.min)),
            (true, max) => Err(format!("must be between {} and {max}, got {v}", self.min)),
        }
    }
}

/// A key's kind, with the field it fills.
pub(crate) enum Kind {
    /// A count (TOML integer) in a range; shown as is.
    Count(Field<usize>, Range),
    /// A signed whole number (TOML integer) in a range; shown as is.
    Int(Field<i64>, Range),
    /// A TCP port (TOML integer), 0 to 65535; shown as is.
    Port(Field<u16>),
    /// A positive number of seconds (TOML integer or float); shown as a number of seconds.
    Seconds(Field<Duration>),
    /// A fraction from 0 to 1 (TOML integer or float); shown as a number.
    Fraction(Field<f64>),
    /// A directory the product writes (created by [`Config::create_dirs`]); a path, shown
    /// resolved.
    Dir(Field<PathBuf>),
    /// A directory the product only reads; it must exist.
    InputDir(Field<PathBuf>),
    /// A file path (not a directory).
    File(Field<PathBuf>),
    /// An optional file path; what it must be is a rule between keys.
    OptFile(Field<Option<PathBuf>>),
    /// `postgres://...` or a SQLite path (resolved); shown with its password hidden.
    Database(Field<DatabaseUrl>),
    /// An `http://` or `https://` URL without a trailing `/` (surrounding spaces dropped).
    Url(Field<String>),
    /// A name passing its check; shown as is.
    Name(Field<String>, Check),
    /// An optional name passing its check; shown as is, or unset.
    OptName(Field<Option<String>>, Check),
    /// An optional secret passing its check; shown as [`super::REDACTED`], never as itself.
    Secret(Field<Option<Secret>>, Check),
    /// An IP address; shown as text.
    Ip(Field<IpAddr>),
    /// A UTC time of day `HH:MM`, or `off` (`None`).
    TimeOfDay(Field<Option<NaiveTime>>),
}

impl Kind {
    /// How the value is written.
    pub(crate) fn written(&self) -> KeyKind {
        match self {
            Kind::Count(..) | Kind::Int(..) | Kind::Port(_) => KeyKind::Integer,
            Kind::Seconds(_) | Kind::Fraction(_) => KeyKind::Number,
            _ => KeyKind::Text,
        }
    }

    /// The directory `config` holds for this key, when it is a directory the product writes.
    pub(crate) fn written_dir<'c>(&self, config: &'c Config) -> Option<&'c Path> {
        match self {
            Kind::Dir(f) => Some((f.get)(config)),
            _ => None,
        }
    }
}
