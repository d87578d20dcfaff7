//! A guard between the socket and actix's HTTP/1 parser, so that a request head the service will
//! not take is still answered in the JSON envelope.
//!
//! actix answers heads it cannot parse (a target over 64 KiB, a head over 128 KiB, more than 96
//! headers, bytes that are not HTTP, a first head that does not arrive in time) with a bare
//! status and no body, before any middleware runs. The guard reads each head before actix does.
//! A head it accepts is handed on byte for byte; a head it refuses is replaced by a small request
//! of its own, marked with a secret of this process, that the app's [`refused_head_middleware`]
//! answers with the usual envelope (414, 431, 400 or 408) in the language of the refused head's
//! `Accept-Language`. After that the guard swallows what the client still sends, and lingers
//! before closing, so that the answer is not lost to a TCP reset.
//!
//! Bodies pass through untouched: the guard only counts them (Content-Length, chunked framing)
//! to know where the next head starts. Where it cannot tell (an upgrade, a framing it does not
//! know, a malformed chunk) it steps aside for the rest of the connection and actix decides.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::ResponseError;
use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

use crate::error::{ApiError, ErrorCode};

mod parse;

use parse::{
    check_head, has_head_end, ChunkStep, Chunked, Framing, HeadCheck, LanguageScan,
    MAX_REQUEST_LINE_BYTES,
};
pub use parse::{MAX_HEAD_BYTES, MAX_TARGET_BYTES};

/// How far the guard reads through a refused head to find its `Accept-Language` and its end.
const MAX_SKIPPED_BYTES: usize = 1024 * 1024;
/// How much the guard swallows after a refusal before it closes anyway.
const MAX_DRAINED_BYTES: usize = 4 * 1024 * 1024;
const READ_CHUNK: usize = 8 * 1024;

/// The path of the request that stands in for a refused head; only the marker header makes it
/// mean anything, so a client asking for it directly gets the usual 404.
pub const REFUSED_PATH: &str = "/api/_refused_head";
const MARKER_HEADER: &str = "x-labormatch-refused-head";

/// Why a head was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    TargetTooLong,
    HeadTooLarge,
    Malformed,
    Timeout,
}

impl Refusal {
    fn name(self) -> &'static str {
        match self {
            Refusal::TargetTooLong => "target_too_long",
            Refusal::HeadTooLarge => "head_too_large",
            Refusal::Malformed => "malformed",
            Refusal::Timeout => "timeout",
        }
    }

    fn from_name(name: &str) -> Option<Refusal> {
        [
            Refusal::TargetTooLong,
            Refusal::HeadTooLarge,
            Refusal::Malformed,
            Refusal::Timeout,
        ]
        .into_iter()
        .find(|r| r.name() == name)
    }

    pub fn error_code(self) -> ErrorCode {
        match self {
            Refusal::TargetTooLong => ErrorCode::UriTooLong,
            Refusal::HeadTooLarge => ErrorCode::HeaderFieldsTooLarge,
            Refusal::Malformed => ErrorCode::BadRequest,
            Refusal::Timeout => ErrorCode::RequestTimeout,
        }
    }
}

/// The secret that tells the guard's stand-in requests from a client's; new on every start.
fn marker_secret() -> &'static str {
    static SECRET: OnceLock<String> = OnceLock::new();
    SECRET.get_or_init(|| format!("{:032x}", rand::random::<u128>()))
}

/// The request the guard hands actix in place of a refused head.
fn stand_in_request(refusal: Refusal, accept_language: Option<&[u8]>) -> Vec<u8> {
    let mut req = format!(
        "GET {REFUSED_PATH} HTTP/1.1\r\nhost: localhost\r\n{MARKER_HEADER}: {} {}\r\n",
        marker_secret(),
        refusal.name()
    )
    .into_bytes();
    if let Some(lang) = accept_language {
        req.extend_from_slice(b"accept-language: ");
        req.extend_from_slice(lang);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"connection: close\r\n\r\n");
    req
}

