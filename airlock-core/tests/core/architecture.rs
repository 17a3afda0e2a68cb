//! ARCHITECTURE.md is the map of the code: every path it names exists, every crate of the
//! workspace has its section, and it states the action entry point and its invariants.

use std::path::{Path, PathBuf};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn architecture() -> String {
    std::fs::read_to_string(repository().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md")
}

/// The code spans of a Markdown text that name a path of the repository: a `/` and only path
/// characters, like `airlock-core/src/action/` or `fixtures/airlock.toml`.
fn named_paths(text: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        for (i, span) in line.split('`').enumerate() {
            let path_like = span.contains('/')
                && !span.starts_with('/')
                && !span.contains("://")
                && span
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
            if i % 2 == 1 && path_like {
                paths.push(span.to_string());
            }
        }
    }
    paths
}

#[test]
fn every_path_the_architecture_names_exists() {
    let text = architecture();
    let paths = named_paths(&text);
    assert!(paths.len() > 20, "the map names the code: {paths:?}");
    let root = repository();
    let missing: Vec<&String> = paths.iter().filter(|p| !root.join(p).exists()).collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names paths that do not exist: {missing:?}"
    );
}

#[test]
fn every_crate_has_its_section_and_the_entry_point_is_stated() {
    let text = architecture();
    let manifest = std::fs::read_to_string(repository().join("Cargo.toml")).expect("Cargo.toml");
    let members: Vec<&str> = manifest
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("\"airlock-"))
        .map(|l| l.trim_matches(|c| c == '"' || c == ','))
        .collect();
    assert!(members.len() >= 6, "{members:?}");
    for member in members {
        assert!(
            text.contains(&format!("### `{member}`")),
            "ARCHITECTURE.md has no section for {member}"
        );
    }
    for needle in [
        "## Bird's-eye view",
        "## Entry points",
        "## Code map",
        "## Cross-cutting concerns",
        "Store::act",
        "airlock_core::action::run",
    ] {
        assert!(text.contains(needle), "ARCHITECTURE.md lacks {needle:?}");
    }
    assert!(text.matches("**Architecture Invariant:**").count() >= 8);
}

#[test]
fn the_path_reader_finds_paths_and_skips_the_rest() {
    let text = "see `a/b.rs` and `Store::act`, `https://x.org/y`, `/abs`\n```\n`in/fence`\n```";
    assert_eq!(named_paths(text), ["a/b.rs"]);
}
