//! Workspace manifests and the workspace file rules (`workspace-format.md` §1–§3, FMT-1 to
//! FMT-10; `behaviour.md` §13, WS-1 to WS-5).
//!
//! Pure: the store reads the manifest bytes and lists the disk; this module parses the manifest,
//! checks paths, decides which files a workspace shows (WS-1), orders them as a tree (WS-2),
//! says which types are allowed (WS-3) and computes each file's status (WS-5).
//!
//! The parsed [`Manifest`] precomputes everything that depends only on the manifest (the lookup
//! index and the WS-2 order of the shown outputs), so that a cached manifest answers a tree with
//! statuses in one linear pass that borrows every path instead of allocating it.

use crate::action::AddCandidate;
use crate::error::{AirlockError, ErrorCode, Result};
use crate::model::FastSet;
use crate::model::{FileType, OutputMeta, RequestFile, RequestState};
use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

/// A sha256 digest as bytes.
pub type Digest = [u8; 32];

/// FMT-6: what the user is shown when the manifest is not valid JSON.
pub const MANIFEST_UNREADABLE: &str = "The workspace manifest could not be read";

/// FMT-3: the directory of the manifest and the job logs.
pub const METADATA_DIR: &str = "metadata";

/// The longest relative path accepted, in bytes.
const MAX_PATH_LEN: usize = 4096;

/// WS-3: the allowed suffixes, compared case-sensitively.
const ALLOWED_SUFFIXES: [&str; 11] = [
    ".csv", ".jpg", ".jpeg", ".png", ".svg", ".svgz", ".html", ".txt", ".log", ".json", ".md",
];

// ---------------------------------------------------------------------------------------------
// Paths (FMT-1, FMT-5) and file types (WS-3)

/// FMT-1: a workspace name used as one path segment. Empty names, names starting with `.` and
/// names containing `/`, `\` or a control character are refused with `not_found`.
pub fn validate_workspace_name(name: &str) -> Result<&str> {
    let bad = name.is_empty()
        || name.starts_with('.')
        || name.len() > 255
        || name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control());
    if bad {
        return Err(AirlockError::with_message(
            ErrorCode::NotFound,
            "That workspace does not exist.",
        ));
    }
    Ok(name)
}

/// Why a relative path breaks FMT-5, or `Ok` when it is acceptable.
fn check_relpath(path: &str) -> std::result::Result<(), &'static str> {
    if path.is_empty() {
        return Err("it is empty");
    }
    if path.len() > MAX_PATH_LEN {
        return Err("it is too long");
    }
    if path.starts_with('/') {
        return Err("it is absolute");
    }
    // One pass over the bytes: C0 controls and DEL are single bytes, and C1 controls
    // (U+0080 to U+009F) are 0xC2 followed by 0x80 to 0x9F.
    let bytes = path.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\\' {
            return Err("it contains a backslash");
        }
        let c1 = b == 0xc2 && bytes.get(i + 1).is_some_and(|n| (0x80..=0x9f).contains(n));
        if b < 0x20 || b == 0x7f || c1 {
            return Err("it contains a control character");
        }
    }
    for segment in path.split('/') {
        match segment {
            "" => return Err("it has an empty segment"),
            "." => return Err("it has a '.' segment"),
            ".." => return Err("it has a '..' segment"),
            _ => {}
        }
    }
    Ok(())
}

/// FMT-5: a relative path with `/` separators and no empty, `.` or `..` segment, no `\`, no
/// leading `/` and no control character (NUL included). Refused with `bad_path`, naming the
/// path and the reason.
pub fn validate_relpath(path: &str) -> Result<String> {
    match check_relpath(path) {
        Ok(()) => Ok(path.to_string()),
        Err(why) => Err(AirlockError::with_message(
            ErrorCode::BadPath,
            format!("The path {path:?} is not allowed: {why}."),
        )),
    }
}

