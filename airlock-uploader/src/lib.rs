//! # airlock-uploader
//!
//! The background worker of Airlock (`behaviour.md` §16, §17, OPS-3). Each pass:
//!
//! 1. delivers due notifications from the outbox, oldest first and in order per request
//!    (NOT-5);
//! 2. uploads every released file that is due, streaming the stored blob after checking its
//!    sha256 (UPL-1 to UPL-4, UPL-7);
//! 3. completes APPROVED requests whose files are all uploaded (UPL-5);
//! 4. runs the daily regular requests when their time has come (OPS-3).
//!
//! Between passes it sleeps until the earliest due attempt or the poll interval, whichever is
//! sooner, and wakes at once when the web process in which it runs queues work (UPL-6).
//! Every attempt is claimed in the database before anything is sent, so several workers (on
//! PostgreSQL) and restarts after a crash never send the same file at the same time.
//!
//! The worker runs inside `airlock-web` by default ([`Worker::spawn`]) and standalone as the
//! `airlock-uploader` binary with the same configuration.

mod blob;
mod regular;

pub use blob::{BlobProblem, BlobStream, CheckedBlob, Verified};
pub use regular::RegularSchedule;

use airlock_core::action::{UploadAnswer, UploadStep};
use airlock_store::config::Config;
use airlock_store::jobsite::{JobSiteError, Uploaded};
use airlock_store::store::Store;
use airlock_store::store::release::{OutboxEntry, UploadJob};
use std::time::Duration;

/// Name of the worker, shown in logs.
pub const WORKER_NAME: &str = "airlock-uploader";

/// Upload attempts claimed per pass before the worker looks at notifications again.
const UPLOADS_PER_PASS: i64 = 64;

/// Notifications sent per pass, at most.
const NOTIFICATIONS_PER_PASS: usize = 256;

/// How the worker runs.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// UPL-6: the longest sleep between passes.
    pub poll_interval: Duration,
    /// How long a claimed upload stays claimed: the connect and upload timeouts plus a margin.
    pub upload_claim: Duration,
    /// How long a claimed notification stays claimed.
    pub notification_claim: Duration,
    /// OPS-3: when the daily regular requests run, if at all.
    pub regular: Option<RegularSchedule>,
}

/// Time allowed beyond the HTTP timeouts before a claim ends: reading the blob and recording
/// the outcome.
pub const CLAIM_MARGIN: Duration = Duration::from_secs(5);

impl WorkerSettings {
    /// The settings the configuration gives (§22).
    pub fn from_config(config: &Config) -> WorkerSettings {
        WorkerSettings {
            poll_interval: config.upload_poll_interval,
            upload_claim: config.http_connect_timeout + config.upload_timeout + CLAIM_MARGIN,
            notification_claim: config.http_connect_timeout + config.http_timeout + CLAIM_MARGIN,
            regular: RegularSchedule::from_config(config),
        }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Notification delivery attempts.
    pub notifications: usize,
    /// Upload attempts.
    pub uploads: usize,
    /// Requests that became RELEASED.
    pub released: Vec<String>,
}

impl PassReport {
    /// True when the pass attempted nothing.
    pub fn idle(&self) -> bool {
        self.notifications == 0 && self.uploads == 0
    }
}

/// The background worker over one store.
#[derive(Debug, Clone)]
pub struct Worker {
    store: Store,
    settings: WorkerSettings,
}

impl Worker {
    /// A worker over `store` (its Jobs site client and wake-up signal included).
    pub fn new(store: Store, settings: WorkerSettings) -> Worker {
        Worker { store, settings }
    }

    /// Runs [`Worker::run`] on its own thread (inside `airlock-web`). Stop it with
    /// `store.signal().stop()` and join the handle.
    pub fn spawn(self) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new()
            .name(WORKER_NAME.into())
            .spawn(move || self.run())
    }

