//! Building a [`Store`] from the configuration.

use super::{OrgRepo, Store};
use crate::blobstore::BlobStore;
use crate::config::Config;
use crate::db::{self, DbError};
use crate::workspace::WorkspaceReader;

/// Connections in the pool of a store opened from the configuration.
pub const POOL_SIZE: u32 = 16;

impl Store {
    /// Opens the store the configuration describes: connects to `database_url` (the real
    /// driver error on failure) and refuses a database whose schema is not migrated, so that
    /// nothing runs against an old schema. Run `airlock migrate` (or [`db::run_migrations`])
    /// first.
    pub fn open(config: &Config) -> Result<Store, DbError> {
        let pool = db::connect(config.database_url.as_str(), POOL_SIZE)?;
        let pending = db::pending_migrations(&mut *pool.get()?)?;
        if !pending.is_empty() {
            return Err(DbError::Migration(format!(
                "the database has {} pending migration(s) ({}); run `airlock migrate` first",
                pending.len(),
                pending.join(", ")
            )));
        }
        let org_repo = OrgRepo::from_config(config);
        Ok(Store::new(
            pool,
            config.rules(),
            WorkspaceReader::new(&config.workspace_dir),
            BlobStore::new(&config.request_dir),
        )
        .with_org_repo(org_repo)
        .with_jobs_site(crate::jobsite::JobSiteClient::from_config(config)))
    }

    /// `api.md` §5: the database is reachable and its schema is current.
    pub fn health(&self) -> airlock_core::Result<()> {
        let mut conn = self.conn()?;
        let pending = db::pending_migrations(&mut conn).map_err(super::OpError::Db)?;
        if pending.is_empty() {
            Ok(())
        } else {
            Err(airlock_core::AirlockError::with_message(
                airlock_core::ErrorCode::Internal,
                format!("{} pending migration(s)", pending.len()),
            ))
        }
    }
}
