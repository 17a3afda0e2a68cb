//! A request's whole life through the pages alone, on every test database: the researcher
//! selects files in the workspace browser and adds them, fills in context and controls and
//! submits; two checkers review blind, going from file to file (PG-23), comment, and submit
//! their reviews; one returns it; the researcher resubmits.

use crate::support;

use support::flow::{HBA1C, TABLE1, WS};
use support::pages::{Visitor, attribute_values, enabled_actions, encode_path};
use support::servers;

/// The request ids linked from a page.
fn request_ids(html: &str) -> Vec<String> {
    attribute_values(html, "href")
        .into_iter()
        .filter_map(|h| {
            h.strip_prefix("/requests/view/")
                .map(|r| r.trim_end_matches('/').to_string())
        })
        .collect()
}

/// The one message of the page a redirect leads to: (code, text).
fn message(visitor: &Visitor<'_>, answer: &support::Answer) -> (String, String) {
    let page = visitor.follow(answer);
    assert_eq!(page.status, 200, "{}", page.text());
    let codes = page.message_codes();
    assert_eq!(codes.len(), 1, "one message: {}", page.text());
    (codes[0].clone(), page.message_texts().remove(0))
}

fn file_page(id: &str, group: &str, path: &str) -> String {
    format!("/requests/view/{id}/{group}/{}", encode_path(path))
}

fn file_action(action: &str, id: &str, group: &str, path: &str) -> String {
    format!("/requests/{action}/{id}/{group}/{}", encode_path(path))
}

