//! WEB-8: the study repositories of the code view, fetched on demand into a bare cache under
//! `repo_cache_dir`, one shallow commit at a time, through the configured proxy, within
//! `git_timeout` (WEB-9), and never twice at once for one repository (a file lock per
//! repository, so several processes share the cache safely).
//!
//! It runs the `git` program rather than linking a git library: `git` is what every machine
//! that runs studies has, its shallow fetch by commit over smart HTTP is exactly what is wanted,
//! and the libraries that can do it (libgit2 through `git2`, or `gix`) would add a large C or
//! Rust build to a 2-core machine for one read-only feature.

use crate::config::{Config, Secret};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The largest code file shown.
pub const MAX_CODE_FILE_BYTES: u64 = 20 * 1024 * 1024;

/// Why the code view cannot show something.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// The repository could not be fetched (missing, refused, unreachable).
    #[error("The repository {0} could not be fetched: {1}")]
    Repository(String, String),
    /// The repository has no such commit.
    #[error("The repository has no commit {0}.")]
    Commit(String),
    /// The commit has no such file or directory.
    #[error("The commit has no {0}.")]
    Path(String),
    /// The fetch took longer than `git_timeout`.
    #[error("Fetching the repository took longer than {0} seconds.")]
    Timeout(u64),
    /// The file is larger than [`MAX_CODE_FILE_BYTES`].
    #[error("{0} is too large to show ({1} bytes).")]
    TooLarge(String, u64),
    /// `git` could not be run, or the cache could not be written.
    #[error("The code view failed: {0}")]
    Failed(String),
}

/// An entry of a directory of a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeEntry {
    /// Its name.
    pub name: String,
    /// A directory (a tree), else a file.
    pub is_dir: bool,
}

/// The cache of study repositories.
#[derive(Debug, Clone)]
pub struct CodeCache {
    dir: PathBuf,
    proxy: Option<String>,
    token: Option<Secret>,
    timeout: Duration,
}

/// Whether `commit` is a full commit id (40 hexadecimal digits, WEB-8).
pub fn is_commit_id(commit: &str) -> bool {
    commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit())
}

impl CodeCache {
    /// The cache a configuration describes.
    pub fn from_config(config: &Config) -> CodeCache {
        CodeCache {
            dir: config.repo_cache_dir.clone(),
            proxy: config.git_proxy_url.clone(),
            token: config.git_proxy_token.clone(),
            timeout: config.git_timeout,
        }
    }

    /// Where `url` is fetched from: itself, or through the proxy (`<proxy>/<host>/<path>`).
    pub fn fetch_url(&self, url: &str) -> String {
        match &self.proxy {
            None => url.to_string(),
            Some(proxy) => {
                let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
                format!(
                    "{}/{}",
                    proxy.trim_end_matches('/'),
                    rest.trim_start_matches('/')
                )
            }
        }
    }

    fn repo_dir(&self, url: &str) -> PathBuf {
        let hash = hex::encode(Sha256::digest(url.as_bytes()));
        self.dir.join(format!("{}.git", &hash[..24]))
    }

    fn git(&self, repo: &Path) -> Command {
        let mut command = Command::new("git");
        command
            .arg("--git-dir")
            .arg(repo)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .stdin(Stdio::null());
        command
    }

