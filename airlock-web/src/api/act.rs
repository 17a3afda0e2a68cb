//! The one shape of an action handler: parse the input into an
//! [`Action`](airlock_core::action::Action), run it with [`Store::act_view`] for the caller,
//! and answer the request as they now see it. No rule is decided here: what may happen is
//! `airlock-core`'s answer, through the store.
//!
//! [`Store::act_view`]: airlock_store::store::Store::act_view

use super::error::ApiError;
use super::guard::Caller;
use crate::app::App;
use airlock_core::action::Action;
use airlock_core::view::RequestView;
use airlock_store::store::{Report, Target};

/// What an action addresses, owned so that it can move to the blocking thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Addressed {
    /// A request, by id.
    Request(String),
    /// The caller's current request in a workspace.
    Current(String),
}

impl Addressed {
    fn target(&self) -> Target<'_> {
        match self {
            Addressed::Request(id) => Target::Request(id),
            Addressed::Current(workspace) => Target::Current(workspace),
        }
    }
}

/// Runs `action` on `at` for the caller: what it did, and the request as they now see it. An
/// action that waits on the Jobs site (the release) holds no per-core permit meanwhile.
pub async fn act(
    app: &App,
    caller: Caller,
    at: Addressed,
    action: Action,
) -> Result<(Report, Option<RequestView>), ApiError> {
    let waits = action.needs_jobs_site();
    let call = move |app: &App, user: &airlock_core::User| {
        app.store().act_view(user, at.target(), &action)
    };
    if waits {
        app.run_as_waiting(caller, call).await
    } else {
        app.run_as(caller, call).await
    }
}

/// As [`act`], answering the request (an action on an existing request always has one).
pub async fn act_on_request(
    app: &App,
    caller: Caller,
    id: &str,
    action: Action,
) -> Result<RequestView, ApiError> {
    let (_, view) = act(app, caller, Addressed::Request(id.to_string()), action).await?;
    view.ok_or_else(|| ApiError::internal("an action on a request answered no request"))
}
