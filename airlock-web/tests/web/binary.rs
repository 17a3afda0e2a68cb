//! The `airlock-web` binary: it refuses a bad configuration before answering `/healthz`, runs
//! or refuses migrations, serves, and stops cleanly on SIGTERM; it generates its secret key once
//! and keeps it; Rocket reads no settings of its own (`ROCKET_*`, `Rocket.toml`). Also: login
//! through the Jobs site (its double) over HTTP.

use crate::support;

use airlock_jobsite_double::{DoubleConfig, DoubleUser, Endpoint, JobSite};
use airlock_store::auth::Directory;
use airlock_store::config::{Config, Secret};
use airlock_store::jobsite::JobSiteClient;
use airlock_store::store::Store;
use airlock_uploader::{Worker, WorkerSettings};
use serde_json::json;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{Setup, TestClock};

/// A configuration over the fixtures with everything written under `dir`, on `port`.
fn write_config(dir: &Path, port: u16, extra: &str) -> std::path::PathBuf {
    let fixtures = support::fixtures();
    let work = dir.join("work");
    let text = format!(
        "workspace_dir = \"{ws}\"\nwork_dir = \"{work}\"\nrequest_dir = \"{work}/requests\"\n\
         repo_cache_dir = \"{work}/repos\"\ndatabase_url = \"{work}/airlock.db\"\n\
         regular_requests_file = \"{regular}\"\ndev_users_file = \"{users}\"\n\
         bind_address = \"127.0.0.1\"\nport = {port}\n{extra}",
        ws = fixtures.join("workspaces").display(),
        work = work.display(),
        regular = fixtures.join("regular-requests.json").display(),
        users = fixtures.join("users.json").display(),
    );
    let path = dir.join("airlock.toml");
    std::fs::write(&path, text).expect("config");
    path
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_airlock-web"));
    command
        .env("RUST_BACKTRACE", "0")
        .env_remove("AIRLOCK_CONFIG");
    command
}

#[test]
fn without_a_configuration_it_says_in_one_line_what_to_pass() {
    let output = binary().output().expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--config"), "{stderr}");
    assert!(stderr.contains("AIRLOCK_CONFIG"), "{stderr}");
    assert!(stderr.contains("fixtures/airlock.toml"), "{stderr}");
}

#[test]
fn a_bad_configuration_is_refused_before_serving() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), free_port(), "required_reviews = 1\n");
    let output = binary()
        .arg("--config")
        .arg(&config)
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("required_reviews"), "{stderr}");
    let config = write_config(dir.path(), free_port(), "colour = \"blue\"\n");
    let output = binary()
        .arg("--config")
        .arg(&config)
        .output()
        .expect("runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("colour"));
}

#[test]
fn no_migrate_refuses_an_old_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), free_port(), "");
    let output = binary()
        .arg("--config")
        .arg(&config)
        .arg("--no-migrate")
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("pending migration"), "{stderr}");
}

/// A running `airlock-web` binary on the fixtures (test mode).
struct Running {
    child: std::process::Child,
    url: String,
    database: String,
    agent: ureq::Agent,
    dir: tempfile::TempDir,
}

fn start_binary(extra_args: &[&str]) -> Running {
    start_in(tempfile::tempdir().expect("tempdir"), extra_args)
}

/// Starts the binary on a configuration in `dir` (its log in `dir/stderr.log`) and waits until
/// it is ready.
fn start_in(dir: tempfile::TempDir, extra_args: &[&str]) -> Running {
    let port = free_port();
    let config = write_config(dir.path(), port, "");
    let log = std::fs::File::create(dir.path().join("stderr.log")).expect("log file");
    let child = binary()
        .arg("--config")
        .arg(&config)
        .args(extra_args)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("starts");
    let url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(5))
        .build();
    while agent.get(&format!("{url}/healthz")).call().is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "never became ready"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let database = dir.path().join("work/airlock.db").display().to_string();
    Running {
        child,
        url,
        database,
        agent,
        dir,
    }
}

impl Running {
    /// Logs researcher_1 in and submits a request of one output: queues `request_submitted`.
    fn submit_a_request(&self) {
        let login = self
            .agent
            .post(&format!("{}/api/v1/session", self.url))
            .send_json(json!({"user": "researcher_1", "token": "researcher_1"}))
            .expect("logs in");
        assert_eq!(login.status(), 201);
        let body: serde_json::Value = login.into_json().expect("json");
        let auth = format!("Bearer {}", body["token"].as_str().expect("token"));
        let call = |method: &str, path: &str, body: serde_json::Value| {
            self.agent
                .request(method, &format!("{}/api/v1{path}", self.url))
                .set("Authorization", &auth)
                .send_json(body)
                .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
                .into_json::<serde_json::Value>()
                .expect("json")
        };
        let added = call(
            "POST",
            "/workspaces/diabetes-outcomes/request/files",
            json!({"group": "tables", "files": [{"path": "output/table1.csv", "filetype": "OUTPUT"}]}),
        );
        let id = added["request"]["id"].as_str().expect("id").to_string();
        call(
            "PUT",
            &format!("/requests/{id}/groups/tables"),
            json!({"context": "c", "controls": "c"}),
        );
        let submitted = call("POST", &format!("/requests/{id}/submit"), json!({}));
        assert_eq!(submitted["status"], "SUBMITTED");
    }

