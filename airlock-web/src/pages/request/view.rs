//! PG-17: the request browser, `/requests/view/<id>/[<group>/[<path>]]`. Two panes: the tree
//! of groups and files with their decisions as this viewer may see them (REV-7), and the
//! overview, a group or a file. Everything shown comes from `airlock_core::view` (blinding
//! applied: another reviewer's vote or a blinded comment is not in the bytes at all, PG-17), and
//! every control from `airlock_core::offer` (PG-1), with the reason when it is refused.

use super::super::content::TableParams;
use super::super::format::{self, Shown};
use super::super::frame::Frame;
use super::super::path::PagePath;
use super::super::respond::render;
use super::super::respond::{Page, PageContext, Reply};
use super::super::workspace::workspace_url;
use super::{content_url, file_action_url, file_url, group_url, overview_url};
use crate::app::App;
use airlock_core::decision::{explanation, review_progress};
use airlock_core::offer::{self, Offer};
use airlock_core::view::{CommentView, FileView, GroupView, HintView, RequestView, file_order};
use airlock_core::{
    AirlockError, Ctx, Decision, ErrorCode, FileType, RequestState, Status, User, Visibility,
    VoteStatus, label,
};
use askama::Template;
use rocket::{Route, State, get, routes};
use std::collections::HashMap;

/// A control of the page: offered (`Ok`) or shown disabled with the reason.
pub type Control = Result<(), String>;

/// Refusals that mean "this is not for you now": such a control is not shown at all, rather
/// than shown disabled (a researcher is not shown a disabled "Release").
fn not_for_viewer(error: &AirlockError) -> bool {
    matches!(
        error.error_code(),
        ErrorCode::PermissionDenied
            | ErrorCode::InvalidTransition
            | ErrorCode::NotUnderReview
            | ErrorCode::NoWorkspaceRole
            | ErrorCode::RequestNotEditable
            | ErrorCode::NotFound
            | ErrorCode::NotOutputFile
    )
}

/// A control for an offer: `None` when the action is not for this viewer now.
fn shown(offer: &Offer) -> Option<Control> {
    match offer {
        Ok(()) => Some(Ok(())),
        Err(e) if not_for_viewer(e) => None,
        Err(e) => Some(Err(e.message().to_string())),
    }
}

/// A button of the overview.
pub struct Button {
    /// Its words.
    pub label: &'static str,
    /// Where it posts.
    pub action: String,
    /// Its look: `primary`, `danger`, `approve` ...
    pub style: &'static str,
    /// Offered, or why not.
    pub control: Control,
    /// An id for `aria-describedby`.
    pub id: &'static str,
}

/// A row of the tree pane.
pub struct TreeRow {
    /// The group or the file's path.
    pub name: String,
    /// Its page.
    pub url: String,
    /// 1: a group; 2: a file.
    pub level: usize,
    /// It is what the right pane shows.
    pub current: bool,
    /// A file's decision as the viewer sees it: (name, words).
    pub decision: Option<(&'static str, &'static str)>,
    /// A file's type when it is not OUTPUT.
    pub filetype: Option<(&'static str, &'static str)>,
    /// The viewer's own vote.
    pub my_vote: Option<(&'static str, &'static str)>,
}

/// A file in a group's table.
pub struct FileLine {
    /// The path.
    pub path: String,
    /// Its page.
    pub url: String,
    /// OUTPUT, SUPPORTING or WITHDRAWN, with its words.
    pub filetype: (&'static str, &'static str),
    /// The decision as the viewer sees it.
    pub decision: (&'static str, &'static str),
    /// The viewer's own vote.
    pub my_vote: Option<(&'static str, &'static str)>,
    /// HNT-4: its number of hints, when shown.
    pub hints: Option<usize>,
    /// Size, in words.
    pub size: String,
    /// Released and uploaded (while APPROVED or RELEASED).
    pub uploaded: Option<bool>,
    /// It may be selected to be withdrawn or changed (FIL-8, FIL-10 offered).
    pub selectable: bool,
    /// Its name in a selection: `<group>/<path>`.
    pub selected: String,
}

/// A group on the overview.
pub struct GroupLine {
    /// Its name.
    pub name: String,
    /// Its page.
    pub url: String,
    /// Context text.
    pub context: String,
    /// Controls text.
    pub controls: String,
    /// GRP-4: it still needs context and controls (shown while editable).
    pub incomplete: bool,
    /// Its files.
    pub files: Vec<FileLine>,
}

