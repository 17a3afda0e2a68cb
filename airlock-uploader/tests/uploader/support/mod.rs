//! A released request ready for upload: a generated workspace whose outputs have the sizes
//! asked for, the fixture users, a REVIEWED request released through the store to the Jobs-site
//! double (so it is APPROVED with every file due), and a configuration file for the
//! `airlock-uploader` binary.

#![allow(dead_code)]

use airlock_core::action::{Action, Answer, GroupChoice};
use airlock_core::users_file::parse_users_file;
use airlock_core::{FileType, User, VoteStatus};
use airlock_jobsite_double::{DoubleConfig, DoubleUser, Endpoint, JobSite};
use airlock_store::config::Config;
use airlock_store::store::{Store, Target};
use airlock_store::testing;
use airlock_store::testing::TestDb;
use sha2::Digest;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub const WS: &str = "diabetes-outcomes";
pub const TOKEN: &str = "backend-token-crash";
const AUTHOR: &str = "researcher_1";
const CHECKERS: [&str; 2] = ["output_checker_1", "output_checker_2"];

/// Everything a test needs about the released request.
pub struct Released {
    pub db: TestDb,
    pub site: JobSite,
    pub store: Store,
    pub config_file: PathBuf,
    pub request_id: String,
    /// Path → the bytes reviewed.
    pub files: BTreeMap<String, Vec<u8>>,
    _dir: tempfile::TempDir,
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn users() -> BTreeMap<String, User> {
    let bytes = std::fs::read(fixtures().join("users.json")).expect("users file");
    let users = parse_users_file(&bytes).expect("valid users file");
    [AUTHOR, CHECKERS[0], CHECKERS[1]]
        .into_iter()
        .map(|name| {
            (
                name.to_string(),
                users.user(name).expect("fixture user").clone(),
            )
        })
        .collect()
}

/// Deterministic bytes of `len`, distinct per `seed`, as CSV-ish text lines.
fn content(seed: usize, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 64);
    out.extend_from_slice(b"id,value\n");
    let mut x = (seed as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(format!("{},{}\n", out.len(), x % 1000).as_bytes());
    }
    out.truncate(len);
    out
}

