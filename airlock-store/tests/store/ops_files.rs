//! Adding, updating and moving files through the store (FIL-3 to FIL-10, ONE-2) on every test
//! database, against a generated workspace.

use crate::support;

use airlock_core::action::{Action, GroupChoice};
use airlock_core::audit::AuditType;
use airlock_core::testing;
use airlock_core::{ErrorCode, FileType, Rules, Status};
use airlock_store::store::Target;
use std::sync::Barrier;
use support::store::{active_requests, harnesses, rewrite_output, workspace};

fn outputs(items: &[String]) -> Vec<(String, FileType)> {
    items
        .iter()
        .map(|p| (p.clone(), FileType::Output))
        .collect()
}

/// FIL-4, FIL-5, FIL-6, FIL-3: the first add creates the request, copies verified bytes into the
/// request's store under their hash, and audits each path.
#[test]
fn fil_5_first_add_creates_the_request_with_verified_copies() {
    for h in harnesses(Rules::default()) {
        let shown = workspace(&h, 30);
        let author = testing::author();
        let report = h
            .store
            .act(
                &author,
                Target::Current(testing::WS),
                &airlock_store::testing::add_files(
                    GroupChoice::New("Tables".into()),
                    outputs(&shown[..3]).clone(),
                ),
            )
            .expect("batch accepted");
        assert_eq!(report.succeeded(), 3, "{}: {:?}", h.name(), report.parts);
        let id = report.request_id.expect("request created");
        let state = h.state(&id);
        assert_eq!(state.request.status, Status::Pending);
        assert_eq!(state.groups.len(), 1);
        assert_eq!(state.groups[0].name, "tables", "GRP-2 lower-cases");
        let blobs = h.store.request_blobs(testing::WS, &id).expect("blobs");
        for file in &state.files {
            assert!(
                blobs.verify(&file.file_id).expect("stored"),
                "{}",
                file.relpath
            );
        }
        assert_eq!(
            h.audit_types(&id),
            vec![
                AuditType::RequestCreate,
                AuditType::RequestFileAdd,
                AuditType::RequestFileAdd,
                AuditType::RequestFileAdd
            ]
        );
        // A second batch joins the same request and the existing group.
        let more = h
            .store
            .act(
                &author,
                Target::Current(testing::WS),
                &airlock_store::testing::add_files(
                    GroupChoice::Named("tables".into()),
                    outputs(&shown[3..5]).clone(),
                ),
            )
            .expect("second batch");
        assert_eq!(more.request_id.as_deref(), Some(id.as_str()));
        assert_eq!(h.state(&id).files.len(), 5, "{}", h.name());
    }
}

/// FIL-4 steps 5 to 9: each path fails on its own with its code; a failed path copies nothing
/// and does not undo the others.
#[test]
fn fil_4_each_path_fails_on_its_own() {
    for h in harnesses(Rules::default()) {
        let shown = workspace(&h, 30);
        let author = testing::author();
        let items = vec![
            (shown[0].clone(), FileType::Output),
            ("output/no_such_file.csv".to_string(), FileType::Output),
            ("metadata/manifest.json".to_string(), FileType::Output),
            ("../outside.csv".to_string(), FileType::Output),
            ("output/../../etc/passwd".to_string(), FileType::Output),
            (shown[0].clone(), FileType::Supporting),
        ];
        let report = h
            .store
            .act(
                &author,
                Target::Current(testing::WS),
                &airlock_store::testing::add_files(
                    GroupChoice::Named("default".into()),
                    items.clone(),
                ),
            )
            .expect("batch accepted");
        let codes: Vec<Option<ErrorCode>> = report
            .parts
            .iter()
            .map(|(_, r)| r.as_ref().err().map(|e| e.error_code()))
            .collect();
        assert_eq!(
            codes,
            vec![
                None,
                Some(ErrorCode::NotFound),
                Some(ErrorCode::MetadataFileNotAddable),
                Some(ErrorCode::NotFound),
                Some(ErrorCode::NotFound),
                Some(ErrorCode::FileAlreadyOnRequest),
            ],
            "{}",
            h.name()
        );
        let id = report.request_id.expect("request");
        let blobs = h.store.request_blobs(testing::WS, &id).expect("blobs");
        assert_eq!(blobs.list().expect("list").len(), 1, "{}", h.name());
    }
}

