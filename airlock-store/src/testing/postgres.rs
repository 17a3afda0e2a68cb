//! The PostgreSQL server of a test run.
//!
//! [`PG_URL_ENV`] names one when set. Otherwise, when PostgreSQL's server binaries are installed
//! (`initdb` and `pg_ctl` on the `PATH` or under `/usr/lib/postgresql/<version>/bin`), the first
//! test process of a run starts a throwaway server: a temporary data directory, 127.0.0.1 on a
//! free port, `fsync=off`, run as the `postgres` user when the tests run as root. The other test
//! processes of the same run (the children of the same `cargo test` or `cargo nextest`) find it
//! through a state directory named after their parent process, and a watchdog stops the server
//! and removes its directory once that parent has exited.
//!
//! Without PostgreSQL installed the run says so in one line on standard error and the
//! PostgreSQL half is left out, unless [`REQUIRE_PG_ENV`] is set (CI), which makes that a
//! failure.

use std::fs::{self, File};
use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The environment variable naming the PostgreSQL database tests use (it wins over a server
/// started by the tests).
pub const PG_URL_ENV: &str = "AIRLOCK_TEST_PG_URL";

/// When set to anything but `0` or empty, a run without PostgreSQL fails instead of leaving the
/// PostgreSQL half out (CI sets it).
pub const REQUIRE_PG_ENV: &str = "AIRLOCK_TEST_REQUIRE_PG";

/// Where the PostgreSQL tests of this process connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PgTarget {
    /// A server at this URL.
    Url(String),
    /// PostgreSQL is not installed: why, in one line.
    NotInstalled(String),
}

/// The PostgreSQL of this test run: [`PG_URL_ENV`], or the run's throwaway server (started on
/// first use). `Err` when a server should run but could not be started.
pub fn pg_target() -> Result<PgTarget, String> {
    if let Ok(url) = std::env::var(PG_URL_ENV)
        && !url.trim().is_empty()
    {
        return Ok(PgTarget::Url(url.trim().to_string()));
    }
    static SERVER: OnceLock<Result<PgTarget, String>> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            let target = run_server();
            if let Ok(PgTarget::NotInstalled(why)) = &target
                && !required()
            {
                // Straight to the process's stderr, past the test harness's capture: once
                // per test process, so the run says it left the PostgreSQL half out.
                let _ = writeln!(
                    std::io::stderr(),
                    "airlock tests: {why}; the PostgreSQL half of the suite does not run \
                     (install PostgreSQL's server, or set {PG_URL_ENV})"
                );
            }
            target
        })
        .clone()
}

/// Whether [`REQUIRE_PG_ENV`] asks for PostgreSQL.
pub fn required() -> bool {
    std::env::var(REQUIRE_PG_ENV).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// PostgreSQL's server binaries: `initdb` and `pg_ctl` from the `PATH`, else from the newest
/// `/usr/lib/postgresql/<version>/bin` (Debian and Ubuntu keep them there).
fn server_binaries() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
    });
    on_path.or_else(|| {
        let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|entry| {
                let entry = entry.ok()?;
                let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
                let bin = entry.path().join("bin");
                (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file())
                    .then_some((version, bin))
            })
            .collect();
        versions.sort();
        versions.pop().map(|(_, bin)| bin)
    })
}

/// Joins the run's server, or starts it.
fn run_server() -> Result<PgTarget, String> {
    let Some(bin) = server_binaries() else {
        return Ok(PgTarget::NotInstalled(
            "PostgreSQL is not installed (no initdb and pg_ctl on the PATH or under \
             /usr/lib/postgresql)"
                .to_string(),
        ));
    };
    let run = std::os::unix::process::parent_id();
    let uid = current_uid()?;
    let state = std::env::temp_dir().join(format!("airlock-test-pg-{uid}-{run}"));
    fs::create_dir_all(&state).map_err(|e| format!("creating {}: {e}", state.display()))?;
    let lock = File::create(state.join("lock")).map_err(|e| format!("lock file: {e}"))?;
    // One process of the run starts the server; the others wait here, then join it.
    lock.lock()
        .map_err(|e| format!("locking the server state: {e}"))?;
    let url_file = state.join("url");
    if let Ok(url) = fs::read_to_string(&url_file)
        && reachable(&url)
    {
        return Ok(PgTarget::Url(url));
    }
    let url = start(&bin, &state, uid == 0, run)?;
    fs::write(&url_file, &url).map_err(|e| format!("writing {}: {e}", url_file.display()))?;
    Ok(PgTarget::Url(url))
}

