//! What the double knows and how each endpoint answers (DBL-1 to DBL-7), as plain functions
//! over a request; `http.rs` does the wire.

use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// The default upload size limit: 16 MiB (API-19).
pub const DEFAULT_SIZE_LIMIT: u64 = 16 * 1024 * 1024;

/// The five endpoints of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `POST /releases/authenticate` (§2).
    Authenticate,
    /// `POST /releases/authorise` (§3).
    Authorise,
    /// `POST /releases/workspace/<workspace>` (§4).
    CreateRelease,
    /// `POST /releases/release/<release id>` (§5).
    Upload,
    /// `POST /airlock/events/` (§6).
    Events,
}

/// DBL-9: what an injected fault does instead of the normal answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer this status with this body (JSON text or anything else).
    Status(u16, String),
    /// Wait this long, then close the connection without answering.
    Stall(Duration),
    /// Close the connection at once without answering.
    Drop,
}

/// DBL-1: one user the double knows.
#[derive(Debug, Clone, PartialEq)]
pub struct DoubleUser {
    /// The user object of API-15 that authenticate and authorise answer.
    pub object: Value,
    /// The email address that authenticate also accepts as `user`.
    pub email: String,
    /// The single-use login token.
    pub login_token: String,
    /// The token was used.
    pub token_used: bool,
    /// Authorise answers 403.
    pub disabled: bool,
    /// The workspaces this user may release from (DBL-5, DBL-6).
    pub release_workspaces: BTreeSet<String>,
}

impl DoubleUser {
    /// A user with this object (its `username` is the key), email `<username>@example.org`, the
    /// login token `token`, and release permission on `release_workspaces`.
    pub fn new(object: Value, token: &str, release_workspaces: &[&str]) -> DoubleUser {
        let username = object["username"].as_str().unwrap_or_default().to_string();
        DoubleUser {
            email: format!("{username}@example.org"),
            object,
            login_token: token.to_string(),
            token_used: false,
            disabled: false,
            release_workspaces: release_workspaces.iter().map(|w| w.to_string()).collect(),
        }
    }

    fn username(&self) -> &str {
        self.object["username"].as_str().unwrap_or_default()
    }
}

/// DBL-1: the double's configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct DoubleConfig {
    /// The backend token every call must carry as `Authorization` (API-2).
    pub token: String,
    /// The backend's slug, named in the "already uploaded" answer.
    pub backend: String,
    /// The known users.
    pub users: Vec<DoubleUser>,
    /// The known workspaces.
    pub workspaces: BTreeSet<String>,
    /// The upload size limit in bytes.
    pub size_limit: u64,
}

impl DoubleConfig {
    /// A configuration with this token, backend `test`, no users, no workspaces and the
    /// default size limit.
    pub fn new(token: &str) -> DoubleConfig {
        DoubleConfig {
            token: token.to_string(),
            backend: "test".to_string(),
            users: Vec::new(),
            workspaces: BTreeSet::new(),
            size_limit: DEFAULT_SIZE_LIMIT,
        }
    }

    /// Adds a user.
    pub fn with_user(mut self, user: DoubleUser) -> DoubleConfig {
        self.users.push(user);
        self
    }

    /// Adds known workspaces.
    pub fn with_workspaces(mut self, names: &[&str]) -> DoubleConfig {
        self.workspaces.extend(names.iter().map(|n| n.to_string()));
        self
    }
}

/// DBL-5: a release as the double stored it.
#[derive(Debug, Clone, PartialEq)]
pub struct Release {
    /// The release id (the request id, API-18).
    pub id: String,
    /// The workspace it was created for.
    pub workspace: String,
    /// name → (sha256, size).
    pub files: ReleaseFiles,
    /// name → uploaded bytes.
    pub uploaded: BTreeMap<String, Vec<u8>>,
}

/// DBL-8: one recorded call.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// Which endpoint it reached, if any.
    pub endpoint: Option<Endpoint>,
    /// The method.
    pub method: String,
    /// The path as sent (still percent-encoded).
    pub path: String,
    /// The headers, names in lower case, in the order sent.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// The status answered; 0 when a fault closed the connection instead.
    pub status: u16,
    /// The body answered.
    pub answer: Vec<u8>,
}

impl Call {
    /// The first value of a header (name in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// The body as JSON, if it is.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A parsed request.
pub(crate) struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    /// The body, when it is at most [`crate::KEPT_BODY`] bytes; empty otherwise.
    pub body: Vec<u8>,
    /// The body's length, kept or not.
    pub body_len: u64,
    /// The body's sha256 (lowercase hex), computed as it arrived.
    pub body_sha256: String,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

/// An answer.
pub(crate) struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    fn json(status: u16, body: &Value) -> Answer {
        Answer {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        }
    }

