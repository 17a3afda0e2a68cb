//! One log line per request: method, path, status and duration (tracing, target
//! `airlock_web::request`).

use rocket::fairing::{Fairing, Info, Kind};
use rocket::{Data, Request, Response};
use std::time::Instant;

/// The request-logging fairing.
pub struct RequestLog;

/// When the request arrived, kept in the request's local cache.
struct Started(Instant);

#[rocket::async_trait]
impl Fairing for RequestLog {
    fn info(&self) -> Info {
        Info {
            name: "request log",
            kind: Kind::Request | Kind::Response,
        }
    }

    async fn on_request(&self, request: &mut Request<'_>, _: &mut Data<'_>) {
        request.local_cache(|| Started(Instant::now()));
    }

    async fn on_response<'r>(&self, request: &'r Request<'_>, response: &mut Response<'r>) {
        let started = request.local_cache(|| Started(Instant::now()));
        tracing::info!(
            target: "airlock_web::request",
            method = %request.method(),
            path = %request.uri().path(),
            status = response.status().code,
            micros = started.0.elapsed().as_micros() as u64,
            "request"
        );
    }
}
