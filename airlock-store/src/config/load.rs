//! Loading: the file's values, each of the type its key's kind writes, then the `AIRLOCK_<KEY>`
//! overrides; each key's effective value is read into its field by its kind, and the keys left
//! unset get their defaults.

use super::kind::{KeyKind, Kind, PORTS, Range};
use super::{Config, ConfigError, DatabaseUrl, KEYS, Key, KeyDefault, Origin, Secret, key_info};
use crate::db::pool::Target;
use serde::Deserialize;
use serde::de::{self, Visitor};
use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

impl Config {
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
        let mut written = file_values(table, file)?;
        written.extend(env_values(&env)?);
        // Missing required keys first: other values may depend on them (`work_dir`).
        if let Some(key) = KEYS
            .iter()
            .find(|k| k.default == KeyDefault::Required && !written.contains_key(k.name))
        {
            return Err(ConfigError::Missing {
                key: key.name,
                env_var: key.env_var(),
            });
        }
        let mut config = Config::blank();
        config.file = Some(file.to_path_buf());
        for key in KEYS {
            if let Some((value, origin)) = written.remove(key.name) {
                config.read(key, &value, origin, base_dir)?;
            }
        }
        config.fill_defaults(base_dir)?;
        config.validate()?;
        Ok(config)
    }

    /// Reads `value` into `key`'s field and records where it came from.
    fn read(
        &mut self,
        key: &'static Key,
        value: &toml::Value,
        origin: Origin,
        base_dir: &Path,
    ) -> Result<(), ConfigError> {
        if let Err(message) = key.kind.read(self, value, base_dir) {
            return Err(ConfigError::Invalid {
                key: key.name,
                origin,
                message,
            });
        }
        self.origins.insert(key.name, origin);
        Ok(())
    }

    /// Fills every key that has no origin yet with its default; a required one is missing.
    pub(crate) fn fill_defaults(&mut self, base_dir: &Path) -> Result<(), ConfigError> {
        for key in KEYS {
            if self.origins.contains_key(key.name) {
                continue;
            }
            let literal = match key.default {
                KeyDefault::Required => {
                    return Err(ConfigError::Missing {
                        key: key.name,
                        env_var: key.env_var(),
                    });
                }
                KeyDefault::Unset | KeyDefault::Generated(_) => continue,
                KeyDefault::Integer(i) => toml::Value::Integer(i),
                KeyDefault::Number(n) => toml::Value::Float(n),
                KeyDefault::Text(t) => toml::Value::String(t.to_string()),
                KeyDefault::UnderWorkDir(name) => {
                    let path = self.work_dir.join(name);
                    key.kind
                        .fill_path(self, path)
                        .map_err(|message| ConfigError::Invalid {
                            key: key.name,
                            origin: Origin::Default,
                            message,
                        })?;
                    continue;
                }
            };
            key.kind
                .read(self, &literal, base_dir)
                .map_err(|message| ConfigError::Invalid {
                    key: key.name,
                    origin: Origin::Default,
                    message,
                })?;
        }
        Ok(())
    }
}

impl Kind {
    /// Reads a value written in the file (or an override) into the field; relative paths
    /// resolve against `base`.
    fn read(&self, config: &mut Config, value: &toml::Value, base: &Path) -> Result<(), String> {
        match self {
            Kind::Count(f, range) => *(f.set)(config) = integer(value, *range)?,
            Kind::Int(f, range) => *(f.set)(config) = integer(value, *range)?,
            Kind::Port(f) => *(f.set)(config) = integer(value, PORTS)?,
            Kind::Seconds(f) => *(f.set)(config) = seconds(value)?,
            Kind::Fraction(f) => *(f.set)(config) = fraction(value)?,
            Kind::Dir(f) | Kind::InputDir(f) | Kind::File(f) => {
                *(f.set)(config) = resolve(base, non_empty(value)?);
            }
            Kind::OptFile(f) => *(f.set)(config) = Some(resolve(base, non_empty(value)?)),
            Kind::Database(f) => *(f.set)(config) = database(base, text(value)?)?,
            Kind::Url(f) => *(f.set)(config) = text(value)?.trim().to_string(),
            Kind::Name(f, _) => *(f.set)(config) = text(value)?.to_string(),
            Kind::OptName(f, _) => *(f.set)(config) = Some(non_empty(value)?.to_string()),
            Kind::Secret(f, _) => *(f.set)(config) = Some(Secret::new(non_empty(value)?)),
            Kind::Ip(f) => *(f.set)(config) = ip(text(value)?)?,
            Kind::TimeOfDay(f) => *(f.set)(config) = time_of_day(non_empty(value)?)?,
        }
        Ok(())
    }

    /// Sets a path key's field to `path` as given (a default inside `work_dir`).
    fn fill_path(&self, config: &mut Config, path: std::path::PathBuf) -> Result<(), String> {
        match self {
            Kind::Dir(f) | Kind::InputDir(f) | Kind::File(f) => *(f.set)(config) = path,
            Kind::OptFile(f) => *(f.set)(config) = Some(path),
            Kind::Database(f) => *(f.set)(config) = DatabaseUrl::new(path.to_string_lossy()),
            _ => return Err("a default inside work_dir needs a path key".into()),
        }
        Ok(())
    }
}

/// Each key's value and where it came from, before it is read.
type Written = BTreeMap<&'static str, (toml::Value, Origin)>;

