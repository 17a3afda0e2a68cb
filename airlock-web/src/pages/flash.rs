//! PG-13: the one-time message a form post leaves for the next page ("2 files added to group
//! tables"), carried across the redirect in a signed cookie and shown once. Each message has
//! the code of the refusal (§21) or `ok`; its text is escaped where it is shown (WEB-4).

use super::csrf;
use airlock_store::config::SecretKey;
use percent_encoding::{NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use rocket::http::{Cookie, CookieJar, SameSite};

/// The cookie that carries a message to the next page.
pub const COOKIE: &str = "airlock-flash";

/// The longest message text kept (a cookie holds about 4 kB).
const MAX_CHARS: usize = 1_000;

/// A message for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// `ok` for a success, else the error code (§21).
    pub code: String,
    /// What happened, in words.
    pub text: String,
}

impl Message {
    /// A success.
    pub fn ok(text: impl Into<String>) -> Message {
        Message {
            code: "ok".to_string(),
            text: text.into(),
        }
    }

    /// A refusal of an action, with its code and message.
    pub fn refusal(error: &airlock_core::AirlockError) -> Message {
        Message {
            code: error.code().to_string(),
            text: error.message().to_string(),
        }
    }

    /// Whether it reports a refusal (`data-error-code`).
    pub fn is_error(&self) -> bool {
        self.code != "ok"
    }
}

/// Leaves `message` for the next page.
pub fn set(jar: &CookieJar<'_>, secret: &SecretKey, message: &Message, secure: bool) {
    let text: String = message.text.chars().take(MAX_CHARS).collect();
    let payload = format!(
        "{}.{}",
        message.code,
        utf8_percent_encode(&text, NON_ALPHANUMERIC)
    );
    let value = format!("{}.{payload}", csrf::token_for(secret, "flash", &payload));
    jar.add(
        Cookie::build((COOKIE, value))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(secure),
    );
}

/// Takes the message left for this page, if a valid one is there; it is shown once.
pub fn take(jar: &CookieJar<'_>, secret: &SecretKey) -> Option<Message> {
    let value = jar.get(COOKIE)?.value().to_string();
    jar.remove(Cookie::build(COOKIE).path("/"));
    let (mac, payload) = value.split_once('.')?;
    csrf::check(secret, "flash", Some(payload), Some(mac)).ok()?;
    let (code, text) = payload.split_once('.')?;
    let text = percent_decode_str(text).decode_utf8().ok()?.into_owned();
    Some(Message {
        code: code.to_string(),
        text,
    })
}
