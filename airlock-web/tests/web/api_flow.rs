//! End-to-end scenarios through the JSON API only (issue: the running service), on every test
//! database: building and submitting a request, blind independent review, consolidation,
//! return with public comments, resubmission keeping approvals, early return, reject, withdraw,
//! a third checker settling a conflict, and who is refused where.

use crate::support;

use serde_json::{Value, json};
use support::flow::{
    HBA1C, TABLE1, WS, action, comment, comment_texts, file, submitted_request, view, vote,
};
use support::{At, servers};

#[test]
fn a_request_goes_from_creation_through_blind_review_return_and_resubmission() {
    for s in servers() {
        let author = s.login("researcher_1");
        let c1 = s.login("output_checker_1");
        let c2 = s.login("output_checker_2");
        let id = submitted_request(&s, &author);

        // Independent phase (VIS rules): each checker sees only their own vote, decisions are
        // INCOMPLETE, and private comments of this turn are blinded.
        vote(&s, &c1, &id, TABLE1, "APPROVED");
        vote(&s, &c1, &id, HBA1C, "APPROVED");
        vote(&s, &c2, &id, TABLE1, "APPROVED");
        vote(&s, &c2, &id, HBA1C, "CHANGES_REQUESTED");
        comment(
            &s,
            &c2,
            &id,
            "Region counts under 10 in two rows",
            "PRIVATE",
        );
        let seen_by_c1 = view(&s, &c1, &id);
        assert_eq!(file(&seen_by_c1, HBA1C)["my_vote"], "APPROVED");
        assert_eq!(file(&seen_by_c1, HBA1C)["decision"], "INCOMPLETE");
        assert!(
            comment_texts(&seen_by_c1).is_empty(),
            "blinded: {seen_by_c1}"
        );
        let seen_by_author = view(&s, &author, &id);
        assert_eq!(file(&seen_by_author, HBA1C).at("my_vote"), &Value::Null);
        assert!(comment_texts(&seen_by_author).is_empty());

        assert_eq!(
            action(&s, &c1, &id, "review")["status"],
            "PARTIALLY_REVIEWED"
        );
        let reviewed = action(&s, &c2, &id, "review");
        assert_eq!(reviewed["status"], "REVIEWED");
        // Consolidation: reviewers see both, and the conflict.
        let seen_by_c1 = view(&s, &c1, &id);
        assert_eq!(file(&seen_by_c1, TABLE1)["decision"], "APPROVED");
        assert_eq!(file(&seen_by_c1, HBA1C)["decision"], "CONFLICTED");
        assert_eq!(
            comment_texts(&seen_by_c1),
            ["Region counts under 10 in two rows"]
        );

        // RET-2: a return from REVIEWED needs a public comment in the group.
        let refused = s.api("POST", &format!("/requests/{id}/return"), Some(&c1), None);
        assert_eq!(
            (refused.status, refused.code().as_str()),
            (409, "missing_public_comments")
        );
        comment(
            &s,
            &c1,
            &id,
            "Please suppress the small region counts",
            "PUBLIC",
        );
        assert_eq!(action(&s, &c1, &id, "return")["status"], "RETURNED");

        // The author sees the public comment and CONFLICTED shown as CHANGES_REQUESTED.
        let seen_by_author = view(&s, &author, &id);
        assert_eq!(
            file(&seen_by_author, HBA1C)["decision"],
            "CHANGES_REQUESTED"
        );
        assert_eq!(
            comment_texts(&seen_by_author),
            ["Please suppress the small region counts"]
        );

        // The author withdraws the file and resubmits: approvals are kept (SUB-3).
        let withdrawn = s.api(
            "DELETE",
            &format!("/requests/{id}/files/{HBA1C}"),
            Some(&author),
            None,
        );
        assert_eq!(withdrawn.status, 200, "{}", withdrawn.json());
        assert_eq!(file(&withdrawn.json(), HBA1C)["filetype"], "WITHDRAWN");
        comment(&s, &author, &id, "Withdrawn the regional table", "PUBLIC");
        let resubmitted = action(&s, &author, &id, "submit");
        assert_eq!(resubmitted["status"], "SUBMITTED");
        assert_eq!(resubmitted["review_turn"], 3);
        assert_eq!(file(&view(&s, &c1, &id), TABLE1)["my_vote"], "APPROVED");

        action(&s, &c1, &id, "review");
        let reviewed = action(&s, &c2, &id, "review");
        assert_eq!(reviewed["status"], "REVIEWED");
        assert_eq!(file(&view(&s, &c2, &id), TABLE1)["decision"], "APPROVED");

        // Activity (AUD-6) is newest first and carries review_turn.
        // The reviews of this turn are hidden from the author until the request is returned
        // or decided (VIS-1).
        let audit = s.api("GET", &format!("/requests/{id}/audit"), Some(&author), None);
        assert_eq!(audit.status, 200);
        assert_eq!(audit.json()[0]["type"], "REQUEST_SUBMIT");
        let entries = s
            .api("GET", &format!("/requests/{id}/audit"), Some(&c1), None)
            .json();
        assert_eq!(entries[0]["type"], "REQUEST_REVIEW");
        assert!(
            entries
                .as_array()
                .is_some_and(|e| e.iter().all(|x| x["extra"]["review_turn"].is_string()))
        );

        // Reviews lists for a checker.
        let reviews = s.api("GET", "/reviews", Some(&c1), None);
        assert_eq!(reviews.status, 200);
        assert_eq!(reviews.json()["outstanding"][0]["id"], id.as_str());
        assert_eq!(
            reviews.json()["outstanding"][0]["my_progress"],
            json!({"voted": 1, "total": 1})
        );
    }
}

