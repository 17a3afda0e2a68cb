//! How a page handler answers: [`PageContext`] is what every handler takes from the request
//! (the session cookie, the message left for this page, where the post came from); its
//! [`PageContext::show`] renders a page for the logged-in viewer and its
//! [`PageContext::post`] runs a form post, both in one call on a blocking thread, and both map
//! a refusal the way `pages.md` PG-13 says: a "redirect" code back to the page with its message,
//! 403 and 404 an error page, anonymous callers to the login page (WEB-2).

use super::csrf;
use super::flash::{self, Message};
use super::frame::Frame;
use super::templates::ErrorPage;
use crate::api::guard::Caller;
use crate::app::App;
use airlock_core::error::WebAnswer;
use airlock_core::{AirlockError, ErrorCode, User};
use airlock_store::auth::SessionKind;
use askama::Template;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use rocket::http::{CookieJar, Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{self, Responder, Response};
use std::io::Cursor;

/// The session cookie of the pages (PG-10).
pub const SESSION_COOKIE: &str = "airlock-sessionid";

/// WS-4: the workspaces whose out-of-date outputs this browser shows (the names, escaped and
/// joined with `,`); hidden is the default.
pub const OUT_OF_DATE_COOKIE: &str = "airlock-show-out-of-date";

/// What a page handler takes from the request.
pub struct PageContext<'r> {
    /// The cookies (the session, the message, the pre-session token).
    pub jar: &'r CookieJar<'r>,
    /// The session cookie's token, if any.
    pub session: Option<String>,
    /// The path and query asked for (the `next` of a login, WEB-2).
    pub target: String,
    /// The `Origin` header (PG-11).
    pub origin: Option<String>,
    /// The `Host` header.
    pub host: Option<String>,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for PageContext<'r> {
    type Error = std::convert::Infallible;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let jar = request.cookies();
        Outcome::Success(PageContext {
            jar,
            session: jar
                .get(SESSION_COOKIE)
                .map(|c| c.value().to_string())
                .filter(|v| !v.is_empty()),
            target: request.uri().to_string(),
            origin: request.headers().get_one("Origin").map(str::to_string),
            host: request.headers().get_one("Host").map(str::to_string),
        })
    }
}

/// What a page handler's call answers.
#[derive(Debug)]
pub enum Reply {
    /// A page of HTML.
    Html(String),
    /// A redirect (303) to a local path, with a message for the page there.
    Redirect {
        /// Where to.
        to: String,
        /// What the next page says.
        message: Option<Message>,
    },
}

impl Reply {
    /// A redirect without a message.
    pub fn to(path: impl Into<String>) -> Reply {
        Reply::Redirect {
            to: path.into(),
            message: None,
        }
    }
}

/// What a form post did: where its result is shown and what to say there (PG-13).
#[derive(Debug)]
pub struct Done {
    /// The page that shows the result (a form's valid `next_url` wins).
    pub next: String,
    /// The message.
    pub message: Message,
}

/// A page's answer.
#[derive(Debug)]
pub enum Page {
    /// HTML with a status.
    Html {
        /// The status.
        status: Status,
        /// The page.
        body: String,
    },
    /// 303 See Other.
    SeeOther(String),
}

impl<'r> Responder<'r, 'static> for Page {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        match self {
            Page::Html { status, body } => Response::build()
                .status(status)
                .raw_header("Content-Type", "text/html; charset=utf-8")
                .sized_body(body.len(), Cursor::new(body))
                .ok(),
            Page::SeeOther(to) => Response::build()
                .status(Status::SeeOther)
                .header(Header::new("Location", to))
                .ok(),
        }
    }
}

/// A blocking call's result before the cookies are written.
enum Answered {
    Page(Page),
    Redirect(String, Option<Message>),
    /// A form post succeeded: 303 with its message.
    Done(String, Message),
    Login(Option<Message>),
}

