//! How a file's contents are shown (`behaviour.md` §14): which renderer a path gets (REN-1),
//! the cache identity of a rendering (REN-4), and the words of the notices. The renderers
//! themselves are in [`crate::csvtable`] (CSV, REN-2, REN-3, §15), [`crate::joblog`] (REN-5) and
//! the web layer (text, images, raw HTML and SVG under REN-7).

use crate::workspace::is_allowed_file_type;

/// Bumped whenever a templated renderer's output changes, so that cached renderings are not
/// reused across versions (REN-4).
pub const RENDERER_VERSION: &str = "r1";

/// The renderer of a file (REN-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Renderer {
    /// `.csv`: the table, its summary statistics and its hints.
    Csv,
    /// `.txt`, `.json`, `.md`, and any allowed type with `plaintext=true`: escaped text.
    Text,
    /// `.log`: REN-5.
    Log,
    /// `.png`, `.jpg`, `.jpeg`: a page showing the image scaled to fit.
    Image(Image),
    /// `.html`, `.svg`, `.svgz`: the bytes as they are, under `Content-Security-Policy: sandbox`
    /// (REN-7).
    Raw(Raw),
    /// Any other type: the invalid-type notice.
    Invalid,
}

/// An image's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Image {
    /// `image/png`.
    Png,
    /// `image/jpeg`.
    Jpeg,
}

/// A raw type's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Raw {
    /// `text/html`.
    Html,
    /// `image/svg+xml`.
    Svg,
    /// `image/svg+xml` sent with `Content-Encoding: gzip`.
    Svgz,
}

impl Image {
    /// Its media type.
    pub fn media_type(self) -> &'static str {
        match self {
            Image::Png => "image/png",
            Image::Jpeg => "image/jpeg",
        }
    }
}

impl Raw {
    /// Its media type.
    pub fn media_type(self) -> &'static str {
        match self {
            Raw::Html => "text/html; charset=utf-8",
            Raw::Svg | Raw::Svgz => "image/svg+xml",
        }
    }

    /// The `Content-Encoding` it is sent with, if any.
    pub fn encoding(self) -> Option<&'static str> {
        (self == Raw::Svgz).then_some("gzip")
    }
}

impl Renderer {
    /// REN-1: the renderer of `path` (by its last suffix, case-sensitively, as WS-3 compares);
    /// `plaintext` renders any allowed type as text.
    pub fn of(path: &str, plaintext: bool) -> Renderer {
        if !is_allowed_file_type(path) {
            return Renderer::Invalid;
        }
        if plaintext {
            return Renderer::Text;
        }
        let suffix = path.rsplit('.').next().unwrap_or_default();
        match suffix {
            "csv" => Renderer::Csv,
            "log" => Renderer::Log,
            "png" => Renderer::Image(Image::Png),
            "jpg" | "jpeg" => Renderer::Image(Image::Jpeg),
            "html" => Renderer::Raw(Raw::Html),
            "svg" => Renderer::Raw(Raw::Svg),
            "svgz" => Renderer::Raw(Raw::Svgz),
            _ => Renderer::Text,
        }
    }

    /// Whether the answer is a page the service writes (a template), rather than the bytes.
    pub fn is_templated(self) -> bool {
        !matches!(self, Renderer::Raw(_))
    }

    /// A short name, for cache ids and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Renderer::Csv => "csv",
            Renderer::Text => "text",
            Renderer::Log => "log",
            Renderer::Image(_) => "image",
            Renderer::Raw(_) => "raw",
            Renderer::Invalid => "invalid",
        }
    }
}

/// REN-4: the cache id of a request file's rendering: its sha256 `file_id`, suffixed with the
/// renderer and its version for templated renderers.
pub fn request_cache_id(file_id: &str, renderer: Renderer) -> String {
    suffixed(file_id.to_string(), renderer)
}

/// REN-4: the cache id of a workspace file's rendering: `<hex mtime seconds>-<hex size>`,
/// suffixed as for request files.
pub fn workspace_cache_id(mtime_seconds: u64, size: u64, renderer: Renderer) -> String {
    suffixed(format!("{mtime_seconds:x}-{size:x}"), renderer)
}

fn suffixed(id: String, renderer: Renderer) -> String {
    if renderer.is_templated() {
        format!("{id}-{}{}", renderer.as_str(), RENDERER_VERSION)
    } else {
        id
    }
}

/// REN-1: the notice for a type that cannot be shown.
pub fn invalid_notice(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    format!("{name} is not a valid file type and cannot be displayed.")
}

