//! The forms of the request browser (`pages.md` §5): the request's transitions, the votes and
//! withdrawal of a file, a group's context, comments and votes, and the selection forms
//! (withdraw or change many files). Each is parse → `Action` → one store call → 303 with a
//! message (PG-13); after a vote the next page is the next file this reviewer has not voted on
//! (PG-23).

use super::super::flash::Message;
use super::super::form::{
    FilesForm, PlainForm, SelectForm, bad_request, batch_message, file_type, files, or_bad_request,
    read,
};
use super::super::frame::Frame;
use super::super::path::PagePath;
use super::super::respond::{Done, Page, PageContext, Reply, render};
use super::{file_url, group_url, overview_url};
use crate::app::App;
use airlock_core::action::{Action, Answer, GroupChoice};
use airlock_core::view::{RequestView, next_unvoted};
use airlock_core::{AirlockError, Ctx, ErrorCode, FileType, Status, User, VoteStatus, offer};
use airlock_store::store::Target;
use askama::Template;
use rocket::form::{Form, FromForm};
use rocket::{Route, State, post, routes};

/// The request's transitions (`POST /requests/<action>/<id>`).
fn transition(action: &str) -> Option<Action> {
    Some(match action {
        "submit" => Action::Submit,
        "review" => Action::SubmitReview,
        "return" => Action::Return,
        "reject" => Action::Reject,
        "withdraw" => Action::Withdraw,
        "release" => Action::Release,
        _ => return None,
    })
}

fn unknown_action(action: &str) -> AirlockError {
    AirlockError::with_message(
        ErrorCode::NotFound,
        format!("There is no action {action:?}."),
    )
}

/// What a transition did, in words.
fn transition_message(action: &Action, before: Status, answer: &Answer) -> String {
    match (action, answer) {
        (Action::Submit, _) if before == Status::Returned => {
            "Request resubmitted for review.".into()
        }
        (Action::Submit, _) => "Request submitted for review.".into(),
        (Action::SubmitReview, Answer::Reviewed { .. }) | (Action::SubmitReview, _) => {
            "Your review has been submitted.".into()
        }
        (Action::Return, Answer::Returned { early: true }) => {
            "Request returned early to the author; this turn's votes and comments were reset."
                .into()
        }
        (Action::Return, _) => "Request returned to the author.".into(),
        (Action::Reject, _) => "Request rejected.".into(),
        (Action::Withdraw, _) => "Request withdrawn.".into(),
        (Action::Release, Answer::Released { files: n }) => format!(
            "{} released; they are being uploaded to the Jobs site.",
            files(*n)
        ),
        _ => "Done.".into(),
    }
}

/// `POST /requests/<action>/<id>` for `submit`, `review`, `return`, `reject`, `withdraw` and
/// `release` (§7, §11, §16); the next page is the overview.
#[post("/requests/<action>/<id>", data = "<form>", rank = 5)]
pub async fn request_action(
    app: &State<App>,
    page: PageContext<'_>,
    action: &str,
    id: &str,
    form: Option<Form<PlainForm>>,
) -> Page {
    let (form, csrf, next_url) = read(form);
    let (action, id) = (action.to_string(), id.to_string());
    let back = overview_url(&id);
    page.post(app, csrf, next_url, back.clone(), move |app, user| {
        form?;
        let act = transition(&action).ok_or_else(|| unknown_action(&action))?;
        let before = app.store().get_request_state(user, &id)?.request.status;
        let report = app.store().act(user, Target::Request(&id), &act)?;
        Ok(Done {
            next: back,
            message: Message::ok(transition_message(&act, before, &report.answer)),
        })
    })
    .await
}

