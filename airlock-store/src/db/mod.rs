//! The database layer: one schema over SQLite and PostgreSQL (Diesel), embedded migrations,
//! a connection pool, write transactions, and loading and saving the request aggregate.
//!
//! Layout:
//! - [`schema`]: the Diesel tables; [`pool`]: connections, the pool and migrations;
//! - [`tx`]: [`write_tx`] and [`lock_request`], how every state-changing action runs (§0.4);
//! - [`apply`]: [`apply_effects`] writes an action's [`Effect`](airlock_core::effect::Effect)s,
//!   [`append_audit`] extends the audit hash chain (AUD-4);
//! - [`outbox`]: the notification outbox read and updated by the delivery worker (NOT-5);
//! - [`uploads`]: the upload queue's reads (UPL-1, UPL-5 to UPL-7);
//! - [`queries`]: reads ([`load_request_state`], [`current_request_id`], [`audit_entries`], ...);
//! - [`rows`]: row types and their conversion to and from `airlock_core` types;
//!
//! Times are stored in UTC at microsecond precision ([`db_time`] truncates a time the same way).

pub mod apply;
pub mod outbox;
pub mod pool;
pub mod query;
pub mod row;
pub mod schema;
pub mod session;
pub mod tx;
pub mod upload;

pub use apply::{append_audit, apply_effects};
pub use pool::{
    Backend, ConnectionManager, DbConnection, Pool, PooledConn, connect, pending_migrations,
    run_migrations,
};
pub use query::{
    AuditFilter, RequestFilter, audit_entries, current_request_id, for_each_audit_entry,
    full_names, get_user, list_requests, load_request, load_request_state, load_request_states,
    released_hashes, request_version, upsert_user,
};
pub use row::db_time;
pub use tx::{lock_request, write_tx};

use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// An error of the database layer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL names no supported database.
    #[error("unsupported database URL {0:?}: use postgres://, postgresql://, sqlite:// or a path")]
    BadUrl(String),
    /// The database could not be reached or opened; the text is the driver's own message.
    #[error("cannot connect to the {backend} database: {message}")]
    Connect {
        /// Which backend.
        backend: Backend,
        /// The driver's message.
        message: String,
    },
    /// No connection could be taken from the pool.
    #[error("no database connection available: {0}")]
    Pool(#[from] r2d2::Error),
    /// A migration failed.
    #[error("database migration failed: {0}")]
    Migration(String),
    /// A unique constraint refused the write, e.g. a second active request for the same
    /// workspace and author (ONE-2). On PostgreSQL the transaction is aborted: retry it whole.
    #[error("conflicting write: {0}")]
    Conflict(String),
    /// A row that an update needs does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// A stored value cannot be read back (bad enum name or JSON).
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// A JSON value could not be encoded or decoded.
    #[error("stored JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// Any other database error.
    #[error("database error: {0}")]
    Query(DieselError),
}

impl From<DieselError> for DbError {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                DbError::Conflict(match info.constraint_name() {
                    Some(name) => format!("{} ({name})", info.message()),
                    None => info.message().to_string(),
                })
            }
            other => DbError::Query(other),
        }
    }
}

impl DbError {
    /// True for [`DbError::Conflict`].
    pub fn is_conflict(&self) -> bool {
        matches!(self, DbError::Conflict(_))
    }

    /// The stable code a user sees: `not_found` for [`DbError::NotFound`], else `internal`.
    pub fn error_code(&self) -> airlock_core::ErrorCode {
        match self {
            DbError::NotFound(_) => airlock_core::ErrorCode::NotFound,
            _ => airlock_core::ErrorCode::Internal,
        }
    }
}

impl From<DbError> for airlock_core::AirlockError {
    /// Logs the detail and keeps the code's default message, so that no database text reaches
    /// a user.
    fn from(e: DbError) -> Self {
        tracing::error!(error = %e, "database error");
        airlock_core::AirlockError::new(e.error_code())
    }
}
