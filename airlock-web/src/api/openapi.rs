//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 description of the API. Operations are listed
//! once in [`OPERATIONS`]; a test checks them against the routes actually mounted, both ways,
//! so the document cannot drift from the code.

use rocket::http::ContentType;
use rocket::{get, routes};
use serde_json::{Map, Value, json};
use std::sync::OnceLock;

/// One documented operation.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    /// HTTP method, upper case.
    pub method: &'static str,
    /// Path under `/api/v1`, with `{name}` parameters.
    pub path: &'static str,
    /// One line on what it does.
    pub summary: &'static str,
    /// The schema of the JSON body, if it takes one.
    pub body: Option<&'static str>,
    /// The success status and the schema of its body (`None`: no body, or a download).
    pub ok: (u16, Option<&'static str>),
    /// Query parameters.
    pub query: &'static [&'static str],
}

const fn op(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    body: Option<&'static str>,
    ok: (u16, Option<&'static str>),
) -> Operation {
    Operation {
        method,
        path,
        summary,
        body,
        ok,
        query: &[],
    }
}

/// Every operation of the API (`api.md` §2 to §4).
pub const OPERATIONS: &[Operation] = &[
    op(
        "POST",
        "/session",
        "Log in with a username or email and a single-use token (AUTH-1).",
        Some("LoginBody"),
        (201, Some("LoginAnswer")),
    ),
    op(
        "DELETE",
        "/session",
        "Revoke the caller's bearer token.",
        None,
        (204, None),
    ),
    op(
        "GET",
        "/me",
        "The caller's user record.",
        None,
        (200, Some("User")),
    ),
    op("GET", "/openapi.json", "This document.", None, (200, None)),
    op(
        "GET",
        "/workspaces",
        "The workspaces the caller can view.",
        None,
        (200, Some("WorkspaceList")),
    ),
    Operation {
        query: &["offset", "limit"],
        ..op(
            "GET",
            "/workspaces/{ws}/files",
            "The shown files of a workspace with their statuses, sorted by path; all of them unless limit asks for a page.",
            None,
            (200, Some("WorkspaceFileList")),
        )
    },
    op(
        "GET",
        "/workspaces/{ws}/request",
        "The caller's current request in the workspace.",
        None,
        (200, Some("Request")),
    ),
    op(
        "POST",
        "/workspaces/{ws}/request/files",
        "Add files to the caller's current request (FIL-4, FIL-5).",
        Some("AddBody"),
        (200, Some("BatchAnswer")),
    ),
    op(
        "POST",
        "/workspaces/{ws}/request/files/update",
        "Pull changed workspace content into the current request (FIL-7).",
        Some("UpdateBody"),
        (200, Some("BatchAnswer")),
    ),
    Operation {
        query: &["status", "offset", "limit"],
        ..op(
            "GET",
            "/workspaces/{ws}/requests",
            "The workspace's requests, newest first.",
            None,
            (200, Some("RequestSummaryList")),
        )
    },
    op(
        "GET",
        "/reviews",
        "The Reviews lists (checkers only).",
        None,
        (200, Some("Reviews")),
    ),
    op(
        "GET",
        "/requests/{id}",
        "A request as the caller may see it.",
        None,
        (200, Some("Request")),
    ),
    op(
        "POST",
        "/requests/{id}/submit",
        "Submit or resubmit (SUB-1).",
        Some("Empty"),
        (200, Some("Request")),
    ),
    op(
        "POST",
        "/requests/{id}/withdraw",
        "Withdraw the request (SUB-4).",
        Some("Empty"),
        (200, Some("Request")),
    ),
    op(
        "POST",
        "/requests/{id}/review",
        "Submit the caller's independent review.",
        Some("Empty"),
        (200, Some("Request")),
    ),
    op(
        "POST",
        "/requests/{id}/return",
        "Return the request to its author (RET-1).",
        Some("Empty"),
        (200, Some("Request")),
    ),
    op(
        "POST",
        "/requests/{id}/reject",
        "Reject the request (REJ-1).",
        Some("Empty"),
        (200, Some("Request")),
    ),
    op(
        "POST",
        "/requests/{id}/release",
        "Release the approved output files (REL-1 to REL-5): creates the release on the Jobs site as the caller, then marks the files released and the request APPROVED; the background worker uploads them. 409 jobs_site_forbidden or release_failed when the Jobs site refuses or fails (nothing changes); on an APPROVED request, repeats the release call (REL-5).",
        Some("Empty"),
        (200, Some("Request")),
    ),
    op(
        "GET",
        "/requests/{id}/audit",
        "The request's activity as the caller may see it, newest first.",
        None,
        (200, Some("ActivityList")),
    ),
    op(
        "PUT",
        "/requests/{id}/groups/{group}",
        "Edit a group's context and controls (GRP-3).",
        Some("GroupBody"),
        (200, Some("Request")),
    ),
    op(
        "POST",
        "/requests/{id}/groups/{group}/comments",
        "Comment on a group (COM-3).",
        Some("CommentBody"),
        (201, Some("Comment")),
    ),
    op(
        "POST",
        "/requests/{id}/groups/{group}/request-changes",
        "Request changes on every output file of the group.",
        Some("Empty"),
        (200, Some("Request")),
    ),
    op(
        "POST",
        "/requests/{id}/groups/{group}/reset-votes",
        "Reset the caller's votes on the group.",
        Some("Empty"),
        (200, Some("Request")),
    ),
    op(
        "DELETE",
        "/requests/{id}/comments/{comment_id}",
        "Delete a comment.",
        None,
        (204, None),
    ),
    op(
        "POST",
        "/requests/{id}/comments/{comment_id}/public",
        "Make a private comment public.",
        Some("Empty"),
        (200, Some("Request")),
    ),
    op(
        "PUT",
        "/requests/{id}/files/{path}/vote",
        "Vote on an output file (REV-2).",
        Some("VoteBody"),
        (200, Some("Request")),
    ),
    op(
        "DELETE",
        "/requests/{id}/files/{path}/vote",
        "Reset the caller's vote on a file.",
        None,
        (200, Some("Request")),
    ),
    op(
        "DELETE",
        "/requests/{id}/files/{path}",
        "Withdraw a file (FIL-8).",
        None,
        (200, Some("Request")),
    ),
    op(
        "PATCH",
        "/requests/{id}/files/{path}",
        "Move a file to another group or change its type (FIL-10).",
        Some("FileChange"),
        (200, Some("Request")),
    ),
    op(
        "GET",
        "/requests/{id}/files/{path}/content",
        "Download the stored bytes (REN-9); audited.",
        None,
        (200, None),
    ),
];

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn string_enum(values: &[&str]) -> Value {
    json!({ "type": "string", "enum": values })
}

/// The component schemas.
fn schemas() -> Value {
    let status = string_enum(&[
        "PENDING",
        "SUBMITTED",
        "PARTIALLY_REVIEWED",
        "REVIEWED",
        "RETURNED",
        "APPROVED",
        "RELEASED",
        "REJECTED",
        "WITHDRAWN",
    ]);
    let grant = json!({"type": "object", "properties": {
        "project_details": {"type": "object", "properties": {
            "name": {"type": "string"}, "ongoing": {"type": "boolean"},
            "orgs": {"type": "array", "items": {"type": "string"}}}},
        "archived": {"type": "boolean"}}});
    json!({
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {
            "type": "object", "required": ["code", "message"], "properties": {
                "code": {"type": "string"}, "message": {"type": "string"},
                "correlation_id": {"type": "string"}}}}},
        "Empty": {"type": "object", "additionalProperties": false},
        "LoginBody": {"type": "object", "required": ["user", "token"], "additionalProperties": false,
            "properties": {"user": {"type": "string"}, "token": {"type": "string"}}},
        "LoginAnswer": {"type": "object", "properties": {"token": {"type": "string"}, "user": schema_ref("User")}},
        "User": {"type": "object", "properties": {
            "username": {"type": "string"}, "fullname": {"type": ["string", "null"]},
            "workspaces": {"type": "object", "additionalProperties": grant},
            "copiloted_workspaces": {"type": "object", "additionalProperties": grant},
            "output_checker": {"type": "boolean"}, "readonly_access": {"type": "boolean"}}},
        "WorkspaceList": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string"}, "project": {"type": ["object", "null"]},
            "archived": {"type": "boolean"},
            "access": string_enum(&["ROLE", "COPILOT", "CHECKER", "READONLY"])}}},
        "WorkspaceFileList": {"type": "array", "items": {"type": "object", "properties": {
            "path": {"type": "string"}, "size": {"type": ["integer", "null"]},
            "sha256": {"type": ["string", "null"]}, "timestamp": {"type": ["string", "null"], "format": "date-time"},
            "job_id": {"type": ["string", "null"]},
            "status": string_enum(&["UNRELEASED", "UNDER_REVIEW", "RELEASED", "UPDATED", "WITHDRAWN"])}}},
        "AddBody": {"type": "object", "required": ["group", "files"], "additionalProperties": false, "properties": {
            "group": {"type": "string"},
            "files": {"type": "array", "items": {"type": "object", "required": ["path", "filetype"], "properties": {
                "path": {"type": "string"}, "filetype": string_enum(&["OUTPUT", "SUPPORTING"])}}}}},
        "UpdateBody": {"type": "object", "required": ["paths"], "additionalProperties": false,
            "properties": {"paths": {"type": "array", "items": {"type": "string"}}}},
        "BatchAnswer": {"type": "object", "properties": {
            "request": {"oneOf": [schema_ref("Request"), {"type": "null"}]},
            "results": {"type": "array", "items": {"type": "object", "properties": {
                "path": {"type": "string"}, "ok": {"type": "boolean"},
                "error": {"type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}}}}},
        "RequestSummaryList": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "string"}, "author": {"type": "string"}, "status": status,
            "created_at": {"type": "string", "format": "date-time"}}}},
        "Comment": {"type": "object", "properties": {
            "id": {"type": "string"}, "author": {"type": "string"}, "text": {"type": "string"},
            "visibility": string_enum(&["PUBLIC", "PRIVATE"]), "review_turn": {"type": "integer"},
            "created_at": {"type": "string", "format": "date-time"}, "file": {"type": ["string", "null"]}}},
        "Request": {"type": "object", "properties": {
            "id": {"type": "string"}, "workspace": {"type": "string"}, "author": {"type": "string"},
            "status": status, "review_turn": {"type": "integer"},
            "created_at": {"type": "string", "format": "date-time"}, "submitted_reviews": {"type": "integer"},
            "groups": {"type": "array", "items": {"type": "object", "properties": {
                "name": {"type": "string"}, "context": {"type": "string"}, "controls": {"type": "string"},
                "files": {"type": "array", "items": {"type": "object", "properties": {
                    "path": {"type": "string"}, "filetype": string_enum(&["OUTPUT", "SUPPORTING", "WITHDRAWN"]),
                    "sha256": {"type": "string"}, "size": {"type": "integer"},
                    "decision": string_enum(&["INCOMPLETE", "APPROVED", "CONFLICTED", "CHANGES_REQUESTED"]),
                    "my_vote": {"type": ["string", "null"], "enum": ["APPROVED", "CHANGES_REQUESTED", "UNDECIDED", null]},
                    "released": {"type": "boolean"}, "uploaded": {"type": "boolean"}}}},
                "comments": {"type": "array", "items": schema_ref("Comment")}}}},
            "hints": {"type": "array", "items": {"type": "object", "properties": {
                "path": {"type": "string"}, "kind": string_enum(&["LOW_COUNT", "NOT_ROUNDED"]),
                "row": {"type": ["integer", "null"]}, "column": {"type": "string"},
                "value": {"type": ["string", "null"]}, "message": {"type": "string"}}}},
            "upload": {"type": "object", "description":
                "UPL-8 and UPL-7, only while APPROVED or RELEASED: uploaded of released OUTPUT files, and the stuck files (reviewers only).",
                "properties": {"uploaded": {"type": "integer"}, "released": {"type": "integer"},
                    "stuck": {"type": "array", "items": schema_ref("StuckFile")}}}}},
        "StuckFile": {"type": "object", "properties": {
            "path": {"type": "string"}, "attempts": {"type": "integer"},
            "last_error": {"type": ["string", "null"]},
            "last_attempt_at": {"type": ["string", "null"], "format": "date-time"}}},
        "GroupBody": {"type": "object", "required": ["context", "controls"], "additionalProperties": false,
            "properties": {"context": {"type": "string"}, "controls": {"type": "string"}}},
        "CommentBody": {"type": "object", "required": ["text"], "additionalProperties": false, "properties": {
            "text": {"type": "string"}, "visibility": string_enum(&["PUBLIC", "PRIVATE"]),
            "file": {"type": ["string", "null"]}}},
        "VoteBody": {"type": "object", "required": ["vote"], "additionalProperties": false,
            "properties": {"vote": string_enum(&["APPROVED", "CHANGES_REQUESTED"])}},
        "FileChange": {"type": "object", "additionalProperties": false, "properties": {
            "group": {"type": "string"}, "filetype": string_enum(&["OUTPUT", "SUPPORTING"])}},
        "ActivityList": {"type": "array", "items": {"type": "object", "properties": {
            "type": {"type": "string"}, "user": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"}, "path": {"type": ["string", "null"]},
            "extra": {"type": "object", "additionalProperties": {"type": "string"}}}}},
        "Reviews": {"type": "object", "properties": {
            "outstanding": {"$ref": "#/components/schemas/ReviewList"},
            "returned": {"$ref": "#/components/schemas/ReviewList"},
            "approved": {"$ref": "#/components/schemas/ReviewList"}}},
        "ReviewList": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "string"}, "workspace": {"type": "string"}, "author": {"type": "string"},
            "status": status, "my_progress": {"type": "object", "properties": {
                "voted": {"type": "integer"}, "total": {"type": "integer"}}},
            "stuck_files": {"type": "array", "description": "In `approved` only (UPL-7).",
                "items": schema_ref("StuckFile")}}}},
    })
}

