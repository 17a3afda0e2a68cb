//! A visitor of the pages: a cookie jar, form posts with the session's CSRF token, and no
//! redirect followed unless asked, so a test sees each 303 and its `Location`; and the few
//! readings of HTML the tests make, by the hooks of `pages.md` §9 only.

use super::{Answer, Server};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;

/// Someone using the pages in a browser.
pub struct Visitor<'s> {
    server: &'s Server,
    cookies: RefCell<BTreeMap<String, String>>,
    /// The `Origin` header its posts carry (a browser sends the page's own).
    pub origin: RefCell<Option<String>>,
}

/// Percent-encodes a form value.
pub fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// What a path segment keeps as it is (RFC 3986's unreserved characters).
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A `/`-separated path with each segment percent-encoded.
pub fn encode_path(path: &str) -> String {
    path.split('/')
        .map(|s| percent_encoding::utf8_percent_encode(s, SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

impl<'s> Visitor<'s> {
    /// A visitor with no cookies.
    pub fn anonymous(server: &'s Server) -> Visitor<'s> {
        Visitor {
            server,
            cookies: RefCell::new(BTreeMap::new()),
            origin: RefCell::new(Some(server.url.clone())),
        }
    }

    /// A fixture user logged in through the login form (their token is their name).
    pub fn login(server: &'s Server, user: &str) -> Visitor<'s> {
        Visitor::login_with(server, user, user)
    }

    /// A user logged in through the login form with `token`.
    pub fn login_with(server: &'s Server, user: &str, token: &str) -> Visitor<'s> {
        let visitor = Visitor::anonymous(server);
        let form = visitor.get("/login/");
        assert_eq!(form.status, 200, "{}", form.text());
        let csrf = csrf_of(&form.text()).expect("the login form's csrf_token");
        let answer = visitor.send(
            "POST",
            "/login/",
            Some(&[("user", user), ("token", token), ("csrf_token", &csrf)]),
        );
        assert_eq!(answer.status, 303, "login {user}: {}", answer.text());
        assert_eq!(answer.header("location"), Some("/workspaces/"));
        visitor
    }

    /// The cookie `name`, if set.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.borrow().get(name).cloned()
    }

    /// Sets or replaces a cookie, as a browser would hold it.
    pub fn set_cookie(&self, name: &str, value: &str) {
        self.cookies
            .borrow_mut()
            .insert(name.to_string(), value.to_string());
    }

    /// A GET, no redirect followed.
    pub fn get(&self, path: &str) -> Answer {
        self.send("GET", path, None)
    }

    /// A GET with extra headers.
    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        self.request_with("GET", path, None, headers)
    }

    /// A GET that follows redirects (at most 5) and answers the last page.
    pub fn open(&self, path: &str) -> Answer {
        let mut answer = self.get(path);
        for _ in 0..5 {
            match answer.header("location") {
                Some(to) if (300..400).contains(&answer.status) => {
                    let to = to.to_string();
                    answer = self.get(&to);
                }
                _ => break,
            }
        }
        answer
    }

    /// The page a redirect points to.
    pub fn follow(&self, answer: &Answer) -> Answer {
        assert_eq!(answer.status, 303, "not a redirect: {}", answer.text());
        let to = answer.header("location").expect("a Location").to_string();
        self.get(&to)
    }

    /// The session's CSRF token, read from the workspaces page.
    pub fn csrf(&self) -> String {
        let page = self.get("/workspaces/");
        csrf_of(&page.text()).unwrap_or_else(|| {
            panic!(
                "no csrf_token on /workspaces/ ({}, {:?}): {}",
                page.status,
                page.header("location"),
                page.text()
            )
        })
    }

    /// A form post with the session's CSRF token added.
    pub fn post(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let csrf = self.csrf();
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf_token", &csrf));
        self.send("POST", path, Some(&all))
    }

    /// A form post exactly as given (no token added).
    pub fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        self.send("POST", path, Some(fields))
    }

    /// A post with a raw body and content type.
    pub fn post_body(&self, path: &str, content_type: &str, body: &[u8]) -> Answer {
        self.request("POST", path, Some((content_type, body.to_vec())))
    }

    fn send(&self, method: &str, path: &str, form: Option<&[(&str, &str)]>) -> Answer {
        let body = form.map(|fields| {
            let text = fields
                .iter()
                .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                .collect::<Vec<_>>()
                .join("&");
            ("application/x-www-form-urlencoded", text.into_bytes())
        });
        self.request(method, path, body)
    }

    fn request(&self, method: &str, path: &str, body: Option<(&str, Vec<u8>)>) -> Answer {
        self.request_with(method, path, body, &[])
    }

    fn request_with(
        &self,
        method: &str,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(30))
            .redirects(0)
            .build();
        let mut request = agent.request(method, &format!("{}{path}", self.server.url));
        let cookies = self
            .cookies
            .borrow()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        if !cookies.is_empty() {
            request = request.set("Cookie", &cookies);
        }
        for (name, value) in headers {
            request = request.set(name, value);
        }
        if method == "POST"
            && let Some(origin) = self.origin.borrow().as_deref()
        {
            request = request.set("Origin", origin);
        }
        let result = match body {
            Some((content_type, bytes)) => {
                request.set("Content-Type", content_type).send_bytes(&bytes)
            }
            None => request.call(),
        };
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {path}: {e}"),
        };
        for set in response.all("set-cookie") {
            let (pair, attributes) = set.split_once(';').unwrap_or((set, ""));
            if let Some((name, value)) = pair.split_once('=') {
                // A removal: no value, or an expiry in the past (only the attributes are
                // read: a value may hold any text).
                let attributes = attributes.to_ascii_lowercase();
                let gone = value.is_empty()
                    || attributes.contains("max-age=0")
                    || attributes.contains("1970");
                let mut jar = self.cookies.borrow_mut();
                if gone {
                    jar.remove(name.trim());
                } else {
                    jar.insert(name.trim().to_string(), value.trim().to_string());
                }
            }
        }
        let status = response.status();
        let headers = response
            .headers_names()
            .into_iter()
            .flat_map(|n| {
                response
                    .all(&n)
                    .into_iter()
                    .map(|v| (n.clone(), v.to_string()))
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut body = Vec::new();
        let _ = std::io::Read::read_to_end(&mut response.into_reader(), &mut body);
        Answer {
            status,
            headers,
            body,
        }
    }
}

impl Answer {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The `data-message-code` of the page's messages (PG-13).
    pub fn message_codes(&self) -> Vec<String> {
        attribute_values(&self.text(), "data-message-code")
    }

    /// The texts of the page's messages (PG-13), unescaped.
    pub fn message_texts(&self) -> Vec<String> {
        let html = self.text();
        html.match_indices("data-message-code=")
            .filter_map(|(at, _)| {
                let rest = &html[at..];
                let start = rest.find("<span>")? + "<span>".len();
                let end = rest[start..].find("</span>")?;
                Some(unescape(&rest[start..start + end]))
            })
            .collect()
    }

    /// The `data-error-code` of the page's messages (PG-13).
    pub fn error_codes(&self) -> Vec<String> {
        attribute_values(&self.text(), "data-error-code")
    }
}

/// The `csrf_token` of the first form that carries one.
pub fn csrf_of(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf_token\" value=\"")?;
    let rest = &html[at + "name=\"csrf_token\" value=\"".len()..];
    rest.split('"').next().map(str::to_string)
}

/// Every value of `attribute` in the page, in order.
pub fn attribute_values(html: &str, attribute: &str) -> Vec<String> {
    let needle = format!("{attribute}=\"");
    html.match_indices(&needle)
        .filter_map(|(at, _)| html[at + needle.len()..].split('"').next())
        .map(|v| v.replace("&amp;", "&").replace("&#x2f;", "/"))
        .collect()
}

/// The forms of a page: (action, the whole opening tag up to its `</form>`).
pub fn forms(html: &str) -> Vec<(String, String)> {
    html.match_indices("<form")
        .filter_map(|(at, _)| {
            let rest = &html[at..];
            let end = rest
                .find("</form>")
                .map_or(rest.len(), |e| e + "</form>".len());
            let form = &rest[..end];
            let action = attribute_values(form, "action").into_iter().next()?;
            Some((unescape(&action), form.to_string()))
        })
        .collect()
}

/// The actions of the forms whose submit button is enabled.
pub fn enabled_actions(html: &str) -> Vec<String> {
    forms(html)
        .into_iter()
        .filter(|(_, form)| {
            form.match_indices("<button").any(|(at, _)| {
                !form[at..]
                    .split('>')
                    .next()
                    .unwrap_or("")
                    .contains(" disabled")
            })
        })
        .map(|(action, _)| action)
        .collect()
}

/// The actions of the forms whose submit buttons are all disabled.
pub fn disabled_actions(html: &str) -> Vec<String> {
    let enabled = enabled_actions(html);
    forms(html)
        .into_iter()
        .map(|(action, _)| action)
        .filter(|a| !enabled.contains(a))
        .collect()
}

/// HTML's escapes of an attribute value undone (the few askama writes).
pub fn unescape(text: &str) -> String {
    text.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&lt;", "<")
        .replace("&#60;", "<")
        .replace("&gt;", ">")
        .replace("&#62;", ">")
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}
