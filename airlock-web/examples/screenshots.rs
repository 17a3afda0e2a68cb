//! Screenshots of the pages: `cargo run -p airlock-web --example screenshots -- <out dir>`
//! (`just screenshots` writes `docs/screenshots/`).
//!
//! Starts the service on the repository's fixtures as the tests do (test mode, a fresh SQLite
//! database in a temporary directory), then for each entry of [`PAGES`] opens a Chromium
//! session, logs the entry's user in through their one-click login (none: anonymous), goes to
//! the page, runs the browser tests' checks on it, and writes `<name>.png`: the whole page,
//! 1280 px wide. Needs `chromium` and `chromedriver` (see the README's testing paragraph).

#[path = "../tests/web/browser/mod.rs"]
mod browser;
#[path = "../tests/web/support/mod.rs"]
mod support;

use airlock_store::testing::TestDb;
use anyhow::{Context, anyhow};
use browser::{Browser, Scripts, Session};
use std::path::{Path, PathBuf};

/// One screenshot.
struct Shot {
    /// The file name, without `.png`.
    name: &'static str,
    /// Who is logged in (a fixture user, `fixtures/users.json`), or nobody.
    user: Option<&'static str>,
    /// The page's path on the service; `{id}` stands for the example request (PARTIALLY_REVIEWED:
    /// `output_checker_1` has voted and submitted, a private comment waits).
    path: &'static str,
}

/// The pages to photograph, in order.
const PAGES: &[Shot] = &[
    Shot {
        name: "login",
        user: None,
        path: "/login/",
    },
    Shot {
        name: "workspaces",
        user: Some("researcher_1"),
        path: "/workspaces/",
    },
    Shot {
        name: "workspace-directory",
        user: Some("researcher_1"),
        path: "/workspaces/view/diabetes-outcomes/output/tables/",
    },
    Shot {
        name: "workspace-file",
        user: Some("researcher_1"),
        path: "/workspaces/view/diabetes-outcomes/output/tables/hba1c_by_region.csv",
    },
    Shot {
        name: "request-overview",
        user: Some("output_checker_2"),
        path: "/requests/view/{id}/",
    },
    Shot {
        name: "request-group",
        user: Some("output_checker_1"),
        path: "/requests/view/{id}/tables/",
    },
    Shot {
        name: "request-file",
        user: Some("output_checker_2"),
        path: "/requests/view/{id}/tables/output/tables/hba1c_by_region.csv",
    },
    Shot {
        name: "request-activity",
        user: Some("researcher_1"),
        path: "/requests/activity/{id}",
    },
    Shot {
        name: "csv-table",
        user: Some("output_checker_2"),
        path: "/requests/content/{id}/tables/output/tables/hba1c_by_region.csv",
    },
    Shot {
        name: "docs-rules",
        user: None,
        path: "/docs/rules",
    },
    Shot {
        name: "reviews",
        user: Some("output_checker_2"),
        path: "/requests/output_checker",
    },
];

fn main() -> anyhow::Result<()> {
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("docs/screenshots"));
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let install = browser::find(Browser::Chromium).map_err(|e| anyhow!(e))?;
    let db = TestDb::sqlite().context("a SQLite database for the service")?;
    let server = support::start(db);
    let id = support::flow::request_in(&server, "PARTIALLY_REVIEWED");
    let c1 = server.login("output_checker_1");
    support::flow::comment(
        &server,
        &c1,
        &id,
        "Please round the **region** counts to 5.",
        "PRIVATE",
    );
    let runtime = rocket::tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("a tokio runtime")?;
    for shot in PAGES {
        let file = out.join(format!("{}.png", shot.name));
        let path = shot.path.replace("{id}", &id);
        runtime.block_on(take(&install, &server.url, shot.user, &path, &file))?;
        println!("{}", file.display());
    }
    Ok(())
}

/// Takes one screenshot in a session of its own.
async fn take(
    install: &browser::Install,
    base: &str,
    user: Option<&str>,
    path: &str,
    file: &Path,
) -> anyhow::Result<()> {
    let session = Session::open(install, Scripts::On, base)
        .await
        .map_err(|e| anyhow!(e))?;
    let png = async {
        if let Some(user) = user {
            session.page.log_in(user).await;
        }
        session.page.visit(path).await;
        session.page.full_page_png().await
    }
    .await;
    session.close().await;
    let png = png.map_err(|e| anyhow!(e))?;
    std::fs::write(file, png).with_context(|| format!("writing {}", file.display()))
}
