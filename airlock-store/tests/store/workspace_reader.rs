//! The workspace reader: FMT-1, FMT-4, FMT-5, FMT-6, FMT-9, WS-1, WS-2, WS-5 over real
//! directories.

use airlock_core::testing::empty_request;
use airlock_core::workspace::{
    MANIFEST_UNREADABLE, NodeKind, ReleasedHashes, TreeOptions, WorkspaceFileStatus,
};
use airlock_core::{ErrorCode, FileType, RequestFile};
use airlock_store::workspace::{WorkspaceError, WorkspaceReader};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn entry(content: &[u8]) -> Value {
    json!({
        "level": "moderately_sensitive", "job_id": "job1", "job_request": "jr", "action": "make",
        "user": "jsmith", "repo": "https://example.org/r", "commit": "c0ffee",
        "size": content.len(), "timestamp": 1700000000.0, "content_hash": sha(content),
        "excluded": false, "message": null, "row_count": null, "col_count": null
    })
}

fn write(path: &Path, bytes: &[u8]) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("mkdir");
    }
    fs::write(path, bytes).expect("write");
}

fn write_manifest(ws: &Path, outputs: Value) {
    let doc = json!({"workspace": "ws", "repo": null, "outputs": outputs});
    write(
        &ws.join("metadata/manifest.json"),
        doc.to_string().as_bytes(),
    );
}

/// A workspace `ws` with two shown outputs, a highly sensitive one, an excluded one with its
/// message file, an out-of-date one, a log and a stray file absent from the manifest.
fn fixture() -> (tempfile::TempDir, WorkspaceReader) {
    let root = tempfile::tempdir().expect("tempdir");
    let ws = root.path().join("ws");
    write(&ws.join("output/a.csv"), b"a,b\n1,2\n");
    write(&ws.join("output/sub/b.png"), b"png");
    write(&ws.join("output/old.csv"), b"old");
    write(&ws.join("output/big.csv.txt"), b"too big");
    write(&ws.join("output/stray.csv"), b"not in manifest");
    write(&ws.join("metadata/make.log"), b"log\n");
    write(&ws.join("metadata/deep/nested.log"), b"nested\n");
    let mut excluded = entry(b"big content");
    excluded["excluded"] = json!(true);
    let mut secret = entry(b"secret");
    secret["level"] = json!("highly_sensitive");
    let mut old = entry(b"old");
    old["out_of_date_action"] = json!(true);
    write_manifest(
        &ws,
        json!({
            "output/a.csv": entry(b"a,b\n1,2\n"),
            "output/sub/b.png": entry(b"png"),
            "output/big.csv": excluded,
            "output/secret.arrow": secret,
            "output/old.csv": old,
        }),
    );
    let reader = WorkspaceReader::new(root.path());
    (root, reader)
}

#[test]
fn fmt_1_workspace_names_and_listing() {
    let (root, reader) = fixture();
    fs::create_dir(root.path().join(".hidden")).expect("mkdir");
    fs::create_dir(root.path().join("other")).expect("mkdir");
    write(&root.path().join("a-file"), b"x");
    assert_eq!(reader.list().expect("list"), ["other", "ws"]);
    for bad in ["", ".hidden", "..", "ws/metadata", "a\\b", "nope", "a-file"] {
        let err = reader.open(bad).expect_err(bad);
        assert_eq!(err.code(), ErrorCode::NotFound, "{bad:?}");
        assert!(!reader.exists(bad));
    }
    assert!(reader.exists("ws"));
}

#[test]
fn fmt_5_resolve_refuses_bad_paths() {
    let (_root, reader) = fixture();
    let ws = reader.open("ws").expect("open");
    for bad in [
        "",
        "/etc/passwd",
        "../ws/output/a.csv",
        "output/../output/a.csv",
        "output//a.csv",
        "output/./a.csv",
        "output\\a.csv",
        "output/a\0.csv",
        "output/",
    ] {
        let err = ws.resolve(bad).expect_err(bad);
        assert_eq!(err.code(), ErrorCode::BadPath, "{bad:?}");
        assert!(!ws.is_shown(bad, true));
        assert!(!ws.add_candidate(bad, &ReleasedHashes::default()).shown);
    }
    assert!(ws.resolve("output/a.csv").is_ok());
    let missing = ws.resolve("output/none.csv").expect_err("missing");
    assert_eq!(missing.code(), ErrorCode::NotFound);
    let dir = ws
        .resolve("output/sub")
        .expect_err("a directory is not a file");
    assert_eq!(dir.code(), ErrorCode::NotFound);
}

