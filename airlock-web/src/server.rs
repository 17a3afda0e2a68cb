//! Assembling the service: Rocket's settings from the product's configuration alone, the API
//! routes and catchers, `/healthz`, request logging and security headers.

use crate::app::App;
use crate::logging::RequestLog;
use crate::{api, pages};
use airlock_store::config::Config;
use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket::http::Status;
use rocket::{Build, Rocket, State, get, routes};

/// Rocket's settings, from the product's configuration only: Rocket's defaults
/// (`rocket::Config::default()`, never `rocket::Config::figment()`, which would also read
/// `ROCKET_*` variables and a `Rocket.toml` in the working directory), then the configured
/// address and port, Rocket's own logging off (the service logs with tracing) and a clean
/// shutdown on SIGTERM and Ctrl-C. So the configuration file and its `AIRLOCK_*` overrides are
/// the one surface.
///
/// No `secret_key`: Rocket's private cookies are not used (its `secrets` feature is off, so
/// Rocket would ignore one); the pages sign their CSRF tokens and session cookies with the
/// product's own secret, [`App::secret_key`].
pub fn figment(config: &Config) -> Figment {
    Figment::from(rocket::Config::default())
        .merge(("address", config.bind_address))
        .merge(("port", config.port))
        .merge(("log_level", "off"))
        .merge(("cli_colors", false))
        .merge(("ident", crate::SERVICE_NAME))
        .merge(("shutdown.ctrlc", true))
        .merge(("shutdown.grace", 5))
        .merge(("shutdown.mercy", 5))
}

/// `GET /healthz`: 200 once the database is reachable and migrated (`api.md` §5).
#[get("/healthz")]
async fn healthz(app: &State<App>) -> (Status, &'static str) {
    match app.run(|app| app.store().health()).await {
        Ok(()) => (Status::Ok, "ok\n"),
        Err(e) => {
            tracing::warn!("health check failed: {}", e.message);
            (Status::ServiceUnavailable, "unavailable\n")
        }
    }
}

/// WEB-5: the Content-Security-Policy of every page.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'self'; \
    form-action 'self'";

/// WEB-5, PG-3: the headers of every answer. A handler that set its own (a content response
/// under `sandbox`, REN-7; an embedded file's immutable caching) keeps them.
fn security_headers(path: &str, response: &mut rocket::Response<'_>) {
    response.set_raw_header("X-Content-Type-Options", "nosniff");
    response.set_raw_header("Referrer-Policy", "same-origin");
    let (csp, frame) = if path.starts_with(api::BASE) || path == "/healthz" {
        ("default-src 'none'; frame-ancestors 'none'", "DENY")
    } else {
        (PAGE_CSP, "DENY")
    };
    for (name, value) in [
        ("Content-Security-Policy", csp),
        ("X-Frame-Options", frame),
        ("Cache-Control", "no-store"),
    ] {
        if !response.headers().contains(name) {
            response.set_raw_header(name, value);
        }
    }
}

/// The service over `app`, with Rocket settings `figment`.
pub fn build(app: App, figment: Figment) -> Rocket<Build> {
    rocket::custom(figment)
        .manage(app)
        // Rocket's default shield would set `X-Frame-Options: SAMEORIGIN` on every answer
        // before ours run; the headers of WEB-5 are set below instead.
        .attach(rocket::shield::Shield::new())
        .attach(RequestLog)
        .attach(AdHoc::on_response(
            "security headers",
            |request, response| {
                Box::pin(async move { security_headers(request.uri().path().as_str(), response) })
            },
        ))
        .mount("/", routes![healthz])
        .mount("/", pages::routes())
        .mount(api::BASE, api::routes())
        .register("/api", api::error::api_catchers())
        .register("/", pages::catch::catchers())
}
