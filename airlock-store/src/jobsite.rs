//! The client of the Jobs site (`jobserver-api.md`): login and re-authorisation (§2, §3),
//! release creation (§4), file upload (§5) and notifications (§6). Every call carries the raw
//! backend token (API-2), `Accept: application/json` (API-4) and the connect and total timeouts
//! of the configuration (API-5); an upload has its own total timeout (`upload_timeout`).

use crate::config::{Config, Secret};
use airlock_core::User;
use serde_json::{Value, json};
use std::time::Duration;

/// A failed call to the Jobs site.
#[derive(Debug, thiserror::Error)]
pub enum JobSiteError {
    /// The Jobs site answered with this status (and `detail` text, or the body).
    #[error("the Jobs site answered {status}: {detail}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The `detail` of the answer, or its body.
        detail: String,
    },
    /// No answer: a timeout, a refused connection, a dropped connection.
    #[error("the Jobs site could not be reached: {0}")]
    Transport(String),
    /// An answer that is not what the contract says.
    #[error("the Jobs site's answer could not be read: {0}")]
    BadAnswer(String),
}

impl JobSiteError {
    /// The HTTP status, when the Jobs site answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            JobSiteError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A client of one Jobs site, with its backend token.
#[derive(Clone)]
pub struct JobSiteClient {
    endpoint: String,
    token: Secret,
    agent: ureq::Agent,
    upload_agent: ureq::Agent,
}

/// How the Jobs site took an upload (API-25).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uploaded {
    /// 201: stored now.
    Stored,
    /// 400 "This version of '<relpath>' has already been uploaded": stored earlier.
    AlreadyUploaded,
}

/// Characters escaped in a path segment (API-4): everything but RFC 3986 unreserved.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A path segment, percent-encoded (API-4).
pub fn path_segment(segment: &str) -> String {
    percent_encoding::utf8_percent_encode(segment, SEGMENT).to_string()
}

/// API-23: the `Content-Disposition` value naming `relpath` (already `/`-separated).
pub fn content_disposition(relpath: &str) -> String {
    if relpath.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        let escaped = relpath.replace('\\', "\\\\").replace('"', "\\\"");
        format!("attachment; filename=\"{escaped}\"")
    } else {
        format!(
            "attachment; filename*=UTF-8''{}",
            percent_encoding::utf8_percent_encode(relpath, SEGMENT)
        )
    }
}

/// The answer of a call whose only success is 201 (API-19, API-24, API-28).
fn created(result: Result<ureq::Response, ureq::Error>) -> Result<ureq::Response, JobSiteError> {
    match result {
        Ok(response) if response.status() == 201 => Ok(response),
        Ok(response) => Err(JobSiteError::BadAnswer(format!(
            "status {} where 201 was expected",
            response.status()
        ))),
        Err(ureq::Error::Status(status, response)) => Err(status_error(status, response)),
        Err(ureq::Error::Transport(transport)) => {
            Err(JobSiteError::Transport(transport.to_string()))
        }
    }
}

/// The status and `detail` (or body) of a non-2xx answer.
fn status_error(status: u16, response: ureq::Response) -> JobSiteError {
    let text = response.into_string().unwrap_or_default();
    let detail = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v.get("detail").and_then(Value::as_str).map(str::to_string))
        .unwrap_or(text);
    JobSiteError::Status { status, detail }
}

impl std::fmt::Debug for JobSiteClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobSiteClient")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl JobSiteClient {
    /// A client of `endpoint` (no trailing `/`) with this backend token and timeouts.
    pub fn new(
        endpoint: &str,
        token: Secret,
        connect_timeout: Duration,
        timeout: Duration,
    ) -> Self {
        JobSiteClient::with_upload_timeout(endpoint, token, connect_timeout, timeout, timeout)
    }

    /// As [`JobSiteClient::new`], with another total timeout for file uploads.
    pub fn with_upload_timeout(
        endpoint: &str,
        token: Secret,
        connect_timeout: Duration,
        timeout: Duration,
        upload_timeout: Duration,
    ) -> Self {
        let agent = |total| {
            ureq::AgentBuilder::new()
                .timeout_connect(connect_timeout)
                .timeout(total)
                .build()
        };
        JobSiteClient {
            endpoint: endpoint.trim_end_matches('/').to_string(),
            token,
            agent: agent(timeout),
            upload_agent: agent(upload_timeout),
        }
    }

    /// The client the configuration describes; `None` in test mode (API-8: no token).
    pub fn from_config(config: &Config) -> Option<Self> {
        let token = config.jobs_api_token.clone()?;
        Some(JobSiteClient::with_upload_timeout(
            &config.jobs_api_endpoint,
            token,
            config.http_connect_timeout,
            config.http_timeout,
            config.upload_timeout,
        ))
    }

    /// A POST to `path` with the backend token, `Accept` and, when acting for a person, `OS-User`
    /// (API-2 to API-4).
    fn post(&self, agent: &ureq::Agent, path: &str, os_user: Option<&str>) -> ureq::Request {
        let request = agent
            .post(&format!("{}{path}", self.endpoint))
            .set("Authorization", self.token.expose())
            .set("Accept", "application/json");
        match os_user {
            Some(user) => request.set("OS-User", user),
            None => request,
        }
    }

    /// Sends a JSON body and answers the JSON of a 2xx answer.
    fn send_json(request: ureq::Request, body: &Value) -> Result<Value, JobSiteError> {
        match request.send_json(body) {
            Ok(response) => response
                .into_json::<Value>()
                .map_err(|e| JobSiteError::BadAnswer(e.to_string())),
            Err(ureq::Error::Status(status, response)) => Err(status_error(status, response)),
            Err(ureq::Error::Transport(transport)) => {
                Err(JobSiteError::Transport(transport.to_string()))
            }
        }
    }

    /// Posts a JSON body to `path` as the backend alone and answers the JSON of a 2xx answer.
    fn post_json(&self, path: &str, body: &Value) -> Result<Value, JobSiteError> {
        JobSiteClient::send_json(self.post(&self.agent, path, None), body)
    }

    fn user_of(answer: Value) -> Result<User, JobSiteError> {
        serde_json::from_value(answer).map_err(|e| JobSiteError::BadAnswer(e.to_string()))
    }

    /// API-9: logs in with what the person typed (username or email) and their single-use
    /// token. Never retried (API-11).
    pub fn authenticate(&self, user: &str, token: &str) -> Result<User, JobSiteError> {
        let answer = self.post_json(
            "/releases/authenticate",
            &json!({ "user": user, "token": token }),
        )?;
        JobSiteClient::user_of(answer)
    }

    /// API-12: the user's current permissions.
    pub fn authorise(&self, username: &str) -> Result<User, JobSiteError> {
        let answer = self.post_json("/releases/authorise", &json!({ "user": username }))?;
        JobSiteClient::user_of(answer)
    }
}

