//! The year's targets per county, and progress against them.

use actix_web::{get, put, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::preconditions::{expected_version, if_match, set_etag, IfMatch};
use crate::auth::{AdminOnly, Auth, OfficerOrAdmin};
use crate::db::targets::{Target, TargetInput};
use crate::domain::RegionCode;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::services::targets::{self, Expect, Progress};
use crate::state::AppState;
use crate::validate;

/// An admin sets (or replaces) a county's targets for a year: the people to lift above the
/// monitoring line through employment, and the workers to place. With `If-Match` (the ETag of
/// an earlier answer, or the version in quotes; `*` for targets that must already exist)
/// targets changed or set meanwhile answer 412 `precondition_failed`.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(
        ("county" = String, Path, description = "county code"),
        ("year" = i32, Path),
        ("If-Match" = Option<String>, Header, description = "ETag or quoted version last read")
    ),
    request_body = TargetInput,
    responses(
        (status = 200, body = Target),
        (status = 403, body = crate::error::ErrorBody),
        (status = 412, body = crate::error::ErrorBody, description = "precondition_failed: changed since read"),
        (status = 422, body = crate::error::ErrorBody)
    )
)]
#[put("/targets/{county}/{year}")]
pub async fn set_target(
    state: web::Data<AppState>,
    admin: Auth<AdminOnly>,
    req: HttpRequest,
    path: web::Path<(String, i32)>,
    body: crate::input::Json<TargetInput>,
) -> ApiResult<HttpResponse> {
    let (county, year) = path.into_inner();
    let expect = match if_match(&req)? {
        None => Expect::Anything,
        Some(IfMatch::Any) => Expect::Existing,
        condition => match targets::find(&state, &admin, &county, year).await? {
            Some(current) => match expected_version(condition, &current, current.version)? {
                Some(v) => Expect::Version(v),
                None => Expect::Existing,
            },
            None => {
                return Err(ApiError::new(ErrorCode::PreconditionFailed)
                    .with_extra(serde_json::json!({ "version": null })))
            }
        },
    };
    let target = targets::set(&state, &admin, &county, year, &body, expect).await?;
    let mut resp = HttpResponse::Ok();
    set_etag(&mut resp, &target)?;
    Ok(resp.json(target))
}

#[derive(Deserialize, IntoParams)]
pub struct ProgressQuery {
    /// The year (default: this year).
    pub year: Option<i32>,
    /// Narrow to a region inside the caller's.
    pub region: Option<String>,
}

/// Progress against the year's targets, per county and per province, over the caller's
/// region: done, remaining, what a straight line to the target expects by today, on pace or
/// behind. Done counts the figures of `GET /stats/outcomes` by county for the year so far.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(ProgressQuery),
    responses(
        (status = 200, body = Progress),
        (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)
    )
)]
#[get("/targets/progress")]
pub async fn target_progress(
    state: web::Data<AppState>,
    staff: Auth<OfficerOrAdmin>,
    query: crate::input::Query<ProgressQuery>,
) -> ApiResult<web::Json<Progress>> {
    let today = validate::today();
    let year = query.year.unwrap_or_else(|| chrono::Datelike::year(&today));
    let region = match &query.region {
        None => None,
        Some(raw) => Some(RegionCode::parse(raw).map_err(|r| ApiError::field("region", r))?),
    };
    Ok(web::Json(
        targets::progress(&state, &staff, year, region, today).await?,
    ))
}
