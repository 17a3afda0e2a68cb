//! OPS-2: create (or extend) a request from workspace directories, for the `create-request`
//! command and the daily regular requests (OPS-3).

use super::Store;
use super::act::Target;
use super::file::{current_state, released_hashes};
use airlock_core::action::{self, Action, DirFileAction, DirPrecheck, GroupChoice, NewFile};
use airlock_core::workspace::TreeOptions;
use airlock_core::{AirlockError, User};
use serde::Serialize;

/// What to create: the OPS-2 options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirRequest {
    /// The directories, one group each.
    pub dirs: Vec<String>,
    /// Paths under the directories to add as SUPPORTING.
    pub supporting: Vec<String>,
    /// Context set on every group of the request, when given.
    pub context: Option<String>,
    /// Controls set on every group of the request, when given.
    pub controls: Option<String>,
    /// Submit the request afterwards (needs context and controls).
    pub submit: bool,
}

/// The OPS-2 result: `{"completed", "request_id", "message"}`, plus what happened to each file
/// for the operator's eyes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DirReport {
    /// Whether the request was created or extended (and submitted when asked).
    pub completed: bool,
    /// The request, when there is one.
    pub request_id: Option<String>,
    /// What happened, in a few words.
    pub message: String,
    /// Each file added or updated, or why not, in plan order.
    #[serde(skip)]
    pub files: Vec<(String, Result<DirFileAction, AirlockError>)>,
    /// Files skipped because they were released already.
    #[serde(skip)]
    pub released: Vec<String>,
    /// Files already on the request with their current content.
    #[serde(skip)]
    pub unchanged: Vec<String>,
}

impl DirReport {
    fn stopped(request_id: Option<String>, message: &str) -> Self {
        DirReport {
            completed: false,
            request_id,
            message: message.to_string(),
            files: Vec::new(),
            released: Vec::new(),
            unchanged: Vec::new(),
        }
    }

    /// The files that could not be added or updated.
    pub fn failures(&self) -> impl Iterator<Item = (&str, &AirlockError)> {
        self.files
            .iter()
            .filter_map(|(path, r)| r.as_ref().err().map(|e| (path.as_str(), e)))
    }
}

impl Store {
    /// OPS-2 for `author` (whose record the caller has just fetched and saved): adds every
    /// shown, allowed-type file under each directory to the author's current request, one group
    /// per directory, updates changed ones, sets context and controls on every group, and
    /// submits when asked. Every audit entry is marked `automated_action` (AUD-2). Stops early
    /// with `completed: false` on "Already released" and "Already submitted". With `submit`, a
    /// file that cannot be added fails the whole command (`Err`) before the submission; the
    /// files added so far stay on the request, as they would for a researcher.
    pub fn create_request_from_dirs(
        &self,
        author: &User,
        workspace: &str,
        spec: &DirRequest,
    ) -> airlock_core::Result<DirReport> {
        let context = spec.context.as_deref().unwrap_or("");
        let controls = spec.controls.as_deref().unwrap_or("");
        action::check_directory_options(spec.submit, context, controls)?;
        let store = self.automated();
        let ws = self.workspaces.open(workspace)?;
        let (current, released) = {
            let mut conn = self.conn()?;
            (
                current_state(&mut conn, workspace, author)?,
                released_hashes(&mut conn, workspace)?,
            )
        };
        let plan = {
            let tree = ws.tree(TreeOptions::default(), current.as_ref(), &released)?;
            action::plan_directories(&tree, &spec.dirs, &spec.supporting)?
        };
        let mut request_id = current.as_ref().map(|s| s.request.id.clone());
        let precheck = action::precheck_directories(&plan, current.as_ref());
        if let Some(message) = precheck.message() {
            let id = (precheck == DirPrecheck::AlreadySubmitted)
                .then_some(request_id)
                .flatten();
            return Ok(DirReport::stopped(id, message));
        }
        let mut report = DirReport::stopped(None, "");
        report.released = plan.released;
        report.unchanged = plan.unchanged;
        for group in &plan.groups {
            let files: Vec<NewFile> = group
                .files
                .iter()
                .filter(|f| f.action == DirFileAction::Add)
                .map(|f| NewFile {
                    path: f.relpath.clone(),
                    filetype: f.filetype,
                })
                .collect();
            if !files.is_empty() {
                let add = Action::AddFiles {
                    group: GroupChoice::Named(group.group.clone()),
                    files,
                };
                let added = store.act(author, Target::Current(workspace), &add)?;
                request_id = added.request_id.or(request_id);
                for (path, result) in added.parts {
                    report
                        .files
                        .push((path, result.map(|()| DirFileAction::Add)));
                }
            }
            let paths: Vec<String> = group
                .files
                .iter()
                .filter(|f| f.action == DirFileAction::Update)
                .map(|f| f.relpath.clone())
                .collect();
            if !paths.is_empty() {
                let parts = match &request_id {
                    Some(id) => {
                        let update = Action::UpdateFiles { paths };
                        store.act(author, Target::Request(id), &update)?.parts
                    }
                    None => paths
                        .into_iter()
                        .map(|p| (p, Err(AirlockError::not_found())))
                        .collect(),
                };
                for (path, result) in parts {
                    report
                        .files
                        .push((path, result.map(|()| DirFileAction::Update)));
                }
            }
        }
        let Some(id) = request_id else {
            report.message = "Nothing to add".to_string();
            return Ok(report);
        };
        report.request_id = Some(id.clone());
        if spec.context.is_some() || spec.controls.is_some() {
            let state = self.get_request_state(author, &id)?;
            for group in &state.groups {
                let context = spec.context.as_deref().unwrap_or(&group.context);
                let controls = spec.controls.as_deref().unwrap_or(&group.controls);
                let edit = Action::EditGroup {
                    group: group.name.clone(),
                    context: context.to_string(),
                    controls: controls.to_string(),
                };
                match store.act(author, Target::Request(&id), &edit) {
                    Ok(_) => {}
                    Err(e) if e.error_code() == airlock_core::ErrorCode::NoChanges => {}
                    Err(e) => return Err(e),
                }
            }
        }
        let failed = report.failures().count();
        if spec.submit {
            if let Some((path, first)) = report.failures().next() {
                return Err(AirlockError::with_message(
                    first.error_code(),
                    format!(
                        "{failed} file(s) could not be added, so request {id} was not \
                         submitted; the first: {path}: {}",
                        first.message()
                    ),
                ));
            }
            store.act(author, Target::Request(&id), &Action::Submit)?;
        }
        let changed = report.files.len() - failed;
        report.completed = true;
        report.message = match (spec.submit, current.is_some()) {
            (true, _) => format!("Submitted request {id} ({changed} file(s) added or updated)"),
            (false, false) => format!("Created request {id} with {changed} file(s)"),
            (false, true) => format!("Extended request {id} with {changed} file(s)"),
        };
        if failed > 0 {
            report
                .message
                .push_str(&format!("; {failed} file(s) could not be added"));
        }
        Ok(report)
    }
}
