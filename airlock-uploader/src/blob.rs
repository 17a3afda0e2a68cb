//! Reading a stored blob for upload: its sha256 is checked before anything is sent, and checked
//! again as it is streamed, so that a blob that changed on disk is never sent whole (UPL-2).

use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::mpsc;

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

/// How a blob was found to be the reviewed one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    /// Its identity is the one the store recorded when it wrote the blob and verified its
    /// sha256 ([`airlock_store::blobstore::seal_of`]): unchanged since, so not read again.
    BySeal,
    /// Read whole and hashed; its current identity, to record for next time.
    ByHash(Option<String>),
}

/// A blob found to be the reviewed one: ready to stream.
#[derive(Debug)]
pub struct CheckedBlob {
    file: File,
    size: u64,
    expected: [u8; 32],
}

impl CheckedBlob {
    /// Opens `path` and checks that it is exactly `size` bytes with sha256 `expected_hex`:
    /// by its identity when it equals `seal` (the one recorded when the store wrote and
    /// verified it), else by reading and hashing it whole.
    pub fn open(
        path: &Path,
        expected_hex: &str,
        size: u64,
        seal: Option<&str>,
    ) -> Result<(CheckedBlob, Verified), BlobProblem> {
        let mut expected = [0u8; 32];
        hex::decode_to_slice(expected_hex, &mut expected).map_err(|_| BlobProblem::Changed {
            actual: "(not computed)".into(),
            len: 0,
            expected: expected_hex.into(),
            size,
        })?;
        let mut file = File::open(path).map_err(BlobProblem::Unreadable)?;
        let identity = file
            .metadata()
            .ok()
            .as_ref()
            .and_then(airlock_store::blobstore::seal_of);
        let checked = |file| CheckedBlob {
            file,
            size,
            expected,
        };
        if seal.is_some() && identity.as_deref() == seal {
            return Ok((checked(file), Verified::BySeal));
        }
        let (actual, len) =
            airlock_store::blobstore::sha256_reader(&mut file).map_err(BlobProblem::Unreadable)?;
        if actual != expected_hex || len != size {
            return Err(BlobProblem::Changed {
                actual,
                len,
                expected: expected_hex.into(),
                size,
            });
        }
        file.seek(SeekFrom::Start(0))
            .map_err(BlobProblem::Unreadable)?;
        Ok((checked(file), Verified::ByHash(identity)))
    }

    /// The number of bytes to send.
    pub fn len(&self) -> u64 {
        self.size
    }

    /// True for an empty blob.
    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// The bytes to send. A helper thread reads the file ahead in blocks and hashes them
    /// again; the last block is handed over only if the whole matches, so a blob rewritten in
    /// place after the check fails the upload with an error before the Jobs site has received
    /// all of it. At most [`BLOCKS_AHEAD`] blocks are in memory.
    pub fn stream(self) -> BlobStream {
        let (full_tx, full_rx) = mpsc::sync_channel::<io::Result<Vec<u8>>>(BLOCKS_AHEAD);
        let (empty_tx, empty_rx) = mpsc::sync_channel::<Vec<u8>>(BLOCKS_AHEAD + 2);
        let spawned = std::thread::Builder::new()
            .name("blob-reader".into())
            .spawn(move || self.read_ahead(&full_tx, &empty_rx));
        if let Err(e) = spawned {
            let (tx, rx) = mpsc::sync_channel(1);
            let _ = tx.send(Err(e));
            return BlobStream::new(rx, empty_tx);
        }
        BlobStream::new(full_rx, empty_tx)
    }

    /// The helper thread of [`CheckedBlob::stream`]: ends when the file is sent, on an error,
    /// or when the stream is dropped.
    fn read_ahead(
        mut self,
        full: &mpsc::SyncSender<io::Result<Vec<u8>>>,
        empty: &mpsc::Receiver<Vec<u8>>,
    ) {
        let mut hasher = Sha256::new();
        let mut remaining = self.size;
        while remaining > 0 {
            let mut block = empty.try_recv().unwrap_or_default();
            let want = usize::try_from(remaining).map_or(BLOCK, |r| r.min(BLOCK));
            block.resize(want, 0);
            let mut filled = 0;
            while filled < want {
                match self.file.read(&mut block[filled..]) {
                    Ok(0) => {
                        let _ = full.send(Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "the stored file became shorter while it was sent",
                        )));
                        return;
                    }
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        let _ = full.send(Err(e));
                        return;
                    }
                }
            }
            hasher.update(&block);
            remaining -= want as u64;
            if remaining == 0 {
                let actual: [u8; 32] = std::mem::take(&mut hasher).finalize().into();
                if actual != self.expected {
                    let _ = full.send(Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "the stored file changed while it was sent",
                    )));
                    return;
                }
            }
            if full.send(Ok(block)).is_err() {
                return;
            }
        }
    }
}