/// Answers the guard's stand-in requests; everything else goes on. It sits inside the language
/// middleware, so the answer speaks the refused head's language.
pub async fn refused_head_middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let refusal = req
        .headers()
        .get(MARKER_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(secret, _)| constant_time_eq(secret.as_bytes(), marker_secret().as_bytes()))
        .and_then(|(_, name)| Refusal::from_name(name));
    match refusal {
        Some(refusal) if req.path() == REFUSED_PATH => {
            let response = ApiError::new(refusal.error_code()).error_response();
            Ok(req.into_response(response))
        }
        _ => Ok(next.call(req).await?.map_into_boxed_body()),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

enum State {
    /// Reading the next head into `pending`.
    Head {
        checked: usize,
    },
    /// Reading through a refused head to its end, for its language.
    Skipping {
        refusal: Refusal,
        skipped: usize,
        tail: [u8; 3],
        scan: LanguageScan,
    },
    Body(u64),
    Chunked(Chunked),
    /// The guard does not follow this connection any more.
    Aside,
    /// A refusal was handed on; what the client sends now is swallowed.
    Draining {
        drained: usize,
    },
}

/// The socket as actix sees it. See the module's comment.
pub struct HeadGuard<T> {
    io: T,
    /// Bytes read from the socket and not yet handed to actix.
    pending: BytesMut,
    /// How many bytes at the front of `pending` are cleared to hand on.
    cleared: usize,
    state: State,
    head_timeout: Duration,
    /// Runs while a head is awaited: from accept for the first, from its first byte for later
    /// ones (an idle keep-alive connection is actix's to close).
    deadline: Option<Pin<Box<Sleep>>>,
    eof: bool,
    shut_down: bool,
}

impl<T> HeadGuard<T> {
    pub fn new(io: T, head_timeout: Duration) -> HeadGuard<T> {
        HeadGuard {
            state: State::Head { checked: 0 },
            head_timeout,
            deadline: Some(Box::pin(tokio::time::sleep(head_timeout))),
            ..HeadGuard::new_unarmed(io)
        }
    }

    /// A guard that only hands bytes on (`LABORMATCH_HEAD_GUARD=false`): actix's own answers
    /// to heads it refuses, as before the guard. For comparing costs, or if a client ever needs
    /// it.
    pub fn bypassed(io: T) -> HeadGuard<T> {
        HeadGuard {
            state: State::Aside,
            deadline: None,
            ..HeadGuard::new_unarmed(io)
        }
    }

    fn new_unarmed(io: T) -> HeadGuard<T> {
        HeadGuard {
            io,
            pending: BytesMut::new(),
            cleared: 0,
            state: State::Aside,
            head_timeout: Duration::ZERO,
            deadline: None,
            eof: false,
            shut_down: false,
        }
    }
}

impl<T: AsyncRead + Unpin> HeadGuard<T> {
    /// Reads more of the socket into `pending`; `Ok(0)` is the end of the stream.
    fn read_more(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let mut scratch = [0u8; READ_CHUNK];
        let mut buf = ReadBuf::new(&mut scratch);
        ready!(Pin::new(&mut self.io).poll_read(cx, &mut buf))?;
        let n = buf.filled().len();
        self.pending.extend_from_slice(buf.filled());
        if n == 0 {
            self.eof = true;
        }
        Poll::Ready(Ok(n))
    }

    fn refuse(&mut self, refusal: Refusal, accept_language: Option<Vec<u8>>) {
        tracing::info!(refusal = refusal.name(), "request head refused");
        self.pending.clear();
        self.pending
            .extend_from_slice(&stand_in_request(refusal, accept_language.as_deref()));
        self.cleared = self.pending.len();
        self.deadline = None;
        self.state = State::Draining { drained: 0 };
    }

    /// Refuses the head in `pending`, in the language found in what of it came.
    fn refuse_pending(&mut self, refusal: Refusal) {
        let mut scan = LanguageScan::default();
        scan.feed(&self.pending);
        self.refuse(refusal, scan.found);
    }

    /// Refuses the head being skipped, in the language found on the way.
    fn refuse_skipped(&mut self) {
        if let State::Skipping { refusal, scan, .. } = &mut self.state {
            let (refusal, found) = (*refusal, scan.found.take());
            self.refuse(refusal, found);
        }
    }

    /// Whether the head deadline has passed; registers the waker otherwise.
    fn deadline_passed(&mut self, cx: &mut Context<'_>) -> bool {
        self.deadline
            .as_mut()
            .is_some_and(|d| d.as_mut().poll(cx).is_ready())
    }

    /// Swallows what the client sends after a refusal; `Ready` once it is done or gone.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let State::Draining { drained } = self.state else {
                return Poll::Ready(());
            };
            if self.eof || drained > MAX_DRAINED_BYTES {
                return Poll::Ready(());
            }
            let Ok(n) = ready!(self.read_more(cx)) else {
                self.eof = true;
                return Poll::Ready(());
            };
            // Only what was just read: the stand-in may not all be handed on yet.
            self.pending.truncate(self.cleared);
            self.state = State::Draining {
                drained: drained + n,
            };
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for HeadGuard<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.cleared > 0 {
                let n = this.cleared.min(out.remaining());
                out.put_slice(&this.pending[..n]);
                this.pending.advance(n);
                this.cleared -= n;
                return Poll::Ready(Ok(()));
            }
            match &mut this.state {
                State::Head { checked } => {
                    // An empty line before a request line is allowed and means nothing.
                    while this.pending.starts_with(b"\r\n") || this.pending.starts_with(b"\n") {
                        let skip = if this.pending[0] == b'\r' { 2 } else { 1 };
                        this.pending.advance(skip);
                        *checked = 0;
                    }
                    let check = if this.pending.is_empty() {
                        HeadCheck::Partial
                    } else if has_head_end(&this.pending, *checked)
                        || this.pending.len() > MAX_REQUEST_LINE_BYTES
                    {
                        check_head(&this.pending)
                    } else {
                        HeadCheck::Partial
                    };
                    *checked = this.pending.len();
                    match check {
                        HeadCheck::Accepted { len, framing } => {
                            this.cleared = len;
                            this.deadline = None;
                            this.state = match framing {
                                Framing::None => State::Head { checked: 0 },
                                Framing::Length(n) => State::Body(n),
                                Framing::Chunked => State::Chunked(Chunked::start()),
                                Framing::Unknown => State::Aside,
                            };
                        }
                        // Bytes that are not HTTP have no end to look for.
                        HeadCheck::Refused(refusal)
                            if refusal == Refusal::Malformed || has_head_end(&this.pending, 0) =>
                        {
                            this.refuse_pending(refusal);
                        }
                        HeadCheck::Refused(refusal) => {
                            let mut scan = LanguageScan::default();
                            scan.feed(&this.pending);
                            let tail = last_three([0; 3], &this.pending);
                            let skipped = this.pending.len();
                            this.pending.clear();
                            this.state = State::Skipping {
                                refusal,
                                skipped,
                                tail,
                                scan,
                            };
                        }
                        HeadCheck::Partial => {
                            if this.eof {
                                // The client left mid-head: hand on what came, then the end.
                                this.cleared = this.pending.len();
                                this.state = State::Aside;
                                if this.cleared == 0 {
                                    return Poll::Ready(Ok(()));
                                }
                                continue;
                            }
                            match this.read_more(cx) {
                                Poll::Ready(Ok(_)) => {
                                    if !this.pending.is_empty() && this.deadline.is_none() {
                                        this.deadline =
                                            Some(Box::pin(tokio::time::sleep(this.head_timeout)));
                                    }
                                }
                                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                                Poll::Pending => {
                                    if this.deadline_passed(cx) {
                                        this.refuse_pending(Refusal::Timeout);
                                        continue;
                                    }
                                    return Poll::Pending;
                                }
                            }
                        }
                    }
                }
                State::Skipping {
                    skipped,
                    tail,
                    scan,
                    ..
                } => {
                    if !this.pending.is_empty() {
                        let mut joined = tail.to_vec();
                        joined.extend_from_slice(&this.pending);
                        scan.feed(&this.pending);
                        *skipped += this.pending.len();
                        *tail = last_three(*tail, &this.pending);
                        let ended = has_head_end(&joined, 0);
                        this.pending.clear();
                        if ended || *skipped > MAX_SKIPPED_BYTES {
                            this.refuse_skipped();
                            continue;
                        }
                    }
                    if this.eof {
                        this.refuse_skipped();
                        continue;
                    }
                    match this.read_more(cx) {
                        Poll::Ready(Ok(_)) => {}
                        Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                        Poll::Pending => {
                            if this.deadline_passed(cx) {
                                this.refuse_skipped();
                                continue;
                            }
                            return Poll::Pending;
                        }
                    }
                }
                State::Body(left) => {
                    if *left == 0 {
                        this.state = State::Head { checked: 0 };
                        continue;
                    }
                    if !this.pending.is_empty() {
                        let n = (*left).min(this.pending.len() as u64);
                        *left -= n;
                        this.cleared = n as usize;
                        continue;
                    }
                    // Never past the body's end: what follows is the next head, and it must
                    // come through the guard.
                    if out.remaining() == 0 {
                        return Poll::Ready(Ok(()));
                    }
                    let mut scratch = [0u8; READ_CHUNK];
                    let room = (*left).min(out.remaining().min(READ_CHUNK) as u64) as usize;
                    let mut buf = ReadBuf::new(&mut scratch[..room]);
                    ready!(Pin::new(&mut this.io).poll_read(cx, &mut buf))?;
                    let n = buf.filled().len();
                    out.put_slice(buf.filled());
                    *left -= n as u64;
                    if n == 0 {
                        this.eof = true;
                    }
                    return Poll::Ready(Ok(()));
                }
                State::Chunked(chunked) => {
                    if this.pending.is_empty() {
                        if this.eof {
                            return Poll::Ready(Ok(()));
                        }
                        ready!(this.read_more(cx))?;
                        continue;
                    }
                    match chunked.advance(&this.pending) {
                        ChunkStep::More(n) => this.cleared = n,
                        ChunkStep::Done(n) => {
                            this.cleared = n;
                            this.state = State::Head { checked: 0 };
                        }
                        ChunkStep::Lost => {
                            this.cleared = this.pending.len();
                            this.state = State::Aside;
                        }
                    }
                }
                State::Aside => {
                    if !this.pending.is_empty() {
                        this.cleared = this.pending.len();
                        continue;
                    }
                    return Pin::new(&mut this.io).poll_read(cx, out);
                }
                State::Draining { .. } => {
                    // actix has the stand-in request; it hears the end of the stream once the
                    // client is done or gone.
                    ready!(this.poll_drain(cx));
                    return Poll::Ready(Ok(()));
                }
            }
        }
    }
}

