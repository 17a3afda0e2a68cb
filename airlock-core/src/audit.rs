//! Audit event types and entries as data (`behaviour.md` §18, AUD-1 to AUD-3).

use crate::model::{Timestamp, UserId, Visibility};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

macro_rules! audit_types {
    ($($variant:ident => $name:literal, $label:literal;)*) => {
        /// An audit event type (AUD-3). Stored by its upper-case name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum AuditType {
            $(
                #[doc = $label]
                #[serde(rename = $name)]
                $variant,
            )*
        }

        impl AuditType {
            /// Every type, in the order of AUD-3.
            pub const ALL: &'static [AuditType] = &[$(AuditType::$variant),*];

            /// The stored name, e.g. `REQUEST_FILE_ADD`.
            pub fn as_str(self) -> &'static str {
                match self { $(AuditType::$variant => $name,)* }
            }

            /// The label shown in activity views (AUD-6).
            pub fn label(self) -> &'static str {
                match self { $(AuditType::$variant => $label,)* }
            }
        }

        impl FromStr for AuditType {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($name => Ok(AuditType::$variant),)*
                    other => Err(format!("unknown audit type {other:?}")),
                }
            }
        }
    };
}

audit_types! {
    WorkspaceFileView => "WORKSPACE_FILE_VIEW", "Viewed file";
    RequestFileView => "REQUEST_FILE_VIEW", "Viewed file";
    RequestFileDownload => "REQUEST_FILE_DOWNLOAD", "Downloaded file";
    RequestCreate => "REQUEST_CREATE", "Created request";
    RequestSubmit => "REQUEST_SUBMIT", "Submitted request";
    RequestWithdraw => "REQUEST_WITHDRAW", "Withdrew request";
    RequestReview => "REQUEST_REVIEW", "Submitted review";
    RequestApprove => "REQUEST_APPROVE", "Approved request";
    RequestReject => "REQUEST_REJECT", "Rejected request";
    RequestReturn => "REQUEST_RETURN", "Returned request";
    RequestEarlyReturn => "REQUEST_EARLY_RETURN", "Returned early; the turn's votes and comments were reset";
    RequestRelease => "REQUEST_RELEASE", "Released request";
    RequestEdit => "REQUEST_EDIT", "Edited context and controls";
    RequestComment => "REQUEST_COMMENT", "Commented";
    RequestCommentDelete => "REQUEST_COMMENT_DELETE", "Deleted comment";
    RequestCommentVisibilityPublic => "REQUEST_COMMENT_VISIBILITY_PUBLIC", "Made comment public";
    RequestFileAdd => "REQUEST_FILE_ADD", "Added file";
    RequestFileUpdate => "REQUEST_FILE_UPDATE", "Updated file";
    RequestFileWithdraw => "REQUEST_FILE_WITHDRAW", "Withdrew file";
    RequestFileApprove => "REQUEST_FILE_APPROVE", "Approved file";
    RequestFileRequestChanges => "REQUEST_FILE_REQUEST_CHANGES", "Requested changes to file";
    RequestFileResetReview => "REQUEST_FILE_RESET_REVIEW", "Reset review of file";
    RequestFileUndecided => "REQUEST_FILE_UNDECIDED", "Vote moved to undecided";
    RequestFileRelease => "REQUEST_FILE_RELEASE", "Released file";
    RequestFileUpload => "REQUEST_FILE_UPLOAD", "Uploaded file";
}

impl fmt::Display for AuditType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AuditType {
    /// Types left out of the request activity views (AUD-6).
    pub fn hidden_from_activity(self) -> bool {
        matches!(
            self,
            AuditType::WorkspaceFileView
                | AuditType::RequestFileView
                | AuditType::RequestFileUndecided
        )
    }

    /// The longest stored name, for padding the dump (AUD-7).
    pub fn longest_name() -> usize {
        AuditType::ALL
            .iter()
            .map(|t| t.as_str().len())
            .max()
            .unwrap_or(0)
    }
}

/// Extra key for the request's turn (AUD-2).
pub const EXTRA_REVIEW_TURN: &str = "review_turn";
/// Extra key marking operator and scheduled actions (AUD-2).
pub const EXTRA_AUTOMATED: &str = "automated_action";