/// Where a vote leaves the reviewer (PG-23): the next file they have not voted on, else the
/// overview at its actions.
fn after_vote(view: &RequestView, id: &str, path: &str, said: &str) -> Done {
    match next_unvoted(view, path) {
        Some((group, next)) => Done {
            next: file_url(id, group, next),
            message: Message::ok(format!("{said} Next: {next}, not voted on yet.")),
        },
        None => Done {
            next: format!("{}#actions", overview_url(id)),
            message: Message::ok(format!(
                "{said} Every output file has your vote; submit your review when you are ready."
            )),
        },
    }
}

/// `POST /requests/<action>/<id>/<group>/<path>` for `approve`, `request_changes`,
/// `reset_review` and `withdraw` (REV-2, REV-3, FIL-8).
#[post("/requests/<action>/<id>/<group>/<path..>", data = "<form>", rank = 6)]
pub async fn file_action(
    app: &State<App>,
    page: PageContext<'_>,
    action: &str,
    id: &str,
    group: &str,
    path: PagePath,
    form: Option<Form<PlainForm>>,
) -> Page {
    let (form, csrf, next_url) = read(form);
    let (action, id, group) = (action.to_string(), id.to_string(), group.to_string());
    let back = group_url(&id, &group);
    page.post(app, csrf, next_url, back, move |app, user| {
        form?;
        let path = path.get()?.to_string();
        let act = match action.as_str() {
            "approve" => Action::Vote {
                path: path.clone(),
                vote: VoteStatus::Approved,
            },
            "request_changes" => Action::Vote {
                path: path.clone(),
                vote: VoteStatus::ChangesRequested,
            },
            "reset_review" => Action::ResetVote { path: path.clone() },
            "withdraw" => Action::WithdrawFile { path: path.clone() },
            other => return Err(unknown_action(other)),
        };
        require_in_group(app, user, &id, &group, &path)?;
        let (_, view) = app.store().act_view(user, Target::Request(&id), &act)?;
        let here = file_url(&id, &group, &path);
        Ok(match (&act, view) {
            (Action::Vote { vote, .. }, Some(view)) => {
                let said = if *vote == VoteStatus::Approved {
                    format!("Approved {path}.")
                } else {
                    format!("Requested changes to {path}.")
                };
                after_vote(&view, &id, &path, &said)
            }
            (Action::ResetVote { .. }, _) => Done {
                next: here,
                message: Message::ok(format!("Your vote on {path} was reset.")),
            },
            (_, view) => {
                // FIL-8: a file withdrawn from a PENDING request is gone; show its group, or
                // the overview when the group is empty now.
                let still_there = view.as_ref().is_some_and(|v| {
                    v.groups
                        .iter()
                        .any(|g| g.name == group && g.files.iter().any(|f| f.path == path))
                });
                let group_left = view.as_ref().is_some_and(|v| {
                    v.groups
                        .iter()
                        .any(|g| g.name == group && !g.files.is_empty())
                });
                Done {
                    next: if still_there {
                        here
                    } else if group_left {
                        group_url(&id, &group)
                    } else {
                        overview_url(&id)
                    },
                    message: Message::ok(format!("Withdrew {path} from the request.")),
                }
            }
        })
    })
    .await
}

/// `not_found` unless the request has `path` in `group` (the page's address names both).
fn require_in_group(
    app: &App,
    user: &User,
    id: &str,
    group: &str,
    path: &str,
) -> airlock_core::Result<()> {
    let state = app.store().get_request_state(user, id)?;
    match state.file(path) {
        Some(f) if f.group == group => Ok(()),
        _ => Err(AirlockError::with_message(
            ErrorCode::NotFound,
            format!("Group {group} of this request has no file {path}."),
        )),
    }
}

/// `POST /requests/edit/<id>/<group>`.
#[derive(Debug, FromForm)]
pub struct EditForm {
    /// The context.
    pub context: Option<String>,
    /// The controls.
    pub controls: Option<String>,
    /// PG-11.
    pub csrf_token: Option<String>,
    /// WEB-3.
    pub next_url: Option<String>,
}

