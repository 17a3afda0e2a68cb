//! What the pages answer to what they cannot do (PG-13, PG-14): unknown things are 404 pages,
//! forbidden ones 403 pages, malformed forms 400 pages, all in the frame with their code and
//! a way back, never a 500, and nothing changed.

use crate::support;

use airlock_store::testing::TestDb;
use support::flow::{HBA1C, TABLE1, WS, request_in};
use support::pages::{Visitor, encode_path};
use support::{Answer, start};

/// An error page in the frame: its status, its code and the way back to the workspaces.
fn assert_error_page(answer: &Answer, status: u16, code: &str, what: &str) {
    assert_eq!(answer.status, status, "{what}: {}", answer.text());
    let html = answer.text();
    assert!(
        html.contains(&format!("data-error-code=\"{code}\"")),
        "{what}: not {code}: {html}"
    );
    assert!(
        html.contains("href=\"/workspaces/\""),
        "{what}: no way back"
    );
    assert!(html.contains("<h1>"), "{what}: no heading");
    assert_eq!(
        answer.header("content-type"),
        Some("text/html; charset=utf-8"),
        "{what}"
    );
}

#[test]
fn pg_14_unknown_things_are_not_found_pages() {
    let s = start(TestDb::sqlite().expect("a database"));
    let id = request_in(&s, "SUBMITTED");
    let checker = Visitor::login(&s, "output_checker_1");
    for path in [
        "/requests/view/01NOSUCHREQUEST00000000000/".to_string(),
        format!("/requests/view/{id}/no-such-group/"),
        format!("/requests/view/{id}/tables/output/no-such-file.csv"),
        "/workspaces/view/no-such-workspace/".to_string(),
        "/requests/activity/01NOSUCHREQUEST00000000000".to_string(),
        "/requests/workspace/no-such-workspace".to_string(),
        "/no/such/page".to_string(),
    ] {
        let answer = checker.get(&path);
        assert_error_page(&answer, 404, "not_found", &path);
    }
    // A path that leaves its root is refused: `bad_path` (FMT-5), or not found where the
    // router already refuses dot segments.
    for path in [
        format!("/requests/view/{id}/tables/..%2F..%2Fsecret"),
        format!("/requests/content/{id}/tables/..%2F..%2Fsecret"),
        format!("/workspaces/view/{WS}/%2e%2e/%2e%2e/etc/passwd"),
    ] {
        let answer = checker.get(&path);
        assert!(
            [400, 404].contains(&answer.status),
            "{path}: {}",
            answer.text()
        );
    }
    // WS-8: a path that is not (or no longer) in the workspace leads to the nearest directory
    // that is, saying so.
    let gone = checker.get(&format!("/workspaces/view/{WS}/output/no-such-file.csv"));
    assert_eq!(gone.status, 303);
    let location = gone.header("location").unwrap_or_default();
    assert!(
        location.starts_with(&format!("/workspaces/view/{WS}/output/?m=")),
        "{location}"
    );
    assert_eq!(checker.follow(&gone).error_codes(), ["not_found"]);
    // Posts to unknown things, too.
    for path in [
        "/requests/submit/01NOSUCHREQUEST00000000000".to_string(),
        format!("/requests/frobnicate/{id}"),
        format!(
            "/requests/approve/{id}/no-such-group/{}",
            encode_path(TABLE1)
        ),
        format!("/requests/approve/{id}/tables/output/no-such-file.csv"),
    ] {
        let before = s.audit_len();
        let answer = checker.post(&path, &[]);
        assert!(
            [303, 404].contains(&answer.status),
            "{path}: {} {}",
            answer.status,
            answer.text()
        );
        if answer.status == 404 {
            assert_error_page(&answer, 404, "not_found", &path);
        } else {
            assert_eq!(
                checker.follow(&answer).error_codes(),
                ["not_found"],
                "{path}"
            );
        }
        assert_eq!(s.audit_len(), before, "{path}");
    }
}

#[test]
fn pg_14_forbidden_things_are_forbidden_pages() {
    let s = start(TestDb::sqlite().expect("a database"));
    let id = request_in(&s, "SUBMITTED");
    let outsider = Visitor::login(&s, "no_access_user");
    for path in [
        format!("/requests/view/{id}/"),
        format!("/workspaces/view/{WS}/"),
        format!("/requests/activity/{id}"),
        format!("/requests/workspace/{WS}"),
        "/requests/output_checker".to_string(),
        "/workspaces/all/".to_string(),
    ] {
        let answer = outsider.get(&path);
        assert_eq!(answer.status, 403, "{path}: {}", answer.text());
        assert!(answer.text().contains("data-error-code=\""), "{path}");
    }
    let content = outsider.get(&format!(
        "/requests/content/{id}/tables/{}",
        encode_path(TABLE1)
    ));
    assert_eq!(content.status, 403, "{}", content.text());
    let researcher = Visitor::login(&s, "researcher_2");
    let download = researcher.get(&format!(
        "/requests/content/{id}/tables/{}?download",
        encode_path(TABLE1)
    ));
    assert_eq!(download.status, 403, "REN-9: {}", download.text());
}

/// Who posts, where, and with which fields.
type Case<'a> = (&'a Visitor<'a>, String, Vec<(&'a str, &'a str)>);

