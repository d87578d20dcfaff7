//! Households, registered and kept by county offices (officers in scope, admins).

use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::preconditions::{expected_version, if_match, set_etag};
use crate::auth::{Auth, OfficerOrAdmin};
use crate::db::households::{Household, HouseholdInput};
use crate::error::ApiResult;
use crate::pagination::{Page, PageParams};
use crate::services::households;
use crate::state::AppState;

/// Registers a household in the caller's region.
#[utoipa::path(
    tag = "households",
    security(("bearer" = [])),
    request_body = HouseholdInput,
    responses(
        (status = 201, body = Household),
        (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "already_exists: registry number taken"),
        (status = 422, body = crate::error::ErrorBody)
    )
)]
#[post("/households")]
pub async fn create_household(
    state: web::Data<AppState>,
    staff: Auth<OfficerOrAdmin>,
    body: crate::input::Json<HouseholdInput>,
) -> ApiResult<HttpResponse> {
    let household = households::create(&state, &staff, &body).await?;
    Ok(HttpResponse::Created().json(household))
}

/// One household. Outside the caller's region it does not exist (404).
#[utoipa::path(
    tag = "households",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Household), (status = 404, body = crate::error::ErrorBody))
)]
#[get("/households/{id}")]
pub async fn get_household(
    state: web::Data<AppState>,
    staff: Auth<OfficerOrAdmin>,
    path: web::Path<i64>,
) -> ApiResult<web::Json<Household>> {
    Ok(web::Json(
        households::get(&state, &staff, path.into_inner()).await?,
    ))
}

/// Replaces a household's data (it must stay inside the caller's region). Send `If-Match` with
/// the ETag (or `"<version>"`) you read: a stale one answers 412. Its members' equity factor
/// changes in matching at once: `X-Change` is the change number to wait for.
#[utoipa::path(
    tag = "households",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path),
        ("If-Match" = Option<String>, Header, description = "ETag or quoted version last read")
    ),
    request_body = HouseholdInput,
    responses(
        (status = 200, body = Household),
        (status = 404, body = crate::error::ErrorBody),
        (status = 412, body = crate::error::ErrorBody, description = "precondition_failed: changed since read"),
        (status = 422, body = crate::error::ErrorBody)
    )
)]
#[put("/households/{id}")]
pub async fn update_household(
    state: web::Data<AppState>,
    staff: Auth<OfficerOrAdmin>,
    req: HttpRequest,
    path: web::Path<i64>,
    body: crate::input::Json<HouseholdInput>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let expected = match if_match(&req)? {
        None => None,
        condition => {
            let current = households::get(&state, &staff, id).await?;
            expected_version(condition, &current, current.version)?
        }
    };
    let written = households::update(&state, &staff, id, &body, expected).await?;
    let mut resp = HttpResponse::Ok();
    set_etag(&mut resp, &written.value)?;
    if let Some(change) = written.change {
        resp.insert_header(("X-Change", change.to_string()));
    }
    Ok(resp.json(written.value))
}

#[derive(Deserialize, IntoParams)]
pub struct HouseholdQuery {
    /// registered_poor | monitored | exited | other
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Households in the caller's region, oldest first.
#[utoipa::path(
    tag = "households",
    security(("bearer" = [])),
    params(HouseholdQuery),
    responses((status = 200, body = Page<Household>), (status = 400, body = crate::error::ErrorBody))
)]
#[get("/households")]
pub async fn list_households(
    state: web::Data<AppState>,
    staff: Auth<OfficerOrAdmin>,
    query: crate::input::Query<HouseholdQuery>,
) -> ApiResult<web::Json<Page<Household>>> {
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let limit = page.limit()?;
    let rows = households::list(
        &state,
        &staff,
        query.status.as_deref(),
        page.after_key()?,
        limit + 1,
    )
    .await?;
    Ok(web::Json(Page::from_overfetch(rows, limit, |h| h.id)))
}
