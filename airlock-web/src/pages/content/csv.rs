//! REN-2, REN-3 and §15 as a page: the hints first, each linking to where it is; the table of
//! one page of rows, sorted and filtered over every row (`airlock_core::csvtable`), every
//! low-count cell marked in words and its column's rounding in the header; the summary
//! statistics with their notes. Sorting, filtering, hiding columns and paging are links and a
//! GET form, so they work without scripts; the script only submits the column choices as they
//! change.

use super::{ContentQuery, Place, rendered};
use crate::app::App;
use airlock_core::csvstats::NOTES;
use airlock_core::csvtable::{Direction, ROWS_PER_PAGE, TableQuery};
use airlock_core::hint::{CsvAnalysis, HintCode};
use airlock_store::store::content::Opened;
use askama::Template;
use std::collections::{BTreeSet, HashMap};

/// A header cell.
pub struct Column {
    /// Its index, from 0.
    pub index: usize,
    /// Its name (empty past the header's end).
    pub name: String,
    /// HNT-3: the rounding hint's words, when the column has one.
    pub unrounded: Option<String>,
    /// Where a click sorts it, and the sort it is in now (`ascending`, `descending`, `none`).
    pub sort_url: String,
    /// `aria-sort`.
    pub sorted: &'static str,
    /// Shown (not hidden).
    pub shown: bool,
}

/// A cell.
pub struct Cell {
    /// Its text.
    pub text: String,
    /// HNT-2: the hint's words.
    pub hint: Option<String>,
    /// The anchor of a hinted cell.
    pub anchor: Option<String>,
}

/// A row.
pub struct Row {
    /// Its number in the file.
    pub number: u64,
    /// Its cells, the hidden columns left out.
    pub cells: Vec<Cell>,
}

/// A line of the hint summary: its words and where it points.
pub struct HintLine {
    /// The words ("Low count: 3 is below 10 (row 9, patients)", or a column's).
    pub text: String,
    /// `#r9c2`, `#col2`, or a page of the table (`?page=3#r1201c2`).
    pub href: String,
}

/// The page.
#[derive(Template)]
#[template(path = "content/csv.html")]
pub struct CsvPage<'a> {
    css: &'a str,
    js: &'a str,
    name: &'a str,
    url: &'a str,
    /// Where the links and the form go: the content URL, or (framed) the file page.
    base: &'a str,
    /// `_top` when framed (the file page reloads with the table's new view).
    target: &'static str,
    columns: Vec<Column>,
    rows: Vec<Row>,
    /// Every hint of the file (the lines list some of them).
    hint_count: usize,
    hints: Vec<HintLine>,
    low_counts: usize,
    filter: String,
    total: u64,
    matching: u64,
    first_row: usize,
    last_row: usize,
    pages: Vec<(usize, String, bool)>,
    previous: Option<String>,
    next: Option<String>,
    summary: Vec<(&'static str, Vec<String>)>,
    summary_names: Vec<String>,
    notes: &'static [&'static str],
    /// The query's hidden fields (sort, hidden columns) for the filter form.
    keep: Vec<(&'static str, String)>,
    /// The file could not be read as CSV: why.
    error: Option<String>,
}

/// The parts of a query a link keeps.
#[derive(Clone)]
struct State {
    sort: Option<(usize, Direction)>,
    filter: String,
    hidden: BTreeSet<usize>,
    page: usize,
}

impl State {
    fn of(query: &ContentQuery) -> State {
        let sort = query
            .sort
            .as_deref()
            .and_then(|s| s.parse::<usize>().ok())
            .map(|c| {
                let dir = match query.dir.as_deref() {
                    Some("desc") => Direction::Descending,
                    _ => Direction::Ascending,
                };
                (c, dir)
            });
        State {
            sort,
            filter: query.q.clone().unwrap_or_default(),
            hidden: query.hide.iter().filter_map(|h| h.parse().ok()).collect(),
            page: query
                .rows
                .as_deref()
                .and_then(|p| p.parse::<usize>().ok())
                .unwrap_or(1)
                .max(1)
                - 1,
        }
    }

