//! `airlock-web`: the Airlock service.

use airlock_store::auth::Directory;
use airlock_store::config::{Config, ENV_PREFIX};
use airlock_store::db;
use airlock_store::store::Store;
use airlock_uploader::{Worker, WorkerSettings};
use airlock_web::{App, server};
use anyhow::Context;
use clap::Parser;
use std::path::PathBuf;

/// The Airlock service: the web pages for researchers and output checkers, and the JSON API
/// under /api/v1, over the same store.
///
/// Runs the database migrations, then serves on `bind_address:port` until SIGTERM or Ctrl-C:
/// open `/` in a browser (in test mode the login page lists every user of the users file for a
/// one-click login). Set `public_url` when the service is reached through a proxy (HTTPS
/// cookies, the origin form posts must come from). Logs one line per request (set RUST_LOG to
/// change the level; default `info`).
#[derive(Debug, Parser)]
#[command(name = "airlock-web", version)]
struct Args {
    /// The configuration file (TOML); `fixtures/airlock.toml` runs the service on the
    /// repository's fixtures.
    #[arg(long, env = "AIRLOCK_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Do not run migrations; refuse to start when the schema is not current.
    #[arg(long)]
    no_migrate: bool,
    /// Do not run the background worker (release uploads, notifications, daily regular
    /// requests) in this process; run `airlock-uploader` with the same configuration instead.
    #[arg(long)]
    no_worker: bool,
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}

/// Threads that run store calls (database and file I/O): as many as the pool has connections,
/// since more would only wait for one. How many of them work at once is limited to one per
/// core by `App` (`airlock_web::app::cpu_slots`); the others wait, cheaply, or wait on the Jobs
/// site.
const BLOCKING_THREADS: usize = airlock_store::store::open::POOL_SIZE as usize;

/// What to say when no configuration is given: one line, naming the fixtures' one.
pub const NO_CONFIG: &str = "airlock-web needs a configuration: pass --config <FILE> or set \
    AIRLOCK_CONFIG (from the repository root, --config fixtures/airlock.toml serves the fixtures)";

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let Some(config) = args.config.clone() else {
        eprintln!("{NO_CONFIG}");
        std::process::exit(2);
    };
    init_tracing();
    let runtime = rocket::tokio::runtime::Builder::new_multi_thread()
        .thread_name("airlock-web")
        .max_blocking_threads(BLOCKING_THREADS)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(args, config))
}

async fn serve(args: Args, path: PathBuf) -> anyhow::Result<()> {
    let config =
        Config::load(&path).with_context(|| format!("configuration {} refused", path.display()))?;
    config.validate().context("configuration refused")?;
    let directory = Directory::from_config(&config).context("configuration refused")?;
    config.create_dirs().context("configuration refused")?;
    // Generated in <work_dir>/secret_key on first start when not configured.
    let secret_key = config
        .secret_key_or_generate()
        .context("configuration refused")?;
    if !args.no_migrate {
        let pool = db::connect(config.database_url.as_str(), 2)
            .context("cannot connect to the database")?;
        let mut conn = pool.get().context("cannot connect to the database")?;
        let applied = db::run_migrations(&mut conn).context("migrations failed")?;
        if !applied.is_empty() {
            tracing::info!(migrations = applied.len(), "database migrated");
        }
    }
    let store = Store::open(&config).context("cannot open the store")?;
    let worker = if args.no_worker {
        tracing::info!("the background worker runs elsewhere (--no-worker)");
        None
    } else {
        let worker = Worker::new(store.clone(), WorkerSettings::from_config(&config));
        Some(
            worker
                .spawn()
                .context("cannot start the background worker")?,
        )
    };
    let signal = std::sync::Arc::clone(store.signal());
    let app = App::new(store, directory, &config, secret_key);
    let rocket = server::build(app, server::figment(&config))
        .ignite()
        .await
        .context("the server could not start")?;
    let url = format!("http://{}:{}", config.bind_address, rocket.config().port);
    tracing::info!(%url, "{} listening; configuration keys can be overridden with {ENV_PREFIX}<KEY>", airlock_web::SERVICE_NAME);
    if let Some(users) = config.load_users()? {
        let names: Vec<&str> = users.usernames().collect();
        println!("Airlock is running at {url}/ (test mode: logins come from the users file).");
        println!(
            "Open {url}/login/ and log in with one click as one of: {}",
            names.join(", ")
        );
        println!(
            "The JSON API is at {url}/api/v1: POST {url}/api/v1/session {{\"user\": ..., \"token\": ...}}."
        );
        if let Some(file) = &config.dev_users_file {
            println!("Each user's token is in {}.", file.display());
        }
    } else {
        println!("Airlock is running at {url}/ (the JSON API at {url}/api/v1).");
    }
    let served = rocket.launch().await.context("the server failed");
    signal.stop();
    if let Some(worker) = worker {
        // The worker finishes the attempt in hand (bounded by its timeouts).
        let _ = rocket::tokio::task::spawn_blocking(move || worker.join()).await;
    }
    served.map(drop)
}