/// Replaces outputs with `len` bytes each and updates the manifest to match.
fn resize_outputs(ws: &Path, paths: &[String], len: usize) -> BTreeMap<String, Vec<u8>> {
    let manifest_path = ws.join("metadata/manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).expect("manifest")).expect("JSON");
    let mut files = BTreeMap::new();
    for (i, path) in paths.iter().enumerate() {
        let bytes = content(i, len);
        std::fs::write(ws.join(path), &bytes).expect("write output");
        let entry = &mut manifest["outputs"][path.as_str()];
        entry["content_hash"] = hex::encode(sha2::Sha256::digest(&bytes)).into();
        entry["size"] = bytes.len().into();
        entry["row_count"] = serde_json::Value::Null;
        entry["col_count"] = serde_json::Value::Null;
        files.insert(path.clone(), bytes);
    }
    std::fs::write(
        &manifest_path,
        serde_json::to_vec(&manifest).expect("encode"),
    )
    .expect("write manifest");
    files
}

/// A released request of `count` OUTPUT files of `len` bytes each, on `db`, with an upload
/// timeout of 2 s.
pub fn released(db: TestDb, count: usize, len: usize) -> Released {
    released_with(db, count, len, 2)
}

/// As [`released`], with this `upload_timeout` in seconds.
pub fn released_with(db: TestDb, count: usize, len: usize, upload_timeout: u64) -> Released {
    let dir = tempfile::tempdir().expect("tempdir");
    let workspaces = dir.path().join("workspaces");
    let generated =
        airlock_store::generate::generate_workspace(&workspaces, WS, count * 4, 11).expect("ws");
    let paths: Vec<String> = generated
        .of_kind(airlock_store::generate::OutputKind::Shown)
        .filter(|p| p.ends_with(".csv"))
        .take(count)
        .map(str::to_string)
        .collect();
    assert_eq!(paths.len(), count, "enough CSV outputs");
    let files = resize_outputs(&workspaces.join(WS), &paths, len);

    let users = users();
    let mut double = DoubleConfig::new(TOKEN).with_workspaces(&[WS]);
    double.size_limit = 1 << 40;
    for (name, user) in &users {
        let object = serde_json::to_value(user).expect("user object");
        let releases: &[&str] = if CHECKERS.contains(&name.as_str()) {
            &[WS]
        } else {
            &[]
        };
        double = double.with_user(DoubleUser::new(object, name, releases));
    }
    let site = JobSite::start(double).expect("double");

    let config_file = dir.path().join("airlock.toml");
    let work = dir.path().join("work");
    let text = format!(
        "work_dir = {work:?}\nworkspace_dir = {workspaces:?}\nrequest_dir = {requests:?}\n\
         database_url = {url:?}\njobs_api_endpoint = {endpoint:?}\njobs_api_token = {TOKEN:?}\n\
         http_connect_timeout = 1\nhttp_timeout = 2\nupload_timeout = {upload_timeout}\n\
         upload_poll_interval = 0.05\nupload_backoff_base = 0.02\nupload_backoff_cap = 0.2\n\
         upload_stuck_after = 1000\nregular_requests_time = \"off\"\n\
         output_checking_org = \"example-org\"\noutput_checking_repo = \"output-checking\"\n",
        work = work.display().to_string(),
        workspaces = workspaces.display().to_string(),
        requests = dir.path().join("requests").display().to_string(),
        url = db.url,
        endpoint = site.endpoint(),
    );
    std::fs::write(&config_file, text).expect("config file");
    let config = Config::load(&config_file).expect("valid config");
    config.create_dirs().expect("dirs");
    let store = Store::open(&config).expect("store");
    for user in users.values() {
        store.save_user(user).expect("save user");
    }

    let author = &users[AUTHOR];
    let items: Vec<(String, FileType)> = paths
        .iter()
        .map(|p| (p.clone(), FileType::Output))
        .collect();
    let report = store
        .act(
            author,
            Target::Current(WS),
            &testing::add_files(GroupChoice::Named("tables".into()), items.clone()),
        )
        .expect("add");
    let request_id = report.request_id.clone().expect("a request");
    store
        .act(
            author,
            Target::Request(&request_id),
            &Action::EditGroup {
                group: "tables".into(),
                context: "context".into(),
                controls: "controls".into(),
            },
        )
        .expect("group");
    store
        .act(author, Target::Request(&request_id), &Action::Submit)
        .expect("submit");
    for name in CHECKERS {
        let checker = &users[name];
        for path in &paths {
            store
                .act(
                    checker,
                    Target::Request(&request_id),
                    &Action::Vote {
                        path: path.to_string(),
                        vote: VoteStatus::Approved,
                    },
                )
                .expect("vote");
        }
        store
            .act(checker, Target::Request(&request_id), &Action::SubmitReview)
            .expect("review");
    }
    let marked = store
        .act(
            &users[CHECKERS[0]],
            Target::Request(&request_id),
            &Action::Release,
        )
        .expect("release");
    assert_eq!(marked.answer, Answer::Released { files: count });
    assert_eq!(site.calls_to(Endpoint::CreateRelease).len(), 1);
    Released {
        db,
        site,
        store,
        config_file,
        request_id,
        files,
        _dir: dir,
    }
}

impl Released {
    /// Starts the standalone worker on this request's configuration.
    pub fn spawn_worker(&self) -> Child {
        Command::new(env!("CARGO_BIN_EXE_airlock-uploader"))
            .arg("--config")
            .arg(&self.config_file)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the worker starts")
    }

    /// Every file stored exactly once with the reviewed bytes, and no contract failure.
    pub fn assert_each_file_stored_once(&self) {
        let expected: BTreeMap<String, usize> = self.files.keys().map(|p| (p.clone(), 1)).collect();
        assert_eq!(self.site.stored_counts(), expected, "{}", self.db.name());
        for (path, bytes) in &self.files {
            assert!(
                self.site.uploaded(&self.request_id, path).as_ref() == Some(bytes),
                "{}: {path} has the reviewed bytes",
                self.db.name()
            );
        }
        assert!(
            self.site.contract_failures().is_empty(),
            "{:?}",
            self.site.contract_failures()
        );
    }

    /// Waits until the request is RELEASED and its notifications are delivered.
    pub fn wait_released(&self, limit: std::time::Duration) {
        let start = std::time::Instant::now();
        loop {
            let status = self.store.request_status(&self.request_id).expect("status");
            let pending = self.store.undelivered_notifications().expect("outbox");
            if status == airlock_core::Status::Released && pending.is_empty() {
                return;
            }
            assert!(
                start.elapsed() < limit,
                "{}: {status:?}, {} notification(s) pending, stored {:?}",
                self.db.name(),
                pending.len(),
                self.site.stored_counts()
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}
