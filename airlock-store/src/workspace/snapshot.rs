//! One opened workspace (FMT-9): its manifest as it was when opened, safe path resolution
//! (FMT-5), and what the rules ask of it (WS-1 shown, WS-5 statuses, the FIL-4 candidate).

use super::Inner;
use super::error::{WorkspaceError, io_err};
use super::load::ManifestSnapshot;
use airlock_core::workspace::{
    AddCandidate, DiskFiles, Manifest, ReleasedHashes, TreeOptions, WorkspaceFileStatus,
    WorkspaceTree, add_candidate, is_metadata_path, validate_relpath,
};
use airlock_core::{AirlockError, RequestState};
use std::fs::{self, File, Metadata};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// One snapshot of one workspace (FMT-9): use it for the whole of one HTTP request or action.
#[derive(Debug)]
pub struct Workspace {
    pub(super) name: String,
    pub(super) dir: PathBuf,
    pub(super) snapshot: Arc<ManifestSnapshot>,
    pub(super) inner: Arc<Inner>,
    pub(super) disk: OnceLock<DiskFiles>,
}

impl Workspace {
    /// The workspace name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The workspace directory, canonical.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The parsed manifest (empty when missing or unreadable).
    pub fn manifest(&self) -> &Arc<Manifest> {
        &self.snapshot.manifest
    }

    /// WS-8: the sha256 hex of the manifest bytes (of no bytes when there is no manifest).
    pub fn manifest_hash(&self) -> &str {
        &self.snapshot.hash
    }

    /// FMT-6: why the manifest could not be read, when it could not; show the user
    /// [`MANIFEST_UNREADABLE`](airlock_core::workspace::MANIFEST_UNREADABLE).
    pub fn manifest_error(&self) -> Option<&AirlockError> {
        self.snapshot.error.as_ref()
    }

    /// WS-1: whether the workspace shows `relpath`. Out-of-date outputs count when
    /// `include_out_of_date` (actions pass true, WS-4). A `metadata/` path is shown when it is
    /// a file on disk inside the workspace.
    pub fn is_shown(&self, relpath: &str, include_out_of_date: bool) -> bool {
        if validate_relpath(relpath).is_err() {
            return false;
        }
        if is_metadata_path(relpath) {
            return self.resolve(relpath).is_ok();
        }
        self.manifest()
            .shown_entry(relpath, include_out_of_date)
            .is_some()
    }

    /// FMT-5: the real path of `relpath`, symbolic links resolved. Refused when the path is not
    /// an acceptable relative path (`bad_path`), does not exist or is not a regular file, or
    /// resolves outside the workspace directory (`not_found`). Does not check WS-1.
    pub fn resolve(&self, relpath: &str) -> Result<PathBuf, WorkspaceError> {
        validate_relpath(relpath).map_err(WorkspaceError::BadPath)?;
        let missing = || WorkspaceError::Missing {
            workspace: self.name.clone(),
            path: relpath.into(),
        };
        let real = match fs::canonicalize(self.dir.join(relpath)) {
            Ok(real) => real,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                return Err(missing());
            }
            Err(e) => return Err(io_err(format!("resolving {relpath}"))(e)),
        };
        if !real.starts_with(&self.dir) {
            tracing::warn!(
                workspace = self.name,
                path = relpath,
                "path resolves outside the workspace"
            );
            return Err(WorkspaceError::OutsideWorkspace {
                workspace: self.name.clone(),
                path: relpath.into(),
            });
        }
        if !real.is_file() {
            return Err(missing());
        }
        Ok(real)
    }

    /// WS-1, FMT-4, FMT-5: opens a shown file for streaming, with its metadata. Out-of-date
    /// outputs count as shown.
    pub fn open_file(&self, relpath: &str) -> Result<(File, Metadata), WorkspaceError> {
        let shown =
            is_metadata_path(relpath) || self.manifest().shown_entry(relpath, true).is_some();
        if !shown {
            validate_relpath(relpath).map_err(WorkspaceError::BadPath)?;
            return Err(WorkspaceError::NotShown {
                workspace: self.name.clone(),
                path: relpath.into(),
            });
        }
        let real = self.resolve(relpath)?;
        let file = File::open(&real).map_err(io_err(format!("opening {relpath}")))?;
        let meta = file
            .metadata()
            .map_err(io_err(format!("reading {relpath}")))?;
        Ok((file, meta))
    }

    /// WS-1, WS-2, WS-3, WS-5: the shown files as a tree with their statuses relative to the
    /// viewer's current request. `released` holds the `file_id`s of released request files of
    /// this workspace.
    pub fn tree(
        &self,
        options: TreeOptions,
        current: Option<&RequestState>,
        released: &ReleasedHashes,
    ) -> Result<WorkspaceTree<'_>, WorkspaceError> {
        let disk = self.disk_files()?;
        Ok(self.manifest().tree(disk, options, current, released))
    }

    /// WS-5: the status of one path relative to the viewer's current request.
    pub fn status(
        &self,
        relpath: &str,
        current: Option<&RequestState>,
        released: &ReleasedHashes,
    ) -> Result<WorkspaceFileStatus, WorkspaceError> {
        let manifest = self.manifest();
        let from_disk = is_metadata_path(relpath)
            || manifest
                .shown_entry(relpath, true)
                .is_some_and(|s| s.message);
        let disk = match from_disk {
            true => DiskFiles::new(self.disk_file(relpath)?.into_iter().collect()),
            false => DiskFiles::default(),
        };
        Ok(manifest.status_of(relpath, &disk, current, released))
    }

    /// FIL-4 steps 5–11 and FIL-7: what the add and update actions need to know about
    /// `relpath`. A path that breaks FMT-5 is simply not shown (`not_found` at step 5). The
    /// store then copies the bytes with [`Workspace::open_file`] and checks the hash (FIL-3).
    pub fn add_candidate(&self, relpath: &str, released: &ReleasedHashes) -> AddCandidate {
        let valid = validate_relpath(relpath).is_ok();
        let on_disk = valid && is_metadata_path(relpath) && self.resolve(relpath).is_ok();
        let mut candidate = add_candidate(self.manifest(), relpath, on_disk, released);
        candidate.shown &= valid;
        candidate
    }
}
