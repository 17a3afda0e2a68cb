//! `GET /workspaces/content/<ws>/<path>`: a workspace file's contents for the iframe of its
//! page, rendered by type (REN-1 to REN-8, [`crate::pages::content`]); the view is audited
//! (REN-6) before the 304 of REN-4 is considered.

use super::super::content::{Content, ContentQuery, IfNoneMatch, Owner, Place, answer};
use super::super::format;
use super::super::path::PagePath;
use super::super::respond::PageContext;
use crate::api::guard::Caller;
use crate::app::App;
use airlock_store::auth::SessionKind;
use rocket::http::Status;
use rocket::{Route, State, get, routes};

/// The content URL of a workspace file.
pub fn content_url(workspace: &str, path: &str) -> String {
    format!(
        "/workspaces/content/{}/{}",
        format::segment(workspace),
        format::path_segments(path)
    )
}

/// `GET /workspaces/content/<ws>/<path>?plaintext&image&sort&dir&q&page&hide`.
#[get("/workspaces/content/<workspace>/<path..>?<query..>")]
pub async fn content(
    app: &State<App>,
    page: PageContext<'_>,
    workspace: &str,
    path: PagePath,
    query: ContentQuery,
    if_none_match: IfNoneMatch,
) -> Content {
    let host = page.host.clone();
    let Some(token) = page.session.clone() else {
        return Content::Refused(Status::Unauthorized, "Please log in.".into());
    };
    let caller = Caller {
        token,
        kind: SessionKind::Web,
    };
    let workspace = workspace.to_string();
    let answered = app
        .call_as(caller, move |app, user| {
            let path = path.get()?.to_string();
            if query.download() {
                return Err(airlock_core::AirlockError::with_message(
                    airlock_core::ErrorCode::PermissionDenied,
                    "Workspace files cannot be downloaded (REN-9).",
                ));
            }
            let opened = app.store().view_workspace_file(user, &workspace, &path)?;
            let url = content_url(&workspace, &path);
            let page = format!(
                "{}{}",
                super::workspace_url(&workspace),
                format::path_segments(&path)
            );
            answer(
                app,
                opened,
                Owner::Workspace,
                &path,
                &query,
                Place {
                    url: &url,
                    page: &page,
                    host: host.as_deref(),
                },
                if_none_match.0.as_deref(),
            )
        })
        .await;
    answered.unwrap_or_else(|e| Content::refused(&e))
}

/// The routes of the contents.
pub fn routes() -> Vec<Route> {
    routes![content]
}
