//! Synthetic workspaces for tests and benchmarks (`workspace-format.md` §2–§4).
//!
//! [`generate_workspace`] writes a workspace directory as the job runner would: output files
//! spread over nested directories, message files for excluded outputs, one log per action with a
//! job summary trailer, and a manifest with correct content hashes, sizes, timestamps and CSV
//! row and column counts, written atomically. The content depends only on the seed.

use airlock_core::workspace::{Level, ManifestDoc, OutputEntry, Outputs};
use sha2::{Digest as _, Sha256};
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

/// Outputs per leaf directory.
const PER_DIR: usize = 100;
/// Leaf directories per top-level group directory.
const DIRS_PER_GROUP: usize = 100;
/// Number of actions (and logs).
const ACTIONS: usize = 8;
/// The first output's timestamp.
const BASE_TIME: f64 = 1_740_000_000.0;
/// The study repository of every output.
pub const REPO: &str = "https://github.com/example-org/synthetic-study";
/// The author of every job.
pub const USER: &str = "researcher";

/// The kind of an output the generator wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    /// A moderately sensitive output present on disk and shown.
    Shown,
    /// Shown only when out-of-date outputs are turned on (`out_of_date_action`).
    OutOfDate,
    /// Excluded: only its message file `<path>.txt` is on disk.
    Excluded,
    /// Highly sensitive: listed, not on disk.
    HighlySensitive,
    /// An old output of an action that no longer writes it (`out_of_date_output`): on disk,
    /// never shown.
    Superseded,
}

/// What [`generate_workspace`] wrote.
#[derive(Debug, Clone)]
pub struct GeneratedWorkspace {
    /// The workspace directory.
    pub dir: PathBuf,
    /// Every manifest key with its kind, in manifest order.
    pub outputs: Vec<(String, OutputKind)>,
    /// The log files written under `metadata/`.
    pub logs: Vec<String>,
}

impl GeneratedWorkspace {
    /// The manifest keys of one kind.
    pub fn of_kind(&self, kind: OutputKind) -> impl Iterator<Item = &str> {
        self.outputs
            .iter()
            .filter(move |(_, k)| *k == kind)
            .map(|(p, _)| p.as_str())
    }
}

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn kind_of(i: usize) -> OutputKind {
    match i {
        i if i % 97 == 96 => OutputKind::HighlySensitive,
        i if i % 331 == 330 => OutputKind::Excluded,
        i if i % 1009 == 1008 => OutputKind::Superseded,
        i if i % 53 == 52 => OutputKind::OutOfDate,
        _ => OutputKind::Shown,
    }
}

fn relpath_of(i: usize, suffix: &str) -> String {
    let group = i / (PER_DIR * DIRS_PER_GROUP);
    let dir = (i / PER_DIR) % DIRS_PER_GROUP;
    format!("output/group{group:02}/set{dir:02}/file{i:06}{suffix}")
}

/// The bytes of output `i` and, for CSVs, its row and column counts.
fn content(i: usize, rng: &mut Rng) -> (&'static str, Vec<u8>, Option<(i64, i64)>) {
    match i % 20 {
        0..=11 => {
            let rows = rng.below(12) as usize;
            let cols = 2 + rng.below(4) as usize;
            let mut text = (0..cols)
                .map(|c| format!("col{c}"))
                .collect::<Vec<_>>()
                .join(",");
            text.push('\n');
            for r in 0..rows {
                let row: Vec<String> = (0..cols)
                    .map(|_| (rng.below(1000) + r as u64).to_string())
                    .collect();
                text.push_str(&row.join(","));
                text.push('\n');
            }
            (".csv", text.into_bytes(), Some((rows as i64, cols as i64)))
        }
        12..=14 => {
            let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
            bytes.extend((0..64).map(|_| rng.next() as u8));
            (".png", bytes, None)
        }
        15..=16 => (
            ".html",
            format!("<h1>Report {i}</h1><p>{}</p>\n", rng.next()).into_bytes(),
            None,
        ),
        17..=18 => (
            ".txt",
            format!("summary {i}: {}\n", rng.next()).into_bytes(),
            None,
        ),
        _ => (".rds", (0..48).map(|_| rng.next() as u8).collect(), None),
    }
}

fn write_file(path: &Path, bytes: &[u8], timestamp: f64) -> io::Result<()> {
    let file = File::create(path)?;
    let mut writer = BufWriter::new(file);
    writer.write_all(bytes)?;
    let file = writer.into_inner().map_err(|e| e.into_error())?;
    file.set_modified(UNIX_EPOCH + Duration::from_secs_f64(timestamp))
}

