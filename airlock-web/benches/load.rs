//! Load benchmark of the service (issue: the running service, §6; PG-24 for the pages). Starts
//! the release-built `airlock-web` as its own process on a generated workspace of 10 000
//! outputs (test mode, SQLite), prepares a submitted request of 100 files, then drives 16
//! concurrent keep-alive connections at each endpoint in turn: through the API the workspace
//! file listing, the request view and a vote; through the pages (a cookie session) the
//! workspace directory and file pages, the request overview and file pages, the Reviews page
//! and a vote by its form. For each it prints throughput, latency percentiles, the server's CPU
//! time per request (from `/proc/<pid>/stat`) and its resident memory afterwards, and for a
//! page the size of its HTML.
//!
//! Run with `just load` or `cargo bench -p airlock-web --bench load`. `AIRLOCK_LOAD_SECONDS`
//! sets the measured seconds per endpoint (default 10).

use airlock_store::generate::{OutputKind, generate_workspace};
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

const OUTPUTS: usize = 10_000;
const REQUEST_FILES: usize = 100;
const CONNECTIONS: usize = 16;
const WORKSPACE: &str = "load";

type Error = Box<dyn std::error::Error>;

/// What one connection sends: its agent and the call's sequence number; answers success.
type Sender = Arc<dyn Fn(&ureq::Agent, usize) -> bool + Send + Sync>;

/// The server process; killed on drop.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// User plus system CPU time of process `pid` (`self` for this one) so far.
fn cpu_of(pid: &str) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which is in parentheses): utime and stime are the
    // 14th and 15th fields of the whole line, in clock ticks (100 per second on Linux).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<u64> = rest
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    let ticks = fields.get(11).copied().unwrap_or(0) + fields.get(12).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

impl Server {
    /// User plus system CPU time of the server so far.
    fn cpu(&self) -> Duration {
        cpu_of(&self.child.id().to_string())
    }

    /// Resident memory in MiB.
    fn rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    }
}

fn users_file() -> Value {
    let grant = json!({"project_details": {"name": "Load", "ongoing": true, "orgs": ["Org"]},
                       "archived": false});
    let user = |name: &str, checker: bool, workspaces: Value| {
        json!({"token": name, "details": {"username": name, "workspaces": workspaces,
                                          "output_checker": checker}})
    };
    json!({
        "researcher": user("researcher", false, json!({ WORKSPACE: grant })),
        "checker_1": user("checker_1", true, json!({})),
        "checker_2": user("checker_2", true, json!({})),
    })
}

fn free_port() -> Result<u16, Error> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn start(dir: &Path) -> Result<Server, Error> {
    let port = free_port()?;
    std::fs::write(dir.join("users.json"), users_file().to_string())?;
    let config = format!(
        "workspace_dir = \"{ws}\"\nwork_dir = \"{work}\"\nrequest_dir = \"{work}/requests\"\n\
         repo_cache_dir = \"{work}/repos\"\ndatabase_url = \"{work}/airlock.db\"\n\
         regular_requests_file = \"{work}/regular.json\"\ndev_users_file = \"{users}\"\n\
         bind_address = \"127.0.0.1\"\nport = {port}\n",
        ws = dir.join("workspaces").display(),
        work = dir.join("work").display(),
        users = dir.join("users.json").display(),
    );
    std::fs::create_dir_all(dir.join("work"))?;
    std::fs::write(dir.join("work/regular.json"), "[]")?;
    std::fs::write(dir.join("airlock.toml"), config)?;
    let log = std::fs::File::create(dir.join("server.log"))?;
    let child = Command::new(env!("CARGO_BIN_EXE_airlock-web"))
        .arg("--config")
        .arg(dir.join("airlock.toml"))
        .env("RUST_LOG", "info")
        .env("RUST_BACKTRACE", "0")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()?;
    let server = Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(2))
        .build();
    for _ in 0..300 {
        if agent.get(&format!("{}/healthz", server.url)).call().is_ok() {
            return Ok(server);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!(
        "the server did not start; see {}",
        dir.join("server.log").display()
    )
    .into())
}