impl JobSiteClient {
    /// API-16: creates (or gets, API-18) the release of a request, as the releasing checker.
    /// `body` is [`airlock_core::action::release_body`]. Any answer but 201 is an error (API-20).
    pub fn create_release(
        &self,
        os_user: &str,
        workspace: &str,
        body: &Value,
    ) -> Result<(), JobSiteError> {
        let path = format!("/releases/workspace/{}", path_segment(workspace));
        let request = self.post(&self.agent, &path, Some(os_user));
        created(request.send_json(body)).map(drop)
    }

    /// API-21: uploads one released file, as its `released_by` user, streaming `body` (exactly
    /// `len` bytes, sent with a `Content-Length`, never chunked). 201 and the "already
    /// uploaded" answer for this `relpath` are success (API-25).
    pub fn upload(
        &self,
        os_user: &str,
        release_id: &str,
        relpath: &str,
        body: impl std::io::Read,
        len: u64,
    ) -> Result<Uploaded, JobSiteError> {
        let path = format!("/releases/release/{}", path_segment(release_id));
        let request = self
            .post(&self.upload_agent, &path, Some(os_user))
            .set("Content-Type", "application/octet-stream")
            .set("Content-Disposition", &content_disposition(relpath))
            .set("Content-Length", &len.to_string());
        match created(request.send(body)) {
            Ok(_) => Ok(Uploaded::Stored),
            Err(JobSiteError::Status {
                status: 400,
                detail,
            }) if detail.contains(&format!(
                "This version of '{relpath}' has already been uploaded"
            )) =>
            {
                Ok(Uploaded::AlreadyUploaded)
            }
            Err(other) => Err(other),
        }
    }

    /// API-26: sends one notification as its acting user. `Ok(None)`: delivered; `Ok(Some(m))`:
    /// delivered, but the Jobs site reported `"status": "error"` with message `m` (API-28).
    pub fn notify(&self, os_user: &str, payload: &Value) -> Result<Option<String>, JobSiteError> {
        let request = self.post(&self.agent, "/airlock/events/", Some(os_user));
        let body: Value = created(request.send_json(payload))?
            .into_json()
            .unwrap_or(Value::Null);
        Ok(match body.get("status").and_then(Value::as_str) {
            Some("error") => Some(
                body.get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("(no message)")
                    .to_string(),
            ),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_23_ascii_names_are_quoted_with_escapes() {
        assert_eq!(
            content_disposition("output/table 1.csv"),
            "attachment; filename=\"output/table 1.csv\""
        );
        assert_eq!(
            content_disposition("output/a\"b\\c.csv"),
            "attachment; filename=\"output/a\\\"b\\\\c.csv\""
        );
    }

    #[test]
    fn api_23_other_names_are_percent_encoded_utf8() {
        assert_eq!(
            content_disposition("output/caf\u{e9}.csv"),
            "attachment; filename*=UTF-8''output%2Fcaf%C3%A9.csv"
        );
        assert_eq!(
            content_disposition("output/tab\there.csv"),
            "attachment; filename*=UTF-8''output%2Ftab%09here.csv"
        );
    }

    #[test]
    fn api_4_path_segments_are_percent_encoded() {
        assert_eq!(path_segment("diabetes-outcomes"), "diabetes-outcomes");
        assert_eq!(path_segment("a b/c?d"), "a%20b%2Fc%3Fd");
    }
}
