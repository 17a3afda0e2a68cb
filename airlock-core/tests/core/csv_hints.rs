//! REN-3 summary statistics and §15 disclosure hints over CSV bytes.

use airlock_core::Rules;
use airlock_core::csvstats::{ColumnStats, ColumnType, CsvError, Number, Value, summarise_bytes};
use airlock_core::hint::{
    CsvAnalysis, HintCode, Thresholds, analyse, analyse_with, hint_count, hints,
};

fn summary(csv: &str) -> Vec<ColumnStats> {
    summarise_bytes(csv.as_bytes())
        .expect("readable")
        .expect("has data rows")
        .columns
}

fn column(csv: &str) -> ColumnStats {
    summary(csv).remove(0)
}

fn analysis(csv: &str) -> CsvAnalysis {
    analyse(csv.as_bytes(), &Rules::default()).expect("readable")
}

#[test]
fn ren_3_normalised_classification() {
    let cases: &[(&str, &str)] = &[
        ("", "missing"),
        ("  ", "missing"),
        ("NULL", "missing"),
        (" None ", "missing"),
        ("NaN", "missing"),
        ("[REDACTED]", "redacted"),
        ("Redacted", "redacted"),
        ("NA", "redacted"),
        ("n/a", "redacted"),
        ("N / A", "redacted"),
        ("<=7", "redacted"),
        ("<= 7", "redacted"),
        ("12", "integer"),
        ("1 000", "integer"),
        ("-3", "integer"),
        ("+007", "integer"),
        ("1.5", "decimal"),
        ("10.0", "decimal"),
        ("1.", "decimal"),
        (".5", "decimal"),
        ("2E3", "decimal"),
        ("-1.5e-3", "decimal"),
        ("1,000", "text"),
        ("<7", "text"),
        ("inf", "text"),
        ("abc", "text"),
        ("1e", "text"),
    ];
    for (raw, expected) in cases {
        let got = match Value::classify(raw) {
            Value::Missing => "missing",
            Value::Redacted => "redacted",
            Value::Numeric(n) if n.is_integer() => "integer",
            Value::Numeric(_) => "decimal",
            Value::Text => "text",
        };
        assert_eq!(got, *expected, "REN-3 class of {raw:?}");
    }
}

#[test]
fn ren_3_column_types() {
    let cases: &[(&str, ColumnType)] = &[
        ("c\n1\n2\n", ColumnType::Integer),
        ("c\n1\n\nNA\n", ColumnType::Integer),
        ("c\n1\n2.5\n", ColumnType::Float),
        ("c\n10.0\n", ColumnType::Float),
        ("c\n1\nx\n", ColumnType::Mixed),
        ("c\n1.5\nx\n", ColumnType::Mixed),
        ("c\nx\ny\n", ColumnType::Text),
        ("c\nnull\n[redacted]\n", ColumnType::Text),
        ("c,d\n1\n", ColumnType::Integer),
    ];
    for (csv, expected) in cases {
        assert_eq!(column(csv).column_type, *expected, "REN-3 type of {csv:?}");
    }
}

#[test]
fn ren_3_statistics_of_a_representative_file() {
    let csv = "name,count,rate,note\n\
               a,10,0.5,x\n\
               b,15,1.25,\n\
               c,<=7,NA,y\n\
               d,0,2,\n\
               e,-5\n";
    let cols = summary(csv);
    let count = &cols[1];
    assert_eq!(count.column_type, ColumnType::Integer);
    assert_eq!(
        (
            count.total_rows,
            count.total_numeric,
            count.missing,
            count.redacted
        ),
        (5, 4, 0, 1)
    );
    assert_eq!(count.min, Some(Number::Integer(-5)));
    assert_eq!(count.max, Some(Number::Integer(15)));
    assert_eq!(count.sum, Some(Number::Integer(20)));
    assert_eq!(count.min_non_zero, Some(Number::Integer(5)));
    assert_eq!(count.divisible_by_5, Some(true));
    assert_eq!(count.divisible_by_6, Some(false));
    assert_eq!(count.midpoint_6_rounded, Some(false));

    // The short last row counts as a row and its absent cells as missing.
    let rate = &cols[2];
    assert_eq!(rate.column_type, ColumnType::Float);
    assert_eq!(
        (
            rate.total_rows,
            rate.total_numeric,
            rate.missing,
            rate.redacted
        ),
        (5, 3, 1, 1)
    );
    assert_eq!(rate.min, Some(Number::Float(0.5)));
    assert_eq!(rate.max, Some(Number::Float(2.0)));
    assert_eq!(rate.sum, Some(Number::Float(3.75)));
    assert_eq!(rate.min_non_zero, Some(Number::Float(0.5)));
    assert_eq!(rate.divisible_by_5, Some(false));

    let note = &cols[3];
    assert_eq!(note.column_type, ColumnType::Text);
    assert_eq!((note.total_numeric, note.missing), (0, 3));
    assert_eq!(
        (note.min, note.max, note.sum, note.min_non_zero),
        (None, None, None, None)
    );
    assert_eq!(
        (
            note.divisible_by_5,
            note.divisible_by_6,
            note.midpoint_6_rounded
        ),
        (None, None, None)
    );
}

