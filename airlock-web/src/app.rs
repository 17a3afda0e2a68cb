//! The state every handler shares, and the one way handlers call the store.

use crate::api::error::ApiError;
use crate::api::guards::Caller;
use airlock_core::User;
use airlock_store::config::Config;
use airlock_store::ops::Store;
use airlock_store::ops::sessions::{Auth, Directory};
use std::sync::Arc;

/// The service's shared state: the store and authentication.
#[derive(Clone, Debug)]
pub struct App {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    auth: Auth,
}

impl App {
    /// The state over an opened store and a login directory.
    pub fn new(store: Store, directory: Directory, config: &Config) -> App {
        let auth = Auth::new(store.clone(), directory, Auth::settings_of(config));
        App {
            inner: Arc::new(Inner { store, auth }),
        }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Authentication.
    pub fn auth(&self) -> &Auth {
        &self.inner.auth
    }

    /// Runs a store call for the user of `caller`'s bearer token (re-authorised when due,
    /// AUTH-5 to AUTH-7) on a blocking thread.
    pub async fn run_as<T, F>(&self, caller: Caller, call: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&App, &User) -> airlock_core::Result<T> + Send + 'static,
    {
        self.run(move |app| {
            let user = app.auth().user_of_token(&caller.token)?;
            call(app, &user)
        })
        .await
    }

    /// Runs a store call on a blocking thread (database and file I/O never block the async
    /// executor) and maps its refusal to an API error.
    pub async fn run<T, F>(&self, call: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&App) -> airlock_core::Result<T> + Send + 'static,
    {
        let app = self.clone();
        match rocket::tokio::task::spawn_blocking(move || call(&app)).await {
            Ok(result) => result.map_err(ApiError::from),
            Err(e) => Err(ApiError::internal(&format!("a store call failed: {e}"))),
        }
    }
}
