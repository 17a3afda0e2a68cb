//! PG-19: the Reviews page, `/requests/output_checker` (checkers only, WEB-7): the requests
//! under review with this checker's progress, the returned ones, and the approved ones with
//! their upload progress and stuck files, each oldest waiting first.

use super::format::{self, Shown};
use super::frame::Frame;
use super::request::overview_url;
use super::respond::{Page, PageContext, render};
use super::workspace::workspace_url;
use crate::app::App;
use airlock_core::{Request, Timestamp};
use askama::Template;
use rocket::{Route, State, get, routes};
use std::collections::HashMap;

/// A request on the Reviews page.
pub struct ReviewLine {
    /// Its overview.
    pub url: String,
    /// REQ-1's short id.
    pub short_id: String,
    /// Its workspace and the workspace's browser.
    pub workspace: (String, String),
    /// Its author, as shown, and their username.
    pub author: (String, String),
    /// The status name and its words.
    pub status: (&'static str, &'static str),
    /// When it was last submitted.
    pub submitted: Option<Shown>,
    /// How long it has waited, in words.
    pub waited: String,
    /// "Your review: 3 of 6 files (incomplete)", an upload's "4 of 6 uploaded".
    pub progress: String,
    /// The checker has voted on every file (or, approved, every file is uploaded).
    pub complete: bool,
    /// Stuck files (UPL-7).
    pub stuck: usize,
}

/// PG-19.
#[derive(Template)]
#[template(path = "reviews.html")]
pub struct ReviewsPage<'a> {
    frame: &'a Frame,
    under_review: Vec<ReviewLine>,
    returned: Vec<ReviewLine>,
    approved: Vec<ReviewLine>,
}

fn line(
    request: &Request,
    names: &HashMap<String, String>,
    now: Timestamp,
    progress: String,
    complete: bool,
    stuck: usize,
) -> ReviewLine {
    let since = request.last_submitted_at.unwrap_or(request.created_at);
    ReviewLine {
        url: overview_url(&request.id),
        short_id: request.short_id(),
        workspace: (request.workspace.clone(), workspace_url(&request.workspace)),
        author: (
            names
                .get(&request.author)
                .cloned()
                .unwrap_or_else(|| request.author.clone()),
            request.author.clone(),
        ),
        status: (request.status.as_str(), request.status.label()),
        submitted: request.last_submitted_at.map(format::time),
        waited: format::waited(now - since),
        progress,
        complete,
        stuck,
    }
}

/// Oldest waiting first.
fn oldest_first(mut lines: Vec<(Timestamp, ReviewLine)>) -> Vec<ReviewLine> {
    lines.sort_by_key(|(since, _)| *since);
    lines.into_iter().map(|(_, line)| line).collect()
}

/// `GET /requests/output_checker` (PG-19).
#[get("/requests/output_checker")]
pub async fn reviews(app: &State<App>, page: PageContext<'_>) -> Page {
    page.show(app, |app, user, frame| {
        let reviews = app.store().reviews(user)?;
        let now = app.store().now();
        let authors = reviews
            .under_review
            .iter()
            .map(|i| i.request.author.as_str())
            .chain(reviews.returned.iter().map(|r| r.author.as_str()))
            .chain(reviews.approved.iter().map(|i| i.request.author.as_str()));
        let names = app.store().display_names(authors)?;
        let waiting = |r: &Request| r.last_submitted_at.unwrap_or(r.created_at);
        let under_review: Vec<(Timestamp, ReviewLine)> = reviews
            .under_review
            .iter()
            .map(|i| {
                let complete = i.voted >= i.total;
                let progress = format!(
                    "Your review: {} of {} files{}",
                    i.voted,
                    i.total,
                    if complete { "" } else { " (incomplete)" }
                );
                (
                    waiting(&i.request),
                    line(&i.request, &names, now, progress, complete, 0),
                )
            })
            .collect();
        let returned: Vec<(Timestamp, ReviewLine)> = reviews
            .returned
            .iter()
            .map(|r| (waiting(r), line(r, &names, now, String::new(), false, 0)))
            .collect();
        let approved: Vec<(Timestamp, ReviewLine)> = reviews
            .approved
            .iter()
            .map(|i| {
                let progress = format!("{} of {} files uploaded", i.uploaded, i.released);
                (
                    waiting(&i.request),
                    line(
                        &i.request,
                        &names,
                        now,
                        progress,
                        i.uploaded >= i.released,
                        i.stuck.len(),
                    ),
                )
            })
            .collect();
        render(ReviewsPage {
            frame,
            under_review: oldest_first(under_review),
            returned: oldest_first(returned),
            approved: oldest_first(approved),
        })
    })
    .await
}

/// The routes of the Reviews page.
pub fn routes() -> Vec<Route> {
    routes![reviews]
}
