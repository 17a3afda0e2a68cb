//! FMT-6: the document `metadata/manifest.json`: [`parse_manifest`] reads it in one pass over
//! the bytes, building each entry as it goes; [`ManifestDoc`] and [`Outputs`] write one.

use super::entry::{BorrowedStr, Interner, Malformed, OutputEntry, RawValue};
use super::manifest::{Manifest, ManifestEntry};
use super::path::check_relpath;
use crate::error::{AirlockError, ErrorCode, Result};
use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserializer, Serialize, Serializer};
use std::fmt;

/// FMT-6: what the user is shown when the manifest is not valid JSON.
pub const MANIFEST_UNREADABLE: &str = "The workspace manifest could not be read";

/// The `outputs` object as parsed: valid entries in manifest order, one message per key that
/// breaks FMT-5 (dropped), and the malformed entries (FMT-7, left out) with the reason.
#[derive(Default)]
pub(super) struct ParsedOutputs {
    pub(super) entries: Vec<ManifestEntry>,
    pub(super) ignored: Vec<String>,
    pub(super) malformed: Vec<(String, Malformed)>,
}

/// Builds [`ManifestEntry`]s straight from the bytes, with a capacity guessed from their length.
struct OutputsVisitor {
    capacity: usize,
}

impl<'de> Visitor<'de> for OutputsVisitor {
    type Value = ParsedOutputs;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of output entries keyed by relative path")
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut outputs = ParsedOutputs {
            entries: Vec::with_capacity(map.size_hint().unwrap_or(self.capacity)),
            ignored: Vec::new(),
            malformed: Vec::new(),
        };
        let mut interner = Interner::default();
        while let Some(BorrowedStr(key)) = map.next_key::<BorrowedStr<'de>>()? {
            if let Err(why) = check_relpath(&key) {
                map.next_value::<IgnoredAny>()?;
                outputs.ignored.push(format!(
                    "ignored output {key:?}: the path is not allowed: {why}"
                ));
                continue;
            }
            let entry = match map.next_value::<RawValue<'de>>()? {
                RawValue::Entry(raw) => raw.into_entry(&mut interner),
                RawValue::NotObject(kind) => Err(format!("the entry is {kind}, not an object")),
            };
            match entry {
                Ok(entry) => outputs
                    .entries
                    .push(ManifestEntry::new(key.into_owned(), entry)),
                Err(why) => outputs.malformed.push((key.into_owned(), why)),
            }
        }
        Ok(outputs)
    }
}

/// Bytes of manifest per output entry, roughly (for the initial capacity).
const BYTES_PER_ENTRY: usize = 400;

/// The top level of `metadata/manifest.json` as parsed (FMT-6).
pub(super) struct ParsedDoc {
    pub(super) workspace: Option<String>,
    /// The object has a `workspace` key (null included).
    pub(super) workspace_key: bool,
    pub(super) outputs: Option<ParsedOutputs>,
    /// How many `outputs` keys the object holds.
    pub(super) outputs_keys: u32,
    /// The last key was `outputs` and its value an object (a split parse checks this).
    pub(super) ends_with_outputs: bool,
}

/// Deserializes [`ParsedDoc`] with the `outputs` capacity hint.
struct DocSeed {
    capacity: usize,
}

/// The `outputs` value: an object of entries, or null (no outputs).
struct OutputsSeed {
    capacity: usize,
}

impl<'de> de::DeserializeSeed<'de> for OutputsSeed {
    type Value = Option<ParsedOutputs>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        struct NullOr(usize);
        impl<'de> Visitor<'de> for NullOr {
            type Value = Option<ParsedOutputs>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of output entries keyed by relative path")
            }
            fn visit_none<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(
                self,
                d: D,
            ) -> std::result::Result<Self::Value, D::Error> {
                d.deserialize_map(OutputsVisitor { capacity: self.0 })
                    .map(Some)
            }
        }
        d.deserialize_option(NullOr(self.capacity))
    }
}

impl<'de> de::DeserializeSeed<'de> for DocSeed {
    type Value = ParsedDoc;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DocSeed {
    type Value = ParsedDoc;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut doc = ParsedDoc {
            workspace: None,
            workspace_key: false,
            outputs: None,
            outputs_keys: 0,
            ends_with_outputs: false,
        };
        while let Some(BorrowedStr(key)) = map.next_key::<BorrowedStr<'de>>()? {
            doc.ends_with_outputs = false;
            match &*key {
                "workspace" => {
                    doc.workspace = map.next_value()?;
                    doc.workspace_key = true;
                }
                "outputs" => {
                    doc.outputs = map.next_value_seed(OutputsSeed {
                        capacity: self.capacity,
                    })?;
                    doc.outputs_keys += 1;
                    doc.ends_with_outputs = doc.outputs.is_some();
                }
                // `repo` is a legacy key, always null; any value, like unknown keys, is ignored.
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(doc)
    }
}

/// FMT-6, FMT-7, FMT-5: parses `metadata/manifest.json`.
///
/// Only bytes that are not JSON, a top level that is not an object and an `outputs` value that
/// is not an object are errors (`internal`, the message naming the position); the reader treats
/// such a manifest as having no outputs and shows [`MANIFEST_UNREADABLE`]. One malformed entry
/// never hides the others: it is left out and reported in [`Manifest::warnings`], and
/// [`Manifest::unreadable_entry`] says why, as for keys that break FMT-5 (ignored) and a missing
/// `outputs` key.
pub fn parse_manifest(bytes: &[u8]) -> Result<Manifest> {
    // A derived struct would also accept a JSON array; the top level must be an object.
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|&b| b != b'{') {
        return Err(AirlockError::with_message(
            ErrorCode::Internal,
            format!("{MANIFEST_UNREADABLE}: the top level is not a JSON object"),
        ));
    }
    let doc = parse_doc(bytes, bytes.len()).map_err(|e| {
        AirlockError::with_message(ErrorCode::Internal, format!("{MANIFEST_UNREADABLE}: {e}"))
    })?;
    Ok(Manifest::from_parsed(doc))
}

