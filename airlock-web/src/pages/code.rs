//! WEB-8: the code view. `/code/view/<ws>/<commit>/[<path>]` shows a directory of the study
//! repository at that commit, or a file with its contents in a frame from
//! `/code/contents/<ws>/<commit>/<path>`; the repository is the one the workspace's manifest
//! names, fetched on demand (`airlock_store::code`). A missing repository or commit goes back
//! to the validated `return_url` with the reason; a missing file is 404. Contents render by
//! suffix as REN-1 says, HTML and SVG raw under REN-7, everything else (`.yaml` included) as
//! text; code is never downloadable.

use super::content::RAW_CSP;
use super::flash::Message;
use super::format;
use super::frame::Frame;
use super::path::PagePath;
use super::respond::{Page, PageContext, Reply, render};
use super::workspace::workspace_url;
use crate::api::guard::Caller;
use crate::app::App;
use airlock_core::render::{Renderer, push_escaped};
use airlock_core::{AirlockError, ErrorCode};
use airlock_store::auth::SessionKind;
use airlock_store::code::{CodeError, is_commit_id};
use askama::Template;
use rocket::http::{ContentType, Status};
use rocket::response::{Responder, Response};
use rocket::{Route, State, get, routes};
use std::io::Cursor;

/// An entry of the directory shown.
pub struct EntryLine {
    /// Its name.
    pub name: String,
    /// Its page.
    pub url: String,
    /// A directory.
    pub is_dir: bool,
}

/// The code view page.
#[derive(Template)]
#[template(path = "code.html")]
struct CodePage<'a> {
    frame: &'a Frame,
    workspace: String,
    workspace_url: String,
    commit: String,
    short_commit: String,
    heading: String,
    crumbs: Vec<(String, String)>,
    return_url: Option<String>,
    entries: Vec<EntryLine>,
    /// A file: its contents' frame.
    contents_url: Option<String>,
}

fn code_error(error: CodeError) -> AirlockError {
    let code = match &error {
        CodeError::Path(_) => ErrorCode::NotFound,
        CodeError::Repository(..) | CodeError::Commit(_) | CodeError::Timeout(_) => {
            ErrorCode::BadRequest
        }
        CodeError::TooLarge(..) => ErrorCode::BadRequest,
        CodeError::Failed(_) => ErrorCode::Internal,
    };
    AirlockError::with_message(code, error.to_string())
}

fn view_url(workspace: &str, commit: &str, path: &str, return_url: Option<&str>) -> String {
    let mut url = format!(
        "/code/view/{}/{}/{}",
        format::segment(workspace),
        format::segment(commit),
        format::path_segments(path)
    );
    if let Some(back) = return_url {
        url.push_str("?return_url=");
        url.push_str(&format::query(back));
    }
    url
}

/// `GET /code/view/<ws>/<commit>/[<path>]?return_url=`.
#[get("/code/view/<workspace>/<commit>/<path..>?<return_url>")]
pub async fn view(
    app: &State<App>,
    page: PageContext<'_>,
    workspace: &str,
    commit: &str,
    path: PagePath,
    return_url: Option<String>,
) -> Page {
    let (workspace, commit) = (workspace.to_string(), commit.to_string());
    // WEB-3: only a local page is gone back to.
    let back = return_url
        .as_deref()
        .and_then(airlock_core::redirect::local_target)
        .map(str::to_string);
    page.show(app, move |app, user, frame| {
        let path = path.get()?.to_string();
        let repo = app.store().code_repository(user, &workspace)?;
        let fetch_failed = |e: CodeError| -> airlock_core::Result<Reply> {
            let error = code_error(e);
            match (&back, error.error_code()) {
                (Some(to), ErrorCode::BadRequest) => Ok(Reply::Redirect {
                    to: to.clone(),
                    message: Some(Message {
                        code: "code_unavailable".into(),
                        text: error.message().to_string(),
                    }),
                }),
                _ => Err(error),
            }
        };
        if !is_commit_id(&commit) {
            return fetch_failed(CodeError::Commit(commit.clone()));
        }
        let is_dir = match app.code().is_dir(&repo, &commit, &path) {
            Ok(is_dir) => is_dir,
            Err(e) => return fetch_failed(e),
        };
        let entries = if is_dir {
            match app.code().list(&repo, &commit, &path) {
                Ok(entries) => entries,
                Err(e) => return fetch_failed(e),
            }
        } else {
            Vec::new()
        };
        let mut crumbs = vec![(
            "Repository".to_string(),
            view_url(&workspace, &commit, "", back.as_deref()),
        )];
        let mut so_far = String::new();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            if !so_far.is_empty() {
                so_far.push('/');
            }
            so_far.push_str(part);
            crumbs.push((
                part.to_string(),
                view_url(&workspace, &commit, &so_far, back.as_deref()),
            ));
        }
        let entries = entries
            .into_iter()
            .map(|e| {
                let child = if path.is_empty() {
                    e.name.clone()
                } else {
                    format!("{path}/{}", e.name)
                };
                EntryLine {
                    url: view_url(&workspace, &commit, &child, back.as_deref()),
                    name: e.name,
                    is_dir: e.is_dir,
                }
            })
            .collect();
        render(CodePage {
            frame,
            workspace_url: workspace_url(&workspace),
            short_commit: commit.chars().take(8).collect(),
            heading: if path.is_empty() {
                "Study repository".to_string()
            } else {
                path.clone()
            },
            contents_url: (!is_dir).then(|| {
                format!(
                    "/code/contents/{}/{}/{}",
                    format::segment(&workspace),
                    format::segment(&commit),
                    format::path_segments(&path)
                )
            }),
            workspace,
            commit,
            crumbs,
            return_url: back,
            entries,
        })
    })
    .await
}

