//! `If-Match` on PUT, so two people editing one record do not silently overwrite each other.
//!
//! A client sends back either the `ETag` it got with the record (GET answers carry one; so do
//! PUT answers) or the record's `version` in quotes (`If-Match: "3"`); `*` means "whatever is
//! there". The route turns that into the version the service must still find (`expected`); the
//! service compares it under a row lock, so a write between this check and the update is caught
//! too. A stale one answers `412 precondition_failed` with the current `version` in `extra`.
//! Without `If-Match` the PUT replaces whatever is there (see README).

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponseBuilder};
use serde::Serialize;

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::etag::etag_of;

/// What `If-Match` asked for.
pub enum IfMatch {
    Any,
    Tags(Vec<String>),
}

pub fn if_match(req: &HttpRequest) -> ApiResult<Option<IfMatch>> {
    let Some(raw) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let raw = raw.to_str().map_err(|_| {
        ApiError::msg(
            ErrorCode::BadRequest,
            "If-Match 无效",
            "If-Match is not valid",
        )
    })?;
    if raw.trim() == "*" {
        return Ok(Some(IfMatch::Any));
    }
    let tags = raw
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect();
    Ok(Some(IfMatch::Tags(tags)))
}

/// The strong ETag of a representation, as GET would give it.
pub fn etag(representation: &impl Serialize) -> ApiResult<String> {
    let body = serde_json::to_vec(representation).map_err(ApiError::internal)?;
    Ok(etag_of(&body))
}

/// The version the service must find: `None` without a condition (or with `*`), else the
/// version of `current` if one of the tags is its ETag or its quoted version.
pub fn expected_version(
    condition: Option<IfMatch>,
    current: &impl Serialize,
    version: i32,
) -> ApiResult<Option<i32>> {
    let tags = match condition {
        None | Some(IfMatch::Any) => return Ok(None),
        Some(IfMatch::Tags(tags)) => tags,
    };
    let current_tag = etag(current)?;
    let quoted_version = format!("\"{version}\"");
    // Strong comparison (RFC 9110): a weak tag never matches.
    if tags
        .iter()
        .any(|t| *t == current_tag || *t == quoted_version)
    {
        return Ok(Some(version));
    }
    Err(ApiError::new(ErrorCode::PreconditionFailed)
        .with_extra(serde_json::json!({ "version": version })))
}

/// Sets the `ETag` of the representation a GET would now answer.
pub fn set_etag(resp: &mut HttpResponseBuilder, representation: &impl Serialize) -> ApiResult<()> {
    let tag = etag(representation)?;
    let value = HeaderValue::from_str(&tag).map_err(ApiError::internal)?;
    resp.insert_header((header::ETAG, value));
    Ok(())
}
