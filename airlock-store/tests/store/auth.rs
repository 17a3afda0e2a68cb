//! Login, bearer tokens and re-authorisation (AUTH-1 to AUTH-8, `api.md` §2) against the Jobs
//! site double of `jobserver-api.md` §8, on every test database.

use airlock_core::session::{AuthzSettings, SESSION_LIFETIME};
use airlock_core::users_file::parse_users_file;
use airlock_core::{ErrorCode, Rules, testing};
use airlock_jobsite_double::{DoubleConfig, DoubleUser, Endpoint, Fault, JobSite};
use airlock_store::auth::SessionKind;
use airlock_store::auth::{Auth, Directory};
use airlock_store::blobstore::BlobStore;
use airlock_store::config::Secret;
use airlock_store::jobsite::JobSiteClient;
use airlock_store::store::Store;
use airlock_store::testing::{TestDb, test_databases};
use airlock_store::workspace::WorkspaceReader;
use chrono::TimeDelta;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

const BACKEND_TOKEN: &str = "backend-token-0f6a";

fn user_object(username: &str, workspaces: &[&str]) -> Value {
    let grants: serde_json::Map<String, Value> = workspaces
        .iter()
        .map(|w| {
            (
                w.to_string(),
                json!({"project_details": {"name": "P", "ongoing": true, "orgs": ["Org"]},
                       "archived": false}),
            )
        })
        .collect();
    json!({"username": username, "fullname": "Jo Smith", "workspaces": grants,
           "copiloted_workspaces": {}, "output_checker": false, "readonly_access": false,
           "some_future_field": 1})
}

/// A store whose clock the test moves, an `Auth` asking the double, and the double.
struct Setup {
    _db: TestDb,
    _dir: tempfile::TempDir,
    clock: Arc<AtomicI64>,
    auth: Auth,
    site: JobSite,
}

impl Setup {
    /// jsmith's first login, with the login token the double was started with.
    fn first_login(&self) -> airlock_store::auth::Login {
        self.auth
            .login(SessionKind::Api, "jsmith", "correct horse battery")
            .expect("logs in")
    }

    fn advance(&self, seconds: i64) {
        self.clock.fetch_add(seconds, Ordering::SeqCst);
    }
}

const SETTINGS: AuthzSettings = AuthzSettings {
    refresh_interval: TimeDelta::seconds(900),
    grace_period: TimeDelta::seconds(3600),
};

fn store_for(db: &TestDb, dir: &tempfile::TempDir, clock: &Arc<AtomicI64>) -> Store {
    let clock = Arc::clone(clock);
    Store::new(
        db.pool.clone(),
        Rules::default(),
        WorkspaceReader::new(dir.path()),
        BlobStore::new(dir.path()),
    )
    .with_clock(move || testing::at(clock.load(Ordering::SeqCst)))
}

fn setups() -> Vec<Setup> {
    test_databases()
        .into_iter()
        .map(|db| {
            let site = JobSite::start(
                DoubleConfig::new(BACKEND_TOKEN)
                    .with_user(DoubleUser::new(
                        user_object("jsmith", &["ws1"]),
                        "correct horse battery",
                        &[],
                    ))
                    .with_workspaces(&["ws1"]),
            )
            .expect("double starts");
            let dir = tempfile::tempdir().expect("tempdir");
            let clock = Arc::new(AtomicI64::new(0));
            let client = JobSiteClient::new(
                &site.endpoint(),
                Secret::new(BACKEND_TOKEN),
                Duration::from_secs(2),
                Duration::from_millis(500),
            );
            let auth = Auth::new(
                store_for(&db, &dir, &clock),
                Directory::JobSite(client),
                SETTINGS,
            );
            Setup {
                _db: db,
                _dir: dir,
                clock,
                auth,
                site,
            }
        })
        .collect()
}

fn code(result: airlock_core::Result<impl std::fmt::Debug>) -> ErrorCode {
    result.expect_err("refused").error_code()
}

#[test]
fn auth_1_login_by_username_or_email_issues_a_token_once_per_login_token() {
    for s in setups() {
        let login = s.first_login();
        assert_eq!(login.user.username, "jsmith");
        assert_eq!(login.token.len(), 64, "{}: 256 bits as hex", s._db.name());
        assert!(login.user.workspaces.contains_key("ws1"));
        // The login token is single-use (API-9).
        assert_eq!(
            code(
                s.auth
                    .login(SessionKind::Api, "jsmith", "correct horse battery")
            ),
            ErrorCode::LoginFailed
        );
        s.site.set_login_token("jsmith", "second token");
        let by_email = s
            .auth
            .login(SessionKind::Api, "jsmith@example.org", "second token")
            .expect("email");
        assert_ne!(by_email.token, login.token);
        assert_eq!(
            s.auth
                .user_of_token(SessionKind::Api, &login.token)
                .expect("valid")
                .username,
            "jsmith"
        );

        let calls = s.site.calls_to(Endpoint::Authenticate);
        assert_eq!(calls.len(), 3);
        assert_eq!(calls[0].header("authorization"), Some(BACKEND_TOKEN));
        assert_eq!(calls[0].header("accept"), Some("application/json"));
        assert_eq!(
            calls[0].json(),
            Some(json!({"user": "jsmith", "token": "correct horse battery"}))
        );
        assert!(
            s.site.contract_failures().is_empty(),
            "{:?}",
            s.site.contract_failures()
        );
    }
}

