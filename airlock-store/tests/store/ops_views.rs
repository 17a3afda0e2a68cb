//! The API-shaped reads of `views.rs`: the workspace file listing follows the disk and the
//! manifest even though its order is cached per layout.

use crate::support;

use airlock_core::{Grant, Rules, User};
use airlock_store::generate::generate_workspace;
use support::store::harnesses;

fn paths(h: &support::store::Harness, user: &User) -> Vec<String> {
    h.store
        .workspace_files(user, "w", None)
        .expect("listing")
        .into_iter()
        .map(|f| f.path)
        .collect()
}

#[test]
fn the_listing_follows_new_disk_files_and_a_new_manifest() {
    for h in harnesses(Rules::default()) {
        let root = h.dir.path().join("workspaces");
        generate_workspace(&root, "w", 40, 1).expect("workspace");
        let user = User::new("researcher").with_role("w", Grant::active("p"));
        let before = paths(&h, &user);
        let mut sorted = before.clone();
        sorted.sort();
        assert_eq!(before, sorted, "{}: sorted by path", h.name());

        // A new job log appears on disk: the cached order must not hide it.
        std::fs::write(root.join("w/metadata/zz_new_action.log"), "done\n").expect("log");
        let after = paths(&h, &user);
        assert_eq!(after.len(), before.len() + 1);
        assert!(after.contains(&"metadata/zz_new_action.log".to_string()));

        // A rewritten manifest with other outputs: the listing follows it.
        generate_workspace(&root, "w", 10, 2).expect("rewrite");
        let rewritten = paths(&h, &user);
        assert!(
            rewritten.len() < after.len(),
            "{} then {}",
            after.len(),
            rewritten.len()
        );
        let page = h
            .store
            .workspace_files(
                &user,
                "w",
                Some(airlock_store::store::read::Page {
                    offset: 1,
                    limit: 2,
                }),
            )
            .expect("page");
        assert_eq!(
            page.iter().map(|f| f.path.clone()).collect::<Vec<_>>(),
            rewritten[1..3]
        );
    }
}
