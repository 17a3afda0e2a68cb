//! REN-2: one page of a CSV table, sorted and filtered over every row. The file is read as a
//! stream, at most twice: once to find the rows that match the filter (with their sort keys
//! when sorting), and, when sorting, once more to pick up the rows of the page asked for. Only
//! the sort keys and the page's rows are held, so a 100 000-row file never becomes 100 000 rows
//! in memory, nor in a page.

use crate::csvstats::{CsvError, Numeric, normalise, records};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::io::Read;

mod index;

pub use index::{SortOrder, TableIndex};

/// Rows on one page of a table.
pub const ROWS_PER_PAGE: usize = 500;

/// A sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Smallest first.
    Ascending,
    /// Largest first.
    Descending,
}

/// What part of a table to show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableQuery {
    /// The column to sort by (from 0) and the direction; file order when `None`.
    pub sort: Option<(usize, Direction)>,
    /// Only rows with a cell containing this text (case-insensitively); all rows when empty.
    pub filter: String,
    /// The page, from 0.
    pub page: usize,
}

/// A data row as written: its number in the file (from 1, REN-2) and its cells (as many as
/// the row has, REN-2: short and long rows are shown as they are).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRow {
    /// The data row's number.
    pub number: u64,
    /// Its cells.
    pub cells: Vec<String>,
}

/// One page of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TablePage {
    /// The header row (empty for an empty file).
    pub header: Vec<String>,
    /// The rows of this page, in the order asked for.
    pub rows: Vec<TableRow>,
    /// Data rows in the file.
    pub total: u64,
    /// Data rows that match the filter.
    pub matching: u64,
    /// This page (from 0), within `0..pages`.
    pub page: usize,
    /// Pages of matching rows (at least 1).
    pub pages: usize,
    /// The widest row's number of cells (at least the header's).
    pub width: usize,
}

/// How a cell sorts: numbers by value first, then text case-insensitively, then missing cells
/// (in both directions).
#[derive(Debug, Clone, PartialEq)]
enum Key {
    Number(f64),
    Text(String),
    Missing,
}

impl Key {
    fn of(cell: Option<&String>) -> Key {
        let Some(cell) = cell else {
            return Key::Missing;
        };
        let normalised = normalise(cell);
        if normalised.is_empty() {
            return Key::Missing;
        }
        match Numeric::parse(&normalised) {
            Some(n) => Key::Number(n.as_f64()),
            None => Key::Text(cell.to_lowercase()),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Key::Number(_) => 0,
            Key::Text(_) => 1,
            Key::Missing => 2,
        }
    }

