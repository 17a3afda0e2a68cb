//! The forms of the workspace browser (`pages.md` §5): selecting files (the add or update form
//! for them), adding them to the current request (FIL-4), updating them (FIL-7), and the
//! out-of-date toggle (WS-4). Each is a plain form post: parse → `Action` → one store call →
//! 303 with a message.

use super::super::form::{
    FilesForm, PlainForm, SelectForm, bad_request, file_type, group_of, or_bad_request, read,
    report_message,
};
use super::super::format;
use super::super::frame::Frame;
use super::super::respond::render;
use super::super::respond::{Done, OUT_OF_DATE_COOKIE, Page, PageContext, Reply};
use super::workspace_url;
use crate::app::App;
use airlock_core::action::{Action, GroupChoice, NewFile};
use airlock_core::offer;
use airlock_core::{Ctx, label};
use airlock_store::store::Target;
use askama::Template;
use rocket::form::Form;
use rocket::http::{Cookie, SameSite};
use rocket::{Route, State, post, routes};

/// The browser page of a workspace path.
fn path_url(workspace: &str, path: &str) -> String {
    format!(
        "{}{}",
        workspace_url(workspace),
        format::path_segments(path)
    )
}

/// `POST /workspaces/add-file-to-request/<ws>`: FIL-4 to FIL-6.
#[post("/workspaces/add-file-to-request/<workspace>", data = "<form>")]
pub async fn add(
    app: &State<App>,
    page: PageContext<'_>,
    workspace: &str,
    form: Option<Form<FilesForm>>,
) -> Page {
    let workspace = workspace.to_string();
    let (form, csrf, next_url) = read(form);
    let back = workspace_url(&workspace);
    page.post(app, csrf, next_url, back, move |app, user| {
        let form = form?;
        let mut files = Vec::with_capacity(form.files.len());
        for field in &form.files {
            let path = field
                .path
                .clone()
                .filter(|p| !p.is_empty())
                .ok_or_else(|| bad_request("Every file needs its path."))?;
            files.push(NewFile {
                path,
                filetype: file_type(field.filetype.as_deref())?,
            });
        }
        if files.is_empty() {
            return Err(bad_request("Select at least one file to add."));
        }
        let first = files[0].path.clone();
        let group = group_of(form.filegroup, form.new_filegroup);
        let group_name = match &group {
            GroupChoice::Named(g) | GroupChoice::New(g) => g.trim().to_lowercase(),
        };
        let action = Action::AddFiles { group, files };
        let report = app
            .store()
            .act(user, Target::Current(&workspace), &action)?;
        Ok(Done {
            next: path_url(&workspace, &first),
            message: report_message(&report, "added to", Some(&group_name)),
        })
    })
    .await
}

/// `POST /workspaces/update-file-in-request/<ws>`: FIL-7 for each file, in one transaction.
#[post("/workspaces/update-file-in-request/<workspace>", data = "<form>")]
pub async fn update(
    app: &State<App>,
    page: PageContext<'_>,
    workspace: &str,
    form: Option<Form<FilesForm>>,
) -> Page {
    let workspace = workspace.to_string();
    let (form, csrf, next_url) = read(form);
    let back = workspace_url(&workspace);
    page.post(app, csrf, next_url, back, move |app, user| {
        let form = form?;
        let paths: Vec<String> = form
            .files
            .iter()
            .filter_map(|f| f.path.clone())
            .filter(|p| !p.is_empty())
            .collect();
        let Some(first) = paths.first().cloned() else {
            return Err(bad_request("Select at least one file to update."));
        };
        let action = Action::UpdateFiles { paths };
        let report = app
            .store()
            .act(user, Target::Current(&workspace), &action)?;
        Ok(Done {
            next: path_url(&workspace, &first),
            message: report_message(&report, "updated", None),
        })
    })
    .await
}

/// A file of the selection's form.
pub struct Selected {
    /// The path.
    pub path: String,
    /// The types it may be added as (value, words), or why it cannot be added or updated.
    pub types: Result<Vec<(&'static str, &'static str)>, String>,
}

