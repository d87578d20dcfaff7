//! Worker profiles. Workers keep their own; officers keep those of their region. Phone and ID
//! number are shown only to those with business seeing them, and never in lists.

use actix_web::{get, post, put, web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{AnyUser, Auth, OfficerOrAdmin, Principal, Role, WorkerOnly};
use crate::db::audit::{self, AuditEntry};
use crate::db::outbox::{self, Entity};
use crate::db::workers::{self, Skill, Worker, WorkerInput, WorkerRecord};
use crate::domain::{mask_id_number, Phone};
use crate::error::{ApiError, ApiResult};
use crate::pagination::{Page, PageParams};
use crate::startup::AppState;
use crate::validate;

/// A worker as one reader may see it.
#[derive(Serialize, ToSchema)]
pub struct WorkerView {
    pub id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub household_id: Option<i64>,
    pub name: String,
    pub gender: String,
    pub birth_year: i32,
    pub ethnicity: String,
    pub languages: Vec<String>,
    pub education: String,
    /// Full for the worker, officers in scope and admins; masked (138****5678) otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Full for the worker, officers in scope and admins; masked (first 6, last 4) otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    pub home_region: String,
    pub destinations: Vec<String>,
    pub accept_anywhere: bool,
    pub min_wage: i32,
    pub available_from: Option<NaiveDate>,
    pub skills: Vec<Skill>,
    pub brand_tags: Vec<String>,
    pub status: String,
    pub version: i32,
    /// Change number of the last write (only on writes): pass it as `after_change` to a match
    /// request to see this write reflected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<i64>,
}

/// Whether `user` may see this worker's phone and ID number in full.
pub fn sees_pii(user: &Principal, w: &Worker) -> bool {
    user.role == Role::Admin
        || (user.role == Role::Officer && user.sees_region(&w.home_region))
        || (user.role == Role::Worker && w.account_id == Some(user.account_id))
}

pub fn view(w: Worker, full_pii: bool) -> WorkerView {
    let phone = w.phone.as_deref().map(|p| {
        if full_pii {
            p.to_string()
        } else {
            Phone::parse(p)
                .map(|p| p.masked())
                .unwrap_or_else(|_| "***".into())
        }
    });
    let id_number = w.id_number.as_deref().map(|id| {
        if full_pii {
            id.to_string()
        } else {
            mask_id_number(id)
        }
    });
    WorkerView {
        id: w.id,
        household_id: w.household_id,
        name: w.name,
        gender: w.gender,
        birth_year: w.birth_year,
        ethnicity: w.ethnicity,
        languages: w.languages,
        education: w.education,
        phone,
        id_number,
        home_region: w.home_region,
        destinations: w.destinations,
        accept_anywhere: w.accept_anywhere,
        min_wage: w.min_wage,
        available_from: w.available_from,
        skills: w.skills,
        brand_tags: w.brand_tags,
        status: w.status,
        version: w.version,
        change: None,
    }
}

/// A worker in a list: no phone, no ID number.
#[derive(Serialize, ToSchema)]
pub struct WorkerSummary {
    pub id: i64,
    pub name: String,
    pub gender: String,
    pub birth_year: i32,
    pub home_region: String,
    pub status: String,
    pub skills: Vec<Skill>,
    pub brand_tags: Vec<String>,
}

impl From<Worker> for WorkerSummary {
    fn from(w: Worker) -> Self {
        WorkerSummary {
            id: w.id,
            name: w.name,
            gender: w.gender,
            birth_year: w.birth_year,
            home_region: w.home_region,
            status: w.status,
            skills: w.skills,
            brand_tags: w.brand_tags,
        }
    }
}

fn audit_entry<'a>(action: &'a str, id: i64, home: &'a str) -> AuditEntry<'a> {
    AuditEntry {
        action,
        entity: "worker",
        entity_id: id.to_string(),
        region_code: Some(home),
        details: serde_json::json!({}),
    }
}

/// Saves (creates or replaces) a worker in one transaction with its audit entry and its index
/// change; answers the worker as the caller sees it.
async fn save(
    state: &AppState,
    user: &Principal,
    existing: Option<i64>,
    account_id: Option<i64>,
    input: &WorkerInput,
) -> ApiResult<WorkerView> {
    let mut client = state.pool.get().await?;
    let (problems, clean) = validate::worker(&client, input).await?;
    problems.finish()?;
    let tx = client.transaction().await?;
    let rec = WorkerRecord {
        input,
        phone: clean.phone,
        id_number: clean.id_number,
        account_id,
    };
    let (id, action) = match existing {
        Some(id) => {
            if !workers::update(&tx, id, &rec).await? {
                return Err(ApiError::not_found());
            }
            (id, "update")
        }
        None => (workers::insert(&tx, &rec).await?, "create"),
    };
    audit::record(&tx, user, audit_entry(action, id, &input.home_region)).await?;
    let change = outbox::record_change(&tx, Entity::Worker, id).await?;
    let worker = workers::find(&tx, id)
        .await?
        .ok_or_else(|| ApiError::internal("worker vanished"))?;
    tx.commit().await?;
    let full = sees_pii(user, &worker);
    let mut v = view(worker, full);
    v.change = Some(change);
    Ok(v)
}

/// An officer registers a worker of their region (for workers without a smartphone).
#[utoipa::path(
    tag = "workers",
    security(("bearer" = [])),
    request_body = WorkerInput,
    responses(
        (status = 201, body = WorkerView),
        (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "phone or ID number taken"),
        (status = 422, body = crate::error::ErrorBody)
    )
)]
#[post("/workers")]
pub async fn create_worker(
    state: web::Data<AppState>,
    staff: Auth<OfficerOrAdmin>,
    body: web::Json<WorkerInput>,
) -> ApiResult<HttpResponse> {
    if crate::domain::RegionCode::parse(&body.home_region).is_ok()
        && !staff.sees_region(&body.home_region)
    {
        return Err(ApiError::forbidden());
    }
    let v = save(&state, &staff, None, None, &body).await?;
    Ok(HttpResponse::Created().json(v))
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
    let w = own_profile(&state, &user)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(web::Json(view(w, true)))
}

