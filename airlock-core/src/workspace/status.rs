//! WS-5: the status of a workspace file relative to the viewer's current request.

use super::digest::{Digest, ReleasedHashes, parse_digest};
use super::disk::DiskFiles;
use super::manifest::{Manifest, ShownEntry};
use super::path::is_metadata_path;
use crate::model::{FileType, RequestFile, RequestState};
use serde::{Deserialize, Serialize};
use std::fmt;

/// WS-5: the status of a workspace file relative to the viewer's current request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WorkspaceFileStatus {
    /// Not shown by the workspace.
    Invalid,
    /// The current content was released from this workspace.
    Released,
    /// Not on the viewer's current request.
    Unreleased,
    /// On the current request as WITHDRAWN.
    Withdrawn,
    /// On the current request with the current content.
    UnderReview,
    /// On the current request with older content.
    Updated,
}

impl WorkspaceFileStatus {
    /// The upper-case name (`api.md` §3).
    pub fn as_str(self) -> &'static str {
        match self {
            WorkspaceFileStatus::Invalid => "INVALID",
            WorkspaceFileStatus::Released => "RELEASED",
            WorkspaceFileStatus::Unreleased => "UNRELEASED",
            WorkspaceFileStatus::Withdrawn => "WITHDRAWN",
            WorkspaceFileStatus::UnderReview => "UNDER_REVIEW",
            WorkspaceFileStatus::Updated => "UPDATED",
        }
    }
}

impl fmt::Display for WorkspaceFileStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// WS-5, first match wins: not shown → INVALID; current hash released → RELEASED; not on the
/// current request → UNRELEASED; WITHDRAWN there → WITHDRAWN; same content → UNDER_REVIEW;
/// else UPDATED. `current_hash` is the manifest's `content_hash` (or the disk hash for metadata
/// and message files); `on_request` is the path's file on the viewer's current request.
pub fn workspace_file_status(
    shown: bool,
    current_hash: Option<&Digest>,
    released: &ReleasedHashes,
    on_request: Option<&RequestFile>,
) -> WorkspaceFileStatus {
    if !shown {
        return WorkspaceFileStatus::Invalid;
    }
    if current_hash.is_some_and(|h| released.contains(h)) {
        return WorkspaceFileStatus::Released;
    }
    let Some(file) = on_request else {
        return WorkspaceFileStatus::Unreleased;
    };
    if file.filetype == FileType::Withdrawn {
        return WorkspaceFileStatus::Withdrawn;
    }
    let same = current_hash.is_some_and(|h| parse_digest(&file.file_id).as_ref() == Some(h));
    if same {
        WorkspaceFileStatus::UnderReview
    } else {
        WorkspaceFileStatus::Updated
    }
}

/// WS-5 for a file whose hash comes from the disk (a `metadata/` file or a message file).
pub(super) fn disk_status(
    on_request: &RequestPaths<'_>,
    released: &ReleasedHashes,
    relpath: &str,
    hash: Option<&Digest>,
) -> WorkspaceFileStatus {
    workspace_file_status(true, hash, released, on_request.get(relpath))
}

/// The current request's files by path, for lookups by path.
pub(super) struct RequestPaths<'r>(Vec<(&'r str, &'r RequestFile)>);

impl<'r> RequestPaths<'r> {
    /// The files of the current request, if any.
    pub(super) fn new(current: Option<&'r RequestState>) -> Self {
        let mut paths: Vec<(&str, &RequestFile)> = current
            .map(|s| s.files.iter().map(|f| (f.relpath.as_str(), f)).collect())
            .unwrap_or_default();
        paths.sort_unstable_by_key(|&(path, _)| path);
        RequestPaths(paths)
    }

    /// The file at this path.
    pub(super) fn get(&self, relpath: &str) -> Option<&'r RequestFile> {
        self.0
            .binary_search_by_key(&relpath, |&(path, _)| path)
            .ok()
            .map(|at| self.0[at].1)
    }
}

