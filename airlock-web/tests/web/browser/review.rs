//! A checker reviewing in a browser: with scripts, from file to file by the keyboard (PG-22)
//! and on to the next file not voted on after each vote (PG-23), the key list behind `?`;
//! without scripts, the same review by the buttons (PG-2). Every page on the way passes the
//! checks (axe-core among them with scripts on).

use super::{Page, Scripts, in_every_browser_fresh};
use crate::support;
use crate::support::flow::{HBA1C, TABLE1, request_in};
use crate::support::pages::encode_path;
use airlock_store::testing::TestDb;

fn file_path(id: &str, path: &str) -> String {
    format!("/requests/view/{id}/tables/{}", encode_path(path))
}

/// The request pages a checker reads before voting, checked.
async fn read_the_request(page: &Page, id: &str) {
    for path in [
        "/requests/output_checker".to_string(),
        format!("/requests/view/{id}/"),
        format!("/requests/view/{id}/tables/"),
        format!("/requests/activity/{id}"),
    ] {
        let shown = page.visit(&path).await;
        assert_eq!(shown.status, 200, "{}: {path}", page.browser);
    }
}

/// A service with a SUBMITTED request, and its id.
fn submitted() -> (support::Server, String) {
    let server = support::start(TestDb::sqlite().expect("a SQLite test database"));
    let id = request_in(&server, "SUBMITTED");
    (server, id)
}

#[test]
fn pg_22_pg_23_a_checker_reviews_with_the_keyboard() {
    in_every_browser_fresh(submitted, Scripts::On, |page, id| {
        async move {
            page.log_in("output_checker_1").await;
            read_the_request(&page, &id).await;
            let first = page.visit(&file_path(&id, TABLE1)).await;
            assert_eq!(first.status, 200);
            // `?` shows the keys, Escape hides them again.
            page.send_keys("?").await;
            assert!(
                page.find("#key-help")
                    .await
                    .is_displayed()
                    .await
                    .unwrap_or(false),
                "{}: the key list",
                page.browser
            );
            // `j` goes to the next file and `k` back, without voting.
            let next = page.keys_and_wait("j").await;
            assert_eq!(next.path, file_path(&id, HBA1C), "{}", page.browser);
            let back = page.keys_and_wait("k").await;
            assert_eq!(back.path, file_path(&id, TABLE1), "{}", page.browser);
            // `a` approves and goes on to the next file without a vote.
            let voted = page.keys_and_wait("a").await;
            assert_eq!(voted.path, file_path(&id, HBA1C), "{}", page.browser);
            assert!(
                page.text("[data-message-code=\"ok\"]")
                    .await
                    .starts_with("Approved output/table1.csv."),
                "{}",
                page.browser
            );
            // `c` goes to the comment box; typing there never fires a shortcut (COM-7: a
            // request for changes needs a comment).
            page.send_keys("c").await;
            let focused = page
                .client
                .execute("return document.activeElement.id", vec![])
                .await
                .expect("the focus");
            assert_eq!(
                focused, "comment",
                "{}: `c` focuses the comment box",
                page.browser
            );
            page.find("#comment")
                .await
                .send_keys("Counts under 10 in rows 3 and 7: j k a r")
                .await
                .expect("typing");
            assert_eq!(
                page.client.current_url().await.expect("url").path(),
                file_path(&id, HBA1C),
                "{}: a shortcut fired while typing",
                page.browser
            );
            let post = page.find("form[action*='/comment/create/'] button").await;
            let commented = page.click_and_wait(&post).await;
            assert_eq!(commented.path, file_path(&id, HBA1C), "{}", page.browser);
            // `r` requests changes; the last vote leads to the overview's actions.
            let done = page.keys_and_wait("r").await;
            assert_eq!(
                done.path,
                format!("/requests/view/{id}/"),
                "{}",
                page.browser
            );
            let submit = page
                .find(&format!("form[action='/requests/review/{id}'] button"))
                .await;
            let reviewed = page.click_and_wait(&submit).await;
            assert_eq!(reviewed.path, format!("/requests/view/{id}/"));
            assert_eq!(
                page.text("[data-message-code=\"ok\"]").await,
                "Your review has been submitted.",
                "{}",
                page.browser
            );
        }
    });
}

#[test]
fn pg_2_a_checker_reviews_without_javascript() {
    in_every_browser_fresh(submitted, Scripts::Off, |page, id| {
        async move {
            page.log_in("output_checker_2").await;
            read_the_request(&page, &id).await;
            page.visit(&file_path(&id, TABLE1)).await;
            let approve = page.find("#vote-approve").await;
            let next = page.click_and_wait(&approve).await;
            assert_eq!(next.path, file_path(&id, HBA1C), "{}", page.browser);
            let approve = page.find("#vote-approve").await;
            let done = page.click_and_wait(&approve).await;
            assert_eq!(
                done.path,
                format!("/requests/view/{id}/"),
                "{}",
                page.browser
            );
            // REV-13: the vote shows as selected; pressing it again resets it.
            page.visit(&file_path(&id, HBA1C)).await;
            let selected = page.find("#vote-approve[aria-pressed='true']").await;
            assert_eq!(selected.text().await.expect("label").trim(), "Approved");
            let reset = page.click_and_wait(&selected).await;
            assert_eq!(reset.path, file_path(&id, HBA1C), "{}", page.browser);
            page.find("#vote-approve:not([aria-pressed])").await;
        }
    });
}
