//! The endpoints the scenarios do not walk through: update, move and retype, group vote
//! actions, comment deletion and publication, listings, the current request; each with its
//! success path and the errors the specification gives it.

use crate::support;

use serde_json::{Value, json};
use support::{At, Server, servers};

const WS: &str = "diabetes-outcomes";
const TABLE1: &str = "output/table1.csv";

fn add(s: &Server, token: &str, group: &str, files: &[(&str, &str)]) -> Value {
    let files: Vec<Value> = files
        .iter()
        .map(|(p, t)| json!({"path": p, "filetype": t}))
        .collect();
    let answer = s.api(
        "POST",
        &format!("/workspaces/{WS}/request/files"),
        Some(token),
        Some(json!({"group": group, "files": files})),
    );
    assert_eq!(answer.status, 200, "{}", answer.json());
    answer.json()
}

#[test]
fn fil_4_and_fil_7_per_path_results_and_the_current_request() {
    for s in servers() {
        let author = s.login("researcher_1");
        let none = s.api(
            "GET",
            &format!("/workspaces/{WS}/request"),
            Some(&author),
            None,
        );
        assert_eq!((none.status, none.code().as_str()), (404, "not_found"));
        // Per-path failures do not stop the batch; the request is created with the first success.
        let answer = add(
            &s,
            &author,
            "tables",
            &[
                ("output/table1.csv", "OUTPUT"),
                ("metadata/make_tables.log", "OUTPUT"),
                ("output/no_such_file.csv", "OUTPUT"),
                ("output/table1.csv", "OUTPUT"),
            ],
        );
        // A success has no error at all; each failure has its code.
        let codes: Vec<Option<&Value>> = answer
            .at("results")
            .as_array()
            .expect("results")
            .iter()
            .map(|r| r.get("error").map(|e| e.at("code")))
            .collect();
        assert_eq!(
            codes,
            [
                None,
                Some(&json!("metadata_file_not_addable")),
                Some(&json!("not_found")),
                Some(&json!("file_already_on_request"))
            ],
            "{answer}"
        );
        let id = answer["request"]["id"].as_str().expect("id").to_string();
        let current = s.api(
            "GET",
            &format!("/workspaces/{WS}/request"),
            Some(&author),
            None,
        );
        assert_eq!(current.json()["id"], id.as_str());
        // FIL-7: an unchanged file is refused per path.
        let update = s.api(
            "POST",
            &format!("/workspaces/{WS}/request/files/update"),
            Some(&author),
            Some(json!({"paths": ["output/table1.csv"]})),
        );
        assert_eq!(update.status, 200, "{}", update.json());
        assert_eq!(
            update.json()["results"][0]["error"]["code"],
            "file_unchanged"
        );
        // A batch check failure refuses the whole batch (FIL-4 steps 1-4).
        let copilot = s.login("copilot_1");
        let refused = s.api(
            "POST",
            &format!("/workspaces/{WS}/request/files/update"),
            Some(&copilot),
            Some(json!({"paths": ["output/table1.csv"]})),
        );
        assert_eq!(
            refused.status,
            404,
            "the copilot has no current request: {}",
            refused.json()
        );
    }
}

