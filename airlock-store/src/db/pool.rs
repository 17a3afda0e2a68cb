//! Connections, the pool and migrations. The backend is chosen from the URL scheme:
//! `postgres://` or `postgresql://` is PostgreSQL; `sqlite://<path>`, `sqlite:<path>` or a bare
//! path is SQLite.

use super::DbError;
use diesel::connection::{Connection, SimpleConnection, TransactionManager};
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use std::fmt;
use std::time::Duration;

/// The SQLite migrations.
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
/// The PostgreSQL migrations.
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Run on every new SQLite connection. `busy_timeout` comes first so that switching to WAL
/// waits for a concurrent connection instead of failing.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout=10000; PRAGMA journal_mode=WAL; \
     PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;";

mod multi {
    // The derive generates undocumented public helper types next to the enum.
    #![allow(missing_docs)]
    use diesel::{PgConnection, SqliteConnection};

    /// A connection to either backend. Use it as any Diesel connection; match on it for
    /// backend-specific statements.
    #[derive(diesel::MultiConnection)]
    pub enum DbConnection {
        /// SQLite.
        Sqlite(SqliteConnection),
        /// PostgreSQL.
        Pg(PgConnection),
    }
}

pub use multi::{DbConnection, MultiBackend};

/// The database engine behind a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// SQLite (a file).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Backend {
    /// `sqlite` or `postgres`.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl DbConnection {
    /// The backend of this connection.
    pub fn backend(&self) -> Backend {
        match self {
            DbConnection::Sqlite(_) => Backend::Sqlite,
            DbConnection::Pg(_) => Backend::Postgres,
        }
    }
}

/// Where a database URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A SQLite file (or any name SQLite accepts).
    Sqlite(String),
    /// A PostgreSQL connection URL, passed to libpq unchanged.
    Postgres(String),
}

impl Target {
    /// Parses a database URL (see the module docs).
    pub fn parse(url: &str) -> Result<Target, DbError> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Target::Postgres(url.to_string()));
        }
        let path = if let Some(rest) = url.strip_prefix("sqlite://") {
            rest
        } else if let Some(rest) = url.strip_prefix("sqlite:") {
            rest
        } else if url.contains("://") {
            return Err(DbError::BadUrl(url.to_string()));
        } else {
            url
        };
        if path.is_empty() {
            return Err(DbError::BadUrl(url.to_string()));
        }
        Ok(Target::Sqlite(path.to_string()))
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        match self {
            Target::Sqlite(_) => Backend::Sqlite,
            Target::Postgres(_) => Backend::Postgres,
        }
    }
}

/// An r2d2 connection manager that opens the backend named by the URL and reports the real
/// connection error (the derived `MultiConnection::establish` would try every backend).
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    target: Target,
}

impl ConnectionManager {
    /// A manager for this URL.
    pub fn new(url: &str) -> Result<Self, DbError> {
        Ok(ConnectionManager {
            target: Target::parse(url)?,
        })
    }

    /// The backend it connects to.
    pub fn backend(&self) -> Backend {
        self.target.backend()
    }

    /// Opens one connection; SQLite connections get WAL, foreign keys and a busy timeout.
    pub fn establish(&self) -> Result<DbConnection, DbError> {
        let connect_error = |backend, e: &dyn fmt::Display| DbError::Connect {
            backend,
            message: e.to_string(),
        };
        match &self.target {
            Target::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path)
                    .map_err(|e| connect_error(Backend::Sqlite, &e))?;
                conn.batch_execute(SQLITE_PRAGMAS)
                    .map_err(|e| connect_error(Backend::Sqlite, &e))?;
                Ok(DbConnection::Sqlite(conn))
            }
            Target::Postgres(url) => PgConnection::establish(url)
                .map(DbConnection::Pg)
                .map_err(|e| connect_error(Backend::Postgres, &e)),
        }
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = DbError;

    fn connect(&self) -> Result<DbConnection, DbError> {
        self.establish()
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), DbError> {
        conn.batch_execute("SELECT 1").map_err(DbError::from)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        <DbConnection as Connection>::TransactionManager::is_broken_transaction_manager(conn)
    }
}

/// The connection pool.
pub type Pool = r2d2::Pool<ConnectionManager>;
/// A connection taken from the pool; dereferences to [`DbConnection`].
pub type PooledConn = r2d2::PooledConnection<ConnectionManager>;

/// How long [`Pool::get`] waits for a free connection.
pub const POOL_TIMEOUT: Duration = Duration::from_secs(15);

/// Opens a pool of at most `max_size` connections. One connection is opened at once so that a
/// bad URL or an unreachable server fails here, quickly, with the driver's message.
pub fn connect(url: &str, max_size: u32) -> Result<Pool, DbError> {
    let manager = ConnectionManager::new(url)?;
    drop(manager.establish()?);
    Ok(r2d2::Pool::builder()
        .max_size(max_size.max(1))
        .min_idle(Some(0))
        .connection_timeout(POOL_TIMEOUT)
        .build_unchecked(manager))
}

/// Applies every pending migration; returns the names applied, oldest first.
pub fn run_migrations(conn: &mut DbConnection) -> Result<Vec<String>, DbError> {
    let pending = pending_migrations(conn)?;
    let result = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(drop),
        DbConnection::Pg(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(drop),
    };
    result.map_err(|e| DbError::Migration(e.to_string()))?;
    Ok(pending)
}

/// The names of the migrations not yet applied, oldest first.
pub fn pending_migrations(conn: &mut DbConnection) -> Result<Vec<String>, DbError> {
    fn names<M: ?Sized + diesel::migration::Migration<B>, B: diesel::backend::Backend>(
        list: Vec<Box<M>>,
    ) -> Vec<String> {
        list.iter().map(|m| m.name().to_string()).collect()
    }
    match conn {
        DbConnection::Sqlite(c) => c.pending_migrations(SQLITE_MIGRATIONS).map(names),
        DbConnection::Pg(c) => c.pending_migrations(POSTGRES_MIGRATIONS).map(names),
    }
    .map_err(|e| DbError::Migration(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_the_backend() {
        let cases = [
            (
                "postgres://u@h/db",
                Target::Postgres("postgres://u@h/db".into()),
            ),
            (
                "postgresql://h/db",
                Target::Postgres("postgresql://h/db".into()),
            ),
            (
                "sqlite:///var/db.sqlite",
                Target::Sqlite("/var/db.sqlite".into()),
            ),
            ("sqlite://rel.db", Target::Sqlite("rel.db".into())),
            ("sqlite:rel.db", Target::Sqlite("rel.db".into())),
            ("data/airlock.db", Target::Sqlite("data/airlock.db".into())),
        ];
        for (url, want) in cases {
            assert_eq!(Target::parse(url).ok(), Some(want), "{url}");
        }
        for bad in ["mysql://h/db", "", "sqlite://"] {
            assert!(
                matches!(Target::parse(bad), Err(DbError::BadUrl(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn unreachable_postgres_fails_fast_with_the_real_error() {
        let started = std::time::Instant::now();
        let err = connect("postgres://nobody@127.0.0.1:1/none?connect_timeout=2", 2)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("cannot connect to the postgres database"),
            "{err}"
        );
        assert!(err.to_lowercase().contains("connection"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}
