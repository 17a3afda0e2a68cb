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

use serde::Serialize;
use std::fmt;
use std::io::Read;

/// Normalised values that count as missing (REN-3).
pub const MISSING_VALUES: [&str; 4] = ["", "null", "none", "nan"];

/// Normalised values that count as redacted (REN-3).
pub const REDACTED_VALUES: [&str; 5] = ["[redacted]", "redacted", "na", "n/a", "<=7"];

/// The notes shown under the statistics table (REN-3).
pub const NOTES: [&str; 4] = [
    "Values are compared after removing spaces and lower-casing.",
    "Missing values: \"\", null, none, nan. Redacted values: [redacted], redacted, na, n/a, <=7.",
    "Divisible by 5 (or 6): every numeric value x has x mod 5 = 0 (or x mod 6 = 0).",
    "Midpoint 6 rounded: every value x is 0 or has (x - 3) mod 6 = 0.",
];

/// The CSV could not be read. With lossy decoding and flexible row lengths this is rare; it is
/// reported, never panicked on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed CSV{}: {message}", line.map(|l| format!(" at line {l}")).unwrap_or_default())]
pub struct CsvError {
    /// What went wrong.
    pub message: String,
    /// The line where it went wrong, when known.
    pub line: Option<u64>,
}

impl CsvError {
    /// The stable code of this error.
    pub const CODE: &'static str = "malformed_csv";
}

impl From<csv::Error> for CsvError {
    fn from(e: csv::Error) -> Self {
        CsvError {
            line: e.position().map(|p| p.line()),
            message: match e.kind() {
                csv::ErrorKind::Io(io) => io.to_string(),
                _ => e.to_string(),
            },
        }
    }
}

/// The records of a CSV stream (header first), each cell decoded as UTF-8 with U+FFFD for
/// invalid bytes. Rows may differ in length.
pub struct Records<R: Read> {
    reader: csv::Reader<R>,
    record: csv::ByteRecord,
}

/// Reads the records of `reader` as RFC 4180 CSV (REN-2): header first, rows of any length.
pub fn records<R: Read>(reader: R) -> Records<R> {
    Records {
        reader: csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(reader),
        record: csv::ByteRecord::new(),
    }
}

impl<R: Read> Iterator for Records<R> {
    type Item = Result<Vec<String>, CsvError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => Some(Ok(self
                .record
                .iter()
                .map(|cell| String::from_utf8_lossy(cell).into_owned())
                .collect())),
            Err(e) => Some(Err(e.into())),
        }
    }
}

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

/// A numeric value, kept exactly as decimal digits: `±digits × 10^exponent`.
#[derive(Debug, Clone, PartialEq)]
pub struct Numeric {
    integer: bool,
    negative: bool,
    /// Significant digits (0–9), without leading or trailing zeros; empty for zero.
    digits: Vec<u8>,
    exponent: i64,
    value: f64,
}

/// Exponents are clamped to this magnitude; far beyond anything an `f64` or a modulus needs.
const EXPONENT_LIMIT: i64 = 1_000_000_000_000;

