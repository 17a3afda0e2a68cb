//! Finding the browsers and their drivers, and running the drivers: each a child process on a
//! free port, stopped when its handle is dropped or, for the ones shared until the run ends,
//! when the test process exits however it exits. A [`Pool`] per browser lends a driver to each
//! session: chromedriver serves every session of the run, a geckodriver one session at a time.

use super::{Browser, POLL, WAIT};
use serde_json::Value;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// An installed browser and its driver.
#[derive(Debug, Clone)]
pub struct Install {
    /// Which browser.
    pub browser: Browser,
    /// The WebDriver server.
    pub driver: PathBuf,
    /// The browser's executable.
    pub binary: PathBuf,
}

/// The first of `names` found as an executable file on the `PATH` or in `extra`.
fn find_program(names: &[&str], extra: &[PathBuf]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = std::env::split_paths(&path)
        .chain(extra.iter().cloned())
        .collect();
    names.iter().find_map(|name| {
        dirs.iter().map(|dir| dir.join(name)).find(|candidate| {
            use std::os::unix::fs::PermissionsExt;
            candidate
                .metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

/// Where `cargo install` puts programs (geckodriver comes from crates.io).
fn cargo_bin_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        dirs.push(PathBuf::from(home).join("bin"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo/bin"));
    }
    dirs
}

/// The browser and its driver, or what is missing.
pub fn find(browser: Browser) -> Result<Install, String> {
    let extra = match browser {
        Browser::Chromium => Vec::new(),
        Browser::Firefox => cargo_bin_dirs(),
    };
    let driver = find_program(browser.driver_names(), &extra);
    let binary = find_program(browser.binary_names(), &[]);
    match (driver, binary) {
        (Some(driver), Some(binary)) => Ok(Install {
            browser,
            driver,
            binary,
        }),
        (driver, binary) => {
            let mut missing = Vec::new();
            if binary.is_none() {
                missing.push(browser.binary_names().join(" or "));
            }
            if driver.is_none() {
                missing.push(browser.driver_names().join(" or "));
            }
            Err(format!("{browser}: no {} found", missing.join(" and no ")))
        }
    }
}

/// A WebDriver server running as a child process.
pub struct Driver {
    /// Its URL, `http://127.0.0.1:<port>/`.
    pub url: String,
    child: Child,
    /// The wrapper stops the driver when this pipe closes.
    lifeline: Option<ChildStdin>,
}

/// Runs the driver in a process group of its own and kills that group (the driver and the
/// browsers it started) once standard input, the pipe from the test process, reaches its end:
/// when the [`Driver`] is dropped or the test process exits, however it exits.
const WRAPPER: &str = r#"exec 3<&0
setsid "$@" </dev/null >/dev/null 2>&1 &
driver=$!
{ cat <&3 >/dev/null; kill -TERM -"$driver" 2>/dev/null; } &
wait "$driver""#;

impl Driver {
    /// Starts the driver of `install` on a free port and waits until it is ready.
    pub fn start(install: &Install) -> Result<Driver, String> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("finding a free port: {e}"))?
            .port();
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(WRAPPER)
            .arg("sh")
            .arg(&install.driver)
            .arg(format!("--port={port}"));
        if install.browser == Browser::Firefox {
            // The BiDi port defaults to a fixed one; several geckodrivers run at once.
            command.arg("--websocket-port=0");
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting {}: {e}", install.driver.display()))?;
        let lifeline = child.stdin.take();
        let mut driver = Driver {
            url: format!("http://127.0.0.1:{port}/"),
            child,
            lifeline,
        };
        driver.wait_ready(install)?;
        Ok(driver)
    }

    fn wait_ready(&mut self, install: &Install) -> Result<(), String> {
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(2))
            .build();
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(response) = agent.get(&format!("{}status", self.url)).call()
                && let Ok(status) = response.into_json::<Value>()
                && status["value"]["ready"] == true
            {
                return Ok(());
            }
            if let Ok(Some(exit)) = self.child.try_wait() {
                return Err(format!("{} exited ({exit})", install.driver.display()));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{} was not ready at {} after {WAIT:?}",
                    install.driver.display(),
                    self.url
                ));
            }
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        drop(self.lifeline.take());
        let _ = self.child.wait();
    }
}

/// The drivers of one browser for the run.
pub struct Pool {
    install: Install,
    /// Single-session drivers: the idle ones. Shared drivers: the one driver.
    idle: Mutex<Vec<Arc<Driver>>>,
}

/// A driver lent to one session. Dropped without [`Lease::release`] (a failure while opening
/// the session), a single-session driver is not reused: its state is unknown.
pub struct Lease {
    driver: Option<Arc<Driver>>,
    pool: &'static Pool,
}

impl Lease {
    /// The driver's URL.
    pub fn url(&self) -> &str {
        self.driver.as_ref().map_or("", |d| d.url.as_str())
    }

    /// Gives the driver back for the next session; `clean` is false when its session may
    /// still be open, and then the driver is stopped instead (a geckodriver would refuse the
    /// next session).
    pub fn release(mut self, clean: bool) {
        let Some(driver) = self.driver.take() else {
            return;
        };
        // A shared driver never leaves the pool; a single-session one goes back when clean.
        if self.pool.install.browser.one_session_per_driver()
            && clean
            && let Ok(mut idle) = self.pool.idle.lock()
        {
            idle.push(driver);
        }
    }
}

impl Pool {
    /// The pool of `install`'s browser.
    pub fn of(install: &Install) -> &'static Pool {
        static POOLS: OnceLock<Vec<Pool>> = OnceLock::new();
        let pools = POOLS.get_or_init(|| {
            Browser::ALL
                .into_iter()
                .filter_map(|b| find(b).ok())
                .map(|install| Pool {
                    install,
                    idle: Mutex::new(Vec::new()),
                })
                .collect()
        });
        pools
            .iter()
            .find(|p| p.install.browser == install.browser)
            .expect("a pool for every installed browser")
    }

    /// A driver for one more session: an idle one, else a new one.
    pub fn lease(&'static self) -> Result<Lease, String> {
        let shared = !self.install.browser.one_session_per_driver();
        let mut idle = self
            .idle
            .lock()
            .map_err(|_| "the driver pool is poisoned".to_string())?;
        let driver = if shared {
            match idle.first() {
                Some(driver) => Arc::clone(driver),
                None => {
                    let driver = Arc::new(Driver::start(&self.install)?);
                    idle.push(Arc::clone(&driver));
                    driver
                }
            }
        } else {
            match idle.pop() {
                Some(driver) => driver,
                None => {
                    drop(idle);
                    Arc::new(Driver::start(&self.install)?)
                }
            }
        };
        Ok(Lease {
            driver: Some(driver),
            pool: self,
        })
    }
}
