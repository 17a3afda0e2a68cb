//! End-to-end tests of the `airlock` binary: each test runs the built binary against a
//! temporary configuration and database, and checks its output and exit code.

use crate::support;

use airlock_core::audit::{AuditType, NewAudit};
use airlock_store::db::{self, DbConnection};
use chrono::{DateTime, TimeZone, Utc};
use diesel::connection::SimpleConnection;
use std::path::{Path, PathBuf};
use support::{CONFIG, Site, connect, run_in};

fn t(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 10, minute, 7)
        .single()
        .expect("time")
        + chrono::Duration::microseconds(123_456)
}

const REQ: &str = "01HXAMPLE0000000000000REQ1";

/// Appends a small history: one request through submission, a review with a vote and a
/// private comment, an early return that hides the turn's vote, and a workspace file view.
fn fill(conn: &mut DbConnection) {
    let entries = [
        NewAudit::about_request(
            AuditType::RequestCreate,
            "researcher_1",
            "diabetes-outcomes",
            REQ,
            0,
            t(0),
        ),
        NewAudit::about_request(
            AuditType::RequestFileAdd,
            "researcher_1",
            "diabetes-outcomes",
            REQ,
            0,
            t(1),
        )
        .path("output/table1.csv")
        .extra("group", "main")
        .extra("filetype", "OUTPUT"),
        NewAudit::about_request(
            AuditType::RequestSubmit,
            "researcher_1",
            "diabetes-outcomes",
            REQ,
            1,
            t(2),
        ),
        NewAudit::about_request(
            AuditType::RequestFileApprove,
            "checker_1",
            "diabetes-outcomes",
            REQ,
            1,
            t(3),
        )
        .path("output/table1.csv")
        .extra("group", "main"),
        NewAudit::about_request(
            AuditType::RequestComment,
            "checker_1",
            "diabetes-outcomes",
            REQ,
            1,
            t(4),
        )
        .extra("group", "main")
        .extra("comment", "Small counts\nin row 3")
        .extra("visibility", "PRIVATE"),
        NewAudit::about_request(
            AuditType::RequestEarlyReturn,
            "checker_1",
            "diabetes-outcomes",
            REQ,
            1,
            t(5),
        ),
        NewAudit::about_workspace(
            AuditType::WorkspaceFileView,
            "checker_2",
            "vaccine-uptake",
            "output/rates.csv",
            t(6),
        ),
        NewAudit::about_request(
            AuditType::RequestWithdraw,
            "researcher_1",
            "diabetes-outcomes",
            REQ,
            2,
            t(7),
        )
        .automated(),
    ];
    for entry in &entries {
        db::append_audit(conn, entry).expect("append");
    }
    // RET-3: the early return hides the turn's vote (hidden is not part of the hash).
    conn.batch_execute("UPDATE audit_log SET hidden = true WHERE id = 4")
        .expect("hide");
}

// ---------------------------------------------------------------- help and usage

#[test]
fn help_texts() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, args) in [
        ("help_root", vec!["--help"]),
        ("help_migrate", vec!["migrate", "--help"]),
        ("help_check_config", vec!["check-config", "--help"]),
        ("help_audit", vec!["audit", "--help"]),
        ("help_audit_verify", vec!["audit", "verify", "--help"]),
        ("help_statemachine", vec!["statemachine", "--help"]),
    ] {
        let run = run_in(dir.path(), &args, &[]);
        assert_eq!(run.code, 0, "{name}: {run:?}");
        assert_eq!(run.stderr, "", "{name}");
        insta::assert_snapshot!(name, run.stdout);
    }
    let short = run_in(dir.path(), &["-h"], &[]);
    assert_eq!(short.code, 0);
    assert!(short.stdout.contains("check-config"), "{short:?}");
}

#[test]
fn usage_errors_exit_2() {
    let site = Site::new();
    for args in [
        vec!["no-such-command"],
        vec!["audit", "--limit", "0"],
        vec!["audit", "--limit", "many"],
        vec!["audit", "--user", "x", "verify"],
        vec!["audit", "--no-such-flag"],
        vec!["statemachine", "extra"],
    ] {
        let run = site.run(&args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(run.stdout.is_empty(), "{args:?}: {run:?}");
        assert!(run.stderr.starts_with("error: "), "{args:?}: {run:?}");
    }
    // No command at all.
    let run = run_in(&site.root, &[], &[]);
    assert_eq!(run.code, 2, "{run:?}");
}

#[test]
fn a_missing_config_option_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    for args in [["check-config"], ["migrate"], ["audit"]] {
        let run = run_in(dir.path(), &args, &[]);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(run.stderr.contains("AIRLOCK_CONFIG"), "{run:?}");
    }
}

