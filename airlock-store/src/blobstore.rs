//! The request file store (`workspace-format.md` §5, FMT-12 to FMT-16; `behaviour.md` FIL-3).
//!
//! One directory per request, `<request_dir>/<workspace>/<request id>/`, holding one blob per
//! distinct content, named by the lowercase hex sha256 of its bytes. A blob is written through a
//! temporary file in the same directory (name starting with `.` and ending `.tmp`, so it can
//! never be mistaken for a blob), hashed while it is copied, flushed, compared with the expected
//! digest and renamed into place without ever replacing an existing blob. Files are streamed;
//! nothing is read whole into memory.

use crate::fileid::FileIdentity;
use airlock_core::workspace::validate_workspace_name;
use airlock_core::{AirlockError, ErrorCode};
use sha2::{Digest as _, Sha256};
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Copy buffer size.
const BUFFER: usize = 256 * 1024;

/// Prefix of temporary files.
const TEMP_PREFIX: &str = ".blob-";

/// Suffix of temporary files (FMT-13).
const TEMP_SUFFIX: &str = ".tmp";

/// A failure of the request file store.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// FIL-3: the copied bytes do not have the expected digest; nothing was stored.
    #[error("the copied file has sha256 {actual}, not the expected {expected}")]
    HashMismatch {
        /// The digest the caller expected (the manifest's `content_hash`).
        expected: String,
        /// The digest of the bytes read.
        actual: String,
    },
    /// FMT-16: no blob of that name.
    #[error("no stored file {0}")]
    NotFound(String),
    /// A blob name that is not a lowercase hex sha256.
    #[error("{0:?} is not a sha256 blob name")]
    BadHash(String),
    /// A workspace name or request id that cannot be a path segment.
    #[error("{0:?} cannot name a request file directory")]
    BadName(String),
    /// A filesystem failure.
    #[error("request file store: {context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

impl BlobError {
    /// The stable error code (§21): `hash_mismatch`, `not_found`, `internal`.
    pub fn code(&self) -> ErrorCode {
        match self {
            BlobError::HashMismatch { .. } => ErrorCode::HashMismatch,
            BlobError::NotFound(_) | BlobError::BadHash(_) | BlobError::BadName(_) => {
                ErrorCode::NotFound
            }
            BlobError::Io { .. } => ErrorCode::Internal,
        }
    }
}

impl From<BlobError> for AirlockError {
    fn from(e: BlobError) -> Self {
        match &e {
            // The user sees the plain message of §21; the digests go to the log.
            BlobError::HashMismatch { .. } => AirlockError::new(ErrorCode::HashMismatch),
            _ => AirlockError::with_message(e.code(), e.to_string()),
        }
    }
}

fn io_err(context: impl Into<String>) -> impl FnOnce(io::Error) -> BlobError {
    let context = context.into();
    move |source| BlobError::Io { context, source }
}

/// A stored blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    /// Lowercase hex sha256: the blob's name and the request file's `file_id`.
    pub hash: String,
    /// Size in bytes.
    pub size: u64,
    /// The blob file's identity right after this call wrote it, its bytes verified against
    /// `hash` ([`seal_of`]); `None` when the blob existed already or the platform has no
    /// such identity.
    pub seal: Option<String>,
}

/// The seal of a blob: its [`FileIdentity`] as the `blob_seals` table stores it
/// ([`FileIdentity::seal`]). A blob whose seal is unchanged since the store wrote it and
/// verified its bytes still has those bytes: the upload worker uses that to skip re-hashing
/// it. `None` off Unix.
pub fn seal_of(meta: &fs::Metadata) -> Option<String> {
    FileIdentity::of(meta).seal()
}

/// FMT-12: whether a name is a blob name (64 lowercase hex characters).
pub fn is_blob_name(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn is_temp_name(name: &str) -> bool {
    name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX)
}

/// A request id usable as a path segment: ASCII letters and digits only (a ULID).
fn check_request_id(id: &str) -> Result<&str, BlobError> {
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(BlobError::BadName(id.to_string()));
    }
    Ok(id)
}

/// Streams `reader` into `out` (when given), returning the sha256 hex and the byte count.
fn copy_hashing(reader: &mut impl Read, mut out: Option<&mut File>) -> io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; BUFFER];
    let mut size = 0u64;
    loop {
        let n = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buffer[..n]);
        if let Some(out) = out.as_deref_mut() {
            out.write_all(&buffer[..n])?;
        }
        size += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), size))
}

/// The sha256 hex and byte count of what `reader` yields, streamed.
pub fn sha256_reader(reader: &mut impl Read) -> io::Result<(String, u64)> {
    copy_hashing(reader, None)
}