/// `POST /requests/edit/<id>/<group>`: GRP-3; the next page is the group's.
#[post("/requests/edit/<id>/<group>", data = "<form>")]
pub async fn edit(
    app: &State<App>,
    page: PageContext<'_>,
    id: &str,
    group: &str,
    form: Option<Form<EditForm>>,
) -> Page {
    let form = or_bad_request(form);
    let (csrf, next_url) = form
        .as_ref()
        .map(|f| (f.csrf_token.clone(), f.next_url.clone()))
        .unwrap_or_default();
    let (id, group) = (id.to_string(), group.to_string());
    let back = group_url(&id, &group);
    page.post(app, csrf, next_url, back.clone(), move |app, user| {
        let form = form?;
        let (Some(context), Some(controls)) = (form.context, form.controls) else {
            return Err(bad_request("The form needs both context and controls."));
        };
        let act = Action::EditGroup {
            group: group.clone(),
            context,
            controls,
        };
        app.store().act(user, Target::Request(&id), &act)?;
        Ok(Done {
            next: back,
            message: Message::ok(format!("Saved the context and controls of group {group}.")),
        })
    })
    .await
}

/// `POST /requests/comment/create/<id>/<group>`.
#[derive(Debug, FromForm)]
pub struct CommentForm {
    /// Markdown text.
    pub comment: Option<String>,
    /// PUBLIC or PRIVATE; the default of COM-2 when missing.
    pub visibility: Option<String>,
    /// The request file it is posted from (COM-3).
    pub file: Option<String>,
    /// PG-11.
    pub csrf_token: Option<String>,
    /// WEB-3.
    pub next_url: Option<String>,
}

/// `POST /requests/comment/create/<id>/<group>`: COM-2, COM-3; the next page is the file's
/// when `file` is given, else the group's, at the new comment.
#[post("/requests/comment/create/<id>/<group>", data = "<form>")]
pub async fn comment(
    app: &State<App>,
    page: PageContext<'_>,
    id: &str,
    group: &str,
    form: Option<Form<CommentForm>>,
) -> Page {
    let form = or_bad_request(form);
    let (csrf, next_url) = form
        .as_ref()
        .map(|f| (f.csrf_token.clone(), f.next_url.clone()))
        .unwrap_or_default();
    let (id, group) = (id.to_string(), group.to_string());
    let back = group_url(&id, &group);
    page.post(app, csrf, next_url, back, move |app, user| {
        let form = form?;
        let text = form
            .comment
            .filter(|c| !c.trim().is_empty())
            .ok_or_else(|| bad_request("Write a comment first."))?;
        let visibility = match form.visibility.as_deref().filter(|v| !v.is_empty()) {
            None => None,
            Some(v) => Some(v.parse().map_err(|_| {
                bad_request(&format!("A comment is PUBLIC or PRIVATE, not {v:?}."))
            })?),
        };
        let file = form.file.filter(|f| !f.is_empty());
        let act = Action::Comment {
            group: group.clone(),
            text,
            visibility,
            file: file.clone(),
        };
        let report = app.store().act(user, Target::Request(&id), &act)?;
        let page = match &file {
            Some(path) => file_url(&id, &group, path),
            None => group_url(&id, &group),
        };
        let anchor = match &report.answer {
            Answer::Commented(c) => format!("#comment-{}", c.id),
            _ => String::new(),
        };
        Ok(Done {
            next: format!("{page}{anchor}"),
            message: Message::ok("Comment posted."),
        })
    })
    .await
}

/// `POST /requests/comment/delete/<id>/<group>` and `.../visibility_public/<id>/<group>`.
#[derive(Debug, FromForm)]
pub struct CommentIdForm {
    /// The comment.
    pub comment_id: Option<String>,
    /// PG-11.
    pub csrf_token: Option<String>,
    /// WEB-3: the page the comment was shown on.
    pub next_url: Option<String>,
}