/// FIL-4 steps 1 to 4 refuse the whole batch; FIL-5: when no path succeeds no request exists.
#[test]
fn fil_4_batch_refusals_and_no_empty_request() {
    for h in harnesses(Rules::default()) {
        let shown = workspace(&h, 10);
        let err = h
            .store
            .act(
                &testing::outsider("mallory"),
                Target::Current(testing::WS),
                &airlock_store::testing::add_files(
                    GroupChoice::Named("default".into()),
                    outputs(&shown[..1]).clone(),
                ),
            )
            .expect_err("no view");
        assert_eq!(err.error_code(), ErrorCode::PermissionDenied);
        let err = h
            .store
            .act(
                &testing::checker("checker1"),
                Target::Current(testing::WS),
                &airlock_store::testing::add_files(
                    GroupChoice::Named("default".into()),
                    outputs(&shown[..1]).clone(),
                ),
            )
            .expect_err("no role");
        assert!(
            matches!(
                err.error_code(),
                ErrorCode::PermissionDenied | ErrorCode::NoWorkspaceRole
            ),
            "{err:?}"
        );
        let err = h
            .store
            .act(
                &testing::author(),
                Target::Current(testing::WS),
                &airlock_store::testing::add_files(
                    GroupChoice::New("a/b".into()),
                    outputs(&shown[..1]).clone(),
                ),
            )
            .expect_err("bad group");
        assert_eq!(err.error_code(), ErrorCode::InvalidGroupName);
        let report = h
            .store
            .act(
                &testing::author(),
                Target::Current(testing::WS),
                &airlock_store::testing::add_files(
                    GroupChoice::Named("default".into()),
                    [("output/missing.csv", FileType::Output)],
                ),
            )
            .expect("batch");
        assert_eq!(report.succeeded(), 0);
        assert!(report.request_id.is_none());
        assert_eq!(active_requests(&h, testing::AUTHOR), 0, "{}", h.name());
        assert_eq!(h.audit_count(), 0, "{}", h.name());
    }
}

/// FIL-3: bytes that do not match the manifest's hash are refused with `hash_mismatch`; no
/// request, no row, no visible blob.
#[test]
fn fil_3_hash_mismatch_leaves_nothing() {
    for h in harnesses(Rules::default()) {
        let shown = workspace(&h, 10);
        let ws = h.dir.path().join("workspaces").join(testing::WS);
        std::fs::write(ws.join(&shown[0]), b"tampered after the job ran\n").expect("tamper");
        let report = h
            .store
            .act(
                &testing::author(),
                Target::Current(testing::WS),
                &airlock_store::testing::add_files(
                    GroupChoice::Named("default".into()),
                    outputs(&shown[..1]).clone(),
                ),
            )
            .expect("batch");
        let err = report.parts[0].1.as_ref().expect_err("mismatch");
        assert_eq!(err.error_code(), ErrorCode::HashMismatch, "{}", h.name());
        assert!(report.request_id.is_none());
        assert_eq!(active_requests(&h, testing::AUTHOR), 0);
        assert_eq!(h.audit_count(), 0);
        let requests = h.dir.path().join("requests").join(testing::WS);
        let leftovers = std::fs::read_dir(&requests).map(|d| d.count()).unwrap_or(0);
        assert_eq!(leftovers, 0, "{}: no request directory is left", h.name());
    }
}

