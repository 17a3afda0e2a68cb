//! API errors (`api.md` §1): the HTTP status of the error code and the body
//! `{"error": {"code", "message"}}`, plus the catchers that give Rocket's own refusals (unknown
//! route, oversized body, ...) the same shape.

use airlock_core::{AirlockError, ErrorCode};
use rocket::http::{ContentType, Status};
use rocket::response::{self, Responder, Response};
use rocket::{Catcher, Request, catch, catchers};
use serde_json::json;
use std::io::Cursor;

/// A refused or failed API call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The stable code.
    pub code: &'static str,
    /// The human message.
    pub message: String,
    /// For `internal` errors: the id under which the cause was logged.
    pub correlation_id: Option<String>,
}

impl ApiError {
    /// An error with the status and message of its code.
    pub fn of(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status: code.web_answer().api_status(),
            code: code.as_str(),
            message: message.into(),
            correlation_id: None,
        }
    }

    /// `bad_request` with this message.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::of(ErrorCode::BadRequest, message)
    }

    /// `internal`: logs the cause under a new correlation id, which the body carries.
    pub fn internal(cause: &str) -> ApiError {
        let id = ulid::Ulid::new().to_string();
        tracing::error!(correlation_id = %id, "internal error: {cause}");
        ApiError {
            correlation_id: Some(id),
            ..ApiError::of(ErrorCode::Internal, ErrorCode::Internal.default_message())
        }
    }
}

impl From<AirlockError> for ApiError {
    fn from(e: AirlockError) -> ApiError {
        if e.error_code() == ErrorCode::Internal {
            return ApiError::internal(e.message());
        }
        ApiError::of(e.error_code(), e.message())
    }
}

impl<'r> Responder<'r, 'static> for ApiError {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(id) = &self.correlation_id {
            error["correlation_id"] = json!(id);
        }
        let body = json!({ "error": error }).to_string();
        Response::build()
            .status(Status::from_code(self.status).unwrap_or(Status::InternalServerError))
            .header(ContentType::JSON)
            .sized_body(body.len(), Cursor::new(body))
            .ok()
    }
}

/// The answer of a catcher for `status`.
pub fn caught(status: Status, request: &Request<'_>) -> ApiError {
    match status.code {
        404 => ApiError::of(
            ErrorCode::NotFound,
            format!(
                "No such endpoint: {} {}",
                request.method(),
                request.uri().path()
            ),
        ),
        413 => ApiError {
            status: 413,
            ..ApiError::bad_request("The body is larger than 1 MiB.")
        },
        401 => ApiError::of(ErrorCode::Unauthenticated, "Please log in."),
        400..=499 => ApiError {
            status: status.code,
            ..ApiError::bad_request(format!(
                "The request was refused: {}.",
                status.reason_lossy()
            ))
        },
        _ => ApiError::internal(&format!(
            "{} {} answered {status}",
            request.method(),
            request.uri()
        )),
    }
}

#[catch(default)]
fn default_catcher(status: Status, request: &Request<'_>) -> ApiError {
    caught(status, request)
}

/// The catchers of the API: every refusal Rocket makes itself answers as `api.md` §1 says.
pub fn api_catchers() -> Vec<Catcher> {
    catchers![default_catcher]
}
