//! PG-11: cross-site request forgery. Every form that posts carries a `csrf_token` tied to the
//! session: the HMAC-SHA256, under the server secret, of the session's token (the login form's,
//! of a pre-session cookie). A post with a missing or wrong token, or with an `Origin` that is
//! not this service's own, is refused before anything runs.

use airlock_store::config::SecretKey;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The pre-session cookie the login form's token is tied to.
pub const LOGIN_COOKIE: &str = "airlock-csrf";

/// Why a post was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsrfRefusal {
    /// No `csrf_token` field.
    Missing,
    /// A token that is not this session's.
    Wrong,
    /// An `Origin` header of another site.
    ForeignOrigin,
}

impl CsrfRefusal {
    /// What the error page says.
    pub fn message(self) -> &'static str {
        match self {
            CsrfRefusal::Missing => {
                "The form was sent without its security token. Reload the page and try again."
            }
            CsrfRefusal::Wrong => {
                "The form's security token is not this session's (it may come from an old \
                 page, or another site). Reload the page and try again."
            }
            CsrfRefusal::ForeignOrigin => "The form was sent from another site.",
        }
    }
}

/// The MAC of `token` for `purpose` (`None` only if HMAC refused the key, which it never does:
/// it takes keys of any length).
fn mac(secret: &SecretKey, purpose: &str, token: &str) -> Option<Hmac<Sha256>> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(purpose.as_bytes());
    mac.update(b"\0");
    mac.update(token.as_bytes());
    Some(mac)
}

/// The form token of a session (`purpose` is `session` or `login`).
pub fn token_for(secret: &SecretKey, purpose: &str, token: &str) -> String {
    mac(secret, purpose, token)
        .map(|m| hex::encode(m.finalize().into_bytes()))
        .unwrap_or_default()
}

/// Checks a posted token against the session's, in constant time.
pub fn check(
    secret: &SecretKey,
    purpose: &str,
    session_token: Option<&str>,
    posted: Option<&str>,
) -> Result<(), CsrfRefusal> {
    let posted = posted
        .filter(|p| !p.is_empty())
        .ok_or(CsrfRefusal::Missing)?;
    let session_token = session_token.ok_or(CsrfRefusal::Wrong)?;
    let bytes = hex::decode(posted).map_err(|_| CsrfRefusal::Wrong)?;
    mac(secret, purpose, session_token)
        .ok_or(CsrfRefusal::Wrong)?
        .verify_slice(&bytes)
        .map_err(|_| CsrfRefusal::Wrong)
}

/// Whether an `Origin` header names this service: the configured public URL's origin when
/// there is one, else the request's own `Host` (any scheme). No `Origin` passes: the token
/// decides.
pub fn origin_allowed(origin: Option<&str>, public_url: Option<&str>, host: Option<&str>) -> bool {
    let Some(origin) = origin else {
        return true;
    };
    let origin = origin.trim_end_matches('/');
    if let Some(public) = public_url {
        return origin.eq_ignore_ascii_case(origin_of(public));
    }
    let Some(host) = host else {
        return false;
    };
    ["http://", "https://"]
        .iter()
        .any(|scheme| origin.eq_ignore_ascii_case(&format!("{scheme}{host}")))
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(slash) => &url[..after_scheme + slash],
        None => url.trim_end_matches('/'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> SecretKey {
        SecretKey::from_bytes([7u8; 32])
    }

    #[test]
    fn pg_11_tokens_are_the_sessions_own() {
        let s = secret();
        let token = token_for(&s, "session", "abc");
        assert_eq!(check(&s, "session", Some("abc"), Some(&token)), Ok(()));
        assert_eq!(
            check(&s, "session", Some("other"), Some(&token)),
            Err(CsrfRefusal::Wrong)
        );
        assert_eq!(
            check(&s, "login", Some("abc"), Some(&token)),
            Err(CsrfRefusal::Wrong),
            "a session's token is not a login form's"
        );
        assert_eq!(
            check(&s, "session", Some("abc"), None),
            Err(CsrfRefusal::Missing)
        );
        assert_eq!(
            check(&s, "session", Some("abc"), Some("zz")),
            Err(CsrfRefusal::Wrong)
        );
        assert_eq!(
            check(&s, "session", None, Some(&token)),
            Err(CsrfRefusal::Wrong)
        );
    }

    #[test]
    fn pg_11_origins() {
        assert!(origin_allowed(None, None, Some("a:1")));
        assert!(origin_allowed(Some("http://a:1"), None, Some("a:1")));
        assert!(!origin_allowed(Some("http://evil"), None, Some("a:1")));
        assert!(origin_allowed(
            Some("https://airlock.example"),
            Some("https://airlock.example/"),
            Some("internal:8000")
        ));
        assert!(!origin_allowed(
            Some("http://internal:8000"),
            Some("https://airlock.example"),
            Some("internal:8000")
        ));
        assert!(!origin_allowed(Some("null"), None, Some("a")));
    }
}
