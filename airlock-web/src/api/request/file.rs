//! `api.md` §4: a request's files: votes (REV-2, REV-3), withdrawal (FIL-8), moving and
//! retyping (FIL-10), and downloads (REN-9).

use crate::api::ApiResult;
use crate::api::act::{Addressed, act, act_on_request};
use crate::api::error::ApiError;
use crate::api::guard::{Body, Caller, RelPath};
use crate::app::App;
use airlock_core::action::Action;
use airlock_core::view::RequestView;
use airlock_core::{ErrorCode, FileType, VoteStatus};
use rocket::http::{ContentType, Header};
use rocket::serde::json::Json;
use rocket::{Responder, Route, State, delete, get, patch, put, routes};
use serde::Deserialize;

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
    let action = Action::Vote {
        path,
        vote: body.vote,
    };
    Ok(Json(act_on_request(app, caller?, id, action).await?))
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
    let action = match path.strip_action("vote") {
        Some(file) => Action::ResetVote { path: file },
        None => Action::WithdrawFile { path: path.0 },
    };
    Ok(Json(act_on_request(app, caller?, id, action).await?))
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
    let action = Action::ChangeFile {
        path: path.0,
        group: body.group,
        filetype: body.filetype,
    };
    Ok(Json(act_on_request(app, caller?, id, action).await?))
}

/// A download: the stored bytes as an attachment (REN-9).
#[derive(Responder)]
pub struct Download {
    file: rocket::fs::NamedFile,
    content_type: ContentType,
    disposition: Header<'static>,
}

impl Download {
    /// The stored blob at `blob`, named `<group>/<relpath>`.
    pub async fn of(blob: &std::path::Path, name: &str) -> Result<Download, ApiError> {
        let file = rocket::fs::NamedFile::open(blob)
            .await
            .map_err(|e| ApiError::internal(&format!("opening a stored file: {e}")))?;
        Ok(Download {
            file,
            content_type: ContentType::Binary,
            disposition: Header::new("Content-Disposition", attachment(name)),
        })
    }
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
    let (report, _) = act(
        app,
        caller?,
        Addressed::Request(id.to_string()),
        Action::Download { path },
    )
    .await?;
    download_of(&report).await
}

/// The download a [`Action::Download`] report describes.
pub async fn download_of(report: &airlock_store::store::Report) -> Result<Download, ApiError> {
    let (airlock_core::action::Answer::Downloaded(file), Some(blob)) =
        (&report.answer, &report.blob)
    else {
        return Err(ApiError::internal("a download answered no file"));
    };
    Download::of(blob, &format!("{}/{}", file.group, file.relpath)).await
}

/// Characters kept as they are in an RFC 5987 `filename*` value (its `attr-char`).
const ATTR_CHAR: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

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
    let encoded = percent_encoding::utf8_percent_encode(name, ATTR_CHAR);
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// The routes of this module.
pub fn routes() -> Vec<Route> {
    routes![vote, delete_file_or_vote, change_file, content]
}