#[test]
fn pg_13_a_malformed_form_is_a_bad_request_page_and_changes_nothing() {
    let s = start(TestDb::sqlite().expect("a database"));
    let id = request_in(&s, "PENDING");
    let author = Visitor::login(&s, "researcher_1");
    let checker = Visitor::login(&s, "output_checker_1");
    let before = s.audit_len();
    let hba1c = format!("tables/{HBA1C}");
    let cases: Vec<Case<'_>> = vec![
        (
            &author,
            format!("/requests/edit/{id}/tables"),
            vec![("context", "only context")],
        ),
        (
            &author,
            format!("/requests/comment/create/{id}/tables"),
            vec![("comment", "text"), ("visibility", "LOUD")],
        ),
        (
            &author,
            format!("/requests/comment/create/{id}/tables"),
            vec![("comment", "  ")],
        ),
        (
            &author,
            format!("/requests/comment/delete/{id}/tables"),
            vec![],
        ),
        (
            &author,
            format!("/requests/change-properties/{id}"),
            vec![("files[0].path", "no-group-separator")],
        ),
        (
            &author,
            format!("/requests/change-properties/{id}"),
            vec![
                ("files[0].path", &hba1c),
                ("files[0].filetype", "WITHDRAWN"),
            ],
        ),
        (&author, format!("/requests/withdraw-files/{id}"), vec![]),
        (
            &author,
            format!("/requests/multiselect/{id}"),
            vec![("action", "explode")],
        ),
        (
            &author,
            format!("/workspaces/add-file-to-request/{WS}"),
            vec![("files[0].path", TABLE1), ("files[0].filetype", "BINARY")],
        ),
        (
            &author,
            format!("/workspaces/add-file-to-request/{WS}"),
            vec![],
        ),
        (
            &author,
            format!("/workspaces/update-file-in-request/{WS}"),
            vec![],
        ),
        (
            &author,
            format!("/workspaces/multiselect/{WS}"),
            vec![("selected", TABLE1)],
        ),
        (
            &checker,
            "/requests/multiselect/x".to_string(),
            vec![("action", "")],
        ),
    ];
    for (visitor, route, fields) in cases {
        let answer = visitor.post(&route, &fields);
        assert_error_page(&answer, 400, "bad_request", &format!("{route} {fields:?}"));
    }
    // A body that is not a form at all (with or without the right content type).
    for (content_type, body) in [
        ("application/json", &b"{\"context\": \"x\"}"[..]),
        ("application/x-www-form-urlencoded", &b"%%%=%%%&&&"[..]),
        ("application/x-www-form-urlencoded", &[0xff, 0xfe, 0x00][..]),
    ] {
        let answer = author.post_body(&format!("/requests/edit/{id}/tables"), content_type, body);
        assert!(
            [400, 403, 415].contains(&answer.status),
            "{content_type}: {} {}",
            answer.status,
            answer.text()
        );
    }
    assert_eq!(s.audit_len(), before, "nothing was written");
}

#[test]
fn ren_9_a_reviewer_downloads_a_file_under_its_group_name_and_it_is_audited() {
    let s = start(TestDb::sqlite().expect("a database"));
    let id = request_in(&s, "SUBMITTED");
    let checker = Visitor::login(&s, "output_checker_1");
    let page = checker.get(&format!(
        "/requests/view/{id}/tables/{}",
        encode_path(TABLE1)
    ));
    assert!(
        page.text().contains("?download"),
        "the file page offers the download"
    );
    let before = s.audit_len();
    let download = checker.get(&format!(
        "/requests/content/{id}/tables/{}?download",
        encode_path(TABLE1)
    ));
    assert_eq!(download.status, 200, "{}", download.text());
    let disposition = download.header("content-disposition").unwrap_or_default();
    assert!(
        disposition.starts_with("attachment;") && disposition.contains("tables/output/table1.csv"),
        "{disposition}"
    );
    let stored = std::fs::read(support::fixtures().join("workspaces").join(WS).join(TABLE1))
        .expect("the workspace file");
    assert!(download.body == stored, "the download is the stored bytes");
    assert_eq!(s.audit_len(), before + 1, "REQUEST_FILE_DOWNLOAD");
    // The author sees the contents but is not offered a download.
    let author = Visitor::login(&s, "researcher_1");
    let page = author.get(&format!(
        "/requests/view/{id}/tables/{}",
        encode_path(TABLE1)
    ));
    assert!(!page.text().contains("?download"), "{}", page.text());
    let contents = author.get(&format!(
        "/requests/content/{id}/tables/{}",
        encode_path(TABLE1)
    ));
    assert_eq!(contents.status, 200);
    let first_value = String::from_utf8_lossy(&stored)
        .lines()
        .nth(1)
        .and_then(|l| l.split(',').next())
        .unwrap_or_default()
        .to_string();
    assert!(
        contents.text().contains(&format!("<td>{first_value}</td>")),
        "the table shows the stored rows"
    );
    assert_eq!(contents.header("content-disposition"), None);
}

#[test]
fn upl_8_the_upload_counter_answers_json_to_viewers_only() {
    let s = start(TestDb::sqlite().expect("a database"));
    let id = request_in(&s, "SUBMITTED");
    let author = Visitor::login(&s, "researcher_1");
    let answer = author.get(&format!("/requests/{id}/uploaded-files-count"));
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.json(),
        serde_json::json!({"status": "SUBMITTED", "uploaded": 0, "released": 0})
    );
    assert_eq!(
        Visitor::anonymous(&s)
            .get(&format!("/requests/{id}/uploaded-files-count"))
            .status,
        401
    );
    assert_eq!(
        Visitor::login(&s, "no_access_user")
            .get(&format!("/requests/{id}/uploaded-files-count"))
            .status,
        403
    );
}
