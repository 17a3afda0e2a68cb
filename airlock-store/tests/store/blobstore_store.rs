//! The request file store: FMT-12 to FMT-16 and FIL-3.

use airlock_core::{AirlockError, ErrorCode};
use airlock_store::blobstore::{BlobError, BlobStore, RequestBlobs, is_blob_name};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{self, Read};
use std::path::Path;
use std::time::Duration;

const REQUEST: &str = "01JNQ8Z7K3V5W2X9Y4T6R8P0MA";

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Every entry of a directory (blobs and anything else), sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match fs::read_dir(dir) {
        Ok(rd) => rd
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

fn setup() -> (tempfile::TempDir, BlobStore, RequestBlobs) {
    let root = tempfile::tempdir().expect("tempdir");
    let store = BlobStore::new(root.path().join("requests"));
    let blobs = store
        .request("diabetes-outcomes", REQUEST)
        .expect("request");
    (root, store, blobs)
}

#[test]
fn fmt_12_put_stores_by_content_address() {
    let (root, _store, blobs) = setup();
    let src = root.path().join("table1.csv");
    fs::write(&src, b"a,b\n1,2\n").expect("write");
    let blob = blobs.put(&src, Some(&sha(b"a,b\n1,2\n"))).expect("put");
    assert_eq!(blob.hash, sha(b"a,b\n1,2\n"));
    assert_eq!(blob.size, 8);
    let expected_dir = root.path().join("requests/diabetes-outcomes").join(REQUEST);
    assert_eq!(blobs.dir(), expected_dir);
    assert_eq!(entries(&expected_dir), std::slice::from_ref(&blob.hash));
    assert!(blobs.exists(&blob.hash));
    let mut back = Vec::new();
    blobs
        .open(&blob.hash)
        .expect("open")
        .read_to_end(&mut back)
        .expect("read");
    assert_eq!(back, b"a,b\n1,2\n");
    assert!(blobs.verify(&blob.hash).expect("verify"));
    assert_eq!(blobs.list().expect("list"), [blob.hash]);
}

#[test]
fn fil_3_hash_mismatch_leaves_nothing() {
    let (root, _store, blobs) = setup();
    let src = root.path().join("table1.csv");
    fs::write(&src, b"changed while copying").expect("write");
    let expected = sha(b"what the manifest says");
    let err = blobs.put(&src, Some(&expected)).expect_err("mismatch");
    assert!(
        matches!(&err, BlobError::HashMismatch { expected: e, actual } if *e == expected && *actual == sha(b"changed while copying"))
    );
    assert_eq!(err.code(), ErrorCode::HashMismatch);
    let err: AirlockError = err.into();
    assert_eq!(err.code(), "hash_mismatch");
    assert_eq!(
        entries(blobs.dir()),
        Vec::<String>::new(),
        "no blob and no temporary file"
    );
}

#[test]
fn fmt_13_expected_hash_is_case_insensitive() {
    let (root, _store, blobs) = setup();
    let src = root.path().join("a.txt");
    fs::write(&src, b"x").expect("write");
    let blob = blobs
        .put(&src, Some(&sha(b"x").to_uppercase()))
        .expect("put");
    assert_eq!(blob.hash, sha(b"x"), "the name is always lowercase");
}

#[test]
fn fmt_15_identical_content_is_stored_once_and_never_rewritten() {
    let (root, store, blobs) = setup();
    let one = root.path().join("one.csv");
    let two = root.path().join("two.csv");
    fs::write(&one, b"same").expect("write");
    fs::write(&two, b"same").expect("write");
    let first = blobs.put(&one, None).expect("put");
    let path = blobs.path(&first.hash).expect("path");
    let old = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    fs::File::options()
        .write(true)
        .open(&path)
        .expect("open")
        .set_modified(old)
        .expect("mtime");
    let second = blobs.put(&two, Some(&sha(b"same"))).expect("put");
    assert_eq!((&first.hash, first.size), (&second.hash, second.size));
    // Only the write that created the blob reports its identity (UPL-2): the second found it.
    assert!(first.seal.is_some() && second.seal.is_none());
    assert_eq!(entries(blobs.dir()), std::slice::from_ref(&first.hash));
    assert_eq!(
        fs::metadata(&path)
            .expect("meta")
            .modified()
            .expect("mtime"),
        old,
        "FMT-14"
    );
    // Per request: another request stores its own copy.
    let other = store
        .request("diabetes-outcomes", "01JNQ8Z7K3V5W2X9Y4T6R8P0MB")
        .expect("r");
    other.put(&one, None).expect("put");
    assert!(other.exists(&first.hash));
    assert_ne!(other.path(&first.hash).expect("p"), path);
}

#[test]
fn fmt_13_large_files_are_streamed() {
    let (root, _store, blobs) = setup();
    let src = root.path().join("big.csv");
    let size: u64 = 20 * 1024 * 1024 + 17;
    {
        let mut file = fs::File::create(&src).expect("create");
        let mut pattern = io::repeat(b'7').take(size);
        io::copy(&mut pattern, &mut file).expect("write");
    }
    let expected = {
        let mut hasher = Sha256::new();
        let mut reader = io::repeat(b'7').take(size);
        io::copy(&mut reader, &mut hasher).expect("hash");
        hex::encode(hasher.finalize())
    };
    let blob = blobs.put(&src, Some(&expected)).expect("put");
    assert_eq!(blob.size, size);
    assert_eq!(
        fs::metadata(blobs.path(&blob.hash).expect("p"))
            .expect("m")
            .len(),
        size
    );
    assert!(blobs.verify(&blob.hash).expect("verify"));
}

/// A reader that fails after some bytes, like a copy interrupted by an I/O error.
struct Failing(usize);

impl Read for Failing {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.0 == 0 {
            return Err(io::Error::other("disk went away"));
        }
        let n = buf.len().min(self.0);
        buf[..n].fill(b'x');
        self.0 -= n;
        Ok(n)
    }
}