/// Writes a synthetic workspace `<root>/<name>` with `outputs` manifest entries (about 1% highly
/// sensitive, 0.3% excluded, 2% out-of-date actions, 0.1% out-of-date outputs; CSV, PNG, HTML,
/// text and a few files of a refused type) spread over `output/groupNN/setNN/` directories of
/// 100 files, plus `metadata/<action>.log` files. The same seed writes the same bytes.
pub fn generate_workspace(
    root: &Path,
    name: &str,
    outputs: usize,
    seed: u64,
) -> io::Result<GeneratedWorkspace> {
    let dir = root.join(name);
    let metadata = dir.join("metadata");
    fs::create_dir_all(&metadata)?;
    let mut rng = Rng(seed);
    let commit = format!(
        "{:016x}{:016x}{:08x}",
        rng.next(),
        rng.next(),
        rng.next() as u32
    );
    let mut entries = Vec::with_capacity(outputs);
    let mut written = Vec::with_capacity(outputs);
    let mut last_dir = PathBuf::new();

    for i in 0..outputs {
        let kind = kind_of(i);
        let (suffix, bytes, counts) = match kind {
            OutputKind::HighlySensitive => {
                (".arrow", (0..256).map(|_| rng.next() as u8).collect(), None)
            }
            _ => content(i, &mut rng),
        };
        let relpath = relpath_of(i, suffix);
        let timestamp = BASE_TIME + i as f64 + (rng.below(1000) as f64) / 1000.0;
        let path = dir.join(&relpath);
        if let Some(parent) = path.parent().filter(|p| *p != last_dir) {
            fs::create_dir_all(parent)?;
            last_dir = parent.to_path_buf();
        }
        match kind {
            OutputKind::Shown | OutputKind::OutOfDate | OutputKind::Superseded => {
                write_file(&path, &bytes, timestamp)?;
            }
            OutputKind::Excluded => {
                let message = format!("{relpath} was excluded: it is above the size limit.\n");
                write_file(
                    &dir.join(format!("{relpath}.txt")),
                    message.as_bytes(),
                    timestamp,
                )?;
            }
            OutputKind::HighlySensitive => {}
        }
        let action = format!("action_{}", i % ACTIONS);
        entries.push((
            relpath.clone(),
            OutputEntry {
                level: match kind {
                    OutputKind::HighlySensitive => Level::HighlySensitive,
                    _ => Level::ModeratelySensitive,
                },
                job_id: format!("job{:012x}", (i % ACTIONS) as u64 ^ seed).into(),
                job_request: Some(format!("jr{seed:08x}").into()),
                action: Some(action.into()),
                user: Some(USER.into()),
                repo: REPO.into(),
                commit: commit.as_str().into(),
                size: bytes.len() as i64,
                timestamp,
                content_hash: hex::encode(Sha256::digest(&bytes)),
                excluded: kind == OutputKind::Excluded,
                message: (kind == OutputKind::Excluded).then(|| "Output was too big.".to_string()),
                row_count: counts.map(|(r, _)| r),
                col_count: counts.map(|(_, c)| c),
                out_of_date_action: kind == OutputKind::OutOfDate,
                out_of_date_output: kind == OutputKind::Superseded,
            },
        ));
        written.push((relpath, kind));
    }

    let mut logs = Vec::new();
    for a in 0..ACTIONS.min(outputs.max(1)) {
        let relpath = format!("metadata/action_{a}.log");
        let text = format!(
            "\x1b[32mrunning action_{a}\x1b[0m\nstep 1\nstep 2\n\
             =============JOB SUMMARY=============\nstatus: succeeded\nexit code: 0\n"
        );
        write_file(&dir.join(&relpath), text.as_bytes(), BASE_TIME)?;
        logs.push(relpath);
    }

    // The job runner replaces the manifest atomically (FMT-9).
    let doc = ManifestDoc {
        workspace: Some(name.to_string()),
        repo: None,
        outputs: Some(Outputs { entries }),
    };
    let temp = metadata.join(".manifest.json.tmp");
    let mut writer = BufWriter::new(File::create(&temp)?);
    serde_json::to_writer(&mut writer, &doc)?;
    writer
        .into_inner()
        .map_err(|e| e.into_error())?
        .sync_all()?;
    fs::rename(&temp, metadata.join("manifest.json"))?;

    Ok(GeneratedWorkspace {
        dir,
        outputs: written,
        logs,
    })
}
