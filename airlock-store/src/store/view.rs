//! Reads shaped as the JSON API shows them (`api.md` §3, §4), with their permission checks and
//! the visibility rules of `airlock_core::view`.

use super::Store;
use super::file::released_hashes;
use super::read::Page;
use crate::db;
use crate::workspace::Workspace;
use airlock_core::access::require_view;
use airlock_core::view::{
    HintView, RequestView, WorkspaceFileView, WorkspaceSummary, request_view, shows_hints,
    workspaces_of,
};
use airlock_core::workspace::ReleasedHashes;
use airlock_core::workspace::{DiskFiles, NodeKind, TreeOptions, digest_hex};
use airlock_core::{RequestState, User};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What the workspace browser reads (PG-16): one snapshot of the workspace (FMT-9), the
/// viewer's current request (ONE-3) and the hashes released from the workspace (WS-5 row 2).
pub struct Browse {
    /// The workspace as it is now.
    pub workspace: Workspace,
    /// The viewer's current request there.
    pub current: Option<Arc<RequestState>>,
    /// The `file_id`s released from it.
    pub released: ReleasedHashes,
}

impl Store {
    /// PG-16: what browsing `workspace` reads, after FMT-1 (`not_found`) and ACC-3.
    pub fn browse(&self, actor: &User, workspace: &str) -> airlock_core::Result<Browse> {
        self.require_workspace(workspace)?;
        require_view(actor, workspace)?;
        let ws = self.workspaces.open(workspace)?;
        let mut conn = self.conn()?;
        let current = match db::current_request_id(&mut conn, workspace, actor.id())? {
            Some(id) => self.shared_state(&mut conn, &id)?.map(|(_, state)| state),
            None => None,
        };
        let released = released_hashes(&mut conn, workspace)?;
        Ok(Browse {
            workspace: ws,
            current,
            released,
        })
    }

    /// HNT-4: the hints of a CSV file of a workspace, computed from its bytes as streamed and
    /// kept by content hash (the same bytes have the same hints, HNT-1). `None` when the file
    /// cannot be read or has no hints to compute.
    pub fn workspace_hints(
        &self,
        workspace: &Workspace,
        relpath: &str,
    ) -> Option<Arc<Vec<airlock_core::hint::Hint>>> {
        if !airlock_core::hint::applies_to(relpath) {
            return None;
        }
        let digest = workspace
            .manifest()
            .shown_entry(relpath, true)
            .filter(|e| !e.message)
            .and_then(|e| e.entry.digest().map(digest_hex))?;
        self.hints.get_or_compute(&digest, || {
            let (file, _) = workspace.open_file(relpath).ok()?;
            let hints = airlock_core::hint::analyse(std::io::BufReader::new(file), &self.rules)
                .map(|analysis| analysis.hints)
                .unwrap_or_default();
            Some(Arc::new(hints))
        })
    }

    /// `api.md` §3: the workspaces the user can view.
    pub fn workspaces_for(&self, actor: &User) -> airlock_core::Result<Vec<WorkspaceSummary>> {
        let directories = self.workspaces.list()?;
        Ok(workspaces_of(actor, &directories))
    }

    /// `api.md` §3: the shown files of a workspace with their statuses relative to the user's
    /// current request, sorted by path; one page of them when `page` is given.
    pub fn workspace_files(
        &self,
        actor: &User,
        workspace: &str,
        page: Option<Page>,
    ) -> airlock_core::Result<Vec<WorkspaceFileView>> {
        let mut files = Vec::new();
        self.for_each_workspace_file(actor, workspace, page, usize::MAX, |batch| {
            files.append(batch);
            true
        })?;
        Ok(files)
    }

