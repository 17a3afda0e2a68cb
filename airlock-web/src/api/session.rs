//! `api.md` §2: logging in and out, and who the caller is.

use super::ApiResult;
use super::error::ApiError;
use super::guard::{Body, Caller};
use crate::app::App;
use airlock_core::User;
use airlock_store::auth::SessionKind;
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{Route, State, delete, get, post, routes};
use serde::{Deserialize, Serialize};

/// The body of `POST /session`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    /// Username or email.
    pub user: String,
    /// The single-use login token.
    pub token: String,
}

/// The answer of a login.
#[derive(Debug, Serialize)]
pub struct LoginAnswer {
    /// The bearer token.
    pub token: String,
    /// The user.
    pub user: User,
}

/// `POST /session`: AUTH-1 to AUTH-3; 201 with a bearer token.
#[post("/session", data = "<body>")]
pub async fn login(
    app: &State<App>,
    body: Result<Body<LoginBody>, ApiError>,
) -> Result<(Status, Json<LoginAnswer>), ApiError> {
    let Body(body) = body?;
    let login = app
        .run(move |app| app.auth().login(SessionKind::Api, &body.user, &body.token))
        .await?;
    Ok((
        Status::Created,
        Json(LoginAnswer {
            token: login.token,
            user: login.user,
        }),
    ))
}

/// `DELETE /session`: revokes the caller's token.
#[delete("/session")]
pub async fn logout(
    app: &State<App>,
    caller: Result<Caller, ApiError>,
) -> Result<Status, ApiError> {
    let caller = caller?;
    let token = caller.token.clone();
    // The token must be valid (api.md §2), then it is revoked.
    app.run_as(caller, move |app, _| {
        app.auth().logout(SessionKind::Api, &token)
    })
    .await?;
    Ok(Status::NoContent)
}

/// `GET /me`: the caller's user record (USR-1).
#[get("/me")]
pub async fn me(app: &State<App>, caller: Result<Caller, ApiError>) -> ApiResult<User> {
    Ok(Json(app.run_as(caller?, |_, user| Ok(user.clone())).await?))
}

/// The routes of this module.
pub fn routes() -> Vec<Route> {
    routes![login, logout, me]
}
