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
