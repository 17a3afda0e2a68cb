//! End-to-end tests of the operator commands that act on requests (OPS-1 to OPS-3) and of the
//! fixture generator, run as the built binary against the repository's fixture workspaces and
//! users file with a fresh SQLite database.

use crate::support;

use airlock_core::action::{Action, UploadStep};
use airlock_store::store::Target;
use serde_json::Value;
use std::path::{Path, PathBuf};
use support::{Run, Site, run_in};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .canonicalize()
        .expect("fixtures directory")
}

/// A migrated site over the fixture workspaces and users (read only), with its own database.
fn fixture_site() -> Site {
    let fixtures = fixtures();
    let config = format!(
        "work_dir = \"work\"\nrequest_dir = \"work/requests\"\nworkspace_dir = {:?}\n\
         dev_users_file = {:?}\nregular_requests_file = \"regular.json\"\n",
        fixtures.join("workspaces"),
        fixtures.join("users.json"),
    );
    let site = Site::with_config(&config);
    let run = site.run(&["migrate"]);
    assert_eq!(run.code, 0, "{run:?}");
    site
}

/// Request ids (ULIDs) replaced by `[ID]`, in order of appearance numbered.
fn redact_ids(text: &str) -> String {
    let mut seen: Vec<String> = Vec::new();
    let mut out = String::new();
    for token in text.split_inclusive(|c: char| !c.is_ascii_alphanumeric()) {
        let word = token.trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
        let rest = &token[word.len()..];
        if word.len() == 26
            && word
                .chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        {
            let n = match seen.iter().position(|s| s == word) {
                Some(n) => n,
                None => {
                    seen.push(word.to_string());
                    seen.len() - 1
                }
            };
            out.push_str(&format!("[ID{}]", n + 1));
        } else {
            out.push_str(word);
        }
        out.push_str(rest);
    }
    out
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"))
}

/// The audit log as JSON, newest first.
fn audit(site: &Site) -> Vec<Value> {
    let run = site.run(&["audit", "--json"]);
    assert_eq!(run.code, 0, "{run:?}");
    json(&run).as_array().expect("array").clone()
}

fn types(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|e| e["type"].as_str().expect("type"))
        .collect()
}

// ---------------------------------------------------------------- create-request (OPS-2)

