//! `api.md` §3: workspaces, their files, and adding files to the caller's current request.

use super::ApiResult;
use super::act::{Addressed, act};
use super::error::ApiError;
use super::guard::{Body, Caller};
use crate::app::App;
use airlock_core::action::{Action, GroupChoice, NewFile};
use airlock_core::view::{RequestSummary, RequestView, WorkspaceSummary};
use airlock_core::{FileType, Status};
use airlock_store::store::read::Page;
use rocket::futures::Stream;
use rocket::http::ContentType;
use rocket::response::stream::{ByteStream, stream};
use rocket::serde::json::Json;
use rocket::{Route, State, get, post, routes};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// `GET /workspaces`: the workspaces the caller can view.
#[get("/workspaces")]
pub async fn list(
    app: &State<App>,
    caller: Result<Caller, ApiError>,
) -> ApiResult<Vec<WorkspaceSummary>> {
    let caller = caller?;
    Ok(Json(
        app.run_as(caller, move |app, user| app.store().workspaces_for(user))
            .await?,
    ))
}

/// Files per streamed chunk of the workspace file listing.
const FILES_PER_CHUNK: usize = 256;

/// What the blocking thread that lists a workspace sends to the response.
enum Listing {
    /// The checks passed; chunks follow.
    Start,
    /// The JSON of some files, each preceded by `,` except the first.
    Chunk(Vec<u8>),
    /// Refused before the first file.
    Refused(ApiError),
}

/// `GET /workspaces/<ws>/files?offset=&limit=`: the shown files with their statuses (WS
/// rules), sorted by path; all of them unless `limit` (at most 1000) asks for a page. The
/// answer is streamed in chunks, so a listing of many files is never held whole.
#[get("/workspaces/<ws>/files?<offset>&<limit>")]
pub async fn files(
    app: &State<App>,
    caller: Result<Caller, ApiError>,
    ws: &str,
    offset: Option<&str>,
    limit: Option<&str>,
) -> Result<(ContentType, ByteStream<impl Stream<Item = Vec<u8>>>), ApiError> {
    let caller = caller?;
    let page = match (offset, limit) {
        (None, None) => None,
        _ => Some(page_of(offset, limit)?),
    };
    let ws = ws.to_string();
    let app = App::clone(app);
    let (tx, mut rx) = rocket::tokio::sync::mpsc::channel::<Listing>(2);
    rocket::tokio::task::spawn_blocking(move || {
        let mut first = true;
        let mut started = false;
        let result = app.authenticated(&caller).and_then(|(user, permit)| {
            // The per-core permit is held until the first chunk (the tree and statuses, and
            // all of a page) is written out; it is never held while waiting for the client.
            let mut permit = Some(permit);
            app.store()
                .for_each_workspace_file(&user, &ws, page, FILES_PER_CHUNK, |batch| {
                    let mut bytes = Vec::with_capacity(batch.len() * 200);
                    for view in batch.drain(..) {
                        if !first {
                            bytes.push(b',');
                        }
                        if serde_json::to_writer(&mut bytes, &view).is_err() {
                            return false;
                        }
                        first = false;
                    }
                    permit = None;
                    if !started {
                        started = true;
                        if tx.blocking_send(Listing::Start).is_err() {
                            return false;
                        }
                    }
                    tx.blocking_send(Listing::Chunk(bytes)).is_ok()
                })
        });
        let _ = match result {
            Err(e) => tx.blocking_send(Listing::Refused(ApiError::from(e))),
            Ok(()) if !started => tx.blocking_send(Listing::Start),
            Ok(()) => Ok(()),
        };
    });
    match rx.recv().await {
        Some(Listing::Start) => {}
        Some(Listing::Refused(e)) => return Err(e),
        Some(Listing::Chunk(_)) | None => {
            return Err(ApiError::internal(
                "the workspace listing stopped before it began",
            ));
        }
    }
    let body = stream! {
        yield b"[".to_vec();
        while let Some(message) = rx.recv().await {
            if let Listing::Chunk(bytes) = message {
                yield bytes;
            }
        }
        yield b"]".to_vec();
    };
    Ok((ContentType::JSON, ByteStream(body)))
}

/// `GET /workspaces/<ws>/request`: the caller's current request (ONE-3), or `not_found`.
#[get("/workspaces/<ws>/request")]
pub async fn current(
    app: &State<App>,
    caller: Result<Caller, ApiError>,
    ws: &str,
) -> ApiResult<RequestView> {
    let caller = caller?;
    let ws = ws.to_string();
    let view = app
        .run_as(caller, move |app, user| {
            let store = app.store();
            let state = store.require_current_request(user, &ws)?;
            Ok(store.view_of(user, &state))
        })
        .await?;
    Ok(Json(view))
}

/// One file to add.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddFile {
    /// Path in the workspace.
    pub path: String,
    /// OUTPUT or SUPPORTING.
    pub filetype: FileType,
}

/// The body of the add action.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddBody {
    /// The group to add to (created when missing).
    pub group: String,
    /// The files.
    pub files: Vec<AddFile>,
}