#[test]
fn fmt_13_interrupted_copy_leaves_no_visible_blob() {
    let (_root, _store, blobs) = setup();
    let err = blobs
        .put_reader(&mut Failing(1_000_000), None)
        .expect_err("fails");
    assert_eq!(err.code(), ErrorCode::Internal);
    assert_eq!(entries(blobs.dir()), Vec::<String>::new());
}

#[test]
fn fmt_13_stale_temporaries_are_cleaned_and_never_listed() {
    let (root, store, blobs) = setup();
    let src = root.path().join("a.csv");
    fs::write(&src, b"a").expect("write");
    let blob = blobs.put(&src, None).expect("put");
    // What a crash during a copy leaves behind.
    let stale = blobs.dir().join(".blob-abc123.tmp");
    fs::write(&stale, b"partial").expect("write");
    assert_eq!(
        blobs.list().expect("list"),
        std::slice::from_ref(&blob.hash),
        "temporaries are not blobs"
    );
    assert!(!is_blob_name(".blob-abc123.tmp"));
    assert_eq!(
        store
            .clean_stale_temps(Duration::from_secs(3600))
            .expect("clean"),
        0,
        "too recent"
    );
    assert_eq!(store.clean_stale_temps(Duration::ZERO).expect("clean"), 1);
    assert_eq!(entries(blobs.dir()), [blob.hash]);
}

#[test]
fn fmt_13_reads_never_create_the_request_directory() {
    let (_root, _store, blobs) = setup();
    let hash = sha(b"nothing");
    assert!(!blobs.exists(&hash));
    let err = blobs.open(&hash).expect_err("missing");
    assert!(matches!(err, BlobError::NotFound(_)));
    assert_eq!(AirlockError::from(err).code(), "not_found", "FMT-16: 404");
    assert!(matches!(blobs.verify(&hash), Err(BlobError::NotFound(_))));
    assert_eq!(blobs.list().expect("list"), Vec::<String>::new());
    assert!(!blobs.dir().exists());
}

#[test]
fn verify_detects_a_corrupted_blob() {
    let (root, _store, blobs) = setup();
    let src = root.path().join("a.csv");
    fs::write(&src, b"original").expect("write");
    let blob = blobs.put(&src, None).expect("put");
    fs::write(blobs.path(&blob.hash).expect("p"), b"tampered").expect("write");
    assert!(!blobs.verify(&blob.hash).expect("verify"));
}

#[test]
fn missing_source_is_not_found() {
    let (root, _store, blobs) = setup();
    let err = blobs
        .put(&root.path().join("gone.csv"), None)
        .expect_err("missing");
    assert_eq!(err.code(), ErrorCode::NotFound);
    assert!(!blobs.dir().exists(), "nothing created");
}
