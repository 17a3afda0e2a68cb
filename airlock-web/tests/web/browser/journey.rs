//! The whole life of a request in a browser, against the Jobs-site double (logins by the form,
//! releases, uploads): the researcher selects and adds files, describes the group and submits;
//! one checker reviews with the keyboard, the other with the buttons and asks for a change with
//! a comment, and returns the request; the researcher replies and resubmits; both review again,
//! one releases, and the overview follows the uploads by itself until RELEASED (UPL-8).

use super::{Page, Scripts, in_every_browser_fresh};
use crate::support::{Server, fixture_jobs_site, start_with_jobs_site};
use airlock_jobsite_double::{Endpoint, Fault, JobSite};
use airlock_store::testing::TestDb;
use std::sync::Arc;

/// A service against a fresh Jobs-site double whose first two uploads fail (so the overview
/// shows the progress before RELEASED).
fn jobs_mode() -> (Server, Arc<JobSite>) {
    let site = fixture_jobs_site();
    site.inject(Endpoint::Upload, Fault::Status(500, "busy".into()), 2);
    let server = start_with_jobs_site(TestDb::sqlite().expect("a database"), &site, |_| {});
    (server, Arc::new(site))
}

/// Logs `user` in through the login form with a fresh token (DBL-1: tokens are used once).
async fn log_in(page: &Page, site: &JobSite, user: &str) {
    let token = format!("{user}-{}", rand_suffix());
    site.set_login_token(user, &token);
    page.visit("/login/").await;
    page.find("#user")
        .await
        .send_keys(user)
        .await
        .expect("typing the user");
    page.find("#token")
        .await
        .send_keys(&token)
        .await
        .expect("typing the token");
    let button = page.find("form[action='/login/'] button.primary").await;
    let landed = page.click_and_wait(&button).await;
    assert_eq!(
        landed.path, "/workspaces/",
        "{}: {user} logged in",
        page.browser
    );
}

fn rand_suffix() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()))
}

async fn log_out(page: &Page) {
    let button = page.find("form[action='/logout/'] button").await;
    let out = page.click_and_wait(&button).await;
    assert_eq!(out.path, "/login/", "{}: logged out", page.browser);
}

/// Clicks the submit button of the form posting to `action`, and checks the page it leads to.
async fn press(page: &Page, action: &str) -> super::Checked {
    let button = page.find(&format!("form[action='{action}'] button")).await;
    page.click_and_wait(&button).await
}

/// The one `ok` message of the page.
async fn said(page: &Page) -> String {
    page.text("[data-message-code='ok']").await
}

/// A checker approves every file that lacks their approval, from the request's first file:
/// `a` on a file (PG-22), which leads to the next file without a vote (PG-23), `j` past a file
/// already approved (pressing `a` there would reset it, REV-13), until the overview; then
/// submits the review.
async fn review_by_keys(page: &Page, id: &str) {
    let overview = format!("/requests/view/{id}/");
    page.visit(&overview).await;
    let first = page.find("td a[href^='/requests/view/']").await;
    let mut at = page.click_and_wait(&first).await;
    for _ in 0..12 {
        if at.path == overview {
            let reviewed = press(page, &format!("/requests/review/{id}")).await;
            assert_eq!(reviewed.path, overview);
            assert_eq!(said(page).await, "Your review has been submitted.");
            return;
        }
        let approved = page
            .client
            .find(fantoccini::Locator::Css(
                "#vote-approve[aria-pressed='true']",
            ))
            .await
            .is_ok();
        let has_next = page
            .client
            .find(fantoccini::Locator::Css("[data-next-url]"))
            .await
            .is_ok();
        at = match (approved, has_next) {
            (false, _) => page.keys_and_wait("a").await,
            (true, true) => page.keys_and_wait("j").await,
            (true, false) => page.visit(&overview).await,
        };
    }
    panic!("{}: the votes never led to the overview", page.browser);
}

