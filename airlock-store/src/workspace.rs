//! The workspace reader (`workspace-format.md` §1–§3; `behaviour.md` §13).
//!
//! Reads the workspace directories under the `workspace_dir` setting; never writes them. Each
//! [`WorkspaceReader::open`] takes one snapshot of a workspace (FMT-9): its manifest, parsed once
//! per file identity (device, inode, size, modification and change times) and shared as an
//! `Arc<Manifest>`, so an unchanged manifest is never parsed twice. Paths are checked by FMT-5
//! and resolved with symbolic links followed; anything that resolves outside the workspace
//! directory is refused with `not_found` (WS-1).

use crate::blobstore::sha256_file;
use airlock_core::workspace::{
    AddCandidate, Digest, DiskFile, DiskFiles, MANIFEST_UNREADABLE, METADATA_DIR, Manifest,
    ReleasedHashes, TreeOptions, WorkspaceFileStatus, WorkspaceTree, add_candidate,
    is_metadata_path, parse_digest, parse_manifest, split, validate_relpath,
    validate_workspace_name,
};
use airlock_core::{AirlockError, ErrorCode, RequestState};
use sha2::{Digest as _, Sha256};
use std::collections::HashMap;
use std::fs::{self, File, Metadata};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};
use std::time::UNIX_EPOCH;

/// Where the manifest lives inside a workspace (FMT-3).
pub const MANIFEST_PATH: &str = "metadata/manifest.json";

/// A failure of the workspace reader.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// FMT-1: no such workspace, or a name that cannot be one.
    #[error("workspace {0:?} does not exist")]
    UnknownWorkspace(String),
    /// FMT-5: a path that is not an acceptable relative path.
    #[error("{0}")]
    BadPath(AirlockError),
    /// WS-1, FMT-4: the workspace does not show this path.
    #[error("{path:?} is not a file of workspace {workspace:?}")]
    NotShown {
        /// Workspace name.
        workspace: String,
        /// Relative path.
        path: String,
    },
    /// FMT-5: the path resolves (symbolic links included) outside the workspace directory.
    #[error("{path:?} resolves outside workspace {workspace:?}")]
    OutsideWorkspace {
        /// Workspace name.
        workspace: String,
        /// Relative path.
        path: String,
    },
    /// The path does not exist on disk or is not a regular file.
    #[error("{path:?} is not present in workspace {workspace:?}")]
    Missing {
        /// Workspace name.
        workspace: String,
        /// Relative path.
        path: String,
    },
    /// A filesystem failure.
    #[error("workspace reader: {context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

impl WorkspaceError {
    /// The stable error code (§21): `not_found`, `bad_path` or `internal`.
    pub fn code(&self) -> ErrorCode {
        match self {
            WorkspaceError::BadPath(e) => e.error_code(),
            WorkspaceError::Io { .. } => ErrorCode::Internal,
            _ => ErrorCode::NotFound,
        }
    }
}

impl From<WorkspaceError> for AirlockError {
    fn from(e: WorkspaceError) -> Self {
        match e {
            WorkspaceError::BadPath(inner) => inner,
            // Machine paths stay in the log, out of user-facing messages.
            WorkspaceError::Io { .. } => AirlockError::new(ErrorCode::Internal),
            other => AirlockError::with_message(ErrorCode::NotFound, other.to_string()),
        }
    }
}

fn io_err(context: impl Into<String>) -> impl FnOnce(io::Error) -> WorkspaceError {
    let context = context.into();
    move |source| WorkspaceError::Io { context, source }
}

/// What identifies one version of a file without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileIdentity {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl FileIdentity {
    #[cfg(unix)]
    fn of(meta: &Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        FileIdentity {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }

    #[cfg(not(unix))]
    fn of(meta: &Metadata) -> Self {
        let nanos = |t: io::Result<std::time::SystemTime>| {
            t.ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or((0, 0), |d| {
                    (d.as_secs() as i64, i64::from(d.subsec_nanos()))
                })
        };
        FileIdentity {
            dev: 0,
            ino: 0,
            size: meta.len(),
            mtime: nanos(meta.modified()),
            ctime: nanos(meta.created()),
        }
    }
}

fn seconds_since_epoch(meta: &Metadata) -> f64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0.0, |d| d.as_secs_f64())
}

/// One parsed version of a manifest file.
#[derive(Debug)]
struct ManifestSnapshot {
    identity: Option<FileIdentity>,
    manifest: Arc<Manifest>,
    hash: String,
    error: Option<AirlockError>,
}

#[derive(Debug)]
struct Inner {
    root: PathBuf,
    manifests: RwLock<HashMap<String, Arc<ManifestSnapshot>>>,
    hashes: Mutex<HashMap<PathBuf, (FileIdentity, Digest)>>,
    parses: AtomicU64,
}

/// Manifests at least this large are read and parsed in two halves on two threads.
const SPLIT_PARSE_MIN: u64 = 1 << 20;

/// Room left after the first half for the bytes up to the split point.
const SPLIT_HEAD_ROOM: usize = 64 * 1024;

