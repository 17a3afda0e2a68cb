//! Refusals: every one names its key and where the value came from.

use super::*;

#[test]
fn cfg_unknown_keys_are_refused_by_name() {
    let f = Fixture::new();
    let m = f.refused("required_review = 3", "required_review");
    assert!(
        m.contains("unknown configuration key") && m.contains("airlock.toml"),
        "{m}"
    );
    f.refused("[server]\nport = 1", "server");
}

#[test]
fn cfg_wrong_types_are_refused_by_name() {
    let f = Fixture::new();
    let m = f.refused("required_reviews = \"two\"", "required_reviews");
    assert!(m.contains("airlock.toml"), "{m}");
    f.refused("required_reviews = 2.5", "required_reviews");
    f.refused("http_timeout = \"60s\"", "http_timeout");
    f.refused("backend = 7", "backend");
    f.refused("port = true", "port");
    let text = MINIMAL.replace("work_dir = \"work\"", "work_dir = [\"work\"]");
    f.refused_env(&text, &[], "work_dir");
}

#[test]
fn cfg_n_below_two_is_refused() {
    let f = Fixture::new();
    for n in ["1", "0", "-3"] {
        let m = f.refused(&format!("required_reviews = {n}"), "required_reviews");
        assert!(m.contains("at least 2"), "{m}");
    }
    let mut config = f.load(MINIMAL).expect("valid");
    config.required_reviews = 1;
    assert_eq!(
        config
            .validate()
            .err()
            .and_then(|e| e.key().map(String::from)),
        Some("required_reviews".into())
    );
}

#[test]
fn cfg_required_keys_are_named_when_missing() {
    let f = Fixture::new();
    for key in ["work_dir", "workspace_dir", "request_dir"] {
        let text: String = MINIMAL
            .lines()
            .filter(|l| !l.starts_with(&format!("{key} ")))
            .map(|l| format!("{l}\n"))
            .collect();
        let m = f.refused_env(&text, &[], key);
        assert!(
            m.contains(&format!("AIRLOCK_{}", key.to_uppercase())),
            "{m}"
        );
    }
    let text = MINIMAL.replace("\"work/requests\"", "\"\"");
    f.refused_env(&text, &[], "request_dir");
}

#[test]
fn cfg_directories_must_exist_or_be_creatable() {
    let f = Fixture::new();
    let text = MINIMAL.replace("\"workspaces\"", "\"no-such-dir\"");
    let m = f.refused_env(&text, &[], "workspace_dir");
    assert!(m.contains("does not exist"), "{m}");
    let text = MINIMAL.replace("\"workspaces\"", "\"users.json\"");
    let m = f.refused_env(&text, &[], "workspace_dir");
    assert!(m.contains("not a directory"), "{m}");
    let text = MINIMAL.replace("\"work/requests\"", "\"users.json\"");
    f.refused_env(&text, &[], "request_dir");
    f.refused("repo_cache_dir = \"users.json\"", "repo_cache_dir");
    f.refused(
        "regular_requests_file = \"workspaces\"",
        "regular_requests_file",
    );
    for bad in ["25:00", "3am", "03:00:00", "never"] {
        let m = f.refused(
            &format!("regular_requests_time = \"{bad}\""),
            "regular_requests_time",
        );
        assert!(m.contains("HH:MM"), "{m}");
    }
    let off = f
        .load(&format!("{MINIMAL}regular_requests_time = \"Off\"\n"))
        .expect("valid");
    assert_eq!(off.regular_requests_time, None);
    // Directories the product writes need not exist yet; create_dirs makes them.
    let config = f.load(MINIMAL).expect("valid");
    assert!(!config.work_dir.exists());
    config.create_dirs().expect("created");
    for dir in [
        &config.work_dir,
        &config.request_dir,
        &config.repo_cache_dir,
    ] {
        assert!(dir.is_dir(), "{}", dir.display());
    }
    let text = format!("{MINIMAL}database_url = \"sqlite://db/dir/a.db\"\n");
    let config = f.load(&text).expect("valid");
    assert_eq!(
        config.database_url.sqlite_path(),
        Some(f.base().join("db/dir/a.db"))
    );
    config.create_dirs().expect("created");
    assert!(f.base().join("db/dir").is_dir());
}

#[test]
fn cfg_database_url_is_checked() {
    let f = Fixture::new();
    let m = f.refused("database_url = \"mysql://h/db\"", "database_url");
    assert!(m.contains("mysql"), "{m}");
    f.refused("database_url = \"workspaces\"", "database_url");
    let config = f
        .load(&format!(
            "{MINIMAL}database_url = \"data/airlock.sqlite\"\n"
        ))
        .expect("valid");
    assert_eq!(
        config.database_url.as_str(),
        f.base().join("data/airlock.sqlite").to_string_lossy()
    );
}

