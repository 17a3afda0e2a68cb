//! Laying out file paths given in WS-2 order as a pre-order list of directories and files: the
//! one walk behind both the `metadata` part of a tree and the cached skeleton.

use super::tree::{NodeKind, TreeFile, TreeNode};

/// Builds the pre-order node list from file paths given in WS-2 order.
pub(super) struct TreeBuilder<'a> {
    nodes: Vec<TreeNode<'a>>,
    layout: Layout<'a>,
}

impl<'a> TreeBuilder<'a> {
    /// An empty list with room for `capacity` nodes.
    pub(super) fn with_capacity(capacity: usize) -> Self {
        TreeBuilder {
            nodes: Vec::with_capacity(capacity),
            layout: Layout::default(),
        }
    }

    /// Adds a file; `parent_id` identifies its parent directory (`u32::MAX`: unknown).
    pub(super) fn push_file(
        &mut self,
        path: &'a str,
        name_start: u32,
        parent_id: u32,
        file: TreeFile<'a>,
    ) {
        let depth = self.layout.enter(&mut self.nodes, path, parent_id);
        self.nodes.push(TreeNode {
            path,
            name_start,
            depth,
            kind: NodeKind::File(file),
        });
    }

    /// Closes the open directories and returns the nodes.
    pub(super) fn finish(mut self) -> Vec<TreeNode<'a>> {
        self.layout.close_to(&mut self.nodes, 0);
        self.nodes
    }
}

/// Where a [`Layout`] writes directory nodes.
pub(super) trait DirSink<'p> {
    /// Number of nodes so far.
    fn len(&self) -> usize;
    /// Appends a directory node; its end is set when it closes.
    fn push_dir(&mut self, dir: &'p str, name_start: u32, depth: u32);
    /// Sets the end of the directory node at `index`.
    fn end_dir(&mut self, index: usize, end: u32);
}

impl<'a> DirSink<'a> for Vec<TreeNode<'a>> {
    fn len(&self) -> usize {
        Vec::len(self)
    }

    fn push_dir(&mut self, dir: &'a str, name_start: u32, depth: u32) {
        self.push(TreeNode {
            path: dir,
            name_start,
            depth,
            kind: NodeKind::Dir { end: 0 },
        });
    }

    fn end_dir(&mut self, index: usize, end: u32) {
        self[index].kind = NodeKind::Dir { end };
    }
}

/// Lays out file paths given in WS-2 order as a pre-order tree: before each file, opens the
/// directories on its path and closes the open ones that do not prefix it.
#[derive(Default)]
pub(super) struct Layout<'p> {
    /// Open directories: node index and full path.
    open: Vec<(usize, &'p str)>,
    /// Parent directory id of the last file (`None` before the first).
    last_parent: Option<u32>,
}

impl<'p> Layout<'p> {
    /// Opens the directories of `path` and returns the depth of the file itself.
    /// `parent_id` identifies the file's parent directory (`u32::MAX`: unknown); a file in the
    /// same directory as the previous one (most files are) skips the walk.
    pub(super) fn enter(
        &mut self,
        sink: &mut impl DirSink<'p>,
        path: &'p str,
        parent_id: u32,
    ) -> u32 {
        let same_dir = parent_id != u32::MAX && self.last_parent == Some(parent_id);
        self.last_parent = Some(parent_id);
        if same_dir {
            return self.open.len() as u32;
        }
        let mut depth = 0;
        let mut name_start = 0;
        let mut matching = true;
        for (pos, _) in path.match_indices('/') {
            let dir = &path[..pos];
            if matching && self.open.get(depth).is_some_and(|(_, open)| *open == dir) {
                depth += 1;
            } else {
                if matching {
                    matching = false;
                    self.close_to(sink, depth);
                }
                sink.push_dir(dir, name_start as u32, depth as u32);
                self.open.push((sink.len() - 1, dir));
                depth += 1;
            }
            name_start = pos + 1;
        }
        if matching {
            self.close_to(sink, depth);
        }
        depth as u32
    }

    /// Closes the open directories deeper than `depth`.
    pub(super) fn close_to(&mut self, sink: &mut impl DirSink<'p>, depth: usize) {
        let end = sink.len() as u32;
        while self.open.len() > depth {
            if let Some((index, _)) = self.open.pop() {
                sink.end_dir(index, end);
            }
        }
    }
}
