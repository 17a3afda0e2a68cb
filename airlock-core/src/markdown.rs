//! COM-6: a comment's Markdown as HTML. Raw HTML in the text is escaped, never passed through;
//! links keep only `http`, `https`, `mailto` and relative targets (others become their text);
//! images become links to their target under the same rule, so a comment never loads anything;
//! line breaks in the source are kept.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

/// Whether a link target may stay (COM-6): `http:`, `https:`, `mailto:`, or relative (no
/// scheme, and not `//host`, which would leave the site).
pub fn link_allowed(target: &str) -> bool {
    let target = target.trim();
    let lower = target.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("mailto:")
    {
        return true;
    }
    if target.starts_with("//") || target.starts_with("\\\\") || target.starts_with("/\\") {
        return false;
    }
    // A scheme is letters, digits, `+`, `-` or `.` before the first `:`, which comes before
    // any `/`, `?` or `#`.
    !matches!(target.find([':', '/', '?', '#']), Some(at) if target[at..].starts_with(':'))
}

/// A Markdown link to a local path whose label and target are written literally: the label's
/// brackets, backslashes, asterisks and backticks are escaped and the target's spaces,
/// parentheses and angle brackets percent-encoded, so that a file name can never break or
/// inject Markdown (COM-3); an ordinary name is written as it is.
pub fn link(label: &str, target: &str) -> String {
    let mut text = String::with_capacity(label.len() + target.len() + 8);
    text.push('[');
    for c in label.chars() {
        if "\\`*[]".contains(c) {
            text.push('\\');
        }
        text.push(c);
    }
    text.push_str("](");
    for c in target.chars() {
        match c {
            ' ' => text.push_str("%20"),
            '(' => text.push_str("%28"),
            ')' => text.push_str("%29"),
            '<' => text.push_str("%3C"),
            '>' => text.push_str("%3E"),
            '\\' => text.push_str("%5C"),
            c if c.is_control() => {}
            c => text.push(c),
        }
    }
    text.push(')');
    text
}

/// PG-21: the HTML of one of the product's own documentation pages (tables allowed; raw HTML
/// escaped all the same, so a page's text can never be markup).
pub fn document_html(text: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    let events = Parser::new_ext(text, options).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => other,
    });
    let mut out = String::with_capacity(text.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

/// The HTML of a comment's Markdown text (COM-6).
pub fn comment_html(text: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_TABLES);
    // Links and images whose target is refused are dropped with their closing tag; a stack
    // remembers which open tags were kept.
    let mut kept: Vec<bool> = Vec::new();
    let events = Parser::new_ext(text, options).filter_map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        Event::SoftBreak => Some(Event::HardBreak),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let keep = link_allowed(&dest_url);
            kept.push(keep);
            keep.then_some(Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }))
        }
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let keep = link_allowed(&dest_url);
            kept.push(keep);
            keep.then_some(Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }))
        }
        Event::End(TagEnd::Link) | Event::End(TagEnd::Image) => kept
            .pop()
            .unwrap_or(false)
            .then_some(Event::End(TagEnd::Link)),
        Event::Start(Tag::HtmlBlock) | Event::End(TagEnd::HtmlBlock) => None,
        other => Some(other),
    });
    let mut out = String::with_capacity(text.len() * 2);
    html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn com_6_raw_html_is_escaped_never_passed_through() {
        for text in [
            "<script>alert(1)</script>",
            "Hello <img src=x onerror=alert(1)>",
            "<div>\n<iframe src=\"https://evil.example\"></iframe>\n</div>",
        ] {
            let html = comment_html(text);
            assert!(!html.contains("<script"), "{html}");
            assert!(!html.contains("<img"), "{html}");
            assert!(!html.contains("<iframe"), "{html}");
            assert!(!html.contains("<div"), "{html}");
            assert!(html.contains("&lt;"), "{html}");
        }
    }

    #[test]
    fn com_6_links_keep_only_safe_targets() {
        let html = comment_html(
            "[a](https://ok.example/x) [b](javascript:alert(1)) [c](/requests/view/1) [d](//evil.example) [e](mailto:x@y.org) [f](data:text/html,x) [g](JAVASCRIPT:x)",
        );
        assert!(html.contains("href=\"https://ok.example/x\""), "{html}");
        assert!(html.contains("href=\"/requests/view/1\""), "{html}");
        assert!(html.contains("href=\"mailto:x@y.org\""), "{html}");
        for bad in ["javascript", "//evil", "data:", "JAVASCRIPT"] {
            assert!(!html.contains(&format!("href=\"{bad}")), "{bad}: {html}");
        }
        for text in ["b", "d", "f", "g"] {
            assert!(html.contains(text), "the link text stays: {html}");
        }
        let image = comment_html("![chart](https://evil.example/pixel.png) ![x](javascript:y)");
        assert!(!image.contains("<img"), "{image}");
        assert!(
            image.contains("href=\"https://evil.example/pixel.png\""),
            "{image}"
        );
        assert!(!image.contains("javascript"), "{image}");
    }

    #[test]
    fn com_6_line_breaks_are_kept_and_markdown_rendered() {
        let html = comment_html("first line\nsecond line\n\n**bold** and `<code>`");
        assert!(html.contains("first line<br />\nsecond line"), "{html}");
        assert!(html.contains("<strong>bold</strong>"), "{html}");
        assert!(html.contains("<code>&lt;code&gt;</code>"), "{html}");
    }

    #[test]
    fn com_3_a_file_link_survives_any_file_name() {
        let md = link(
            "g/out/a (1) *b*.csv",
            "/requests/view/1/g/out/a (1) *b*.csv",
        );
        let html = comment_html(&format!("File: {md}\nrest"));
        assert!(
            html.contains("href=\"/requests/view/1/g/out/a%20%281%29%20*b*.csv\""),
            "{html}"
        );
        assert!(html.contains(">g/out/a (1) *b*.csv</a>"), "{html}");
        let evil = link("x](javascript:alert(1))", "/x");
        let html = comment_html(&evil);
        assert!(
            html.contains("<a href=\"/x\">x](javascript:alert(1))</a>"),
            "{html}"
        );
    }

    #[test]
    fn com_6_scheme_detection() {
        for ok in [
            "https://x",
            "http://x",
            "mailto:a@b",
            "page",
            "/a/b",
            "?q=1",
            "#x",
            "a/b:c",
        ] {
            assert!(link_allowed(ok), "{ok}");
        }
        for bad in [
            "javascript:x",
            "vbscript:x",
            "data:x",
            "//x",
            "\\\\x",
            " javascript:x",
            "file:///etc",
        ] {
            assert!(!link_allowed(bad), "{bad}");
        }
    }
}
