//! Authentication over HTTP (`api.md` §2) and bad input (`api.md` §1): every malformed body,
//! path, method or route answers a clear 4xx with a code, changes nothing, and nothing answers
//! 500.

use crate::support;

use proptest::prelude::*;
use serde_json::json;
use support::{At, Server, servers, start};

#[test]
fn api_2_login_tokens_and_logout() {
    for s in servers() {
        let failed = s.api(
            "POST",
            "/session",
            None,
            Some(json!({"user": "researcher_1", "token": "wrong"})),
        );
        assert_eq!(
            (failed.status, failed.code().as_str()),
            (401, "login_failed")
        );
        let missing = s.api("GET", "/me", None, None);
        assert_eq!(
            (missing.status, missing.code().as_str()),
            (401, "unauthenticated")
        );
        let unknown = s.api("GET", "/me", Some("0123456789abcdef"), None);
        assert_eq!(
            (unknown.status, unknown.code().as_str()),
            (401, "unauthenticated")
        );

        let token = s.login("researcher_1");
        let me = s.api("GET", "/me", Some(&token), None);
        assert_eq!(me.status, 200);
        assert_eq!(me.json()["username"], "researcher_1");
        assert!(
            me.json()["workspaces"]["diabetes-outcomes"]["project_details"]["ongoing"].is_boolean()
        );
        // Never from a cookie (api.md §2): a valid token sent as a cookie is not a login.
        let cookie = ureq::get(&format!("{}/api/v1/me", s.url))
            .set(
                "Cookie",
                &format!("airlock-sessionid={token}; token={token}"),
            )
            .call();
        match cookie {
            Err(ureq::Error::Status(status, _)) => assert_eq!(status, 401),
            other => panic!("a token in a cookie was accepted: {other:?}"),
        }
        assert_eq!(s.api("DELETE", "/session", Some(&token), None).status, 204);
        let revoked = s.api("GET", "/me", Some(&token), None);
        assert_eq!(
            (revoked.status, revoked.code().as_str()),
            (401, "unauthenticated")
        );
    }
}

