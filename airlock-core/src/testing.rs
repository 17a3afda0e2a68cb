//! Builders of users and requests for tests, benchmarks and documentation examples. Pure data;
//! nothing here is used by the product's own code paths.

use crate::model::{
    FileType, Group, OutputMeta, Request, RequestFile, RequestState, Timestamp, UploadState, Vote,
    VoteStatus,
};
use crate::status::Status;
use crate::user::{Grant, User};
use chrono::{DateTime, Duration};
use std::collections::{BTreeMap, BTreeSet};

/// The workspace the builders use.
pub const WS: &str = "workspace";
/// The author of [`request_in`] requests.
pub const AUTHOR: &str = "author";

/// A fixed time: 2025-01-01T00:00:00Z.
pub fn t0() -> Timestamp {
    DateTime::from_timestamp(1_735_689_600, 0).unwrap_or(DateTime::UNIX_EPOCH)
}

/// `t0()` plus some seconds.
pub fn at(seconds: i64) -> Timestamp {
    t0() + Duration::seconds(seconds)
}

/// The author: a researcher with a role on [`WS`].
pub fn author() -> User {
    researcher(AUTHOR)
}

/// A researcher with an active role on [`WS`].
pub fn researcher(name: &str) -> User {
    User::new(name).with_role(WS, Grant::active("Project"))
}

/// An output checker without a role.
pub fn checker(name: &str) -> User {
    User::new(name).checker()
}

/// An output checker who also holds a role on [`WS`].
pub fn collaborating_checker(name: &str) -> User {
    researcher(name).checker()
}

/// A copilot of [`WS`].
pub fn copilot(name: &str) -> User {
    User::new(name).with_copilot(WS, Grant::active("Project"))
}

/// A read-only tech-support user.
pub fn tech_support(name: &str) -> User {
    User::new(name).readonly()
}

/// A user with no access to [`WS`].
pub fn outsider(name: &str) -> User {
    User::new(name).with_role("elsewhere", Grant::active("Other"))
}

/// A hex string of 64 characters derived from a seed, usable as a sha256.
pub fn fake_hash(seed: &str) -> String {
    let mut out = String::with_capacity(64);
    let mut x: u64 = 1469598103934665603;
    for b in seed.bytes() {
        x = (x ^ u64::from(b)).wrapping_mul(1099511628211);
    }
    while out.len() < 64 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        out.push_str(&format!("{:016x}", x));
    }
    out.truncate(64);
    out
}

/// A request file in `group`.
pub fn file(relpath: &str, group: &str, filetype: FileType) -> RequestFile {
    RequestFile {
        relpath: relpath.to_string(),
        group: group.to_string(),
        file_id: fake_hash(relpath),
        filetype,
        meta: OutputMeta {
            size: 10,
            job_id: "job".into(),
            ..OutputMeta::default()
        },
        upload: UploadState::default(),
    }
}

/// A complete group named `name`.
pub fn group(name: &str) -> Group {
    Group {
        name: name.to_string(),
        context: "context".into(),
        controls: "controls".into(),
        created_at: t0(),
        updated_at: t0(),
    }
}

/// A vote.
pub fn vote(relpath: &str, reviewer: &str, status: VoteStatus, turn: i64) -> Vote {
    Vote {
        relpath: relpath.to_string(),
        reviewer: reviewer.to_string(),
        status,
        review_turn: turn,
        created_at: t0(),
        updated_at: t0(),
    }
}

/// A PENDING request by [`AUTHOR`] in [`WS`] with no groups or files.
pub fn empty_request(id: &str) -> RequestState {
    RequestState::new(Request {
        id: id.to_string(),
        workspace: WS.to_string(),
        author: AUTHOR.to_string(),
        status: Status::Pending,
        review_turn: 0,
        submitted_reviews: BTreeMap::new(),
        turn_reviewers: BTreeSet::new(),
        last_submitted_at: None,
        project: "Project".into(),
        organisations: vec![],
        created_at: t0(),
        updated_at: t0(),
    })
}

/// A request by [`AUTHOR`] in `status`, with a complete group `default` holding one OUTPUT
/// file `output/a.csv`, and a turn, reviews and votes consistent with the status: reviews by
/// `reviewer1` (and `reviewer2` from REVIEWED on), who approved the file.
pub fn request_in(status: Status) -> RequestState {
    let mut state = empty_request("01JNQ8Z7K3V5W2X9Y4T6R8P0MA");
    state.groups.push(group("default"));
    state
        .files
        .push(file("output/a.csv", "default", FileType::Output));
    let request = &mut state.request;
    request.status = status;
    let reviewers: &[&str] = match status {
        Status::Pending => &[],
        Status::Submitted => &[],
        Status::PartiallyReviewed => &["reviewer1"],
        _ => &["reviewer1", "reviewer2"],
    };
    request.review_turn = match status {
        Status::Pending => 0,
        Status::Returned => 2,
        Status::Withdrawn => 0,
        _ => 1,
    };
    if status != Status::Pending && status != Status::Withdrawn {
        request.last_submitted_at = Some(t0());
    }
    let review_turn = request.review_turn;
    for r in reviewers {
        if status == Status::Returned {
            request.turn_reviewers.insert(r.to_string());
        } else {
            request.submitted_reviews.insert(r.to_string(), t0());
        }
    }
    for r in reviewers {
        state.votes.push(vote(
            "output/a.csv",
            r,
            VoteStatus::Approved,
            review_turn.min(1),
        ));
    }
    state
}

