//! A real server per test database on 127.0.0.1 port 0 (test mode, the fixture users and
//! workspaces, a fresh request file store), and a small HTTP client for it.

#![allow(dead_code)]

pub mod flow;
pub mod pages;

use airlock_core::model::Timestamp;
use airlock_core::users_file::parse_users_file;
use airlock_jobsite_double::{DoubleConfig, DoubleUser, JobSite};
use airlock_store::auth::Directory;
use airlock_store::blobstore::BlobStore;
use airlock_store::config::Config;
use airlock_store::jobsite::JobSiteClient;
use airlock_store::store::{OrgRepo, Store};
use airlock_store::testing::{TestDb, test_databases};
use airlock_store::workspace::WorkspaceReader;
use airlock_uploader::{Worker, WorkerSettings};
use airlock_web::{App, server};
use rocket::fairing::AdHoc;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// The repository's fixtures directory.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// A running server.
pub struct Server {
    pub url: String,
    pub db: TestDb,
    /// The store the server runs on (its clock, rules and Jobs site client).
    pub store: Store,
    /// The configuration it was built from.
    pub config: Config,
    shutdown: Option<rocket::Shutdown>,
    thread: Option<JoinHandle<()>>,
    worker: Option<JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            shutdown.notify();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.store.signal().stop();
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

/// The backend token the Jobs site double expects.
pub const JOBS_TOKEN: &str = "backend-token-0f6a";

/// The Jobs site double with every fixture user (login token = username); output checkers
/// may release from every fixture workspace.
pub fn fixture_jobs_site() -> JobSite {
    let users: Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("users.json")).expect("users file"))
            .expect("users JSON");
    let workspaces: Vec<String> = std::fs::read_dir(fixtures().join("workspaces"))
        .expect("workspaces")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    let names: Vec<&str> = workspaces.iter().map(String::as_str).collect();
    let mut config = DoubleConfig::new(JOBS_TOKEN).with_workspaces(&names);
    for (username, entry) in users.as_object().expect("users object") {
        let details = entry["details"].clone();
        let releases: &[&str] = if details["output_checker"] == true {
            &names
        } else {
            &[]
        };
        config = config.with_user(DoubleUser::new(details, username, releases));
    }
    JobSite::start(config).expect("the Jobs site double starts")
}

/// A clock for the store that stands still until the test moves it, so that a test shows a
/// rule about time (AUTH-5) by advancing the clock instead of sleeping.
#[derive(Debug, Clone)]
pub struct TestClock(Arc<Mutex<Timestamp>>);

impl TestClock {
    /// A clock stopped at the current time.
    pub fn new() -> TestClock {
        TestClock(Arc::new(Mutex::new(chrono::Utc::now())))
    }

    /// The time it shows.
    pub fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves it forward by `by`.
    pub fn advance(&self, by: Duration) {
        let by = chrono::TimeDelta::from_std(by).expect("a duration chrono can hold");
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) += by;
    }
}

impl Default for TestClock {
    fn default() -> TestClock {
        TestClock::new()
    }
}

/// How a test server is set up, beyond its configuration.
#[derive(Default)]
pub struct Setup {
    /// Where logins go; `None` takes the configuration's.
    pub directory: Option<Directory>,
    /// Runs the background worker in the server's process, as `airlock-web` does.
    pub worker: bool,
    /// Per-core permits, when given.
    pub slots: Option<usize>,
    /// The store's clock, when the test moves time itself; the system clock otherwise.
    pub clock: Option<TestClock>,
}

/// Starts a server over `db` that talks to the Jobs site double `site` (logins, releases,
/// uploads, notifications), with its background worker running and short timeouts and
/// backoff (connect and total 1 s, backoff 20–200 ms, stuck after 3 attempts, poll 50 ms).
pub fn start_with_jobs_site(
    db: TestDb,
    site: &JobSite,
    adjust: impl FnOnce(&mut Config),
) -> Server {
    start_with_jobs_site_setup(db, site, Setup::default(), adjust)
}