#[test]
fn api_1_malformed_bodies_answer_bad_request_and_change_nothing() {
    for s in servers() {
        let token = s.login("researcher_1");
        let add = "/api/v1/workspaces/diabetes-outcomes/request/files";
        for body in [
            &b"{not json"[..],
            br#"{"group": 3, "files": []}"#,
            br#"{"group": "g", "files": [{"path": "output/table1.csv", "filetype": "EXECUTABLE"}]}"#,
            br#"{"files": []}"#,
            br#"{"group": "g", "files": [], "extra": true}"#,
            br#"[1, 2]"#,
        ] {
            let answer = s.raw("POST", add, Some(&token), Some(body));
            assert_eq!((answer.status, answer.code().as_str()), (400, "bad_request"), "{}", String::from_utf8_lossy(body));
            assert!(answer.json()["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
        let huge = format!(
            r#"{{"group": "g", "files": [], "pad": "{}"}}"#,
            "x".repeat(1024 * 1024)
        );
        let answer = s.raw("POST", add, Some(&token), Some(huge.as_bytes()));
        assert_eq!(answer.status, 413);
        assert_eq!(answer.code(), "bad_request");
        // Nothing was created.
        let current = s.api(
            "GET",
            "/workspaces/diabetes-outcomes/request",
            Some(&token),
            None,
        );
        assert_eq!(
            (current.status, current.code().as_str()),
            (404, "not_found")
        );
    }
}

#[test]
fn api_1_unknown_routes_methods_and_traversal_paths_answer_4xx_with_a_code() {
    for s in servers() {
        let token = s.login("output_checker_1");
        let unknown = s.api("GET", "/nope", Some(&token), None);
        assert_eq!(
            (unknown.status, unknown.code().as_str()),
            (404, "not_found")
        );
        let wrong_method = s.api("PATCH", "/workspaces", Some(&token), None);
        assert!(
            (400..500).contains(&wrong_method.status),
            "{}",
            wrong_method.status
        );
        assert!(!wrong_method.code().is_empty());
        for path in [
            "/api/v1/requests/r1/files/output/%2e%2e/etc/passwd/content",
            "/api/v1/requests/r1/files/output/..%2Fsecret.csv/content",
            "/api/v1/requests/r1/files/%2Fetc%2Fpasswd/content",
            "/api/v1/requests/r1/files/output%5Ca.csv/content",
            "/api/v1/requests/r1/files/output/a%00.csv/content",
        ] {
            let answer = s.exact_get(path, Some(&token));
            assert_eq!(
                (answer.status, answer.code().as_str()),
                (400, "bad_path"),
                "{path}"
            );
        }
        let bad_status = s.api(
            "GET",
            "/workspaces/diabetes-outcomes/requests?status=DONE",
            Some(&token),
            None,
        );
        assert_eq!(
            (bad_status.status, bad_status.code().as_str()),
            (400, "bad_request")
        );
        for query in [
            "requests?limit=0",
            "requests?limit=abc",
            "files?offset=-1",
            "files?limit=1001",
            "files?offset=x",
        ] {
            let path = format!("/workspaces/diabetes-outcomes/{query}");
            let bad_page = s.api("GET", &path, Some(&token), None);
            assert_eq!(
                (bad_page.status, bad_page.code().as_str()),
                (400, "bad_request"),
                "{query}"
            );
        }
        let none = s.api("GET", "/workspaces/no-such-ws/files", Some(&token), None);
        assert_eq!((none.status, none.code().as_str()), (404, "not_found"));
    }
}

#[test]
fn fmt_1_web_6_every_route_with_a_workspace_name_answers_404_for_a_bad_or_unknown_one() {
    for s in servers() {
        // A checker may view every workspace, and a researcher has roles: neither may reach a
        // workspace that is not a directory of workspace_dir, whatever the name holds.
        let users = [s.login("output_checker_1"), s.login("researcher_1")];
        let add =
            json!({"group": "g", "files": [{"path": "output/table1.csv", "filetype": "OUTPUT"}]});
        let update = json!({"paths": ["output/table1.csv"]});
        for ws in [
            "no-such-workspace",
            "..",
            "%2e%2e",
            ".",
            ".hidden",
            "a%2Fb",
            "a%5Cb",
            "%00",
        ] {
            for token in &users {
                for (method, route, body) in [
                    ("GET", "files", None),
                    ("GET", "request", None),
                    ("GET", "requests", None),
                    ("POST", "request/files", Some(&add)),
                    ("POST", "request/files/update", Some(&update)),
                ] {
                    let target = format!("/api/v1/workspaces/{ws}/{route}");
                    let answer = s.exact(method, &target, Some(token), body);
                    assert_eq!(
                        (answer.status, answer.code().as_str()),
                        (404, "not_found"),
                        "{method} {target}: {:?}",
                        answer.json()
                    );
                }
            }
        }
        // Nothing was created on the way.
        let mine = s.api(
            "GET",
            "/workspaces/diabetes-outcomes/request",
            Some(&users[1]),
            None,
        );
        assert_eq!(mine.status, 404);
    }
}

#[test]
fn every_answer_carries_the_security_headers() {
    let s = servers().remove(0);
    let answer = s.raw("GET", "/healthz", None, None);
    assert_eq!(answer.status, 200);
    assert!(
        answer
            .header("content-security-policy")
            .is_some_and(|v| v.contains("default-src 'none'"))
    );
    assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
}

/// One server for the fuzz test, started once.
fn fuzz_server() -> &'static (Server, String) {
    static SERVER: std::sync::OnceLock<(Server, String)> = std::sync::OnceLock::new();
    SERVER.get_or_init(|| {
        let db = airlock_store::testing::test_databases().remove(0);
        let server = start(db);
        let token = server.login("output_checker_1");
        (server, token)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// api.md §1: random methods, paths and bodies never produce a 500 (or a panic).
    #[test]
    fn random_requests_never_answer_500(
        method in prop_oneof![Just("GET"), Just("POST"), Just("PUT"), Just("PATCH"), Just("DELETE")],
        segments in proptest::collection::vec(
            prop_oneof![
                Just("requests".to_string()), Just("workspaces".to_string()),
                Just("files".to_string()), Just("vote".to_string()), Just("groups".to_string()),
                Just("diabetes-outcomes".to_string()), Just("%2e%2e".to_string()),
                Just("%00".to_string()), "[a-zA-Z0-9._%-]{1,12}",
            ],
            0..6,
        ),
        body in proptest::option::of(prop_oneof![
            Just(b"{}".to_vec()),
            Just(br#"{"vote": "APPROVED"}"#.to_vec()),
            Just(br#"{"group": "g", "files": [{"path": "../x", "filetype": "OUTPUT"}]}"#.to_vec()),
            proptest::collection::vec(any::<u8>(), 0..64),
        ]),
        authenticated in any::<bool>(),
    ) {
        let (server, token) = fuzz_server();
        let path = format!("/api/v1/{}", segments.join("/"));
        let answer = server.exact_bytes(method, &path, authenticated.then_some(token.as_str()), body.as_deref());
        prop_assert!(answer.status < 500, "{method} {path} answered {}: {}", answer.status, String::from_utf8_lossy(&answer.body));
        if answer.status >= 400 {
            prop_assert!(!answer.code().is_empty(), "{method} {path}: no code");
        }
    }
}

#[test]
fn a_broken_manifest_or_paths_outside_the_workspace_never_hurt() {
    for db in airlock_store::testing::test_databases() {
        let root = tempfile::tempdir().expect("tempdir");
        // FMT-6: a manifest that is not JSON shows no outputs.
        let broken = root.path().join("broken");
        std::fs::create_dir_all(broken.join("metadata")).expect("dir");
        std::fs::create_dir_all(broken.join("output")).expect("dir");
        std::fs::write(broken.join("metadata/manifest.json"), "{not json").expect("manifest");
        std::fs::write(broken.join("output/a.csv"), "a\n1\n").expect("output");
        // FMT-5: keys that leave the workspace are ignored; the valid one is shown.
        let outside = root.path().join("outside");
        std::fs::create_dir_all(outside.join("metadata")).expect("dir");
        std::fs::create_dir_all(outside.join("output")).expect("dir");
        std::fs::write(outside.join("output/ok.csv"), "a\n1\n").expect("output");
        let entry = serde_json::json!({"level": "moderately_sensitive", "job_id": "j", "repo": "r",
            "commit": "c", "size": 4, "timestamp": 1.0,
            "content_hash": "ab".repeat(32)});
        let manifest = serde_json::json!({"workspace": "outside", "repo": null, "outputs": {
            "../../etc/passwd": entry, "/abs.csv": entry, "output\\\\b.csv": entry,
            "output/ok.csv": entry,
            // FMT-7: a malformed shown entry and a bare highly sensitive one hide nothing.
            "output/no-size.csv": {"level": "moderately_sensitive", "timestamp": 1.0,
                                   "content_hash": "cd".repeat(32)},
            "output/data.arrow": {"level": "highly_sensitive", "content_hash": "content"}}});
        std::fs::write(outside.join("metadata/manifest.json"), manifest.to_string())
            .expect("manifest");
        let users = std::fs::read(support::fixtures().join("users.json")).expect("users");
        let directory = airlock_store::auth::Directory::UsersFile(std::sync::Arc::new(
            airlock_core::users_file::parse_users_file(&users).expect("valid"),
        ));
        let dir = root.path().to_path_buf();
        let s = support::start_configured(db, directory, move |config| {
            config.workspace_dir = dir;
        });
        let checker = s.login("output_checker_1");
        let paths = |ws: &str| -> Vec<String> {
            let answer = s.api(
                "GET",
                &format!("/workspaces/{ws}/files"),
                Some(&checker),
                None,
            );
            assert_eq!(answer.status, 200, "{ws}: {}", answer.json());
            answer
                .json()
                .as_array()
                .expect("a list of files")
                .iter()
                .map(|f| f.at("path").as_str().expect("a path").to_string())
                .collect()
        };
        assert!(!paths("broken").contains(&"output/a.csv".to_string()));
        assert_eq!(
            paths("outside")
                .into_iter()
                .filter(|p| !p.starts_with("metadata/"))
                .collect::<Vec<_>>(),
            ["output/ok.csv"]
        );
    }
}