#[test]
fn ren_3_numeric_statistics_only_for_integer_or_float() {
    // A mixed column has numeric values, but shows `-` for every numeric statistic.
    let c = column("c\n5\nx\n10\n");
    assert_eq!(c.column_type, ColumnType::Mixed);
    assert_eq!(c.total_numeric, 2);
    assert_eq!((c.min, c.sum, c.divisible_by_5), (None, None, None));
}

#[test]
fn ren_3_divisibility_and_midpoint() {
    type Flags = Option<bool>;
    let cases: &[(&str, Flags, Flags, Flags)] = &[
        // values, divisible by 5, divisible by 6, midpoint 6 rounded
        ("5,10,0,-15", Some(true), Some(false), Some(false)),
        ("6,12,0,-18", Some(false), Some(true), Some(false)),
        ("30,60", Some(true), Some(true), Some(false)),
        ("3,9,0,-3,15", Some(false), Some(false), Some(true)),
        ("10.0,2.5e1", Some(true), Some(false), Some(false)),
        ("2.5", Some(false), Some(false), Some(false)),
        ("x", None, None, None),
    ];
    for (values, d5, d6, mid) in cases {
        let csv = format!("c\n{}\n", values.replace(',', "\n"));
        let c = column(&csv);
        assert_eq!(
            (c.divisible_by_5, c.divisible_by_6, c.midpoint_6_rounded),
            (*d5, *d6, *mid),
            "REN-3 divisibility of {values}"
        );
    }
}

#[test]
fn ren_3_min_non_zero_is_the_smallest_absolute_value() {
    assert_eq!(
        column("c\n-2\n7\n0\n").min_non_zero,
        Some(Number::Integer(2))
    );
    let zeros = column("c\n0\n0\n");
    assert_eq!(zeros.min, Some(Number::Integer(0)));
    assert_eq!(zeros.min_non_zero, None, "REN-3: `-` if all are zero");
}

#[test]
fn ren_3_huge_integers_stay_integer_typed() {
    let c = column("c\n123456789012345678901234567890123456789012345\n5\n");
    assert_eq!(c.column_type, ColumnType::Integer);
    assert_eq!(c.divisible_by_5, Some(true));
    assert!(matches!(c.max, Some(Number::Float(x)) if x > 1e44));
}

#[test]
fn ren_3_no_statistics_without_a_data_row() {
    assert_eq!(summarise_bytes(b"").expect("ok"), None);
    assert_eq!(summarise_bytes(b"a,b\n").expect("ok"), None);
    assert!(analysis("a,b\n").summary.is_none());
}

#[test]
fn ren_3_table_rows_and_dashes() {
    let s = summarise_bytes(b"n,t\n5,x\n").expect("ok").expect("rows");
    let table = s.table();
    let labels: Vec<&str> = table.iter().map(|r| r.label).collect();
    assert_eq!(
        labels,
        [
            "Column type",
            "Total rows",
            "Total numeric",
            "Null / missing",
            "Redacted",
            "Min value",
            "Max value",
            "Sum",
            "Min non-zero",
            "Divisible by 5",
            "Divisible by 6",
            "Midpoint 6 rounded"
        ]
    );
    let rendered: Vec<String> = table
        .iter()
        .map(|r| format!("{}: {}", r.label, r.values.join(" | ")))
        .collect();
    insta::assert_snapshot!("ren_3_table", rendered.join("\n"));
}

#[test]
fn ren_2_invalid_utf8_is_replaced_not_refused() {
    let c = column_bytes(b"c\xff\n1\n");
    assert_eq!(c.name, "c\u{fffd}");
    assert_eq!(c.column_type, ColumnType::Integer);
}

fn column_bytes(bytes: &[u8]) -> ColumnStats {
    summarise_bytes(bytes)
        .expect("readable")
        .expect("rows")
        .columns
        .remove(0)
}

#[test]
fn hnt_2_low_count_flagged() {
    // (cell, flagged as) with the default threshold 10.
    let cases: &[(&str, Option<i64>)] = &[
        ("1", Some(1)),
        ("9", Some(9)),
        (" 7 ", Some(7)),
        ("+7", Some(7)),
        ("007", Some(7)),
        ("10", None),
        ("11", None),
        ("0", None),
        ("-3", None),
        ("5.0", None),
        ("5e0", None),
        ("<=7", None),
        ("", None),
        ("NA", None),
        ("seven", None),
        ("99999999999999999999999", None),
    ];
    for (cell, expected) in cases {
        let csv = format!("c\n\"{cell}\"\n");
        let h = hints(csv.as_bytes(), &Rules::default()).expect("readable");
        let got = h
            .iter()
            .find(|h| h.code == HintCode::LowCount)
            .and_then(|h| h.value);
        assert_eq!(got, *expected, "HNT-2 on {cell:?}");
    }
}

