//! REN-2 for large tables: a table's index, built by one pass over the file and kept by the
//! file's identity, so that a page in file order, or in a sort order kept beside it, reads only
//! its own rows. A filter still reads every row ([`super::table_page`]); the pages an index
//! gives are exactly the ones `table_page` gives without a filter.

use super::{Direction, Key, ROWS_PER_PAGE, TablePage, TableRow, pages_for, sort_keys};
use crate::csvstats::CsvError;
use crate::csvstats::read::{DEFAULT_BUFFER, csv_reader, decode};
use std::io::{Read, Seek};

/// The buffer of a reader that picks single rows here and there: a row is usually short, and
/// each jump discards what the buffer held.
const PICK_BUFFER: usize = 1024;

/// Where each data row of a table starts, with its header and widest row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableIndex {
    header: Vec<String>,
    width: usize,
    /// The byte offset of each data row (row `n` at `starts[n - 1]`).
    starts: Vec<u64>,
}

/// The data rows of a table in one sort order (row numbers from 1), unfiltered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortOrder(Vec<u64>);

impl TableIndex {
    /// Indexes the CSV that `reader` reads from its start.
    pub fn build<R: Read>(reader: R) -> Result<TableIndex, CsvError> {
        let mut csv = csv_reader(reader, DEFAULT_BUFFER);
        let mut record = csv::ByteRecord::new();
        let header = if csv.read_byte_record(&mut record)? {
            decode(&record)
        } else {
            Vec::new()
        };
        let mut width = header.len();
        let mut starts = Vec::new();
        loop {
            let start = csv.position().byte();
            if !csv.read_byte_record(&mut record)? {
                break;
            }
            width = width.max(record.len());
            starts.push(start);
        }
        Ok(TableIndex {
            header,
            width,
            starts,
        })
    }

    /// The number of data rows.
    pub fn rows(&self) -> u64 {
        self.starts.len() as u64
    }

    /// The bytes this index holds on the heap, roughly (what a cache of indexes weighs).
    pub fn heap_bytes(&self) -> usize {
        self.starts.len() * std::mem::size_of::<u64>()
            + self.header.iter().map(String::len).sum::<usize>()
    }

    /// The order of every data row sorted by `column` in `direction`, as
    /// [`super::table_page`] sorts them, from one pass over the CSV that `reader` reads.
    pub fn order<R: Read>(
        &self,
        reader: R,
        column: usize,
        direction: Direction,
    ) -> Result<SortOrder, CsvError> {
        let mut keys = Vec::with_capacity(self.starts.len());
        for (index, row) in crate::csvstats::records(reader).skip(1).enumerate() {
            let cells = row?;
            keys.push((Key::of(cells.get(column)), index as u64 + 1));
        }
        sort_keys(&mut keys, direction);
        Ok(SortOrder(keys.into_iter().map(|(_, n)| n).collect()))
    }

    /// Page `page` of the table (the last when beyond it), in file order or in `order`, read
    /// from `reader` (the same bytes the index was built from).
    pub fn page<R: Read + Seek>(
        &self,
        reader: R,
        order: Option<&SortOrder>,
        page: usize,
    ) -> Result<TablePage, CsvError> {
        let total = self.rows();
        let pages = pages_for(total);
        let page = page.min(pages - 1);
        let first = page.saturating_mul(ROWS_PER_PAGE);
        let rows = match order {
            None => {
                let end = self.starts.len().min(first + ROWS_PER_PAGE);
                let numbers: Vec<u64> = (first..end).map(|i| i as u64 + 1).collect();
                self.read_rows(reader, &numbers, DEFAULT_BUFFER)?
            }
            Some(SortOrder(order)) => {
                let wanted: Vec<u64> = order
                    .iter()
                    .skip(first)
                    .take(ROWS_PER_PAGE)
                    .copied()
                    .collect();
                // Read in file order (one pass forward), then put back in sort order.
                let mut by_place = wanted.clone();
                by_place.sort_unstable();
                let read = self.read_rows(reader, &by_place, PICK_BUFFER)?;
                let mut rows: Vec<Option<TableRow>> = read.into_iter().map(Some).collect();
                wanted
                    .iter()
                    .filter_map(|n| {
                        let at = by_place.binary_search(n).ok()?;
                        rows.get_mut(at).and_then(Option::take)
                    })
                    .collect()
            }
        };
        Ok(TablePage {
            header: self.header.clone(),
            rows,
            total,
            matching: total,
            page,
            pages,
            width: self.width,
        })
    }

