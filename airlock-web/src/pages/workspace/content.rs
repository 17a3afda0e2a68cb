//! `GET /workspaces/content/<ws>/<path>`: a workspace file's contents for the iframe of its
//! page (REN-1). Until the renderers by type come, every shown file is sent as plain text,
//! streamed, under `Content-Security-Policy: sandbox` and `nosniff` (nothing in it can run).

use super::super::path::PagePath;
use super::super::respond::PageContext;
use crate::api::guard::Caller;
use crate::app::App;
use airlock_store::auth::SessionKind;
use rocket::http::{ContentType, Status};
use rocket::response::{Responder, Response};
use rocket::{Route, State, get, routes};

/// File contents with the headers of a content response (REN-7, WEB-5), or a refusal.
pub enum Contents {
    /// The file, streamed, as plain text under `sandbox`.
    File(rocket::tokio::fs::File),
    /// A refusal, in words.
    Refused(Status, String),
}

impl Contents {
    /// A refusal with the status its code answers (`not_found` for a code with none).
    pub fn refused(error: &airlock_core::AirlockError) -> Contents {
        let status = Status::from_code(error.error_code().web_answer().api_status())
            .unwrap_or(Status::NotFound);
        Contents::Refused(status, error.message().to_string())
    }
}

impl<'r> Responder<'r, 'static> for Contents {
    fn respond_to(self, _: &'r rocket::Request<'_>) -> rocket::response::Result<'static> {
        match self {
            Contents::File(file) => Response::build()
                .header(ContentType::Plain)
                .raw_header("Content-Security-Policy", "sandbox")
                .raw_header("X-Frame-Options", "SAMEORIGIN")
                .streamed_body(file)
                .ok(),
            Contents::Refused(status, text) => Response::build()
                .status(status)
                .header(ContentType::Plain)
                .sized_body(text.len(), std::io::Cursor::new(text))
                .ok(),
        }
    }
}

/// `GET /workspaces/content/<ws>/<path>`.
#[get("/workspaces/content/<workspace>/<path..>")]
pub async fn content(
    app: &State<App>,
    page: PageContext<'_>,
    workspace: &str,
    path: PagePath,
) -> Contents {
    let Some(token) = page.session.clone() else {
        return Contents::Refused(Status::Unauthorized, "Please log in.".into());
    };
    let caller = Caller {
        token,
        kind: SessionKind::Web,
    };
    let workspace = workspace.to_string();
    let opened = app
        .call_as(caller, move |app, user| {
            let path = path.get()?.to_string();
            app.store().open_workspace_file(user, &workspace, &path)
        })
        .await;
    match opened {
        Ok((file, _)) => Contents::File(rocket::tokio::fs::File::from_std(file)),
        Err(e) => Contents::refused(&e),
    }
}

/// The routes of the contents.
pub fn routes() -> Vec<Route> {
    routes![content]
}