async fn comment_change(
    app: &State<App>,
    page: PageContext<'_>,
    id: &str,
    group: &str,
    form: Option<Form<CommentIdForm>>,
    delete: bool,
) -> Page {
    let form = or_bad_request(form);
    let (csrf, next_url) = form
        .as_ref()
        .map(|f| (f.csrf_token.clone(), f.next_url.clone()))
        .unwrap_or_default();
    let (id, group) = (id.to_string(), group.to_string());
    let back = group_url(&id, &group);
    page.post(app, csrf, next_url, back.clone(), move |app, user| {
        let comment = form?
            .comment_id
            .filter(|c| !c.is_empty())
            .ok_or_else(|| bad_request("The form names no comment."))?;
        let group = Some(group);
        let (act, said) = if delete {
            (Action::DeleteComment { comment, group }, "Comment deleted.")
        } else {
            (
                Action::PublishComment { comment, group },
                "Comment made public.",
            )
        };
        app.store().act(user, Target::Request(&id), &act)?;
        Ok(Done {
            next: back,
            message: Message::ok(said),
        })
    })
    .await
}

/// `POST /requests/comment/delete/<id>/<group>`: COM-4.
#[post("/requests/comment/delete/<id>/<group>", data = "<form>")]
pub async fn delete_comment(
    app: &State<App>,
    page: PageContext<'_>,
    id: &str,
    group: &str,
    form: Option<Form<CommentIdForm>>,
) -> Page {
    comment_change(app, page, id, group, form, true).await
}

/// `POST /requests/comment/visibility_public/<id>/<group>`: COM-5.
#[post("/requests/comment/visibility_public/<id>/<group>", data = "<form>")]
pub async fn publish_comment(
    app: &State<App>,
    page: PageContext<'_>,
    id: &str,
    group: &str,
    form: Option<Form<CommentIdForm>>,
) -> Page {
    comment_change(app, page, id, group, form, false).await
}

async fn group_votes(
    app: &State<App>,
    page: PageContext<'_>,
    id: &str,
    group: &str,
    form: Option<Form<PlainForm>>,
    request_changes: bool,
) -> Page {
    let (form, csrf, next_url) = read(form);
    let (id, group) = (id.to_string(), group.to_string());
    let back = group_url(&id, &group);
    page.post(app, csrf, next_url, back.clone(), move |app, user| {
        form?;
        let act = if request_changes {
            Action::RequestChangesOnGroup {
                group: group.clone(),
            }
        } else {
            Action::ResetVotesOnGroup {
                group: group.clone(),
            }
        };
        let report = app.store().act(user, Target::Request(&id), &act)?;
        let text = match (&report.answer, request_changes) {
            (Answer::GroupVotes(counts), true) => {
                let mut text = format!(
                    "Requested changes on {} of group {group}.",
                    files(counts.changed)
                );
                if counts.already_approved > 0 {
                    text.push_str(&format!(
                        " {} you approved kept your vote.",
                        files(counts.already_approved)
                    ));
                }
                text
            }
            (Answer::GroupVotes(counts), false) => {
                format!(
                    "Reset your votes on {} of group {group}.",
                    files(counts.changed)
                )
            }
            _ => "Done.".to_string(),
        };
        Ok(Done {
            next: back,
            message: Message::ok(text),
        })
    })
    .await
}

/// `POST /requests/request-changes/<id>/<group>`: REV-5.1.
#[post("/requests/request-changes/<id>/<group>", data = "<form>")]
pub async fn request_changes_on_group(
    app: &State<App>,
    page: PageContext<'_>,
    id: &str,
    group: &str,
    form: Option<Form<PlainForm>>,
) -> Page {
    group_votes(app, page, id, group, form, true).await
}

/// `POST /requests/reset-votes/<id>/<group>`: REV-5.2.
#[post("/requests/reset-votes/<id>/<group>", data = "<form>")]
pub async fn reset_votes_on_group(
    app: &State<App>,
    page: PageContext<'_>,
    id: &str,
    group: &str,
    form: Option<Form<PlainForm>>,
) -> Page {
    group_votes(app, page, id, group, form, false).await
}

