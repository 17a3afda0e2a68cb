//! Release to the Jobs site (issue: release, upload worker and notifications), through the API
//! against the Jobs-site double of `jobserver-api.md` §8, with the background worker running in
//! the server's process, on every test database: the lifecycle to RELEASED with the double's
//! record checked field by field (REL-2, API-16 to API-27), and each fault of DBL-9 on the
//! release call, the uploads and the notifications, ending with nothing lost and nothing sent
//! twice.

use crate::support;

use airlock_jobsite_double::{Call, Endpoint, Fault, JobSite};
use airlock_store::testing::{TestDb, test_databases};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use support::flow::{HBA1C, SUMMARY, TABLE1, WS, view, wait_for, wait_for_status};
use support::{At, JOBS_TOKEN, Server, fixture_jobs_site, fixtures, start_with_jobs_site};

const AUTHOR: &str = "researcher_1";
const C1: &str = "output_checker_1";
const C2: &str = "output_checker_2";

/// The two OUTPUT files of [`submitted_request`], by name.
const OUTPUTS: [&str; 2] = [TABLE1, HBA1C];

/// Logged-in tokens of the author and two checkers.
struct People {
    author: String,
    c1: String,
    c2: String,
}

fn people(s: &Server) -> People {
    People {
        author: s.login(AUTHOR),
        c1: s.login(C1),
        c2: s.login(C2),
    }
}

/// A REVIEWED request whose outputs both checkers approved.
fn reviewed_request(s: &Server, p: &People) -> String {
    support::flow::reviewed_request(s, &p.author, &p.c1, &p.c2)
}

/// A fresh double and server on `db`, the people logged in, and a REVIEWED request.
fn reviewed_on(db: TestDb) -> (JobSite, Server, People, String) {
    let site = fixture_jobs_site();
    let s = start_with_jobs_site(db, &site, |_| {});
    let p = people(&s);
    let id = reviewed_request(&s, &p);
    (site, s, p, id)
}

fn release(s: &Server, token: &str, id: &str) -> support::Answer {
    s.api(
        "POST",
        &format!("/requests/{id}/release"),
        Some(token),
        None,
    )
}

