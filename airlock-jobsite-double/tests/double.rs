//! The double answers as `jobserver-api.md` §8 says, over real HTTP.

use airlock_jobsite_double::{DoubleConfig, DoubleUser, Endpoint, Fault, JobSite};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::time::Duration;

const TOKEN: &str = "backend-token";

fn site() -> JobSite {
    JobSite::start(
        DoubleConfig::new(TOKEN)
            .with_user(DoubleUser::new(
                json!({"username": "checker1", "output_checker": true}),
                "t",
                &["ws", "gone"],
            ))
            .with_user(DoubleUser::new(json!({"username": "jsmith"}), "t", &[]))
            .with_workspaces(&["ws"]),
    )
    .expect("starts")
}

/// Status and JSON body of a POST.
fn post(site: &JobSite, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, Value) {
    let mut request =
        ureq::post(&format!("{}{path}", site.endpoint())).timeout(Duration::from_secs(5));
    for (name, value) in headers {
        request = request.set(name, value);
    }
    let response = match request.send_bytes(body) {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("transport: {e}"),
    };
    let status = response.status();
    let text = response.into_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

const JSON: [(&str, &str); 3] = [
    ("Authorization", TOKEN),
    ("Content-Type", "application/json"),
    ("Accept", "application/json"),
];

fn with_user<'a>(user: &'a str, base: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut headers = base.to_vec();
    headers.push(("OS-User", user));
    headers
}

fn release_json(content: &[u8]) -> Value {
    let sha = hex::encode(Sha256::digest(content));
    let meta = json!({"tool": "airlock", "airlock_id": "01JREQ"});
    json!({"files": [{"name": "output/a.csv", "url": "output/a.csv", "size": content.len(),
                      "sha256": sha, "date": "2025-03-05T15:35:04.120391+00:00",
                      "metadata": meta, "review": null}],
           "metadata": meta, "review": null})
}

#[test]
fn dbl_2_every_endpoint_wants_the_raw_backend_token() {
    let site = site();
    let body = br#"{"user": "jsmith"}"#;
    for auth in ["", "Bearer backend-token", "other"] {
        let headers = [("Authorization", auth), ("Accept", "application/json")];
        let (status, answer) = post(&site, "/releases/authorise", &headers, body);
        assert_eq!((status, answer), (403, json!({"detail": "Invalid token"})));
    }
    let (status, _) = post(&site, "/releases/authorise", &JSON, body);
    assert_eq!(status, 200);
}

#[test]
fn dbl_3_and_4_login_and_authorise() {
    let site = site();
    let login = br#"{"user": "jsmith@example.org", "token": "t"}"#;
    assert_eq!(post(&site, "/releases/authenticate", &JSON, login).0, 200);
    assert_eq!(
        post(&site, "/releases/authenticate", &JSON, login).0,
        403,
        "used once"
    );
    assert_eq!(post(&site, "/releases/authenticate", &JSON, b"{}").0, 400);
    assert_eq!(
        post(&site, "/releases/authorise", &JSON, br#"{"user": "x"}"#).0,
        404
    );
    site.set_disabled("jsmith", true);
    assert_eq!(
        post(
            &site,
            "/releases/authorise",
            &JSON,
            br#"{"user": "jsmith"}"#
        )
        .0,
        403
    );
    assert!(site.contract_failures().is_empty());
}

#[test]
fn dbl_5_and_6_release_then_upload_exactly_once() {
    let site = site();
    let content = b"a,b\n1,2\n";
    let release = release_json(content).to_string();
    let as_checker = with_user("checker1", &JSON);
    let (status, answer) = post(
        &site,
        "/releases/workspace/ws",
        &as_checker,
        release.as_bytes(),
    );
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["release_id"], "01JREQ");
    // Same files again: 201; a different set: 500.
    assert_eq!(
        post(
            &site,
            "/releases/workspace/ws",
            &as_checker,
            release.as_bytes()
        )
        .0,
        201
    );
    let other = release_json(b"other").to_string();
    assert_eq!(
        post(
            &site,
            "/releases/workspace/ws",
            &as_checker,
            other.as_bytes()
        )
        .0,
        500
    );
    // DBL-5 checks the acting user first: 404 needs a user allowed on an unknown workspace.
    assert_eq!(
        post(
            &site,
            "/releases/workspace/nope",
            &as_checker,
            release.as_bytes()
        )
        .0,
        403
    );
    assert_eq!(
        post(
            &site,
            "/releases/workspace/gone",
            &as_checker,
            release.as_bytes()
        )
        .0,
        404
    );
    let as_researcher = with_user("jsmith", &JSON);
    assert_eq!(
        post(
            &site,
            "/releases/workspace/ws",
            &as_researcher,
            release.as_bytes()
        )
        .0,
        403
    );

    let upload = |name_header: &str, body: &[u8]| {
        let headers = [
            ("Authorization", TOKEN),
            ("OS-User", "checker1"),
            ("Content-Type", "application/octet-stream"),
            ("Content-Disposition", name_header),
            ("Accept", "application/json"),
        ];
        post(&site, "/releases/release/01JREQ", &headers, body)
    };
    let (status, answer) = upload("attachment; filename=\"output/a.csv\"", b"a,b\n1,3\n");
    assert_eq!(status, 400);
    assert!(
        answer["detail"]
            .as_str()
            .is_some_and(|d| d.contains("does not match"))
    );
    assert_eq!(
        upload("attachment; filename=\"output/b.csv\"", content).0,
        400
    );
    assert_eq!(
        upload("attachment; filename*=UTF-8''output%2Fa.csv", content).0,
        201
    );
    let (status, answer) = upload("attachment; filename=\"output/a.csv\"", content);
    assert_eq!(status, 400);
    assert!(
        answer["detail"]
            .as_str()
            .is_some_and(|d| d.contains("already been uploaded"))
    );
    assert_eq!(
        site.uploaded("01JREQ", "output/a.csv").as_deref(),
        Some(&content[..])
    );
    assert!(
        site.contract_failures().is_empty(),
        "{:?}",
        site.contract_failures()
    );
}

