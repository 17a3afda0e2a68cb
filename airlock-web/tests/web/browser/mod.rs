//! Browser tests: the pages driven through WebDriver in every browser found, Chromium
//! (`chromedriver` + `chromium`) and Firefox (`geckodriver` + `firefox-esr` or `firefox`).
//!
//! - **Drivers.** Each driver runs as a child of the test process on a free port, started on
//!   first use and shared by the run: one `chromedriver` serves every Chromium session; a
//!   `geckodriver` serves one session at a time (it refuses a second), so Firefox sessions take
//!   an idle one from a small pool and a new one starts when all are busy. A driver is stopped
//!   when its handle is dropped and, for the shared ones that live until the process exits,
//!   when the test process ends (a shell wrapper kills the driver's process group once the
//!   pipe from the test process closes, on a crash too).
//! - **Sessions.** One per test and browser, headless, with a fresh profile; the journey runs
//!   on a tokio runtime of its own and the session is closed afterwards whatever happened.
//! - **Missing browsers.** A browser or driver that is not installed is left out, said once on
//!   the process's standard error, unless [`REQUIRE_ENV`] is set (CI), which makes it a
//!   failure. A driver that is installed but does not start is always a failure.
//! - **Checks on every page** ([`Page::check`], called by [`Page::visit`] and
//!   [`Page::click_and_wait`]): no server error, nothing recorded by the page hook
//!   (`page_hook/page_hook.js`, installed before the page's own scripts: console errors,
//!   uncaught errors, failed resources, CSP violations), no resource answered with an error or
//!   loaded from another origin, Chromium's own browser log free of errors, and no axe-core
//!   violation of impact serious or critical (axe needs the page's scripts, so it runs in the
//!   sessions with JavaScript on).
//!
//!   The checks read the top document; Chromium's log also covers its frames.
//!
//! A journey is a file here with tests named after rule ids, each starting a server and
//! running one async function in every browser:
//!
//! ```ignore
//! let server = support::start(TestDb::sqlite().expect("a SQLite test database"));
//! in_every_browser(&server.url, Scripts::On, |page| async move {
//!     page.log_in("researcher_1").await;              // one-click login, checked
//!     let shown = page.visit("/workspaces/").await;   // goto, then the checks
//!     let button = page.find("form[action^='/workspaces/'] button").await;
//!     page.click_and_wait(&button).await;             // the next page, checked
//! });
//! ```
//!
//! Journeys: `journey` (a request from nothing to RELEASED against the Jobs-site double);
//! `login` (PG-10, PG-2); `sandbox` (REN-7: researcher HTML runs nothing); `table` (the CSV
//! table's sorting, filtering, hiding and hints); `review` (a checker reviewing with the keyboard, PG-22,
//! PG-23, and without scripts); `researcher` (selecting and adding files, PG-16); `checks`
//! proves the checks catch what they look for.

#![allow(dead_code)]

pub mod driver;

#[cfg(test)]
mod checks;
#[cfg(test)]
mod journey;
#[cfg(test)]
mod login;
#[cfg(test)]
mod researcher;
#[cfg(test)]
mod review;
#[cfg(test)]
mod sandbox;
#[cfg(test)]
mod table;

pub use driver::{Install, find};

use driver::{Lease, Pool};
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use rocket::tokio;
use serde_json::{Value, json};
use std::fmt;
use std::future::Future;
use std::io::Write;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// When set to anything but `0` or empty, a browser or driver that is missing fails the tests
/// instead of being left out (CI sets it).
pub const REQUIRE_ENV: &str = "AIRLOCK_TEST_REQUIRE_BROWSERS";

/// How long a page or element may take to appear, a driver to start.
const WAIT: Duration = Duration::from_secs(30);
/// How often a condition is polled until [`WAIT`] runs out.
const POLL: Duration = Duration::from_millis(50);

