//! Sessions: the API's bearer tokens (`api.md` §2) and the pages' cookie sessions (PG-10), and
//! the re-authorisation bookkeeping of users (AUTH-5 to AUTH-7). Tokens are stored only as the
//! sha256 of their text, with their kind.

use super::DbError;
use super::pool::DbConnection;
use super::row::{UserRow, from_naive, to_naive};
use super::schema::{sessions, users};
use airlock_core::Timestamp;
use diesel::prelude::*;

/// What the database holds about one bearer token.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct TokenRow {
    /// Whose token it is.
    pub username: String,
    /// When it expires (AUTH-4).
    pub expires_at: Option<chrono::NaiveDateTime>,
    /// When it was revoked or ended.
    pub revoked_at: Option<chrono::NaiveDateTime>,
    /// Why re-authorisation ended it (`session_expired`), if it did.
    pub ended_reason: Option<String>,
}

impl TokenRow {
    /// The expiry as a UTC time.
    pub fn expires(&self) -> Option<Timestamp> {
        self.expires_at.map(from_naive)
    }
}

/// A token with its user's stored record, in one query (every authenticated call reads it).
#[derive(Debug, Clone)]
pub struct TokenWithUser {
    /// The token.
    pub token: TokenRow,
    /// The user's record, when stored.
    pub user: Option<UserRow>,
    /// When the user's last re-authorisation failed, if it did.
    pub refresh_failed_at: Option<Timestamp>,
}

/// A user row with its re-authorisation failure time.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
struct UserAuthRow {
    #[diesel(embed)]
    user: UserRow,
    refresh_failed_at: Option<chrono::NaiveDateTime>,
}

/// The token of this kind with this hash, and its user's record.
pub fn token_with_user(
    conn: &mut DbConnection,
    kind: &str,
    token_hash: &str,
) -> Result<Option<TokenWithUser>, DbError> {
    let row = sessions::table
        .left_join(users::table.on(users::username.eq(sessions::username)))
        .filter(sessions::token_hash.eq(token_hash))
        .filter(sessions::kind.eq(kind))
        .select((TokenRow::as_select(), Option::<UserAuthRow>::as_select()))
        .first::<(TokenRow, Option<UserAuthRow>)>(conn)
        .optional()?;
    Ok(row.map(|(token, user)| {
        let refresh_failed_at = user
            .as_ref()
            .and_then(|u| u.refresh_failed_at)
            .map(from_naive);
        TokenWithUser {
            token,
            user: user.map(|u| u.user),
            refresh_failed_at,
        }
    }))
}

/// Stores a new token of a kind (`api` or `web`).
pub fn insert_token(
    conn: &mut DbConnection,
    kind: &str,
    token_hash: &str,
    username: &str,
    now: Timestamp,
    expires_at: Timestamp,
) -> Result<(), DbError> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::token_hash.eq(token_hash),
            sessions::kind.eq(kind),
            sessions::username.eq(username),
            sessions::created_at.eq(to_naive(now)),
            sessions::expires_at.eq(Some(to_naive(expires_at))),
        ))
        .execute(conn)?;
    Ok(())
}

/// Moves a token's expiry (AUTH-4).
pub fn set_token_expiry(
    conn: &mut DbConnection,
    token_hash: &str,
    expires_at: Timestamp,
) -> Result<(), DbError> {
    diesel::update(sessions::table.find(token_hash))
        .set(sessions::expires_at.eq(Some(to_naive(expires_at))))
        .execute(conn)?;
    Ok(())
}

/// Revokes one token of a kind (logout); a revoked token stays revoked.
pub fn revoke_token(
    conn: &mut DbConnection,
    kind: &str,
    token_hash: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    diesel::update(
        sessions::table
            .find(token_hash)
            .filter(sessions::kind.eq(kind))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(Some(to_naive(now))))
    .execute(conn)?;
    Ok(())
}

/// AUTH-6, AUTH-7: ends every live token of a user, recording why.
pub fn end_user_tokens(
    conn: &mut DbConnection,
    username: &str,
    now: Timestamp,
    reason: &str,
) -> Result<usize, DbError> {
    Ok(diesel::update(
        sessions::table
            .filter(sessions::username.eq(username))
            .filter(sessions::revoked_at.is_null()),
    )
    .set((
        sessions::revoked_at.eq(Some(to_naive(now))),
        sessions::ended_reason.eq(Some(reason)),
    ))
    .execute(conn)?)
}

/// AUTH-7: records a failed re-authorisation attempt.
pub fn set_refresh_failed(
    conn: &mut DbConnection,
    username: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    diesel::update(users::table.find(username))
        .set(users::refresh_failed_at.eq(Some(to_naive(now))))
        .execute(conn)?;
    Ok(())
}
