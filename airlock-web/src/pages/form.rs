//! What the forms of the pages share (`pages.md` §5): the field sets several routes take, a
//! missing or malformed field as `bad_request` (PG-13: 400, never 500), the group a batch goes
//! to, and a batch's result in words.

use super::flash::Message;
use airlock_core::action::GroupChoice;
use airlock_core::{AirlockError, ErrorCode, FileType, offer};
use airlock_store::store::Report;
use rocket::form::{Form, FromForm};

/// One file of a batch form (`files[i].path`, `files[i].filetype`).
#[derive(Debug, FromForm)]
pub struct FileField {
    /// The path (a workspace path, or `<group>/<path>` on a request form).
    pub path: Option<String>,
    /// OUTPUT or SUPPORTING.
    pub filetype: Option<String>,
}

/// A batch of files going to a group: the add and update forms of the workspace browser, the
/// withdraw and change-properties forms of the request browser.
#[derive(Debug, FromForm)]
pub struct FilesForm {
    /// An existing group.
    pub filegroup: Option<String>,
    /// A new group (wins when not empty).
    pub new_filegroup: Option<String>,
    /// The files.
    pub files: Vec<FileField>,
    /// PG-11.
    pub csrf_token: Option<String>,
    /// WEB-3.
    pub next_url: Option<String>,
}

/// A selection of files and what to do with them (the multiselect forms).
#[derive(Debug, FromForm)]
pub struct SelectForm {
    /// What to do: `add_files`, `update_files`, `withdraw_files`, `change_properties`.
    pub action: Option<String>,
    /// The selected paths.
    pub selected: Vec<String>,
    /// PG-11.
    pub csrf_token: Option<String>,
}

/// A form without fields of its own.
#[derive(Debug, FromForm)]
pub struct PlainForm {
    /// PG-11.
    pub csrf_token: Option<String>,
    /// WEB-3.
    pub next_url: Option<String>,
}

/// The form's tokens: what the checks before the action need.
pub trait Tokens {
    /// `csrf_token` and `next_url`.
    fn tokens(&self) -> (Option<String>, Option<String>);
}

impl Tokens for FilesForm {
    fn tokens(&self) -> (Option<String>, Option<String>) {
        (self.csrf_token.clone(), self.next_url.clone())
    }
}

impl Tokens for PlainForm {
    fn tokens(&self) -> (Option<String>, Option<String>) {
        (self.csrf_token.clone(), self.next_url.clone())
    }
}

/// A 400 for a missing or malformed field.
pub fn bad_request(message: &str) -> AirlockError {
    AirlockError::with_message(ErrorCode::BadRequest, message)
}

/// The form, or a 400 for a body that is not a form at all, with its tokens.
pub fn read<T: Tokens>(
    form: Option<Form<T>>,
) -> (Result<T, AirlockError>, Option<String>, Option<String>) {
    match form.map(Form::into_inner) {
        Some(form) => {
            let (csrf, next) = form.tokens();
            (Ok(form), csrf, next)
        }
        None => (Err(bad_request("The form could not be read.")), None, None),
    }
}

/// The form, or a 400 for a body that is not a form at all.
pub fn or_bad_request<T>(form: Option<Form<T>>) -> Result<T, AirlockError> {
    form.map(Form::into_inner)
        .ok_or_else(|| bad_request("The form could not be read."))
}

/// The group a batch goes to: a new group when one is named (GRP-2), else the chosen one,
/// else the default group.
pub fn group_of(filegroup: Option<String>, new_filegroup: Option<String>) -> GroupChoice {
    match new_filegroup.filter(|g| !g.trim().is_empty()) {
        Some(name) => GroupChoice::New(name),
        None => GroupChoice::Named(
            filegroup
                .filter(|g| !g.trim().is_empty())
                .unwrap_or_else(|| offer::DEFAULT_GROUP.to_string()),
        ),
    }
}

/// A file type field: OUTPUT (the default) or SUPPORTING.
pub fn file_type(text: Option<&str>) -> Result<FileType, AirlockError> {
    match text.unwrap_or("OUTPUT") {
        "OUTPUT" => Ok(FileType::Output),
        "SUPPORTING" => Ok(FileType::Supporting),
        other => Err(bad_request(&format!(
            "A file is added as OUTPUT or SUPPORTING, not {other:?}."
        ))),
    }
}

/// "1 file" or "3 files".
pub fn files(n: usize) -> String {
    if n == 1 {
        "1 file".to_string()
    } else {
        format!("{n} files")
    }
}

/// What a batch did, in words ("2 files added to group tables."), and each failure; the code
/// is `ok` unless nothing succeeded, then the first failure's.
pub fn batch_message(
    done: usize,
    failed: &[(String, AirlockError)],
    verb: &str,
    group: Option<&str>,
) -> Message {
    let mut text = match group {
        Some(g) => format!("{} {verb} group {g}.", files(done)),
        None => format!("{} {verb}.", files(done)),
    };
    for (path, e) in failed {
        text.push_str(&format!(" {path}: {}", e.message()));
    }
    let code = match (done, failed.first()) {
        (0, Some((_, e))) => e.code().to_string(),
        _ => "ok".to_string(),
    };
    Message { code, text }
}

/// A store batch's message.
pub fn report_message(report: &Report, verb: &str, group: Option<&str>) -> Message {
    let failed: Vec<(String, AirlockError)> = report
        .parts
        .iter()
        .filter_map(|(path, r)| r.as_ref().err().map(|e| (path.clone(), e.clone())))
        .collect();
    batch_message(report.succeeded(), &failed, verb, group)
}
