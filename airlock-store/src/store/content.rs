//! REN-1, REN-4, REN-6: the contents of a workspace or request file, opened for a content
//! response after the viewer's permission is checked, with the identity its rendering is cached
//! by, and the view written to the audit log first (REN-6: before any 304). The CSV analysis
//! (REN-3 statistics and §15 hints) is kept by that identity, so a table's hints are computed
//! once per content.

use super::Store;
use super::view::BoundedCache;
use crate::db;
use airlock_core::access::require_view;
use airlock_core::audit::{AuditType, NewAudit};
use airlock_core::csvstats::CsvError;
use airlock_core::csvtable::{Direction, SortOrder, TableIndex, TablePage, TableQuery, table_page};
use airlock_core::hint::CsvAnalysis;
use airlock_core::{AirlockError, ErrorCode, User};
use std::fs::File;
use std::io::{BufReader, Seek, SeekFrom};
use std::sync::Arc;
use std::time::UNIX_EPOCH;

/// CSV analyses kept.
pub(crate) const ANALYSIS_CACHE_ENTRIES: usize = 512;

/// Table indexes kept, and sort orders kept (each up to [`INDEXED_ROWS`] rows of 8 bytes).
const TABLE_CACHE_ENTRIES: usize = 8;

/// The most rows a kept index or order has: a larger table is indexed for its page and let go.
const INDEXED_ROWS: u64 = 1_000_000;

/// REN-2's table indexes and sort orders, by content identity, so that paging or re-sorting a
/// large table reads only the rows shown.
#[derive(Debug)]
pub(crate) struct TableCache {
    indexes: BoundedCache<String, TableIndex>,
    orders: BoundedCache<(String, usize, Direction), SortOrder>,
}

impl TableCache {
    pub(crate) fn new() -> TableCache {
        TableCache {
            indexes: BoundedCache::new(TABLE_CACHE_ENTRIES),
            orders: BoundedCache::new(TABLE_CACHE_ENTRIES),
        }
    }
}

/// A file opened for its content response.
#[derive(Debug)]
pub struct Opened {
    /// The file, at its start.
    pub file: File,
    /// Its size in bytes.
    pub size: u64,
    /// Its modification time, in seconds since the epoch (`Last-Modified`).
    pub modified: u64,
    /// What identifies these bytes (REN-4): a request file's sha256, a workspace file's
    /// `<hex mtime seconds>-<hex size>`.
    pub identity: String,
    /// Whether `identity` is a content hash (a request file) rather than mtime and size.
    pub hashed: bool,
    /// What the analysis is kept by: the hash, or the workspace, path, identity and the
    /// modification time's nanoseconds (mtime and size identify bytes only at one path).
    analysis_key: String,
}

impl Opened {
    fn of(file: File, identity: Option<String>, place: &str) -> airlock_core::Result<Opened> {
        let meta = file.metadata().map_err(|e| {
            AirlockError::with_message(ErrorCode::Internal, format!("reading a file's size: {e}"))
        })?;
        let since_epoch = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .unwrap_or_default();
        let modified = since_epoch.as_secs();
        let size = meta.len();
        let hashed = identity.is_some();
        let identity = identity.unwrap_or_else(|| format!("{modified:x}-{size:x}"));
        Ok(Opened {
            file,
            size,
            modified,
            hashed,
            analysis_key: if hashed {
                identity.clone()
            } else {
                // The nanoseconds too: bytes rewritten within a second at the same size
                // keep their REN-4 identity, but not their analysis or index.
                format!("{place}\u{0}{identity}\u{0}{}", since_epoch.subsec_nanos())
            },
            identity,
        })
    }

    /// The bytes again from the start, for another pass over them.
    pub fn reread(&self) -> std::io::Result<BufReader<File>> {
        let mut file = self.file.try_clone()?;
        file.seek(SeekFrom::Start(0))?;
        Ok(BufReader::new(file))
    }
}

