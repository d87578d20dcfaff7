//! Judging a request head the way actix's parser will, and following a body's framing to the
//! next head. Plain functions over bytes; the stream in `super` calls them.

use super::Refusal;

/// Longest request target (path and query) taken; nginx's default line buffer is 8 KiB, and no
/// page or API call here comes near this.
pub const MAX_TARGET_BYTES: usize = 16 * 1024;
/// A request line longer than this holds a target over the limit (method, spaces and version
/// take the rest).
pub const MAX_REQUEST_LINE_BYTES: usize = MAX_TARGET_BYTES + 32;
/// Largest request head (request line and headers) taken, below actix's own 128 KiB.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// actix's parser takes at most 96 headers.
pub(super) const MAX_HEADERS: usize = 96;
/// Longest chunk-size line or trailer section the guard follows before stepping aside.
const MAX_CHUNK_LINE: usize = 4096;
const MAX_TRAILERS: usize = 64 * 1024;

/// What the head says about the body that follows it.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Framing {
    None,
    Length(u64),
    Chunked,
    /// An upgrade, CONNECT or a transfer coding the guard does not follow.
    Unknown,
}

#[derive(Debug, PartialEq, Eq)]
pub(super) enum HeadCheck {
    /// More bytes are needed.
    Partial,
    Accepted {
        len: usize,
        framing: Framing,
    },
    Refused(Refusal),
}

/// Judges the bytes of a head that starts at `bytes[0]` (leading empty lines already dropped).
pub(super) fn check_head(bytes: &[u8]) -> HeadCheck {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(bytes) {
        Ok(httparse::Status::Partial) => {
            let line_end = memchr(b'\n', bytes);
            if line_end.map_or(bytes.len(), |end| end) > MAX_REQUEST_LINE_BYTES {
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

pub(super) fn trim(bytes: &[u8]) -> &[u8] {
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

pub(super) fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}

/// Whether `bytes` holds the end of a head (an empty line), looking only from `from` on.
pub(super) fn has_head_end(bytes: &[u8], from: usize) -> bool {
    let start = from.saturating_sub(3);
    let window = &bytes[start..];
    window.windows(2).any(|w| w == b"\n\n") || window.windows(3).any(|w| w == b"\n\r\n")
}

/// Follows a chunked body to its end without changing it.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Chunked {
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
pub(super) enum ChunkStep {
    /// Consumed this many bytes; the body goes on.
    More(usize),
    /// The body ended after this many bytes.
    Done(usize),
    /// Not chunked framing the guard can follow.
    Lost,
}

impl Chunked {
    pub(super) fn start() -> Chunked {
        Chunked::Size {
            size: 0,
            digits: 0,
            in_ext: false,
            line: 0,
        }
    }

    pub(super) fn advance(&mut self, bytes: &[u8]) -> ChunkStep {
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
pub(super) struct LanguageScan {
    line: Vec<u8>,
    line_too_long: bool,
    pub(super) found: Option<Vec<u8>>,
}

impl LanguageScan {
    const MAX_LINE: usize = 256;

    pub(super) fn feed(&mut self, bytes: &[u8]) {
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
}
