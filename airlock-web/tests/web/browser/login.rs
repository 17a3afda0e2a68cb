//! PG-10 and PG-8 in a browser: the login page and its one-click test-mode logins, with
//! JavaScript on and (PG-2) off.

use super::{Page, Scripts, in_every_browser, one_click_login};
use crate::support;
use airlock_store::testing::TestDb;

/// Logs in through the one-click login of `researcher_1` and checks the page it leads to.
async fn log_in_as_researcher_1(page: Page) {
    let login = page.visit("/login/").await;
    assert_eq!(login.status, 200, "{}: the login page", page.browser);
    let button = page.find_xpath(&one_click_login("researcher_1")).await;
    let label = button.text().await.expect("the button's label");
    assert!(
        label.contains("Priya Raman"),
        "{}: the one-click login of researcher_1 is labelled {label:?}",
        page.browser
    );
    let next = page.click_and_wait(&button).await;
    // PG-10: 303 to /workspaces/ (the page itself may not exist yet: not a server error,
    // which check() asserts, and the message).
    assert_eq!(next.path, "/workspaces/", "{}: after login", page.browser);
    assert_eq!(
        page.text("[data-message-code=\"ok\"]").await,
        "Logged in as researcher_1",
        "{}: the message after login",
        page.browser
    );
}

#[test]
fn pg_10_login_in_every_browser() {
    let server = support::start(TestDb::sqlite().expect("a SQLite test database"));
    in_every_browser(&server.url, Scripts::On, log_in_as_researcher_1);
}

#[test]
fn pg_2_login_without_javascript() {
    let server = support::start(TestDb::sqlite().expect("a SQLite test database"));
    in_every_browser(&server.url, Scripts::Off, log_in_as_researcher_1);
}
