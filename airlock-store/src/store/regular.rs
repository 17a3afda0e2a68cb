//! OPS-2's author lookup and OPS-3's regular release requests, shared by the `airlock` commands
//! and the worker's daily run.

use super::Store;
use super::directory::{DirReport, DirRequest};
use crate::auth::Directory;
use airlock_core::regular::{RegularRequest, parse_entries};
use airlock_core::{AirlockError, ErrorCode, User};
use serde::Serialize;

/// The result of one regular-request entry (OPS-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegularResult {
    /// Position of the entry in the file, from 1.
    pub entry: usize,
    /// The entry's workspace, when it names one.
    pub workspace: Option<String>,
    /// Whether the request was created or extended (and submitted when asked).
    pub completed: bool,
    /// The request, when there is one.
    pub request_id: Option<String>,
    /// What happened, or why the entry failed.
    pub message: String,
    /// True when the entry failed (an invalid entry, an error, or a file that could not be
    /// added).
    pub failed: bool,
}

impl Store {
    /// OPS-2: the author's record, fetched now from the Jobs site (authorise endpoint) or the
    /// users file in test mode, and saved (USR-3).
    pub fn fetch_user(&self, directory: &Directory, username: &str) -> airlock_core::Result<User> {
        let user = match directory {
            Directory::UsersFile(users) => users.user(username).cloned().ok_or_else(|| {
                AirlockError::with_message(
                    ErrorCode::NotFound,
                    format!("No user {username:?} in the users file."),
                )
            })?,
            Directory::JobSite(client) => client.authorise(username).map_err(|e| {
                AirlockError::with_message(
                    ErrorCode::NotFound,
                    format!("The Jobs site did not give the record of {username:?}: {e}"),
                )
            })?,
        };
        self.save_user(&user)?;
        Ok(user)
    }

    /// OPS-2 for one workspace: the author is `username`, or (when it is `None` or empty) the
    /// user of the most recently written manifest output.
    pub fn create_request_for(
        &self,
        directory: &Directory,
        workspace: &str,
        username: Option<&str>,
        spec: &DirRequest,
    ) -> airlock_core::Result<DirReport> {
        self.require_workspace(workspace)?;
        let author = match username.filter(|u| !u.is_empty()) {
            Some(name) => name.to_string(),
            None => {
                let ws = self.workspaces().open(workspace)?;
                match ws.manifest().latest_output_user() {
                    Some(user) => user.to_string(),
                    None => {
                        return Err(AirlockError::with_message(
                            ErrorCode::NotFound,
                            format!(
                                "Workspace {workspace} has no output with a user in its \
                                 manifest: name the author."
                            ),
                        ));
                    }
                }
            }
        };
        let author = self.fetch_user(directory, &author)?;
        self.create_request_from_dirs(&author, workspace, spec)
    }

    /// OPS-3: runs OPS-2 for every entry of a regular-requests file, in order. One entry's
    /// failure (invalid, refused, or with files that could not be added) never stops the
    /// others. `Err` only when the file is not a JSON list.
    pub fn run_regular_requests(
        &self,
        directory: &Directory,
        bytes: &[u8],
    ) -> Result<Vec<RegularResult>, String> {
        let entries = parse_entries(bytes).map_err(|e| e.to_string())?;
        Ok(entries
            .into_iter()
            .enumerate()
            .map(|(i, entry)| self.run_entry(directory, i + 1, entry))
            .collect())
    }

    fn run_entry(
        &self,
        directory: &Directory,
        number: usize,
        entry: Result<RegularRequest, Vec<airlock_core::regular::RegularError>>,
    ) -> RegularResult {
        let entry = match entry {
            Ok(entry) => entry,
            Err(errors) => {
                return RegularResult {
                    entry: number,
                    workspace: errors.iter().find_map(|e| e.workspace.clone()),
                    completed: false,
                    request_id: None,
                    message: errors
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                    failed: true,
                };
            }
        };
        let spec = DirRequest {
            dirs: entry.dirs.clone(),
            supporting: entry.supporting_files.clone(),
            context: Some(entry.context.clone()).filter(|c| !c.is_empty()),
            controls: Some(entry.controls.clone()).filter(|c| !c.is_empty()),
            submit: entry.submit,
        };
        let outcome = self.create_request_for(
            directory,
            &entry.workspace_name,
            entry.effective_username(),
            &spec,
        );
        let (completed, request_id, message, failed) = match outcome {
            Ok(report) => {
                let failed = report.failures().next().is_some();
                (report.completed, report.request_id, report.message, failed)
            }
            Err(e) => (false, None, e.to_string(), true),
        };
        RegularResult {
            entry: number,
            workspace: Some(entry.workspace_name),
            completed,
            request_id,
            message,
            failed,
        }
    }
}

impl Store {
    /// OPS-3: claims today's (UTC) run of the scheduled job `name`: true for exactly one caller
    /// per day, across workers and restarts.
    pub fn claim_daily_run(&self, name: &str) -> airlock_core::Result<bool> {
        let today = self.now().format("%Y-%m-%d").to_string();
        self.transaction(|conn| Ok(crate::db::upload::claim_daily_run(conn, name, &today)?))
    }
}