/// `<group>/<path>` as its two parts (group names hold no `/`, GRP-2).
fn split_file(text: &str) -> Result<(String, String), AirlockError> {
    text.split_once('/')
        .filter(|(g, p)| !g.is_empty() && !p.is_empty())
        .map(|(g, p)| (g.to_string(), p.to_string()))
        .ok_or_else(|| bad_request(&format!("{text:?} is not <group>/<path>.")))
}

/// A selected file of the selection's form.
pub struct Selected {
    /// Its group.
    pub group: String,
    /// Its path.
    pub path: String,
    /// Its type's name now.
    pub filetype: &'static str,
    /// Offered, or why not.
    pub control: Result<(), String>,
}

/// The confirmation or properties form for the selected files (`pages.md` §5: 200).
#[derive(Template)]
#[template(path = "request_select.html")]
pub struct SelectPage<'a> {
    frame: &'a Frame,
    id: String,
    short_id: String,
    overview_url: String,
    withdrawing: bool,
    files: Vec<Selected>,
    groups: Vec<String>,
    /// The group chosen at first: the selected files' own (they stay unless moved).
    current_group: String,
    any: bool,
}

/// `POST /requests/multiselect/<id>`: `withdraw_files` or `change_properties` for the selected
/// `<group>/<path>`s.
#[post("/requests/multiselect/<id>", data = "<form>")]
pub async fn multiselect(
    app: &State<App>,
    page: PageContext<'_>,
    id: &str,
    form: Option<Form<SelectForm>>,
) -> Page {
    let form = or_bad_request(form);
    let csrf = form.as_ref().ok().and_then(|f| f.csrf_token.clone());
    let id = id.to_string();
    page.post_page(app, csrf, move |app, user, frame| {
        let form = form?;
        let withdrawing = match form.action.as_deref() {
            Some("withdraw_files") => true,
            Some("change_properties") => false,
            _ => {
                return Err(bad_request(
                    "Choose to withdraw the selected files or to change their properties.",
                ));
            }
        };
        if form.selected.is_empty() {
            return Ok(Reply::Redirect {
                to: overview_url(&id),
                message: Some(Message {
                    code: "bad_request".into(),
                    text: "Select at least one file first.".into(),
                }),
            });
        }
        let state = app.store().get_request_state(user, &id)?;
        let rules = app.store().rules().clone();
        let ctx = Ctx::new(user, &rules, app.store().now());
        let mut files = Vec::with_capacity(form.selected.len());
        for selected in &form.selected {
            let (group, path) = split_file(selected)?;
            let stored = state.file(&path).filter(|f| f.group == group);
            let offers = offer::file_offers(&ctx, &state, &path);
            let offered = if withdrawing {
                offers.withdraw
            } else {
                offers.change
            };
            let control = match stored {
                None => Err(format!("Group {group} has no file {path}.")),
                Some(_) => offered.map(|_| ()).map_err(|e| e.message().to_string()),
            };
            files.push(Selected {
                filetype: stored.map_or("OUTPUT", |f| f.filetype.as_str()),
                group,
                path,
                control,
            });
        }
        render(SelectPage {
            frame,
            short_id: state.request.short_id(),
            overview_url: overview_url(&id),
            id,
            withdrawing,
            any: files.iter().any(|f| f.control.is_ok()),
            current_group: files.first().map(|f| f.group.clone()).unwrap_or_default(),
            files,
            groups: airlock_core::listing::group_choices(Some(&state)),
        })
    })
    .await
}