/// An audit entry before it is appended: everything but `id`, `prev_hash` and `hash` (AUD-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAudit {
    /// Event type.
    pub kind: AuditType,
    /// Acting user id.
    pub user: UserId,
    /// Workspace name.
    pub workspace: String,
    /// Request id, when about a request.
    pub request: Option<String>,
    /// Path, when about a file.
    pub path: Option<String>,
    /// Extra key/value pairs; `review_turn` for every entry about a request (AUD-2).
    pub extra: BTreeMap<String, String>,
    /// Creation time.
    pub created_at: Timestamp,
}

impl NewAudit {
    /// An entry about a request at a turn (AUD-2 adds `review_turn`).
    pub fn about_request(
        kind: AuditType,
        user: &str,
        workspace: &str,
        request: &str,
        turn: i64,
        now: Timestamp,
    ) -> Self {
        let mut extra = BTreeMap::new();
        extra.insert(EXTRA_REVIEW_TURN.to_string(), turn.to_string());
        NewAudit {
            kind,
            user: user.to_string(),
            workspace: workspace.to_string(),
            request: Some(request.to_string()),
            path: None,
            extra,
            created_at: now,
        }
    }

    /// An entry about a workspace file, with no request (WORKSPACE_FILE_VIEW).
    pub fn about_workspace(
        kind: AuditType,
        user: &str,
        workspace: &str,
        path: &str,
        now: Timestamp,
    ) -> Self {
        NewAudit {
            kind,
            user: user.to_string(),
            workspace: workspace.to_string(),
            request: None,
            path: Some(path.to_string()),
            extra: BTreeMap::new(),
            created_at: now,
        }
    }

    /// Builder: sets the path.
    pub fn path(mut self, path: &str) -> Self {
        self.path = Some(path.to_string());
        self
    }

    /// Builder: adds an extra key.
    pub fn extra(mut self, key: &str, value: impl Into<String>) -> Self {
        self.extra.insert(key.to_string(), value.into());
        self
    }

    /// Builder: marks an operator or scheduled action (AUD-2).
    pub fn automated(self) -> Self {
        self.extra(EXTRA_AUTOMATED, "true")
    }
}

/// A stored audit entry (AUD-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Increasing id.
    pub id: i64,
    /// The entry's content.
    #[serde(flatten)]
    pub entry: NewAudit,
    /// Hidden by an early return (RET-3).
    pub hidden: bool,
    /// Previous entry's hash, or 64 zeros.
    pub prev_hash: String,
    /// This entry's hash (AUD-4).
    pub hash: String,
}

impl AuditEntry {
    /// The visibility used by VIS-2: the extra `visibility`, else PUBLIC.
    pub fn visibility(&self) -> Visibility {
        match self.entry.extra.get("visibility").map(String::as_str) {
            Some("PRIVATE") => Visibility::Private,
            _ => Visibility::Public,
        }
    }

    /// The turn used by VIS-2: the extra `review_turn`, else 0.
    pub fn turn(&self) -> i64 {
        self.entry
            .extra
            .get(EXTRA_REVIEW_TURN)
            .and_then(|t| t.parse().ok())
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aud_3_names_round_trip_and_are_unique() {
        let mut names = std::collections::HashSet::new();
        for t in AuditType::ALL {
            assert!(names.insert(t.as_str()));
            assert_eq!(t.as_str().parse::<AuditType>().ok(), Some(*t));
        }
        assert_eq!(AuditType::ALL.len(), 25);
        assert_eq!(
            AuditType::longest_name(),
            "REQUEST_COMMENT_VISIBILITY_PUBLIC".len()
        );
    }

    #[test]
    fn vis_2_defaults() {
        let now = chrono::DateTime::UNIX_EPOCH;
        let mut entry = AuditEntry {
            id: 1,
            entry: NewAudit::about_workspace(AuditType::WorkspaceFileView, "u", "w", "p", now),
            hidden: false,
            prev_hash: String::new(),
            hash: String::new(),
        };
        assert_eq!(entry.visibility(), Visibility::Public);
        assert_eq!(entry.turn(), 0);
        entry
            .entry
            .extra
            .insert("visibility".into(), "PRIVATE".into());
        entry.entry.extra.insert("review_turn".into(), "3".into());
        assert_eq!(entry.visibility(), Visibility::Private);
        assert_eq!(entry.turn(), 3);
    }
}
