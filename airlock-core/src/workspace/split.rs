//! Parsing a large manifest on two threads. The reader splits the bytes at a
//! [`manifest_split_candidate`], parses each part with [`parse_manifest_part`] on its own thread,
//! and [`join_manifest_parts`] proves the split and joins the parts into exactly the manifest
//! [`parse_manifest`](super::parse_manifest) gives for the whole. Nothing else in this module
//! depends on it.

use super::manifest::Manifest;
use super::parse::{ParsedDoc, parse_doc};

/// What goes before the second part of a split manifest: it reopens the `outputs` object.
pub const SECOND_PART_PREFIX: &[u8] = br#"{"outputs":{"#;

/// What goes after the first part of a split manifest: it closes `outputs` and the top level.
pub const FIRST_PART_SUFFIX: &[u8] = b"}}";

/// A candidate place to split a manifest for [`parse_manifest_part`]: the offset of the first
/// `,` in `bytes` that follows a `}` and precedes a `"`, as between two output entries. Only a
/// candidate: [`join_manifest_parts`] proves it.
///
/// The first part is the manifest's bytes before the comma followed by [`FIRST_PART_SUFFIX`];
/// the second is [`SECOND_PART_PREFIX`] followed by the bytes after the comma.
pub fn manifest_split_candidate(bytes: &[u8]) -> Option<usize> {
    bytes.windows(3).position(|w| w == b"},\"").map(|at| at + 1)
}

/// One part of a manifest split at a [`manifest_split_candidate`], parsed on its own thread.
pub struct ManifestPart(ParsedDoc);

/// Parses one part of a split manifest; `None` when it is not a JSON object (the caller then
/// parses the whole manifest with [`parse_manifest`](super::parse_manifest), which names the
/// error). `whole_len`, the length of the whole manifest, sizes the entries of the first part to
/// hold the second's too.
pub fn parse_manifest_part(bytes: &[u8], whole_len: usize) -> Option<ManifestPart> {
    parse_doc(bytes, whole_len).ok().map(ManifestPart)
}

/// Joins the two parts of a split manifest into the manifest
/// [`parse_manifest`](super::parse_manifest) would give for the whole, or `None` when the split
/// was not between two output entries.
///
/// The first part is parsed from the start of the manifest, so its parse is the whole parse up
/// to the split. If it succeeds with the appended `}}` closing first an `outputs` object that is
/// its last key and then the top level, the split lay between two entries of that object, and
/// the second part, which reopens it, parses exactly the rest of the manifest.
pub fn join_manifest_parts(first: ManifestPart, second: ManifestPart) -> Option<Manifest> {
    let (first, second) = (first.0, second.0);
    if !first.ends_with_outputs || second.outputs_keys != 1 {
        return None;
    }
    let (Some(mut outputs), Some(rest)) = (first.outputs, second.outputs) else {
        return None;
    };
    outputs.entries.extend(rest.entries);
    outputs.ignored.extend(rest.ignored);
    outputs.malformed.extend(rest.malformed);
    Some(Manifest::from_parsed(ParsedDoc {
        // A key repeated in a JSON object: the last one wins.
        workspace: if second.workspace_key {
            second.workspace
        } else {
            first.workspace
        },
        workspace_key: true,
        outputs: Some(outputs),
        outputs_keys: 1,
        ends_with_outputs: false,
    }))
}

#[cfg(test)]
mod tests {
    //! The two-thread parse gives exactly the whole parse, wherever the split lands.
    use super::*;
    use crate::workspace::parse_manifest;
    use proptest::prelude::*;

    /// Splits like the workspace reader does, at the first candidate at or after `mid`.
    fn split_parse(bytes: &[u8], mid: usize) -> Option<Manifest> {
        let comma = mid + manifest_split_candidate(bytes.get(mid..)?)?;
        let mut first = bytes[..comma].to_vec();
        first.extend_from_slice(FIRST_PART_SUFFIX);
        let mut second = SECOND_PART_PREFIX.to_vec();
        second.extend_from_slice(&bytes[comma + 1..]);
        join_manifest_parts(
            parse_manifest_part(&first, bytes.len())?,
            parse_manifest_part(&second, 0)?,
        )
    }

