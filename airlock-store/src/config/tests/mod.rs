//! Tests of the configuration, by concern; they share [`Fixture`].

use super::*;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

mod display;
mod load;
mod secret_key;
mod validate;

/// A temporary base directory with a workspaces directory and a users file.
pub(super) struct Fixture {
    dir: tempfile::TempDir,
}

pub(super) const MINIMAL: &str = r#"
work_dir = "work"
workspace_dir = "workspaces"
request_dir = "work/requests"
dev_users_file = "users.json"
"#;

impl Fixture {
    pub(super) fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("workspaces")).expect("mkdir");
        std::fs::write(dir.path().join("users.json"), "{}").expect("users file");
        Fixture { dir }
    }

    pub(super) fn base(&self) -> &Path {
        self.dir.path()
    }

    pub(super) fn load(&self, text: &str) -> Result<Config, ConfigError> {
        self.load_env(text, &[])
    }

    pub(super) fn load_env(&self, text: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_toml(
            text,
            Path::new("airlock.toml"),
            |var| env.get(var).cloned(),
            self.base(),
        )
    }

    /// MINIMAL plus one line; the load must fail naming `key`.
    pub(super) fn refused(&self, extra: &str, key: &str) -> String {
        self.refused_env(&format!("{MINIMAL}{extra}\n"), &[], key)
    }

    pub(super) fn refused_env(&self, text: &str, env: &[(&str, &str)], key: &str) -> String {
        let err = match self.load_env(text, env) {
            Ok(config) => panic!("accepted {text:?} {env:?}: {config:?}"),
            Err(e) => e,
        };
        let message = err.to_string();
        assert_eq!(err.key(), Some(key), "{message}");
        assert!(message.contains(&format!("`{key}`")), "{message}");
        message
    }
}
