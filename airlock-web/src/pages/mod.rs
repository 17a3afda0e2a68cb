//! The web pages (`pages.md`): how researchers and output checkers do their work in the
//! browser. A page is a thin adapter over the store's one entry point and the core's views,
//! like the JSON API beside it: a handler parses its form into an
//! [`Action`](airlock_core::action::Action), makes one store call, and answers 303 with a
//! message or renders a page whose every control was offered by `airlock_core::offer`.
//!
//! Areas: [`session`] (login, logout), [`workspace`] (the workspaces lists and the workspace
//! browser), [`request`] (the request browser and its forms), [`review`] (the Reviews page).
//! Shared: [`respond`] (answers and refusals, PG-13), [`frame`] (what every page shows),
//! [`csrf`] (PG-11), [`flash`] (one-time messages), [`form`] (shared fields and answers), [`assets`] (embedded files, PG-3),
//! [`templates`] (the error, login and logout pages), [`catch`] (Rocket's own refusals as
//! pages).

pub mod assets;
pub mod catch;
pub mod code;
pub mod content;
pub mod csrf;
pub mod docs;
pub mod flash;
pub mod form;
pub mod format;
pub mod frame;
pub mod path;
pub mod request;
pub mod respond;
pub mod review;
pub mod session;
pub mod templates;
pub mod workspace;

use rocket::response::Redirect;
use rocket::{Route, get, routes};

/// `GET /` and `GET /requests/`: the workspaces page (WEB-1).
#[get("/")]
fn root() -> Redirect {
    Redirect::to("/workspaces/")
}

/// `GET /requests/`: the workspaces page (WEB-1).
#[get("/requests")]
fn requests_root() -> Redirect {
    Redirect::to("/workspaces/")
}

/// Every route of the pages.
pub fn routes() -> Vec<Route> {
    let mut all = routes![root, requests_root, assets::static_file];
    all.extend(session::routes());
    all.extend(workspace::routes());
    all.extend(request::routes());
    all.extend(review::routes());
    all.extend(docs::routes());
    all.extend(code::routes());
    all
}
