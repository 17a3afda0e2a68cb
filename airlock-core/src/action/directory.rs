//! OPS-2: what "create a request from directories" does, decided over the workspace tree.
//!
//! The store reads the tree (with statuses relative to the author's current request, WS-5) and
//! asks [`plan_directories`] which file goes to which group with which type and action; then
//! [`precheck_directories`] says whether to go on at all. The adds, updates, group edits and
//! the submission themselves are the ordinary actions, so every rule of §8 to §9 still applies.

use super::file::normalise_group_name;
use crate::RequestState;
use crate::error::{AirlockError, ErrorCode, Result};
use crate::model::FileType;
use crate::workspace::{NodeKind, WorkspaceFileStatus, WorkspaceTree, validate_relpath};
use std::collections::BTreeSet;

/// What to do with one file of a directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirFileAction {
    /// Not on the current request (or withdrawn there): add it (FIL-4).
    Add,
    /// On the current request with older content: update it (FIL-7).
    Update,
}

/// One file of a directory group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirFile {
    /// The workspace path.
    pub relpath: String,
    /// OUTPUT, or SUPPORTING when named by `--supporting`.
    pub filetype: FileType,
    /// Add or update.
    pub action: DirFileAction,
}

/// One directory and the group it becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirGroup {
    /// The directory as given (without a trailing `/`).
    pub dir: String,
    /// The group name: the directory with `/` replaced by `-`, normalised (GRP-2).
    pub group: String,
    /// The files to add or update, in tree order.
    pub files: Vec<DirFile>,
}

/// The plan of an OPS-2 run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirPlan {
    /// One group per directory, in the order given.
    pub groups: Vec<DirGroup>,
    /// Files skipped because their current content was released already.
    pub released: Vec<String>,
    /// Files already on the current request with their current content.
    pub unchanged: Vec<String>,
}

impl DirPlan {
    /// Number of files to add or update.
    pub fn file_count(&self) -> usize {
        self.groups.iter().map(|g| g.files.len()).sum()
    }
}

/// OPS-2: the group of each directory and the shown, allowed-type files under it (WS-1, WS-3)
/// with their type and action. Released files are skipped, files already on the current request
/// with their current content are left alone. A file under two of the directories goes to the
/// first. Refused: a directory that is not a valid path (`bad_path`) or not a directory of shown
/// files (`not_found`); a `supporting` path that is not one of the planned files
/// (`bad_request`).
pub fn plan_directories(
    tree: &WorkspaceTree<'_>,
    dirs: &[String],
    supporting: &[String],
) -> Result<DirPlan> {
    if dirs.is_empty() {
        return Err(AirlockError::with_message(
            ErrorCode::BadRequest,
            "Name at least one directory.",
        ));
    }
    let supporting: BTreeSet<&str> = supporting.iter().map(String::as_str).collect();
    let mut claimed: BTreeSet<&str> = BTreeSet::new();
    let mut plan = DirPlan::default();
    for given in dirs {
        let dir = validate_relpath(given.trim_end_matches('/'))?;
        let node = tree
            .find(&dir)
            .filter(|&i| tree.node(i).is_some_and(|n| n.is_dir()))
            .ok_or_else(|| {
                AirlockError::with_message(
                    ErrorCode::NotFound,
                    format!("{dir} is not a directory of shown files in this workspace."),
                )
            })?;
        let group = normalise_group_name(&dir.replace('/', "-"))?;
        let mut files = Vec::new();
        let end = match tree.node(node).map(|n| n.kind) {
            Some(NodeKind::Dir { end }) => end as usize,
            _ => node + 1,
        };
        for entry in (node + 1..end).filter_map(|i| tree.node(i)) {
            let NodeKind::File(file) = entry.kind else {
                continue;
            };
            if !file.allowed_type || !claimed.insert(entry.path) {
                continue;
            }
            let action = match file.status {
                WorkspaceFileStatus::Released => {
                    plan.released.push(entry.path.to_string());
                    continue;
                }
                WorkspaceFileStatus::UnderReview => {
                    plan.unchanged.push(entry.path.to_string());
                    continue;
                }
                WorkspaceFileStatus::Updated => DirFileAction::Update,
                WorkspaceFileStatus::Unreleased
                | WorkspaceFileStatus::Withdrawn
                | WorkspaceFileStatus::Invalid => DirFileAction::Add,
            };
            let filetype = match supporting.contains(entry.path) {
                true => FileType::Supporting,
                false => FileType::Output,
            };
            files.push(DirFile {
                relpath: entry.path.to_string(),
                filetype,
                action,
            });
        }
        plan.groups.push(DirGroup { dir, group, files });
    }
    if let Some(stray) = supporting.iter().find(|p| !claimed.contains(**p)) {
        return Err(AirlockError::with_message(
            ErrorCode::BadRequest,
            format!("The supporting file {stray} is not a shown file under the given directories."),
        ));
    }
    Ok(plan)
}