#[test]
fn early_return_resets_the_turn_and_reject_and_withdraw_end_requests() {
    for s in servers() {
        let author = s.login("researcher_1");
        let c1 = s.login("output_checker_1");
        let c2 = s.login("output_checker_2");
        let id = submitted_request(&s, &author);
        vote(&s, &c1, &id, TABLE1, "APPROVED");
        comment(&s, &c1, &id, "first look", "PRIVATE");
        // RET-3: an early return needs no comment and clears this turn's votes and comments.
        assert_eq!(action(&s, &c1, &id, "return")["status"], "RETURNED");
        let seen = view(&s, &c1, &id);
        assert_eq!(file(&seen, TABLE1).at("my_vote"), &Value::Null);
        assert!(comment_texts(&seen).is_empty());
        let audit = s
            .api("GET", &format!("/requests/{id}/audit"), Some(&author), None)
            .json();
        assert_eq!(audit[0]["type"], "REQUEST_RETURN");
        assert_eq!(audit[1]["type"], "REQUEST_EARLY_RETURN");

        // Withdraw the request (SUB-4): WITHDRAWN is final.
        assert_eq!(action(&s, &author, &id, "withdraw")["status"], "WITHDRAWN");
        let again = s.api(
            "POST",
            &format!("/requests/{id}/submit"),
            Some(&author),
            None,
        );
        assert_eq!(again.status, 409, "{}", again.json());

        // A new request, reviewed and rejected (REJ-1).
        let id = submitted_request(&s, &author);
        for c in [&c1, &c2] {
            vote(&s, c, &id, TABLE1, "APPROVED");
            vote(&s, c, &id, HBA1C, "APPROVED");
            action(&s, c, &id, "review");
        }
        assert_eq!(action(&s, &c1, &id, "reject")["status"], "REJECTED");
    }
}

#[test]
fn a_third_checker_settles_a_conflict() {
    for s in servers() {
        let author = s.login("researcher_1");
        let (c1, c2, c3) = (
            s.login("output_checker_1"),
            s.login("output_checker_2"),
            s.login("output_checker_3"),
        );
        let id = submitted_request(&s, &author);
        vote(&s, &c1, &id, TABLE1, "APPROVED");
        vote(&s, &c1, &id, HBA1C, "APPROVED");
        vote(&s, &c2, &id, TABLE1, "APPROVED");
        vote(&s, &c2, &id, HBA1C, "CHANGES_REQUESTED");
        comment(&s, &c2, &id, "small counts", "PRIVATE");
        action(&s, &c1, &id, "review");
        action(&s, &c2, &id, "review");
        assert_eq!(file(&view(&s, &c1, &id), HBA1C)["decision"], "CONFLICTED");
        // REV-6 item 2: a further reviewer's approval makes N approvals.
        vote(&s, &c3, &id, TABLE1, "APPROVED");
        vote(&s, &c3, &id, HBA1C, "APPROVED");
        action(&s, &c3, &id, "review");
        assert_eq!(file(&view(&s, &c1, &id), HBA1C)["decision"], "APPROVED");
        // Release is refused in this version, and changes nothing (REL-3).
        let release = s.api("POST", &format!("/requests/{id}/release"), Some(&c1), None);
        assert_eq!(
            (release.status, release.code().as_str()),
            (409, "release_failed")
        );
        assert_eq!(view(&s, &c1, &id)["status"], "REVIEWED");
    }
}

