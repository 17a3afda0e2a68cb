//! WEB-8 and WEB-9: the code view's repository cache against repositories these tests make
//! themselves (`git init`, a commit, `file://` URLs), and a remote that never answers.

use airlock_store::code::{CodeCache, CodeError, is_commit_id};
use airlock_store::config::Config;
use airlock_store::testing::git;
use std::path::Path;
use std::time::{Duration, Instant};

/// A study repository with two commits; answers its `file://` URL and both commit ids.
fn study(dir: &Path) -> (String, String, String) {
    let repo = dir.join("study");
    std::fs::create_dir_all(repo.join("analysis")).expect("dirs");
    git(&repo, &["init", "--quiet", "-b", "main"]);
    std::fs::write(repo.join("project.yaml"), "version: '4.0'\nactions: {}\n").expect("a file");
    std::fs::write(repo.join("analysis/model.R"), "fit <- glm(y ~ x)\n").expect("a file");
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "--quiet", "-m", "first"]);
    let first = git(&repo, &["rev-parse", "HEAD"]);
    std::fs::write(repo.join("README.md"), "# Study\n").expect("a file");
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "--quiet", "-m", "second"]);
    let second = git(&repo, &["rev-parse", "HEAD"]);
    (format!("file://{}", repo.display()), first, second)
}

fn cache(dir: &Path, timeout: Duration) -> CodeCache {
    let mut config = Config::new(dir, dir);
    config.repo_cache_dir = dir.join("cache");
    config.git_timeout = timeout;
    CodeCache::from_config(&config)
}

#[test]
fn web_8_a_commit_is_fetched_once_and_its_tree_and_files_read() {
    let dir = tempfile::tempdir().expect("a directory");
    let (url, first, second) = study(dir.path());
    let code = cache(dir.path(), Duration::from_secs(30));
    let top = code
        .list(&url, &first, "")
        .expect("the top of the first commit");
    let names: Vec<(&str, bool)> = top.iter().map(|e| (e.name.as_str(), e.is_dir)).collect();
    assert_eq!(names, [("analysis", true), ("project.yaml", false)]);
    assert_eq!(
        code.read(&url, &first, "analysis/model.R").expect("a file"),
        b"fit <- glm(y ~ x)\n"
    );
    assert!(code.is_dir(&url, &first, "analysis").expect("a kind"));
    // The cache answers without the remote once it holds the commit.
    std::fs::rename(dir.path().join("study"), dir.path().join("moved")).expect("moved");
    assert_eq!(
        code.read(&url, &first, "project.yaml")
            .expect("from the cache"),
        b"version: '4.0'\nactions: {}\n"
    );
    // Another commit needs the remote again.
    assert!(matches!(
        code.list(&url, &second, ""),
        Err(CodeError::Repository(..))
    ));
    std::fs::rename(dir.path().join("moved"), dir.path().join("study")).expect("back");
    let later = code.list(&url, &second, "").expect("the second commit");
    assert!(later.iter().any(|e| e.name == "README.md"));
}

#[test]
fn web_8_missing_repositories_commits_and_files_are_told_apart() {
    let dir = tempfile::tempdir().expect("a directory");
    let (url, first, _) = study(dir.path());
    let code = cache(dir.path(), Duration::from_secs(30));
    let missing = format!("file://{}/no-such-repo", dir.path().display());
    assert!(matches!(
        code.list(&missing, &first, ""),
        Err(CodeError::Repository(..))
    ));
    let unknown = "0123456789abcdef0123456789abcdef01234567";
    assert!(is_commit_id(unknown));
    assert!(matches!(
        code.list(&url, unknown, ""),
        Err(CodeError::Commit(_))
    ));
    assert!(matches!(
        code.list(&url, "main", ""),
        Err(CodeError::Commit(_))
    ));
    assert!(matches!(
        code.read(&url, &first, "no/such/file.R"),
        Err(CodeError::Path(_))
    ));
    assert!(matches!(
        code.list(&url, &first, "no-such-dir"),
        Err(CodeError::Path(_))
    ));
}

#[test]
fn web_9_a_remote_that_never_answers_times_out() {
    let dir = tempfile::tempdir().expect("a directory");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("an address").port();
    // Accepts connections and never answers.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let code = cache(dir.path(), Duration::from_secs(2));
    let started = Instant::now();
    let answer = code.list(
        &format!("http://127.0.0.1:{port}/org/study"),
        "0123456789abcdef0123456789abcdef01234567",
        "",
    );
    assert!(matches!(answer, Err(CodeError::Timeout(2))), "{answer:?}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "bounded by the timeout"
    );
}

#[test]
fn web_8_two_first_views_of_one_repository_at_once_both_succeed() {
    let dir = tempfile::tempdir().expect("a directory");
    let (url, first, _) = study(dir.path());
    let code = cache(dir.path(), Duration::from_secs(30));
    let views: Vec<_> = (0..2)
        .map(|_| {
            let (code, url, first) = (code.clone(), url.clone(), first.clone());
            std::thread::spawn(move || code.list(&url, &first, "analysis"))
        })
        .collect();
    for view in views {
        let entries = view.join().expect("a thread").expect("a listing");
        assert_eq!(entries.len(), 1);
    }
    let repos = std::fs::read_dir(dir.path().join("cache"))
        .expect("the cache")
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "git"))
        .count();
    assert_eq!(repos, 1, "one cached repository");
}

#[test]
fn web_8_a_proxy_is_put_in_front_of_the_repository_url() {
    let dir = tempfile::tempdir().expect("a directory");
    let mut config = Config::new(dir.path(), dir.path());
    config.git_proxy_url = Some("https://proxy.example/git/".into());
    let code = CodeCache::from_config(&config);
    assert_eq!(
        code.fetch_url("https://github.com/org/study"),
        "https://proxy.example/git/github.com/org/study"
    );
    assert_eq!(
        CodeCache::from_config(&Config::new(dir.path(), dir.path()))
            .fetch_url("https://github.com/org/study"),
        "https://github.com/org/study"
    );
}
