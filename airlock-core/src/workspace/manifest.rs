//! The parsed manifest: its valid entries in manifest order, a lookup index by path, and the
//! outputs it shows (WS-1) in WS-2 order, kept compact and contiguous for the tree.

use super::digest::{Digest, parse_digest};
use super::entry::{Malformed, OutputEntry};
use super::parse::{ParsedDoc, ParsedOutputs};
use super::path::{METADATA_DIR, is_allowed_file_type, is_metadata_path, name_start};
use super::skeleton::SkeletonCache;
use std::ops::Range;

/// One valid output entry with what the rules derive from it.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestEntry {
    relpath: String,
    pub(super) output: OutputEntry,
    message_path: Option<String>,
    digest: Option<Digest>,
    allowed_type: bool,
    /// Byte offset of the last segment of the shown path.
    name_start: u32,
}

impl ManifestEntry {
    /// The entry at `relpath`, with what the rules derive from it.
    pub(super) fn new(relpath: String, output: OutputEntry) -> Self {
        let message_path = output.excluded.then(|| format!("{relpath}.txt"));
        let digest = parse_digest(&output.content_hash);
        let shown = message_path.as_deref().unwrap_or(&relpath);
        let allowed_type = is_allowed_file_type(shown);
        let name_start = name_start(shown);
        ManifestEntry {
            relpath,
            output,
            message_path,
            digest,
            allowed_type,
            name_start,
        }
    }

    /// The manifest key.
    pub fn relpath(&self) -> &str {
        &self.relpath
    }

    /// The entry itself.
    pub fn output(&self) -> &OutputEntry {
        &self.output
    }

    /// The path at which WS-1 shows it: the relpath, or `<relpath>.txt` when excluded.
    pub fn shown_path(&self) -> &str {
        self.message_path.as_deref().unwrap_or(&self.relpath)
    }

    /// The manifest's `content_hash` as bytes, when it is valid hex.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// WS-1 item 1 (and not under `metadata/`, which only the disk populates).
    fn is_listed(&self) -> bool {
        self.output.is_listed() && !is_metadata_path(&self.relpath)
    }
}

/// The part of a shown entry that building a tree reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ShownNode {
    /// The entry's index.
    pub(super) entry: u32,
    /// The shown path: byte range in `Manifest::shown_paths`.
    pub(super) path_start: u32,
    pub(super) path_end: u32,
    /// Byte offset of the last segment within the shown path.
    pub(super) name_start: u32,
    /// Identifies the parent directory of the shown path among shown entries.
    pub(super) parent_id: u32,
    pub(super) allowed_type: bool,
    pub(super) out_of_date_action: bool,
    pub(super) message: bool,
}

/// A parsed manifest: the valid entries in manifest order, a lookup index by path, and the WS-2
/// order of the shown outputs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Manifest {
    workspace: Option<String>,
    pub(super) entries: Vec<ManifestEntry>,
    /// (hash of the relpath, entry index), sorted: a lookup compares integers in one
    /// contiguous array and one path at the end.
    by_path: Vec<(u64, u32)>,
    /// Indices of listed entries in WS-2 order of their shown paths, one per shown path.
    shown: Vec<u32>,
    /// What the tree needs of each shown entry, in the same order and contiguous, so that
    /// building a tree walks memory sequentially instead of visiting each large entry.
    pub(super) shown_nodes: Vec<ShownNode>,
    /// The shown paths, concatenated in WS-2 order (`ShownNode::path` indexes it).
    pub(super) shown_paths: String,
    /// Indices into `shown_nodes` of the message files of excluded outputs.
    shown_messages: Vec<u32>,
    /// The tree of the shown outputs, built on first use, without and with out-of-date ones.
    pub(super) skeletons: SkeletonCache,
    pub(super) out_of_date: usize,
    warnings: Vec<String>,
    /// The malformed entries (FMT-7): (manifest key, why), sorted by key.
    malformed: Vec<(String, Malformed)>,
}

