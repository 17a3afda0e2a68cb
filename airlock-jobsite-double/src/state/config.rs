//! DBL-1: the double's configuration and the users it knows.

use serde_json::Value;
use std::collections::BTreeSet;

/// The default upload size limit: 16 MiB (API-19).
pub const DEFAULT_SIZE_LIMIT: u64 = 16 * 1024 * 1024;

/// DBL-1: one user the double knows.
#[derive(Debug, Clone, PartialEq)]
pub struct DoubleUser {
    /// The user object of API-15 that authenticate and authorise answer.
    pub object: Value,
    /// The email address that authenticate also accepts as `user`.
    pub email: String,
    /// The single-use login token.
    pub login_token: String,
    /// The token was used.
    pub token_used: bool,
    /// Authorise answers 403.
    pub disabled: bool,
    /// The workspaces this user may release from (DBL-5, DBL-6).
    pub release_workspaces: BTreeSet<String>,
}

impl DoubleUser {
    /// A user with this object (its `username` is the key), email `<username>@example.org`, the
    /// login token `token`, and release permission on `release_workspaces`.
    pub fn new(object: Value, token: &str, release_workspaces: &[&str]) -> DoubleUser {
        let username = object["username"].as_str().unwrap_or_default().to_string();
        DoubleUser {
            email: format!("{username}@example.org"),
            object,
            login_token: token.to_string(),
            token_used: false,
            disabled: false,
            release_workspaces: release_workspaces.iter().map(|w| w.to_string()).collect(),
        }
    }

    pub(super) fn username(&self) -> &str {
        self.object["username"].as_str().unwrap_or_default()
    }
}

/// DBL-1: the double's configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct DoubleConfig {
    /// The backend token every call must carry as `Authorization` (API-2).
    pub token: String,
    /// The backend's slug, named in the "already uploaded" answer.
    pub backend: String,
    /// The known users.
    pub users: Vec<DoubleUser>,
    /// The known workspaces.
    pub workspaces: BTreeSet<String>,
    /// The upload size limit in bytes.
    pub size_limit: u64,
}

impl DoubleConfig {
    /// A configuration with this token, backend `test`, no users, no workspaces and the
    /// default size limit.
    pub fn new(token: &str) -> DoubleConfig {
        DoubleConfig {
            token: token.to_string(),
            backend: "test".to_string(),
            users: Vec::new(),
            workspaces: BTreeSet::new(),
            size_limit: DEFAULT_SIZE_LIMIT,
        }
    }

    /// Adds a user.
    pub fn with_user(mut self, user: DoubleUser) -> DoubleConfig {
        self.users.push(user);
        self
    }

    /// Adds known workspaces.
    pub fn with_workspaces(mut self, names: &[&str]) -> DoubleConfig {
        self.workspaces.extend(names.iter().map(|n| n.to_string()));
        self
    }
}
