//! The integration tests of airlock-core: the rules through the public API.
//!
//! One test binary for the crate (one link step); each module was once its own binary.

mod architecture;
mod csv_hints;
mod job_logs;
mod model;
mod parsers_never_panic;
mod permissions;
mod purity;
mod regular_requests;
mod visibility;
