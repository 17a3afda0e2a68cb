//! Reading a stored blob for upload: its sha256 is checked before anything is sent, and checked
//! again as it is streamed, so that a blob that changed on disk is never sent whole (UPL-2).

use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

/// Read buffer of the checking pass.
const BUFFER: usize = 256 * 1024;

/// Why a stored blob cannot be sent.
#[derive(Debug, thiserror::Error)]
pub enum BlobProblem {
    /// The blob cannot be opened or read.
    #[error("the stored file cannot be read: {0}")]
    Unreadable(io::Error),
    /// The blob's bytes are not the ones reviewed.
    #[error(
        "the stored file changed on disk (sha256 {actual}, {len} bytes; expected sha256 {expected}, {size} bytes); it was not sent"
    )]
    Changed {
        /// The sha256 it has now.
        actual: String,
        /// Its length now.
        len: u64,
        /// The reviewed sha256.
        expected: String,
        /// The reviewed length.
        size: u64,
    },
}

/// A blob checked against its sha256 and rewound: ready to stream.
#[derive(Debug)]
pub struct CheckedBlob {
    file: File,
    hasher: Sha256,
    remaining: u64,
    expected: [u8; 32],
}

impl CheckedBlob {
    /// Opens `path` and checks that it is exactly `size` bytes with sha256 `expected_hex`.
    pub fn open(path: &Path, expected_hex: &str, size: u64) -> Result<CheckedBlob, BlobProblem> {
        let mut expected = [0u8; 32];
        hex::decode_to_slice(expected_hex, &mut expected).map_err(|_| BlobProblem::Changed {
            actual: "(not computed)".into(),
            len: 0,
            expected: expected_hex.into(),
            size,
        })?;
        let mut file = File::open(path).map_err(BlobProblem::Unreadable)?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; BUFFER];
        let mut len = 0u64;
        loop {
            let n = match file.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(BlobProblem::Unreadable(e)),
            };
            hasher.update(&buffer[..n]);
            len += n as u64;
        }
        let actual: [u8; 32] = hasher.finalize().into();
        if actual != expected || len != size {
            return Err(BlobProblem::Changed {
                actual: hex::encode(actual),
                len,
                expected: expected_hex.into(),
                size,
            });
        }
        file.seek(SeekFrom::Start(0))
            .map_err(BlobProblem::Unreadable)?;
        Ok(CheckedBlob {
            file,
            hasher: Sha256::new(),
            remaining: size,
            expected,
        })
    }

    /// The number of bytes to send.
    pub fn len(&self) -> u64 {
        self.remaining
    }

    /// True for an empty blob.
    pub fn is_empty(&self) -> bool {
        self.remaining == 0
    }
}

/// Streams exactly the checked length. The bytes are hashed again on the way; the last piece
/// is handed over only if the whole matches, so a blob rewritten in place after the check
/// fails the upload with an error before the Jobs site has received all of it.
impl Read for CheckedBlob {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = usize::try_from(self.remaining).map_or(buf.len(), |r| r.min(buf.len()));
        let n = self.file.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the stored file became shorter while it was sent",
            ));
        }
        self.hasher.update(&buf[..n]);
        self.remaining -= n as u64;
        if self.remaining == 0 {
            let actual: [u8; 32] = std::mem::take(&mut self.hasher).finalize().into();
            if actual != self.expected {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the stored file changed while it was sent",
                ));
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn blob(bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf, String) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("blob");
        std::fs::write(&path, bytes).expect("write");
        (dir, path, hex::encode(Sha256::digest(bytes)))
    }

    #[test]
    fn upl_2_a_matching_blob_streams_its_exact_bytes() {
        let bytes: Vec<u8> = (0..600_000u32).map(|i| (i % 251) as u8).collect();
        let (_dir, path, sha) = blob(&bytes);
        let mut checked = CheckedBlob::open(&path, &sha, bytes.len() as u64).expect("checked");
        assert_eq!(checked.len(), bytes.len() as u64);
        let mut sent = Vec::new();
        checked.read_to_end(&mut sent).expect("read");
        assert_eq!(sent, bytes);
    }

    #[test]
    fn upl_2_a_changed_blob_is_refused_before_sending() {
        let (_dir, path, sha) = blob(b"reviewed");
        std::fs::write(&path, b"tampered").expect("rewrite");
        let err = CheckedBlob::open(&path, &sha, 8).expect_err("changed");
        assert!(matches!(err, BlobProblem::Changed { len: 8, .. }), "{err}");
        assert!(err.to_string().contains("changed on disk"), "{err}");
        let err = CheckedBlob::open(&path.with_extension("gone"), &sha, 8).expect_err("missing");
        assert!(matches!(err, BlobProblem::Unreadable(_)));
        // A longer file with the same prefix is not the reviewed blob either.
        let (_dir2, path2, sha2) = blob(b"abc");
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path2)
            .and_then(|mut f| f.write_all(b"d"))
            .expect("append");
        assert!(CheckedBlob::open(&path2, &sha2, 3).is_err());
    }

    #[test]
    fn upl_2_a_blob_rewritten_while_streaming_never_yields_its_last_piece() {
        let bytes = vec![7u8; 1000];
        let (_dir, path, sha) = blob(&bytes);
        let mut checked = CheckedBlob::open(&path, &sha, 1000).expect("checked");
        let mut first = [0u8; 600];
        assert_eq!(checked.read(&mut first).expect("first"), 600);
        // Rewritten in place after the check.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .and_then(|mut f| {
                f.seek(SeekFrom::Start(900))?;
                f.write_all(&[8u8; 100])
            })
            .expect("rewrite");
        let mut rest = [0u8; 600];
        let err = checked.read(&mut rest).expect_err("mismatch");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }
}