/// A fixed hash of a path, for the lookup index.
fn path_hash(path: &str) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0x5eed_a1c0).hash_one(path)
}

/// The lookup index: (path hash, entry index) for every entry, sorted.
fn hashed_index(entries: &[ManifestEntry]) -> Vec<(u64, u32)> {
    let mut index: Vec<(u64, u32)> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (path_hash(&e.relpath), i as u32))
        .collect();
    index.sort_unstable();
    index
}

/// The entries whose path is listed again later in the manifest (the later one wins).
fn superseded_entries(entries: &[ManifestEntry], index: &[(u64, u32)]) -> Vec<u32> {
    let mut dropped = Vec::new();
    for run in index
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|run| run.len() > 1)
    {
        for (n, &(_, i)) in run.iter().enumerate() {
            let path = &entries[i as usize].relpath;
            if run[n + 1..]
                .iter()
                .any(|&(_, j)| entries[j as usize].relpath == *path)
            {
                dropped.push(i);
            }
        }
    }
    dropped
}

/// The compact tree view of the shown entries, in WS-2 order, and their paths in one string.
///
/// Files directly in one directory are contiguous in WS-2 order, so numbering parent
/// directories as they change gives each directory one id: the tree compares integers.
fn shown_nodes(entries: &[ManifestEntry], shown: &[u32]) -> (Vec<ShownNode>, String) {
    let total: usize = shown
        .iter()
        .map(|&i| entries[i as usize].shown_path().len())
        .sum();
    let mut paths = String::with_capacity(total);
    let mut nodes = Vec::with_capacity(shown.len());
    let mut parent_id = 0u32;
    // The previous parent directory, as a byte range of `paths`.
    let mut previous_parent: Option<Range<usize>> = None;
    for &index in shown {
        let entry = &entries[index as usize];
        let start = paths.len();
        let path = entry.shown_path();
        let parent = &path[..(entry.name_start as usize).saturating_sub(1)];
        if previous_parent
            .as_ref()
            .is_none_or(|range| &paths[range.clone()] != parent)
        {
            parent_id += 1;
            previous_parent = Some(start..start + parent.len());
        }
        paths.push_str(path);
        nodes.push(ShownNode {
            entry: index,
            path_start: u32::try_from(start).unwrap_or(u32::MAX),
            path_end: u32::try_from(paths.len()).unwrap_or(u32::MAX),
            name_start: entry.name_start,
            parent_id,
            allowed_type: entry.allowed_type,
            out_of_date_action: entry.output.out_of_date_action,
            message: entry.message_path.is_some(),
        });
    }
    (nodes, paths)
}

/// Builds the WS-2 sort key of a path: per segment a marker (the top-level `metadata`
/// directory, then directories, then files), the name, and a 0 byte that sorts before every
/// character a valid path can hold.
fn ws2_key(path: &str, out: &mut Vec<u8>) {
    out.clear();
    let mut segments = path.split('/').peekable();
    let mut first = true;
    while let Some(segment) = segments.next() {
        let marker = match (segments.peek().is_some(), first && segment == METADATA_DIR) {
            (true, true) => 1,
            (true, false) => 2,
            (false, _) => 3,
        };
        out.push(marker);
        out.extend_from_slice(segment.as_bytes());
        out.push(0);
        first = false;
    }
}

/// Sorts items by the WS-2 order of their paths (ties by the item). The keys are built into
/// one buffer, so that sorting a large manifest allocates twice instead of once per path.
pub(super) fn ws2_sorted<'a, T>(items: impl Iterator<Item = (&'a str, T)>) -> Vec<T>
where
    T: Ord,
{
    let mut buffer = Vec::new();
    let mut key = Vec::new();
    let mut keyed: Vec<(Range<usize>, T)> = items
        .map(|(path, t)| {
            ws2_key(path, &mut key);
            let start = buffer.len();
            buffer.extend_from_slice(&key);
            (start..buffer.len(), t)
        })
        .collect();
    keyed.sort_unstable_by(|(a, ta), (b, tb)| {
        buffer[a.clone()]
            .cmp(&buffer[b.clone()])
            .then_with(|| ta.cmp(tb))
    });
    keyed.into_iter().map(|(_, t)| t).collect()
}

