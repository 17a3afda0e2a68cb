//! A researcher in a browser: selecting every file of a directory with one checkbox, adding
//! them to a new request through the selection's form, and changing a file's type from the
//! request's group page (PG-16, PG-17), each page checked.

use super::{Scripts, in_every_browser_fresh};
use crate::support;
use airlock_store::testing::TestDb;

#[test]
fn pg_16_a_researcher_selects_and_adds_files_and_changes_one() {
    let fresh = || {
        (
            support::start(TestDb::sqlite().expect("a SQLite test database")),
            (),
        )
    };
    in_every_browser_fresh(fresh, Scripts::On, |page, ()| async move {
        page.log_in("researcher_1").await;
        page.visit("/workspaces/").await;
        page.visit("/workspaces/view/diabetes-outcomes/output/tables/")
            .await;
        // The script shows the select-all box; it selects every addable file.
        let all = page.find("input[data-select-all]").await;
        all.click().await.expect("select all");
        let boxes = page
            .client
            .find_all(fantoccini::Locator::Css("input[name=selected]"))
            .await
            .expect("the boxes");
        assert!(boxes.len() >= 2, "{}: the directory's files", page.browser);
        for b in &boxes {
            assert!(b.is_selected().await.unwrap_or(false), "{}", page.browser);
        }
        let add = page.find("button[name=action][value=add_files]").await;
        let form = page.click_and_wait(&add).await;
        assert!(
            form.path.starts_with("/workspaces/multiselect/"),
            "{}",
            form.path
        );
        page.find("#new_filegroup")
            .await
            .send_keys("region tables")
            .await
            .expect("typing");
        let submit = page
            .find("form[action^='/workspaces/add-file-to-request/'] button.primary")
            .await;
        page.click_and_wait(&submit).await;
        let said = page.text("[data-message-code=\"ok\"]").await;
        assert!(
            said.contains("added to group region tables"),
            "{}: {said}",
            page.browser
        );
        // The request's group page: select one file and make it supporting.
        let link = page.find("a[href^='/requests/view/']").await;
        page.click_and_wait(&link).await;
        let group = page.find("a[href$='/region%20tables/']").await;
        page.click_and_wait(&group).await;
        let first = page.find("input[name=selected]").await;
        first.click().await.expect("select one");
        let change = page
            .find("button[name=action][value=change_properties]")
            .await;
        page.click_and_wait(&change).await;
        let supporting = page.find("input[type=radio][value=SUPPORTING]").await;
        supporting.click().await.expect("choose supporting");
        let save = page
            .find("form[action^='/requests/change-properties/'] button.primary")
            .await;
        page.click_and_wait(&save).await;
        let said = page.text("[data-message-code=\"ok\"]").await;
        assert!(
            said.starts_with("1 file saved in group region tables"),
            "{}: {said}",
            page.browser
        );
        page.find("span.badge.type-SUPPORTING").await;
    });
}
