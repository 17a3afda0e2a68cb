//! Accumulating the REN-3 statistics of one column, value by value.

use super::table::{ColumnStats, ColumnType, Number};
use super::value::Value;

/// Exact integer statistics, valid while every numeric value is an integer that fits.
#[derive(Debug, Clone, Default)]
struct Exact {
    broken: bool,
    min: Option<i128>,
    max: Option<i128>,
    sum: i128,
    min_non_zero: Option<i128>,
}

impl Exact {
    fn add(&mut self, n: Option<i128>) {
        let Some(n) = n.filter(|_| !self.broken) else {
            self.broken = true;
            return;
        };
        self.min = Some(self.min.map_or(n, |m| m.min(n)));
        self.max = Some(self.max.map_or(n, |m| m.max(n)));
        match (self.sum.checked_add(n), n.checked_abs()) {
            (Some(sum), Some(abs)) => {
                self.sum = sum;
                if abs != 0 {
                    self.min_non_zero = Some(self.min_non_zero.map_or(abs, |m| m.min(abs)));
                }
            }
            _ => self.broken = true,
        }
    }
}

/// The running statistics of one column.
#[derive(Debug, Clone, Default)]
pub(super) struct Column {
    missing: u64,
    redacted: u64,
    integers: u64,
    decimals: u64,
    text: u64,
    exact: Exact,
    min: Option<f64>,
    max: Option<f64>,
    sum: f64,
    min_non_zero: Option<f64>,
    not_div_5: bool,
    not_div_6: bool,
    not_midpoint_6: bool,
}

impl Column {
    pub(super) fn add(&mut self, value: &Value) {
        let n = match value {
            Value::Missing => return self.missing += 1,
            Value::Redacted => return self.redacted += 1,
            Value::Text => return self.text += 1,
            Value::Numeric(n) => n,
        };
        if n.is_integer() {
            self.integers += 1;
            self.exact.add(n.as_i128());
        } else {
            self.decimals += 1;
            self.exact.broken = true;
        }
        let x = n.as_f64();
        self.min = Some(self.min.map_or(x, |m| m.min(x)));
        self.max = Some(self.max.map_or(x, |m| m.max(x)));
        self.sum += x;
        if !n.is_zero() {
            let a = x.abs();
            self.min_non_zero = Some(self.min_non_zero.map_or(a, |m| m.min(a)));
        }
        self.not_div_5 |= !n.is_multiple_of(5);
        self.not_div_6 |= !n.is_multiple_of(6);
        self.not_midpoint_6 |= !n.is_midpoint_6();
    }

    fn column_type(&self) -> ColumnType {
        let numeric = self.integers + self.decimals;
        if numeric == 0 {
            ColumnType::Text
        } else if self.text > 0 {
            ColumnType::Mixed
        } else if self.decimals > 0 {
            ColumnType::Float
        } else {
            ColumnType::Integer
        }
    }

    pub(super) fn finish(&self, name: String, total_rows: u64) -> ColumnStats {
        let column_type = self.column_type();
        let numeric = column_type.is_numeric();
        let exact = column_type == ColumnType::Integer && !self.exact.broken;
        let pick = |e: Option<i128>, f: Option<f64>| -> Option<Number> {
            if !numeric {
                None
            } else if exact {
                e.map(Number::Integer)
            } else {
                f.map(Number::Float)
            }
        };
        let flag = |not: bool| numeric.then_some(!not);
        ColumnStats {
            name,
            column_type,
            total_rows,
            total_numeric: self.integers + self.decimals,
            missing: self.missing,
            redacted: self.redacted,
            min: pick(self.exact.min, self.min),
            max: pick(self.exact.max, self.max),
            sum: pick(Some(self.exact.sum), Some(self.sum)),
            min_non_zero: pick(self.exact.min_non_zero, self.min_non_zero),
            divisible_by_5: flag(self.not_div_5),
            divisible_by_6: flag(self.not_div_6),
            midpoint_6_rounded: flag(self.not_midpoint_6),
        }
    }
}
