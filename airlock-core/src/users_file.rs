//! The test-mode users file (`jobserver-api.md` §7, API-31; `behaviour.md` AUTH-3).
//!
//! A JSON object keyed by username; each value is `{"token": str, "details": <user object>}`.
//! [`parse_users_file`] checks the whole file at once and refuses it with every problem named by
//! entry and field: the top level must be an object, every entry needs a string `token` and a
//! `details` object whose `username` equals the key (USR-3 keys users by the returned
//! username), and every grant must have exactly the keys `project_details` and `archived`
//! (API-31). Unknown extra fields of a user object are ignored (API-15).

use crate::user::User;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;

/// The keys every grant must have, and no others (API-31).
const GRANT_KEYS: [&str; 2] = ["archived", "project_details"];

/// Why a users file was refused: one line per problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsersFileError {
    /// Each problem, naming the entry and field.
    pub problems: Vec<String>,
}

impl fmt::Display for UsersFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid users file: {}", self.problems.join("; "))
    }
}

impl std::error::Error for UsersFileError {}

/// One entry: the token that logs the user in, and the user object login returns.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TestUser {
    token: String,
    details: User,
}

/// A parsed, valid users file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsersFile {
    users: BTreeMap<String, TestUser>,
}

impl UsersFile {
    /// API-31 login: the user object when `username` is a key and `token` matches.
    pub fn login(&self, username: &str, token: &str) -> Option<&User> {
        let entry = self.users.get(username)?;
        constant_time_eq(entry.token.as_bytes(), token.as_bytes()).then_some(&entry.details)
    }

    /// Re-authorisation in test mode, and OPS-2's author lookup: the user object of `username`.
    pub fn user(&self, username: &str) -> Option<&User> {
        self.users.get(username).map(|e| &e.details)
    }

    /// PG-8: the users with their login tokens and display names, by username, for the
    /// one-click logins of the test-mode login page.
    pub fn logins(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        self.users.iter().map(|(name, entry)| {
            let shown = entry
                .details
                .fullname
                .as_deref()
                .filter(|f| !f.trim().is_empty())
                .unwrap_or(name);
            (name.as_str(), entry.token.as_str(), shown)
        })
    }

    /// The usernames, sorted.
    pub fn usernames(&self) -> impl Iterator<Item = &str> {
        self.users.keys().map(String::as_str)
    }

    /// Number of users.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether the file has no users.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }
}

/// Compares without stopping at the first difference, so that timing does not reveal a prefix.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Parses and checks a users file (API-31); every problem is reported together.
pub fn parse_users_file(bytes: &[u8]) -> Result<UsersFile, UsersFileError> {
    let refuse = |problem: String| UsersFileError {
        problems: vec![problem],
    };
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| refuse(format!("not valid JSON ({e})")))?;
    let Value::Object(entries) = value else {
        return Err(refuse(
            "the top level must be an object keyed by username".to_string(),
        ));
    };
    let mut problems = Vec::new();
    let mut users = BTreeMap::new();
    for (key, entry) in entries {
        match check_entry(&key, entry) {
            Ok(user) => {
                users.insert(key, user);
            }
            Err(mut found) => problems.append(&mut found),
        }
    }
    if problems.is_empty() {
        Ok(UsersFile { users })
    } else {
        Err(UsersFileError { problems })
    }
}

fn check_entry(key: &str, entry: Value) -> Result<TestUser, Vec<String>> {
    let at = |what: &str| format!("user {key:?}: {what}");
    let Value::Object(mut entry) = entry else {
        return Err(vec![at("must be an object with token and details")]);
    };
    let mut problems = Vec::new();
    let token = match entry.remove("token") {
        Some(Value::String(token)) if !token.is_empty() => Some(token),
        Some(Value::String(_)) => {
            problems.push(at("token must not be empty"));
            None
        }
        Some(_) => {
            problems.push(at("token must be a string"));
            None
        }
        None => {
            problems.push(at("token is missing"));
            None
        }
    };
    let details = match entry.remove("details") {
        Some(Value::Object(details)) => check_details(key, details, &mut problems),
        Some(_) => {
            problems.push(at("details must be an object"));
            None
        }
        None => {
            problems.push(at("details is missing"));
            None
        }
    };
    match (token, details) {
        (Some(token), Some(details)) if problems.is_empty() => Ok(TestUser { token, details }),
        _ => Err(problems),
    }
}

