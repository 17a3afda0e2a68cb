//! The files whose metadata comes from the disk rather than the manifest: the files under
//! `metadata/` (FMT-3) and the message files of excluded outputs (FMT-8).

use super::digest::Digest;
use super::manifest::ws2_sorted;
use super::path::{METADATA_DIR, is_metadata_path};

/// A file whose metadata comes from the disk: a file under `metadata/` or an excluded output's
/// message file.
#[derive(Debug, Clone, PartialEq)]
pub struct DiskFile {
    /// Relative path in the workspace.
    pub relpath: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, seconds since the Unix epoch.
    pub modified: f64,
    /// sha256 of its bytes (WS-5: the current hash), when known.
    pub sha256: Option<Digest>,
}

/// The disk files of one workspace snapshot, sorted by path.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DiskFiles {
    pub(super) files: Vec<DiskFile>,
}

impl DiskFiles {
    /// Sorts the files by path and drops repeated paths.
    pub fn new(mut files: Vec<DiskFile>) -> Self {
        files.sort_by(|a, b| a.relpath.cmp(&b.relpath));
        files.dedup_by(|a, b| a.relpath == b.relpath);
        DiskFiles { files }
    }

    /// The file at this path.
    pub fn get(&self, relpath: &str) -> Option<&DiskFile> {
        self.files
            .binary_search_by(|f| f.relpath.as_str().cmp(relpath))
            .ok()
            .map(|i| &self.files[i])
    }

    /// Every file, sorted by path.
    pub fn files(&self) -> &[DiskFile] {
        &self.files
    }

    /// The files under `metadata/` in WS-2 order (the directory itself left out).
    pub(super) fn metadata_in_tree_order(&self) -> Vec<&DiskFile> {
        ws2_sorted(
            self.files
                .iter()
                .enumerate()
                .filter(|(_, f)| is_metadata_path(&f.relpath) && f.relpath != METADATA_DIR)
                .map(|(i, f)| (f.relpath.as_str(), i)),
        )
        .into_iter()
        .map(|i| &self.files[i])
        .collect()
    }
}
