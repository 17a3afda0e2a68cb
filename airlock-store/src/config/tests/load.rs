//! Reading the file and the environment; the defaults.

use super::*;

#[test]
fn cfg_minimal_file_gets_every_default() {
    let f = Fixture::new();
    let config = f.load(MINIMAL).expect("valid");
    assert_eq!(config.required_reviews, 2);
    assert_eq!(config.work_dir, f.base().join("work"));
    assert_eq!(config.workspace_dir, f.base().join("workspaces"));
    assert_eq!(config.request_dir, f.base().join("work/requests"));
    assert_eq!(config.repo_cache_dir, f.base().join("work/repos"));
    assert_eq!(
        config.database_url.sqlite_path(),
        Some(f.base().join("work").join(DEFAULT_SQLITE_FILE))
    );
    assert_eq!(
        config.regular_requests_file,
        f.base().join("work/regular_release_requests.json")
    );
    assert_eq!(config.jobs_api_endpoint, DEFAULT_JOBS_API_ENDPOINT);
    assert_eq!(config.backend, "test");
    assert_eq!(config.http_connect_timeout, Duration::from_secs(10));
    assert_eq!(config.http_timeout, Duration::from_secs(60));
    assert_eq!(config.upload_timeout, Duration::from_secs(300));
    assert_eq!(config.authz_refresh_interval, Duration::from_secs(900));
    assert_eq!(config.authz_grace_period, Duration::from_secs(3600));
    assert_eq!(config.upload_poll_interval, Duration::from_secs(5));
    assert_eq!(config.max_log_chars, 10_000);
    assert_eq!(config.bind_address, IpAddr::from([127, 0, 0, 1]));
    assert_eq!(config.port, 8000);
    assert_eq!(config.secret_key, None);
    assert_eq!(config.rules(), Rules::default());
    assert!(config.test_mode());
    assert_eq!(
        config.users_file(),
        Some(f.base().join("users.json").as_path())
    );
    assert_eq!(config.file(), Some(Path::new("airlock.toml")));
    assert_eq!(
        config.origin("work_dir"),
        Origin::File("airlock.toml".into())
    );
    assert_eq!(config.origin("port"), Origin::Default);
}

