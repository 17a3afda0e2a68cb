//! What handlers take from a request: the calling user (from the bearer token), a JSON body
//! (at most 1 MiB, parsed with a `bad_request` naming what is wrong), and a file path from the
//! URL (FMT-5, `bad_path`). Each yields `Result<_, ApiError>` so that a handler answers the
//! error with the JSON shape of `api.md` §1.

use super::error::ApiError;
use airlock_core::ErrorCode;
use airlock_core::workspace::validate_relpath;
use airlock_store::auth::SessionKind;
use rocket::async_trait;
use rocket::data::{ByteUnit, Data, FromData, ToByteUnit};
use rocket::http::uri::Segments;
use rocket::http::uri::fmt::Path;
use rocket::request::{FromRequest, FromSegments, Outcome, Request};
use serde::de::DeserializeOwned;

/// The largest JSON body accepted (`api.md` §1: larger answers 413).
pub const BODY_LIMIT: ByteUnit = ByteUnit::Mebibyte(1);

/// The bearer token of the call (`Authorization: Bearer <token>`, never a cookie: `api.md`
/// §2). Which user it stands for is decided on the blocking thread that runs the store call
/// ([`App::run_as`]), so that a call costs one hand-off between threads, not two.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The token: a bearer token, or a page's session cookie.
    pub token: String,
    /// Which kind of session the token must be (PG-10: never the other).
    pub kind: SessionKind,
}

#[async_trait]
impl<'r> FromRequest<'r> for Caller {
    type Error = ApiError;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ApiError> {
        let token = request
            .headers()
            .get_one("Authorization")
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, token)| {
                scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()
            })
            .map(|(_, token)| token.trim().to_string());
        match token {
            Some(token) => Outcome::Success(Caller {
                token,
                kind: SessionKind::Api,
            }),
            None => Outcome::Error((
                rocket::http::Status::Unauthorized,
                ApiError::of(ErrorCode::Unauthenticated, "A bearer token is required."),
            )),
        }
    }
}

/// A JSON body of type `T`. An empty body reads as `{}` (`api.md` §5: action endpoints accept
/// an empty body).
#[derive(Debug, Clone)]
pub struct Body<T>(pub T);

#[async_trait]
impl<'r, T: DeserializeOwned> FromData<'r> for Body<T> {
    type Error = ApiError;

    async fn from_data(_: &'r Request<'_>, data: Data<'r>) -> rocket::data::Outcome<'r, Self> {
        let bytes = match data.open(BODY_LIMIT).into_bytes().await {
            Ok(bytes) if bytes.is_complete() => bytes.into_inner(),
            Ok(_) => {
                let e = ApiError {
                    status: 413,
                    ..ApiError::bad_request(format!("The body is larger than {}.", 1.mebibytes()))
                };
                return rocket::data::Outcome::Error((rocket::http::Status::PayloadTooLarge, e));
            }
            Err(e) => {
                let e = ApiError::bad_request(format!("The body could not be read: {e}."));
                return rocket::data::Outcome::Error((rocket::http::Status::BadRequest, e));
            }
        };
        let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        match serde_json::from_slice(text) {
            Ok(value) => rocket::data::Outcome::Success(Body(value)),
            Err(e) => rocket::data::Outcome::Error((
                rocket::http::Status::BadRequest,
                ApiError::bad_request(format!("The body is not valid: {e}.")),
            )),
        }
    }
}

/// A relative file path from the URL (`api.md` §1): the percent-decoded segments joined by
/// `/`, checked by FMT-5 (`bad_path`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelPath(pub String);

impl<'r> FromSegments<'r> for RelPath {
    type Error = ApiError;

    fn from_segments(segments: Segments<'r, Path>) -> Result<Self, ApiError> {
        let joined = segments.collect::<Vec<_>>().join("/");
        validate_relpath(&joined)
            .map(RelPath)
            .map_err(ApiError::from)
    }
}

impl RelPath {
    /// The path without a final `/<suffix>` segment, when it ends with one.
    pub fn strip_action(&self, suffix: &str) -> Option<String> {
        self.0
            .strip_suffix(suffix)
            .and_then(|rest| rest.strip_suffix('/'))
            .filter(|rest| !rest.is_empty())
            .map(str::to_string)
    }
}