/// The page hook, run before the page's own scripts (Chromium: injected through DevTools;
/// Firefox: the directory is a temporary add-on).
const PAGE_HOOK: &str = include_str!("page_hook/page_hook.js");
/// axe-core, vendored (see `vendor/README.md`), injected into the page under test.
const AXE: &str = include_str!("vendor/axe.min.js");

/// The window every session starts with.
pub const WINDOW: (u32, u32) = (1280, 1024);

/// A browser the tests drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Browser {
    /// Chromium through chromedriver.
    Chromium,
    /// Firefox (ESR) through geckodriver.
    Firefox,
}

impl Browser {
    /// Every browser, in the order the tests run them.
    pub const ALL: [Browser; 2] = [Browser::Chromium, Browser::Firefox];

    fn driver_names(self) -> &'static [&'static str] {
        match self {
            Browser::Chromium => &["chromedriver"],
            Browser::Firefox => &["geckodriver"],
        }
    }

    fn binary_names(self) -> &'static [&'static str] {
        match self {
            Browser::Chromium => &["chromium", "chromium-browser"],
            Browser::Firefox => &["firefox-esr", "firefox"],
        }
    }

    /// Whether one driver process serves only one session at a time (geckodriver refuses a
    /// second; chromedriver serves any number).
    pub fn one_session_per_driver(self) -> bool {
        self == Browser::Firefox
    }
}

impl fmt::Display for Browser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Browser::Chromium => "Chromium",
            Browser::Firefox => "Firefox",
        })
    }
}

/// Whether the page's own JavaScript runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scripts {
    /// JavaScript enabled (the default of a browser).
    On,
    /// JavaScript disabled (PG-2: every page and form works without it).
    Off,
}