#[test]
fn hnt_2_message_and_position() {
    let a = analysis("group,count\nx,12\ny,3\n");
    let h: Vec<_> = a
        .hints
        .iter()
        .filter(|h| h.code == HintCode::LowCount)
        .collect();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].message, "Low count: 3 is below 10");
    assert_eq!((h[0].row, h[0].column), (Some(2), 1));
    assert_eq!(h[0].column_name.as_deref(), Some("count"));
    assert!(a.is_flagged(2, 1));
    assert!(!a.is_flagged(1, 1));
    assert_eq!(HintCode::LowCount.as_str(), "low_count");
}

#[test]
fn hnt_2_cells_beyond_the_header_are_checked() {
    let h = hints(b"a\n20,4\n", &Rules::default()).expect("ok");
    assert_eq!(h.len(), 1);
    assert_eq!(
        (h[0].row, h[0].column, h[0].column_name.clone()),
        (Some(1), 1, None)
    );
}

#[test]
fn hnt_2_threshold_comes_from_the_rules() {
    let rules = Rules {
        hint_low_count_threshold: 5,
        ..Rules::default()
    };
    let h = hints(b"c\n4\n5\n7\n", &rules).expect("ok");
    let low: Vec<_> = h.iter().filter(|h| h.code == HintCode::LowCount).collect();
    assert_eq!(low.len(), 1);
    assert_eq!(low[0].value, Some(4));
    assert_eq!(low[0].message, "Low count: 4 is below 5");
}

#[test]
fn hnt_3_not_rounded_integer_column() {
    let a = analysis("count\n10\n12\n-13\n15\n");
    let h: Vec<_> = a
        .hints
        .iter()
        .filter(|h| h.code == HintCode::NotRounded)
        .collect();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].count, 2);
    assert_eq!(h[0].column, 0);
    assert_eq!(h[0].row, None);
    assert!(
        h[0].message
            .starts_with("Column 'count' is not rounded to a multiple of 5"),
        "{}",
        h[0].message
    );
    assert_eq!(HintCode::NotRounded.as_str(), "not_rounded");
}

#[test]
fn hnt_3_only_integer_columns_are_checked() {
    let cases: &[(&str, bool)] = &[
        ("c\n10\n20\n", false),
        ("c\n10\n21\n", true),
        ("c\n10\n21\nNA\n\n", true),
        ("c\n10.5\n21\n", false),
        ("c\n21\nabc\n", false),
        ("c\nabc\n", false),
    ];
    for (csv, expected) in cases {
        let got = analysis(csv)
            .hints
            .iter()
            .any(|h| h.code == HintCode::NotRounded);
        assert_eq!(got, *expected, "HNT-3 on {csv:?}");
    }
}

#[test]
fn hnt_3_base_comes_from_the_rules() {
    let six = Thresholds {
        low_count: 0,
        rounding_base: 6,
    };
    let h = analyse_with(&b"c\n12\n18\n20\n"[..], six)
        .expect("ok")
        .hints;
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].count, 1);
    assert!(h[0].message.contains("multiple of 6"));
    // A base below 1 disables the check.
    let off = Thresholds {
        low_count: 0,
        rounding_base: 0,
    };
    assert!(
        analyse_with(&b"c\n13\n"[..], off)
            .expect("ok")
            .hints
            .is_empty()
    );
}

#[test]
fn hnt_4_hint_count_for_the_overview() {
    let rules = Rules::default();
    assert_eq!(
        hint_count(b"c\n3\n4\n20\n", &rules),
        3,
        "two low counts, one column"
    );
    assert_eq!(hint_count(b"c\n20\n", &rules), 0);
    assert_eq!(hint_count(b"", &rules), 0);
}

#[test]
fn hnt_5_unreadable_csv_is_a_clear_result_not_a_panic() {
    struct Broken;
    impl std::io::Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk on fire"))
        }
    }
    let err: CsvError = analyse(Broken, &Rules::default()).expect_err("unreadable");
    assert!(err.to_string().contains("malformed CSV"), "{err}");
    assert!(err.to_string().contains("disk on fire"), "{err}");
    assert_eq!(CsvError::CODE, "malformed_csv");
    // Odd but parseable CSV (unbalanced quotes, ragged rows) still gives statistics.
    let a = analysis("a,b\n1,\"2\n3,4\n5\n");
    assert!(a.summary.is_some());
}

#[test]
fn ren_3_and_hnt_snapshot_of_a_representative_file() {
    let csv = "region,patients,rate,comment\n\
               north,120,0.25,ok\n\
               south,7,0.5,\n\
               east,[REDACTED],NA,small\n\
               west,1 005,1.75e0,\n\
               centre,0\n";
    insta::assert_json_snapshot!("csv_analysis", analysis(csv));
}