/// A call whose answer is read to the end and dropped (the load generator shares the two
/// cores with the server, so it does not parse what it does not need).
fn hit(agent: &ureq::Agent, method: &str, url: &str, token: &str, body: Option<&Value>) -> bool {
    let request = agent
        .request(method, url)
        .set("Authorization", &format!("Bearer {token}"));
    let response = match body {
        Some(body) => request.send_json(body.clone()),
        None => request.call(),
    };
    match response {
        Ok(response) => std::io::copy(&mut response.into_reader(), &mut std::io::sink()).is_ok(),
        Err(_) => false,
    }
}

fn call(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    token: &str,
    body: Option<&Value>,
) -> Result<Value, Error> {
    let request = agent
        .request(method, url)
        .set("Authorization", &format!("Bearer {token}"));
    let response = match body {
        Some(body) => request.send_json(body.clone())?,
        None => request.call()?,
    };
    Ok(response.into_json()?)
}

fn login(agent: &ureq::Agent, url: &str, user: &str) -> Result<String, Error> {
    let answer: Value = agent
        .post(&format!("{url}/api/v1/session"))
        .send_json(json!({"user": user, "token": user}))?
        .into_json()?;
    Ok(answer["token"].as_str().ok_or("no token")?.to_string())
}

/// The CSV tables of the content benchmark: (path, data rows).
const TABLES: [(&str, usize); 2] = [
    ("output/tables/rows_1000.csv", 1_000),
    ("output/tables/rows_100000.csv", 100_000),
];

/// Writes the tables of [`TABLES`] into the workspace with their manifest entries (copied from
/// a generated output's, with their own size, hash and time): counts of which one in 50 is a
/// low count, so the hints have something to find.
fn add_tables(workspace: &Path) -> Result<(), Error> {
    use sha2::{Digest, Sha256};
    let manifest_path = workspace.join("metadata/manifest.json");
    let mut manifest: Value = serde_json::from_slice(&std::fs::read(&manifest_path)?)?;
    let template = manifest["outputs"]
        .as_object()
        .and_then(|o| o.values().find(|e| e["level"] == "moderately_sensitive"))
        .cloned()
        .ok_or("no output to copy")?;
    for (path, rows) in TABLES {
        let mut csv = String::from("region,age_band,sex,count,rate\n");
        for i in 0..rows {
            let count = if i % 50 == 7 {
                3
            } else {
                100 + (i * 37) % 9_000
            };
            csv.push_str(&format!(
                "Region {},{}-{},{},{count},{:.2}\n",
                i % 9,
                (i % 8) * 10,
                (i % 8) * 10 + 9,
                if i % 2 == 0 { "F" } else { "M" },
                (i % 1000) as f64 / 10.0
            ));
        }
        let file = workspace.join(path);
        std::fs::create_dir_all(file.parent().ok_or("no parent")?)?;
        std::fs::write(&file, &csv)?;
        let modified = std::fs::metadata(&file)?
            .modified()?
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs_f64();
        let mut entry = template.clone();
        entry["size"] = json!(csv.len());
        entry["content_hash"] = json!(hex::encode(Sha256::digest(csv.as_bytes())));
        entry["timestamp"] = json!(modified);
        manifest["outputs"][path] = entry;
    }
    std::fs::write(&manifest_path, serde_json::to_vec(&manifest)?)?;
    Ok(())
}

/// A cookie session of the pages: the `Cookie` header and the session's CSRF token.
#[derive(Clone)]
struct PageSession {
    cookie: String,
    csrf: String,
}

/// The value of the form field `csrf_token` in a page.
fn csrf_in(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let at = html.find(marker)? + marker.len();
    html[at..].split('"').next().map(str::to_string)
}

/// The `name=value` pairs a response sets.
fn cookies_of(response: &ureq::Response) -> Vec<String> {
    response
        .all("set-cookie")
        .iter()
        .filter_map(|c| c.split(';').next().map(str::to_string))
        .collect()
}