    fn detail(status: u16, text: &str) -> Answer {
        Answer::json(status, &json!({ "detail": text }))
    }
}

/// What the handler decided: answer, or apply a fault.
pub(crate) enum Outcome {
    Answer(Answer),
    Fault(Fault),
}

/// The double's mutable state.
pub(crate) struct State {
    pub config: DoubleConfig,
    pub calls: Vec<Call>,
    pub contract_failures: Vec<String>,
    pub faults: Vec<(Endpoint, Fault, usize)>,
    pub releases: BTreeMap<String, Release>,
    next_file_id: u64,
}

/// The event types of API-27.
const EVENT_TYPES: [&str; 9] = [
    "request_submitted",
    "request_resubmitted",
    "request_partially_reviewed",
    "request_reviewed",
    "request_approved",
    "request_rejected",
    "request_returned",
    "request_released",
    "request_withdrawn",
];

impl State {
    pub fn new(config: DoubleConfig) -> State {
        State {
            config,
            calls: Vec::new(),
            contract_failures: Vec::new(),
            faults: Vec::new(),
            releases: BTreeMap::new(),
            next_file_id: 1,
        }
    }

    pub fn user_mut(&mut self, username: &str) -> Option<&mut DoubleUser> {
        self.config
            .users
            .iter_mut()
            .find(|u| u.username() == username)
    }

    fn user(&self, username: &str) -> Option<&DoubleUser> {
        self.config.users.iter().find(|u| u.username() == username)
    }

    fn fail(&mut self, why: String) {
        self.contract_failures.push(why);
    }

