//! One transactional operation per action of `behaviour.md` (§0.4).
//!
//! [`Store`] is what every surface calls: the web pages, the JSON API, the CLI and the release
//! worker. Each state-changing method runs in one write transaction that reads the request
//! aggregate, asks `airlock_core::action` whether and how the action happens, and writes the
//! resulting effects (the change, its audit entries and any outbox row) before committing. A
//! refused action returns its [`AirlockError`] and writes nothing.
//!
//! Concurrency: on SQLite every write transaction holds the database write lock from its first
//! statement (`BEGIN IMMEDIATE`); on PostgreSQL the request row is locked (`SELECT ... FOR
//! UPDATE`) before it is read. ONE-2 is a unique index on both backends; an add that loses the
//! race to create a request re-reads and joins the winner's request (D-m).
//!
//! Modules: [`act`] (the entry point every action takes: [`Store::act`]), `files` (adding and
//! updating files, which copy bytes into the request file store first), [`release`] (the
//! release's call to the Jobs site, and the upload worker's steps), [`reads`] (lookups and
//! listings, with permission checks), [`views`] (reads shaped as the surfaces show them).

pub mod act;
mod aggregate;
pub mod content;
pub mod directory;
mod file;
pub mod open;
pub mod read;
pub mod regular;
pub mod release;
pub mod user;
pub mod view;

use crate::blobstore::{BlobStore, RequestBlobs};
use crate::db::{self, DbConnection, DbError, Pool, PooledConn};
use crate::workspace::WorkspaceReader;
use airlock_core::action::Outcome;
use airlock_core::{AirlockError, Ctx, ErrorCode, RequestState, Rules, Timestamp, User};
use std::sync::Arc;

pub use act::{Report, Target};
pub use directory::{DirReport, DirRequest};

/// Attempts of a transaction that lost a race (a unique-index conflict) before giving up.
pub(crate) const CONFLICT_RETRIES: usize = 5;

std::thread_local! {
    /// Set while a transaction on this thread queues a notification; read after its commit.
    static QUEUED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The time source: the real clock, or a fixed or stepped one in tests.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// The organisation and repository that notifications name (NOT-4), when configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRepo {
    /// The GitHub organisation.
    pub org: String,
    /// The repository.
    pub repo: String,
}

impl OrgRepo {
    /// The organisation and repository the configuration names, when it names both (§22).
    pub fn from_config(config: &crate::config::Config) -> Option<OrgRepo> {
        match (&config.output_checking_org, &config.output_checking_repo) {
            (Some(org), Some(repo)) => Some(OrgRepo {
                org: org.clone(),
                repo: repo.clone(),
            }),
            _ => None,
        }
    }
}

/// The transactional store: database pool, rules, workspaces and request file store.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    rules: Rules,
    workspaces: WorkspaceReader,
    blobs: BlobStore,
    org_repo: Option<OrgRepo>,
    clock: Clock,
    automated: bool,
    /// §15 hints of stored blobs, by blob hash (blobs never change).
    hints: Arc<view::BoundedCache<String, Vec<airlock_core::hint::Hint>>>,
    /// REN-3 statistics and §15 hints of CSV contents, by content identity (REN-4's cache id
    /// without the renderer).
    analyses: Arc<view::BoundedCache<String, airlock_core::hint::CsvAnalysis>>,
    /// REN-2 table indexes and sort orders, by content identity.
    tables: Arc<content::TableCache>,
    /// The path order of workspace tree layouts, by layout.
    listing_orders: Arc<view::BoundedCache<view::ListingKey, Vec<u32>>>,
    /// Request aggregates by id and version (see [`aggregates`]).
    aggregates: Arc<aggregate::Aggregates>,
    /// The Jobs site, when a token is configured (REL-2).
    jobs_site: Option<crate::jobsite::JobSiteClient>,
    /// Wakes the background worker when work is queued (UPL-6).
    signal: Arc<crate::signal::WorkSignal>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("rules", &self.rules)
            .field("org_repo", &self.org_repo)
            .finish_non_exhaustive()
    }
}

/// An error inside an operation: a refusal by the rules, or a database failure.
#[derive(Debug)]
pub(crate) enum OpError {
    Refused(AirlockError),
    Db(DbError),
    /// What the operation read before the transaction changed meanwhile: start again.
    Stale,
}

impl From<AirlockError> for OpError {
    fn from(e: AirlockError) -> Self {
        OpError::Refused(e)
    }
}

impl From<DbError> for OpError {
    fn from(e: DbError) -> Self {
        OpError::Db(e)
    }
}

impl From<diesel::result::Error> for OpError {
    fn from(e: diesel::result::Error) -> Self {
        OpError::Db(e.into())
    }
}

impl From<OpError> for AirlockError {
    fn from(e: OpError) -> Self {
        match e {
            OpError::Refused(e) => e,
            OpError::Db(e) => e.into(),
            OpError::Stale => AirlockError::with_message(
                ErrorCode::Internal,
                "The request kept changing during the action; try again.",
            ),
        }
    }
}

/// The current time at the precision the database stores.
pub fn system_clock() -> Timestamp {
    db::db_time(chrono::Utc::now())
}

