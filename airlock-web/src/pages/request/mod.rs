//! The request pages: the request browser ([`view`]: overview, group and file pages, PG-17),
//! its forms ([`forms`]: every action of `pages.md` §5), the lists ([`lists`]: a workspace's
//! requests PG-18, the activity PG-20, the upload counter UPL-8) and the stored contents
//! ([`content`]: REN-1, REN-9).

pub mod content;
pub mod forms;
pub mod lists;
pub mod view;

use super::format;
use rocket::Route;

/// The overview of a request.
pub fn overview_url(id: &str) -> String {
    format!("/requests/view/{}/", format::segment(id))
}

/// The page of a group.
pub fn group_url(id: &str, group: &str) -> String {
    format!("{}{}/", overview_url(id), format::segment(group))
}

/// The page of a file of a group.
pub fn file_url(id: &str, group: &str, path: &str) -> String {
    format!("{}{}", group_url(id, group), format::path_segments(path))
}

/// The stored contents of a file (REN-1).
pub fn content_url(id: &str, group: &str, path: &str) -> String {
    format!(
        "/requests/content/{}/{}/{}",
        format::segment(id),
        format::segment(group),
        format::path_segments(path)
    )
}

/// Where a file action posts: `/requests/<action>/<id>/<group>/<path>` (`pages.md` §5).
pub fn file_action_url(action: &str, id: &str, group: &str, path: &str) -> String {
    format!(
        "/requests/{action}/{}/{}/{}",
        format::segment(id),
        format::segment(group),
        format::path_segments(path)
    )
}

/// The routes of the request pages.
pub fn routes() -> Vec<Route> {
    let mut all = view::routes();
    all.extend(forms::routes());
    all.extend(lists::routes());
    all.extend(content::routes());
    all
}
