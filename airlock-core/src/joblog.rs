//! Job logs (`behaviour.md` REN-5, `workspace-format.md` FMT-11): keeping the JOB SUMMARY
//! trailer, truncating the text above it, and turning ANSI colour codes into HTML.
//!
//! Everything here works on text the caller has already decoded (invalid UTF-8 replaced with
//! U+FFFD, REN-1). Lengths are counted in characters, not bytes.

use serde::Serialize;
use std::fmt::Write as _;

/// The line that starts the trailer (FMT-11).
pub const JOB_SUMMARY_LINE: &str = "=============JOB SUMMARY=============";

/// The default `max_log_chars` (§22).
pub const DEFAULT_MAX_LOG_CHARS: usize = 10_000;

/// A log split per REN-5: the kept text above the trailer, and the trailer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TruncatedLog<'a> {
    /// The text kept before the trailer.
    pub body: &'a str,
    /// The trailer: from the last JOB SUMMARY line to the end (empty if there is none).
    pub trailer: &'a str,
    /// Whether text before the trailer was dropped.
    pub truncated: bool,
}

impl TruncatedLog<'_> {
    /// The kept log: body then trailer.
    pub fn text(&self) -> String {
        let mut s = String::with_capacity(self.body.len() + self.trailer.len());
        s.push_str(self.body);
        s.push_str(self.trailer);
        s
    }
}

/// FMT-11: the byte offset where the trailer starts, i.e. the start of the last line that is
/// exactly [`JOB_SUMMARY_LINE`] (a `\r\n` line ending is accepted).
pub fn trailer_start(text: &str) -> Option<usize> {
    text.rmatch_indices(JOB_SUMMARY_LINE)
        .map(|(start, _)| start)
        .find(|&start| {
            let line_start = start == 0 || text.as_bytes()[start - 1] == b'\n';
            let rest = &text[start + JOB_SUMMARY_LINE.len()..];
            let line_end = rest.is_empty()
                || rest.starts_with('\n')
                || rest.starts_with("\r\n")
                || rest == "\r";
            line_start && line_end
        })
}

/// REN-5: keeps the trailer and, if the text before it is longer than `max_chars` characters,
/// only its last `max_chars` characters, then drops everything up to and including the first
/// newline unless that newline is the last character kept. Without a trailer the whole text
/// is the part before it.
pub fn truncate_log(text: &str, max_chars: usize) -> TruncatedLog<'_> {
    let split = trailer_start(text).unwrap_or(text.len());
    let (before, trailer) = text.split_at(split);
    let start = match max_chars.checked_sub(1) {
        None => Some(before.len()),
        Some(last) => before.char_indices().rev().nth(last).map(|(i, _)| i),
    };
    let Some(start) = start.filter(|&s| s > 0) else {
        return TruncatedLog {
            body: before,
            trailer,
            truncated: false,
        };
    };
    // `start > 0` means characters before it are dropped.
    let mut body = &before[start..];
    if let Some(nl) = body.find('\n')
        && nl + 1 < body.len()
    {
        body = &body[nl + 1..];
    }
    TruncatedLog {
        body,
        trailer,
        truncated: true,
    }
}

/// The REN-5 notice shown above a truncated log.
pub fn truncation_notice(max_chars: usize) -> String {
    format!(
        "This log has been truncated; only the last {max_chars} characters before the job \
         summary are shown."
    )
}

/// A log ready to show (REN-5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RenderedLog {
    /// The kept log as HTML: text escaped, ANSI colours as `<span class="ansiN">`.
    pub html: String,
    /// Whether text was dropped.
    pub truncated: bool,
    /// The notice to show when truncated.
    pub notice: Option<String>,
}

/// REN-5: truncates the log and converts it to HTML.
pub fn render_log(text: &str, max_chars: usize) -> RenderedLog {
    let t = truncate_log(text, max_chars);
    RenderedLog {
        html: ansi_to_html(&t.text()),
        truncated: t.truncated,
        notice: t.truncated.then(|| truncation_notice(max_chars)),
    }
}

