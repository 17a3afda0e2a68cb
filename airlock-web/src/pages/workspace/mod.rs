//! The workspace pages: the lists of workspaces (PG-15, WEB-6) here, the workspace browser
//! ([`browse`], PG-16), its forms ([`forms`]: select, add, update, the out-of-date toggle) and
//! the content of its files ([`content`]).

pub mod browse;
pub mod content;
pub mod forms;

use super::format::{self, Shown};
use super::frame::Frame;
use super::respond::{Page, PageContext, render};
use crate::app::App;
use airlock_core::listing::{self, ProjectGroup};
use airlock_core::{Request, User};
use airlock_store::store::read::Page as ListPage;
use askama::Template;
use rocket::{Route, State, get, routes};
use std::collections::BTreeMap;

/// A request in a workspace list.
pub struct RequestLine {
    /// Its page.
    pub url: String,
    /// REQ-1's short id.
    pub short_id: String,
    /// The status name (`data-status`).
    pub status: &'static str,
    /// ST-1's label.
    pub label: &'static str,
    /// When it was created.
    pub created: Shown,
}

impl RequestLine {
    /// The line of a request.
    pub fn of(request: &Request) -> RequestLine {
        RequestLine {
            url: format!("/requests/view/{}/", format::segment(&request.id)),
            short_id: request.short_id(),
            status: request.status.as_str(),
            label: request.status.label(),
            created: format::time(request.created_at),
        }
    }
}

/// A workspace in a list.
pub struct WorkspaceLine {
    /// Its name.
    pub name: String,
    /// It is archived.
    pub archived: bool,
    /// The browser.
    pub url: String,
    /// Its requests page.
    pub requests_url: String,
    /// The user's own requests there, newest first.
    pub requests: Vec<RequestLine>,
}

/// A project of the list.
pub struct ProjectLine {
    /// Its name.
    pub name: String,
    /// It is ongoing.
    pub ongoing: bool,
    /// Its workspaces.
    pub workspaces: Vec<WorkspaceLine>,
}

/// PG-15: `/workspaces/` and `/copiloted-workspaces/`.
#[derive(Template)]
#[template(path = "workspaces.html")]
pub struct WorkspacesPage<'a> {
    frame: &'a Frame,
    heading: &'static str,
    empty: &'static str,
    projects: Vec<ProjectLine>,
}

/// PG-15: `/workspaces/all/`.
#[derive(Template)]
#[template(path = "all_workspaces.html")]
pub struct AllWorkspacesPage<'a> {
    frame: &'a Frame,
    query: String,
    names: Vec<(String, String)>,
    shown: usize,
    total: usize,
}

/// The browser of a workspace.
pub fn workspace_url(workspace: &str) -> String {
    format!("/workspaces/view/{}/", format::segment(workspace))
}

fn lines(groups: Vec<ProjectGroup>, mine: &[Request]) -> Vec<ProjectLine> {
    let mut by_workspace: BTreeMap<&str, Vec<RequestLine>> = BTreeMap::new();
    for request in mine {
        by_workspace
            .entry(request.workspace.as_str())
            .or_default()
            .push(RequestLine::of(request));
    }
    groups
        .into_iter()
        .map(|group| ProjectLine {
            name: group.name,
            ongoing: group.ongoing,
            workspaces: group
                .workspaces
                .into_iter()
                .map(|ws| WorkspaceLine {
                    url: workspace_url(&ws.name),
                    requests_url: format!("/requests/workspace/{}", format::segment(&ws.name)),
                    requests: by_workspace.remove(ws.name.as_str()).unwrap_or_default(),
                    name: ws.name,
                    archived: ws.archived,
                })
                .collect(),
        })
        .collect()
}

fn my_requests(app: &App, user: &User) -> airlock_core::Result<Vec<Request>> {
    app.store().my_requests(
        user,
        ListPage {
            offset: 0,
            limit: 1000,
        },
    )
}

/// `GET /workspaces/`: the user's role workspaces by project, with their own requests (PG-15,
/// WEB-6).
#[get("/workspaces")]
pub async fn workspaces(app: &State<App>, page: PageContext<'_>) -> Page {
    page.show(app, |app, user, frame| {
        let mine = my_requests(app, user)?;
        render(WorkspacesPage {
            frame,
            heading: "Your workspaces",
            empty: "You have no workspaces on this backend. Workspaces appear here once you \
                        hold a role on one on the Jobs site.",
            projects: lines(listing::by_project(&user.workspaces), &mine),
        })
    })
    .await
}

/// `GET /copiloted-workspaces/`: the copiloted workspaces, the same way (PG-15).
#[get("/copiloted-workspaces")]
pub async fn copiloted(app: &State<App>, page: PageContext<'_>) -> Page {
    page.show(app, |app, user, frame| {
        let mine = my_requests(app, user)?;
        render(WorkspacesPage {
            frame,
            heading: "Copiloted workspaces",
            empty: "You copilot no workspace on this backend.",
            projects: lines(listing::by_project(&user.copiloted_workspaces), &mine),
        })
    })
    .await
}

/// `GET /workspaces/all/?q=`: every workspace directory, for read-only users (PG-15; others
/// 403, ACC-6).
#[get("/workspaces/all?<q>")]
pub async fn all(app: &State<App>, page: PageContext<'_>, q: Option<String>) -> Page {
    let query = q.unwrap_or_default();
    page.show(app, move |app, user, frame| {
        airlock_core::access::require_all_workspaces_page(user)?;
        let directories = app.store().workspaces().list()?;
        let names: Vec<(String, String)> = listing::matching(&directories, &query)
            .into_iter()
            .map(|name| (name.to_string(), workspace_url(name)))
            .collect();
        render(AllWorkspacesPage {
            frame,
            shown: names.len(),
            total: directories.len(),
            query,
            names,
        })
    })
    .await
}

/// The routes of the workspace pages.
pub fn routes() -> Vec<Route> {
    let mut all_routes = routes![workspaces, copiloted, all];
    all_routes.extend(browse::routes());
    all_routes.extend(forms::routes());
    all_routes.extend(content::routes());
    all_routes
}