    /// Which endpoint a path names, and its path parameter.
    pub fn route(path: &str) -> Option<(Endpoint, String)> {
        let rest = path.strip_prefix(crate::API_PREFIX)?;
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .ok()
                .map(|s| s.into_owned())
        };
        match rest {
            "/releases/authenticate" => Some((Endpoint::Authenticate, String::new())),
            "/releases/authorise" => Some((Endpoint::Authorise, String::new())),
            "/airlock/events/" => Some((Endpoint::Events, String::new())),
            _ => {
                if let Some(ws) = rest.strip_prefix("/releases/workspace/") {
                    Some((Endpoint::CreateRelease, decode(ws)?))
                } else if let Some(id) = rest.strip_prefix("/releases/release/") {
                    Some((Endpoint::Upload, decode(id)?))
                } else {
                    None
                }
            }
        }
    }

    /// DBL-9: takes one injected fault for `endpoint`, if any is left.
    fn take_fault(&mut self, endpoint: Endpoint) -> Option<Fault> {
        let slot = self
            .faults
            .iter_mut()
            .find(|(e, _, times)| *e == endpoint && *times > 0)?;
        slot.2 -= 1;
        let fault = slot.1.clone();
        self.faults.retain(|(_, _, times)| *times > 0);
        Some(fault)
    }

    /// Answers one request.
    pub fn handle(&mut self, request: &Request) -> (Option<Endpoint>, Outcome) {
        let Some((endpoint, param)) = State::route(&request.path) else {
            return (None, Outcome::Answer(Answer::detail(404, "Not found.")));
        };
        if request.method != "POST" {
            return (
                Some(endpoint),
                Outcome::Answer(Answer::detail(
                    405,
                    &format!("Method \"{}\" not allowed.", request.method),
                )),
            );
        }
        if let Some(fault) = self.take_fault(endpoint) {
            return (
                Some(endpoint),
                match fault {
                    Fault::Status(status, body) => Outcome::Answer(Answer {
                        status,
                        headers: vec![("Content-Type".into(), "application/json".into())],
                        body: body.into_bytes(),
                    }),
                    other => Outcome::Fault(other),
                },
            );
        }
        // DBL-2: the raw backend token, no scheme word.
        if request.header("authorization") != Some(self.config.token.as_str()) {
            return (
                Some(endpoint),
                Outcome::Answer(Answer::detail(403, "Invalid token")),
            );
        }
        // API-4 and api.md §5: every call accepts JSON.
        if request.header("accept") != Some("application/json") {
            self.fail(format!(
                "{endpoint:?}: Accept is {:?}, not application/json",
                request.header("accept")
            ));
        }
        let answer = match endpoint {
            Endpoint::Authenticate => self.authenticate(request),
            Endpoint::Authorise => self.authorise(request),
            Endpoint::CreateRelease => self.create_release(request, &param),
            Endpoint::Upload => self.upload(request, &param),
            Endpoint::Events => self.event(request),
        };
        (Some(endpoint), Outcome::Answer(answer))
    }

    fn json_body(&mut self, request: &Request, endpoint: Endpoint) -> Option<Value> {
        if request.header("content-type") != Some("application/json") {
            self.fail(format!(
                "{endpoint:?}: Content-Type is {:?}, not application/json",
                request.header("content-type")
            ));
        }
        serde_json::from_slice(&request.body).ok()
    }

    /// DBL-3.
    fn authenticate(&mut self, request: &Request) -> Answer {
        let body = self.json_body(request, Endpoint::Authenticate);
        let field = |name: &str| {
            body.as_ref()
                .and_then(|b| b.get(name))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let (Some(user), Some(token)) = (field("user"), field("token")) else {
            return Answer::json(400, &json!({"user": ["This field is required."]}));
        };
        let found = self
            .config
            .users
            .iter_mut()
            .find(|u| u.username() == user || u.email == user);
        match found {
            Some(u) if !u.token_used && u.login_token == token => {
                u.token_used = true;
                Answer::json(200, &u.object)
            }
            _ => Answer::detail(403, "Invalid user or token"),
        }
    }

    /// DBL-4.
    fn authorise(&mut self, request: &Request) -> Answer {
        let body = self.json_body(request, Endpoint::Authorise);
        let Some(user) = body
            .as_ref()
            .and_then(|b| b.get("user"))
            .and_then(Value::as_str)
        else {
            return Answer::json(400, &json!({"user": ["This field is required."]}));
        };
        match self.user(user) {
            None => Answer::detail(404, "Not found."),
            Some(u) if u.disabled => Answer::detail(403, "User may not log in by token"),
            Some(u) => Answer::json(200, &u.object),
        }
    }

    /// API-3 and API-7: the acting user may release from this workspace.
    fn os_user_may_release(&self, request: &Request, workspace: &str) -> Result<String, Answer> {
        let Some(name) = request.header("os-user") else {
            return Err(Answer::detail(403, "OS-User header is missing"));
        };
        match self.user(name) {
            Some(u) if u.release_workspaces.contains(workspace) => Ok(name.to_string()),
            Some(_) => Err(Answer::detail(
                403,
                "User does not have permission to release from this workspace",
            )),
            None => Err(Answer::detail(403, "Unknown user")),
        }
    }

    /// DBL-5.
    fn create_release(&mut self, request: &Request, workspace: &str) -> Answer {
        let body = self.json_body(request, Endpoint::CreateRelease);
        if let Err(answer) = self.os_user_may_release(request, workspace) {
            return answer;
        }
        if !self.config.workspaces.contains(workspace) {
            return Answer::detail(404, "Not found.");
        }
        let parsed = match body
            .as_ref()
            .map(|b| release_body(b, self.config.size_limit))
        {
            Some(Ok(parsed)) => parsed,
            Some(Err(errors)) => {
                self.fail(format!("CreateRelease: invalid body: {errors}"));
                return Answer::json(400, &errors);
            }
            None => {
                self.fail("CreateRelease: the body is not JSON".to_string());
                return Answer::json(400, &json!({"detail": "JSON parse error"}));
            }
        };
        let (id, files) = parsed;
        if let Some(existing) = self.releases.get(&id) {
            let same = existing
                .files
                .iter()
                .map(|(_, (sha, _))| sha)
                .collect::<BTreeSet<_>>()
                == files.iter().map(|(_, (sha, _))| sha).collect();
            if !same {
                return Answer {
                    status: 500,
                    headers: Vec::new(),
                    body: b"Server Error (500)".to_vec(),
                };
            }
        } else {
            self.releases.insert(
                id.clone(),
                Release {
                    id: id.clone(),
                    workspace: workspace.to_string(),
                    files,
                    uploaded: BTreeMap::new(),
                },
            );
        }
        let mut answer = Answer::json(
            201,
            &json!({"release_id": id, "release_url": format!("https://jobs.example/releases/{id}")}),
        );
        answer.headers.push(("Release-Id".into(), id));
        answer
    }

    /// DBL-6.
    fn upload(&mut self, request: &Request, release_id: &str) -> Answer {
        let Some(release) = self.releases.get(release_id) else {
            return match request.header("os-user") {
                None => Answer::detail(403, "OS-User header is missing"),
                Some(_) => Answer::detail(404, "Not found."),
            };
        };
        let workspace = release.workspace.clone();
        if let Err(answer) = self.os_user_may_release(request, &workspace) {
            return answer;
        }
        if request.header("content-type") != Some("application/octet-stream") {
            self.fail(format!(
                "Upload: Content-Type is {:?}",
                request.header("content-type")
            ));
            return Answer::detail(400, "Unsupported media type");
        }
        let Some(name) = request
            .header("content-disposition")
            .and_then(disposition_filename)
        else {
            self.fail(format!(
                "Upload: Content-Disposition {:?} does not parse",
                request.header("content-disposition")
            ));
            return Answer::detail(400, "Missing filename");
        };
        let limit = self.config.size_limit;
        let backend = self.config.backend.clone();
        let Some(release) = self.releases.get_mut(release_id) else {
            return Answer::detail(404, "Not found.");
        };
        let Some((sha, size)) = release.files.get(&name).cloned() else {
            return Answer::detail(
                400,
                &format!("File {name} not requested in release {release_id}"),
            );
        };
        let declared: Option<u64> = request
            .header("content-length")
            .and_then(|v| v.parse().ok());
        if declared.is_some_and(|d| d > limit) {
            return Answer::detail(400, "File is too large, it must be below 16.0Mb");
        }
        if request.body_len == 0 {
            return Answer::detail(400, "No data uploaded");
        }
        if release.uploaded.contains_key(&name) {
            return Answer::detail(
                400,
                &format!(
                    "This version of '{name}' has already been uploaded from backend '{backend}'"
                ),
            );
        }
        if request.body_len != size || request.body_sha256 != sha {
            return Answer::detail(
                400,
                "Contents of uploaded file does not match the file which a review was requested for",
            );
        }
        release.uploaded.insert(name, request.body.clone());
        let file_id = self.next_file_id;
        self.next_file_id += 1;
        Answer {
            status: 201,
            headers: vec![
                ("File-Id".into(), format!("file-{file_id}")),
                (
                    "Location".into(),
                    format!("https://jobs.example/releases/{release_id}/files/{file_id}"),
                ),
            ],
            body: Vec::new(),
        }
    }

    /// DBL-7.
    fn event(&mut self, request: &Request) -> Answer {
        let body = self.json_body(request, Endpoint::Events);
        let problem = match &body {
            None => Some("the body is not JSON".to_string()),
            Some(event) => event_problem(event, request.header("os-user")),
        };
        match problem {
            None => Answer::json(201, &json!({"status": "ok"})),
            Some(why) => {
                self.fail(format!("Events: {why}"));
                Answer::json(201, &json!({"status": "error", "message": why}))
            }
        }
    }
}

