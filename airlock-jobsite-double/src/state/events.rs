//! DBL-7: the events endpoint, which checks each event (API-27) and records a contract failure
//! for a bad one while still answering 201.

use super::{Answer, Endpoint, Request, State};
use serde_json::{Value, json};

/// The event types of API-27.
const EVENT_TYPES: [&str; 9] = [
    "request_submitted",
    "request_resubmitted",
    "request_partially_reviewed",
    "request_reviewed",
    "request_approved",
    "request_rejected",
    "request_returned",
    "request_released",
    "request_withdrawn",
];

impl State {
    /// DBL-7.
    pub(super) fn event(&mut self, request: &Request) -> Answer {
        let body = self.json_body(request, Endpoint::Events);
        let problem = match &body {
            None => Some("the body is not JSON".to_string()),
            Some(event) => event_problem(event, request.header("os-user")),
        };
        match problem {
            None => Answer::json(201, &json!({"status": "ok"})),
            Some(why) => {
                self.fail(format!("Events: {why}"));
                Answer::json(201, &json!({"status": "error", "message": why}))
            }
        }
    }
}

/// DBL-7 checks of one event; the first problem found.
fn event_problem(event: &Value, os_user: Option<&str>) -> Option<String> {
    let text = |name: &str| event.get(name).and_then(Value::as_str);
    let event_type = text("event_type");
    if !event_type.is_some_and(|t| EVENT_TYPES.contains(&t)) {
        return Some(format!("unknown event_type {event_type:?}"));
    }
    for name in ["workspace", "request", "request_author", "user"] {
        if text(name).is_none() {
            return Some(format!("{name} is missing or not a string"));
        }
    }
    if os_user != text("user") {
        return Some(format!(
            "OS-User {os_user:?} differs from the payload's user {:?}",
            text("user")
        ));
    }
    match event.get("updates") {
        None => return Some("updates is missing".to_string()),
        Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            let valid = |item: &Value| {
                item.as_object().is_some_and(|o| {
                    o.get("update").is_some_and(Value::is_string)
                        && o.iter().all(|(k, v)| {
                            matches!(k.as_str(), "update" | "group" | "user") && v.is_string()
                        })
                })
            };
            if !items.iter().all(valid) {
                return Some("an update has a key other than update, group, user".to_string());
            }
        }
        Some(_) => return Some("updates is neither null nor a list".to_string()),
    }
    if event.get("org").is_some() != event.get("repo").is_some() {
        return Some("org and repo must be both present or both absent".to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dbl_7_events_are_checked() {
        let good = json!({"event_type": "request_submitted", "workspace": "w", "request": "r",
                          "request_author": "a", "user": "u", "updates": null});
        assert_eq!(event_problem(&good, Some("u")), None);
        assert!(event_problem(&good, Some("x")).is_some());
        let mut bad = good.clone();
        bad["event_type"] = json!("REQUEST_SUBMITTED");
        assert!(event_problem(&bad, Some("u")).is_some());
        let mut bad = good.clone();
        bad["org"] = json!("o");
        assert!(event_problem(&bad, Some("u")).is_some());
        let mut bad = good;
        bad["updates"] = json!([{"update": "x", "extra": "y"}]);
        assert!(event_problem(&bad, Some("u")).is_some());
    }
}