#[test]
fn cfg_every_key_of_section_22_is_read() {
    let f = Fixture::new();
    let text = format!(
        r#"
required_reviews = 3
work_dir = "{base}/w"
workspace_dir = "workspaces"
request_dir = "req"
repo_cache_dir = "cache"
database_url = "postgres://airlock:hunter2@db.example/airlock"
jobs_api_endpoint = "http://jobs.example/api/v2"
jobs_api_token = "token-123"
output_checking_org = "my-org"
output_checking_repo = "output-checking"
backend = "tpp"
http_connect_timeout = 2.5
http_timeout = 30
upload_timeout = 120.0
authz_refresh_interval = 60
authz_grace_period = 60
upload_poll_interval = 0.5
upload_backoff_base = 1
upload_backoff_cap = 10
upload_backoff_jitter = 0
upload_stuck_after = 3
max_log_chars = 500
git_proxy_url = "http://git-proxy.example"
git_proxy_token = "proxy-token"
git_timeout = 45
hint_low_count_threshold = 7
hint_rounding_base = 10
regular_requests_file = "regular.json"
regular_requests_time = "04:30"
bind_address = "0.0.0.0"
port = 0
public_url = "https://airlock.example.org/"
secret_key = "{key}"
"#,
        base = f.base().display(),
        key = "A".repeat(43) + "="
    );
    let c = f.load(&text).expect("valid");
    assert_eq!(c.required_reviews, 3);
    assert_eq!(c.work_dir, f.base().join("w"));
    assert_eq!(c.request_dir, f.base().join("req"));
    assert_eq!(c.repo_cache_dir, f.base().join("cache"));
    assert_eq!(
        c.database_url.as_str(),
        "postgres://airlock:hunter2@db.example/airlock"
    );
    assert_eq!(c.jobs_api_endpoint, "http://jobs.example/api/v2");
    assert_eq!(
        c.jobs_api_token.as_ref().map(Secret::expose),
        Some("token-123")
    );
    assert!(!c.test_mode());
    assert_eq!(c.users_file(), None);
    assert_eq!(c.output_checking_org.as_deref(), Some("my-org"));
    assert_eq!(c.output_checking_repo.as_deref(), Some("output-checking"));
    assert_eq!(c.backend, "tpp");
    assert_eq!(c.http_connect_timeout, Duration::from_millis(2500));
    assert_eq!(c.http_timeout, Duration::from_secs(30));
    assert_eq!(c.upload_timeout, Duration::from_secs(120));
    assert_eq!(c.authz_refresh_interval, Duration::from_secs(60));
    assert_eq!(c.authz_grace_period, Duration::from_secs(60));
    assert_eq!(c.upload_poll_interval, Duration::from_millis(500));
    assert_eq!(c.regular_requests_file, f.base().join("regular.json"));
    assert_eq!(
        c.regular_requests_time,
        chrono::NaiveTime::from_hms_opt(4, 30, 0)
    );
    assert_eq!(c.bind_address, IpAddr::from([0, 0, 0, 0]));
    assert_eq!(c.port, 0);
    assert_eq!(
        c.public_url.as_deref(),
        Some("https://airlock.example.org/")
    );
    assert!(c.secret_key.is_some());
    assert_eq!(
        c.rules(),
        Rules {
            required_reviews: 3,
            hint_low_count_threshold: 7,
            hint_rounding_base: 10,
            upload_backoff_base: 1.0,
            upload_backoff_cap: 10.0,
            upload_backoff_jitter: 0.0,
            upload_stuck_after: 3,
        }
    );
    assert_eq!(c.max_log_chars, 500);
    assert_eq!(c.git_proxy_url.as_deref(), Some("http://git-proxy.example"));
    assert_eq!(
        c.git_proxy_token.as_ref().map(Secret::expose),
        Some("proxy-token")
    );
    assert_eq!(c.git_timeout, Duration::from_secs(45));
    // Every key of the file is in the key table, and the table has nothing else.
    let table: toml::Table = toml::from_str(&text).expect("toml");
    let mut written: Vec<&str> = table.keys().map(String::as_str).collect();
    written.sort_unstable();
    let mut known: Vec<&str> = KEYS.iter().map(|k| k.name).collect();
    known.sort_unstable();
    known.retain(|k| *k != "dev_users_file");
    assert_eq!(written, known);
}

#[test]
fn cfg_env_overrides_every_kind_and_names_its_variable() {
    let f = Fixture::new();
    let config = f
        .load_env(
            MINIMAL,
            &[
                ("AIRLOCK_REQUIRED_REVIEWS", "4"),
                ("AIRLOCK_HTTP_TIMEOUT", "2.5"),
                ("AIRLOCK_REQUEST_DIR", "elsewhere"),
                ("AIRLOCK_BACKEND", "123"),
                ("AIRLOCK_PORT", ""),
            ],
        )
        .expect("valid");
    assert_eq!(config.required_reviews, 4);
    assert_eq!(config.http_timeout, Duration::from_millis(2500));
    assert_eq!(config.request_dir, f.base().join("elsewhere"));
    assert_eq!(config.backend, "123");
    assert_eq!(config.port, 8000, "an empty variable overrides nothing");
    assert_eq!(
        config.origin("required_reviews"),
        Origin::Env("AIRLOCK_REQUIRED_REVIEWS".into())
    );
    assert_eq!(KEYS[0].env_var(), "AIRLOCK_REQUIRED_REVIEWS");

    let m = f.refused_env(
        MINIMAL,
        &[("AIRLOCK_REQUIRED_REVIEWS", "two")],
        "required_reviews",
    );
    assert!(m.contains("AIRLOCK_REQUIRED_REVIEWS"), "{m}");
    let m = f.refused_env(
        MINIMAL,
        &[("AIRLOCK_REQUIRED_REVIEWS", "1")],
        "required_reviews",
    );
    assert!(
        m.contains("AIRLOCK_REQUIRED_REVIEWS") && m.contains("at least 2"),
        "{m}"
    );
    let m = f.refused_env(
        MINIMAL,
        &[("AIRLOCK_UPLOAD_TIMEOUT", "soon")],
        "upload_timeout",
    );
    assert!(m.contains("AIRLOCK_UPLOAD_TIMEOUT"), "{m}");
    let m = f.refused_env(MINIMAL, &[("AIRLOCK_HTTP_TIMEOUT", "NaN")], "http_timeout");
    assert!(m.contains("AIRLOCK_HTTP_TIMEOUT"), "{m}");
    // The environment can supply a required key.
    let without_work_dir = MINIMAL.replace("work_dir = \"work\"\n", "");
    let config = f
        .load_env(&without_work_dir, &[("AIRLOCK_WORK_DIR", "w2")])
        .expect("valid");
    assert_eq!(config.work_dir, f.base().join("w2"));
}

