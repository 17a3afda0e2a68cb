//! WS-1: which outputs a manifest shows; FMT-8, FMT-9: which entry wins a path; the index.

use crate::testing::fake_hash;
use crate::workspace::testing::*;
use crate::workspace::{DiskFiles, ReleasedHashes, TreeOptions, parse_manifest};
use serde_json::json;

#[test]
fn ws_1_fmt_10_shown_set() {
    let m = fmt_10_example();
    let d = disk(&[
        "metadata/manifest.json",
        "metadata/make_tables.log",
        "output/big_table.csv.txt",
    ]);
    let hidden = m.tree(&d, TreeOptions::default(), None, &ReleasedHashes::default());
    assert_eq!(
        shown_paths(&hidden),
        [
            "metadata/make_tables.log",
            "metadata/manifest.json",
            "output/big_table.csv.txt",
            "output/table1.csv"
        ]
    );
    assert_eq!(hidden.out_of_date_count, 1);
    let shown = m.tree(
        &d,
        TreeOptions {
            show_out_of_date: true,
        },
        None,
        &ReleasedHashes::default(),
    );
    assert_eq!(
        shown_paths(&shown),
        [
            "metadata/make_tables.log",
            "metadata/manifest.json",
            "output/big_table.csv.txt",
            "output/old_figure.png",
            "output/table1.csv"
        ]
    );
    assert!(
        m.shown_entry("output/dataset.arrow", true).is_none(),
        "highly sensitive never shown"
    );
    assert!(
        m.shown_entry("output/big_table.csv", true).is_none(),
        "excluded output not shown"
    );
    let message = m
        .shown_entry("output/big_table.csv.txt", false)
        .expect("message file");
    assert!(message.message);
    assert!(m.shown_entry("output/old_figure.png", false).is_none());
    assert!(
        m.shown_entry("output/old_figure.png", true).is_some(),
        "WS-4: present for actions"
    );
}

#[test]
fn ws_1_out_of_date_output_never_shown() {
    let m = manifest_of(vec![(
        "a/x.csv".into(),
        with(
            entry("moderately_sensitive", &fake_hash("x")),
            "out_of_date_output",
            json!(true),
        ),
    )]);
    assert!(m.shown_entry("a/x.csv", true).is_none());
    let d = DiskFiles::default();
    let tree = m.tree(
        &d,
        TreeOptions {
            show_out_of_date: true,
        },
        None,
        &ReleasedHashes::default(),
    );
    assert!(tree.is_empty(), "no file, so no directory either");
}

#[test]
fn ws_1_manifest_entries_under_metadata_come_from_disk_only() {
    let m = manifest_of(vec![ms("metadata/odd.csv"), ms("out/a.csv")]);
    let tree = m.tree(
        &NO_DISK,
        TreeOptions::default(),
        None,
        &ReleasedHashes::default(),
    );
    assert_eq!(shown_paths(&tree), ["out/a.csv"]);
}

#[test]
fn fmt_9_duplicate_keys_last_wins() {
    let text = format!(
        r#"{{"outputs": {{"a.csv": {}, "a.csv": {}}}}}"#,
        entry("moderately_sensitive", &fake_hash("first")),
        entry("moderately_sensitive", &fake_hash("second"))
    );
    let m = parse_manifest(text.as_bytes()).expect("parses");
    assert_eq!(m.len(), 1);
    assert_eq!(
        m.entry("a.csv").map(|e| e.output().content_hash.clone()),
        Some(fake_hash("second"))
    );
    assert_eq!(m.warnings().len(), 1);
}

#[test]
fn fmt_8_output_wins_over_a_message_file_of_the_same_path() {
    let m = manifest_of(vec![
        (
            "a.csv".into(),
            with(
                entry("moderately_sensitive", &fake_hash("a")),
                "excluded",
                json!(true),
            ),
        ),
        ms("a.csv.txt"),
    ]);
    let shown = m.shown_entry("a.csv.txt", true).expect("shown");
    assert!(!shown.message);
    let tree = m.tree(
        &NO_DISK,
        TreeOptions::default(),
        None,
        &ReleasedHashes::default(),
    );
    assert_eq!(shown_paths(&tree), ["a.csv.txt"]);
}

proptest::proptest! {
    /// The path index finds every entry and nothing else.
    #[test]
    fn entry_finds_exactly_the_listed_paths(
        paths in proptest::collection::btree_set("[ab]{1,2}(/[ab]{1,2}){0,2}\\.csv", 0..40),
        probes in proptest::collection::vec("[ab]{1,2}(/[ab]{1,2}){0,2}\\.csv", 0..20),
    ) {
        let m = manifest_of(paths.iter().map(|p| ms(p)).collect());
        for path in &paths {
            proptest::prop_assert_eq!(m.entry(path).map(|e| e.relpath()), Some(path.as_str()));
        }
        for probe in &probes {
            proptest::prop_assert_eq!(m.entry(probe).is_some(), paths.contains(probe));
        }
    }
}