/// The form for the selected files (`pages.md` §5: the multiselect answers 200).
#[derive(Template)]
#[template(path = "workspace_select.html")]
pub struct SelectPage<'a> {
    frame: &'a Frame,
    workspace: String,
    workspace_url: String,
    adding: bool,
    files: Vec<Selected>,
    groups: Vec<String>,
    any: bool,
}

/// `POST /workspaces/multiselect/<ws>`: the add or update form for the selected files.
#[post("/workspaces/multiselect/<workspace>", data = "<form>")]
pub async fn multiselect(
    app: &State<App>,
    page: PageContext<'_>,
    workspace: &str,
    form: Option<Form<SelectForm>>,
) -> Page {
    let workspace = workspace.to_string();
    let form = or_bad_request(form);
    let csrf = form.as_ref().ok().and_then(|f| f.csrf_token.clone());
    page.post_page(app, csrf, move |app, user, frame| {
        let form = form?;
        let adding = match form.action.as_deref() {
            Some("add_files") => true,
            Some("update_files") => false,
            _ => {
                return Err(bad_request(
                    "Choose to add or to update the selected files.",
                ));
            }
        };
        if form.selected.is_empty() {
            return Ok(Reply::Redirect {
                to: workspace_url(&workspace),
                message: Some(super::super::flash::Message {
                    code: "bad_request".into(),
                    text: "Select at least one file first.".into(),
                }),
            });
        }
        let browse = app.store().browse(user, &workspace)?;
        let rules = app.store().rules().clone();
        let ctx = Ctx::new(user, &rules, app.store().now());
        let current = browse.current.as_deref();
        let files: Vec<Selected> = form
            .selected
            .iter()
            .map(|path| {
                let candidate = browse.workspace.add_candidate(path, &browse.released);
                let offers = offer::path_offers(&ctx, &workspace, current, &candidate);
                let types = if adding {
                    offers.add.map(|types| {
                        types
                            .into_iter()
                            .map(|t| (t.as_str(), label::file_type(t)))
                            .collect()
                    })
                } else {
                    offers.update.map(|()| Vec::new())
                };
                Selected {
                    path: path.clone(),
                    types: types.map_err(|e| e.message().to_string()),
                }
            })
            .collect();
        render(SelectPage {
            frame,
            workspace_url: workspace_url(&workspace),
            any: files.iter().any(|f| f.types.is_ok()),
            workspace,
            adding,
            files,
            groups: airlock_core::listing::group_choices(current),
        })
    })
    .await
}

/// `POST /workspaces/toggle-out-of-date/<ws>`: shows or hides the workspace's out-of-date
/// outputs for this browser (WS-4).
#[post("/workspaces/toggle-out-of-date/<workspace>", data = "<form>")]
pub async fn toggle_out_of_date(
    app: &State<App>,
    page: PageContext<'_>,
    workspace: &str,
    form: Option<Form<PlainForm>>,
) -> Page {
    let workspace = workspace.to_string();
    let (csrf, next_url) = form
        .map(Form::into_inner)
        .map(|f| (f.csrf_token, f.next_url))
        .unwrap_or_default();
    let mut shown = page.out_of_date_shown();
    let showing = shown.contains(&workspace);
    let back = workspace_url(&workspace);
    let ws = workspace.clone();
    let (answer, done) = page
        .post_done(app, csrf, next_url, back.clone(), move |app, user| {
            app.store().browse(user, &ws)?;
            Ok(Done {
                next: back,
                message: super::super::flash::Message::ok(if showing {
                    "Out-of-date outputs are hidden."
                } else {
                    "Out-of-date outputs are shown."
                }),
            })
        })
        .await;
    if done {
        if showing {
            shown.retain(|w| *w != workspace);
        } else {
            shown.push(workspace);
        }
        let value: Vec<String> = shown.iter().map(|w| format::query(w)).collect();
        page.jar.add(
            Cookie::build((OUT_OF_DATE_COOKIE, value.join(",")))
                .path("/")
                .http_only(true)
                .same_site(SameSite::Lax)
                .secure(app.site().secure_cookies()),
        );
    }
    answer
}

/// The routes of the browser's forms.
pub fn routes() -> Vec<Route> {
    routes![add, update, multiselect, toggle_out_of_date]
}
