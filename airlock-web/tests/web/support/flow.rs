//! The steps of a request's life through the API, shared by the scenario tests.

use super::{At, Server};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

pub const WS: &str = "diabetes-outcomes";
pub const TABLE1: &str = "output/table1.csv";
pub const HBA1C: &str = "output/tables/hba1c_by_region.csv";
pub const SUMMARY: &str = "output/summary.txt";

/// The researcher's request with two outputs and a supporting file in group `tables`, with
/// context and controls, submitted. Answers its id.
pub fn submitted_request(s: &Server, author: &str) -> String {
    let answer = s.api(
        "POST",
        &format!("/workspaces/{WS}/request/files"),
        Some(author),
        Some(json!({"group": "tables", "files": [
            {"path": TABLE1, "filetype": "OUTPUT"},
            {"path": HBA1C, "filetype": "OUTPUT"},
            {"path": SUMMARY, "filetype": "SUPPORTING"}]})),
    );
    assert_eq!(answer.status, 200, "{}", answer.json());
    let body = answer.json();
    assert!(
        body["results"]
            .as_array()
            .is_some_and(|r| r.iter().all(|x| x["ok"] == true)),
        "{body}"
    );
    let id = body["request"]["id"]
        .as_str()
        .expect("request id")
        .to_string();
    assert_eq!(body["request"]["status"], "PENDING");
    let edit = s.api(
        "PUT",
        &format!("/requests/{id}/groups/tables"),
        Some(author),
        Some(json!({"context": "Table 1 and HbA1c by region", "controls": "Counts rounded to 5"})),
    );
    assert_eq!(edit.status, 200, "{}", edit.json());
    let submit = s.api(
        "POST",
        &format!("/requests/{id}/submit"),
        Some(author),
        None,
    );
    assert_eq!(submit.status, 200, "{}", submit.json());
    assert_eq!(submit.json()["status"], "SUBMITTED");
    id
}

/// The groups of a request view; panics when the view has none.
fn groups(view: &Value) -> &[Value] {
    view.at("groups")
        .as_array()
        .unwrap_or_else(|| panic!("groups is not a list: {view}"))
}

/// The file at `path` in a request view; panics when no group holds it.
pub fn file<'a>(view: &'a Value, path: &str) -> &'a Value {
    groups(view)
        .iter()
        .flat_map(|g| g.at("files").as_array().into_iter().flatten())
        .find(|f| f.at("path") == path)
        .unwrap_or_else(|| panic!("{path} is in no group: {view}"))
}

/// The texts of the comments a request view shows, group by group; panics when a group has no
/// comment list or a comment no text.
pub fn comment_texts(view: &Value) -> Vec<String> {
    groups(view)
        .iter()
        .flat_map(|g| {
            g.at("comments")
                .as_array()
                .unwrap_or_else(|| panic!("comments is not a list: {g}"))
        })
        .map(|c| {
            c.at("text")
                .as_str()
                .unwrap_or_else(|| panic!("a comment without text: {c}"))
                .to_string()
        })
        .collect()
}

pub fn vote(s: &Server, token: &str, id: &str, path: &str, vote: &str) {
    let answer = s.api(
        "PUT",
        &format!("/requests/{id}/files/{path}/vote"),
        Some(token),
        Some(json!({"vote": vote})),
    );
    assert_eq!(answer.status, 200, "vote {path}: {}", answer.json());
    // The answer is built from the state the action left, without reading it again: it must
    // be exactly what a fresh read shows.
    assert_eq!(answer.json(), view(s, token, id), "vote {path}");
}

pub fn comment(s: &Server, token: &str, id: &str, text: &str, visibility: &str) -> String {
    let answer = s.api(
        "POST",
        &format!("/requests/{id}/groups/tables/comments"),
        Some(token),
        Some(json!({"text": text, "visibility": visibility})),
    );
    assert_eq!(answer.status, 201, "comment: {}", answer.json());
    answer.json()["id"]
        .as_str()
        .expect("comment id")
        .to_string()
}