    /// [`Store::workspace_files`] in batches of at most `batch` files, so that a caller can
    /// stream a large listing without holding it whole; `sink` may take the batch's views and
    /// answers false to stop. The permission checks happen before the first batch.
    pub fn for_each_workspace_file(
        &self,
        actor: &User,
        workspace: &str,
        page: Option<Page>,
        batch: usize,
        mut sink: impl FnMut(&mut Vec<WorkspaceFileView>) -> bool,
    ) -> airlock_core::Result<()> {
        self.require_workspace(workspace)?;
        require_view(actor, workspace)?;
        let ws = self.workspaces.open(workspace)?;
        let (current, released) = {
            let mut conn = self.conn()?;
            let current = match db::current_request_id(&mut conn, workspace, actor.id())? {
                Some(id) => self.shared_state(&mut conn, &id)?.map(|(_, state)| state),
                None => None,
            };
            (current, released_hashes(&mut conn, workspace)?)
        };
        let tree = ws.tree(TreeOptions::default(), current.as_deref(), &released)?;
        // Sorted by path (byte order), not in tree order. The tree's layout depends only on
        // the manifest and the files on disk, so the sorted node order is kept per layout.
        let layout = ListingKey::of(ws.name(), ws.manifest_hash(), ws.disk_files()?);
        let order = self
            .listing_orders
            .get_or_compute(&layout, || {
                let mut order: Vec<(&str, u32)> = tree
                    .nodes()
                    .enumerate()
                    .filter(|(_, node)| !node.is_dir())
                    .map(|(index, node)| (node.path, u32::try_from(index).unwrap_or(u32::MAX)))
                    .collect();
                order.sort_unstable();
                Some(Arc::new(
                    order.into_iter().map(|(_, index)| index).collect(),
                ))
            })
            .unwrap_or_default();
        let (skip, take) = match page {
            Some(page) => (
                usize::try_from(page.offset).unwrap_or(usize::MAX),
                usize::try_from(page.limit).unwrap_or(0),
            ),
            None => (0, usize::MAX),
        };
        let mut views = Vec::with_capacity(batch.min(order.len()));
        for &index in order.iter().skip(skip).take(take) {
            let Some(node) = tree.node(index as usize) else {
                continue;
            };
            let NodeKind::File(file) = node.kind else {
                continue;
            };
            views.push(WorkspaceFileView {
                path: node.path.to_string(),
                size: file.source.size(),
                sha256: file.source.digest().map(digest_hex),
                timestamp: file.source.timestamp().and_then(time_of),
                job_id: file.source.output().map(|e| e.output().job_id.to_string()),
                status: file.status,
            });
            if views.len() >= batch {
                if !sink(&mut views) {
                    return Ok(());
                }
                views.clear();
            }
        }
        if !views.is_empty() {
            sink(&mut views);
        }
        Ok(())
    }

    /// `api.md` §4: the request as the user may see it, hints included when they are shown.
    pub fn request_view(
        &self,
        actor: &User,
        request_id: &str,
    ) -> airlock_core::Result<RequestView> {
        let state = self.shared_request_state(actor, request_id)?;
        Ok(self.view_of(actor, &state))
    }

    /// PG-17: a request page reads the aggregate (to ask core what it offers) and its view
    /// for the viewer (what they may see), from one read.
    pub fn request_page(
        &self,
        actor: &User,
        request_id: &str,
    ) -> airlock_core::Result<(Arc<RequestState>, RequestView)> {
        let state = self.shared_request_state(actor, request_id)?;
        let view = self.view_of(actor, &state);
        Ok((state, view))
    }

    /// The names the pages show for users (USR-1: the full name, else the username), for
    /// these usernames, in one query; a user not in the local table is shown by username.
    pub fn display_names<'a>(
        &self,
        usernames: impl IntoIterator<Item = &'a str>,
    ) -> airlock_core::Result<HashMap<String, String>> {
        let mut wanted: Vec<&str> = usernames.into_iter().collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut names: HashMap<String, String> = wanted
            .iter()
            .map(|u| (u.to_string(), u.to_string()))
            .collect();
        if wanted.is_empty() {
            return Ok(names);
        }
        let mut conn = self.conn()?;
        names.extend(db::full_names(&mut conn, &wanted)?);
        Ok(names)
    }

    /// The view of a request already read for this user.
    pub fn view_of(&self, actor: &User, state: &RequestState) -> RequestView {
        let mut view = request_view(actor, state, &self.rules);
        if shows_hints(actor, &state.request) {
            view.hints = self.hints(state);
        }
        view
    }

    /// §15: the disclosure hints of the request's CSV outputs, read from the stored blobs.
    /// Blobs are content-addressed and never change, so each one's hints are computed once.
    fn hints(&self, state: &RequestState) -> Vec<HintView> {
        let mut out = Vec::new();
        let Ok(blobs) = self.request_blobs(&state.request.workspace, &state.request.id) else {
            return out;
        };
        for file in airlock_core::view::hinted_files(state) {
            let hints = self.hints.get_or_compute(&file.file_id, || {
                // Streamed: the analysis reads the blob in buffered chunks, never whole (HNT-1).
                let reader = std::io::BufReader::new(blobs.open(&file.file_id).ok()?);
                let hints = airlock_core::hint::analyse(reader, &self.rules)
                    .map(|analysis| analysis.hints)
                    .unwrap_or_default();
                Some(Arc::new(hints))
            });
            match hints {
                Some(hints) => out.extend(
                    hints
                        .iter()
                        .cloned()
                        .map(|h| HintView::of(&file.relpath, h)),
                ),
                None => {
                    tracing::warn!(request = %state.request.id, path = %file.relpath, "stored file missing");
                }
            }
        }
        out
    }
}

