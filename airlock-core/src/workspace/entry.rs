//! FMT-7: one output entry of the manifest and its lenient parse. Each field is first read as
//! whatever JSON value it holds (strings borrowed from the bytes), then checked, so that a
//! malformed entry is left out with its reason instead of failing the whole manifest.

use super::digest::parse_digest;
use crate::model::{FastSet, OutputMeta};
use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

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

/// Stores each distinct repeated value of a manifest once (FMT-7 entries repeat their job,
/// action, user, repository and commit).
#[derive(Default)]
pub(super) struct Interner(FastSet<Arc<str>>);

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
pub(super) struct RawEntry<'a> {
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
pub(super) enum RawValue<'a> {
    /// An object: the fields found.
    Entry(Box<RawEntry<'a>>),
    /// Not an object: what it is instead, for the message.
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
pub(super) type Malformed = String;

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
    pub(super) fn into_entry(
        self,
        interner: &mut Interner,
    ) -> std::result::Result<OutputEntry, Malformed> {
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
pub(super) struct BorrowedStr<'a>(#[serde(borrow)] pub(super) Cow<'a, str>);

#[cfg(test)]
mod tests;
