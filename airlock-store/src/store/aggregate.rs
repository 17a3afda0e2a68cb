//! The request aggregates this process read or wrote last, by request id, each with the
//! version it had (`requests.version`, incremented by every transaction that changes the
//! aggregate, on any instance). A caller reads the version (one indexed read) and takes the
//! cached aggregate only if the versions match, so what it gets is always what the database
//! holds at that version.

use airlock_core::RequestState;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Rows (files, votes, comments, groups) of the aggregates kept, at most: a few MiB. When a
/// new aggregate would pass it, the cache starts again empty.
pub(crate) const AGGREGATE_ROWS: usize = 20_000;

/// Aggregates by request id, with their version.
#[derive(Debug)]
pub(crate) struct Aggregates {
    map: Mutex<Kept>,
    max_rows: usize,
}

#[derive(Debug, Default)]
struct Kept {
    by_id: HashMap<String, (i64, Arc<RequestState>)>,
    rows: usize,
}

fn rows(state: &RequestState) -> usize {
    1 + state.groups.len() + state.files.len() + state.votes.len() + state.comments.len()
}

impl Aggregates {
    /// A cache of aggregates of at most `max_rows` rows in all.
    pub(crate) fn new(max_rows: usize) -> Self {
        Aggregates {
            map: Mutex::new(Kept::default()),
            max_rows,
        }
    }

    /// The aggregate of `id` at `version`, if kept.
    pub(crate) fn get(&self, id: &str, version: i64) -> Option<Arc<RequestState>> {
        let kept = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        kept.by_id
            .get(id)
            .filter(|(v, _)| *v == version)
            .map(|(_, state)| Arc::clone(state))
    }

    /// Keeps `state` as the aggregate of its request at `version` (unless a newer one is kept).
    pub(crate) fn put(&self, version: i64, state: Arc<RequestState>) {
        let size = rows(&state);
        if size > self.max_rows {
            return;
        }
        let mut kept = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        let id = state.request.id.clone();
        let old = match kept.by_id.get(&id) {
            Some((v, _)) if *v > version => return,
            Some((_, old)) => rows(old),
            None => 0,
        };
        if kept.rows - old + size > self.max_rows {
            kept.by_id.clear();
            kept.rows = 0;
        } else {
            kept.rows -= old;
        }
        kept.rows += size;
        kept.by_id.insert(id, (version, state));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_aggregate_is_answered_only_at_its_version() {
        let cache = Aggregates::new(100);
        let state = Arc::new(airlock_core::testing::request_in(
            airlock_core::Status::Pending,
        ));
        let id = state.request.id.clone();
        cache.put(3, Arc::clone(&state));
        assert!(cache.get(&id, 3).is_some());
        assert!(
            cache.get(&id, 4).is_none(),
            "a newer version is not answered"
        );
        cache.put(2, Arc::clone(&state));
        assert!(
            cache.get(&id, 3).is_some(),
            "an older version never replaces a newer one"
        );
        assert!(cache.get("other", 3).is_none());
    }

    #[test]
    fn the_cache_stays_within_its_row_budget() {
        let state = airlock_core::testing::request_in(airlock_core::Status::Pending);
        let size = rows(&state);
        let cache = Aggregates::new(size * 2);
        for i in 0..5 {
            let mut s = state.clone();
            s.request.id = format!("R{i}");
            cache.put(1, Arc::new(s));
            let kept = cache.map.lock().unwrap_or_else(PoisonError::into_inner);
            assert!(kept.rows <= size * 2 && kept.rows == kept.by_id.len() * size);
        }
        assert!(cache.get("R4", 1).is_some(), "the newest is kept");
        // An aggregate larger than the budget is never kept.
        let small = Aggregates::new(size - 1);
        small.put(1, Arc::new(state.clone()));
        assert!(small.get(&state.request.id, 1).is_none());
    }
}
