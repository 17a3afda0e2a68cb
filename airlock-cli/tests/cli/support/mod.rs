//! What the end-to-end tests of the `airlock` binary share: a temporary site with a
//! configuration, and running the built binary in it.

#![allow(dead_code)]

use airlock_store::db::{self, DbConnection};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const BIN: &str = env!("CARGO_BIN_EXE_airlock");

/// The result of one run of the binary.
#[derive(Debug)]
pub struct Run {
    /// The exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// A temporary directory with a workspaces directory, a users file and `airlock.toml` using
/// relative paths; the binary runs with it as the working directory.
pub struct Site {
    _dir: tempfile::TempDir,
    /// The site's directory (canonical).
    pub root: PathBuf,
}

pub const CONFIG: &str = r#"work_dir = "work"
workspace_dir = "workspaces"
request_dir = "work/requests"
dev_users_file = "users.json"
secret_key = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY="
"#;

impl Site {
    /// A site with the default configuration, an empty workspaces directory and no users.
    pub fn new() -> Site {
        Site::with_config(CONFIG)
    }

    /// A site with this `airlock.toml`.
    pub fn with_config(config: &str) -> Site {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical temp dir");
        std::fs::create_dir(root.join("workspaces")).expect("workspaces dir");
        std::fs::write(root.join("users.json"), "{}").expect("users file");
        std::fs::write(root.join("airlock.toml"), config).expect("config");
        Site { _dir: dir, root }
    }

    /// Runs `airlock --config airlock.toml <args>` in the site's directory.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    /// As [`Site::run`], with `input` on standard input.
    pub fn run_with_input(&self, args: &[&str], input: &str) -> Run {
        let mut all = vec!["--config", "airlock.toml"];
        all.extend_from_slice(args);
        run_full(&self.root, &all, &[], Some(input))
    }

    /// As [`Site::run`], with extra environment variables.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut all = vec!["--config", "airlock.toml"];
        all.extend_from_slice(args);
        run_in(&self.root, &all, env)
    }

    /// The SQLite database file.
    pub fn db_path(&self) -> PathBuf {
        self.root.join("work/airlock.db")
    }

    /// The SQLite database, migrated by the binary.
    pub fn migrated_db(&self) -> DbConnection {
        let run = self.run(&["migrate"]);
        assert_eq!(run.code, 0, "{run:?}");
        connect(&self.db_path().to_string_lossy())
    }

    /// The site's directory replaced by `[SITE]`.
    pub fn redact(&self, text: &str) -> String {
        text.replace(&self.root.to_string_lossy().into_owned(), "[SITE]")
    }
}

/// Runs the binary with a clean `AIRLOCK_*` environment plus `env`, standard input closed.
pub fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    run_full(dir, args, env, None)
}

/// Runs the binary with a clean `AIRLOCK_*` environment plus `env`, and `input` (if any) on
/// standard input.
pub fn run_full(dir: &Path, args: &[&str], env: &[(&str, &str)], input: Option<&str>) -> Run {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir).args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("AIRLOCK_") || key == "RUST_LOG" {
            cmd.env_remove(key);
        }
    }
    cmd.env("RUST_BACKTRACE", "0").env("NO_COLOR", "1");
    for (key, value) in env {
        cmd.env(key, value);
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run airlock");
    let mut stdin = child.stdin.take().expect("stdin");
    if let Some(input) = input {
        stdin.write_all(input.as_bytes()).expect("write stdin");
    }
    drop(stdin);
    let output = child.wait_with_output().expect("wait for airlock");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A direct connection to a database.
pub fn connect(url: &str) -> DbConnection {
    db::pool::ConnectionManager::new(url)
        .expect("url")
        .establish()
        .expect("connect")
}
