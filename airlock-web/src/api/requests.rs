//! `api.md` §4: a request, its lifecycle actions, groups, comments, votes, files, downloads,
//! activity, and the Reviews lists.

use super::ApiResult;
use super::error::ApiError;
use super::guards::{Body, Caller, RelPath};
use crate::app::App;
use airlock_core::audit::AuditEntry;
use airlock_core::ops::{self, GroupTarget, Outcome};
use airlock_core::view::{CommentView, RequestView};
use airlock_core::{
    Ctx, ErrorCode, FileType, Request, RequestState, Status, Timestamp, Visibility, VoteStatus,
};
use airlock_store::ops::actions::CommentInput;
use rocket::http::{ContentType, Header, Status as HttpStatus};
use rocket::serde::json::Json;
use rocket::{Responder, Route, State, delete, get, patch, post, put, routes};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A body with no fields (`api.md` §5: empty or `{}`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoFields {}

/// Runs an action for the caller, then answers the request as they now see it.
async fn act_then_view(
    app: &State<App>,
    caller: Result<Caller, ApiError>,
    id: &str,
    action: impl FnOnce(&App, &airlock_core::User, &str) -> airlock_core::Result<()> + Send + 'static,
) -> ApiResult<RequestView> {
    let caller = caller?;
    let id = id.to_string();
    let view = app
        .run_as(caller, move |app, user| {
            action_then_view(app, user, &id, action)
        })
        .await?;
    Ok(Json(view))
}

fn action_then_view(
    app: &App,
    user: &airlock_core::User,
    id: &str,
    action: impl FnOnce(&App, &airlock_core::User, &str) -> airlock_core::Result<()>,
) -> airlock_core::Result<RequestView> {
    action(app, user, id)?;
    app.store().request_view(user, id)
}

/// Runs a core rule on the request for the caller in one transaction, and answers the request
/// as they now see it, without reading it again (`Store::act_view`).
async fn rule_then_view<T: 'static>(
    app: &State<App>,
    caller: Result<Caller, ApiError>,
    id: &str,
    rule: impl Fn(&Ctx<'_>, &RequestState) -> airlock_core::Result<Outcome<T>> + Send + 'static,
) -> ApiResult<RequestView> {
    let caller = caller?;
    let id = id.to_string();
    let view = app
        .run_as(caller, move |app, user| {
            app.store().act_view(user, &id, &rule)
        })
        .await?;
    Ok(Json(view))
}

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

macro_rules! lifecycle_action {
    ($name:ident, $path:literal, $doc:literal, $rule:path) => {
        #[doc = $doc]
        #[post($path, data = "<body>")]
        pub async fn $name(
            app: &State<App>,
            caller: Result<Caller, ApiError>,
            id: &str,
            body: Result<Body<NoFields>, ApiError>,
        ) -> ApiResult<RequestView> {
            body?;
            rule_then_view(app, caller, id, $rule).await
        }
    };
}

lifecycle_action!(
    submit,
    "/requests/<id>/submit",
    "`POST /requests/<id>/submit`: submit or resubmit (SUB-1).",
    ops::submit
);
lifecycle_action!(
    withdraw,
    "/requests/<id>/withdraw",
    "`POST /requests/<id>/withdraw`: withdraw the request (SUB-4).",
    ops::withdraw_request
);
lifecycle_action!(
    review,
    "/requests/<id>/review",
    "`POST /requests/<id>/review`: submit the caller's review.",
    ops::submit_review
);
lifecycle_action!(
    return_request,
    "/requests/<id>/return",
    "`POST /requests/<id>/return`: return to the author (RET-1).",
    ops::return_request
);
lifecycle_action!(
    reject,
    "/requests/<id>/reject",
    "`POST /requests/<id>/reject` (REJ-1).",
    ops::reject
);

/// `POST /requests/<id>/release`: REL-1 to REL-5.
#[post("/requests/<id>/release", data = "<body>")]
pub async fn release(
    app: &State<App>,
    caller: Result<Caller, ApiError>,
    id: &str,
    body: Result<Body<NoFields>, ApiError>,
) -> ApiResult<RequestView> {
    body?;
    let caller = caller?;
    let id = id.to_string();
    // The release waits on the Jobs site: it takes no per-core permit (`App::run_as_waiting`).
    let view = app
        .run_as_waiting(caller, move |app, user| {
            action_then_view(app, user, &id, |app, user, id| {
                app.store().release(user, id).map(drop)
            })
        })
        .await?;
    Ok(Json(view))
}

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
    let group = group.to_string();
    rule_then_view(app, caller, id, move |ctx, state| {
        ops::edit_group(ctx, state, &group, &body.context, &body.controls)
    })
    .await
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
    let (id, group) = (id.to_string(), group.to_string());
    let comment = app
        .run_as(caller, move |app, user| {
            let input = CommentInput {
                group,
                text: body.text,
                visibility: body.visibility,
                file: body.file,
            };
            app.store().create_comment(user, &id, &input)
        })
        .await?;
    Ok((HttpStatus::Created, Json(CommentView::of(&comment))))
}