#[test]
fn ops_2_create_extend_and_submit_from_directories() {
    let site = fixture_site();
    let run = site.run(&[
        "create-request",
        "vaccine-uptake",
        "output/uptake",
        "output/report/",
        "--username",
        "researcher_1",
        "--supporting",
        "output/report/methods.md",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stderr, "");
    insta::assert_snapshot!("create_request_created", redact_ids(&run.stdout));

    // AUD-2: every entry is marked as automated; one group per directory.
    let entries = audit(&site);
    assert!(
        entries
            .iter()
            .all(|e| e["extra"]["automated_action"] == "true"),
        "{entries:?}"
    );
    let groups: std::collections::BTreeSet<&str> = entries
        .iter()
        .filter_map(|e| e["extra"]["group"].as_str())
        .collect();
    assert_eq!(
        groups.into_iter().collect::<Vec<_>>(),
        ["output-report", "output-uptake"]
    );
    let methods = entries
        .iter()
        .find(|e| e["path"] == "output/report/methods.md")
        .expect("methods.md added");
    assert_eq!(methods["extra"]["filetype"], "SUPPORTING");

    // Extending: files already on the request are left alone; context and controls go on
    // every group; --submit submits.
    let run = site.run(&[
        "create-request",
        "vaccine-uptake",
        "output/uptake",
        "output/figures",
        "--username",
        "researcher_1",
        "--context",
        "Uptake by group",
        "--controls",
        "Rounded to 5",
        "--submit",
        "--json",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let result = json(&run);
    assert_eq!(result["completed"], true);
    let id = result["request_id"].as_str().expect("id").to_string();
    insta::assert_snapshot!("create_request_submitted_json", redact_ids(&run.stdout));
    let entries = audit(&site);
    assert_eq!(types(&entries)[0], "REQUEST_SUBMIT");
    let edits = entries
        .iter()
        .filter(|e| e["type"] == "REQUEST_EDIT")
        .count();
    assert_eq!(edits, 3, "context and controls set on every group");

    // Under review now: nothing changes.
    let before = entries.len();
    let run = site.run(&[
        "create-request",
        "vaccine-uptake",
        "output/figures",
        "--username",
        "researcher_1",
        "--json",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        json(&run),
        serde_json::json!({"completed": false, "request_id": id, "message": "Already submitted"})
    );
    assert_eq!(audit(&site).len(), before);
}

#[test]
fn ops_2_the_author_defaults_to_the_user_of_the_latest_output() {
    let site = fixture_site();
    let run = site.run(&[
        "create-request",
        "diabetes-outcomes",
        "output/monthly",
        "--json",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let entries = audit(&site);
    assert_eq!(entries.len(), 4, "create and three files: {entries:?}");
    assert!(entries.iter().all(|e| e["user"] == "researcher_2"));
}

#[test]
fn ops_2_refusals_change_nothing() {
    let site = fixture_site();
    for (args, needle) in [
        (
            vec![
                "vaccine-uptake",
                "output/uptake",
                "--username",
                "researcher_1",
                "--submit",
            ],
            "bad_request: Submitting needs both context and controls.",
        ),
        (
            vec!["vaccine-uptake", "../outside", "--username", "researcher_1"],
            "bad_path",
        ),
        (
            vec![
                "vaccine-uptake",
                "output/nothing",
                "--username",
                "researcher_1",
            ],
            "not_found: output/nothing is not a directory of shown files",
        ),
        (
            vec![
                "vaccine-uptake",
                "output/uptake",
                "--username",
                "researcher_1",
                "--supporting",
                "output/report/methods.md",
            ],
            "bad_request: The supporting file output/report/methods.md is not a shown file",
        ),
        (
            vec!["vaccine-uptake", "output/uptake", "--username", "nobody"],
            "No user \"nobody\" in the users file",
        ),
        (
            vec![
                "vaccine-uptake",
                "output/uptake",
                "--username",
                "researcher_2",
            ],
            "permission_denied",
        ),
        (
            vec![
                "vaccine-uptake",
                "output/uptake",
                "--username",
                "output_checker_1",
            ],
            "no_workspace_role",
        ),
        (
            vec!["old-pilot", "output", "--username", "archived_user"],
            "workspace_archived",
        ),
        (
            vec!["no-such-workspace", "output", "--username", "researcher_1"],
            "not_found",
        ),
    ] {
        let mut all = vec!["create-request"];
        all.extend(args.iter().copied());
        let run = site.run(&all);
        assert_eq!(run.code, 1, "{args:?}: {run:?}");
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}: {run:?}");
        let request_entries: Vec<Value> = audit(&site)
            .into_iter()
            .filter(|e| {
                !e.get("request")
                    .expect("an entry's request field")
                    .is_null()
            })
            .collect();
        assert!(request_entries.is_empty(), "{args:?}: {request_entries:?}");
    }
    // Usage errors: no directory; a workspace name that is not one path segment (FMT-1).
    assert_eq!(site.run(&["create-request", "vaccine-uptake"]).code, 2);
    for bad in ["..", "a/b", ".hidden", ""] {
        let run = site.run(&[
            "create-request",
            bad,
            "output",
            "--username",
            "researcher_1",
        ]);
        assert_eq!(run.code, 2, "{bad:?}: {run:?}");
        assert!(
            run.stderr.contains("a workspace name is one path segment"),
            "{run:?}"
        );
        let run = site.run(&["audit", "--workspace", bad]);
        assert_eq!(run.code, 2, "{bad:?}: {run:?}");
    }
}

// ---------------------------------------------------------------- change-request-status (OPS-1)

/// A site with one request by researcher_1 in vaccine-uptake; returns its id.
fn site_with_request() -> (Site, String) {
    let site = fixture_site();
    let run = site.run(&[
        "create-request",
        "vaccine-uptake",
        "output/uptake",
        "--username",
        "researcher_1",
        "--json",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let id = json(&run)["request_id"].as_str().expect("id").to_string();
    (site, id)
}

#[test]
fn ops_1_asks_for_confirmation_and_changes_nothing_without_yes() {
    let (site, id) = site_with_request();
    let before = audit(&site).len();
    for input in ["", "n\n", "maybe\n"] {
        let run = site.run_with_input(
            &[
                "change-request-status",
                &id,
                "--user",
                "researcher_1",
                "--status",
                "WITHDRAWN",
            ],
            input,
        );
        assert_eq!(run.code, 1, "{input:?}: {run:?}");
        assert!(
            run.stderr.contains("Cancelled: nothing changed."),
            "{run:?}"
        );
        assert!(
            run.stderr
                .contains("by researcher_1 is PENDING. Move it to WITHDRAWN as researcher_1?"),
            "{run:?}"
        );
    }
    assert_eq!(audit(&site).len(), before);
    let run = site.run_with_input(
        &[
            "change-request-status",
            &id,
            "-u",
            "researcher_1",
            "-s",
            "withdrawn",
        ],
        "y\n",
    );
    assert_eq!(run.code, 0, "{run:?}");
    insta::assert_snapshot!("change_status_confirmed", redact_ids(&run.stdout));
}

#[test]
fn ops_1_forces_a_final_status_once_and_marks_it_automated() {
    let (site, id) = site_with_request();
    // The user must be in the local user table: output_checker_1 has never logged in.
    let run = site.run(&[
        "change-request-status",
        &id,
        "--user",
        "output_checker_1",
        "--status",
        "REJECTED",
        "--yes",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("no user \"output_checker_1\" in the local user table")
    );

    let args = [
        "change-request-status",
        &id,
        "--user",
        "researcher_1",
        "--status",
        "REJECTED",
        "--yes",
        "--json",
    ];
    let run = site.run(&args);
    assert_eq!(run.code, 0, "{run:?}");
    insta::assert_snapshot!("change_status_json", redact_ids(&run.stdout));
    let entries = audit(&site);
    assert_eq!(entries[0]["type"], "REQUEST_REJECT");
    assert_eq!(entries[0]["extra"]["automated_action"], "true");
    assert_eq!(entries[0]["user"], "researcher_1");

    // A final request cannot change again.
    let run = site.run(&args);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("invalid_transition"), "{run:?}");
    assert_eq!(audit(&site).len(), entries.len());

    for (bad, code) in [
        (
            vec![
                "change-request-status",
                "NOPE",
                "-u",
                "researcher_1",
                "-s",
                "REJECTED",
                "-y",
            ],
            1,
        ),
        (
            vec![
                "change-request-status",
                &id,
                "-u",
                "researcher_1",
                "-s",
                "APPROVED",
                "-y",
            ],
            2,
        ),
        (
            vec!["change-request-status", &id, "-s", "REJECTED", "-y"],
            2,
        ),
    ] {
        let run = site.run(&bad);
        assert_eq!(run.code, code, "{bad:?}: {run:?}");
    }
}

// ---------------------------------------------------------------- regular requests (OPS-3)

#[test]
fn ops_3_validate_prints_the_fixture_file() {
    let fixtures = fixtures();
    let file = fixtures.join("regular-requests.json");
    let dir = tempfile::tempdir().expect("tempdir");
    let file_arg = file.to_string_lossy().into_owned();
    let run = run_in(dir.path(), &["validate-regular-requests", &file_arg], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    insta::assert_snapshot!(
        "validate_regular_ok",
        run.stdout.replace(&file_arg, "[FILE]")
    );
    let run = run_in(
        dir.path(),
        &["validate-regular-requests", &file_arg, "--json"],
        &[],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let value: Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(value["valid"], true);
    assert_eq!(value["entries"].as_array().map(Vec::len), Some(2));
}

#[test]
fn ops_3_validate_names_every_problem() {
    let site = fixture_site();
    std::fs::write(
        site.root.join("regular.json"),
        r#"[{"username": null, "workspace_name": "w", "dirs": ["a"], "submit": true},
            {"workspace_name": 5, "dirs": "a", "colour": "red"}]"#,
    )
    .expect("write");
    let run = site.run(&["validate-regular-requests"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stdout, "");
    insta::assert_snapshot!("validate_regular_errors", site.redact(&run.stderr));
    let run = site.run(&["validate-regular-requests", "--json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let value: Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(value["valid"], false);
    assert!(
        value["errors"].as_array().is_some_and(|e| e.len() >= 4),
        "{value}"
    );

    std::fs::write(site.root.join("regular.json"), "{").expect("write");
    let run = site.run(&["validate-regular-requests"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("invalid_json"), "{run:?}");
    let run = site.run(&["validate-regular-requests", "missing.json"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("cannot read missing.json"), "{run:?}");
}

#[test]
fn ops_3_one_entry_failing_does_not_stop_the_others() {
    let site = fixture_site();
    std::fs::write(
        site.root.join("regular.json"),
        r#"[
          {"username": "researcher_1", "workspace_name": "no-such-workspace", "dirs": ["output"]},
          {"username": "researcher_1", "workspace_name": "vaccine-uptake", "dirs": ["output/uptake"],
           "context": "c", "controls": "k", "submit": true},
          {"username": "researcher_1", "workspace_name": "vaccine-uptake", "dirs": 7}
        ]"#,
    )
    .expect("write");
    let run = site.run(&["run-regular-requests", "--json"]);
    assert_eq!(run.code, 1, "{run:?}");
    insta::assert_snapshot!("run_regular_json", redact_ids(&run.stdout));
    let entries = audit(&site);
    assert_eq!(types(&entries)[0], "REQUEST_SUBMIT");
}

// ---------------------------------------------------------------- fixtures

#[test]
fn generate_workspace_writes_a_readable_workspace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = run_in(
        dir.path(),
        &[
            "fixtures",
            "generate-workspace",
            "ws",
            "--name",
            "bench",
            "--outputs",
            "250",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{run:?}");
    insta::assert_snapshot!("generate_workspace", run.stdout);
    let manifest = dir.path().join("ws/bench/metadata/manifest.json");
    let parsed = airlock_core::workspace::parse_manifest(&std::fs::read(manifest).expect("read"))
        .expect("a valid manifest");
    assert_eq!(parsed.len(), 250);

    let again = run_in(
        dir.path(),
        &["fixtures", "generate-workspace", "ws", "--name", "bench"],
        &[],
    );
    assert_eq!(again.code, 1, "{again:?}");
    assert!(again.stderr.contains("exists already"), "{again:?}");
    let bad = run_in(
        dir.path(),
        &["fixtures", "generate-workspace", "ws", "--name", "../x"],
        &[],
    );
    assert_eq!(bad.code, 2, "a usage error (FMT-1): {bad:?}");
    assert!(!dir.path().join("x").exists());
}

#[test]
fn help_texts_of_operator_commands() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, args) in [
        (
            "help_change_request_status",
            vec!["change-request-status", "--help"],
        ),
        ("help_create_request", vec!["create-request", "--help"]),
        (
            "help_validate_regular",
            vec!["validate-regular-requests", "--help"],
        ),
        (
            "help_run_regular",
            vec!["regular-requests", "run", "--help"],
        ),
        ("help_uploads", vec!["uploads", "--help"]),
        ("help_uploads_retry", vec!["uploads", "retry", "--help"]),
        ("help_notifications", vec!["notifications", "--help"]),
        (
            "help_generate_workspace",
            vec!["fixtures", "generate-workspace", "--help"],
        ),
    ] {
        let run = run_in(dir.path(), &args, &[]);
        assert_eq!(run.code, 0, "{name}: {run:?}");
        insta::assert_snapshot!(name, run.stdout);
    }
}

// ---------------------------------------------------------------- uploads, notifications (OPS-5)

/// Times and ids replaced, for snapshots.
fn redact_times(text: &str) -> String {
    let mut out = String::new();
    for word in text.split_inclusive(' ') {
        let bare = word.trim_end();
        let value = bare.split_once('=').map_or(bare, |(_, v)| v);
        if value.len() == 20 && value.ends_with('Z') && value.as_bytes().get(10) == Some(&b'T') {
            out.push_str(&word.replace(value, "[TIME]"));
        } else {
            out.push_str(word);
        }
    }
    redact_ids(&out)
}

#[test]
fn ops_5_uploads_and_notifications_list_stuck_work_and_retry_makes_it_due() {
    use airlock_core::VoteStatus;
    use airlock_store::config::Config;
    use airlock_store::store::Store;
    let fixtures = fixtures();
    let config = format!(
        "work_dir = \"work\"\nrequest_dir = \"work/requests\"\nworkspace_dir = {:?}\n\
         dev_users_file = {:?}\nupload_stuck_after = 2\n",
        fixtures.join("workspaces"),
        fixtures.join("users.json"),
    );
    let site = Site::with_config(&config);
    assert_eq!(site.run(&["migrate"]).code, 0);
    let run = site.run(&[
        "create-request",
        "diabetes-outcomes",
        "output/monthly",
        "--username",
        "researcher_1",
        "--context",
        "Monthly counts",
        "--controls",
        "Rounded to 5",
        "--submit",
        "--json",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let id = json(&run)["request_id"].as_str().expect("id").to_string();
    let nothing = site.run(&["uploads", "--stuck"]);
    assert_eq!(
        (nothing.code, nothing.stdout.as_str()),
        (0, "No stuck uploads.\n")
    );

    // Two checkers approve and one releases (the store's commit, as after the Jobs site's 201).
    // Relative paths in the file resolve against the site, where the binary runs.
    let mut loaded = Config::load(&site.root.join("airlock.toml")).expect("config");
    loaded.work_dir = site.root.join("work");
    loaded.request_dir = site.root.join("work/requests");
    loaded.database_url = airlock_store::config::DatabaseUrl::new(site.db_path().to_string_lossy());
    let store = Store::open(&loaded).expect("store");
    let users = loaded.load_users().expect("users").expect("a users file");
    let checkers: Vec<_> = ["output_checker_1", "output_checker_2"]
        .iter()
        .map(|n| users.user(n).expect("checker").clone())
        .collect();
    let outputs: Vec<String> = store
        .get_request_state(&checkers[0], &id)
        .expect("state")
        .output_files()
        .map(|f| f.relpath.clone())
        .collect();
    for checker in &checkers {
        store.save_user(checker).expect("user");
        for path in &outputs {
            store
                .act(
                    checker,
                    Target::Request(&id),
                    &Action::Vote {
                        path: path.to_string(),
                        vote: VoteStatus::Approved,
                    },
                )
                .expect("vote");
        }
        store
            .act(checker, Target::Request(&id), &Action::SubmitReview)
            .expect("review");
    }
    airlock_store::testing::record_release(&store, &checkers[0], &id).expect("released");
    let pending = site.run(&["uploads", "--json"]);
    assert_eq!(pending.code, 0, "{pending:?}");
    let listed = json(&pending);
    assert_eq!(
        listed["files"].as_array().map(Vec::len),
        Some(outputs.len())
    );
    assert_eq!(listed["files"][0]["attempts"], 0);

    // Each file fails twice (a retry makes it due again in between): stuck.
    let fail_all = |error: &str| {
        for path in &outputs {
            store
                .claim_upload(&id, path, std::time::Duration::from_secs(60))
                .expect("claim")
                .expect("due");
            store
                .act_upload(
                    &id,
                    &UploadStep::Failed {
                        path: path.to_string(),
                        error: error.to_string(),
                        unit_random: 0.5,
                    },
                )
                .expect("failed");
        }
    };
    fail_all("HTTP 503: unavailable");
    let retry = site.run(&["uploads", "retry", &id]);
    assert_eq!(retry.code, 0, "{retry:?}");
    insta::assert_snapshot!("uploads_retry", redact_ids(&retry.stdout));
    fail_all("HTTP 403: User lacks permission\nto release");
    let stuck = site.run(&["uploads", "--stuck"]);
    assert_eq!(stuck.code, 1, "{stuck:?}");
    insta::assert_snapshot!("uploads_stuck", redact_times(&stuck.stdout));
    let unknown = site.run(&["uploads", "retry", "01ZZZZZZZZZZZZZZZZZZZZZZZZ"]);
    assert_eq!(unknown.code, 1);
    assert!(unknown.stderr.contains("not_found"), "{unknown:?}");

    // Notifications: nothing delivered (no worker ran); none stuck until attempts fail.
    let undelivered = site.run(&["notifications", "--json"]);
    let events: Vec<String> = json(&undelivered)
        .as_array()
        .expect("array")
        .iter()
        .map(|n| n["event_type"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        events,
        [
            "request_submitted",
            "request_partially_reviewed",
            "request_reviewed",
            "request_approved"
        ]
    );
    let none = site.run(&["notifications", "--stuck"]);
    assert_eq!(
        (none.code, none.stdout.as_str()),
        (0, "No stuck notifications.\n")
    );
    for _ in 0..2 {
        let claimed = store
            .claim_notifications(std::time::Duration::ZERO, 16)
            .expect("claim");
        assert_eq!(claimed.len(), 1, "one row per request is due");
        let entry = &claimed[0];
        store
            .notification_failed(entry.id, "network error: connection refused", 0.0)
            .expect("failed");
        // Due again at once for the test.
        let mut conn = site.migrated_db();
        diesel::RunQueryDsl::execute(
            diesel::sql_query("UPDATE notifications SET next_attempt_at = NULL"),
            &mut conn,
        )
        .expect("due now");
    }
    let stuck = site.run(&["notifications", "--stuck"]);
    assert_eq!(stuck.code, 1, "{stuck:?}");
    insta::assert_snapshot!("notifications_stuck", redact_times(&stuck.stdout));
}
