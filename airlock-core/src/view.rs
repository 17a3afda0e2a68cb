//! What one user is shown of a request (`api.md` §4 `<request>`), with the visibility and
//! blinding rules of `behaviour.md` §12 applied to every field: decisions as REV-7 shows them,
//! only the viewer's own vote, and only the comments VIS-1 lets them see. Every surface that
//! shows a request builds it here.

use crate::access::{can_view, is_reviewer};
use crate::context::Rules;
use crate::decision::shown_decisions;
use crate::model::{
    Comment, Decision, FileType, Request, RequestState, Timestamp, Visibility, VoteStatus,
};
use crate::status::Status;
use crate::user::User;
use crate::visibility::visible_comments;
use serde::Serialize;

/// A request as one viewer may see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestView {
    /// Request id.
    pub id: String,
    /// Workspace name.
    pub workspace: String,
    /// Author's username.
    pub author: String,
    /// Status.
    pub status: Status,
    /// Current turn.
    pub review_turn: i64,
    /// Creation time.
    pub created_at: Timestamp,
    /// Reviews submitted in this turn.
    pub submitted_reviews: usize,
    /// Groups in creation order.
    pub groups: Vec<GroupView>,
    /// Disclosure hints on CSV outputs, when the viewer is shown them (§15); filled in by the
    /// caller, which reads the files.
    pub hints: Vec<HintView>,
    /// UPL-8 and UPL-7: upload progress while APPROVED or RELEASED, absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload: Option<UploadView>,
}

/// UPL-8: "Files released and uploaded: x of y", with the stuck files (UPL-7) for reviewers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UploadView {
    /// Uploaded OUTPUT files (x).
    pub uploaded: usize,
    /// Released OUTPUT files (y).
    pub released: usize,
    /// The stuck files, by path: shown to reviewers only (UPL-7), empty for anyone else.
    pub stuck: Vec<StuckFileView>,
}

/// UPL-7: a released file that is not uploaded after `upload_stuck_after` attempts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StuckFileView {
    /// Path in the workspace.
    pub path: String,
    /// Attempts so far.
    pub attempts: i64,
    /// The last failure.
    pub last_error: Option<String>,
    /// When the last attempt started.
    pub last_attempt_at: Option<Timestamp>,
}

impl StuckFileView {
    /// The stuck files of a request, by path (UPL-7).
    pub fn of(state: &RequestState, rules: &Rules) -> Vec<StuckFileView> {
        let mut stuck: Vec<StuckFileView> = state
            .output_files()
            .filter(|f| crate::action::is_stuck(f, rules))
            .map(|f| StuckFileView {
                path: f.relpath.clone(),
                attempts: f.upload.upload_attempts,
                last_error: f.upload.upload_last_error.clone(),
                last_attempt_at: f.upload.upload_attempted_at,
            })
            .collect();
        stuck.sort_by(|a, b| a.path.cmp(&b.path));
        stuck
    }
}

/// UPL-8 and UPL-7 for `viewer`: `None` unless the request is APPROVED or RELEASED.
pub fn upload_view(viewer: &User, state: &RequestState, rules: &Rules) -> Option<UploadView> {
    if !matches!(state.request.status, Status::Approved | Status::Released) {
        return None;
    }
    let progress = crate::action::upload_progress(state, rules);
    Some(UploadView {
        uploaded: progress.uploaded,
        released: progress.released,
        stuck: if is_reviewer(viewer, &state.request) {
            StuckFileView::of(state, rules)
        } else {
            Vec::new()
        },
    })
}

/// A group as shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupView {
    /// Name.
    pub name: String,
    /// Context text.
    pub context: String,
    /// Controls text.
    pub controls: String,
    /// Files of the group, in the order they were added.
    pub files: Vec<FileView>,
    /// Comments the viewer may see, newest first.
    pub comments: Vec<CommentView>,
}

/// A request file as shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileView {
    /// Path in the workspace.
    pub path: String,
    /// OUTPUT, SUPPORTING or WITHDRAWN.
    pub filetype: FileType,
    /// sha256 of the stored content.
    pub sha256: String,
    /// Size in bytes.
    pub size: i64,
    /// The decision as REV-7 shows it to the viewer.
    pub decision: Decision,
    /// The viewer's own vote, when they have one.
    pub my_vote: Option<VoteStatus>,
    /// Released to the Jobs site.
    pub released: bool,
    /// Uploaded to the Jobs site.
    pub uploaded: bool,
}

