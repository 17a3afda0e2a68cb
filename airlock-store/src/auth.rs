//! Login, bearer tokens and re-authorisation (`behaviour.md` AUTH-1 to AUTH-8, `api.md` §2).
//!
//! [`Auth`] asks the Jobs site (or, in test mode, the users file) who a person is, keeps the
//! local user record fresh, and issues and checks bearer tokens. The rules of when to refresh
//! and when a session ends are `airlock_core::session`'s; this module does the calls and the
//! writes.

use crate::config::{Config, ConfigError};
use crate::db::session as db;
use crate::jobsite::{JobSiteClient, JobSiteError};
use crate::store::{OpError, Store};
use airlock_core::session::{self, AuthzSettings, RefreshAnswer, SESSION_LIFETIME, SessionVerdict};
use airlock_core::users_file::UsersFile;
use airlock_core::{AirlockError, ErrorCode, User};
use rand::Rng;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The `ended_reason` of tokens that re-authorisation ended.
const ENDED_BY_REAUTHORISATION: &str = "session_expired";

/// Who says who a person is: the Jobs site, or the users file in test mode (AUTH-3, API-8).
#[derive(Debug, Clone)]
pub enum Directory {
    /// `jobserver-api.md` §2 and §3.
    JobSite(JobSiteClient),
    /// `jobserver-api.md` §7.
    UsersFile(Arc<UsersFile>),
}

impl Directory {
    /// The directory the configuration names (a valid configuration names one, AUTH-3).
    pub fn from_config(config: &Config) -> Result<Directory, ConfigError> {
        config.validate()?;
        if let Some(client) = JobSiteClient::from_config(config) {
            return Ok(Directory::JobSite(client));
        }
        // Validation refuses a configuration with neither; an empty file lets nobody in.
        let users = config.load_users()?.unwrap_or_default();
        Ok(Directory::UsersFile(Arc::new(users)))
    }
}

/// The two kinds of session (PG-10): a token of one kind is never accepted as the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionKind {
    /// A bearer token of the JSON API (`Authorization: Bearer`).
    Api,
    /// A cookie session of the web pages (`airlock-sessionid`).
    Web,
}

impl SessionKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Api => "api",
            SessionKind::Web => "web",
        }
    }
}

/// A new session token and the user it was issued to.
#[derive(Debug, Clone)]
pub struct Login {
    /// The token text; shown once, stored only as its hash.
    pub token: String,
    /// The user, as stored.
    pub user: User,
}

/// Login, bearer tokens and re-authorisation over one store.
#[derive(Debug, Clone)]
pub struct Auth {
    store: Store,
    directory: Directory,
    settings: AuthzSettings,
}

/// The stored form of a token: the hex sha256 of its text.
fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn refused(code: ErrorCode) -> AirlockError {
    AirlockError::new(code)
}

impl Auth {
    /// Authentication over `store`, asking `directory`, with these re-authorisation settings.
    pub fn new(store: Store, directory: Directory, settings: AuthzSettings) -> Auth {
        Auth {
            store,
            directory,
            settings,
        }
    }

