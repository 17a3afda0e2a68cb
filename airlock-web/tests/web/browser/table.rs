//! REN-2 and §15 in a browser: the CSV table sorts by a column (both ways), filters over every
//! row, hides a column as soon as it is ticked, and shows each low count in its cell in words;
//! inside the file page's sandboxed frame, the table's filter reloads the file page with it.

use super::{Scripts, in_every_browser};
use crate::support;
use airlock_store::testing::TestDb;
use fantoccini::Locator;

const TABLE: &str = "/workspaces/content/diabetes-outcomes/output/tables/complications_by_age.csv";

#[test]
fn ren_2_the_csv_table_sorts_filters_hides_and_marks_hints() {
    let server = support::start(TestDb::sqlite().expect("a SQLite test database"));
    in_every_browser(&server.url, Scripts::On, |page| async move {
        page.log_in("researcher_1").await;
        page.visit(TABLE).await;
        // HNT-2: every low count is marked in its cell, in words.
        let flags = page
            .client
            .find_all(Locator::Css("td.low-count .flag"))
            .await
            .expect("the marks");
        assert_eq!(flags.len(), 3, "{}: three low counts", page.browser);
        for flag in &flags {
            assert!(
                flag.is_displayed().await.unwrap_or(false),
                "{}",
                page.browser
            );
            let words = flag.text().await.unwrap_or_default();
            assert!(
                words.starts_with("Low count: "),
                "{}: {words}",
                page.browser
            );
        }
        page.find("th.unrounded .flag").await;
        // Sorting by the counts, then the other way.
        let header = page.find("th#col2 a").await;
        page.click_and_wait(&header).await;
        page.find("th#col2[aria-sort='ascending']").await;
        assert_eq!(
            page.text("tbody tr:first-child td:nth-of-type(3)").await,
            "0"
        );
        let header = page.find("th#col2 a").await;
        page.click_and_wait(&header).await;
        page.find("th#col2[aria-sort='descending']").await;
        assert_eq!(
            page.text("tbody tr:first-child td:nth-of-type(3)").await,
            "3321"
        );
        // Filtering keeps the sort and covers every row (U+E007 is WebDriver's Enter key).
        page.find("#q")
            .await
            .send_keys("Amputation\u{E007}")
            .await
            .expect("typing");
        for _ in 0..200 {
            let at = page
                .client
                .current_url()
                .await
                .map(String::from)
                .unwrap_or_default();
            if at.contains("q=Amputation") {
                break;
            }
            rocket::tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        page.check().await;
        let count = page.text("span.count").await;
        assert!(
            count.starts_with("4 of 20 rows match"),
            "{}: {count}",
            page.browser
        );
        page.find("th#col2[aria-sort='descending']").await;
        // Hiding a column applies as soon as it is ticked (the script submits the form).
        page.find("details.columns summary")
            .await
            .click()
            .await
            .expect("open the choices");
        let hide = page.find("input[name=hide][value='0']").await;
        page.click_and_wait(&hide).await;
        assert!(
            page.client.find(Locator::Css("th#col0")).await.is_err(),
            "{}: the column is hidden",
            page.browser
        );
        page.find("th#col1").await;
        // Inside the file page's frame (sandboxed, scripts and forms allowed) too.
        page.visit("/workspaces/view/diabetes-outcomes/output/tables/complications_by_age.csv")
            .await;
        let frame = page.find("#content-iframe").await;
        frame.enter_frame().await.expect("into the frame");
        page.find("#q")
            .await
            .send_keys("Retinopathy\u{E007}")
            .await
            .expect("typing");
        // The file page reloads (the frame's navigation goes to the top: inside the sandboxed
        // frame it would carry no session), showing the filtered table in its frame.
        let mut matched = String::new();
        for _ in 0..200 {
            rocket::tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            let _ = page.client.enter_parent_frame().await;
            let at = page
                .client
                .current_url()
                .await
                .map(String::from)
                .unwrap_or_default();
            if !at.contains("q=Retinopathy") {
                continue;
            }
            let Ok(frame) = page.client.find(Locator::Css("#content-iframe")).await else {
                continue;
            };
            if frame.enter_frame().await.is_err() {
                continue;
            }
            if let Ok(count) = page.client.find(Locator::Css("span.count")).await {
                matched = count.text().await.unwrap_or_default();
                if matched.starts_with("4 of 20") {
                    break;
                }
            }
        }
        assert!(
            matched.starts_with("4 of 20 rows match"),
            "{}: the frame shows {matched:?}",
            page.browser
        );
        page.client.enter_parent_frame().await.expect("back out");
    });
}
