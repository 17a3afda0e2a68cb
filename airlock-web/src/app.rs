//! The state every handler shares, and the one way handlers call the store.

use crate::api::error::ApiError;
use crate::api::guard::Caller;
use airlock_core::User;
use airlock_store::auth::{Auth, Directory};
use airlock_store::config::{Config, SecretKey};
use airlock_store::store::Store;
use std::sync::Arc;

/// The service's shared state: the store, authentication and the server secret.
#[derive(Clone, Debug)]
pub struct App {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    auth: Auth,
    site: Site,
    /// The server secret (`secret_key`), for the pages' CSRF tokens and cookie sessions.
    secret_key: SecretKey,
    /// One permit per core for the work of store calls (see [`App::run_as`]).
    cpu: rocket::tokio::sync::Semaphore,
    /// WEB-8: the study repositories of the code view.
    code: airlock_store::code::CodeCache,
}

/// What the pages say about this service: its backend, test mode and public URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// The backend name (`backend`, PG-7).
    pub backend: String,
    /// Test mode: no Jobs site token (AUTH-3, PG-8).
    pub test_mode: bool,
    /// The URL users open the service at, when configured (PG-10, PG-11).
    pub public_url: Option<String>,
    /// PG-8: the one-click logins of test mode: researchers first, then checkers, then the
    /// rest, each by username.
    pub logins: Vec<Login>,
    /// REN-5: how much of a log before its job summary is shown.
    pub max_log_chars: usize,
}

/// PG-8: a one-click login of test mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// The username.
    pub username: String,
    /// Their token in the users file.
    pub token: String,
    /// The name shown.
    pub name: String,
    /// What they may do, in words.
    pub roles: String,
    /// Researchers 0, checkers 1, everyone else 2: the order of the list.
    rank: u8,
}

impl Site {
    /// The site a configuration describes, with the users file's logins in test mode.
    pub fn of(config: &Config, directory: &Directory) -> Site {
        let logins = match directory {
            Directory::UsersFile(users) => {
                let mut logins: Vec<Login> = users
                    .logins()
                    .map(|(username, token, name)| {
                        let user = users.user(username);
                        Login {
                            username: username.to_string(),
                            token: token.to_string(),
                            name: name.to_string(),
                            roles: user.map(airlock_core::label::roles).unwrap_or_default(),
                            rank: user.map_or(2, |u| {
                                match (u.workspaces.is_empty(), u.output_checker) {
                                    (false, false) => 0,
                                    (_, true) => 1,
                                    _ => 2,
                                }
                            }),
                        }
                    })
                    .collect();
                logins.sort_by(|a, b| (a.rank, &a.username).cmp(&(b.rank, &b.username)));
                logins
            }
            Directory::JobSite(_) => Vec::new(),
        };
        Site {
            backend: config.backend.clone(),
            test_mode: config.jobs_api_token.is_none(),
            public_url: config.public_url.clone(),
            logins,
            max_log_chars: config.max_log_chars,
        }
    }

    /// PG-10: cookies are `Secure` when the public URL is HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.to_ascii_lowercase().starts_with("https://"))
    }
}

/// How many store calls work at once: one per core. More would only share the cores: each
/// call would take longer and the slowest much longer (measured with `just load`: with 16 at
/// once on 2 cores, p99 of a page of files 19 ms; with 2, 10.6 ms, and less CPU per request).
pub fn cpu_slots() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
}

impl App {
    /// The state over an opened store, a login directory and the server secret
    /// ([`Config::secret_key_or_generate`]).
    pub fn new(store: Store, directory: Directory, config: &Config, secret_key: SecretKey) -> App {
        let site = Site::of(config, &directory);
        let auth = Auth::new(store.clone(), directory, Auth::settings_of(config));
        App {
            inner: Arc::new(Inner {
                store,
                auth,
                site,
                secret_key,
                cpu: rocket::tokio::sync::Semaphore::new(cpu_slots()),
                code: airlock_store::code::CodeCache::from_config(config),
            }),
        }
    }

    /// WEB-8: the code view's repository cache.
    pub fn code(&self) -> &airlock_store::code::CodeCache {
        &self.inner.code
    }

