//! Write transactions (§0.4): an action reads, checks and writes inside one transaction that no
//! concurrent action on the same request can interleave with.
//!
//! - SQLite: the outermost [`write_tx`] starts with `BEGIN IMMEDIATE`, taking the database write
//!   lock before the first read, so every write transaction is serialised (other writers wait up
//!   to `busy_timeout`).
//! - PostgreSQL: a normal (READ COMMITTED) transaction; call [`lock_request`] first to take the
//!   request row's lock (`SELECT ... FOR UPDATE`) before reading the aggregate. Audit appends
//!   take their own lock ([`crate::db::append_audit`]).
//!
//! A `write_tx` inside another transaction becomes a savepoint.

use super::pool::DbConnection;
use super::schema::requests;
use diesel::connection::{AnsiTransactionManager, Connection, TransactionManager};
use diesel::prelude::*;
use diesel::result::Error as DieselError;

type Manager = <DbConnection as Connection>::TransactionManager;

/// Serialises this process's SQLite write transactions. SQLite admits one writer at a time;
/// without this, concurrent writers wait in SQLite's busy handler, which sleeps in growing
/// steps (up to 100 ms) and makes tail latencies of concurrent actions long. Waiting here is
/// a plain queue. Other processes (the CLI) still wait through `busy_timeout`.
static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `f` in a write transaction: commits when it returns `Ok`, rolls back on `Err`.
pub fn write_tx<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<DieselError>,
{
    let outermost = Manager::transaction_manager_status_mut(conn)
        .transaction_depth()?
        .is_none();
    let _writer = (outermost && matches!(conn, DbConnection::Sqlite(_))).then(|| {
        SQLITE_WRITER
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    });
    begin(conn)?;
    match f(conn) {
        Ok(value) => {
            // A failed top-level COMMIT (e.g. a deferred foreign key) is rolled back by Diesel.
            Manager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(user_error) => match Manager::rollback_transaction(conn) {
            Ok(()) | Err(DieselError::BrokenTransactionManager) => Err(user_error),
            Err(rollback_error) => Err(rollback_error.into()),
        },
    }
}

fn begin(conn: &mut DbConnection) -> Result<(), DieselError> {
    let depth = Manager::transaction_manager_status_mut(conn).transaction_depth()?;
    match conn {
        DbConnection::Sqlite(c) if depth.is_none() => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
        }
        _ => Manager::begin_transaction(conn),
    }
}

/// Locks the request row until the end of the transaction (PostgreSQL `SELECT ... FOR UPDATE`);
/// a no-op on SQLite, where [`write_tx`] already holds the write lock. Succeeds when the
/// request does not exist.
pub fn lock_request(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(_) => Ok(()),
        DbConnection::Pg(c) => requests::table
            .find(id)
            .select(requests::id)
            .for_update()
            .first::<String>(c)
            .optional()
            .map(drop),
    }
}
