//! What commands share: the configuration and the database connection.

use airlock_store::config::Config;
use airlock_store::db::{self, PooledConn};
use airlock_store::store::Store;
use anyhow::{Context, bail};
use clap::CommandFactory;
use clap::error::ErrorKind;
use std::path::Path;

/// The configuration file path, or a usage error (exit 2) when none was given.
pub fn config_path(path: Option<&Path>) -> anyhow::Result<&Path> {
    path.ok_or_else(|| {
        crate::cli::Cli::command()
            .error(
                ErrorKind::MissingRequiredArgument,
                "this command needs a configuration file: pass --config <FILE> or set \
                 AIRLOCK_CONFIG",
            )
            .into()
    })
}

/// Loads and validates the configuration (process environment overrides included).
pub fn load_config(path: Option<&Path>) -> anyhow::Result<Config> {
    Ok(Config::load(config_path(path)?)?)
}

/// Connects to the configured database and checks that it is migrated. A SQLite file that
/// does not exist is refused rather than created.
pub fn open_database(config: &Config) -> anyhow::Result<PooledConn> {
    if let Some(path) = config.database_url.sqlite_path()
        && !path.exists()
    {
        bail!(
            "the database {} does not exist: run `airlock migrate` first",
            path.display()
        );
    }
    let pool = db::connect(config.database_url.as_str(), 1)?;
    let mut conn = pool.get().context("cannot open a database connection")?;
    let pending = db::pending_migrations(&mut conn)?;
    if !pending.is_empty() {
        bail!(
            "the {} database is not migrated ({} pending: {}): run `airlock migrate` first",
            conn.backend(),
            pending.len(),
            pending.join(", ")
        );
    }
    Ok(conn)
}

/// Opens the transactional store on the configured database, refusing a missing SQLite file or
/// an unmigrated schema as [`open_database`] does.
pub fn open_store(config: &Config) -> anyhow::Result<Store> {
    drop(open_database(config)?);
    Ok(Store::open(config)?)
}
