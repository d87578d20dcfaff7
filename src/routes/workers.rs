//! Worker profiles, and the claim codes that let a worker registered by an office take over
//! their profile. Phone and ID number are shown only to those with business seeing them.

use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::client_addr;
use super::preconditions::{expected_version, if_match, set_etag};
use crate::auth::{AnyUser, Auth, OfficerOrAdmin, WorkerOnly};
use crate::db::workers::WorkerInput;
use crate::error::ApiResult;
use crate::pagination::{Page, PageParams};
use crate::services::claims::{self, ClaimRequest, IssuedClaim};
use crate::services::workers::{self, WorkerSummary, WorkerView};
use crate::state::AppState;

/// The answer to a write, with the ETag of the profile as a GET would give it.
fn saved(mut resp: actix_web::HttpResponseBuilder, v: WorkerView) -> ApiResult<HttpResponse> {
    let as_read = WorkerView { change: None, ..v };
    set_etag(&mut resp, &as_read)?;
    Ok(resp.json(WorkerView {
        change: v.change,
        ..as_read
    }))
}

/// An officer registers a worker of their region (for workers without a smartphone; they claim
/// the profile later with a claim code).
#[utoipa::path(
    tag = "workers",
    security(("bearer" = [])),
    request_body = WorkerInput,
    responses(
        (status = 201, body = WorkerView),
        (status = 403, body = crate::error::ErrorBody, description = "forbidden, or household_link_forbidden"),
        (status = 409, body = crate::error::ErrorBody, description = "phone or ID number taken"),
        (status = 422, body = crate::error::ErrorBody)
    )
)]
#[post("/workers")]
pub async fn create_worker(
    state: web::Data<AppState>,
    staff: Auth<OfficerOrAdmin>,
    body: crate::input::Json<WorkerInput>,
) -> ApiResult<HttpResponse> {
    let v = workers::register(&state, &staff, body.into_inner()).await?;
    saved(HttpResponse::Created(), v)
}

/// The signed-in worker's own profile.
#[utoipa::path(
    tag = "workers",
    security(("bearer" = [])),
    responses((status = 200, body = WorkerView), (status = 404, body = crate::error::ErrorBody, description = "no profile yet"))
)]
#[get("/me/worker")]
pub async fn get_my_profile(
    state: web::Data<AppState>,
    user: Auth<WorkerOnly>,
) -> ApiResult<web::Json<WorkerView>> {
    Ok(web::Json(workers::get_mine(&state, &user).await?))
}

/// Creates or replaces the signed-in worker's own profile. The account's phone is used when the
/// profile gives none. A worker's own profile cannot link a household (403
/// `household_link_forbidden`; an unchanged or missing `household_id` is kept) nor enter or
/// leave "placed" (409 `invalid_transition`); a missing `status` is kept. `If-Match` as for
/// households.
#[utoipa::path(
    tag = "workers",
    security(("bearer" = [])),
    params(("If-Match" = Option<String>, Header, description = "ETag or quoted version last read")),
    request_body = WorkerInput,
    responses(
        (status = 200, body = WorkerView),
        (status = 403, body = crate::error::ErrorBody, description = "household_link_forbidden"),
        (status = 409, body = crate::error::ErrorBody, description = "invalid_transition, or the phone is on a profile to claim"),
        (status = 412, body = crate::error::ErrorBody, description = "precondition_failed"),
        (status = 422, body = crate::error::ErrorBody)
    )
)]
#[put("/me/worker")]
pub async fn put_my_profile(
    state: web::Data<AppState>,
    user: Auth<WorkerOnly>,
    req: HttpRequest,
    body: crate::input::Json<WorkerInput>,
) -> ApiResult<HttpResponse> {
    let expected = match if_match(&req)? {
        None => None,
        condition => {
            let current = workers::get_mine(&state, &user).await?;
            expected_version(condition, &current, current.version)?
        }
    };
    let v = workers::save_mine(&state, &user, body.into_inner(), expected).await?;
    saved(HttpResponse::Ok(), v)
}