#[cfg(unix)]
#[test]
fn fmt_5_symlinks_out_of_the_workspace_are_refused() {
    use std::os::unix::fs::symlink;
    let (root, reader) = fixture();
    let outside = tempfile::tempdir().expect("tempdir");
    write(&outside.path().join("secret.csv"), b"secret");
    let ws_dir = root.path().join("ws");
    symlink(
        outside.path().join("secret.csv"),
        ws_dir.join("output/link.csv"),
    )
    .expect("symlink");
    symlink(outside.path(), ws_dir.join("output/linkdir")).expect("symlink");
    symlink(
        outside.path().join("secret.csv"),
        ws_dir.join("metadata/leak.log"),
    )
    .expect("symlink");
    symlink(
        ws_dir.join("output/a.csv"),
        ws_dir.join("output/inside.csv"),
    )
    .expect("symlink");
    // A sibling directory whose name extends the workspace's must not pass a prefix check.
    fs::create_dir(root.path().join("ws2")).expect("mkdir");
    write(&root.path().join("ws2/x.csv"), b"x");
    symlink(
        root.path().join("ws2/x.csv"),
        ws_dir.join("output/sibling.csv"),
    )
    .expect("symlink");
    write_manifest(
        &ws_dir,
        json!({
            "output/link.csv": entry(b"secret"),
            "output/linkdir/secret.csv": entry(b"secret"),
            "output/inside.csv": entry(b"a,b\n1,2\n"),
            "output/sibling.csv": entry(b"x"),
        }),
    );
    let ws = reader.open("ws").expect("open");
    for path in [
        "output/link.csv",
        "output/linkdir/secret.csv",
        "metadata/leak.log",
        "output/sibling.csv",
    ] {
        let err = ws.resolve(path).expect_err(path);
        assert!(
            matches!(err, WorkspaceError::OutsideWorkspace { .. }),
            "{path}: {err}"
        );
        assert_eq!(err.code(), ErrorCode::NotFound);
        let err = ws.open_file(path).expect_err(path);
        assert_eq!(err.code(), ErrorCode::NotFound, "{path}");
    }
    assert!(
        ws.open_file("output/inside.csv").is_ok(),
        "links inside the workspace are fine"
    );
    let disk = ws.disk_files().expect("disk");
    assert!(
        disk.get("metadata/leak.log").is_none(),
        "WS-1: metadata links out are not shown"
    );
    assert!(
        !ws.add_candidate("metadata/leak.log", &ReleasedHashes::default())
            .shown
    );
}

#[test]
fn ws_1_fmt_4_shown_set_and_serving() {
    let (_root, reader) = fixture();
    let ws = reader.open("ws").expect("open");
    let none = ReleasedHashes::default();
    let tree = ws.tree(TreeOptions::default(), None, &none).expect("tree");
    let files: Vec<&str> = tree.files().map(|(n, _)| n.path).collect();
    assert_eq!(
        files,
        [
            "metadata/deep/nested.log",
            "metadata/make.log",
            "metadata/manifest.json",
            "output/sub/b.png",
            "output/a.csv",
            "output/big.csv.txt"
        ]
    );
    assert_eq!(tree.out_of_date_count, 1);
    let with_old = ws
        .tree(
            TreeOptions {
                show_out_of_date: true,
            },
            None,
            &none,
        )
        .expect("tree");
    assert!(with_old.find("output/old.csv").is_some());

    // FMT-4: a file on disk but absent from the manifest is never served.
    let err = ws.open_file("output/stray.csv").expect_err("stray");
    assert!(matches!(err, WorkspaceError::NotShown { .. }), "{err}");
    assert!(!ws.is_shown("output/stray.csv", true));
    // FMT-2: highly sensitive outputs are never served.
    assert_eq!(
        ws.open_file("output/secret.arrow")
            .expect_err("secret")
            .code(),
        ErrorCode::NotFound
    );
    assert!(
        ws.open_file("output/big.csv.txt").is_ok(),
        "FMT-8: message files can be viewed"
    );
    assert!(ws.open_file("metadata/make.log").is_ok());
    assert!(ws.is_shown("output/old.csv", true) && !ws.is_shown("output/old.csv", false));
}

