//! Workspace reading speed on a 100 000-output workspace: cold (read and parse the manifest,
//! list the disk files, build the tree with statuses) and warm (cached manifest), medians of
//! several runs. Run with `cargo bench -p airlock-store --bench workspace`.

use airlock_core::FileType;
use airlock_core::testing::{empty_request, file};
use airlock_core::workspace::{
    NodeKind, ReleasedHashes, TreeOptions, WorkspaceFileStatus, WorkspaceTree, parse_manifest,
};
use airlock_store::generate::generate_workspace;
use airlock_store::workspace::WorkspaceReader;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};

const OUTPUTS: usize = 100_000;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// What a page does with a tree: visits every node and reads each file's status.
fn visit(tree: &WorkspaceTree<'_>) -> usize {
    tree.nodes()
        .filter(
            |n| matches!(n.kind, NodeKind::File(f) if f.status != WorkspaceFileStatus::Unreleased),
        )
        .count()
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `AIRLOCK_BENCH_DIR` keeps the generated workspace between runs (for profiling).
    let temp = tempfile::tempdir()?;
    let root = std::env::var_os("AIRLOCK_BENCH_DIR").map_or(temp.path().to_path_buf(), Into::into);
    let dir = root.join("bench");
    if !dir.join("metadata/manifest.json").exists() {
        let started = Instant::now();
        generate_workspace(&root, "bench", OUTPUTS, 1)?;
        println!("generate {OUTPUTS} outputs: {}", ms(started.elapsed()));
    }
    let manifest_size = std::fs::metadata(dir.join("metadata/manifest.json"))?.len();
    println!("manifest size: {:.1} MB", manifest_size as f64 / 1e6);

    // A viewer with a current request of 200 files, and 500 released hashes.
    let reader = WorkspaceReader::new(&root);
    let ws = reader.open("bench")?;
    let shown: Vec<_> = ws
        .manifest()
        .entries()
        .iter()
        .filter(|e| e.output().is_listed() && !e.output().excluded)
        .collect();
    let mut state = empty_request("01JNQ8Z7K3V5W2X9Y4T6R8P0MA");
    for entry in shown.iter().step_by(shown.len() / 200) {
        state
            .files
            .push(file(entry.relpath(), "g", FileType::Output));
    }
    let released = ReleasedHashes::from_hex(
        shown
            .iter()
            .skip(3)
            .step_by(shown.len() / 500)
            .map(|e| &e.output().content_hash),
    );
    drop(ws);
    let options = TreeOptions {
        show_out_of_date: false,
    };

    // The parts of a cold open: reading, hashing (WS-8) and parsing the manifest.
    let manifest_path = dir.join("metadata/manifest.json");
    let (mut read, mut hash, mut parse) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..5 {
        let started = Instant::now();
        let bytes = std::fs::read(&manifest_path)?;
        read.push(started.elapsed());
        let started = Instant::now();
        std::hint::black_box(Sha256::digest(&bytes));
        hash.push(started.elapsed());
        let started = Instant::now();
        std::hint::black_box(parse_manifest(&bytes)?.len());
        parse.push(started.elapsed());
    }
    println!(
        "manifest read: {}, sha256: {}, parse: {}",
        ms(median(read)),
        ms(median(hash)),
        ms(median(parse))
    );

    let mut cold = Vec::new();
    let mut files = 0;
    for _ in 0..7 {
        let fresh = WorkspaceReader::new(&root);
        let started = Instant::now();
        let ws = fresh.open("bench")?;
        let tree = ws.tree(options, Some(&state), &released)?;
        std::hint::black_box(visit(&tree));
        cold.push(started.elapsed());
        files = tree.file_count();
    }
    println!(
        "cold: open + parse + disk files + tree + statuses, every node visited: {} ({files} files shown)",
        ms(median(cold))
    );

    let mut warm = Vec::new();
    let mut open_disk = Vec::new();
    let mut tree_only = Vec::new();
    let runs = std::env::var("AIRLOCK_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(31);
    for _ in 0..runs {
        let started = Instant::now();
        let ws = reader.open("bench")?;
        let tree = ws.tree(options, Some(&state), &released)?;
        std::hint::black_box(visit(&tree));
        warm.push(started.elapsed());

        // The snapshot and its disk files alone, then the pure part on the same snapshot.
        let started = Instant::now();
        let fresh_snapshot = reader.open("bench")?;
        std::hint::black_box(fresh_snapshot.disk_files()?.files().len());
        open_disk.push(started.elapsed());
        let disk = ws.disk_files()?;
        let started = Instant::now();
        let tree = ws.manifest().tree(disk, options, Some(&state), &released);
        std::hint::black_box(visit(&tree));
        tree_only.push(started.elapsed());
    }
    println!(
        "warm: open (cached) + disk files + tree + statuses, every node visited: {}",
        ms(median(warm))
    );
    println!(
        "warm: open (cached) + disk files only: {}",
        ms(median(open_disk))
    );
    println!(
        "warm: tree + statuses only, every node visited (airlock-core): {}",
        ms(median(tree_only))
    );
    println!("manifest parses: {}", reader.manifest_parses());
    Ok(())
}
