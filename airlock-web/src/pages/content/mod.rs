//! The content responses of REN-1 to REN-8, for workspace and request files alike: the renderer
//! a path gets (`airlock_core::render`), the caching headers and 304 of REN-4 (after the view was
//! audited, REN-6, by the store call that opened the file), REN-7's sandbox for researcher HTML
//! and SVG, and the templated pages (text streamed, [`csv`] tables, logs, images, the
//! invalid-type notice), each under a CSP that also sandboxes it, so that even opened in a tab of
//! its own nothing in it can reach the application's cookies or storage.

pub mod csv;
pub mod stream;

use super::assets;
use crate::app::App;
use crate::server::PAGE_CSP;
use airlock_core::AirlockError;
use airlock_core::render::{Renderer, invalid_notice, request_cache_id, workspace_cache_id};
use airlock_store::store::content::Opened;
use askama::Template;
use rocket::form::FromForm;
use rocket::http::{ContentType, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{Responder, Response};
use rocket::tokio::io::AsyncReadExt;
use std::io::{Cursor, Read};

/// REN-7: the only policy of researcher HTML and SVG (no `allow-*` token).
pub const RAW_CSP: &str = "sandbox";

/// The policy of the pages the service writes around a file: the pages' own, sandboxed (an
/// opaque origin: no cookies, no storage), with the service's script, the table's forms, and
/// the navigation of the file page around it when the reader follows a table link. In an opaque
/// origin Firefox matches `'self'` to nothing for `form-action`, so the service's own origin
/// (from `host`, the request's `Host`) is named as well.
pub fn templated_csp(host: Option<&str>) -> String {
    let policy = match host.filter(|h| !h.is_empty() && !h.contains([' ', ';', ','])) {
        Some(host) => PAGE_CSP.replace(
            "form-action 'self'",
            &format!("form-action 'self' http://{host} https://{host}"),
        ),
        None => PAGE_CSP.to_string(),
    };
    format!("{policy}; sandbox allow-scripts allow-forms allow-top-navigation-by-user-activation")
}

/// The largest log read (REN-5 keeps only the end anyway): its last 32 MiB.
const MAX_LOG_BYTES: u64 = 32 * 1024 * 1024;

/// The query of a content URL.
#[derive(Debug, Default, Clone, FromForm)]
pub struct ContentQuery {
    /// REN-1: any allowed type as text.
    pub plaintext: Option<String>,
    /// The bytes of an image, for its page's `<img>`.
    pub image: Option<String>,
    /// REN-9: the request file as an attachment.
    pub download: Option<String>,
    /// REN-2: the column to sort by, from 0.
    pub sort: Option<String>,
    /// `asc` or `desc`.
    pub dir: Option<String>,
    /// REN-2: the filter.
    pub q: Option<String>,
    /// The table's page of rows, from 1.
    pub rows: Option<String>,
    /// Columns hidden, from 0.
    pub hide: Vec<String>,
    /// Shown in the file page's frame: the table's links and form go to that page, at the top
    /// (a navigation inside the sandboxed frame would carry no session cookie, SameSite).
    pub framed: Option<String>,
}

/// A table's view (sort, filter, page of rows, hidden columns) as a file page takes it, to hand
/// on to its frame.
#[derive(Debug, Default, Clone, FromForm)]
pub struct TableParams {
    /// The column to sort by.
    pub sort: Option<String>,
    /// `asc` or `desc`.
    pub dir: Option<String>,
    /// The filter.
    pub q: Option<String>,
    /// The page of rows.
    pub rows: Option<String>,
    /// Hidden columns.
    pub hide: Vec<String>,
}

impl TableParams {
    /// The frame's address for a file page: the content URL with this view, marked as framed.
    pub fn frame_url(&self, content_url: &str) -> String {
        let mut parts = Vec::new();
        for (name, value) in [
            ("sort", &self.sort),
            ("dir", &self.dir),
            ("q", &self.q),
            ("rows", &self.rows),
        ] {
            if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                parts.push(format!("{name}={}", super::format::query(v)));
            }
        }
        for h in &self.hide {
            parts.push(format!("hide={}", super::format::query(h)));
        }
        parts.push("framed=1".to_string());
        format!("{content_url}?{}", parts.join("&"))
    }
}

impl ContentQuery {
    fn flag(value: &Option<String>) -> bool {
        value
            .as_deref()
            .is_some_and(|v| !matches!(v, "false" | "0" | "no"))
    }

    /// `plaintext=true` (or any value but `false`).
    pub fn plaintext(&self) -> bool {
        Self::flag(&self.plaintext)
    }

    /// `?image`.
    pub fn image(&self) -> bool {
        Self::flag(&self.image)
    }

