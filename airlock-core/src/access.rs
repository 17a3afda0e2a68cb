//! Roles and permissions (`behaviour.md` §3: ACC-1 to ACC-6, and the role part of FIL-0,
//! FIL-4, COM-2, REV-2, REL-1, REN-9, WEB-7).

use crate::error::{AirlockError, ErrorCode, Result};
use crate::model::{Request, Visibility};
use crate::status::Status;
use crate::transition;
use crate::user::{Grant, User};

/// ACC-2.1: the user may view the workspace (and its requests).
pub fn can_view(user: &User, workspace: &str) -> bool {
    user.output_checker
        || user.readonly_access
        || user.workspaces.contains_key(workspace)
        || user.copiloted_workspaces.contains_key(workspace)
}

/// ACC-2.2: the user holds a role on the workspace.
pub fn has_role(user: &User, workspace: &str) -> bool {
    user.workspaces.contains_key(workspace)
}

/// ACC-2.3: the user may author requests in the workspace. Failures in the order
/// `no_workspace_role`, `workspace_archived`, `project_inactive`; when both of the last two
/// apply, the message names both.
pub fn can_action<'a>(user: &'a User, workspace: &str) -> Result<&'a Grant> {
    let grant = user.workspaces.get(workspace).ok_or_else(|| {
        AirlockError::with_message(
            ErrorCode::NoWorkspaceRole,
            format!(
                "You have no role on workspace {workspace}, so you cannot author requests there."
            ),
        )
    })?;
    let inactive = !grant.project_details.ongoing;
    match (grant.archived, inactive) {
        (false, false) => Ok(grant),
        (true, false) => Err(AirlockError::with_message(
            ErrorCode::WorkspaceArchived,
            format!("Workspace {workspace} is archived."),
        )),
        (false, true) => Err(AirlockError::with_message(
            ErrorCode::ProjectInactive,
            format!("The project of workspace {workspace} is not ongoing."),
        )),
        (true, true) => Err(AirlockError::with_message(
            ErrorCode::WorkspaceArchived,
            format!("Workspace {workspace} is archived and its project is not ongoing."),
        )),
    }
}

/// ACC-2.4: a checker who is not the request's author.
pub fn is_reviewer(user: &User, request: &Request) -> bool {
    user.output_checker && user.id() != request.author
}

/// ACC-2.5: a reviewer, and the request is under review.
pub fn can_review_now(user: &User, request: &Request) -> bool {
    is_reviewer(user, request) && request.status.is_under_review()
}

/// ACC-3: `permission_denied` unless the user can view the request's workspace.
pub fn require_view(user: &User, workspace: &str) -> Result<()> {
    if can_view(user, workspace) {
        Ok(())
    } else {
        Err(AirlockError::permission_denied())
    }
}

/// FIL-0 (and ACC-2.6): the author checks before changing files or groups, in order:
/// `can_view`, author, `can_action`, editable.
pub fn require_edit(user: &User, request: &Request) -> Result<()> {
    require_view(user, &request.workspace)?;
    if user.id() != request.author {
        return Err(AirlockError::permission_denied());
    }
    can_action(user, &request.workspace)?;
    if !request.status.is_editable() {
        return Err(AirlockError::new(ErrorCode::RequestNotEditable));
    }
    Ok(())
}

/// FIL-4 steps 1–3: may the user add files in this workspace, given their current request.
pub fn require_add(user: &User, workspace: &str, current: Option<&Request>) -> Result<()> {
    require_view(user, workspace)?;
    can_action(user, workspace)?;
    if let Some(request) = current
        && !request.status.is_editable()
    {
        return Err(AirlockError::with_message(
            ErrorCode::RequestNotEditable,
            "Your request in this workspace is under review, so no file can be added and no new \
             request can start until it is returned or finished.",
        ));
    }
    Ok(())
}

/// COM-2: the visibilities the user may write now, the default first. Refused with
/// `permission_denied` when they may not comment at all.
pub fn comment_visibilities(user: &User, request: &Request) -> Result<&'static [Visibility]> {
    require_view(user, &request.workspace)?;
    let status = request.status;
    if status.is_final() {
        return Err(AirlockError::permission_denied());
    }
    if status.is_editable() && has_role(user, &request.workspace) {
        return Ok(&[Visibility::Public]);
    }
    if status.is_under_review() && is_reviewer(user, request) {
        return Ok(&[Visibility::Private, Visibility::Public]);
    }
    Err(AirlockError::permission_denied())
}

