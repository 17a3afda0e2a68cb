//! The integration tests of the airlock binary.
//!
//! One test binary for the crate (one link step); each module was once its own binary.

mod support;

mod cli;
mod operator;
