//! Manifests, disk files and trees for the unit tests of this module.

use super::{DiskFile, DiskFiles, Manifest, WorkspaceTree, parse_digest, parse_manifest};
use crate::testing::fake_hash;
use serde_json::{Value, json};

pub(super) static NO_DISK: DiskFiles = DiskFiles { files: Vec::new() };

pub(super) fn entry(level: &str, hash: &str) -> Value {
    json!({
        "level": level, "job_id": "job1", "job_request": "jr1", "action": "make",
        "user": "jsmith", "repo": "https://example.org/r", "commit": "c0ffee",
        "size": 10, "timestamp": 1700000000.5, "content_hash": hash,
        "excluded": false, "message": null, "row_count": null, "col_count": null
    })
}

pub(super) fn ms(path: &str) -> (String, Value) {
    (
        path.to_string(),
        entry("moderately_sensitive", &fake_hash(path)),
    )
}

pub(super) fn manifest_of(outputs: Vec<(String, Value)>) -> Manifest {
    let mut map = serde_json::Map::new();
    for (k, v) in outputs {
        map.insert(k, v);
    }
    let doc = json!({"workspace": "ws", "repo": null, "outputs": map});
    parse_manifest(doc.to_string().as_bytes()).expect("valid manifest")
}

pub(super) fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

pub(super) fn disk(paths: &[&str]) -> DiskFiles {
    DiskFiles::new(
        paths
            .iter()
            .map(|p| DiskFile {
                relpath: p.to_string(),
                size: 3,
                modified: 1.0,
                sha256: parse_digest(&fake_hash(p)),
            })
            .collect(),
    )
}

pub(super) fn shown_paths(tree: &WorkspaceTree<'_>) -> Vec<String> {
    tree.files().map(|(n, _)| n.path.to_string()).collect()
}

/// The FMT-10 example of `workspace-format.md`.
pub(super) fn fmt_10_example() -> Manifest {
    let doc = json!({
        "workspace": "diabetes-outcomes",
        "repo": null,
        "outputs": {
            "output/dataset.arrow": entry("highly_sensitive", &fake_hash("arrow")),
            "output/table1.csv": with(with(entry("moderately_sensitive", &fake_hash("t1")),
                "row_count", json!(42)), "col_count", json!(5)),
            "output/big_table.csv": with(entry("moderately_sensitive", &fake_hash("big")),
                "excluded", json!(true)),
            "output/old_figure.png": with(entry("moderately_sensitive", &fake_hash("old")),
                "out_of_date_action", json!(true)),
        }
    });
    parse_manifest(doc.to_string().as_bytes()).expect("example parses")
}