/// Whether an OPS-2 run goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirPrecheck {
    /// Go on: add, update, edit the groups and maybe submit.
    Proceed,
    /// Every file under the directories was released already: create nothing.
    AlreadyReleased,
    /// The author's current request is under review (or being released): change nothing.
    AlreadySubmitted,
}

impl DirPrecheck {
    /// The OPS-2 result message of a run that stops here.
    pub fn message(self) -> Option<&'static str> {
        match self {
            DirPrecheck::Proceed => None,
            DirPrecheck::AlreadyReleased => Some("Already released"),
            DirPrecheck::AlreadySubmitted => Some("Already submitted"),
        }
    }
}

/// OPS-2: stop with "Already released" when every file found was released, and with "Already
/// submitted" when the author's current request cannot be edited.
pub fn precheck_directories(plan: &DirPlan, current: Option<&RequestState>) -> DirPrecheck {
    if plan.file_count() == 0 && plan.unchanged.is_empty() && !plan.released.is_empty() {
        return DirPrecheck::AlreadyReleased;
    }
    if current.is_some_and(|s| !s.request.status.is_editable()) {
        return DirPrecheck::AlreadySubmitted;
    }
    DirPrecheck::Proceed
}

/// OPS-2, OPS-3: `--submit` needs non-empty context and controls.
pub fn check_directory_options(submit: bool, context: &str, controls: &str) -> Result<()> {
    if submit && (context.trim().is_empty() || controls.trim().is_empty()) {
        return Err(AirlockError::with_message(
            ErrorCode::BadRequest,
            "Submitting needs both context and controls.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{empty_request, fake_hash, file};
    use crate::workspace::{DiskFiles, Manifest, ReleasedHashes, TreeOptions, parse_manifest};
    use serde_json::json;

    fn manifest(paths: &[&str]) -> Manifest {
        let outputs: serde_json::Map<String, serde_json::Value> = paths
            .iter()
            .map(|p| {
                let entry = json!({
                    "level": "moderately_sensitive", "job_id": "j", "job_request": "jr",
                    "action": "a", "user": "jsmith", "repo": "https://example.org/r",
                    "commit": "c0ffee", "size": 3, "timestamp": 1700000000.0,
                    "content_hash": fake_hash(p), "excluded": false, "message": null,
                    "row_count": null, "col_count": null
                });
                (p.to_string(), entry)
            })
            .collect();
        let doc = json!({"workspace": "ws", "repo": null, "outputs": outputs});
        parse_manifest(doc.to_string().as_bytes()).expect("manifest")
    }

    const PATHS: [&str; 6] = [
        "output/tables/a.csv",
        "output/tables/b.csv",
        "output/tables/deep/c.csv",
        "output/tables/model.rds",
        "output/figures/f.png",
        "output/figures/notes.txt",
    ];

    fn plan(
        current: Option<&RequestState>,
        released: &ReleasedHashes,
        dirs: &[&str],
        supporting: &[&str],
    ) -> Result<DirPlan> {
        let m = manifest(&PATHS);
        let disk = DiskFiles::default();
        let tree = m.tree(&disk, TreeOptions::default(), current, released);
        let dirs: Vec<String> = dirs.iter().map(|d| d.to_string()).collect();
        let supporting: Vec<String> = supporting.iter().map(|d| d.to_string()).collect();
        plan_directories(&tree, &dirs, &supporting)
    }

    fn paths(group: &DirGroup) -> Vec<(&str, FileType, DirFileAction)> {
        group
            .files
            .iter()
            .map(|f| (f.relpath.as_str(), f.filetype, f.action))
            .collect()
    }

    #[test]
    fn ops_2_one_group_per_directory_allowed_types_only_supporting_by_name() {
        let none = ReleasedHashes::default();
        let p = plan(
            None,
            &none,
            &["output/tables/", "output/figures"],
            &["output/figures/notes.txt"],
        )
        .expect("plan");
        assert_eq!(p.groups.len(), 2);
        assert_eq!(p.groups[0].group, "output-tables");
        assert_eq!(p.groups[0].dir, "output/tables");
        use DirFileAction::Add;
        use FileType::{Output, Supporting};
        assert_eq!(
            paths(&p.groups[0]),
            [
                ("output/tables/deep/c.csv", Output, Add),
                ("output/tables/a.csv", Output, Add),
                ("output/tables/b.csv", Output, Add),
            ],
            "the .rds file is not of an allowed type (WS-3)"
        );
        assert_eq!(
            paths(&p.groups[1]),
            [
                ("output/figures/f.png", Output, Add),
                ("output/figures/notes.txt", Supporting, Add),
            ]
        );
        assert_eq!(p.file_count(), 5);
        assert_eq!(precheck_directories(&p, None), DirPrecheck::Proceed);
    }

    #[test]
    fn ops_2_a_file_under_two_directories_goes_to_the_first() {
        let none = ReleasedHashes::default();
        let p = plan(None, &none, &["output/tables/deep", "output/tables"], &[]).expect("plan");
        assert_eq!(p.groups[0].files.len(), 1);
        assert_eq!(p.groups[1].files.len(), 2);
    }

    #[test]
    fn ops_2_released_files_are_skipped_and_all_released_stops() {
        let released = ReleasedHashes::from_hex(
            ["output/figures/f.png", "output/figures/notes.txt"].map(fake_hash),
        );
        let p = plan(None, &released, &["output/figures"], &[]).expect("plan");
        assert_eq!(p.file_count(), 0);
        assert_eq!(p.released.len(), 2);
        assert_eq!(precheck_directories(&p, None), DirPrecheck::AlreadyReleased);
        assert_eq!(
            DirPrecheck::AlreadyReleased.message(),
            Some("Already released")
        );
        let p = plan(None, &released, &["output"], &[]).expect("plan");
        assert_eq!(p.file_count(), 3);
        assert_eq!(p.released.len(), 2);
    }

    #[test]
    fn ops_2_an_existing_request_is_extended_or_left_alone_under_review() {
        let mut current = empty_request("R1");
        current
            .files
            .push(file("output/tables/a.csv", "g", FileType::Output));
        let mut changed = file("output/tables/b.csv", "g", FileType::Output);
        changed.file_id = fake_hash("older content");
        current.files.push(changed);
        let none = ReleasedHashes::default();
        let p = plan(Some(&current), &none, &["output/tables"], &[]).expect("plan");
        let actions: Vec<_> = p.groups[0]
            .files
            .iter()
            .map(|f| (f.relpath.as_str(), f.action))
            .collect();
        assert_eq!(
            actions,
            [
                ("output/tables/deep/c.csv", DirFileAction::Add),
                ("output/tables/b.csv", DirFileAction::Update),
            ]
        );
        assert_eq!(p.unchanged, ["output/tables/a.csv"]);
        assert_eq!(
            precheck_directories(&p, Some(&current)),
            DirPrecheck::Proceed
        );
        current.request.status = crate::Status::Submitted;
        assert_eq!(
            precheck_directories(&p, Some(&current)),
            DirPrecheck::AlreadySubmitted
        );
    }

    #[test]
    fn ops_2_bad_directories_and_stray_supporting_files_are_refused() {
        let none = ReleasedHashes::default();
        let code = |dirs: &[&str], supporting: &[&str]| {
            plan(None, &none, dirs, supporting)
                .expect_err("refused")
                .error_code()
        };
        assert_eq!(code(&["../etc"], &[]), ErrorCode::BadPath);
        assert_eq!(code(&["/output"], &[]), ErrorCode::BadPath);
        assert_eq!(code(&["output/nothing-here"], &[]), ErrorCode::NotFound);
        assert_eq!(code(&["output/tables/a.csv"], &[]), ErrorCode::NotFound);
        assert_eq!(code(&[], &[]), ErrorCode::BadRequest);
        assert_eq!(
            code(&["output/tables"], &["output/figures/f.png"]),
            ErrorCode::BadRequest
        );
    }

    #[test]
    fn ops_2_submit_needs_context_and_controls() {
        assert!(check_directory_options(false, "", "").is_ok());
        assert!(check_directory_options(true, "c", "k").is_ok());
        for (context, controls) in [("", "k"), ("c", " "), ("", "")] {
            assert_eq!(
                check_directory_options(true, context, controls)
                    .expect_err("refused")
                    .error_code(),
                ErrorCode::BadRequest
            );
        }
    }
}