impl Manifest {
    /// A manifest with no outputs (FMT-6: missing or unreadable manifest).
    pub fn empty() -> Self {
        Manifest::default()
    }

    /// Builds the manifest from its parsed document.
    pub(super) fn from_parsed(doc: ParsedDoc) -> Self {
        let mut warnings = Vec::new();
        let outputs = match doc.outputs {
            Some(outputs) => outputs,
            None => {
                warnings.push("the manifest has no \"outputs\" key: no outputs".to_string());
                ParsedOutputs::default()
            }
        };
        warnings.extend(outputs.ignored);
        let mut malformed = outputs.malformed;
        malformed.sort();
        // A key repeated in the object: the last entry is the one that counts.
        malformed.dedup_by(|later, earlier| later.0 == earlier.0);
        for (path, why) in &malformed {
            warnings.push(format!("output {path:?} is left out: {why}"));
        }
        let mut entries = outputs.entries;

        // Duplicate keys: the last one wins, as in a JSON object.
        let mut by_path = hashed_index(&entries);
        let mut dropped = superseded_entries(&entries, &by_path);
        if !dropped.is_empty() {
            dropped.sort_by(|&a, &b| {
                entries[a as usize]
                    .relpath
                    .cmp(&entries[b as usize].relpath)
            });
            let mut keep = vec![true; entries.len()];
            for &index in &dropped {
                keep[index as usize] = false;
                let path = &entries[index as usize].relpath;
                warnings.push(format!(
                    "output {path:?} is listed twice: the last entry is used"
                ));
            }
            let mut i = 0;
            entries.retain(|_| {
                i += 1;
                keep[i - 1]
            });
            by_path = hashed_index(&entries);
        }

        // WS-1 and WS-2: the shown paths in tree order; a real output wins over a message file
        // of the same path.
        let keyed = ws2_sorted(
            entries
                .iter()
                .enumerate()
                .filter(|(_, e)| e.is_listed())
                .map(|(i, e)| (e.shown_path(), (e.output.excluded, i as u32))),
        );
        let mut shown = Vec::with_capacity(keyed.len());
        // Equal paths are neighbours in WS-2 order.
        let mut last: Option<&str> = None;
        for &(_, index) in &keyed {
            let path = entries[index as usize].shown_path();
            if last == Some(path) {
                warnings.push(format!(
                    "path {path:?} is shown by two outputs: the first is used"
                ));
                continue;
            }
            last = Some(path);
            shown.push(index);
        }
        let out_of_date = shown
            .iter()
            .filter(|&&i| entries[i as usize].output.out_of_date_action)
            .count();
        let (shown_nodes, shown_paths) = shown_nodes(&entries, &shown);

        Manifest {
            workspace: doc.workspace,
            entries,
            by_path,
            shown,
            shown_messages: (0..shown_nodes.len() as u32)
                .filter(|&i| shown_nodes[i as usize].message)
                .collect(),
            shown_nodes,
            shown_paths,
            skeletons: SkeletonCache::default(),
            out_of_date,
            warnings,
            malformed,
        }
    }

    /// FMT-7: why the manifest entry that would be shown at `path` cannot be used, when it is
    /// malformed (the entry is left out; this says why instead of the path vanishing). Looks at
    /// the key `path` and, for a message file, at the output it would describe.
    pub fn unreadable_entry(&self, path: &str) -> Option<&str> {
        let find = |key: &str| {
            self.malformed
                .binary_search_by(|(k, _)| k.as_str().cmp(key))
                .ok()
                .map(|i| self.malformed[i].1.as_str())
        };
        find(path).or_else(|| path.strip_suffix(".txt").and_then(find))
    }