#[test]
fn dbl_7_a_bad_event_is_a_contract_failure() {
    let site = site();
    let event = json!({"event_type": "request_submitted", "workspace": "ws", "request": "r",
                       "request_author": "jsmith", "user": "jsmith", "updates": null});
    let headers = with_user("jsmith", &JSON);
    let (status, answer) = post(
        &site,
        "/airlock/events/",
        &headers,
        event.to_string().as_bytes(),
    );
    assert_eq!((status, answer), (201, json!({"status": "ok"})));
    assert!(site.contract_failures().is_empty());
    let wrong_user = with_user("checker1", &JSON);
    let (status, answer) = post(
        &site,
        "/airlock/events/",
        &wrong_user,
        event.to_string().as_bytes(),
    );
    assert_eq!((status, answer["status"].as_str()), (201, Some("error")));
    assert_eq!(site.contract_failures().len(), 1);
}

#[test]
fn dbl_8_and_9_calls_are_recorded_and_faults_injected() {
    let site = site();
    site.inject(
        Endpoint::Authorise,
        Fault::Status(502, r#"{"detail": "down"}"#.into()),
        2,
    );
    let body = br#"{"user": "jsmith"}"#;
    assert_eq!(post(&site, "/releases/authorise", &JSON, body).0, 502);
    assert_eq!(post(&site, "/releases/authorise", &JSON, body).0, 502);
    assert_eq!(post(&site, "/releases/authorise", &JSON, body).0, 200);
    site.inject(Endpoint::Authorise, Fault::Drop, 1);
    let dropped = ureq::post(&format!("{}/releases/authorise", site.endpoint()))
        .set("Authorization", TOKEN)
        .send_bytes(body);
    assert!(matches!(dropped, Err(ureq::Error::Transport(_))));
    let calls = site.calls_to(Endpoint::Authorise);
    assert_eq!(
        calls.iter().map(|c| c.status).collect::<Vec<_>>(),
        [502, 502, 200, 0]
    );
    assert_eq!(calls[2].header("OS-User"), None);
    assert_eq!(calls[2].body, body);
}

#[test]
fn dbl_9_a_stalled_call_is_counted_while_it_is_held() {
    let site = site();
    site.inject(Endpoint::Authorise, Fault::Stall(Duration::from_secs(2)), 1);
    assert_eq!(site.stalled(), 0);
    let url = format!("{}/releases/authorise", site.endpoint());
    let client = std::thread::spawn(move || {
        ureq::post(&url)
            .set("Authorization", TOKEN)
            .send_bytes(br#"{"user": "jsmith"}"#)
            .is_err()
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while site.calls_to(Endpoint::Authorise).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the call never arrived"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // Counted together with the recorded call, and held until the connection closes.
    assert_eq!(site.stalled(), 1);
    assert!(!client.is_finished());
    assert!(client.join().expect("client"), "no answer, only a close");
    assert_eq!(
        site.stalled(),
        0,
        "released before the client saw the close"
    );
    assert_eq!(site.calls_to(Endpoint::Authorise)[0].status, 0);
}
