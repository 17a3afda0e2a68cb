//! The synthetic workspace generator round-trips through the reader (FMT-6 to FMT-8, WS-1).

use airlock_core::workspace::{ReleasedHashes, TreeOptions};
use airlock_store::blobstore::sha256_file;
use airlock_store::generate::{OutputKind, generate_workspace};
use airlock_store::workspace::WorkspaceReader;
use std::fs;

#[test]
fn generated_workspace_round_trips() {
    let root = tempfile::tempdir().expect("tempdir");
    let generated = generate_workspace(root.path(), "synthetic", 2_500, 7).expect("generate");
    let reader = WorkspaceReader::new(root.path());
    let ws = reader.open("synthetic").expect("open");
    assert!(ws.manifest_error().is_none());
    let manifest = ws.manifest();
    assert!(manifest.warnings().is_empty(), "{:?}", manifest.warnings());
    assert_eq!(manifest.len(), 2_500);
    assert_eq!(manifest.workspace(), Some("synthetic"));

    // Every kind is represented.
    for kind in [
        OutputKind::Shown,
        OutputKind::OutOfDate,
        OutputKind::Excluded,
        OutputKind::HighlySensitive,
        OutputKind::Superseded,
    ] {
        assert!(generated.of_kind(kind).next().is_some(), "{kind:?}");
    }

    // FMT-7: hashes, sizes, timestamps and CSV counts describe the bytes on disk.
    for path in generated.of_kind(OutputKind::Shown).step_by(7) {
        let entry = manifest.entry(path).expect("entry").output();
        let real = ws.resolve(path).expect("on disk");
        assert_eq!(
            sha256_file(&real).expect("hash"),
            entry.content_hash,
            "{path}"
        );
        let meta = fs::metadata(&real).expect("meta");
        assert_eq!(meta.len() as i64, entry.size);
        let mtime = meta
            .modified()
            .expect("mtime")
            .duration_since(std::time::UNIX_EPOCH)
            .expect("epoch");
        assert!(
            (mtime.as_secs_f64() - entry.timestamp).abs() < 0.001,
            "{path}"
        );
        if path.ends_with(".csv") {
            let text = fs::read_to_string(&real).expect("csv");
            let mut lines = text.lines();
            let cols = lines.next().expect("header").split(',').count() as i64;
            assert_eq!(entry.col_count, Some(cols));
            assert_eq!(entry.row_count, Some(lines.count() as i64));
        } else {
            assert_eq!(entry.row_count, None);
        }
    }
    // FMT-8 and FMT-2: excluded outputs have only a message file; highly sensitive none.
    for path in generated.of_kind(OutputKind::Excluded) {
        assert!(ws.resolve(path).is_err());
        assert!(ws.resolve(&format!("{path}.txt")).is_ok());
    }
    for path in generated.of_kind(OutputKind::HighlySensitive) {
        assert!(ws.resolve(path).is_err());
    }

    // WS-1: the tree shows shown outputs, message files and the metadata files.
    let none = ReleasedHashes::default();
    let tree = ws.tree(TreeOptions::default(), None, &none).expect("tree");
    let shown = generated.of_kind(OutputKind::Shown).count();
    let excluded = generated.of_kind(OutputKind::Excluded).count();
    let out_of_date = generated.of_kind(OutputKind::OutOfDate).count();
    let metadata = generated.logs.len() + 1;
    assert_eq!(tree.file_count(), shown + excluded + metadata);
    assert_eq!(tree.out_of_date_count, out_of_date);
    let all = ws
        .tree(
            TreeOptions {
                show_out_of_date: true,
            },
            None,
            &none,
        )
        .expect("tree");
    assert_eq!(all.file_count(), shown + excluded + out_of_date + metadata);
    assert_eq!(
        ws.disk_files().expect("disk").files().len(),
        metadata + excluded
    );
    assert!(
        all.files().any(|(_, f)| !f.allowed_type),
        "WS-3: some refused types"
    );
}

#[test]
fn generation_is_deterministic() {
    let one = tempfile::tempdir().expect("tempdir");
    let two = tempfile::tempdir().expect("tempdir");
    generate_workspace(one.path(), "ws", 300, 42).expect("generate");
    generate_workspace(two.path(), "ws", 300, 42).expect("generate");
    let hash = |root: &std::path::Path| {
        WorkspaceReader::new(root)
            .open("ws")
            .expect("open")
            .manifest_hash()
            .to_string()
    };
    assert_eq!(hash(one.path()), hash(two.path()));
    let three = tempfile::tempdir().expect("tempdir");
    generate_workspace(three.path(), "ws", 300, 43).expect("generate");
    assert_ne!(hash(one.path()), hash(three.path()));
}
