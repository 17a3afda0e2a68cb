//! # airlock-web
//!
//! The Airlock service: the JSON API of `api.md` (and, in a later issue, the HTML pages) as a
//! thin adapter over `airlock_store::store::Store`. A handler parses its input, calls one store
//! operation on a blocking thread and maps the result; no rule lives here.
//!
//! Layout: [`app`] holds the shared state and runs store calls off the async executor;
//! [`api`] is the JSON API (its errors, guards and routes); [`logging`] writes one line per
//! request; [`server`] assembles and launches Rocket.

#![recursion_limit = "256"]

pub mod api;
pub mod app;
pub mod logging;
pub mod pages;
pub mod server;

pub use app::App;

/// Name of the service, shown in logs.
pub const SERVICE_NAME: &str = "airlock-web";