/// The effective user id of this process (the owner of `/proc/self`).
fn current_uid() -> Result<u32, String> {
    fs::metadata("/proc/self")
        .map(|m| m.uid())
        .map_err(|e| format!("reading /proc/self: {e}"))
}

fn reachable(url: &str) -> bool {
    use diesel::Connection;
    diesel::PgConnection::establish(url).is_ok()
}

/// A command run as the `postgres` user when `as_postgres` (the tests run as root, and
/// PostgreSQL refuses to run as root), else as this user.
fn command(program: &Path, as_postgres: bool) -> Command {
    if as_postgres {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn run(mut command: Command, what: &str, log: &Path) -> Result<(), String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what}: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    let server_log = fs::read_to_string(log).unwrap_or_default();
    Err(format!(
        "{what} failed ({}): {}{}{server_log}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    ))
}

/// A port that was free a moment ago.
fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("finding a free port: {e}"))
}

/// Creates a cluster under `state` and starts it; a watchdog stops it once process `run` ends.
fn start(bin: &Path, state: &Path, as_postgres: bool, run_pid: u32) -> Result<String, String> {
    let data = state.join("data");
    let log = state.join("server.log");
    let _ = fs::remove_dir_all(&data);
    if as_postgres {
        let status = Command::new("chown")
            .args(["-R", "postgres:"])
            .arg(state)
            .status()
            .map_err(|e| format!("chown: {e}"))?;
        if !status.success() {
            return Err(format!(
                "chown postgres {} failed: is there a postgres user?",
                state.display()
            ));
        }
    }
    let mut initdb = command(&bin.join("initdb"), as_postgres);
    initdb
        .arg("-D")
        .arg(&data)
        .args([
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
        ])
        .arg("--no-sync");
    run(initdb, "initdb", &log)?;
    let mut last_error = String::new();
    // A port found free can be taken before the server binds it: try a few.
    for _ in 0..3 {
        let port = free_port()?;
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -k {} -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=300",
            state.display()
        );
        let mut pg_ctl = command(&bin.join("pg_ctl"), as_postgres);
        pg_ctl
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(&log)
            .args(["-w", "-o", &options, "start"]);
        match run(pg_ctl, "pg_ctl start", &log) {
            Ok(()) => {
                watch(bin, &data, state, as_postgres, run_pid)?;
                return Ok(format!("postgres://postgres@127.0.0.1:{port}/postgres"));
            }
            Err(e) => last_error = e,
        }
    }
    Err(last_error)
}

/// Starts a detached watchdog that stops the server and removes `state` once process `run_pid`
/// has exited. Its standard streams are closed so that no test runner waits on it.
fn watch(
    bin: &Path,
    data: &Path,
    state: &Path,
    as_postgres: bool,
    run_pid: u32,
) -> Result<(), String> {
    let stop = if as_postgres {
        "runuser -u postgres -- \"$2/pg_ctl\" -D \"$3\" -m immediate -w stop"
    } else {
        "\"$2/pg_ctl\" -D \"$3\" -m immediate -w stop"
    };
    let script = format!(
        "while kill -0 \"$1\" 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf \"$4\""
    );
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("airlock-test-pg-watchdog")
        .arg(run_pid.to_string())
        .arg(bin)
        .arg(data)
        .arg(state)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(drop)
        .map_err(|e| format!("starting the server's watchdog: {e}"))
}
