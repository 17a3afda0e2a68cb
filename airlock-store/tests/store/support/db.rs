//! Fixtures shared by the `db_*` tests.

#![allow(dead_code)]

use airlock_core::audit::{AuditType, NewAudit};
use airlock_core::{
    Comment, FileType, Group, OutputMeta, Request, RequestFile, Status, Timestamp, UploadState,
    Visibility, Vote, VoteStatus,
};
use chrono::TimeZone;
use std::collections::{BTreeMap, BTreeSet};

/// A fixed time `n` seconds after a base, with a microsecond part (as stored).
pub fn t(n: i64) -> Timestamp {
    chrono::Utc
        .timestamp_opt(1_735_689_600 + n, 123_456_000)
        .single()
        .expect("valid time")
}

/// A 26-character request id made from a number.
pub fn rid(n: u32) -> String {
    format!("01JTEST{n:019}")
}

/// A PENDING request at turn 0.
pub fn request(id: &str, workspace: &str, author: &str) -> Request {
    Request {
        id: id.to_string(),
        workspace: workspace.to_string(),
        author: author.to_string(),
        status: Status::Pending,
        review_turn: 0,
        submitted_reviews: BTreeMap::new(),
        turn_reviewers: BTreeSet::new(),
        last_submitted_at: None,
        project: "Project A".to_string(),
        organisations: vec!["Org One".to_string(), "Org Two".to_string()],
        created_at: t(0),
        updated_at: t(0),
    }
}

/// A group created at second `at`.
pub fn group(name: &str, at: i64) -> Group {
    Group {
        name: name.to_string(),
        context: String::new(),
        controls: String::new(),
        created_at: t(at),
        updated_at: t(at),
    }
}

/// A file of a group.
pub fn file(relpath: &str, group: &str, filetype: FileType) -> RequestFile {
    RequestFile {
        relpath: relpath.to_string(),
        group: group.to_string(),
        file_id: format!("{:0>64}", relpath.len()),
        filetype,
        meta: OutputMeta {
            timestamp: 1_735_689_600.25,
            size: 1234,
            job_id: "job-1".to_string(),
            commit: "abcdef0123".to_string(),
            repo: "https://example.org/study".to_string(),
            row_count: Some(10),
            col_count: None,
        },
        upload: UploadState::default(),
    }
}

/// A vote.
pub fn vote(relpath: &str, reviewer: &str, status: VoteStatus, turn: i64, at: i64) -> Vote {
    Vote {
        relpath: relpath.to_string(),
        reviewer: reviewer.to_string(),
        status,
        review_turn: turn,
        created_at: t(at),
        updated_at: t(at),
    }
}

/// A comment.
pub fn comment(id: &str, group: &str, author: &str, visibility: Visibility, at: i64) -> Comment {
    Comment {
        id: id.to_string(),
        group: group.to_string(),
        author: author.to_string(),
        text: format!("comment {id} *markdown*"),
        visibility,
        review_turn: 1,
        created_at: t(at),
        file: id
            .len()
            .is_multiple_of(2)
            .then(|| "output/a.csv".to_string()),
    }
}

/// An audit entry about a request at a turn.
pub fn audit(kind: AuditType, user: &str, workspace: &str, request: &str, turn: i64) -> NewAudit {
    NewAudit::about_request(kind, user, workspace, request, turn, t(turn * 10))
}
