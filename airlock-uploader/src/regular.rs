//! OPS-3 inside the worker: the regular release requests run once a day, at a configured UTC
//! time, by exactly one worker.

use airlock_store::auth::Directory;
use airlock_store::config::Config;
use airlock_store::store::Store;
use airlock_store::store::regular::RegularResult;
use chrono::NaiveTime;
use std::path::PathBuf;

/// The name of the daily job in the database (`scheduled_runs`).
pub const JOB_NAME: &str = "regular_requests";

/// When and from which file the daily regular requests run.
#[derive(Debug, Clone)]
pub struct RegularSchedule {
    /// UTC time of day from which the day's run is due.
    pub at: NaiveTime,
    /// The regular-requests file.
    pub file: PathBuf,
    /// Where authors' records come from (OPS-2).
    pub directory: Directory,
}

impl RegularSchedule {
    /// The schedule the configuration gives: `None` when `regular_requests_time` is `off` or
    /// no user directory can be built.
    pub fn from_config(config: &Config) -> Option<RegularSchedule> {
        let at = config.regular_requests_time?;
        let directory = Directory::from_config(config).ok()?;
        Some(RegularSchedule {
            at,
            file: config.regular_requests_file.clone(),
            directory,
        })
    }

    /// Runs the day's regular requests if the time has come and no worker ran them today, and
    /// answers their results; `None` when it did not run (not due, already run today, no file,
    /// or a file that is not a list). Every result is logged.
    pub fn run_if_due(&self, store: &Store) -> Option<Vec<RegularResult>> {
        let now = store.now();
        if now.time() < self.at {
            return None;
        }
        match store.claim_daily_run(JOB_NAME) {
            Ok(true) => self.run(store),
            Ok(false) => None,
            Err(e) => {
                tracing::error!(error = %e, "regular requests: cannot claim today's run");
                None
            }
        }
    }

    fn run(&self, store: &Store) -> Option<Vec<RegularResult>> {
        let bytes = match std::fs::read(&self.file) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::info!(file = %self.file.display(), "regular requests: no file, nothing to run");
                return None;
            }
            Err(e) => {
                tracing::error!(file = %self.file.display(), error = %e, "regular requests: cannot read the file");
                return None;
            }
        };
        match store
            .automated()
            .run_regular_requests(&self.directory, &bytes)
        {
            Err(e) => {
                tracing::error!(file = %self.file.display(), error = %e, "regular requests: the file is invalid");
                None
            }
            Ok(results) => {
                for r in &results {
                    if r.failed {
                        tracing::error!(entry = r.entry, workspace = ?r.workspace, request = ?r.request_id,
                            message = %r.message, "regular request failed");
                    } else {
                        tracing::info!(entry = r.entry, workspace = ?r.workspace, request = ?r.request_id,
                            completed = r.completed, message = %r.message, "regular request run");
                    }
                }
                Some(results)
            }
        }
    }
}
