//! # airlock-store
//!
//! Persistence for Airlock: the database (Diesel over SQLite or PostgreSQL), the workspace
//! reader, the content-addressed request file store, the configuration, and one transactional
//! operation per action of `behaviour.md`. Every operation reads, asks `airlock-core`, and
//! writes the change with its audit entries and outbox rows in one transaction.

pub mod auth;
pub mod blobstore;
pub mod code;
pub mod config;
pub mod db;
pub mod fileid;
#[cfg(feature = "generate")]
pub mod generate;
pub mod jobsite;
pub mod signal;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
pub mod workspace;

pub use store::Store;
