//! Architecture invariant: airlock-core does no I/O. Its dependency tree (normal dependencies,
//! transitively) must not contain a database, web, async runtime or HTTP crate, nor another
//! Airlock crate.

use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::process::Command;

const FORBIDDEN: &[&str] = &[
    "diesel",
    "libsqlite3-sys",
    "pq-sys",
    "r2d2",
    "rocket",
    "tokio",
    "hyper",
    "reqwest",
    "ureq",
    "walkdir",
    "tempfile",
    "airlock-store",
    "airlock-web",
    "airlock-cli",
    "airlock-uploader",
];

/// The target triple of the toolchain running the tests.
fn host_triple() -> String {
    let output = Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc -vV runs");
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .find_map(|line| line.strip_prefix("host: "))
        .expect("rustc -vV names the host")
        .to_string()
}

/// The names of every package airlock-core depends on at run time on this platform,
/// transitively. (Filtering by platform keeps `--offline` from needing the sources of other
/// platforms' dependencies.)
fn core_dependency_tree() -> BTreeSet<String> {
    let host = host_triple();
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--offline"])
        .args(["--filter-platform", &host])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("metadata is JSON");
    let names: HashMap<&str, &str> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            (
                p["id"].as_str().expect("id"),
                p["name"].as_str().expect("name"),
            )
        })
        .collect();
    let nodes: HashMap<&str, Vec<&str>> = metadata["resolve"]["nodes"]
        .as_array()
        .expect("resolve nodes")
        .iter()
        .map(|node| {
            let deps = node["deps"]
                .as_array()
                .expect("deps")
                .iter()
                .filter(|d| {
                    d["dep_kinds"].as_array().is_some_and(|kinds| {
                        kinds
                            .iter()
                            .any(|k| k.get("kind").expect("a dependency's kind").is_null())
                    })
                })
                .map(|d| d["pkg"].as_str().expect("pkg"))
                .collect();
            (node["id"].as_str().expect("id"), deps)
        })
        .collect();
    let root = names
        .iter()
        .find(|(_, name)| **name == "airlock-core")
        .map(|(id, _)| *id)
        .expect("airlock-core in metadata");
    let mut seen = BTreeSet::new();
    let mut stack = vec![root];
    while let Some(id) = stack.pop() {
        for dep in nodes.get(id).into_iter().flatten() {
            if seen.insert(names[dep].to_string()) {
                stack.push(dep);
            }
        }
    }
    seen
}

#[test]
fn airlock_core_has_no_io_dependencies() {
    let tree = core_dependency_tree();
    assert!(
        tree.contains("serde"),
        "the walk found the real tree: {tree:?}"
    );
    let bad: Vec<&&str> = FORBIDDEN.iter().filter(|f| tree.contains(**f)).collect();
    assert!(
        bad.is_empty(),
        "airlock-core must stay pure, but depends on {bad:?}"
    );
}
