//! Test support shipped behind the `testing` feature: a fresh database per test on every
//! backend the run has ([`databases`]), and the run's PostgreSQL server ([`postgres`]).
//! Dependents enable the feature in their `[dev-dependencies]`; nothing in the product uses it.

pub mod databases;
pub mod postgres;

pub use databases::{TestDb, postgres_url, test_databases, try_test_databases};
pub use postgres::{PG_URL_ENV, REQUIRE_PG_ENV};