#[test]
fn cfg_jobs_api_endpoint_must_be_an_http_url_without_trailing_slash() {
    let f = Fixture::new();
    for bad in [
        "ftp://jobs.example/api",
        "jobs.example/api",
        "https://",
        "https:///x",
        "https://jobs.example/api/",
        "https://jobs example/api",
        "https://h/api?x=1",
    ] {
        f.refused(
            &format!("jobs_api_endpoint = \"{bad}\""),
            "jobs_api_endpoint",
        );
    }
    let config = f
        .load(&format!(
            "{MINIMAL}jobs_api_endpoint = \"https://jobs.example:8443/api/v2\"\n"
        ))
        .expect("valid");
    assert_eq!(config.jobs_api_endpoint, "https://jobs.example:8443/api/v2");
}

#[test]
fn api_8_neither_token_nor_users_file_is_refused() {
    let f = Fixture::new();
    let without_users: String = MINIMAL.replace("dev_users_file = \"users.json\"\n", "");
    let m = f.refused_env(&without_users, &[], "dev_users_file");
    assert!(m.contains("jobs_api_token"), "{m}");
    let text = MINIMAL.replace("\"users.json\"", "\"missing.json\"");
    f.refused_env(&text, &[], "dev_users_file");
    // With a token, the users file is ignored, even a missing one.
    let config = f
        .load_env(&text, &[("AIRLOCK_JOBS_API_TOKEN", "t")])
        .expect("valid");
    assert!(!config.test_mode());
    assert_eq!(config.users_file(), None);
    f.refused("jobs_api_token = \"  \"", "jobs_api_token");
}

#[test]
fn api_31_a_users_file_with_a_bad_grant_stops_startup() {
    let f = Fixture::new();
    let config = f.load(MINIMAL).expect("an empty users file is valid");
    assert_eq!(config.load_users().expect("load").map(|u| u.len()), Some(0));
    std::fs::write(
        f.base().join("users.json"),
        r#"{"r1": {"token": "t", "details": {"username": "r1",
             "workspaces": {"ws": {"project_details": {"name": "P"}, "archived": false,
                                   "role": "lead"}}}}}"#,
    )
    .expect("write");
    let m = f.refused_env(MINIMAL, &[], "dev_users_file");
    assert!(
        m.contains("exactly the keys project_details and archived"),
        "{m}"
    );
    assert!(m.contains("users.json"), "{m}");
    std::fs::write(f.base().join("users.json"), "[").expect("write");
    let m = f.refused_env(MINIMAL, &[], "dev_users_file");
    assert!(m.contains("not valid JSON"), "{m}");
}

#[test]
fn cfg_output_checking_org_and_repo_go_together() {
    let f = Fixture::new();
    f.refused("output_checking_org = \"org\"", "output_checking_repo");
    f.refused("output_checking_repo = \"repo\"", "output_checking_org");
    f.refused(
        "output_checking_org = \"a b\"\noutput_checking_repo = \"r\"",
        "output_checking_org",
    );
    f.load(&format!(
        "{MINIMAL}output_checking_org = \"org\"\noutput_checking_repo = \"repo\"\n"
    ))
    .expect("valid");
}

#[test]
fn cfg_impossible_numbers_are_refused() {
    let f = Fixture::new();
    f.refused("backend = \"\"", "backend");
    f.refused("backend = \"a/b\"", "backend");
    f.refused("http_timeout = 0", "http_timeout");
    f.refused("upload_timeout = -5", "upload_timeout");
    f.refused("http_connect_timeout = 1e300", "http_connect_timeout");
    f.refused("upload_poll_interval = nan", "upload_poll_interval");
    let m = f.refused(
        "authz_refresh_interval = 600\nauthz_grace_period = 300",
        "authz_grace_period",
    );
    assert!(m.contains("AUTH-8"), "{m}");
    f.refused(
        "upload_backoff_base = 100\nupload_backoff_cap = 50",
        "upload_backoff_cap",
    );
    f.refused("upload_backoff_jitter = 1.5", "upload_backoff_jitter");
    f.refused("upload_backoff_jitter = -0.1", "upload_backoff_jitter");
    f.refused("upload_stuck_after = 0", "upload_stuck_after");
    f.refused("max_log_chars = 0", "max_log_chars");
    f.refused("max_log_chars = -1", "max_log_chars");
    f.refused("hint_low_count_threshold = 0", "hint_low_count_threshold");
    f.refused("hint_rounding_base = 0", "hint_rounding_base");
    f.refused("port = 70000", "port");
    f.refused("port = -1", "port");
    f.refused("bind_address = \"localhost\"", "bind_address");
    f.load(&format!(
        "{MINIMAL}bind_address = \"::1\"\nupload_backoff_jitter = 1\n"
    ))
    .expect("IPv6 and a jitter of 1 are fine");
}

#[test]
fn cfg_secret_key_must_be_32_or_64_bytes() {
    let f = Fixture::new();
    let m = f.refused("secret_key = \"too-short\"", "secret_key");
    assert!(
        !m.contains("too-short"),
        "the key itself is never shown: {m}"
    );
    f.refused(
        &format!("secret_key = \"{}\"", "ab".repeat(20)),
        "secret_key",
    );
    for good in ["ab".repeat(32), "ab".repeat(64), "A".repeat(86) + "=="] {
        let config = f
            .load(&format!("{MINIMAL}secret_key = \"{good}\"\n"))
            .expect("valid key");
        assert_eq!(
            config.secret_key.map(|s| s.expose().to_string()),
            Some(good)
        );
    }
}