#[test]
fn pg_17_a_request_lives_and_is_reviewed_through_the_pages_alone() {
    for s in servers() {
        let author = Visitor::login(&s, "researcher_1");

        // PG-16: select two outputs in the browser and get the add form for them.
        let select = author.post(
            &format!("/workspaces/multiselect/{WS}"),
            &[
                ("action", "add_files"),
                ("selected", TABLE1),
                ("selected", HBA1C),
            ],
        );
        assert_eq!(select.status, 200, "{}", select.text());
        assert!(
            select.text().contains("files[1].filetype"),
            "{}",
            select.text()
        );
        let added = author.post(
            &format!("/workspaces/add-file-to-request/{WS}"),
            &[
                ("new_filegroup", "Tables"),
                ("files[0].path", TABLE1),
                ("files[0].filetype", "OUTPUT"),
                ("files[1].path", HBA1C),
                ("files[1].filetype", "OUTPUT"),
            ],
        );
        assert_eq!(added.status, 303, "{}", added.text());
        assert_eq!(
            added.header("location"),
            Some(format!("/workspaces/view/{WS}/{TABLE1}").as_str())
        );
        let (code, text) = message(&author, &added);
        assert_eq!(
            (code.as_str(), text.as_str()),
            ("ok", "2 files added to group tables.")
        );

        let listed = author.get("/workspaces/");
        let ids = request_ids(&listed.text());
        assert_eq!(ids.len(), 1, "{}", listed.text());
        let id = ids[0].clone();
        let overview = format!("/requests/view/{id}/");

        // GRP-4: submit is shown but refused, saying why, until the group has context.
        let page = author.get(&overview);
        assert_eq!(page.status, 200);
        assert!(page.text().contains("data-status=\"PENDING\""));
        assert!(
            !enabled_actions(&page.text()).contains(&format!("/requests/submit/{id}")),
            "{}",
            page.text()
        );
        let refused = author.post(&format!("/requests/submit/{id}"), &[]);
        assert_eq!(refused.status, 303);
        let after = author.follow(&refused);
        assert_eq!(
            after.error_codes(),
            ["incomplete_groups"],
            "{}",
            after.text()
        );

        let edited = author.post(
            &format!("/requests/edit/{id}/tables"),
            &[
                ("context", "Table 1 and HbA1c by region"),
                ("controls", "Counts rounded to 5"),
            ],
        );
        assert_eq!(
            edited.header("location"),
            Some(format!("{overview}tables/").as_str())
        );
        assert!(
            enabled_actions(&author.get(&overview).text())
                .contains(&format!("/requests/submit/{id}"))
        );
        let submitted = author.post(&format!("/requests/submit/{id}"), &[]);
        assert_eq!(submitted.header("location"), Some(overview.as_str()));
        assert_eq!(
            message(&author, &submitted).1,
            "Request submitted for review."
        );

        // Review: each vote goes on to the next file not voted on (PG-23).
        let c1 = Visitor::login(&s, "output_checker_1");
        let first = c1.get(&file_page(&id, "tables", TABLE1));
        assert_eq!(first.status, 200, "{}", first.text());
        let actions = enabled_actions(&first.text());
        assert!(
            actions.contains(&file_action("approve", &id, "tables", TABLE1)),
            "{actions:?}"
        );
        let voted = c1.post(&file_action("approve", &id, "tables", TABLE1), &[]);
        assert_eq!(
            voted.header("location"),
            Some(file_page(&id, "tables", HBA1C).as_str())
        );
        let voted = c1.post(&file_action("request_changes", &id, "tables", HBA1C), &[]);
        assert_eq!(
            voted.header("location"),
            Some(format!("{overview}#actions").as_str())
        );
        let commented = c1.post(
            &format!("/requests/comment/create/{id}/tables"),
            &[
                ("comment", "**Round** the region counts"),
                ("visibility", "PRIVATE"),
                ("file", HBA1C),
            ],
        );
        assert_eq!(commented.status, 303, "{}", commented.text());
        let location = commented.header("location").unwrap_or_default().to_string();
        assert!(
            location.starts_with(&format!("{}#comment-", file_page(&id, "tables", HBA1C))),
            "{location}"
        );
        let shown = c1.get(&file_page(&id, "tables", HBA1C)).text();
        assert!(
            shown.contains("<strong>Round</strong> the region counts"),
            "{shown}"
        );
        let reviewed = c1.post(&format!("/requests/review/{id}"), &[]);
        assert_eq!(message(&c1, &reviewed).1, "Your review has been submitted.");

        // Blinding (PG-17): the second checker's and the author's pages hold neither the
        // first checker's votes nor their private comment, in any byte.
        let c2 = Visitor::login(&s, "output_checker_2");
        for (who, visitor) in [("output_checker_2", &c2), ("researcher_1", &author)] {
            for path in [
                overview.clone(),
                format!("{overview}tables/"),
                file_page(&id, "tables", HBA1C),
                format!("/requests/activity/{id}"),
            ] {
                let page = visitor.get(&path).text();
                assert!(!page.contains("Round"), "{who} sees the comment on {path}");
                assert!(
                    !page.contains("CHANGES_REQUESTED"),
                    "{who} sees a vote on {path}"
                );
                assert!(
                    !page.contains("requested changes"),
                    "{who} sees a vote on {path}"
                );
            }
        }

        for path in [TABLE1, HBA1C] {
            let voted = c2.post(&file_action("approve", &id, "tables", path), &[]);
            assert_eq!(voted.status, 303, "{}", voted.text());
        }
        let reviewed = c2.post(&format!("/requests/review/{id}"), &[]);
        assert_eq!(reviewed.status, 303);
        let page = c2.get(&overview).text();
        assert!(page.contains("data-status=\"REVIEWED\""), "{page}");
        assert!(page.contains("data-decision=\"CONFLICTED\""), "{page}");

        // Consolidation: the private comment is made public and the request returned.
        let comment_id = location
            .rsplit("#comment-")
            .next()
            .unwrap_or_default()
            .to_string();
        let published = c1.post(
            &format!("/requests/comment/visibility_public/{id}/tables"),
            &[("comment_id", &comment_id)],
        );
        assert_eq!(message(&c1, &published).1, "Comment made public.");
        let returned = c1.post(&format!("/requests/return/{id}"), &[]);
        assert_eq!(message(&c1, &returned).1, "Request returned to the author.");

        let page = author.get(&file_page(&id, "tables", HBA1C)).text();
        assert!(
            page.contains("<strong>Round</strong> the region counts"),
            "{page}"
        );
        let activity = author.get(&format!("/requests/activity/{id}")).text();
        assert!(activity.contains("returned the request"), "{activity}");
        assert!(
            activity.contains("added output/table1.csv to group tables"),
            "{activity}"
        );
        let refused = author.post(&format!("/requests/submit/{id}"), &[]);
        assert_eq!(
            author.follow(&refused).error_codes(),
            ["missing_public_comments"]
        );
        let replied = author.post(
            &format!("/requests/comment/create/{id}/tables"),
            &[("comment", "Rounded the region counts to 5.")],
        );
        assert_eq!(message(&author, &replied).1, "Comment posted.");
        let resubmitted = author.post(&format!("/requests/submit/{id}"), &[]);
        assert_eq!(
            message(&author, &resubmitted).1,
            "Request resubmitted for review."
        );
        assert!(
            author
                .get(&overview)
                .text()
                .contains("data-status=\"SUBMITTED\"")
        );
    }
}
