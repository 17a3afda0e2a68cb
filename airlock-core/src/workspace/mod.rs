//! Workspaces: the manifest and the workspace file rules (`workspace-format.md` §1–§3, FMT-1 to
//! FMT-10; `behaviour.md` §13, WS-1 to WS-5).
//!
//! Pure: the store reads the manifest bytes and lists the disk; this module parses the manifest,
//! checks paths, decides which files a workspace shows (WS-1), orders them as a tree (WS-2),
//! says which types are allowed (WS-3) and computes each file's status (WS-5).
//!
//! The parsed [`Manifest`] precomputes everything that depends only on the manifest (the lookup
//! index and the WS-2 order of the shown outputs), so that a cached manifest answers a tree with
//! statuses in one linear pass that borrows every path instead of allocating it.
//!
//! One concern per file, everything public re-exported here:
//!
//! - `path.rs`: FMT-1 workspace names, FMT-5 relative paths, `metadata/` paths, WS-3 types;
//! - `digest.rs`: sha256 digests and [`ReleasedHashes`] (WS-5 row 2);
//! - `entry.rs`: one FMT-7 output entry, [`OutputEntry`], and its lenient parse;
//! - `parse.rs`: the document (FMT-6), [`parse_manifest`], and [`ManifestDoc`] to write one;
//! - [`split`]: parsing a large manifest in two parts on two threads (only the reader uses it);
//! - `manifest.rs`: the parsed [`Manifest`], its lookup index and its shown outputs (WS-1) in
//!   WS-2 order;
//! - `disk.rs`: the files whose metadata comes from the disk, [`DiskFiles`] (FMT-3, FMT-8);
//! - `status.rs`: WS-5, [`WorkspaceFileStatus`];
//! - `tree.rs`: the tree a viewer is shown, [`WorkspaceTree`] (WS-1, WS-2);
//! - `skeleton.rs`: the manifest's part of a tree, laid out once per manifest and cached;
//! - `layout.rs`: paths in WS-2 order laid out as a pre-order list of directories and files;
//! - `candidate.rs`: what adding or updating a path needs to know, [`AddCandidate`] (FIL-4).

mod candidate;
mod digest;
mod disk;
mod entry;
mod layout;
mod manifest;
mod parse;
mod path;
mod skeleton;
pub mod split;
mod status;
#[cfg(test)]
mod testing;
mod tree;

pub use candidate::{AddCandidate, add_candidate, unreadable_message};
pub use digest::{Digest, ReleasedHashes, digest_hex, parse_digest};
pub use disk::{DiskFile, DiskFiles};
pub use entry::{Level, OutputEntry};
pub use manifest::{Manifest, ManifestEntry, ShownEntry};
pub use parse::{MANIFEST_UNREADABLE, ManifestDoc, Outputs, parse_manifest};
pub use path::{
    METADATA_DIR, is_allowed_file_type, is_metadata_path, validate_relpath, validate_workspace_name,
};
pub use status::{WorkspaceFileStatus, workspace_file_status};
pub use tree::{Children, FileSource, NodeKind, TreeFile, TreeNode, TreeOptions, WorkspaceTree};
