//! REN-1's text renderer as a stream: the page's head, the file HTML-escaped chunk by chunk
//! (`airlock_core::render::escape_text_chunk`, lossy UTF-8 across chunk boundaries), and its
//! end, so that a file of any size is shown without being held in memory.

use rocket::tokio::io::{AsyncRead, ReadBuf};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

/// How many bytes of the file are read at a time.
const CHUNK: usize = 16 * 1024;

/// Reads `inner` and yields it HTML-escaped.
pub struct Escaped<R> {
    inner: R,
    carry: Vec<u8>,
    /// Escaped bytes not handed out yet, and how many were.
    out: Vec<u8>,
    taken: usize,
    done: bool,
}

impl<R> Escaped<R> {
    /// An escaping reader over `inner`.
    pub fn new(inner: R) -> Escaped<R> {
        Escaped {
            inner,
            carry: Vec::new(),
            out: Vec::new(),
            taken: 0,
            done: false,
        }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for Escaped<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            let this = &mut *self;
            if this.taken < this.out.len() {
                let n = buf.remaining().min(this.out.len() - this.taken);
                buf.put_slice(&this.out[this.taken..this.taken + n]);
                this.taken += n;
                return Poll::Ready(Ok(()));
            }
            if this.done {
                return Poll::Ready(Ok(()));
            }
            let mut raw = [0u8; CHUNK];
            let mut read = ReadBuf::new(&mut raw);
            match Pin::new(&mut this.inner).poll_read(cx, &mut read) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) => {
                    let filled = read.filled();
                    let last = filled.is_empty();
                    let mut text = String::with_capacity(filled.len() + 16);
                    airlock_core::render::escape_text_chunk(
                        &mut this.carry,
                        filled,
                        last,
                        &mut text,
                    );
                    this.out = text.into_bytes();
                    this.taken = 0;
                    this.done = last;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rocket::tokio::io::AsyncReadExt;

    #[rocket::async_test]
    async fn ren_1_a_stream_is_escaped_whole() {
        let input: &[u8] = b"a<b>\xff & \xc3\xa9";
        let mut out = String::new();
        Escaped::new(input)
            .read_to_string(&mut out)
            .await
            .expect("reads");
        assert_eq!(out, "a&lt;b&gt;\u{FFFD} &amp; \u{e9}");
    }
}