/// Waits until the double answered 201 to `event` for request `id`.
fn wait_for_event(s: &Server, site: &JobSite, id: &str, event: &str) {
    let start = Instant::now();
    while !delivered_events(site, id).iter().any(|(e, _)| e == event) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{}: {event} never delivered; calls: {:?}",
            s.db.name(),
            event_calls(site, id)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn event_calls(site: &JobSite, id: &str) -> Vec<Call> {
    site.calls_to(Endpoint::Events)
        .into_iter()
        .filter(|c| c.json().is_some_and(|j| j["request"] == id))
        .collect()
}

/// The notifications the double took (answered 201), in order: event type and payload.
fn delivered_events(site: &JobSite, id: &str) -> Vec<(String, Value)> {
    event_calls(site, id)
        .into_iter()
        .filter(|c| c.status == 201)
        .map(|c| {
            let body = c.json().expect("an event is JSON");
            assert_eq!(
                c.header("os-user"),
                Some(body.at("user").as_str().expect("the event's user")),
                "API-26: OS-User is the acting user"
            );
            let event_type = body.at("event_type").as_str().expect("the event's type");
            (event_type.to_string(), body)
        })
        .collect()
}

fn fixture_bytes(path: &str) -> Vec<u8> {
    std::fs::read(fixtures().join("workspaces").join(WS).join(path)).expect("fixture file")
}

/// Exactly once, with the reviewed bytes, for every output; no SUPPORTING file.
fn assert_each_output_stored_once(s: &Server, site: &JobSite, id: &str) {
    let expected: BTreeMap<String, usize> = OUTPUTS.iter().map(|p| (p.to_string(), 1)).collect();
    assert_eq!(site.stored_counts(), expected, "{}", s.db.name());
    for path in OUTPUTS {
        assert_eq!(
            site.uploaded(id, path),
            Some(fixture_bytes(path)),
            "{}: {path}",
            s.db.name()
        );
    }
    assert_eq!(site.uploaded(id, SUMMARY), None);
    assert!(
        site.contract_failures().is_empty(),
        "{}: {:?}",
        s.db.name(),
        site.contract_failures()
    );
}

fn payload(event: &str, id: &str, user: &str, updates: Value) -> Value {
    json!({"event_type": event, "workspace": WS, "request": id, "request_author": AUTHOR,
           "user": user, "updates": updates, "org": "example-org", "repo": "output-checking"})
}

#[test]
fn rel_2_to_upl_5_a_request_released_through_the_api_reaches_released_on_the_jobs_site() {
    for db in test_databases() {
        let (site, s, p, id) = reviewed_on(db);
        let before = view(&s, &p.c1, &id);

        let answer = release(&s, &p.c1, &id);
        assert_eq!(answer.status, 200, "{}: {}", s.db.name(), answer.json());
        let approved = answer.json();
        assert_eq!(approved["status"], "APPROVED");
        assert_eq!(
            approved["upload"]["released"], 2,
            "UPL-8: y counts released outputs"
        );

        let released = wait_for_status(&s, &p.c1, &id, "RELEASED");
        assert_eq!(
            released["upload"],
            json!({"uploaded": 2, "released": 2, "stuck": []}),
            "UPL-8"
        );
        wait_for_event(&s, &site, &id, "request_released");

        // REL-2 and API-16/17: one release call, as the releasing checker, with exactly the
        // OUTPUT files ordered by name.
        let creates = site.calls_to(Endpoint::CreateRelease);
        assert_eq!(creates.len(), 1, "{}", s.db.name());
        let create = &creates[0];
        assert_eq!(create.path, format!("/api/v2/releases/workspace/{WS}"));
        assert_eq!(create.header("authorization"), Some(JOBS_TOKEN));
        assert_eq!(create.header("os-user"), Some(C1));
        assert_eq!(create.header("content-type"), Some("application/json"));
        assert_eq!(create.header("accept"), Some("application/json"));
        let body = create.json().expect("JSON body");
        let meta = json!({"tool": "airlock", "airlock_id": id});
        let mut files: Vec<Value> = Vec::new();
        for path in [TABLE1, HBA1C] {
            let shown = support::flow::file(&before, path);
            let date = body["files"][files.len()]["date"].clone();
            let parsed = date
                .as_str()
                .and_then(|d| chrono::DateTime::parse_from_rfc3339(d).ok());
            assert!(
                parsed.is_some() && date.as_str().is_some_and(|d| d.ends_with("+00:00")),
                "API-17 date: {date}"
            );
            files.push(json!({"name": path, "url": path, "size": shown["size"],
                              "sha256": shown["sha256"], "date": date, "metadata": meta,
                              "review": null}));
        }
        assert_eq!(
            body,
            json!({"files": files, "metadata": meta, "review": null}),
            "{}",
            s.db.name()
        );

        // API-21 to API-23: one upload per file, streamed with its length, as the releaser.
        for call in site.calls_to(Endpoint::Upload) {
            assert_eq!(call.path, format!("/api/v2/releases/release/{id}"));
            assert_eq!(call.header("os-user"), Some(C1));
            assert_eq!(
                call.header("content-type"),
                Some("application/octet-stream")
            );
            assert_eq!(
                call.header("content-length"),
                Some(call.body.len().to_string().as_str())
            );
            assert_eq!(call.header("transfer-encoding"), None, "never chunked");
            assert_eq!(call.header("authorization"), Some(JOBS_TOKEN));
        }
        assert_each_output_stored_once(&s, &site, &id);

        // NOT-1 to NOT-3 and API-26/27: every status change, in order, exact payloads.
        let events = delivered_events(&site, &id);
        assert_eq!(
            events
                .iter()
                .map(|(_, body)| body.clone())
                .collect::<Vec<_>>(),
            vec![
                payload("request_submitted", &id, AUTHOR, Value::Null),
                payload("request_partially_reviewed", &id, C1, Value::Null),
                payload("request_reviewed", &id, C2, Value::Null),
                payload(
                    "request_approved",
                    &id,
                    C1,
                    json!([{"update": "2 files will be uploaded"}])
                ),
                payload("request_released", &id, C1, Value::Null),
            ],
            "{}",
            s.db.name()
        );
        assert_eq!(event_calls(&site, &id).len(), 5, "each sent once");

        // AUD: the release and the uploads are in the request's activity.
        let audit = s.api("GET", &format!("/requests/{id}/audit"), Some(&p.c1), None);
        let types: Vec<String> = audit
            .json()
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["type"].as_str().map(str::to_string))
            .collect();
        for kind in [
            "REQUEST_FILE_RELEASE",
            "REQUEST_FILE_UPLOAD",
            "REQUEST_RELEASE",
        ] {
            assert!(types.iter().any(|t| t == kind), "{kind} in {types:?}");
        }
        // A RELEASED request cannot be released again (REL-1).
        let again = release(&s, &p.c1, &id);
        assert_eq!(
            (again.status, again.code().as_str()),
            (409, "invalid_transition")
        );
    }
}

