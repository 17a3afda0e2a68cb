//! The one error type of Airlock (`behaviour.md` §0.2, §21): a stable code and a human message.

use std::fmt;

/// How a refused action answers on the web (§21, "HTTP" column; `api.md` §1 for the API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WebAnswer {
    /// 400: malformed input (API only).
    BadRequest,
    /// 401: not logged in or login failed (API).
    Unauthenticated,
    /// 403.
    Forbidden,
    /// 404.
    NotFound,
    /// A form post is redirected back with the message; the API answers 409.
    Redirect,
    /// The login form is shown again (API: 401).
    LoginForm,
    /// Redirect to the login page (API: 401).
    RedirectToLogin,
    /// 500: an unexpected failure, never by design.
    Internal,
}

impl WebAnswer {
    /// The HTTP status the JSON API answers with (`api.md` §1).
    pub fn api_status(self) -> u16 {
        match self {
            WebAnswer::BadRequest => 400,
            WebAnswer::Unauthenticated | WebAnswer::LoginForm | WebAnswer::RedirectToLogin => 401,
            WebAnswer::Forbidden => 403,
            WebAnswer::NotFound => 404,
            WebAnswer::Redirect => 409,
            WebAnswer::Internal => 500,
        }
    }
}

macro_rules! error_codes {
    ($($variant:ident => $code:literal, $answer:ident, $message:literal;)*) => {
        /// Every stable error code (§21, plus the API's `bad_request`, `bad_path`,
        /// `unauthenticated` and `internal`, and the store's `conflict` and `config`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ErrorCode {
            $(
                #[doc = $message]
                $variant,
            )*
        }

        impl ErrorCode {
            /// Every code, in the order of the specification's table.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The stable code, e.g. `not_found`.
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            /// How the web answers this code.
            pub fn web_answer(self) -> WebAnswer {
                match self { $(ErrorCode::$variant => WebAnswer::$answer,)* }
            }

            /// The default human message for the code.
            pub fn default_message(self) -> &'static str {
                match self { $(ErrorCode::$variant => $message,)* }
            }

            /// Parses a stable code.
            pub fn parse(code: &str) -> Option<ErrorCode> {
                match code { $($code => Some(ErrorCode::$variant),)* _ => None }
            }
        }
    };
}