/// REV-2 checks 1–2 (also REV-3, REV-5, REV-10.1): a reviewer, and the request under review.
pub fn require_review_now(user: &User, request: &Request) -> Result<()> {
    require_view(user, &request.workspace)?;
    if !is_reviewer(user, request) {
        return Err(AirlockError::permission_denied());
    }
    if !request.status.is_under_review() {
        return Err(AirlockError::with_message(
            ErrorCode::NotUnderReview,
            format!(
                "This request cannot be reviewed while it is {}.",
                request.status
            ),
        ));
    }
    Ok(())
}

/// REL-1 checks 1–2: REVIEWED or APPROVED (`invalid_transition`), then a reviewer.
pub fn require_release(user: &User, request: &Request) -> Result<()> {
    require_view(user, &request.workspace)?;
    if !matches!(request.status, Status::Reviewed | Status::Approved) {
        return Err(transition::invalid(request.status, Status::Approved));
    }
    if !is_reviewer(user, request) {
        return Err(AirlockError::permission_denied());
    }
    Ok(())
}

/// REN-9: downloads need a reviewer and a request submitted at least once (403 otherwise).
pub fn require_download(user: &User, request: &Request) -> Result<()> {
    require_view(user, &request.workspace)?;
    if is_reviewer(user, request) && request.last_submitted_at.is_some() {
        Ok(())
    } else {
        Err(AirlockError::permission_denied())
    }
}

/// WEB-7: only checkers see the Reviews page (403 for others, D-o).
pub fn require_reviews_page(user: &User) -> Result<()> {
    if user.output_checker {
        Ok(())
    } else {
        Err(AirlockError::permission_denied())
    }
}

/// ACC-6: only read-only users see the all-workspaces page.
pub fn require_all_workspaces_page(user: &User) -> Result<()> {
    if user.readonly_access {
        Ok(())
    } else {
        Err(AirlockError::permission_denied())
    }
}

/// The rows of the ACC-6 matrix: what a role may do, before each action's own preconditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// View workspace, request, contents.
    View,
    /// Create a request (first add).
    CreateRequest,
    /// Add/update/withdraw/move files, edit context and controls.
    EditFiles,
    /// Submit or resubmit.
    Submit,
    /// Withdraw the request.
    WithdrawRequest,
    /// Comment (any allowed visibility).
    Comment,
    /// Vote, submit a review, return.
    Review,
    /// Reject.
    Reject,
    /// Release (REVIEWED) or re-trigger (APPROVED).
    Release,
    /// Download a request file.
    Download,
    /// The Reviews page.
    ReviewsPage,
    /// The all-workspaces page.
    AllWorkspacesPage,
}

impl Permission {
    /// Every action.
    pub const ALL: [Permission; 12] = [
        Permission::View,
        Permission::CreateRequest,
        Permission::EditFiles,
        Permission::Submit,
        Permission::WithdrawRequest,
        Permission::Comment,
        Permission::Review,
        Permission::Reject,
        Permission::Release,
        Permission::Download,
        Permission::ReviewsPage,
        Permission::AllWorkspacesPage,
    ];
}

/// ACC-6: whether `user` has `permission` on `request` as far as roles and status go (the
/// preconditions of each action, such as SUB-1 items 3–5, are checked by the action itself).
/// `CreateRequest` treats `request` as the user's current request in its workspace.
pub fn authorize(user: &User, request: &Request, permission: Permission) -> Result<()> {
    match permission {
        Permission::View => require_view(user, &request.workspace),
        Permission::CreateRequest => {
            let current =
                (request.author == user.id() && request.status.is_active()).then_some(request);
            require_add(user, &request.workspace, current)
        }
        Permission::EditFiles => require_edit(user, request),
        Permission::Submit => {
            require_view(user, &request.workspace)?;
            transition::check(user, request, Status::Submitted)?;
            can_action(user, &request.workspace).map(|_| ())
        }
        Permission::WithdrawRequest => {
            require_view(user, &request.workspace)?;
            transition::check(user, request, Status::Withdrawn).map(|_| ())
        }
        Permission::Comment => comment_visibilities(user, request).map(|_| ()),
        Permission::Review => require_review_now(user, request),
        Permission::Reject => {
            require_view(user, &request.workspace)?;
            transition::check(user, request, Status::Rejected).map(|_| ())
        }
        Permission::Release => require_release(user, request),
        Permission::Download => require_download(user, request),
        Permission::ReviewsPage => require_reviews_page(user),
        Permission::AllWorkspacesPage => require_all_workspaces_page(user),
    }
}