    /// The notifications not delivered yet.
    fn undelivered(&self) -> usize {
        let pool = airlock_store::db::connect(&self.database, 1).expect("database");
        let mut conn = pool.get().expect("conn");
        airlock_store::db::outbox::stuck_notifications(&mut conn, 0)
            .expect("outbox")
            .len()
    }

    fn stop(self) -> String {
        self.stop_keeping_dir().0
    }

    /// Stops the service; its standard output and its directory.
    fn stop_keeping_dir(mut self) -> (String, tempfile::TempDir) {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .expect("kill");
        assert!(status.success());
        let exit = self.child.wait().expect("exits");
        assert!(exit.success(), "exit status {exit:?}");
        let mut stdout = String::new();
        std::io::Read::read_to_string(&mut self.child.stdout.take().expect("stdout"), &mut stdout)
            .expect("read");
        (stdout, self.dir)
    }
}

#[test]
fn the_service_migrates_serves_runs_its_worker_and_stops_cleanly_on_sigterm() {
    let running = start_binary(&[]);
    running.submit_a_request();
    // NOT-5 and API-8: the worker in the process takes the notification at once (test mode:
    // marked delivered and logged as "would send").
    let started = Instant::now();
    while running.undelivered() > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the in-process worker never delivered the notification"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let url = running.url.clone();
    let stdout = running.stop();
    assert!(stdout.contains(&format!("{url}/api/v1")), "{stdout}");
    assert!(stdout.contains("researcher_1"), "{stdout}");
}

#[test]
fn with_no_worker_the_outbox_waits_for_a_separate_worker() {
    let running = start_binary(&["--no-worker"]);
    running.submit_a_request();
    assert_eq!(running.undelivered(), 1, "request_submitted is queued");
    // A separate worker on the same configuration, as `airlock-uploader --once` runs it,
    // finds the notification still waiting and delivers it (test mode: marks it delivered).
    let config = Config::load(&running.dir.path().join("airlock.toml")).expect("configuration");
    config.validate().expect("a valid configuration");
    let store = Store::open(&config).expect("the store");
    let waiting = store.undelivered_notifications().expect("outbox");
    assert_eq!(
        waiting
            .iter()
            .map(|e| e.event_type.as_str())
            .collect::<Vec<_>>(),
        ["request_submitted"]
    );
    let report = Worker::new(store, WorkerSettings::from_config(&config))
        .drain()
        .expect("the worker's passes");
    // It also runs the day's regular requests (OPS-3), whose submission it notifies too.
    assert!(report.notifications >= 1, "{report:?}");
    assert_eq!(running.undelivered(), 0, "the separate worker delivered it");
    // The service said that its worker runs elsewhere.
    let stdout = running.stop();
    assert!(
        stdout.contains("the background worker runs elsewhere (--no-worker)"),
        "{stdout}"
    );
}

#[test]
fn the_service_generates_its_secret_key_on_first_start_and_reuses_it() {
    let running = start_binary(&[]);
    let file = running.dir.path().join("work/secret_key");
    let first = std::fs::read_to_string(&file).expect("generated on first start");
    assert_eq!(first.trim().len(), 64, "32 bytes as hex: {}", first.len());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    let (stdout, dir) = running.stop_keeping_dir();
    let log = std::fs::read_to_string(dir.path().join("stderr.log")).expect("log");
    let shown = format!("{stdout}{log}");
    assert!(!shown.contains(first.trim()), "the key is shown: {shown}");
    assert!(
        shown.contains("generated the server secret key")
            && shown.contains(&file.display().to_string()),
        "where it lives is logged: {shown}"
    );

    let running = start_in(dir, &[]);
    let (_, dir) = running.stop_keeping_dir();
    let second = std::fs::read_to_string(&file).expect("kept");
    assert_eq!(second, first, "the second start reuses the key");

    // A malformed file stops the service before it serves, naming the file.
    std::fs::write(&file, "not a key\n").expect("write");
    let config = write_config(dir.path(), free_port(), "");
    let output = binary()
        .arg("--config")
        .arg(&config)
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&file.display().to_string()), "{stderr}");
    assert!(stderr.contains("malformed"), "{stderr}");
    assert!(!stderr.contains("not a key"), "{stderr}");
}

