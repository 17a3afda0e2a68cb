//! Reading a CSV stream as records (REN-1, REN-2): RFC 4180, the header first, rows of any
//! length, invalid UTF-8 replaced with U+FFFD.

use std::io::Read;

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
        reader: csv_reader(reader, DEFAULT_BUFFER),
        record: csv::ByteRecord::new(),
    }
}

/// The `csv` crate's own buffer size.
pub(crate) const DEFAULT_BUFFER: usize = 8 * 1024;

/// The CSV reader of REN-2 over `reader` (no header handling, rows of any length), with a
/// buffer of `capacity` bytes.
pub(crate) fn csv_reader<R: Read>(reader: R, capacity: usize) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(capacity)
        .from_reader(reader)
}

/// The cells of `record`, invalid UTF-8 replaced with U+FFFD.
pub(crate) fn decode(record: &csv::ByteRecord) -> Vec<String> {
    record
        .iter()
        .map(|cell| String::from_utf8_lossy(cell).into_owned())
        .collect()
}

impl<R: Read> Iterator for Records<R> {
    type Item = Result<Vec<String>, CsvError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => Some(Ok(decode(&self.record))),
            Err(e) => Some(Err(e.into())),
        }
    }
}
