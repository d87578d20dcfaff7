//! `ETag` and `If-None-Match` on GET: a `200` JSON answer gets a strong ETag computed from its
//! body (`"` + hex of the first 16 bytes of its sha256 + `"`); a client that already holds that
//! representation gets `304 Not Modified` with no body, which saves bytes on slow mobile links.
//! Bodies that are streamed (of unknown size), non-JSON answers and `/metrics` are left alone.

use actix_web::body::{self, BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::HttpResponse;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::input::is_json;

/// The strong ETag of a body.
pub fn etag_of(body: &[u8]) -> String {
    use std::fmt::Write;
    let digest = Sha256::digest(body);
    let mut tag = String::with_capacity(34);
    tag.push('"');
    for b in &digest[..16] {
        let _ = write!(tag, "{b:02x}");
    }
    tag.push('"');
    tag
}

/// Whether an `If-None-Match` value matches `tag` (weak comparison, as RFC 9110 asks for this
/// header): `*`, or any entity tag of the list, with or without `W/`.
pub fn if_none_match_hits(header: &str, tag: &str) -> bool {
    let wanted = opaque(tag);
    let mut rest = header.trim();
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_ascii_whitespace());
        if rest.is_empty() {
            return false;
        }
        if let Some(after) = rest.strip_prefix('*') {
            if after.trim_start().is_empty() || after.trim_start().starts_with(',') {
                return true;
            }
        }
        let candidate = rest.strip_prefix("W/").unwrap_or(rest);
        let (value, after) = match candidate.strip_prefix('"') {
            Some(quoted) => match quoted.find('"') {
                Some(end) => (&quoted[..end], &quoted[end + 1..]),
                None => return false,
            },
            // Lenient: a bare, unquoted tag.
            None => match candidate.find(',') {
                Some(end) => (candidate[..end].trim(), &candidate[end..]),
                None => (candidate.trim(), ""),
            },
        };
        if value == wanted {
            return true;
        }
        rest = after;
    }
}

/// The opaque part of an entity tag: without `W/` and the quotes.
fn opaque(tag: &str) -> &str {
    let tag = tag.strip_prefix("W/").unwrap_or(tag);
    tag.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(tag)
}

/// Headers a 304 repeats from the 200 it stands for (RFC 9110, 15.4.5).
const KEPT_ON_304: [header::HeaderName; 5] = [
    header::ETAG,
    header::CACHE_CONTROL,
    header::VARY,
    header::EXPIRES,
    header::CONTENT_LOCATION,
];

pub async fn etag_middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if req.method() != Method::GET || req.path() == "/metrics" {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    let if_none_match = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let res = next.call(req).await?;
    if res.status() != StatusCode::OK
        || !is_json(res.headers())
        || res.headers().contains_key(header::ETAG)
        || !matches!(res.response().body().size(), BodySize::Sized(_))
    {
        return Ok(res.map_into_boxed_body());
    }
    let (http_req, res) = res.into_parts();
    let (mut head, body) = res.into_parts();
    let bytes = match body::to_bytes(body).await {
        Ok(bytes) => bytes,
        Err(e) => {
            let e: Box<dyn std::error::Error> = e.into();
            let err = ApiError::internal(format!("buffering the response: {e}"));
            return Ok(ServiceResponse::new(
                http_req,
                HttpResponse::from_error(err),
            ));
        }
    };
    let tag = etag_of(&bytes);
    let value = HeaderValue::from_str(&tag).map_err(ApiError::internal)?;
    head.headers_mut().insert(header::ETAG, value);
    if if_none_match.is_some_and(|h| if_none_match_hits(&h, &tag)) {
        let mut not_modified = HttpResponse::NotModified();
        for name in KEPT_ON_304 {
            for v in head.headers().get_all(&name) {
                not_modified.append_header((name.clone(), v.clone()));
            }
        }
        return Ok(ServiceResponse::new(http_req, not_modified.finish()));
    }
    Ok(ServiceResponse::new(
        http_req,
        head.set_body(BoxBody::new(bytes)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags() {
        let tag = etag_of(b"{}");
        assert_eq!(tag.len(), 34);
        assert!(tag.starts_with('"') && tag.ends_with('"'));
        assert_ne!(tag, etag_of(b"[]"));
    }

    #[test]
    fn if_none_match() {
        let tag = "\"0123abcd\"";
        assert!(if_none_match_hits("\"0123abcd\"", tag));
        assert!(if_none_match_hits("W/\"0123abcd\"", tag));
        assert!(if_none_match_hits("\"zz\", W/\"0123abcd\"", tag));
        assert!(if_none_match_hits("\"a,b\",\"0123abcd\"", tag));
        assert!(if_none_match_hits("*", tag));
        assert!(if_none_match_hits(" * ", tag));
        assert!(if_none_match_hits("0123abcd", tag));
        assert!(!if_none_match_hits("\"0123abce\"", tag));
        assert!(!if_none_match_hits("\"zz\", \"yy\"", tag));
        assert!(!if_none_match_hits("", tag));
        assert!(!if_none_match_hits("\"0123abcd", tag));
        assert!(!if_none_match_hits("*x", tag));
    }

    #[test]
    fn json_types() {
        let mut h = header::HeaderMap::new();
        assert!(!is_json(&h));
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        assert!(is_json(&h));
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json; charset=utf-8"),
        );
        assert!(is_json(&h));
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert!(!is_json(&h));
    }
}