/// Links the signed-in worker's account to the profile an office registered with the same
/// phone, given the claim code the office issued. A wrong, used or expired code answers 403
/// `invalid_claim_code` and counts like a failed sign-in (429 past the limit).
#[utoipa::path(
    tag = "workers",
    security(("bearer" = [])),
    request_body = ClaimRequest,
    responses(
        (status = 200, body = WorkerView),
        (status = 403, body = crate::error::ErrorBody, description = "invalid_claim_code"),
        (status = 409, body = crate::error::ErrorBody, description = "already_claimed: the account has a profile"),
        (status = 429, body = crate::error::ErrorBody, description = "too_many_requests")
    )
)]
#[post("/me/worker/claim")]
pub async fn claim_profile(
    state: web::Data<AppState>,
    user: Auth<WorkerOnly>,
    req: HttpRequest,
    body: crate::input::Json<ClaimRequest>,
) -> ApiResult<web::Json<WorkerView>> {
    Ok(web::Json(
        claims::claim(&state, &user, &body.code, &client_addr(&req)).await?,
    ))
}

/// An officer of the worker's home region (or an admin) issues a one-time claim code for a
/// profile that has no account yet, to print or read to the worker. It is shown once, is valid
/// LABORMATCH_CLAIM_CODE_DAYS days, and replaces any earlier code for the worker.
#[utoipa::path(
    tag = "workers",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "worker id")),
    responses(
        (status = 201, body = IssuedClaim),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "already_claimed"),
        (status = 422, body = crate::error::ErrorBody, description = "the profile has no phone")
    )
)]
#[post("/workers/{id}/claim-code")]
pub async fn issue_claim_code(
    state: web::Data<AppState>,
    staff: Auth<OfficerOrAdmin>,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let issued = claims::issue(&state, &staff, path.into_inner()).await?;
    Ok(HttpResponse::Created().json(issued))
}

/// One worker, as the caller may see it; 404 when the caller has no business with it.
#[utoipa::path(
    tag = "workers",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = WorkerView), (status = 404, body = crate::error::ErrorBody))
)]
#[get("/workers/{id}")]
pub async fn get_worker(
    state: web::Data<AppState>,
    user: Auth<AnyUser>,
    path: web::Path<i64>,
) -> ApiResult<web::Json<WorkerView>> {
    Ok(web::Json(
        workers::get(&state, &user, path.into_inner()).await?,
    ))
}

/// Replaces a worker's profile: officers in scope (the worker must stay in scope), or the
/// worker themself (with the limits of `PUT /me/worker`). `If-Match` as for households.
#[utoipa::path(
    tag = "workers",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path),
        ("If-Match" = Option<String>, Header, description = "ETag or quoted version last read")
    ),
    request_body = WorkerInput,
    responses(
        (status = 200, body = WorkerView),
        (status = 403, body = crate::error::ErrorBody, description = "forbidden, or household_link_forbidden"),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "invalid_transition"),
        (status = 412, body = crate::error::ErrorBody, description = "precondition_failed"),
        (status = 422, body = crate::error::ErrorBody)
    )
)]
#[put("/workers/{id}")]
pub async fn update_worker(
    state: web::Data<AppState>,
    user: Auth<AnyUser>,
    req: HttpRequest,
    path: web::Path<i64>,
    body: crate::input::Json<WorkerInput>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let expected = match if_match(&req)? {
        None => None,
        condition => {
            let current = workers::get(&state, &user, id).await?;
            expected_version(condition, &current, current.version)?
        }
    };
    let v = workers::update(&state, &user, id, body.into_inner(), expected).await?;
    saved(HttpResponse::Ok(), v)
}

#[derive(Deserialize, IntoParams)]
pub struct WorkerQuery {
    /// available | placed | unavailable
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Workers of the caller's region, without phone or ID numbers.
#[utoipa::path(
    tag = "workers",
    security(("bearer" = [])),
    params(WorkerQuery),
    responses((status = 200, body = Page<WorkerSummary>), (status = 400, body = crate::error::ErrorBody))
)]
#[get("/workers")]
pub async fn list_workers(
    state: web::Data<AppState>,
    staff: Auth<OfficerOrAdmin>,
    query: crate::input::Query<WorkerQuery>,
) -> ApiResult<web::Json<Page<WorkerSummary>>> {
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let limit = page.limit()?;
    let rows = workers::list(
        &state,
        &staff,
        query.status.as_deref(),
        page.after_key()?,
        limit + 1,
    )
    .await?;
    Ok(web::Json(Page::from_overfetch(rows, limit, |w| w.id)))
}