/// `POST /requests/withdraw-files/<id>`: FIL-8 for each `files[i].path` (`<group>/<path>`), each
/// its own transaction; the next page is the overview.
#[post("/requests/withdraw-files/<id>", data = "<form>")]
pub async fn withdraw_files(
    app: &State<App>,
    page: PageContext<'_>,
    id: &str,
    form: Option<Form<FilesForm>>,
) -> Page {
    let (form, csrf, next_url) = read(form);
    let id = id.to_string();
    let back = overview_url(&id);
    page.post(app, csrf, next_url, back.clone(), move |app, user| {
        let form = form?;
        let chosen = chosen_files(&form)?;
        let mut done = 0;
        let mut failed = Vec::new();
        for (group, path) in chosen {
            let result = require_in_group(app, user, &id, &group, &path).and_then(|()| {
                app.store().act(
                    user,
                    Target::Request(&id),
                    &Action::WithdrawFile { path: path.clone() },
                )
            });
            match result {
                Ok(_) => done += 1,
                Err(e) => failed.push((path, e)),
            }
        }
        Ok(Done {
            next: back,
            message: batch_message(done, &failed, "withdrawn", None),
        })
    })
    .await
}

/// The `<group>/<path>`s of a batch form, at least one.
fn chosen_files(form: &FilesForm) -> Result<Vec<(String, String)>, AirlockError> {
    let chosen = form
        .files
        .iter()
        .filter_map(|f| f.path.as_deref())
        .filter(|p| !p.is_empty())
        .map(split_file)
        .collect::<Result<Vec<_>, _>>()?;
    if chosen.is_empty() {
        return Err(bad_request("Select at least one file."));
    }
    Ok(chosen)
}

/// `POST /requests/change-properties/<id>`: FIL-10 for each `files[i].path` (`<group>/<path>`)
/// with its `files[i].filetype`, to `filegroup` or `new_filegroup`; the next page is the new
/// group's.
#[post("/requests/change-properties/<id>", data = "<form>")]
pub async fn change_properties(
    app: &State<App>,
    page: PageContext<'_>,
    id: &str,
    form: Option<Form<FilesForm>>,
) -> Page {
    let (form, csrf, next_url) = read(form);
    let id = id.to_string();
    let back = overview_url(&id);
    page.post(app, csrf, next_url, back, move |app, user| {
        let form = form?;
        let chosen = chosen_files(&form)?;
        let types: Vec<Option<FileType>> = form
            .files
            .iter()
            .filter(|f| f.path.as_deref().is_some_and(|p| !p.is_empty()))
            .map(|f| {
                f.filetype
                    .as_deref()
                    .filter(|t| !t.is_empty())
                    .map(|t| file_type(Some(t)))
                    .transpose()
            })
            .collect::<Result<_, _>>()?;
        let target = match super::super::form::group_of(form.filegroup, form.new_filegroup) {
            GroupChoice::New(name) | GroupChoice::Named(name) => {
                airlock_core::action::normalise_group_name(&name)?
            }
        };
        let mut done = 0;
        let mut failed = Vec::new();
        let mut moved_to = None;
        for ((group, path), filetype) in chosen.into_iter().zip(types) {
            let act = Action::ChangeFile {
                path: path.clone(),
                group: (group != target).then(|| target.clone()),
                filetype,
            };
            let result = require_in_group(app, user, &id, &group, &path)
                .and_then(|()| app.store().act(user, Target::Request(&id), &act));
            match result {
                Ok(_) => {
                    done += 1;
                    moved_to = Some(target.clone());
                }
                Err(e) => failed.push((path, e)),
            }
        }
        Ok(Done {
            next: moved_to.map_or_else(|| overview_url(&id), |g| group_url(&id, &g)),
            message: batch_message(done, &failed, "saved in", Some(&target)),
        })
    })
    .await
}

/// The routes of the request forms.
pub fn routes() -> Vec<Route> {
    routes![
        request_action,
        file_action,
        edit,
        comment,
        delete_comment,
        publish_comment,
        request_changes_on_group,
        reset_votes_on_group,
        multiselect,
        withdraw_files,
        change_properties,
    ]
}
