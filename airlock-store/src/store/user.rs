//! The local user table (USR-1 to USR-4): records fetched from the Jobs site or the users file.

use super::Store;
use crate::db;
use airlock_core::{Timestamp, User};

impl Store {
    /// USR-3: replaces the stored record of `user` wholesale, with `last_refresh` := now.
    pub fn save_user(&self, user: &User) -> airlock_core::Result<()> {
        let mut conn = self.conn()?;
        Ok(db::upsert_user(&mut conn, user, self.now())?)
    }

    /// OPS-1: the stored record of `username`, whom an operator's command acts as; `not_found`
    /// when the user has never logged in (the local user table holds them from then on).
    pub fn local_user(&self, username: &str) -> airlock_core::Result<User> {
        self.user(username)?.map(|(user, _)| user).ok_or_else(|| {
            airlock_core::AirlockError::with_message(
                airlock_core::ErrorCode::NotFound,
                format!("No user {username:?} in the local user table."),
            )
        })
    }

    /// The stored record of `username` and the time of its last refresh, if any.
    pub fn user(&self, username: &str) -> airlock_core::Result<Option<(User, Timestamp)>> {
        let mut conn = self.conn()?;
        Ok(db::get_user(&mut conn, username)?)
    }
}
