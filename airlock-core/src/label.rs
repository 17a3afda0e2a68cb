//! The words every surface shows for a status, a decision, a vote, a file type and a file's
//! workspace status (PG-5: status, decision and hint always in words as well as colour), so
//! the pages, the CLI and the docs say the same thing. Request statuses have theirs in
//! [`Status::label`](crate::Status::label) (ST-1).

use crate::model::{Decision, FileType, VoteStatus};
use crate::status::{Phase, Status};
use crate::workspace::WorkspaceFileStatus;

/// WS-5 in words, as the viewer's own request sees the file.
pub fn file_status(status: WorkspaceFileStatus) -> &'static str {
    match status {
        WorkspaceFileStatus::Unreleased => "Not added",
        WorkspaceFileStatus::UnderReview => "On your request",
        WorkspaceFileStatus::Released => "Released",
        WorkspaceFileStatus::Updated => "Changed since added",
        WorkspaceFileStatus::Withdrawn => "Withdrawn",
        WorkspaceFileStatus::Invalid => "Not an output",
    }
}

/// REV-6, REV-7 in words.
pub fn decision(decision: Decision) -> &'static str {
    match decision {
        Decision::Incomplete => "Incomplete",
        Decision::Approved => "Approved",
        Decision::Conflicted => "Conflicted",
        Decision::ChangesRequested => "Changes requested",
    }
}

/// A vote in words (REV-13 names the selected buttons the same way).
pub fn vote(vote: VoteStatus) -> &'static str {
    match vote {
        VoteStatus::Approved => "Approved",
        VoteStatus::ChangesRequested => "Changes requested",
        VoteStatus::Undecided => "Undecided",
    }
}

/// FIL-2 in words.
pub fn file_type(filetype: FileType) -> &'static str {
    match filetype {
        FileType::Output => "Output",
        FileType::Supporting => "Supporting",
        FileType::Withdrawn => "Withdrawn",
    }
}

/// PG-17: who owns the turn, in words.
pub fn turn_owner(status: Status) -> &'static str {
    match status.phase() {
        Phase::Author => "With the author",
        Phase::Independent => "Under independent review",
        Phase::Consolidating => "Under consolidation",
        Phase::Complete => "Complete",
    }
}

/// PG-8: what a user may do, in a few words, for the one-click logins of test mode: "Output
/// checker", "Researcher on 3 workspaces", "Copilot of 2 workspaces", "Read-only, every
/// workspace", "No access"; several joined with " · ".
pub fn roles(user: &crate::user::User) -> String {
    let count = |n: usize| {
        if n == 1 {
            "1 workspace".to_string()
        } else {
            format!("{n} workspaces")
        }
    };
    let mut parts = Vec::new();
    if user.output_checker {
        parts.push("Output checker".to_string());
    }
    if !user.workspaces.is_empty() {
        parts.push(format!("Researcher on {}", count(user.workspaces.len())));
    }
    if !user.copiloted_workspaces.is_empty() {
        parts.push(format!(
            "Copilot of {}",
            count(user.copiloted_workspaces.len())
        ));
    }
    if user.readonly_access {
        parts.push("Read-only, every workspace".to_string());
    }
    if parts.is_empty() {
        parts.push("No access".to_string());
    }
    parts.join(" · ")
}

/// PG-20: what an audit entry did, in words, without who did it: "approved output/a.csv in
/// group tables".
pub fn activity(entry: &crate::audit::NewAudit) -> String {
    use crate::audit::AuditType as T;
    let path = entry.path.as_deref().unwrap_or("a file");
    let group = entry.extra.get("group").map(String::as_str);
    let in_group = |text: String| match group {
        Some(g) => format!("{text} in group {g}"),
        None => text,
    };
    match entry.kind {
        T::WorkspaceFileView | T::RequestFileView => format!("viewed {path}"),
        T::RequestFileDownload => format!("downloaded {path}"),
        T::RequestCreate => "created the request".into(),
        T::RequestSubmit => "submitted the request".into(),
        T::RequestWithdraw => "withdrew the request".into(),
        T::RequestReview => "submitted their review".into(),
        T::RequestApprove => "approved the request".into(),
        T::RequestReject => "rejected the request".into(),
        T::RequestReturn => "returned the request".into(),
        T::RequestEarlyReturn => {
            "returned the request early; the turn's votes and comments were reset".into()
        }
        T::RequestRelease => "released the request".into(),
        T::RequestEdit => match group {
            Some(g) => format!("edited the context and controls of group {g}"),
            None => "edited the context and controls".into(),
        },
        T::RequestComment => match (&entry.path, group) {
            (Some(p), Some(g)) => format!("commented on {p} in group {g}"),
            (None, Some(g)) => format!("commented on group {g}"),
            _ => "commented".into(),
        },
        T::RequestCommentDelete => in_group("deleted a comment".into()),
        T::RequestCommentVisibilityPublic => in_group("made a comment public".into()),
        T::RequestFileAdd => match group {
            Some(g) => format!("added {path} to group {g}"),
            None => format!("added {path}"),
        },
        T::RequestFileUpdate => in_group(format!("updated {path}")),
        T::RequestFileWithdraw => match group {
            Some(g) => format!("withdrew {path} from group {g}"),
            None => format!("withdrew {path}"),
        },
        T::RequestFileApprove => in_group(format!("approved {path}")),
        T::RequestFileRequestChanges => in_group(format!("requested changes to {path}")),
        T::RequestFileResetReview => in_group(format!("reset their vote on {path}")),
        T::RequestFileUndecided => format!("had their vote on {path} moved to undecided"),
        T::RequestFileRelease => format!("released {path}"),
        T::RequestFileUpload => format!("uploaded {path}"),
    }
}

#[cfg(test)]
mod tests {
    use super::activity;
    use crate::audit::{AuditType, NewAudit};

    fn entry(kind: AuditType) -> NewAudit {
        NewAudit::about_request(kind, "u", "ws", "r", 1, chrono::DateTime::UNIX_EPOCH)
            .path("output/a.csv")
            .extra("group", "tables")
    }

    #[test]
    fn pg_8_roles_in_words() {
        use crate::user::{Grant, User};
        let mut user = User::new("u");
        assert_eq!(super::roles(&user), "No access");
        user.output_checker = true;
        user.workspaces.insert("a".into(), Grant::active("P"));
        assert_eq!(
            super::roles(&user),
            "Output checker · Researcher on 1 workspace"
        );
    }

    #[test]
    fn pg_20_activity_names_the_file_and_group() {
        assert_eq!(
            activity(&entry(AuditType::RequestFileApprove)),
            "approved output/a.csv in group tables"
        );
        assert_eq!(
            activity(&entry(AuditType::RequestFileAdd)),
            "added output/a.csv to group tables"
        );
    }

    #[test]
    fn pg_20_every_file_activity_names_its_file() {
        for kind in AuditType::ALL {
            let text = activity(&entry(*kind));
            assert!(!text.is_empty(), "{kind}");
            let about_file = kind.as_str().contains("FILE");
            if about_file {
                assert!(text.contains("output/a.csv"), "{kind}: {text}");
            }
        }
    }
}
