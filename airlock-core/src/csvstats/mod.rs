//! CSV summary statistics (`behaviour.md` REN-3), computed from a CSV byte stream.
//!
//! The CSV is read as RFC 4180 (REN-2): the first record is the header, every later record is a
//! data row numbered from 1. Rows may be shorter or longer than the header: a missing cell counts
//! as a missing value, cells beyond the header belong to no column. Invalid UTF-8 is replaced
//! with U+FFFD (REN-1).
//!
//! Every value is normalised (whitespace removed, lower-cased) and classified ([`Value`]) as
//! *missing* ([`MISSING_VALUES`]), *redacted* ([`REDACTED_VALUES`]), *numeric* (the integer or
//! decimal pattern of REN-3) or *text*. Divisibility is decided exactly on the decimal digits, so
//! `12345678901234567890` and `1.5e3` are judged correctly; minimum, maximum and sum are exact
//! for integer columns whose values fit in 128 bits and computed in `f64` otherwise.

mod column;
mod numeric;
pub(crate) mod read;
mod table;
mod value;

pub use numeric::Numeric;
pub use read::{CsvError, Records, records};
pub use table::{ColumnStats, ColumnType, CsvSummary, NOTES, Number, SummaryRow};
pub use value::{MISSING_VALUES, REDACTED_VALUES, Value, normalise};

use column::Column;
use std::io::Read;

/// Accumulates REN-3 statistics row by row, for callers that also look at each cell (such as
/// the disclosure hints).
#[derive(Debug, Clone)]
pub struct Summariser {
    header: Vec<String>,
    columns: Vec<Column>,
    rows: u64,
}

impl Summariser {
    /// Starts with the header row.
    pub fn new(header: Vec<String>) -> Self {
        Summariser {
            columns: vec![Column::default(); header.len()],
            header,
            rows: 0,
        }
    }

    /// The header row.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// Adds one data row of classified cells. Absent cells of a short row count as missing;
    /// cells beyond the header are ignored.
    pub fn add_row(&mut self, values: &[Value]) {
        self.rows += 1;
        for (i, column) in self.columns.iter_mut().enumerate() {
            column.add(values.get(i).unwrap_or(&Value::Missing));
        }
    }

    /// The statistics, or `None` when there is no data row (REN-3 shows none then).
    pub fn finish(self) -> Option<CsvSummary> {
        if self.rows == 0 {
            return None;
        }
        let rows = self.rows;
        Some(CsvSummary {
            data_rows: rows,
            columns: self
                .header
                .into_iter()
                .zip(&self.columns)
                .map(|(name, c)| c.finish(name, rows))
                .collect(),
        })
    }
}

/// REN-3: the summary statistics of a CSV stream; `None` without a data row.
pub fn summarise<R: Read>(reader: R) -> Result<Option<CsvSummary>, CsvError> {
    let mut rows = records(reader);
    let Some(header) = rows.next().transpose()? else {
        return Ok(None);
    };
    let mut summariser = Summariser::new(header);
    for row in rows {
        let values: Vec<Value> = row?.iter().map(|c| Value::classify(c)).collect();
        summariser.add_row(&values);
    }
    Ok(summariser.finish())
}

/// REN-3 over bytes in memory; see [`summarise`].
pub fn summarise_bytes(bytes: &[u8]) -> Result<Option<CsvSummary>, CsvError> {
    summarise(bytes)
}