/// REN-1: bytes as text, invalid UTF-8 replaced with U+FFFD.
pub fn decode_text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// Writes `text` HTML-escaped (`&`, `<`, `>`, `"`, `'`) onto `out`.
pub fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// REN-1 text, streamed: one chunk of bytes decoded as UTF-8 and HTML-escaped onto `out`.
/// Invalid bytes become U+FFFD; the bytes of a character cut by the chunk's end wait in
/// `carry` for the next chunk, or become U+FFFD when this is the `last` one.
pub fn escape_text_chunk(carry: &mut Vec<u8>, input: &[u8], last: bool, out: &mut String) {
    let mut bytes = std::mem::take(carry);
    bytes.extend_from_slice(input);
    let mut rest = &bytes[..];
    loop {
        match std::str::from_utf8(rest) {
            Ok(text) => {
                push_escaped(out, text);
                return;
            }
            Err(e) => {
                let (valid, after) = rest.split_at(e.valid_up_to());
                // `valid` is valid UTF-8 by construction.
                push_escaped(out, &String::from_utf8_lossy(valid));
                match e.error_len() {
                    Some(bad) => {
                        out.push('\u{FFFD}');
                        rest = &after[bad..];
                    }
                    None if last => {
                        out.push('\u{FFFD}');
                        return;
                    }
                    None => {
                        carry.extend_from_slice(after);
                        return;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn escaped_in_chunks(bytes: &[u8], size: usize) -> String {
        let mut carry = Vec::new();
        let mut out = String::new();
        let chunks: Vec<&[u8]> = bytes.chunks(size.max(1)).collect();
        for (i, chunk) in chunks.iter().enumerate() {
            escape_text_chunk(&mut carry, chunk, i + 1 == chunks.len(), &mut out);
        }
        if chunks.is_empty() {
            escape_text_chunk(&mut carry, &[], true, &mut out);
        }
        out
    }

    #[test]
    fn ren_1_text_is_escaped_and_invalid_utf8_replaced() {
        assert_eq!(
            escaped_in_chunks(b"<a href='x'>&\"</a>", 3),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        assert_eq!(
            escaped_in_chunks(b"caf\xc3\xa9 \xff!", 4),
            "caf\u{e9} \u{FFFD}!"
        );
        assert_eq!(escaped_in_chunks(b"cut \xc3", 100), "cut \u{FFFD}");
    }

    proptest! {
        /// Any bytes, in chunks of any size, give the same text as decoding them whole, with
        /// no markup character left unescaped.
        #[test]
        fn ren_1_random_bytes_never_give_markup(bytes in proptest::collection::vec(any::<u8>(), 0..300), size in 1usize..17) {
            let out = escaped_in_chunks(&bytes, size);
            let mut whole = String::new();
            push_escaped(&mut whole, &String::from_utf8_lossy(&bytes));
            prop_assert_eq!(&out, &whole);
            prop_assert!(!out.contains('<') && !out.contains('>') && !out.contains('"'));
        }
    }

    #[test]
    fn ren_1_renderers_by_suffix() {
        for (path, renderer) in [
            ("a/b.csv", Renderer::Csv),
            ("b.txt", Renderer::Text),
            ("b.json", Renderer::Text),
            ("b.md", Renderer::Text),
            ("metadata/job.log", Renderer::Log),
            ("f.png", Renderer::Image(Image::Png)),
            ("f.jpg", Renderer::Image(Image::Jpeg)),
            ("f.jpeg", Renderer::Image(Image::Jpeg)),
            ("r.html", Renderer::Raw(Raw::Html)),
            ("r.svg", Renderer::Raw(Raw::Svg)),
            ("r.svgz", Renderer::Raw(Raw::Svgz)),
            ("r.CSV", Renderer::Invalid),
            ("model.rds", Renderer::Invalid),
            (".hidden.csv", Renderer::Invalid),
        ] {
            assert_eq!(Renderer::of(path, false), renderer, "{path}");
        }
        assert_eq!(Renderer::of("r.html", true), Renderer::Text);
        assert_eq!(Renderer::of("model.rds", true), Renderer::Invalid);
    }

    #[test]
    fn ren_4_cache_ids() {
        assert_eq!(request_cache_id("abc", Renderer::Raw(Raw::Html)), "abc");
        assert_eq!(request_cache_id("abc", Renderer::Csv), "abc-csvr1");
        assert_eq!(workspace_cache_id(255, 16, Renderer::Text), "ff-10-textr1");
    }

    #[test]
    fn ren_1_invalid_notice_names_the_file() {
        assert_eq!(
            invalid_notice("output/model.rds"),
            "model.rds is not a valid file type and cannot be displayed."
        );
    }
}
