//! Property tests: the pure parsers never panic on arbitrary input, and keep their invariants
//! (REN-3, §15, REN-5, OPS-3).

use airlock_core::Rules;
use airlock_core::csvstats::summarise_bytes;
use airlock_core::hint::{HintCode, analyse};
use airlock_core::joblog::{
    JOB_SUMMARY_LINE, ansi_to_html, render_log, trailer_start, truncate_log,
};
use airlock_core::regular::{parse_entries, parse_regular_requests};
use proptest::prelude::*;

/// CSV-like text: digits, signs, separators, quotes, spaces, newlines and a few words.
fn csvish() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just(","),
            Just("\n"),
            Just("\r\n"),
            Just("\""),
            Just(" "),
            Just("."),
            Just("-"),
            Just("+"),
            Just("e"),
            Just("0"),
            Just("3"),
            Just("5"),
            Just("7"),
            Just("12"),
            Just("NA"),
            Just("<=7"),
            Just("null"),
            Just("x"),
            Just("\u{e9}"),
        ],
        0..200,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #[test]
    fn ren_3_random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let _ = summarise_bytes(&bytes);
        let _ = analyse(&bytes[..], &Rules::default());
    }

    #[test]
    fn ren_3_counts_add_up(csv in csvish()) {
        if let Ok(Some(s)) = summarise_bytes(csv.as_bytes()) {
            for c in &s.columns {
                prop_assert_eq!(c.total_rows, s.data_rows);
                prop_assert!(c.total_numeric + c.missing + c.redacted <= c.total_rows);
                prop_assert_eq!(c.min.is_some(), c.column_type.is_numeric());
                prop_assert_eq!(c.divisible_by_5.is_some(), c.column_type.is_numeric());
            }
        }
    }

    #[test]
    fn hnt_hints_point_at_real_cells(csv in csvish()) {
        let rules = Rules::default();
        if let Ok(a) = analyse(csv.as_bytes(), &rules) {
            let columns = a.summary.as_ref().map_or(0, |s| s.columns.len());
            let rows = a.summary.as_ref().map_or(0, |s| s.data_rows);
            for h in &a.hints {
                match h.code {
                    HintCode::LowCount => {
                        let n = h.value.unwrap_or_default();
                        prop_assert!(n > 0 && n < rules.hint_low_count_threshold);
                        prop_assert!(h.row.is_some_and(|r| r >= 1 && r <= rows));
                    }
                    HintCode::NotRounded => {
                        prop_assert!(h.row.is_none() && h.column < columns && h.count > 0);
                    }
                }
            }
        }
    }

    #[test]
    fn ren_5_random_text_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2000),
                                      max in 0usize..300) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = render_log(&text, max);
        let _ = ansi_to_html(&text);
    }

    #[test]
    fn ren_5_trailer_is_kept_and_body_is_a_bounded_suffix(
        before in "[a-z\u{e9}\n\u{1b}\\[;0-9m]{0,300}",
        after in "[a-z\n]{0,50}",
        with_trailer in any::<bool>(),
        max in 0usize..120,
    ) {
        let text = if with_trailer {
            format!("{before}\n{JOB_SUMMARY_LINE}\n{after}")
        } else {
            before.clone()
        };
        let t = truncate_log(&text, max);
        let split = trailer_start(&text).unwrap_or(text.len());
        prop_assert_eq!(t.trailer, &text[split..]);
        let head = &text[..split];
        prop_assert!(head.ends_with(t.body));
        prop_assert_eq!(t.truncated, head.chars().count() > max);
        if t.truncated {
            prop_assert!(t.body.chars().count() <= max);
        } else {
            prop_assert_eq!(t.body, head);
        }
        if with_trailer {
            prop_assert!(t.trailer.starts_with(JOB_SUMMARY_LINE));
        }
    }

    #[test]
    fn ops_3_random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1000)) {
        let _ = parse_entries(&bytes);
        let _ = parse_regular_requests(&bytes);
    }

    #[test]
    fn ops_3_random_json_never_panics(json in "[\\[\\]{}\",:a-z0-9 ]{0,200}") {
        let _ = parse_regular_requests(json.as_bytes());
    }
}