    /// The malformed entries (FMT-7) as (manifest key, why), sorted by key.
    pub fn malformed_entries(&self) -> &[(String, String)] {
        &self.malformed
    }

    /// The `workspace` key.
    pub fn workspace(&self) -> Option<&str> {
        self.workspace.as_deref()
    }

    /// Problems found while parsing (ignored keys, duplicates, a missing `outputs` key), to log.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Valid entries in manifest order.
    pub fn entries(&self) -> &[ManifestEntry] {
        &self.entries
    }

    /// Number of valid entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the manifest has no valid entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// WS-4: the number of shown outputs with `out_of_date_action`.
    pub fn out_of_date_count(&self) -> usize {
        self.out_of_date
    }

    /// FMT-9, WEB-8: the `repo` of the first entry in manifest order (the first that names
    /// one: an entry may leave it unknown, FMT-7).
    pub fn first_repo(&self) -> Option<&str> {
        self.entries
            .iter()
            .map(|e| &*e.output.repo)
            .find(|repo| !repo.is_empty())
    }

    /// OPS-2: the `user` of the most recently written output (greatest timestamp).
    pub fn latest_output_user(&self) -> Option<&str> {
        self.entries
            .iter()
            .max_by(|a, b| a.output.timestamp.total_cmp(&b.output.timestamp))
            .and_then(|e| e.output.user.as_deref())
            .filter(|u| !u.is_empty())
    }

    pub(super) fn index_of(&self, relpath: &str) -> Option<u32> {
        let hash = path_hash(relpath);
        let start = self.by_path.partition_point(|&(h, _)| h < hash);
        self.by_path[start..]
            .iter()
            .take_while(|&&(h, _)| h == hash)
            .map(|&(_, i)| i)
            .find(|&i| self.entries[i as usize].relpath == relpath)
    }

    /// The entry whose key is `relpath`, shown or not.
    pub fn entry(&self, relpath: &str) -> Option<&ManifestEntry> {
        self.index_of(relpath).map(|i| &self.entries[i as usize])
    }

    /// WS-1 items 1 and 2 for a path outside `metadata/`: the entry shown at `relpath`, as an
    /// output at its own path or as an excluded output's message file. Outputs with
    /// `out_of_date_action` count only when `include_out_of_date` (browsing with them hidden
    /// passes false; actions pass true, WS-4).
    pub fn shown_entry(&self, relpath: &str, include_out_of_date: bool) -> Option<ShownEntry<'_>> {
        let visible = |e: &ManifestEntry| {
            e.is_listed() && (include_out_of_date || !e.output.out_of_date_action)
        };
        if let Some(entry) = self
            .entry(relpath)
            .filter(|e| visible(e) && !e.output.excluded)
        {
            return Some(ShownEntry {
                entry,
                message: false,
            });
        }
        let stem = relpath.strip_suffix(".txt")?;
        self.entry(stem)
            .filter(|e| visible(e) && e.output.excluded)
            .map(|entry| ShownEntry {
                entry,
                message: true,
            })
    }

    /// The message file paths of shown excluded outputs (FMT-8): the files whose disk metadata
    /// and hash the caller supplies in [`DiskFiles`](super::DiskFiles).
    pub fn message_paths(&self) -> impl Iterator<Item = &str> {
        self.shown_messages
            .iter()
            .filter_map(|&i| self.shown_nodes.get(i as usize))
            .filter_map(|n| {
                self.shown_paths
                    .get(n.path_start as usize..n.path_end as usize)
            })
    }
}

/// An entry as WS-1 shows it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShownEntry<'a> {
    /// The manifest entry.
    pub entry: &'a ManifestEntry,
    /// The shown path is the entry's message file (FMT-8), not the output.
    pub message: bool,
}

#[cfg(test)]
mod tests;