/// The file's values: known keys, each of the TOML type its kind writes.
fn file_values(table: toml::Table, file: &Path) -> Result<Written, ConfigError> {
    let mut written = Written::new();
    for (name, value) in table {
        let origin = Origin::File(file.to_path_buf());
        let Some(key) = key_info(&name) else {
            return Err(ConfigError::UnknownKey { key: name, origin });
        };
        if let Err(message) = type_check(key.written(), &value) {
            return Err(ConfigError::Invalid {
                key: key.name,
                origin,
                message,
            });
        }
        written.insert(key.name, (value, origin));
    }
    Ok(written)
}

/// The `AIRLOCK_<KEY>` overrides read through `env`; an empty variable overrides nothing.
fn env_values(env: &impl Fn(&str) -> Option<String>) -> Result<Written, ConfigError> {
    let mut written = Written::new();
    for key in KEYS {
        let var = key.env_var();
        let Some(text) = env(&var).filter(|v| !v.is_empty()) else {
            continue;
        };
        let origin = Origin::Env(var);
        let value = env_value(key.written(), &text).map_err(|message| ConfigError::Invalid {
            key: key.name,
            origin: origin.clone(),
            message,
        })?;
        written.insert(key.name, (value, origin));
    }
    Ok(written)
}

/// Refuses a value of the wrong TOML type for a key written this way, with serde's message.
fn type_check(kind: KeyKind, value: &toml::Value) -> Result<(), String> {
    let checked = match kind {
        KeyKind::Integer => i64::deserialize(value.clone()).map(drop),
        KeyKind::Number => Num::deserialize(value.clone()).map(drop),
        KeyKind::Text => String::deserialize(value.clone()).map(drop),
    };
    checked.map_err(|e| e.message().trim_end().to_string())
}

/// A number written as a TOML integer or float.
struct Num;

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct NumVisitor;
        impl Visitor<'_> for NumVisitor {
            type Value = Num;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number (integer or float)")
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Num, E> {
                Ok(Num)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Num, E> {
                Ok(Num)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Num, E> {
                Ok(Num)
            }
        }
        d.deserialize_any(NumVisitor)
    }
}

/// The TOML value of an environment override of a key written this way.
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

/// "expected …, got a string": what was written instead (never the value: it may be secret).
fn wrong_type(expected: &str, value: &toml::Value) -> String {
    let got = value.type_str();
    let article = if got.starts_with(['a', 'i']) {
        "an"
    } else {
        "a"
    };
    format!("expected {expected}, got {article} {got}")
}

/// A TOML integer in `range`, as the field's type.
fn integer<T: TryFrom<i64>>(value: &toml::Value, range: Range) -> Result<T, String> {
    let toml::Value::Integer(v) = value else {
        return Err(wrong_type("an integer", value));
    };
    let v = range.check(*v)?;
    T::try_from(v).map_err(|_| format!("{v} is out of range"))
}

/// A TOML integer or float.
fn number(value: &toml::Value) -> Result<f64, String> {
    match value {
        toml::Value::Integer(i) => Ok(*i as f64),
        toml::Value::Float(f) => Ok(*f),
        other => Err(wrong_type("a number (integer or float)", other)),
    }
}

/// A positive, finite number of seconds.
fn seconds(value: &toml::Value) -> Result<Duration, String> {
    let secs = number(value)?;
    if !secs.is_finite() || secs <= 0.0 {
        return Err(format!("must be a positive number of seconds, got {secs}"));
    }
    Duration::try_from_secs_f64(secs).map_err(|_| format!("{secs} seconds is too long"))
}

/// A number from 0 to 1.
fn fraction(value: &toml::Value) -> Result<f64, String> {
    let v = number(value)?;
    if !v.is_finite() {
        Err("must be a finite number".into())
    } else if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("must be between 0 and 1, got {v}"))
    }
}

/// A TOML string.
fn text(value: &toml::Value) -> Result<&str, String> {
    value.as_str().ok_or_else(|| wrong_type("a string", value))
}

/// A TOML string that is not blank.
fn non_empty(value: &toml::Value) -> Result<&str, String> {
    match text(value)? {
        v if v.trim().is_empty() => Err("must not be empty".into()),
        v => Ok(v),
    }
}

/// `path` against `base` unless it is absolute.
fn resolve(base: &Path, path: impl AsRef<Path>) -> std::path::PathBuf {
    let path = path.as_ref();
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}

/// A PostgreSQL URL as given, or a SQLite path resolved against `base`.
fn database(base: &Path, url: &str) -> Result<DatabaseUrl, String> {
    match Target::parse(url).map_err(|e| e.to_string())? {
        Target::Postgres(_) => Ok(DatabaseUrl::new(url.trim())),
        Target::Sqlite(path) if path.starts_with(':') => Ok(DatabaseUrl::new(url.trim())),
        Target::Sqlite(path) => Ok(DatabaseUrl::new(resolve(base, path).to_string_lossy())),
    }
}

fn ip(text: &str) -> Result<IpAddr, String> {
    text.trim()
        .parse::<IpAddr>()
        .map_err(|_| format!("{text:?} is not an IP address (such as 127.0.0.1 or 0.0.0.0)"))
}

/// `HH:MM`, or `off` (any case) for `None`.
fn time_of_day(text: &str) -> Result<Option<chrono::NaiveTime>, String> {
    let v = text.trim();
    if v.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    chrono::NaiveTime::parse_from_str(v, "%H:%M")
        .map(Some)
        .map_err(|_| {
            format!("expected a UTC time of day as HH:MM (e.g. 03:00) or off, got {text:?}")
        })
}
