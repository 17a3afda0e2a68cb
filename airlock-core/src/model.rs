//! The request aggregate as plain data: the request record, its groups, files, votes and
//! comments (`behaviour.md` REQ-1, FIL-1, FIL-2, GRP-1, REV-1, COM-1).

use crate::status::Status;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// A hash map with a fast hasher, for the per-evaluation indexes of the rules (keys are paths
/// and user names from the product's own records).
pub type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
/// A hash set with the hasher of [`FastMap`].
pub type FastSet<K> = HashSet<K, foldhash::fast::RandomState>;
use std::fmt;
use std::str::FromStr;

/// A user id (USR-1: the username).
pub type UserId = String;

/// A point in time, always UTC (§0.5).
pub type Timestamp = DateTime<Utc>;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $(
                $(#[$vmeta])*
                #[serde(rename = $text)]
                $variant,
            )*
        }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The stored, upper-case name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)*
                    other => Err(format!("unknown {} {:?}", stringify!($name), other)),
                }
            }
        }
    };
}

string_enum! {
    /// The type of a file on a request (FIL-2).
    FileType {
        /// Asked to be released; voted on.
        Output => "OUTPUT",
        /// Context for checkers only.
        Supporting => "SUPPORTING",
        /// Withdrawn during a RETURNED turn.
        Withdrawn => "WITHDRAWN",
    }
}

string_enum! {
    /// A reviewer's vote on an output file (REV-1).
    VoteStatus {
        /// The reviewer approves release.
        Approved => "APPROVED",
        /// The reviewer requests changes.
        ChangesRequested => "CHANGES_REQUESTED",
        /// Set only by resubmission and early return (REV-4).
        Undecided => "UNDECIDED",
    }
}

string_enum! {
    /// Who may see a comment (COM-1).
    Visibility {
        /// Everyone who can view the request, subject to VIS-1.
        Public => "PUBLIC",
        /// Reviewers of the request only.
        Private => "PRIVATE",
    }
}

string_enum! {
    /// The decision on a file for a set of counting reviewers (REV-6).
    Decision {
        /// Fewer than N votes.
        Incomplete => "INCOMPLETE",
        /// N or more approvals.
        Approved => "APPROVED",
        /// Reviewers disagree.
        Conflicted => "CONFLICTED",
        /// Changes requested.
        ChangesRequested => "CHANGES_REQUESTED",
    }
}

/// The request record (REQ-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// ULID, 26 characters.
    pub id: String,
    /// Workspace name.
    pub workspace: String,
    /// Author's user id.
    pub author: UserId,
    /// Current status.
    pub status: Status,
    /// Current turn (TRN-1).
    pub review_turn: i64,
    /// Reviews submitted in the current turn: user id → time.
    pub submitted_reviews: BTreeMap<UserId, Timestamp>,
    /// Reviewers of the last review turn (TRN-3, TRN-5).
    pub turn_reviewers: BTreeSet<UserId>,
    /// Time of the last change to SUBMITTED.
    pub last_submitted_at: Option<Timestamp>,
    /// Project name, copied from the author's grant.
    pub project: String,
    /// Organisations, copied from the author's grant.
    pub organisations: Vec<String>,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change time.
    pub updated_at: Timestamp,
}

impl Request {
    /// The short form of the id: `<first 3>...<last 6>` (REQ-1).
    pub fn short_id(&self) -> String {
        short_id(&self.id)
    }
}

/// The short form of a request id: `<first 3>...<last 6>` (REQ-1).
pub fn short_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 9 {
        return id.to_string();
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 6..].iter().collect();
    format!("{head}...{tail}")
}

/// A file group (GRP-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// Lower-case name, unique within the request.
    pub name: String,
    /// Context text.
    pub context: String,
    /// Controls text.
    pub controls: String,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last edit time.
    pub updated_at: Timestamp,
}

/// The manifest metadata copied onto a request file at add time (FIL-1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct OutputMeta {
    /// Modification time, seconds since the epoch.
    pub timestamp: f64,
    /// Size in bytes.
    pub size: i64,
    /// Id of the job that wrote it.
    pub job_id: String,
    /// Study commit.
    pub commit: String,
    /// Study repository URL.
    pub repo: String,
    /// CSV data rows.
    pub row_count: Option<i64>,
    /// CSV columns.
    pub col_count: Option<i64>,
}

impl Eq for OutputMeta {}

/// Upload bookkeeping of a released output file (FIL-1, UPL rules).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct UploadState {
    /// When it was released.
    pub released_at: Option<Timestamp>,
    /// The checker who released it.
    pub released_by: Option<UserId>,
    /// Uploaded to the Jobs site.
    pub uploaded: bool,
    /// When it was uploaded.
    pub uploaded_at: Option<Timestamp>,
    /// Attempts so far.
    pub upload_attempts: i64,
    /// Time of the last attempt.
    pub upload_attempted_at: Option<Timestamp>,
    /// When the next attempt is due.
    pub upload_next_attempt_at: Option<Timestamp>,
    /// The last failure.
    pub upload_last_error: Option<String>,
}

