//! PG-21: the documentation, served without login, linked from every page, with the rules'
//! diagram and table generated from the transition table.

use crate::support;

use airlock_core::transition::TRANSITIONS;
use airlock_store::testing::TestDb;
use support::pages::{Visitor, attribute_values};
use support::start;

#[test]
fn pg_21_the_docs_are_served_without_login_and_linked_from_every_page() {
    let s = start(TestDb::sqlite().expect("a database"));
    let anonymous = Visitor::anonymous(&s);
    let index = anonymous.get("/docs/");
    assert_eq!(index.status, 200, "{}", index.text());
    let links: Vec<String> = attribute_values(&index.text(), "href")
        .into_iter()
        .filter(|h| h.starts_with("/docs/") && h.len() > "/docs/".len())
        .collect();
    for page in ["/docs/researchers", "/docs/output-checkers", "/docs/rules"] {
        assert!(links.iter().any(|l| l == page), "the index links {page}");
        let answer = anonymous.get(page);
        assert_eq!(answer.status, 200, "{page}");
        let html = answer.text();
        assert_eq!(html.matches("<h1>").count(), 1, "{page}: one heading");
        assert!(
            answer
                .header("content-security-policy")
                .is_some_and(|c| c.contains("script-src 'self'")),
            "{page}"
        );
    }
    assert_eq!(anonymous.get("/docs/no-such-page").status, 404);
    // The footer of every page links the docs.
    let logged_in = Visitor::login(&s, "researcher_1");
    assert!(
        logged_in
            .get("/workspaces/")
            .text()
            .contains("href=\"/docs/\"")
    );
}

#[test]
fn pg_21_the_rules_show_every_transition_of_the_table() {
    let s = start(TestDb::sqlite().expect("a database"));
    let html = Visitor::anonymous(&s).get("/docs/rules").text();
    assert!(html.contains("<svg"), "the diagram");
    assert_eq!(
        html.matches("class=\"transition\"").count(),
        TRANSITIONS.len(),
        "one arrow per transition"
    );
    for t in TRANSITIONS {
        let row = format!(
            "<td>{}</td><td>{}</td><td>{}</td>",
            t.from.map_or("(a new request)", |s| s.label()),
            t.to.label(),
            t.action
        );
        assert!(html.contains(&row), "{row}");
    }
    assert!(
        !html.contains("{{ statemachine }}"),
        "the placeholder is replaced"
    );
}