impl Store {
    /// A store over these parts, with the system clock and no notification org/repo.
    pub fn new(pool: Pool, rules: Rules, workspaces: WorkspaceReader, blobs: BlobStore) -> Self {
        Store {
            pool,
            rules,
            workspaces,
            blobs,
            org_repo: None,
            clock: Arc::new(system_clock),
            automated: false,
            hints: Arc::new(view::BoundedCache::new(view::HINT_CACHE_ENTRIES)),
            analyses: Arc::new(view::BoundedCache::new(content::ANALYSIS_CACHE_ENTRIES)),
            tables: Arc::new(content::TableCache::new()),
            listing_orders: Arc::new(view::BoundedCache::new(view::LISTING_ORDERS)),
            aggregates: Arc::new(aggregate::Aggregates::new(aggregate::AGGREGATE_ROWS)),
            jobs_site: None,
            signal: Arc::new(crate::signal::WorkSignal::new()),
        }
    }

    /// Sets the organisation and repository named in notification payloads (NOT-4).
    pub fn with_org_repo(mut self, org_repo: Option<OrgRepo>) -> Self {
        self.org_repo = org_repo;
        self
    }

    /// Replaces the clock (tests). Times are truncated to what the database stores.
    pub fn with_clock(mut self, clock: impl Fn() -> Timestamp + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(move || db::db_time(clock()));
        self
    }

    /// The same store acting for an operator command or a scheduled job: every audit entry its
    /// operations write carries `automated_action = "true"` (AUD-2, OPS-1 to OPS-3).
    pub fn automated(&self) -> Store {
        Store {
            automated: true,
            ..self.clone()
        }
    }

    /// The context of an action by `actor` now.
    fn ctx<'a>(&'a self, actor: &'a User) -> Ctx<'a> {
        Ctx::new(actor, &self.rules, self.now()).automated(self.automated)
    }

    /// The rules in force.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// The workspace reader.
    pub fn workspaces(&self) -> &WorkspaceReader {
        &self.workspaces
    }

    /// The request file store.
    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    /// The stored files of one request (FMT-12).
    pub fn request_blobs(
        &self,
        workspace: &str,
        request_id: &str,
    ) -> airlock_core::Result<RequestBlobs> {
        Ok(self.blobs.request(workspace, request_id)?)
    }

    /// The database pool.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The current time.
    pub fn now(&self) -> Timestamp {
        (self.clock)()
    }

    /// A pooled connection; failure maps to `internal` (and is logged).
    pub(crate) fn conn(&self) -> Result<PooledConn, OpError> {
        Ok(self.pool.get().map_err(DbError::from)?)
    }

    fn org_repo(&self) -> Option<(&str, &str)> {
        self.org_repo
            .as_ref()
            .map(|o| (o.org.as_str(), o.repo.as_str()))
    }

    /// Runs `f` in a write transaction, retrying the whole transaction when it lost a race on a
    /// unique index (ONE-2, D-m). Refusals are never retried.
    fn transaction<T>(
        &self,
        f: impl FnMut(&mut DbConnection) -> Result<T, OpError>,
    ) -> Result<T, AirlockError> {
        self.transaction_raw(f).map_err(AirlockError::from)
    }

    /// As [`Store::transaction`], keeping the [`OpError`].
    fn transaction_raw<T>(
        &self,
        mut f: impl FnMut(&mut DbConnection) -> Result<T, OpError>,
    ) -> Result<T, OpError> {
        let mut conn = self.conn()?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            QUEUED.set(false);
            match db::write_tx(&mut conn, &mut f) {
                Err(OpError::Db(e)) if e.is_conflict() && attempt < CONFLICT_RETRIES => {
                    tracing::debug!(error = %e, attempt, "write conflict, retrying");
                }
                other => {
                    if other.is_ok() && QUEUED.get() {
                        // After the commit, so that the woken worker sees the new rows.
                        self.signal.wake();
                    }
                    return other;
                }
            }
        }
    }

    /// Writes an outcome's effects for `request_id` and returns its value.
    fn write<T>(
        &self,
        conn: &mut DbConnection,
        request_id: &str,
        outcome: Outcome<T>,
    ) -> Result<T, OpError> {
        let (effects, value) = outcome.into_parts();
        db::apply_effects(conn, request_id, &effects, self.org_repo())?;
        if effects
            .iter()
            .any(|e| matches!(e, airlock_core::effect::Effect::Notify(_)))
        {
            QUEUED.set(true);
        }
        Ok(value)
    }

    /// Locks and loads a request inside the current transaction: `not_found` when it does not
    /// exist.
    fn locked_state(
        &self,
        conn: &mut DbConnection,
        request_id: &str,
    ) -> Result<RequestState, OpError> {
        db::lock_request(conn, request_id)?;
        self.shared_state(conn, request_id)?
            .map(|(_, state)| RequestState::clone(&state))
            .ok_or_else(|| OpError::Refused(AirlockError::not_found()))
    }

    /// A request's aggregate and its version: the one kept in memory when its version is the
    /// database's, else read and kept. `None` when the request does not exist.
    fn shared_state(
        &self,
        conn: &mut DbConnection,
        request_id: &str,
    ) -> Result<Option<(i64, Arc<RequestState>)>, OpError> {
        let Some(version) = db::request_version(conn, request_id)? else {
            return Ok(None);
        };
        if let Some(state) = self.aggregates.get(request_id, version) {
            return Ok(Some((version, state)));
        }
        let Some(state) = db::load_request_state(conn, request_id)? else {
            return Ok(None);
        };
        let state = Arc::new(state);
        self.aggregates.put(version, Arc::clone(&state));
        Ok(Some((version, state)))
    }
}