impl PageContext<'_> {
    /// WS-4: the workspaces whose out-of-date outputs are shown.
    pub fn out_of_date_shown(&self) -> Vec<String> {
        self.jar
            .get(OUT_OF_DATE_COOKIE)
            .map(|c| {
                c.value()
                    .split(',')
                    .filter_map(|name| {
                        percent_encoding::percent_decode_str(name)
                            .decode_utf8()
                            .ok()
                            .map(|n| n.into_owned())
                    })
                    .filter(|n| !n.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// WS-4: whether this browser shows the out-of-date outputs of `workspace`.
    pub fn shows_out_of_date(&self, workspace: &str) -> bool {
        self.out_of_date_shown().iter().any(|w| w == workspace)
    }

    /// The caller of the session cookie, for the store calls.
    fn caller(&self) -> Option<Caller> {
        self.session.clone().map(|token| Caller {
            token,
            kind: SessionKind::Web,
        })
    }

    /// Whether cookies must be `Secure` (the configured `public_url` is HTTPS, PG-10).
    fn secure(app: &App) -> bool {
        app.site().secure_cookies()
    }

    /// Renders a page for the logged-in viewer: `build` gets the user and the frame (with the
    /// message left for this page) and answers a [`Reply`]; a refusal answers as PG-13 says.
    pub async fn show<F>(&self, app: &App, build: F) -> Page
    where
        F: FnOnce(&App, &User, &Frame) -> airlock_core::Result<Reply> + Send + 'static,
    {
        let message = flash::take(self.jar, app.secret_key());
        let Some(caller) = self.caller() else {
            return self.to_login(app, None);
        };
        let csrf = csrf::token_for(app.secret_key(), "session", &caller.token);
        let outcome = app
            .call_as(caller, move |app, user| {
                let frame = Frame::of(app, user, csrf, message);
                Ok(match build(app, user, &frame) {
                    Ok(Reply::Html(body)) => Answered::Page(Page::Html {
                        status: Status::Ok,
                        body,
                    }),
                    Ok(Reply::Redirect { to, message }) => Answered::Redirect(to, message),
                    Err(e) => refusal_page(&frame, &e, None),
                })
            })
            .await;
        self.finish(app, outcome)
    }

    /// Runs a form post: the origin and `csrf_token` are checked first (PG-11: 403, nothing
    /// runs), then `act`; success and refusals answer as PG-13 says, going back to `next_url`
    /// when it passes WEB-3, else to `back`.
    pub async fn post<F>(
        &self,
        app: &App,
        csrf_token: Option<String>,
        next_url: Option<String>,
        back: String,
        act: F,
    ) -> Page
    where
        F: FnOnce(&App, &User) -> airlock_core::Result<Done> + Send + 'static,
    {
        self.post_done(app, csrf_token, next_url, back, act).await.0
    }

    /// As [`PageContext::post`], also answering whether `act` succeeded.
    pub async fn post_done<F>(
        &self,
        app: &App,
        csrf_token: Option<String>,
        next_url: Option<String>,
        back: String,
        act: F,
    ) -> (Page, bool)
    where
        F: FnOnce(&App, &User) -> airlock_core::Result<Done> + Send + 'static,
    {
        let mut succeeded = false;
        let outcome = self
            .checked_post(app, csrf_token, move |app, user, frame| {
                let back = next_target(next_url.as_deref(), &back);
                Ok(match act(app, user) {
                    Ok(done) => {
                        Answered::Done(next_target(next_url.as_deref(), &done.next), done.message)
                    }
                    Err(e) => refusal_page(frame, &e, Some(&back)),
                })
            })
            .await;
        if let Ok(Answered::Done(..)) = &outcome {
            succeeded = true;
        }
        (self.finish(app, outcome), succeeded)
    }

    /// A form post that answers a page rather than changing anything (a selection's form,
    /// PG-13's "answers 200"): the origin and `csrf_token` are checked first, as for any post.
    pub async fn post_page<F>(&self, app: &App, csrf_token: Option<String>, build: F) -> Page
    where
        F: FnOnce(&App, &User, &Frame) -> airlock_core::Result<Reply> + Send + 'static,
    {
        let outcome = self
            .checked_post(app, csrf_token, move |app, user, frame| {
                Ok(match build(app, user, frame) {
                    Ok(Reply::Html(body)) => Answered::Page(Page::Html {
                        status: Status::Ok,
                        body,
                    }),
                    Ok(Reply::Redirect { to, message }) => Answered::Redirect(to, message),
                    Err(e) => refusal_page(frame, &e, None),
                })
            })
            .await;
        self.finish(app, outcome)
    }

    /// Authenticates, checks the origin and the CSRF token (a refusal is a 403 page), then
    /// runs `then` with the frame.
    async fn checked_post<F>(
        &self,
        app: &App,
        csrf_token: Option<String>,
        then: F,
    ) -> airlock_core::Result<Answered>
    where
        F: FnOnce(&App, &User, &Frame) -> airlock_core::Result<Answered> + Send + 'static,
    {
        let Some(caller) = self.caller() else {
            return Ok(Answered::Login(None));
        };
        let site = app.site();
        let origin_ok = csrf::origin_allowed(
            self.origin.as_deref(),
            site.public_url.as_deref(),
            self.host.as_deref(),
        );
        let session = caller.token.clone();
        let csrf = csrf::token_for(app.secret_key(), "session", &caller.token);
        app.call_as(caller, move |app, user| {
            let frame = Frame::of(app, user, csrf, None);
            let checked = if origin_ok {
                csrf::check(
                    app.secret_key(),
                    "session",
                    Some(&session),
                    csrf_token.as_deref(),
                )
            } else {
                Err(csrf::CsrfRefusal::ForeignOrigin)
            };
            if let Err(refusal) = checked {
                let error =
                    AirlockError::with_message(ErrorCode::PermissionDenied, refusal.message());
                return Ok(refusal_page(&frame, &error, None));
            }
            then(app, user, &frame)
        })
        .await
    }

    /// Writes the cookies of an outcome and answers it.
    fn finish(&self, app: &App, outcome: airlock_core::Result<Answered>) -> Page {
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(e) => match e.error_code() {
                ErrorCode::SessionExpired => Answered::Login(Some(Message::refusal(&e))),
                ErrorCode::Unauthenticated => Answered::Login(None),
                _ => Answered::Page(internal_page(app, &e)),
            },
        };
        match outcome {
            Answered::Page(page) => page,
            Answered::Redirect(to, message) => {
                if let Some(message) = message {
                    flash::set(self.jar, app.secret_key(), &message, Self::secure(app));
                }
                Page::SeeOther(to)
            }
            Answered::Done(to, message) => {
                flash::set(self.jar, app.secret_key(), &message, Self::secure(app));
                Page::SeeOther(to)
            }
            Answered::Login(message) => self.to_login(app, message),
        }
    }

    /// WEB-2: 303 to the login page, which comes back here afterwards.
    fn to_login(&self, app: &App, message: Option<Message>) -> Page {
        if let Some(message) = message {
            flash::set(self.jar, app.secret_key(), &message, Self::secure(app));
        }
        Page::SeeOther(login_url(&self.target))
    }
}

/// `/login/?next=<target>` (WEB-2).
pub fn login_url(target: &str) -> String {
    if target == "/" || target.is_empty() {
        return "/login/".to_string();
    }
    format!(
        "/login/?next={}",
        utf8_percent_encode(target, NON_ALPHANUMERIC)
    )
}

/// The page to go to: `requested` when it passes WEB-3, else `default`.
fn next_target(requested: Option<&str>, default: &str) -> String {
    airlock_core::redirect::next_page(requested, default).to_string()
}

/// PG-13: a refusal as the web answers it: back to `back` with the message when its code
/// answers "redirect" (and there is a page to go back to), else an error page of its status.
fn refusal_page(frame: &Frame, error: &AirlockError, back: Option<&str>) -> Answered {
    let status = match error.error_code().web_answer() {
        WebAnswer::Redirect | WebAnswer::LoginForm => match back {
            Some(back) => {
                return Answered::Redirect(back.to_string(), Some(Message::refusal(error)));
            }
            None => Status::Conflict,
        },
        WebAnswer::RedirectToLogin => return Answered::Login(Some(Message::refusal(error))),
        WebAnswer::Unauthenticated => return Answered::Login(None),
        WebAnswer::Forbidden => Status::Forbidden,
        WebAnswer::NotFound => Status::NotFound,
        WebAnswer::BadRequest => Status::BadRequest,
        WebAnswer::Internal => {
            return Answered::Page(error_page(
                frame,
                Status::InternalServerError,
                error,
                Some(log_internal(error)),
            ));
        }
    };
    Answered::Page(error_page(frame, status, error, None))
}

/// Logs an unexpected failure under a new correlation id (PG-14) and answers the id.
fn log_internal(error: &AirlockError) -> String {
    let id = ulid::Ulid::new().to_string();
    tracing::error!(correlation_id = %id, "internal error: {}", error.message());
    id
}

/// An error page (PG-14) in the frame.
pub fn error_page(
    frame: &Frame,
    status: Status,
    error: &AirlockError,
    correlation_id: Option<String>,
) -> Page {
    let message = if error.error_code() == ErrorCode::Internal {
        "Something went wrong on our side; nothing was changed.".to_string()
    } else {
        error.message().to_string()
    };
    let page = ErrorPage {
        frame,
        status: status.code,
        heading: heading_of(status),
        code: error.code(),
        message,
        correlation_id,
    };
    Page::Html {
        status,
        body: page
            .render()
            .unwrap_or_else(|_| format!("{} {}", status.code, status.reason_lossy())),
    }
}

/// The error page of a failure that happened before there was a frame to show it in.
fn internal_page(app: &App, error: &AirlockError) -> Page {
    let id = log_internal(error);
    let frame = Frame::anonymous(app, None);
    error_page(
        &frame,
        Status::InternalServerError,
        &AirlockError::new(ErrorCode::Internal),
        Some(id),
    )
}

/// The heading of an error page.
pub fn heading_of(status: Status) -> &'static str {
    match status.code {
        400 => "That request could not be read",
        403 => "You are not allowed to do that",
        404 => "Not found",
        409 => "That could not be done",
        _ => "Something went wrong",
    }
}

/// A page's template rendered as the answer; a template that fails to render (never by design)
/// is an internal error.
pub fn render(page: impl Template) -> airlock_core::Result<Reply> {
    page.render().map(Reply::Html).map_err(|e| {
        AirlockError::with_message(ErrorCode::Internal, format!("rendering a page failed: {e}"))
    })
}
