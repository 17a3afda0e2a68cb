//! DBL-5: creating a release (API-17), and the release permission that uploads share (API-3,
//! API-7).

use super::{Answer, Endpoint, Request, State};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

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

impl State {
    /// API-3 and API-7: the acting user may release from this workspace.
    pub(super) fn os_user_may_release(
        &self,
        request: &Request,
        workspace: &str,
    ) -> Result<String, Answer> {
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
    pub(super) fn create_release(&mut self, request: &Request, workspace: &str) -> Answer {
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