#[test]
fn ws_5_statuses_through_the_reader() {
    let (_root, reader) = fixture();
    let ws = reader.open("ws").expect("open");
    let mut state = empty_request("01JNQ8Z7K3V5W2X9Y4T6R8P0MA");
    let mut on_request = |relpath: &str, content: &[u8], filetype| {
        let mut file: RequestFile = airlock_core::testing::file(relpath, "g", filetype);
        file.file_id = sha(content);
        state.files.push(file);
    };
    on_request("output/a.csv", b"a,b\n1,2\n", FileType::Output);
    on_request("output/sub/b.png", b"older png", FileType::Output);
    let released = ReleasedHashes::from_hex([sha(b"too big")]);
    let status = |path| ws.status(path, Some(&state), &released).expect("status");
    assert_eq!(status("output/a.csv"), WorkspaceFileStatus::UnderReview);
    assert_eq!(status("output/sub/b.png"), WorkspaceFileStatus::Updated);
    assert_eq!(
        status("output/old.csv"),
        WorkspaceFileStatus::Unreleased,
        "WS-4: present"
    );
    assert_eq!(
        status("output/big.csv.txt"),
        WorkspaceFileStatus::Released,
        "disk hash"
    );
    assert_eq!(status("metadata/make.log"), WorkspaceFileStatus::Unreleased);
    assert_eq!(status("output/stray.csv"), WorkspaceFileStatus::Invalid);
    assert_eq!(status("../x"), WorkspaceFileStatus::Invalid);

    let tree = ws
        .tree(TreeOptions::default(), Some(&state), &released)
        .expect("tree");
    for (node, file) in tree.files() {
        assert_eq!(file.status, status(node.path), "{}", node.path);
    }
    let b = tree.find("output/sub/b.png").expect("b");
    let NodeKind::File(file) = tree.node(b).expect("node").kind else {
        panic!("file")
    };
    assert_eq!(file.source.size(), Some(3));
}

#[test]
fn fil_4_add_candidates_through_the_reader() {
    let (_root, reader) = fixture();
    let ws = reader.open("ws").expect("open");
    let none = ReleasedHashes::default();
    let a = ws.add_candidate("output/a.csv", &none);
    assert!(a.shown && a.output.is_some());
    assert_eq!(a.content_hash.as_deref(), Some(sha(b"a,b\n1,2\n").as_str()));
    let log = ws.add_candidate("metadata/make.log", &none);
    assert!(
        log.shown && log.output.is_none(),
        "shown, refused later as metadata"
    );
    assert!(!ws.add_candidate("metadata/none.log", &none).shown);
    assert!(!ws.add_candidate("output/stray.csv", &none).shown);
    let message = ws.add_candidate("output/big.csv.txt", &none);
    assert!(message.shown && message.output.is_none(), "not_an_output");
}

#[test]
fn fmt_6_missing_manifest_means_no_outputs() {
    let root = tempfile::tempdir().expect("tempdir");
    write(&root.path().join("ws/output/a.csv"), b"a");
    let reader = WorkspaceReader::new(root.path());
    let ws = reader.open("ws").expect("open");
    assert!(ws.manifest().is_empty());
    assert!(ws.manifest_error().is_none());
    assert_eq!(ws.manifest_hash(), sha(b""));
    let tree = ws
        .tree(TreeOptions::default(), None, &ReleasedHashes::default())
        .expect("tree");
    assert!(tree.is_empty());
}

