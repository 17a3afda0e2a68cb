//! What every page keeps whatever is sent to it: CSRF and origin checks on every form post
//! (PG-11), the security headers (WEB-5), local redirects only (WEB-3), escaping of everything
//! researchers and checkers write (WEB-4, COM-6), and login before anything (WEB-2).

use crate::support;

use airlock_store::testing::TestDb;
use support::flow::{HBA1C, SUMMARY, TABLE1, WS, submitted_request};
use support::pages::{Visitor, csrf_of, encode, encode_path};
use support::{Server, start};

/// Every form post route of `pages.md` §5 for a submitted request `id` (and the logout).
fn post_routes(id: &str) -> Vec<(String, Vec<(&'static str, String)>)> {
    let file =
        |action: &str, path: &str| format!("/requests/{action}/{id}/tables/{}", encode_path(path));
    let none = Vec::new;
    vec![
        (
            format!("/workspaces/add-file-to-request/{WS}"),
            vec![("files[0].path", SUMMARY.to_string())],
        ),
        (
            format!("/workspaces/update-file-in-request/{WS}"),
            vec![("files[0].path", TABLE1.to_string())],
        ),
        (format!("/workspaces/toggle-out-of-date/{WS}"), none()),
        (
            format!("/workspaces/multiselect/{WS}"),
            vec![("action", "add_files".into()), ("selected", SUMMARY.into())],
        ),
        (format!("/requests/submit/{id}"), none()),
        (format!("/requests/review/{id}"), none()),
        (format!("/requests/return/{id}"), none()),
        (format!("/requests/reject/{id}"), none()),
        (format!("/requests/withdraw/{id}"), none()),
        (format!("/requests/release/{id}"), none()),
        (file("approve", TABLE1), none()),
        (file("request_changes", TABLE1), none()),
        (file("reset_review", TABLE1), none()),
        (file("withdraw", TABLE1), none()),
        (
            format!("/requests/edit/{id}/tables"),
            vec![("context", "c".into()), ("controls", "c".into())],
        ),
        (
            format!("/requests/comment/create/{id}/tables"),
            vec![("comment", "A comment".into())],
        ),
        (
            format!("/requests/comment/delete/{id}/tables"),
            vec![("comment_id", "1".into())],
        ),
        (
            format!("/requests/comment/visibility_public/{id}/tables"),
            vec![("comment_id", "1".into())],
        ),
        (format!("/requests/request-changes/{id}/tables"), none()),
        (format!("/requests/reset-votes/{id}/tables"), none()),
        (
            format!("/requests/multiselect/{id}"),
            vec![
                ("action", "withdraw_files".into()),
                ("selected", format!("tables/{TABLE1}")),
            ],
        ),
        (
            format!("/requests/withdraw-files/{id}"),
            vec![("files[0].path", format!("tables/{HBA1C}"))],
        ),
        (
            format!("/requests/change-properties/{id}"),
            vec![
                ("filegroup", "tables".into()),
                ("files[0].path", format!("tables/{HBA1C}")),
                ("files[0].filetype", "SUPPORTING".into()),
            ],
        ),
        ("/logout/".to_string(), none()),
    ]
}

fn fields<'a>(list: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    list.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[test]
fn pg_11_a_post_without_its_sessions_token_or_from_another_origin_is_refused_and_changes_nothing() {
    let s = start(TestDb::sqlite().expect("a test database"));
    let author_token = s.login("researcher_1");
    let id = submitted_request(&s, &author_token);
    for user in ["researcher_1", "output_checker_1"] {
        let visitor = Visitor::login(&s, user);
        let stranger = Visitor::login(&s, "researcher_2");
        let foreign_token = stranger.csrf();
        let own_token = visitor.csrf();
        let before = s.audit_len();
        for (route, list) in post_routes(&id) {
            let mut plain = fields(&list);
            let without = visitor.post_raw(&route, &plain);
            assert_eq!(without.status, 403, "{user} {route} without a token");
            assert_eq!(without.error_codes(), ["permission_denied"], "{route}");
            let mut wrong = plain.clone();
            wrong.push(("csrf_token", &foreign_token));
            assert_eq!(
                visitor.post_raw(&route, &wrong).status,
                403,
                "{user} {route} with another session's token"
            );
            let mut garbled = plain.clone();
            garbled.push(("csrf_token", "0123456789abcdef"));
            assert_eq!(visitor.post_raw(&route, &garbled).status, 403, "{route}");
            *visitor.origin.borrow_mut() = Some("https://evil.example".into());
            plain.push(("csrf_token", &own_token));
            assert_eq!(
                visitor.post_raw(&route, &plain).status,
                403,
                "{user} {route} from another origin"
            );
            *visitor.origin.borrow_mut() = Some(s.url.clone());
        }
        assert_eq!(s.audit_len(), before, "a refused post wrote nothing");
        // The logout posts were refused too: the session still works.
        assert_eq!(visitor.get("/workspaces/").status, 200);
    }
}

/// Pages every user may open, and the request pages of `id`.
fn page_paths(id: &str) -> Vec<String> {
    vec![
        "/logout/".into(),
        "/workspaces/".into(),
        format!("/workspaces/view/{WS}/"),
        format!("/workspaces/view/{WS}/output/"),
        format!("/workspaces/view/{WS}/{TABLE1}"),
        format!("/requests/view/{id}/"),
        format!("/requests/view/{id}/tables/"),
        format!("/requests/view/{id}/tables/{TABLE1}"),
        format!("/requests/activity/{id}"),
        format!("/requests/workspace/{WS}"),
        "/requests/output_checker".into(),
        "/workspaces/view/no-such-workspace/".into(),
    ]
}

#[test]
fn web_5_every_page_sends_the_security_headers() {
    let s = start(TestDb::sqlite().expect("a test database"));
    let author = s.login("researcher_1");
    let id = submitted_request(&s, &author);
    let visitor = Visitor::login(&s, "output_checker_1");
    for path in page_paths(&id) {
        let page = visitor.get(&path);
        assert!(
            [200, 403, 404].contains(&page.status),
            "{path}: {}",
            page.status
        );
        let csp = page.header("content-security-policy").unwrap_or_default();
        for part in [
            "default-src 'self'",
            "script-src 'self'",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'self'",
            "form-action 'self'",
        ] {
            assert!(csp.contains(part), "{path}: {csp}");
        }
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{csp}"
        );
        assert_eq!(
            page.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(page.header("x-frame-options"), Some("DENY"), "{path}");
        let html = page.text();
        assert!(
            !html.contains("<script>") && !html.contains(" style=\""),
            "{path}: inline script or style"
        );
        assert!(
            !html.contains(" onclick=") && !html.contains(" onload="),
            "{path}"
        );
    }
    // Content responses may be framed by the page, and nothing in them runs.
    let content = visitor.get(&format!("/requests/content/{id}/tables/{TABLE1}"));
    assert_eq!(content.status, 200);
    assert_eq!(content.header("x-frame-options"), Some("SAMEORIGIN"));
    assert!(
        content
            .header("content-security-policy")
            .unwrap_or_default()
            .contains("sandbox")
    );
    assert_eq!(content.header("x-content-type-options"), Some("nosniff"));
}

#[test]
fn web_2_an_anonymous_visitor_is_sent_to_the_login_page_and_back() {
    let s = start(TestDb::sqlite().expect("a test database"));
    let author = s.login("researcher_1");
    let id = submitted_request(&s, &author);
    let anonymous = Visitor::anonymous(&s);
    for path in page_paths(&id) {
        if path.starts_with("/login/") || path.starts_with("/logout/") {
            continue;
        }
        let page = anonymous.get(&path);
        assert_eq!(page.status, 303, "{path}");
        assert_eq!(
            page.header("location"),
            Some(format!("/login/?next={}", encode(&path)).as_str()),
            "{path}"
        );
    }
    // After logging in, the visitor lands where they were going.
    let target = format!("/requests/view/{id}/tables/");
    let form = anonymous.get(&format!("/login/?next={}", encode(&target)));
    let csrf = csrf_of(&form.text()).expect("a token");
    assert!(
        form.text()
            .contains(&format!("value=\"{}\"", target.replace('/', "&#x2f;")))
            || form.text().contains(&format!("value=\"{target}\""))
    );
    let logged_in = anonymous.post_raw(
        "/login/",
        &[
            ("user", "output_checker_1"),
            ("token", "output_checker_1"),
            ("next", &target),
            ("csrf_token", &csrf),
        ],
    );
    assert_eq!(logged_in.status, 303);
    assert_eq!(logged_in.header("location"), Some(target.as_str()));
}

#[test]
fn web_3_a_next_page_outside_the_service_is_never_followed() {
    let s = start(TestDb::sqlite().expect("a test database"));
    let author = s.login("researcher_1");
    let id = submitted_request(&s, &author);
    let visitor = Visitor::login(&s, "output_checker_1");
    for next in [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
    ] {
        let answer = visitor.post(
            &format!("/requests/comment/create/{id}/tables"),
            &[("comment", "A comment"), ("next_url", next)],
        );
        assert_eq!(answer.status, 303, "{next}");
        let location = answer.header("location").unwrap_or_default();
        assert!(
            location.starts_with(&format!("/requests/view/{id}/tables/")),
            "{next} led to {location}"
        );
        let anonymous = Visitor::anonymous(&s);
        let form = anonymous.get(&format!("/login/?next={}", encode(next)));
        let csrf = csrf_of(&form.text()).expect("a token");
        let logged_in = anonymous.post_raw(
            "/login/",
            &[
                ("user", "researcher_1"),
                ("token", "researcher_1"),
                ("next", next),
                ("csrf_token", &csrf),
            ],
        );
        assert_eq!(logged_in.header("location"), Some("/workspaces/"), "{next}");
    }
    // A local next page is followed.
    let answer = visitor.post(
        &format!("/requests/comment/create/{id}/tables"),
        &[
            ("comment", "Another"),
            ("next_url", "/requests/output_checker"),
        ],
    );
    assert_eq!(answer.header("location"), Some("/requests/output_checker"));
}

fn assert_escaped(s: &Server, visitor: &Visitor<'_>, path: &str) {
    let page = visitor.get(path);
    assert_eq!(page.status, 200, "{path}: {}", page.text());
    let html = page.text();
    assert!(
        !html.contains("<script>alert"),
        "{path} holds a live script: {html}"
    );
    assert!(
        !html.contains("<img src=x"),
        "{path} holds live markup: {html}"
    );
    let _ = s;
}

#[test]
fn web_4_what_researchers_and_checkers_write_is_escaped_everywhere() {
    let s = start(TestDb::sqlite().expect("a test database"));
    let author = Visitor::login(&s, "researcher_1");
    let payload = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    // Group names hold no `/` (GRP-2).
    let group_payload = "<img src=x onerror=alert(2)> & \"quotes\"";
    let added = author.post(
        &format!("/workspaces/add-file-to-request/{WS}"),
        &[
            ("new_filegroup", group_payload),
            ("files[0].path", TABLE1),
            ("files[0].filetype", "OUTPUT"),
        ],
    );
    assert_eq!(added.status, 303, "{}", added.text());
    // The message quoting the group name is escaped too.
    let page = author.follow(&added);
    assert_eq!(
        page.message_texts(),
        [format!(
            "1 file added to group {}.",
            group_payload.to_lowercase()
        )]
    );
    assert_escaped(&s, &author, &format!("/workspaces/view/{WS}/{TABLE1}"));
    let listed = author.get("/workspaces/").text();
    let id = support::pages::attribute_values(&listed, "href")
        .into_iter()
        .find_map(|h| {
            h.strip_prefix("/requests/view/")
                .map(|r| r.trim_end_matches('/').to_string())
        })
        .expect("the request");
    let group = group_payload.to_lowercase();
    let group_path = encode(&group);
    let edited = author.post(
        &format!("/requests/edit/{id}/{group_path}"),
        &[("context", payload), ("controls", payload)],
    );
    assert_eq!(edited.status, 303, "{}", edited.text());
    let commented = author.post(
        &format!("/requests/comment/create/{id}/{group_path}"),
        &[(
            "comment",
            &format!("{payload}\n\n[link](javascript:alert(3)) and [fine](https://example.org/)"),
        )],
    );
    assert_eq!(commented.status, 303, "{}", commented.text());
    for path in [
        format!("/requests/view/{id}/"),
        format!("/requests/view/{id}/{group_path}/"),
        format!("/requests/view/{id}/{group_path}/{TABLE1}"),
        format!("/requests/activity/{id}"),
    ] {
        assert_escaped(&s, &author, &path);
        let html = author.get(&path).text();
        assert!(!html.contains("href=\"javascript:"), "{path}: {html}");
    }
}