/// Logs `user` in through the login form (PG-10) and reads the session's token.
fn page_login(url: &str, user: &str) -> Result<PageSession, Error> {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(60))
        .redirects(0)
        .build();
    let form = agent.get(&format!("{url}/login/")).call()?;
    let pre_session = cookies_of(&form).join("; ");
    let csrf = csrf_in(&form.into_string()?).ok_or("no token on the login form")?;
    let logged_in = agent
        .post(&format!("{url}/login/"))
        .set("Cookie", &pre_session)
        .set("Origin", url)
        .send_form(&[("user", user), ("token", user), ("csrf_token", &csrf)])?;
    let cookie = cookies_of(&logged_in)
        .into_iter()
        .find(|c| c.starts_with("airlock-sessionid="))
        .ok_or("no session cookie")?;
    let page = agent
        .get(&format!("{url}/workspaces/"))
        .set("Cookie", &cookie)
        .call()?
        .into_string()?;
    let csrf = csrf_in(&page).ok_or("no token on the workspaces page")?;
    Ok(PageSession { cookie, csrf })
}

/// A page asked for with the session's cookie; answers success (200, or the 303 of a form).
fn hit_page(
    agent: &ureq::Agent,
    url: &str,
    session: &PageSession,
    form: Option<&[(&str, &str)]>,
) -> bool {
    let request = agent
        .request(if form.is_some() { "POST" } else { "GET" }, url)
        .set("Cookie", &session.cookie);
    let response = match form {
        Some(fields) => {
            let mut all: Vec<(&str, &str)> = fields.to_vec();
            all.push(("csrf_token", &session.csrf));
            request.send_form(&all)
        }
        None => request.call(),
    };
    match response {
        Ok(response) => {
            let status = response.status();
            std::io::copy(&mut response.into_reader(), &mut std::io::sink()).is_ok()
                && (status == 200 || status == 303)
        }
        Err(_) => false,
    }
}

/// The size of a page's HTML (PG-24: under 100 kB).
fn page_size(url: &str, session: &PageSession) -> Result<usize, Error> {
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let body = agent
        .get(url)
        .set("Cookie", &session.cookie)
        .call()?
        .into_string()?;
    Ok(body.len())
}