/// `DELETE /requests/<id>/comments/<comment>`: COM-4; 204.
#[delete("/requests/<id>/comments/<comment>")]
pub async fn delete_comment(
    app: &State<App>,
    caller: Result<Caller, ApiError>,
    id: &str,
    comment: &str,
) -> Result<HttpStatus, ApiError> {
    let caller = caller?;
    let (id, comment) = (id.to_string(), comment.to_string());
    app.run_as(caller, move |app, user| {
        let store = app.store();
        let group = store.comment_group(user, &id, &comment)?;
        store.delete_comment(user, &id, &group, &comment)
    })
    .await?;
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
    let comment = comment.to_string();
    act_then_view(app, caller, id, move |app, user, id| {
        let store = app.store();
        let group = store.comment_group(user, id, &comment)?;
        store.make_comment_public(user, id, &group, &comment)
    })
    .await
}

/// The body of a vote.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteBody {
    /// APPROVED or CHANGES_REQUESTED.
    pub vote: VoteStatus,
}

/// The path of a `.../files/<path>/<action>` URL, or `not_found`.
fn action_path(path: Result<RelPath, ApiError>, action: &str) -> Result<String, ApiError> {
    path?.strip_action(action).ok_or_else(|| {
        ApiError::of(
            ErrorCode::NotFound,
            format!("Expected a file path followed by /{action}."),
        )
    })
}

/// `PUT /requests/<id>/files/<path>/vote`: REV-2.
#[put("/requests/<id>/files/<path..>", data = "<body>")]
pub async fn vote(
    app: &State<App>,
    caller: Result<Caller, ApiError>,
    id: &str,
    path: Result<RelPath, ApiError>,
    body: Result<Body<VoteBody>, ApiError>,
) -> ApiResult<RequestView> {
    let path = action_path(path, "vote")?;
    let Body(body) = body?;
    rule_then_view(app, caller, id, move |ctx, state| {
        ops::vote(ctx, state, &path, body.vote)
    })
    .await
}

/// `DELETE /requests/<id>/files/<path>/vote` resets the caller's vote (REV-3);
/// `DELETE /requests/<id>/files/<path>` withdraws the file (FIL-8). A path ending in `/vote`
/// is the vote of the file before it.
#[delete("/requests/<id>/files/<path..>")]
pub async fn delete_file_or_vote(
    app: &State<App>,
    caller: Result<Caller, ApiError>,
    id: &str,
    path: Result<RelPath, ApiError>,
) -> ApiResult<RequestView> {
    let path = path?;
    match path.strip_action("vote") {
        Some(file) => {
            rule_then_view(app, caller, id, move |ctx, state| {
                ops::reset_vote(ctx, state, &file)
            })
            .await
        }
        None => {
            rule_then_view(app, caller, id, move |ctx, state| {
                ops::withdraw_file(ctx, state, &path.0)
            })
            .await
        }
    }
}

/// The body of a move or retype.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileChange {
    /// The group to move to (created when missing).
    #[serde(default)]
    pub group: Option<String>,
    /// OUTPUT or SUPPORTING.
    #[serde(default)]
    pub filetype: Option<FileType>,
}

/// `PATCH /requests/<id>/files/<path>`: FIL-10.
#[patch("/requests/<id>/files/<path..>", data = "<body>")]
pub async fn change_file(
    app: &State<App>,
    caller: Result<Caller, ApiError>,
    id: &str,
    path: Result<RelPath, ApiError>,
    body: Result<Body<FileChange>, ApiError>,
) -> ApiResult<RequestView> {
    let (path, Body(body)) = (path?, body?);
    act_then_view(app, caller, id, move |app, user, id| {
        app.store().change_properties(
            user,
            id,
            &path.0,
            body.group.as_deref().map(GroupTarget::Named),
            body.filetype,
        )
    })
    .await
}

/// A download: the stored bytes as an attachment (REN-9).
#[derive(Responder)]
pub struct Download {
    file: rocket::fs::NamedFile,
    content_type: ContentType,
    disposition: Header<'static>,
}

/// `GET /requests/<id>/files/<path>/content`: REN-9; audited.
#[get("/requests/<id>/files/<path..>")]
pub async fn content(
    app: &State<App>,
    caller: Result<Caller, ApiError>,
    id: &str,
    path: Result<RelPath, ApiError>,
) -> Result<Download, ApiError> {
    let path = action_path(path, "content")?;
    let caller = caller?;
    let id = id.to_string();
    let (blob, name) = app
        .run_as(caller, move |app, user| {
            let (file, blob) = app.store().download_file(user, &id, &path)?;
            Ok((blob, format!("{}/{}", file.group, file.relpath)))
        })
        .await?;
    let file = rocket::fs::NamedFile::open(&blob)
        .await
        .map_err(|e| ApiError::internal(&format!("opening a stored file: {e}")))?;
    Ok(Download {
        file,
        content_type: ContentType::Binary,
        disposition: Header::new("Content-Disposition", attachment(&name)),
    })
}