    /// The query string of this state (`?…`), for links.
    fn query(&self) -> String {
        let mut parts = Vec::new();
        if let Some((column, dir)) = self.sort {
            parts.push(format!("sort={column}"));
            parts.push(format!(
                "dir={}",
                if dir == Direction::Descending {
                    "desc"
                } else {
                    "asc"
                }
            ));
        }
        if !self.filter.is_empty() {
            parts.push(format!("q={}", super::super::format::query(&self.filter)));
        }
        for h in &self.hidden {
            parts.push(format!("hide={h}"));
        }
        if self.page > 0 {
            parts.push(format!("rows={}", self.page + 1));
        }
        if parts.is_empty() {
            "?".to_string()
        } else {
            format!("?{}", parts.join("&"))
        }
    }

    fn with_page(&self, page: usize) -> State {
        State {
            page,
            ..self.clone()
        }
    }
}

/// The CSV page of `opened`.
pub fn page(
    app: &App,
    opened: &Opened,
    name: &str,
    query: &ContentQuery,
    place: Place<'_>,
) -> airlock_core::Result<String> {
    let url = place.url;
    let framed = query.framed();
    let state = State::of(query);
    let analysis = app.store().csv_analysis(opened);
    let table = app.store().csv_table(
        opened,
        &TableQuery {
            sort: state.sort,
            filter: state.filter.clone(),
            page: state.page,
        },
    );
    let css = super::assets::url("content.css");
    let js = super::assets::url("airlock.js");
    let (table, error) = match table {
        Ok(table) => (table, None),
        Err(e) => (
            airlock_core::csvtable::TablePage {
                header: Vec::new(),
                rows: Vec::new(),
                total: 0,
                matching: 0,
                page: 0,
                pages: 1,
                width: 0,
            },
            Some(e.to_string()),
        ),
    };
    let state = state.with_page(table.page);
    let cell_hints = cell_hints(&analysis);
    let unrounded: HashMap<usize, String> = analysis
        .hints
        .iter()
        .filter(|h| h.code == HintCode::NotRounded)
        .map(|h| (h.column, h.message.clone()))
        .collect();
    let columns: Vec<Column> = (0..table.width)
        .map(|index| {
            let (sorted, next_dir) = match state.sort {
                Some((c, Direction::Ascending)) if c == index => {
                    ("ascending", Direction::Descending)
                }
                Some((c, Direction::Descending)) if c == index => {
                    ("descending", Direction::Ascending)
                }
                _ => ("none", Direction::Ascending),
            };
            let sort_state = State {
                sort: Some((index, next_dir)),
                page: 0,
                ..state.clone()
            };
            Column {
                index,
                name: table.header.get(index).cloned().unwrap_or_default(),
                unrounded: unrounded.get(&index).cloned(),
                sort_url: sort_state.query(),
                sorted,
                shown: !state.hidden.contains(&index),
            }
        })
        .collect();
    let rows = table
        .rows
        .iter()
        .map(|row| Row {
            number: row.number,
            cells: row
                .cells
                .iter()
                .enumerate()
                .filter(|(i, _)| !state.hidden.contains(i))
                .map(|(i, text)| {
                    let hint = cell_hints.get(&(row.number, i)).cloned();
                    Cell {
                        anchor: hint.as_ref().map(|_| format!("r{}c{i}", row.number)),
                        text: text.clone(),
                        hint,
                    }
                })
                .collect(),
        })
        .collect();
    let shown: BTreeSet<u64> = table.rows.iter().map(|r| r.number).collect();
    let hints = hint_lines(&analysis, &table.header, &state, &shown);
    let first_row = table.page * ROWS_PER_PAGE;
    let pages = page_links(&state, table.pages);
    let summary = analysis
        .summary
        .as_ref()
        .map(|s| {
            s.table()
                .into_iter()
                .map(|row| (row.label, row.values))
                .collect()
        })
        .unwrap_or_default();
    rendered(CsvPage {
        css,
        js,
        name,
        url,
        base: if framed { place.page } else { url },
        target: if framed { "_top" } else { "_self" },
        summary_names: analysis
            .summary
            .as_ref()
            .map(|s| s.columns.iter().map(|c| c.name.clone()).collect())
            .unwrap_or_default(),
        columns,
        rows,
        low_counts: analysis
            .hints
            .iter()
            .filter(|h| h.code == HintCode::LowCount)
            .count(),
        hint_count: analysis.hints.len(),
        hints,
        filter: state.filter.clone(),
        total: table.total,
        matching: table.matching,
        first_row: first_row + 1,
        last_row: first_row + table.rows.len(),
        previous: (table.page > 0).then(|| state.with_page(table.page - 1).query()),
        next: (table.page + 1 < table.pages).then(|| state.with_page(table.page + 1).query()),
        pages,
        summary,
        notes: &NOTES,
        keep: keep_fields(&state),
        error,
    })
}