    /// Runs passes until the store's signal says stop, sleeping in between (UPL-6). A pass that
    /// fails (say, the database is unreachable) is logged and retried after the poll interval.
    pub fn run(&self) {
        tracing::info!(
            jobs_site = self.store.jobs_site().is_some(),
            poll_interval_s = self.settings.poll_interval.as_secs_f64(),
            "{WORKER_NAME} started"
        );
        let signal = self.store.signal().clone();
        while !signal.is_stopped() {
            let sleep = match self.pass() {
                Ok(report) if !report.idle() => Duration::ZERO,
                Ok(_) => self.idle_sleep(),
                Err(e) => {
                    tracing::error!(error = %e, "{WORKER_NAME}: pass failed");
                    self.settings.poll_interval
                }
            };
            if !sleep.is_zero() {
                signal.wait(sleep);
            }
        }
        tracing::info!("{WORKER_NAME} stopped");
    }

    /// Runs passes until one attempts nothing, then answers what they did in total (operators'
    /// `--once`, tests and benchmarks).
    pub fn drain(&self) -> airlock_core::Result<PassReport> {
        let mut total = PassReport::default();
        loop {
            let report = self.pass()?;
            let idle = report.idle();
            total.notifications += report.notifications;
            total.uploads += report.uploads;
            total.released.extend(report.released);
            if idle {
                return Ok(total);
            }
        }
    }

    /// One pass: notifications, uploads, completions, regular requests.
    pub fn pass(&self) -> airlock_core::Result<PassReport> {
        let notifications = self.deliver_notifications()?;
        let (uploads, mut released) = self.upload_due_files()?;
        released.extend(self.store.complete_uploaded_requests()?);
        for id in &released {
            tracing::info!(request = %id, "request released: every file is uploaded");
        }
        if let Some(regular) = &self.settings.regular {
            regular.run_if_due(&self.store);
        }
        Ok(PassReport {
            notifications,
            uploads,
            released,
        })
    }

    /// UPL-6: until the earliest due upload or notification, at most the poll interval.
    fn idle_sleep(&self) -> Duration {
        let now = self.store.now();
        let earliest = [
            self.store.next_upload_due().ok().flatten(),
            self.store.next_notification_due().ok().flatten(),
        ]
        .into_iter()
        .flatten()
        .min();
        let until_due = earliest
            .map(|t| (t - now).to_std().unwrap_or(Duration::ZERO))
            .unwrap_or(self.settings.poll_interval);
        // At least a millisecond: a time due "now" was just found not claimable.
        until_due
            .min(self.settings.poll_interval)
            .max(Duration::from_millis(1))
    }

    /// NOT-5: sends the due notifications (one per request: a request's next row is due in the
    /// next pass); answers the number of attempts.
    fn deliver_notifications(&self) -> airlock_core::Result<usize> {
        let claimed = self
            .store
            .claim_notifications(self.settings.notification_claim, NOTIFICATIONS_PER_PASS)?;
        for entry in &claimed {
            if self.store.signal().is_stopped() {
                // The unsent claims end by themselves; nothing is lost.
                break;
            }
            self.deliver(entry)?;
        }
        Ok(claimed.len())
    }

    fn deliver(&self, entry: &OutboxEntry) -> airlock_core::Result<()> {
        let Some(client) = self.store.jobs_site() else {
            // API-8: test mode.
            tracing::info!(id = entry.id, event = %entry.event_type, request = %entry.request_id,
                payload = %entry.payload, "would send notification (test mode: no Jobs site token)");
            return self.store.notification_delivered(entry.id, None);
        };
        let payload: serde_json::Value = match serde_json::from_str(&entry.payload) {
            Ok(payload) => payload,
            Err(e) => {
                // Never sent as something else: retried, then listed as stuck for operators.
                tracing::error!(id = entry.id, error = %e, "the stored notification is not JSON");
                self.store.notification_failed(
                    entry.id,
                    &format!("the stored payload is not JSON: {e}"),
                    rand::random(),
                )?;
                return Ok(());
            }
        };
        match client.notify(&entry.username, &payload) {
            Ok(None) => {
                tracing::info!(id = entry.id, event = %entry.event_type, request = %entry.request_id,
                    "notification delivered");
                self.store.notification_delivered(entry.id, None)
            }
            Ok(Some(message)) => {
                tracing::warn!(id = entry.id, event = %entry.event_type, request = %entry.request_id,
                    %message, "notification delivered; the Jobs site reported an error");
                self.store.notification_delivered(entry.id, Some(&message))
            }
            Err(e) => {
                let next =
                    self.store
                        .notification_failed(entry.id, &describe(&e), rand::random())?;
                tracing::warn!(id = entry.id, event = %entry.event_type, request = %entry.request_id,
                    attempt = entry.attempts, error = %e, %next, "notification not delivered; will retry");
                Ok(())
            }
        }
    }