/// Creates or replaces the signed-in worker's own profile. The account's phone is used when the
/// profile gives none.
#[utoipa::path(
    tag = "workers",
    security(("bearer" = [])),
    request_body = WorkerInput,
    responses((status = 200, body = WorkerView), (status = 422, body = crate::error::ErrorBody))
)]
#[put("/me/worker")]
pub async fn put_my_profile(
    state: web::Data<AppState>,
    user: Auth<WorkerOnly>,
    body: web::Json<WorkerInput>,
) -> ApiResult<web::Json<WorkerView>> {
    Ok(web::Json(
        save_own_profile(&state, &user, body.into_inner()).await?,
    ))
}

/// Creates or replaces the signed-in worker's own profile: `PUT /me/worker` and the profile page.
pub async fn save_own_profile(
    state: &AppState,
    user: &Principal,
    mut input: WorkerInput,
) -> ApiResult<WorkerView> {
    let existing = {
        let client = state.pool.get().await?;
        if input.phone.is_none() {
            input.phone = crate::db::accounts::find_by_id(&client, user.account_id)
                .await?
                .map(|a| a.phone);
        }
        workers::find_by_account(&client, user.account_id).await?
    };
    if let Some(w) = &existing {
        // Status "placed" is the program's to set, not the worker's.
        if w.status == "placed" {
            input.status = w.status.clone();
        }
    }
    save(
        state,
        user,
        existing.map(|w| w.id),
        Some(user.account_id),
        &input,
    )
    .await
}

/// The signed-in worker's own profile, if they have one: `GET /me/worker` and the pages.
pub async fn own_profile(state: &AppState, user: &Principal) -> ApiResult<Option<Worker>> {
    let client = state.pool.get().await?;
    workers::find_by_account(&client, user.account_id).await
}

/// Whether `user` may read this worker at all.
async fn may_read(
    client: &deadpool_postgres::Client,
    user: &Principal,
    w: &Worker,
) -> ApiResult<bool> {
    Ok(match user.role {
        Role::Admin => true,
        Role::Officer => user.sees_region(&w.home_region),
        Role::Worker => w.account_id == Some(user.account_id),
        Role::Center => match user.organization_id {
            Some(org) => workers::enrolled_with_center(client, w.id, org).await?,
            None => false,
        },
        // Employers see workers through their candidate lists and applications.
        Role::Employer => false,
    })
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
    let client = state.pool.get().await?;
    let w = workers::find(&client, path.into_inner())
        .await?
        .ok_or_else(ApiError::not_found)?;
    if !may_read(&client, &user, &w).await? {
        return Err(ApiError::not_found());
    }
    let full = sees_pii(&user, &w);
    Ok(web::Json(view(w, full)))
}

/// Replaces a worker's profile: officers in scope (the worker must stay in scope), or the
/// worker themself.
#[utoipa::path(
    tag = "workers",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    request_body = WorkerInput,
    responses(
        (status = 200, body = WorkerView),
        (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)
    )
)]
#[put("/workers/{id}")]
pub async fn update_worker(
    state: web::Data<AppState>,
    user: Auth<AnyUser>,
    path: web::Path<i64>,
    body: web::Json<WorkerInput>,
) -> ApiResult<web::Json<WorkerView>> {
    let id = path.into_inner();
    let current = {
        let client = state.pool.get().await?;
        workers::find(&client, id)
            .await?
            .ok_or_else(ApiError::not_found)?
    };
    let allowed = match user.role {
        Role::Admin => true,
        Role::Officer => user.sees_region(&current.home_region),
        Role::Worker => current.account_id == Some(user.account_id),
        _ => false,
    };
    if !allowed {
        return Err(ApiError::not_found());
    }
    if user.role == Role::Officer
        && crate::domain::RegionCode::parse(&body.home_region).is_ok()
        && !user.sees_region(&body.home_region)
    {
        return Err(ApiError::forbidden());
    }
    let v = save(&state, &user, Some(id), current.account_id, &body).await?;
    Ok(web::Json(v))
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
    query: web::Query<WorkerQuery>,
) -> ApiResult<web::Json<Page<WorkerSummary>>> {
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let limit = page.limit()?;
    crate::validate::status_filter(query.status.as_deref(), &workers::STATUSES)?;
    let client = state.pool.get().await?;
    let rows = workers::list(
        &client,
        staff.region_scope(),
        query.status.as_deref(),
        page.after_key()?,
        limit + 1,
    )
    .await?;
    let page = Page::from_overfetch(rows, limit, |w| w.id);
    Ok(web::Json(Page {
        items: page.items.into_iter().map(WorkerSummary::from).collect(),
        next_cursor: page.next_cursor,
    }))
}
