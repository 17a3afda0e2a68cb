//! WEB-8 through the pages: the code view of a workspace's study repository (made by the test,
//! `file://`), linked from the file pages; a missing commit goes back to the page it came from
//! with the reason; a missing file is 404; HTML in a repository is raw under `sandbox`; code is
//! never an attachment.

use crate::support;

use airlock_store::testing::TestDb;
use airlock_store::testing::git;
use serde_json::Value;
use support::flow::{TABLE1, WS};
use support::pages::Visitor;

/// The fixture workspaces whose `diabetes-outcomes` outputs all come from a study repository
/// made here, at its one commit; answers the directory and the commit.
fn with_study() -> (tempfile::TempDir, String) {
    let dir = support::workspaces_with(WS, &[]);
    let repo = dir.path().join("study");
    std::fs::create_dir_all(repo.join("analysis")).expect("dirs");
    git(&repo, &["init", "--quiet", "-b", "main"]);
    std::fs::write(
        repo.join("project.yaml"),
        "version: '4.0'\n# <script>x</script>\n",
    )
    .expect("a file");
    std::fs::write(
        repo.join("analysis/report.html"),
        "<script>parent.x=1</script>",
    )
    .expect("a file");
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "--quiet", "-m", "study"]);
    let commit = git(&repo, &["rev-parse", "HEAD"]);
    let manifest_path = dir
        .path()
        .join("workspaces")
        .join(WS)
        .join("metadata/manifest.json");
    let mut manifest: Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).expect("manifest")).expect("JSON");
    let url = format!("file://{}", repo.display());
    if let Some(outputs) = manifest["outputs"].as_object_mut() {
        for entry in outputs.values_mut() {
            entry["repo"] = Value::String(url.clone());
            entry["commit"] = Value::String(commit.clone());
        }
    }
    std::fs::write(&manifest_path, serde_json::to_vec(&manifest).expect("JSON")).expect("write");
    (dir, commit)
}

#[test]
fn web_8_the_code_view_shows_the_study_at_the_outputs_commit() {
    let (dir, commit) = with_study();
    let s = support::start_on_workspaces(TestDb::sqlite().expect("a database"), dir.path());
    let visitor = Visitor::login(&s, "researcher_1");
    let file_page = visitor
        .get(&format!("/workspaces/view/{WS}/{TABLE1}"))
        .text();
    let link = format!("/code/view/{WS}/{commit}/project.yaml?return_url=");
    assert!(
        file_page.contains(&link),
        "the file page links the code view"
    );
    let back = format!("/workspaces/view/{WS}/{TABLE1}");
    let top = visitor.get(&format!("/code/view/{WS}/{commit}/"));
    assert_eq!(top.status, 200, "{}", top.text());
    assert!(top.text().contains("analysis/"), "{}", top.text());
    assert!(top.text().contains("project.yaml"));
    let file = visitor.get(&format!(
        "/code/view/{WS}/{commit}/project.yaml?return_url={}",
        support::pages::encode(&back)
    ));
    assert_eq!(file.status, 200);
    assert!(file.text().contains("Back to the output"));
    let contents = visitor.get(&format!("/code/contents/{WS}/{commit}/project.yaml"));
    assert_eq!(contents.status, 200);
    assert!(
        contents.text().contains("&lt;script&gt;x"),
        "YAML is escaped text"
    );
    assert_eq!(
        contents.header("content-disposition"),
        None,
        "never an attachment"
    );
    let html = visitor.get(&format!(
        "/code/contents/{WS}/{commit}/analysis/report.html"
    ));
    assert_eq!(
        html.header("content-security-policy"),
        Some("sandbox"),
        "REN-7"
    );
    assert_eq!(html.text(), "<script>parent.x=1</script>");
    // A missing file is 404; a missing commit goes back with the reason.
    assert_eq!(
        visitor
            .get(&format!("/code/view/{WS}/{commit}/no/such/file.R"))
            .status,
        404
    );
    let missing = visitor.get(&format!(
        "/code/view/{WS}/{}/project.yaml?return_url={}",
        "0123456789abcdef0123456789abcdef01234567",
        support::pages::encode(&back)
    ));
    assert_eq!(missing.status, 303);
    assert_eq!(missing.header("location"), Some(back.as_str()));
    assert_eq!(visitor.follow(&missing).error_codes(), ["code_unavailable"]);
    // WEB-3: a return_url off the service is never followed.
    let off_site = visitor.get(&format!(
        "/code/view/{WS}/not-a-commit/?return_url={}",
        support::pages::encode("https://evil.example/")
    ));
    assert_ne!(off_site.header("location"), Some("https://evil.example/"));
    // Without a role on the workspace, nothing.
    let outsider = Visitor::login(&s, "no_access_user");
    assert_eq!(
        outsider.get(&format!("/code/view/{WS}/{commit}/")).status,
        403
    );
}
