//! The REN-3 statistics of a CSV file and their display: the column type, the numbers, the
//! table of statistics and the notes under it.

use serde::Serialize;
use std::fmt;

/// The notes shown under the statistics table (REN-3).
pub const NOTES: [&str; 4] = [
    "Values are compared after removing spaces and lower-casing.",
    "Missing values: \"\", null, none, nan. Redacted values: [redacted], redacted, na, n/a, <=7.",
    "Divisible by 5 (or 6): every numeric value x has x mod 5 = 0 (or x mod 6 = 0).",
    "Midpoint 6 rounded: every value x is 0 or has (x - 3) mod 6 = 0.",
];

/// A statistic's number: exact for integer columns, `f64` otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Number {
    /// An exact integer.
    Integer(i128),
    /// A floating-point number.
    Float(f64),
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Number::Integer(n) => write!(f, "{n}"),
            Number::Float(x) if x == 0.0 || (1e-5..1e16).contains(&x.abs()) => write!(f, "{x}"),
            Number::Float(x) if x.is_finite() => write!(f, "{x:e}"),
            Number::Float(x) => write!(f, "{x}"),
        }
    }
}

/// The REN-3 column type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    /// Every non-missing, non-redacted value is an integer (and there is at least one).
    Integer,
    /// Every such value is numeric and at least one is not an integer.
    Float,
    /// Some values are numeric and some are text.
    Mixed,
    /// No numeric value at all (including all missing or redacted).
    Text,
}

impl ColumnType {
    /// The type's name as shown: `integer`, `float`, `mixed`, `text`.
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnType::Integer => "integer",
            ColumnType::Float => "float",
            ColumnType::Mixed => "mixed",
            ColumnType::Text => "text",
        }
    }

    /// Whether the numeric statistics apply (integer or float).
    pub fn is_numeric(self) -> bool {
        matches!(self, ColumnType::Integer | ColumnType::Float)
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The REN-3 statistics of one column. `None` is shown as `-`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnStats {
    /// The header cell.
    pub name: String,
    /// Column type.
    pub column_type: ColumnType,
    /// Total rows: every data row, short ones included.
    pub total_rows: u64,
    /// Total numeric: values matching the integer or decimal pattern.
    pub total_numeric: u64,
    /// Null / missing values (absent cells of short rows included).
    pub missing: u64,
    /// Redacted values.
    pub redacted: u64,
    /// Min value.
    pub min: Option<Number>,
    /// Max value.
    pub max: Option<Number>,
    /// Sum.
    pub sum: Option<Number>,
    /// Min non-zero: the smallest absolute value among non-zero values.
    pub min_non_zero: Option<Number>,
    /// Divisible by 5.
    pub divisible_by_5: Option<bool>,
    /// Divisible by 6.
    pub divisible_by_6: Option<bool>,
    /// Midpoint 6 rounded.
    pub midpoint_6_rounded: Option<bool>,
}

/// One row of the statistics table: a label and one display value per column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SummaryRow {
    /// The statistic, e.g. `Column type`.
    pub label: &'static str,
    /// The value for each column, `-` where it does not apply.
    pub values: Vec<String>,
}

/// The REN-3 statistics of a CSV file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CsvSummary {
    /// Number of data rows.
    pub data_rows: u64,
    /// One entry per header column.
    pub columns: Vec<ColumnStats>,
}

impl CsvSummary {
    /// The table as shown: one row per statistic, one value per column.
    pub fn table(&self) -> Vec<SummaryRow> {
        fn num(n: &Option<Number>) -> String {
            n.map_or_else(|| "-".to_string(), |n| n.to_string())
        }
        fn yes_no(b: &Option<bool>) -> String {
            match b {
                Some(true) => "Yes".into(),
                Some(false) => "No".into(),
                None => "-".into(),
            }
        }
        type Cell = fn(&ColumnStats) -> String;
        let rows: [(&'static str, Cell); 12] = [
            ("Column type", |c| c.column_type.to_string()),
            ("Total rows", |c| c.total_rows.to_string()),
            ("Total numeric", |c| c.total_numeric.to_string()),
            ("Null / missing", |c| c.missing.to_string()),
            ("Redacted", |c| c.redacted.to_string()),
            ("Min value", |c| num(&c.min)),
            ("Max value", |c| num(&c.max)),
            ("Sum", |c| num(&c.sum)),
            ("Min non-zero", |c| num(&c.min_non_zero)),
            ("Divisible by 5", |c| yes_no(&c.divisible_by_5)),
            ("Divisible by 6", |c| yes_no(&c.divisible_by_6)),
            ("Midpoint 6 rounded", |c| yes_no(&c.midpoint_6_rounded)),
        ];
        rows.iter()
            .map(|(label, cell)| SummaryRow {
                label,
                values: self.columns.iter().map(cell).collect(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_display() {
        assert_eq!(Number::Integer(-12).to_string(), "-12");
        assert_eq!(Number::Float(2.5).to_string(), "2.5");
        assert_eq!(Number::Float(1e300).to_string(), "1e300");
        assert_eq!(Number::Float(f64::INFINITY).to_string(), "inf");
    }
}
