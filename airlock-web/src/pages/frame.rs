//! PG-7, PG-8, PG-13: the frame of every page: the product and backend names, the navigation
//! this user is offered, who is logged in, the test-mode banner, the messages, and the CSRF
//! token of the session for every form on the page.

use super::assets::{self, Links};
use super::flash::Message;
use crate::app::App;
use airlock_core::User;

/// The logged-in user as the frame shows them.
#[derive(Debug, Clone)]
pub struct FrameUser {
    /// The name shown: the full name, or the username when there is none (USR-1).
    pub name: String,
    /// The username.
    pub username: String,
    /// Copiloted workspaces are in the navigation (PG-7).
    pub copiloted: bool,
    /// All workspaces are in the navigation (read-only users, PG-7).
    pub all_workspaces: bool,
    /// Reviews are in the navigation, with the number of requests awaiting this checker.
    pub reviews: Option<usize>,
}

/// The frame of a page.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The embedded files the page links.
    pub links: Links,
    /// The backend name.
    pub backend: String,
    /// Test mode (PG-8): the banner.
    pub test_mode: bool,
    /// Who is logged in.
    pub user: Option<FrameUser>,
    /// The messages for this page (PG-13).
    pub messages: Vec<Message>,
    /// The session's CSRF token, for every form (PG-11).
    pub csrf: String,
}

impl Frame {
    /// The frame of a page for `user`. A failed count of their reviews only drops the count.
    pub fn of(app: &App, user: &User, csrf: String, message: Option<Message>) -> Frame {
        let reviews = app.store().awaiting_review(user).unwrap_or_else(|e| {
            tracing::warn!(error = %e.message(), "cannot count the reviews awaiting a checker");
            user.output_checker.then_some(0)
        });
        Frame {
            user: Some(FrameUser {
                name: user.display_name().to_string(),
                username: user.username.clone(),
                copiloted: !user.copiloted_workspaces.is_empty(),
                all_workspaces: user.readonly_access,
                reviews,
            }),
            csrf,
            ..Frame::anonymous(app, message)
        }
    }

    /// The frame of a page nobody is logged in to (the login page, early errors).
    pub fn anonymous(app: &App, message: Option<Message>) -> Frame {
        let site = app.site();
        Frame {
            links: assets::links(),
            backend: site.backend.clone(),
            test_mode: site.test_mode,
            user: None,
            messages: message.into_iter().collect(),
            csrf: String::new(),
        }
    }

    /// The same frame with one more message.
    pub fn with_message(mut self, message: Message) -> Frame {
        self.messages.push(message);
        self
    }
}
