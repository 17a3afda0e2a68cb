//! `GET /requests/content/<id>/<group>/<path>`: a request file's stored contents for the
//! iframe of its page (REN-1), as the workspace contents are sent; `?download` sends them as an
//! attachment named `<group>/<path>` to those REN-9 lets download, audited.

use super::super::path::PagePath;
use super::super::respond::PageContext;
use super::super::workspace::content::Contents;
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
    Shown(Contents),
    /// An attachment (REN-9).
    Download(Box<Download>),
}

/// `GET /requests/content/<id>/<group>/<path>[?download]`.
#[get("/requests/content/<id>/<group>/<path..>?<download>")]
pub async fn content(
    app: &State<App>,
    page: PageContext<'_>,
    id: &str,
    group: &str,
    path: PagePath,
    download: Option<&str>,
) -> RequestContents {
    let Some(token) = page.session.clone() else {
        return RequestContents::Shown(Contents::Refused(
            Status::Unauthorized,
            "Please log in.".into(),
        ));
    };
    let caller = Caller {
        token,
        kind: SessionKind::Web,
    };
    let (id, group) = (id.to_string(), group.to_string());
    if download.is_some() {
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
                Err(_) => RequestContents::Shown(Contents::refused(&AirlockError::with_message(
                    ErrorCode::Internal,
                    "The stored file could not be opened.",
                ))),
            },
            Err(e) => RequestContents::Shown(Contents::refused(&e)),
        };
    }
    let opened = app
        .call_as(caller, move |app, user| {
            let path = path.get()?.to_string();
            app.store().open_request_file(user, &id, &group, &path)
        })
        .await;
    RequestContents::Shown(match opened {
        Ok((file, _)) => Contents::File(rocket::tokio::fs::File::from_std(file)),
        Err(e) => Contents::refused(&e),
    })
}

/// The routes of the contents.
pub fn routes() -> Vec<Route> {
    routes![content]
}