/// Seconds since the epoch as a UTC time, to the microsecond (an f64 of today's times holds
/// no more: finer digits would be rounding noise).
fn time_of(seconds: f64) -> Option<DateTime<Utc>> {
    let micros = (seconds * 1e6).round();
    if !micros.is_finite() {
        return None;
    }
    DateTime::from_timestamp_micros(micros as i64)
}

/// What a workspace tree's layout depends on: the workspace, its manifest (by hash) and the
/// files on disk that it shows (metadata files and message files).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ListingKey {
    workspace: String,
    manifest: String,
    disk: u64,
}

impl ListingKey {
    fn of(workspace: &str, manifest_hash: &str, disk: &DiskFiles) -> ListingKey {
        use std::hash::Hasher;
        let mut hasher = std::hash::DefaultHasher::new();
        for file in disk.files() {
            hasher.write(file.relpath.as_bytes());
            hasher.write_u8(0);
        }
        ListingKey {
            workspace: workspace.to_string(),
            manifest: manifest_hash.to_string(),
            disk: hasher.finish(),
        }
    }
}

/// A small map from keys to shared values that are costly to compute and never go stale for
/// their key (blob hashes, manifest layouts). Bounded: when full it starts again, which keeps
/// memory flat, and a miss only costs a recomputation.
#[derive(Debug)]
pub(crate) struct BoundedCache<K, V> {
    map: Mutex<HashMap<K, Arc<V>>>,
    capacity: usize,
}

impl<K: std::hash::Hash + Eq + Clone, V> BoundedCache<K, V> {
    /// A cache of at most `capacity` entries.
    pub(crate) fn new(capacity: usize) -> Self {
        BoundedCache {
            map: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// The value of `key`, computing it with `compute` when unknown; `None` (not cached) when
    /// `compute` gives none.
    pub(crate) fn get_or_compute<Q>(
        &self,
        key: &Q,
        compute: impl FnOnce() -> Option<Arc<V>>,
    ) -> Option<Arc<V>>
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let lock = || {
            self.map
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if let Some(hit) = lock().get(key) {
            return Some(Arc::clone(hit));
        }
        let value = compute()?;
        let mut map = lock();
        if map.len() >= self.capacity {
            map.clear();
        }
        map.insert(key.to_owned(), Arc::clone(&value));
        Some(value)
    }

    /// The value of `key`, computing it with `compute` when unknown and keeping it only when
    /// `keep` says so (a value too large to keep is still answered); `compute`'s error is
    /// answered and nothing kept.
    pub(crate) fn get_or_try_compute<E>(
        &self,
        key: K,
        compute: impl FnOnce() -> Result<V, E>,
        keep: impl FnOnce(&V) -> bool,
    ) -> Result<Arc<V>, E> {
        let lock = || {
            self.map
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if let Some(hit) = lock().get(&key) {
            return Ok(Arc::clone(hit));
        }
        let value = Arc::new(compute()?);
        if keep(&value) {
            let mut map = lock();
            if map.len() >= self.capacity {
                map.clear();
            }
            map.insert(key, Arc::clone(&value));
        }
        Ok(value)
    }
}

/// Blobs whose hints are kept.
pub(crate) const HINT_CACHE_ENTRIES: usize = 4096;

/// Tree layouts whose listing order is kept.
pub(crate) const LISTING_ORDERS: usize = 64;