    /// UPL-1 to UPL-5: attempts every due file once; answers the number of attempts and the
    /// requests that became RELEASED with their last upload.
    fn upload_due_files(&self) -> airlock_core::Result<(usize, Vec<String>)> {
        let mut attempts = 0;
        let mut released = Vec::new();
        for (request_id, relpath) in self.store.due_uploads(UPLOADS_PER_PASS)? {
            if self.store.signal().is_stopped() {
                break;
            }
            let Some(job) =
                self.store
                    .claim_upload(&request_id, &relpath, self.settings.upload_claim)?
            else {
                continue;
            };
            attempts += 1;
            if self.upload(&job)? {
                released.push(job.request_id);
            }
        }
        Ok((attempts, released))
    }

    /// One claimed attempt: check the blob, stream it, record the outcome. True when it was
    /// the request's last file and the request became RELEASED (UPL-5).
    fn upload(&self, job: &UploadJob) -> airlock_core::Result<bool> {
        let path = self
            .store
            .request_blobs(&job.workspace, &job.request_id)?
            .path(&job.file_id)?;
        let started = std::time::Instant::now();
        let blob = match CheckedBlob::open(&path, &job.file_id, job.size, job.seal.as_deref()) {
            Ok((blob, how)) => {
                tracing::debug!(request = %job.request_id, path = %job.relpath, ?how,
                    ms = started.elapsed().as_millis() as u64, "stored file checked");
                if let Verified::ByHash(Some(identity)) = &how {
                    // Recorded for next time; failing to record only costs a re-hash.
                    if let Err(e) = self.store.reseal(job, identity) {
                        tracing::warn!(error = %e, "cannot record the stored file's identity");
                    }
                }
                blob
            }
            Err(problem) => {
                tracing::error!(request = %job.request_id, path = %job.relpath, error = %problem,
                    "upload refused: the stored file is not the reviewed one");
                let blocked = UploadStep::Blocked {
                    path: job.relpath.clone(),
                    error: problem.to_string(),
                };
                return self
                    .store
                    .act_upload(&job.request_id, &blocked)
                    .map(|_| false);
            }
        };
        let outcome = match self.store.jobs_site() {
            None => Err("no Jobs site token: uploads are unavailable in test mode".to_string()),
            Some(client) => {
                let len = blob.len();
                client
                    .upload(
                        &job.released_by,
                        &job.request_id,
                        &job.relpath,
                        blob.stream(),
                        len,
                    )
                    .map_err(|e| describe(&e))
            }
        };
        tracing::debug!(request = %job.request_id, path = %job.relpath,
            ms = started.elapsed().as_millis() as u64, "upload call ended");
        match outcome {
            Ok(how) => {
                if how == Uploaded::AlreadyUploaded {
                    tracing::info!(request = %job.request_id, path = %job.relpath,
                        "the Jobs site already had this file: counted as uploaded");
                } else {
                    tracing::info!(request = %job.request_id, path = %job.relpath,
                        attempt = job.attempt, bytes = job.size, "file uploaded");
                }
                let succeeded = UploadStep::Succeeded {
                    path: job.relpath.clone(),
                };
                self.store
                    .act_upload(&job.request_id, &succeeded)
                    .map(|answer| answer == UploadAnswer::Completed(true))
            }
            Err(error) => {
                tracing::warn!(request = %job.request_id, path = %job.relpath,
                    attempt = job.attempt, %error, "upload failed; will retry");
                let failed = UploadStep::Failed {
                    path: job.relpath.clone(),
                    error,
                    unit_random: rand::random(),
                };
                self.store
                    .act_upload(&job.request_id, &failed)
                    .map(|_| false)
            }
        }
    }
}

/// `upload_last_error` and `last_error`: the status and `detail`, or the kind of failure
/// (API-25).
fn describe(error: &JobSiteError) -> String {
    match error {
        JobSiteError::Status { status, detail } => {
            let detail: String = detail.chars().take(300).collect();
            format!("HTTP {status}: {detail}")
        }
        JobSiteError::Transport(why) => format!("network error: {why}"),
        JobSiteError::BadAnswer(why) => format!("unexpected answer: {why}"),
    }
}
