//! Test support shipped behind the `testing` feature: a fresh database per test on every
//! backend the run has ([`database`]), the run's PostgreSQL server ([`postgres`]), and the
//! `git` program for study repositories made by tests ([`git`]).
//! Dependents enable the feature in their `[dev-dependencies]`; nothing in the product uses it.

pub mod database;
pub mod git;
pub mod postgres;

pub use database::{TestDb, postgres_url, test_databases, try_test_databases};
pub use git::git;
pub use postgres::{PG_URL_ENV, REQUIRE_PG_ENV};

use crate::store::{Report, Store};
use airlock_core::action::{Action, GroupChoice, NewFile};
use airlock_core::{FileType, User};

/// The add a page or the API builds for `files` into `group` ([`Action::AddFiles`]).
pub fn add_files<P: Into<String>>(
    group: GroupChoice,
    files: impl IntoIterator<Item = (P, FileType)>,
) -> Action {
    Action::AddFiles {
        group,
        files: files
            .into_iter()
            .map(|(path, filetype)| NewFile {
                path: path.into(),
                filetype,
            })
            .collect(),
    }
}

/// REL-4 without the Jobs site: runs [`Action::Release`] as if the Jobs site had accepted the
/// release, for tests that need an APPROVED request in test mode. Every check of the action
/// still applies.
pub fn record_release(
    store: &Store,
    actor: &User,
    request_id: &str,
) -> airlock_core::Result<Report> {
    store
        .act_on(actor, request_id, &Action::Release, false)
        .map(|(report, _)| report)
}