/// A `Content-Disposition: attachment` value for a file name (RFC 6266: an ASCII fallback and
/// the UTF-8 name).
fn attachment(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| match c {
            '"' | '\\' => '_',
            c if c.is_ascii_graphic() || c == ' ' => c,
            _ => '_',
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
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
    let reset = match action {
        "request-changes" => false,
        "reset-votes" => true,
        other => {
            return Err(ApiError::of(
                ErrorCode::NotFound,
                format!("No such group action: {other}."),
            ));
        }
    };
    rule_then_view(app, caller, id, move |ctx, state| {
        if reset {
            ops::group_reset_votes(ctx, state, &group)
        } else {
            ops::group_request_changes(ctx, state, &group)
        }
    })
    .await
}

/// An activity entry (`api.md` §4).
#[derive(Debug, Serialize)]
pub struct ActivityEntry {
    /// The audit type.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Who.
    pub user: String,
    /// When.
    pub created_at: Timestamp,
    /// The file, if any.
    pub path: Option<String>,
    /// Details, `review_turn` included.
    pub extra: BTreeMap<String, String>,
}

impl ActivityEntry {
    fn of(entry: &AuditEntry) -> ActivityEntry {
        ActivityEntry {
            kind: entry.entry.kind.as_str(),
            user: entry.entry.user.clone(),
            created_at: entry.entry.created_at,
            path: entry.entry.path.clone(),
            extra: entry.entry.extra.clone(),
        }
    }
}

/// `GET /requests/<id>/audit`: AUD-6, newest first.
#[get("/requests/<id>/audit")]
pub async fn audit(
    app: &State<App>,
    caller: Result<Caller, ApiError>,
    id: &str,
) -> ApiResult<Vec<ActivityEntry>> {
    let caller = caller?;
    let id = id.to_string();
    let entries = app
        .run_as(caller, move |app, user| {
            app.store().request_activity(user, &id, None)
        })
        .await?;
    Ok(Json(entries.iter().map(ActivityEntry::of).collect()))
}

/// A request in the Reviews lists.
#[derive(Debug, Serialize)]
pub struct ReviewEntry {
    /// Request id.
    pub id: String,
    /// Workspace.
    pub workspace: String,
    /// Author.
    pub author: String,
    /// Status.
    pub status: Status,
    /// The caller's progress.
    pub my_progress: Progress,
    /// APPROVED requests only: files whose upload is stuck (UPL-7).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stuck_files: Option<Vec<airlock_core::view::StuckFileView>>,
}

/// Files voted on out of the output files.
#[derive(Debug, Serialize)]
pub struct Progress {
    /// Voted on.
    pub voted: usize,
    /// In all.
    pub total: usize,
}

/// The Reviews lists.
#[derive(Debug, Serialize)]
pub struct ReviewsAnswer {
    /// Under review.
    pub outstanding: Vec<ReviewEntry>,
    /// RETURNED.
    pub returned: Vec<ReviewEntry>,
    /// APPROVED.
    pub approved: Vec<ReviewEntry>,
}

fn review_entry(request: &Request, voted: usize, total: usize) -> ReviewEntry {
    ReviewEntry {
        id: request.id.clone(),
        workspace: request.workspace.clone(),
        author: request.author.clone(),
        status: request.status,
        my_progress: Progress { voted, total },
        stuck_files: None,
    }
}

/// `GET /reviews`: WEB-7, checkers only.
#[get("/reviews")]
pub async fn reviews(
    app: &State<App>,
    caller: Result<Caller, ApiError>,
) -> ApiResult<ReviewsAnswer> {
    let caller = caller?;
    let lists = app
        .run_as(caller, move |app, user| app.store().reviews(user))
        .await?;
    Ok(Json(ReviewsAnswer {
        outstanding: lists
            .under_review
            .iter()
            .map(|item| review_entry(&item.request, item.voted, item.total))
            .collect(),
        returned: lists
            .returned
            .iter()
            .map(|r| review_entry(r, 0, 0))
            .collect(),
        approved: lists
            .approved
            .into_iter()
            .map(|item| ReviewEntry {
                stuck_files: Some(item.stuck),
                ..review_entry(&item.request, 0, 0)
            })
            .collect(),
    }))
}

/// The routes of this module.
pub fn routes() -> Vec<Route> {
    routes![
        get_request,
        submit,
        withdraw,
        review,
        return_request,
        reject,
        release,
        edit_group,
        create_comment,
        delete_comment,
        make_public,
        vote,
        delete_file_or_vote,
        change_file,
        content,
        group_votes,
        audit,
        reviews
    ]
}
