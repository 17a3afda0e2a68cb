//! PG-3: the pages' styles, scripts and icons, compiled into the binary and served from
//! `/static/<name>.<content hash>.<ext>` with `Cache-Control: max-age=31536000, immutable`.
//! A changed file gets a new name, so a browser never keeps a stale copy; nothing is read from
//! disk at run time and nothing comes from another origin.

use rocket::http::{ContentType, Header};
use rocket::{Responder, get};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// The file's own name, as the source tree has it (`airlock.css`).
    pub name: &'static str,
    /// Where it is served: `/static/airlock.<hash>.css`.
    pub url: String,
    /// Its bytes.
    pub bytes: &'static [u8],
    /// Its media type.
    pub content_type: ContentType,
}

/// Every embedded file (`airlock-web/static/`).
static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    [
        (
            "airlock.css",
            &include_bytes!("../../static/airlock.css")[..],
            ContentType::CSS,
        ),
        (
            "content.css",
            &include_bytes!("../../static/content.css")[..],
            ContentType::CSS,
        ),
        (
            "airlock.js",
            &include_bytes!("../../static/airlock.js")[..],
            ContentType::JavaScript,
        ),
        (
            "icons.svg",
            &include_bytes!("../../static/icons.svg")[..],
            ContentType::SVG,
        ),
        (
            "favicon.svg",
            &include_bytes!("../../static/favicon.svg")[..],
            ContentType::SVG,
        ),
    ]
    .into_iter()
    .map(|(name, bytes, content_type)| Asset {
        name,
        url: hashed_url(name, bytes),
        bytes,
        content_type,
    })
    .collect()
});

/// `/static/<stem>.<first 12 hex digits of the sha256>.<ext>`.
fn hashed_url(name: &str, bytes: &[u8]) -> String {
    let hash = hex::encode(Sha256::digest(bytes));
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    format!("/static/{stem}.{}.{ext}", &hash[..12])
}

/// The URL an embedded file is served at; an unknown name answers a URL that is not served.
pub fn url(name: &str) -> &'static str {
    ASSETS
        .iter()
        .find(|a| a.name == name)
        .map_or("/static/missing", |a| a.url.as_str())
}

/// Every embedded file.
pub fn all() -> &'static [Asset] {
    &ASSETS
}

/// The URLs a page links: the stylesheet, the script, the icon sprite and the favicon.
#[derive(Debug, Clone, Copy)]
pub struct Links {
    /// The stylesheet.
    pub css: &'static str,
    /// The script.
    pub js: &'static str,
    /// The icon sprite (`<use href="{icons}#name">`).
    pub icons: &'static str,
    /// The favicon.
    pub favicon: &'static str,
}

/// The links of every page.
pub fn links() -> Links {
    Links {
        css: url("airlock.css"),
        js: url("airlock.js"),
        icons: url("icons.svg"),
        favicon: url("favicon.svg"),
    }
}

/// An embedded file with its caching headers.
#[derive(Responder)]
pub struct Served {
    bytes: &'static [u8],
    content_type: ContentType,
    cache: Header<'static>,
}

/// `GET /static/<file>`: an embedded file by its hashed name (PG-3); anything else is 404.
#[get("/static/<file>")]
pub fn static_file(file: &str) -> Option<Served> {
    ASSETS
        .iter()
        .find(|a| a.url.strip_prefix("/static/") == Some(file))
        .map(|a| Served {
            bytes: a.bytes,
            content_type: a.content_type.clone(),
            cache: Header::new("Cache-Control", "max-age=31536000, immutable"),
        })
}