/// Reads a manifest of `size` bytes, its sha256 (WS-8) and its parse, using both cores: this is
/// the cold path of every page of a workspace. Below `split_min` bytes the parse runs beside
/// the hash; above it the two halves are also read and parsed side by side (see
/// [`split::join_manifest_parts`]), falling back to one parse when the split is refused.
fn read_and_parse(
    file: &mut File,
    size: u64,
    split_min: u64,
) -> io::Result<(Digest, airlock_core::Result<Manifest>)> {
    #[cfg(unix)]
    if size >= split_min
        && let Ok(size) = usize::try_from(size)
    {
        return read_and_parse_split(file, size);
    }
    let _ = split_min;
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0) + 1);
    file.read_to_end(&mut bytes)?;
    Ok(hash_beside(&[&bytes], || parse_manifest(&bytes)))
}

/// Runs `parse` while another thread hashes `parts` in order.
fn hash_beside(
    parts: &[&[u8]],
    parse: impl FnOnce() -> airlock_core::Result<Manifest>,
) -> (Digest, airlock_core::Result<Manifest>) {
    let hash = || -> Digest {
        let mut hasher = Sha256::new();
        for part in parts {
            hasher.update(part);
        }
        hasher.finalize().into()
    };
    std::thread::scope(|scope| {
        let hasher = scope.spawn(hash);
        let parsed = parse();
        let digest = hasher.join().unwrap_or_else(|_| hash());
        (digest, parsed)
    })
}

/// The split read: each half is read on its own thread with `pread`, the second into a buffer
/// with room in front for [`split::SECOND_PART_PREFIX`], so that neither half is copied.
#[cfg(unix)]
fn read_and_parse_split(
    file: &File,
    size: usize,
) -> io::Result<(Digest, airlock_core::Result<Manifest>)> {
    use std::os::unix::fs::FileExt;
    let mid = size / 2;
    let prefix = split::SECOND_PART_PREFIX.len();
    // Zeroed allocations come from fresh pages: no cost until the read fills them.
    let mut first = vec![0u8; mid + SPLIT_HEAD_ROOM];
    let mut second = vec![0u8; prefix + (size - mid)];
    std::thread::scope(|scope| {
        let reader = scope.spawn(|| file.read_exact_at(&mut second[prefix..], mid as u64));
        let read = file.read_exact_at(&mut first[..mid], 0);
        reader
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("reader thread failed")))?;
        read
    })?;
    first.truncate(mid);

    let Some(comma) = split::manifest_split_candidate(&second[prefix..]) else {
        let bytes = [&first[..], &second[prefix..]].concat();
        return Ok(hash_beside(&[&bytes], || parse_manifest(&bytes)));
    };
    // The bytes from the middle to the comma end the first part; the prefix then overwrites
    // them (and the spare room) in the second buffer, just before the bytes after the comma.
    let head = second[prefix..=prefix + comma].to_vec();
    first.extend_from_slice(&head[..comma]);
    first.extend_from_slice(split::FIRST_PART_SUFFIX);
    second[comma + 1..comma + 1 + prefix].copy_from_slice(split::SECOND_PART_PREFIX);
    let (second_part, rest) = (&second[comma + 1..], &second[prefix + comma + 1..]);

    // Both cores parse; the hash then runs beside the joining, which uses one.
    let (first_part, second_part) = std::thread::scope(|scope| {
        let other = scope.spawn(|| split::parse_manifest_part(second_part, 0));
        let first_part = split::parse_manifest_part(&first, size);
        (first_part, other.join().ok().flatten())
    });
    Ok(hash_beside(&[&first[..mid], &head, rest], || {
        let manifest = match (first_part, second_part) {
            (Some(a), Some(b)) => split::join_manifest_parts(a, b).ok_or(()),
            _ => Err(()),
        }
        .or_else(|()| parse_manifest(&[&first[..mid], &head, rest].concat()))?;
        // The default view's layout fits in the hash's time.
        manifest.prepare_tree(TreeOptions::default());
        Ok(manifest)
    }))
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

    fn load_manifest(&self, name: &str, path: &Path) -> Arc<ManifestSnapshot> {
        let unreadable = |detail: String| {
            tracing::warn!(workspace = name, "{}: {detail}", MANIFEST_UNREADABLE);
            Arc::new(ManifestSnapshot {
                identity: None,
                manifest: Arc::new(Manifest::empty()),
                hash: hex::encode(Sha256::digest(b"")),
                error: Some(AirlockError::with_message(ErrorCode::Internal, detail)),
            })
        };
        let mut file = match File::open(path) {
            Ok(file) => file,
            // FMT-6: a missing manifest means no outputs.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Arc::new(ManifestSnapshot {
                    identity: None,
                    manifest: Arc::new(Manifest::empty()),
                    hash: hex::encode(Sha256::digest(b"")),
                    error: None,
                });
            }
            Err(e) => return unreadable(format!("opening the manifest: {e}")),
        };
        // The identity of the open file: the job runner replaces the manifest by renaming, so
        // the handle and its metadata always describe the same version.
        let identity = match file.metadata() {
            Ok(meta) => FileIdentity::of(&meta),
            Err(e) => return unreadable(format!("reading the manifest's metadata: {e}")),
        };
        if let Some(cached) = self.cached(name).filter(|c| c.identity == Some(identity)) {
            return cached;
        }
        let (digest, parsed) = match read_and_parse(&mut file, identity.size, SPLIT_PARSE_MIN) {
            Ok(read) => read,
            Err(e) => return unreadable(format!("reading the manifest: {e}")),
        };
        self.inner.parses.fetch_add(1, Ordering::Relaxed);
        let hash = hex::encode(digest);
        // The manifest is also a `metadata/` file: never hash the same version twice.
        self.inner
            .hashes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(path.to_path_buf(), (identity, digest));
        let snapshot = match parsed {
            Ok(manifest) => {
                log_warnings(name, manifest.warnings());
                ManifestSnapshot {
                    identity: Some(identity),
                    manifest: Arc::new(manifest),
                    hash,
                    error: None,
                }
            }
            Err(e) => {
                tracing::warn!(workspace = name, "{}", e.message());
                ManifestSnapshot {
                    identity: Some(identity),
                    manifest: Arc::new(Manifest::empty()),
                    hash,
                    error: Some(e),
                }
            }
        };
        let snapshot = Arc::new(snapshot);
        self.inner
            .manifests
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_string(), Arc::clone(&snapshot));
        snapshot
    }

    fn cached(&self, name: &str) -> Option<Arc<ManifestSnapshot>> {
        self.inner
            .manifests
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
    }
}