    /// `?download`.
    pub fn download(&self) -> bool {
        self.download.is_some()
    }

    /// `?framed`.
    pub fn framed(&self) -> bool {
        Self::flag(&self.framed)
    }
}

/// `If-None-Match`, for REN-4's 304.
pub struct IfNoneMatch(pub Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for IfNoneMatch {
    type Error = std::convert::Infallible;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(IfNoneMatch(
            request
                .headers()
                .get_one("If-None-Match")
                .map(str::to_string),
        ))
    }
}

/// REN-4's headers, and the answer's policy.
#[derive(Debug, Clone)]
pub struct Caching {
    etag: String,
    last_modified: String,
    csp: String,
}

/// What a content URL answers.
pub enum Content {
    /// REN-4: the client's copy is current.
    NotModified(Caching),
    /// A page the service wrote.
    Page(Caching, String),
    /// The text renderer's page, streamed: its head, the escaped file, its end.
    Text(Caching, String, rocket::tokio::fs::File, String),
    /// Bytes as they are: researcher HTML and SVG (REN-7) or an image.
    Bytes {
        /// Caching and policy.
        caching: Caching,
        /// The file.
        file: rocket::tokio::fs::File,
        /// Its media type.
        media_type: &'static str,
        /// Its `Content-Encoding`.
        encoding: Option<&'static str>,
    },
    /// A refusal, in words.
    Refused(Status, String),
}

impl Content {
    /// A refusal with the status its code answers.
    pub fn refused(error: &AirlockError) -> Content {
        let status = Status::from_code(error.error_code().web_answer().api_status())
            .unwrap_or(Status::NotFound);
        Content::Refused(status, error.message().to_string())
    }
}

fn with_caching(builder: &mut rocket::response::Builder<'_>, caching: &Caching) {
    builder
        .raw_header("ETag", caching.etag.clone())
        .raw_header("Cache-Control", "private, max-age=31536000, immutable")
        .raw_header("Last-Modified", caching.last_modified.clone())
        .raw_header("Content-Security-Policy", caching.csp.clone())
        .raw_header("X-Frame-Options", "SAMEORIGIN");
}

impl<'r> Responder<'r, 'static> for Content {
    fn respond_to(self, _: &'r Request<'_>) -> rocket::response::Result<'static> {
        let mut builder = Response::build();
        match self {
            Content::NotModified(caching) => {
                with_caching(&mut builder, &caching);
                builder.status(Status::NotModified);
            }
            Content::Page(caching, body) => {
                with_caching(&mut builder, &caching);
                builder
                    .header(ContentType::HTML)
                    .sized_body(body.len(), Cursor::new(body));
            }
            Content::Text(caching, head, file, end) => {
                with_caching(&mut builder, &caching);
                let body = AsyncReadExt::chain(
                    AsyncReadExt::chain(Cursor::new(head.into_bytes()), stream::Escaped::new(file)),
                    Cursor::new(end.into_bytes()),
                );
                builder.header(ContentType::HTML).streamed_body(body);
            }
            Content::Bytes {
                caching,
                file,
                media_type,
                encoding,
            } => {
                with_caching(&mut builder, &caching);
                builder
                    .raw_header("Content-Type", media_type)
                    .streamed_body(file);
                if let Some(encoding) = encoding {
                    builder.raw_header("Content-Encoding", encoding);
                }
            }
            Content::Refused(status, text) => {
                builder
                    .status(status)
                    .header(ContentType::Plain)
                    .raw_header("X-Frame-Options", "SAMEORIGIN")
                    .sized_body(text.len(), Cursor::new(text));
            }
        }
        builder.ok()
    }
}

/// Whose file it is: the cache id of REN-4 differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A workspace file.
    Workspace,
    /// A request file.
    Request,
}

/// The head and the end of a templated page around a file.
#[derive(Template)]
#[template(path = "content/text.html")]
struct TextPage<'a> {
    css: &'a str,
    name: &'a str,
    /// Where the escaped text goes.
    marker: &'a str,
}

/// REN-5.
#[derive(Template)]
#[template(path = "content/log.html")]
struct LogPage<'a> {
    css: &'a str,
    name: &'a str,
    notice: Option<String>,
    html: String,
}

/// REN-1: an image scaled to fit.
#[derive(Template)]
#[template(path = "content/image.html")]
struct ImagePage<'a> {
    css: &'a str,
    name: &'a str,
    src: String,
}

/// REN-1: a type that cannot be shown.
#[derive(Template)]
#[template(path = "content/notice.html")]
struct NoticePage<'a> {
    css: &'a str,
    name: &'a str,
    notice: String,
}