/// The sha256 hex of a file, streamed.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    copy_hashing(&mut file, None).map(|(hash, _)| hash)
}

/// Flushes a directory entry to disk.
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// FMT-12: the request file store rooted at `request_dir`, one directory per request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobStore {
    root: PathBuf,
}

impl BlobStore {
    /// The store rooted at `request_dir` (setting `request_dir`). Nothing is created here.
    pub fn new(request_dir: impl Into<PathBuf>) -> Self {
        BlobStore {
            root: request_dir.into(),
        }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// FMT-12: the blobs of one request, `<request_dir>/<workspace>/<request id>/`. The
    /// workspace name follows FMT-1; the request id must be ASCII letters and digits. The
    /// directory is created by the first [`RequestBlobs::put`], never by reads.
    pub fn request(&self, workspace: &str, request_id: &str) -> Result<RequestBlobs, BlobError> {
        let workspace =
            validate_workspace_name(workspace).map_err(|_| BlobError::BadName(workspace.into()))?;
        let request_id = check_request_id(request_id)?;
        Ok(RequestBlobs::new(
            self.root.join(workspace).join(request_id),
        ))
    }

    /// Removes temporary files of interrupted copies older than `older_than` from every
    /// request directory; the number removed.
    pub fn clean_stale_temps(&self, older_than: Duration) -> io::Result<usize> {
        clean_stale_temps(&self.root, older_than)
    }
}

/// The blobs of one request: a content-addressed directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestBlobs {
    dir: PathBuf,
}

impl RequestBlobs {
    /// The blobs in `dir`. Nothing is created until the first [`RequestBlobs::put`].
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        RequestBlobs { dir: dir.into() }
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of the blob named `hash` (which need not exist). Refuses names that are not a
    /// lowercase hex sha256, so a caller's string can never point outside the store.
    pub fn path(&self, hash: &str) -> Result<PathBuf, BlobError> {
        if !is_blob_name(hash) {
            return Err(BlobError::BadHash(hash.to_string()));
        }
        Ok(self.dir.join(hash))
    }

    /// Whether the blob exists.
    pub fn exists(&self, hash: &str) -> bool {
        self.path(hash).is_ok_and(|p| p.is_file())
    }

    /// Opens the blob for streaming (FMT-16: a missing blob is `not_found`).
    pub fn open(&self, hash: &str) -> Result<File, BlobError> {
        let path = self.path(hash)?;
        File::open(&path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => BlobError::NotFound(hash.to_string()),
            _ => BlobError::Io {
                context: format!("opening {}", path.display()),
                source: e,
            },
        })
    }

    /// Re-hashes the blob, streamed: whether its bytes still match its name.
    pub fn verify(&self, hash: &str) -> Result<bool, BlobError> {
        let mut file = self.open(hash)?;
        let (actual, _) =
            copy_hashing(&mut file, None).map_err(io_err(format!("reading {hash}")))?;
        Ok(actual == hash)
    }

    /// FMT-13, FIL-3: copies the file at `src` into the store. See [`RequestBlobs::put_reader`].
    pub fn put(&self, src: &Path, expected_sha256: Option<&str>) -> Result<Blob, BlobError> {
        let mut file = File::open(src).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => BlobError::NotFound(src.display().to_string()),
            _ => BlobError::Io {
                context: format!("opening {}", src.display()),
                source: e,
            },
        })?;
        self.put_reader(&mut file, expected_sha256)
    }

    /// FMT-13, FIL-3: streams `reader` into a temporary file in the store while hashing it,
    /// flushes it, and when the digest equals `expected_sha256` (if given; compared
    /// case-insensitively) renames it to its content address and flushes the directory. If that
    /// blob already exists the temporary file is removed and the existing blob is used
    /// (FMT-14: blobs are never modified). On a mismatch or any failure the temporary file is
    /// removed and nothing becomes visible. The directory is created on the first write.
    pub fn put_reader(
        &self,
        reader: &mut impl Read,
        expected_sha256: Option<&str>,
    ) -> Result<Blob, BlobError> {
        self.ensure_dir()?;
        let mut temp = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .suffix(TEMP_SUFFIX)
            .tempfile_in(&self.dir)
            .map_err(io_err(format!(
                "creating a temporary file in {}",
                self.dir.display()
            )))?;
        let (hash, size) = copy_hashing(reader, Some(temp.as_file_mut()))
            .map_err(io_err("copying into the request file store"))?;
        if let Some(expected) = expected_sha256.filter(|e| !e.eq_ignore_ascii_case(&hash)) {
            // Dropping `temp` removes the temporary file.
            return Err(BlobError::HashMismatch {
                expected: expected.to_string(),
                actual: hash,
            });
        }
        temp.as_file()
            .sync_all()
            .map_err(io_err("flushing the copied file"))?;
        let target = self.dir.join(&hash);
        let mut seal = None;
        match temp.persist_noclobber(&target) {
            Ok(_) => {
                sync_dir(&self.dir).map_err(io_err(format!("flushing {}", self.dir.display())))?;
                seal = fs::metadata(&target).ok().as_ref().and_then(seal_of);
            }
            // FMT-13/FMT-15: identical content is stored once; the temporary file is dropped.
            Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => drop(e.file),
            Err(e) => {
                return Err(BlobError::Io {
                    context: format!("renaming to {}", target.display()),
                    source: e.error,
                });
            }
        }
        Ok(Blob { hash, size, seal })
    }

    fn ensure_dir(&self) -> Result<(), BlobError> {
        if self.dir.is_dir() {
            return Ok(());
        }
        fs::create_dir_all(&self.dir)
            .map_err(io_err(format!("creating {}", self.dir.display())))?;
        if let Some(parent) = self.dir.parent() {
            sync_dir(parent).map_err(io_err(format!("flushing {}", parent.display())))?;
        }
        Ok(())
    }

    /// The names of the stored blobs, sorted (temporary files are never listed).
    pub fn list(&self) -> Result<Vec<String>, BlobError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(BlobError::Io {
                    context: format!("listing {}", self.dir.display()),
                    source: e,
                });
            }
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_err(format!("listing {}", self.dir.display())))?;
            if let Some(name) = entry.file_name().to_str().filter(|n| is_blob_name(n)) {
                names.push(name.to_string());
            }
        }
        names.sort();
        Ok(names)
    }

    /// Removes temporary files of interrupted copies in this store older than `older_than`;
    /// the number removed.
    pub fn clean_stale_temps(&self, older_than: Duration) -> io::Result<usize> {
        clean_dir(&self.dir, older_than)
    }
}