#[test]
fn fil_10_move_and_retype_and_fil_8_withdraw() {
    for s in servers() {
        let author = s.login("researcher_1");
        let answer = add(
            &s,
            &author,
            "tables",
            &[
                ("output/table1.csv", "OUTPUT"),
                ("output/summary.txt", "OUTPUT"),
            ],
        );
        let id = answer["request"]["id"].as_str().expect("id").to_string();
        let moved = s.api(
            "PATCH",
            &format!("/requests/{id}/files/output/summary.txt"),
            Some(&author),
            Some(json!({"group": "notes", "filetype": "SUPPORTING"})),
        );
        assert_eq!(moved.status, 200, "{}", moved.json());
        let view = moved.json();
        let groups: Vec<&str> = view["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|g| g["name"].as_str())
            .collect();
        assert_eq!(groups, ["tables", "notes"]);
        let notes = &view["groups"][1];
        assert_eq!(notes["name"], "notes");
        assert_eq!(notes["files"][0]["filetype"], "SUPPORTING");
        let nothing = s.api(
            "PATCH",
            &format!("/requests/{id}/files/output/summary.txt"),
            Some(&author),
            Some(json!({})),
        );
        assert_eq!(
            (nothing.status, nothing.code().as_str()),
            (409, "no_changes")
        );
        // PENDING: a withdrawn file is removed (FIL-8).
        let withdrawn = s.api(
            "DELETE",
            &format!("/requests/{id}/files/output/summary.txt"),
            Some(&author),
            None,
        );
        assert_eq!(withdrawn.status, 200);
        let again = s.api(
            "DELETE",
            &format!("/requests/{id}/files/output/summary.txt"),
            Some(&author),
            None,
        );
        assert_eq!((again.status, again.code().as_str()), (404, "not_found"));
    }
}

#[test]
fn rev_5_group_vote_actions_and_com_comment_management() {
    for s in servers() {
        let author = s.login("researcher_1");
        let checker = s.login("output_checker_1");
        let answer = add(
            &s,
            &author,
            "tables",
            &[
                ("output/table1.csv", "OUTPUT"),
                ("output/tables/hba1c_by_region.csv", "OUTPUT"),
            ],
        );
        let id = answer["request"]["id"].as_str().expect("id").to_string();
        s.api(
            "PUT",
            &format!("/requests/{id}/groups/tables"),
            Some(&author),
            Some(json!({"context": "c", "controls": "c"})),
        );
        assert_eq!(
            s.api(
                "POST",
                &format!("/requests/{id}/submit"),
                Some(&author),
                None
            )
            .status,
            200
        );

        let changes = s.api(
            "POST",
            &format!("/requests/{id}/groups/tables/request-changes"),
            Some(&checker),
            None,
        );
        assert_eq!(changes.status, 200, "{}", changes.json());
        let votes: Vec<Value> = changes.json()["groups"][0]["files"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| f["my_vote"].clone())
            .collect();
        assert_eq!(
            votes,
            [json!("CHANGES_REQUESTED"), json!("CHANGES_REQUESTED")]
        );
        let reset = s.api(
            "POST",
            &format!("/requests/{id}/groups/tables/reset-votes"),
            Some(&checker),
            Some(json!({})),
        );
        assert_eq!(reset.json().at("groups/0/files/0/my_vote"), &Value::Null);
        let unknown = s.api(
            "POST",
            &format!("/requests/{id}/groups/tables/shout"),
            Some(&checker),
            None,
        );
        assert_eq!(unknown.status, 404);
        // REV-3: resetting a vote the checker does not hold is refused; a held one resets.
        let path = format!("/requests/{id}/files/output/table1.csv/vote");
        let no_vote = s.api("DELETE", &path, Some(&checker), None);
        assert_eq!(no_vote.code(), "vote_not_found", "{}", no_vote.json());
        assert_eq!(
            s.api(
                "PUT",
                &path,
                Some(&checker),
                Some(json!({"vote": "APPROVED"}))
            )
            .status,
            200
        );
        let vote_reset = s.api("DELETE", &path, Some(&checker), None);
        assert_eq!(vote_reset.status, 200, "{}", vote_reset.json());
        assert_eq!(
            vote_reset.json().at("groups/0/files/0/my_vote"),
            &Value::Null
        );

        // COM: write private, make public, delete own; others may not delete it.
        let comment = s.api(
            "POST",
            &format!("/requests/{id}/groups/tables/comments"),
            Some(&checker),
            Some(json!({"text": "Looks fine", "visibility": "PRIVATE"})),
        );
        assert_eq!(comment.status, 201, "{}", comment.json());
        let comment_id = comment.json()["id"].as_str().expect("id").to_string();
        assert_eq!(comment.json().at("file"), &Value::Null);
        // COM-3: a comment posted from a file's page keeps the file and answers it.
        let on_file = s.api(
            "POST",
            &format!("/requests/{id}/groups/tables/comments"),
            Some(&checker),
            Some(json!({"text": "Row 3 is small", "visibility": "PRIVATE", "file": TABLE1})),
        );
        assert_eq!(on_file.status, 201, "{}", on_file.json());
        assert_eq!(on_file.json()["file"], TABLE1, "{}", on_file.json());
        assert!(
            on_file.json()["text"]
                .as_str()
                .is_some_and(|t| t.starts_with(&format!("File: [tables/{TABLE1}]("))),
            "{}",
            on_file.json()
        );
        let seen = s
            .api("GET", &format!("/requests/{id}"), Some(&checker), None)
            .json();
        let kept: Vec<&Value> = seen["groups"][0]["comments"]
            .as_array()
            .expect("comments")
            .iter()
            .filter(|c| c["file"] == TABLE1)
            .collect();
        assert_eq!(kept.len(), 1, "{seen}");
        let elsewhere = s.api(
            "POST",
            &format!("/requests/{id}/groups/tables/comments"),
            Some(&checker),
            Some(json!({"text": "?", "file": "output/not-on-request.csv"})),
        );
        assert_eq!(
            (elsewhere.status, elsewhere.code().as_str()),
            (404, "not_found")
        );
        let empty = s.api(
            "POST",
            &format!("/requests/{id}/groups/tables/comments"),
            Some(&checker),
            Some(json!({"text": "  "})),
        );
        assert_eq!(
            (empty.status, empty.code().as_str()),
            (409, "comment_empty")
        );
        let public = s.api(
            "POST",
            &format!("/requests/{id}/comments/{comment_id}/public"),
            Some(&checker),
            None,
        );
        assert_eq!(public.status, 200, "{}", public.json());
        let again = s.api(
            "POST",
            &format!("/requests/{id}/comments/{comment_id}/public"),
            Some(&checker),
            None,
        );
        assert_eq!(
            (again.status, again.code().as_str()),
            (409, "comment_already_public")
        );
        let other = s.login("output_checker_2");
        // Blinded from the other checker during the independent phase (VIS-1), so to them it
        // does not exist: deleting it is not_found, which reveals nothing.
        let not_theirs = s.api(
            "DELETE",
            &format!("/requests/{id}/comments/{comment_id}"),
            Some(&other),
            None,
        );
        assert_eq!(
            (not_theirs.status, not_theirs.code().as_str()),
            (404, "not_found")
        );
        assert_eq!(
            s.api(
                "DELETE",
                &format!("/requests/{id}/comments/{comment_id}"),
                Some(&checker),
                None
            )
            .status,
            204
        );
        let gone = s.api(
            "DELETE",
            &format!("/requests/{id}/comments/{comment_id}"),
            Some(&checker),
            None,
        );
        assert_eq!((gone.status, gone.code().as_str()), (404, "not_found"));
    }
}

#[test]
fn listings_filter_and_page() {
    for s in servers() {
        let author = s.login("researcher_1");
        let answer = add(&s, &author, "tables", &[("output/table1.csv", "OUTPUT")]);
        let id = answer["request"]["id"].as_str().expect("id").to_string();
        let checker = s.login("output_checker_1");
        let all = s
            .api(
                "GET",
                &format!("/workspaces/{WS}/requests"),
                Some(&checker),
                None,
            )
            .json();
        assert_eq!(all[0]["id"], id.as_str());
        assert_eq!(all[0]["status"], "PENDING");
        let submitted = s.api(
            "GET",
            &format!("/workspaces/{WS}/requests?status=SUBMITTED,RETURNED"),
            Some(&checker),
            None,
        );
        assert_eq!(submitted.json(), json!([]));
        let files = s
            .api(
                "GET",
                &format!("/workspaces/{WS}/files"),
                Some(&author),
                None,
            )
            .json();
        let page = s
            .api(
                "GET",
                &format!("/workspaces/{WS}/files?offset=2&limit=3"),
                Some(&author),
                None,
            )
            .json();
        assert_eq!(page.as_array().map(Vec::len), Some(3));
        assert_eq!(page[0], files[2]);
        let under_review = files
            .as_array()
            .into_iter()
            .flatten()
            .find(|f| f["path"] == "output/table1.csv")
            .cloned()
            .expect("output/table1.csv is listed");
        assert_eq!(under_review["status"], "UNDER_REVIEW");
        let paths: Vec<&str> = files
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["path"].as_str())
            .collect();
        let mut sorted = paths.clone();
        sorted.sort();
        assert_eq!(paths, sorted, "sorted by path");
    }
}