/// A comment as shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommentView {
    /// Comment id.
    pub id: String,
    /// Writer.
    pub author: String,
    /// Text.
    pub text: String,
    /// PUBLIC or PRIVATE.
    pub visibility: Visibility,
    /// Turn it was written in.
    pub review_turn: i64,
    /// Creation time.
    pub created_at: Timestamp,
    /// The file it was posted from (COM-3), or null.
    pub file: Option<String>,
}

impl CommentView {
    /// The view of one comment.
    pub fn of(comment: &Comment) -> CommentView {
        CommentView {
            id: comment.id.clone(),
            author: comment.author.clone(),
            text: comment.text.clone(),
            visibility: comment.visibility,
            review_turn: comment.review_turn,
            created_at: comment.created_at,
            file: comment.file.clone(),
        }
    }
}

/// A disclosure hint on one cell (§15; `api.md` §5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HintView {
    /// The file.
    pub path: String,
    /// LOW_COUNT or NOT_ROUNDED.
    pub kind: &'static str,
    /// Data row, from 1 (the header is not a row); null for a column hint (NOT_ROUNDED).
    pub row: Option<u64>,
    /// The header's name.
    pub column: String,
    /// The cell's text as written; null for a column hint.
    pub value: Option<String>,
    /// The text shown with it, e.g. `Low count: 3 is below 10`.
    pub message: String,
}

impl HintView {
    /// The view of one hint of the file at `path`.
    pub fn of(path: &str, hint: crate::hint::Hint) -> HintView {
        HintView {
            path: path.to_string(),
            kind: match hint.code {
                crate::hint::HintCode::LowCount => "LOW_COUNT",
                crate::hint::HintCode::NotRounded => "NOT_ROUNDED",
            },
            row: hint.row,
            column: hint.column_name.unwrap_or_else(|| hint.column.to_string()),
            value: hint.text,
            message: hint.message,
        }
    }
}

/// Rows named in a summary line before "and N more".
const SUMMARY_ROWS: usize = 5;

/// HNT-4 in few lines, for a file page beside its contents (where every hint is marked in its
/// cell): each column hint as it is, and one line per column's low counts with its rows (up to
/// five, then how many more), in the order they first appear.
pub fn hint_summary<'a>(hints: impl IntoIterator<Item = &'a HintView>) -> Vec<String> {
    enum Line<'a> {
        Column(&'a str),
        Cells(&'a HintView, Vec<u64>),
    }
    let mut lines: Vec<Line<'a>> = Vec::new();
    for hint in hints {
        let Some(row) = hint.row else {
            lines.push(Line::Column(&hint.message));
            continue;
        };
        let same = lines.iter_mut().find_map(|line| match line {
            Line::Cells(first, rows) if first.kind == hint.kind && first.column == hint.column => {
                Some(rows)
            }
            _ => None,
        });
        match same {
            Some(rows) => rows.push(row),
            None => lines.push(Line::Cells(hint, vec![row])),
        }
    }
    lines
        .into_iter()
        .map(|line| match line {
            Line::Column(message) => message.to_string(),
            Line::Cells(first, rows) if rows.len() == 1 => {
                format!(
                    "{} (row {}, column {})",
                    first.message, rows[0], first.column
                )
            }
            Line::Cells(first, rows) => {
                let named: Vec<String> =
                    rows.iter().take(SUMMARY_ROWS).map(u64::to_string).collect();
                let more = rows.len().saturating_sub(SUMMARY_ROWS);
                let kind = if first.kind == "LOW_COUNT" {
                    "low counts"
                } else {
                    "hinted cells"
                };
                format!(
                    "{} {kind} in column {}: rows {}{}",
                    rows.len(),
                    first.column,
                    named.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                )
            }
        })
        .collect()
}

/// A request in a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestSummary {
    /// Request id.
    pub id: String,
    /// Author.
    pub author: String,
    /// Status.
    pub status: Status,
    /// Creation time.
    pub created_at: Timestamp,
}

