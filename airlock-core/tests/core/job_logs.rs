//! REN-5 / FMT-11: job log truncation and ANSI colour codes.

use airlock_core::joblog::{
    DEFAULT_MAX_LOG_CHARS, JOB_SUMMARY_LINE, ansi_to_html, render_log, trailer_start, truncate_log,
    truncation_notice,
};

fn log(before: &str) -> String {
    format!("{before}{JOB_SUMMARY_LINE}\nstatus: succeeded\n")
}

#[test]
fn fmt_11_trailer_is_the_last_summary_line() {
    let text = format!("a\n{JOB_SUMMARY_LINE}\nfirst\n{JOB_SUMMARY_LINE}\nsecond\n");
    let start = trailer_start(&text).expect("trailer");
    assert_eq!(&text[start..], format!("{JOB_SUMMARY_LINE}\nsecond\n"));
}

#[test]
fn fmt_11_summary_marker_must_be_a_whole_line() {
    let cases: &[(String, Option<usize>)] = &[
        (format!("x {JOB_SUMMARY_LINE}\n"), None),
        (format!("{JOB_SUMMARY_LINE}x\n"), None),
        (JOB_SUMMARY_LINE.to_string(), Some(0)),
        (format!("ab\r\n{JOB_SUMMARY_LINE}\r\nk: v\r\n"), Some(4)),
        (format!("ab\n{JOB_SUMMARY_LINE} \n"), None),
        ("no trailer here\n".to_string(), None),
    ];
    for (text, expected) in cases {
        assert_eq!(trailer_start(text), *expected, "{text:?}");
    }
}

#[test]
fn ren_5_short_log_is_kept_whole() {
    let text = log("line 1\nline 2\n");
    let t = truncate_log(&text, DEFAULT_MAX_LOG_CHARS);
    assert!(!t.truncated);
    assert_eq!(t.text(), text);
    assert_eq!(t.body, "line 1\nline 2\n");
}

#[test]
fn ren_5_exactly_max_chars_is_not_truncated() {
    let text = log("abcd\n");
    let t = truncate_log(&text, 5);
    assert!(!t.truncated);
    assert_eq!(t.body, "abcd\n");
}

#[test]
fn ren_5_keeps_the_last_chars_then_drops_the_partial_line() {
    let before = "alpha\nbravo\ncharlie\n";
    let text = log(before);
    let t = truncate_log(&text, 10);
    assert!(t.truncated);
    // The last 10 characters are "o\ncharlie\n"; everything up to and including the first
    // newline is dropped.
    assert_eq!(t.body, "charlie\n");
    assert!(t.trailer.starts_with(JOB_SUMMARY_LINE));
    assert_eq!(t.text(), format!("charlie\n{}", &text[before.len()..]));
}

#[test]
fn ren_5_newline_as_last_kept_char_is_not_dropped() {
    let before = "0123456789abc\n";
    let text = log(before);
    let t = truncate_log(&text, 3);
    assert!(t.truncated);
    assert_eq!(
        t.body, "bc\n",
        "the only newline is the last character kept"
    );
    let t = truncate_log(&text, 1);
    assert_eq!(t.body, "\n");
}

#[test]
fn ren_5_no_newline_in_the_kept_text() {
    // (With a trailer the text before it always ends with a newline, so no trailer here.)
    let t = truncate_log("aaaaaaaaaaaaaaaaaaaaaaaaa", 5);
    assert!(t.truncated);
    assert_eq!(t.body, "aaaaa");
}

#[test]
fn ren_5_counts_characters_not_bytes() {
    let before = "ééééé\nüüü\n";
    let text = log(before);
    let t = truncate_log(&text, 5);
    assert!(t.truncated);
    assert_eq!(t.body, "üüü\n");
    assert!(!truncate_log(&log(before), 10).truncated);
}

#[test]
fn ren_5_without_trailer_the_whole_text_is_truncated() {
    let t = truncate_log("first\nsecond\nthird\n", 8);
    assert!(t.truncated);
    assert_eq!(t.body, "third\n");
    assert_eq!(t.trailer, "");
}

#[test]
fn ren_5_trailer_kept_even_with_zero_budget() {
    let text = log("lots\nof\ntext\n");
    let t = truncate_log(&text, 0);
    assert!(t.truncated);
    assert_eq!(t.body, "");
    assert_eq!(t.text(), format!("{JOB_SUMMARY_LINE}\nstatus: succeeded\n"));
}

#[test]
fn ren_5_notice() {
    assert_eq!(
        truncation_notice(10_000),
        "This log has been truncated; only the last 10000 characters before the job summary \
         are shown."
    );
    let r = render_log(&log("a\nb\nc\n"), 2);
    assert!(r.truncated);
    assert_eq!(r.notice, Some(truncation_notice(2)));
    assert!(r.html.starts_with("c\n====="));
    assert_eq!(render_log("short", 100).notice, None);
}

#[test]
fn ren_5_ansi_colours_become_html() {
    let cases: &[(&str, &str)] = &[
        ("plain", "plain"),
        (
            "\x1b[31mred\x1b[0m done",
            "<span class=\"ansi31\">red</span> done",
        ),
        (
            "\x1b[1;32mok\x1b[22m still green\x1b[m",
            "<span class=\"ansi1 ansi32\">ok</span><span class=\"ansi32\"> still green</span>",
        ),
        (
            "\x1b[44;97mx\x1b[49mz",
            "<span class=\"ansi97 ansi44\">x</span><span class=\"ansi97\">z</span>",
        ),
        ("\x1b[38;5;196mx\x1b[0m", "x"),
        (
            "\x1b[38;2;1;2;3;4mx\x1b[0m",
            "<span class=\"ansi4\">x</span>",
        ),
        ("\x1b[2K\x1b[1Gcleared", "cleared"),
        ("\x1b]0;title\x07after", "after"),
        ("\x1b]0;title\x1b\\after", "after"),
        ("\x1b[31m", ""),
        ("trailing \x1b", "trailing "),
        ("\x1b[3\u{e9}", "\u{e9}"),
    ];
    for (input, expected) in cases {
        assert_eq!(ansi_to_html(input), *expected, "{input:?}");
    }
}

#[test]
fn ren_5_log_text_is_html_escaped() {
    assert_eq!(
        ansi_to_html("<script>alert('x' & \"y\")</script>"),
        "&lt;script&gt;alert(&#x27;x&#x27; &amp; &quot;y&quot;)&lt;/script&gt;"
    );
    assert_eq!(
        ansi_to_html("\x1b[31m<b>\x1b[0m"),
        "<span class=\"ansi31\">&lt;b&gt;</span>"
    );
}