#[test]
fn pg_10_a_session_of_one_kind_never_works_as_the_other() {
    for s in setups() {
        let api = s.first_login();
        s.site.set_login_token("jsmith", "second token");
        let web = s
            .auth
            .login(SessionKind::Web, "jsmith", "second token")
            .expect("a page login");
        assert_eq!(
            s.auth
                .user_of_token(SessionKind::Web, &web.token)
                .expect("cookie")
                .username,
            "jsmith"
        );
        assert_eq!(
            code(s.auth.user_of_token(SessionKind::Api, &web.token)),
            ErrorCode::Unauthenticated
        );
        assert_eq!(
            code(s.auth.user_of_token(SessionKind::Web, &api.token)),
            ErrorCode::Unauthenticated
        );
        // Logging out one kind leaves the other working.
        s.auth.logout(SessionKind::Api, &web.token).expect("no-op");
        assert!(s.auth.user_of_token(SessionKind::Web, &web.token).is_ok());
        s.auth.logout(SessionKind::Web, &web.token).expect("logout");
        assert_eq!(
            code(s.auth.user_of_token(SessionKind::Web, &web.token)),
            ErrorCode::Unauthenticated
        );
        assert!(s.auth.user_of_token(SessionKind::Api, &api.token).is_ok());
    }
}

#[test]
fn auth_2_any_failure_is_login_failed_and_creates_no_session() {
    for s in setups() {
        assert_eq!(
            code(s.auth.login(SessionKind::Api, "jsmith", "wrong")),
            ErrorCode::LoginFailed
        );
        assert_eq!(
            code(s.auth.login(SessionKind::Api, "nobody", "x")),
            ErrorCode::LoginFailed
        );
        s.site
            .inject(Endpoint::Authenticate, Fault::Status(502, "{}".into()), 1);
        assert_eq!(
            code(
                s.auth
                    .login(SessionKind::Api, "jsmith", "correct horse battery")
            ),
            ErrorCode::LoginFailed
        );
        s.site.inject(Endpoint::Authenticate, Fault::Drop, 1);
        assert_eq!(
            code(
                s.auth
                    .login(SessionKind::Api, "jsmith", "correct horse battery")
            ),
            ErrorCode::LoginFailed
        );
        // A stall past the total timeout is a failure too, and is never retried (API-11).
        s.site.inject(
            Endpoint::Authenticate,
            Fault::Stall(Duration::from_secs(2)),
            1,
        );
        assert_eq!(
            code(
                s.auth
                    .login(SessionKind::Api, "jsmith", "correct horse battery")
            ),
            ErrorCode::LoginFailed
        );
        assert_eq!(s.site.calls_to(Endpoint::Authenticate).len(), 5);
        assert!(s.auth.store().user("jsmith").expect("read").is_none());
        // The token was never consumed by the faults: it still works.
        s.first_login();
    }
}

#[test]
fn api_2_unknown_revoked_and_expired_tokens_are_unauthenticated() {
    for s in setups() {
        assert_eq!(
            code(s.auth.user_of_token(SessionKind::Api, "not-a-token")),
            ErrorCode::Unauthenticated
        );
        let login = s.first_login();
        s.auth
            .logout(SessionKind::Api, &login.token)
            .expect("logout");
        assert_eq!(
            code(s.auth.user_of_token(SessionKind::Api, &login.token)),
            ErrorCode::Unauthenticated
        );

        s.site.set_login_token("jsmith", "t2");
        let login = s
            .auth
            .login(SessionKind::Api, "jsmith", "t2")
            .expect("logs in");
        // AUTH-4: used within its lifetime, the token slides forward; unused, it expires.
        s.advance(SESSION_LIFETIME.num_seconds() - 10);
        s.site.set_login_token("jsmith", "t3");
        let fresh = s
            .auth
            .login(SessionKind::Api, "jsmith", "t3")
            .expect("logs in");
        s.advance(20);
        assert_eq!(
            code(s.auth.user_of_token(SessionKind::Api, &login.token)),
            ErrorCode::Unauthenticated
        );
        assert!(s.auth.user_of_token(SessionKind::Api, &fresh.token).is_ok());
    }
}