/// Whether a relative path lies under `metadata/` (FMT-3, FIL-4 step 6).
pub fn is_metadata_path(path: &str) -> bool {
    path.strip_prefix(METADATA_DIR)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// WS-3: the file's name does not start with `.` and its last suffix, compared
/// case-sensitively, is one of `.csv .jpg .jpeg .png .svg .svgz .html .txt .log .json .md`.
pub fn is_allowed_file_type(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name.starts_with('.') {
        return false;
    }
    match name.rfind('.') {
        Some(i) => ALLOWED_SUFFIXES.contains(&&name[i..]),
        None => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Digests

/// Parses a 64-character hex sha256 (either case).
pub fn parse_digest(hex: &str) -> Option<Digest> {
    let bytes: &[u8; 64] = hex.as_bytes().try_into().ok()?;
    // Without a branch per character: random hex defeats branch prediction, and a manifest
    // holds one digest per output.
    let mut out = [0u8; 32];
    let mut invalid = 0u8;
    for (byte, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let (high, low) = (HEX_VALUES[pair[0] as usize], HEX_VALUES[pair[1] as usize]);
        invalid |= high | low;
        *byte = (high << 4) | (low & 0x0f);
    }
    (invalid & 0xf0 == 0).then_some(out)
}

/// The value of each hex digit, and 0xff for every other byte.
const HEX_VALUES: [u8; 256] = {
    let mut table = [0xffu8; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

/// The lowercase hex form of a digest.
pub fn digest_hex(digest: &Digest) -> String {
    hex::encode(digest)
}

/// The set of `file_id`s of released request files of one workspace (WS-5 row 2), kept sorted
/// for lookups without hashing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReleasedHashes {
    digests: Vec<Digest>,
    /// The first 8 bytes of each digest, big-endian, in the same (sorted) order.
    prefixes: Vec<u64>,
    /// A bit per top-bits value of the prefixes present: a clear bit proves absence with one
    /// memory read (digests are uniformly distributed, so about 1 in 64 lookups goes further).
    filter: Vec<u64>,
    /// How far a prefix is shifted right to index `filter`.
    filter_shift: u32,
}

fn digest_prefix(digest: &Digest) -> u64 {
    let mut head = [0u8; 8];
    head.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(head)
}

impl ReleasedHashes {
    /// The set of these hex digests; strings that are not sha256 hex are ignored.
    pub fn from_hex<I, S>(hashes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut digests: Vec<Digest> = hashes
            .into_iter()
            .filter_map(|h| parse_digest(h.as_ref()))
            .collect();
        digests.sort_unstable();
        digests.dedup();
        let prefixes: Vec<u64> = digests.iter().map(digest_prefix).collect();
        // At least 64 bits per digest, a power of two, at least one word.
        let bits = (prefixes.len() * 64).next_power_of_two().max(64);
        let filter_shift = 64 - bits.trailing_zeros();
        let mut filter = vec![0u64; bits / 64];
        for &prefix in &prefixes {
            let bit = (prefix >> filter_shift) as usize;
            filter[bit / 64] |= 1 << (bit % 64);
        }
        ReleasedHashes {
            digests,
            prefixes,
            filter,
            filter_shift,
        }
    }

    /// False when no released digest starts with `prefix` (never false for one that does).
    fn may_contain_prefix(&self, prefix: u64) -> bool {
        if self.prefixes.is_empty() {
            return false;
        }
        let bit = (prefix >> self.filter_shift) as usize;
        self.filter
            .get(bit / 64)
            .is_some_and(|word| word & (1 << (bit % 64)) != 0)
    }

    /// Whether the digest was released: a search over integers, then one full comparison.
    pub fn contains(&self, digest: &Digest) -> bool {
        let prefix = digest_prefix(digest);
        if !self.may_contain_prefix(prefix) {
            return false;
        }
        let start = self.prefixes.partition_point(|&p| p < prefix);
        self.prefixes[start..]
            .iter()
            .take_while(|&&p| p == prefix)
            .zip(&self.digests[start..])
            .any(|(_, d)| d == digest)
    }

    /// The released digests, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &Digest> {
        self.digests.iter()
    }

    /// Whether the hex digest was released.
    pub fn contains_hex(&self, hex: &str) -> bool {
        parse_digest(hex).is_some_and(|d| self.contains(&d))
    }

    /// Number of distinct released digests.
    pub fn len(&self) -> usize {
        self.digests.len()
    }

    /// Whether nothing was released.
    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }
}

// ---------------------------------------------------------------------------------------------
// Serde types of `metadata/manifest.json` (FMT-6, FMT-7)

/// FMT-7: the privacy level of an output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Level {
    /// Shown by the workspace.
    #[serde(rename = "moderately_sensitive")]
    ModeratelySensitive,
    /// Listed but never shown.
    #[serde(rename = "highly_sensitive")]
    HighlySensitive,
    /// Any other value: never shown.
    #[serde(other, rename = "unknown")]
    Unknown,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// FMT-7: one output entry of the manifest. Unknown fields are ignored; missing optional
/// booleans (and `excluded`) mean false. The values that many entries repeat (job, action,
/// user, repository, commit) are shared strings, stored once per parsed manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputEntry {
    /// Privacy level.
    pub level: Level,
    /// Id of the job that wrote it.
    pub job_id: Arc<str>,
    /// Id of the job request (not used).
    #[serde(default)]
    pub job_request: Option<Arc<str>>,
    /// Action name (not used).
    #[serde(default)]
    pub action: Option<Arc<str>>,
    /// Username of whoever started the job.
    #[serde(default)]
    pub user: Option<Arc<str>>,
    /// Git URL of the study repository.
    pub repo: Arc<str>,
    /// Git commit of the study.
    pub commit: Arc<str>,
    /// Size in bytes of the output.
    pub size: i64,
    /// Modification time, seconds since the Unix epoch.
    pub timestamp: f64,
    /// Lowercase hex sha256 of the output's bytes.
    pub content_hash: String,
    /// The output was withheld; its message file is `<relpath>.txt` (FMT-8).
    #[serde(default)]
    pub excluded: bool,
    /// Why it was excluded (not used).
    #[serde(default)]
    pub message: Option<String>,
    /// Data rows of a CSV output.
    #[serde(default)]
    pub row_count: Option<i64>,
    /// Columns of a CSV output.
    #[serde(default)]
    pub col_count: Option<i64>,
    /// The action is no longer in the pipeline (WS-4).
    #[serde(default, skip_serializing_if = "is_false")]
    pub out_of_date_action: bool,
    /// An older output of an action that no longer writes this path: never shown.
    #[serde(default, skip_serializing_if = "is_false")]
    pub out_of_date_output: bool,
}

impl OutputEntry {
    /// The metadata copied onto a request file at add time (FIL-1).
    pub fn meta(&self) -> OutputMeta {
        OutputMeta {
            timestamp: self.timestamp,
            size: self.size,
            job_id: self.job_id.to_string(),
            commit: self.commit.to_string(),
            repo: self.repo.to_string(),
            row_count: self.row_count,
            col_count: self.col_count,
        }
    }

    /// WS-1 item 1: a moderately sensitive output that is not an out-of-date output.
    pub fn is_listed(&self) -> bool {
        self.level == Level::ModeratelySensitive && !self.out_of_date_output
    }
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

/// Stores each distinct repeated value of a manifest once (FMT-7 entries repeat their job,
/// action, user, repository and commit).
#[derive(Default)]
struct Interner(FastSet<Arc<str>>);

impl Interner {
    fn get(&mut self, value: &str) -> Arc<str> {
        if let Some(shared) = self.0.get(value) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(value);
        self.0.insert(Arc::clone(&shared));
        shared
    }

    fn get_opt(&mut self, value: Option<Cow<'_, str>>) -> Option<Arc<str>> {
        value.map(|v| self.get(&v))
    }
}

/// A JSON value of an entry's field as it lies in the manifest bytes: strings are borrowed
/// unless they hold an escape, so parsing allocates only what the parsed entry keeps. Any JSON
/// value parses, so that one malformed entry never stops the parse of the others.
#[derive(Debug)]
enum Scalar<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Cow<'a, str>),
    /// An array, an object or an integer too large for `i64`: named for the error message.
    Other(&'static str),
}

impl Scalar<'_> {
    /// What the value is, for an error message.
    fn kind(&self) -> &'static str {
        match self {
            Scalar::Null => "null",
            Scalar::Bool(_) => "a boolean",
            Scalar::Int(_) => "an integer",
            Scalar::Float(_) => "a number",
            Scalar::Str(_) => "a string",
            Scalar::Other(kind) => kind,
        }
    }
}

/// Accepts any JSON value as a [`Scalar`], draining arrays and objects.
struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Self::Value, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Self::Value, E> {
        Ok(Scalar::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Self::Value, E> {
        Ok(i64::try_from(v).map_or(Scalar::Other("an integer too large"), Scalar::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Self::Value, E> {
        Ok(Scalar::Float(v))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> std::result::Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v.to_string())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v)))
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(Scalar::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other("an array"))
    }
    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other("an object"))
    }
}

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

