//! The effective values that `airlock check-config` prints, shown as each key's kind says:
//! plain, a path, seconds, a redacted secret, a URL with its password hidden.

use super::kind::Kind;
use super::{Config, KEYS, KeyDefault, Origin, REDACTED};
use serde_json::Value;
use std::path::Path;

/// One key's effective value, for display ([`Config::entries`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigEntry {
    /// The key.
    pub key: &'static str,
    /// Its value (redacted when secret; `Null` when unset).
    pub value: Value,
    /// Where the value came from.
    pub origin: Origin,
}

impl Config {
    /// Every key with its effective value, secrets as [`REDACTED`] and the database password
    /// hidden, unset values as `Null` (a generated one as where it is kept), in the order of
    /// [`KEYS`]. For display only.
    pub fn entries(&self) -> Vec<ConfigEntry> {
        KEYS.iter()
            .map(|key| {
                let value = match (key.kind.shown(self), key.default) {
                    (Value::Null, KeyDefault::Generated(file)) => Value::from(format!(
                        "(generated in {})",
                        self.work_dir.join(file).display()
                    )),
                    (value, _) => value,
                };
                ConfigEntry {
                    key: key.name,
                    value,
                    origin: self.origin(key.name),
                }
            })
            .collect()
    }
}

impl Kind {
    /// The field's value as shown; `Null` when unset.
    fn shown(&self, c: &Config) -> Value {
        let path = |p: &Path| Value::from(p.to_string_lossy().into_owned());
        match self {
            Kind::Count(f, _) => Value::from(*(f.get)(c)),
            Kind::Int(f, _) => Value::from(*(f.get)(c)),
            Kind::Port(f) => Value::from(*(f.get)(c)),
            Kind::Seconds(f) => number((f.get)(c).as_secs_f64()),
            Kind::Fraction(f) => number(*(f.get)(c)),
            Kind::Dir(f) | Kind::InputDir(f) | Kind::File(f) => path((f.get)(c)),
            Kind::OptFile(f) => (f.get)(c).as_deref().map_or(Value::Null, path),
            Kind::Database(f) => Value::from((f.get)(c).redacted()),
            Kind::Url(f) | Kind::Name(f, _) => Value::from((f.get)(c).clone()),
            Kind::OptName(f, _) => (f.get)(c).clone().map_or(Value::Null, Value::from),
            Kind::Secret(f, _) => (f.get)(c)
                .as_ref()
                .map_or(Value::Null, |_| Value::from(REDACTED)),
            Kind::Ip(f) => Value::from((f.get)(c).to_string()),
            Kind::TimeOfDay(f) => match (f.get)(c) {
                Some(t) => Value::from(t.format("%H:%M").to_string()),
                None => Value::from("off"),
            },
        }
    }
}

/// A whole number as an integer, anything else as a float.
fn number(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        Value::from(v as i64)
    } else {
        Value::from(v)
    }
}