// ---------------------------------------------------------------- statemachine

#[test]
fn statemachine_prints_the_mermaid_diagram_without_config() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = run_in(dir.path(), &["statemachine"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, airlock_core::transition::mermaid());
    assert!(run.stdout.starts_with("stateDiagram-v2\n"));
    insta::assert_snapshot!("statemachine", run.stdout);
}

// ---------------------------------------------------------------- configuration

#[test]
fn check_config_prints_the_effective_config_with_secrets_redacted() {
    let site = Site::new();
    let run = site.run_env(
        &["check-config"],
        &[
            ("AIRLOCK_REQUIRED_REVIEWS", "3"),
            ("AIRLOCK_JOBS_API_TOKEN", "s3cret-token"),
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    for secret in [
        "s3cret-token",
        "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=",
    ] {
        assert!(
            !run.stdout.contains(secret),
            "{secret} shown: {}",
            run.stdout
        );
    }
    assert!(
        run.stdout
            .contains("required_reviews = 3  # from AIRLOCK_REQUIRED_REVIEWS")
    );
    insta::assert_snapshot!("check_config_human", site.redact(&run.stdout));

    let run = site.run(&["check-config", "--json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(json["config"]["required_reviews"], 2);
    assert_eq!(json["config"]["secret_key"], "[redacted]");
    assert_eq!(json["origins"]["work_dir"], "file");
    assert_eq!(json["origins"]["port"], "default");
    insta::assert_snapshot!("check_config_json", site.redact(&run.stdout));
}

#[test]
fn check_config_shows_where_the_generated_secret_key_lives_never_a_key() {
    let config: String = CONFIG
        .lines()
        .filter(|l| !l.starts_with("secret_key"))
        .map(|l| format!("{l}\n"))
        .collect();
    let site = Site::with_config(&config);
    let run = site.run(&["check-config"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        site.redact(&run.stdout)
            .contains("\nsecret_key = \"(generated in [SITE]/work/secret_key)\"  # default\n"),
        "{run:?}"
    );
    let run = site.run(&["check-config", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(
        json["config"]["secret_key"],
        format!(
            "(generated in {})",
            site.root.join("work/secret_key").display()
        )
    );
    assert_eq!(json["origins"]["secret_key"], "default");
    assert!(
        !site.root.join("work/secret_key").exists(),
        "check-config generates nothing"
    );
}

#[test]
fn check_config_reads_airlock_config_from_the_environment() {
    let site = Site::new();
    let run = run_in(
        &site.root,
        &["check-config"],
        &[("AIRLOCK_CONFIG", "airlock.toml")],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .starts_with("# Valid configuration from airlock.toml."),
        "{run:?}"
    );
}

#[test]
fn invalid_config_exits_1_naming_the_key() {
    let site = Site::with_config(&format!("{CONFIG}required_reviews = 1\n"));
    let run = site.run(&["check-config"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
    insta::assert_snapshot!("check_config_refused", site.redact(&run.stderr));

    let run = site.run(&["check-config", "--json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(json["valid"], false);
    assert_eq!(json["key"], "required_reviews");

    // Every command that reads the configuration refuses it the same way.
    for args in [vec!["migrate"], vec!["audit"], vec!["audit", "verify"]] {
        let run = site.run(&args);
        assert_eq!(run.code, 1, "{args:?}: {run:?}");
        assert!(
            run.stderr.contains("`required_reviews`"),
            "{args:?}: {run:?}"
        );
    }

    let site = Site::with_config(&format!("{CONFIG}colour = \"blue\"\n"));
    let run = site.run(&["check-config"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("unknown configuration key `colour`"),
        "{run:?}"
    );

    let site = Site::new();
    let run = site.run_env(&["check-config"], &[("AIRLOCK_HTTP_TIMEOUT", "soon")]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("`http_timeout`"), "{run:?}");
    assert!(run.stderr.contains("AIRLOCK_HTTP_TIMEOUT"), "{run:?}");

    let run = run_in(
        &site.root,
        &["--config", "missing.toml", "check-config"],
        &[],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("missing.toml"), "{run:?}");
    assert!(!run.stderr.contains("backtrace"), "{run:?}");
}

#[test]
fn the_fixture_config_is_valid_from_the_repository_root() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .canonicalize()
        .expect("canonical");
    let run = run_in(
        &root,
        &[
            "--config",
            "fixtures/airlock.toml",
            "check-config",
            "--json",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    let fixtures = root.join("fixtures");
    let under = |key: &str, rel: &str| {
        assert_eq!(
            json["config"][key].as_str().map(PathBuf::from),
            Some(fixtures.join(rel)),
            "{key}"
        );
    };
    under("workspace_dir", "workspaces");
    under("dev_users_file", "users.json");
    under("work_dir", "work");
    under("request_dir", "work/requests");
    under("database_url", "work/airlock.db");
    assert_eq!(
        json.pointer("/config/jobs_api_token"),
        Some(&serde_json::Value::Null),
        "listed, and unset"
    );
}

// ---------------------------------------------------------------- migrate

#[test]
fn migrate_creates_directories_and_is_idempotent() {
    let site = Site::new();
    let before = site.run(&["audit"]);
    assert_eq!(before.code, 1, "{before:?}");
    assert!(before.stderr.contains("airlock migrate"), "{before:?}");
    assert!(
        !site.db_path().exists(),
        "audit must not create the database"
    );

    let run = site.run(&["migrate"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.starts_with("Applied "), "{run:?}");
    for dir in ["work", "work/requests", "work/repos"] {
        assert!(site.root.join(dir).is_dir(), "{dir}");
    }
    assert!(site.db_path().is_file());

    let again = site.run(&["migrate", "--json"]);
    assert_eq!(again.code, 0, "{again:?}");
    let json: serde_json::Value = serde_json::from_str(&again.stdout).expect("json");
    assert_eq!(
        json,
        serde_json::json!({"backend": "sqlite", "applied": []})
    );
    let human = site.run(&["migrate"]);
    assert_eq!(
        human.stdout,
        "The sqlite database is up to date: no pending migrations.\n"
    );
}

// ---------------------------------------------------------------- audit (AUD-7)

#[test]
fn aud_7_dump_lists_entries_newest_first() {
    let site = Site::new();
    let mut conn = site.migrated_db();
    fill(&mut conn);
    let run = site.run(&["audit"]);
    assert_eq!(run.code, 0, "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 8, "{}", run.stdout);
    assert!(
        lines[0].starts_with("2024-05-01T10:07:07 REQUEST_WITHDRAW "),
        "{}",
        lines[0]
    );
    assert!(lines[4].ends_with(" hidden=True"), "{}", lines[4]);
    // TYPE is padded to the longest type name, so `user=` lines up.
    let column = "2024-05-01T10:07:07 ".len() + "REQUEST_COMMENT_VISIBILITY_PUBLIC".len() + 1;
    for line in &lines {
        assert_eq!(line.find(" user=").map(|i| i + 1), Some(column), "{line}");
    }
    insta::assert_snapshot!("audit_dump", run.stdout);
}

#[test]
fn aud_7_filters_combine_with_and() {
    let site = Site::new();
    let mut conn = site.migrated_db();
    fill(&mut conn);
    let count = |args: &[&str]| {
        let run = site.run(args);
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
        run.stdout.lines().count()
    };
    assert_eq!(count(&["audit", "--user", "checker_1"]), 3);
    assert_eq!(count(&["audit", "--workspace", "vaccine-uptake"]), 1);
    assert_eq!(count(&["audit", "--request", REQ]), 7);
    assert_eq!(count(&["audit", "-u", "researcher_1", "-r", REQ]), 4);
    assert_eq!(
        count(&[
            "audit",
            "--user",
            "checker_2",
            "--workspace",
            "diabetes-outcomes"
        ]),
        0
    );
    assert_eq!(count(&["audit", "--user", "nobody"]), 0);
    let run = site.run(&["audit", "--limit", "2", "--user", "checker_1"]);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].contains("REQUEST_EARLY_RETURN"), "{}", lines[0]);
    assert!(lines[1].contains("REQUEST_COMMENT "), "{}", lines[1]);
}

#[test]
fn aud_7_dump_as_json() {
    let site = Site::new();
    let mut conn = site.migrated_db();
    fill(&mut conn);
    let run = site.run(&["audit", "--json", "--request", REQ, "--limit", "4"]);
    assert_eq!(run.code, 0, "{run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    let list = json.as_array().expect("array");
    assert_eq!(list.len(), 4);
    assert_eq!(list[0]["id"], 8);
    assert_eq!(list[3]["hidden"], true);
    assert_eq!(list[3]["extra"]["review_turn"], "1");
    insta::assert_snapshot!("audit_dump_json", run.stdout);
    let empty = site.run(&["audit", "--json", "--user", "nobody"]);
    assert_eq!(empty.stdout.trim(), "[]");
}

// ---------------------------------------------------------------- audit verify (AUD-5)

#[test]
fn aud_5_verify_an_intact_chain() {
    let site = Site::new();
    let mut conn = site.migrated_db();
    let empty = site.run(&["audit", "verify"]);
    assert_eq!(empty.code, 0, "{empty:?}");
    assert_eq!(
        empty.stdout,
        "OK: 0 audit entries checked; the hash chain is intact.\n"
    );
    fill(&mut conn);
    let run = site.run(&["audit", "verify"]);
    assert_eq!(run.code, 0, "{run:?}");
    insta::assert_snapshot!("audit_verify_ok", run.stdout);
    let run = site.run(&["audit", "verify", "--json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(json, serde_json::json!({"ok": true, "checked": 8}));
}

#[test]
fn aud_5_verify_finds_a_changed_entry() {
    let site = Site::new();
    let mut conn = site.migrated_db();
    fill(&mut conn);
    conn.batch_execute("UPDATE audit_log SET username = 'mallory' WHERE id = 3")
        .expect("tamper");
    let run = site.run(&["audit", "verify"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("entry is 3:"), "{run:?}");
    insta::assert_snapshot!("audit_verify_tampered", run.stdout);
    let run = site.run(&["audit", "verify", "--json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(json["ok"], false);
    assert_eq!(json["checked"], 3);
    assert_eq!(json["first_bad"]["id"], 3);
    assert!(
        json["first_bad"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("the entry was changed")),
        "{json}"
    );
}

#[test]
fn aud_5_verify_finds_a_hidden_entry_without_early_return() {
    let site = Site::new();
    let mut conn = site.migrated_db();
    fill(&mut conn);
    // Turn 0 had no early return, so nothing in it may be hidden.
    conn.batch_execute("UPDATE audit_log SET hidden = true WHERE id = 2")
        .expect("hide");
    let run = site.run(&["audit", "verify"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.stdout,
        format!(
            "FAILED: the first bad entry is 2: hidden entry without an early return of request \
             {REQ} in turn 0 (8 entries checked).\n"
        )
    );
}

#[test]
fn aud_5_verify_finds_a_deleted_entry() {
    let site = Site::new();
    let mut conn = site.migrated_db();
    fill(&mut conn);
    conn.batch_execute("DELETE FROM audit_log WHERE id = 5")
        .expect("delete");
    let run = site.run(&["audit", "verify", "--json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(json["first_bad"]["id"], 6);
    assert!(
        json["first_bad"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("is not the previous entry's hash")),
        "{json}"
    );
}

// ---------------------------------------------------------------- Both backends

#[test]
fn migrate_dump_and_verify_on_every_backend() {
    let site = Site::new();
    let reference = {
        let sqlite = Site::new();
        let mut conn = sqlite.migrated_db();
        fill(&mut conn);
        sqlite.run(&["audit"]).stdout
    };
    // An empty database per backend the run has: a new SQLite file, and a PostgreSQL schema
    // when the run has PostgreSQL (else the run says it left that half out).
    let empty_sqlite = site
        .root
        .join("work/empty.db")
        .to_string_lossy()
        .into_owned();
    let mut databases = vec![("sqlite", empty_sqlite, None)];
    if let Some(base) = airlock_store::testing::postgres_url().expect("postgres") {
        let pg = airlock_store::testing::TestDb::postgres_unmigrated(&base).expect("schema");
        databases.push(("postgres", pg.url.clone(), Some(pg)));
    }
    for (backend, url, _schema) in &databases {
        let env = [("AIRLOCK_DATABASE_URL", url.as_str())];
        let before = site.run_env(&["audit", "verify"], &env);
        assert_eq!(before.code, 1, "{backend}: {before:?}");
        assert!(
            before.stderr.contains("airlock migrate"),
            "{backend}: {before:?}"
        );

        let run = site.run_env(&["migrate"], &env);
        assert_eq!(run.code, 0, "{backend}: {run:?}");
        assert!(
            run.stdout.contains(&format!("to the {backend} database")),
            "{backend}: {run:?}"
        );

        let mut conn = connect(url);
        fill(&mut conn);
        let dump = site.run_env(&["audit"], &env);
        assert_eq!(dump.code, 0, "{backend}: {dump:?}");
        assert_eq!(
            dump.stdout, reference,
            "{backend}: the same dump on every backend"
        );

        let ok = site.run_env(&["audit", "verify"], &env);
        assert_eq!(ok.code, 0, "{backend}: {ok:?}");
        assert_eq!(
            ok.stdout,
            "OK: 8 audit entries checked; the hash chain is intact.\n"
        );

        conn.batch_execute("UPDATE audit_log SET path = 'output/other.csv' WHERE id = 2")
            .expect("tamper");
        let bad = site.run_env(&["audit", "verify", "--json"], &env);
        assert_eq!(bad.code, 1, "{backend}: {bad:?}");
        let json: serde_json::Value = serde_json::from_str(&bad.stdout).expect("json");
        assert_eq!(json["first_bad"]["id"], 2, "{backend}");
    }
}