    /// The re-authorisation settings of a configuration.
    pub fn settings_of(config: &Config) -> AuthzSettings {
        let delta = |d: std::time::Duration| {
            chrono::TimeDelta::from_std(d).unwrap_or(chrono::TimeDelta::MAX)
        };
        AuthzSettings {
            refresh_interval: delta(config.authz_refresh_interval),
            grace_period: delta(config.authz_grace_period),
        }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// AUTH-1 to AUTH-3 (API-9 to API-11): checks the typed user and single-use token, stores
    /// the user record and issues a bearer token. Any failure is `login_failed`; the real
    /// cause is logged. Never retried, because the token is single-use.
    pub fn login(
        &self,
        kind: SessionKind,
        typed_user: &str,
        login_token: &str,
    ) -> airlock_core::Result<Login> {
        let user = match &self.directory {
            Directory::JobSite(client) => {
                client.authenticate(typed_user, login_token).map_err(|e| {
                    tracing::info!(user = typed_user, "login failed: {e}");
                    refused(ErrorCode::LoginFailed)
                })?
            }
            Directory::UsersFile(users) => users
                .login(typed_user, login_token)
                .cloned()
                .ok_or_else(|| {
                    tracing::info!(user = typed_user, "login failed: not in the users file");
                    refused(ErrorCode::LoginFailed)
                })?,
        };
        self.store.save_user(&user)?;
        let token = new_token();
        let now = self.store.now();
        let mut conn = self.store.conn()?;
        db::insert_token(
            &mut conn,
            kind.as_str(),
            &token_hash(&token),
            &user.username,
            now,
            now + SESSION_LIFETIME,
        )
        .map_err(OpError::Db)?;
        tracing::info!(user = %user.username, "logged in");
        Ok(Login { token, user })
    }

    /// `api.md` §2: the user a bearer token stands for, after re-authorisation when it is due
    /// (AUTH-5 to AUTH-7). A missing, unknown, expired or revoked token is `unauthenticated`;
    /// a token whose session re-authorisation ended is `session_expired`.
    pub fn user_of_token(&self, kind: SessionKind, token: &str) -> airlock_core::Result<User> {
        self.user_of_token_with(kind, token, &mut |_| {})
    }

    /// As [`Auth::user_of_token`]; `waiting` is told `true` before a due re-authorisation calls
    /// the Jobs site and `false` after it answered, so that a caller can let go of what it
    /// should not hold while waiting on the network (the web service's per-core permit).
    pub fn user_of_token_with(
        &self,
        kind: SessionKind,
        token: &str,
        waiting: &mut dyn FnMut(bool),
    ) -> airlock_core::Result<User> {
        let hash = token_hash(token);
        let now = self.store.now();
        let row = {
            let mut conn = self.store.conn()?;
            db::token_with_user(&mut conn, kind.as_str(), &hash).map_err(OpError::Db)?
        };
        let Some(row) = row else {
            return Err(refused(ErrorCode::Unauthenticated));
        };
        if row.token.revoked_at.is_some() {
            return Err(refused(match row.token.ended_reason.as_deref() {
                Some(ENDED_BY_REAUTHORISATION) => ErrorCode::SessionExpired,
                _ => ErrorCode::Unauthenticated,
            }));
        }
        let expires = row.token.expires().unwrap_or(now);
        if session::token_expired(now, expires) {
            return Err(refused(ErrorCode::Unauthenticated));
        }
        if let Some(renewed) = session::renewed_expiry(now, expires) {
            let mut conn = self.store.conn()?;
            db::set_token_expiry(&mut conn, &hash, renewed).map_err(OpError::Db)?;
        }
        let Some(user_row) = row.user else {
            return Err(refused(ErrorCode::Unauthenticated));
        };
        let (stored, last_refresh) = user_row.into_user().map_err(OpError::Db)?;
        self.current_user(stored, last_refresh, row.refresh_failed_at, waiting)
    }

    /// The user's record, refreshed when due; ends their sessions when re-authorisation says so.
    fn current_user(
        &self,
        stored: User,
        last_refresh: chrono::DateTime<chrono::Utc>,
        failed_at: Option<chrono::DateTime<chrono::Utc>>,
        waiting: &mut dyn FnMut(bool),
    ) -> airlock_core::Result<User> {
        let now = self.store.now();
        let username = stored.username.clone();
        let username = username.as_str();
        let mut user = stored;
        let answer = if session::refresh_due(now, last_refresh, failed_at, self.settings) {
            let remote = matches!(self.directory, Directory::JobSite(_));
            if remote {
                waiting(true);
            }
            let refreshed = self.refresh(username);
            if remote {
                waiting(false);
            }
            Some(match refreshed {
                Ok(fresh) => {
                    self.store.save_user(&fresh)?;
                    user = fresh;
                    RefreshAnswer::Renewed
                }
                Err(answer) => {
                    if answer == RefreshAnswer::Unavailable {
                        let mut conn = self.store.conn()?;
                        db::set_refresh_failed(&mut conn, username, now).map_err(OpError::Db)?;
                    }
                    answer
                }
            })
        } else {
            None
        };
        match session::verdict(now, last_refresh, answer, self.settings) {
            SessionVerdict::Keep => Ok(user),
            SessionVerdict::End => {
                let mut conn = self.store.conn()?;
                let ended = db::end_user_tokens(&mut conn, username, now, ENDED_BY_REAUTHORISATION)
                    .map_err(OpError::Db)?;
                tracing::info!(user = username, ended, "sessions ended by re-authorisation");
                Err(refused(ErrorCode::SessionExpired))
            }
        }
    }

    /// API-12 to API-14 (or the users file): the fresh record, or how the refresh failed.
    fn refresh(&self, username: &str) -> Result<User, RefreshAnswer> {
        match &self.directory {
            Directory::UsersFile(users) => {
                // API-31: re-authorisation returns the stored record unchanged.
                match users.user(username) {
                    Some(user) => Ok(user.clone()),
                    None => self
                        .store
                        .user(username)
                        .ok()
                        .flatten()
                        .map(|(user, _)| user)
                        .ok_or(RefreshAnswer::Denied),
                }
            }
            Directory::JobSite(client) => client.authorise(username).map_err(|e| {
                tracing::warn!(user = username, "re-authorisation failed: {e}");
                match e {
                    JobSiteError::Status {
                        status: 403 | 404, ..
                    } => RefreshAnswer::Denied,
                    _ => RefreshAnswer::Unavailable,
                }
            }),
        }
    }

    /// AUTH-9, `api.md` §2: revokes this token (of this kind only).
    pub fn logout(&self, kind: SessionKind, token: &str) -> airlock_core::Result<()> {
        let mut conn = self.store.conn()?;
        db::revoke_token(
            &mut conn,
            kind.as_str(),
            &token_hash(token),
            self.store.now(),
        )
        .map_err(OpError::Db)?;
        Ok(())
    }
}

/// A new bearer token: 256 random bits as hex (`api.md` §2 asks for at least 128).
fn new_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    hex::encode(bytes)
}