fn http_date(seconds: u64) -> String {
    chrono::DateTime::from_timestamp(i64::try_from(seconds).unwrap_or(0), 0)
        .unwrap_or_default()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

fn rendered(page: impl Template) -> airlock_core::Result<String> {
    page.render().map_err(|e| {
        AirlockError::with_message(
            airlock_core::ErrorCode::Internal,
            format!("rendering a content page failed: {e}"),
        )
    })
}

fn read_to_string(reader: impl Read) -> airlock_core::Result<String> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_LOG_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            AirlockError::with_message(
                airlock_core::ErrorCode::Internal,
                format!("reading a file failed: {e}"),
            )
        })?;
    Ok(airlock_core::render::decode_text(&bytes).into_owned())
}

/// Where a content answer lives: its own URL (without a query), and the file page whose frame
/// shows it.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    /// The content URL.
    pub url: &'a str,
    /// The file page.
    pub page: &'a str,
    /// The request's `Host`, for the policy of the service's own pages.
    pub host: Option<&'a str>,
}

/// What a content URL shows for `opened` at `path` (REN-1), on a blocking thread: the 304 when
/// `if_none_match` is current (REN-4), else the renderer's answer. The image's and the table's
/// links go back to the content URL, or, framed, to the file page.
pub fn answer(
    app: &App,
    opened: Opened,
    owner: Owner,
    path: &str,
    query: &ContentQuery,
    place: Place<'_>,
    if_none_match: Option<&str>,
) -> airlock_core::Result<Content> {
    let url = place.url;
    let renderer = Renderer::of(path, query.plaintext());
    let image_bytes = matches!(renderer, Renderer::Image(_)) && query.image();
    let cache_id = match owner {
        Owner::Request => request_cache_id(&opened.identity, renderer),
        Owner::Workspace => workspace_cache_id(opened.modified, opened.size, renderer),
    };
    // The image's bytes and its page are different answers of one renderer.
    let cache_id = if image_bytes {
        format!("{cache_id}-bytes")
    } else {
        cache_id
    };
    let csp = match renderer {
        Renderer::Raw(_) => RAW_CSP.to_string(),
        Renderer::Image(_) if image_bytes => RAW_CSP.to_string(),
        _ => templated_csp(place.host),
    };
    let caching = Caching {
        etag: format!("\"{cache_id}\""),
        last_modified: http_date(opened.modified),
        csp,
    };
    if if_none_match.is_some_and(|tags| {
        tags.split(',')
            .any(|t| t.trim() == caching.etag || t.trim() == "*")
    }) {
        return Ok(Content::NotModified(caching));
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    let css = assets::url("content.css");
    let file = |opened: Opened| rocket::tokio::fs::File::from_std(opened.file);
    Ok(match renderer {
        Renderer::Raw(raw) => Content::Bytes {
            caching,
            file: file(opened),
            media_type: raw.media_type(),
            encoding: raw.encoding(),
        },
        Renderer::Image(image) if image_bytes => Content::Bytes {
            caching,
            file: file(opened),
            media_type: image.media_type(),
            encoding: None,
        },
        Renderer::Image(_) => Content::Page(
            caching,
            rendered(ImagePage {
                css,
                name,
                src: format!("{url}?image=1"),
            })?,
        ),
        Renderer::Invalid => Content::Page(
            caching,
            rendered(NoticePage {
                css,
                name,
                notice: invalid_notice(path),
            })?,
        ),
        Renderer::Log => {
            let text = read_to_string(opened.reread().map_err(io_error)?)?;
            let log = airlock_core::joblog::render_log(&text, app.site().max_log_chars);
            Content::Page(
                caching,
                rendered(LogPage {
                    css,
                    name,
                    notice: log.notice,
                    html: log.html,
                })?,
            )
        }
        Renderer::Csv => Content::Page(caching, csv::page(app, &opened, name, query, place)?),
        Renderer::Text => {
            let page = rendered(TextPage {
                css,
                name,
                marker: MARKER,
            })?;
            let (head, end) = page.split_once(MARKER).unwrap_or((&page, ""));
            Content::Text(caching, head.to_string(), file(opened), end.to_string())
        }
    })
}

/// Where the text renderer's page takes the escaped text.
const MARKER: &str = "\u{0}airlock-text\u{0}";

/// The text renderer's page around text already escaped (the code view's files).
pub fn text_page(name: &str, escaped: &str) -> airlock_core::Result<String> {
    let page = rendered(TextPage {
        css: assets::url("content.css"),
        name,
        marker: MARKER,
    })?;
    Ok(page.replacen(MARKER, escaped, 1))
}

fn io_error(e: std::io::Error) -> AirlockError {
    AirlockError::with_message(
        airlock_core::ErrorCode::Internal,
        format!("reading a file failed: {e}"),
    )
}
