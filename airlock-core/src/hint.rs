//! Disclosure hints on CSV outputs (`behaviour.md` §15), computed from the file's bytes each
//! time it is viewed (HNT-1) and never stored.
//!
//! Hints are advisory (HNT-5): nothing here returns a refusal, and no action may be refused
//! because of a hint. Two kinds exist:
//!
//! - [`HintCode::LowCount`] (HNT-2): a data cell whose normalised value (REN-3) is an integer
//!   `n` with `0 < n < hint_low_count_threshold`.
//! - [`HintCode::NotRounded`] (HNT-3): a column of type `integer` (REN-3) with values that are
//!   not a multiple of `hint_rounding_base`. A base below 1 disables this check.
//!
//! One pass over the CSV yields both the REN-3 statistics and the hints ([`analyse`]).

/// HNT-1: whether a file has hints: every CSV file, by its suffix (the renderer of REN-1).
pub fn applies_to(path: &str) -> bool {
    path.ends_with(".csv")
}

use crate::context::Rules;
use crate::csvstats::{ColumnType, CsvError, CsvSummary, Summariser, Value, records};
use serde::Serialize;
use std::fmt;
use std::io::Read;

/// The stable kind of a hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HintCode {
    /// HNT-2: a small positive count in one cell.
    LowCount,
    /// HNT-3: an integer column not rounded to the configured base.
    NotRounded,
}

impl HintCode {
    /// The stable code: `low_count` or `not_rounded`.
    pub fn as_str(self) -> &'static str {
        match self {
            HintCode::LowCount => "low_count",
            HintCode::NotRounded => "not_rounded",
        }
    }
}

impl fmt::Display for HintCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One disclosure hint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hint {
    /// The kind.
    pub code: HintCode,
    /// The text shown, e.g. `Low count: 3 is below 10`.
    pub message: String,
    /// The column's index, from 0, in the row's cells.
    pub column: usize,
    /// The column's header, if the header has that column.
    pub column_name: Option<String>,
    /// For a cell hint, the data row number as shown (from 1, REN-2); `None` for a column hint.
    pub row: Option<u64>,
    /// For a low count, the count `n`.
    pub value: Option<i64>,
    /// How many values the hint covers: 1 for a cell, the number of unrounded values for HNT-3.
    pub count: u64,
    /// For a cell hint, the cell's text as written (`api.md` §5).
    pub text: Option<String>,
}

/// The REN-3 statistics and §15 hints of one CSV file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CsvAnalysis {
    /// The statistics; `None` when there is no data row.
    pub summary: Option<CsvSummary>,
    /// Column hints (by column), then cell hints (by row, then column).
    pub hints: Vec<Hint>,
}

impl CsvAnalysis {
    /// Whether the cell at data row `row` (from 1) and column `column` (from 0) is highlighted
    /// (HNT-2).
    pub fn is_flagged(&self, row: u64, column: usize) -> bool {
        self.hints
            .iter()
            .any(|h| h.row == Some(row) && h.column == column)
    }
}

/// The thresholds of §15, taken from the rules (§22).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// HNT-2 `hint_low_count_threshold` (T).
    pub low_count: i64,
    /// HNT-3 `hint_rounding_base`.
    pub rounding_base: i64,
}

impl Thresholds {
    /// The thresholds configured in `rules`.
    pub fn from_rules(rules: &Rules) -> Self {
        Thresholds {
            low_count: rules.hint_low_count_threshold,
            rounding_base: rules.hint_rounding_base,
        }
    }
}

/// HNT-2: the low-count hint for one cell value, if it gets one.
pub fn low_count(value: &Value, threshold: i64) -> Option<i64> {
    let n = value.numeric().filter(|n| n.is_integer())?.as_i128()?;
    let n = i64::try_from(n).ok()?;
    (n > 0 && n < threshold).then_some(n)
}

/// The text of an HNT-2 hint.
pub fn low_count_message(n: i64, threshold: i64) -> String {
    format!("Low count: {n} is below {threshold}")
}

/// The text of an HNT-3 hint covering `count` values.
pub fn not_rounded_message(column: &str, base: i64, count: u64) -> String {
    let values = if count == 1 { "value" } else { "values" };
    format!("Column '{column}' is not rounded to a multiple of {base} ({count} {values})")
}

/// §15 and REN-3 in one pass over a CSV stream.
pub fn analyse<R: Read>(reader: R, rules: &Rules) -> Result<CsvAnalysis, CsvError> {
    analyse_with(reader, Thresholds::from_rules(rules))
}

/// [`analyse`] with explicit thresholds.
pub fn analyse_with<R: Read>(reader: R, thresholds: Thresholds) -> Result<CsvAnalysis, CsvError> {
    let mut rows = records(reader);
    let Some(header) = rows.next().transpose()? else {
        return Ok(CsvAnalysis {
            summary: None,
            hints: Vec::new(),
        });
    };
    let base = u64::try_from(thresholds.rounding_base)
        .ok()
        .filter(|&b| b > 0);
    let mut unrounded = vec![0u64; header.len()];
    let mut cell_hints = Vec::new();
    let mut summariser = Summariser::new(header);
    for (index, row) in rows.enumerate() {
        let row_number = index as u64 + 1;
        let record = row?;
        let values: Vec<Value> = record.iter().map(|c| Value::classify(c)).collect();
        for (column, value) in values.iter().enumerate() {
            if let Some(n) = low_count(value, thresholds.low_count) {
                cell_hints.push(Hint {
                    code: HintCode::LowCount,
                    message: low_count_message(n, thresholds.low_count),
                    column,
                    column_name: summariser.header().get(column).cloned(),
                    row: Some(row_number),
                    value: Some(n),
                    count: 1,
                    text: record.get(column).cloned(),
                });
            }
            if let (Some(base), Some(n), Some(slot)) =
                (base, value.numeric(), unrounded.get_mut(column))
                && n.is_integer()
                && !n.is_multiple_of(base)
            {
                *slot += 1;
            }
        }
        summariser.add_row(&values);
    }
    let summary = summariser.finish();
    let mut hints: Vec<Hint> = summary
        .iter()
        .flat_map(|s| s.columns.iter().enumerate())
        .filter(|(i, c)| c.column_type == ColumnType::Integer && unrounded[*i] > 0)
        .map(|(i, c)| Hint {
            code: HintCode::NotRounded,
            message: not_rounded_message(&c.name, thresholds.rounding_base, unrounded[i]),
            column: i,
            column_name: Some(c.name.clone()),
            row: None,
            value: None,
            count: unrounded[i],
            text: None,
        })
        .collect();
    hints.append(&mut cell_hints);
    Ok(CsvAnalysis { summary, hints })
}

/// The §15 hints of CSV bytes in memory.
pub fn hints(bytes: &[u8], rules: &Rules) -> Result<Vec<Hint>, CsvError> {
    analyse(bytes, rules).map(|a| a.hints)
}

/// HNT-4: the number of hints of CSV bytes, for the request overview. A file that cannot be
/// read counts as having none (hints never block, HNT-5).
pub fn hint_count(bytes: &[u8], rules: &Rules) -> usize {
    hints(bytes, rules).map_or(0, |h| h.len())
}
