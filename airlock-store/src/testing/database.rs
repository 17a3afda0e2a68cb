//! Test databases: every store test runs once per backend.
//!
//! [`test_databases`] gives a fresh, migrated SQLite file in a temporary directory and, when
//! the run has PostgreSQL ([`super::postgres`]), a fresh schema in that database (dropped again
//! when the [`TestDb`] is dropped). A configured but unreachable PostgreSQL is an error, never a
//! silent skip.
//!
//! ```no_run
//! for db in airlock_store::testing::test_databases() {
//!     let mut conn = db.conn().expect("connection");
//!     // ... assertions that name db.name() ...
//! }
//! ```

use super::postgres::{PgTarget, pg_target, required};
use crate::db::DbError;
use crate::db::pool::{Backend, Pool, PooledConn, connect, run_migrations};
use diesel::PgConnection;
use diesel::connection::{Connection, SimpleConnection};

/// Connections per test pool.
const POOL_SIZE: u32 = 10;

/// A migrated database for one test.
pub struct TestDb {
    /// The pool.
    pub pool: Pool,
    /// Its backend.
    pub backend: Backend,
    /// The URL the pool connects to.
    pub url: String,
    dir: Option<tempfile::TempDir>,
    pg_schema: Option<(String, String)>,
}

impl std::fmt::Debug for TestDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDb")
            .field("backend", &self.backend)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl TestDb {
    /// A fresh SQLite file in a new temporary directory, migrated.
    pub fn sqlite() -> Result<TestDb, DbError> {
        let dir = tempfile::tempdir().map_err(|e| DbError::Connect {
            backend: Backend::Sqlite,
            message: format!("cannot create a temporary directory: {e}"),
        })?;
        let url = dir.path().join("airlock.db").to_string_lossy().into_owned();
        let pool = connect(&url, POOL_SIZE)?;
        run_migrations(&mut *pool.get()?)?;
        Ok(TestDb {
            pool,
            backend: Backend::Sqlite,
            url,
            dir: Some(dir),
            pg_schema: None,
        })
    }

    /// A fresh schema in the PostgreSQL database at `base_url`, migrated; connections use it
    /// through `search_path`.
    pub fn postgres(base_url: &str) -> Result<TestDb, DbError> {
        let db = TestDb::postgres_unmigrated(base_url)?;
        run_migrations(&mut *db.pool.get()?)?;
        Ok(db)
    }

    /// A fresh, empty schema in the PostgreSQL database at `base_url` (for tests of migrating).
    pub fn postgres_unmigrated(base_url: &str) -> Result<TestDb, DbError> {
        let schema = format!(
            "airlock_test_{}",
            ulid::Ulid::new().to_string().to_lowercase()
        );
        let mut admin = PgConnection::establish(base_url).map_err(|e| DbError::Connect {
            backend: Backend::Postgres,
            message: format!("PostgreSQL at {base_url}: {e}"),
        })?;
        admin.batch_execute(&format!("CREATE SCHEMA \"{schema}\""))?;
        let separator = if base_url.contains('?') { '&' } else { '?' };
        let url = format!("{base_url}{separator}options=-csearch_path%3D{schema}");
        let db = TestDb {
            pool: connect(&url, POOL_SIZE)?,
            backend: Backend::Postgres,
            url,
            dir: None,
            pg_schema: Some((base_url.to_string(), schema)),
        };
        Ok(db)
    }

    /// A connection from the pool.
    pub fn conn(&self) -> Result<PooledConn, DbError> {
        Ok(self.pool.get()?)
    }

    /// The backend's name, for assertion messages.
    pub fn name(&self) -> &'static str {
        self.backend.as_str()
    }

    /// The temporary directory of a SQLite database.
    pub fn dir(&self) -> Option<&std::path::Path> {
        self.dir.as_ref().map(|d| d.path())
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base_url, schema)) = &self.pg_schema
            && let Ok(mut admin) = PgConnection::establish(base_url)
        {
            let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"));
        }
    }
}

/// The URL of the run's PostgreSQL database, `None` when PostgreSQL is not installed (and not
/// required, [`super::postgres::REQUIRE_PG_ENV`]).
pub fn postgres_url() -> Result<Option<String>, DbError> {
    let unavailable = |message: String| DbError::Connect {
        backend: Backend::Postgres,
        message,
    };
    match pg_target().map_err(unavailable)? {
        PgTarget::Url(url) => Ok(Some(url)),
        PgTarget::NotInstalled(why) if required() => Err(unavailable(format!(
            "{why}, and {} asks for PostgreSQL",
            super::postgres::REQUIRE_PG_ENV
        ))),
        PgTarget::NotInstalled(_) => Ok(None),
    }
}

/// The test databases: SQLite always, and PostgreSQL when the run has it.
pub fn try_test_databases() -> Result<Vec<TestDb>, DbError> {
    let mut dbs = vec![TestDb::sqlite()?];
    if let Some(url) = postgres_url()? {
        dbs.push(TestDb::postgres(&url)?);
    }
    Ok(dbs)
}

/// As [`try_test_databases`], for tests.
///
/// # Panics
/// When a database cannot be created, including a configured PostgreSQL that is unreachable:
/// the test fails loudly instead of skipping a backend.
pub fn test_databases() -> Vec<TestDb> {
    match try_test_databases() {
        Ok(dbs) => dbs,
        Err(e) => panic!("cannot create a test database: {e}"),
    }
}
