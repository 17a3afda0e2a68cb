//! Insta snapshots of the main of each page as its viewers see it (ids, times, tokens and
//! asset hashes redacted), so that a change to what a page says is seen in review.

use crate::support;

use airlock_store::testing::TestDb;
use support::flow::{HBA1C, TABLE1, WS, request_in};
use support::pages::{Visitor, encode_path};
use support::start;

/// The `<main>` of a page, whitespace-trimmed line by line.
fn main_of(html: &str) -> String {
    let start = html.find("<main").unwrap_or(0);
    let end = html
        .find("</main>")
        .map_or(html.len(), |e| e + "</main>".len());
    html[start..end]
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn snapshot(name: &str, visitor: &Visitor<'_>, path: &str) {
    let page = visitor.get(path);
    assert_eq!(page.status, 200, "{path}: {}", page.text());
    insta::with_settings!({
        filters => vec![
            (r"01[0-9A-HJKMNP-TV-Z]{24}", "[ID]"),
            (r"01[0-9A-HJKMNP-TV-Z]\.\.\.[0-9A-HJKMNP-TV-Z]{6}", "[SHORT-ID]"),
            (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", "[DATETIME]"),
            (r"\d{4}-\d\d-\d\d \d\d:\d\d", "[TIME]"),
            (r#"name="csrf_token" value="[^"]+""#, r#"name="csrf_token" value="[CSRF]""#),
            (r"\.[0-9a-f]{12}\.(css|js|svg)", ".[HASH].$1"),
            (r"\?m=[0-9a-f]{16}", "?m=[MANIFEST]"),
            (r#"name="m" value="[0-9a-f]{16}""#, r#"name="m" value="[MANIFEST]""#),
            (r"#comment-[0-9a-zA-Z-]+", "#comment-[ID]"),
            (r#"id="comment-[0-9a-zA-Z-]+""#, r#"id="comment-[ID]""#),
            (r#"name="comment_id" value="[^"]+""#, r#"name="comment_id" value="[ID]""#),
            (r"\d+ (minute|hour|day)s?|under a minute", "[WAITED]"),
        ]
    }, {
        insta::assert_snapshot!(name, main_of(&page.text()));
    });
}

#[test]
fn pg_15_to_pg_20_the_pages_as_their_viewers_see_them() {
    let s = start(TestDb::sqlite().expect("a database"));
    let id = request_in(&s, "PARTIALLY_REVIEWED");
    let author = Visitor::login(&s, "researcher_1");
    let c1 = Visitor::login(&s, "output_checker_1");
    let c3 = Visitor::login(&s, "output_checker_3");
    let posted = c1.post(
        &format!("/requests/comment/create/{id}/tables"),
        &[
            ("comment", "Please *round* these."),
            ("visibility", "PRIVATE"),
        ],
    );
    assert_eq!(posted.status, 303);
    let overview = format!("/requests/view/{id}/");
    let group = format!("{overview}tables/");
    let file = format!("{group}{}", encode_path(HBA1C));
    snapshot("workspaces", &author, "/workspaces/");
    snapshot(
        "workspace_directory",
        &author,
        &format!("/workspaces/view/{WS}/output/"),
    );
    snapshot(
        "workspace_file",
        &author,
        &format!("/workspaces/view/{WS}/{TABLE1}"),
    );
    snapshot("request_overview_author", &author, &overview);
    snapshot("request_overview_reviewer", &c1, &overview);
    snapshot("request_overview_new_checker", &c3, &overview);
    snapshot("request_group_reviewer", &c1, &group);
    snapshot("request_group_author", &author, &group);
    snapshot("request_file_reviewer", &c3, &file);
    snapshot("request_file_author", &author, &file);
    snapshot(
        "activity_reviewer",
        &c1,
        &format!("/requests/activity/{id}"),
    );
    snapshot(
        "workspace_requests",
        &author,
        &format!("/requests/workspace/{WS}"),
    );
    snapshot("reviews", &c3, "/requests/output_checker");
    snapshot("login", &Visitor::anonymous(&s), "/login/");
}
