//! The integration tests of airlock-store, on every database the run has.
//!
//! One test binary for the crate (one link step); each module was once its own binary.

mod support;

mod auth;
mod blobstore_store;
mod code_view;
mod content_tables;
mod db_audit;
mod db_concurrency;
mod db_migrations;
mod db_outbox;
mod db_roundtrip;
mod fixtures;
mod ops_actions;
mod ops_concurrency;
mod ops_directories;
mod ops_files;
mod ops_uploads;
mod ops_views;
mod workspace_generate;
mod workspace_reader;
