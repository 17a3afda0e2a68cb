//! WS-1, WS-2: the tree a viewer is shown: the `metadata` files from the disk, then the
//! manifest's shown outputs from its cached skeleton, each file with its WS-5 status.

use super::digest::{Digest, ReleasedHashes};
use super::disk::{DiskFile, DiskFiles};
use super::layout::TreeBuilder;
use super::manifest::{Manifest, ManifestEntry};
use super::path::{is_allowed_file_type, name_start};
use super::skeleton::{SkelNode, Skeleton};
use super::status::{RequestPaths, WorkspaceFileStatus, disk_status};
use crate::model::RequestState;
use std::collections::BTreeMap;

/// Options of a tree view.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TreeOptions {
    /// WS-4: show outputs with `out_of_date_action` (default hidden).
    pub show_out_of_date: bool,
}

/// Where a shown file's metadata comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FileSource<'a> {
    /// A manifest output shown at its own path.
    Output(&'a ManifestEntry),
    /// An excluded output's message file (FMT-8), with its disk metadata when present.
    Message {
        /// The excluded output.
        entry: &'a ManifestEntry,
        /// The message file on disk.
        disk: Option<&'a DiskFile>,
    },
    /// A file under `metadata/` (FMT-3).
    Metadata(&'a DiskFile),
}

impl FileSource<'_> {
    /// The file's own manifest entry, if it has one (FIL-4 step 7).
    pub fn output(&self) -> Option<&ManifestEntry> {
        match self {
            FileSource::Output(entry) => Some(entry),
            _ => None,
        }
    }

    /// The file's current hash (WS-5), when known.
    pub fn digest(&self) -> Option<&Digest> {
        match self {
            FileSource::Output(entry) => entry.digest(),
            FileSource::Message { disk, .. } => disk.and_then(|d| d.sha256.as_ref()),
            FileSource::Metadata(disk) => disk.sha256.as_ref(),
        }
    }

    /// Size in bytes: the manifest's for outputs, the disk's otherwise.
    pub fn size(&self) -> Option<u64> {
        match self {
            FileSource::Output(entry) => u64::try_from(entry.output.size).ok(),
            FileSource::Message { disk, .. } => disk.map(|d| d.size),
            FileSource::Metadata(disk) => Some(disk.size),
        }
    }

    /// Modification time: the manifest's for outputs, the disk's otherwise.
    pub fn timestamp(&self) -> Option<f64> {
        match self {
            FileSource::Output(entry) => Some(entry.output.timestamp),
            FileSource::Message { disk, .. } => disk.map(|d| d.modified),
            FileSource::Metadata(disk) => Some(disk.modified),
        }
    }
}

/// A shown file in the tree.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TreeFile<'a> {
    /// Where its metadata comes from.
    pub source: FileSource<'a>,
    /// WS-5 status.
    pub status: WorkspaceFileStatus,
    /// WS-3: of an allowed type (others are shown, marked invalid).
    pub allowed_type: bool,
}

/// A tree node's kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NodeKind<'a> {
    /// A directory; its descendants are the nodes from the next one up to `end` (exclusive).
    Dir {
        /// Index one past the last descendant.
        end: u32,
    },
    /// A shown file.
    File(TreeFile<'a>),
}

/// One node of the tree, in pre-order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TreeNode<'a> {
    /// Full relative path.
    pub path: &'a str,
    /// Byte offset of the last segment in `path` (see [`TreeNode::name`]).
    pub name_start: u32,
    /// 0 for top-level nodes.
    pub depth: u32,
    /// Directory or file.
    pub kind: NodeKind<'a>,
}

impl<'a> TreeNode<'a> {
    /// The last segment of the path.
    pub fn name(&self) -> &'a str {
        self.path
            .get(self.name_start as usize..)
            .unwrap_or(self.path)
    }
}