/// An in-memory request with its audit log and outbox: applies the effects of actions the way
/// the store does, so tests can follow a request through its life.
#[derive(Debug, Clone)]
pub struct World {
    /// The request aggregate.
    pub state: RequestState,
    /// Audit entries in id order.
    pub audit: Vec<crate::audit::AuditEntry>,
    /// Queued notifications in order.
    pub notifications: Vec<crate::notification::Notification>,
    /// The rules.
    pub rules: crate::context::Rules,
    /// Seconds after [`t0`] of the next action.
    pub clock: i64,
}

impl World {
    /// A world around a request.
    pub fn new(state: RequestState, rules: crate::context::Rules) -> Self {
        World {
            state,
            audit: Vec::new(),
            notifications: Vec::new(),
            rules,
            clock: 1,
        }
    }

    /// Runs an action as `user` on the request at the next tick; on success applies its
    /// effects. Actions that need workspace facts or a fresh id take [`World::act_with`].
    pub fn act(
        &mut self,
        user: &User,
        action: crate::action::Action,
    ) -> crate::error::Result<crate::action::Answer> {
        let facts = crate::action::Facts {
            fresh_id: format!("id{:08}", self.clock),
            ..crate::action::Facts::default()
        };
        self.act_with(user, &action, &facts)
    }

    /// As [`World::act`], with the facts the store would read.
    pub fn act_with(
        &mut self,
        user: &User,
        action: &crate::action::Action,
        facts: &crate::action::Facts,
    ) -> crate::error::Result<crate::action::Answer> {
        self.clock += 1;
        let rules = self.rules.clone();
        let ctx = crate::context::Ctx::new(user, &rules, at(self.clock));
        let subject = crate::action::Subject::Request(&self.state);
        let (effects, answer) = crate::action::run(&ctx, subject, action, facts)?.into_parts();
        self.apply(&effects);
        Ok(answer)
    }

    /// Runs one rule function of `action` directly (the crate's own unit tests).
    #[cfg(test)]
    pub(crate) fn act_rule<T>(
        &mut self,
        user: &User,
        rule: impl FnOnce(
            &crate::context::Ctx<'_>,
            &RequestState,
        ) -> crate::error::Result<crate::action::Outcome<T>>,
    ) -> crate::error::Result<T> {
        self.clock += 1;
        let rules = self.rules.clone();
        let ctx = crate::context::Ctx::new(user, &rules, at(self.clock));
        let (effects, value) = rule(&ctx, &self.state)?.into_parts();
        self.apply(&effects);
        Ok(value)
    }

    /// Runs an upload step at `now`; on success applies its effects.
    pub fn upload(
        &mut self,
        step: &crate::action::UploadStep,
        now: Timestamp,
    ) -> crate::error::Result<crate::action::UploadAnswer> {
        let (effects, answer) =
            crate::action::run_upload(&self.state, step, now, &self.rules)?.into_parts();
        self.apply(&effects);
        Ok(answer)
    }

    /// Applies effects: the aggregate, the audit log (with hiding) and the outbox.
    pub fn apply(&mut self, effects: &[crate::effect::Effect]) {
        use crate::effect::Effect;
        for effect in effects {
            match effect {
                Effect::Audit(entry) => {
                    let id = self.audit.len() as i64 + 1;
                    self.audit.push(crate::audit::AuditEntry {
                        id,
                        entry: entry.clone(),
                        hidden: false,
                        prev_hash: String::new(),
                        hash: String::new(),
                    });
                }
                Effect::HideAuditTurn { turn } => {
                    let request = self.state.request.id.clone();
                    for e in &mut self.audit {
                        if e.entry.request.as_deref() == Some(request.as_str()) && e.turn() == *turn
                        {
                            e.hidden = true;
                        }
                    }
                }
                Effect::Notify(n) => self.notifications.push(n.clone()),
                other => crate::effect::apply(&mut self.state, std::slice::from_ref(other)),
            }
        }
    }

    /// The current status.
    pub fn status(&self) -> Status {
        self.state.request.status
    }
}