/// Latencies of one scenario.
struct Run {
    requests: usize,
    errors: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

/// Drives `CONNECTIONS` threads at `send` for `seconds` (after one second of warm-up).
fn drive(seconds: u64, send: Sender) -> Run {
    let stop = Arc::new(AtomicBool::new(false));
    let measuring = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(CONNECTIONS + 1));
    let handles: Vec<_> = (0..CONNECTIONS)
        .map(|thread| {
            let (stop, measuring, errors, barrier, send) = (
                Arc::clone(&stop),
                Arc::clone(&measuring),
                Arc::clone(&errors),
                Arc::clone(&barrier),
                Arc::clone(&send),
            );
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new()
                    .timeout(Duration::from_secs(30))
                    .max_idle_connections_per_host(1)
                    .redirects(0)
                    .build();
                let mut latencies = Vec::new();
                barrier.wait();
                let mut n = thread;
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    let ok = send(&agent, n);
                    n += CONNECTIONS;
                    if measuring.load(Ordering::Relaxed) {
                        latencies.push(started.elapsed());
                        if !ok {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                latencies
            })
        })
        .collect();
    barrier.wait();
    std::thread::sleep(Duration::from_secs(1));
    measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(seconds));
    measuring.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut latencies: Vec<Duration> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap_or_default())
        .collect();
    latencies.sort();
    Run {
        requests: latencies.len(),
        errors: errors.load(Ordering::Relaxed),
        elapsed,
        latencies,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn report(name: &str, server: &Server, seconds: u64, send: Sender) {
    let cpu_before = server.cpu();
    let client_before = cpu_of("self");
    let run = drive(seconds, send);
    // CPU over the warm-up second too: count those requests at the measured rate.
    let cpu = server.cpu().saturating_sub(cpu_before);
    let client = cpu_of("self").saturating_sub(client_before);
    let rate = run.requests as f64 / run.elapsed.as_secs_f64();
    let total_requests = rate * (run.elapsed.as_secs_f64() + 1.0);
    println!(
        "{name}: {} requests ({} errors), {rate:.0}/s, p50 {}, p99 {} (target < 10 ms), max {}, \
         server CPU {:.3} ms/request (target < 1 ms), RSS after {:.1} MiB (target < 64 MiB); \
         load generator CPU {:.3} ms/request",
        run.requests,
        run.errors,
        ms(percentile(&run.latencies, 0.50)),
        ms(percentile(&run.latencies, 0.99)),
        ms(run.latencies.last().copied().unwrap_or_default()),
        cpu.as_secs_f64() * 1000.0 / total_requests.max(1.0),
        server.rss_mib(),
        client.as_secs_f64() * 1000.0 / total_requests.max(1.0),
    );
}

fn main() -> Result<(), Error> {
    let seconds: u64 = std::env::var("AIRLOCK_LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let dir = tempfile::tempdir()?;
    let generated = generate_workspace(&dir.path().join("workspaces"), WORKSPACE, OUTPUTS, 7)?;
    add_tables(&dir.path().join("workspaces").join(WORKSPACE))?;
    let server = start(dir.path())?;
    let url = server.url.clone();
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(60))
        .build();
    let researcher = login(&agent, &url, "researcher")?;
    let checker = login(&agent, &url, "checker_1")?;

    // A submitted request of 100 CSV outputs in one group.
    let files: Vec<String> = generated
        .outputs
        .iter()
        .filter(|(path, kind)| *kind == OutputKind::Shown && path.ends_with(".csv"))
        .map(|(path, _)| path.clone())
        .take(REQUEST_FILES)
        .collect();
    let add = json!({"group": "tables", "files": files.iter()
        .map(|p| json!({"path": p, "filetype": "OUTPUT"})).collect::<Vec<_>>()});
    let added = call(
        &agent,
        "POST",
        &format!("{url}/api/v1/workspaces/{WORKSPACE}/request/files"),
        &researcher,
        Some(&add),
    )?;
    let id = added["request"]["id"]
        .as_str()
        .ok_or("no request")?
        .to_string();
    call(
        &agent,
        "PUT",
        &format!("{url}/api/v1/requests/{id}/groups/tables"),
        &researcher,
        Some(&json!({"context": "c", "controls": "c"})),
    )?;
    call(
        &agent,
        "POST",
        &format!("{url}/api/v1/requests/{id}/submit"),
        &researcher,
        None,
    )?;
    println!(
        "setup: {OUTPUTS} outputs, a submitted request of {} files, {CONNECTIONS} connections, {seconds} s per endpoint; RSS {:.1} MiB",
        files.len(),
        server.rss_mib()
    );

    // `AIRLOCK_LOAD_ONLY=<name>` runs one scenario (for profiling the server, whose pid is
    // printed).
    let only = std::env::var("AIRLOCK_LOAD_ONLY").ok();
    let wanted = |name: &str| only.as_deref().is_none_or(|o| o == name);
    println!("server pid {}", server.child.id());
    let listing = format!("{url}/api/v1/workspaces/{WORKSPACE}/files");
    if wanted("page") {
        let (listing, token) = (listing.clone(), researcher.clone());
        report(
            "workspace file listing, pages of 100 (10 000 outputs)",
            &server,
            seconds,
            Arc::new(move |agent, n| {
                let url = format!("{listing}?limit=100&offset={}", (n % 100) * 100);
                hit(agent, "GET", &url, &token, None)
            }),
        );
    }
    if wanted("view") {
        let view = format!("{url}/api/v1/requests/{id}");
        let token = checker.clone();
        report(
            "request view (100 files, hints)",
            &server,
            seconds,
            Arc::new(move |agent, _| hit(agent, "GET", &view, &token, None)),
        );
    }
    if wanted("listing") {
        let token = researcher.clone();
        report(
            "workspace file listing, whole (10 000 outputs, 2 MB)",
            &server,
            seconds,
            Arc::new(move |agent, _| hit(agent, "GET", &listing, &token, None)),
        );
    }
    if wanted("vote") {
        let token = checker.clone();
        let files = Arc::new(files.clone());
        let url = url.clone();
        let id = id.clone();
        report(
            "vote",
            &server,
            seconds,
            Arc::new(move |agent, n| {
                let path = &files[n % files.len()];
                let vote = if (n / files.len()).is_multiple_of(2) {
                    "APPROVED"
                } else {
                    "CHANGES_REQUESTED"
                };
                hit(
                    agent,
                    "PUT",
                    &format!("{url}/api/v1/requests/{id}/files/{path}/vote"),
                    &token,
                    Some(&json!({"vote": vote})),
                )
            }),
        );
    }
    pages(&server, seconds, &id, &files, &wanted)
}

/// PG-24: the pages under the same load, through a cookie session each.
fn pages(
    server: &Server,
    seconds: u64,
    id: &str,
    files: &[String],
    wanted: &dyn Fn(&str) -> bool,
) -> Result<(), Error> {
    let url = server.url.clone();
    let researcher = page_login(&url, "researcher")?;
    let checker = page_login(&url, "checker_2")?;
    let first = files.first().ok_or("no file")?.clone();
    let directory = first.rsplit_once('/').map_or("", |(d, _)| d).to_string();
    let shown: Vec<(&str, String, &PageSession)> = vec![
        (
            "page: workspace directory",
            format!("{url}/workspaces/view/{WORKSPACE}/{directory}/"),
            &researcher,
        ),
        (
            "page: workspace file",
            format!("{url}/workspaces/view/{WORKSPACE}/{first}"),
            &researcher,
        ),
        (
            "page: request overview (100 files)",
            format!("{url}/requests/view/{id}/"),
            &checker,
        ),
        (
            "page: request file",
            format!("{url}/requests/view/{id}/tables/{first}"),
            &checker,
        ),
        (
            "page: reviews",
            format!("{url}/requests/output_checker"),
            &checker,
        ),
    ];
    for (name, page, session) in shown {
        if !wanted(name) && !wanted("pages") {
            continue;
        }
        println!(
            "{name}: {} bytes of HTML (target < 100 kB)",
            page_size(&page, session)?
        );
        let session = session.clone();
        report(
            name,
            server,
            seconds,
            Arc::new(move |agent, _| hit_page(agent, &page, &session, None)),
        );
    }
    // Each table's first page, then the large one's other views: a later page and a sort
    // (read through the kept index and order), and a filter (which reads every row).
    let views = TABLES
        .iter()
        .map(|&(path, rows)| (path, rows, "", "a page of 500, hints cached"))
        .chain(TABLES.iter().skip(1).flat_map(|&(path, rows)| {
            [
                ("?rows=150", "page 150, index cached"),
                ("?sort=3&dir=asc", "sorted by count, order cached"),
                ("?sort=3&dir=asc&rows=150", "sorted, page 150"),
                ("?q=Region+3", "filtered: every row read"),
            ]
            .map(|(query, what)| (path, rows, query, what))
        }));
    for (path, rows, query, what) in views {
        let name = format!("content: CSV table of {rows} rows ({what})");
        if !wanted(&name) && !wanted("pages") && !wanted("tables") {
            continue;
        }
        let page = format!("{url}/workspaces/content/{WORKSPACE}/{path}{query}");
        println!("{name}: {} bytes of HTML", page_size(&page, &researcher)?);
        let session = researcher.clone();
        report(
            &name,
            server,
            seconds,
            Arc::new(move |agent, _| hit_page(agent, &page, &session, None)),
        );
    }
    if wanted("page: vote") || wanted("pages") {
        let files: Arc<Vec<String>> = Arc::new(files.to_vec());
        let id = id.to_string();
        report(
            "page: vote by the form (303 to the next file)",
            server,
            seconds,
            Arc::new(move |agent, n| {
                let path = &files[n % files.len()];
                let action = if (n / files.len()).is_multiple_of(2) {
                    "approve"
                } else {
                    "request_changes"
                };
                hit_page(
                    agent,
                    &format!("{url}/requests/{action}/{id}/tables/{path}"),
                    &checker,
                    Some(&[]),
                )
            }),
        );
    }
    Ok(())
}