/// A comment as shown.
pub struct CommentLine {
    /// Its id.
    pub id: String,
    /// Who wrote it, as shown, and their username.
    pub author: (String, String),
    /// Its turn.
    pub turn: i64,
    /// When.
    pub created: Shown,
    /// VIS-4.
    pub badge: &'static str,
    /// The Markdown as HTML (COM-6: raw HTML escaped, links filtered).
    pub html: String,
    /// COM-4.
    pub delete: bool,
    /// COM-5.
    pub publish: bool,
}

/// A comment form.
pub struct CommentForm {
    /// The visibilities the viewer may choose, the default first (COM-2): (value, words).
    pub visibilities: Vec<(&'static str, &'static str)>,
    /// The file the comment is posted from (COM-3).
    pub file: Option<String>,
}

/// UPL-8 and UPL-7.
pub struct UploadBox {
    /// Uploaded OUTPUT files.
    pub uploaded: usize,
    /// Released ones.
    pub released: usize,
    /// The counter's address (UPL-8).
    pub url: String,
    /// Stuck files, for reviewers: (path, attempts, last error, last attempt).
    pub stuck: Vec<(String, i64, String, Option<Shown>)>,
}

/// The overview.
pub struct Overview {
    /// The groups with files (GRP-4: empty groups are hidden).
    pub groups: Vec<GroupLine>,
    /// "1 of 2 independent reviews submitted".
    pub reviews: String,
    /// "Your review: 4 of 6 files" (reviewers).
    pub my_review: Option<String>,
    /// UPL-8.
    pub upload: Option<UploadBox>,
    /// The request's actions this viewer is offered.
    pub buttons: Vec<Button>,
}

/// A group page.
pub struct GroupPane {
    /// The group.
    pub group: GroupLine,
    /// GRP-3: edit context and controls.
    pub edit: Option<Control>,
    /// Some file may be selected to be withdrawn or changed.
    pub select: bool,
    /// REV-5.1.
    pub request_changes: Option<Control>,
    /// REV-5.2.
    pub reset_votes: Option<Control>,
    /// Its comments, newest first.
    pub comments: Vec<CommentLine>,
    /// The comment form, when the viewer may comment.
    pub comment: Option<CommentForm>,
    /// Its activity (AUD-6), newest first.
    pub activity: Vec<super::lists::ActivityLine>,
}

/// The vote controls of a file (REV-13).
pub struct Votes {
    /// The approve button: (words, action, selected, control).
    pub approve: (&'static str, String, bool, Control),
    /// The request-changes button.
    pub changes: (&'static str, String, bool, Control),
}

/// FIL-10's form on a file page.
pub struct Change {
    /// Offered, or why not.
    pub control: Control,
    /// The other groups it may move to.
    pub groups: Vec<String>,
    /// The types it may have: (name, words).
    pub types: Vec<(&'static str, &'static str)>,
}

/// A file page.
pub struct FilePane {
    /// The file.
    pub line: FileLine,
    /// Its group.
    pub group: String,
    /// The group's page.
    pub group_url: String,
    /// REV-8.
    pub explanation: String,
    /// REV-13, for a reviewer under review.
    pub votes: Option<Votes>,
    /// FIL-8: withdraw.
    pub withdraw: Option<(String, Control)>,
    /// FIL-10: move or retype.
    pub change: Option<Change>,
    /// REN-9.
    pub download: Option<String>,
    /// The contents' address, the plain-text view.
    pub content_url: String,
    /// The frame's address: the contents with the table's view, framed.
    pub frame_url: String,
    /// As plain text.
    pub plaintext_url: String,
    /// WEB-8: the study code at the file's commit, when it has one.
    pub code_url: Option<String>,
    /// HNT-4: the file's number of hints.
    pub hint_count: usize,
    /// Its hints in words, grouped (see [`airlock_core::view::hint_summary`]).
    pub hints: Vec<String>,
    /// The comments posted from this file.
    pub comments: Vec<CommentLine>,
    /// The comment form.
    pub comment: Option<CommentForm>,
    /// PG-22: the previous and next files.
    pub previous: Option<String>,
    /// PG-22.
    pub next: Option<String>,
    /// PG-22: the keys work here (a reviewer under review).
    pub review_keys: bool,
    /// Size, job and commit.
    pub facts: Vec<(&'static str, String)>,
}

/// What the right pane shows.
pub enum Pane {
    /// The overview.
    Overview(Box<Overview>),
    /// A group.
    Group(Box<GroupPane>),
    /// A file.
    File(Box<FilePane>),
}

/// PG-17.
#[derive(Template)]
#[template(path = "request.html")]
pub struct RequestPage<'a> {
    frame: &'a Frame,
    id: String,
    workspace: String,
    workspace_url: String,
    author: (String, String),
    status: (&'static str, &'static str),
    turn_owner: &'static str,
    turn: i64,
    created: Shown,
    submitted: Option<Shown>,
    overview_url: String,
    activity_url: String,
    crumbs: Vec<(String, String)>,
    heading: String,
    /// The page's `<title>`.
    title: String,
    /// This page's address (the `next_url` of forms that come back here).
    here: String,
    tree: Vec<TreeRow>,
    pane: Pane,
}

fn decision_of(d: Decision) -> (&'static str, &'static str) {
    (d.as_str(), label::decision(d))
}

fn vote_of(v: VoteStatus) -> (&'static str, &'static str) {
    (v.as_str(), label::vote(v))
}

fn type_of(t: FileType) -> (&'static str, &'static str) {
    (t.as_str(), label::file_type(t))
}

/// What a page needs besides the view.
struct Reading<'a> {
    app: &'a App,
    user: &'a User,
    state: &'a RequestState,
    view: &'a RequestView,
    ctx: Ctx<'a>,
    names: HashMap<String, String>,
    /// A CSV table's view, for a file's frame.
    table: &'a TableParams,
}

impl Reading<'_> {
    fn name(&self, username: &str) -> (String, String) {
        let shown = self
            .names
            .get(username)
            .cloned()
            .unwrap_or_else(|| username.to_string());
        (shown, username.to_string())
    }