fn check_details(
    key: &str,
    details: Map<String, Value>,
    problems: &mut Vec<String>,
) -> Option<User> {
    let before = problems.len();
    for field in ["workspaces", "copiloted_workspaces"] {
        let Some(Value::Object(grants)) = details.get(field) else {
            continue;
        };
        for (workspace, grant) in grants {
            let mut keys: Vec<&str> = match grant {
                Value::Object(grant) => grant.keys().map(String::as_str).collect(),
                _ => Vec::new(),
            };
            keys.sort_unstable();
            if keys != GRANT_KEYS {
                problems.push(format!(
                    "user {key:?}: details.{field}.{workspace:?} must be an object with exactly \
                     the keys project_details and archived (found: {})",
                    if grant.is_object() {
                        keys.join(", ")
                    } else {
                        "not an object".to_string()
                    }
                ));
            }
        }
    }
    if problems.len() > before {
        return None;
    }
    match serde_json::from_value::<User>(Value::Object(details)) {
        Ok(user) if user.username == key => Some(user),
        Ok(user) => {
            problems.push(format!(
                "user {key:?}: details.username is {:?}; it must equal the key",
                user.username
            ));
            None
        }
        Err(e) => {
            problems.push(format!("user {key:?}: details: {e}"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> Result<UsersFile, UsersFileError> {
        parse_users_file(value.to_string().as_bytes())
    }

    fn grant() -> Value {
        json!({"project_details": {"name": "P", "ongoing": true}, "archived": false})
    }

    #[test]
    fn api_31_login_needs_the_key_and_the_matching_token() {
        let file = parse(json!({
            "r1": {"token": "secret", "details": {"username": "r1", "workspaces": {"ws": grant()},
                   "unknown_extra": 1}},
            "c1": {"token": "c", "details": {"username": "c1", "output_checker": true}},
        }))
        .expect("valid");
        assert_eq!(file.len(), 2);
        assert_eq!(file.usernames().collect::<Vec<_>>(), ["c1", "r1"]);
        let user = file.login("r1", "secret").expect("login");
        assert!(user.workspaces.contains_key("ws"));
        assert!(file.login("r1", "secre").is_none());
        assert!(file.login("r1", "secret2").is_none());
        assert!(file.login("nobody", "secret").is_none());
        assert!(file.user("c1").is_some_and(|u| u.output_checker));
    }

    #[test]
    fn api_31_grants_need_exactly_project_details_and_archived() {
        for bad in [
            json!({"project_details": {"name": "P", "ongoing": true}}),
            json!({"archived": false}),
            json!({"project_details": {"name": "P"}, "archived": false, "role": "x"}),
            json!("not an object"),
        ] {
            let err = parse(json!({
                "r1": {"token": "t", "details": {"username": "r1", "copiloted_workspaces": {"ws": bad}}}
            }))
            .expect_err("refused");
            assert_eq!(err.problems.len(), 1, "{err}");
            assert!(
                err.problems[0].contains("details.copiloted_workspaces.\"ws\""),
                "{err}"
            );
        }
    }

    #[test]
    fn every_problem_is_named_by_entry_and_field() {
        let err = parse(json!({
            "a": {"details": {"username": "a"}},
            "b": {"token": 5, "details": {"username": "b"}},
            "c": {"token": "t", "details": {"username": "someone-else"}},
            "d": {"token": "t", "details": {"username": "d", "output_checker": "yes"}},
            "e": [],
            "f": {"token": "", "details": {"username": "f"}},
        }))
        .expect_err("refused");
        let text = err.to_string();
        for expected in [
            "user \"a\": token is missing",
            "user \"b\": token must be a string",
            "user \"c\": details.username is \"someone-else\"",
            "user \"d\": details:",
            "user \"e\": must be an object",
            "user \"f\": token must not be empty",
        ] {
            assert!(text.contains(expected), "{expected} in {text}");
        }
        assert_eq!(err.problems.len(), 6);
    }

    #[test]
    fn not_json_and_not_an_object_are_refused() {
        assert!(
            parse_users_file(b"{")
                .expect_err("bad")
                .to_string()
                .contains("not valid JSON")
        );
        assert!(
            parse(json!([]))
                .expect_err("bad")
                .to_string()
                .contains("keyed by username")
        );
    }
}