/// One snapshot of one workspace (FMT-9): use it for the whole of one HTTP request or action.
#[derive(Debug)]
pub struct Workspace {
    name: String,
    dir: PathBuf,
    snapshot: Arc<ManifestSnapshot>,
    inner: Arc<Inner>,
    disk: OnceLock<DiskFiles>,
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
    /// [`MANIFEST_UNREADABLE`].
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
    fn disk_file(&self, relpath: &str) -> Result<Option<DiskFile>, WorkspaceError> {
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

/// Warnings logged of one manifest version at most; the rest are counted.
const LOGGED_WARNINGS: usize = 20;

/// Logs a manifest's warnings once, when its version is parsed (FMT-5, FMT-7).
fn log_warnings(workspace: &str, warnings: &[String]) {
    for warning in warnings.iter().take(LOGGED_WARNINGS) {
        tracing::warn!(workspace, "manifest: {warning}");
    }
    if warnings.len() > LOGGED_WARNINGS {
        tracing::warn!(
            workspace,
            "manifest: {} more warnings like these",
            warnings.len() - LOGGED_WARNINGS
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::generate_workspace;

    /// The split read gives the digest and the parse of the plain read, for every shape.
    fn check_split_read(bytes: &[u8]) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("manifest.json");
        fs::write(&path, bytes).expect("write manifest");
        let mut file = File::open(&path).expect("open manifest");
        let (digest, parsed) =
            read_and_parse(&mut file, bytes.len() as u64, 0).expect("read manifest");
        let expected: Digest = Sha256::digest(bytes).into();
        assert_eq!(digest, expected);
        match (parsed, parse_manifest(bytes)) {
            (Ok(split), Ok(whole)) => assert_eq!(split, whole),
            (Err(split), Err(whole)) => assert_eq!(split.message(), whole.message()),
            (split, whole) => panic!("split {split:?} but whole {whole:?}"),
        }
    }

    #[test]
    fn split_read_of_a_generated_manifest_equals_the_plain_read() {
        let root = tempfile::tempdir().expect("temp dir");
        let ws = generate_workspace(root.path(), "w", 300, 7).expect("generate");
        let bytes = fs::read(ws.dir.join(MANIFEST_PATH)).expect("read");
        check_split_read(&bytes);
        let parsed = parse_manifest(&bytes).expect("parses");
        assert!(parsed.len() >= 300);
    }

    #[test]
    fn split_read_falls_back_or_fails_exactly_like_the_plain_read() {
        let entry = r#"{"level":"moderately_sensitive","job_id":"j","repo":"r","commit":"c","size":1,"timestamp":1.0,"content_hash":"x"}"#;
        let outputs = |body: &str, after: &str| format!("{{\"outputs\":{{{body}}}{after}}}");
        let two = format!(r#""a.csv":{entry},"b.csv":{entry}"#);
        let in_string = entry.replace(r#""j""#, r#""a},""#);
        let cases = [
            // No candidate at all: one entry.
            outputs(&format!(r#""a.csv":{entry}"#), ""),
            // A candidate inside a string value, after the middle.
            outputs(&format!(r#""a.csv":{entry},"b.csv":{in_string}"#), ""),
            // Keys after the outputs object.
            outputs(&two, r#","workspace":"late""#),
            // A broken entry in the second half, and trailing garbage.
            outputs(&format!(r#"{two},"c.csv":{{"level":1}}"#), ""),
            outputs(&two, "") + "x",
            String::new(),
        ];
        for case in &cases {
            check_split_read(case.as_bytes());
        }
        let mut invalid = cases[2].clone().into_bytes();
        let at = invalid.len() - 20;
        invalid[at] = 0xff;
        check_split_read(&invalid);
    }
}
