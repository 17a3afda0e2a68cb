//! Rocket's own refusals (an unknown page, a body too large, a malformed form) as error pages
//! in the frame (PG-14), never a bare status. A path under `/api` keeps the API's JSON answer
//! (`api.md` §1), even when dot segments took it out of the API's base.

use super::frame::Frame;
use super::respond::{Page, error_page};
use crate::api::error::{ApiError, caught};
use crate::app::App;
use airlock_core::{AirlockError, ErrorCode};
use rocket::Either;
use rocket::http::Status;
use rocket::{Catcher, Request, catch, catchers};

/// The answer of a caught refusal.
type Caught = Either<ApiError, Page>;

fn answer(request: &Request<'_>, status: Status) -> Caught {
    if request.uri().path().as_str().starts_with("/api") {
        return Either::Left(caught(status, request));
    }
    let (shown, code, message) = match status.code {
        404 => (
            status,
            ErrorCode::NotFound,
            "There is no page at this address.",
        ),
        413 => (status, ErrorCode::BadRequest, "The form is too large."),
        400 | 422 => (
            Status::BadRequest,
            ErrorCode::BadRequest,
            "The form or address could not be read: a field is missing or malformed.",
        ),
        400..=499 => (status, ErrorCode::BadRequest, "The request was refused."),
        _ => (
            status,
            ErrorCode::Internal,
            "Something went wrong; nothing was changed.",
        ),
    };
    let Some(app) = request.rocket().state::<App>() else {
        return Either::Right(Page::Html {
            status: shown,
            body: format!("{} {}", shown.code, shown.reason_lossy()),
        });
    };
    let frame = Frame::anonymous(app, None);
    let error = AirlockError::with_message(code, message);
    Either::Right(error_page(&frame, shown, &error, None))
}

#[catch(default)]
fn any(status: Status, request: &Request<'_>) -> Caught {
    answer(request, status)
}

/// The catchers of the pages (and of API paths that left the API's base).
pub fn catchers() -> Vec<Catcher> {
    catchers![any]
}