impl RequestSummary {
    /// The summary of a request.
    pub fn of(request: &Request) -> RequestSummary {
        RequestSummary {
            id: request.id.clone(),
            author: request.author.clone(),
            status: request.status,
            created_at: request.created_at,
        }
    }
}

/// §15 and `api.md` §5: whether the viewer is shown hints. The author sees them while the
/// request is editable; reviewers (checkers other than the author) while it is under review
/// and after.
pub fn shows_hints(viewer: &User, request: &Request) -> bool {
    if viewer.id() == request.author {
        request.status.is_editable()
    } else {
        is_reviewer(viewer, request) && !request.status.is_editable()
    }
}

/// PG-22: every file of a request view in order (groups, then files as added), as (group,
/// path).
pub fn file_order(view: &RequestView) -> Vec<(&str, &str)> {
    view.groups
        .iter()
        .flat_map(|g| {
            g.files
                .iter()
                .map(move |f| (g.name.as_str(), f.path.as_str()))
        })
        .collect()
}

/// PG-23: the next output file after `path` (in [`file_order`], wrapping round) that the viewer
/// has not voted on, or on which their vote is UNDECIDED; `None` when every one has a vote.
pub fn next_unvoted<'v>(view: &'v RequestView, path: &str) -> Option<(&'v str, &'v str)> {
    let files: Vec<(&str, &FileView)> = view
        .groups
        .iter()
        .flat_map(|g| g.files.iter().map(move |f| (g.name.as_str(), f)))
        .collect();
    let at = files
        .iter()
        .position(|(_, f)| f.path == path)
        .map_or(0, |i| i + 1);
    files
        .iter()
        .cycle()
        .skip(at)
        .take(files.len())
        .find(|(_, f)| {
            f.filetype == FileType::Output
                && f.path != path
                && matches!(f.my_vote, None | Some(VoteStatus::Undecided))
        })
        .map(|(g, f)| (*g, f.path.as_str()))
}

/// WEB-7: whether a request appears on `checker`'s Reviews page: each list leaves out the
/// checker's own requests, which they may not review (ACC-6).
pub fn on_reviews_page(checker: &User, request: &Request) -> bool {
    is_reviewer(checker, request)
}

/// PG-7: whether a request awaits `checker`'s review: it is on their Reviews page, under
/// review, and they have not submitted their review this turn.
pub fn awaits_review(checker: &User, request: &Request) -> bool {
    on_reviews_page(checker, request)
        && request.status.is_under_review()
        && !request.submitted_reviews.contains_key(checker.id())
}

/// HNT-1, HNT-4: the files of a request whose hints the request view lists: its CSV outputs.
pub fn hinted_files(state: &RequestState) -> impl Iterator<Item = &crate::model::RequestFile> {
    state
        .output_files()
        .filter(|f| crate::hint::applies_to(&f.relpath))
}

/// The request as `viewer` may see it; `n` is the number of reviews required (REV-7).
pub fn request_view(viewer: &User, state: &RequestState, rules: &Rules) -> RequestView {
    let n = rules.required_reviews;
    let request = &state.request;
    let decisions = shown_decisions(viewer, state, n);
    let my_votes = state.votes_by(viewer.id());
    let groups = state
        .groups
        .iter()
        .map(|group| GroupView {
            name: group.name.clone(),
            context: group.context.clone(),
            controls: group.controls.clone(),
            files: state
                .files_in_group(&group.name)
                .map(|f| FileView {
                    path: f.relpath.clone(),
                    filetype: f.filetype,
                    sha256: f.file_id.clone(),
                    size: f.meta.size,
                    decision: decisions
                        .get(f.relpath.as_str())
                        .copied()
                        .unwrap_or(Decision::Incomplete),
                    my_vote: my_votes.get(f.relpath.as_str()).map(|v| v.status),
                    released: f.upload.released_at.is_some(),
                    uploaded: f.upload.uploaded,
                })
                .collect(),
            comments: visible_comments(viewer, request, &state.comments, &group.name)
                .into_iter()
                .map(CommentView::of)
                .collect(),
        })
        .collect();
    RequestView {
        id: request.id.clone(),
        workspace: request.workspace.clone(),
        author: request.author.clone(),
        status: request.status,
        review_turn: request.review_turn,
        created_at: request.created_at,
        submitted_reviews: request.submitted_reviews.len(),
        groups,
        hints: Vec::new(),
        upload: upload_view(viewer, state, rules),
    }
}

