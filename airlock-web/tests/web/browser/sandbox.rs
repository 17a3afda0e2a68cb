//! REN-7 and REN-8 in a browser: a researcher's HTML file whose script tries to reach the page
//! around it, the service's cookies and storage, and to post a form (a logout) achieves nothing,
//! shown in the file page's iframe and opened in a tab of its own.

use super::{Page, Scripts, in_every_browser_fresh};
use crate::support::{self, Server};
use airlock_store::testing::TestDb;
use std::sync::Arc;

/// What the attack tries. None of it may happen: every line is blocked by the sandbox.
const ATTACK: &str = r#"<!doctype html>
<html><head><title>attack</title></head><body>
<p id="marker">A researcher's report.</p>
<form id="logout" method="post" action="/logout/"><input name="x" value="1"></form>
<script>
try { parent.document.body.setAttribute("data-pwned", "parent"); } catch (e) {}
try { top.document.title = "pwned"; } catch (e) {}
try { localStorage.setItem("pwned", "storage"); } catch (e) {}
try { document.cookie = "pwned=cookie; path=/"; } catch (e) {}
try { fetch("/logout/", { method: "POST", credentials: "include" }); } catch (e) {}
try { document.getElementById("logout").submit(); } catch (e) {}
try { document.getElementById("marker").textContent = "script ran"; } catch (e) {}
</script>
</body></html>
"#;

const ATTACK_PATH: &str = "output/attack.html";

/// The fixture workspaces with the attack added to `diabetes-outcomes`, and a service on them.
fn attacked() -> (Server, Arc<tempfile::TempDir>) {
    let dir = support::workspaces_with("diabetes-outcomes", &[(ATTACK_PATH, ATTACK.as_bytes())]);
    let server = support::start_on_workspaces(TestDb::sqlite().expect("a database"), dir.path());
    (server, Arc::new(dir))
}

/// Loads `path` without the page checks (the sandbox's refusals are logged, and are what is
/// wanted), waits for the attack to have had its chance, and checks that every problem logged
/// is the sandbox blocking a script.
async fn load_blocked(page: &Page, path: &str) {
    page.client
        .goto(&page.url(path))
        .await
        .unwrap_or_else(|e| panic!("{}: {path}: {e}", page.browser));
    rocket::tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    for problem in page.take_problems().await {
        let lower = problem.to_lowercase();
        assert!(
            lower.contains("sandbox") || lower.contains("blocked script"),
            "{}: {path}: an unexpected problem: {problem}",
            page.browser
        );
    }
}

/// The app's origin is untouched: still logged in, no marker on its pages, nothing stored.
async fn assert_untouched(page: &Page) {
    let shown = page.visit("/workspaces/").await;
    assert_eq!(
        shown.path, "/workspaces/",
        "{}: still logged in",
        page.browser
    );
    page.find("form[action='/logout/'] button").await;
    let found = page
        .client
        .execute(
            "return [document.body.getAttribute('data-pwned'), localStorage.getItem('pwned'), \
             document.cookie.indexOf('pwned') >= 0, document.title]",
            vec![],
        )
        .await
        .expect("reading the page");
    assert_eq!(
        found,
        serde_json::json!([null, null, false, "Your workspaces · Airlock"]),
        "{}",
        page.browser
    );
}

#[test]
fn ren_7_researcher_html_runs_nothing_in_its_frame_or_its_own_tab() {
    in_every_browser_fresh(attacked, Scripts::On, |page, _workspaces| async move {
        page.log_in("researcher_1").await;
        let file_page = format!("/workspaces/view/diabetes-outcomes/{ATTACK_PATH}");
        load_blocked(&page, &file_page).await;
        let around = page
            .client
            .execute(
                "return [document.body.getAttribute('data-pwned'), document.title]",
                vec![],
            )
            .await
            .expect("reading the page");
        assert_eq!(
            around[0],
            serde_json::Value::Null,
            "{}: the parent was reached",
            page.browser
        );
        assert_ne!(around[1], "pwned", "{}", page.browser);
        assert_untouched(&page).await;
        // Opened in a tab of its own ("Open in new tab"): the same.
        load_blocked(
            &page,
            &format!("/workspaces/content/diabetes-outcomes/{ATTACK_PATH}"),
        )
        .await;
        let marker = page.text("#marker").await;
        assert_eq!(
            marker, "A researcher's report.",
            "{}: its script ran",
            page.browser
        );
        assert_untouched(&page).await;
    });
}
