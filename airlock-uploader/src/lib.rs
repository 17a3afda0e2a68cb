//! Airlock background worker for release uploads and notifications. The worker arrives in a
//! later issue; this crate already depends on the store so that the seam is in place.

/// Name of the worker, shown in logs.
pub const WORKER_NAME: &str = "airlock-uploader";