#[test]
fn fmt_6_unreadable_manifest_is_reported_then_recovers() {
    let (root, reader) = fixture();
    let ws_dir = root.path().join("ws");
    write(
        &ws_dir.join("metadata/manifest.json"),
        b"{\"outputs\": {\"output/a.csv\": ",
    );
    let ws = reader
        .open("ws")
        .expect("an unreadable manifest still opens");
    assert!(ws.manifest().is_empty());
    let err = ws.manifest_error().expect("error");
    assert!(
        err.message().starts_with(MANIFEST_UNREADABLE),
        "{}",
        err.message()
    );
    let tree = ws
        .tree(TreeOptions::default(), None, &ReleasedHashes::default())
        .expect("tree");
    assert!(
        tree.files().all(|(n, _)| n.path.starts_with("metadata/")),
        "only metadata shown"
    );
    assert_eq!(
        reader
            .open("ws")
            .expect("open")
            .manifest_error()
            .map(|e| e.message().to_string()),
        Some(err.message().to_string()),
        "the broken version is cached too"
    );
    assert_eq!(reader.manifest_parses(), 1);

    write_manifest(&ws_dir, json!({"output/a.csv": entry(b"a,b\n1,2\n")}));
    let ws = reader.open("ws").expect("open");
    assert!(ws.manifest_error().is_none());
    assert_eq!(ws.manifest().len(), 1);
}

#[test]
fn fmt_9_manifest_cache_by_identity() {
    let (root, reader) = fixture();
    let first = reader.open("ws").expect("open");
    let second = reader.open("ws").expect("open");
    assert_eq!(
        reader.manifest_parses(),
        1,
        "unchanged manifest is parsed once"
    );
    assert!(std::sync::Arc::ptr_eq(first.manifest(), second.manifest()));
    assert_eq!(first.manifest_hash(), second.manifest_hash());
    let path = root.path().join("ws/metadata/manifest.json");
    assert_eq!(
        first.manifest_hash(),
        sha(&fs::read(&path).expect("read")),
        "WS-8 hash"
    );

    // Touching the file changes its identity: parsed again.
    let file = fs::File::options().write(true).open(&path).expect("open");
    file.set_modified(SystemTime::now() + Duration::from_secs(5))
        .expect("touch");
    drop(file);
    let third = reader.open("ws").expect("open");
    assert_eq!(reader.manifest_parses(), 2);
    assert!(!std::sync::Arc::ptr_eq(first.manifest(), third.manifest()));

    // An atomic replacement by rename (new inode) is seen too, and the old snapshot is kept.
    let tmp = root.path().join("ws/metadata/.manifest.tmp");
    fs::write(
        &tmp,
        json!({"outputs": {"output/a.csv": entry(b"a,b\n1,2\n")}}).to_string(),
    )
    .expect("w");
    fs::rename(&tmp, &path).expect("rename");
    let fourth = reader.open("ws").expect("open");
    assert_eq!(reader.manifest_parses(), 3);
    assert_eq!(fourth.manifest().len(), 1);
    assert_eq!(
        first.manifest().len(),
        5,
        "FMT-9: a snapshot does not change under its reader"
    );
    // Other clones of the reader share the cache.
    let clone = reader.clone();
    clone.open("ws").expect("open");
    assert_eq!(reader.manifest_parses(), 3);
}

#[test]
fn ws_5_metadata_hashes_follow_the_file() {
    let (root, reader) = fixture();
    let log = root.path().join("ws/metadata/make.log");
    let released = ReleasedHashes::from_hex([sha(b"log\n")]);
    let ws = reader.open("ws").expect("open");
    assert_eq!(
        ws.status("metadata/make.log", None, &released).expect("s"),
        WorkspaceFileStatus::Released
    );
    fs::write(&log, b"a longer log\n").expect("write");
    let ws = reader.open("ws").expect("open");
    assert_eq!(
        ws.status("metadata/make.log", None, &released).expect("s"),
        WorkspaceFileStatus::Unreleased
    );
    let disk = ws.disk_files().expect("disk");
    assert_eq!(disk.get("metadata/make.log").map(|f| f.size), Some(13));
}

#[test]
fn errors_convert_to_stable_codes_without_machine_paths() {
    let (root, reader) = fixture();
    let ws = reader.open("ws").expect("open");
    let machine = root.path().to_string_lossy().to_string();
    for path in ["output/stray.csv", "output/secret.arrow", "output/none.csv"] {
        let err: airlock_core::AirlockError = ws.open_file(path).expect_err(path).into();
        assert_eq!(err.code(), "not_found");
        assert!(err.message().contains(path), "{}", err.message());
        assert!(!err.message().contains(&machine), "{}", err.message());
    }
    let err: airlock_core::AirlockError = ws.resolve("../x").expect_err("x").into();
    assert_eq!(err.code(), "bad_path");
}