    fn compare(&self, other: &Key) -> Ordering {
        match (self, other) {
            (Key::Number(a), Key::Number(b)) => a.total_cmp(b),
            (Key::Text(a), Key::Text(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

/// The pages that `rows` rows fill (at least 1).
fn pages_for(rows: u64) -> usize {
    usize::try_from(rows.div_ceil(ROWS_PER_PAGE as u64))
        .unwrap_or(usize::MAX)
        .max(1)
}

/// Sorts `(key, row number)` pairs for `direction`: numbers, then text, then missing cells,
/// whichever the direction (only the values within a kind are reversed), ties in file order.
fn sort_keys(keys: &mut [(Key, u64)], direction: Direction) {
    keys.sort_by(|(a, an), (b, bn)| {
        let within = a.compare(b);
        let within = if direction == Direction::Descending {
            within.reverse()
        } else {
            within
        };
        a.rank().cmp(&b.rank()).then(within).then(an.cmp(bn))
    });
}

fn matches(cells: &[String], filter: &str) -> bool {
    filter.is_empty() || cells.iter().any(|c| c.to_lowercase().contains(filter))
}

/// The page `query` asks for of the CSV that `open` reads (called once, or twice when
/// sorting). A page beyond the last shows the last.
pub fn table_page<R, F>(open: F, query: &TableQuery) -> Result<TablePage, CsvError>
where
    R: Read,
    F: Fn() -> std::io::Result<R>,
{
    let opened = |open: &F| {
        open().map_err(|e| CsvError {
            message: e.to_string(),
            line: None,
        })
    };
    let filter = query.filter.trim().to_lowercase();
    let mut rows = records(opened(&open)?);
    let header = rows.next().transpose()?.unwrap_or_default();
    let mut width = header.len();
    let mut total = 0u64;
    let mut keys: Vec<(Key, u64)> = Vec::new();
    let mut matching_rows: Vec<TableRow> = Vec::new();
    let mut matching = 0u64;
    let first = query.page.saturating_mul(ROWS_PER_PAGE);
    for row in rows {
        let cells = row?;
        total += 1;
        width = width.max(cells.len());
        if !matches(&cells, &filter) {
            continue;
        }
        let index = matching;
        matching += 1;
        match query.sort {
            Some((column, _)) => keys.push((Key::of(cells.get(column)), total)),
            // Without sorting the page's rows are kept as they pass, and the ones after a
            // later page's start are dropped again below if the page was beyond the last.
            None => {
                if index >= first as u64 && index < (first + ROWS_PER_PAGE) as u64 {
                    matching_rows.push(TableRow {
                        number: total,
                        cells,
                    });
                }
            }
        }
    }
    let pages = pages_for(matching);
    let page = query.page.min(pages - 1);
    let rows = match query.sort {
        None if page == query.page => matching_rows,
        // The page asked for was beyond the last: read the last one.
        None => {
            let last = TableQuery {
                page,
                ..query.clone()
            };
            return table_page(open, &last);
        }
        Some((_, direction)) => {
            sort_keys(&mut keys, direction);
            let wanted: Vec<u64> = keys
                .iter()
                .skip(page * ROWS_PER_PAGE)
                .take(ROWS_PER_PAGE)
                .map(|(_, n)| *n)
                .collect();
            let position: HashMap<u64, usize> =
                wanted.iter().enumerate().map(|(i, n)| (*n, i)).collect();
            let mut picked: Vec<Option<TableRow>> = vec![None; wanted.len()];
            for (index, row) in records(opened(&open)?).skip(1).enumerate() {
                let number = index as u64 + 1;
                if let Some(&at) = position.get(&number) {
                    picked[at] = Some(TableRow {
                        number,
                        cells: row?,
                    });
                }
            }
            picked.into_iter().flatten().collect()
        }
    };
    Ok(TablePage {
        header,
        rows,
        total,
        matching,
        page,
        pages,
        width,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn page(csv: &str, query: &TableQuery) -> TablePage {
        table_page(|| Ok(csv.as_bytes()), query).expect("a table")
    }

    fn numbers(p: &TablePage) -> Vec<u64> {
        p.rows.iter().map(|r| r.number).collect()
    }

    const CSV: &str = "region,count\nNorth,12\nSouth,3\nEast,\nWest,100\n\"Far, North\",7\n";

    #[test]
    fn ren_2_rows_are_numbered_from_1_in_file_order() {
        let p = page(CSV, &TableQuery::default());
        assert_eq!(p.header, ["region", "count"]);
        assert_eq!(numbers(&p), [1, 2, 3, 4, 5]);
        assert_eq!(p.rows[4].cells, ["Far, North", "7"]);
        assert_eq!((p.total, p.matching, p.pages), (5, 5, 1));
    }

    #[test]
    fn ren_2_numbers_sort_by_value_and_missing_cells_last() {
        let ascending = TableQuery {
            sort: Some((1, Direction::Ascending)),
            ..TableQuery::default()
        };
        assert_eq!(numbers(&page(CSV, &ascending)), [2, 5, 1, 4, 3]);
        let descending = TableQuery {
            sort: Some((1, Direction::Descending)),
            ..TableQuery::default()
        };
        assert_eq!(numbers(&page(CSV, &descending)), [4, 1, 5, 2, 3]);
    }

    #[test]
    fn ren_2_the_filter_covers_every_cell_case_insensitively() {
        let q = TableQuery {
            filter: " north ".into(),
            ..TableQuery::default()
        };
        let p = page(CSV, &q);
        assert_eq!(numbers(&p), [1, 5]);
        assert_eq!((p.total, p.matching), (5, 2));
    }

    #[test]
    fn ren_2_short_and_long_rows_are_kept_as_they_are() {
        let p = page("a,b\n1\n1,2,3\n", &TableQuery::default());
        assert_eq!(p.rows[0].cells, ["1"]);
        assert_eq!(p.rows[1].cells, ["1", "2", "3"]);
        assert_eq!(p.width, 3);
    }

    #[test]
    fn ren_2_an_empty_file_is_an_empty_table() {
        let p = page("", &TableQuery::default());
        assert!(p.header.is_empty() && p.rows.is_empty());
        assert_eq!((p.total, p.pages), (0, 1));
    }

    #[test]
    fn ren_2_large_tables_are_paged_and_a_page_past_the_end_shows_the_last() {
        let mut csv = String::from("n\n");
        for i in 0..1_234 {
            csv.push_str(&format!("{i}\n"));
        }
        let p = page(
            &csv,
            &TableQuery {
                page: 1,
                ..TableQuery::default()
            },
        );
        assert_eq!(p.rows.len(), ROWS_PER_PAGE);
        assert_eq!(p.rows[0].number, 501);
        assert_eq!(p.pages, 3);
        let last = page(
            &csv,
            &TableQuery {
                page: 99,
                ..TableQuery::default()
            },
        );
        assert_eq!(last.page, 2);
        assert_eq!(last.rows.len(), 234);
        let sorted = page(
            &csv,
            &TableQuery {
                sort: Some((0, Direction::Descending)),
                page: 99,
                ..TableQuery::default()
            },
        );
        assert_eq!(sorted.page, 2);
        assert_eq!(sorted.rows[0].cells, ["233"]);
    }

    proptest! {
        /// Random bytes as a CSV never panic, in any view.
        #[test]
        fn ren_2_random_bytes_never_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..400),
            column in 0usize..4,
            descending in any::<bool>(),
            filter in "[a-c,\"]?",
        ) {
            let direction = if descending { Direction::Descending } else { Direction::Ascending };
            for sort in [None, Some((column, direction))] {
                let query = TableQuery { sort, filter: filter.clone(), page: 0 };
                if let Ok(p) = table_page(|| Ok(&bytes[..]), &query) {
                    prop_assert!(p.rows.len() <= ROWS_PER_PAGE);
                    prop_assert!(p.matching <= p.total);
                }
            }
        }

        /// Sorting and filtering over random tables: every matching row appears exactly once
        /// over the pages, in order.
        #[test]
        fn ren_2_sorted_pages_cover_every_matching_row(
            cells in proptest::collection::vec(("[a-c]{0,2}", -20i32..20), 0..40),
            filter in "[a-c]?",
            descending in any::<bool>(),
        ) {
            let mut csv = String::from("t,n\n");
            for (t, n) in &cells {
                csv.push_str(&format!("{t},{n}\n"));
            }
            let direction = if descending { Direction::Descending } else { Direction::Ascending };
            let q = TableQuery { sort: Some((1, direction)), filter: filter.clone(), page: 0 };
            let p = page(&csv, &q);
            let expected = cells.iter().filter(|(t, n)| filter.is_empty()
                || t.contains(&filter) || n.to_string().contains(&filter)).count();
            prop_assert_eq!(p.rows.len(), expected);
            let values: Vec<i32> = p.rows.iter().map(|r| r.cells[1].parse().unwrap_or(0)).collect();
            let mut sorted = values.clone();
            sorted.sort();
            if descending { sorted.reverse(); }
            prop_assert_eq!(values, sorted);
        }
    }
}
