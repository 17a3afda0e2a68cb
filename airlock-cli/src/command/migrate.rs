//! `migrate`: applies the embedded migrations.

use crate::EXIT_OK;
use crate::cli::MigrateArgs;
use crate::context::load_config;
use airlock_store::db;
use anyhow::Context;
use std::io::Write;
use std::path::Path;

/// Creates the product's directories, then applies every pending migration.
pub fn run(config: Option<&Path>, args: &MigrateArgs, out: &mut dyn Write) -> anyhow::Result<u8> {
    let config = load_config(config)?;
    config.create_dirs()?;
    let pool = db::connect(config.database_url.as_str(), 1)?;
    let mut conn = pool.get().context("cannot open a database connection")?;
    let backend = conn.backend();
    let applied = db::run_migrations(&mut conn)?;
    if args.json {
        let value = serde_json::json!({"backend": backend.as_str(), "applied": applied});
        writeln!(out, "{value}")?;
    } else if applied.is_empty() {
        writeln!(
            out,
            "The {backend} database is up to date: no pending migrations."
        )?;
    } else {
        writeln!(
            out,
            "Applied {} migration(s) to the {backend} database:",
            applied.len()
        )?;
        for name in &applied {
            writeln!(out, "  {name}")?;
        }
    }
    Ok(EXIT_OK)
}
