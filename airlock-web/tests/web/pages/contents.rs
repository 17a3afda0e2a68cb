//! The content URLs (REN-1 to REN-9, WEB-5): each type's renderer for workspace and request
//! files, researcher HTML and SVG only under `sandbox`, the caching of REN-4 with its 304, and
//! the view audited before it (REN-6).

use crate::support;

use airlock_store::testing::TestDb;
use support::flow::{TABLE1, WS, request_in};
use support::pages::{Visitor, encode_path};
use support::{Answer, fixtures, start, start_configured};

fn workspace_content(path: &str) -> String {
    format!("/workspaces/content/{WS}/{}", encode_path(path))
}

fn fixture_bytes(path: &str) -> Vec<u8> {
    std::fs::read(fixtures().join("workspaces").join(WS).join(path)).expect("a fixture file")
}

/// WEB-5 and REN-8: a content answer may be framed by the page, and never sniffed.
fn assert_content_headers(answer: &Answer, what: &str) {
    assert_eq!(
        answer.header("x-frame-options"),
        Some("SAMEORIGIN"),
        "{what}"
    );
    assert_eq!(
        answer.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
}

#[test]
fn ren_7_researcher_html_and_svg_are_sent_as_they_are_under_sandbox() {
    let s = start(TestDb::sqlite().expect("a database"));
    let visitor = Visitor::login(&s, "researcher_1");
    for (path, media) in [
        ("output/report.html", "text/html; charset=utf-8"),
        ("output/figures/hba1c_trend.svg", "image/svg+xml"),
    ] {
        let answer = visitor.get(&workspace_content(path));
        assert_eq!(answer.status, 200, "{path}");
        assert_eq!(
            answer.header("content-security-policy"),
            Some("sandbox"),
            "{path}"
        );
        assert_eq!(answer.header("content-type"), Some(media), "{path}");
        assert_content_headers(&answer, path);
        assert!(
            answer.body == fixture_bytes(path),
            "{path}: the bytes as they are"
        );
        // As text it is escaped, in the service's own sandboxed page.
        let text = visitor.get(&format!("{}?plaintext=true", workspace_content(path)));
        assert!(text.text().contains("&lt;"), "{path} as text");
        let csp = text.header("content-security-policy").unwrap_or_default();
        assert!(
            csp.contains(
                "sandbox allow-scripts allow-forms allow-top-navigation-by-user-activation"
            ),
            "{csp}"
        );
        assert!(!csp.contains("allow-same-origin"), "{csp}");
        assert!(csp.contains("script-src 'self'"), "{csp}");
    }
}

#[test]
fn ren_1_each_type_gets_its_renderer() {
    let s = start(TestDb::sqlite().expect("a database"));
    let visitor = Visitor::login(&s, "researcher_1");
    let page = |path: &str| {
        let answer = visitor.get(&workspace_content(path));
        assert_eq!(answer.status, 200, "{path}: {}", answer.text());
        assert_content_headers(&answer, path);
        assert_eq!(
            answer.header("content-type"),
            Some("text/html; charset=utf-8"),
            "{path}"
        );
        answer.text()
    };
    let csv = page("output/tables/complications_by_age.csv");
    assert!(csv.contains("<table class=\"csv-table\">"), "{csv}");
    assert!(
        csv.contains("Low count: 3 is below 10"),
        "HNT-2 in the table"
    );
    assert!(csv.contains("id=\"r9c2\""), "the hinted cell is linked");
    assert!(csv.contains("Summary statistics"), "REN-3");
    let text = page("output/summary.txt");
    assert!(text.contains("<pre class=\"text\">"), "{text}");
    assert!(
        page("output/monthly/notes.md").contains("<pre class=\"text\">"),
        "Markdown is not rendered"
    );
    let log = page("metadata/make_tables.log");
    assert!(log.contains("JOB SUMMARY"), "{log}");
    let image = page("output/figures/figure1.png");
    assert!(image.contains("<img src=\"/workspaces/content/"), "{image}");
    let bytes = visitor.get(&format!(
        "{}?image=1",
        workspace_content("output/figures/figure1.png")
    ));
    assert_eq!(bytes.header("content-type"), Some("image/png"));
    assert!(bytes.body == fixture_bytes("output/figures/figure1.png"));
    let invalid = page("output/model/fitted_model.rds");
    assert!(
        invalid.contains("fitted_model.rds is not a valid file type and cannot be displayed."),
        "{invalid}"
    );
    // REN-6: a directory has no contents.
    assert_eq!(visitor.get(&workspace_content("output/tables")).status, 400);
}

#[test]
fn ren_5_a_long_log_is_truncated_before_its_job_summary_with_the_notice() {
    let users = std::fs::read(fixtures().join("users.json")).expect("users");
    let directory = airlock_store::auth::Directory::UsersFile(std::sync::Arc::new(
        airlock_core::users_file::parse_users_file(&users).expect("valid"),
    ));
    let s = start_configured(TestDb::sqlite().expect("a database"), directory, |config| {
        config.max_log_chars = 40;
    });
    let visitor = Visitor::login(&s, "researcher_1");
    let log = visitor
        .get(&workspace_content("metadata/make_tables.log"))
        .text();
    assert!(
        log.contains(
            "This log has been truncated; only the last 40 characters before the job summary are shown."
        ),
        "{log}"
    );
    assert!(
        log.contains("=============JOB SUMMARY============="),
        "the trailer is kept"
    );
    assert!(!log.contains("R version"), "the start is dropped");
}

#[test]
fn ren_4_ren_6_contents_are_cached_by_identity_and_every_fetch_is_audited() {
    let s = start(TestDb::sqlite().expect("a database"));
    let id = request_in(&s, "SUBMITTED");
    let checker = Visitor::login(&s, "output_checker_1");
    for path in [
        workspace_content(TABLE1),
        format!("/requests/content/{id}/tables/{}", encode_path(TABLE1)),
        format!(
            "/requests/content/{id}/tables/{}?plaintext=true",
            encode_path(TABLE1)
        ),
    ] {
        let before = s.audit_len();
        let first = checker.get(&path);
        assert_eq!(first.status, 200, "{path}");
        let etag = first.header("etag").expect("an ETag").to_string();
        assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
        assert!(
            first
                .header("cache-control")
                .is_some_and(|c| c.contains("max-age=31536000") && c.contains("immutable")),
            "{path}"
        );
        assert!(
            first
                .header("last-modified")
                .is_some_and(|d| d.ends_with(" GMT")),
            "{path}"
        );
        let again = checker.get_with(&path, &[("If-None-Match", &etag)]);
        assert_eq!(again.status, 304, "{path}");
        assert_eq!(again.header("etag"), Some(etag.as_str()));
        assert!(again.body.is_empty());
        assert_eq!(
            s.audit_len(),
            before + 2,
            "{path}: both fetches audited (REN-6)"
        );
    }
    // A request file's id is its sha256, with the renderer's version for a templated page.
    let request_page = checker.get(&format!(
        "/requests/content/{id}/tables/{}",
        encode_path(TABLE1)
    ));
    let etag = request_page.header("etag").unwrap_or_default();
    let sha = s
        .api(
            "GET",
            &format!("/requests/{id}"),
            Some(&s.login("output_checker_1")),
            None,
        )
        .json()["groups"][0]["files"][0]["sha256"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        etag.starts_with(&format!("\"{sha}-csv")),
        "{etag} from {sha}"
    );
}

#[test]
fn ren_1_the_pages_frame_contents_without_letting_scripts_and_origin_meet() {
    let s = start(TestDb::sqlite().expect("a database"));
    let id = request_in(&s, "SUBMITTED");
    let visitor = Visitor::login(&s, "output_checker_1");
    for page in [
        format!("/workspaces/view/{WS}/{TABLE1}"),
        format!("/requests/view/{id}/tables/{}", encode_path(TABLE1)),
    ] {
        let html = visitor.get(&page).text();
        let at = html.find("id=\"content-iframe\"").expect("the iframe");
        let tag = &html[html[..at].rfind("<iframe").unwrap_or(0)..];
        let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
        assert!(tag.contains("sandbox=\""), "{tag}");
        assert!(!tag.contains("allow-same-origin"), "REN-8: {tag}");
    }
}

/// The files the renderer snapshots show, beside the fixtures.
const SAMPLES: &[(&str, &[u8])] = &[
    (
        "output/samples/hinted.csv",
        b"region,\"name, quoted\",count\nNorth,\"a \"\"quoted\"\" cell\",12\nSouth,short\nEast,x,3,extra\nWest,<b>y</b>,[REDACTED]\n",
    ),
    ("output/samples/empty.csv", b""),
    (
        "output/samples/coloured.log",
        b"\x1b[1mbold\x1b[0m and \x1b[31mred <tag>\x1b[0m\n=============JOB SUMMARY=============\nstatus: \x1b[32msucceeded\x1b[0m\n",
    ),
    ("output/samples/latin1.txt", b"caf\xe9 \xff <script>x</script>\n"),
    ("output/samples/unknown.rds", b"\x00\x01binary"),
];

#[test]
fn ren_1_to_ren_5_renderings_as_snapshots() {
    let dir = support::workspaces_with(WS, SAMPLES);
    let s = support::start_on_workspaces(TestDb::sqlite().expect("a database"), dir.path());
    let visitor = Visitor::login(&s, "researcher_1");
    for (name, path) in [
        ("render_csv_hinted", "output/samples/hinted.csv"),
        ("render_csv_empty", "output/samples/empty.csv"),
        ("render_log_coloured", "output/samples/coloured.log"),
        ("render_text_latin1", "output/samples/latin1.txt"),
        ("render_invalid", "output/samples/unknown.rds"),
        ("render_image", "output/figures/figure1.png"),
        (
            "render_csv_fixture",
            "output/tables/complications_by_age.csv",
        ),
    ] {
        let answer = visitor.get(&workspace_content(path));
        assert_eq!(answer.status, 200, "{path}: {}", answer.text());
        let html = answer.text();
        assert!(
            !html.contains("<script>x") && !html.contains("<b>y"),
            "{path}: escaped"
        );
        insta::with_settings!({
            filters => vec![(r"\.[0-9a-f]{12}\.(css|js)", ".[HASH].$1")]
        }, {
            insta::assert_snapshot!(name, html);
        });
    }
}

/// A table of 1 200 rows with a low count in every 40th row's `count`: 30 in all.
fn many_low_counts() -> Vec<u8> {
    let mut csv = String::from("region,count\n");
    for i in 1..=1_200 {
        let count = if i % 40 == 0 { 4 } else { 1_000 + i };
        csv.push_str(&format!("Region {i},{count}\n"));
    }
    csv.into_bytes()
}

#[test]
fn ren_2_hnt_2_a_long_table_lists_ten_hints_per_column_and_leads_to_the_rest() {
    let csv = many_low_counts();
    let dir = support::workspaces_with(WS, &[("output/samples/many.csv", &csv)]);
    let s = support::start_on_workspaces(TestDb::sqlite().expect("a database"), dir.path());
    let visitor = Visitor::login(&s, "researcher_1");
    let url = workspace_content("output/samples/many.csv");
    let html = visitor.get(&url).text();
    assert!(
        html.contains("Disclosure hints: 31 (30 low counts)"),
        "{html}"
    );
    let listed = html.matches("(row ").count();
    assert_eq!(listed, 10, "ten listed by name");
    assert!(html.contains("(row 400, column count)"));
    assert!(!html.contains("(row 440, column count)"));
    assert!(
        html.contains("20 more low counts in column count, each marked in the table"),
        "{html}"
    );
    assert!(
        html.contains("?sort=1&#38;dir=asc\""),
        "the rest lead to the sorted table"
    );
    // Every low count is still marked where it is, on each page.
    assert_eq!(
        html.matches("class=\"low-count\"").count(),
        12,
        "rows 40..480"
    );
    let second = visitor.get(&format!("{url}?rows=2")).text();
    assert!(second.contains("<th scope=\"row\" class=\"row-number\">501</th>"));
    assert_eq!(
        second.matches("class=\"low-count\"").count(),
        13,
        "rows 520..1000"
    );
    // Sorted by count, smallest first: the 30 low counts open the first page.
    let sorted = visitor.get(&format!("{url}?sort=1&dir=asc")).text();
    let first_rows: Vec<&str> = sorted
        .split("<th scope=\"row\" class=\"row-number\">")
        .skip(1)
        .take(31)
        .map(|r| r.split('<').next().unwrap_or(""))
        .collect();
    let expected: Vec<String> = (1..=30)
        .map(|i| (i * 40).to_string())
        .chain(["1".to_string()])
        .collect();
    assert_eq!(first_rows, expected);
    // The last page, sorted the other way, ends with them in file order.
    let last = visitor.get(&format!("{url}?sort=1&dir=desc&rows=3")).text();
    assert!(last.contains("1200 rows; showing 1001–1200"), "{last}");
    assert!(last.trim_end().contains("1200</th><td>Region 1200</td>"));
    // The file page beside the frame says the same in two lines.
    let file_page = visitor
        .get(&format!("/workspaces/view/{WS}/output/samples/many.csv"))
        .text();
    assert!(
        file_page.contains(
            "<li>30 low counts in column count: rows 40, 80, 120, 160, 200 and 25 more</li>"
        ),
        "{file_page}"
    );
    assert!(file_page.contains("Disclosure hints <span class=\"badge hint\">31</span>"));
    // A filter still covers every row.
    let filtered = visitor.get(&format!("{url}?q=region+1199")).text();
    assert!(filtered.contains(">Region 1199<"));
    assert!(!filtered.contains(">Region 1198<"));
}