    fn hint_counts(&self) -> Option<HashMap<&str, usize>> {
        if !airlock_core::view::shows_hints(self.user, &self.state.request) {
            return None;
        }
        let mut counts = HashMap::new();
        for file in airlock_core::view::hinted_files(self.state) {
            counts.insert(file.relpath.as_str(), 0);
        }
        for hint in &self.view.hints {
            *counts.entry(hint.path.as_str()).or_insert(0) += 1;
        }
        Some(counts)
    }

    fn file_line(
        &self,
        group: &str,
        file: &FileView,
        hints: Option<&HashMap<&str, usize>>,
    ) -> FileLine {
        let upload = matches!(self.view.status, Status::Approved | Status::Released)
            && file.filetype == FileType::Output;
        FileLine {
            url: file_url(&self.view.id, group, &file.path),
            filetype: type_of(file.filetype),
            decision: decision_of(file.decision),
            my_vote: file.my_vote.map(vote_of),
            hints: hints.and_then(|h| h.get(file.path.as_str()).copied()),
            size: format::size(u64::try_from(file.size).unwrap_or(0)),
            uploaded: upload.then_some(file.uploaded),
            selectable: {
                let offers = offer::file_offers(&self.ctx, self.state, &file.path);
                offers.withdraw.is_ok() || offers.change.is_ok()
            },
            selected: format!("{group}/{}", file.path),
            path: file.path.clone(),
        }
    }

    fn group_line(&self, group: &GroupView, hints: Option<&HashMap<&str, usize>>) -> GroupLine {
        let incomplete = self.view.status.is_editable()
            && airlock_core::decision::incomplete_groups(self.state).contains(&group.name);
        GroupLine {
            url: group_url(&self.view.id, &group.name),
            context: group.context.clone(),
            controls: group.controls.clone(),
            incomplete,
            files: group
                .files
                .iter()
                .map(|f| self.file_line(&group.name, f, hints))
                .collect(),
            name: group.name.clone(),
        }
    }

    fn comment_line(&self, comment: &CommentView) -> CommentLine {
        let stored = self.state.comment(&comment.id);
        let offers = offer::comment_offers(&self.ctx, self.state, &comment.id);
        CommentLine {
            id: comment.id.clone(),
            author: self.name(&comment.author),
            turn: comment.review_turn,
            created: format::time(comment.created_at),
            badge: stored.map_or("All users", |c| {
                airlock_core::visibility::comment_badge(&self.state.request, c)
            }),
            html: airlock_core::markdown::comment_html(&comment.text),
            delete: offers.delete.is_ok(),
            publish: offers.publish.is_ok(),
        }
    }

