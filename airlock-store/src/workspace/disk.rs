//! The files of a workspace whose metadata comes from the disk (FMT-3, FMT-8): the files under
//! `metadata/` and the message files of shown excluded outputs, each resolved safely (FMT-5)
//! and hashed once per file identity.

use super::Workspace;
use super::error::{WorkspaceError, io_err};
use crate::blobstore::sha256_file;
use crate::fileid::FileIdentity;
use airlock_core::workspace::{
    Digest, DiskFile, DiskFiles, METADATA_DIR, parse_digest, validate_relpath,
};
use std::collections::HashMap;
use std::fs::{self, Metadata};
use std::io;
use std::path::Path;
use std::sync::{Arc, PoisonError};
use std::time::UNIX_EPOCH;

/// The modification time in seconds since the Unix epoch (0 when unknown).
fn seconds_since_epoch(meta: &Metadata) -> f64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0.0, |d| d.as_secs_f64())
}

impl Workspace {
    /// The sha256 of a file on disk, from the cache when its identity is unchanged.
    fn disk_hash(&self, real: &Path, meta: &Metadata) -> Result<Digest, WorkspaceError> {
        let identity = FileIdentity::of(meta);
        let mut hashes = self
            .inner
            .hashes
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((known, digest)) = hashes.get(real)
            && *known == identity
        {
            return Ok(*digest);
        }
        drop(hashes);
        let hex = sha256_file(real).map_err(io_err("hashing a workspace file"))?;
        let digest = parse_digest(&hex).unwrap_or([0; 32]);
        hashes = self
            .inner
            .hashes
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        hashes.insert(real.to_path_buf(), (identity, digest));
        Ok(digest)
    }

    /// A file whose metadata comes from the disk (a `metadata/` file or a message file), when
    /// it is present and inside the workspace.
    fn disk_file_at(&self, relpath: &str, real: &Path) -> Result<Option<DiskFile>, WorkspaceError> {
        let meta = match fs::metadata(real) {
            Ok(meta) if meta.is_file() => meta,
            Ok(_) => return Ok(None),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(format!("reading {relpath}"))(e)),
        };
        self.disk_file_with(relpath, real, &meta).map(Some)
    }

    /// The disk file at `real`, a regular file whose metadata is `meta`.
    fn disk_file_with(
        &self,
        relpath: &str,
        real: &Path,
        meta: &Metadata,
    ) -> Result<DiskFile, WorkspaceError> {
        Ok(DiskFile {
            relpath: relpath.to_string(),
            size: meta.len(),
            modified: seconds_since_epoch(meta),
            sha256: Some(self.disk_hash(real, meta)?),
        })
    }

    /// One disk file by path, resolved safely; `None` when absent or outside the workspace.
    pub(super) fn disk_file(&self, relpath: &str) -> Result<Option<DiskFile>, WorkspaceError> {
        match self.resolve(relpath) {
            Ok(real) => self.disk_file_at(relpath, &real),
            Err(WorkspaceError::Io { context, source }) => {
                Err(WorkspaceError::Io { context, source })
            }
            Err(_) => Ok(None),
        }
    }

    /// FMT-3, FMT-8: the files under `metadata/` (any depth) and the message files of shown
    /// excluded outputs that are present on disk, with sizes, times and hashes. Computed once
    /// per snapshot.
    pub fn disk_files(&self) -> Result<&DiskFiles, WorkspaceError> {
        if let Some(disk) = self.disk.get() {
            return Ok(disk);
        }
        let mut files = self.metadata_files()?;
        // Message files: check each directory on the way once, then the file itself.
        let mut dirs: HashMap<&str, bool> = HashMap::new();
        let manifest = Arc::clone(self.manifest());
        for path in manifest.message_paths() {
            let parent = path.rfind('/').map_or("", |i| &path[..i]);
            if !self.dirs_inside(parent, &mut dirs) {
                continue;
            }
            let full = self.dir.join(path);
            let real = match fs::symlink_metadata(&full) {
                Ok(meta) if meta.file_type().is_symlink() => match self.resolve(path) {
                    Ok(real) => real,
                    Err(WorkspaceError::Io { context, source }) => {
                        return Err(WorkspaceError::Io { context, source });
                    }
                    Err(_) => continue,
                },
                Ok(meta) if meta.is_file() => {
                    // A regular file: its metadata is already at hand.
                    files.push(self.disk_file_with(path, &full, &meta)?);
                    continue;
                }
                Ok(_) => continue,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io_err(format!("reading {path}"))(e)),
            };
            if let Some(file) = self.disk_file_at(path, &real)? {
                files.push(file);
            }
        }
        Ok(self.disk.get_or_init(|| DiskFiles::new(files)))
    }

    /// Whether the directory `relpath` (`""` for the top) resolves inside the workspace,
    /// checking each directory on the way once per call of [`Workspace::disk_files`]: a real
    /// directory is inside when its parent is; a symbolic link is resolved and checked.
    fn dirs_inside<'p>(&self, relpath: &'p str, memo: &mut HashMap<&'p str, bool>) -> bool {
        if relpath.is_empty() {
            return true;
        }
        if let Some(&inside) = memo.get(relpath) {
            return inside;
        }
        let parent = relpath.rfind('/').map_or("", |i| &relpath[..i]);
        let inside = self.dirs_inside(parent, memo)
            && match fs::symlink_metadata(self.dir.join(relpath)) {
                Ok(meta) if meta.file_type().is_symlink() => self.dir_inside(relpath),
                Ok(meta) => meta.is_dir(),
                Err(_) => false,
            };
        memo.insert(relpath, inside);
        inside
    }

    /// Whether a directory (relative path) resolves inside the workspace.
    fn dir_inside(&self, relpath: &str) -> bool {
        fs::canonicalize(self.dir.join(relpath)).is_ok_and(|real| real.starts_with(&self.dir))
    }

    fn metadata_files(&self) -> Result<Vec<DiskFile>, WorkspaceError> {
        let top = self.dir.join(METADATA_DIR);
        if !self.dir_inside(METADATA_DIR) {
            return Ok(Vec::new());
        }
        let mut files = Vec::new();
        for entry in walkdir::WalkDir::new(&top).follow_links(false).min_depth(1) {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    tracing::warn!(workspace = self.name, "listing metadata: {e}");
                    continue;
                }
            };
            if entry.file_type().is_dir() {
                continue;
            }
            let Ok(rel) = entry.path().strip_prefix(&self.dir) else {
                continue;
            };
            let Some(relpath) = rel
                .to_str()
                .map(|s| s.replace(std::path::MAIN_SEPARATOR, "/"))
            else {
                tracing::warn!(
                    workspace = self.name,
                    "ignored a metadata file with a non-UTF-8 name"
                );
                continue;
            };
            if validate_relpath(&relpath).is_err() {
                tracing::warn!(
                    workspace = self.name,
                    path = relpath,
                    "ignored a metadata file"
                );
                continue;
            }
            let real = if entry.file_type().is_symlink() {
                match self.resolve(&relpath) {
                    Ok(real) => real,
                    Err(WorkspaceError::Io { context, source }) => {
                        return Err(WorkspaceError::Io { context, source });
                    }
                    Err(_) => continue,
                }
            } else {
                entry.path().to_path_buf()
            };
            if let Some(file) = self.disk_file_at(&relpath, &real)? {
                files.push(file);
            }
        }
        Ok(files)
    }
}
