//! PG-21: `/docs/`, how-to pages for researchers and output checkers and the rules of the
//! workflow, in the product's own words, served without login. The pages are Markdown files of
//! `airlock-web/docs/`, compiled into the binary and rendered once; the rules page carries the
//! status diagram and the transition table, drawn from `airlock_core::transition::TRANSITIONS`
//! so that they cannot drift from the code.

use super::frame::Frame;
use super::respond::{Page, render};
use crate::app::App;
use airlock_core::Status;
use airlock_core::transition::{Actor, TRANSITIONS};
use askama::Template;
use rocket::http::Status as HttpStatus;
use rocket::{Route, State, get, routes};
use std::fmt::Write as _;
use std::sync::LazyLock;

/// One page: its address, its title (the first heading) and its HTML.
struct Doc {
    slug: &'static str,
    title: String,
    html: String,
}

/// The pages, in the order of the index.
const SOURCES: [(&str, &str); 4] = [
    ("", include_str!("../../docs/index.md")),
    ("researchers", include_str!("../../docs/researchers.md")),
    (
        "output-checkers",
        include_str!("../../docs/output-checkers.md"),
    ),
    ("rules", include_str!("../../docs/rules.md")),
];

/// Where the rules page takes the generated diagram and table.
const STATEMACHINE: &str = "{{ statemachine }}";

static DOCS: LazyLock<Vec<Doc>> = LazyLock::new(|| {
    SOURCES
        .iter()
        .map(|(slug, text)| {
            let title = text
                .lines()
                .find_map(|l| l.strip_prefix("# "))
                .unwrap_or("Airlock")
                .to_string();
            let mut html = airlock_core::markdown::document_html(text);
            if let Some(at) = html.find(&format!("<p>{STATEMACHINE}</p>")) {
                let end = at + STATEMACHINE.len() + "<p></p>".len();
                html.replace_range(at..end, &statemachine_html());
            }
            Doc { slug, title, html }
        })
        .collect()
});

/// A documentation page.
#[derive(Template)]
#[template(path = "docs.html")]
struct DocsPage<'a> {
    frame: &'a Frame,
    title: &'a str,
    html: &'a str,
    pages: Vec<(&'static str, &'a str, bool)>,
}

fn actor_words(actor: Actor) -> &'static str {
    match actor {
        Actor::Creator => "a researcher with a role",
        Actor::Author => "the author",
        Actor::Reviewer => "a reviewer",
        Actor::System => "the uploader",
    }
}

/// Where each status sits in the diagram: (column, row).
fn position(status: Status) -> (f64, f64) {
    match status {
        Status::Pending => (0.0, 0.0),
        Status::Submitted => (1.0, 0.0),
        Status::PartiallyReviewed => (2.0, 0.0),
        Status::Reviewed => (3.0, 0.0),
        Status::Approved => (4.0, 0.0),
        Status::Released => (5.0, 0.0),
        Status::Withdrawn => (0.0, 1.0),
        Status::Returned => (1.5, 1.0),
        Status::Rejected => (3.0, 1.0),
    }
}

const BOX_W: f64 = 165.0;
const BOX_H: f64 = 44.0;
const COLUMN: f64 = 185.0;
const ROW: f64 = 130.0;
const MARGIN: f64 = 40.0;

fn centre(status: Status) -> (f64, f64) {
    let (c, r) = position(status);
    (
        MARGIN + BOX_W / 2.0 + c * COLUMN,
        MARGIN + BOX_H / 2.0 + r * ROW,
    )
}

/// The point where the segment from `a` towards `b` leaves a status box centred on `a`.
fn edge_of_box(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let tx = if dx == 0.0 {
        f64::INFINITY
    } else {
        (BOX_W / 2.0) / dx.abs()
    };
    let ty = if dy == 0.0 {
        f64::INFINITY
    } else {
        (BOX_H / 2.0) / dy.abs()
    };
    let t = tx.min(ty);
    (a.0 + dx * t, a.1 + dy * t)
}