impl Numeric {
    /// Parses a normalised value against the REN-3 patterns: integer `^[+-]?[0-9]+$`, else
    /// decimal `^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`.
    pub fn parse(s: &str) -> Option<Numeric> {
        let b = s.as_bytes();
        let mut i = 0;
        let negative = b.first() == Some(&b'-');
        if matches!(b.first(), Some(b'+' | b'-')) {
            i = 1;
        }
        let int_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let int_digits = &b[int_start..i];
        let mut frac_digits: &[u8] = &[];
        let mut has_point = false;
        if b.get(i) == Some(&b'.') {
            has_point = true;
            i += 1;
            let frac_start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            frac_digits = &b[frac_start..i];
        }
        if int_digits.is_empty() && frac_digits.is_empty() {
            return None;
        }
        let mut exp: i64 = 0;
        let mut has_exp = false;
        if matches!(b.get(i), Some(b'e' | b'E')) {
            has_exp = true;
            i += 1;
            let exp_negative = b.get(i) == Some(&b'-');
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let exp_start = i;
            while let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
                exp = (exp * 10 + i64::from(d - b'0')).min(EXPONENT_LIMIT);
                i += 1;
            }
            if i == exp_start {
                return None;
            }
            if exp_negative {
                exp = -exp;
            }
        }
        if i != b.len() {
            return None;
        }
        let mut digits: Vec<u8> = int_digits
            .iter()
            .chain(frac_digits)
            .map(|d| d - b'0')
            .skip_while(|&d| d == 0)
            .collect();
        let frac_len = i64::try_from(frac_digits.len()).unwrap_or(EXPONENT_LIMIT);
        let mut exponent = exp - frac_len;
        while digits.last() == Some(&0) {
            digits.pop();
            exponent += 1;
        }
        if digits.is_empty() {
            exponent = 0;
        }
        Some(Numeric {
            integer: !has_point && !has_exp,
            negative,
            value: s.parse::<f64>().unwrap_or(f64::NAN),
            digits,
            exponent,
        })
    }

    /// Whether the value matched the integer pattern (`10.0` and `1e3` did not).
    pub fn is_integer(&self) -> bool {
        self.integer
    }

    /// Whether the value is zero (`0`, `-0.0`, `0e5`).
    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// Whether the value is a whole number (`10`, `10.0`, `1.5e1`).
    pub fn is_whole(&self) -> bool {
        self.is_zero() || self.exponent >= 0
    }

    /// The value as an `f64` (possibly rounded or infinite).
    pub fn as_f64(&self) -> f64 {
        self.value
    }

    /// The exact value, when it is whole and fits in an `i128`.
    pub fn as_i128(&self) -> Option<i128> {
        if !self.is_whole() {
            return None;
        }
        let mut n: i128 = 0;
        for &d in &self.digits {
            n = n.checked_mul(10)?.checked_add(i128::from(d))?;
        }
        for _ in 0..self.exponent.min(40) {
            n = n.checked_mul(10)?;
        }
        if self.exponent > 40 && n != 0 {
            return None;
        }
        Some(if self.negative { -n } else { n })
    }

    /// `|x| mod m`, exactly, when the value is whole and `m > 0`.
    pub fn abs_mod(&self, m: u64) -> Option<u64> {
        if m == 0 || !self.is_whole() {
            return None;
        }
        let m = u128::from(m);
        let r = self
            .digits
            .iter()
            .fold(0u128, |acc, &d| (acc * 10 + u128::from(d)) % m);
        let r = r * pow_mod(10, self.exponent.max(0), m) % m;
        u64::try_from(r).ok()
    }

    /// Whether the value is a whole multiple of `m` (`m > 0`).
    pub fn is_multiple_of(&self, m: u64) -> bool {
        self.abs_mod(m) == Some(0)
    }

    /// REN-3 "Midpoint 6 rounded" for one value: 0, or (x − 3) mod 6 = 0.
    pub fn is_midpoint_6(&self) -> bool {
        self.is_zero() || self.abs_mod(6) == Some(3)
    }
}

fn pow_mod(base: u128, mut exp: i64, m: u128) -> u128 {
    let mut result = 1 % m;
    let mut b = base % m;
    while exp > 0 {
        if exp & 1 == 1 {
            result = result * b % m;
        }
        b = b * b % m;
        exp >>= 1;
    }
    result
}

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
struct Column {
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
    fn add(&mut self, value: &Value) {
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

    fn finish(&self, name: String, total_rows: u64) -> ColumnStats {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> Numeric {
        Numeric::parse(s).unwrap_or_else(|| panic!("{s} should be numeric"))
    }

    #[test]
    fn ren_3_patterns() {
        for s in [
            "0",
            "7",
            "+7",
            "-7",
            "007",
            "123456789012345678901234567890",
        ] {
            assert!(num(s).is_integer(), "{s}");
        }
        for s in ["1.", ".5", "1.5", "-1.5e3", "+.5e-3", "1e5", "10.0", "1E5"] {
            assert!(!num(s).is_integer(), "{s}");
        }
        for s in [
            "", ".", "+", "-", "e5", "1e", "1e+", "1.2.3", "1,000", "inf", "0x10", "١٢",
        ] {
            assert!(Numeric::parse(s).is_none(), "{s}");
        }
    }

    #[test]
    fn ren_3_exact_divisibility() {
        assert!(num("10.0").is_multiple_of(5));
        assert!(num("1.5e1").is_multiple_of(5));
        assert!(!num("2.5").is_multiple_of(5));
        assert!(num("-30").is_multiple_of(6));
        assert!(num("0").is_multiple_of(6));
        assert!(num("100000000000000000000000000000000000000000000000000").is_multiple_of(5));
        assert!(!num("100000000000000000000000000000000000000000000000001").is_multiple_of(5));
        assert!(num("1e1000000000").is_multiple_of(5));
        assert!(!num("1e-1000000000").is_multiple_of(5));
        for s in ["3", "9", "-3", "-9", "0", "15", "3e0"] {
            assert!(num(s).is_midpoint_6(), "{s}");
        }
        for s in ["6", "4", "1.5", "-6"] {
            assert!(!num(s).is_midpoint_6(), "{s}");
        }
    }

    #[test]
    fn ren_3_exact_integers() {
        assert_eq!(num("-007").as_i128(), Some(-7));
        assert_eq!(num("1.5e1").as_i128(), Some(15));
        assert_eq!(num("1.5").as_i128(), None);
        assert_eq!(num("1e39").as_i128(), None);
        assert_eq!(num("0e99999").as_i128(), Some(0));
    }

    #[test]
    fn number_display() {
        assert_eq!(Number::Integer(-12).to_string(), "-12");
        assert_eq!(Number::Float(2.5).to_string(), "2.5");
        assert_eq!(Number::Float(1e300).to_string(), "1e300");
        assert_eq!(Number::Float(f64::INFINITY).to_string(), "inf");
    }
}