    /// A JSON string that often holds what a split looks for, quotes and escapes included.
    fn tricky_string() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z]{1,6}(/[a-z]{1,6}){0,2}\\.(csv|txt|png)",
            Just("a},\"b\":{".to_string()),
            Just("x\"},\"outputs\":{\"y".to_string()),
            "[a-z},\":{\\\\é]{0,12}",
        ]
    }

    fn entry_json() -> impl Strategy<Value = String> {
        (
            prop_oneof![Just("moderately_sensitive"), Just("highly_sensitive")],
            tricky_string(),
            any::<bool>(),
            any::<bool>(),
            prop_oneof![
                Just(String::new()),
                Just(r#","extra":{"a":{},"b":[1,{"c":"},\""}]}"#.to_string()),
                Just(r#","message":"too big},\"x\":{""#.to_string()),
                Just(r#","size":"wrong type""#.to_string()),
            ],
        )
            .prop_map(|(level, job, excluded, ood, extra)| {
                let job = serde_json::to_string(&job).unwrap_or_default();
                format!(
                    r#"{{"level":"{level}","job_id":{job},"repo":"r","commit":"c","size":1,"timestamp":1.5,"content_hash":"{}","excluded":{excluded},"out_of_date_action":{ood}{extra}}}"#,
                    "ab".repeat(32)
                )
            })
    }

    fn manifest_json() -> impl Strategy<Value = String> {
        (
            proptest::collection::vec((tricky_string(), entry_json()), 0..12),
            prop_oneof![Just(""), Just(r#""workspace":"w","#)],
            prop_oneof![
                Just(""),
                Just(r#","workspace":null"#),
                Just(r#","workspace":"late""#),
                Just(r#","outputs":{}"#),
                Just(r#","outputs":null"#),
                Just(r#","other":{"x":"},\"y\":{"}"#),
            ],
            prop_oneof![Just(""), Just(" "), Just("x")],
        )
            .prop_map(|(entries, before, after, trailer)| {
                let body: Vec<String> = entries
                    .iter()
                    .map(|(key, value)| {
                        format!("{}:{value}", serde_json::to_string(key).unwrap_or_default())
                    })
                    .collect();
                format!(
                    r#"{{{before}"repo":null,"outputs":{{{}}}{after}}}{trailer}"#,
                    body.join(",")
                )
            })
    }

    proptest! {
        #[test]
        fn split_parse_equals_whole_parse(json in manifest_json(), at in 0.0..1.0f64) {
            let bytes = json.as_bytes();
            let mid = (bytes.len() as f64 * at) as usize;
            let whole = parse_manifest(bytes);
            match (split_parse(bytes, mid), whole) {
                (Some(split), Ok(whole)) => prop_assert_eq!(split, whole),
                (Some(_), Err(e)) => prop_assert!(false, "split parsed what the whole refuses: {}", e.message()),
                (None, _) => {}
            }
        }
    }

    #[test]
    fn a_split_between_entries_is_taken() {
        let hash = "ab".repeat(32);
        let json = format!(
            r#"{{"workspace":"w","outputs":{{"a.csv":{{"level":"moderately_sensitive","job_id":"j","repo":"r","commit":"c","size":1,"timestamp":1.0,"content_hash":"{hash}"}},"b.csv":{{"level":"moderately_sensitive","job_id":"j","repo":"r","commit":"c","size":1,"timestamp":1.0,"content_hash":"{hash}"}}}}}}"#
        );
        let split = split_parse(json.as_bytes(), 10);
        assert_eq!(split.as_ref().map(Manifest::len), Some(2));
        assert_eq!(split, parse_manifest(json.as_bytes()).ok());
        // A candidate inside a string value is refused, never misread.
        let tricky = format!(
            r#"{{"outputs":{{"a.csv":{{"level":"moderately_sensitive","job_id":"a}},","repo":"r","commit":"c","size":1,"timestamp":1.0,"content_hash":"{hash}"}}}}}}"#
        );
        assert_eq!(
            manifest_split_candidate(tricky.as_bytes()),
            tricky.find(r#"},","#).map(|i| i + 1)
        );
        assert_eq!(split_parse(tricky.as_bytes(), 0), None);
        assert_eq!(
            parse_manifest(tricky.as_bytes()).map(|m| m.len()).ok(),
            Some(1)
        );
    }
}