/// The status diagram as SVG, then the transition table, both from [`TRANSITIONS`].
fn statemachine_html() -> String {
    let width = MARGIN * 2.0 + BOX_W + 5.0 * COLUMN;
    let height = MARGIN * 2.0 + BOX_H + ROW;
    let mut svg = format!(
        "<figure class=\"statemachine\"><svg viewBox=\"0 0 {width} {height}\" role=\"img\" \
         aria-labelledby=\"statemachine-title\"><title id=\"statemachine-title\">The statuses \
         of a request and the changes between them (the table below lists each)</title>\
         <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
         markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">\
         <path d=\"M0 0L10 5L0 10z\" class=\"arrow-head\"/></marker></defs>"
    );
    for t in TRANSITIONS {
        let to = centre(t.to);
        let from = match t.from {
            Some(from) => centre(from),
            None => (to.0, to.1 - BOX_H),
        };
        let start = if t.from.is_some() {
            edge_of_box(from, to)
        } else {
            from
        };
        let end = edge_of_box(to, from);
        let _ = write!(
            svg,
            "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" class=\"transition\" \
             marker-end=\"url(#arrow)\"/>",
            start.0, start.1, end.0, end.1
        );
        if t.from.is_none() {
            let _ = write!(
                svg,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\" class=\"start\"/>",
                from.0, from.1
            );
        }
    }
    for status in Status::ALL {
        let (x, y) = centre(status);
        let kind = if status.is_final() { "final" } else { "active" };
        let _ = write!(
            svg,
            "<g class=\"status {kind}\"><rect x=\"{:.1}\" y=\"{:.1}\" width=\"{BOX_W}\" \
             height=\"{BOX_H}\" rx=\"8\"/><text x=\"{x:.1}\" y=\"{:.1}\" \
             text-anchor=\"middle\">{}</text></g>",
            x - BOX_W / 2.0,
            y - BOX_H / 2.0,
            y + 5.0,
            status.as_str()
        );
    }
    svg.push_str("</svg></figure>");
    let mut table = String::from(
        "<table class=\"transitions\"><thead><tr><th scope=\"col\">From</th>\
         <th scope=\"col\">To</th><th scope=\"col\">By</th><th scope=\"col\">Who</th></tr>\
         </thead><tbody>",
    );
    for t in TRANSITIONS {
        let _ = write!(
            table,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            t.from.map_or("(a new request)", |s| s.label()),
            t.to.label(),
            t.action,
            actor_words(t.actor)
        );
    }
    table.push_str(
        "</tbody></table><p>An operator may also force any active request to Rejected or \
         Withdrawn (recorded as an automated action).</p>",
    );
    svg + &table
}

fn page_of(app: &App, slug: &str) -> Page {
    let frame = Frame::anonymous(app, None);
    let Some(doc) = DOCS.iter().find(|d| d.slug == slug) else {
        let error = airlock_core::AirlockError::with_message(
            airlock_core::ErrorCode::NotFound,
            "There is no such page of the documentation.",
        );
        return super::respond::error_page(&frame, HttpStatus::NotFound, &error, None);
    };
    let body = render(DocsPage {
        frame: &frame,
        title: &doc.title,
        html: &doc.html,
        pages: DOCS
            .iter()
            .map(|d| (d.slug, d.title.as_str(), d.slug == slug))
            .collect(),
    });
    match body {
        Ok(super::respond::Reply::Html(body)) => Page::Html {
            status: HttpStatus::Ok,
            body,
        },
        _ => Page::Html {
            status: HttpStatus::InternalServerError,
            body: "The documentation could not be shown.".into(),
        },
    }
}

/// `GET /docs/`: the index.
#[get("/docs")]
pub fn index(app: &State<App>) -> Page {
    page_of(app, "")
}

/// `GET /docs/<page>`.
#[get("/docs/<slug>")]
pub fn doc(app: &State<App>, slug: &str) -> Page {
    page_of(app, slug)
}

/// The routes of the documentation.
pub fn routes() -> Vec<Route> {
    routes![index, doc]
}