/// Whether [`REQUIRE_ENV`] asks for every browser.
pub fn required() -> bool {
    std::env::var(REQUIRE_ENV).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// The browsers of this run: every one installed. A missing one fails the calling test when
/// [`REQUIRE_ENV`] is set; otherwise the first call says in one line on the process's standard
/// error which are left out.
pub fn installed() -> Vec<Install> {
    static FOUND: OnceLock<(Vec<Install>, Vec<String>)> = OnceLock::new();
    let (found, missing) = FOUND.get_or_init(|| {
        let (found, missing): (Vec<_>, Vec<_>) =
            Browser::ALL.into_iter().map(find).partition(Result::is_ok);
        let found: Vec<Install> = found.into_iter().filter_map(Result::ok).collect();
        let missing: Vec<String> = missing.into_iter().filter_map(Result::err).collect();
        if !missing.is_empty() && !required() {
            // Straight to the process's stderr, past the test harness's capture: once per
            // test process, so the run says what it left out.
            let _ = writeln!(
                std::io::stderr(),
                "airlock tests: {}; the browser tests leave that browser out (install it, see \
                 the README, or set {REQUIRE_ENV}=1 to make this a failure)",
                missing.join("; ")
            );
        }
        (found, missing)
    });
    if !missing.is_empty() && required() {
        panic!(
            "{REQUIRE_ENV} is set and a browser is missing: {}",
            missing.join("; ")
        );
    }
    found.clone()
}

// ---------------------------------------------------------------------------------------------
// Sessions

/// A WebDriver command the client has no method for: `POST /session/<id>/<path>`.
#[derive(Debug)]
struct SessionPost {
    path: &'static str,
    body: Value,
}

impl WebDriverCompatibleCommand for SessionPost {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/{}",
            session_id.unwrap_or("none"),
            self.path
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}

/// The session's capabilities: headless, a fresh profile, the window size, JavaScript as asked.
fn capabilities(
    install: &Install,
    scripts: Scripts,
    profile: &Path,
) -> serde_json::Map<String, Value> {
    let (width, height) = WINDOW;
    let binary = install.binary.to_string_lossy().into_owned();
    let caps = match install.browser {
        Browser::Chromium => {
            let mut args = vec![
                "--headless".to_string(),
                "--no-sandbox".to_string(),
                "--disable-gpu".to_string(),
                "--disable-background-networking".to_string(),
                "--disable-component-update".to_string(),
                "--disable-sync".to_string(),
                "--no-first-run".to_string(),
                format!("--user-data-dir={}", profile.display()),
                format!("--window-size={width},{height}"),
            ];
            if scripts == Scripts::Off {
                args.push("--blink-settings=scriptEnabled=false".to_string());
            }
            json!({
                "browserName": "chrome",
                "goog:chromeOptions": { "binary": binary, "args": args },
                "goog:loggingPrefs": { "browser": "ALL" },
            })
        }
        Browser::Firefox => {
            // geckodriver gives every session a fresh temporary profile.
            let mut prefs = serde_json::Map::new();
            if scripts == Scripts::Off {
                prefs.insert("javascript.enabled".into(), json!(false));
            }
            json!({
                "browserName": "firefox",
                "moz:firefoxOptions": {
                    "binary": binary,
                    "args": ["-headless", format!("--width={width}"), format!("--height={height}")],
                    "prefs": prefs,
                },
            })
        }
    };
    match caps {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

/// An open browser session.
pub struct Session {
    /// The page of the session.
    pub page: Page,
    lease: Lease,
    _profile: tempfile::TempDir,
}

impl Session {
    /// Opens a session of `install` against the service at `base` (its URL, no trailing
    /// slash), with the page hook installed and JavaScript as `scripts` asks (checked).
    pub async fn open(install: &Install, scripts: Scripts, base: &str) -> Result<Session, String> {
        let lease = Pool::of(install).lease()?;
        let profile = tempfile::tempdir().map_err(|e| format!("a profile directory: {e}"))?;
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities(install, scripts, profile.path()))
            .connect(lease.url())
            .await
            .map_err(|e| format!("{}: opening a session: {e}", install.browser))?;
        let page = Page {
            client,
            browser: install.browser,
            scripts,
            base: base.trim_end_matches('/').to_string(),
        };
        let session = Session {
            page,
            lease,
            _profile: profile,
        };
        if let Err(e) = session.prepare().await {
            session.close().await;
            return Err(e);
        }
        Ok(session)
    }

    /// Installs the page hook, and checks that JavaScript is on or off as asked.
    async fn prepare(&self) -> Result<(), String> {
        let page = &self.page;
        let browser = page.browser;
        let installed = match browser {
            Browser::Chromium => {
                page.client
                    .issue_cmd(SessionPost {
                        path: "goog/cdp/execute",
                        body: json!({
                            "cmd": "Page.addScriptToEvaluateOnNewDocument",
                            "params": { "source": PAGE_HOOK },
                        }),
                    })
                    .await
            }
            Browser::Firefox => {
                let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/web/browser/page_hook");
                page.client
                    .issue_cmd(SessionPost {
                        path: "moz/addon/install",
                        body: json!({ "path": dir, "temporary": true }),
                    })
                    .await
            }
        };
        installed.map_err(|e| format!("{browser}: installing the page hook: {e}"))?;
        // A page whose only script renames it tells whether scripts run in this session.
        page.client
            .goto("data:text/html,<title>off</title><script>document.title='on'</script>")
            .await
            .map_err(|e| format!("{browser}: opening the JavaScript probe: {e}"))?;
        let title = page
            .client
            .title()
            .await
            .map_err(|e| format!("{browser}: reading the JavaScript probe: {e}"))?;
        let expected = match page.scripts {
            Scripts::On => "on",
            Scripts::Off => "off",
        };
        if title != expected {
            return Err(format!(
                "{browser}: JavaScript should be {expected} in this session, the probe page says {title}"
            ));
        }
        Ok(())
    }

    /// Ends the session and gives its driver back.
    pub async fn close(self) -> bool {
        let Session {
            page,
            lease,
            _profile,
        } = self;
        let clean = page.client.close().await.is_ok();
        lease.release(clean);
        clean
    }
}

/// Runs `journey` in a fresh session of every installed browser ([`installed`]), one after
/// the other, against the service at `base`. The session is closed whatever the journey did;
/// a failing journey fails the test with the browser named.
pub fn in_every_browser<J, F>(base: &str, scripts: Scripts, journey: J)
where
    J: Fn(Page) -> F,
    F: Future<Output = ()> + Send + 'static,
{
    for install in installed() {
        in_browser(&install, base, scripts, &journey);
    }
}

/// Runs `journey` in a fresh session of every installed browser, each against a service of its
/// own that `setup` starts (with whatever the journey needs, handed to it), so that what one
/// browser did is not in the next one's way.
pub fn in_every_browser_fresh<S, T, J, F>(setup: S, scripts: Scripts, journey: J)
where
    S: Fn() -> (crate::support::Server, T),
    T: Clone + Send + 'static,
    J: Fn(Page, T) -> F,
    F: Future<Output = ()> + Send + 'static,
{
    for install in installed() {
        let (server, given) = setup();
        in_browser(&install, &server.url, scripts, |page| {
            journey(page, given.clone())
        });
    }
}

/// Runs `journey` in a fresh session of `install`.
pub fn in_browser<J, F>(install: &Install, base: &str, scripts: Scripts, journey: J)
where
    J: Fn(Page) -> F,
    F: Future<Output = ()> + Send + 'static,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime for the browser session");
    let browser = install.browser;
    let outcome = runtime.block_on(async {
        let session = Session::open(install, scripts, base)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let outcome = tokio::spawn(journey(session.page.clone())).await;
        let closed = session.close().await;
        (outcome, closed)
    });
    match outcome {
        (Err(failure), _) if failure.is_panic() => {
            eprintln!("the journey failed in {browser} (JavaScript {scripts:?})");
            std::panic::resume_unwind(failure.into_panic());
        }
        (Err(failure), _) => panic!("{browser}: the journey did not finish: {failure}"),
        (Ok(()), false) => panic!("{browser}: the session did not close cleanly"),
        (Ok(()), true) => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Pages

/// The button of the one-click login of `username` (PG-8: a form per user posting to
/// `/login/` with that user's fields), found by the form's action and field (`pages.md` §9).
pub fn one_click_login(username: &str) -> String {
    format!("//form[@action='/login/'][.//input[@name='user'][@value='{username}']]//button")
}

/// The browser's current page, with the checks every journey runs on it.
#[derive(Clone)]
pub struct Page {
    /// The WebDriver client (for anything the helpers below do not cover).
    pub client: Client,
    /// Which browser.
    pub browser: Browser,
    /// Whether the page's scripts run.
    pub scripts: Scripts,
    /// The service's URL, without a trailing slash.
    pub base: String,
}

/// What the checks found on a page.
#[derive(Debug, Clone)]
pub struct Report {
    /// The page's URL.
    pub url: String,
    /// The HTTP status of the page's document.
    pub status: u16,
    /// Every problem, one line each (empty when the page passed).
    pub problems: Vec<String>,
}

/// A page that passed the checks.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The page's URL.
    pub url: String,
    /// The path of the URL, with its query.
    pub path: String,
    /// The HTTP status of the page's document.
    pub status: u16,
}

/// Reads what the hook recorded, the document's status and the resources that failed or came
/// from another origin; marks the document as seen so that a navigation can be told apart.
const INSPECT: &str = r#"
const problems = [];
const hooked = Array.isArray(window.__airlockPageProblems);
if (hooked) {
  problems.push(...window.__airlockPageProblems);
  window.__airlockPageProblems.length = 0;
}
const navigation = performance.getEntriesByType("navigation")[0];
for (const entry of performance.getEntriesByType("resource")) {
  if (new URL(entry.name).origin !== location.origin) {
    problems.push("another origin: " + entry.initiatorType + " " + entry.name);
  } else if (entry.responseStatus >= 400) {
    problems.push("resource answered " + entry.responseStatus + ": " + entry.name);
  }
}
window.__airlockSeen = true;
return {
  hooked: hooked,
  url: location.href,
  status: navigation ? navigation.responseStatus || 0 : 0,
  ready: document.readyState,
  problems: problems,
};
"#;

/// Reads and clears what the hook recorded; marks the document as seen.
const RECORDED: &str = r#"
window.__airlockSeen = true;
const problems = window.__airlockPageProblems || [];
return problems.splice(0, problems.length);
"#;

/// Runs axe-core (already injected) and answers its serious and critical violations. Without
/// `preload`, which would fetch the stylesheets again by XMLHttpRequest: a sandboxed content
/// page has an opaque origin, from which such a fetch is refused (and logged as an error).
const AXE_RUN: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { resultTypes: ["violations"], preload: false }).then(
  (result) => done(result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => v.impact + " " + v.id + ": " + v.help + " [" +
      v.nodes.slice(0, 5).map((n) => n.target.join(" ")).join(", ") + "]")),
  (error) => done(["axe-core failed: " + error]));
