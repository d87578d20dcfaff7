//! Employers' openings.

use actix_web::{get, post, put, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{AnyUser, Auth, EmployerStaff, Principal, Role};
use crate::db::audit::{self, AuditEntry};
use crate::db::openings::{self, Opening, OpeningInput, STATUSES};
use crate::db::outbox::{self, Entity};
use crate::domain::requirements::{CertificateRule, MAX_MIN_YEARS};
use crate::error::{ApiError, ApiResult};
use crate::pagination::{Page, PageParams};
use crate::startup::AppState;
use crate::validate::{self, Problems};

pub async fn validate_opening(
    client: &impl deadpool_postgres::GenericClient,
    o: &OpeningInput,
) -> ApiResult<()> {
    let mut p = Problems::default();
    if o.title.trim().is_empty() {
        p.add("title", "must_not_be_empty");
    } else if o.title.chars().count() > 100 {
        p.add("title", "too_long");
    }
    if o.description.chars().count() > 5000 {
        p.add("description", "too_long");
    }
    if o.required_occupations.is_empty() || o.required_occupations.len() > 10 {
        p.add("required_occupations", "between_1_and_10_codes");
    }
    if o.nice_occupations.len() > 10 {
        p.add("nice_occupations", "at_most_10_codes");
    }
    validate::occupations(
        client,
        &mut p,
        "required_occupations",
        &o.required_occupations,
    )
    .await?;
    validate::occupations(client, &mut p, "nice_occupations", &o.nice_occupations).await?;
    validate::region(client, &mut p, "work_region", &o.work_region, false).await?;
    if !(0..=200_000).contains(&o.wage_min) {
        p.add("wage_min", "out_of_range");
    }
    if o.wage_max < o.wage_min {
        p.add("wage_max", "less_than_wage_min");
    } else if o.wage_max > 200_000 {
        p.add("wage_max", "out_of_range");
    }
    if !(1..=10_000).contains(&o.headcount) {
        p.add("headcount", "out_of_range_1_10000");
    }
    if let Some(m) = o.contract_months {
        if !(1..=120).contains(&m) {
            p.add("contract_months", "out_of_range_1_120");
        }
    }
    if o.deadline > o.start_date + chrono::Duration::days(365) {
        p.add("deadline", "more_than_a_year_after_start");
    }
    if !STATUSES.contains(&o.status.as_str()) {
        p.add("status", "unknown_status");
    }
    if let Some(years) = o.min_years_experience {
        if !(years.is_finite() && (0.0..=MAX_MIN_YEARS).contains(&years)) {
            p.add("min_years_experience", "out_of_range_0_50");
        }
    }
    if let Some(rule) = &o.certificate {
        if CertificateRule::parse(rule).is_none() {
            p.add("certificate", "unknown_certificate_rule");
        }
    }
    p.finish()
}

fn audit_entry<'a>(action: &'a str, o: &'a Opening) -> AuditEntry<'a> {
    AuditEntry {
        action,
        entity: "opening",
        entity_id: o.id.to_string(),
        region_code: Some(&o.work_region),
        details: serde_json::json!({ "status": o.status }),
    }
}

/// An employer posts an opening (draft or open).
#[utoipa::path(
    tag = "openings",
    security(("bearer" = [])),
    request_body = OpeningInput,
    responses(
        (status = 201, body = Opening),
        (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)
    )
)]
#[post("/openings")]
pub async fn create_opening(
    state: web::Data<AppState>,
    employer: Auth<EmployerStaff>,
    body: web::Json<OpeningInput>,
) -> ApiResult<HttpResponse> {
    let employer_id = employer.organization_id.ok_or_else(ApiError::forbidden)?;
    let mut client = state.pool.get().await?;
    validate_opening(&client, &body).await?;
    let tx = client.transaction().await?;
    let id = openings::insert(&tx, employer_id, &body).await?;
    let change = outbox::record_change(&tx, Entity::Opening, id).await?;
    let opening = openings::find(&tx, id)
        .await?
        .ok_or_else(|| ApiError::internal("opening vanished"))?;
    audit::record(&tx, &employer, audit_entry("create", &opening)).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created()
        .insert_header(("X-Change", change.to_string()))
        .json(opening))
}

/// Open openings are visible to everyone signed in; drafts and closed ones to their employer
/// and program staff.
fn may_read(user: &Principal, o: &Opening) -> bool {
    o.status == "open" || user.in_org(o.employer_id) || user.is_staff()
}

/// One opening.
#[utoipa::path(
    tag = "openings",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Opening), (status = 404, body = crate::error::ErrorBody))
)]
#[get("/openings/{id}")]
pub async fn get_opening(
    state: web::Data<AppState>,
    user: Auth<AnyUser>,
    path: web::Path<i64>,
) -> ApiResult<web::Json<Opening>> {
    let client = state.pool.get().await?;
    openings::find(&client, path.into_inner())
        .await?
        .filter(|o| may_read(&user, o))
        .map(web::Json)
        .ok_or_else(ApiError::not_found)
}

/// The employer replaces an opening (including its status).
#[utoipa::path(
    tag = "openings",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    request_body = OpeningInput,
    responses(
        (status = 200, body = Opening),
        (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)
    )
)]
#[put("/openings/{id}")]
pub async fn update_opening(
    state: web::Data<AppState>,
    employer: Auth<EmployerStaff>,
    path: web::Path<i64>,
    body: web::Json<OpeningInput>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let mut client = state.pool.get().await?;
    validate_opening(&client, &body).await?;
    let tx = client.transaction().await?;
    openings::find(&tx, id)
        .await?
        .filter(|o| employer.in_org(o.employer_id))
        .ok_or_else(ApiError::not_found)?;
    openings::update(&tx, id, &body).await?;
    let change = outbox::record_change(&tx, Entity::Opening, id).await?;
    let opening = openings::find(&tx, id)
        .await?
        .ok_or_else(|| ApiError::internal("opening vanished"))?;
    audit::record(&tx, &employer, audit_entry("update", &opening)).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok()
        .insert_header(("X-Change", change.to_string()))
        .json(opening))
}

#[derive(Deserialize, IntoParams)]
pub struct OpeningQuery {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Employers see all their own openings; everyone else the open ones.
#[utoipa::path(
    tag = "openings",
    security(("bearer" = [])),
    params(OpeningQuery),
    responses((status = 200, body = Page<Opening>))
)]
#[get("/openings")]
pub async fn list_openings(
    state: web::Data<AppState>,
    user: Auth<AnyUser>,
    query: web::Query<OpeningQuery>,
) -> ApiResult<web::Json<Page<Opening>>> {
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let limit = page.limit()?;
    let employer = match user.role {
        Role::Employer => user.organization_id,
        _ => None,
    };
    let client = state.pool.get().await?;
    let rows = openings::list(&client, employer, page.after_key()?, limit + 1).await?;
    Ok(web::Json(Page::from_overfetch(rows, limit, |o| o.id)))
}
