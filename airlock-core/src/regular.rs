//! The regular-requests file (`behaviour.md` OPS-3, `workspace-format.md` FMT-17): a JSON
//! array of request definitions, parsed and validated into [`RegularRequest`]s.
//!
//! Rules: `username` (string or null), `workspace_name` (string) and `dirs` (list of strings)
//! are required; `context`, `controls` (strings, default empty), `supporting_files` (list of
//! strings, default empty) and `submit` (bool, default false) are optional; unknown keys and
//! wrong types are errors; `submit: true` needs non-empty context and controls. In addition an
//! empty `workspace_name` and an empty `dirs` list are errors, since such an entry can never
//! create a request (OPS-2 needs a workspace and at least one directory).
//!
//! Every error names the entry (from 1) and the field, and all errors of a file are reported
//! together.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// Every key an entry may have, in the order they are printed.
pub const FIELDS: [&str; 7] = [
    "username",
    "workspace_name",
    "dirs",
    "context",
    "controls",
    "supporting_files",
    "submit",
];

/// One request definition (OPS-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegularRequest {
    /// The author; null or empty means "from the manifest" (OPS-2).
    pub username: Option<String>,
    /// The workspace.
    pub workspace_name: String,
    /// The directories, one file group each.
    pub dirs: Vec<String>,
    /// Context set on every group.
    pub context: String,
    /// Controls set on every group.
    pub controls: String,
    /// Paths added as SUPPORTING files.
    pub supporting_files: Vec<String>,
    /// Whether to submit the request.
    pub submit: bool,
}

impl RegularRequest {
    /// The username to use, or `None` to take it from the manifest (null or empty).
    pub fn effective_username(&self) -> Option<&str> {
        self.username.as_deref().filter(|u| !u.is_empty())
    }
}

/// What is wrong, as a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegularProblem {
    /// The file is not valid JSON.
    InvalidJson,
    /// The file is not a JSON array.
    NotAList,
    /// An entry is not a JSON object.
    NotAnObject,
    /// A required key is absent.
    MissingField,
    /// A key that is not one of [`FIELDS`].
    UnknownField,
    /// A value of the wrong type.
    WrongType,
    /// A required value is empty.
    Empty,
    /// `submit: true` without context or controls.
    SubmitNeedsContextAndControls,
    /// `workspace_name` is not a workspace name (FMT-1).
    InvalidWorkspaceName,
}

impl RegularProblem {
    /// The stable code, e.g. `missing_field`.
    pub fn as_str(self) -> &'static str {
        match self {
            RegularProblem::InvalidJson => "invalid_json",
            RegularProblem::NotAList => "not_a_list",
            RegularProblem::NotAnObject => "not_an_object",
            RegularProblem::InvalidWorkspaceName => "invalid_workspace_name",
            RegularProblem::MissingField => "missing_field",
            RegularProblem::UnknownField => "unknown_field",
            RegularProblem::WrongType => "wrong_type",
            RegularProblem::Empty => "empty",
            RegularProblem::SubmitNeedsContextAndControls => "submit_needs_context_and_controls",
        }
    }
}

/// One problem in the regular-requests file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub struct RegularError {
    /// The entry's position in the array, from 1; `None` for the file as a whole.
    pub entry: Option<usize>,
    /// The entry's `workspace_name`, when it has a readable one.
    pub workspace: Option<String>,
    /// The field, e.g. `dirs` or `dirs[2]`.
    pub field: Option<String>,
    /// The kind of problem.
    pub problem: RegularProblem,
    /// A description.
    pub message: String,
}

impl fmt::Display for RegularError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.entry {
            Some(n) => write!(f, "entry {n}")?,
            None => f.write_str("regular requests file")?,
        }
        if let Some(w) = &self.workspace {
            write!(f, " (workspace '{w}')")?;
        }
        if let Some(field) = &self.field {
            write!(f, ", field '{field}'")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The result of one entry: the request, or every problem found in it.
pub type EntryResult = Result<RegularRequest, Vec<RegularError>>;

/// Parses the file into one result per entry, so that valid entries can run even if another is
/// invalid (OPS-3). Fails as a whole only if the file is not a JSON array.
pub fn parse_entries(bytes: &[u8]) -> Result<Vec<EntryResult>, RegularError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let file_error = |problem, message: String| RegularError {
        entry: None,
        workspace: None,
        field: None,
        problem,
        message,
    };
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| file_error(RegularProblem::InvalidJson, format!("invalid JSON: {e}")))?;
    let Value::Array(entries) = value else {
        return Err(file_error(
            RegularProblem::NotAList,
            format!("expected a list of entries, found {}", kind(&value)),
        ));
    };
    Ok(entries
        .iter()
        .enumerate()
        .map(|(i, v)| validate_entry(i + 1, v))
        .collect())
}

