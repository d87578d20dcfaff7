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

/// Longest request target (path and query) taken; nginx's default line buffer is 8 KiB, and no
/// page or API call here comes near this.
pub const MAX_TARGET_BYTES: usize = 16 * 1024;
/// Largest request head (request line and headers) taken, below actix's own 128 KiB.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// actix's parser takes at most 96 headers.
const MAX_HEADERS: usize = 96;
/// How far the guard reads through a refused head to find its `Accept-Language` and its end.
const MAX_SKIPPED_BYTES: usize = 1024 * 1024;
/// How much the guard swallows after a refusal before it closes anyway.
const MAX_DRAINED_BYTES: usize = 4 * 1024 * 1024;
/// Longest chunk-size line or trailer section the guard follows before stepping aside.
const MAX_CHUNK_LINE: usize = 4096;
const MAX_TRAILERS: usize = 64 * 1024;
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

/// What the head says about the body that follows it.
#[derive(Debug, PartialEq, Eq)]
enum Framing {
    None,
    Length(u64),
    Chunked,
    /// An upgrade, CONNECT or a transfer coding the guard does not follow.
    Unknown,
}

#[derive(Debug, PartialEq, Eq)]
enum HeadCheck {
    /// More bytes are needed.
    Partial,
    Accepted {
        len: usize,
        framing: Framing,
    },
    Refused(Refusal),
}

/// Judges the bytes of a head that starts at `bytes[0]` (leading empty lines already dropped).
fn check_head(bytes: &[u8]) -> HeadCheck {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(bytes) {
        Ok(httparse::Status::Partial) => {
            let line_end = memchr(b'\n', bytes);
            if line_end.map_or(bytes.len(), |end| end) > MAX_TARGET_BYTES + 32 {
                HeadCheck::Refused(Refusal::TargetTooLong)
            } else if bytes.len() > MAX_HEAD_BYTES {
                HeadCheck::Refused(Refusal::HeadTooLarge)
            } else {
                HeadCheck::Partial
            }
        }
        Ok(httparse::Status::Complete(len)) => {
            let target = req.path.unwrap_or("");
            if target.len() > MAX_TARGET_BYTES {
                return HeadCheck::Refused(Refusal::TargetTooLong);
            }
            if len > MAX_HEAD_BYTES {
                return HeadCheck::Refused(Refusal::HeadTooLarge);
            }
            // The same checks actix's parser makes after httparse, so that what the guard
            // passes actix also takes.
            if actix_web::http::Method::from_bytes(req.method.unwrap_or("").as_bytes()).is_err()
                || actix_web::http::Uri::try_from(target).is_err()
            {
                return HeadCheck::Refused(Refusal::Malformed);
            }
            match framing(&req) {
                Ok(framing) => HeadCheck::Accepted { len, framing },
                Err(refusal) => HeadCheck::Refused(refusal),
            }
        }
        Err(httparse::Error::TooManyHeaders) => HeadCheck::Refused(Refusal::HeadTooLarge),
        Err(_) => HeadCheck::Refused(Refusal::Malformed),
    }
}

fn framing(req: &httparse::Request<'_, '_>) -> Result<Framing, Refusal> {
    if req.method == Some("CONNECT") {
        return Ok(Framing::Unknown);
    }
    let mut length: Option<u64> = None;
    let mut coding: Option<&[u8]> = None;
    for header in req.headers.iter() {
        if header.name.eq_ignore_ascii_case("content-length") {
            let value = std::str::from_utf8(header.value)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .ok_or(Refusal::Malformed)?;
            if length.is_some_and(|seen| seen != value) {
                return Err(Refusal::Malformed);
            }
            length = Some(value);
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            if coding.is_some() {
                return Ok(Framing::Unknown);
            }
            coding = Some(header.value);
        } else if header.name.eq_ignore_ascii_case("upgrade") {
            return Ok(Framing::Unknown);
        }
    }
    Ok(match (coding, length) {
        (Some(coding), None) if trim(coding).eq_ignore_ascii_case(b"chunked") => Framing::Chunked,
        (Some(_), _) => Framing::Unknown,
        (None, Some(0) | None) => Framing::None,
        (None, Some(n)) => Framing::Length(n),
    })
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &bytes[start..end]
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}

