//! PG-1 as a table over every (viewer × action × status) cell: a page offers an action exactly
//! when the operation accepts it. For each status and viewer, every action the pages do not
//! offer is posted and must be refused, changing nothing; every action they offer is posted on
//! a fresh request in that status and must succeed.

use crate::support;

use airlock_jobsite_double::{Endpoint, Fault};
use airlock_store::testing::TestDb;
use std::collections::BTreeSet;
use support::flow::{TABLE1, request_in};
use support::pages::{Visitor, enabled_actions, encode_path};
use support::{Server, fixture_jobs_site, start_with_jobs_site};

const STATUSES: [&str; 9] = [
    "PENDING",
    "SUBMITTED",
    "PARTIALLY_REVIEWED",
    "REVIEWED",
    "RETURNED",
    "APPROVED",
    "RELEASED",
    "REJECTED",
    "WITHDRAWN",
];

/// The author, a collaborator, the two reviewing checkers, a checker who has not acted, a
/// copilot, a read-only user and a user without access.
const VIEWERS: [&str; 8] = [
    "researcher_1",
    "researcher_2",
    "output_checker_1",
    "output_checker_2",
    "output_checker_3",
    "copilot_1",
    "tech_support",
    "no_access_user",
];

/// Every action of the request pages on request `id`, with the fields a post needs.
fn actions(id: &str) -> Vec<(String, Vec<(&'static str, &'static str)>)> {
    let file = |action: &str| format!("/requests/{action}/{id}/tables/{}", encode_path(TABLE1));
    let mut all: Vec<(String, Vec<(&'static str, &'static str)>)> = [
        "submit", "review", "return", "reject", "withdraw", "release",
    ]
    .iter()
    .map(|a| (format!("/requests/{a}/{id}"), Vec::new()))
    .collect();
    for action in ["approve", "request_changes", "reset_review", "withdraw"] {
        all.push((file(action), Vec::new()));
    }
    all.push((
        format!("/requests/edit/{id}/tables"),
        vec![("context", "New context"), ("controls", "New controls")],
    ));
    all.push((
        format!("/requests/comment/create/{id}/tables"),
        vec![("comment", "A comment")],
    ));
    all.push((format!("/requests/request-changes/{id}/tables"), Vec::new()));
    all.push((format!("/requests/reset-votes/{id}/tables"), Vec::new()));
    all
}

/// A server that talks to a Jobs site double which refuses uploads while `stall` (so that an
/// APPROVED request stays APPROVED), and a request in `status` on it.
fn request(status: &str) -> (airlock_jobsite_double::JobSite, Server, String) {
    let site = fixture_jobs_site();
    if status == "APPROVED" {
        site.inject(
            Endpoint::Upload,
            Fault::Status(500, "down".into()),
            usize::MAX,
        );
    }
    let s = start_with_jobs_site(TestDb::sqlite().expect("a database"), &site, |_| {});
    let id = request_in(&s, status);
    (site, s, id)
}

/// What the pages of a request offer `visitor`: the actions of the forms with an enabled
/// button on the overview, the group page and the file page of TABLE1 (`None` when the
/// viewer may not open the overview).
fn offered(visitor: &Visitor<'_>, id: &str) -> Option<BTreeSet<String>> {
    let overview = visitor.get(&format!("/requests/view/{id}/"));
    if overview.status != 200 {
        assert!([403, 404].contains(&overview.status), "{}", overview.text());
        return None;
    }
    let mut all: BTreeSet<String> = enabled_actions(&overview.text()).into_iter().collect();
    for page in [
        format!("/requests/view/{id}/tables/"),
        format!("/requests/view/{id}/tables/{}", encode_path(TABLE1)),
    ] {
        let answer = visitor.get(&page);
        assert_eq!(answer.status, 200, "{page}: {}", answer.text());
        all.extend(enabled_actions(&answer.text()));
    }
    Some(all)
}

/// A login with a fresh token from the Jobs site (DBL-1: a token is used once).
fn fresh_login<'s>(
    site: &airlock_jobsite_double::JobSite,
    s: &'s Server,
    user: &str,
) -> Visitor<'s> {
    let token = format!("{user}-page");
    site.set_login_token(user, &token);
    Visitor::login_with(s, user, &token)
}

/// The vote `route` would repeat: the file page shows it as the viewer's current vote.
fn repeated_vote(visitor: &Visitor<'_>, id: &str, route: &str) -> Option<&'static str> {
    let (button, vote) = if route.contains("/approve/") {
        ("id=\"vote-approve\"", "approve")
    } else if route.contains("/request_changes/") {
        ("id=\"vote-changes\"", "request_changes")
    } else {
        return None;
    };
    let page = visitor
        .get(&format!(
            "/requests/view/{id}/tables/{}",
            encode_path(TABLE1)
        ))
        .text();
    let at = page.find(button)?;
    let tag = page[at..].split('>').next().unwrap_or_default();
    tag.contains("aria-pressed=\"true\"").then_some(vote)
}

/// Whether a post succeeded: 303 to a page whose message is `ok`.
fn succeeded(visitor: &Visitor<'_>, answer: &support::Answer) -> bool {
    answer.status == 303 && visitor.follow(answer).message_codes() == ["ok"]
}

#[test]
fn pg_1_acc_6_a_page_offers_an_action_exactly_when_the_operation_accepts_it() {
    let mut offered_cells = Vec::new();
    let mut table = Vec::new();
    for status in STATUSES {
        let (site, s, id) = request(status);
        for viewer in VIEWERS {
            let visitor = fresh_login(&site, &s, viewer);
            let offers = offered(&visitor, &id).unwrap_or_default();
            for (route, fields) in actions(&id) {
                let short = route.replace(&id, "ID");
                if offers.contains(&route) {
                    offered_cells.push((status, viewer, route.clone(), fields));
                    table.push(format!("{status:<18} {viewer:<16} offered {short}"));
                    continue;
                }
                // REV-13 against REV-2: the button of the viewer's current vote resets it, so
                // the page never offers the same vote again, while the operation accepts a
                // repeat (and audits it). That one cell is the exception to PG-1.
                if let Some(vote) = repeated_vote(&visitor, &id, &route) {
                    let answer = visitor.post(&route, &fields);
                    assert!(
                        succeeded(&visitor, &answer),
                        "{status} {viewer}: repeat {short}"
                    );
                    table.push(format!("{status:<18} {viewer:<16} repeats {vote} {short}"));
                    continue;
                }
                let before = s.audit_len();
                let answer = visitor.post(&route, &fields);
                assert_ne!(answer.status, 500, "{status} {viewer} {short}");
                assert!(
                    !succeeded(&visitor, &answer),
                    "{status} {viewer}: {short} is not offered but succeeded"
                );
                assert_eq!(s.audit_len(), before, "{status} {viewer}: {short} wrote");
            }
        }
    }
    for (status, viewer, route, fields) in offered_cells {
        let (site, s, id) = request(status);
        let route = route.replace(
            route
                .split('/')
                .find(|part| part.len() == 26)
                .unwrap_or_default(),
            &id,
        );
        let visitor = fresh_login(&site, &s, viewer);
        let answer = visitor.post(&route, &fields);
        assert!(
            succeeded(&visitor, &answer),
            "{status} {viewer}: {route} is offered but refused: {:?}",
            visitor.follow(&answer).message_texts()
        );
    }
    insta::assert_snapshot!("pg_1_offers", table.join("\n"));
}
