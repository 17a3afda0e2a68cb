//! The failures of the workspace reader, with their stable codes (§21).

use airlock_core::{AirlockError, ErrorCode};
use std::io;

/// A failure of the workspace reader.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// FMT-1: no such workspace, or a name that cannot be one.
    #[error("workspace {0:?} does not exist")]
    UnknownWorkspace(String),
    /// FMT-5: a path that is not an acceptable relative path.
    #[error("{0}")]
    BadPath(AirlockError),
    /// WS-1, FMT-4: the workspace does not show this path.
    #[error("{path:?} is not a file of workspace {workspace:?}")]
    NotShown {
        /// Workspace name.
        workspace: String,
        /// Relative path.
        path: String,
    },
    /// FMT-5: the path resolves (symbolic links included) outside the workspace directory.
    #[error("{path:?} resolves outside workspace {workspace:?}")]
    OutsideWorkspace {
        /// Workspace name.
        workspace: String,
        /// Relative path.
        path: String,
    },
    /// The path does not exist on disk or is not a regular file.
    #[error("{path:?} is not present in workspace {workspace:?}")]
    Missing {
        /// Workspace name.
        workspace: String,
        /// Relative path.
        path: String,
    },
    /// A filesystem failure.
    #[error("workspace reader: {context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

impl WorkspaceError {
    /// The stable error code (§21): `not_found`, `bad_path` or `internal`.
    pub fn code(&self) -> ErrorCode {
        match self {
            WorkspaceError::BadPath(e) => e.error_code(),
            WorkspaceError::Io { .. } => ErrorCode::Internal,
            _ => ErrorCode::NotFound,
        }
    }
}

impl From<WorkspaceError> for AirlockError {
    fn from(e: WorkspaceError) -> Self {
        match e {
            WorkspaceError::BadPath(inner) => inner,
            // Machine paths stay in the log, out of user-facing messages.
            WorkspaceError::Io { .. } => AirlockError::new(ErrorCode::Internal),
            other => AirlockError::with_message(ErrorCode::NotFound, other.to_string()),
        }
    }
}

/// Wraps an I/O failure with what was being done.
pub(super) fn io_err(context: impl Into<String>) -> impl FnOnce(io::Error) -> WorkspaceError {
    let context = context.into();
    move |source| WorkspaceError::Io { context, source }
}