#[test]
fn copilots_tech_support_and_outsiders_are_refused_where_the_spec_says() {
    for s in servers() {
        let author = s.login("researcher_1");
        let id = submitted_request(&s, &author);
        let add = json!({"group": "g", "files": [{"path": TABLE1, "filetype": "OUTPUT"}]});
        let copilot = s.login("copilot_1");
        let refused = s.api(
            "POST",
            &format!("/workspaces/{WS}/request/files"),
            Some(&copilot),
            Some(add.clone()),
        );
        assert_eq!(
            (refused.status, refused.code().as_str()),
            (403, "no_workspace_role")
        );
        // A copilot may view the workspace and its requests.
        assert_eq!(
            s.api("GET", &format!("/requests/{id}"), Some(&copilot), None)
                .status,
            200
        );
        let voted = s.api(
            "PUT",
            &format!("/requests/{id}/files/{TABLE1}/vote"),
            Some(&copilot),
            Some(json!({"vote": "APPROVED"})),
        );
        assert_eq!(voted.status, 403, "{}", voted.json());

        let support = s.login("tech_support");
        assert_eq!(
            s.api("GET", &format!("/requests/{id}"), Some(&support), None)
                .status,
            200
        );
        let refused = s.api(
            "POST",
            &format!("/workspaces/{WS}/request/files"),
            Some(&support),
            Some(add.clone()),
        );
        assert_eq!(refused.status, 403);
        assert_eq!(s.api("GET", "/reviews", Some(&support), None).status, 403);
        let workspaces = s.api("GET", "/workspaces", Some(&support), None).json();
        assert!(
            workspaces
                .as_array()
                .is_some_and(|w| w.iter().all(|x| x["access"] == "READONLY"))
        );

        let outsider = s.login("no_access_user");
        let denied = s.api("GET", &format!("/requests/{id}"), Some(&outsider), None);
        assert_eq!(
            (denied.status, denied.code().as_str()),
            (403, "permission_denied")
        );
        assert_eq!(
            s.api(
                "GET",
                &format!("/workspaces/{WS}/files"),
                Some(&outsider),
                None
            )
            .status,
            403
        );
        assert_eq!(
            s.api("GET", "/workspaces", Some(&outsider), None).json(),
            json!([])
        );

        // The author may not vote on or download from their own request.
        let own = s.api(
            "PUT",
            &format!("/requests/{id}/files/{TABLE1}/vote"),
            Some(&author),
            Some(json!({"vote": "APPROVED"})),
        );
        assert_eq!(own.status, 403);
        let download = s.api(
            "GET",
            &format!("/requests/{id}/files/{TABLE1}/content"),
            Some(&author),
            None,
        );
        assert_eq!(download.status, 403);
        // A reviewer downloads the stored bytes as an attachment (REN-9).
        let checker = s.login("output_checker_1");
        let download = s.raw(
            "GET",
            &format!("/api/v1/requests/{id}/files/{TABLE1}/content"),
            Some(&checker),
            None,
        );
        assert_eq!(download.status, 200);
        let on_disk = std::fs::read(support::fixtures().join("workspaces").join(WS).join(TABLE1))
            .expect("fixture");
        assert_eq!(download.body, on_disk);
        assert!(download.header("content-disposition").is_some_and(|d| d.starts_with("attachment; filename=\"tables/output/table1.csv\"")));
        // AUD-3: the download's entry names the file as <group>/<relpath>.
        let activity = s
            .api(
                "GET",
                &format!("/requests/{id}/audit"),
                Some(&checker),
                None,
            )
            .json();
        assert_eq!(activity[0]["type"], "REQUEST_FILE_DOWNLOAD", "{activity}");
        assert_eq!(
            activity[0]["path"],
            format!("tables/{TABLE1}"),
            "{activity}"
        );
        assert_eq!(activity[0]["extra"]["group"], "tables", "{activity}");
    }
}

#[test]
fn snapshots_of_representative_answers() {
    for s in servers() {
        let author = s.login("researcher_1");
        let c1 = s.login("output_checker_1");
        let c2 = s.login("output_checker_2");
        let id = submitted_request(&s, &author);
        vote(&s, &c1, &id, TABLE1, "APPROVED");
        vote(&s, &c2, &id, TABLE1, "APPROVED");
        vote(&s, &c1, &id, HBA1C, "APPROVED");
        vote(&s, &c2, &id, HBA1C, "CHANGES_REQUESTED");
        comment(
            &s,
            &c2,
            &id,
            "Small counts in the North East row",
            "PRIVATE",
        );
        action(&s, &c1, &id, "review");
        action(&s, &c2, &id, "review");
        let redactions = |value: Value| {
            let mut text = value.to_string();
            text = text.replace(&id, "[request id]");
            serde_json::from_str::<Value>(&text).expect("still JSON")
        };
        insta::assert_json_snapshot!("request_in_consolidation_seen_by_a_checker", redactions(view(&s, &c1, &id)), {
            ".created_at" => "[time]",
            ".groups[].comments[].id" => "[comment id]",
            ".groups[].comments[].created_at" => "[time]",
        });
        insta::assert_json_snapshot!("request_in_consolidation_seen_by_the_author", redactions(view(&s, &author, &id)), {
            ".created_at" => "[time]",
        });
        // Files read from the disk (job logs, message files) carry the checkout's times.
        let mut files = s
            .api(
                "GET",
                &format!("/workspaces/{WS}/files"),
                Some(&author),
                None,
            )
            .json();
        for entry in files.as_array_mut().into_iter().flatten() {
            if entry.at("job_id").is_null() {
                entry["timestamp"] = json!("[disk mtime]");
            }
        }
        insta::assert_json_snapshot!("workspace_files_seen_by_the_author", files);
        let error = s.api("POST", &format!("/requests/{id}/return"), Some(&c1), None);
        insta::assert_json_snapshot!("refused_return", error.json());
    }
}
