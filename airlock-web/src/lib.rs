//! Airlock web service. The HTML pages and the JSON API arrive in a later issue; this crate
//! already depends on the store so that the seam is in place.

/// Name of the service, shown in logs.
pub const SERVICE_NAME: &str = "airlock-web";
