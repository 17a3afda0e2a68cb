//! Decisions on files and what they imply (`behaviour.md` REV-6, REV-7, REV-8, REV-9, GRP-4,
//! PCR-1, COM-7).

use crate::access::is_reviewer;
use crate::model::FastMap;
use crate::model::{Decision, FileType, RequestState, Visibility, Vote, VoteStatus};
use crate::status::{Phase, Status};
use crate::user::User;
use std::collections::BTreeSet;

/// Vote counts of one file over a counting set: (approved, changes requested, undecided).
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    approved: usize,
    changes: usize,
    undecided: usize,
}

impl Tally {
    fn add(&mut self, status: VoteStatus) {
        match status {
            VoteStatus::Approved => self.approved += 1,
            VoteStatus::ChangesRequested => self.changes += 1,
            VoteStatus::Undecided => self.undecided += 1,
        }
    }

    /// REV-6 over these counts.
    fn decision(self, n: usize) -> Decision {
        let total = self.approved + self.changes + self.undecided;
        let distinct = [self.approved, self.changes, self.undecided]
            .iter()
            .filter(|c| **c > 0)
            .count();
        if total < n {
            Decision::Incomplete
        } else if self.approved >= n {
            Decision::Approved
        } else if distinct > 1 {
            Decision::Conflicted
        } else {
            Decision::ChangesRequested
        }
    }
}

/// REV-6: the decision over the votes of the counting reviewers `counting`, with N reviews.
pub fn decide<'a>(
    votes: impl IntoIterator<Item = &'a Vote>,
    counting: &BTreeSet<String>,
    n: usize,
) -> Decision {
    let mut tally = Tally::default();
    for vote in votes.into_iter().filter(|v| counting.contains(&v.reviewer)) {
        tally.add(vote.status);
    }
    tally.decision(n)
}

/// The user ids of the current turn's submitted reviews.
pub fn submitted_set(state: &RequestState) -> BTreeSet<String> {
    state.request.submitted_reviews.keys().cloned().collect()
}

/// The vote tally of every file (in `state.files` order) over a counting set, in one pass
/// over the votes.
fn tallies_over(state: &RequestState, counting: &BTreeSet<String>) -> Vec<Tally> {
    let index: FastMap<&str, usize> = state
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.relpath.as_str(), i))
        .collect();
    let mut tallies = vec![Tally::default(); state.files.len()];
    for vote in state
        .votes
        .iter()
        .filter(|v| counting.contains(&v.reviewer))
    {
        if let Some(i) = index.get(vote.relpath.as_str()) {
            tallies[*i].add(vote.status);
        }
    }
    tallies
}

/// Decisions of every file over a counting set, computed in one pass over the votes without
/// allocating per file.
pub fn decisions_over<'a>(
    state: &'a RequestState,
    counting: &BTreeSet<String>,
    n: usize,
) -> FastMap<&'a str, Decision> {
    state
        .files
        .iter()
        .zip(tallies_over(state, counting))
        .map(|(f, t)| (f.relpath.as_str(), t.decision(n)))
        .collect()
}

/// REV-7: the counting set whose decisions a viewer is shown, or `None` when the viewer is
/// shown INCOMPLETE.
fn shown_counting_set(viewer: &User, state: &RequestState) -> Option<BTreeSet<String>> {
    let request = &state.request;
    match request.status.phase() {
        Phase::Independent => None,
        Phase::Consolidating => is_reviewer(viewer, request).then(|| submitted_set(state)),
        Phase::Complete => Some(submitted_set(state)),
        Phase::Author => Some(request.turn_reviewers.clone()),
    }
}

/// REV-7: the decision shown to `viewer` for every file. CONFLICTED is shown as
/// CHANGES_REQUESTED to the author and to non-checkers.
pub fn shown_decisions<'a>(
    viewer: &User,
    state: &'a RequestState,
    n: usize,
) -> FastMap<&'a str, Decision> {
    let mask_conflict = viewer.id() == state.request.author || !viewer.output_checker;
    match shown_counting_set(viewer, state) {
        None => state
            .files
            .iter()
            .map(|f| (f.relpath.as_str(), Decision::Incomplete))
            .collect(),
        Some(counting) => decisions_over(state, &counting, n)
            .into_iter()
            .map(|(path, d)| {
                let d = if mask_conflict && d == Decision::Conflicted {
                    Decision::ChangesRequested
                } else {
                    d
                };
                (path, d)
            })
            .collect(),
    }
}

/// REV-8: the explanation of a decision, with N filled in.
pub fn explanation(decision: Decision, n: usize) -> String {
    match decision {
        Decision::Incomplete => format!(
            "The overall decision will be shown once {n} independent output checkers have submitted their reviews"
        ),
        Decision::Approved => {
            format!("{n} or more independent output checkers have approved this file")
        }
        Decision::ChangesRequested => {
            "Independent output checkers have requested changes to this file".to_string()
        }
        Decision::Conflicted => {
            "Output checkers disagree about whether this file should be released".to_string()
        }
    }
}

/// REV-9: every OUTPUT file is APPROVED over the current `submitted_reviews`.
pub fn all_files_approved(state: &RequestState, n: usize) -> bool {
    let counting = submitted_set(state);
    state
        .files
        .iter()
        .zip(tallies_over(state, &counting))
        .filter(|(f, _)| f.filetype == FileType::Output)
        .all(|(_, t)| t.decision(n) == Decision::Approved)
}

/// REV-9: REVIEWED and every output file approved.
pub fn can_be_released(state: &RequestState, n: usize) -> bool {
    state.request.status == Status::Reviewed && all_files_approved(state, n)
}