impl Manifest {
    /// WS-5 for one path: `disk` holds the files under `metadata/` and the message files found
    /// on disk.
    pub fn status_of(
        &self,
        relpath: &str,
        disk: &DiskFiles,
        current: Option<&RequestState>,
        released: &ReleasedHashes,
    ) -> WorkspaceFileStatus {
        let (shown, hash) = if is_metadata_path(relpath) {
            match disk.get(relpath) {
                Some(file) => (true, file.sha256.as_ref()),
                None => (false, None),
            }
        } else {
            match self.shown_entry(relpath, true) {
                Some(ShownEntry { message: true, .. }) => {
                    (true, disk.get(relpath).and_then(|f| f.sha256.as_ref()))
                }
                Some(ShownEntry { entry, .. }) => (true, entry.digest()),
                None => (false, None),
            }
        };
        let on_request = current.and_then(|s| s.file(relpath));
        workspace_file_status(shown, hash, released, on_request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{empty_request, fake_hash, file};
    use crate::workspace::testing::*;
    use crate::workspace::{NodeKind, TreeOptions};
    use serde_json::json;

    fn status_in_tree(
        m: &Manifest,
        path: &str,
        current: Option<&RequestState>,
        released: &ReleasedHashes,
    ) -> WorkspaceFileStatus {
        let d = disk(&["metadata/a.log"]);
        let tree = m.tree(
            &d,
            TreeOptions {
                show_out_of_date: true,
            },
            current,
            released,
        );
        let i = tree.find(path).expect("shown");
        let NodeKind::File(f) = tree.node(i).expect("node").kind else {
            panic!("not a file")
        };
        assert_eq!(
            f.status,
            m.status_of(path, &d, current, released),
            "tree and single agree"
        );
        f.status
    }

    #[test]
    fn ws_5_status_rows() {
        use WorkspaceFileStatus::*;
        let m = manifest_of(vec![
            ms("out/a.csv"),
            ms("out/b.csv"),
            ms("out/c.csv"),
            ms("out/d.csv"),
        ]);
        let none = ReleasedHashes::default();
        let d = disk(&["metadata/a.log"]);
        // Row 1: not shown.
        assert_eq!(m.status_of("out/nope.csv", &d, None, &none), Invalid);
        assert_eq!(
            m.status_of("metadata/missing.log", &d, None, &none),
            Invalid
        );
        // Row 3: no current request.
        assert_eq!(status_in_tree(&m, "out/a.csv", None, &none), Unreleased);
        assert_eq!(
            status_in_tree(&m, "metadata/a.log", None, &none),
            Unreleased
        );

        let mut state = empty_request("01JNQ8Z7K3V5W2X9Y4T6R8P0MA");
        state.files.push(file("out/a.csv", "g", FileType::Output)); // file_id = fake_hash(path)
        let mut withdrawn = file("out/b.csv", "g", FileType::Withdrawn);
        withdrawn.file_id = fake_hash("other");
        state.files.push(withdrawn);
        let mut changed = file("out/c.csv", "g", FileType::Supporting);
        changed.file_id = fake_hash("older content");
        state.files.push(changed);
        let s = Some(&state);
        assert_eq!(
            status_in_tree(&m, "out/a.csv", s, &none),
            UnderReview,
            "row 5"
        );
        assert_eq!(
            status_in_tree(&m, "out/b.csv", s, &none),
            Withdrawn,
            "row 4"
        );
        assert_eq!(status_in_tree(&m, "out/c.csv", s, &none), Updated, "row 6");
        assert_eq!(
            status_in_tree(&m, "out/d.csv", s, &none),
            Unreleased,
            "row 3: not on it"
        );

        // Row 2 wins over rows 3 to 6: any released file of the workspace with this hash.
        let released = ReleasedHashes::from_hex([
            fake_hash("out/a.csv"),
            fake_hash("out/b.csv"),
            fake_hash("out/d.csv"),
        ]);
        assert_eq!(status_in_tree(&m, "out/a.csv", s, &released), Released);
        assert_eq!(status_in_tree(&m, "out/b.csv", s, &released), Released);
        assert_eq!(status_in_tree(&m, "out/d.csv", None, &released), Released);
        assert_eq!(status_in_tree(&m, "out/c.csv", s, &released), Updated);
        // Metadata files use the disk hash.
        let released_log = ReleasedHashes::from_hex([fake_hash("metadata/a.log")]);
        assert_eq!(
            status_in_tree(&m, "metadata/a.log", None, &released_log),
            Released
        );
    }

    #[test]
    fn ws_6_status_depends_on_the_viewers_request() {
        let m = manifest_of(vec![ms("out/a.csv")]);
        let mut mine = empty_request("01JNQ8Z7K3V5W2X9Y4T6R8P0MA");
        mine.files.push(file("out/a.csv", "g", FileType::Output));
        let none = ReleasedHashes::default();
        assert_eq!(
            status_in_tree(&m, "out/a.csv", Some(&mine), &none),
            WorkspaceFileStatus::UnderReview
        );
        let theirs = empty_request("01JNQ8Z7K3V5W2X9Y4T6R8P0MB");
        assert_eq!(
            status_in_tree(&m, "out/a.csv", Some(&theirs), &none),
            WorkspaceFileStatus::Unreleased
        );
    }

    #[test]
    fn ws_5_message_file_uses_disk_hash() {
        let m = manifest_of(vec![(
            "out/big.csv".into(),
            with(
                entry("moderately_sensitive", &fake_hash("big")),
                "excluded",
                json!(true),
            ),
        )]);
        let d = disk(&["out/big.csv.txt"]);
        let released = ReleasedHashes::from_hex([fake_hash("out/big.csv.txt")]);
        assert_eq!(
            m.status_of("out/big.csv.txt", &d, None, &released),
            WorkspaceFileStatus::Released
        );
        let released_output = ReleasedHashes::from_hex([fake_hash("big")]);
        assert_eq!(
            m.status_of("out/big.csv.txt", &d, None, &released_output),
            WorkspaceFileStatus::Unreleased
        );
        assert_eq!(
            m.status_of("out/big.csv", &d, None, &released_output),
            WorkspaceFileStatus::Invalid
        );
    }

    proptest::proptest! {
        /// WS-5 in the tree equals WS-5 path by path, whatever is released or on the request.
        #[test]
        fn tree_statuses_equal_status_of(
            picks in proptest::collection::vec((proptest::bool::ANY, proptest::bool::ANY), 12),
        ) {
            let paths: Vec<String> = (0..12).map(|i| format!("d{}/f{i}.csv", i % 3)).collect();
            let m = manifest_of(paths.iter().map(|p| ms(p)).collect());
            let mut current = empty_request("R");
            let mut released = Vec::new();
            for (path, (on_request, is_released)) in paths.iter().zip(&picks) {
                if *on_request {
                    current.files.push(file(path, "g", FileType::Output));
                }
                if *is_released {
                    released.push(fake_hash(path));
                }
            }
            let released = ReleasedHashes::from_hex(released);
            let tree = m.tree(&NO_DISK, TreeOptions::default(), Some(&current), &released);
            for (node, file) in tree.files() {
                proptest::prop_assert_eq!(
                    file.status,
                    m.status_of(node.path, &NO_DISK, Some(&current), &released)
                );
            }
        }
    }
}