/// A release's files: name → (sha256, size).
type ReleaseFiles = BTreeMap<String, (String, u64)>;

/// API-17 checks; the release id and its files, or the field errors.
fn release_body(body: &Value, limit: u64) -> Result<(String, ReleaseFiles), Value> {
    let metadata_ok = |m: &Value| {
        m.get("tool").and_then(Value::as_str) == Some("airlock")
            && m.get("airlock_id").and_then(Value::as_str).is_some()
            && m.as_object()
                .is_some_and(|o| o.values().all(Value::is_string))
    };
    let Some(object) = body.as_object() else {
        return Err(json!({"non_field_errors": ["Expected an object."]}));
    };
    if !object.get("review").is_some_and(Value::is_null) {
        return Err(json!({"review": ["Must be null."]}));
    }
    let Some(metadata) = object.get("metadata").filter(|m| metadata_ok(m)) else {
        return Err(json!({"metadata": ["Invalid metadata."]}));
    };
    let id = metadata["airlock_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let Some(files) = object.get("files").and_then(Value::as_array) else {
        return Err(json!({"files": ["This field is required."]}));
    };
    let mut out = BTreeMap::new();
    let mut errors = Vec::new();
    let mut any_error = false;
    for file in files {
        let mut error = serde_json::Map::new();
        let name = file.get("name").and_then(Value::as_str);
        let url = file.get("url").and_then(Value::as_str);
        let sha = file.get("sha256").and_then(Value::as_str);
        let size = file.get("size").and_then(Value::as_u64);
        if name.is_none() || name != url {
            error.insert(
                "name".into(),
                json!(["name and url must be the same string."]),
            );
        }
        if !sha.is_some_and(|s| {
            s.len() == 64
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        }) {
            error.insert(
                "sha256".into(),
                json!(["Must be 64 lowercase hex characters."]),
            );
        }
        match size {
            None => {
                error.insert("size".into(), json!(["A valid integer is required."]));
            }
            Some(s) if s > limit => {
                error.insert(
                    "size".into(),
                    json!(["File size should be <16Mb. Contact tech support if needed."]),
                );
            }
            Some(_) => {}
        }
        let date_ok = file
            .get("date")
            .and_then(Value::as_str)
            .is_some_and(|d| chrono::DateTime::parse_from_rfc3339(d).is_ok());
        if !date_ok {
            error.insert("date".into(), json!(["Datetime has wrong format."]));
        }
        if !file.get("metadata").is_some_and(metadata_ok) {
            error.insert("metadata".into(), json!(["Invalid metadata."]));
        }
        if !file.get("review").is_some_and(Value::is_null) {
            error.insert("review".into(), json!(["Must be null."]));
        }
        any_error |= !error.is_empty();
        if let (Some(name), Some(sha), Some(size)) = (name, sha, size) {
            out.insert(name.to_string(), (sha.to_string(), size));
        }
        errors.push(Value::Object(error));
    }
    if any_error {
        return Err(json!({ "files": errors }));
    }
    Ok((id, out))
}