/// ONE-2, D-m: eight threads adding files for the same author and workspace at the same moment
/// create exactly one request, and every file lands on it.
#[test]
fn one_2_eight_concurrent_first_adds_create_one_request() {
    for h in harnesses(Rules::default()) {
        let shown = workspace(&h, 40);
        let barrier = Barrier::new(8);
        let ids: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = shown[..8]
                .iter()
                .map(|path| {
                    let (store, barrier) = (&h.store, &barrier);
                    s.spawn(move || {
                        let author = testing::author();
                        barrier.wait();
                        let report = store
                            .act(
                                &author,
                                Target::Current(testing::WS),
                                &airlock_store::testing::add_files(
                                    GroupChoice::Named("default".into()),
                                    [(path.clone(), FileType::Output)],
                                ),
                            )
                            .expect("batch");
                        assert_eq!(report.succeeded(), 1, "{:?}", report.parts);
                        report.request_id.expect("request")
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|t| t.join().expect("thread"))
                .collect()
        });
        assert!(
            ids.windows(2).all(|w| w[0] == w[1]),
            "{}: {ids:?}",
            h.name()
        );
        assert_eq!(active_requests(&h, testing::AUTHOR), 1, "{}", h.name());
        assert_eq!(h.state(&ids[0]).files.len(), 8, "{}", h.name());
        let creates = h
            .audit_types(&ids[0])
            .into_iter()
            .filter(|t| *t == AuditType::RequestCreate)
            .count();
        assert_eq!(creates, 1, "{}", h.name());
        assert!(h.verify_chain().is_ok());
    }
}

/// FIL-7: updating pulls the workspace's new content (new hash, votes deleted); an unchanged
/// file is refused with `file_unchanged`.
#[test]
fn fil_7_update_file() {
    for h in harnesses(Rules::default()) {
        let shown = workspace(&h, 10);
        let author = testing::author();
        let report = h
            .store
            .act(
                &author,
                Target::Current(testing::WS),
                &airlock_store::testing::add_files(
                    GroupChoice::Named("default".into()),
                    outputs(&shown[..1]).clone(),
                ),
            )
            .expect("add");
        let id = report.request_id.expect("request");
        let update = Action::UpdateFiles {
            paths: vec![shown[0].to_string()],
        };
        let report = h
            .store
            .act(&author, Target::Request(&id), &update)
            .expect("a batch");
        let err = report.parts[0].1.clone().expect_err("unchanged");
        assert_eq!(err.error_code(), ErrorCode::FileUnchanged, "{}", h.name());
        let old = h.state(&id).files[0].file_id.clone();
        rewrite_output(&h, &shown[0], b"a,b\n1,20\n");
        let report = h
            .store
            .act(&author, Target::Request(&id), &update)
            .expect("a batch");
        assert_eq!(report.parts, [(shown[0].clone(), Ok(()))], "{}", h.name());
        let file = h.state(&id).files[0].clone();
        assert_ne!(file.file_id, old);
        assert!(
            h.store
                .request_blobs(testing::WS, &id)
                .expect("blobs")
                .verify(&file.file_id)
                .expect("stored")
        );
        let types = h.audit_types(&id);
        assert_eq!(
            &types[types.len() - 2..],
            &[AuditType::RequestFileWithdraw, AuditType::RequestFileUpdate]
        );
        // UPL-2: the identity of each blob the store wrote and verified is recorded.
        for file_id in [&old, &file.file_id] {
            assert_sealed(&h, &id, file_id);
        }
    }
}

/// The recorded identity of a blob is the one it has on disk.
fn assert_sealed(h: &support::store::Harness, id: &str, file_id: &str) {
    let path = h
        .store
        .request_blobs(testing::WS, id)
        .expect("blobs")
        .path(file_id)
        .expect("path");
    let on_disk = std::fs::metadata(&path)
        .ok()
        .as_ref()
        .and_then(airlock_store::blobstore::seal_of);
    let mut conn = h.db.conn().expect("conn");
    let key = airlock_store::db::upload::blob_key(testing::WS, id, file_id);
    let recorded = airlock_store::db::upload::seal(&mut conn, &key).expect("seal");
    assert!(recorded.is_some(), "{}: {file_id} sealed", h.name());
    assert_eq!(recorded, on_disk, "{}", h.name());
}

/// FIL-10: moving a file to a new group and retyping it.
#[test]
fn fil_10_change_properties() {
    for h in harnesses(Rules::default()) {
        let shown = workspace(&h, 10);
        let author = testing::author();
        let id = h
            .store
            .act(
                &author,
                Target::Current(testing::WS),
                &airlock_store::testing::add_files(
                    GroupChoice::Named("default".into()),
                    outputs(&shown[..1]).clone(),
                ),
            )
            .expect("add")
            .request_id
            .expect("request");
        let err = h
            .store
            .act(
                &author,
                Target::Request(&id),
                &Action::ChangeFile {
                    path: shown[0].clone(),
                    group: None,
                    filetype: Some(FileType::Output),
                },
            )
            .expect_err("nothing changes");
        assert_eq!(err.error_code(), ErrorCode::NoChanges);
        h.store
            .act(
                &author,
                Target::Request(&id),
                &Action::ChangeFile {
                    path: shown[0].clone(),
                    group: Some("figures".into()),
                    filetype: Some(FileType::Supporting),
                },
            )
            .expect("moved");
        let file = h.state(&id).files[0].clone();
        assert_eq!(
            (file.group.as_str(), file.filetype),
            ("figures", FileType::Supporting)
        );
        h.store
            .act(
                &author,
                Target::Request(&id),
                &Action::WithdrawFile {
                    path: shown[0].to_string(),
                },
            )
            .expect("withdraw");
        assert!(h.state(&id).files.is_empty(), "FIL-8: deleted in PENDING");
    }
}
