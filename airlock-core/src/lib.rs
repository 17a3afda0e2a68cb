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
pub mod csvstats;
pub mod decision;
pub mod effect;
pub mod error;
pub mod hints;
pub mod logs;
pub mod model;
pub mod notification;
pub mod regular;
pub mod rules;
pub mod session;
pub mod status;
pub mod testkit;
pub mod transitions;
pub mod user;
pub mod users_file;
pub mod view;
pub mod visibility;
pub mod workspace;

pub use error::{AirlockError, ErrorCode, Result};
pub use model::*;
pub use rules::{Ctx, Rules};
pub use status::{Owner, Phase, Status};
pub use user::{Grant, ProjectDetails, User};
