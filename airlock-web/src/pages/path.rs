//! A relative path from the rest of a page URL (FMT-5): the segments as Rocket decoded them,
//! joined with `/` and checked; a path that breaks FMT-5 is `bad_path`.

use airlock_core::AirlockError;
use airlock_core::workspace::validate_relpath;
use rocket::http::uri::Segments;
use rocket::http::uri::fmt::Path;
use rocket::request::FromSegments;

/// A relative path of a workspace or request (possibly empty: the top).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagePath(pub Result<String, AirlockError>);

impl<'r> FromSegments<'r> for PagePath {
    type Error = std::convert::Infallible;

    fn from_segments(segments: Segments<'r, Path>) -> Result<Self, Self::Error> {
        let parts: Vec<&str> = segments.collect();
        // A trailing `/` (a directory's address) leaves an empty last segment.
        let joined = parts
            .iter()
            .copied()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("/");
        if joined.is_empty() {
            return Ok(PagePath(Ok(String::new())));
        }
        Ok(PagePath(validate_relpath(&joined)))
    }
}

impl PagePath {
    /// The path, or the `bad_path` refusal.
    pub fn get(&self) -> Result<&str, AirlockError> {
        self.0.as_deref().map_err(Clone::clone)
    }
}