    /// Runs `command`, killed when it takes longer than the timeout.
    fn run(&self, mut command: Command) -> Result<Output, CodeError> {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| CodeError::Failed(format!("running git: {e}")))?;
        let deadline = Instant::now() + self.timeout;
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(CodeError::Timeout(self.timeout.as_secs()));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => return Err(CodeError::Failed(format!("waiting for git: {e}"))),
            }
        }
        child
            .wait_with_output()
            .map_err(|e| CodeError::Failed(format!("reading git: {e}")))
    }

    fn has_commit(&self, repo: &Path, commit: &str) -> bool {
        repo.join("HEAD").exists()
            && self
                .git(repo)
                .args(["cat-file", "-e", &format!("{commit}^{{commit}}")])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
    }

    /// The cached repository of `url` holding `commit`, fetched when it does not yet (one
    /// fetch at a time per repository: a second caller waits for the first and then finds the
    /// commit there).
    pub fn ensure(&self, url: &str, commit: &str) -> Result<PathBuf, CodeError> {
        if !is_commit_id(commit) {
            return Err(CodeError::Commit(commit.to_string()));
        }
        let commit = commit.to_ascii_lowercase();
        let repo = self.repo_dir(url);
        if self.has_commit(&repo, &commit) {
            return Ok(repo);
        }
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| CodeError::Failed(format!("creating {}: {e}", self.dir.display())))?;
        let lock = File::create(repo.with_extension("lock"))
            .map_err(|e| CodeError::Failed(format!("locking the cache: {e}")))?;
        lock.lock()
            .map_err(|e| CodeError::Failed(format!("locking the cache: {e}")))?;
        if self.has_commit(&repo, &commit) {
            return Ok(repo);
        }
        if !repo.join("HEAD").exists() {
            let init = Command::new("git")
                .args(["init", "--bare", "--quiet"])
                .arg(&repo)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .output()
                .map_err(|e| CodeError::Failed(format!("running git: {e}")))?;
            if !init.status.success() {
                return Err(CodeError::Failed(stderr_of(&init)));
            }
        }
        let mut fetch = self.git(&repo);
        if let Some(token) = &self.token {
            fetch.args([
                "-c",
                &format!("http.extraHeader=Authorization: Bearer {}", token.expose()),
            ]);
        }
        fetch.args([
            "-c",
            "http.lowSpeedLimit=1",
            "-c",
            &format!("http.lowSpeedTime={}", self.timeout.as_secs().max(1)),
            "fetch",
            "--quiet",
            "--no-tags",
            "--depth",
            "1",
            &self.fetch_url(url),
            &commit,
        ]);
        let fetched = self.run(fetch)?;
        if !fetched.status.success() {
            let why = stderr_of(&fetched);
            let lower = why.to_lowercase();
            // The repository answered, without that commit.
            if lower.contains("not our ref")
                || lower.contains("couldn't find remote ref")
                || lower.contains("no such remote ref")
                || lower.contains("unadvertised object")
            {
                return Err(CodeError::Commit(commit));
            }
            return Err(CodeError::Repository(url.to_string(), why));
        }
        if self.has_commit(&repo, &commit) {
            Ok(repo)
        } else {
            Err(CodeError::Commit(commit))
        }
    }

    /// The entries of directory `path` (empty: the top) of `commit`, directories first, each by
    /// name.
    pub fn list(&self, url: &str, commit: &str, path: &str) -> Result<Vec<CodeEntry>, CodeError> {
        let repo = self.ensure(url, commit)?;
        let spec = if path.is_empty() {
            commit.to_ascii_lowercase()
        } else {
            format!("{}:{path}", commit.to_ascii_lowercase())
        };
        let mut command = self.git(&repo);
        command.args(["ls-tree", "-z", &spec]);
        let listed = self.run(command)?;
        if !listed.status.success() {
            return Err(CodeError::Path(path.to_string()));
        }
        let mut entries: Vec<CodeEntry> = listed
            .stdout
            .split(|b| *b == 0)
            .filter(|line| !line.is_empty())
            .filter_map(|line| {
                let line = String::from_utf8_lossy(line);
                let (meta, name) = line.split_once('\t')?;
                Some(CodeEntry {
                    is_dir: meta.split(' ').nth(1) == Some("tree"),
                    name: name.to_string(),
                })
            })
            .collect();
        entries.sort_by(|a, b| b.is_dir.cmp(&a.is_dir).then(a.name.cmp(&b.name)));
        Ok(entries)
    }

    /// Whether `path` of `commit` is a directory.
    pub fn is_dir(&self, url: &str, commit: &str, path: &str) -> Result<bool, CodeError> {
        if path.is_empty() {
            return Ok(true);
        }
        let repo = self.ensure(url, commit)?;
        let mut command = self.git(&repo);
        command.args([
            "cat-file",
            "-t",
            &format!("{}:{path}", commit.to_ascii_lowercase()),
        ]);
        let kind = self.run(command)?;
        if !kind.status.success() {
            return Err(CodeError::Path(path.to_string()));
        }
        Ok(String::from_utf8_lossy(&kind.stdout).trim() == "tree")
    }

    /// The bytes of file `path` of `commit` (at most [`MAX_CODE_FILE_BYTES`]).
    pub fn read(&self, url: &str, commit: &str, path: &str) -> Result<Vec<u8>, CodeError> {
        let repo = self.ensure(url, commit)?;
        let object = format!("{}:{path}", commit.to_ascii_lowercase());
        let mut size = self.git(&repo);
        size.args(["cat-file", "-s", &object]);
        let sized = self.run(size)?;
        if !sized.status.success() {
            return Err(CodeError::Path(path.to_string()));
        }
        let bytes: u64 = String::from_utf8_lossy(&sized.stdout)
            .trim()
            .parse()
            .unwrap_or(u64::MAX);
        if bytes > MAX_CODE_FILE_BYTES {
            return Err(CodeError::TooLarge(path.to_string(), bytes));
        }
        let mut blob = self.git(&repo);
        blob.args(["cat-file", "blob", &object]);
        let read = self.run(blob)?;
        if !read.status.success() {
            return Err(CodeError::Path(path.to_string()));
        }
        let mut out = Vec::with_capacity(read.stdout.len());
        read.stdout
            .as_slice()
            .take(MAX_CODE_FILE_BYTES)
            .read_to_end(&mut out)
            .map_err(|e| CodeError::Failed(e.to_string()))?;
        Ok(out)
    }
}

fn stderr_of(output: &Output) -> String {
    let text = String::from_utf8_lossy(&output.stderr);
    let text = text.trim();
    if text.is_empty() {
        format!("git exited with {}", output.status)
    } else {
        text.lines().take(3).collect::<Vec<_>>().join(" ")
    }
}
