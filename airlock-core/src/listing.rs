//! What the lists of the pages show and in which order: the workspaces grouped by project
//! (WEB-6, PG-15), the all-workspaces filter (PG-15), the groups a form offers (GRP-2), and the
//! status filter of a workspace's requests (WEB-6).

use crate::model::RequestState;
use crate::status::Status;
use crate::user::Grant;
use std::collections::BTreeMap;
use std::str::FromStr;

/// A project and the workspaces of it that a user holds a grant on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectGroup {
    /// The project's name.
    pub name: String,
    /// The project is ongoing; shown "(INACTIVE)" when not.
    pub ongoing: bool,
    /// Its workspaces: unarchived first, then archived ("(ARCHIVED)"), each by name.
    pub workspaces: Vec<GrantedWorkspace>,
}

/// A workspace of a grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantedWorkspace {
    /// The workspace.
    pub name: String,
    /// It is archived.
    pub archived: bool,
}

/// WEB-6: the workspaces of `grants` by project: ongoing projects first, then by project
/// name; archived workspaces come last in their project.
pub fn by_project(grants: &BTreeMap<String, Grant>) -> Vec<ProjectGroup> {
    let mut projects: BTreeMap<(bool, &str), Vec<GrantedWorkspace>> = BTreeMap::new();
    for (name, grant) in grants {
        let project = &grant.project_details;
        projects
            .entry((!project.ongoing, project.name.as_str()))
            .or_default()
            .push(GrantedWorkspace {
                name: name.clone(),
                archived: grant.archived,
            });
    }
    projects
        .into_iter()
        .map(|((inactive, name), mut workspaces)| {
            workspaces.sort_by(|a, b| (a.archived, &a.name).cmp(&(b.archived, &b.name)));
            ProjectGroup {
                name: name.to_string(),
                ongoing: !inactive,
                workspaces,
            }
        })
        .collect()
}

/// PG-15, WEB-1: the workspace names whose name holds `query`, compared case-insensitively
/// (every name when the query is blank).
pub fn matching<'a>(names: &'a [String], query: &str) -> Vec<&'a str> {
    let query = query.trim().to_lowercase();
    names
        .iter()
        .map(String::as_str)
        .filter(|name| query.is_empty() || name.to_lowercase().contains(&query))
        .collect()
}

/// GRP-2: the existing groups a form offers, `default` first and the others by name.
pub fn group_choices(state: Option<&RequestState>) -> Vec<String> {
    let mut names: Vec<String> = state
        .map(|s| s.groups.iter().map(|g| g.name.clone()).collect())
        .unwrap_or_default();
    names.sort_by(|a, b| {
        (a != crate::offer::DEFAULT_GROUP, a).cmp(&(b != crate::offer::DEFAULT_GROUP, b))
    });
    if !names.iter().any(|n| n == crate::offer::DEFAULT_GROUP) {
        names.insert(0, crate::offer::DEFAULT_GROUP.to_string());
    }
    names
}

/// WEB-6: the statuses a page's `status` filter names (comma-separated names); an unknown
/// value is ignored, so a bad filter shows every request.
pub fn status_filter(query: Option<&str>) -> Vec<Status> {
    query
        .map(|q| {
            q.split(',')
                .filter_map(|s| Status::from_str(s.trim()).ok())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{empty_request, group};
    use crate::user::Grant;

    #[test]
    fn web_6_projects_ongoing_first_archived_last() {
        let mut grants = BTreeMap::new();
        grants.insert(
            "old".to_string(),
            Grant {
                archived: true,
                ..Grant::active("B")
            },
        );
        grants.insert("new".to_string(), Grant::active("B"));
        grants.insert("asthma".to_string(), {
            let mut g = Grant::active("A");
            g.project_details.ongoing = false;
            g
        });
        grants.insert("zeta".to_string(), Grant::active("Z"));
        let groups = by_project(&grants);
        let names: Vec<(&str, bool)> = groups
            .iter()
            .map(|g| (g.name.as_str(), g.ongoing))
            .collect();
        assert_eq!(names, [("B", true), ("Z", true), ("A", false)]);
        let b: Vec<(&str, bool)> = groups[0]
            .workspaces
            .iter()
            .map(|w| (w.name.as_str(), w.archived))
            .collect();
        assert_eq!(b, [("new", false), ("old", true)]);
    }

    #[test]
    fn pg_15_all_workspaces_filter_is_a_case_insensitive_substring() {
        let names = vec![
            "Diabetes-Outcomes".to_string(),
            "vaccine-uptake".to_string(),
        ];
        assert_eq!(matching(&names, "OUT"), ["Diabetes-Outcomes"]);
        assert_eq!(
            matching(&names, "  "),
            ["Diabetes-Outcomes", "vaccine-uptake"]
        );
        assert!(matching(&names, "zzz").is_empty());
    }

    #[test]
    fn grp_2_forms_offer_default_first_then_by_name() {
        assert_eq!(group_choices(None), ["default"]);
        let mut state = empty_request("r");
        for name in ["tables", "figures", "default"] {
            state.groups.push(group(name));
        }
        assert_eq!(
            group_choices(Some(&state)),
            ["default", "figures", "tables"]
        );
        let mut state = empty_request("r");
        state.groups.push(group("tables"));
        assert_eq!(group_choices(Some(&state)), ["default", "tables"]);
    }

    #[test]
    fn web_6_an_unknown_status_filter_is_ignored() {
        assert_eq!(
            status_filter(Some("SUBMITTED, RETURNED")),
            [Status::Submitted, Status::Returned]
        );
        assert!(status_filter(Some("DONE")).is_empty());
        assert!(status_filter(None).is_empty());
    }
}
