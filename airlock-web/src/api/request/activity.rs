//! `api.md` §4: a request's activity (AUD-6) and the Reviews lists (WEB-7).

use crate::api::ApiResult;
use crate::api::error::ApiError;
use crate::api::guard::Caller;
use crate::app::App;
use airlock_core::audit::AuditEntry;
use airlock_core::{Request, Status, Timestamp};
use rocket::serde::json::Json;
use rocket::{Route, State, get, routes};
use serde::Serialize;
use std::collections::BTreeMap;

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
    routes![audit, reviews]
}
