//! Benchmark: `airlock audit verify` (AUD-5) over 1 000 000 audit entries (target: under 10 s).
//!
//! Run: `cargo bench -p airlock-store --bench audit_verify [-- <entries>]`. Builds a chain of
//! realistic entries in a fresh SQLite database (bulk insert, not timed), then times the same
//! walk the CLI runs: keyset-paginated reads through `for_each_audit_entry` into
//! `ChainVerifier`. Set `AIRLOCK_BENCH_PG_URL` to a PostgreSQL database to measure it there
//! too (a fresh schema is created and dropped).

use airlock_core::audit::{AuditType, NewAudit};
use airlock_core::chain::{ChainVerifier, GENESIS_HASH, entry_hash};
use airlock_store::db::row::AuditRow;
use airlock_store::db::schema::audit_log;
use airlock_store::db::{self, DbConnection, DbError};
use airlock_store::testing::TestDb;
use chrono::{TimeZone, Utc};
use diesel::prelude::*;
use std::ops::ControlFlow;
use std::time::Instant;

/// Rows per INSERT statement (12 columns; SQLite allows 32 766 parameters).
const INSERT_BATCH: usize = 1_000;
/// Rows per read in the verify walk (what the CLI uses).
const READ_BATCH: i64 = 10_000;

fn entry(i: i64) -> NewAudit {
    let time = Utc
        .timestamp_opt(1_735_689_600 + i, 123_456_000)
        .single()
        .unwrap_or_default();
    let request = format!("01JBENCH{:018}", i / 200);
    let kinds = [
        AuditType::RequestFileApprove,
        AuditType::RequestFileView,
        AuditType::RequestComment,
        AuditType::RequestFileAdd,
    ];
    NewAudit::about_request(
        kinds[(i % 4) as usize],
        &format!("user{}", i % 17),
        &format!("workspace-{}", i % 5),
        &request,
        i % 3,
        time,
    )
    .path(&format!("output/dir{}/table_{i}.csv", i % 31))
    .extra("group", format!("group{}", i % 7))
}

fn fill(conn: &mut DbConnection, entries: i64) -> Result<(), DbError> {
    let mut prev = GENESIS_HASH.to_string();
    let mut id = 1;
    while id <= entries {
        db::write_tx(conn, |conn| -> Result<(), DbError> {
            let end = (id + 100_000).min(entries + 1);
            let mut rows = Vec::with_capacity(INSERT_BATCH);
            while id < end {
                let e = entry(id);
                let hash = entry_hash(&prev, id, &e);
                rows.push(AuditRow::new(id, &e, prev.clone(), hash.clone())?);
                prev = hash;
                id += 1;
                if rows.len() == INSERT_BATCH || id == end {
                    let insert = diesel::insert_into(audit_log::table).values(&rows);
                    match conn {
                        DbConnection::Sqlite(c) => insert.execute(c)?,
                        DbConnection::Pg(c) => insert.execute(c)?,
                    };
                    rows.clear();
                }
            }
            Ok(())
        })?;
    }
    Ok(())
}

fn verify(conn: &mut DbConnection) -> Result<u64, String> {
    let mut verifier = ChainVerifier::new();
    db::for_each_audit_entry(conn, READ_BATCH, |e| {
        if verifier.push(e) {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(())
        }
    })
    .map_err(|e| e.to_string())?;
    verifier.finish().map_err(|bad| bad.to_string())
}

fn run(db: &TestDb, entries: i64) -> Result<(), String> {
    let mut conn = db.conn().map_err(|e| e.to_string())?;
    let start = Instant::now();
    fill(&mut conn, entries).map_err(|e| e.to_string())?;
    println!(
        "{}: wrote {entries} chained entries in {:.1} s (setup, not the measure)",
        db.name(),
        start.elapsed().as_secs_f64()
    );
    // As the CLI finds it: the bulk insert checkpointed out of the WAL, a fresh connection.
    if db.name() == "sqlite" {
        use diesel::connection::SimpleConnection;
        conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")
            .map_err(|e| e.to_string())?;
    }
    drop(conn);
    let mut conn = db.conn().map_err(|e| e.to_string())?;
    let start = Instant::now();
    let read = db::for_each_audit_entry(&mut conn, READ_BATCH, |_| ControlFlow::Continue(()))
        .map_err(|e| e.to_string())?;
    println!(
        "{}: reading and decoding {read} entries alone: {:.2} s",
        db.name(),
        start.elapsed().as_secs_f64()
    );
    let start = Instant::now();
    let checked = verify(&mut conn)?;
    let took = start.elapsed().as_secs_f64();
    println!(
        "{}: audit verify checked {checked} entries in {took:.2} s ({:.0} entries/s; target < 10 s for 1 000 000)",
        db.name(),
        checked as f64 / took
    );
    Ok(())
}

fn main() -> Result<(), String> {
    let entries: i64 = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let sqlite = TestDb::sqlite().map_err(|e| e.to_string())?;
    run(&sqlite, entries)?;
    if let Ok(url) = std::env::var("AIRLOCK_BENCH_PG_URL") {
        let pg = TestDb::postgres(&url).map_err(|e| e.to_string())?;
        run(&pg, entries)?;
    }
    Ok(())
}
