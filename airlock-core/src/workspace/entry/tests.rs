//! FMT-7: which entries are used, which are left out, and why.

use crate::testing::fake_hash;
use crate::workspace::testing::*;
use crate::workspace::{Level, ReleasedHashes, TreeOptions, add_candidate};
use serde_json::{Value, json};

#[test]
fn fmt_7_a_malformed_shown_entry_is_left_out_with_its_reason() {
    let good = entry("moderately_sensitive", &fake_hash("g"));
    let without = |field: &str| {
        let mut e = good.clone();
        e.as_object_mut().map(|o| o.remove(field));
        e
    };
    let cases: Vec<(Value, &str)> = vec![
        (
            with(good.clone(), "size", json!("big")),
            "`size` is a string, not an integer",
        ),
        (
            with(good.clone(), "size", json!(1.5)),
            "`size` is a number, not an integer",
        ),
        (without("size"), "`size` is missing"),
        (with(good.clone(), "size", Value::Null), "`size` is missing"),
        (without("timestamp"), "`timestamp` is missing"),
        (
            with(good.clone(), "timestamp", json!("noon")),
            "`timestamp` is a string, not a number",
        ),
        (without("content_hash"), "`content_hash` is missing"),
        (
            with(good.clone(), "content_hash", json!("content")),
            "`content_hash` is \"content\", not a 64-character hex sha256",
        ),
        (
            with(good.clone(), "content_hash", json!(7)),
            "`content_hash` is an integer, not a string",
        ),
        (
            with(good.clone(), "job_id", json!(["j"])),
            "`job_id` is an array, not a string",
        ),
        (
            with(good.clone(), "excluded", json!("no")),
            "`excluded` is a string, not true or false",
        ),
        (
            with(good.clone(), "row_count", json!({})),
            "`row_count` is an object, not an integer",
        ),
        (without("level"), "`level` is missing"),
        (
            json!("just a string"),
            "the entry is a string, not an object",
        ),
        (
            json!([1, {"a": [2]}]),
            "the entry is an array, not an object",
        ),
    ];
    for (bad, why) in cases {
        let m = manifest_of(vec![
            ("out/a.csv".into(), good.clone()),
            ("out/bad.csv".into(), bad.clone()),
            ("out/z.csv".into(), good.clone()),
        ]);
        assert_eq!(m.len(), 2, "{bad}");
        assert!(m.entry("out/bad.csv").is_none(), "{bad}");
        assert!(m.shown_entry("out/a.csv", false).is_some(), "{bad}");
        assert!(m.shown_entry("out/z.csv", false).is_some(), "{bad}");
        assert_eq!(m.unreadable_entry("out/bad.csv"), Some(why), "{bad}");
        assert_eq!(m.unreadable_entry("out/bad.csv.txt"), Some(why), "{bad}");
        assert_eq!(m.unreadable_entry("out/a.csv"), None);
        assert_eq!(
            m.warnings(),
            [format!("output \"out/bad.csv\" is left out: {why}")],
            "logged once, with the reason"
        );
        let candidate = add_candidate(&m, "out/bad.csv", false, &ReleasedHashes::default());
        assert!(!candidate.shown);
        assert!(
            candidate
                .unreadable
                .as_deref()
                .is_some_and(|m| m.contains("out/bad.csv") && m.contains(why)),
            "{candidate:?}"
        );
    }
}

#[test]
fn fmt_7_fields_that_are_copied_or_unused_may_be_missing_or_null() {
    for field in [
        "job_request",
        "action",
        "user",
        "message",
        "row_count",
        "col_count",
        "job_id",
        "repo",
        "commit",
        "excluded",
    ] {
        let base = entry("moderately_sensitive", &fake_hash("a"));
        let mut missing = base.clone();
        missing.as_object_mut().map(|o| o.remove(field));
        let null = with(base, field, Value::Null);
        for value in [missing, null] {
            let m = manifest_of(vec![("out/a.csv".into(), value.clone())]);
            let shown = m.shown_entry("out/a.csv", false);
            assert!(shown.is_some(), "{field}: {value}");
            assert!(m.warnings().is_empty(), "{field}: {:?}", m.warnings());
        }
    }
    // Unknown copied fields are recorded as unknown (empty).
    let bare = json!({"level": "moderately_sensitive", "size": 3, "timestamp": 17,
                          "content_hash": fake_hash("b")});
    let m = manifest_of(vec![("out/b.csv".into(), bare)]);
    let meta = m
        .entry("out/b.csv")
        .map(|e| e.output().meta())
        .expect("entry");
    assert_eq!(
        (
            meta.job_id.as_str(),
            meta.repo.as_str(),
            meta.commit.as_str()
        ),
        ("", "", "")
    );
    assert_eq!((meta.size, meta.timestamp), (3, 17.0));
    assert_eq!(m.first_repo(), None);
}

#[test]
fn fmt_7_an_entry_that_is_never_shown_needs_only_its_level() {
    // As OpenSAFELY's development tooling writes a highly sensitive output.
    let dev_tooling = json!({"level": "highly_sensitive", "excluded": false, "size": 9,
            "timestamp": 1700000000.0, "content_hash": "content", "repo": null, "commit": null});
    let odd = json!({"level": "highly_sensitive", "size": "big", "timestamp": [],
            "job_id": 5, "content_hash": {"x": 1}});
    let out_of_date = json!({"level": "moderately_sensitive", "out_of_date_output": true});
    let m = manifest_of(vec![
        ("output/dataset.arrow".into(), dev_tooling),
        ("output/odd.arrow".into(), odd),
        ("output/old.csv".into(), out_of_date),
        ms("output/table.csv"),
        ("output/level_only.arrow".into(), json!({"level": "secret"})),
    ]);
    assert!(m.warnings().is_empty(), "{:?}", m.warnings());
    assert_eq!(m.len(), 5);
    let tree = m.tree(
        &NO_DISK,
        TreeOptions::default(),
        None,
        &ReleasedHashes::default(),
    );
    assert_eq!(shown_paths(&tree), ["output/table.csv"]);
    assert!(m.entry("output/dataset.arrow").is_some());
}

#[test]
fn fmt_7_unknown_fields_and_levels() {
    let m = manifest_of(vec![
        (
            "a.csv".into(),
            with(
                entry("moderately_sensitive", &fake_hash("a")),
                "novel",
                json!({"x": 1}),
            ),
        ),
        ("b.csv".into(), entry("secret_level", &fake_hash("b"))),
    ]);
    assert_eq!(m.len(), 2);
    assert_eq!(
        m.entry("b.csv").map(|e| e.output().level),
        Some(Level::Unknown)
    );
    assert!(m.shown_entry("a.csv", false).is_some());
    assert!(m.shown_entry("b.csv", true).is_none());
}
