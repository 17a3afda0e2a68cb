//! A test double of the Jobs site, as `jobserver-api.md` §8 describes it (DBL-1 to DBL-9).
//!
//! [`JobSite::start`] binds a real HTTP/1.1 server on 127.0.0.1 port 0, so the product's own
//! client exercises the wire format: headers, JSON bodies, streamed uploads and timeouts. Every
//! call is recorded ([`JobSite::calls`]); a call that breaks the contract is also recorded as a
//! contract failure ([`JobSite::contract_failures`]) for the test to assert on; and
//! [`JobSite::inject`] makes the next calls to an endpoint answer a given status, stall, or
//! drop the connection.
//!
//! The server is written on `std::net` with `httparse` for the request head, not on a web
//! framework, because the faults it must inject (stalling before answering, dropping the
//! connection mid-call) are exactly what frameworks hide. One thread serves each connection;
//! each answer closes its connection.

mod http;
mod state;

pub use state::{Call, DoubleConfig, DoubleUser, Endpoint, Fault, Release};

use state::State;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

/// Bodies up to this many bytes are kept (recorded and returned by [`JobSite::uploaded`]);
/// larger ones are only hashed as they arrive, so the double serves large uploads in constant
/// memory.
pub const KEPT_BODY: usize = 64 * 1024 * 1024;

/// The path prefix of the API, as in the default `jobs_api_endpoint`.
pub const API_PREFIX: &str = "/api/v2";

/// A running Jobs site double. Dropping it stops the server.
pub struct JobSite {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl JobSite {
    /// Starts the double on 127.0.0.1, on a free port.
    pub fn start(config: DoubleConfig) -> std::io::Result<JobSite> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::new(config)));
        let stop = Arc::new(AtomicBool::new(false));
        let acceptor = {
            let (state, stop) = (Arc::clone(&state), Arc::clone(&stop));
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let state = Arc::clone(&state);
                    std::thread::spawn(move || http::serve(stream, &state));
                }
            })
        };
        Ok(JobSite {
            addr,
            state,
            stop,
            acceptor: Some(acceptor),
        })
    }

    /// The base URL to configure as `jobs_api_endpoint` (no trailing `/`).
    pub fn endpoint(&self) -> String {
        format!("http://{}{API_PREFIX}", self.addr)
    }

    /// The address the double listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// DBL-8: every call so far, in the order they arrived.
    pub fn calls(&self) -> Vec<Call> {
        self.state().calls.clone()
    }

    /// The recorded calls to one endpoint.
    pub fn calls_to(&self, endpoint: Endpoint) -> Vec<Call> {
        self.state()
            .calls
            .iter()
            .filter(|c| c.endpoint == Some(endpoint))
            .cloned()
            .collect()
    }

    /// DBL-7 and every other breach of the contract the double noticed; a test asserts that
    /// this is empty.
    pub fn contract_failures(&self) -> Vec<String> {
        self.state().contract_failures.clone()
    }

    /// DBL-9: the next `times` calls to `endpoint` answer with `fault` instead.
    pub fn inject(&self, endpoint: Endpoint, fault: Fault, times: usize) {
        self.state().faults.push((endpoint, fault, times));
    }

    /// DBL-6 and DBL-8: how many uploads of each file name the double answered 201 (stored):
    /// a test asserts each is 1.
    pub fn stored_counts(&self) -> std::collections::BTreeMap<String, usize> {
        let mut counts = std::collections::BTreeMap::new();
        for call in self.calls_to(Endpoint::Upload) {
            if call.status == 201
                && let Some(name) = call
                    .header("content-disposition")
                    .and_then(state::disposition_filename)
            {
                *counts.entry(name).or_insert(0) += 1;
            }
        }
        counts
    }

    /// Forgets every upload, so that the same files can be uploaded again (benchmarks).
    pub fn forget_uploads(&self) {
        for release in self.state().releases.values_mut() {
            release.uploaded.clear();
        }
    }

    /// DBL-9: how many calls a [`Fault::Stall`] holds at this moment: recorded in
    /// [`JobSite::calls`], not answered, connection not closed yet. A test uses it to show that
    /// something happened while a call was still held, without measuring time.
    pub fn stalled(&self) -> usize {
        self.state().stalled
    }

    /// DBL-9: removes every injected fault not used up yet.
    pub fn clear_faults(&self) {
        self.state().faults.clear();
    }

    /// DBL-4: replaces a user's object (tests change permissions between calls).
    pub fn set_user_object(&self, username: &str, object: serde_json::Value) {
        if let Some(user) = self.state().user_mut(username) {
            user.object = object;
        }
    }

    /// DBL-4: a disabled user is refused by authorise with 403.
    pub fn set_disabled(&self, username: &str, disabled: bool) {
        if let Some(user) = self.state().user_mut(username) {
            user.disabled = disabled;
        }
    }

    /// DBL-1: gives a user a fresh, unused login token.
    pub fn set_login_token(&self, username: &str, token: &str) {
        if let Some(user) = self.state().user_mut(username) {
            user.login_token = token.to_string();
            user.token_used = false;
        }
    }

    /// DBL-5: the releases created so far, by release id.
    pub fn releases(&self) -> Vec<Release> {
        self.state().releases.values().cloned().collect()
    }

    /// DBL-6: the bytes uploaded for `name` in release `release_id`, if any.
    pub fn uploaded(&self, release_id: &str, name: &str) -> Option<Vec<u8>> {
        self.state()
            .releases
            .get(release_id)
            .and_then(|r| r.uploaded.get(name).cloned())
    }
}

impl Drop for JobSite {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the acceptor so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}