/// The last three bytes of `before` followed by `bytes`: enough to see a head's end that
/// straddles two reads.
fn last_three(before: [u8; 3], bytes: &[u8]) -> [u8; 3] {
    let mut joined = before.to_vec();
    joined.extend_from_slice(&bytes[bytes.len().saturating_sub(3)..]);
    let end = joined.len();
    [joined[end - 3], joined[end - 2], joined[end - 1]]
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncWrite for HeadGuard<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.shut_down {
            ready!(Pin::new(&mut this.io).poll_shutdown(cx))?;
            this.shut_down = true;
        }
        // After a refusal the client may still be sending; closing with its bytes unread would
        // reset the connection and could destroy the answer before the client reads it. So read
        // on until it is done (actix's disconnect timeout bounds the wait).
        ready!(this.poll_drain(cx));
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    /// A socket that hands its bytes over in pieces of random size, now and then saying
    /// "not yet" first, as a slow network does.
    struct Trickle {
        bytes: Vec<u8>,
        at: usize,
        rng: StdRng,
    }

    impl AsyncRead for Trickle {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let this = self.get_mut();
            if this.rng.gen_bool(0.3) {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            let left = this.bytes.len() - this.at;
            let n = left.min(buf.remaining()).min(this.rng.gen_range(1..=300));
            buf.put_slice(&this.bytes[this.at..this.at + n]);
            this.at += n;
            Poll::Ready(Ok(()))
        }
    }

    fn random_request(rng: &mut StdRng) -> Vec<u8> {
        let mut req = Vec::new();
        if rng.gen_bool(0.1) {
            req.extend_from_slice(b"\r\n");
        }
        let body: Vec<u8> = (0..rng.gen_range(0..3000))
            .map(|_| rng.gen_range(b'a'..=b'z'))
            .collect();
        match rng.gen_range(0..3) {
            0 => req.extend_from_slice(b"GET /healthz?x=1 HTTP/1.1\r\nHost: a\r\n\r\n"),
            1 => {
                req.extend_from_slice(
                    format!(
                        "POST /api/v1/x HTTP/1.1\r\nHost: a\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    )
                    .as_bytes(),
                );
                req.extend_from_slice(&body);
            }
            _ => {
                req.extend_from_slice(
                    b"POST /api/v1/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
                );
                let mut rest = &body[..];
                while !rest.is_empty() {
                    let n = rng.gen_range(1..=rest.len().min(700));
                    let ext = if rng.gen_bool(0.2) { ";a=b" } else { "" };
                    req.extend_from_slice(format!("{n:X}{ext}\r\n").as_bytes());
                    req.extend_from_slice(&rest[..n]);
                    req.extend_from_slice(b"\r\n");
                    rest = &rest[n..];
                }
                req.extend_from_slice(b"0\r\n");
                if rng.gen_bool(0.3) {
                    req.extend_from_slice(b"X-Trailer: 1\r\n");
                }
                req.extend_from_slice(b"\r\n");
            }
        }
        req
    }

    /// What actix reads through the guard is exactly what the client sent (but for empty lines
    /// before a request line, which mean nothing), however the bytes arrive and however much
    /// actix asks for at a time.
    #[tokio::test]
    async fn accepted_requests_pass_through_unchanged_in_any_pieces() {
        for seed in 0..200u64 {
            let mut rng = StdRng::seed_from_u64(seed);
            let requests: Vec<Vec<u8>> = (0..rng.gen_range(1..6))
                .map(|_| random_request(&mut rng))
                .collect();
            let sent = requests.concat();
            let expected: Vec<u8> = requests
                .iter()
                .flat_map(|r| r.strip_prefix(b"\r\n").unwrap_or(r).to_vec())
                .collect();
            let socket = Trickle {
                bytes: sent,
                at: 0,
                rng: StdRng::seed_from_u64(seed + 1000),
            };
            let mut guard = HeadGuard::new(socket, Duration::from_secs(60));
            let mut seen = Vec::new();
            let mut sizes = StdRng::seed_from_u64(seed + 2000);
            loop {
                let mut chunk = vec![0u8; sizes.gen_range(1..=4096)];
                let mut buf = ReadBuf::new(&mut chunk);
                std::future::poll_fn(|cx| Pin::new(&mut guard).poll_read(cx, &mut buf))
                    .await
                    .unwrap();
                if buf.filled().is_empty() {
                    break;
                }
                seen.extend_from_slice(buf.filled());
            }
            assert_eq!(seen, expected, "seed {seed}");
        }
    }

    /// A refused head after accepted ones: actix gets the accepted requests whole, then the
    /// stand-in, then the end; nothing of the refused head or what follows it.
    #[tokio::test]
    async fn a_refused_head_in_a_pipeline_becomes_the_stand_in() {
        for seed in 0..50u64 {
            let mut rng = StdRng::seed_from_u64(seed);
            let accepted: Vec<u8> = (0..rng.gen_range(0..4))
                .flat_map(|_| {
                    let r = random_request(&mut rng);
                    r.strip_prefix(b"\r\n").map(<[u8]>::to_vec).unwrap_or(r)
                })
                .collect();
            let refused = format!(
                "GET /{} HTTP/1.1\r\nAccept-Language: en\r\n\r\nGET / HTTP/1.1\r\n\r\n",
                "q".repeat(MAX_TARGET_BYTES + 10)
            );
            let socket = Trickle {
                bytes: [accepted.clone(), refused.into_bytes()].concat(),
                at: 0,
                rng: StdRng::seed_from_u64(seed + 1000),
            };
            let mut guard = HeadGuard::new(socket, Duration::from_secs(60));
            let mut seen = Vec::new();
            loop {
                let mut chunk = vec![0u8; 1000];
                let mut buf = ReadBuf::new(&mut chunk);
                std::future::poll_fn(|cx| Pin::new(&mut guard).poll_read(cx, &mut buf))
                    .await
                    .unwrap();
                if buf.filled().is_empty() {
                    break;
                }
                seen.extend_from_slice(buf.filled());
            }
            let stand_in = stand_in_request(Refusal::TargetTooLong, Some(b"en"));
            assert_eq!(seen, [accepted, stand_in].concat(), "seed {seed}");
        }
    }

    #[test]
    fn stand_in_requests_parse_and_carry_the_marker() {
        let req = stand_in_request(Refusal::HeadTooLarge, Some(b"en"));
        match check_head(&req) {
            HeadCheck::Accepted { len, framing } => {
                assert_eq!(len, req.len());
                assert_eq!(framing, Framing::None);
            }
            other => panic!("{other:?}"),
        }
        let text = String::from_utf8(req).unwrap();
        assert!(text.contains(marker_secret()));
        assert!(text.contains("head_too_large"));
        assert_eq!(
            Refusal::from_name("head_too_large"),
            Some(Refusal::HeadTooLarge)
        );
    }
}