"#;

impl Page {
    /// The absolute URL of `path` on the service.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Goes to `path` on the service and checks the page ([`Page::check`]).
    pub async fn visit(&self, path: &str) -> Checked {
        let url = self.url(path);
        self.client
            .goto(&url)
            .await
            .unwrap_or_else(|e| panic!("{}: going to {url}: {e}", self.browser));
        self.check().await
    }

    /// Logs `username` in through their one-click login on `/login/` (PG-8, test mode) and
    /// answers the page it leads to, checked.
    pub async fn log_in(&self, username: &str) -> Checked {
        self.visit("/login/").await;
        let button = self.find_xpath(&one_click_login(username)).await;
        self.click_and_wait(&button).await
    }

    /// Waits for the element `css` selects.
    pub async fn find(&self, css: &str) -> Element {
        self.wait_for(Locator::Css(css)).await
    }

    /// Waits for the element `xpath` selects.
    pub async fn find_xpath(&self, xpath: &str) -> Element {
        self.wait_for(Locator::XPath(xpath)).await
    }

    async fn wait_for(&self, locator: Locator<'_>) -> Element {
        self.client
            .wait()
            .at_most(WAIT)
            .every(POLL)
            .for_element(locator)
            .await
            .unwrap_or_else(|e| panic!("{}: waiting for {locator:?}: {e}", self.browser))
    }

