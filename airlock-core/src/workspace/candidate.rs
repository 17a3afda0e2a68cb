//! FIL-4 steps 5–11, FIL-7: what the add and update actions need to know about a path of the
//! workspace, as the pure rules in `action` take it.

use super::digest::ReleasedHashes;
use super::manifest::{Manifest, ShownEntry};
use super::path::is_metadata_path;
use crate::model::OutputMeta;

/// What the workspace says about a path, as the add and update actions need it (WS-1, WS-5,
/// FIL-4 steps 5 to 11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCandidate {
    /// The path.
    pub relpath: String,
    /// The workspace shows the path (out-of-date outputs count as present, WS-4).
    pub shown: bool,
    /// Why the path is not shown although the manifest lists it: its entry is malformed (FMT-7).
    pub unreadable: Option<String>,
    /// The path's own manifest entry, if it has one.
    pub output: Option<OutputMeta>,
    /// The manifest's `content_hash` of that entry.
    pub content_hash: Option<String>,
    /// The current content was released from this workspace before (WS-5 row 2).
    pub released: bool,
}

impl AddCandidate {
    /// WS-5 row 1 for a path of a workspace that is gone: not shown (INVALID), so neither
    /// addable nor released (FIL-10 may still move or retype the file).
    pub fn in_missing_workspace(relpath: &str) -> AddCandidate {
        AddCandidate {
            relpath: relpath.to_string(),
            shown: false,
            unreadable: None,
            output: None,
            content_hash: None,
            released: false,
        }
    }
}

/// FMT-7: what a user is told about a path whose manifest entry is malformed.
pub fn unreadable_message(relpath: &str, why: &str) -> String {
    format!(
        "{relpath} is listed in the workspace manifest, but its entry cannot be read ({why}), \
         so it is not shown."
    )
}

/// What the add and update actions need to know about `relpath` (FIL-4 steps 5–11, FIL-7):
/// whether the workspace shows it (out-of-date outputs count as present, WS-4; a `metadata/`
/// path is shown when `metadata_on_disk`), its own manifest entry, and whether its current
/// content was released (WS-5 row 2).
pub fn add_candidate(
    manifest: &Manifest,
    relpath: &str,
    metadata_on_disk: bool,
    released: &ReleasedHashes,
) -> AddCandidate {
    let (shown, output) = if is_metadata_path(relpath) {
        (metadata_on_disk, None)
    } else {
        match manifest.shown_entry(relpath, true) {
            Some(ShownEntry {
                entry,
                message: false,
            }) => (true, Some(entry)),
            Some(ShownEntry { message: true, .. }) => (true, None),
            None => (false, None),
        }
    };
    AddCandidate {
        relpath: relpath.to_string(),
        unreadable: (!shown)
            .then(|| manifest.unreadable_entry(relpath))
            .flatten()
            .map(|why| unreadable_message(relpath, why)),
        shown,
        output: output.map(|e| e.output.meta()),
        content_hash: output.map(|e| e.output.content_hash.to_ascii_lowercase()),
        released: output
            .and_then(|e| e.digest())
            .is_some_and(|d| released.contains(d)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::fake_hash;
    use crate::workspace::testing::*;

    #[test]
    fn fil_4_add_candidates() {
        let m = fmt_10_example();
        let none = ReleasedHashes::default();
        let c = add_candidate(&m, "output/table1.csv", false, &none);
        assert!(c.shown && !c.released);
        assert_eq!(c.content_hash.as_deref(), Some(fake_hash("t1").as_str()));
        let meta = c.output.expect("meta");
        assert_eq!(
            (meta.size, meta.row_count, meta.col_count),
            (10, Some(42), Some(5))
        );
        assert_eq!(meta.job_id, "job1");

        let msg = add_candidate(&m, "output/big_table.csv.txt", false, &none);
        assert!(msg.shown && msg.output.is_none(), "step 7: not_an_output");
        let excluded = add_candidate(&m, "output/big_table.csv", false, &none);
        assert!(!excluded.shown);
        let old = add_candidate(&m, "output/old_figure.png", false, &none);
        assert!(
            old.shown && old.output.is_some(),
            "WS-4: out-of-date outputs are present"
        );
        assert!(!add_candidate(&m, "output/dataset.arrow", false, &none).shown);
        assert!(add_candidate(&m, "metadata/make_tables.log", true, &none).shown);
        assert!(!add_candidate(&m, "metadata/nope.log", false, &none).shown);

        let released = ReleasedHashes::from_hex([fake_hash("t1").to_uppercase()]);
        assert!(add_candidate(&m, "output/table1.csv", false, &released).released);
    }
}
