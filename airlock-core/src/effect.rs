//! What an allowed action changes, as data. The rules return a list of [`Effect`]s; the store
//! writes them in order in one transaction, and [`apply`] replays them on an in-memory
//! [`RequestState`] (the model the property tests check).

use crate::audit::NewAudit;
use crate::model::{Comment, Group, Request, RequestFile, RequestState, Vote};
use crate::notification::Notification;
use serde::{Deserialize, Serialize};

/// One change. Applied in order; audit entries are appended in order (AUD-4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Effect {
    /// Insert the request (creation, ST-7 first row).
    CreateRequest(Request),
    /// Replace the request record (status, turn, reviews, times).
    UpdateRequest(Request),
    /// Insert a group.
    CreateGroup(Group),
    /// Replace a group's context and controls.
    UpdateGroup(Group),
    /// Insert a file row.
    InsertFile(RequestFile),
    /// Replace a file row, matched by path.
    UpdateFile(RequestFile),
    /// Delete a file row by path.
    DeleteFile {
        /// The path.
        relpath: String,
    },
    /// Insert or replace a vote, matched by (path, reviewer).
    PutVote(Vote),
    /// Delete a vote.
    DeleteVote {
        /// The file's path.
        relpath: String,
        /// The voter.
        reviewer: String,
    },
    /// Insert a comment.
    InsertComment(Comment),
    /// Replace a comment (visibility change), matched by id.
    UpdateComment(Comment),
    /// Delete a comment by id.
    DeleteComment {
        /// The comment id.
        id: String,
    },
    /// Append an audit entry.
    Audit(NewAudit),
    /// Mark every audit entry of this request and turn hidden (RET-3 step 3).
    HideAuditTurn {
        /// The turn.
        turn: i64,
    },
    /// Queue a notification in the outbox (§17).
    Notify(Notification),
}

/// Applies effects to an in-memory aggregate. Audit, hiding and notifications are not part of
/// the aggregate and are ignored here.
pub fn apply(state: &mut RequestState, effects: &[Effect]) {
    for effect in effects {
        apply_one(state, effect);
    }
}

fn apply_one(state: &mut RequestState, effect: &Effect) {
    match effect {
        Effect::CreateRequest(r) | Effect::UpdateRequest(r) => state.request = r.clone(),
        Effect::CreateGroup(g) => state.groups.push(g.clone()),
        Effect::UpdateGroup(g) => {
            if let Some(slot) = state.groups.iter_mut().find(|x| x.name == g.name) {
                *slot = g.clone();
            }
        }
        Effect::InsertFile(f) => state.files.push(f.clone()),
        Effect::UpdateFile(f) => {
            if let Some(slot) = state.files.iter_mut().find(|x| x.relpath == f.relpath) {
                *slot = f.clone();
            }
        }
        Effect::DeleteFile { relpath } => state.files.retain(|f| &f.relpath != relpath),
        Effect::PutVote(v) => {
            match state
                .votes
                .iter_mut()
                .find(|x| x.relpath == v.relpath && x.reviewer == v.reviewer)
            {
                Some(slot) => *slot = v.clone(),
                None => state.votes.push(v.clone()),
            }
        }
        Effect::DeleteVote { relpath, reviewer } => state
            .votes
            .retain(|v| !(&v.relpath == relpath && &v.reviewer == reviewer)),
        Effect::InsertComment(c) => state.comments.push(c.clone()),
        Effect::UpdateComment(c) => {
            if let Some(slot) = state.comments.iter_mut().find(|x| x.id == c.id) {
                *slot = c.clone();
            }
        }
        Effect::DeleteComment { id } => state.comments.retain(|c| &c.id != id),
        Effect::Audit(_) | Effect::HideAuditTurn { .. } | Effect::Notify(_) => {}
    }
}

/// Audit entries among the effects, in order.
pub fn audits(effects: &[Effect]) -> impl Iterator<Item = &NewAudit> {
    effects.iter().filter_map(|e| match e {
        Effect::Audit(a) => Some(a),
        _ => None,
    })
}

/// Notifications among the effects, in order.
pub fn notifications(effects: &[Effect]) -> impl Iterator<Item = &Notification> {
    effects.iter().filter_map(|e| match e {
        Effect::Notify(n) => Some(n),
        _ => None,
    })
}