    /// The text of the element `css` selects, trimmed.
    pub async fn text(&self, css: &str) -> String {
        let element = self.find(css).await;
        element
            .text()
            .await
            .unwrap_or_else(|e| panic!("{}: the text of {css}: {e}", self.browser))
            .trim()
            .to_string()
    }

    /// Clicks `element`, which leads to another page, waits for that page and checks it.
    pub async fn click_and_wait(&self, element: &Element) -> Checked {
        self.leave_page().await;
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("{}: clicking: {e}", self.browser));
        self.wait_for_new_document().await;
        self.check().await
    }

    /// Types `keys` into the page (a keyboard shortcut, PG-22), which leads to another page;
    /// waits for that page and checks it.
    pub async fn keys_and_wait(&self, keys: &str) -> Checked {
        self.leave_page().await;
        self.send_keys(keys).await;
        self.wait_for_new_document().await;
        self.check().await
    }

    /// Presses `keys` one after the other with nothing focused, as a user would on a page
    /// (WebDriver key actions, which go where the focus is: the page's body).
    pub async fn send_keys(&self, keys: &str) {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        self.client
            .execute(
                "if (document.activeElement) { document.activeElement.blur(); }",
                vec![],
            )
            .await
            .unwrap_or_else(|e| panic!("{}: leaving the focus: {e}", self.browser));
        let mut actions = KeyActions::new("keyboard".to_string());
        for key in keys.chars() {
            actions = actions
                .then(KeyAction::Down { value: key })
                .then(KeyAction::Up { value: key });
        }
        self.client
            .perform_actions(actions)
            .await
            .unwrap_or_else(|e| panic!("{}: pressing {keys:?}: {e}", self.browser));
    }

    /// Before leaving a page: what it recorded since its check is its own, not the next
    /// page's, so it is read (and must be empty) now; this also marks the document, to tell the
    /// next one apart.
    async fn leave_page(&self) {
        let url = self
            .client
            .current_url()
            .await
            .map(String::from)
            .unwrap_or_default();
        let leftovers = self.recorded(&url).await;
        self.fail_on(&Report {
            url,
            status: 0,
            problems: leftovers,
        });
    }

    /// Waits until the document the last check saw is gone and the next one has loaded.
    async fn wait_for_new_document(&self) {
        let deadline = Instant::now() + WAIT;
        loop {
            let state = self
                .client
                .execute(
                    "return [window.__airlockSeen === true, document.readyState]",
                    vec![],
                )
                .await;
            if let Ok(Value::Array(values)) = &state
                && values.first() == Some(&Value::Bool(false))
                && values.get(1).and_then(Value::as_str) == Some("complete")
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{}: no new page within {WAIT:?} (last state: {state:?})",
                self.browser
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// The checks every journey runs on every page it reaches: no server error, no console
    /// error, uncaught error, failed resource or CSP violation, no resource from another
    /// origin, and (with JavaScript on) no serious or critical axe-core violation. Panics with
    /// every problem found.
    pub async fn check(&self) -> Checked {
        let report = self.inspect().await;
        self.fail_on(&report);
        let path = url::Url::parse(&report.url)
            .map(|u| match u.query() {
                Some(q) => format!("{}?{q}", u.path()),
                None => u.path().to_string(),
            })
            .unwrap_or_default();
        Checked {
            url: report.url,
            path,
            status: report.status,
        }
    }

    fn fail_on(&self, report: &Report) {
        assert!(
            report.problems.is_empty(),
            "{} ({:?} JavaScript) found problems on {} (status {}):\n  {}",
            self.browser,
            self.scripts,
            report.url,
            report.status,
            report.problems.join("\n  ")
        );
    }

    /// Everything [`Page::check`] looks at, without failing: for the tests of the checks.
    pub async fn inspect(&self) -> Report {
        let browser = self.browser;
        let found = self
            .client
            .execute(INSPECT, vec![])
            .await
            .unwrap_or_else(|e| panic!("{browser}: inspecting the page: {e}"));
        let url = found["url"].as_str().unwrap_or_default().to_string();
        let status = found["status"]
            .as_u64()
            .and_then(|s| u16::try_from(s).ok())
            .unwrap_or(0);
        let mut problems: Vec<String> = found["problems"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|p| p.as_str().unwrap_or("?").to_string())
                    .collect()
            })
            .unwrap_or_default();
        if found["hooked"] != true {
            problems.push("the page hook did not run before the page's scripts".to_string());
        }
        if status == 0 {
            problems.push("the document's HTTP status is unknown".to_string());
        } else if status >= 500 {
            problems.push(format!("server error: HTTP {status}"));
        }
        if browser == Browser::Chromium {
            problems.extend(self.chromium_log_errors(&url).await);
        }
        if self.scripts == Scripts::On {
            problems.extend(self.axe().await);
        }
        Report {
            url,
            status,
            problems,
        }
    }

    /// What the page hook and Chromium's log recorded since the last read, without failing:
    /// for a journey that expects problems (a sandbox blocking a researcher's script) and
    /// checks them itself.
    pub async fn take_problems(&self) -> Vec<String> {
        let url = self
            .client
            .current_url()
            .await
            .map(String::from)
            .unwrap_or_default();
        self.recorded(&url).await
    }

    /// What the page hook and Chromium's log recorded since the last read, and marks the
    /// document as seen.
    async fn recorded(&self, url: &str) -> Vec<String> {
        let found = self
            .client
            .execute(RECORDED, vec![])
            .await
            .unwrap_or_else(|e| panic!("{}: reading the page hook: {e}", self.browser));
        let mut problems: Vec<String> = found
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|p| p.as_str().unwrap_or("?").to_string())
                    .collect()
            })
            .unwrap_or_default();
        if self.browser == Browser::Chromium {
            problems.extend(self.chromium_log_errors(url).await);
        }
        problems
    }

    /// Chromium's browser log since the last read: every error except the network line about
    /// the document itself (its status is checked on its own).
    async fn chromium_log_errors(&self, url: &str) -> Vec<String> {
        let entries = self
            .client
            .issue_cmd(SessionPost {
                path: "se/log",
                body: json!({ "type": "browser" }),
            })
            .await
            .unwrap_or_else(|e| panic!("Chromium: reading the browser log: {e}"));
        let own_status = format!("{url} - Failed to load resource");
        entries
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["level"] == "SEVERE")
            .filter_map(|e| e["message"].as_str())
            .filter(|m| !m.starts_with(&own_status))
            .map(|m| format!("browser log: {m}"))
            .collect()
    }

    /// axe-core's serious and critical violations on the page.
    async fn axe(&self) -> Vec<String> {
        let browser = self.browser;
        let loaded = self
            .client
            .execute("return typeof window.axe === 'object'", vec![])
            .await
            .unwrap_or_else(|e| panic!("{browser}: looking for axe-core: {e}"));
        if loaded != true {
            self.client
                .execute(&format!("{AXE}\nreturn true;"), vec![])
                .await
                .unwrap_or_else(|e| panic!("{browser}: injecting axe-core: {e}"));
        }
        let found = self
            .client
            .execute_async(AXE_RUN, vec![])
            .await
            .unwrap_or_else(|e| panic!("{browser}: running axe-core: {e}"));
        found
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| format!("axe: {}", v.as_str().unwrap_or("?")))
            .collect()
    }

    /// A PNG of the whole page, [`WINDOW`] wide (Chromium only: through DevTools).
    pub async fn full_page_png(&self) -> Result<Vec<u8>, String> {
        use base64::Engine;
        if self.browser != Browser::Chromium {
            return Err(format!(
                "{}: full-page screenshots need Chromium",
                self.browser
            ));
        }
        let (width, height) = WINDOW;
        self.client
            .issue_cmd(SessionPost {
                path: "goog/cdp/execute",
                body: json!({
                    "cmd": "Emulation.setDeviceMetricsOverride",
                    "params": {
                        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": false,
                    },
                }),
            })
            .await
            .map_err(|e| format!("Chromium: setting the viewport: {e}"))?;
        let metrics = self
            .client
            .issue_cmd(SessionPost {
                path: "goog/cdp/execute",
                body: json!({ "cmd": "Page.getLayoutMetrics", "params": {} }),
            })
            .await
            .map_err(|e| format!("Chromium: the page's size: {e}"))?;
        let size = &metrics["cssContentSize"];
        // Captured beyond the viewport the page has no scrollbar, so it lays out at the
        // window's full width: the content size measured with the scrollbar is narrower.
        let width = size["width"]
            .as_f64()
            .unwrap_or(f64::from(width))
            .max(f64::from(width));
        let height = size["height"].as_f64().unwrap_or(f64::from(height));
        let shot = self
            .client
            .issue_cmd(SessionPost {
                path: "goog/cdp/execute",
                body: json!({
                    "cmd": "Page.captureScreenshot",
                    "params": {
                        "format": "png",
                        "captureBeyondViewport": true,
                        "clip": { "x": 0, "y": 0, "width": width, "height": height, "scale": 1 },
                    },
                }),
            })
            .await
            .map_err(|e| format!("Chromium: the screenshot: {e}"))?;
        let data = shot["data"]
            .as_str()
            .ok_or("Chromium: a screenshot without data")?;
        base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|e| format!("Chromium: the screenshot's base64: {e}"))
    }
}