impl TreeNode<'_> {
    /// Whether the node is a directory.
    pub fn is_dir(&self) -> bool {
        matches!(self.kind, NodeKind::Dir { .. })
    }

    pub(super) fn subtree_end(&self, index: usize) -> usize {
        match self.kind {
            NodeKind::Dir { end } => end as usize,
            NodeKind::File(_) => index + 1,
        }
    }
}

/// WS-1/WS-2: the shown files and their directories as a flat pre-order list: `metadata` first,
/// then directories before files, each by name. Directories exist only when they contain a
/// shown file.
///
/// The structure of the manifest's part is built once per manifest and shared; a tree holds
/// only the statuses of its viewer and the `metadata` part, and hands out nodes by index.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkspaceTree<'a> {
    manifest: &'a Manifest,
    disk: &'a DiskFiles,
    /// The `metadata` directory and its files.
    head: Vec<TreeNode<'a>>,
    skeleton: &'a Skeleton,
    /// WS-5 status of each skeleton file (directories hold a placeholder).
    statuses: Vec<WorkspaceFileStatus>,
    /// WS-4: number of out-of-date outputs (shown or hidden).
    pub out_of_date_count: usize,
    /// Whether out-of-date outputs are shown in this tree.
    pub show_out_of_date: bool,
}

impl<'a> WorkspaceTree<'a> {
    /// Number of nodes (directories and files).
    pub fn len(&self) -> usize {
        self.head.len() + self.skeleton.nodes.len()
    }

    /// Whether the tree has no nodes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The node at a pre-order index.
    pub fn node(&self, index: usize) -> Option<TreeNode<'a>> {
        if let Some(node) = self.head.get(index) {
            return Some(*node);
        }
        let at = index - self.head.len();
        let skel = self.skeleton.nodes.get(at)?;
        let status = self.statuses.get(at).copied()?;
        Some(self.skeleton_node(skel, status))
    }

    /// A node of the manifest part, with its status.
    fn skeleton_node(&self, skel: &SkelNode, status: WorkspaceFileStatus) -> TreeNode<'a> {
        let manifest = self.manifest;
        let path = manifest
            .shown_paths
            .get(skel.path_start as usize..skel.path_end as usize)
            .unwrap_or_default();
        let kind = match manifest.shown_nodes.get(skel.shown as usize) {
            None => NodeKind::Dir {
                end: skel.end + self.head.len() as u32,
            },
            Some(shown) => {
                let entry = &manifest.entries[shown.entry as usize];
                let source = match shown.message {
                    true => FileSource::Message {
                        entry,
                        disk: self.disk.get(path),
                    },
                    false => FileSource::Output(entry),
                };
                NodeKind::File(TreeFile {
                    source,
                    status,
                    allowed_type: shown.allowed_type,
                })
            }
        };
        TreeNode {
            path,
            name_start: skel.name_start,
            depth: skel.depth,
            kind,
        }
    }

    /// Every node in pre-order.
    pub fn nodes(&self) -> impl Iterator<Item = TreeNode<'a>> + '_ {
        self.head.iter().copied().chain(
            self.skeleton
                .nodes
                .iter()
                .zip(&self.statuses)
                .map(|(skel, &status)| self.skeleton_node(skel, status)),
        )
    }

    /// Indices of the children of a directory node, or of the top level with `None`.
    pub fn children(&self, parent: Option<usize>) -> Children<'_, 'a> {
        let (next, end) = match parent {
            None => (0, self.len()),
            Some(i) => match self.subtree_end(i) {
                Some(end) => (i + 1, end),
                None => (0, 0),
            },
        };
        Children {
            tree: self,
            next,
            end,
        }
    }

    /// One past the last descendant of a node.
    fn subtree_end(&self, index: usize) -> Option<usize> {
        if let Some(node) = self.head.get(index) {
            return Some(node.subtree_end(index));
        }
        let skel = self.skeleton.nodes.get(index - self.head.len())?;
        Some(match skel.shown {
            u32::MAX => skel.end as usize + self.head.len(),
            _ => index + 1,
        })
    }

    /// The path of a node without building it.
    fn path_of(&self, index: usize) -> Option<&'a str> {
        match self.head.get(index) {
            Some(node) => Some(node.path),
            None => {
                let at = u32::try_from(index - self.head.len()).ok()?;
                self.skeleton.nodes.get(at as usize)?;
                Some(self.skeleton.path(self.manifest, at))
            }
        }
    }

    /// The node at this path, found by walking down segment by segment.
    pub fn find(&self, path: &str) -> Option<usize> {
        let mut parent = None;
        let mut found = None;
        let mut consumed = 0;
        for segment in path.split('/') {
            consumed += segment.len();
            let prefix = &path[..consumed];
            found = self
                .children(parent)
                .find(|&i| self.path_of(i) == Some(prefix));
            parent = Some(found?);
            consumed += 1;
        }
        found
    }

    /// The shown files in tree order.
    pub fn files(&self) -> impl Iterator<Item = (TreeNode<'a>, TreeFile<'a>)> + '_ {
        self.nodes().filter_map(|n| match n.kind {
            NodeKind::File(f) => Some((n, f)),
            NodeKind::Dir { .. } => None,
        })
    }

    /// Number of shown files.
    pub fn file_count(&self) -> usize {
        let head = self.head.iter().filter(|n| !n.is_dir()).count();
        head + self.skeleton.files
    }

    /// How many files of the tree have each status.
    pub fn status_counts(&self) -> BTreeMap<WorkspaceFileStatus, usize> {
        let mut counts = BTreeMap::new();
        for (_, file) in self.head.iter().filter_map(|n| match n.kind {
            NodeKind::File(f) => Some((n, f)),
            NodeKind::Dir { .. } => None,
        }) {
            *counts.entry(file.status).or_insert(0) += 1;
        }
        for (skel, status) in self.skeleton.nodes.iter().zip(&self.statuses) {
            if skel.shown != u32::MAX {
                *counts.entry(*status).or_insert(0) += 1;
            }
        }
        counts
    }
}