/// As [`start_with_jobs_site`], with the slots and the clock of `setup` (logins always go to
/// the Jobs site and the worker always runs).
pub fn start_with_jobs_site_setup(
    db: TestDb,
    site: &JobSite,
    setup: Setup,
    adjust: impl FnOnce(&mut Config),
) -> Server {
    let endpoint = site.endpoint();
    let setup = Setup {
        directory: None,
        worker: true,
        ..setup
    };
    start_full(db, setup, move |config| {
        config.jobs_api_token = Some(airlock_store::config::Secret::new(JOBS_TOKEN));
        config.jobs_api_endpoint = endpoint;
        config.dev_users_file = None;
        config.http_connect_timeout = Duration::from_secs(1);
        config.http_timeout = Duration::from_secs(1);
        config.upload_timeout = Duration::from_secs(1);
        config.upload_poll_interval = Duration::from_millis(50);
        config.upload_backoff_base = Duration::from_millis(20);
        config.upload_backoff_cap = Duration::from_millis(200);
        config.upload_stuck_after = 3;
        config.output_checking_org = Some("example-org".into());
        config.output_checking_repo = Some("output-checking".into());
        config.regular_requests_time = None;
        adjust(config);
    })
}

/// Starts a server over `db` in test mode.
pub fn start(db: TestDb) -> Server {
    let users = std::fs::read(fixtures().join("users.json")).expect("users file");
    let directory = Directory::UsersFile(Arc::new(parse_users_file(&users).expect("valid")));
    start_with(db, directory)
}

/// Starts a server over `db` whose logins go to `directory`.
pub fn start_with(db: TestDb, directory: Directory) -> Server {
    start_configured(db, directory, |_| {})
}

/// Starts a server over `db` whose logins go to `directory`, with `adjust` applied to the
/// configuration.
pub fn start_configured(
    db: TestDb,
    directory: Directory,
    adjust: impl FnOnce(&mut Config),
) -> Server {
    let setup = Setup {
        directory: Some(directory),
        ..Setup::default()
    };
    start_full(db, setup, adjust)
}

/// The general form: a server over `db` as `setup` says, with `adjust` applied to the
/// configuration.
pub fn start_full(db: TestDb, setup: Setup, adjust: impl FnOnce(&mut Config)) -> Server {
    let Setup {
        directory,
        worker,
        slots,
        clock,
    } = setup;
    let dir = tempfile::tempdir().expect("tempdir");
    let workspaces = fixtures().join("workspaces");
    let mut config = Config::new(dir.path(), &workspaces);
    config.dev_users_file = Some(fixtures().join("users.json"));
    adjust(&mut config);
    let directory =
        directory.unwrap_or_else(|| Directory::from_config(&config).expect("valid configuration"));
    let store = Store::new(
        db.pool.clone(),
        config.rules(),
        WorkspaceReader::new(&config.workspace_dir),
        BlobStore::new(dir.path().join("requests")),
    )
    .with_jobs_site(JobSiteClient::from_config(&config))
    .with_org_repo(OrgRepo::from_config(&config));
    let store = match clock {
        Some(clock) => store.with_clock(move || clock.now()),
        None => store,
    };
    let worker = worker.then(|| {
        Worker::new(store.clone(), WorkerSettings::from_config(&config))
            .spawn()
            .expect("the worker starts")
    });
    let secret_key = config.secret_key_or_generate().expect("the server secret");
    let mut app = App::new(store.clone(), directory, &config, secret_key);
    if let Some(slots) = slots {
        app = app.with_cpu_slots(slots);
    }
    let figment = server::figment(&config)
        .merge(("port", 0))
        .merge(("address", "127.0.0.1"))
        .merge(("shutdown.ctrlc", false));
    let (tx, rx) = mpsc::channel();
    let rocket = server::build(app, figment).attach(AdHoc::on_liftoff("port", move |rocket| {
        let tx = tx.clone();
        Box::pin(async move {
            let _ = tx.send((rocket.config().port, rocket.shutdown()));
        })
    }));
    let thread = std::thread::spawn(move || {
        let runtime = rocket::tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let _ = runtime.block_on(rocket.launch());
    });
    let (port, shutdown) = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the server starts");
    Server {
        url: format!("http://127.0.0.1:{port}"),
        db,
        store,
        config,
        shutdown: Some(shutdown),
        thread: Some(thread),
        worker,
        _dir: dir,
    }
}