impl Store {
    /// REN-1 and REN-6: a shown file of a workspace, after FMT-1 and ACC-3 (a path that is not
    /// shown is `not_found`, a directory `bad_request`), its WORKSPACE_FILE_VIEW written.
    pub fn view_workspace_file(
        &self,
        actor: &User,
        workspace: &str,
        relpath: &str,
    ) -> airlock_core::Result<Opened> {
        self.require_workspace(workspace)?;
        require_view(actor, workspace)?;
        let ws = self.workspaces.open(workspace)?;
        // A directory is never a shown file, so it is recognised before the file is looked up.
        // (Only whether it is one is asked: nothing under it is read.)
        let is_dir = airlock_core::workspace::validate_relpath(relpath).is_ok()
            && ws.dir().join(relpath).is_dir();
        let opened = if is_dir {
            None
        } else {
            Some(ws.open_file(relpath)?)
        };
        let Some((file, _)) = opened.filter(|(_, meta)| !meta.is_dir()) else {
            return Err(AirlockError::with_message(
                ErrorCode::BadRequest,
                "That is a directory; it has no contents to show.",
            ));
        };
        let opened = Opened::of(file, None, &format!("{workspace}/{relpath}"))?;
        let entry = NewAudit::about_workspace(
            AuditType::WorkspaceFileView,
            actor.id(),
            workspace,
            relpath,
            self.now(),
        );
        self.transaction(|conn| Ok(db::append_audit(conn, &entry)?))?;
        Ok(opened)
    }

    /// REN-1 and REN-6: the stored content of a request file in `group`, for a user who may
    /// view the request (`not_found` for a file not in that group, or a directory), its
    /// REQUEST_FILE_VIEW written. Answers the file's record too.
    pub fn view_request_file(
        &self,
        actor: &User,
        request_id: &str,
        group: &str,
        relpath: &str,
    ) -> airlock_core::Result<(Opened, airlock_core::RequestFile)> {
        let state = self.shared_request_state(actor, request_id)?;
        let file = state
            .file(relpath)
            .filter(|f| f.group == group)
            .cloned()
            .ok_or_else(AirlockError::not_found)?;
        let blobs = self.request_blobs(&state.request.workspace, request_id)?;
        let opened = Opened::of(blobs.open(&file.file_id)?, Some(file.file_id.clone()), "")?;
        let entry = NewAudit::about_request(
            AuditType::RequestFileView,
            actor.id(),
            &state.request.workspace,
            request_id,
            state.request.review_turn,
            self.now(),
        )
        .path(relpath)
        .extra("group", group);
        self.transaction(|conn| Ok(db::append_audit(conn, &entry)?))?;
        Ok((opened, file))
    }

    /// WEB-8: the study repository of a workspace the user may view: the `repo` of its
    /// manifest's first output (`not_found` when it names none).
    pub fn code_repository(&self, actor: &User, workspace: &str) -> airlock_core::Result<String> {
        self.require_workspace(workspace)?;
        require_view(actor, workspace)?;
        let ws = self.workspaces.open(workspace)?;
        ws.manifest()
            .first_repo()
            .filter(|r| !r.is_empty())
            .map(str::to_string)
            .ok_or_else(|| {
                AirlockError::with_message(
                    ErrorCode::NotFound,
                    "This workspace's manifest names no study repository.",
                )
            })
    }

    /// REN-3 and §15 for an opened CSV, kept by its identity. A file that cannot be read as
    /// CSV has no statistics and no hints.
    pub fn csv_analysis(&self, opened: &Opened) -> Arc<CsvAnalysis> {
        let empty = || CsvAnalysis {
            summary: None,
            hints: Vec::new(),
        };
        self.analyses
            .get_or_compute(&opened.analysis_key, || {
                let analysis = opened
                    .reread()
                    .ok()
                    .and_then(|r| airlock_core::hint::analyse(r, &self.rules).ok())
                    .unwrap_or_else(empty);
                Some(Arc::new(analysis))
            })
            .unwrap_or_else(|| Arc::new(empty()))
    }

    /// REN-2: the page `query` asks for of an opened CSV. Without a filter the page reads only
    /// its own rows, through the table's index and sort order kept by its identity; a filter
    /// reads every row.
    pub fn csv_table(&self, opened: &Opened, query: &TableQuery) -> Result<TablePage, CsvError> {
        let scan = || table_page(|| opened.reread(), query);
        if !query.filter.trim().is_empty() {
            return scan();
        }
        let reread = || {
            opened.reread().map_err(|e| CsvError {
                message: e.to_string(),
                line: None,
            })
        };
        let keep = |rows: u64| rows <= INDEXED_ROWS;
        let key = &opened.analysis_key;
        let index = self.tables.indexes.get_or_try_compute(
            key.clone(),
            || TableIndex::build(reread()?),
            |index| keep(index.rows()),
        );
        // Not CSV: the scan reports where.
        let Ok(index) = index else {
            return scan();
        };
        let order = match query.sort {
            None => None,
            Some((column, direction)) => Some(self.tables.orders.get_or_try_compute(
                (key.clone(), column, direction),
                || index.order(reread()?, column, direction),
                |_| keep(index.rows()),
            )?),
        };
        index.page(reread()?, order.as_deref(), query.page)
    }
}
