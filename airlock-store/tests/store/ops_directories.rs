//! OPS-2 through the store: creating, extending and submitting a request from directories, on
//! every test database.

use crate::support;

use airlock_core::action::{Action, DirFileAction};
use airlock_core::audit::AuditType;
use airlock_core::{ErrorCode, Rules, Status, testing};
use airlock_store::store::DirRequest;
use airlock_store::store::Target;
use diesel::connection::SimpleConnection;
use support::store::{harnesses, rewrite_output, workspace};

/// The generator's first leaf directory (100 outputs of which most are shown).
const DIR: &str = "output/group00/set00";

fn spec(dirs: &[&str]) -> DirRequest {
    DirRequest {
        dirs: dirs.iter().map(|d| d.to_string()).collect(),
        ..DirRequest::default()
    }
}

/// As [`spec`], with context and controls, submitting.
fn submitting(dirs: &[&str]) -> DirRequest {
    DirRequest {
        context: Some("ctx".into()),
        controls: Some("ctl".into()),
        submit: true,
        ..spec(dirs)
    }
}

#[test]
fn ops_2_create_then_extend_updates_changed_files_and_leaves_the_rest() {
    for h in harnesses(Rules::default()) {
        let shown = workspace(&h, 50);
        let author = testing::author();
        let first = h
            .store
            .create_request_from_dirs(&author, testing::WS, &spec(&[DIR]))
            .expect("create");
        assert!(first.completed, "{}", h.name());
        let id = first.request_id.clone().expect("id");
        assert_eq!(first.files.len(), shown.len(), "{}", h.name());
        assert!(first.message.starts_with("Created request"), "{first:?}");
        let state = h.state(&id);
        assert_eq!(state.groups.len(), 1);
        assert_eq!(state.groups[0].name, "output-group00-set00");
        assert!(
            h.audit(&id)
                .iter()
                .all(|e| e.entry.extra.get("automated_action").map(String::as_str) == Some("true")),
            "AUD-2 on {}",
            h.name()
        );

        rewrite_output(&h, &shown[0], b"a,b\n1,25\n");
        let again = h
            .store
            .create_request_from_dirs(&author, testing::WS, &submitting(&[DIR]))
            .expect("extend and submit");
        assert_eq!(again.request_id.as_deref(), Some(id.as_str()));
        assert_eq!(
            again.files,
            vec![(shown[0].clone(), Ok(DirFileAction::Update))],
            "{}",
            h.name()
        );
        assert_eq!(again.unchanged.len(), shown.len() - 1);
        assert_eq!(h.status(&id), Status::Submitted, "{}", h.name());
        assert!(h.audit_types(&id).contains(&AuditType::RequestEdit));
        assert!(h.verify_chain().is_ok());
    }
}

#[test]
fn ops_2_all_released_creates_nothing() {
    for h in harnesses(Rules::default()) {
        workspace(&h, 20);
        let author = testing::author();
        h.save_user(&author);
        let first = h
            .store
            .create_request_from_dirs(&author, testing::WS, &spec(&[DIR]))
            .expect("create");
        let id = first.request_id.expect("id");
        h.store
            .automated()
            .act(
                &author,
                Target::Request(&id),
                &Action::ForceStatus {
                    to: Status::Withdrawn,
                },
            )
            .expect("withdraw");
        let mut conn = h.db.conn().expect("conn");
        conn.batch_execute(&format!(
            "UPDATE request_files SET released_at = '2024-01-01 00:00:00' WHERE request_id = '{id}'"
        ))
        .expect("mark released");
        drop(conn);
        let count = h.audit_count();
        let report = h
            .store
            .create_request_from_dirs(&author, testing::WS, &spec(&[DIR]))
            .expect("runs");
        assert!(!report.completed);
        assert_eq!(report.message, "Already released", "{}", h.name());
        assert_eq!(report.request_id, None);
        assert_eq!(h.audit_count(), count, "nothing written on {}", h.name());
    }
}

#[test]
fn ops_2_submit_fails_when_a_file_cannot_be_added() {
    for h in harnesses(Rules::default()) {
        let shown = workspace(&h, 20);
        // A manifest hash that no longer matches the bytes: FIL-3 refuses that one file.
        let ws = h.dir.path().join("workspaces").join(testing::WS);
        std::fs::write(ws.join(&shown[1]), b"changed behind the manifest's back").expect("write");
        let author = testing::author();
        let err = h
            .store
            .create_request_from_dirs(&author, testing::WS, &submitting(&[DIR]))
            .expect_err("not submitted");
        assert_eq!(err.error_code(), ErrorCode::HashMismatch, "{}", h.name());
        assert!(err.message().contains(&shown[1]), "{}", err.message());
        let current = h
            .store
            .current_request(&author, testing::WS)
            .expect("read")
            .expect("the other files were added");
        assert_eq!(current.request.status, Status::Pending);
        assert_eq!(current.files.len(), shown.len() - 1);
    }
}
