//! The request lists: a request's activity (PG-20), every request of a workspace (PG-18) and
//! the upload counter the overview refreshes (UPL-8).

use super::super::format::{self, Shown};
use super::super::frame::Frame;
use super::super::respond::{Page, PageContext, render};
use super::super::workspace::{RequestLine, workspace_url};
use super::overview_url;
use crate::api::guard::Caller;
use crate::app::App;
use airlock_core::audit::{AuditEntry, EXTRA_AUTOMATED};
use airlock_core::{Status, label, listing};
use airlock_store::auth::SessionKind;
use airlock_store::store::read::Page as ListPage;
use askama::Template;
use rocket::http::Status as HttpStatus;
use rocket::serde::json::Json;
use rocket::{Route, State, get, routes};
use serde::Serialize;

/// An audit entry in words (PG-20, AUD-6).
pub struct ActivityLine {
    /// When.
    pub at: Shown,
    /// Who, as shown, and their username.
    pub user: (String, String),
    /// What they did: "approved output/a.csv in group tables".
    pub label: String,
    /// What else the entry holds that a reader wants: a comment's text, an operator's mark.
    pub details: String,
}

/// The lines of some audit entries, in their order (the store answers newest first), with the
/// users' names read in one query.
pub fn activity_lines(app: &App, entries: &[AuditEntry]) -> Vec<ActivityLine> {
    let names = app
        .store()
        .display_names(entries.iter().map(|e| e.entry.user.as_str()))
        .unwrap_or_default();
    entries
        .iter()
        .map(|e| {
            let user = &e.entry.user;
            let mut details = Vec::new();
            if let Some(text) = e.entry.extra.get("comment") {
                details.push(text.clone());
            }
            if e.entry.extra.contains_key(EXTRA_AUTOMATED) {
                details.push("(an operator or scheduled action)".to_string());
            }
            ActivityLine {
                at: format::time(e.entry.created_at),
                user: (
                    names.get(user).cloned().unwrap_or_else(|| user.clone()),
                    user.clone(),
                ),
                label: label::activity(&e.entry),
                details: details.join(" "),
            }
        })
        .collect()
}

/// PG-20.
#[derive(Template)]
#[template(path = "activity.html")]
pub struct ActivityPage<'a> {
    frame: &'a Frame,
    short_id: String,
    workspace: String,
    workspace_url: String,
    overview_url: String,
    lines: Vec<ActivityLine>,
}

/// `GET /requests/activity/<id>`: the entries VIS-1 lets the viewer see, newest first (PG-20).
#[get("/requests/activity/<id>")]
pub async fn activity(app: &State<App>, page: PageContext<'_>, id: &str) -> Page {
    let id = id.to_string();
    page.show(app, move |app, user, frame| {
        let state = app.store().get_request_state(user, &id)?;
        let entries = app.store().request_activity(user, &id, None)?;
        render(ActivityPage {
            frame,
            short_id: state.request.short_id(),
            workspace_url: workspace_url(&state.request.workspace),
            workspace: state.request.workspace.clone(),
            overview_url: overview_url(&id),
            lines: activity_lines(app, &entries),
        })
    })
    .await
}

/// How many requests a page of PG-18 lists.
const REQUESTS_PER_PAGE: i64 = 100;

/// A request of PG-18.
pub struct WorkspaceRequest {
    /// Its line (link, status, created).
    pub line: RequestLine,
    /// Its author, as shown, and their username.
    pub author: (String, String),
    /// When it was last submitted.
    pub submitted: Option<Shown>,
}

/// PG-18.
#[derive(Template)]
#[template(path = "workspace_requests.html")]
pub struct WorkspaceRequestsPage<'a> {
    frame: &'a Frame,
    workspace: String,
    workspace_url: String,
    /// Every status, with its words and whether the filter holds it.
    statuses: Vec<(&'static str, &'static str, bool)>,
    filtered: bool,
    requests: Vec<WorkspaceRequest>,
    /// The next page's address, when there may be more.
    more: Option<String>,
    /// The previous page's address.
    fewer: Option<String>,
}