/// The fields of an output entry as found (FMT-7); `None` when absent. Unknown fields are
/// skipped.
#[derive(Default)]
struct RawEntry<'a> {
    level: Option<Scalar<'a>>,
    job_id: Option<Scalar<'a>>,
    job_request: Option<Scalar<'a>>,
    action: Option<Scalar<'a>>,
    user: Option<Scalar<'a>>,
    repo: Option<Scalar<'a>>,
    commit: Option<Scalar<'a>>,
    size: Option<Scalar<'a>>,
    timestamp: Option<Scalar<'a>>,
    content_hash: Option<Scalar<'a>>,
    excluded: Option<Scalar<'a>>,
    message: Option<Scalar<'a>>,
    row_count: Option<Scalar<'a>>,
    col_count: Option<Scalar<'a>>,
    out_of_date_action: Option<Scalar<'a>>,
    out_of_date_output: Option<Scalar<'a>>,
}

/// An entry's value: its fields, or what it was instead of an object.
enum RawValue<'a> {
    Entry(Box<RawEntry<'a>>),
    NotObject(&'static str),
}

struct RawValueVisitor;

impl<'de> Visitor<'de> for RawValueVisitor {
    type Value = RawValue<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an output entry")
    }
    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut raw = RawEntry::default();
        while let Some(BorrowedStr(key)) = map.next_key::<BorrowedStr<'de>>()? {
            let slot = match &*key {
                "level" => &mut raw.level,
                "job_id" => &mut raw.job_id,
                "job_request" => &mut raw.job_request,
                "action" => &mut raw.action,
                "user" => &mut raw.user,
                "repo" => &mut raw.repo,
                "commit" => &mut raw.commit,
                "size" => &mut raw.size,
                "timestamp" => &mut raw.timestamp,
                "content_hash" => &mut raw.content_hash,
                "excluded" => &mut raw.excluded,
                "message" => &mut raw.message,
                "row_count" => &mut raw.row_count,
                "col_count" => &mut raw.col_count,
                "out_of_date_action" => &mut raw.out_of_date_action,
                "out_of_date_output" => &mut raw.out_of_date_output,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            *slot = Some(map.next_value::<Scalar<'de>>()?);
        }
        Ok(RawValue::Entry(Box::new(raw)))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(
        self,
        seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        ScalarVisitor
            .visit_seq(seq)
            .map(|s| RawValue::NotObject(s.kind()))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Self::Value, E> {
        Ok(RawValue::NotObject("a boolean"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Self::Value, E> {
        Ok(RawValue::NotObject("a number"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Self::Value, E> {
        Ok(RawValue::NotObject("a number"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Self::Value, E> {
        Ok(RawValue::NotObject("a number"))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<Self::Value, E> {
        Ok(RawValue::NotObject("a string"))
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(RawValue::NotObject("null"))
    }
}

impl<'de> Deserialize<'de> for RawValue<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(RawValueVisitor)
    }
}

/// Why an entry cannot be used.
type Malformed = String;

fn wrong_type(field: &str, found: &Scalar<'_>, expected: &str) -> Malformed {
    format!("`{field}` is {}, not {expected}", found.kind())
}

/// A string field that may be missing or null (FMT-7 "may be missing or null").
fn optional_str<'a>(
    field: &str,
    value: Option<Scalar<'a>>,
) -> std::result::Result<Option<Cow<'a, str>>, Malformed> {
    match value {
        None | Some(Scalar::Null) => Ok(None),
        Some(Scalar::Str(s)) => Ok(Some(s)),
        Some(other) => Err(wrong_type(field, &other, "a string")),
    }
}

/// A boolean that may be missing or null (false).
fn optional_bool(field: &str, value: Option<Scalar<'_>>) -> std::result::Result<bool, Malformed> {
    match value {
        None | Some(Scalar::Null) => Ok(false),
        Some(Scalar::Bool(b)) => Ok(b),
        Some(other) => Err(wrong_type(field, &other, "true or false")),
    }
}

/// An integer that may be missing or null.
fn optional_int(
    field: &str,
    value: Option<Scalar<'_>>,
) -> std::result::Result<Option<i64>, Malformed> {
    match value {
        None | Some(Scalar::Null) => Ok(None),
        Some(Scalar::Int(n)) => Ok(Some(n)),
        Some(other) => Err(wrong_type(field, &other, "an integer")),
    }
}

/// A field a shown entry cannot do without.
fn required<T>(
    field: &str,
    value: std::result::Result<Option<T>, Malformed>,
) -> std::result::Result<T, Malformed> {
    value?.ok_or_else(|| format!("`{field}` is missing"))
}

/// An unused field (FMT-7 "not used"): kept when it is a string, dropped otherwise.
fn unused_str(value: Option<Scalar<'_>>) -> Option<Cow<'_, str>> {
    match value {
        Some(Scalar::Str(s)) => Some(s),
        _ => None,
    }
}

fn level_of(value: Option<&Scalar<'_>>) -> Option<Level> {
    match value {
        Some(Scalar::Str(s)) => Some(match &**s {
            "moderately_sensitive" => Level::ModeratelySensitive,
            "highly_sensitive" => Level::HighlySensitive,
            _ => Level::Unknown,
        }),
        _ => None,
    }
}

impl RawEntry<'_> {
    /// FMT-7: the entry, or why it cannot be used. An entry that is never shown (its level is
    /// not `moderately_sensitive`, or it is an out-of-date output) needs nothing but `level`;
    /// the other fields are taken when they have their type and ignored otherwise. A shown
    /// entry needs `size`, `timestamp` and a 64-hex `content_hash`; every other field may be
    /// missing or null (unknown `job_id`, `repo` and `commit` are empty).
    fn into_entry(self, interner: &mut Interner) -> std::result::Result<OutputEntry, Malformed> {
        let Some(level) = level_of(self.level.as_ref()) else {
            return Err(match &self.level {
                None => "`level` is missing".to_string(),
                Some(other) => wrong_type("level", other, "a string"),
            });
        };
        let out_of_date_output = matches!(self.out_of_date_output, Some(Scalar::Bool(true)));
        if level != Level::ModeratelySensitive || out_of_date_output {
            return Ok(self.lenient(level, interner));
        }
        let size = required("size", optional_int("size", self.size))?;
        let timestamp = match self.timestamp {
            Some(Scalar::Int(n)) => n as f64,
            Some(Scalar::Float(f)) => f,
            None | Some(Scalar::Null) => return Err("`timestamp` is missing".to_string()),
            Some(other) => return Err(wrong_type("timestamp", &other, "a number")),
        };
        let content_hash = required(
            "content_hash",
            optional_str("content_hash", self.content_hash),
        )?;
        if parse_digest(&content_hash).is_none() {
            return Err(format!(
                "`content_hash` is {:?}, not a 64-character hex sha256",
                truncated(&content_hash)
            ));
        }
        let unknown = |v: Option<Cow<'_, str>>, i: &mut Interner| i.get(v.as_deref().unwrap_or(""));
        let job_id = optional_str("job_id", self.job_id)?;
        let repo = optional_str("repo", self.repo)?;
        let commit = optional_str("commit", self.commit)?;
        let user = optional_str("user", self.user)?;
        Ok(OutputEntry {
            level,
            job_id: unknown(job_id, interner),
            job_request: interner.get_opt(unused_str(self.job_request)),
            action: interner.get_opt(unused_str(self.action)),
            user: interner.get_opt(user),
            repo: unknown(repo, interner),
            commit: unknown(commit, interner),
            size,
            timestamp,
            content_hash: content_hash.into_owned(),
            excluded: optional_bool("excluded", self.excluded)?,
            message: unused_str(self.message).map(Cow::into_owned),
            row_count: optional_int("row_count", self.row_count)?,
            col_count: optional_int("col_count", self.col_count)?,
            out_of_date_action: optional_bool("out_of_date_action", self.out_of_date_action)?,
            out_of_date_output: false,
        })
    }

    /// An entry that is never shown: what has its type is kept, the rest is empty.
    fn lenient(self, level: Level, interner: &mut Interner) -> OutputEntry {
        let text =
            |v: Option<Scalar<'_>>, i: &mut Interner| i.get(unused_str(v).as_deref().unwrap_or(""));
        let int = |v: Option<Scalar<'_>>| match v {
            Some(Scalar::Int(n)) => Some(n),
            _ => None,
        };
        let flag = |v: Option<Scalar<'_>>| matches!(v, Some(Scalar::Bool(true)));
        OutputEntry {
            level,
            job_id: text(self.job_id, interner),
            job_request: interner.get_opt(unused_str(self.job_request)),
            action: interner.get_opt(unused_str(self.action)),
            user: interner.get_opt(unused_str(self.user)),
            repo: text(self.repo, interner),
            commit: text(self.commit, interner),
            size: int(self.size).unwrap_or(0),
            timestamp: match self.timestamp {
                Some(Scalar::Int(n)) => n as f64,
                Some(Scalar::Float(f)) => f,
                _ => 0.0,
            },
            content_hash: unused_str(self.content_hash)
                .map(Cow::into_owned)
                .unwrap_or_default(),
            excluded: flag(self.excluded),
            message: unused_str(self.message).map(Cow::into_owned),
            row_count: int(self.row_count),
            col_count: int(self.col_count),
            out_of_date_action: flag(self.out_of_date_action),
            out_of_date_output: flag(self.out_of_date_output),
        }
    }
}

/// At most 80 characters of a value quoted in a message.
fn truncated(value: &str) -> String {
    match value.char_indices().nth(80) {
        Some((at, _)) => format!("{}…", &value[..at]),
        None => value.to_string(),
    }
}

/// A JSON string borrowed from the input when it holds no escape.
#[derive(Deserialize)]
struct BorrowedStr<'a>(#[serde(borrow)] Cow<'a, str>);

/// The `outputs` object as parsed: valid entries in manifest order, one message per key that
/// breaks FMT-5 (dropped), and the malformed entries (FMT-7, left out) with the reason.
#[derive(Default)]
struct ParsedOutputs {
    entries: Vec<ManifestEntry>,
    ignored: Vec<String>,
    malformed: Vec<(String, Malformed)>,
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
struct ParsedDoc {
    workspace: Option<String>,
    /// The object has a `workspace` key (null included).
    workspace_key: bool,
    outputs: Option<ParsedOutputs>,
    /// How many `outputs` keys the object holds.
    outputs_keys: u32,
    /// The last key was `outputs` and its value an object (a split parse checks this).
    ends_with_outputs: bool,
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

// ---------------------------------------------------------------------------------------------
// The parsed manifest

/// One valid output entry with what the rules derive from it.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestEntry {
    relpath: String,
    output: OutputEntry,
    message_path: Option<String>,
    digest: Option<Digest>,
    allowed_type: bool,
    /// Byte offset of the last segment of the shown path.
    name_start: u32,
}

impl ManifestEntry {
    fn new(relpath: String, output: OutputEntry) -> Self {
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
struct ShownNode {
    /// The entry's index.
    entry: u32,
    /// The shown path: byte range in `Manifest::shown_paths`.
    path_start: u32,
    path_end: u32,
    /// Byte offset of the last segment within the shown path.
    name_start: u32,
    /// Identifies the parent directory of the shown path among shown entries.
    parent_id: u32,
    allowed_type: bool,
    out_of_date_action: bool,
    message: bool,
}

/// A parsed manifest: the valid entries in manifest order, a lookup index by path, and the WS-2
/// order of the shown outputs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Manifest {
    workspace: Option<String>,
    entries: Vec<ManifestEntry>,
    /// (hash of the relpath, entry index), sorted: a lookup compares integers in one
    /// contiguous array and one path at the end.
    by_path: Vec<(u64, u32)>,
    /// Indices of listed entries in WS-2 order of their shown paths, one per shown path.
    shown: Vec<u32>,
    /// What the tree needs of each shown entry, in the same order and contiguous, so that
    /// building a tree walks memory sequentially instead of visiting each large entry.
    shown_nodes: Vec<ShownNode>,
    /// The shown paths, concatenated in WS-2 order (`ShownNode::path` indexes it).
    shown_paths: String,
    /// Indices into `shown_nodes` of the message files of excluded outputs.
    shown_messages: Vec<u32>,
    /// The tree of the shown outputs, built on first use, without and with out-of-date ones.
    skeletons: SkeletonCache,
    out_of_date: usize,
    warnings: Vec<String>,
    /// The malformed entries (FMT-7): (manifest key, why), sorted by key.
    malformed: Vec<(String, Malformed)>,
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
fn parse_doc(bytes: &[u8], len: usize) -> std::result::Result<ParsedDoc, String> {
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

// ---------------------------------------------------------------------------------------------
// Parsing a large manifest on two threads

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
/// parses the whole manifest with [`parse_manifest`], which names the error). `whole_len`, the
/// length of the whole manifest, sizes the entries of the first part to hold the second's too.
pub fn parse_manifest_part(bytes: &[u8], whole_len: usize) -> Option<ManifestPart> {
    parse_doc(bytes, whole_len).ok().map(ManifestPart)
}

/// Joins the two parts of a split manifest into the manifest [`parse_manifest`] would give for
/// the whole, or `None` when the split was not between two output entries.
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

/// Byte offset of the last segment of a path.
fn name_start(path: &str) -> u32 {
    path.rfind('/')
        .map_or(0, |i| u32::try_from(i + 1).unwrap_or(0))
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
fn ws2_sorted<'a, T>(items: impl Iterator<Item = (&'a str, T)>) -> Vec<T>
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
    fn from_parsed(doc: ParsedDoc) -> Self {
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

    fn index_of(&self, relpath: &str) -> Option<u32> {
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
    /// and hash the caller supplies in [`DiskFiles`].
    pub fn message_paths(&self) -> impl Iterator<Item = &str> {
        self.shown_messages
            .iter()
            .filter_map(|&i| self.shown_nodes.get(i as usize))
            .filter_map(|n| {
                self.shown_paths
                    .get(n.path_start as usize..n.path_end as usize)
            })
    }

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

    /// The tree of the shown outputs for this out-of-date choice, built once.
    fn skeleton(&self, show_out_of_date: bool) -> &Skeleton {
        self.skeletons.0[usize::from(show_out_of_date)]
            .get_or_init(|| Skeleton::build(self, show_out_of_date))
    }

    /// WS-5 for every file of the skeleton. Most files are UNRELEASED; only those on the
    /// current request, those whose hash was released and message files are looked at.
    fn skeleton_statuses(
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

/// An entry as WS-1 shows it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShownEntry<'a> {
    /// The manifest entry.
    pub entry: &'a ManifestEntry,
    /// The shown path is the entry's message file (FMT-8), not the output.
    pub message: bool,
}

// ---------------------------------------------------------------------------------------------
// Files found on disk (FMT-3, FMT-8)

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
    files: Vec<DiskFile>,
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

    fn metadata_in_tree_order(&self) -> Vec<&DiskFile> {
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

// ---------------------------------------------------------------------------------------------
// WS-5

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
fn disk_status(
    on_request: &RequestPaths<'_>,
    released: &ReleasedHashes,
    relpath: &str,
    hash: Option<&Digest>,
) -> WorkspaceFileStatus {
    workspace_file_status(true, hash, released, on_request.get(relpath))
}

/// The current request's files by path, for lookups by path.
struct RequestPaths<'r>(Vec<(&'r str, &'r RequestFile)>);

impl<'r> RequestPaths<'r> {
    fn new(current: Option<&'r RequestState>) -> Self {
        let mut paths: Vec<(&str, &RequestFile)> = current
            .map(|s| s.files.iter().map(|f| (f.relpath.as_str(), f)).collect())
            .unwrap_or_default();
        paths.sort_unstable_by_key(|&(path, _)| path);
        RequestPaths(paths)
    }

    fn get(&self, relpath: &str) -> Option<&'r RequestFile> {
        self.0
            .binary_search_by_key(&relpath, |&(path, _)| path)
            .ok()
            .map(|at| self.0[at].1)
    }
}

// ---------------------------------------------------------------------------------------------
// WS-2 tree

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

    fn subtree_end(&self, index: usize) -> usize {
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

/// The manifest part of a tree, built once per manifest and out-of-date choice.
#[derive(Debug, Default, PartialEq)]
struct Skeleton {
    nodes: Vec<SkelNode>,
    /// Number of file nodes.
    files: usize,
    /// Node indices of message files.
    messages: Vec<u32>,
    /// (entry index, node index) of outputs shown at their own path, sorted.
    by_entry: Vec<(u32, u32)>,
    /// (manifest hash, node index) of those outputs with a valid hash, sorted.
    by_digest: Vec<(Digest, u32)>,
}

/// One node of a [`Skeleton`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SkelNode {
    /// The path: a byte range of `Manifest::shown_paths` (a directory's path is a prefix of
    /// its first file's).
    path_start: u32,
    path_end: u32,
    /// Byte offset of the last segment within the path.
    name_start: u32,
    depth: u32,
    /// A directory: one past its last descendant (skeleton index).
    end: u32,
    /// A file: its index in `Manifest::shown_nodes`; `u32::MAX` for a directory.
    shown: u32,
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
    fn path<'m>(&self, manifest: &'m Manifest, node: u32) -> &'m str {
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
struct SkeletonCache([std::sync::OnceLock<Skeleton>; 2]);

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

/// Builds the pre-order node list from file paths given in WS-2 order.
struct TreeBuilder<'a> {
    nodes: Vec<TreeNode<'a>>,
    layout: Layout<'a>,
}

impl<'a> TreeBuilder<'a> {
    fn with_capacity(capacity: usize) -> Self {
        TreeBuilder {
            nodes: Vec::with_capacity(capacity),
            layout: Layout::default(),
        }
    }

    /// Adds a file; `parent_id` identifies its parent directory (`u32::MAX`: unknown).
    fn push_file(&mut self, path: &'a str, name_start: u32, parent_id: u32, file: TreeFile<'a>) {
        let depth = self.layout.enter(&mut self.nodes, path, parent_id);
        self.nodes.push(TreeNode {
            path,
            name_start,
            depth,
            kind: NodeKind::File(file),
        });
    }

    fn finish(mut self) -> Vec<TreeNode<'a>> {
        self.layout.close_to(&mut self.nodes, 0);
        self.nodes
    }
}

/// Where a [`Layout`] writes directory nodes.
trait DirSink<'p> {
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

/// Lays out file paths given in WS-2 order as a pre-order tree: before each file, opens the
/// directories on its path and closes the open ones that do not prefix it.
#[derive(Default)]
struct Layout<'p> {
    /// Open directories: node index and full path.
    open: Vec<(usize, &'p str)>,
    /// Parent directory id of the last file (`None` before the first).
    last_parent: Option<u32>,
}

impl<'p> Layout<'p> {
    /// Opens the directories of `path` and returns the depth of the file itself.
    /// `parent_id` identifies the file's parent directory (`u32::MAX`: unknown); a file in the
    /// same directory as the previous one (most files are) skips the walk.
    fn enter(&mut self, sink: &mut impl DirSink<'p>, path: &'p str, parent_id: u32) -> u32 {
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
    fn close_to(&mut self, sink: &mut impl DirSink<'p>, depth: usize) {
        let end = sink.len() as u32;
        while self.open.len() > depth {
            if let Some((index, _)) = self.open.pop() {
                sink.end_dir(index, end);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// FIL-4 input

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
    use crate::model::FileType;
    use crate::testkit::{empty_request, fake_hash, file};
    use serde_json::{Value, json};

    static NO_DISK: DiskFiles = DiskFiles { files: Vec::new() };

    fn entry(level: &str, hash: &str) -> Value {
        json!({
            "level": level, "job_id": "job1", "job_request": "jr1", "action": "make",
            "user": "jsmith", "repo": "https://example.org/r", "commit": "c0ffee",
            "size": 10, "timestamp": 1700000000.5, "content_hash": hash,
            "excluded": false, "message": null, "row_count": null, "col_count": null
        })
    }

    fn ms(path: &str) -> (String, Value) {
        (
            path.to_string(),
            entry("moderately_sensitive", &fake_hash(path)),
        )
    }

    fn manifest_of(outputs: Vec<(String, Value)>) -> Manifest {
        let mut map = serde_json::Map::new();
        for (k, v) in outputs {
            map.insert(k, v);
        }
        let doc = json!({"workspace": "ws", "repo": null, "outputs": map});
        parse_manifest(doc.to_string().as_bytes()).expect("valid manifest")
    }

    fn with(mut v: Value, key: &str, value: Value) -> Value {
        v[key] = value;
        v
    }

    fn disk(paths: &[&str]) -> DiskFiles {
        DiskFiles::new(
            paths
                .iter()
                .map(|p| DiskFile {
                    relpath: p.to_string(),
                    size: 3,
                    modified: 1.0,
                    sha256: parse_digest(&fake_hash(p)),
                })
                .collect(),
        )
    }

    fn shown_paths(tree: &WorkspaceTree<'_>) -> Vec<String> {
        tree.files().map(|(n, _)| n.path.to_string()).collect()
    }

    /// The FMT-10 example of `workspace-format.md`.
    fn fmt_10_example() -> Manifest {
        let doc = json!({
            "workspace": "diabetes-outcomes",
            "repo": null,
            "outputs": {
                "output/dataset.arrow": entry("highly_sensitive", &fake_hash("arrow")),
                "output/table1.csv": with(with(entry("moderately_sensitive", &fake_hash("t1")),
                    "row_count", json!(42)), "col_count", json!(5)),
                "output/big_table.csv": with(entry("moderately_sensitive", &fake_hash("big")),
                    "excluded", json!(true)),
                "output/old_figure.png": with(entry("moderately_sensitive", &fake_hash("old")),
                    "out_of_date_action", json!(true)),
            }
        });
        parse_manifest(doc.to_string().as_bytes()).expect("example parses")
    }

    #[test]
    fn fmt_5_rejects_bad_paths() {
        let bad = [
            "",
            "/etc/passwd",
            "../secret.csv",
            "output/../../x.csv",
            "output/./x.csv",
            ".",
            "..",
            "output//x.csv",
            "output/",
            "output\\x.csv",
            "output/x\0.csv",
            "output/x\n.csv",
        ];
        for path in bad {
            let err = validate_relpath(path).expect_err(path);
            assert_eq!(err.error_code(), ErrorCode::BadPath, "{path:?}");
            assert!(
                err.message().contains("is not allowed"),
                "{}",
                err.message()
            );
        }
        let long = "a/".repeat(3000) + "b.csv";
        assert!(validate_relpath(&long).is_err());
    }

    #[test]
    fn fmt_5_accepts_good_paths() {
        for path in [
            "a.csv",
            "output/table 1.csv",
            "output/..hidden/x",
            "output/x..csv",
            "é/ü.csv",
        ] {
            assert_eq!(validate_relpath(path).as_deref(), Ok(path));
        }
    }

    #[test]
    fn fmt_1_workspace_names() {
        for bad in ["", ".hidden", "..", "a/b", "a\\b", "a\u{7}b", "a\0"] {
            let err = validate_workspace_name(bad).expect_err(bad);
            assert_eq!(err.error_code(), ErrorCode::NotFound);
        }
        assert_eq!(
            validate_workspace_name("diabetes-outcomes"),
            Ok("diabetes-outcomes")
        );
    }

    #[test]
    fn ws_3_allowed_file_types() {
        let allowed = [
            "a.csv",
            "d/a.jpg",
            "a.jpeg",
            "a.png",
            "a.svg",
            "a.svgz",
            "a.html",
            "a.txt",
            "a.log",
            "a.json",
            "a.md",
            "a.tar.csv",
            "x/.y/a.csv",
        ];
        for path in allowed {
            assert!(is_allowed_file_type(path), "{path}");
        }
        let refused = [
            "a.CSV", "a.csv.gz", ".csv", "d/.a.csv", "a", "a.", "a.arrow", "a.rds", "a.csv/",
            "a.yaml", "a.htm",
        ];
        for path in refused {
            assert!(!is_allowed_file_type(path), "{path}");
        }
    }

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
    fn ws_1_fmt_10_shown_set() {
        let m = fmt_10_example();
        let d = disk(&[
            "metadata/manifest.json",
            "metadata/make_tables.log",
            "output/big_table.csv.txt",
        ]);
        let hidden = m.tree(&d, TreeOptions::default(), None, &ReleasedHashes::default());
        assert_eq!(
            shown_paths(&hidden),
            [
                "metadata/make_tables.log",
                "metadata/manifest.json",
                "output/big_table.csv.txt",
                "output/table1.csv"
            ]
        );
        assert_eq!(hidden.out_of_date_count, 1);
        let shown = m.tree(
            &d,
            TreeOptions {
                show_out_of_date: true,
            },
            None,
            &ReleasedHashes::default(),
        );
        assert_eq!(
            shown_paths(&shown),
            [
                "metadata/make_tables.log",
                "metadata/manifest.json",
                "output/big_table.csv.txt",
                "output/old_figure.png",
                "output/table1.csv"
            ]
        );
        assert!(
            m.shown_entry("output/dataset.arrow", true).is_none(),
            "highly sensitive never shown"
        );
        assert!(
            m.shown_entry("output/big_table.csv", true).is_none(),
            "excluded output not shown"
        );
        let message = m
            .shown_entry("output/big_table.csv.txt", false)
            .expect("message file");
        assert!(message.message);
        assert!(m.shown_entry("output/old_figure.png", false).is_none());
        assert!(
            m.shown_entry("output/old_figure.png", true).is_some(),
            "WS-4: present for actions"
        );
    }

    #[test]
    fn ws_1_out_of_date_output_never_shown() {
        let m = manifest_of(vec![(
            "a/x.csv".into(),
            with(
                entry("moderately_sensitive", &fake_hash("x")),
                "out_of_date_output",
                json!(true),
            ),
        )]);
        assert!(m.shown_entry("a/x.csv", true).is_none());
        let d = DiskFiles::default();
        let tree = m.tree(
            &d,
            TreeOptions {
                show_out_of_date: true,
            },
            None,
            &ReleasedHashes::default(),
        );
        assert!(tree.is_empty(), "no file, so no directory either");
    }

    #[test]
    fn ws_1_manifest_entries_under_metadata_come_from_disk_only() {
        let m = manifest_of(vec![ms("metadata/odd.csv"), ms("out/a.csv")]);
        let tree = m.tree(
            &NO_DISK,
            TreeOptions::default(),
            None,
            &ReleasedHashes::default(),
        );
        assert_eq!(shown_paths(&tree), ["out/a.csv"]);
    }

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
    fn fmt_7_a_malformed_shown_entry_is_left_out_with_its_reason() {
        let good = entry("moderately_sensitive", &fake_hash("g"));
        let without = |field: &str| {
            let mut e = good.clone();
            e.as_object_mut().map(|o| o.remove(field));
            e
        };
        let cases: Vec<(Value, &str)> = vec![
            (
                with(good.clone(), "size", json!("big")),
                "`size` is a string, not an integer",
            ),
            (
                with(good.clone(), "size", json!(1.5)),
                "`size` is a number, not an integer",
            ),
            (without("size"), "`size` is missing"),
            (with(good.clone(), "size", Value::Null), "`size` is missing"),
            (without("timestamp"), "`timestamp` is missing"),
            (
                with(good.clone(), "timestamp", json!("noon")),
                "`timestamp` is a string, not a number",
            ),
            (without("content_hash"), "`content_hash` is missing"),
            (
                with(good.clone(), "content_hash", json!("content")),
                "`content_hash` is \"content\", not a 64-character hex sha256",
            ),
            (
                with(good.clone(), "content_hash", json!(7)),
                "`content_hash` is an integer, not a string",
            ),
            (
                with(good.clone(), "job_id", json!(["j"])),
                "`job_id` is an array, not a string",
            ),
            (
                with(good.clone(), "excluded", json!("no")),
                "`excluded` is a string, not true or false",
            ),
            (
                with(good.clone(), "row_count", json!({})),
                "`row_count` is an object, not an integer",
            ),
            (without("level"), "`level` is missing"),
            (
                json!("just a string"),
                "the entry is a string, not an object",
            ),
            (
                json!([1, {"a": [2]}]),
                "the entry is an array, not an object",
            ),
        ];
        for (bad, why) in cases {
            let m = manifest_of(vec![
                ("out/a.csv".into(), good.clone()),
                ("out/bad.csv".into(), bad.clone()),
                ("out/z.csv".into(), good.clone()),
            ]);
            assert_eq!(m.len(), 2, "{bad}");
            assert!(m.entry("out/bad.csv").is_none(), "{bad}");
            assert!(m.shown_entry("out/a.csv", false).is_some(), "{bad}");
            assert!(m.shown_entry("out/z.csv", false).is_some(), "{bad}");
            assert_eq!(m.unreadable_entry("out/bad.csv"), Some(why), "{bad}");
            assert_eq!(m.unreadable_entry("out/bad.csv.txt"), Some(why), "{bad}");
            assert_eq!(m.unreadable_entry("out/a.csv"), None);
            assert_eq!(
                m.warnings(),
                [format!("output \"out/bad.csv\" is left out: {why}")],
                "logged once, with the reason"
            );
            let candidate = add_candidate(&m, "out/bad.csv", false, &ReleasedHashes::default());
            assert!(!candidate.shown);
            assert!(
                candidate
                    .unreadable
                    .as_deref()
                    .is_some_and(|m| m.contains("out/bad.csv") && m.contains(why)),
                "{candidate:?}"
            );
        }
    }

    #[test]
    fn fmt_7_fields_that_are_copied_or_unused_may_be_missing_or_null() {
        for field in [
            "job_request",
            "action",
            "user",
            "message",
            "row_count",
            "col_count",
            "job_id",
            "repo",
            "commit",
            "excluded",
        ] {
            let base = entry("moderately_sensitive", &fake_hash("a"));
            let mut missing = base.clone();
            missing.as_object_mut().map(|o| o.remove(field));
            let null = with(base, field, Value::Null);
            for value in [missing, null] {
                let m = manifest_of(vec![("out/a.csv".into(), value.clone())]);
                let shown = m.shown_entry("out/a.csv", false);
                assert!(shown.is_some(), "{field}: {value}");
                assert!(m.warnings().is_empty(), "{field}: {:?}", m.warnings());
            }
        }
        // Unknown copied fields are recorded as unknown (empty).
        let bare = json!({"level": "moderately_sensitive", "size": 3, "timestamp": 17,
                          "content_hash": fake_hash("b")});
        let m = manifest_of(vec![("out/b.csv".into(), bare)]);
        let meta = m
            .entry("out/b.csv")
            .map(|e| e.output().meta())
            .expect("entry");
        assert_eq!(
            (
                meta.job_id.as_str(),
                meta.repo.as_str(),
                meta.commit.as_str()
            ),
            ("", "", "")
        );
        assert_eq!((meta.size, meta.timestamp), (3, 17.0));
        assert_eq!(m.first_repo(), None);
    }

    #[test]
    fn fmt_7_an_entry_that_is_never_shown_needs_only_its_level() {
        // As OpenSAFELY's development tooling writes a highly sensitive output.
        let dev_tooling = json!({"level": "highly_sensitive", "excluded": false, "size": 9,
            "timestamp": 1700000000.0, "content_hash": "content", "repo": null, "commit": null});
        let odd = json!({"level": "highly_sensitive", "size": "big", "timestamp": [],
            "job_id": 5, "content_hash": {"x": 1}});
        let out_of_date = json!({"level": "moderately_sensitive", "out_of_date_output": true});
        let m = manifest_of(vec![
            ("output/dataset.arrow".into(), dev_tooling),
            ("output/odd.arrow".into(), odd),
            ("output/old.csv".into(), out_of_date),
            ms("output/table.csv"),
            ("output/level_only.arrow".into(), json!({"level": "secret"})),
        ]);
        assert!(m.warnings().is_empty(), "{:?}", m.warnings());
        assert_eq!(m.len(), 5);
        let tree = m.tree(
            &NO_DISK,
            TreeOptions::default(),
            None,
            &ReleasedHashes::default(),
        );
        assert_eq!(shown_paths(&tree), ["output/table.csv"]);
        assert!(m.entry("output/dataset.arrow").is_some());
    }

    #[test]
    fn fmt_7_unknown_fields_and_levels() {
        let m = manifest_of(vec![
            (
                "a.csv".into(),
                with(
                    entry("moderately_sensitive", &fake_hash("a")),
                    "novel",
                    json!({"x": 1}),
                ),
            ),
            ("b.csv".into(), entry("secret_level", &fake_hash("b"))),
        ]);
        assert_eq!(m.len(), 2);
        assert_eq!(
            m.entry("b.csv").map(|e| e.output().level),
            Some(Level::Unknown)
        );
        assert!(m.shown_entry("a.csv", false).is_some());
        assert!(m.shown_entry("b.csv", true).is_none());
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

    #[test]
    fn fmt_9_duplicate_keys_last_wins() {
        let text = format!(
            r#"{{"outputs": {{"a.csv": {}, "a.csv": {}}}}}"#,
            entry("moderately_sensitive", &fake_hash("first")),
            entry("moderately_sensitive", &fake_hash("second"))
        );
        let m = parse_manifest(text.as_bytes()).expect("parses");
        assert_eq!(m.len(), 1);
        assert_eq!(
            m.entry("a.csv").map(|e| e.output().content_hash.clone()),
            Some(fake_hash("second"))
        );
        assert_eq!(m.warnings().len(), 1);
    }

    #[test]
    fn fmt_8_output_wins_over_a_message_file_of_the_same_path() {
        let m = manifest_of(vec![
            (
                "a.csv".into(),
                with(
                    entry("moderately_sensitive", &fake_hash("a")),
                    "excluded",
                    json!(true),
                ),
            ),
            ms("a.csv.txt"),
        ]);
        let shown = m.shown_entry("a.csv.txt", true).expect("shown");
        assert!(!shown.message);
        let tree = m.tree(
            &NO_DISK,
            TreeOptions::default(),
            None,
            &ReleasedHashes::default(),
        );
        assert_eq!(shown_paths(&tree), ["a.csv.txt"]);
    }

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

    #[test]
    fn released_hashes_ignore_garbage() {
        let r = ReleasedHashes::from_hex(["nothex", &fake_hash("a"), &fake_hash("a")]);
        assert_eq!(r.len(), 1);
        assert!(r.contains_hex(&fake_hash("a")));
        assert!(!r.contains_hex(&fake_hash("b")));
        assert_eq!(
            parse_digest(&fake_hash("a")).map(|d| digest_hex(&d)),
            Some(fake_hash("a"))
        );
        assert_eq!(parse_digest("zz"), None);
    }

    #[test]
    fn is_metadata_path_matches_the_directory_only() {
        assert!(is_metadata_path("metadata/a.log"));
        assert!(is_metadata_path("metadata"));
        assert!(!is_metadata_path("metadata2/a.log"));
        assert!(!is_metadata_path("output/metadata/a.log"));
    }

    proptest::proptest! {
        /// Arbitrary bytes never panic the parser.
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            let _ = parse_manifest(&bytes);
        }

        /// The table-driven hex parser agrees with the `hex` crate on every 64-character
        /// string of hex digits of either case and near misses.
        #[test]
        fn parse_digest_agrees_with_hex(text in "[0-9a-fA-FgG/: \\x{ff}]{64}|[0-9a-f]{60,66}") {
            let expected = (text.len() == 64)
                .then(|| hex::decode(&text).ok())
                .flatten()
                .and_then(|v| <Digest>::try_from(v).ok());
            proptest::prop_assert_eq!(parse_digest(&text), expected);
        }

        /// The byte scan of FMT-5 refuses exactly the paths with a backslash or a control
        /// character.
        #[test]
        fn relpath_scan_matches_char_rules(path in "[a-z/\\\\\u{0}-\u{1f}\u{7f}-\u{a0}\u{c2}\u{100}]{1,8}") {
            // Not absolute, so that the character rules are the first to apply.
            let path = format!("a{path}");
            let bad_char = path.contains('\\') || path.chars().any(char::is_control);
            let refused_for_char = matches!(
                check_relpath(&path),
                Err("it contains a backslash" | "it contains a control character")
            );
            proptest::prop_assert_eq!(refused_for_char, bad_char);
        }

        /// FMT-5: anything validate_relpath accepts has no traversal segment.
        #[test]
        fn validated_paths_are_safe(path in "[a-z./\\\\]{0,12}") {
            if validate_relpath(&path).is_ok() {
                proptest::prop_assert!(!path.starts_with('/'));
                proptest::prop_assert!(path.split('/').all(|s| !s.is_empty() && s != "." && s != ".."));
            }
        }

        /// WS-5 row 2: the released set (with its prefix filter) answers exactly as a plain
        /// set, for members, strangers and digests that share a member's first 8 bytes.
        #[test]
        fn released_hashes_answer_exactly(
            members in proptest::collection::vec(proptest::array::uniform32(proptest::num::u8::ANY), 0..300),
            strangers in proptest::collection::vec(proptest::array::uniform32(proptest::num::u8::ANY), 0..50),
        ) {
            let set = ReleasedHashes::from_hex(members.iter().map(digest_hex));
            let plain: std::collections::HashSet<Digest> = members.iter().copied().collect();
            proptest::prop_assert_eq!(set.len(), plain.len());
            for digest in &members {
                proptest::prop_assert!(set.contains(digest));
                let mut near = *digest;
                near[31] ^= 1;
                proptest::prop_assert_eq!(set.contains(&near), plain.contains(&near));
            }
            for digest in &strangers {
                proptest::prop_assert_eq!(set.contains(digest), plain.contains(digest));
            }
        }

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

        /// The path index finds every entry and nothing else.
        #[test]
        fn entry_finds_exactly_the_listed_paths(
            paths in proptest::collection::btree_set("[ab]{1,2}(/[ab]{1,2}){0,2}\\.csv", 0..40),
            probes in proptest::collection::vec("[ab]{1,2}(/[ab]{1,2}){0,2}\\.csv", 0..20),
        ) {
            let m = manifest_of(paths.iter().map(|p| ms(p)).collect());
            for path in &paths {
                proptest::prop_assert_eq!(m.entry(path).map(|e| e.relpath()), Some(path.as_str()));
            }
            for probe in &probes {
                proptest::prop_assert_eq!(m.entry(probe).is_some(), paths.contains(probe));
            }
        }

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

#[cfg(test)]
mod split_tests {
    //! The two-thread parse gives exactly the whole parse, wherever the split lands.
    use super::*;
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
