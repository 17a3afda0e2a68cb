//! A [`Store`] per test database, seeded requests, and readers of what the store wrote.

#![allow(dead_code)]

use airlock_core::audit::{AuditEntry, AuditType};
use airlock_core::chain::ChainVerifier;
use airlock_core::effect::Effect;
use airlock_core::testing;
use airlock_core::{RequestState, Rules, Status, Timestamp, User};
use airlock_store::blobstore::BlobStore;
use airlock_store::db::{self, AuditFilter};
use airlock_store::store::Store;
use airlock_store::testing::TestDb;
use airlock_store::workspace::WorkspaceReader;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// A store over a test database, with a ticking clock (one second per reading) and empty
/// workspace and request-file directories.
pub struct Harness {
    pub db: TestDb,
    pub store: Store,
    pub dir: tempfile::TempDir,
}

pub fn harness(db: TestDb, rules: Rules) -> Harness {
    let dir = tempfile::tempdir().expect("tempdir");
    let workspaces = dir.path().join("workspaces");
    let blobs = dir.path().join("requests");
    std::fs::create_dir_all(&workspaces).expect("workspaces dir");
    std::fs::create_dir_all(&blobs).expect("requests dir");
    let tick = Arc::new(AtomicI64::new(0));
    let store = Store::new(
        db.pool.clone(),
        rules,
        WorkspaceReader::new(&workspaces),
        BlobStore::new(&blobs),
    )
    .with_clock(move || testing::at(tick.fetch_add(1, Ordering::SeqCst)));
    Harness { db, store, dir }
}

/// One harness per test database (SQLite, and PostgreSQL when configured).
pub fn harnesses(rules: Rules) -> Vec<Harness> {
    airlock_store::testing::test_databases()
        .into_iter()
        .map(|db| harness(db, rules.clone()))
        .collect()
}

impl Harness {
    pub fn name(&self) -> &'static str {
        self.db.name()
    }

    /// Writes a request aggregate as it stands (rows only: no audit, no outbox).
    pub fn seed(&self, state: &RequestState) {
        // The request's workspace exists (FMT-1): operations that take its name ask.
        std::fs::create_dir_all(
            self.dir
                .path()
                .join("workspaces")
                .join(&state.request.workspace),
        )
        .expect("workspace dir");
        let mut effects = vec![Effect::CreateRequest(state.request.clone())];
        effects.extend(state.groups.iter().cloned().map(Effect::CreateGroup));
        effects.extend(state.files.iter().cloned().map(Effect::InsertFile));
        effects.extend(state.votes.iter().cloned().map(Effect::PutVote));
        effects.extend(state.comments.iter().cloned().map(Effect::InsertComment));
        let mut conn = self.db.conn().expect("conn");
        db::apply_effects(&mut conn, &state.request.id, &effects, None).expect("seed");
    }

    pub fn state(&self, id: &str) -> RequestState {
        let mut conn = self.db.conn().expect("conn");
        db::load_request_state(&mut conn, id)
            .expect("load")
            .expect("request exists")
    }

    pub fn status(&self, id: &str) -> Status {
        self.state(id).request.status
    }

    /// Audit entries of a request, oldest first.
    pub fn audit(&self, id: &str) -> Vec<AuditEntry> {
        let mut conn = self.db.conn().expect("conn");
        let mut entries = db::audit_entries(
            &mut conn,
            AuditFilter {
                request: Some(id.to_string()),
                ..AuditFilter::default()
            },
        )
        .expect("audit");
        entries.reverse();
        entries
    }

    pub fn audit_types(&self, id: &str) -> Vec<AuditType> {
        self.audit(id).into_iter().map(|e| e.entry.kind).collect()
    }

    /// Every audit entry in the database.
    pub fn audit_count(&self) -> usize {
        let mut conn = self.db.conn().expect("conn");
        db::audit_entries(&mut conn, AuditFilter::default())
            .expect("audit")
            .len()
    }

    /// Event types of the queued notifications, oldest first.
    pub fn outbox(&self) -> Vec<String> {
        let mut conn = self.db.conn().expect("conn");
        db::outbox::stuck_notifications(&mut conn, 0)
            .expect("outbox")
            .into_iter()
            .map(|n| n.event_type)
            .collect()
    }

    /// AUD-5 over the whole chain.
    pub fn verify_chain(&self) -> Result<u64, airlock_core::chain::BadEntry> {
        let mut conn = self.db.conn().expect("conn");
        let mut verifier = ChainVerifier::new();
        db::for_each_audit_entry(&mut conn, 100, |e| {
            if verifier.push(e) {
                ControlFlow::Continue(())
            } else {
                ControlFlow::Break(())
            }
        })
        .expect("walk");
        verifier.finish()
    }

    pub fn save_user(&self, user: &User) {
        let mut conn = self.db.conn().expect("conn");
        db::upsert_user(&mut conn, user, testing::t0()).expect("user");
    }
}

pub fn far_future() -> Timestamp {
    testing::at(10 * 365 * 24 * 3600)
}

/// A PENDING request of [`testing::AUTHOR`] with `n` OUTPUT files in one complete group.
pub fn pending_with_files(n: usize) -> RequestState {
    let mut state = testing::request_in(Status::Pending);
    state.files.clear();
    for i in 0..n {
        state.files.push(testing::file(
            &format!("output/table_{i}.csv"),
            "default",
            airlock_core::FileType::Output,
        ));
    }
    state
}

/// A generated workspace named [`testing::WS`] with `outputs` entries in the harness's
/// workspace directory; returns the shown output paths.
pub fn workspace(h: &Harness, outputs: usize) -> Vec<String> {
    let generated = airlock_store::generate::generate_workspace(
        &h.dir.path().join("workspaces"),
        testing::WS,
        outputs,
        7,
    )
    .expect("generate");
    generated
        .of_kind(airlock_store::generate::OutputKind::Shown)
        .filter(|p| airlock_core::workspace::is_allowed_file_type(p))
        .map(str::to_string)
        .collect()
}

/// Rewrites a workspace output with new bytes and updates its manifest entry to match.
pub fn rewrite_output(h: &Harness, relpath: &str, bytes: &[u8]) {
    use sha2::Digest;
    let ws = h.dir.path().join("workspaces").join(testing::WS);
    std::fs::write(ws.join(relpath), bytes).expect("write output");
    let manifest_path = ws.join("metadata/manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).expect("read manifest"))
            .expect("manifest JSON");
    let entry = &mut manifest["outputs"][relpath];
    entry["content_hash"] = hex::encode(sha2::Sha256::digest(bytes)).into();
    entry["size"] = bytes.len().into();
    std::fs::write(
        &manifest_path,
        serde_json::to_vec_pretty(&manifest).expect("encode"),
    )
    .expect("write manifest");
}

/// Number of active requests of an author in [`testing::WS`].
pub fn active_requests(h: &Harness, author: &str) -> usize {
    let mut conn = h.db.conn().expect("conn");
    db::list_requests(
        &mut conn,
        db::RequestFilter {
            workspace: Some(testing::WS.to_string()),
            author: Some(author.to_string()),
            ..Default::default()
        },
    )
    .expect("list")
    .into_iter()
    .filter(|r| r.status.is_active())
    .count()
}