#[test]
fn rocket_settings_come_from_the_airlock_configuration_only() {
    // A stray ROCKET_PORT, and a Rocket.toml in the working directory with another port, another
    // identity and shutdown signals without SIGTERM, where Rocket's own configuration would read
    // them; none of it is read.
    let dir = tempfile::tempdir().expect("tempdir");
    let (port, env_port, toml_port) = (free_port(), free_port(), free_port());
    let config = write_config(dir.path(), port, "");
    let rocket_toml = format!(
        "[default]\nport = {toml_port}\nident = \"rocket-toml\"\n\
         [debug]\nport = {toml_port}\n[release]\nport = {toml_port}\n\
         [global]\nport = {toml_port}\nident = \"rocket-toml\"\n\
         [global.shutdown]\nsignals = [\"hup\"]\n"
    );
    std::fs::write(dir.path().join("Rocket.toml"), rocket_toml).expect("Rocket.toml");
    let mut child = binary()
        .arg("--config")
        .arg(&config)
        .current_dir(dir.path())
        .env("ROCKET_PORT", env_port.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(5))
        .build();
    let healthz = |p: u16| {
        agent
            .get(&format!("http://127.0.0.1:{p}/healthz"))
            .call()
            .ok()
    };
    let started = Instant::now();
    let answer = loop {
        if let Some(answer) = healthz(port) {
            break answer;
        }
        for (stray, from) in [(env_port, "ROCKET_PORT"), (toml_port, "Rocket.toml")] {
            if healthz(stray).is_some() {
                let _ = child.kill();
                panic!("the service listens on the port of {from}");
            }
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("the service never listened on the configured port");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(answer.header("Server"), Some(airlock_web::SERVICE_NAME));
    for stray in [env_port, toml_port] {
        assert!(healthz(stray).is_none(), "something answers on {stray}");
    }
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = child.wait().expect("exits");
    assert!(exit.success(), "stops cleanly on SIGTERM: {exit:?}");
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().expect("stdout"), &mut stdout)
        .expect("read");
    assert!(
        stdout.contains(&format!("http://127.0.0.1:{port}/api/v1")),
        "{stdout}"
    );
}

/// A Jobs site double that knows `jsmith` (user object `object`, login token "three words
/// here"), and a client of it.
fn jobs_site_with_jsmith(object: serde_json::Value) -> (JobSite, JobSiteClient) {
    let site = JobSite::start(
        DoubleConfig::new("backend-token").with_user(DoubleUser::new(
            object,
            "three words here",
            &[],
        )),
    )
    .expect("double");
    let client = JobSiteClient::new(
        &site.endpoint(),
        Secret::new("backend-token"),
        Duration::from_secs(2),
        Duration::from_secs(5),
    );
    (site, client)
}

#[test]
fn auth_1_login_through_the_jobs_site_over_http() {
    for db in airlock_store::testing::test_databases() {
        let (site, client) =
            jobs_site_with_jsmith(json!({"username": "jsmith", "output_checker": true}));
        let s = support::start_with(db, Directory::JobSite(client));
        let login = s.api(
            "POST",
            "/session",
            None,
            Some(json!({"user": "jsmith@example.org", "token": "three words here"})),
        );
        assert_eq!(login.status, 201, "{}", login.json());
        let token = login.json()["token"].as_str().expect("token").to_string();
        let me = s.api("GET", "/me", Some(&token), None);
        assert_eq!(me.json()["output_checker"], true);
        // Single use: the same token again is login_failed.
        let again = s.api(
            "POST",
            "/session",
            None,
            Some(json!({"user": "jsmith", "token": "three words here"})),
        );
        assert_eq!((again.status, again.code().as_str()), (401, "login_failed"));
        assert_eq!(site.calls_to(Endpoint::Authenticate).len(), 2);
        assert!(site.contract_failures().is_empty());
    }
}

#[test]
fn auth_6_a_session_ended_by_re_authorisation_answers_session_expired() {
    for db in airlock_store::testing::test_databases() {
        let (site, client) = jobs_site_with_jsmith(json!({"username": "jsmith", "workspaces": {}}));
        // Re-authorise on every call that comes any later than the last refresh; the clock
        // stands still until the test advances it.
        let clock = TestClock::new();
        let setup = Setup {
            directory: Some(Directory::JobSite(client)),
            clock: Some(clock.clone()),
            ..Setup::default()
        };
        let s = support::start_full(db, setup, |config| {
            config.authz_refresh_interval = Duration::ZERO;
        });
        let login = s.api(
            "POST",
            "/session",
            None,
            Some(json!({"user": "jsmith", "token": "three words here"})),
        );
        let token = login.json()["token"].as_str().expect("token").to_string();
        clock.advance(Duration::from_secs(1));
        assert_eq!(s.api("GET", "/me", Some(&token), None).status, 200);
        assert!(
            !site.calls_to(Endpoint::Authorise).is_empty(),
            "re-authorised"
        );
        site.set_disabled("jsmith", true);
        clock.advance(Duration::from_secs(1));
        for _ in 0..2 {
            let ended = s.api("GET", "/workspaces", Some(&token), None);
            assert_eq!(
                (ended.status, ended.code().as_str()),
                (401, "session_expired")
            );
        }
    }
}
