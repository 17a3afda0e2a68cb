//! Reads with their permission checks: a request and its activity, the current request of a
//! user in a workspace (ONE-3), and the request listings. Authorisation is decided here, by
//! `airlock_core::access`, never by the caller's template.

use super::Store;
use crate::db::{self, AuditFilter, RequestFilter};
use airlock_core::access::{require_reviews_page, require_view};
use airlock_core::audit::AuditEntry;
use airlock_core::decision::review_progress;
use airlock_core::visibility::activity;
use airlock_core::{AirlockError, Request, RequestState, Status, User};

/// Requests per page of a listing unless the caller asks for another size.
pub const DEFAULT_PAGE_SIZE: i64 = 100;

/// A page of a listing: `limit` rows after skipping `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Rows to skip.
    pub offset: i64,
    /// Rows to return (at most 1000).
    pub limit: i64,
}

impl Default for Page {
    fn default() -> Self {
        Page {
            offset: 0,
            limit: DEFAULT_PAGE_SIZE,
        }
    }
}

impl Page {
    fn apply(self, mut filter: RequestFilter) -> RequestFilter {
        filter.offset = Some(self.offset.max(0));
        filter.limit = Some(self.limit.clamp(1, 1000));
        filter
    }
}

/// A request under review on the Reviews page, with the checker's own progress (WEB-7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewItem {
    /// The request.
    pub request: Request,
    /// Output files the checker has voted on.
    pub voted: usize,
    /// Output files in all.
    pub total: usize,
}

/// The three lists of the Reviews page (WEB-7), each without the checker's own requests.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reviews {
    /// Requests under review, with the checker's progress.
    pub under_review: Vec<ReviewItem>,
    /// RETURNED requests.
    pub returned: Vec<Request>,
    /// APPROVED requests (uploads in progress), with their stuck files (UPL-7).
    pub approved: Vec<ApprovedItem>,
}

/// An APPROVED request on the Reviews page, with its stuck files (UPL-7).
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovedItem {
    /// The request.
    pub request: Request,
    /// Its stuck files, by path.
    pub stuck: Vec<airlock_core::view::StuckFileView>,
    /// Uploaded OUTPUT files (UPL-8's x).
    pub uploaded: usize,
    /// Released OUTPUT files (UPL-8's y).
    pub released: usize,
}

impl Store {
    /// FMT-1, WEB-6: `not_found` unless `workspace` is a valid name of a workspace directory.
    /// Every operation that takes a workspace name asks this first, so an unknown workspace
    /// answers 404 before any permission is considered.
    pub fn require_workspace(&self, workspace: &str) -> airlock_core::Result<()> {
        if self.workspaces.exists(workspace) {
            Ok(())
        } else {
            Err(crate::workspace::WorkspaceError::UnknownWorkspace(workspace.into()).into())
        }
    }

    /// A request's whole aggregate, for a user who may view its workspace. What the user may
    /// see of votes and comments is filtered by the presentation through
    /// `airlock_core::visibility`; use [`Store::request_activity`] for audit entries.
    pub fn get_request_state(
        &self,
        actor: &User,
        request_id: &str,
    ) -> airlock_core::Result<RequestState> {
        self.shared_request_state(actor, request_id)
            .map(|state| RequestState::clone(&state))
    }

    /// As [`Store::get_request_state`], sharing the aggregate kept in memory (no copy).
    pub(crate) fn shared_request_state(
        &self,
        actor: &User,
        request_id: &str,
    ) -> airlock_core::Result<std::sync::Arc<RequestState>> {
        let mut conn = self.conn()?;
        let (_, state) = self
            .shared_state(&mut conn, request_id)?
            .ok_or_else(AirlockError::not_found)?;
        require_view(actor, &state.request.workspace)?;
        Ok(state)
    }

    /// AUD-6: the activity of a request (or one of its groups) that the user may see, newest
    /// first.
    pub fn request_activity(
        &self,
        actor: &User,
        request_id: &str,
        group: Option<&str>,
    ) -> airlock_core::Result<Vec<AuditEntry>> {
        let mut conn = self.conn()?;
        let request =
            db::load_request(&mut conn, request_id)?.ok_or_else(AirlockError::not_found)?;
        require_view(actor, &request.workspace)?;
        let entries = db::audit_entries(
            &mut conn,
            AuditFilter {
                request: Some(request_id.to_string()),
                ..AuditFilter::default()
            },
        )?;
        Ok(activity(actor, &request, &entries, group)
            .into_iter()
            .cloned()
            .collect())
    }

