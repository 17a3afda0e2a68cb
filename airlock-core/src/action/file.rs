//! Files and groups on a request (`behaviour.md` §8 FIL-0 to FIL-11, §9 GRP-1 to GRP-3).

use super::Outcome;
use super::common::{audit, file_audit, reset_votes_for_author_change, touched};
use crate::access::{can_action, require_add, require_download, require_edit};
use crate::audit::AuditType;
use crate::context::Ctx;
use crate::effect::Effect;
use crate::error::{AirlockError, ErrorCode, Result};
use crate::model::{FileType, Group, OutputMeta, Request, RequestFile, RequestState, UploadState};
use crate::status::Status;
pub use crate::workspace::AddCandidate;
use crate::workspace::is_allowed_file_type;
use std::collections::BTreeMap;

/// The group a file goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupTarget<'a> {
    /// An existing group by name, or a new group of that name when none exists.
    Named(&'a str),
    /// A new group: refused with `group_exists` when the name is taken (GRP-2).
    New(&'a str),
}

/// GRP-2: a valid new group name, trimmed and lower-cased.
pub fn normalise_group_name(name: &str) -> Result<String> {
    let name = name.trim().to_lowercase();
    let len = name.chars().count();
    let bad_char = name
        .chars()
        .any(|c| c == '/' || c == '\\' || c.is_control());
    if len == 0 || len > 100 || bad_char || name == "." || name == ".." {
        return Err(ErrorCode::InvalidGroupName.into());
    }
    Ok(name)
}

/// Resolves a group target against the request: the group's name and whether it must be
/// created.
fn resolve_group(state: Option<&RequestState>, target: GroupTarget<'_>) -> Result<(String, bool)> {
    let (name, must_be_new) = match target {
        GroupTarget::Named(name) => (name, false),
        GroupTarget::New(name) => (name, true),
    };
    let normalised = normalise_group_name(name)?;
    match state.and_then(|s| s.group(&normalised)) {
        Some(_) if must_be_new => Err(AirlockError::with_message(
            ErrorCode::GroupExists,
            format!("A file group named {normalised} already exists."),
        )),
        Some(existing) => Ok((existing.name.clone(), false)),
        None => Ok((normalised, true)),
    }
}

fn new_group(ctx: &Ctx<'_>, name: &str) -> Group {
    Group {
        name: name.to_string(),
        context: String::new(),
        controls: String::new(),
        created_at: ctx.now,
        updated_at: ctx.now,
    }
}

/// FIL-4 steps 1 to 4, for the whole batch: view, `can_action`, an editable current request,
/// a valid group.
pub(super) fn check_add_batch(
    ctx: &Ctx<'_>,
    workspace: &str,
    current: Option<&RequestState>,
    group: GroupTarget<'_>,
) -> Result<()> {
    require_add(ctx.actor, workspace, current.map(|s| &s.request))?;
    resolve_group(current, group).map(|_| ())
}

fn new_file(
    candidate: &AddCandidate,
    meta: &OutputMeta,
    hash: &str,
    group: &str,
    filetype: FileType,
) -> RequestFile {
    RequestFile {
        relpath: candidate.relpath.clone(),
        group: group.to_string(),
        file_id: hash.to_string(),
        filetype,
        meta: meta.clone(),
        upload: UploadState::default(),
    }
}

/// FIL-4 to FIL-6 and FIL-9: add one path to the user's current request, creating the request
/// (with id `new_request_id`) when there is none (FIL-5). The store copies the blob and checks
/// the hash (step 11) in the same transaction. The value is the request the file went to.
pub(super) fn add_file(
    ctx: &Ctx<'_>,
    workspace: &str,
    current: Option<&RequestState>,
    new_request_id: &str,
    group: GroupTarget<'_>,
    candidate: &AddCandidate,
    filetype: FileType,
) -> Result<Outcome<(Request, Option<String>)>> {
    check_add_batch(ctx, workspace, current, group)?;
    let relpath = candidate.relpath.as_str();
    if !candidate.shown {
        return Err(match &candidate.unreadable {
            Some(why) => AirlockError::with_message(ErrorCode::NotFound, why.clone()),
            None => AirlockError::not_found(),
        });
    }
    if relpath == "metadata" || relpath.starts_with("metadata/") {
        return Err(ErrorCode::MetadataFileNotAddable.into());
    }
    let (Some(meta), Some(hash)) = (&candidate.output, &candidate.content_hash) else {
        return Err(ErrorCode::NotAnOutput.into());
    };
    if !is_allowed_file_type(relpath) {
        return Err(ErrorCode::InvalidFileType.into());
    }
    if filetype == FileType::Withdrawn {
        return Err(AirlockError::with_message(
            ErrorCode::BadRequest,
            "A file is added as OUTPUT or SUPPORTING.",
        ));
    }
    let existing = current.and_then(|s| s.file(relpath));
    if let Some(file) = existing.filter(|f| f.filetype != FileType::Withdrawn) {
        return Err(AirlockError::with_message(
            ErrorCode::FileAlreadyOnRequest,
            format!(
                "This file is already on the request as {}, in group {}.",
                file.filetype, file.group
            ),
        ));
    }
    if candidate.released && filetype != FileType::Supporting {
        return Err(ErrorCode::ReleasedFileOutput.into());
    }

    let mut effects = Vec::new();
    let (request, group_name, create_group) = match current {
        Some(state) => {
            let (name, create) = resolve_group(Some(state), group)?;
            let mut request = touched(ctx, state);
            request.updated_at = ctx.now;
            effects.push(Effect::UpdateRequest(request.clone()));
            (request, name, create)
        }
        None => {
            let grant = can_action(ctx.actor, workspace)?;
            let request = Request {
                id: new_request_id.to_string(),
                workspace: workspace.to_string(),
                author: ctx.actor.id().to_string(),
                status: Status::Pending,
                review_turn: 0,
                submitted_reviews: BTreeMap::new(),
                turn_reviewers: Default::default(),
                last_submitted_at: None,
                project: grant.project_details.name.clone(),
                organisations: grant.project_details.orgs.clone(),
                created_at: ctx.now,
                updated_at: ctx.now,
            };
            effects.push(Effect::CreateRequest(request.clone()));
            effects.push(Effect::Audit(audit(
                ctx,
                &request,
                AuditType::RequestCreate,
            )));
            let (name, create) = resolve_group(None, group)?;
            (request, name, create)
        }
    };
    if create_group {
        effects.push(Effect::CreateGroup(new_group(ctx, &group_name)));
    }
    let file = new_file(candidate, meta, hash, &group_name, filetype);
    let me = ctx.actor.id();
    match (current, existing) {
        (Some(state), Some(withdrawn)) => {
            // FIL-9: as FIL-7, with the group and type chosen now.
            reset_votes_for_author_change(ctx, state, withdrawn, &mut effects);
            effects.push(Effect::DeleteFile {
                relpath: withdrawn.relpath.clone(),
            });
            effects.push(Effect::Audit(
                file_audit(ctx, &request, AuditType::RequestFileWithdraw, withdrawn, me)
                    .extra("filetype", withdrawn.filetype.as_str()),
            ));
            effects.push(Effect::InsertFile(file.clone()));
            effects.push(Effect::Audit(
                file_audit(ctx, &request, AuditType::RequestFileUpdate, &file, me)
                    .extra("filetype", filetype.as_str()),
            ));
        }
        _ => {
            effects.push(Effect::InsertFile(file.clone()));
            effects.push(Effect::Audit(
                file_audit(ctx, &request, AuditType::RequestFileAdd, &file, me)
                    .extra("filetype", filetype.as_str()),
            ));
        }
    }
    let group_created = create_group.then_some(group_name);
    Ok(Outcome::new(effects, (request, group_created)))
}

fn on_request<'a>(state: &'a RequestState, relpath: &str) -> Result<&'a RequestFile> {
    state.file(relpath).ok_or_else(AirlockError::not_found)
}