#[test]
fn rel_3_a_refused_or_failed_release_call_changes_nothing_and_says_why() {
    for db in test_databases() {
        let (site, s, p, id) = reviewed_on(db);
        let before = view(&s, &p.c1, &id);
        let faults = [
            (
                Fault::Status(403, r#"{"detail": "Invalid user"}"#.into()),
                "jobs_site_forbidden",
            ),
            (Fault::Status(500, "boom".into()), "release_failed"),
            (
                Fault::Status(404, r#"{"detail": "Not found."}"#.into()),
                "release_failed",
            ),
            (Fault::Stall(Duration::from_secs(3)), "release_failed"),
            (Fault::Drop, "release_failed"),
        ];
        for (fault, code) in faults {
            site.inject(Endpoint::CreateRelease, fault.clone(), 1);
            let answer = release(&s, &p.c1, &id);
            assert_eq!(
                (answer.status, answer.code().as_str()),
                (409, code),
                "{}: {fault:?}: {}",
                s.db.name(),
                answer.json()
            );
            assert!(
                answer.json()["error"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("nothing was released")),
                "{}",
                answer.json()
            );
            assert_eq!(view(&s, &p.c1, &id), before, "{}: {fault:?}", s.db.name());
        }
        assert!(site.calls_to(Endpoint::Upload).is_empty());
        assert!(
            !delivered_events(&site, &id)
                .iter()
                .any(|(e, _)| e == "request_approved")
        );
        // UPL-9: pressing Release again once the Jobs site is back completes it.
        let answer = release(&s, &p.c2, &id);
        assert_eq!(answer.status, 200, "{}", answer.json());
        wait_for_status(&s, &p.c1, &id, "RELEASED");
        assert_each_output_stored_once(&s, &site, &id);
    }
}

#[test]
fn upl_4_failed_stalled_and_dropped_uploads_are_retried_and_each_file_is_stored_once() {
    for db in test_databases() {
        let (site, s, p, id) = reviewed_on(db);
        site.inject(
            Endpoint::Upload,
            Fault::Status(500, "{\"detail\": \"oops\"}".into()),
            2,
        );
        site.inject(Endpoint::Upload, Fault::Stall(Duration::from_secs(2)), 1);
        site.inject(Endpoint::Upload, Fault::Drop, 1);
        site.inject(
            Endpoint::Upload,
            Fault::Status(502, "<html>bad gateway</html>".into()),
            1,
        );
        let answer = release(&s, &p.c1, &id);
        assert_eq!(answer.status, 200, "{}", answer.json());
        wait_for_status(&s, &p.c1, &id, "RELEASED");
        wait_for_event(&s, &site, &id, "request_released");
        let uploads = site.calls_to(Endpoint::Upload);
        assert_eq!(
            uploads.len(),
            7,
            "{}: 5 faults and 2 successes",
            s.db.name()
        );
        assert_each_output_stored_once(&s, &site, &id);
    }
}

#[test]
fn not_5_notifications_wait_out_an_outage_in_order_and_never_fail_the_action() {
    for db in test_databases() {
        let site = fixture_jobs_site();
        let s = start_with_jobs_site(db, &site, |_| {});
        let p = people(&s);
        site.inject(Endpoint::Events, Fault::Status(503, "down".into()), 4);
        site.inject(Endpoint::Events, Fault::Drop, 1);
        site.inject(Endpoint::Events, Fault::Stall(Duration::from_secs(2)), 1);
        site.inject(
            Endpoint::Events,
            Fault::Status(403, r#"{"detail": "Invalid token"}"#.into()),
            1,
        );
        // NOT-6: every action succeeds while the endpoint is down.
        let id = reviewed_request(&s, &p);
        let answer = release(&s, &p.c1, &id);
        assert_eq!(answer.status, 200, "{}", answer.json());
        wait_for_status(&s, &p.c1, &id, "RELEASED");
        wait_for_event(&s, &site, &id, "request_released");
        let events: Vec<String> = delivered_events(&site, &id)
            .into_iter()
            .map(|(e, _)| e)
            .collect();
        assert_eq!(
            events,
            [
                "request_submitted",
                "request_partially_reviewed",
                "request_reviewed",
                "request_approved",
                "request_released"
            ],
            "{}: each delivered once, in order",
            s.db.name()
        );
        assert_eq!(
            event_calls(&site, &id).len(),
            5 + 7,
            "5 deliveries after 7 faults"
        );
        assert!(
            s.store
                .undelivered_notifications()
                .expect("outbox")
                .is_empty()
        );
        assert!(
            site.contract_failures().is_empty(),
            "{:?}",
            site.contract_failures()
        );
    }
}

#[test]
fn upl_7_stuck_files_are_shown_to_checkers_and_rel_5_and_retry_unstick_them() {
    for db in test_databases() {
        let (site, s, p, id) = reviewed_on(db);
        site.inject(
            Endpoint::Upload,
            Fault::Status(403, r#"{"detail": "User lacks permission"}"#.into()),
            100_000,
        );
        assert_eq!(release(&s, &p.c1, &id).status, 200);
        let stuck = wait_for(&s, &p.c1, &id, "stuck", |v| {
            v["upload"]["stuck"]
                .as_array()
                .is_some_and(|a| a.len() == 2)
        });
        let first = &stuck["upload"]["stuck"][0];
        assert_eq!(first["path"], TABLE1, "by path");
        assert!(
            first["attempts"].as_i64().is_some_and(|a| a >= 3),
            "{first}"
        );
        assert!(
            first["last_error"]
                .as_str()
                .is_some_and(|e| e.contains("HTTP 403") && e.contains("User lacks permission")),
            "{first}"
        );
        assert!(first["last_attempt_at"].is_string());
        // The author sees the progress, not the stuck files (UPL-7: reviewers).
        let seen_by_author = view(&s, &p.author, &id);
        assert_eq!(seen_by_author["upload"]["stuck"], json!([]));
        // The Reviews listing of another checker shows them too.
        let reviews = s.api("GET", "/reviews", Some(&p.c2), None).json();
        let entry = reviews["approved"]
            .as_array()
            .and_then(|a| a.iter().find(|e| e["id"] == id))
            .cloned()
            .unwrap_or_else(|| panic!("{id} is not among the approved: {reviews}"));
        assert_eq!(
            entry["stuck_files"].as_array().map(Vec::len),
            Some(2),
            "{reviews}"
        );
        // And the operator's listing (OPS-5).
        let listed = s.store.stuck_uploads().expect("stuck");
        assert_eq!(listed.len(), 2);

        // REL-5: a re-trigger by another checker repeats the release call, keeps the status,
        // queues no notification.
        let approved_events = || {
            delivered_events(&site, &id)
                .iter()
                .filter(|(e, _)| e == "request_approved")
                .count()
        };
        wait_for_event(&s, &site, &id, "request_approved");
        let answer = release(&s, &p.c2, &id);
        assert_eq!(answer.status, 200, "{}", answer.json());
        assert_eq!(answer.json()["status"], "APPROVED");
        assert_eq!(site.calls_to(Endpoint::CreateRelease).len(), 2);
        assert_eq!(
            site.calls_to(Endpoint::CreateRelease)
                .iter()
                .map(|c| c.status)
                .collect::<Vec<_>>(),
            [201, 201],
            "API-18: the same files again"
        );
        // The Jobs site is fixed; the operator's retry makes the files due now.
        site.clear_faults();
        assert_eq!(s.store.retry_uploads(&id).expect("retry"), 2);
        let released = wait_for_status(&s, &p.c1, &id, "RELEASED");
        assert_eq!(released["upload"]["stuck"], json!([]));
        assert_each_output_stored_once(&s, &site, &id);
        assert_eq!(approved_events(), 1, "REL-5 sends no notification");
    }
}

#[test]
fn upl_2_a_blob_changed_on_disk_is_never_sent_and_is_stuck_at_once() {
    for db in test_databases() {
        let (site, s, p, id) = reviewed_on(db);
        let shown = view(&s, &p.c1, &id);
        let sha = support::flow::file(&shown, TABLE1)["sha256"]
            .as_str()
            .expect("sha")
            .to_string();
        let blob = s
            .config
            .work_dir
            .join("requests")
            .join(WS)
            .join(&id)
            .join(&sha);
        let original = std::fs::read(&blob).expect("stored blob");
        let mut tampered = original.clone();
        tampered[0] ^= 0x20;
        std::fs::write(&blob, &tampered).expect("tamper");
        // Within the file system's timestamp granularity a rewrite could keep the blob's
        // mtime, and with it the seal the worker trusts: set it apart, as a later edit has it.
        let file = std::fs::File::options()
            .write(true)
            .open(&blob)
            .expect("open");
        let mtime = file.metadata().and_then(|m| m.modified()).expect("mtime");
        file.set_modified(mtime - Duration::from_secs(60))
            .expect("set mtime");

        assert_eq!(release(&s, &p.c1, &id).status, 200);
        let stuck = wait_for(&s, &p.c1, &id, "stuck", |v| {
            v["upload"]["stuck"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
        });
        assert_eq!(stuck["upload"]["stuck"][0]["path"], TABLE1);
        let error = stuck["upload"]["stuck"][0]["last_error"]
            .as_str()
            .unwrap_or_default();
        assert!(
            error.contains("changed on disk") && error.contains(&sha),
            "{error}"
        );
        assert!(
            site.calls_to(Endpoint::Upload).iter().all(|c| !c
                .header("content-disposition")
                .is_some_and(|d| d.contains(TABLE1))),
            "the changed blob was never sent"
        );
        // Restored, it goes out on the operator's retry.
        std::fs::write(&blob, &original).expect("restore");
        s.store.retry_uploads(&id).expect("retry");
        wait_for_status(&s, &p.c1, &id, "RELEASED");
        assert_each_output_stored_once(&s, &site, &id);
    }
}
