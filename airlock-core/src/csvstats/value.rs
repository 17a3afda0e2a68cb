//! The REN-3 classification of one cell: normalised, then missing, redacted, numeric or text.

use super::numeric::Numeric;

/// Normalised values that count as missing (REN-3).
pub const MISSING_VALUES: [&str; 4] = ["", "null", "none", "nan"];

/// Normalised values that count as redacted (REN-3).
pub const REDACTED_VALUES: [&str; 5] = ["[redacted]", "redacted", "na", "n/a", "<=7"];

/// REN-3 normalisation: whitespace removed, lower-cased.
pub fn normalise(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The REN-3 class of one cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A missing value (`""`, `null`, `none`, `nan`), or a cell absent from a short row.
    Missing,
    /// A redacted value (`[redacted]`, `redacted`, `na`, `n/a`, `<=7`).
    Redacted,
    /// A value matching the integer or decimal pattern.
    Numeric(Numeric),
    /// Anything else.
    Text,
}

impl Value {
    /// Classifies a raw cell (it is normalised first).
    pub fn classify(raw: &str) -> Value {
        let v = normalise(raw);
        if MISSING_VALUES.contains(&v.as_str()) {
            Value::Missing
        } else if REDACTED_VALUES.contains(&v.as_str()) {
            Value::Redacted
        } else {
            Numeric::parse(&v).map_or(Value::Text, Value::Numeric)
        }
    }

    /// The numeric value, if this is one.
    pub fn numeric(&self) -> Option<&Numeric> {
        match self {
            Value::Numeric(n) => Some(n),
            _ => None,
        }
    }
}