    fn comment_form(&self, group: &str, file: Option<&str>) -> Option<CommentForm> {
        let offers = offer::group_offers(&self.ctx, self.state, group);
        let allowed = offers.comment.ok()?;
        if let Some(path) = file {
            offer::file_offers(&self.ctx, self.state, path)
                .comment
                .ok()?;
        }
        Some(CommentForm {
            visibilities: allowed
                .iter()
                .map(|v| {
                    let words = match v {
                        Visibility::Private => "Output checkers only",
                        Visibility::Public => "Everyone who can see the request",
                    };
                    (v.as_str(), words)
                })
                .collect(),
            file: file.map(str::to_string),
        })
    }
}

fn overview(r: &Reading<'_>) -> Overview {
    let hints = r.hint_counts();
    let n = r.app.store().rules().required_reviews;
    let groups = r
        .view
        .groups
        .iter()
        .filter(|g| !g.files.is_empty())
        .map(|g| r.group_line(g, hints.as_ref()))
        .collect();
    let offers = offer::request_offers(&r.ctx, r.state);
    let id = &r.view.id;
    let post = |action: &str| format!("/requests/{action}/{}", format::segment(id));
    let submit_label = if r.view.status == Status::Returned {
        "Resubmit request"
    } else {
        "Submit request"
    };
    let buttons = [
        (
            submit_label,
            "submit",
            "primary",
            &offers.submit,
            "submit-why",
        ),
        (
            "Submit review",
            "review",
            "primary",
            &offers.review,
            "review-why",
        ),
        (
            "Release files",
            "release",
            "approve",
            &offers.release,
            "release-why",
        ),
        (
            "Return request",
            "return",
            "",
            &offers.return_request,
            "return-why",
        ),
        (
            "Reject request",
            "reject",
            "danger",
            &offers.reject,
            "reject-why",
        ),
        (
            "Withdraw request",
            "withdraw",
            "danger",
            &offers.withdraw,
            "withdraw-why",
        ),
    ]
    .into_iter()
    .filter_map(|(label, action, style, offer, id)| {
        shown(offer).map(|control| Button {
            label,
            action: post(action),
            style,
            control,
            id,
        })
    })
    .collect();
    let is_reviewer = airlock_core::access::is_reviewer(r.user, &r.state.request);
    let my_review = (is_reviewer && r.view.status.is_under_review()).then(|| {
        let (voted, total) = review_progress(r.state, r.user.id());
        let done = r.state.request.submitted_reviews.contains_key(r.user.id());
        format!(
            "Your review: {voted} of {total} files{}",
            if done { ", submitted" } else { "" }
        )
    });
    let upload = r.view.upload.as_ref().map(|u| UploadBox {
        uploaded: u.uploaded,
        released: u.released,
        url: format!("/requests/{}/uploaded-files-count", format::segment(id)),
        stuck: u
            .stuck
            .iter()
            .map(|s| {
                (
                    s.path.clone(),
                    s.attempts,
                    s.last_error.clone().unwrap_or_default(),
                    s.last_attempt_at.map(format::time),
                )
            })
            .collect(),
    });
    Overview {
        groups,
        reviews: format!(
            "{} of {n} independent reviews submitted",
            r.view.submitted_reviews
        ),
        my_review,
        upload,
        buttons,
    }
}

fn group_pane(r: &Reading<'_>, group: &GroupView) -> GroupPane {
    let hints = r.hint_counts();
    let offers = offer::group_offers(&r.ctx, r.state, &group.name);
    let activity = r
        .app
        .store()
        .request_activity(r.user, &r.view.id, Some(&group.name))
        .map(|entries| super::lists::activity_lines(r.app, &entries))
        .unwrap_or_default();
    let line = r.group_line(group, hints.as_ref());
    GroupPane {
        select: line.files.iter().any(|f| f.selectable),
        group: line,
        edit: shown(&offers.edit),
        request_changes: shown(&offers.request_changes),
        reset_votes: shown(&offers.reset_votes),
        comments: group.comments.iter().map(|c| r.comment_line(c)).collect(),
        comment: r.comment_form(&group.name, None),
        activity,
    }
}

