//! WEB-3 (D-h): where a page may send the browser next. `next`, `return_url` and `next_url`
//! must be a local path; anything else is replaced by the action's default page and never
//! causes an error page.

/// WEB-3: `target` when it is a local path: it starts with exactly one `/`, holds no `\`, no
/// control character and no `://`.
pub fn local_target(target: &str) -> Option<&str> {
    let local = target.starts_with('/')
        && !target.starts_with("//")
        && !target.contains('\\')
        && !target.contains("://")
        && !target.chars().any(char::is_control);
    local.then_some(target)
}

/// The page to go to: `requested` when it passes WEB-3, else `default`.
pub fn next_page<'a>(requested: Option<&'a str>, default: &'a str) -> &'a str {
    requested
        .filter(|t| !t.is_empty())
        .and_then(local_target)
        .unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_3_only_local_paths_are_followed() {
        for ok in ["/", "/workspaces/", "/requests/view/01J?x=1", "/a/b#c"] {
            assert_eq!(local_target(ok), Some(ok));
        }
        for bad in [
            "",
            "workspaces/",
            "//evil.example/",
            "/\\evil.example",
            "\\\\evil",
            "https://evil.example/",
            "/redirect?to=https://evil.example",
            "/a\nLocation: x",
            "/a\u{7f}",
            " /a",
            "javascript:alert(1)",
        ] {
            assert_eq!(local_target(bad), None, "{bad:?}");
        }
        assert_eq!(next_page(Some("//evil"), "/workspaces/"), "/workspaces/");
        assert_eq!(next_page(None, "/workspaces/"), "/workspaces/");
        assert_eq!(next_page(Some(""), "/d"), "/d");
        assert_eq!(next_page(Some("/x"), "/d"), "/x");
    }
}