/// One server per test database (SQLite, and PostgreSQL when configured).
pub fn servers() -> Vec<Server> {
    test_databases().into_iter().map(start).collect()
}

/// Strict access into a JSON value, so that an assertion about a field cannot pass because the
/// field is missing (indexing with `value["x"]` answers `null` for a missing key as well).
pub trait At {
    /// The value at `path`: object keys and array indices separated by `/`
    /// (`groups/0/files/0/my_vote`; `~1` stands for a `/` inside a key, `~0` for `~`). Panics,
    /// naming the path and the value, when a key or an index is missing; what it answers may
    /// itself be `null`.
    fn at(&self, path: &str) -> &Value;
}

impl At for Value {
    fn at(&self, path: &str) -> &Value {
        let mut here = self;
        for (n, step) in path.split('/').enumerate() {
            let key = step.replace("~1", "/").replace("~0", "~");
            let next = match here {
                Value::Object(map) => map.get(&key),
                Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            };
            here = next.unwrap_or_else(|| {
                let within = path.split('/').take(n).collect::<Vec<_>>().join("/");
                panic!(
                    "no {step:?} at {:?} (looking for {path:?}) in {self}",
                    if within.is_empty() {
                        "the top"
                    } else {
                        &within
                    }
                )
            });
        }
        here
    }
}

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as JSON; panics, showing the status and the body, when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "the answer ({}) is not JSON ({e}): {:?}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The error code of an error answer; panics when the answer has none.
    pub fn code(&self) -> String {
        let body = self.json();
        match body.at("error/code") {
            Value::String(code) => code.clone(),
            other => panic!(
                "error/code is {other}, not a string, in the {} answer {body}",
                self.status
            ),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl Server {
    /// How many audit entries the database holds (a refused call leaves it as it was).
    pub fn audit_len(&self) -> usize {
        let mut conn = self.db.pool.get().expect("a connection");
        airlock_store::db::audit_entries(&mut conn, airlock_store::db::AuditFilter::default())
            .expect("the audit log")
            .len()
    }

    /// A raw call: `path` is appended to the server URL as is (no normalisation).
    pub fn raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&[u8]>,
    ) -> Answer {
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(30))
            .build();
        let mut request = agent.request(method, &format!("{}{path}", self.url));
        if let Some(token) = token {
            request = request.set("Authorization", &format!("Bearer {token}"));
        }
        let result = match body {
            Some(body) => request
                .set("Content-Type", "application/json")
                .send_bytes(body),
            None => request.call(),
        };
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {path}: {e}"),
        };
        let status = response.status();
        let headers = response
            .headers_names()
            .into_iter()
            .filter_map(|n| response.header(&n).map(|v| (n.clone(), v.to_string())))
            .collect();
        let mut body = Vec::new();
        let _ = std::io::Read::read_to_end(&mut response.into_reader(), &mut body);
        Answer {
            status,
            headers,
            body,
        }
    }

    /// A JSON call to the API.
    pub fn api(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let bytes = body.map(|b| b.to_string().into_bytes());
        self.raw(method, &format!("/api/v1{path}"), token, bytes.as_deref())
    }

    /// Logs a fixture user in (their token is their name) and answers the bearer token.
    pub fn login(&self, user: &str) -> String {
        let answer = self.api(
            "POST",
            "/session",
            None,
            Some(serde_json::json!({"user": user, "token": user})),
        );
        assert_eq!(answer.status, 201, "login {user}: {:?}", answer.json());
        answer.json()["token"]
            .as_str()
            .expect("a token")
            .to_string()
    }
}

impl Server {
    /// A GET with the request target written byte for byte (an HTTP client library would
    /// normalise `%2e%2e` and similar before sending).
    pub fn exact_get(&self, target: &str, token: Option<&str>) -> Answer {
        self.exact("GET", target, token, None)
    }