/// A file on a request (FIL-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestFile {
    /// Path in the workspace, `/`-separated.
    pub relpath: String,
    /// Group name.
    pub group: String,
    /// sha256 hex of the stored content; the blob's name.
    pub file_id: String,
    /// File type.
    pub filetype: FileType,
    /// Manifest metadata at add time.
    pub meta: OutputMeta,
    /// Release and upload bookkeeping.
    pub upload: UploadState,
}

/// A reviewer's vote on a file (REV-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vote {
    /// The file's path.
    pub relpath: String,
    /// The voter.
    pub reviewer: UserId,
    /// The vote.
    pub status: VoteStatus,
    /// Turn the vote was cast or last changed in.
    pub review_turn: i64,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change time.
    pub updated_at: Timestamp,
}

/// A comment on a group (COM-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// Stable id (a ULID chosen by the caller).
    pub id: String,
    /// Group name.
    pub group: String,
    /// Writer.
    pub author: UserId,
    /// Markdown text.
    pub text: String,
    /// Visibility.
    pub visibility: Visibility,
    /// Turn it was written in.
    pub review_turn: i64,
    /// Creation time.
    pub created_at: Timestamp,
    /// The request file it was posted from (COM-3), by path.
    pub file: Option<String>,
}

/// Everything about one request that the rules read: the aggregate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestState {
    /// The request record.
    pub request: Request,
    /// Groups, in creation order.
    pub groups: Vec<Group>,
    /// Files, in insertion order.
    pub files: Vec<RequestFile>,
    /// Votes.
    pub votes: Vec<Vote>,
    /// Comments.
    pub comments: Vec<Comment>,
}

impl RequestState {
    /// A new aggregate holding only the request.
    pub fn new(request: Request) -> Self {
        RequestState {
            request,
            groups: Vec::new(),
            files: Vec::new(),
            votes: Vec::new(),
            comments: Vec::new(),
        }
    }

    /// The group with this name (names are stored lower-case; compared case-insensitively).
    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups
            .iter()
            .find(|g| g.name.eq_ignore_ascii_case(name) || g.name == name.to_lowercase())
    }

    /// The file at this path.
    pub fn file(&self, relpath: &str) -> Option<&RequestFile> {
        self.files.iter().find(|f| f.relpath == relpath)
    }

    /// The OUTPUT files (FIL-12).
    pub fn output_files(&self) -> impl Iterator<Item = &RequestFile> {
        self.files.iter().filter(|f| f.filetype == FileType::Output)
    }

    /// Files of a group.
    pub fn files_in_group<'a>(&'a self, group: &'a str) -> impl Iterator<Item = &'a RequestFile> {
        self.files.iter().filter(move |f| f.group == group)
    }

    /// Votes on a file.
    pub fn votes_on<'a>(&'a self, relpath: &'a str) -> impl Iterator<Item = &'a Vote> {
        self.votes.iter().filter(move |v| v.relpath == relpath)
    }

    /// The vote of one reviewer on one file.
    pub fn vote_of(&self, relpath: &str, reviewer: &str) -> Option<&Vote> {
        self.votes
            .iter()
            .find(|v| v.relpath == relpath && v.reviewer == reviewer)
    }

    /// The votes of one reviewer by path, built in one pass (for loops over files).
    pub fn votes_by(&self, reviewer: &str) -> FastMap<&str, &Vote> {
        self.votes
            .iter()
            .filter(|v| v.reviewer == reviewer)
            .map(|v| (v.relpath.as_str(), v))
            .collect()
    }

    /// The paths of the OUTPUT files, built in one pass (for loops over votes).
    pub fn output_paths(&self) -> FastSet<&str> {
        self.output_files().map(|f| f.relpath.as_str()).collect()
    }

    /// The comment with this id.
    pub fn comment(&self, id: &str) -> Option<&Comment> {
        self.comments.iter().find(|c| c.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn req_1_short_id() {
        assert_eq!(short_id("01JNQ8Z7K3V5W2X9Y4T6R8P0MA"), "01J...R8P0MA");
        assert_eq!(short_id("abc"), "abc");
    }

    #[test]
    fn enums_round_trip() {
        for t in FileType::ALL {
            assert_eq!(t.as_str().parse::<FileType>().ok(), Some(*t));
        }
        for v in VoteStatus::ALL {
            assert_eq!(v.as_str().parse::<VoteStatus>().ok(), Some(*v));
        }
        assert!("output".parse::<FileType>().is_err());
    }
}
