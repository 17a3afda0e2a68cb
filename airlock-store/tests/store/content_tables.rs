//! REN-2 through the store: a table's pages read through its kept index and sort orders are
//! the pages a scan of the file gives, a filter scans, and changed bytes get a new index.

use crate::support::store::{Harness, harness, rewrite_output, workspace};
use airlock_core::csvtable::{Direction, TablePage, TableQuery, table_page};
use airlock_core::{Rules, testing};
use airlock_store::testing::TestDb;

fn table(rows: usize, seed: usize) -> Vec<u8> {
    let mut csv = String::from("name,count,\"quoted, header\"\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "\"row {i}\nsecond line\",{},{}\n",
            (i * 7919 + seed) % 997,
            if i % 3 == 0 { "" } else { "x" }
        ));
    }
    csv.into_bytes()
}

/// A store on SQLite over a generated workspace, and the path of one of its CSV outputs.
fn with_a_csv() -> (Harness, String) {
    let h = harness(TestDb::sqlite().expect("a database"), Rules::default());
    let csv_path = workspace(&h, 30)
        .into_iter()
        .find(|p| p.ends_with(".csv"))
        .expect("a generated CSV");
    (h, csv_path)
}

fn scanned(bytes: &[u8], query: &TableQuery) -> TablePage {
    table_page(|| Ok(bytes), query).expect("a page")
}

#[test]
fn ren_2_kept_indexes_and_orders_answer_the_pages_a_scan_gives() {
    let (h, csv_path) = with_a_csv();
    let researcher = testing::author();
    let bytes = table(1_234, 0);
    rewrite_output(&h, &csv_path, &bytes);
    let queries: Vec<TableQuery> = [
        None,
        Some((1, Direction::Ascending)),
        Some((2, Direction::Descending)),
    ]
    .into_iter()
    .flat_map(|sort| {
        [0, 1, 2, 7].into_iter().flat_map(move |page| {
            ["", "ROW 12"].into_iter().map(move |filter| TableQuery {
                sort,
                filter: filter.into(),
                page,
            })
        })
    })
    .collect();
    let each_page_as_scanned = |bytes: &[u8]| {
        for query in &queries {
            let opened = h
                .store
                .view_workspace_file(&researcher, testing::WS, &csv_path)
                .expect("shown");
            let page = h.store.csv_table(&opened, query).expect("a table");
            assert_eq!(page, scanned(bytes, query), "{query:?}");
        }
    };
    // Twice: the first computes and keeps, the second reads what was kept.
    each_page_as_scanned(&bytes);
    each_page_as_scanned(&bytes);
    // New bytes (another size) are another identity: a new index, not the old one's offsets.
    let changed = table(600, 5);
    rewrite_output(&h, &csv_path, &changed);
    each_page_as_scanned(&changed);
}

#[test]
fn ren_2_odd_bytes_answer_through_the_store_what_a_scan_answers() {
    let (h, csv_path) = with_a_csv();
    let odd: [&[u8]; 4] = [
        b"a,b\n\"never closed\n1,2\n",
        b"",
        b"\xff\xfe,\x00\n\r\n\r\n1,\xe9\n",
        b"only a header row",
    ];
    for bytes in odd {
        rewrite_output(&h, &csv_path, bytes);
        let opened = h
            .store
            .view_workspace_file(&testing::author(), testing::WS, &csv_path)
            .expect("shown");
        for sort in [None, Some((0, Direction::Descending))] {
            let query = TableQuery {
                sort,
                ..TableQuery::default()
            };
            let scan = table_page(|| Ok(bytes), &query);
            assert_eq!(h.store.csv_table(&opened, &query), scan, "{bytes:?}");
        }
    }
}

#[test]
fn ren_2_bytes_rewritten_within_a_second_at_the_same_size_get_their_own_index() {
    let (h, csv_path) = with_a_csv();
    let file = h
        .dir
        .path()
        .join("workspaces")
        .join(testing::WS)
        .join(&csv_path);
    let second = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
    let versions: [(&[u8], u64); 2] = [(b"n\n1\n22\n333\n", 100), (b"n\n333\n22\n1\n", 600)];
    for (bytes, millis) in versions {
        rewrite_output(&h, &csv_path, bytes);
        std::fs::File::options()
            .write(true)
            .open(&file)
            .and_then(|f| f.set_modified(second + std::time::Duration::from_millis(millis)))
            .expect("an mtime");
        let opened = h
            .store
            .view_workspace_file(&testing::author(), testing::WS, &csv_path)
            .expect("shown");
        assert_eq!(opened.identity, "6553f100-b", "the same REN-4 identity");
        let query = TableQuery::default();
        assert_eq!(
            h.store.csv_table(&opened, &query),
            table_page(|| Ok(bytes), &query)
        );
    }
}
