//! Benchmark: adding a 1 GiB file to a request, side by side with `sha256sum` plus `cp` of the
//! same file on the same disk (target: at most 1.3× their time; memory flat, under 64 MiB RSS).
//!
//! Run: `cargo bench -p airlock-store --bench add_file [-- <MiB>]`. The workspace, the request
//! file store and the copies live in one temporary directory under Cargo's target directory.
//! Each round times `sha256sum f && cp f copy` and then `Store::add_files` (streamed copy with
//! sha256 on the way, fsync, atomic rename, database transaction); the median of three rounds
//! is reported, with the process's peak resident memory.

use airlock_core::action::GroupChoice;
use airlock_core::{FileType, Grant, Rules, User};
use airlock_store::blobstore::BlobStore;
use airlock_store::store::{Store, Target};
use airlock_store::testing;
use airlock_store::testing::TestDb;
use airlock_store::workspace::WorkspaceReader;
use sha2::{Digest, Sha256};
use std::fs::{self, File};
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const WS: &str = "bench";
const RELPATH: &str = "output/big.csv";
const ROUNDS: usize = 3;

/// Writes `mib` MiB of varied bytes and the workspace manifest listing them.
fn write_workspace(root: &Path, mib: usize) -> std::io::Result<()> {
    let dir = root.join(WS);
    fs::create_dir_all(dir.join("output"))?;
    fs::create_dir_all(dir.join("metadata"))?;
    let mut file = std::io::BufWriter::new(File::create(dir.join(RELPATH))?);
    let mut hasher = Sha256::new();
    let mut chunk = vec![0u8; 1 << 20];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..mib {
        for b in chunk.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = b'0' + (x % 10) as u8;
        }
        hasher.update(&chunk);
        file.write_all(&chunk)?;
    }
    file.flush()?;
    drop(file);
    let size = (mib as u64) << 20;
    let manifest = serde_json::json!({
        "workspace": WS,
        "repo": "https://github.com/example-org/bench",
        "outputs": {
            RELPATH: {
                "level": "moderately_sensitive",
                "job_id": "benchjob00000001",
                "job_request": "benchrequest0001",
                "action": "bench",
                "user": "researcher",
                "repo": "https://github.com/example-org/bench",
                "commit": "0123456789abcdef0123456789abcdef01234567",
                "size": size,
                "timestamp": 1_740_000_000.0,
                "content_hash": hex::encode(hasher.finalize()),
                "excluded": false,
                "message": null,
                "row_count": null,
                "col_count": null
            }
        }
    });
    fs::write(
        dir.join("metadata/manifest.json"),
        serde_json::to_vec_pretty(&manifest)?,
    )
}

/// Peak resident set size of this process, in MiB (VmHWM).
fn peak_rss_mib() -> f64 {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn shell_baseline(file: &Path, copy: &Path) -> Result<Duration, String> {
    let start = Instant::now();
    let hash = Command::new("sha256sum").arg(file).output();
    let cp = Command::new("cp").arg(file).arg(copy).status();
    let took = start.elapsed();
    match (hash, cp) {
        (Ok(h), Ok(c)) if h.status.success() && c.success() => {
            let _ = fs::remove_file(copy);
            Ok(took)
        }
        _ => Err("sha256sum or cp failed".into()),
    }
}

fn airlock_add(work: &Path, workspaces: &Path, round: usize) -> Result<Duration, String> {
    let db = TestDb::sqlite().map_err(|e| e.to_string())?;
    let requests = work.join(format!("requests-{round}"));
    let store = Store::new(
        db.pool.clone(),
        Rules::default(),
        WorkspaceReader::new(workspaces),
        BlobStore::new(&requests),
    );
    let author = User::new("researcher").with_role(WS, Grant::active("Bench"));
    let start = Instant::now();
    let report = store
        .act(
            &author,
            Target::Current(WS),
            &testing::add_files(
                GroupChoice::Named("default".into()),
                [(RELPATH, FileType::Output)],
            ),
        )
        .map_err(|e| e.to_string())?;
    let took = start.elapsed();
    if report.succeeded() != 1 {
        return Err(format!("add failed: {:?}", report.parts));
    }
    let _ = fs::remove_dir_all(&requests);
    Ok(took)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() -> Result<(), String> {
    let mib: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok())
        .unwrap_or(1024);
    let work = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).map_err(|e| e.to_string())?;
    let workspaces = work.path().join("workspaces");
    write_workspace(&workspaces, mib).map_err(|e| e.to_string())?;
    let file = workspaces.join(WS).join(RELPATH);
    let copy = work.path().join("copy.csv");
    let rss_before = peak_rss_mib();
    let (mut shell, mut ours) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        shell.push(shell_baseline(&file, &copy)?);
        ours.push(airlock_add(work.path(), &workspaces, round)?);
    }
    let (shell, ours) = (median(shell), median(ours));
    println!("add_file: {mib} MiB, median of {ROUNDS} rounds, same disk");
    println!("  sha256sum + cp:          {:.2} s", shell.as_secs_f64());
    println!(
        "  airlock add (verified):  {:.2} s  = {:.2}x (target <= 1.3x)",
        ours.as_secs_f64(),
        ours.as_secs_f64() / shell.as_secs_f64()
    );
    println!(
        "  peak RSS: {:.1} MiB before the adds, {:.1} MiB after (target < 64 MiB)",
        rss_before,
        peak_rss_mib()
    );
    Ok(())
}
