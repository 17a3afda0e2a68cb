//! `GET /requests/content/<id>/<group>/<path>`: a request file's stored contents for the iframe
//! of its page, rendered by type as workspace contents are ([`crate::pages::content`], REN-1
//! to REN-8, the view audited first, REN-6); `?download` sends them as an attachment named
//! `<group>/<path>` to those REN-9 lets download, audited.

use super::super::content::{Content, ContentQuery, IfNoneMatch, Owner, Place, answer};
use super::super::path::PagePath;
use super::super::respond::PageContext;
use super::{content_url, file_url};
use crate::api::guard::Caller;
use crate::api::request::file::{Download, download_of};
use crate::app::App;
use airlock_core::action::Action;
use airlock_core::{AirlockError, ErrorCode};
use airlock_store::auth::SessionKind;
use airlock_store::store::Target;
use rocket::http::Status;
use rocket::{Responder, Route, State, get, routes};

/// The contents, or the download.
#[derive(Responder)]
pub enum RequestContents {
    /// Shown in the page (REN-1).
    Shown(Box<Content>),
    /// An attachment (REN-9).
    Download(Box<Download>),
}

impl RequestContents {
    fn shown(content: Content) -> RequestContents {
        RequestContents::Shown(Box::new(content))
    }
}

/// `GET /requests/content/<id>/<group>/<path>[?download|plaintext|image|sort…]`.
#[get("/requests/content/<id>/<group>/<path..>?<query..>")]
pub async fn content(
    app: &State<App>,
    page: PageContext<'_>,
    id: &str,
    group: &str,
    path: PagePath,
    query: ContentQuery,
    if_none_match: IfNoneMatch,
) -> RequestContents {
    let host = page.host.clone();
    let Some(token) = page.session.clone() else {
        return RequestContents::shown(Content::Refused(
            Status::Unauthorized,
            "Please log in.".into(),
        ));
    };
    let caller = Caller {
        token,
        kind: SessionKind::Web,
    };
    let (id, group) = (id.to_string(), group.to_string());
    if query.download() {
        let report = app
            .call_as(caller, move |app, user| {
                let path = path.get()?.to_string();
                let state = app.store().get_request_state(user, &id)?;
                if state.file(&path).is_none_or(|f| f.group != group) {
                    return Err(AirlockError::with_message(
                        ErrorCode::NotFound,
                        format!("Group {group} has no file {path}."),
                    ));
                }
                app.store()
                    .act(user, Target::Request(&id), &Action::Download { path })
            })
            .await;
        return match report {
            Ok(report) => match download_of(&report).await {
                Ok(file) => RequestContents::Download(Box::new(file)),
                Err(_) => RequestContents::shown(Content::refused(&AirlockError::with_message(
                    ErrorCode::Internal,
                    "The stored file could not be opened.",
                ))),
            },
            Err(e) => RequestContents::shown(Content::refused(&e)),
        };
    }
    let answered = app
        .call_as(caller, move |app, user| {
            let path = path.get()?.to_string();
            let (opened, _) = app.store().view_request_file(user, &id, &group, &path)?;
            let url = content_url(&id, &group, &path);
            let page = file_url(&id, &group, &path);
            answer(
                app,
                opened,
                Owner::Request,
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
    RequestContents::shown(answered.unwrap_or_else(|e| Content::refused(&e)))
}

/// The routes of the contents.
pub fn routes() -> Vec<Route> {
    routes![content]
}
