//! The templates every area shares: the error page (PG-14), the login and logout pages
//! (PG-10, PG-12). Each area's own pages are in its module; all of them extend `base.html`.

use super::frame::Frame;
use askama::Template;

/// PG-14: an error page in the frame.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    /// The frame.
    pub frame: &'a Frame,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong, in a few words.
    pub heading: &'static str,
    /// The error code.
    pub code: &'a str,
    /// What went wrong, in plain words.
    pub message: String,
    /// For an unexpected failure: the id the log carries.
    pub correlation_id: Option<String>,
}

/// PG-10: the login form, and in test mode the one-click logins (PG-8).
#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage<'a> {
    /// The frame (nobody is logged in).
    pub frame: &'a Frame,
    /// The login form's CSRF token (tied to the pre-session cookie).
    pub csrf: String,
    /// Where to go after logging in (WEB-3 is checked when it is used).
    pub next: String,
    /// What the user typed, shown again after a failure.
    pub typed_user: String,
    /// The test-mode logins (PG-8).
    pub logins: &'a [crate::app::Login],
}

/// PG-12: the page with a Log out button.
#[derive(Template)]
#[template(path = "logout.html")]
pub struct LogoutPage<'a> {
    /// The frame.
    pub frame: &'a Frame,
}