#[test]
fn pg_17_a_request_from_nothing_to_released_in_a_browser() {
    in_every_browser_fresh(jobs_mode, Scripts::On, |page, site| async move {
        // The researcher builds and submits the request.
        log_in(&page, &site, "researcher_1").await;
        page.visit("/workspaces/view/diabetes-outcomes/output/tables/")
            .await;
        page.find("input[data-select-all]")
            .await
            .click()
            .await
            .expect("select all");
        let add = page.find("button[name=action][value=add_files]").await;
        page.click_and_wait(&add).await;
        page.find("#new_filegroup")
            .await
            .send_keys("tables")
            .await
            .expect("typing");
        press(&page, "/workspaces/add-file-to-request/diabetes-outcomes").await;
        assert_eq!(said(&page).await, "2 files added to group tables.");
        let current = page.find("a[href^='/requests/view/']").await;
        let overview = page.click_and_wait(&current).await;
        let id = overview
            .path
            .trim_start_matches("/requests/view/")
            .trim_end_matches('/')
            .to_string();
        page.visit(&format!("/requests/view/{id}/tables/")).await;
        page.find("#context")
            .await
            .send_keys("HbA1c and complications by region and age")
            .await
            .expect("typing");
        page.find("#controls")
            .await
            .send_keys("All counts rounded to 5; none under 10")
            .await
            .expect("typing");
        press(&page, &format!("/requests/edit/{id}/tables")).await;
        page.visit(&format!("/requests/view/{id}/")).await;
        press(&page, &format!("/requests/submit/{id}")).await;
        assert_eq!(said(&page).await, "Request submitted for review.");
        log_out(&page).await;

        // The first checker approves everything with the keyboard.
        log_in(&page, &site, "output_checker_1").await;
        let reviews = page.visit("/requests/output_checker").await;
        assert_eq!(reviews.status, 200);
        review_by_keys(&page, &id).await;
        log_out(&page).await;

        // The second asks for a change with a comment, reviews and returns the request.
        log_in(&page, &site, "output_checker_2").await;
        page.visit(&format!("/requests/view/{id}/")).await;
        let first = page.find("td a[href^='/requests/view/']").await;
        page.click_and_wait(&first).await;
        let changes = page.find("#vote-changes").await;
        page.click_and_wait(&changes).await;
        let approve = page.find("#vote-approve").await;
        page.click_and_wait(&approve).await;
        page.visit(&format!("/requests/view/{id}/tables/")).await;
        page.find("#comment")
            .await
            .send_keys("Row 9 shows a count of 3: please suppress it.")
            .await
            .expect("typing");
        page.find("input[name=visibility][value=PUBLIC]")
            .await
            .click()
            .await
            .expect("public");
        press(&page, &format!("/requests/comment/create/{id}/tables")).await;
        page.visit(&format!("/requests/view/{id}/")).await;
        press(&page, &format!("/requests/review/{id}")).await;
        page.find("[data-status='REVIEWED']").await;
        press(&page, &format!("/requests/return/{id}")).await;
        assert_eq!(said(&page).await, "Request returned to the author.");
        log_out(&page).await;

        // The researcher reads the comment, replies and resubmits.
        log_in(&page, &site, "researcher_1").await;
        page.visit(&format!("/requests/view/{id}/tables/")).await;
        let comments = page.text("ol.comments").await;
        assert!(
            comments.contains("please suppress it"),
            "{}: {comments}",
            page.browser
        );
        page.find("#comment")
            .await
            .send_keys("Suppressed; the file is updated.")
            .await
            .expect("typing");
        press(&page, &format!("/requests/comment/create/{id}/tables")).await;
        page.visit(&format!("/requests/view/{id}/")).await;
        press(&page, &format!("/requests/submit/{id}")).await;
        assert_eq!(said(&page).await, "Request resubmitted for review.");
        log_out(&page).await;

        // Both review again; the second releases, and the overview follows the uploads.
        log_in(&page, &site, "output_checker_1").await;
        review_by_keys(&page, &id).await;
        log_out(&page).await;
        log_in(&page, &site, "output_checker_2").await;
        review_by_keys(&page, &id).await;
        page.find("[data-status='REVIEWED']").await;
        press(&page, &format!("/requests/release/{id}")).await;
        assert!(said(&page).await.contains("released"), "{}", page.browser);
        page.find("[data-upload-progress]").await;
        // UPL-8: the page refreshes its counter and reloads itself once the status changes.
        page.find(".meta [data-status='RELEASED']").await;
        page.check().await;
    });
}