pub fn action(s: &Server, token: &str, id: &str, name: &str) -> Value {
    let answer = s.api(
        "POST",
        &format!("/requests/{id}/{name}"),
        Some(token),
        Some(json!({})),
    );
    assert_eq!(answer.status, 200, "{name}: {}", answer.json());
    assert_eq!(
        answer.json(),
        view(s, token, id),
        "{name}: the answer equals a fresh read"
    );
    answer.json()
}

pub fn view(s: &Server, token: &str, id: &str) -> Value {
    let answer = s.api("GET", &format!("/requests/{id}"), Some(token), None);
    assert_eq!(answer.status, 200, "{}", answer.json());
    answer.json()
}

/// The two OUTPUT files of [`submitted_request`].
pub const OUTPUTS: [&str; 2] = [TABLE1, HBA1C];

/// A REVIEWED request of `author` whose outputs both checkers approved.
pub fn reviewed_request(s: &Server, author: &str, c1: &str, c2: &str) -> String {
    let id = submitted_request(s, author);
    for checker in [c1, c2] {
        for path in OUTPUTS {
            vote(s, checker, &id, path, "APPROVED");
        }
        action(s, checker, &id, "review");
    }
    assert_eq!(view(s, c1, &id)["status"], "REVIEWED");
    id
}

/// Polls the request until `done` holds (the worker runs in the background); fails after a
/// minute.
pub fn wait_for(
    s: &Server,
    token: &str,
    id: &str,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let start = Instant::now();
    loop {
        let seen = view(s, token, id);
        if done(&seen) {
            return seen;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{}: still not {what}: {seen}",
            s.db.name()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Polls the request until it has `status`.
pub fn wait_for_status(s: &Server, token: &str, id: &str, status: &str) -> Value {
    wait_for(s, token, id, status, |v| v["status"] == status)
}

/// A request of `researcher_1` in `diabetes-outcomes` brought to `status` through the API,
/// `output_checker_1` and `output_checker_2` reviewing (`output_checker_3` never acts). For
/// APPROVED and RELEASED the server must talk to a Jobs site; APPROVED stays so only while
/// the site refuses the uploads.
pub fn request_in(s: &Server, status: &str) -> String {
    let author = s.login("researcher_1");
    let c1 = s.login("output_checker_1");
    let c2 = s.login("output_checker_2");
    match status {
        "PENDING" | "WITHDRAWN" => {
            let answer = s.api(
                "POST",
                &format!("/workspaces/{WS}/request/files"),
                Some(&author),
                Some(json!({"group": "tables", "files": [
                    {"path": TABLE1, "filetype": "OUTPUT"},
                    {"path": HBA1C, "filetype": "OUTPUT"},
                    {"path": SUMMARY, "filetype": "SUPPORTING"}]})),
            );
            assert_eq!(answer.status, 200, "{}", answer.json());
            let id = answer
                .json()
                .at("request/id")
                .as_str()
                .expect("an id")
                .to_string();
            if status == "WITHDRAWN" {
                assert_eq!(action(s, &author, &id, "withdraw")["status"], "WITHDRAWN");
            }
            id
        }
        "SUBMITTED" => submitted_request(s, &author),
        "PARTIALLY_REVIEWED" => {
            let id = submitted_request(s, &author);
            for path in OUTPUTS {
                vote(s, &c1, &id, path, "APPROVED");
            }
            action(s, &c1, &id, "review");
            id
        }
        "REVIEWED" => reviewed_request(s, &author, &c1, &c2),
        "RETURNED" | "REJECTED" => {
            let id = reviewed_request(s, &author, &c1, &c2);
            let name = if status == "RETURNED" {
                "return"
            } else {
                "reject"
            };
            assert_eq!(action(s, &c1, &id, name)["status"], status);
            id
        }
        "APPROVED" | "RELEASED" => {
            let id = reviewed_request(s, &author, &c1, &c2);
            let answer = s.api("POST", &format!("/requests/{id}/release"), Some(&c1), None);
            assert_eq!(answer.status, 200, "{}", answer.json());
            wait_for_status(s, &c1, &id, status);
            id
        }
        other => panic!("no way to {other}"),
    }
}
