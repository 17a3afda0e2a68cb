//! Upload benchmark (issue: release, upload worker and notifications, §6): one released 1 GiB
//! file uploaded by the standalone worker (`airlock-uploader --once`, release build) to the
//! Jobs-site double on loopback, side by side with curl sending the same request to the same
//! double, three times each, alternating. The issue names `curl --data-binary @file`, but curl
//! reads such a file into memory and refuses one of 1 GiB ("out of memory": its limit is
//! 1 GiB), so curl streams it with `-X POST -T file` instead (with `Expect:` unset, so that it
//! does not wait for a 100 Continue): the same bytes, headers and Content-Length. Below 1 GiB
//! (`AIRLOCK_UPLOAD_MIB`) the benchmark uses `--data-binary @file` as named. Targets: worker resident memory under 64 MiB, time
//! within 1.5× of curl.
//!
//! The worker checks the blob against its sha256 before sending it: by the blob's file identity
//! when it equals the one the store recorded when it wrote and verified the blob (the normal
//! case, measured three times), else by hashing it whole first (measured once more at the end,
//! after forgetting the identity). Either way the bytes are hashed again as they are sent and
//! the last block is held back unless they match.
//!
//! `cargo bench -p airlock-uploader --bench upload` (`just bench-upload`). `AIRLOCK_UPLOAD_MIB`
//! changes the size (default 1024). Runs on SQLite.

#[path = "../tests/uploader/support/mod.rs"]
mod support;

use airlock_jobsite_double::Endpoint;
use airlock_store::testing::TestDb;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `command`, polling its peak resident memory (VmHWM); answers (wall time, peak KiB).
fn measure(mut command: Command) -> (Duration, u64) {
    let start = Instant::now();
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starts");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            for line in text.lines() {
                if let Some(v) = line.strip_prefix("VmHWM:") {
                    let kib: u64 = v.trim().trim_end_matches("kB").trim().parse().unwrap_or(0);
                    peak = peak.max(kib);
                }
            }
        }
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "{command:?} failed: {status}");
            return (start.elapsed(), peak);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let mib: usize = std::env::var("AIRLOCK_UPLOAD_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    eprintln!("preparing a released request with one {mib} MiB file ...");
    let db = TestDb::sqlite().expect("database");
    let r = support::released_with(db, 1, mib << 20, 600);
    let (path, _) = r.files.iter().next().expect("one file");
    let path = path.clone();
    let blob = {
        let state = r.store.request_status(&r.request_id).expect("status");
        assert_eq!(state, airlock_core::Status::Approved);
        let sha = &r.site.releases()[0].files[&path].0;
        r.config_file
            .parent()
            .expect("dir")
            .join("requests")
            .join(support::WS)
            .join(&r.request_id)
            .join(sha)
    };
    let size = std::fs::metadata(&blob).expect("blob").len();
    // curl uploads into a second release with the same file list.
    let mut body = r.site.calls_to(Endpoint::CreateRelease)[0]
        .json()
        .expect("release body");
    body["metadata"]["airlock_id"] = "curl-bench".into();
    r.store
        .jobs_site()
        .expect("client")
        .create_release("output_checker_1", support::WS, &body)
        .expect("curl's release");
    let curl_url = format!("{}/releases/release/curl-bench", r.site.endpoint());

    let mut worker_s = Vec::new();
    let mut curl_s = Vec::new();
    let mut worker_peak = 0;
    let mut curl_peak = 0;
    for round in 1..=3 {
        r.site.forget_uploads();
        let mut curl = Command::new("curl");
        curl.args(["-sS", "-o", "/dev/null", "--fail-with-body"])
            .args(["-H", &format!("Authorization: {}", support::TOKEN)])
            .args(["-H", "OS-User: output_checker_1"])
            .args(["-H", "Content-Type: application/octet-stream"])
            .args(["-H", "Accept: application/json"])
            .args([
                "-H",
                &format!("Content-Disposition: attachment; filename=\"{path}\""),
            ]);
        if size < 1 << 30 {
            curl.arg("--data-binary")
                .arg(format!("@{}", blob.display()));
        } else {
            curl.args(["-X", "POST", "-H", "Expect:", "-T"]).arg(&blob);
        }
        curl.arg(&curl_url);
        let (t, peak) = measure(curl);
        curl_s.push(t.as_secs_f64());
        curl_peak = curl_peak.max(peak);

        reset(&r, round);
        let mut worker = Command::new(env!("CARGO_BIN_EXE_airlock-uploader"));
        worker
            .arg("--config")
            .arg(&r.config_file)
            .arg("--once")
            .env(
                "RUST_LOG",
                std::env::var("AIRLOCK_UPLOAD_LOG").unwrap_or_else(|_| "warn".into()),
            );
        let (t, peak) = measure(worker);
        assert_eq!(
            r.store.request_status(&r.request_id).expect("status"),
            airlock_core::Status::Released,
            "the worker uploaded the file"
        );
        worker_s.push(t.as_secs_f64());
        worker_peak = worker_peak.max(peak);
        eprintln!(
            "round {round}: curl {:.2} s, worker {:.2} s",
            curl_s[round - 1],
            worker_s[round - 1]
        );
    }
    // Once more without the recorded identity: the worker hashes the whole blob first (the
    // path of a blob restored from a backup), and records the identity again.
    r.site.forget_uploads();
    reset(&r, 2);
    {
        use diesel::RunQueryDsl;
        let mut conn = r.db.conn().expect("conn");
        diesel::sql_query("DELETE FROM blob_seals")
            .execute(&mut conn)
            .expect("forget the seal");
    }
    let mut worker = Command::new(env!("CARGO_BIN_EXE_airlock-uploader"));
    worker.arg("--config").arg(&r.config_file).arg("--once");
    let (unsealed, unsealed_peak) = measure(worker);
    let (w, c) = (median(worker_s), median(curl_s));
    let mb = size as f64 / 1e6;
    println!("upload of {mib} MiB to the Jobs-site double on loopback (median of 3, alternating):");
    let how = if size < 1 << 30 {
        "curl --data-binary @file"
    } else {
        "curl -X POST -T file    "
    };
    println!(
        "  {how}  {c:6.2} s  {:7.0} MB/s  peak RSS {:5.1} MiB",
        mb / c,
        curl_peak as f64 / 1024.0
    );
    println!(
        "  airlock-uploader --once   {w:6.2} s  {:7.0} MB/s  peak RSS {:5.1} MiB   (target < 64 MiB)",
        mb / w,
        worker_peak as f64 / 1024.0
    );
    println!(
        "  worker / curl             {:6.2}×                                  (target ≤ 1.5×)",
        w / c
    );
    println!(
        "  worker, identity unknown  {:6.2} s  {:7.0} MB/s  peak RSS {:5.1} MiB   ({:.2}× curl: hashed whole before sending)",
        unsealed.as_secs_f64(),
        mb / unsealed.as_secs_f64(),
        unsealed_peak as f64 / 1024.0,
        unsealed.as_secs_f64() / c
    );
}

/// Makes the request's file due again and the request APPROVED, for the next round.
fn reset(r: &support::Released, round: usize) {
    if round == 1 {
        return;
    }
    use diesel::RunQueryDsl;
    let mut conn = r.db.conn().expect("conn");
    diesel::sql_query(
        "UPDATE request_files SET uploaded = false, uploaded_at = NULL, \
         upload_next_attempt_at = NULL, upload_attempts = 0",
    )
    .execute(&mut conn)
    .expect("reset files");
    diesel::sql_query("UPDATE requests SET status = 'APPROVED'")
        .execute(&mut conn)
        .expect("reset status");
}
