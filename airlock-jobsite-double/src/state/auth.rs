//! DBL-3 and DBL-4: authenticate (a single-use login token) and authorise (a known, enabled
//! user).

use super::{Answer, Endpoint, Request, State};
use serde_json::{Value, json};

impl State {
    /// DBL-3.
    pub(super) fn authenticate(&mut self, request: &Request) -> Answer {
        let body = self.json_body(request, Endpoint::Authenticate);
        let field = |name: &str| {
            body.as_ref()
                .and_then(|b| b.get(name))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let (Some(user), Some(token)) = (field("user"), field("token")) else {
            return Answer::json(400, &json!({"user": ["This field is required."]}));
        };
        let found = self
            .config
            .users
            .iter_mut()
            .find(|u| u.username() == user || u.email == user);
        match found {
            Some(u) if !u.token_used && u.login_token == token => {
                u.token_used = true;
                Answer::json(200, &u.object)
            }
            _ => Answer::detail(403, "Invalid user or token"),
        }
    }

    /// DBL-4.
    pub(super) fn authorise(&mut self, request: &Request) -> Answer {
        let body = self.json_body(request, Endpoint::Authorise);
        let Some(user) = body
            .as_ref()
            .and_then(|b| b.get("user"))
            .and_then(Value::as_str)
        else {
            return Answer::json(400, &json!({"user": ["This field is required."]}));
        };
        match self.user(user) {
            None => Answer::detail(404, "Not found."),
            Some(u) if u.disabled => Answer::detail(403, "User may not log in by token"),
            Some(u) => Answer::json(200, &u.object),
        }
    }
}
