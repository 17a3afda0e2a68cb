//! What the double knows and how each endpoint answers (DBL-1 to DBL-7), as plain functions
//! over a request; `http.rs` does the wire.
//!
//! This module holds the shared state, the recorded calls and contract failures, and the
//! routing of a request to its endpoint; each endpoint group answers in its own module:
//! `auth` (authenticate and authorise), `releases`, `uploads` and `events`, with the
//! configuration in `config` and fault injection in `faults`.

mod auth;
mod config;
mod events;
mod faults;
mod releases;
mod uploads;

pub use config::{DoubleConfig, DoubleUser};
pub use faults::Fault;
pub use releases::Release;
pub(crate) use uploads::disposition_filename;

use serde_json::{Value, json};
use std::collections::BTreeMap;

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
    /// DBL-9: connections a `Fault::Stall` holds now (recorded, not answered, not closed).
    pub stalled: usize,
    next_file_id: u64,
}

impl State {
    pub fn new(config: DoubleConfig) -> State {
        State {
            config,
            calls: Vec::new(),
            contract_failures: Vec::new(),
            faults: Vec::new(),
            releases: BTreeMap::new(),
            stalled: 0,
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
}