fn clean_dir(dir: &Path, older_than: Duration) -> io::Result<usize> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let now = SystemTime::now();
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        let is_temp = entry.file_name().to_str().is_some_and(is_temp_name);
        if !is_temp || !entry.file_type()?.is_file() {
            continue;
        }
        let age = entry
            .metadata()?
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .unwrap_or_default();
        if age >= older_than {
            match fs::remove_file(entry.path()) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(removed)
}

/// Removes stale temporary files from every request directory under `request_dir`
/// (`<request_dir>/<workspace>/<request id>/`); the number removed.
pub fn clean_stale_temps(request_dir: &Path, older_than: Duration) -> io::Result<usize> {
    let mut removed = 0;
    let workspaces = match fs::read_dir(request_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    for workspace in workspaces {
        let workspace = workspace?;
        if !workspace.file_type()?.is_dir() {
            continue;
        }
        for request in fs::read_dir(workspace.path())? {
            let request = request?;
            if request.file_type()?.is_dir() {
                removed += clean_dir(&request.path(), older_than)?;
            }
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fmt_12_blob_names() {
        assert!(is_blob_name(&"a".repeat(64)));
        assert!(!is_blob_name(&"A".repeat(64)));
        assert!(!is_blob_name(&"a".repeat(63)));
        assert!(!is_blob_name("../../etc/passwd"));
        assert!(!is_temp_name(&"a".repeat(64)));
        assert!(is_temp_name(".blob-x1y2.tmp"));
    }

    #[test]
    fn fmt_12_request_directory_segments_are_checked() {
        let store = BlobStore::new("store");
        let ok = store
            .request("ws", "01JNQ8Z7K3V5W2X9Y4T6R8P0MA")
            .expect("ok");
        assert_eq!(ok.dir(), Path::new("store/ws/01JNQ8Z7K3V5W2X9Y4T6R8P0MA"));
        for (ws, id) in [
            ("..", "01J"),
            ("ws", ".."),
            ("a/b", "01J"),
            ("ws", "a/b"),
            ("ws", ""),
        ] {
            let err = store.request(ws, id).expect_err("refused");
            assert_eq!(err.code(), ErrorCode::NotFound);
        }
    }

    #[test]
    fn path_refuses_non_hash_names() {
        let store = RequestBlobs::new("x");
        assert!(matches!(
            store.path("../secret"),
            Err(BlobError::BadHash(_))
        ));
        assert!(!store.exists("../secret"));
    }
}
