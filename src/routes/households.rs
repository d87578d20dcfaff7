//! Households, registered and kept by county offices (officers in scope, admins).

use actix_web::{get, post, put, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{Auth, OfficerOrAdmin, Principal};
use crate::db::audit::{self, AuditEntry};
use crate::db::households::{self, Household, HouseholdInput};
use crate::error::{ApiError, ApiResult};
use crate::pagination::{Page, PageParams};
use crate::startup::AppState;
use crate::validate;

fn audit_entry<'a>(action: &'a str, h: &'a Household) -> AuditEntry<'a> {
    AuditEntry {
        action,
        entity: "household",
        entity_id: h.id.to_string(),
        region_code: Some(&h.county_code),
        details: serde_json::json!({ "registry_number": h.registry_number }),
    }
}

fn ensure_in_scope(user: &Principal, county: &str) -> ApiResult<()> {
    if user.sees_region(county) {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

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
    body: web::Json<HouseholdInput>,
) -> ApiResult<HttpResponse> {
    let mut client = state.pool.get().await?;
    validate::household(&client, &body).await?.finish()?;
    ensure_in_scope(&staff, &body.county_code)?;
    let tx = client.transaction().await?;
    let household = households::insert(&tx, &body).await?;
    audit::record(&tx, &staff, audit_entry("create", &household)).await?;
    tx.commit().await?;
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
    let client = state.pool.get().await?;
    let household = households::find(&client, path.into_inner())
        .await?
        .filter(|h| staff.sees_region(&h.county_code))
        .ok_or_else(ApiError::not_found)?;
    Ok(web::Json(household))
}

/// Replaces a household's data (it must stay inside the caller's region).
#[utoipa::path(
    tag = "households",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    request_body = HouseholdInput,
    responses(
        (status = 200, body = Household),
        (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)
    )
)]
#[put("/households/{id}")]
pub async fn update_household(
    state: web::Data<AppState>,
    staff: Auth<OfficerOrAdmin>,
    path: web::Path<i64>,
    body: web::Json<HouseholdInput>,
) -> ApiResult<web::Json<Household>> {
    let id = path.into_inner();
    let mut client = state.pool.get().await?;
    validate::household(&client, &body).await?.finish()?;
    let tx = client.transaction().await?;
    households::find(&tx, id)
        .await?
        .filter(|h| staff.sees_region(&h.county_code))
        .ok_or_else(ApiError::not_found)?;
    ensure_in_scope(&staff, &body.county_code)?;
    let household = households::update(&tx, id, &body)
        .await?
        .ok_or_else(ApiError::not_found)?;
    audit::record(&tx, &staff, audit_entry("update", &household)).await?;
    tx.commit().await?;
    Ok(web::Json(household))
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
    query: web::Query<HouseholdQuery>,
) -> ApiResult<web::Json<Page<Household>>> {
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let limit = page.limit()?;
    crate::validate::status_filter(query.status.as_deref(), &households::STATUSES)?;
    let client = state.pool.get().await?;
    let rows = households::list(
        &client,
        staff.region_scope(),
        query.status.as_deref(),
        page.after_key()?,
        limit + 1,
    )
    .await?;
    Ok(web::Json(Page::from_overfetch(rows, limit, |h| h.id)))
}
