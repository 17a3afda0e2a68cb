//! The integration tests of the upload worker and its binary.
//!
//! One test binary for the crate (one link step); each module was once its own binary.

mod support;

mod binary;
mod crash;
mod regular;
mod workers;
