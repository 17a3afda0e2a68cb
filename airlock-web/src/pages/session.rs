//! PG-10 to PG-12: logging in and out. A successful login starts a cookie session (a random
//! token stored only as its hash, of the `web` kind that is never a bearer token) and goes to
//! `next` (WEB-3) or the workspaces page; a failure shows the form again with `login_failed`.

use super::csrf::{self, LOGIN_COOKIE};
use super::flash::{self, Message};
use super::frame::Frame;
use super::respond::{Page, PageContext, Reply, SESSION_COOKIE};
use super::templates::{LoginPage, LogoutPage};
use crate::app::App;
use airlock_core::{AirlockError, ErrorCode};
use airlock_store::auth::SessionKind;
use askama::Template;
use rand::Rng;
use rocket::form::{Form, FromForm};
use rocket::http::{Cookie, SameSite, Status};
use rocket::{Route, State, get, post, routes};

/// The fields of the login form.
#[derive(Debug, FromForm)]
pub struct LoginForm {
    /// Username or email.
    pub user: Option<String>,
    /// The single-use token.
    pub token: Option<String>,
    /// Where to go afterwards.
    pub next: Option<String>,
    /// PG-11.
    pub csrf_token: Option<String>,
}

/// The CSRF fields of a form without other fields.
#[derive(Debug, FromForm)]
pub struct CsrfOnly {
    /// PG-11.
    pub csrf_token: Option<String>,
    /// Where to go afterwards (WEB-3).
    pub next_url: Option<String>,
}

/// The pre-session cookie, made when missing (PG-11: the login form's token is tied to it).
fn login_cookie(page: &PageContext<'_>, app: &App) -> String {
    if let Some(cookie) = page.jar.get(LOGIN_COOKIE) {
        return cookie.value().to_string();
    }
    let value = hex::encode(rand::rng().random::<[u8; 16]>());
    page.jar.add(
        Cookie::build((LOGIN_COOKIE, value.clone()))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(app.site().secure_cookies()),
    );
    value
}

fn login_page(
    page: &PageContext<'_>,
    app: &App,
    next: &str,
    typed_user: &str,
    message: Option<Message>,
) -> Page {
    let frame = Frame::anonymous(app, message);
    let csrf = csrf::token_for(app.secret_key(), "login", &login_cookie(page, app));
    let body = LoginPage {
        frame: &frame,
        csrf,
        next: next.to_string(),
        typed_user: typed_user.to_string(),
        logins: if app.site().test_mode {
            &app.site().logins
        } else {
            &[]
        },
    }
    .render()
    .unwrap_or_default();
    Page::Html {
        status: Status::Ok,
        body,
    }
}

/// `GET /login/?next=`: the login form; a logged-in user goes on to `next` (AUTH-1).
#[get("/login?<next>")]
pub async fn login_form(app: &State<App>, page: PageContext<'_>, next: Option<String>) -> Page {
    let next = next.unwrap_or_default();
    let message = flash::take(page.jar, app.secret_key());
    if let Some(token) = page.session.clone() {
        let valid = app
            .call(move |app| app.auth().user_of_token(SessionKind::Web, &token))
            .await;
        if valid.is_ok() {
            return Page::SeeOther(
                airlock_core::redirect::next_page(Some(&next), "/workspaces/").to_string(),
            );
        }
    }
    login_page(&page, app, &next, "", message)
}

/// `POST /login/`: AUTH-1, AUTH-2.
#[post("/login", data = "<form>")]
pub async fn login(app: &State<App>, page: PageContext<'_>, form: Option<Form<LoginForm>>) -> Page {
    let Some(form) = form.map(Form::into_inner) else {
        return login_page(&page, app, "", "", Some(bad_form()));
    };
    let next = form.next.clone().unwrap_or_default();
    let typed = form.user.clone().unwrap_or_default();
    let cookie = page.jar.get(LOGIN_COOKIE).map(|c| c.value().to_string());
    let site = app.site();
    let origin_ok = csrf::origin_allowed(
        page.origin.as_deref(),
        site.public_url.as_deref(),
        page.host.as_deref(),
    );
    let checked = if origin_ok {
        csrf::check(
            app.secret_key(),
            "login",
            cookie.as_deref(),
            form.csrf_token.as_deref(),
        )
    } else {
        Err(csrf::CsrfRefusal::ForeignOrigin)
    };
    if let Err(refusal) = checked {
        let frame = Frame::anonymous(app, None);
        let error = AirlockError::with_message(ErrorCode::PermissionDenied, refusal.message());
        return super::respond::error_page(&frame, Status::Forbidden, &error, None);
    }
    let (user, token) = (typed.trim().to_string(), form.token.unwrap_or_default());
    let login = app
        .call(move |app| app.auth().login(SessionKind::Web, &user, &token))
        .await;
    match login {
        Ok(login) => {
            page.jar.add(
                Cookie::build((SESSION_COOKIE, login.token))
                    .path("/")
                    .http_only(true)
                    .same_site(SameSite::Lax)
                    .secure(site.secure_cookies()),
            );
            let message = Message::ok(format!("Logged in as {}", login.user.username));
            flash::set(page.jar, app.secret_key(), &message, site.secure_cookies());
            Page::SeeOther(
                airlock_core::redirect::next_page(Some(&next), "/workspaces/").to_string(),
            )
        }
        Err(e) => {
            let error = match e.error_code() {
                ErrorCode::Internal => e,
                _ => AirlockError::new(ErrorCode::LoginFailed),
            };
            login_page(&page, app, &next, &typed, Some(Message::refusal(&error)))
        }
    }
}

fn bad_form() -> Message {
    Message::refusal(&AirlockError::with_message(
        ErrorCode::BadRequest,
        "The form could not be read.",
    ))
}

/// `GET /logout/`: a page with a Log out button (PG-12).
#[get("/logout")]
pub async fn logout_page(app: &State<App>, page: PageContext<'_>) -> Page {
    page.show(app, |_, _, frame| {
        Ok(Reply::Html(
            LogoutPage { frame }.render().unwrap_or_default(),
        ))
    })
    .await
}

/// `POST /logout/`: ends the session and goes to the login page (PG-12, AUTH-9).
#[post("/logout", data = "<form>")]
pub async fn logout(app: &State<App>, page: PageContext<'_>, form: Option<Form<CsrfOnly>>) -> Page {
    let csrf_token = form.and_then(|f| f.into_inner().csrf_token);
    let token = page.session.clone().unwrap_or_default();
    let answer = page
        .post(
            app,
            csrf_token,
            None,
            "/login/".to_string(),
            move |app, _| {
                app.auth().logout(SessionKind::Web, &token)?;
                Ok(super::respond::Done {
                    next: "/login/".to_string(),
                    message: Message::ok("You are logged out."),
                })
            },
        )
        .await;
    if matches!(&answer, Page::SeeOther(to) if to == "/login/") {
        page.jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    }
    answer
}

/// The routes of this module.
pub fn routes() -> Vec<Route> {
    routes![login_form, login, logout_page, logout]
}