#[test]
fn cfg_syntax_errors_name_the_file() {
    let f = Fixture::new();
    let err = f.load("work_dir = ").expect_err("bad toml");
    assert!(matches!(err, ConfigError::Syntax { .. }), "{err}");
    assert!(err.to_string().contains("airlock.toml"), "{err}");
    let err = f
        .load(&format!("{MINIMAL}port = 1\nport = 2\n"))
        .expect_err("duplicate");
    assert!(err.to_string().contains("port"), "{err}");
}

#[test]
fn cfg_load_reads_a_file_relative_to_the_working_directory() {
    let f = Fixture::new();
    let file = f.base().join("airlock.toml");
    let absolute = MINIMAL
        .replace("\"work", &format!("\"{}/work", f.base().display()))
        .replace(
            "\"workspaces\"",
            &format!("\"{}/workspaces\"", f.base().display()),
        )
        .replace(
            "\"users.json\"",
            &format!("\"{}/users.json\"", f.base().display()),
        );
    std::fs::write(&file, absolute).expect("write");
    let config = Config::load_with_env(&file, |_| None).expect("valid");
    assert_eq!(config.workspace_dir, f.base().join("workspaces"));
    let err = Config::load_with_env(&f.base().join("nope.toml"), |_| None).expect_err("missing");
    assert!(matches!(err, ConfigError::Read { .. }), "{err}");
}

#[test]
fn cfg_config_built_in_code_validates() {
    let f = Fixture::new();
    let mut config = Config::new(f.base().join("work"), f.base().join("workspaces"));
    config.dev_users_file = Some(f.base().join("users.json"));
    config.validate().expect("valid");
    assert_eq!(config.origin("port"), Origin::Code);
    config.port = 0;
    config.upload_backoff_jitter = 2.0;
    let err = config.validate().expect_err("jitter");
    assert!(err.to_string().contains("set in code"), "{err}");
}

#[test]
fn cfg_config_new_has_the_table_defaults_a_file_gets() {
    let f = Fixture::new();
    let loaded = f.load(MINIMAL).expect("valid");
    let mut built = Config::new(f.base().join("work"), f.base().join("workspaces"));
    built.dev_users_file = Some(f.base().join("users.json"));
    built.file = loaded.file.clone();
    built.origins = loaded.origins.clone();
    assert_eq!(built, loaded);
}

#[test]
fn cfg_the_key_table_names_each_key_once_with_a_doc_line() {
    let mut names: Vec<&str> = KEYS.iter().map(|k| k.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), KEYS.len());
    for key in KEYS {
        assert!(!key.doc.is_empty(), "{}", key.name);
        assert_eq!(key_info(key.name).map(|k| k.name), Some(key.name));
        assert!(key.env_var().starts_with(ENV_PREFIX), "{key:?}");
    }
    let required: Vec<&str> = KEYS
        .iter()
        .filter(|k| k.default == KeyDefault::Required)
        .map(|k| k.name)
        .collect();
    assert_eq!(required, ["work_dir", "workspace_dir", "request_dir"]);
    assert_eq!(
        key_info("http_timeout").map(Key::written),
        Some(KeyKind::Number)
    );
    assert_eq!(key_info("port").map(Key::written), Some(KeyKind::Integer));
    assert_eq!(key_info("backend").map(Key::written), Some(KeyKind::Text));
}
