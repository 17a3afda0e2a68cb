//! The manifest's part of a tree: the shown outputs laid out once per manifest and out-of-date
//! choice, cached in the manifest and shared by every tree; a tree adds only its viewer's
//! statuses.

use super::digest::{Digest, ReleasedHashes};
use super::disk::DiskFiles;
use super::layout::{DirSink, Layout};
use super::manifest::Manifest;
use super::status::{RequestPaths, WorkspaceFileStatus, disk_status, workspace_file_status};
use crate::model::RequestState;

/// The manifest part of a tree, built once per manifest and out-of-date choice.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Skeleton {
    pub(super) nodes: Vec<SkelNode>,
    /// Number of file nodes.
    pub(super) files: usize,
    /// Node indices of message files.
    messages: Vec<u32>,
    /// (entry index, node index) of outputs shown at their own path, sorted.
    by_entry: Vec<(u32, u32)>,
    /// (manifest hash, node index) of those outputs with a valid hash, sorted.
    by_digest: Vec<(Digest, u32)>,
}

/// One node of a [`Skeleton`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SkelNode {
    /// The path: a byte range of `Manifest::shown_paths` (a directory's path is a prefix of
    /// its first file's).
    pub(super) path_start: u32,
    pub(super) path_end: u32,
    /// Byte offset of the last segment within the path.
    pub(super) name_start: u32,
    pub(super) depth: u32,
    /// A directory: one past its last descendant (skeleton index).
    pub(super) end: u32,
    /// A file: its index in `Manifest::shown_nodes`; `u32::MAX` for a directory.
    pub(super) shown: u32,
}

impl Skeleton {
    /// Lays out the shown outputs as a pre-order tree (WS-2 order is the order of
    /// `Manifest::shown_nodes`).
    fn build(manifest: &Manifest, show_out_of_date: bool) -> Skeleton {
        let arena = manifest.shown_paths.as_str();
        let mut skeleton = Skeleton::default();
        let mut layout = Layout::default();
        for (shown_index, node) in manifest.shown_nodes.iter().enumerate() {
            if node.out_of_date_action && !show_out_of_date {
                continue;
            }
            let (start, end) = (node.path_start, node.path_end);
            let path = arena.get(start as usize..end as usize).unwrap_or_default();
            let mut sink = SkeletonSink {
                nodes: &mut skeleton.nodes,
                path_start: start,
            };
            let depth = layout.enter(&mut sink, path, node.parent_id);
            let index = skeleton.nodes.len() as u32;
            skeleton.nodes.push(SkelNode {
                path_start: start,
                path_end: end,
                name_start: node.name_start,
                depth,
                end: index + 1,
                shown: shown_index as u32,
            });
            skeleton.files += 1;
            if node.message {
                skeleton.messages.push(index);
            } else {
                skeleton.by_entry.push((node.entry, index));
                if let Some(digest) = manifest.entries[node.entry as usize].digest() {
                    skeleton.by_digest.push((*digest, index));
                }
            }
        }
        layout.close_to(
            &mut SkeletonSink {
                nodes: &mut skeleton.nodes,
                path_start: 0,
            },
            0,
        );
        skeleton.by_entry.sort_unstable();
        skeleton.by_digest.sort_unstable();
        skeleton
    }

    /// The path of a node.
    pub(super) fn path<'m>(&self, manifest: &'m Manifest, node: u32) -> &'m str {
        self.nodes
            .get(node as usize)
            .and_then(|n| {
                manifest
                    .shown_paths
                    .get(n.path_start as usize..n.path_end as usize)
            })
            .unwrap_or_default()
    }

    /// The node of the output entry shown at its own path, if it is in this tree.
    fn output_node(&self, entry: u32) -> Option<usize> {
        self.by_entry
            .binary_search_by_key(&entry, |&(e, _)| e)
            .ok()
            .map(|at| self.by_entry[at].1 as usize)
    }

    /// The nodes of outputs whose manifest hash is `digest`.
    fn output_nodes_with<'s>(&'s self, digest: &'s Digest) -> impl Iterator<Item = usize> + 's {
        let start = self.by_digest.partition_point(|(d, _)| d < digest);
        self.by_digest[start..]
            .iter()
            .take_while(move |(d, _)| d == digest)
            .map(|&(_, node)| node as usize)
    }
}

/// The built skeletons of a manifest. Not part of its value: clones start empty and every
/// two caches compare equal.
#[derive(Debug, Default)]
pub(super) struct SkeletonCache([std::sync::OnceLock<Skeleton>; 2]);

impl Clone for SkeletonCache {
    fn clone(&self) -> Self {
        SkeletonCache::default()
    }
}

impl PartialEq for SkeletonCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// Skeleton nodes of the file whose path starts at `path_start` in the manifest's path arena.
struct SkeletonSink<'s> {
    nodes: &'s mut Vec<SkelNode>,
    path_start: u32,
}

impl DirSink<'_> for SkeletonSink<'_> {
    fn len(&self) -> usize {
        self.nodes.len()
    }

    fn push_dir(&mut self, dir: &str, name_start: u32, depth: u32) {
        self.nodes.push(SkelNode {
            path_start: self.path_start,
            path_end: self.path_start + dir.len() as u32,
            name_start,
            depth,
            end: 0,
            shown: u32::MAX,
        });
    }

    fn end_dir(&mut self, index: usize, end: u32) {
        self.nodes[index].end = end;
    }
}

impl Manifest {
    /// The tree of the shown outputs for this out-of-date choice, built once.
    pub(super) fn skeleton(&self, show_out_of_date: bool) -> &Skeleton {
        self.skeletons.0[usize::from(show_out_of_date)]
            .get_or_init(|| Skeleton::build(self, show_out_of_date))
    }

    /// WS-5 for every file of the skeleton. Most files are UNRELEASED; only those on the
    /// current request, those whose hash was released and message files are looked at.
    pub(super) fn skeleton_statuses(
        &self,
        skeleton: &Skeleton,
        disk: &DiskFiles,
        current: Option<&RequestState>,
        on_request: &RequestPaths<'_>,
        released: &ReleasedHashes,
    ) -> Vec<WorkspaceFileStatus> {
        let mut statuses = vec![WorkspaceFileStatus::Unreleased; skeleton.nodes.len()];
        // Rows 2 to 6 for outputs on the current request.
        for file in current.map(|s| s.files.as_slice()).unwrap_or_default() {
            let Some(entry) = self.index_of(&file.relpath) else {
                continue;
            };
            if let Some(node) = skeleton.output_node(entry) {
                let digest = self.entries[entry as usize].digest();
                statuses[node] = workspace_file_status(true, digest, released, Some(file));
            }
        }
        // Row 2 for the other outputs whose hash was released.
        for digest in released.iter() {
            for node in skeleton.output_nodes_with(digest) {
                statuses[node] = WorkspaceFileStatus::Released;
            }
        }
        // Message files: their hash is the disk's.
        for &node in &skeleton.messages {
            let path = skeleton.path(self, node);
            let hash = disk.get(path).and_then(|f| f.sha256.as_ref());
            statuses[node as usize] = disk_status(on_request, released, path, hash);
        }
        statuses
    }
}