/// A code file's contents.
pub enum CodeContents {
    /// HTML or SVG as it is, or an image, under REN-7.
    Raw(&'static str, Vec<u8>),
    /// Escaped text in the service's own page.
    Text(String),
    /// A refusal.
    Refused(Status, String),
}

impl<'r> Responder<'r, 'static> for CodeContents {
    fn respond_to(self, _: &'r rocket::Request<'_>) -> rocket::response::Result<'static> {
        let mut builder = Response::build();
        builder.raw_header("X-Frame-Options", "SAMEORIGIN");
        match self {
            CodeContents::Raw(media_type, bytes) => {
                builder
                    .raw_header("Content-Type", media_type)
                    .raw_header("Content-Security-Policy", RAW_CSP)
                    .sized_body(bytes.len(), Cursor::new(bytes));
            }
            CodeContents::Text(html) => {
                builder
                    .header(ContentType::HTML)
                    .raw_header(
                        "Content-Security-Policy",
                        super::content::templated_csp(None),
                    )
                    .sized_body(html.len(), Cursor::new(html));
            }
            CodeContents::Refused(status, text) => {
                builder
                    .status(status)
                    .header(ContentType::Plain)
                    .sized_body(text.len(), Cursor::new(text));
            }
        }
        builder.ok()
    }
}

/// `GET /code/contents/<ws>/<commit>/<path>`: never an attachment.
#[get("/code/contents/<workspace>/<commit>/<path..>")]
pub async fn contents(
    app: &State<App>,
    page: PageContext<'_>,
    workspace: &str,
    commit: &str,
    path: PagePath,
) -> CodeContents {
    let Some(token) = page.session.clone() else {
        return CodeContents::Refused(Status::Unauthorized, "Please log in.".into());
    };
    let caller = Caller {
        token,
        kind: SessionKind::Web,
    };
    let (workspace, commit) = (workspace.to_string(), commit.to_string());
    let answered = app
        .call_as(caller, move |app, user| {
            let path = path.get()?.to_string();
            let repo = app.store().code_repository(user, &workspace)?;
            let bytes = app.code().read(&repo, &commit, &path).map_err(code_error)?;
            Ok(match Renderer::of(&path, false) {
                Renderer::Raw(raw) => CodeContents::Raw(raw.media_type(), bytes),
                Renderer::Image(image) => CodeContents::Raw(image.media_type(), bytes),
                _ => {
                    let name = path.rsplit('/').next().unwrap_or(&path);
                    let mut text = String::new();
                    push_escaped(&mut text, &String::from_utf8_lossy(&bytes));
                    let html = super::content::text_page(name, &text)?;
                    CodeContents::Text(html)
                }
            })
        })
        .await;
    answered.unwrap_or_else(|e| {
        let status =
            Status::from_code(e.error_code().web_answer().api_status()).unwrap_or(Status::NotFound);
        CodeContents::Refused(status, e.message().to_string())
    })
}

/// The routes of the code view.
pub fn routes() -> Vec<Route> {
    routes![view, contents]
}