/// Whether `bytes` holds the end of a head (an empty line), looking only from `from` on.
fn has_head_end(bytes: &[u8], from: usize) -> bool {
    let start = from.saturating_sub(3);
    let window = &bytes[start..];
    window.windows(2).any(|w| w == b"\n\n") || window.windows(3).any(|w| w == b"\n\r\n")
}

/// Follows a chunked body to its end without changing it.
#[derive(Debug, PartialEq, Eq)]
enum Chunked {
    Size {
        size: u64,
        digits: usize,
        in_ext: bool,
        line: usize,
    },
    Data(u64),
    DataEnd {
        seen_cr: bool,
    },
    Trailers {
        line: usize,
        total: usize,
    },
}

#[derive(Debug, PartialEq, Eq)]
enum ChunkStep {
    /// Consumed this many bytes; the body goes on.
    More(usize),
    /// The body ended after this many bytes.
    Done(usize),
    /// Not chunked framing the guard can follow.
    Lost,
}

impl Chunked {
    fn start() -> Chunked {
        Chunked::Size {
            size: 0,
            digits: 0,
            in_ext: false,
            line: 0,
        }
    }

    fn advance(&mut self, bytes: &[u8]) -> ChunkStep {
        let mut i = 0;
        while i < bytes.len() {
            match self {
                Chunked::Data(left) => {
                    let take = (*left).min((bytes.len() - i) as u64);
                    i += take as usize;
                    *left -= take;
                    if *left == 0 {
                        *self = Chunked::DataEnd { seen_cr: false };
                    }
                    continue;
                }
                Chunked::Size {
                    size,
                    digits,
                    in_ext,
                    line,
                } => {
                    let b = bytes[i];
                    *line += 1;
                    if *line > MAX_CHUNK_LINE {
                        return ChunkStep::Lost;
                    }
                    match b {
                        b'\n' => {
                            if *digits == 0 {
                                return ChunkStep::Lost;
                            }
                            *self = if *size == 0 {
                                Chunked::Trailers { line: 0, total: 0 }
                            } else {
                                Chunked::Data(*size)
                            };
                        }
                        b'\r' => {}
                        _ if *in_ext => {}
                        b';' | b' ' | b'\t' => *in_ext = true,
                        _ => {
                            let Some(d) = (b as char).to_digit(16) else {
                                return ChunkStep::Lost;
                            };
                            *digits += 1;
                            if *digits > 16 {
                                return ChunkStep::Lost;
                            }
                            *size = (*size << 4) | u64::from(d);
                        }
                    }
                }
                Chunked::DataEnd { seen_cr } => match bytes[i] {
                    b'\r' if !*seen_cr => *seen_cr = true,
                    b'\n' => *self = Chunked::start(),
                    _ => return ChunkStep::Lost,
                },
                Chunked::Trailers { line, total } => {
                    *total += 1;
                    if *total > MAX_TRAILERS {
                        return ChunkStep::Lost;
                    }
                    match bytes[i] {
                        b'\n' if *line == 0 => return ChunkStep::Done(i + 1),
                        b'\n' => *line = 0,
                        b'\r' => {}
                        _ => *line += 1,
                    }
                }
            }
            i += 1;
        }
        ChunkStep::More(bytes.len())
    }
}

/// Finds an `Accept-Language` value in the lines of a head seen so far, kept only if it is
/// short plain text (the stand-in request carries it on).
#[derive(Default)]
struct LanguageScan {
    line: Vec<u8>,
    line_too_long: bool,
    found: Option<Vec<u8>>,
}

impl LanguageScan {
    const MAX_LINE: usize = 256;

    fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if b == b'\n' {
                if !self.line_too_long {
                    self.take_line();
                }
                self.line.clear();
                self.line_too_long = false;
            } else if self.line.len() < Self::MAX_LINE {
                self.line.push(b);
            } else {
                self.line_too_long = true;
            }
        }
    }

    fn take_line(&mut self) {
        let line = trim(&self.line);
        let Some(colon) = memchr(b':', line) else {
            return;
        };
        if !trim(&line[..colon]).eq_ignore_ascii_case(b"accept-language") {
            return;
        }
        let value = trim(&line[colon + 1..]);
        if value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b",;=.-* ".contains(b))
        {
            self.found = Some(value.to_vec());
        }
    }
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

    pub fn get_ref(&self) -> &T {
        &self.io
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

    /// Whether the head deadline has passed; registers the waker otherwise.
    fn deadline_passed(&mut self, cx: &mut Context<'_>) -> bool {
        self.deadline
            .as_mut()
            .is_some_and(|d| d.as_mut().poll(cx).is_ready())
    }

    /// Swallows what the client sends after a refusal; `Ready` once it is done or gone.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let State::Draining { drained } = &mut self.state else {
                return Poll::Ready(());
            };
            if self.eof || *drained > MAX_DRAINED_BYTES {
                return Poll::Ready(());
            }
            let mut scratch = [0u8; READ_CHUNK];
            let mut buf = ReadBuf::new(&mut scratch);
            match Pin::new(&mut self.io).poll_read(cx, &mut buf) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(_)) => {
                    self.eof = true;
                    return Poll::Ready(());
                }
                Poll::Ready(Ok(())) => {
                    let n = buf.filled().len();
                    if n == 0 {
                        self.eof = true;
                    }
                    *drained += n;
                }
            }
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
                        || this.pending.len() > MAX_HEAD_BYTES
                        || this.pending.len() > MAX_TARGET_BYTES + 32
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
                        HeadCheck::Refused(Refusal::Malformed) => {
                            let mut scan = LanguageScan::default();
                            scan.feed(&this.pending);
                            this.refuse(Refusal::Malformed, scan.found);
                        }
                        HeadCheck::Refused(refusal) if has_head_end(&this.pending, 0) => {
                            let mut scan = LanguageScan::default();
                            scan.feed(&this.pending);
                            this.refuse(refusal, scan.found);
                        }
                        HeadCheck::Refused(refusal) => {
                            let mut scan = LanguageScan::default();
                            scan.feed(&this.pending);
                            let mut tail = [0u8; 3];
                            let end = this.pending.len();
                            for (k, slot) in tail.iter_mut().enumerate() {
                                if end + k >= 3 {
                                    *slot = this.pending[end + k - 3];
                                }
                            }
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
                                        let mut scan = LanguageScan::default();
                                        scan.feed(&this.pending);
                                        this.refuse(Refusal::Timeout, scan.found);
                                        continue;
                                    }
                                    return Poll::Pending;
                                }
                            }
                        }
                    }
                }
                State::Skipping {
                    refusal,
                    skipped,
                    tail,
                    scan,
                } => {
                    let refusal = *refusal;
                    if !this.pending.is_empty() {
                        let mut joined = tail.to_vec();
                        joined.extend_from_slice(&this.pending);
                        scan.feed(&this.pending);
                        *skipped += this.pending.len();
                        let end = joined.len();
                        tail.copy_from_slice(&joined[end - 3..]);
                        let ended = has_head_end(&joined, 0);
                        this.pending.clear();
                        if ended || *skipped > MAX_SKIPPED_BYTES {
                            let found = scan.found.take();
                            this.refuse(refusal, found);
                            continue;
                        }
                    }
                    if this.eof {
                        let found = scan.found.take();
                        this.refuse(refusal, found);
                        continue;
                    }
                    match this.read_more(cx) {
                        Poll::Ready(Ok(_)) => {}
                        Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                        Poll::Pending => {
                            if this.deadline_passed(cx) {
                                let State::Skipping { scan, .. } = &mut this.state else {
                                    unreachable!("state checked above");
                                };
                                let found = scan.found.take();
                                this.refuse(refusal, found);
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

    fn accepted(head: &str) -> Framing {
        match check_head(head.as_bytes()) {
            HeadCheck::Accepted { len, framing } => {
                assert_eq!(len, head.len());
                framing
            }
            other => panic!("{head:?} gave {other:?}"),
        }
    }

    #[test]
    fn heads_are_judged_like_actix_would_and_framed() {
        assert_eq!(accepted("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), Framing::None);
        assert_eq!(
            accepted("POST /x HTTP/1.1\r\nContent-Length: 12\r\n\r\n"),
            Framing::Length(12)
        );
        assert_eq!(
            accepted("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Framing::Chunked
        );
        assert_eq!(
            accepted("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n"),
            Framing::Unknown
        );
        assert_eq!(
            check_head(b"GET / HTTP/1.1\r\nHost: a\r\n"),
            HeadCheck::Partial
        );
        assert_eq!(
            check_head(b"POST /x HTTP/1.1\r\nContent-Length: abc\r\n\r\n"),
            HeadCheck::Refused(Refusal::Malformed)
        );
        assert_eq!(
            check_head(b"GET /a b c HTTP/1.1\r\n\r\n"),
            HeadCheck::Refused(Refusal::Malformed)
        );
        assert_eq!(
            check_head(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
            HeadCheck::Refused(Refusal::Malformed)
        );
    }

    #[test]
    fn sizes_beyond_the_limits_are_refused_by_kind() {
        let long_target = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(MAX_TARGET_BYTES));
        assert_eq!(
            check_head(long_target.as_bytes()),
            HeadCheck::Refused(Refusal::TargetTooLong)
        );
        // Refused before the line even ends.
        let unfinished = format!("GET /{}", "a".repeat(MAX_TARGET_BYTES + 100));
        assert_eq!(
            check_head(unfinished.as_bytes()),
            HeadCheck::Refused(Refusal::TargetTooLong)
        );
        let big_header = format!(
            "GET / HTTP/1.1\r\nX-Big: {}\r\n",
            "b".repeat(MAX_HEAD_BYTES)
        );
        assert_eq!(
            check_head(big_header.as_bytes()),
            HeadCheck::Refused(Refusal::HeadTooLarge)
        );
        let many: String = (0..MAX_HEADERS + 1)
            .map(|i| format!("X-{i}: v\r\n"))
            .collect();
        let many_headers = format!("GET / HTTP/1.1\r\n{many}\r\n");
        assert_eq!(
            check_head(many_headers.as_bytes()),
            HeadCheck::Refused(Refusal::HeadTooLarge)
        );
        let at_limit: String = (0..MAX_HEADERS).map(|i| format!("X-{i}: v\r\n")).collect();
        assert!(matches!(
            check_head(format!("GET / HTTP/1.1\r\n{at_limit}\r\n").as_bytes()),
            HeadCheck::Accepted { .. }
        ));
    }

    #[test]
    fn chunked_bodies_are_followed_to_their_end_in_any_split() {
        let body = b"5;ext=1\r\nhello\r\n10\r\n0123456789abcdef\r\n0\r\nTrailer: x\r\n\r\nGET /";
        let end = body.len() - b"GET /".len();
        for split in 0..body.len() {
            let mut chunked = Chunked::start();
            let (a, b) = body.split_at(split);
            let done = match chunked.advance(a) {
                ChunkStep::Done(n) => Some(n),
                ChunkStep::More(n) => {
                    assert_eq!(n, a.len());
                    match chunked.advance(b) {
                        ChunkStep::Done(m) => Some(split + m),
                        _ => None,
                    }
                }
                ChunkStep::Lost => None,
            };
            assert_eq!(done, Some(end), "split at {split}");
        }
        assert_eq!(Chunked::start().advance(b"zz\r\n"), ChunkStep::Lost);
        assert_eq!(
            Chunked::start().advance(b"3\r\nabcX"),
            ChunkStep::Lost,
            "data must end with CRLF"
        );
    }

    #[test]
    fn the_language_is_found_in_a_refused_head() {
        let mut scan = LanguageScan::default();
        scan.feed(b"GET /aaaa HTTP/1.1\r\nHost: x\r\nAccept-Lang");
        scan.feed(b"uage: en-US,en;q=0.9\r\nX: y\r\n");
        assert_eq!(scan.found.as_deref(), Some(&b"en-US,en;q=0.9"[..]));
        let mut odd = LanguageScan::default();
        odd.feed(b"Accept-Language: en\r\nbad\x00\r\n");
        assert_eq!(odd.found.as_deref(), Some(&b"en"[..]));
        let mut hostile = LanguageScan::default();
        hostile.feed(b"Accept-Language: en\r\nx-injected: 1\r\n");
        hostile.feed(b"accept-language: a\x01b\r\n");
        assert_eq!(hostile.found.as_deref(), Some(&b"en"[..]));
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