    /// ONE-3: the user's current (active) request in a workspace, if any.
    pub fn current_request(
        &self,
        actor: &User,
        workspace: &str,
    ) -> airlock_core::Result<Option<RequestState>> {
        self.require_workspace(workspace)?;
        require_view(actor, workspace)?;
        let mut conn = self.conn()?;
        match db::current_request_id(&mut conn, workspace, actor.id())? {
            Some(id) => Ok(db::load_request_state(&mut conn, &id)?),
            None => Ok(None),
        }
    }

    /// ONE-3: the user's current request in a workspace, or `not_found` naming the workspace.
    pub fn require_current_request(
        &self,
        actor: &User,
        workspace: &str,
    ) -> airlock_core::Result<RequestState> {
        self.current_request(actor, workspace)?.ok_or_else(|| {
            AirlockError::with_message(
                airlock_core::ErrorCode::NotFound,
                format!("You have no current request in workspace {workspace}."),
            )
        })
    }

    /// WEB-6: the user's own requests, newest first, archived workspaces included.
    pub fn my_requests(&self, actor: &User, page: Page) -> airlock_core::Result<Vec<Request>> {
        let mut conn = self.conn()?;
        let filter = page.apply(RequestFilter {
            author: Some(actor.id().to_string()),
            ..RequestFilter::default()
        });
        Ok(db::list_requests(&mut conn, filter)?)
    }

    /// WEB-6: every request of a workspace the user may view, newest first, optionally only
    /// those of some statuses.
    pub fn workspace_requests(
        &self,
        actor: &User,
        workspace: &str,
        statuses: &[Status],
        page: Page,
    ) -> airlock_core::Result<Vec<Request>> {
        self.require_workspace(workspace)?;
        require_view(actor, workspace)?;
        let mut conn = self.conn()?;
        let filter = page.apply(RequestFilter {
            workspace: Some(workspace.to_string()),
            statuses: statuses.to_vec(),
            ..RequestFilter::default()
        });
        Ok(db::list_requests(&mut conn, filter)?)
    }

    /// PG-7: how many requests await `checker`'s review (`None` for a user who is not a
    /// checker). One indexed query of the requests under review.
    pub fn awaiting_review(&self, checker: &User) -> airlock_core::Result<Option<usize>> {
        if !checker.output_checker {
            return Ok(None);
        }
        let mut conn = self.conn()?;
        let statuses = Status::ALL
            .iter()
            .copied()
            .filter(|s| s.is_under_review())
            .collect();
        let requests = db::list_requests(
            &mut conn,
            RequestFilter {
                statuses,
                ..RequestFilter::default()
            },
        )?;
        Ok(Some(
            requests
                .iter()
                .filter(|r| airlock_core::view::awaits_review(checker, r))
                .count(),
        ))
    }

    /// WEB-7: the Reviews page lists, for checkers only (`permission_denied` otherwise).
    pub fn reviews(&self, actor: &User) -> airlock_core::Result<Reviews> {
        require_reviews_page(actor)?;
        let mut conn = self.conn()?;
        let under_review_statuses = Status::ALL
            .iter()
            .copied()
            .filter(|s| s.is_under_review())
            .collect();
        let list = |conn: &mut _, statuses| {
            db::list_requests(
                conn,
                RequestFilter {
                    statuses,
                    ..RequestFilter::default()
                },
            )
            .map(|requests| {
                requests
                    .into_iter()
                    .filter(|r| airlock_core::view::on_reviews_page(actor, r))
                    .collect::<Vec<_>>()
            })
        };
        let mut reviews = Reviews {
            returned: list(&mut conn, vec![Status::Returned])?,
            ..Reviews::default()
        };
        let approved = list(&mut conn, vec![Status::Approved])?;
        for state in db::load_request_states(&mut conn, approved)? {
            let progress = airlock_core::action::upload_progress(&state, &self.rules);
            reviews.approved.push(ApprovedItem {
                stuck: airlock_core::view::StuckFileView::of(&state, &self.rules),
                uploaded: progress.uploaded,
                released: progress.released,
                request: state.request,
            });
        }
        let under_review = list(&mut conn, under_review_statuses)?;
        for state in db::load_request_states(&mut conn, under_review)? {
            let (voted, total) = review_progress(&state, actor.id());
            reviews.under_review.push(ReviewItem {
                request: state.request,
                voted,
                total,
            });
        }
        Ok(reviews)
    }
}
