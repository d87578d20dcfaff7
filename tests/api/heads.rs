//! Request heads the service will not take are still answered in the JSON envelope, in the
//! request's language, over a real socket (no HTTP client library would send these).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{spawn_app, spawn_app_with};

struct RawAnswer {
    status: u16,
    head: String,
    body: String,
}

impl RawAnswer {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}\n{}", self.body, self.head))
    }
}

/// Sends `request` (writing and reading at once, as a client whose head is refused midway
/// would) and reads the whole answer until the server closes.
async fn exchange(port: u16, request: Vec<u8>) -> Vec<u8> {
    let stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    let write = tokio::spawn(async move {
        // The server may stop reading and close once it has refused the head.
        let _ = writer.write_all(&request).await;
        writer
    });
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), reader.read_to_end(&mut answer))
        .await
        .expect("the server answers and closes in time")
        .expect("read the answer");
    drop(write.await);
    answer
}

fn parse_answers(raw: &[u8]) -> Vec<RawAnswer> {
    let mut answers = Vec::new();
    let mut rest = raw;
    while !rest.is_empty() {
        let text = String::from_utf8_lossy(rest);
        let head_end = text.find("\r\n\r\n").expect("a complete answer head") + 4;
        let head = text[..head_end].to_string();
        let status = head[9..12].parse().expect("status code");
        let length: usize = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())?
            })
            .unwrap_or(0);
        let body = String::from_utf8_lossy(&rest[head_end..head_end + length]).to_string();
        rest = &rest[head_end + length..];
        answers.push(RawAnswer { status, head, body });
    }
    answers
}

async fn one_answer(port: u16, request: Vec<u8>) -> RawAnswer {
    let raw = exchange(port, request).await;
    let mut answers = parse_answers(&raw);
    assert_eq!(answers.len(), 1, "{}", String::from_utf8_lossy(&raw));
    answers.remove(0)
}

fn assert_envelope(answer: &RawAnswer, status: u16, code: &str, message: &str) {
    assert_eq!(answer.status, status, "{}{}", answer.head, answer.body);
    assert!(
        answer
            .head
            .to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{}",
        answer.head
    );
    let body = answer.json();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["message"], message, "{body}");
}

#[tokio::test]
async fn a_url_too_long_for_actix_is_414_in_the_envelope_in_the_request_language() {
    let app = spawn_app().await;
    // 70 KB: beyond what actix's URI type holds (it answered a bare 400).
    let request = format!(
        "GET /api/v1/openings?q={} HTTP/1.1\r\nHost: x\r\nAccept-Language: en-GB,en;q=0.9\r\n\r\n",
        "a".repeat(70_000)
    );
    let answer = one_answer(app.port, request.into_bytes()).await;
    assert_envelope(&answer, 414, "uri_too_long", "The request URL is too long");
    assert!(answer.head.to_ascii_lowercase().contains("x-request-id"));

    // 300 KB (actix answered a bare 431), Chinese by default.
    let request = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "b".repeat(300_000));
    let answer = one_answer(app.port, request.into_bytes()).await;
    assert_envelope(&answer, 414, "uri_too_long", "请求地址过长");
}

#[tokio::test]
async fn headers_too_large_or_too_many_are_431_in_the_envelope() {
    let app = spawn_app().await;
    let request = format!(
        "GET /api/v1/healthz HTTP/1.1\r\nHost: x\r\nAccept-Language: en\r\nX-Big: {}\r\n\r\n",
        "c".repeat(300_000)
    );
    let answer = one_answer(app.port, request.into_bytes()).await;
    assert_envelope(
        &answer,
        431,
        "header_fields_too_large",
        "The request headers are too large",
    );

    let many: String = (0..120).map(|i| format!("X-N{i}: {i}\r\n")).collect();
    let request = format!("GET /healthz HTTP/1.1\r\nHost: x\r\n{many}\r\n");
    let answer = one_answer(app.port, request.into_bytes()).await;
    assert_envelope(&answer, 431, "header_fields_too_large", "请求头过大");
}

#[tokio::test]
async fn bytes_that_are_not_http_are_400_in_the_envelope() {
    let app = spawn_app().await;
    for request in [
        &b"GET /a b c HTTP/1.1\r\nHost: x\r\nAccept-Language: en\r\n\r\n"[..],
        &b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad\x00Name: 1\r\n\r\n"[..],
        &b"POST /api/v1/auth/login HTTP/1.1\r\nContent-Length: twelve\r\n\r\n"[..],
        &b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"[..],
    ] {
        let answer = one_answer(app.port, request.to_vec()).await;
        assert_eq!(answer.status, 400, "{:?}: {}", request, answer.head);
        assert_eq!(answer.json()["code"], "bad_request");
    }
}

#[tokio::test]
async fn a_head_that_does_not_arrive_in_time_is_408_in_the_envelope() {
    let app = spawn_app_with(|s| s.request_head_timeout = Duration::from_millis(500)).await;
    let mut stream = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nAccept-Language: en\r\nHost: x")
        .await
        .unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
        .await
        .expect("answered after the head timeout")
        .unwrap();
    let answers = parse_answers(&raw);
    assert_eq!(answers.len(), 1);
    assert_envelope(
        &answers[0],
        408,
        "request_timeout",
        "The request did not arrive in time, retry",
    );
}

/// The guard follows bodies to find the next head: pipelined requests with a sized body, a
/// chunked body (with an extension and a trailer) and none are all answered, in order.
#[tokio::test]
async fn pipelined_requests_with_bodies_are_answered_in_order() {
    let app = spawn_app().await;
    let body = r#"{"phone":"13800000000","password":"not the password"}"#;
    let chunked_body = format!(
        "{:x};ext=1\r\n{}\r\n{:x}\r\n{}\r\n0\r\nX-Trailer: t\r\n\r\n",
        10,
        &body[..10],
        body.len() - 10,
        &body[10..]
    );
    let mut request = Vec::new();
    request.extend_from_slice(b"\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    request.extend_from_slice(
        format!(
            "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
    request.extend_from_slice(
        format!(
            "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{chunked_body}"
        )
        .as_bytes(),
    );
    request.extend_from_slice(b"GET /no/such/route HTTP/1.1\r\nHost: x\r\n\r\n");
    request.extend_from_slice(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let raw = exchange(app.port, request).await;
    let answers = parse_answers(&raw);
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(
        statuses,
        vec![200, 401, 401, 404, 200],
        "{}",
        String::from_utf8_lossy(&raw)
    );
    assert_eq!(answers[1].json()["code"], "invalid_credentials");
    assert_eq!(answers[2].json()["code"], "invalid_credentials");
}

#[tokio::test]
async fn the_stand_in_path_means_nothing_without_the_guard_secret() {
    let app = spawn_app().await;
    for marker in [
        "",
        "x-labormatch-refused-head: 00000000000000000000000000000000 head_too_large\r\n",
    ] {
        let request = format!(
            "GET {} HTTP/1.1\r\nHost: x\r\n{marker}Connection: close\r\n\r\n",
            labormatch::head_guard::REFUSED_PATH
        );
        let answer = one_answer(app.port, request.into_bytes()).await;
        assert_eq!(answer.status, 404, "{}", answer.head);
        assert_eq!(answer.json()["code"], "route_not_found");
    }
}
