//! Reading and parsing a manifest (FMT-6, WS-8): its sha256 and its parse run side by side, and
//! a large manifest is read and parsed in two parts on two threads
//! ([`airlock_core::workspace::split`]). A version already parsed comes from the cache.

use super::WorkspaceReader;
use crate::fileid::FileIdentity;
use airlock_core::workspace::{
    Digest, MANIFEST_UNREADABLE, Manifest, TreeOptions, parse_manifest, split,
};
use airlock_core::{AirlockError, ErrorCode};
use sha2::{Digest as _, Sha256};
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};

/// One parsed version of a manifest file.
#[derive(Debug)]
pub(super) struct ManifestSnapshot {
    identity: Option<FileIdentity>,
    pub(super) manifest: Arc<Manifest>,
    pub(super) hash: String,
    pub(super) error: Option<AirlockError>,
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

impl WorkspaceReader {
    /// The snapshot of the manifest at `path`: from the cache when the file is unchanged, else
    /// read, hashed and parsed (a missing or unreadable manifest has no outputs, FMT-6).
    pub(super) fn load_manifest(&self, name: &str, path: &Path) -> Arc<ManifestSnapshot> {
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
        let (digest, parsed) = match read_and_parse(&mut file, identity.size(), SPLIT_PARSE_MIN) {
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
    use crate::workspace::MANIFEST_PATH;
    use std::fs;

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
