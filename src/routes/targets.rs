//! The year's targets per county, and progress against them.

use actix_web::{get, put, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{AdminOnly, Auth, OfficerOrAdmin};
use crate::db::targets::{Target, TargetInput};
use crate::domain::RegionCode;
use crate::error::{ApiError, ApiResult};
use crate::services::targets::{self, Progress};
use crate::state::AppState;
use crate::validate;

/// An admin sets (or replaces) a county's targets for a year: the people to lift above the
/// monitoring line through employment, and the workers to place.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(("county" = String, Path, description = "county code"), ("year" = i32, Path)),
    request_body = TargetInput,
    responses(
        (status = 200, body = Target),
        (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)
    )
)]
#[put("/targets/{county}/{year}")]
pub async fn set_target(
    state: web::Data<AppState>,
    admin: Auth<AdminOnly>,
    path: web::Path<(String, i32)>,
    body: crate::input::Json<TargetInput>,
) -> ApiResult<web::Json<Target>> {
    let (county, year) = path.into_inner();
    Ok(web::Json(
        targets::set(&state, &admin, &county, year, &body).await?,
    ))
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