/// GRP-4: names of groups that hold an OUTPUT or SUPPORTING file.
pub fn non_empty_groups(state: &RequestState) -> BTreeSet<&str> {
    state
        .files
        .iter()
        .filter(|f| f.filetype != FileType::Withdrawn)
        .map(|f| f.group.as_str())
        .collect()
}

/// GRP-4: non-empty groups whose context or controls is blank, in alphabetical order.
pub fn incomplete_groups(state: &RequestState) -> Vec<String> {
    let non_empty = non_empty_groups(state);
    let mut names: Vec<String> = state
        .groups
        .iter()
        .filter(|g| non_empty.contains(g.name.as_str()))
        .filter(|g| g.context.trim().is_empty() || g.controls.trim().is_empty())
        .map(|g| g.name.clone())
        .collect();
    names.sort();
    names
}

/// PCR-1: groups that need a PUBLIC comment from the current turn, in alphabetical order.
pub fn groups_missing_public_comment(state: &RequestState, n: usize) -> Vec<String> {
    let request = &state.request;
    if all_files_approved(state, n) {
        return Vec::new();
    }
    let counting = match request.status {
        Status::Reviewed => submitted_set(state),
        Status::Returned if request.turn_reviewers.len() >= n => request.turn_reviewers.clone(),
        _ => return Vec::new(),
    };
    let decisions = decisions_over(state, &counting, n);
    let turn = request.review_turn;
    let mut names: Vec<String> = state
        .groups
        .iter()
        .filter(|g| {
            !state.comments.iter().any(|c| {
                c.group == g.name && c.visibility == Visibility::Public && c.review_turn == turn
            })
        })
        .filter(|g| {
            state
                .files_in_group(&g.name)
                .any(|f| match decisions.get(f.relpath.as_str()) {
                    Some(Decision::ChangesRequested | Decision::Conflicted) => true,
                    Some(Decision::Incomplete) => f.filetype == FileType::Output,
                    _ => false,
                })
        })
        .map(|g| g.name.clone())
        .collect();
    names.sort();
    names
}

/// COM-7 item 1: groups where `reviewer` voted CHANGES_REQUESTED on an OUTPUT file but has no
/// comment from the current turn, in alphabetical order.
pub fn groups_missing_review_comment(state: &RequestState, reviewer: &str) -> Vec<String> {
    let turn = state.request.review_turn;
    let mut names: BTreeSet<&str> = BTreeSet::new();
    let mine = state.votes_by(reviewer);
    for file in state.output_files() {
        let voted_changes = mine
            .get(file.relpath.as_str())
            .is_some_and(|v| v.status == VoteStatus::ChangesRequested);
        if voted_changes {
            names.insert(file.group.as_str());
        }
    }
    names
        .into_iter()
        .filter(|g| {
            !state
                .comments
                .iter()
                .any(|c| c.group == *g && c.author == reviewer && c.review_turn == turn)
        })
        .map(str::to_string)
        .collect()
}

/// WEB-7 "Your review: x/y files": OUTPUT files the reviewer has voted on (not UNDECIDED) and
/// the number of OUTPUT files.
pub fn review_progress(state: &RequestState, reviewer: &str) -> (usize, usize) {
    let mut voted = 0;
    let mut total = 0;
    let mine = state.votes_by(reviewer);
    for file in state.output_files() {
        total += 1;
        if mine
            .get(file.relpath.as_str())
            .is_some_and(|v| v.status != VoteStatus::Undecided)
        {
            voted += 1;
        }
    }
    (voted, total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn vote(reviewer: &str, status: VoteStatus) -> Vote {
        Vote {
            relpath: "f".into(),
            reviewer: reviewer.into(),
            status,
            review_turn: 1,
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
        }
    }

    /// REV-6, as a decision table over N = 2 and N = 3.
    #[test]
    fn rev_6_decision_table() {
        use VoteStatus::{Approved as A, ChangesRequested as C, Undecided as U};
        let cases: &[(usize, &[VoteStatus], Decision)] = &[
            (2, &[], Decision::Incomplete),
            (2, &[A], Decision::Incomplete),
            (2, &[C], Decision::Incomplete),
            (2, &[A, A], Decision::Approved),
            (2, &[A, C], Decision::Conflicted),
            (2, &[C, C], Decision::ChangesRequested),
            (2, &[A, U], Decision::Conflicted),
            (2, &[U, U], Decision::ChangesRequested),
            (2, &[C, U], Decision::Conflicted),
            (2, &[A, A, C], Decision::Approved),
            (2, &[A, C, C], Decision::Conflicted),
            (3, &[A, A], Decision::Incomplete),
            (3, &[A, A, A], Decision::Approved),
            (3, &[A, A, C], Decision::Conflicted),
            (3, &[C, C, C], Decision::ChangesRequested),
        ];
        for (n, statuses, expected) in cases {
            let votes: Vec<Vote> = statuses
                .iter()
                .enumerate()
                .map(|(i, s)| vote(&format!("r{i}"), *s))
                .collect();
            let counting: BTreeSet<String> = votes.iter().map(|v| v.reviewer.clone()).collect();
            assert_eq!(
                decide(&votes, &counting, *n),
                *expected,
                "N={n} votes={statuses:?}"
            );
        }
    }

    /// REV-6: only votes by members of the counting set count.
    #[test]
    fn rev_6_ignores_votes_outside_the_counting_set() {
        let votes = [
            vote("a", VoteStatus::Approved),
            vote("b", VoteStatus::Approved),
        ];
        let counting: BTreeSet<String> = ["a".to_string()].into();
        assert_eq!(decide(&votes, &counting, 2), Decision::Incomplete);
    }

    #[test]
    fn rev_8_explanations_use_n() {
        assert!(explanation(Decision::Incomplete, 3).contains("once 3 independent"));
        assert!(explanation(Decision::Approved, 2).starts_with("2 or more"));
    }
}