/// Iterator over the children of a tree node.
#[derive(Debug, Clone)]
pub struct Children<'t, 'a> {
    tree: &'t WorkspaceTree<'a>,
    next: usize,
    end: usize,
}

impl Iterator for Children<'_, '_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.next >= self.end {
            return None;
        }
        let index = self.next;
        self.next = self.tree.subtree_end(index)?;
        Some(index)
    }
}

impl Manifest {
    /// WS-1, WS-2, WS-3, WS-5: the shown files as a tree in WS-2 order, each with its status
    /// relative to the viewer's current request. `disk` holds the files found under
    /// `metadata/` and the message files present on disk.
    pub fn tree<'a>(
        &'a self,
        disk: &'a DiskFiles,
        options: TreeOptions,
        current: Option<&RequestState>,
        released: &ReleasedHashes,
    ) -> WorkspaceTree<'a> {
        let on_request = RequestPaths::new(current);
        // `metadata` sorts first (WS-2): its files come from the disk.
        let mut head = TreeBuilder::with_capacity(disk.files.len() + 4);
        for file in disk.metadata_in_tree_order() {
            let status = disk_status(&on_request, released, &file.relpath, file.sha256.as_ref());
            head.push_file(
                &file.relpath,
                name_start(&file.relpath),
                u32::MAX,
                TreeFile {
                    source: FileSource::Metadata(file),
                    status,
                    allowed_type: is_allowed_file_type(&file.relpath),
                },
            );
        }
        let skeleton = self.skeleton(options.show_out_of_date);
        WorkspaceTree {
            manifest: self,
            disk,
            head: head.finish(),
            statuses: self.skeleton_statuses(skeleton, disk, current, &on_request, released),
            skeleton,
            out_of_date_count: self.out_of_date,
            show_out_of_date: options.show_out_of_date,
        }
    }

    /// Lays out the tree of the shown outputs for these options now instead of on the first
    /// [`Manifest::tree`] (a reader does it while another thread hashes the manifest).
    pub fn prepare_tree(&self, options: TreeOptions) {
        self.skeleton(options.show_out_of_date);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::testing::*;

    #[test]
    fn ws_2_tree_order() {
        let m = manifest_of(vec![
            ms("zeta.csv"),
            ms("b/z.csv"),
            ms("b/a/deep.csv"),
            ms("a.csv"),
            ms("b/b.csv"),
            ms("ab/x.csv"),
            ms("a/x.csv"),
            ms("Z/upper.csv"),
        ]);
        let d = disk(&["metadata/z.log", "metadata/sub/a.log", "metadata/a.log"]);
        let tree = m.tree(&d, TreeOptions::default(), None, &ReleasedHashes::default());
        let rendered: Vec<String> = tree
            .nodes()
            .map(|n| {
                format!(
                    "{}{}{}",
                    "  ".repeat(n.depth as usize),
                    n.name(),
                    if n.is_dir() { "/" } else { "" }
                )
            })
            .collect();
        insta::assert_snapshot!(rendered.join("\n"));
        let roots: Vec<&str> = tree
            .children(None)
            .map(|i| tree.node(i).expect("node").name())
            .collect();
        assert_eq!(
            roots,
            ["metadata", "Z", "a", "ab", "b", "a.csv", "zeta.csv"]
        );
        let b = tree.find("b").expect("dir b");
        let kids: Vec<&str> = tree
            .children(Some(b))
            .map(|i| tree.node(i).expect("node").path)
            .collect();
        assert_eq!(kids, ["b/a", "b/b.csv", "b/z.csv"]);
        assert_eq!(
            tree.find("b/a/deep.csv")
                .map(|i| tree.node(i).expect("node").name()),
            Some("deep.csv")
        );
        assert_eq!(tree.find("b/nope"), None);
        assert_eq!(
            tree.find("metadata/sub/a.log")
                .map(|i| tree.node(i).expect("node").depth),
            Some(2)
        );
    }

    #[test]
    fn ws_3_invalid_types_are_shown_but_marked() {
        let m = manifest_of(vec![ms("out/model.rds"), ms("out/a.csv")]);
        let d = DiskFiles::default();
        let tree = m.tree(&d, TreeOptions::default(), None, &ReleasedHashes::default());
        let marks: Vec<(&str, bool)> = tree
            .files()
            .map(|(n, f)| (n.name(), f.allowed_type))
            .collect();
        assert_eq!(marks, [("a.csv", true), ("model.rds", false)]);
    }

    proptest::proptest! {
        /// WS-2: the tree holds every shown path once, each directory before its contents.
        #[test]
        fn tree_holds_every_path_once(paths in proptest::collection::btree_set("[ab]{1,2}(/[ab]{1,2}){0,3}\\.csv", 0..40)) {
            let m = manifest_of(paths.iter().map(|p| ms(p)).collect());
            let tree = m.tree(&NO_DISK, TreeOptions::default(), None, &ReleasedHashes::default());
            let mut got = shown_paths(&tree);
            got.sort();
            let want: Vec<String> = paths.iter().cloned().collect();
            proptest::prop_assert_eq!(got, want);
            let nodes: Vec<TreeNode<'_>> = tree.nodes().collect();
            proptest::prop_assert_eq!(nodes.len(), tree.len());
            for (i, node) in nodes.iter().enumerate() {
                if let NodeKind::Dir { end } = node.kind {
                    for child in &nodes[i + 1..end as usize] {
                        proptest::prop_assert!(child.path.starts_with(node.path));
                        proptest::prop_assert!(child.depth > node.depth);
                    }
                }
            }
        }
    }
}
