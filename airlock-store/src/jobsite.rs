//! The client of the Jobs site (`jobserver-api.md`): login and re-authorisation (§2, §3). Every
//! call carries the raw backend token (API-2), JSON headers (API-4) and the connect and total
//! timeouts of the configuration (API-5).

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
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(connect_timeout)
            .timeout(timeout)
            .build();
        JobSiteClient {
            endpoint: endpoint.trim_end_matches('/').to_string(),
            token,
            agent,
        }
    }

    /// The client the configuration describes; `None` in test mode (API-8: no token).
    pub fn from_config(config: &Config) -> Option<Self> {
        let token = config.jobs_api_token.clone()?;
        Some(JobSiteClient::new(
            &config.jobs_api_endpoint,
            token,
            config.http_connect_timeout,
            config.http_timeout,
        ))
    }

    /// Posts a JSON body to `path` and answers the JSON of a 2xx answer.
    fn post_json(&self, path: &str, body: &Value) -> Result<Value, JobSiteError> {
        let url = format!("{}{path}", self.endpoint);
        let answer = self
            .agent
            .post(&url)
            .set("Authorization", self.token.expose())
            .set("Accept", "application/json")
            .send_json(body);
        match answer {
            Ok(response) => response
                .into_json::<Value>()
                .map_err(|e| JobSiteError::BadAnswer(e.to_string())),
            Err(ureq::Error::Status(status, response)) => {
                let text = response.into_string().unwrap_or_default();
                let detail = serde_json::from_str::<Value>(&text)
                    .ok()
                    .and_then(|v| v.get("detail").and_then(Value::as_str).map(str::to_string))
                    .unwrap_or(text);
                Err(JobSiteError::Status { status, detail })
            }
            Err(ureq::Error::Transport(transport)) => {
                Err(JobSiteError::Transport(transport.to_string()))
            }
        }
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
