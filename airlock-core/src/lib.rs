//! # airlock-core
//!
//! The pure rules of Airlock (`behaviour.md`): types, the status machine, turns, votes,
//! decisions, permissions, visibility, CSV statistics and disclosure hints, and the audit chain.
//! Every rule lives here once, as functions over plain data, so that every surface (web, API,
//! CLI, worker) asks the same code.
//!
//! **Architecture invariant:** this crate does no I/O: no filesystem, network, database or clock.
//! Callers pass the time and any randomness in.

pub mod access;
pub mod action;
pub mod audit;
pub mod backoff;
pub mod chain;
pub mod context;
pub mod csvstats;
pub mod csvtable;
pub mod decision;
pub mod effect;
pub mod error;
pub mod hint;
pub mod joblog;
pub mod label;
pub mod listing;
pub mod markdown;
pub mod model;
pub mod notification;
pub mod offer;
pub mod redirect;
pub mod regular;
pub mod render;
pub mod session;
pub mod status;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod transition;
pub mod user;
pub mod users_file;
pub mod view;
pub mod visibility;
pub mod workspace;

pub use context::{Ctx, Rules};
pub use error::{AirlockError, ErrorCode, Result};
pub use model::*;
pub use status::{Owner, Phase, Status};
pub use user::{Grant, ProjectDetails, User};