fn file_pane(r: &Reading<'_>, group: &GroupView, file: &FileView) -> FilePane {
    let hints_shown = r.hint_counts();
    let id = &r.view.id;
    let offers = offer::file_offers(&r.ctx, r.state, &file.path);
    let n = r.app.store().rules().required_reviews;
    let stored = r.state.file(&file.path);
    let under_review = r.view.status.is_under_review()
        && airlock_core::access::is_reviewer(r.user, &r.state.request)
        && file.filetype == FileType::Output;
    let action = |name: &str| file_action_url(name, id, &group.name, &file.path);
    let votes = under_review.then(|| {
        let control = |o: &Offer| o.as_ref().map(|_| ()).map_err(|e| e.message().to_string());
        let mine = file.my_vote;
        // REV-13: the button of the current vote is selected and resets; the other votes.
        let approve = match mine {
            Some(VoteStatus::Approved) => (
                "Approved",
                action("reset_review"),
                true,
                control(&offers.reset_vote),
            ),
            _ => (
                "Approve file",
                action("approve"),
                false,
                control(&offers.approve),
            ),
        };
        let changes = match mine {
            Some(VoteStatus::ChangesRequested) => (
                "Changes requested",
                action("reset_review"),
                true,
                control(&offers.reset_vote),
            ),
            _ => (
                "Request changes",
                action("request_changes"),
                false,
                control(&offers.request_changes),
            ),
        };
        Votes { approve, changes }
    });
    let order = file_order(r.view);
    let at = order.iter().position(|(_, p)| *p == file.path);
    let neighbour = |i: Option<usize>| {
        i.and_then(|i| order.get(i))
            .map(|(g, p)| file_url(id, g, p))
    };
    let previous = neighbour(at.and_then(|i| i.checked_sub(1)));
    let next = neighbour(at.map(|i| i + 1));
    let mut facts = vec![("Size", format::size(u64::try_from(file.size).unwrap_or(0)))];
    if let Some(stored) = stored {
        if !stored.meta.job_id.is_empty() {
            facts.push(("Job", stored.meta.job_id.clone()));
        }
        if !stored.meta.commit.is_empty() {
            facts.push(("Commit", stored.meta.commit.clone()));
        }
        if let Some(t) = format::epoch_time(stored.meta.timestamp) {
            facts.push(("Modified", t.text));
        }
        facts.push(("sha256", stored.file_id.clone()));
    }
    let hints: Vec<&HintView> = if hints_shown.is_some() {
        r.view
            .hints
            .iter()
            .filter(|h| h.path == file.path)
            .collect()
    } else {
        Vec::new()
    };
    let change = shown(&offers.change).map(|control| {
        let mut groups = airlock_core::listing::group_choices(Some(r.state));
        groups.retain(|g| g != &group.name);
        let types = [FileType::Output, FileType::Supporting]
            .into_iter()
            .map(type_of)
            .collect();
        Change {
            control,
            groups,
            types,
        }
    });
    let content = content_url(id, &group.name, &file.path);
    FilePane {
        line: r.file_line(&group.name, file, hints_shown.as_ref()),
        group: group.name.clone(),
        group_url: group_url(id, &group.name),
        explanation: explanation(file.decision, n),
        votes,
        withdraw: shown(&offers.withdraw).map(|c| (action("withdraw"), c)),
        change,
        download: offers
            .download
            .is_ok()
            .then(|| format!("{content}?download")),
        plaintext_url: format!("{content}?plaintext=true"),
        code_url: stored
            .map(|f| f.meta.commit.clone())
            .filter(|c| !c.is_empty())
            .map(|commit| {
                format!(
                    "/code/view/{}/{}/project.yaml?return_url={}",
                    format::segment(&r.state.request.workspace),
                    format::segment(&commit),
                    format::query(&file_url(id, &group.name, &file.path))
                )
            }),
        frame_url: r.table.frame_url(&content),
        content_url: content,
        hint_count: hints.len(),
        hints: airlock_core::view::hint_summary(hints),
        comments: group
            .comments
            .iter()
            .filter(|c| c.file.as_deref() == Some(file.path.as_str()))
            .map(|c| r.comment_line(c))
            .collect(),
        comment: r.comment_form(&group.name, Some(&file.path)),
        previous,
        next,
        review_keys: under_review,
        facts,
    }
}

fn tree_rows(r: &Reading<'_>, group: Option<&str>, path: Option<&str>) -> Vec<TreeRow> {
    let mut rows = Vec::new();
    for g in &r.view.groups {
        if g.files.is_empty() {
            continue;
        }
        rows.push(TreeRow {
            name: g.name.clone(),
            url: group_url(&r.view.id, &g.name),
            level: 1,
            current: group == Some(g.name.as_str()) && path.is_none(),
            decision: None,
            filetype: None,
            my_vote: None,
        });
        for f in &g.files {
            rows.push(TreeRow {
                name: f.path.clone(),
                url: file_url(&r.view.id, &g.name, &f.path),
                level: 2,
                current: group == Some(g.name.as_str()) && path == Some(f.path.as_str()),
                decision: (f.filetype == FileType::Output).then(|| decision_of(f.decision)),
                filetype: (f.filetype != FileType::Output).then(|| type_of(f.filetype)),
                my_vote: f.my_vote.map(vote_of),
            });
        }
    }
    rows
}