/// The outcome of one path.
#[derive(Debug, Serialize)]
pub struct PathResult {
    /// The path.
    pub path: String,
    /// It succeeded.
    pub ok: bool,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

/// A per-path error.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    /// The stable code.
    pub code: &'static str,
    /// The human message.
    pub message: String,
}

impl PathResult {
    fn of(path: String, result: &airlock_core::Result<()>) -> PathResult {
        PathResult {
            path,
            ok: result.is_ok(),
            error: result.as_ref().err().map(|e| ErrorBody {
                code: e.code(),
                message: e.message().to_string(),
            }),
        }
    }
}

/// The answer of the add and update actions.
#[derive(Debug, Serialize)]
pub struct BatchAnswer {
    /// The current request after the batch, or null when there is none.
    pub request: Option<RequestView>,
    /// One result per path, in the order given.
    pub results: Vec<PathResult>,
}

impl BatchAnswer {
    /// The answer of a batch: the request after it and each path's result, in order.
    fn new(
        request: Option<RequestView>,
        results: impl IntoIterator<Item = (String, airlock_core::Result<()>)>,
    ) -> BatchAnswer {
        BatchAnswer {
            request,
            results: results
                .into_iter()
                .map(|(path, result)| PathResult::of(path, &result))
                .collect(),
        }
    }
}

/// `POST /workspaces/<ws>/request/files`: FIL-4 and FIL-5.
#[post("/workspaces/<ws>/request/files", data = "<body>")]
pub async fn add(
    app: &State<App>,
    caller: Result<Caller, ApiError>,
    ws: &str,
    body: Result<Body<AddBody>, ApiError>,
) -> ApiResult<BatchAnswer> {
    let (caller, Body(body)) = (caller?, body?);
    let action = Action::AddFiles {
        group: GroupChoice::Named(body.group),
        files: body
            .files
            .into_iter()
            .map(|f| NewFile {
                path: f.path,
                filetype: f.filetype,
            })
            .collect(),
    };
    let (report, view) = act(app, caller, Addressed::Current(ws.to_string()), action).await?;
    Ok(Json(BatchAnswer::new(view, report.parts)))
}

/// The body of the update action.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    /// The paths to update.
    pub paths: Vec<String>,
}

/// `POST /workspaces/<ws>/request/files/update`: FIL-7 for each path, in one transaction.
#[post("/workspaces/<ws>/request/files/update", data = "<body>")]
pub async fn update(
    app: &State<App>,
    caller: Result<Caller, ApiError>,
    ws: &str,
    body: Result<Body<UpdateBody>, ApiError>,
) -> ApiResult<BatchAnswer> {
    let (caller, Body(body)) = (caller?, body?);
    let action = Action::UpdateFiles { paths: body.paths };
    let (report, view) = act(app, caller, Addressed::Current(ws.to_string()), action).await?;
    Ok(Json(BatchAnswer::new(view, report.parts)))
}

/// `GET /workspaces/<ws>/requests?status=&offset=&limit=`: the workspace's requests, newest
/// first. An unknown status answers `bad_request`.
#[get("/workspaces/<ws>/requests?<status>&<offset>&<limit>")]
pub async fn requests(
    app: &State<App>,
    caller: Result<Caller, ApiError>,
    ws: &str,
    status: Option<&str>,
    offset: Option<&str>,
    limit: Option<&str>,
) -> ApiResult<Vec<RequestSummary>> {
    let caller = caller?;
    let statuses = match status {
        None => Vec::new(),
        Some(text) => text
            .split(',')
            .map(|s| {
                Status::from_str(s.trim())
                    .map_err(|_| ApiError::bad_request(format!("Unknown status {s:?}.")))
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    let page = page_of(offset, limit)?;
    let ws = ws.to_string();
    let list = app
        .run_as(caller, move |app, user| {
            app.store().workspace_requests(user, &ws, &statuses, page)
        })
        .await?;
    Ok(Json(list.iter().map(RequestSummary::of).collect()))
}

/// A page from `offset` and `limit` query values (`limit` at most 1000).
/// A page from the `offset` and `limit` query values as written: `offset` a whole number from
/// 0, `limit` from 1 to 1000; anything else is `bad_request` (never silently ignored).
pub fn page_of(offset: Option<&str>, limit: Option<&str>) -> Result<Page, ApiError> {
    let number = |name: &str, text: &str, range: std::ops::RangeInclusive<i64>| {
        text.trim()
            .parse::<i64>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "{name} must be a whole number from {} to {}, not {text:?}.",
                    range.start(),
                    range.end()
                ))
            })
    };
    let mut page = Page::default();
    if let Some(offset) = offset {
        page.offset = number("offset", offset, 0..=i64::MAX)?;
    }
    if let Some(limit) = limit {
        page.limit = number("limit", limit, 1..=1000)?;
    }
    Ok(page)
}

/// The routes of this module.
pub fn routes() -> Vec<Route> {
    routes![list, files, current, add, update, requests]
}