/// The operation object of one documented operation.
fn operation(op: &Operation) -> Value {
    let mut parameters: Vec<Value> = op
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"},
                            "description": if name == "path" { "A relative file path; may contain /." } else { "" }}))
        .collect();
    parameters.extend(
        op.query
            .iter()
            .map(|name| json!({"name": name, "in": "query", "required": false, "schema": {"type": "string"}})),
    );
    let mut responses = Map::new();
    let success = match op.ok {
        (_, Some(schema)) => {
            json!({"description": "Success.", "content": {"application/json": {"schema": schema_ref(schema)}}})
        }
        (_, None) => json!({"description": "Success."}),
    };
    responses.insert(op.ok.0.to_string(), success);
    let error = json!({"description": "Refused: the body names the code (behaviour.md §21).",
                       "content": {"application/json": {"schema": schema_ref("Error")}}});
    responses.insert("4XX".into(), error);
    let mut object =
        json!({"summary": op.summary, "parameters": parameters, "responses": responses});
    if op.path != "/session" && op.path != "/openapi.json" || op.method == "DELETE" {
        object["security"] = json!([{"bearer": []}]);
    }
    if let Some(body) = op.body {
        object["requestBody"] = json!({"required": body != "Empty",
            "content": {"application/json": {"schema": schema_ref(body)}}});
    }
    object
}

/// The whole document.
pub fn document() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut paths = Map::new();
        for op in OPERATIONS {
            let entry = paths.entry(op.path).or_insert_with(|| json!({}));
            entry[op.method.to_ascii_lowercase()] = operation(op);
        }
        json!({
            "openapi": "3.1.0",
            "info": {"title": "Airlock API", "version": "1",
                     "description": "The JSON API of Airlock (api.md). Every action of the product, with the same rules."},
            "servers": [{"url": super::BASE}],
            "paths": paths,
            "components": {"schemas": schemas(),
                           "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        })
        .to_string()
    })
}

/// `GET /openapi.json`.
#[get("/openapi.json")]
pub fn openapi() -> (ContentType, &'static str) {
    (ContentType::JSON, document())
}

/// The routes of this module.
pub fn routes() -> Vec<rocket::Route> {
    routes![openapi]
}