/// DBL-7 checks of one event; the first problem found.
fn event_problem(event: &Value, os_user: Option<&str>) -> Option<String> {
    let text = |name: &str| event.get(name).and_then(Value::as_str);
    let event_type = text("event_type");
    if !event_type.is_some_and(|t| EVENT_TYPES.contains(&t)) {
        return Some(format!("unknown event_type {event_type:?}"));
    }
    for name in ["workspace", "request", "request_author", "user"] {
        if text(name).is_none() {
            return Some(format!("{name} is missing or not a string"));
        }
    }
    if os_user != text("user") {
        return Some(format!(
            "OS-User {os_user:?} differs from the payload's user {:?}",
            text("user")
        ));
    }
    match event.get("updates") {
        None => return Some("updates is missing".to_string()),
        Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            let valid = |item: &Value| {
                item.as_object().is_some_and(|o| {
                    o.get("update").is_some_and(Value::is_string)
                        && o.iter().all(|(k, v)| {
                            matches!(k.as_str(), "update" | "group" | "user") && v.is_string()
                        })
                })
            };
            if !items.iter().all(valid) {
                return Some("an update has a key other than update, group, user".to_string());
            }
        }
        Some(_) => return Some("updates is neither null nor a list".to_string()),
    }
    if event.get("org").is_some() != event.get("repo").is_some() {
        return Some("org and repo must be both present or both absent".to_string());
    }
    None
}

/// API-23: the file name of a `Content-Disposition` header, in either form.
pub(crate) fn disposition_filename(value: &str) -> Option<String> {
    let rest = value.trim().strip_prefix("attachment")?.trim_start();
    let rest = rest.strip_prefix(';')?.trim();
    if let Some(encoded) = rest.strip_prefix("filename*=UTF-8''") {
        return percent_encoding::percent_decode_str(encoded)
            .decode_utf8()
            .ok()
            .map(|s| s.into_owned());
    }
    let quoted = rest.strip_prefix("filename=\"")?;
    let mut name = String::new();
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => name.push(chars.next()?),
            '"' => return chars.as_str().trim().is_empty().then_some(name),
            c => name.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_23_both_filename_forms_parse() {
        assert_eq!(
            disposition_filename(r#"attachment; filename="output/a \"b\".csv""#).as_deref(),
            Some(r#"output/a "b".csv"#)
        );
        assert_eq!(
            disposition_filename("attachment; filename*=UTF-8''output/caf%C3%A9.csv").as_deref(),
            Some("output/café.csv")
        );
        assert_eq!(disposition_filename("inline; filename=\"a\""), None);
        assert_eq!(disposition_filename("attachment; filename=\"a"), None);
    }

    #[test]
    fn dbl_7_events_are_checked() {
        let good = json!({"event_type": "request_submitted", "workspace": "w", "request": "r",
                          "request_author": "a", "user": "u", "updates": null});
        assert_eq!(event_problem(&good, Some("u")), None);
        assert!(event_problem(&good, Some("x")).is_some());
        let mut bad = good.clone();
        bad["event_type"] = json!("REQUEST_SUBMITTED");
        assert!(event_problem(&bad, Some("u")).is_some());
        let mut bad = good.clone();
        bad["org"] = json!("o");
        assert!(event_problem(&bad, Some("u")).is_some());
        let mut bad = good;
        bad["updates"] = json!([{"update": "x", "extra": "y"}]);
        assert!(event_problem(&bad, Some("u")).is_some());
    }
}
