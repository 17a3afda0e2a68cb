//! The workspace reader (`workspace-format.md` §1–§3; `behaviour.md` §13).
//!
//! Reads the workspace directories under the `workspace_dir` setting; never writes them. Each
//! [`WorkspaceReader::open`] takes one snapshot of a workspace (FMT-9): its manifest, parsed once
//! per file identity ([`FileIdentity`]) and shared as an `Arc<Manifest>`, so an unchanged
//! manifest is never parsed twice. Paths are checked by FMT-5 and resolved with symbolic links
//! followed; anything that resolves outside the workspace directory is refused with `not_found`
//! (WS-1).
//!
//! Here are the reader and its caches; `load.rs` reads and parses a manifest (on two threads
//! beside its sha256), `snapshot.rs` is the opened [`Workspace`], `disk.rs` its files whose
//! metadata comes from the disk (`metadata/` and message files), `error.rs` the errors.

mod disk;
mod error;
mod load;
mod snapshot;

pub use error::WorkspaceError;
pub use snapshot::Workspace;

use crate::fileid::FileIdentity;
use airlock_core::workspace::{Digest, validate_workspace_name};
use error::io_err;
use load::ManifestSnapshot;
use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};

/// Where the manifest lives inside a workspace (FMT-3).
pub const MANIFEST_PATH: &str = "metadata/manifest.json";

/// What the clones of one reader share: the root and the caches.
#[derive(Debug)]
struct Inner {
    root: PathBuf,
    manifests: RwLock<HashMap<String, Arc<ManifestSnapshot>>>,
    hashes: Mutex<HashMap<PathBuf, (FileIdentity, Digest)>>,
    parses: AtomicU64,
}

/// Reads the workspaces under one root directory; cheap to clone and shareable between threads.
#[derive(Debug, Clone)]
pub struct WorkspaceReader {
    inner: Arc<Inner>,
}

impl WorkspaceReader {
    /// A reader over `workspace_dir` (§22).
    pub fn new(workspace_dir: impl Into<PathBuf>) -> Self {
        WorkspaceReader {
            inner: Arc::new(Inner {
                root: workspace_dir.into(),
                manifests: RwLock::new(HashMap::new()),
                hashes: Mutex::new(HashMap::new()),
                parses: AtomicU64::new(0),
            }),
        }
    }

    /// The workspace root directory.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// How many times a manifest file was read and parsed (cache misses), for tests and metrics.
    pub fn manifest_parses(&self) -> u64 {
        self.inner.parses.load(Ordering::Relaxed)
    }

    /// The names of the workspace directories, sorted. Entries whose names break FMT-1 and
    /// entries that are not directories are left out.
    pub fn list(&self) -> Result<Vec<String>, WorkspaceError> {
        let root = &self.inner.root;
        let entries = fs::read_dir(root).map_err(io_err("listing the workspace directory"))?;
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_err("listing the workspace directory"))?;
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            if validate_workspace_name(&name).is_ok() && root.join(&name).is_dir() {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    /// Whether a workspace of this name exists (FMT-1).
    pub fn exists(&self, name: &str) -> bool {
        validate_workspace_name(name).is_ok() && self.inner.root.join(name).is_dir()
    }

    /// FMT-9: a snapshot of the workspace: the manifest as it is now (from the cache when the
    /// file is unchanged). An unknown workspace or a bad name is `not_found` (FMT-1).
    pub fn open(&self, name: &str) -> Result<Workspace, WorkspaceError> {
        validate_workspace_name(name).map_err(|_| WorkspaceError::UnknownWorkspace(name.into()))?;
        let dir = self.inner.root.join(name);
        let dir = match fs::canonicalize(&dir) {
            Ok(dir) if dir.is_dir() => dir,
            Ok(_) => return Err(WorkspaceError::UnknownWorkspace(name.into())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(WorkspaceError::UnknownWorkspace(name.into()));
            }
            Err(e) => return Err(io_err(format!("opening workspace {name}"))(e)),
        };
        let snapshot = self.load_manifest(name, &dir.join(MANIFEST_PATH));
        Ok(Workspace {
            name: name.to_string(),
            dir,
            snapshot,
            inner: Arc::clone(&self.inner),
            disk: OnceLock::new(),
        })
    }

    /// The last snapshot of this workspace's manifest, if any.
    fn cached(&self, name: &str) -> Option<Arc<ManifestSnapshot>> {
        self.inner
            .manifests
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
    }
}
