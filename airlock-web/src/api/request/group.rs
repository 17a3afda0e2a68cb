//! `api.md` §4: a request's groups (context and controls, GRP-3; the group vote actions,
//! REV-5) and comments (COM-2 to COM-5).

use super::NoFields;
use crate::api::ApiResult;
use crate::api::act::{Addressed, act, act_on_request};
use crate::api::error::ApiError;
use crate::api::guard::{Body, Caller};
use crate::app::App;
use airlock_core::ErrorCode;
use airlock_core::Visibility;
use airlock_core::action::{Action, Answer};
use airlock_core::view::{CommentView, RequestView};
use rocket::http::Status as HttpStatus;
use rocket::serde::json::Json;
use rocket::{Route, State, delete, post, put, routes};
use serde::Deserialize;

/// The body of a group edit.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupBody {
    /// Context text.
    pub context: String,
    /// Controls text.
    pub controls: String,
}

/// `PUT /requests/<id>/groups/<group>`: GRP-3.
#[put("/requests/<id>/groups/<group>", data = "<body>")]
pub async fn edit_group(
    app: &State<App>,
    caller: Result<Caller, ApiError>,
    id: &str,
    group: &str,
    body: Result<Body<GroupBody>, ApiError>,
) -> ApiResult<RequestView> {
    let Body(body) = body?;
    let caller = caller?;
    let action = Action::EditGroup {
        group: group.to_string(),
        context: body.context,
        controls: body.controls,
    };
    Ok(Json(act_on_request(app, caller, id, action).await?))
}

/// `POST /requests/<id>/groups/<group>/request-changes` and `.../reset-votes`: REV-5.
#[post("/requests/<id>/groups/<group>/<action>", data = "<body>", rank = 2)]
pub async fn group_votes(
    app: &State<App>,
    caller: Result<Caller, ApiError>,
    id: &str,
    group: &str,
    action: &str,
    body: Result<Body<NoFields>, ApiError>,
) -> ApiResult<RequestView> {
    body?;
    let group = group.to_string();
    let action = match action {
        "request-changes" => Action::RequestChangesOnGroup { group },
        "reset-votes" => Action::ResetVotesOnGroup { group },
        other => {
            return Err(ApiError::of(
                ErrorCode::NotFound,
                format!("No such group action: {other}."),
            ));
        }
    };
    Ok(Json(act_on_request(app, caller?, id, action).await?))
}

/// The body of a new comment.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    /// Markdown text.
    pub text: String,
    /// PUBLIC or PRIVATE; the default of COM-2 when missing.
    #[serde(default)]
    pub visibility: Option<Visibility>,
    /// The file it was written about.
    #[serde(default)]
    pub file: Option<String>,
}

/// `POST /requests/<id>/groups/<group>/comments`: COM-2 and COM-3; 201 with the comment.
#[post("/requests/<id>/groups/<group>/comments", data = "<body>")]
pub async fn create_comment(
    app: &State<App>,
    caller: Result<Caller, ApiError>,
    id: &str,
    group: &str,
    body: Result<Body<CommentBody>, ApiError>,
) -> Result<(HttpStatus, Json<CommentView>), ApiError> {
    let (caller, Body(body)) = (caller?, body?);
    let action = Action::Comment {
        group: group.to_string(),
        text: body.text,
        visibility: body.visibility,
        file: body.file,
    };
    let (report, _) = act(app, caller, Addressed::Request(id.to_string()), action).await?;
    match report.answer {
        Answer::Commented(comment) => Ok((HttpStatus::Created, Json(CommentView::of(&comment)))),
        _ => Err(ApiError::internal("a comment answered no comment")),
    }
}

/// `DELETE /requests/<id>/comments/<comment>`: COM-4; 204.
#[delete("/requests/<id>/comments/<comment>")]
pub async fn delete_comment(
    app: &State<App>,
    caller: Result<Caller, ApiError>,
    id: &str,
    comment: &str,
) -> Result<HttpStatus, ApiError> {
    let action = Action::DeleteComment {
        comment: comment.to_string(),
        group: None,
    };
    act(app, caller?, Addressed::Request(id.to_string()), action).await?;
    Ok(HttpStatus::NoContent)
}

/// `POST /requests/<id>/comments/<comment>/public`: COM-5.
#[post("/requests/<id>/comments/<comment>/public", data = "<body>")]
pub async fn make_public(
    app: &State<App>,
    caller: Result<Caller, ApiError>,
    id: &str,
    comment: &str,
    body: Result<Body<NoFields>, ApiError>,
) -> ApiResult<RequestView> {
    body?;
    let caller = caller?;
    let action = Action::PublishComment {
        comment: comment.to_string(),
        group: None,
    };
    Ok(Json(act_on_request(app, caller, id, action).await?))
}

/// The routes of this module.
pub fn routes() -> Vec<Route> {
    routes![
        edit_group,
        group_votes,
        create_comment,
        delete_comment,
        make_public
    ]
}
