//! The wire: reads one HTTP/1.1 request from a connection, asks the state, writes the answer
//! (or applies the fault) and closes the connection.

use crate::state::{Answer, Call, Outcome, Request, State};
use crate::{Fault, KEPT_BODY};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// The largest request head accepted.
const MAX_HEAD: usize = 64 * 1024;

/// Read buffer for bodies.
const CHUNK: usize = 256 * 1024;

/// Serves one connection: one request, one answer.
pub(crate) fn serve(mut stream: TcpStream, state: &Mutex<State>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let request = match read_request(&mut stream) {
        Ok(Some(request)) => request,
        // The acceptor's wake-up connection, or a client that gave up.
        Ok(None) => return,
        Err(why) => {
            let answer = Answer {
                status: 400,
                headers: Vec::new(),
                body: why.into_bytes(),
            };
            let _ = write_answer(&mut stream, &answer);
            return;
        }
    };
    let (endpoint, outcome) = state
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .handle(&request);
    let (status, answer_body) = match &outcome {
        Outcome::Answer(answer) => (answer.status, answer.body.clone()),
        Outcome::Fault(_) => (0, Vec::new()),
    };
    {
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        state.calls.push(Call {
            endpoint,
            method: request.method,
            path: request.path,
            headers: request.headers,
            body: request.body,
            status,
            answer: answer_body,
        });
        // Counted with the call, so that a test that sees the call sees the stall too.
        if matches!(outcome, Outcome::Fault(Fault::Stall(_))) {
            state.stalled += 1;
        }
    }
    match outcome {
        Outcome::Answer(answer) => {
            let _ = write_answer(&mut stream, &answer);
        }
        Outcome::Fault(Fault::Stall(pause)) => {
            std::thread::sleep(pause);
            // No longer held once the client can see the connection close.
            state.lock().unwrap_or_else(PoisonError::into_inner).stalled -= 1;
            let _ = stream.shutdown(Shutdown::Both);
        }
        Outcome::Fault(_) => {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

/// Reads the head and a `Content-Length` body. `Ok(None)`: the peer sent nothing.
fn read_request(stream: &mut TcpStream) -> Result<Option<Request>, String> {
    let mut buffer = Vec::with_capacity(4096);
    let mut chunk = [0u8; 8192];
    let (head_len, method, path, headers) = loop {
        let n = stream.read(&mut chunk).map_err(|e| e.to_string())?;
        if n == 0 {
            return if buffer.is_empty() {
                Ok(None)
            } else {
                Err("connection closed inside the request head".into())
            };
        }
        buffer.extend_from_slice(&chunk[..n]);
        let mut slots = [httparse::EMPTY_HEADER; 64];
        let mut parsed = httparse::Request::new(&mut slots);
        match parsed.parse(&buffer) {
            Ok(httparse::Status::Complete(len)) => {
                let headers = parsed
                    .headers
                    .iter()
                    .map(|h| {
                        (
                            h.name.to_ascii_lowercase(),
                            String::from_utf8_lossy(h.value).into_owned(),
                        )
                    })
                    .collect::<Vec<_>>();
                break (
                    len,
                    parsed.method.unwrap_or_default().to_string(),
                    parsed.path.unwrap_or_default().to_string(),
                    headers,
                );
            }
            Ok(httparse::Status::Partial) if buffer.len() < MAX_HEAD => {}
            Ok(httparse::Status::Partial) => return Err("request head too large".into()),
            Err(e) => return Err(format!("bad request head: {e}")),
        }
    };
    let find = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    if find("transfer-encoding").is_some() {
        // api.md §5: uploads carry a Content-Length, never chunked.
        return Err("chunked bodies are not accepted: send Content-Length".into());
    }
    let length: usize = match find("content-length") {
        None => 0,
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| "bad Content-Length".to_string())?,
    };
    // The body is hashed as it arrives and kept only up to KEPT_BODY bytes, so that a large
    // upload (the 1 GiB benchmark) streams through in constant memory.
    let mut first = buffer.split_off(head_len);
    first.truncate(length);
    let mut hasher = Sha256::new();
    hasher.update(&first);
    let mut received = first.len();
    let keep = length <= KEPT_BODY;
    let mut body = if keep { first } else { Vec::new() };
    let mut big = vec![0u8; CHUNK];
    while received < length {
        let want = (length - received).min(CHUNK);
        let n = stream.read(&mut big[..want]).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed inside the body".into());
        }
        hasher.update(&big[..n]);
        if keep {
            body.extend_from_slice(&big[..n]);
        }
        received += n;
    }
    Ok(Some(Request {
        method,
        path,
        headers,
        body,
        body_len: length as u64,
        body_sha256: hex::encode(hasher.finalize()),
    }))
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn write_answer(stream: &mut TcpStream, answer: &Answer) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", answer.status, reason(answer.status));
    for (name, value) in &answer.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        answer.body.len()
    ));
    stream.write_all(head.as_bytes())?;
    stream.write_all(&answer.body)?;
    stream.flush()?;
    let _ = stream.shutdown(Shutdown::Write);
    Ok(())
}
