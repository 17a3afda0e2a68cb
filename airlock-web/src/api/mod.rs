//! The JSON API of `api.md`, mounted at [`BASE`]. Handlers are grouped by the resources of the
//! specification: [`session`] (§2), [`workspace`] (§3), [`request`] (§4).

pub mod act;
pub mod error;
pub mod guard;
pub mod openapi;
pub mod request;
pub mod session;
pub mod workspace;

use error::ApiError;
use rocket::Route;
use rocket::serde::json::Json;

/// The base path of the API.
pub const BASE: &str = "/api/v1";

/// What a handler answers: JSON, or an error in the shape of `api.md` §1.
pub type ApiResult<T> = Result<Json<T>, ApiError>;

/// Every route of the API, relative to [`BASE`].
pub fn routes() -> Vec<Route> {
    let mut routes = session::routes();
    routes.extend(workspace::routes());
    routes.extend(request::routes());
    routes.extend(openapi::routes());
    routes
}