/// FIL-7: pull the workspace's changed content of a file into the request.
pub(super) fn update_file(
    ctx: &Ctx<'_>,
    state: &RequestState,
    candidate: &AddCandidate,
) -> Result<Outcome<()>> {
    require_edit(ctx.actor, &state.request)?;
    let old = on_request(state, &candidate.relpath)?;
    let (true, Some(meta), Some(hash)) =
        (candidate.shown, &candidate.output, &candidate.content_hash)
    else {
        return Err(match &candidate.unreadable {
            Some(why) => AirlockError::with_message(ErrorCode::FileNoLongerValid, why.clone()),
            None => ErrorCode::FileNoLongerValid.into(),
        });
    };
    if !is_allowed_file_type(&candidate.relpath) {
        return Err(ErrorCode::InvalidFileType.into());
    }
    // WS-5: only an UPDATED file can be updated (not RELEASED, WITHDRAWN or UNDER_REVIEW).
    if candidate.released || old.filetype == FileType::Withdrawn || &old.file_id == hash {
        return Err(ErrorCode::FileUnchanged.into());
    }
    let me = ctx.actor.id();
    let request = touched(ctx, state);
    let mut effects = vec![Effect::UpdateRequest(request.clone())];
    reset_votes_for_author_change(ctx, state, old, &mut effects);
    effects.push(Effect::DeleteFile {
        relpath: old.relpath.clone(),
    });
    effects.push(Effect::Audit(
        file_audit(ctx, &request, AuditType::RequestFileWithdraw, old, me)
            .extra("filetype", old.filetype.as_str()),
    ));
    let file = new_file(candidate, meta, hash, &old.group, old.filetype);
    effects.push(Effect::InsertFile(file.clone()));
    effects.push(Effect::Audit(
        file_audit(ctx, &request, AuditType::RequestFileUpdate, &file, me)
            .extra("filetype", file.filetype.as_str()),
    ));
    Ok(Outcome::of(effects))
}