error_codes! {
    NotFound => "not_found", NotFound, "That workspace, request, group, file or comment does not exist.";
    PermissionDenied => "permission_denied", Forbidden, "You are not allowed to do that.";
    NoWorkspaceRole => "no_workspace_role", Forbidden, "You have no role on this workspace, so you cannot author requests there.";
    InvalidTransition => "invalid_transition", Redirect, "A request cannot make that status change.";
    WorkspaceArchived => "workspace_archived", Redirect, "The workspace is archived.";
    ProjectInactive => "project_inactive", Redirect, "The project of the workspace is not ongoing.";
    RequestNotEditable => "request_not_editable", Redirect, "This request cannot be changed in its current status.";
    NotUnderReview => "not_under_review", Redirect, "This request cannot be reviewed in its current status.";
    NoOutputFiles => "no_output_files", Redirect, "Add at least one output file before submitting.";
    IncompleteGroups => "incomplete_groups", Redirect, "Some file groups need both context and controls.";
    MissingPublicComments => "missing_public_comments", Redirect, "Some file groups need a public comment from this turn.";
    NotAllFilesReviewed => "not_all_files_reviewed", Redirect, "Vote on every output file before submitting your review.";
    MissingReviewComments => "missing_review_comments", Redirect, "Comment on every group where you requested changes before submitting your review.";
    ReviewAlreadySubmitted => "review_already_submitted", Redirect, "Your review of this request has already been submitted.";
    VoteNotFound => "vote_not_found", NotFound, "You have no vote on this file to reset.";
    NotOutputFile => "not_output_file", Redirect, "Only output files on this request can be voted on.";
    NotAllFilesApproved => "not_all_files_approved", Redirect, "Every output file must be approved before release.";
    InvalidFileType => "invalid_file_type", Redirect, "Files of this type cannot be added or released.";
    MetadataFileNotAddable => "metadata_file_not_addable", Redirect, "Files in the metadata folder can never be added to a request.";
    NotAnOutput => "not_an_output", Redirect, "This file is not a job output and cannot be added.";
    FileAlreadyOnRequest => "file_already_on_request", Redirect, "This file is already on the request.";
    ReleasedFileOutput => "released_file_output", Redirect, "This file has been released already; it can only be added as a supporting file.";
    HashMismatch => "hash_mismatch", Redirect, "The file changed while it was being copied; please try again.";
    FileUnchanged => "file_unchanged", Redirect, "The workspace copy of this file has not changed.";
    FileNoLongerValid => "file_no_longer_valid", Redirect, "This file is no longer an output in the workspace; it can be withdrawn but not updated.";
    FileAlreadyWithdrawn => "file_already_withdrawn", Redirect, "This file is already withdrawn.";
    FileWithdrawn => "file_withdrawn", Redirect, "A withdrawn file cannot be moved or retyped.";
    NoChanges => "no_changes", Redirect, "Nothing would change.";
    InvalidGroupName => "invalid_group_name", Redirect, "That group name is not allowed.";
    GroupExists => "group_exists", Redirect, "A file group with that name already exists.";
    CommentEmpty => "comment_empty", Redirect, "Write something before posting.";
    VisibilityNotAllowed => "visibility_not_allowed", Redirect, "You cannot post a comment with that visibility now.";
    CommentTurnClosed => "comment_turn_closed", Redirect, "This comment belongs to an earlier turn and can no longer be changed.";
    CommentAlreadyPublic => "comment_already_public", Redirect, "This comment is already public.";
    JobsSiteForbidden => "jobs_site_forbidden", Redirect, "The jobs site refused the release (permission denied).";
    ReleaseFailed => "release_failed", Redirect, "Releasing failed; please contact tech support.";
    LoginFailed => "login_failed", LoginForm, "Invalid user or token.";
    SessionExpired => "session_expired", RedirectToLogin, "Please log in again: your access could not be confirmed.";
    BadRequest => "bad_request", BadRequest, "The request was malformed.";
    BadPath => "bad_path", BadRequest, "That path is not allowed.";
    Unauthenticated => "unauthenticated", Unauthenticated, "Please log in.";
    Internal => "internal", Internal, "Something went wrong; please contact tech support.";
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused action: a stable [`ErrorCode`] and a human message (§0.2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct AirlockError {
    code: ErrorCode,
    message: String,
}

impl AirlockError {
    /// An error with the code's default message.
    pub fn new(code: ErrorCode) -> Self {
        AirlockError {
            code,
            message: code.default_message().to_string(),
        }
    }

    /// An error with a specific message.
    pub fn with_message(code: ErrorCode, message: impl Into<String>) -> Self {
        AirlockError {
            code,
            message: message.into(),
        }
    }

    /// The error's code enum.
    pub fn error_code(&self) -> ErrorCode {
        self.code
    }

    /// The stable code string, e.g. `not_under_review`.
    pub fn code(&self) -> &'static str {
        self.code.as_str()
    }

    /// The human message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// How the web answers this error.
    pub fn web_answer(&self) -> WebAnswer {
        self.code.web_answer()
    }

    /// `not_found` with the default message.
    pub fn not_found() -> Self {
        Self::new(ErrorCode::NotFound)
    }

    /// `permission_denied` with the default message.
    pub fn permission_denied() -> Self {
        Self::new(ErrorCode::PermissionDenied)
    }
}

impl From<ErrorCode> for AirlockError {
    fn from(code: ErrorCode) -> Self {
        AirlockError::new(code)
    }
}

/// Result of a rule check.
pub type Result<T, E = AirlockError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "duplicate {code}");
            assert_eq!(ErrorCode::parse(code.as_str()), Some(*code));
        }
        assert_eq!(ErrorCode::parse("nope"), None);
    }

    #[test]
    fn spec_21_http_answers() {
        assert_eq!(ErrorCode::NotFound.web_answer().api_status(), 404);
        assert_eq!(ErrorCode::VoteNotFound.web_answer().api_status(), 404);
        assert_eq!(ErrorCode::PermissionDenied.web_answer().api_status(), 403);
        assert_eq!(ErrorCode::NoWorkspaceRole.web_answer().api_status(), 403);
        assert_eq!(ErrorCode::InvalidTransition.web_answer().api_status(), 409);
        assert_eq!(ErrorCode::LoginFailed.web_answer().api_status(), 401);
        assert_eq!(ErrorCode::BadPath.web_answer().api_status(), 400);
    }
}