    /// The rows numbered `numbers` (ascending), jumping only where a row does not follow the
    /// one before.
    fn read_rows<R: Read + Seek>(
        &self,
        reader: R,
        numbers: &[u64],
        buffer: usize,
    ) -> Result<Vec<TableRow>, CsvError> {
        let mut csv = csv_reader(reader, buffer);
        let mut record = csv::ByteRecord::new();
        let mut rows = Vec::with_capacity(numbers.len());
        let mut next: Option<u64> = None;
        for &number in numbers {
            let Some(&start) = number
                .checked_sub(1)
                .and_then(|i| usize::try_from(i).ok())
                .and_then(|i| self.starts.get(i))
            else {
                continue;
            };
            if next != Some(number) {
                let mut position = csv::Position::new();
                position.set_byte(start);
                csv.seek(position)?;
            }
            if !csv.read_byte_record(&mut record)? {
                return Err(CsvError {
                    message: "the file is shorter than when it was indexed".into(),
                    line: None,
                });
            }
            rows.push(TableRow {
                number,
                cells: decode(&record),
            });
            next = Some(number + 1);
        }
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{TableQuery, table_page};
    use super::*;
    use proptest::prelude::*;
    use std::io::Cursor;

    fn indexed(csv: &str, sort: Option<(usize, Direction)>, page: usize) -> TablePage {
        let index = TableIndex::build(csv.as_bytes()).expect("an index");
        let order = sort.map(|(c, d)| index.order(csv.as_bytes(), c, d).expect("an order"));
        index
            .page(Cursor::new(csv.as_bytes()), order.as_ref(), page)
            .expect("a page")
    }

    fn scanned(csv: &str, sort: Option<(usize, Direction)>, page: usize) -> TablePage {
        let query = TableQuery {
            sort,
            filter: String::new(),
            page,
        };
        table_page(|| Ok(csv.as_bytes()), &query).expect("a page")
    }

    #[test]
    fn ren_2_an_indexed_page_reads_its_rows_where_they_start() {
        let csv = "a,b\n1,\"x\ny\"\n2,z,extra\n\n3\n";
        let index = TableIndex::build(csv.as_bytes()).expect("an index");
        assert_eq!(index.rows(), 3);
        let p = indexed(csv, None, 0);
        assert_eq!(p.rows[0].cells, ["1", "x\ny"]);
        assert_eq!(p.rows[1].cells, ["2", "z", "extra"]);
        assert_eq!(p.rows[2].cells, ["3"]);
        assert_eq!(p.width, 3);
        assert_eq!(p, scanned(csv, None, 0));
    }

    #[test]
    fn ren_2_an_index_of_an_empty_file_is_an_empty_table() {
        assert_eq!(indexed("", None, 3), scanned("", None, 3));
        assert_eq!(indexed("", Some((2, Direction::Descending)), 0).pages, 1);
    }

    #[test]
    fn ren_2_a_file_changed_under_its_index_is_an_error_not_a_panic() {
        let index = TableIndex::build("n\n1\n2\n3\n".as_bytes()).expect("an index");
        let shorter = Cursor::new("n\n1\n".as_bytes());
        assert!(index.page(shorter, None, 0).is_err());
    }

    #[test]
    fn ren_2_indexed_pages_of_a_large_table_equal_the_scanned_ones() {
        let mut csv = String::from("n,t\n");
        for i in 0..1_234 {
            csv.push_str(&format!("{},{}\n", (i * 7919) % 1000, i % 3));
        }
        for sort in [
            None,
            Some((0, Direction::Ascending)),
            Some((1, Direction::Descending)),
        ] {
            for page in [0, 1, 2, 9] {
                assert_eq!(
                    indexed(&csv, sort, page),
                    scanned(&csv, sort, page),
                    "{sort:?} {page}"
                );
            }
        }
    }

    proptest! {
        /// Whatever the bytes, an indexed page is the page a scan gives.
        #[test]
        fn ren_2_indexed_pages_equal_scanned_pages(
            bytes in proptest::collection::vec(
                prop_oneof![Just(b','), Just(b'\n'), Just(b'"'), Just(b'\r'), Just(b'1'), Just(b'a'), any::<u8>()],
                0..300),
            column in 0usize..3,
            descending in any::<bool>(),
            page in 0usize..2,
        ) {
            let direction = if descending { Direction::Descending } else { Direction::Ascending };
            let scan = |sort| table_page(|| Ok(&bytes[..]), &TableQuery { sort, filter: String::new(), page });
            let Ok(index) = TableIndex::build(&bytes[..]) else {
                prop_assert!(scan(None).is_err());
                return Ok(());
            };
            prop_assert_eq!(index.page(Cursor::new(&bytes[..]), None, page).ok(), scan(None).ok());
            let order = index.order(&bytes[..], column, direction).expect("indexed bytes read again");
            prop_assert_eq!(
                index.page(Cursor::new(&bytes[..]), Some(&order), page).ok(),
                scan(Some((column, direction))).ok()
            );
        }
    }
}