/// FIL-8: withdraw a file: deleted in PENDING, retyped WITHDRAWN (votes kept) in RETURNED.
pub(super) fn withdraw_file(
    ctx: &Ctx<'_>,
    state: &RequestState,
    relpath: &str,
) -> Result<Outcome<()>> {
    require_edit(ctx.actor, &state.request)?;
    let file = on_request(state, relpath)?;
    if file.filetype == FileType::Withdrawn {
        return Err(ErrorCode::FileAlreadyWithdrawn.into());
    }
    let request = touched(ctx, state);
    let mut effects = vec![Effect::UpdateRequest(request.clone())];
    if state.request.status == Status::Pending {
        effects.push(Effect::DeleteFile {
            relpath: file.relpath.clone(),
        });
    } else {
        let mut withdrawn = file.clone();
        withdrawn.filetype = FileType::Withdrawn;
        effects.push(Effect::UpdateFile(withdrawn));
    }
    effects.push(Effect::Audit(file_audit(
        ctx,
        &request,
        AuditType::RequestFileWithdraw,
        file,
        ctx.actor.id(),
    )));
    Ok(Outcome::of(effects))
}

/// REN-9: a download of a request file by a reviewer of a request submitted at least once,
/// with its REQUEST_FILE_DOWNLOAD entry. Any type may be downloaded, withdrawn included.
pub(super) fn download_file(
    ctx: &Ctx<'_>,
    state: &RequestState,
    relpath: &str,
) -> Result<Outcome<RequestFile>> {
    require_download(ctx.actor, &state.request)?;
    let file = on_request(state, relpath)?;
    let effects = vec![Effect::Audit(served_file_audit(
        ctx,
        &state.request,
        AuditType::RequestFileDownload,
        file,
    ))];
    Ok(Outcome::new(effects, file.clone()))
}

/// The entry of serving a request file's content (REQUEST_FILE_VIEW, REQUEST_FILE_DOWNLOAD):
/// its path is `<group>/<relpath>`, with extra `group` (AUD-3).
fn served_file_audit(
    ctx: &Ctx<'_>,
    request: &Request,
    kind: AuditType,
    file: &RequestFile,
) -> crate::audit::NewAudit {
    audit(ctx, request, kind)
        .path(&format!("{}/{}", file.group, file.relpath))
        .extra("group", file.group.clone())
}

/// FIL-10: move a file to another group and/or change its type. `released` says whether the
/// workspace status of the path is RELEASED.
pub(super) fn change_properties(
    ctx: &Ctx<'_>,
    state: &RequestState,
    relpath: &str,
    group: Option<GroupTarget<'_>>,
    filetype: Option<FileType>,
    released: bool,
) -> Result<Outcome<()>> {
    require_edit(ctx.actor, &state.request)?;
    let file = on_request(state, relpath)?;
    if file.filetype == FileType::Withdrawn {
        return Err(ErrorCode::FileWithdrawn.into());
    }
    if filetype == Some(FileType::Withdrawn) {
        return Err(AirlockError::with_message(
            ErrorCode::BadRequest,
            "Use withdraw to withdraw a file.",
        ));
    }
    let (group_name, create_group) = match group {
        Some(target) => resolve_group(Some(state), target)?,
        None => (file.group.clone(), false),
    };
    let new_type = filetype.unwrap_or(file.filetype);
    if group_name == file.group && new_type == file.filetype {
        return Err(ErrorCode::NoChanges.into());
    }
    if new_type == FileType::Output && file.filetype != FileType::Output && released {
        return Err(ErrorCode::ReleasedFileOutput.into());
    }
    let request = touched(ctx, state);
    let mut effects = vec![Effect::UpdateRequest(request.clone())];
    reset_votes_for_author_change(ctx, state, file, &mut effects);
    if create_group {
        effects.push(Effect::CreateGroup(new_group(ctx, &group_name)));
    }
    let mut changed = file.clone();
    changed.group = group_name;
    changed.filetype = new_type;
    effects.push(Effect::UpdateFile(changed.clone()));
    effects.push(Effect::Audit(
        file_audit(
            ctx,
            &request,
            AuditType::RequestFileUpdate,
            &changed,
            ctx.actor.id(),
        )
        .extra("filetype", new_type.as_str()),
    ));
    Ok(Outcome::of(effects))
}

/// GRP-3: edit a group's context and controls.
pub(super) fn edit_group(
    ctx: &Ctx<'_>,
    state: &RequestState,
    group: &str,
    context: &str,
    controls: &str,
) -> Result<Outcome<()>> {
    require_edit(ctx.actor, &state.request)?;
    let existing = state.group(group).ok_or_else(AirlockError::not_found)?;
    if existing.context == context && existing.controls == controls {
        return Err(ErrorCode::NoChanges.into());
    }
    let mut edited = existing.clone();
    edited.context = context.to_string();
    edited.controls = controls.to_string();
    edited.updated_at = ctx.now;
    let request = touched(ctx, state);
    Ok(Outcome::of(vec![
        Effect::UpdateRequest(request.clone()),
        Effect::UpdateGroup(edited.clone()),
        Effect::Audit(
            audit(ctx, &request, AuditType::RequestEdit)
                .extra("group", edited.name)
                .extra("context", context)
                .extra("controls", controls),
        ),
    ]))
}
