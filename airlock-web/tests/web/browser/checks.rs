//! The checks of every page catch what they look for, in every browser: a small HTTP server
//! of its own serves pages with the product's Content-Security-Policy, one clean and others
//! with each kind of fault.

use super::{Page, Scripts, in_every_browser};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};

/// The pages' policy (WEB-5).
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   object-src 'none'; base-uri 'none'; frame-ancestors 'self'; form-action 'self'";

const CLEAN: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Clean</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="/style.css"><script src="/quiet.js" defer></script></head>
<body><header><p>Header</p></header><main><h1>Clean</h1><p>Nothing wrong here.</p>
<form method="post" action="/clean"><label for="q">Query</label><input id="q" name="q">
<button type="submit">Send</button></form></main></body></html>"#;

const FAULTY: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Faulty</title><link rel="icon" href="data:,">
<script src="/noisy.js"></script></head>
<body><main><h1>Faulty</h1><p style="color: red">An inline style.</p>
<script>document.title = "inline";</script>
<img src="/missing.png"></main></body></html>"#;

/// Answers one request: `(status, content type, body)` by path.
fn answer(path: &str) -> (u16, &'static str, &'static str) {
    match path {
        "/clean" => (200, "text/html; charset=utf-8", CLEAN),
        "/faulty" => (200, "text/html; charset=utf-8", FAULTY),
        "/server-error" => (500, "text/html; charset=utf-8", CLEAN),
        "/style.css" => (200, "text/css", "body { color: #111; background: #fff; }"),
        "/quiet.js" => (200, "text/javascript", "document.body.dataset.ran = 'yes';"),
        "/noisy.js" => (
            200,
            "text/javascript",
            "console.error('noisy.js says no'); throw new Error('noisy.js fails');",
        ),
        _ => (404, "text/plain", "not found"),
    }
}

fn serve(mut stream: TcpStream) {
    let mut reader = BufReader::new(&mut stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear();
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let (status, content_type, body) = answer(path);
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Security-Policy: {CSP}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// Starts the server; answers its URL. It lives as long as the test process.
fn start() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port for the test pages");
    let url = format!(
        "http://{}",
        listener.local_addr().expect("the test pages' address")
    );
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve(stream));
        }
    });
    url
}

async fn problems_of(page: &Page, path: &str) -> Vec<String> {
    page.client
        .goto(&page.url(path))
        .await
        .expect("going to a test page");
    page.inspect().await.problems
}

fn has(problems: &[String], what: &str) -> bool {
    problems.iter().any(|p| p.contains(what))
}

#[test]
fn page_checks_catch_console_errors_csp_violations_failed_resources_and_axe_violations() {
    let url = start();
    in_every_browser(&url, Scripts::On, |page| async move {
        let browser = page.browser;
        let clean = page.visit("/clean").await;
        assert_eq!(clean.status, 200, "{browser}: the clean page");

        let faulty = problems_of(&page, "/faulty").await;
        for expected in [
            "CSP violation: script-src",
            "CSP violation: style-src",
            "console error: noisy.js says no",
            "uncaught error:",
            "resource answered 404: ",
            "axe: critical image-alt",
        ] {
            assert!(
                has(&faulty, expected),
                "{browser}: the faulty page should report {expected:?}, reported {faulty:#?}"
            );
        }

        let server_error = problems_of(&page, "/server-error").await;
        assert!(
            has(&server_error, "server error: HTTP 500"),
            "{browser}: {server_error:#?}"
        );
    });
}

#[test]
fn page_checks_without_javascript_still_see_the_status_and_failed_resources() {
    let url = start();
    in_every_browser(&url, Scripts::Off, |page| async move {
        let browser = page.browser;
        page.visit("/clean").await;
        let faulty = problems_of(&page, "/faulty").await;
        assert!(
            has(&faulty, "resource answered 404: "),
            "{browser}: {faulty:#?}"
        );
        let server_error = problems_of(&page, "/server-error").await;
        assert!(
            has(&server_error, "server error: HTTP 500"),
            "{browser}: {server_error:#?}"
        );
    });
}
