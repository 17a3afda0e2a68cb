//! The identity of one version of a file, read from its metadata without reading its bytes:
//! device, inode, length, and modification and status-change times to the nanosecond.
//!
//! The workspace reader keys its caches of parsed manifests and file hashes by it. The request
//! file store records it, as a blob's seal (table `blob_seals`), right after it wrote a blob and
//! verified its bytes, so that the upload worker can trust an unchanged blob without re-hashing
//! it (the way git trusts its index for unchanged files).

use std::fmt;
use std::fs::Metadata;

/// What identifies one version of a file without reading it. On Unix any write to the file, a
/// replacement, a `chmod` or a rename changes it (the status-change time cannot be set by a
/// program), so a file whose identity is unchanged still has the same bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileIdentity {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl FileIdentity {
    /// The identity of the file that `meta` describes.
    #[cfg(unix)]
    pub fn of(meta: &Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        FileIdentity {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }

    /// The identity of the file that `meta` describes. There is no device, inode or
    /// status-change time off Unix: the creation time stands in, good enough for a cache but
    /// not for a [seal](FileIdentity::seal).
    #[cfg(not(unix))]
    pub fn of(meta: &Metadata) -> Self {
        use std::time::UNIX_EPOCH;
        let nanos = |t: std::io::Result<std::time::SystemTime>| {
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

    /// The file's length in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The identity as a blob seal, in the text form the `blob_seals` table stores (its
    /// [`Display`](fmt::Display) form); `None` off Unix, where an unchanged identity does not
    /// prove unchanged bytes.
    pub fn seal(&self) -> Option<String> {
        cfg!(unix).then(|| self.to_string())
    }
}

impl fmt::Display for FileIdentity {
    /// `<dev>:<inode>:<length>:<mtime seconds>.<nanoseconds>:<ctime seconds>.<nanoseconds>`,
    /// the nanoseconds in 9 digits: the stored form of a seal, which must never change (seals
    /// recorded by earlier versions are compared with it).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}:{}.{:09}:{}.{:09}",
            self.dev, self.ino, self.size, self.mtime.0, self.mtime.1, self.ctime.0, self.ctime.1
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_form_of_a_seal_is_fixed() {
        let identity = FileIdentity {
            dev: 2049,
            ino: 1_234_567,
            size: 42,
            mtime: (1_700_000_000, 5),
            ctime: (1_700_000_001, 123_456_789),
        };
        assert_eq!(
            identity.to_string(),
            "2049:1234567:42:1700000000.000000005:1700000001.123456789"
        );
    }

    /// The seal is the text the store has always recorded for a blob.
    #[cfg(unix)]
    #[test]
    fn a_seal_is_the_recorded_text_of_the_files_identity() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("blob");
        std::fs::write(&path, b"bytes").expect("write");
        let meta = std::fs::metadata(&path).expect("metadata");
        let recorded = format!(
            "{}:{}:{}:{}.{:09}:{}.{:09}",
            meta.dev(),
            meta.ino(),
            meta.len(),
            meta.mtime(),
            meta.mtime_nsec(),
            meta.ctime(),
            meta.ctime_nsec()
        );
        let identity = FileIdentity::of(&meta);
        assert_eq!(identity.seal(), Some(recorded));
        assert_eq!(identity.size(), 5);
        assert_eq!(identity, FileIdentity::of(&meta));
    }
}
