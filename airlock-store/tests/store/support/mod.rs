//! What the store tests share: database rows ([`db`]) and store harnesses ([`store`]).

pub mod db;
pub mod store;