/// OPS-3 `validate-regular-requests`: the entries if the whole file is valid, else every
/// problem found.
pub fn parse_regular_requests(bytes: &[u8]) -> Result<Vec<RegularRequest>, Vec<RegularError>> {
    let entries = parse_entries(bytes).map_err(|e| vec![e])?;
    let mut ok = Vec::with_capacity(entries.len());
    let mut errors = Vec::new();
    for entry in entries {
        match entry {
            Ok(r) => ok.push(r),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(ok)
    } else {
        Err(errors)
    }
}

/// Validates one entry; `number` is its position from 1 (used in errors).
pub fn validate_entry(number: usize, value: &Value) -> EntryResult {
    let Value::Object(map) = value else {
        return Err(vec![RegularError {
            entry: Some(number),
            workspace: None,
            field: None,
            problem: RegularProblem::NotAnObject,
            message: format!("expected an object, found {}", kind(value)),
        }]);
    };
    let mut v = EntryValidator {
        number,
        workspace: map
            .get("workspace_name")
            .and_then(Value::as_str)
            .filter(|w| !w.is_empty())
            .map(str::to_string),
        errors: Vec::new(),
    };
    for key in map.keys().filter(|k| !FIELDS.contains(&k.as_str())) {
        v.error(
            key,
            RegularProblem::UnknownField,
            format!("unknown field; expected one of: {}", FIELDS.join(", ")),
        );
    }
    let username = v.username(map);
    let workspace_name = v.string(map, "workspace_name", true);
    let dirs = v.strings(map, "dirs", true);
    let context = v.string(map, "context", false);
    let controls = v.string(map, "controls", false);
    let supporting_files = v.strings(map, "supporting_files", false);
    let submit = v.bool(map, "submit");
    if workspace_name.as_deref() == Some("") {
        v.error(
            "workspace_name",
            RegularProblem::Empty,
            "must not be empty".into(),
        );
    } else if let Some(name) = workspace_name.as_deref()
        && crate::workspace::validate_workspace_name(name).is_err()
    {
        v.error(
            "workspace_name",
            RegularProblem::InvalidWorkspaceName,
            "is not a workspace name: it starts with '.' or holds '/', '\\' or a control \
             character"
                .into(),
        );
    }
    if dirs.as_ref().is_some_and(Vec::is_empty) {
        v.error(
            "dirs",
            RegularProblem::Empty,
            "must list at least one directory".into(),
        );
    }
    if submit == Some(true) {
        for (name, text) in [("context", &context), ("controls", &controls)] {
            if text.as_deref().is_some_and(|t| t.trim().is_empty()) {
                v.error(
                    name,
                    RegularProblem::SubmitNeedsContextAndControls,
                    "must not be empty when submit is true".into(),
                );
            }
        }
    }
    match (
        username,
        workspace_name,
        dirs,
        context,
        controls,
        supporting_files,
        submit,
    ) {
        (
            Some(username),
            Some(workspace_name),
            Some(dirs),
            Some(context),
            Some(controls),
            Some(supporting_files),
            Some(submit),
        ) if v.errors.is_empty() => Ok(RegularRequest {
            username,
            workspace_name,
            dirs,
            context,
            controls,
            supporting_files,
            submit,
        }),
        _ => Err(v.errors),
    }
}

/// Collects the errors of one entry.
struct EntryValidator {
    number: usize,
    workspace: Option<String>,
    errors: Vec<RegularError>,
}

impl EntryValidator {
    fn error(&mut self, field: &str, problem: RegularProblem, message: String) {
        self.errors.push(RegularError {
            entry: Some(self.number),
            workspace: self.workspace.clone(),
            field: Some(field.to_string()),
            problem,
            message,
        });
    }

    fn missing(&mut self, field: &str) {
        self.error(field, RegularProblem::MissingField, "is required".into());
    }

    fn wrong(&mut self, field: &str, expected: &str, found: &Value) {
        let message = format!("expected {expected}, found {}", kind(found));
        self.error(field, RegularProblem::WrongType, message);
    }

    /// `username`: required, a string or null.
    fn username(&mut self, map: &Map<String, Value>) -> Option<Option<String>> {
        match map.get("username") {
            None => {
                self.missing("username");
                None
            }
            Some(Value::Null) => Some(None),
            Some(Value::String(s)) => Some(Some(s.clone())),
            Some(other) => {
                self.wrong("username", "a string or null", other);
                None
            }
        }
    }

    fn string(&mut self, map: &Map<String, Value>, field: &str, required: bool) -> Option<String> {
        match map.get(field) {
            None if required => {
                self.missing(field);
                None
            }
            None => Some(String::new()),
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.wrong(field, "a string", other);
                None
            }
        }
    }

    fn strings(
        &mut self,
        map: &Map<String, Value>,
        field: &str,
        required: bool,
    ) -> Option<Vec<String>> {
        let items = match map.get(field) {
            None if required => {
                self.missing(field);
                return None;
            }
            None => return Some(Vec::new()),
            Some(Value::Array(items)) => items,
            Some(other) => {
                self.wrong(field, "a list of strings", other);
                return None;
            }
        };
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match item {
                Value::String(s) => out.push(s.clone()),
                other => {
                    self.wrong(&format!("{field}[{i}]"), "a string", other);
                    ok = false;
                }
            }
        }
        ok.then_some(out)
    }

    fn bool(&mut self, map: &Map<String, Value>, field: &str) -> Option<bool> {
        match map.get(field) {
            None => Some(false),
            Some(Value::Bool(b)) => Some(*b),
            Some(other) => {
                self.wrong(field, "true or false", other);
                None
            }
        }
    }
}

/// The JSON kind of a value, for messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