/// Styles for the classes [`ansi_to_html`] emits (`ansi1` bold, `ansi2` faint, `ansi3`
/// italic, `ansi4` underline, `ansi30`–`ansi37` and `ansi90`–`ansi97` foreground,
/// `ansi40`–`ansi47` and `ansi100`–`ansi107` background).
pub const ANSI_CSS: &str = "\
.ansi1{font-weight:bold}.ansi2{opacity:.7}.ansi3{font-style:italic}.ansi4{text-decoration:underline}
.ansi30{color:#000}.ansi31{color:#a00}.ansi32{color:#0a0}.ansi33{color:#a50}
.ansi34{color:#00a}.ansi35{color:#a0a}.ansi36{color:#0aa}.ansi37{color:#aaa}
.ansi90{color:#555}.ansi91{color:#f55}.ansi92{color:#5f5}.ansi93{color:#ff5}
.ansi94{color:#55f}.ansi95{color:#f5f}.ansi96{color:#5ff}.ansi97{color:#fff}
.ansi40{background:#000}.ansi41{background:#a00}.ansi42{background:#0a0}.ansi43{background:#a50}
.ansi44{background:#00a}.ansi45{background:#a0a}.ansi46{background:#0aa}.ansi47{background:#aaa}
.ansi100{background:#555}.ansi101{background:#f55}.ansi102{background:#5f5}.ansi103{background:#ff5}
.ansi104{background:#55f}.ansi105{background:#f5f}.ansi106{background:#5ff}.ansi107{background:#fff}
";

/// The SGR state that ANSI escapes set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Style {
    bold: bool,
    faint: bool,
    italic: bool,
    underline: bool,
    fg: Option<u16>,
    bg: Option<u16>,
}

impl Style {
    fn apply(&mut self, params: &str) {
        let mut codes = params.split([';', ':']).map(|p| {
            if p.is_empty() {
                Some(0)
            } else {
                p.parse::<u16>().ok()
            }
        });
        while let Some(code) = codes.next() {
            match code {
                Some(0) => *self = Style::default(),
                Some(1) => self.bold = true,
                Some(2) => self.faint = true,
                Some(3) => self.italic = true,
                Some(4) => self.underline = true,
                Some(22) => (self.bold, self.faint) = (false, false),
                Some(23) => self.italic = false,
                Some(24) => self.underline = false,
                Some(c @ (30..=37 | 90..=97)) => self.fg = Some(c),
                Some(39) => self.fg = None,
                Some(c @ (40..=47 | 100..=107)) => self.bg = Some(c),
                Some(49) => self.bg = None,
                // 256-colour and true-colour forms are skipped, with their arguments.
                Some(38 | 48) => match codes.next() {
                    Some(Some(5)) => {
                        codes.next();
                    }
                    Some(Some(2)) => {
                        codes.nth(2);
                    }
                    _ => {}
                },
                _ => {}
            }
        }
    }

    fn classes(&self) -> String {
        let mut out = Vec::new();
        for (on, n) in [
            (self.bold, 1),
            (self.faint, 2),
            (self.italic, 3),
            (self.underline, 4),
        ] {
            if on {
                out.push(format!("ansi{n}"));
            }
        }
        out.extend(self.fg.iter().chain(&self.bg).map(|c| format!("ansi{c}")));
        out.join(" ")
    }
}

/// Converts text with ANSI escape sequences to HTML: the text is escaped, SGR colour and
/// style codes become `<span class="…">` (see [`ANSI_CSS`]), and every other escape sequence
/// (cursor movement, OSC titles, …) is dropped.
pub fn ansi_to_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut style = Style::default();
    let mut shown = Style::default();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\u{1b}' {
            match chars.peek().map(|&(_, c)| c) {
                Some('[') => {
                    chars.next();
                    let params_start = i + 2;
                    // Parameter and intermediate bytes, then one final byte; anything else
                    // ends a malformed sequence without being swallowed.
                    let mut end = None;
                    while let Some(&(j, c)) = chars.peek() {
                        if ('\u{20}'..='\u{3f}').contains(&c) {
                            chars.next();
                        } else {
                            if ('\u{40}'..='\u{7e}').contains(&c) {
                                chars.next();
                                end = Some((j, c));
                            }
                            break;
                        }
                    }
                    if let Some((j, 'm')) = end {
                        style.apply(&text[params_start..j]);
                    }
                }
                Some(']') => {
                    // OSC: up to BEL or ESC \.
                    while let Some((_, c)) = chars.next() {
                        if c == '\u{7}' {
                            break;
                        }
                        if c == '\u{1b}' && chars.peek().map(|&(_, c)| c) == Some('\\') {
                            chars.next();
                            break;
                        }
                    }
                }
                Some(_) => {
                    chars.next();
                }
                None => {}
            }
            continue;
        }
        if style != shown {
            if shown != Style::default() {
                out.push_str("</span>");
            }
            if style != Style::default() {
                let _ = write!(out, "<span class=\"{}\">", style.classes());
            }
            shown = style;
        }
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    if shown != Style::default() {
        out.push_str("</span>");
    }
    out
}

#[cfg(test)]
mod render_tests {
    use super::render_log;

    proptest::proptest! {
        /// REN-5 over any bytes: no panic, and no markup but the converter's own spans.
        #[test]
        fn ren_5_random_bytes_never_give_markup(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
            max in 1usize..50,
        ) {
            let text = String::from_utf8_lossy(&bytes);
            let rendered = render_log(&text, max);
            let stripped = rendered
                .html
                .split("<span class=\"")
                .map(|part| part.split_once("\">").map_or(part, |(_, rest)| rest))
                .collect::<Vec<_>>()
                .join("")
                .replace("</span>", "");
            proptest::prop_assert!(
                !stripped.contains('<') && !stripped.contains('>'),
                "{}",
                rendered.html
            );
        }
    }
}