/// `GET /requests/workspace/<ws>?status=&page=`: every request of the workspace, newest first,
/// with a status filter (PG-18, WEB-6; `status` may repeat or hold names joined by commas).
#[get("/requests/workspace/<workspace>?<status>&<page>")]
pub async fn workspace_requests(
    app: &State<App>,
    context: PageContext<'_>,
    workspace: &str,
    status: Vec<String>,
    page: Option<u32>,
) -> Page {
    let workspace = workspace.to_string();
    let filter = listing::status_filter(Some(&status.join(",")));
    let page = i64::from(page.unwrap_or(0));
    context
        .show(app, move |app, user, frame| {
            let requests = app.store().workspace_requests(
                user,
                &workspace,
                &filter,
                ListPage {
                    offset: page * REQUESTS_PER_PAGE,
                    limit: REQUESTS_PER_PAGE + 1,
                },
            )?;
            let has_more = requests.len() > REQUESTS_PER_PAGE as usize;
            let shown = &requests[..requests.len().min(REQUESTS_PER_PAGE as usize)];
            let names = app
                .store()
                .display_names(shown.iter().map(|r| r.author.as_str()))?;
            let base = format!(
                "/requests/workspace/{}?{}",
                format::segment(&workspace),
                filter
                    .iter()
                    .map(|s| format!("status={}&", s.as_str()))
                    .collect::<String>()
            );
            render(WorkspaceRequestsPage {
                frame,
                workspace_url: workspace_url(&workspace),
                workspace,
                statuses: Status::ALL
                    .iter()
                    .map(|s| (s.as_str(), s.label(), filter.contains(s)))
                    .collect(),
                filtered: !filter.is_empty(),
                requests: shown
                    .iter()
                    .map(|r| WorkspaceRequest {
                        line: RequestLine::of(r),
                        author: (
                            names
                                .get(&r.author)
                                .cloned()
                                .unwrap_or_else(|| r.author.clone()),
                            r.author.clone(),
                        ),
                        submitted: r.last_submitted_at.map(format::time),
                    })
                    .collect(),
                more: has_more.then(|| format!("{base}page={}", page + 1)),
                fewer: (page > 0).then(|| format!("{base}page={}", page - 1)),
            })
        })
        .await
}

/// UPL-8: what the overview's counter shows.
#[derive(Debug, Serialize)]
pub struct UploadCount {
    /// The request's status name (the counter stops once it is RELEASED).
    pub status: &'static str,
    /// Uploaded OUTPUT files.
    pub uploaded: usize,
    /// Released OUTPUT files.
    pub released: usize,
}

/// `GET /requests/<id>/uploaded-files-count`: UPL-8's counter as JSON, for the overview's
/// script (a refusal answers its status with no body).
#[get("/requests/<id>/uploaded-files-count", rank = 10)]
pub async fn uploaded_count(
    app: &State<App>,
    page: PageContext<'_>,
    id: &str,
) -> Result<Json<UploadCount>, HttpStatus> {
    let token = page.session.clone().ok_or(HttpStatus::Unauthorized)?;
    let caller = Caller {
        token,
        kind: SessionKind::Web,
    };
    let id = id.to_string();
    app.call_as(caller, move |app, user| {
        let view = app.store().request_view(user, &id)?;
        let (uploaded, released) = view
            .upload
            .as_ref()
            .map_or((0, 0), |u| (u.uploaded, u.released));
        Ok(UploadCount {
            status: view.status.as_str(),
            uploaded,
            released,
        })
    })
    .await
    .map(Json)
    .map_err(|e| {
        HttpStatus::from_code(e.error_code().web_answer().api_status())
            .unwrap_or(HttpStatus::NotFound)
    })
}

/// The routes of the lists.
pub fn routes() -> Vec<Route> {
    routes![activity, workspace_requests, uploaded_count]
}