/// How a user reaches a workspace (`api.md` §3): a role, a copilot grant, the checker role or
/// tech-support read access, in that order of precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum WorkspaceAccess {
    /// A role on the workspace.
    #[serde(rename = "ROLE")]
    Role,
    /// A copilot of its project.
    #[serde(rename = "COPILOT")]
    Copilot,
    /// An output checker.
    #[serde(rename = "CHECKER")]
    Checker,
    /// Tech-support read access.
    #[serde(rename = "READONLY")]
    Readonly,
}

/// A workspace in the caller's list (`api.md` §3).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkspaceSummary {
    /// Workspace name.
    pub name: String,
    /// Its project, when the user's grant names it (null for a checker or tech-support user
    /// without a grant: the project is only known from grants).
    pub project: Option<crate::user::ProjectDetails>,
    /// Archived, by the grant (false without one).
    pub archived: bool,
    /// How the user reaches it.
    pub access: WorkspaceAccess,
}

/// `api.md` §3: the workspaces a user can view, sorted by name. `directories` are the
/// workspace directories on disk; checkers and tech support see every one of them, others see
/// those of their grants that exist.
pub fn workspaces_of(user: &User, directories: &[String]) -> Vec<WorkspaceSummary> {
    directories
        .iter()
        // ACC-2.1 decides who sees a workspace; the grant only names how.
        .filter(|name| can_view(user, name))
        .map(|name| {
            let (grant, access) = if let Some(g) = user.workspaces.get(name) {
                (Some(g), WorkspaceAccess::Role)
            } else if let Some(g) = user.copiloted_workspaces.get(name) {
                (Some(g), WorkspaceAccess::Copilot)
            } else if user.output_checker {
                (None, WorkspaceAccess::Checker)
            } else {
                (None, WorkspaceAccess::Readonly)
            };
            WorkspaceSummary {
                name: name.clone(),
                project: grant.map(|g| g.project_details.clone()),
                archived: grant.is_some_and(|g| g.archived),
                access,
            }
        })
        .collect()
}

