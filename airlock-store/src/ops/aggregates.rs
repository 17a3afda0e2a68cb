//! The request aggregates this process read or wrote last, by request id, each with the
//! version it had (`requests.version`, incremented by every transaction that changes the
//! aggregate, on any instance). A caller reads the version (one indexed read) and takes the
//! cached aggregate only if the versions match, so what it gets is always what the database
//! holds at that version.

use airlock_core::RequestState;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Requests whose aggregate is kept.
pub(crate) const AGGREGATES: usize = 1024;

/// Aggregates by request id, with their version.
#[derive(Debug)]
pub(crate) struct Aggregates {
    map: Mutex<HashMap<String, (i64, Arc<RequestState>)>>,
    capacity: usize,
}

impl Aggregates {
    /// A cache of at most `capacity` aggregates.
    pub(crate) fn new(capacity: usize) -> Self {
        Aggregates {
            map: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// The aggregate of `id` at `version`, if kept.
    pub(crate) fn get(&self, id: &str, version: i64) -> Option<Arc<RequestState>> {
        let map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(id)
            .filter(|(v, _)| *v == version)
            .map(|(_, state)| Arc::clone(state))
    }

    /// Keeps `state` as the aggregate of its request at `version` (unless a newer one is kept).
    pub(crate) fn put(&self, version: i64, state: Arc<RequestState>) {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= self.capacity && !map.contains_key(&state.request.id) {
            map.clear();
        }
        let id = state.request.id.clone();
        match map.get(&id) {
            Some((kept, _)) if *kept > version => {}
            _ => {
                map.insert(id, (version, state));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_aggregate_is_answered_only_at_its_version() {
        let cache = Aggregates::new(2);
        let state = Arc::new(airlock_core::testkit::request_in(
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
}
