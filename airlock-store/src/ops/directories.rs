//! OPS-2: create (or extend) a request from workspace directories, for the `create-request`
//! command and the daily regular requests (OPS-3).

use super::AddItem;
use super::Store;
use super::files::{current_state, released_hashes};
use airlock_core::ops::{self, DirFileAction, DirPrecheck, GroupTarget};
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
        ops::check_directory_options(spec.submit, context, controls)?;
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
            ops::plan_directories(&tree, &spec.dirs, &spec.supporting)?
        };
        let mut request_id = current.as_ref().map(|s| s.request.id.clone());
        let precheck = ops::precheck_directories(&plan, current.as_ref());
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
            let adds: Vec<AddItem> = group
                .files
                .iter()
                .filter(|f| f.action == DirFileAction::Add)
                .map(|f| AddItem::new(f.relpath.clone(), f.filetype))
                .collect();
            if !adds.is_empty() {
                let added =
                    store.add_files(author, workspace, GroupTarget::Named(&group.group), &adds)?;
                request_id = added.request_id.or(request_id);
                for (path, result) in added.results {
                    report
                        .files
                        .push((path, result.map(|()| DirFileAction::Add)));
                }
            }
            for file in group
                .files
                .iter()
                .filter(|f| f.action == DirFileAction::Update)
            {
                let result = match &request_id {
                    Some(id) => store.update_file(author, id, &file.relpath),
                    None => Err(AirlockError::not_found()),
                };
                report
                    .files
                    .push((file.relpath.clone(), result.map(|()| DirFileAction::Update)));
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
                match store.edit_group(author, &id, &group.name, context, controls) {
                    Ok(()) => {}
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
            store.submit(author, &id)?;
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