    /// The same state with `slots` per-core permits instead of one per core (tests).
    pub fn with_cpu_slots(self, slots: usize) -> App {
        let inner = Inner {
            store: self.inner.store.clone(),
            auth: self.inner.auth.clone(),
            site: self.inner.site.clone(),
            secret_key: self.inner.secret_key.clone(),
            cpu: rocket::tokio::sync::Semaphore::new(slots.max(1)),
            code: self.inner.code.clone(),
        };
        App {
            inner: Arc::new(inner),
        }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// What the pages say about this service.
    pub fn site(&self) -> &Site {
        &self.inner.site
    }

    /// Authentication.
    pub fn auth(&self) -> &Auth {
        &self.inner.auth
    }

    /// The server secret: what the pages sign and check CSRF tokens and session cookies with
    /// (PG-10, PG-11). Never log it.
    pub fn secret_key(&self) -> &SecretKey {
        &self.inner.secret_key
    }

    /// Runs a store call for the user of `caller`'s token (re-authorised when due, AUTH-5 to
    /// AUTH-7) on a blocking thread, holding one of the per-core permits (taken in arrival
    /// order) except while a re-authorisation waits on the Jobs site.
    pub async fn call_as<T, F>(&self, caller: Caller, call: F) -> airlock_core::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&App, &User) -> airlock_core::Result<T> + Send + 'static,
    {
        self.call(move |app| {
            let (user, _permit) = app.authenticated(&caller)?;
            call(app, &user)
        })
        .await
    }

    /// As [`App::call_as`], answering the JSON API's error.
    pub async fn run_as<T, F>(&self, caller: Caller, call: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&App, &User) -> airlock_core::Result<T> + Send + 'static,
    {
        self.call_as(caller, call).await.map_err(ApiError::from)
    }

    /// On a blocking thread: the caller's user and a per-core permit, let go while a due
    /// re-authorisation waits on the Jobs site.
    pub fn authenticated(
        &self,
        caller: &Caller,
    ) -> airlock_core::Result<(User, rocket::tokio::sync::SemaphorePermit<'_>)> {
        let mut permit = Some(self.cpu_permit()?);
        let user = self
            .auth()
            .user_of_token_with(caller.kind, &caller.token, &mut |waiting| {
                permit = if waiting {
                    None
                } else {
                    self.cpu_permit().ok()
                };
            })?;
        let permit = match permit {
            Some(permit) => permit,
            None => self.cpu_permit()?,
        };
        Ok((user, permit))
    }

    /// On a blocking thread: waits, in arrival order, for one of the per-core permits of store
    /// work. Hold it only while working, never while waiting on a client or the Jobs site.
    pub fn cpu_permit(&self) -> airlock_core::Result<rocket::tokio::sync::SemaphorePermit<'_>> {
        let stopping = || {
            airlock_core::AirlockError::with_message(
                airlock_core::ErrorCode::Internal,
                "the service is stopping",
            )
        };
        rocket::tokio::runtime::Handle::try_current()
            .map_err(|_| stopping())?
            .block_on(self.inner.cpu.acquire())
            .map_err(|_| stopping())
    }

    /// As [`App::call_as`], for a call that waits on the Jobs site (the release): it takes no
    /// per-core permit, so that a slow Jobs site never holds up other calls.
    pub async fn call_as_waiting<T, F>(&self, caller: Caller, call: F) -> airlock_core::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&App, &User) -> airlock_core::Result<T> + Send + 'static,
    {
        self.call(move |app| {
            let user = app.auth().user_of_token(caller.kind, &caller.token)?;
            call(app, &user)
        })
        .await
    }

    /// As [`App::call_as_waiting`], answering the JSON API's error.
    pub async fn run_as_waiting<T, F>(&self, caller: Caller, call: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&App, &User) -> airlock_core::Result<T> + Send + 'static,
    {
        self.call_as_waiting(caller, call)
            .await
            .map_err(ApiError::from)
    }

    /// Runs a store call on a blocking thread (database and file I/O never block the async
    /// executor).
    pub async fn call<T, F>(&self, call: F) -> airlock_core::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&App) -> airlock_core::Result<T> + Send + 'static,
    {
        let app = self.clone();
        match rocket::tokio::task::spawn_blocking(move || call(&app)).await {
            Ok(result) => result,
            Err(e) => {
                tracing::error!(error = %e, "a store call failed");
                Err(airlock_core::AirlockError::with_message(
                    airlock_core::ErrorCode::Internal,
                    "A store call failed.",
                ))
            }
        }
    }

    /// As [`App::call`], answering the JSON API's error.
    pub async fn run<T, F>(&self, call: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&App) -> airlock_core::Result<T> + Send + 'static,
    {
        self.call(call).await.map_err(ApiError::from)
    }
}