/// FMT-5, FMT-8: a message file is read from the disk only when every directory on its way
/// stays inside the workspace; a directory link that leads inside is followed.
#[test]
fn fmt_8_message_files_behind_directory_links() {
    use std::os::unix::fs::symlink;
    let (root, reader) = fixture();
    let ws_dir = root.path().join("ws");
    let outside = tempfile::tempdir().expect("tempdir");
    write(
        &outside.path().join("deep/gone.csv.txt"),
        b"outside message",
    );
    symlink(outside.path(), ws_dir.join("output/away")).expect("symlink");
    write(&ws_dir.join("output/real/kept.csv.txt"), b"inside message");
    symlink(ws_dir.join("output/real"), ws_dir.join("output/alias")).expect("symlink");
    let mut away = entry(b"x");
    away["excluded"] = json!(true);
    let mut kept = entry(b"y");
    kept["excluded"] = json!(true);
    write_manifest(
        &ws_dir,
        json!({
            "output/away/deep/gone.csv": away,
            "output/alias/kept.csv": kept,
        }),
    );
    let ws = reader.open("ws").expect("open");
    let disk = ws.disk_files().expect("disk files");
    let paths: Vec<&str> = disk.files().iter().map(|f| f.relpath.as_str()).collect();
    assert!(paths.contains(&"output/alias/kept.csv.txt"), "{paths:?}");
    assert!(
        !paths.contains(&"output/away/deep/gone.csv.txt"),
        "{paths:?}"
    );
    let kept = disk.get("output/alias/kept.csv.txt").expect("kept");
    assert_eq!(kept.size, b"inside message".len() as u64);
}

#[test]
fn fmt_7_one_bad_entry_in_the_middle_of_10_000_hides_nothing_else() {
    let root = tempfile::tempdir().expect("tempdir");
    let ws = root.path().join("ws");
    let mut outputs = serde_json::Map::new();
    for i in 0..10_000 {
        let path = format!("output/part{:02}/table{i:05}.csv", i % 50);
        let value = match i {
            5_000 => {
                let mut bad = entry(b"x");
                bad["size"] = json!("big");
                bad
            }
            // As OpenSAFELY's development tooling writes a highly sensitive output.
            5_001 => json!({"level": "highly_sensitive", "excluded": false, "size": 1,
                             "timestamp": 1.0, "content_hash": "content",
                             "repo": null, "commit": null}),
            _ => entry(path.as_bytes()),
        };
        outputs.insert(path, value);
    }
    write_manifest(&ws, Value::Object(outputs));
    assert!(
        fs::metadata(ws.join("metadata/manifest.json"))
            .expect("manifest")
            .len()
            > 1 << 20,
        "large enough for the two-part parse"
    );
    let reader = WorkspaceReader::new(root.path());
    let ws = reader.open("ws").expect("open");
    assert!(ws.manifest_error().is_none());
    let tree = ws
        .tree(TreeOptions::default(), None, &ReleasedHashes::default())
        .expect("tree");
    // 9 998 outputs and metadata/manifest.json.
    assert_eq!(tree.file_count(), 9_999);
    let bad = "output/part00/table05000.csv";
    assert_eq!(
        ws.manifest().unreadable_entry(bad),
        Some("`size` is a string, not an integer")
    );
    assert_eq!(
        ws.manifest().warnings().len(),
        1,
        "{:?}",
        ws.manifest().warnings()
    );
    let candidate = ws.add_candidate(bad, &ReleasedHashes::default());
    assert!(!candidate.shown);
    assert!(
        candidate
            .unreadable
            .as_deref()
            .is_some_and(|m| m.contains(bad) && m.contains("`size` is a string")),
        "{candidate:?}"
    );
    assert!(
        ws.add_candidate("output/part49/table09999.csv", &ReleasedHashes::default())
            .shown
    );
}