fn build(
    app: &App,
    user: &User,
    frame: &Frame,
    id: &str,
    group: Option<&str>,
    path: Option<&str>,
    table: &TableParams,
) -> airlock_core::Result<Reply> {
    let (state, view) = app.store().request_page(user, id)?;
    let mut people: Vec<&str> = vec![state.request.author.as_str()];
    people.extend(
        view.groups
            .iter()
            .flat_map(|g| g.comments.iter().map(|c| c.author.as_str())),
    );
    let names = app.store().display_names(people)?;
    let rules = app.store().rules().clone();
    let r = Reading {
        app,
        user,
        state: &state,
        view: &view,
        ctx: Ctx::new(user, &rules, app.store().now()),
        names,
        table,
    };
    let group_view = match group {
        Some(g) => Some(view.groups.iter().find(|v| v.name == g).ok_or_else(|| {
            AirlockError::with_message(
                ErrorCode::NotFound,
                format!("This request has no group {g}."),
            )
        })?),
        None => None,
    };
    let file_view = match (group_view, path) {
        (Some(g), Some(p)) => Some(g.files.iter().find(|f| f.path == p).ok_or_else(|| {
            AirlockError::with_message(
                ErrorCode::NotFound,
                format!("Group {} has no file {p}.", g.name),
            )
        })?),
        _ => None,
    };
    let (pane, heading) = match (group_view, file_view) {
        (Some(g), Some(f)) => (Pane::File(Box::new(file_pane(&r, g, f))), f.path.clone()),
        (Some(g), None) => (
            Pane::Group(Box::new(group_pane(&r, g))),
            format!("Group {}", g.name),
        ),
        _ => (
            Pane::Overview(Box::new(overview(&r))),
            format!("Request {}", state.request.short_id()),
        ),
    };
    let mut crumbs = vec![
        (
            state.request.workspace.clone(),
            workspace_url(&state.request.workspace),
        ),
        (
            format!("Request {}", state.request.short_id()),
            overview_url(id),
        ),
    ];
    if let (Some(g), Some(_)) = (group_view, file_view) {
        crumbs.push((g.name.clone(), group_url(id, &g.name)));
    }
    render(RequestPage {
        frame,
        id: id.to_string(),
        workspace_url: workspace_url(&state.request.workspace),
        workspace: state.request.workspace.clone(),
        author: r.name(&state.request.author),
        status: (state.request.status.as_str(), state.request.status.label()),
        turn_owner: label::turn_owner(state.request.status),
        turn: state.request.review_turn,
        created: format::time(state.request.created_at),
        submitted: state.request.last_submitted_at.map(format::time),
        overview_url: overview_url(id),
        activity_url: format!("/requests/activity/{}", format::segment(id)),
        crumbs,
        title: if group_view.is_some() {
            format!("{heading} · Request {}", state.request.short_id())
        } else {
            heading.clone()
        },
        heading,
        here: match (group_view, file_view) {
            (Some(g), Some(f)) => file_url(id, &g.name, &f.path),
            (Some(g), None) => group_url(id, &g.name),
            _ => overview_url(id),
        },
        tree: tree_rows(&r, group, path),
        pane,
    })
}

/// `GET /requests/view/<id>/[<group>/[<path>]]` (PG-17).
#[get("/requests/view/<id>/<rest..>?<table..>")]
pub async fn view(
    app: &State<App>,
    page: PageContext<'_>,
    id: &str,
    rest: PagePath,
    table: TableParams,
) -> Page {
    let id = id.to_string();
    page.show(app, move |app, user, frame| {
        let rest = rest.get()?.to_string();
        let (group, path) = match rest.split_once('/') {
            Some((g, p)) => (Some(g.to_string()), Some(p.to_string())),
            None if rest.is_empty() => (None, None),
            None => (Some(rest.clone()), None),
        };
        build(
            app,
            user,
            frame,
            &id,
            group.as_deref(),
            path.as_deref(),
            &table,
        )
    })
    .await
}

/// The routes of the request browser.
pub fn routes() -> Vec<Route> {
    routes![view]
}
