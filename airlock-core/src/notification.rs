//! Notification events and payloads (`behaviour.md` §17, `jobserver-api.md` §6).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A notification event (NOT-2, API-27).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    /// PENDING → SUBMITTED.
    RequestSubmitted,
    /// RETURNED → SUBMITTED.
    RequestResubmitted,
    /// First review in.
    RequestPartiallyReviewed,
    /// N-th review in.
    RequestReviewed,
    /// Released to the Jobs site.
    RequestApproved,
    /// Rejected.
    RequestRejected,
    /// Returned, early or not.
    RequestReturned,
    /// Every file uploaded.
    RequestReleased,
    /// Withdrawn.
    RequestWithdrawn,
}

impl EventType {
    /// Every event.
    pub const ALL: [EventType; 9] = [
        EventType::RequestSubmitted,
        EventType::RequestResubmitted,
        EventType::RequestPartiallyReviewed,
        EventType::RequestReviewed,
        EventType::RequestApproved,
        EventType::RequestRejected,
        EventType::RequestReturned,
        EventType::RequestReleased,
        EventType::RequestWithdrawn,
    ];

    /// The wire name, e.g. `request_submitted`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::RequestSubmitted => "request_submitted",
            EventType::RequestResubmitted => "request_resubmitted",
            EventType::RequestPartiallyReviewed => "request_partially_reviewed",
            EventType::RequestReviewed => "request_reviewed",
            EventType::RequestApproved => "request_approved",
            EventType::RequestRejected => "request_rejected",
            EventType::RequestReturned => "request_returned",
            EventType::RequestReleased => "request_released",
            EventType::RequestWithdrawn => "request_withdrawn",
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EventType::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| format!("unknown event type {s:?}"))
    }
}

/// One item of `updates` (API-27).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Update {
    /// The text.
    pub update: String,
    /// Optional group.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub group: Option<String>,
    /// Optional user.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub user: Option<String>,
}

/// A queued notification (NOT-3, NOT-4), before the optional `org`/`repo` are added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Event.
    pub event_type: EventType,
    /// Workspace name.
    pub workspace: String,
    /// Request id.
    pub request: String,
    /// Author's username.
    pub request_author: String,
    /// Acting username.
    pub user: String,
    /// Updates, only for `request_approved`.
    pub updates: Option<Vec<Update>>,
}

impl Notification {
    /// The exact JSON payload of API-26/27; `org` and `repo` only when both are configured.
    pub fn payload(&self, org_repo: Option<(&str, &str)>) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        map.insert("event_type".into(), self.event_type.as_str().into());
        map.insert("workspace".into(), self.workspace.clone().into());
        map.insert("request".into(), self.request.clone().into());
        map.insert("request_author".into(), self.request_author.clone().into());
        map.insert("user".into(), self.user.clone().into());
        map.insert(
            "updates".into(),
            match &self.updates {
                Some(updates) => serde_json::to_value(updates).unwrap_or(serde_json::Value::Null),
                None => serde_json::Value::Null,
            },
        );
        if let Some((org, repo)) = org_repo {
            map.insert("org".into(), org.into());
            map.insert("repo".into(), repo.into());
        }
        serde_json::Value::Object(map)
    }
}

/// "1 file" / "k files" (REL-4).
pub fn files_will_be_uploaded(k: usize) -> String {
    if k == 1 {
        "1 file will be uploaded".to_string()
    } else {
        format!("{k} files will be uploaded")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_27_payload_shape() {
        let n = Notification {
            event_type: EventType::RequestApproved,
            workspace: "w".into(),
            request: "r".into(),
            request_author: "a".into(),
            user: "c".into(),
            updates: Some(vec![Update {
                update: files_will_be_uploaded(2),
                group: None,
                user: None,
            }]),
        };
        assert_eq!(
            n.payload(Some(("o", "p"))).to_string(),
            r#"{"event_type":"request_approved","workspace":"w","request":"r","request_author":"a","user":"c","updates":[{"update":"2 files will be uploaded"}],"org":"o","repo":"p"}"#
        );
        let without = n.payload(None);
        assert!(without.get("org").is_none() && without.get("repo").is_none());
        assert_eq!(files_will_be_uploaded(1), "1 file will be uploaded");
    }

    #[test]
    fn not_2_event_names_round_trip() {
        for e in EventType::ALL {
            assert_eq!(e.as_str().parse::<EventType>().ok(), Some(e));
            assert_eq!(
                serde_json::to_string(&e).ok(),
                Some(format!("\"{}\"", e.as_str()))
            );
        }
    }
}