    /// A request with its target written byte for byte, and a JSON body when given.
    pub fn exact(
        &self,
        method: &str,
        target: &str,
        token: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> Answer {
        let body = body.map(|b| b.to_string());
        self.exact_bytes(method, target, token, body.as_deref().map(str::as_bytes))
    }

    /// A request with its target and body written byte for byte (no client normalises the
    /// path, so dot segments reach the server as sent).
    pub fn exact_bytes(
        &self,
        method: &str,
        target: &str,
        token: Option<&str>,
        body: Option<&[u8]>,
    ) -> Answer {
        use std::io::{Read, Write};
        let address = self.url.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(address).expect("connect");
        let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
        let body = body.unwrap_or_default();
        write!(
            stream,
            "{method} {target} HTTP/1.1\r\nHost: {address}\r\n{auth}Content-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .expect("write");
        stream.write_all(body).expect("write body");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("read");
        let text = String::from_utf8_lossy(&raw);
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let headers = head
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
            .collect();
        Answer {
            status,
            headers,
            body: body.as_bytes().to_vec(),
        }
    }
}

#[test]
fn at_answers_present_values_null_included() {
    let value = serde_json::json!({"groups": [{"files": [{"my_vote": null, "a/b": 1}]}]});
    assert_eq!(value.at("groups/0/files/0/my_vote"), &Value::Null);
    assert_eq!(value.at("groups/0/files/0/a~1b"), 1);
}

#[test]
#[should_panic(expected = "no \"my_vote\" at \"groups/0/files/0\"")]
fn at_panics_on_a_missing_key() {
    let value = serde_json::json!({"groups": [{"files": [{}]}]});
    value.at("groups/0/files/0/my_vote");
}

#[test]
#[should_panic(expected = "no \"1\" at \"groups\"")]
fn at_panics_on_a_missing_index() {
    let value = serde_json::json!({"groups": [{}]});
    value.at("groups/1/files");
}

/// The fixture workspaces copied into a temporary directory, with `files` added to workspace
/// `workspace` (each written and given a manifest entry like `output/report.html`'s, with its
/// own size, hash and time), so a test can show files the fixtures do not hold. Keep the
/// directory as long as the server runs on it.
pub fn workspaces_with(workspace: &str, files: &[(&str, &[u8])]) -> tempfile::TempDir {
    use sha2::{Digest, Sha256};
    fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).expect("a directory");
        for entry in std::fs::read_dir(from).expect("a fixture directory") {
            let entry = entry.expect("an entry");
            let target = to.join(entry.file_name());
            if entry.file_type().expect("a type").is_dir() {
                copy_dir(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), &target).expect("a copy");
            }
        }
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    copy_dir(
        &fixtures().join("workspaces"),
        &dir.path().join("workspaces"),
    );
    let ws = dir.path().join("workspaces").join(workspace);
    let manifest_path = ws.join("metadata/manifest.json");
    let mut manifest: Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).expect("the manifest"))
            .expect("JSON");
    let template = manifest["outputs"]
        .as_object()
        .and_then(|o| o.values().find(|e| e["level"] == "moderately_sensitive"))
        .cloned()
        .expect("an output to copy");
    for (path, bytes) in files {
        let file = ws.join(path);
        std::fs::create_dir_all(file.parent().expect("a parent")).expect("a directory");
        std::fs::write(&file, bytes).expect("the file");
        let modified = std::fs::metadata(&file)
            .and_then(|m| m.modified())
            .expect("a time")
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after the epoch")
            .as_secs_f64();
        let mut entry = template.clone();
        entry["size"] = serde_json::json!(bytes.len());
        entry["content_hash"] = serde_json::json!(hex::encode(Sha256::digest(bytes)));
        entry["timestamp"] = serde_json::json!(modified);
        entry["excluded"] = serde_json::json!(false);
        entry["message"] = Value::Null;
        manifest["outputs"][*path] = entry;
    }
    std::fs::write(&manifest_path, serde_json::to_vec(&manifest).expect("JSON"))
        .expect("the manifest");
    dir
}

/// A server in test mode on the workspaces under `dir` (see [`workspaces_with`]).
pub fn start_on_workspaces(db: TestDb, dir: &std::path::Path) -> Server {
    let workspaces = dir.join("workspaces");
    start_full(db, Setup::default(), move |config| {
        config.workspace_dir = workspaces;
    })
}
