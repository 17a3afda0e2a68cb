//! The user record (`behaviour.md` USR-1, USR-2) as the Jobs site sends it (`jobserver-api.md`
//! API-15).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The project a workspace belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectDetails {
    /// Project name.
    pub name: String,
    /// The project is ongoing.
    #[serde(default)]
    pub ongoing: bool,
    /// Organisations, lead first; missing means empty (USR-1).
    #[serde(default)]
    pub orgs: Vec<String>,
}

/// A user's grant on one workspace (USR-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The workspace's project.
    pub project_details: ProjectDetails,
    /// The workspace is archived.
    #[serde(default)]
    pub archived: bool,
}

impl Grant {
    /// A grant on an ongoing, unarchived project (handy for tests and fixtures).
    pub fn active(project: &str) -> Self {
        Grant {
            project_details: ProjectDetails {
                name: project.to_string(),
                ongoing: true,
                orgs: Vec::new(),
            },
            archived: false,
        }
    }
}

/// The user record (USR-1). `user_id` equals `username`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Login name on the Jobs site; also the primary key.
    pub username: String,
    /// Display name; `username` is shown when it is null or empty.
    #[serde(default)]
    pub fullname: Option<String>,
    /// Workspaces on which the user holds a role.
    #[serde(default)]
    pub workspaces: BTreeMap<String, Grant>,
    /// Workspaces of projects the user copilots.
    #[serde(default)]
    pub copiloted_workspaces: BTreeMap<String, Grant>,
    /// The user is an output checker for every workspace.
    #[serde(default)]
    pub output_checker: bool,
    /// Tech-support read access to every workspace.
    #[serde(default)]
    pub readonly_access: bool,
}

impl User {
    /// A user with no grants and no flags.
    pub fn new(username: &str) -> Self {
        User {
            username: username.to_string(),
            fullname: None,
            workspaces: BTreeMap::new(),
            copiloted_workspaces: BTreeMap::new(),
            output_checker: false,
            readonly_access: false,
        }
    }

    /// The user id (USR-1: equal to `username`).
    pub fn id(&self) -> &str {
        &self.username
    }

    /// The name to display: `fullname`, or `username` when it is null or empty.
    pub fn display_name(&self) -> &str {
        match self.fullname.as_deref() {
            Some(name) if !name.trim().is_empty() => name,
            _ => &self.username,
        }
    }

    /// Builder: adds a role grant.
    pub fn with_role(mut self, workspace: &str, grant: Grant) -> Self {
        self.workspaces.insert(workspace.to_string(), grant);
        self
    }

    /// Builder: adds a copilot grant.
    pub fn with_copilot(mut self, workspace: &str, grant: Grant) -> Self {
        self.copiloted_workspaces
            .insert(workspace.to_string(), grant);
        self
    }

    /// Builder: makes the user an output checker.
    pub fn checker(mut self) -> Self {
        self.output_checker = true;
        self
    }

    /// Builder: gives the user read-only access.
    pub fn readonly(mut self) -> Self {
        self.readonly_access = true;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usr_2_missing_fields_default() {
        let user: User = serde_json::from_str(r#"{"username": "u"}"#).expect("parses");
        assert!(user.workspaces.is_empty());
        assert!(user.copiloted_workspaces.is_empty());
        assert!(!user.output_checker && !user.readonly_access);
        assert_eq!(user.display_name(), "u");
    }

    #[test]
    fn usr_1_missing_orgs_is_empty_and_unknown_fields_are_ignored() {
        let user: User = serde_json::from_str(
            r#"{"username": "u", "fullname": "", "extra": 1,
                "workspaces": {"w": {"project_details": {"name": "P", "ongoing": true}, "archived": false}}}"#,
        )
        .expect("parses");
        assert_eq!(
            user.workspaces["w"].project_details.orgs,
            Vec::<String>::new()
        );
        assert_eq!(user.display_name(), "u");
    }
}
