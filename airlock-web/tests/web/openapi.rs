//! The OpenAPI document matches the routes actually mounted, both ways, and is served.

use crate::support;

use airlock_web::api::openapi::{OPERATIONS, document};
use serde_json::Value;
use support::At;

/// A mounted route as (method, segments), `<name>` and `<name..>` kept as written.
fn mounted() -> Vec<(String, Vec<String>)> {
    airlock_web::api::routes()
        .iter()
        .map(|route| {
            let path = route.uri.path().to_string();
            let segments = path
                .trim_start_matches('/')
                .split('/')
                .map(str::to_string)
                .collect();
            (route.method.as_str().to_string(), segments)
        })
        .collect()
}

/// Whether a documented path (with `{name}`) is served by a route's segments: a dynamic
/// segment matches any one segment (`{path}` standing for several), and `<rest..>` matches
/// the rest.
fn serves(route: &[String], documented: &str) -> bool {
    let documented: Vec<&str> = documented.trim_start_matches('/').split('/').collect();
    let mut i = 0;
    for (n, segment) in route.iter().enumerate() {
        if segment.ends_with("..>") {
            return i < documented.len() && n == route.len() - 1;
        }
        let Some(doc) = documented.get(i) else {
            return false;
        };
        let dynamic = segment.starts_with('<');
        if !dynamic && segment != doc {
            return false;
        }
        i += 1;
    }
    i == documented.len()
}

#[test]
fn every_documented_operation_is_mounted_and_every_route_documented() {
    let routes = mounted();
    for op in OPERATIONS {
        assert!(
            routes
                .iter()
                .any(|(m, r)| m == op.method && serves(r, op.path)),
            "documented but not mounted: {} {}",
            op.method,
            op.path
        );
    }
    for (method, route) in &routes {
        assert!(
            OPERATIONS
                .iter()
                .any(|op| op.method == method && serves(route, op.path)),
            "mounted but not documented: {method} /{}",
            route.join("/")
        );
    }
}

#[test]
fn the_document_is_served_and_every_reference_resolves() {
    let s = support::servers().remove(0);
    let answer = s.api("GET", "/openapi.json", None, None);
    assert_eq!(answer.status, 200);
    let served = answer.json();
    assert_eq!(
        served,
        serde_json::from_str::<Value>(document()).expect("JSON")
    );
    assert_eq!(served["openapi"], "3.1.0");
    let text = document();
    for reference in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap_or_default();
        assert!(
            served["components"]["schemas"][name].is_object(),
            "unresolved $ref {name}"
        );
    }
    // Each documented operation answers through a real route (not the unknown-route catcher).
    for op in OPERATIONS {
        let path = op
            .path
            .replace("{ws}", "diabetes-outcomes")
            .replace("{id}", "01JNQ8Z7K3V5W2X9Y4T6R8P0MA")
            .replace("{group}", "tables")
            .replace("{comment_id}", "c1")
            .replace("{path}", "output/table1.csv");
        let answer = s.api(op.method, &path, None, None);
        // A success is a real route's; an error answer names its cause, which must not be
        // the catcher's.
        if answer.status >= 400 {
            let body = answer.json();
            let message = body.at("error/message").as_str().expect("an error message");
            assert!(
                !message.starts_with("No such endpoint"),
                "{} {path}: {message}",
                op.method
            );
        }
    }
}