/// HNT-2: each hinted cell's words, by (row, column).
fn cell_hints(analysis: &CsvAnalysis) -> HashMap<(u64, usize), String> {
    analysis
        .hints
        .iter()
        .filter_map(|h| h.row.map(|row| ((row, h.column), h.message.clone())))
        .collect()
}

/// Cell hints listed by name per column; the rest of a column's are counted in one line.
const CELL_HINTS_LISTED: usize = 10;

/// The summary above the table: each column hint, then the cell hints (up to
/// [`CELL_HINTS_LISTED`] per column and kind, then one line counting the rest and linking to
/// the table sorted by that column, smallest first), each linking to where it is. A cell on
/// this page is scrolled to; one elsewhere links to its page of the unsorted, unfiltered table.
fn hint_lines(
    analysis: &CsvAnalysis,
    header: &[String],
    state: &State,
    shown: &BTreeSet<u64>,
) -> Vec<HintLine> {
    let column_name = |column: usize| {
        header.get(column).map_or_else(
            || format!("column {}", column + 1),
            |c| format!("column {c}"),
        )
    };
    let mut listed: HashMap<(HintCode, usize), usize> = HashMap::new();
    let mut unlisted: Vec<((HintCode, usize), usize)> = Vec::new();
    let mut lines = Vec::new();
    for h in &analysis.hints {
        let Some(row) = h.row else {
            lines.push(HintLine {
                text: h.message.clone(),
                href: format!("#col{}", h.column),
            });
            continue;
        };
        let group = (h.code, h.column);
        let count = listed.entry(group).or_insert(0);
        *count += 1;
        if *count > CELL_HINTS_LISTED {
            match unlisted.iter_mut().find(|(g, _)| *g == group) {
                Some((_, more)) => *more += 1,
                None => unlisted.push((group, 1)),
            }
            continue;
        }
        let anchor = format!("r{row}c{}", h.column);
        let plain = State {
            sort: None,
            filter: String::new(),
            hidden: state.hidden.clone(),
            page: usize::try_from((row - 1) / ROWS_PER_PAGE as u64).unwrap_or(0),
        };
        lines.push(HintLine {
            text: format!("{} (row {row}, {})", h.message, column_name(h.column)),
            // A row on this page is scrolled to; another is opened at its page.
            href: if shown.contains(&row) && !state.hidden.contains(&h.column) {
                format!("#{anchor}")
            } else {
                format!("{}#{anchor}", plain.query())
            },
        });
    }
    for ((code, column), more) in unlisted {
        let kind = match code {
            HintCode::LowCount => "low count",
            HintCode::NotRounded => "unrounded value",
        };
        let sorted = State {
            sort: Some((column, Direction::Ascending)),
            filter: String::new(),
            hidden: state.hidden.clone(),
            page: 0,
        };
        lines.push(HintLine {
            text: format!(
                "{more} more {kind}{} in {}, each marked in the table: sort by it to see the smallest first",
                if more == 1 { "" } else { "s" },
                column_name(column)
            ),
            href: sorted.query(),
        });
    }
    lines
}

/// Links to the pages: all of them when few, else the first, the last and those near this one.
fn page_links(state: &State, pages: usize) -> Vec<(usize, String, bool)> {
    if pages <= 1 {
        return Vec::new();
    }
    (0..pages)
        .filter(|&p| pages <= 12 || p == 0 || p + 1 == pages || p.abs_diff(state.page) <= 3)
        .map(|p| (p + 1, state.with_page(p).query(), p == state.page))
        .collect()
}

fn keep_fields(state: &State) -> Vec<(&'static str, String)> {
    let mut fields = Vec::new();
    if let Some((column, dir)) = state.sort {
        fields.push(("sort", column.to_string()));
        fields.push((
            "dir",
            if dir == Direction::Descending {
                "desc"
            } else {
                "asc"
            }
            .to_string(),
        ));
    }
    for h in &state.hidden {
        fields.push(("hide", h.to_string()));
    }
    fields
}
