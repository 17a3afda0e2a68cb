//! Request statuses, their owners and phases (`behaviour.md` ST-1, ST-2, ST-3).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Who acts next on a request in a status (ST-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Owner {
    /// The author acts next.
    Author,
    /// Reviewers act next.
    Reviewer,
    /// Nobody: the system (uploader) or nothing.
    System,
}

/// The phase of the current turn (ST-1), used by visibility (VIS-1) and decisions (REV-7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Phase {
    /// The author's turn (PENDING, RETURNED).
    Author,
    /// Reviewers review blind to each other (SUBMITTED, PARTIALLY_REVIEWED).
    Independent,
    /// N reviews are in; reviewers see each other's work (REVIEWED).
    Consolidating,
    /// The request is final.
    Complete,
}

/// One of the nine request statuses (ST-1). Stored by name (ST-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// Being built by its author.
    Pending,
    /// Submitted; no review in yet.
    Submitted,
    /// At least one, fewer than N, reviews in.
    PartiallyReviewed,
    /// N or more reviews in.
    Reviewed,
    /// Returned to the author.
    Returned,
    /// Released on the Jobs site; files uploading.
    Approved,
    /// Rejected by a reviewer.
    Rejected,
    /// Every released file uploaded.
    Released,
    /// Withdrawn by its author.
    Withdrawn,
}

impl Status {
    /// All statuses in the order of ST-1.
    pub const ALL: [Status; 9] = [
        Status::Pending,
        Status::Submitted,
        Status::PartiallyReviewed,
        Status::Reviewed,
        Status::Returned,
        Status::Approved,
        Status::Rejected,
        Status::Released,
        Status::Withdrawn,
    ];

    /// The stored name (ST-3).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "PENDING",
            Status::Submitted => "SUBMITTED",
            Status::PartiallyReviewed => "PARTIALLY_REVIEWED",
            Status::Reviewed => "REVIEWED",
            Status::Returned => "RETURNED",
            Status::Approved => "APPROVED",
            Status::Rejected => "REJECTED",
            Status::Released => "RELEASED",
            Status::Withdrawn => "WITHDRAWN",
        }
    }

    /// The display label (ST-1).
    pub fn label(self) -> &'static str {
        match self {
            Status::Pending => "Pending",
            Status::Submitted => "Submitted",
            Status::PartiallyReviewed => "Review in progress",
            Status::Reviewed => "All reviews submitted",
            Status::Returned => "Returned",
            Status::Approved => "Approved - files uploading",
            Status::Rejected => "Rejected",
            Status::Released => "Released",
            Status::Withdrawn => "Withdrawn",
        }
    }

    /// Who acts next (ST-1).
    pub fn owner(self) -> Owner {
        match self {
            Status::Pending | Status::Returned => Owner::Author,
            Status::Submitted | Status::PartiallyReviewed | Status::Reviewed => Owner::Reviewer,
            _ => Owner::System,
        }
    }

    /// The turn phase (ST-1).
    pub fn phase(self) -> Phase {
        match self {
            Status::Pending | Status::Returned => Phase::Author,
            Status::Submitted | Status::PartiallyReviewed => Phase::Independent,
            Status::Reviewed => Phase::Consolidating,
            _ => Phase::Complete,
        }
    }

    /// PENDING or RETURNED (ST-2).
    pub fn is_editable(self) -> bool {
        matches!(self, Status::Pending | Status::Returned)
    }

    /// SUBMITTED, PARTIALLY_REVIEWED or REVIEWED (ST-2).
    pub fn is_under_review(self) -> bool {
        matches!(
            self,
            Status::Submitted | Status::PartiallyReviewed | Status::Reviewed
        )
    }

    /// APPROVED, REJECTED, RELEASED or WITHDRAWN (ST-2).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Status::Approved | Status::Rejected | Status::Released | Status::Withdrawn
        )
    }

    /// Not final (ST-2); at most one active request per author and workspace (ONE-1).
    pub fn is_active(self) -> bool {
        !self.is_final()
    }

    /// The stored names of the active statuses, for the ONE-2 index and queries.
    pub fn active_names() -> impl Iterator<Item = &'static str> {
        Status::ALL
            .into_iter()
            .filter(|s| s.is_active())
            .map(Status::as_str)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored name that is not a status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown status {0:?}")]
pub struct UnknownStatus(pub String);

impl FromStr for Status {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn st_2_derived_sets_partition_the_statuses() {
        for s in Status::ALL {
            assert_eq!(s.is_active(), !s.is_final(), "{s}");
            assert!(!(s.is_editable() && s.is_under_review()), "{s}");
            assert_eq!(s.is_active(), s.is_editable() || s.is_under_review(), "{s}");
        }
        let finals: Vec<_> = Status::ALL.into_iter().filter(|s| s.is_final()).collect();
        assert_eq!(
            finals,
            [
                Status::Approved,
                Status::Rejected,
                Status::Released,
                Status::Withdrawn
            ]
        );
    }

    #[test]
    fn st_3_names_round_trip() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>(), Ok(s));
            assert_eq!(
                serde_json::to_string(&s).ok(),
                Some(format!("\"{}\"", s.as_str()))
            );
        }
        assert!("pending".parse::<Status>().is_err());
    }

    #[test]
    fn st_1_owner_and_phase() {
        assert_eq!(Status::Pending.owner(), Owner::Author);
        assert_eq!(Status::Reviewed.owner(), Owner::Reviewer);
        assert_eq!(Status::Approved.owner(), Owner::System);
        assert_eq!(Status::PartiallyReviewed.phase(), Phase::Independent);
        assert_eq!(Status::Reviewed.phase(), Phase::Consolidating);
        assert_eq!(Status::Returned.phase(), Phase::Author);
        assert_eq!(Status::Withdrawn.phase(), Phase::Complete);
        assert_eq!(Status::PartiallyReviewed.label(), "Review in progress");
    }
}
