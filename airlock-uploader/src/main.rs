//! `airlock-uploader`: the background worker as its own process.

use airlock_store::config::Config;
use airlock_store::store::Store;
use airlock_uploader::{WORKER_NAME, Worker, WorkerSettings};
use anyhow::Context;
use clap::Parser;
use std::path::PathBuf;
use std::sync::Arc;

/// The Airlock background worker: uploads released files to the Jobs site, delivers the
/// notification outbox and runs the daily regular requests (behaviour.md §16, §17, OPS-3).
///
/// `airlock-web` runs the same worker in its own process unless started with `--no-worker`;
/// run this binary, with the same configuration, for a separate worker process. Several workers
/// may share one PostgreSQL database: each file and notification is claimed before it is sent.
/// On SQLite, extra workers are harmless but add nothing. Stops cleanly on SIGTERM or Ctrl-C;
/// a worker killed outright loses nothing (an interrupted attempt is retried once its claim
/// ends: the connect and upload timeouts plus a few seconds).
#[derive(Debug, Parser)]
#[command(name = "airlock-uploader", version)]
struct Args {
    /// The configuration file (TOML), as for airlock-web.
    #[arg(long, env = "AIRLOCK_CONFIG", value_name = "FILE")]
    config: PathBuf,
    /// Run passes until nothing is due now, print what was done as JSON, and exit.
    #[arg(long)]
    once: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    let config = Config::load(&args.config)
        .with_context(|| format!("configuration {} refused", args.config.display()))?;
    config.validate().context("configuration refused")?;
    let store = Store::open(&config).context("cannot open the store")?;
    let worker = Worker::new(store.clone(), WorkerSettings::from_config(&config));
    if args.once {
        let report = worker.drain().context("the worker's pass failed")?;
        println!(
            "{}",
            serde_json::json!({
                "notifications": report.notifications,
                "uploads": report.uploads,
                "released": report.released,
            })
        );
        return Ok(());
    }
    let mut signals = signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGINT,
    ])
    .context("cannot install the signal handler")?;
    let signal = Arc::clone(store.signal());
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            // Blocks until the first SIGTERM or SIGINT: no polling.
            if signals.forever().next().is_some() {
                tracing::info!("{WORKER_NAME}: stopping");
                signal.stop();
            }
        })
        .context("cannot start the signal watcher")?;
    worker.run();
    Ok(())
}
