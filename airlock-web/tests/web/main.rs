//! The integration tests of airlock-web: the service over HTTP and its binary.
//!
//! One test binary for the crate (one link step); each module was once its own binary.

mod support;

mod api_endpoints;
mod api_flow;
mod api_input;
mod binary;
mod browser;
mod openapi;
mod pages;
mod reauth;
mod release;