/// Parses a whole JSON object with [`DocSeed`], with room for the outputs of `len` bytes.
pub(super) fn parse_doc(bytes: &[u8], len: usize) -> std::result::Result<ParsedDoc, String> {
    // JSON is UTF-8 (RFC 8259 §8.1): checking the whole text at once is much quicker than
    // serde_json checking each string on its own.
    let text = std::str::from_utf8(bytes)
        .map_err(|e| format!("it is not UTF-8 (at byte {})", e.valid_up_to()))?;
    let seed = DocSeed {
        capacity: len / BYTES_PER_ENTRY,
    };
    let mut deserializer = serde_json::Deserializer::from_str(text);
    de::DeserializeSeed::deserialize(seed, &mut deserializer)
        .and_then(|doc| deserializer.end().map(|()| doc))
        .map_err(|e| e.to_string())
}

/// FMT-6: the top level of `metadata/manifest.json`, for writing one (the generator, tests);
/// [`parse_manifest`] reads one.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ManifestDoc {
    /// Workspace name.
    #[serde(default)]
    pub workspace: Option<String>,
    /// Legacy key, always null.
    pub repo: Option<String>,
    /// Every output recorded; `None` when the key is missing or null.
    #[serde(default)]
    pub outputs: Option<Outputs>,
}

/// The `outputs` object in manifest order, for writing a manifest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outputs {
    /// Entries keyed by relative path, in manifest order.
    pub entries: Vec<(String, OutputEntry)>,
}

impl Serialize for Outputs {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for (key, entry) in &self.entries {
            map.serialize_entry(key, entry)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::fake_hash;
    use crate::workspace::testing::*;
    use serde_json::json;

    #[test]
    fn fmt_10_example_parses_in_manifest_order() {
        let m = fmt_10_example();
        assert_eq!(m.workspace(), Some("diabetes-outcomes"));
        let keys: Vec<&str> = m.entries().iter().map(|e| e.relpath()).collect();
        assert_eq!(
            keys,
            [
                "output/dataset.arrow",
                "output/table1.csv",
                "output/big_table.csv",
                "output/old_figure.png"
            ]
        );
        let t1 = m.entry("output/table1.csv").expect("entry");
        assert_eq!(t1.output().row_count, Some(42));
        assert_eq!(t1.output().col_count, Some(5));
        assert!(
            !t1.output().out_of_date_action,
            "FMT-7: missing optional booleans mean false"
        );
        assert_eq!(m.first_repo(), Some("https://example.org/r"));
        assert_eq!(m.latest_output_user(), Some("jsmith"));
        assert!(m.warnings().is_empty(), "{:?}", m.warnings());
    }

    #[test]
    fn fmt_6_not_json_is_an_error() {
        let err = parse_manifest(b"{\"outputs\": {").expect_err("truncated");
        assert!(
            err.message().starts_with(MANIFEST_UNREADABLE),
            "{}",
            err.message()
        );
        assert!(err.message().contains("line 1"), "{}", err.message());
        for bad in [&b""[..], b"\xff\xfe", b"[]", b"42", b"null"] {
            assert!(parse_manifest(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn fmt_6_outputs_must_be_an_object() {
        let err = parse_manifest(br#"{"workspace": "ws", "outputs": []}"#).expect_err("array");
        assert!(
            err.message().contains("an object of output entries"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn fmt_6_missing_outputs_means_none_and_is_reported() {
        let m = parse_manifest(br#"{"workspace": "ws", "repo": "legacy"}"#).expect("parses");
        assert!(m.is_empty());
        assert_eq!(m.warnings().len(), 1);
        let m = parse_manifest(br#"{"outputs": null}"#).expect("parses");
        assert!(m.is_empty());
    }

    #[test]
    fn fmt_5_bad_manifest_keys_are_ignored_and_reported() {
        // Bad keys are dropped even when their value is malformed.
        let doc = json!({"outputs": {
            "../escape.csv": entry("moderately_sensitive", &fake_hash("e")),
            "/abs.csv": 17,
            "out\\win.csv": entry("moderately_sensitive", &fake_hash("w")),
            "out//x.csv": entry("moderately_sensitive", &fake_hash("x")),
            "out/ok.csv": entry("moderately_sensitive", &fake_hash("ok")),
        }});
        let m = parse_manifest(doc.to_string().as_bytes()).expect("parses");
        let keys: Vec<&str> = m.entries().iter().map(|e| e.relpath()).collect();
        assert_eq!(keys, ["out/ok.csv"]);
        assert_eq!(m.warnings().len(), 4, "{:?}", m.warnings());
        assert!(
            m.warnings()[0].contains("\"../escape.csv\""),
            "{:?}",
            m.warnings()
        );
        assert!(
            m.warnings()[0].contains("'..' segment"),
            "{:?}",
            m.warnings()
        );
    }

    proptest::proptest! {
        /// Arbitrary bytes never panic the parser.
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            let _ = parse_manifest(&bytes);
        }
    }
}
