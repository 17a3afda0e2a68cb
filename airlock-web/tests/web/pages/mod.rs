//! The pages over HTTP (`pages.md`): a whole request's life through the forms alone, what each
//! viewer is offered against what the operations accept, the refusals, and the security
//! properties every page must keep.

mod code;
mod contents;
mod docs;
mod journey;
mod offers;
mod refusals;
mod security;
mod snapshots;