/// Block size of the read-ahead.
pub const BLOCK: usize = 1024 * 1024;

/// Blocks read ahead of the sender.
pub const BLOCKS_AHEAD: usize = 4;

/// The byte stream of a [`CheckedBlob`], fed by its read-ahead thread.
#[derive(Debug)]
pub struct BlobStream {
    full: mpsc::Receiver<io::Result<Vec<u8>>>,
    empty: mpsc::SyncSender<Vec<u8>>,
    block: Vec<u8>,
    pos: usize,
}

impl BlobStream {
    fn new(full: mpsc::Receiver<io::Result<Vec<u8>>>, empty: mpsc::SyncSender<Vec<u8>>) -> Self {
        BlobStream {
            full,
            empty,
            block: Vec::new(),
            pos: 0,
        }
    }
}

impl Read for BlobStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.pos == self.block.len() {
            let used = std::mem::take(&mut self.block);
            if used.capacity() > 0 {
                let _ = self.empty.try_send(used);
            }
            self.pos = 0;
            match self.full.recv() {
                Ok(Ok(block)) => self.block = block,
                Ok(Err(e)) => return Err(e),
                // The reader thread ended after the last block: the end.
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.block.len() - self.pos);
        buf[..n].copy_from_slice(&self.block[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Moves a file's modification time a minute back, so that it differs from any it had.
    fn set_mtime_apart(path: &std::path::Path) {
        let file = std::fs::File::options()
            .write(true)
            .open(path)
            .expect("open");
        let mtime = file.metadata().and_then(|m| m.modified()).expect("mtime");
        file.set_modified(mtime - std::time::Duration::from_secs(60))
            .expect("set mtime");
    }

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
        let (checked, how) =
            CheckedBlob::open(&path, &sha, bytes.len() as u64, None).expect("checked");
        assert_eq!(checked.len(), bytes.len() as u64);
        let Verified::ByHash(identity) = how else {
            panic!("no seal: hashed")
        };
        let mut sent = Vec::new();
        checked.stream().read_to_end(&mut sent).expect("read");
        assert_eq!(sent, bytes);
        // With the identity recorded, the blob is trusted without reading it again.
        let (checked, how) =
            CheckedBlob::open(&path, &sha, bytes.len() as u64, identity.as_deref()).expect("ok");
        assert_eq!(how, Verified::BySeal);
        let mut sent = Vec::new();
        checked.stream().read_to_end(&mut sent).expect("read");
        assert_eq!(sent, bytes);
    }

    #[test]
    fn upl_2_a_changed_blob_is_refused_before_sending() {
        let (_dir, path, sha) = blob(b"reviewed");
        let sealed = std::fs::metadata(&path)
            .ok()
            .as_ref()
            .and_then(airlock_store::blobstore::seal_of);
        std::fs::write(&path, b"tampered").expect("rewrite");
        // Within the file system's timestamp granularity the rewrite could keep the mtime: set
        // it apart, as any later edit would have it.
        set_mtime_apart(&path);
        // The rewrite changed the identity: the blob is hashed again and refused.
        let err = CheckedBlob::open(&path, &sha, 8, sealed.as_deref()).expect_err("changed");
        assert!(matches!(err, BlobProblem::Changed { len: 8, .. }), "{err}");
        assert!(err.to_string().contains("changed on disk"), "{err}");
        let err =
            CheckedBlob::open(&path.with_extension("gone"), &sha, 8, None).expect_err("missing");
        assert!(matches!(err, BlobProblem::Unreadable(_)));
        // A longer file with the same prefix is not the reviewed blob either.
        let (_dir2, path2, sha2) = blob(b"abc");
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path2)
            .and_then(|mut f| f.write_all(b"d"))
            .expect("append");
        assert!(CheckedBlob::open(&path2, &sha2, 3, None).is_err());
    }

    #[test]
    fn upl_2_a_blob_rewritten_while_streaming_never_yields_its_last_piece() {
        // Three blocks: the first two may go out, the third is held back.
        let bytes = vec![7u8; 3 * BLOCK];
        let (_dir, path, sha) = blob(&bytes);
        let (checked, _) = CheckedBlob::open(&path, &sha, bytes.len() as u64, None).expect("ok");
        // Rewritten in place after the check.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .and_then(|mut f| {
                f.seek(SeekFrom::Start(3 * BLOCK as u64 - 100))?;
                f.write_all(&[8u8; 100])
            })
            .expect("rewrite");
        let mut stream = checked.stream();
        let mut sent = Vec::new();
        let err = stream.read_to_end(&mut sent).expect_err("mismatch");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(
            sent.len() < bytes.len(),
            "the last block was never handed over"
        );
    }
}