#[test]
fn auth_5_a_due_refresh_replaces_the_record() {
    for s in setups() {
        let login = s.first_login();
        s.site
            .set_user_object("jsmith", user_object("jsmith", &["ws1", "ws2"]));
        s.advance(900);
        let user = s
            .auth
            .user_of_token(SessionKind::Api, &login.token)
            .expect("valid");
        assert!(
            !user.workspaces.contains_key("ws2"),
            "not due at exactly the interval"
        );
        assert!(s.site.calls_to(Endpoint::Authorise).is_empty());
        s.advance(1);
        let user = s
            .auth
            .user_of_token(SessionKind::Api, &login.token)
            .expect("valid");
        assert!(user.workspaces.contains_key("ws2"));
        let calls = s.site.calls_to(Endpoint::Authorise);
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].json(), Some(json!({"user": "jsmith"})));
        // Refreshed: the next call makes none.
        s.auth
            .user_of_token(SessionKind::Api, &login.token)
            .expect("valid");
        assert_eq!(s.site.calls_to(Endpoint::Authorise).len(), 1);
    }
}

#[test]
fn auth_6_a_denied_refresh_ends_every_session_of_the_user() {
    for s in setups() {
        let first = s.first_login();
        s.site.set_login_token("jsmith", "t2");
        let second = s
            .auth
            .login(SessionKind::Api, "jsmith", "t2")
            .expect("logs in");
        s.site.set_disabled("jsmith", true);
        s.advance(901);
        assert_eq!(
            code(s.auth.user_of_token(SessionKind::Api, &first.token)),
            ErrorCode::SessionExpired
        );
        // api.md §5: from then on, session_expired, without asking again.
        assert_eq!(
            code(s.auth.user_of_token(SessionKind::Api, &second.token)),
            ErrorCode::SessionExpired
        );
        assert_eq!(
            code(s.auth.user_of_token(SessionKind::Api, &first.token)),
            ErrorCode::SessionExpired
        );
        assert_eq!(s.site.calls_to(Endpoint::Authorise).len(), 1);
    }
}

#[test]
fn auth_7_an_unavailable_jobs_site_keeps_the_record_within_the_grace_period() {
    for s in setups() {
        let login = s.first_login();
        s.site
            .inject(Endpoint::Authorise, Fault::Status(503, "{}".into()), 100);
        s.advance(901);
        assert!(
            s.auth.user_of_token(SessionKind::Api, &login.token).is_ok(),
            "kept after a 503"
        );
        // At most one attempt per minute.
        s.advance(30);
        assert!(s.auth.user_of_token(SessionKind::Api, &login.token).is_ok());
        assert_eq!(s.site.calls_to(Endpoint::Authorise).len(), 1);
        s.advance(30);
        assert!(s.auth.user_of_token(SessionKind::Api, &login.token).is_ok());
        assert_eq!(s.site.calls_to(Endpoint::Authorise).len(), 2);
        // Past the grace period, the session ends (D-l).
        s.advance(3600 - 961 + 1);
        assert_eq!(
            code(s.auth.user_of_token(SessionKind::Api, &login.token)),
            ErrorCode::SessionExpired
        );
    }
}

#[test]
fn auth_7_a_stalled_refresh_times_out_and_keeps_the_record() {
    for s in setups() {
        let login = s.first_login();
        s.site
            .inject(Endpoint::Authorise, Fault::Stall(Duration::from_secs(2)), 1);
        s.advance(901);
        assert!(s.auth.user_of_token(SessionKind::Api, &login.token).is_ok());
        assert_eq!(
            s.site.stalled(),
            1,
            "the total timeout applies: the refresh gave up while the Jobs site still held it"
        );
        s.advance(60);
        s.site
            .set_user_object("jsmith", user_object("jsmith", &["ws3"]));
        let user = s
            .auth
            .user_of_token(SessionKind::Api, &login.token)
            .expect("valid");
        assert!(
            user.workspaces.contains_key("ws3"),
            "the next attempt succeeds"
        );
    }
}

#[test]
fn auth_3_test_mode_logs_in_from_the_users_file() {
    for db in test_databases() {
        let dir = tempfile::tempdir().expect("tempdir");
        let clock = Arc::new(AtomicI64::new(0));
        let users = parse_users_file(
            json!({"researcher_1": {"token": "researcher_1",
                    "details": {"username": "researcher_1", "workspaces": {}}}})
            .to_string()
            .as_bytes(),
        )
        .expect("users file");
        let auth = Auth::new(
            store_for(&db, &dir, &clock),
            Directory::UsersFile(Arc::new(users)),
            SETTINGS,
        );
        assert_eq!(
            code(auth.login(SessionKind::Api, "researcher_1", "wrong")),
            ErrorCode::LoginFailed
        );
        let login = auth
            .login(SessionKind::Api, "researcher_1", "researcher_1")
            .expect("logs in");
        clock.fetch_add(10_000, Ordering::SeqCst);
        // Re-authorisation returns the stored record: the session carries on.
        assert_eq!(
            auth.user_of_token(SessionKind::Api, &login.token)
                .expect("valid")
                .username,
            "researcher_1"
        );
    }
}
