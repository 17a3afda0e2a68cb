//! `api.md` §4: a request and its lifecycle actions ([`lifecycle`] below), its groups and
//! comments ([`group`]), its files, votes and downloads ([`file`]), its activity
//! ([`activity`]). Every action handler is parse → [`Action`] → `act` → map.

pub mod activity;
pub mod file;
pub mod group;

use super::ApiResult;
use super::act::act_on_request;
use super::error::ApiError;
use super::guard::{Body, Caller};
use crate::app::App;
use airlock_core::ErrorCode;
use airlock_core::action::Action;
use airlock_core::view::RequestView;
use rocket::serde::json::Json;
use rocket::{Route, State, get, post, routes};
use serde::Deserialize;

/// A body with no fields (`api.md` §5: empty or `{}`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoFields {}

/// `GET /requests/<id>`.
#[get("/requests/<id>")]
pub async fn get_request(
    app: &State<App>,
    caller: Result<Caller, ApiError>,
    id: &str,
) -> ApiResult<RequestView> {
    let caller = caller?;
    let id = id.to_string();
    Ok(Json(
        app.run_as(caller, move |app, user| app.store().request_view(user, &id))
            .await?,
    ))
}

/// The lifecycle action a `POST /requests/<id>/<name>` names.
fn lifecycle_action(name: &str) -> Option<Action> {
    Some(match name {
        "submit" => Action::Submit,
        "withdraw" => Action::Withdraw,
        "review" => Action::SubmitReview,
        "return" => Action::Return,
        "reject" => Action::Reject,
        "release" => Action::Release,
        _ => return None,
    })
}

/// `POST /requests/<id>/<action>` for `submit` (SUB-1), `withdraw` (SUB-4), `review`
/// (REV-10), `return` (RET-1), `reject` (REJ-1) and `release` (REL-1 to REL-5; it waits on
/// the Jobs site).
#[post("/requests/<id>/<action>", data = "<body>")]
pub async fn lifecycle(
    app: &State<App>,
    caller: Result<Caller, ApiError>,
    id: &str,
    action: &str,
    body: Result<Body<NoFields>, ApiError>,
) -> ApiResult<RequestView> {
    let action = lifecycle_action(action).ok_or_else(|| {
        ApiError::of(
            ErrorCode::NotFound,
            format!("No such request action: {action}."),
        )
    })?;
    body?;
    Ok(Json(act_on_request(app, caller?, id, action).await?))
}

/// The routes of this module.
pub fn routes() -> Vec<Route> {
    let mut all = routes![get_request, lifecycle];
    all.extend(group::routes());
    all.extend(file::routes());
    all.extend(activity::routes());
    all
}