/// A shown workspace file with its status (`api.md` §3).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkspaceFileView {
    /// Path in the workspace.
    pub path: String,
    /// Size in bytes, when known.
    pub size: Option<u64>,
    /// sha256 hex, when known.
    pub sha256: Option<String>,
    /// Modification time, when known.
    pub timestamp: Option<Timestamp>,
    /// The job that wrote it (outputs only).
    pub job_id: Option<String>,
    /// WS-5 status relative to the viewer's current request.
    pub status: crate::workspace::WorkspaceFileStatus,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FileType;
    use crate::testing::{
        AUTHOR, author, checker, collaborating_checker, empty_request, file, request_in,
    };
    use crate::user::Grant;

    fn hint(row: Option<u64>, column: &str, message: &str) -> HintView {
        HintView {
            path: "t.csv".into(),
            kind: if row.is_some() {
                "LOW_COUNT"
            } else {
                "NOT_ROUNDED"
            },
            row,
            column: column.into(),
            value: None,
            message: message.into(),
        }
    }

    #[test]
    fn hnt_4_a_file_pages_summary_groups_low_counts_by_column() {
        let mut hints = vec![hint(
            None,
            "count",
            "Column 'count' is not rounded to a multiple of 5 (30 values)",
        )];
        for row in 1..=8 {
            hints.push(hint(Some(row * 10), "count", "Low count: 4 is below 10"));
        }
        hints.push(hint(Some(3), "deaths", "Low count: 2 is below 10"));
        hints.push(hint(Some(7), "admissions", "Low count: 1 is below 10"));
        hints.push(hint(Some(9), "admissions", "Low count: 5 is below 10"));
        assert_eq!(
            hint_summary(&hints),
            [
                "Column 'count' is not rounded to a multiple of 5 (30 values)",
                "8 low counts in column count: rows 10, 20, 30, 40, 50 and 3 more",
                "Low count: 2 is below 10 (row 3, column deaths)",
                "2 low counts in column admissions: rows 7, 9",
            ]
        );
        assert!(hint_summary(&[]).is_empty());
    }

    #[test]
    fn web_7_the_reviews_lists_leave_out_the_checkers_own_requests() {
        let state = request_in(Status::Submitted);
        assert!(on_reviews_page(&checker("c1"), &state.request));
        // A collaborating checker who authored the request does not review it.
        let own = collaborating_checker(AUTHOR);
        assert!(!on_reviews_page(&own, &state.request));
        assert!(!on_reviews_page(&author(), &state.request), "not a checker");
    }

    #[test]
    fn pg_7_a_request_awaits_a_checkers_review_until_they_submit_it() {
        let c1 = checker("c1");
        let submitted = request_in(Status::Submitted);
        assert!(awaits_review(&c1, &submitted.request));
        let partly = request_in(Status::PartiallyReviewed);
        assert!(awaits_review(&c1, &partly.request));
        assert!(
            !awaits_review(&checker("reviewer1"), &partly.request),
            "submitted"
        );
        assert!(!awaits_review(&c1, &request_in(Status::Returned).request));
        assert!(!awaits_review(
            &collaborating_checker(AUTHOR),
            &submitted.request
        ));
    }

    #[test]
    fn hnt_1_hints_are_listed_for_csv_outputs_only() {
        let mut state = empty_request("r");
        for (path, filetype) in [
            ("out/a.csv", FileType::Output),
            ("out/b.CSV", FileType::Output),
            ("out/c.csv", FileType::Supporting),
            ("out/d.csv", FileType::Withdrawn),
            ("out/e.txt", FileType::Output),
            ("out/f.csv.txt", FileType::Output),
        ] {
            state.files.push(file(path, "g", filetype));
        }
        let hinted: Vec<&str> = hinted_files(&state).map(|f| f.relpath.as_str()).collect();
        assert_eq!(hinted, ["out/a.csv"]);
    }

    #[test]
    fn api_3_workspace_access_follows_acc_2_1_and_the_grant_wins() {
        let dirs = vec!["a".to_string(), "b".to_string()];
        let access = |user: &User| {
            workspaces_of(user, &dirs)
                .into_iter()
                .map(|w| (w.name, w.access))
                .collect::<Vec<_>>()
        };
        let role = User::new("r").with_role("a", Grant::active("p"));
        assert_eq!(access(&role), [("a".into(), WorkspaceAccess::Role)]);
        let copilot = User::new("c").with_copilot("b", Grant::active("p"));
        assert_eq!(access(&copilot), [("b".into(), WorkspaceAccess::Copilot)]);
        let both = User::new("x").with_role("a", Grant::active("p")).checker();
        assert_eq!(
            access(&both),
            [
                ("a".into(), WorkspaceAccess::Role),
                ("b".into(), WorkspaceAccess::Checker)
            ]
        );
        let support = User::new("t").readonly();
        assert_eq!(
            access(&support),
            [
                ("a".into(), WorkspaceAccess::Readonly),
                ("b".into(), WorkspaceAccess::Readonly)
            ]
        );
        assert!(access(&User::new("nobody")).is_empty());
    }

    #[test]
    fn hnt_4_hints_to_the_author_while_editable_and_to_reviewers_after() {
        let mut state = empty_request("01JNQ8Z7K3V5W2X9Y4T6R8P0MA");
        let (owner, reviewer, outsider) = (author(), checker("c1"), User::new("o"));
        for (status, to_author, to_reviewer) in [
            (Status::Pending, true, false),
            (Status::Submitted, false, true),
            (Status::Returned, true, false),
            (Status::Approved, false, true),
        ] {
            state.request.status = status;
            assert_eq!(shows_hints(&owner, &state.request), to_author, "{status:?}");
            assert_eq!(
                shows_hints(&reviewer, &state.request),
                to_reviewer,
                "{status:?}"
            );
            assert!(!shows_hints(&outsider, &state.request));
        }
        // A checker who authored the request is its author here (ACC-2.4).
        let mut own = state.clone();
        own.request.author = reviewer.id().to_string();
        own.request.status = Status::Submitted;
        assert!(!shows_hints(&reviewer, &own.request));
    }
}
