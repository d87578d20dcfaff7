//! Applications and invitations, placements, follow-ups and dispatches.

use actix_web::{get, post, web, HttpResponse};
use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{AnyUser, Auth, EmployerStaff, Principal, Role, WorkerOnly};
use crate::db::applications::{self as apps, Application, DueFollowup, Event, Placement};
use crate::db::audit::{self, AuditEntry};
use crate::db::outbox::{self, Entity};
use crate::db::{openings, workers};
use crate::domain::application_state::{AppState as State, Side};
use crate::domain::RegionCode;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::pagination::{Page, PageParams};
use crate::startup::AppState;
use crate::validate::{self, Problems};

/// Follow-up due dates: `months` after the start. A start on the 31st falls due on the last
/// day of shorter months (31 January + 1 month = 28/29 February).
pub fn followup_due_dates(start: NaiveDate, months: &[u32]) -> Vec<(u32, NaiveDate)> {
    months
        .iter()
        .filter_map(|m| start.checked_add_months(Months::new(*m)).map(|d| (*m, d)))
        .collect()
}

#[derive(Serialize, ToSchema)]
pub struct ApplicationView {
    #[serde(flatten)]
    pub application: Application,
    /// Shown to the employer only once the worker has applied or accepted an invitation; always
    /// to the worker and officers in scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker_phone: Option<String>,
    /// Moves the caller may make now.
    pub allowed_transitions: Vec<&'static str>,
    pub history: Vec<Event>,
}

/// The sides `user` may act for on this application; empty when it is none of their business.
async fn sides(
    client: &deadpool_postgres::Client,
    user: &Principal,
    a: &Application,
) -> ApiResult<Vec<Side>> {
    Ok(match user.role {
        Role::Admin => vec![Side::Worker, Side::Employer],
        Role::Employer if user.in_org(a.employer_id) => vec![Side::Employer],
        Role::Officer if user.sees_region(&a.worker_home_region) => vec![Side::Worker],
        Role::Worker => {
            let own = workers::find_by_account(client, user.account_id)
                .await?
                .map(|w| w.id == a.worker_id)
                .unwrap_or(false);
            if own {
                vec![Side::Worker]
            } else {
                vec![]
            }
        }
        _ => vec![],
    })
}

async fn view(
    client: &deadpool_postgres::Client,
    a: Application,
    sides: &[Side],
) -> ApiResult<ApplicationView> {
    let state = State::parse(&a.state).ok_or_else(|| ApiError::internal("unknown state"))?;
    let mut allowed: Vec<&'static str> = sides.iter().flat_map(|s| state.allowed_for(*s)).collect();
    allowed.sort_unstable();
    allowed.dedup();
    let shows_phone = sides.contains(&Side::Worker) || a.worker_consented;
    let worker_phone = if shows_phone {
        workers::find(client, a.worker_id)
            .await?
            .and_then(|w| w.phone)
    } else {
        None
    };
    let history = apps::events(client, a.id).await?;
    Ok(ApplicationView {
        application: a,
        worker_phone,
        allowed_transitions: allowed,
        history,
    })
}

/// A worker applies to an open opening. Applying twice answers the existing application.
#[utoipa::path(
    tag = "applications",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "opening id")),
    responses(
        (status = 201, body = ApplicationView),
        (status = 200, body = ApplicationView, description = "already applied"),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "opening not open / profile missing")
    )
)]
#[post("/openings/{id}/applications")]
pub async fn apply(
    state: web::Data<AppState>,
    user: Auth<WorkerOnly>,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let opening_id = path.into_inner();
    let mut client = state.pool.get().await?;
    let worker = workers::find_by_account(&client, user.account_id)
        .await?
        .ok_or_else(|| {
            ApiError::msg(
                ErrorCode::Conflict,
                "请先填写个人求职资料",
                "Create your worker profile first",
            )
        })?;
    let opening = openings::find(&client, opening_id)
        .await?
        .filter(|o| o.status == "open")
        .ok_or_else(ApiError::not_found)?;
    let tx = client.transaction().await?;
    if let Some(existing) = apps::find_for(&tx, opening.id, worker.id).await? {
        if existing.state == "invited" {
            // Applying to an opening one was invited to is accepting the invitation.
            let id = existing.id;
            transition_in(&tx, &user, existing, State::Applied, Side::Worker, "").await?;
            tx.commit().await?;
            let a = apps::find(&client, id)
                .await?
                .ok_or_else(ApiError::not_found)?;
            return Ok(HttpResponse::Ok().json(view(&client, a, &[Side::Worker]).await?));
        }
        drop(tx);
        let sides = sides(&client, &user, &existing).await?;
        return Ok(HttpResponse::Ok().json(view(&client, existing, &sides).await?));
    }
    let id = apps::insert(&tx, opening.id, worker.id, "applied", true)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::Conflict))?;
    apps::add_event(&tx, id, None, "applied", user.account_id, "worker", "").await?;
    audit::record(&tx, &user, audit_entry("apply", id, &worker.home_region)).await?;
    tx.commit().await?;
    let a = apps::find(&client, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(HttpResponse::Created().json(view(&client, a, &[Side::Worker]).await?))
}

fn audit_entry<'a>(action: &'a str, id: i64, home: &'a str) -> AuditEntry<'a> {
    AuditEntry {
        action,
        entity: "application",
        entity_id: id.to_string(),
        region_code: Some(home),
        details: serde_json::json!({}),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct InviteRequest {
    pub worker_id: i64,
    #[serde(default)]
    pub note: String,
}

/// The employer invites a worker (typically from its candidate list) to one of its openings.
#[utoipa::path(
    tag = "applications",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "opening id")),
    request_body = InviteRequest,
    responses(
        (status = 201, body = ApplicationView),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "already has an application")
    )
)]
#[post("/openings/{id}/invitations")]
pub async fn invite(
    state: web::Data<AppState>,
    employer: Auth<EmployerStaff>,
    path: web::Path<i64>,
    body: web::Json<InviteRequest>,
) -> ApiResult<HttpResponse> {
    let mut client = state.pool.get().await?;
    let opening = openings::find(&client, path.into_inner())
        .await?
        .filter(|o| employer.in_org(o.employer_id))
        .ok_or_else(ApiError::not_found)?;
    if opening.status != "open" {
        return Err(ApiError::msg(
            ErrorCode::Conflict,
            "岗位未开放",
            "The opening is not open",
        ));
    }
    let worker = workers::find(&client, body.worker_id)
        .await?
        .filter(|w| w.status == "available")
        .ok_or_else(|| ApiError::field("worker_id", "unknown_or_unavailable_worker"))?;
    if body.note.chars().count() > 500 {
        return Err(ApiError::field("note", "too_long"));
    }
    let tx = client.transaction().await?;
    let id = apps::insert(&tx, opening.id, worker.id, "invited", false)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::AlreadyExists))?;
    apps::add_event(
        &tx,
        id,
        None,
        "invited",
        employer.account_id,
        "employer",
        body.note.trim(),
    )
    .await?;
    audit::record(
        &tx,
        &employer,
        audit_entry("invite", id, &worker.home_region),
    )
    .await?;
    tx.commit().await?;
    let a = apps::find(&client, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(HttpResponse::Created().json(view(&client, a, &[Side::Employer]).await?))
}

/// One application with its history; 404 for anyone not party to it.
#[utoipa::path(
    tag = "applications",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = ApplicationView), (status = 404, body = crate::error::ErrorBody))
)]
#[get("/applications/{id}")]
pub async fn get_application(
    state: web::Data<AppState>,
    user: Auth<AnyUser>,
    path: web::Path<i64>,
) -> ApiResult<web::Json<ApplicationView>> {
    let client = state.pool.get().await?;
    let a = apps::find(&client, path.into_inner())
        .await?
        .ok_or_else(ApiError::not_found)?;
    let sides = sides(&client, &user, &a).await?;
    if sides.is_empty() {
        return Err(ApiError::not_found());
    }
    Ok(web::Json(view(&client, a, &sides).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct TransitionRequest {
    /// The new state: applied, shortlisted, interviewing, offered, accepted, declined,
    /// rejected or withdrawn.
    pub to: String,
    #[serde(default)]
    pub note: String,
}

/// Applies a checked transition inside `tx`; enforces the opening's headcount on acceptance and
/// marks the opening filled when it is reached. Returns the new state.
async fn transition_in(
    tx: &deadpool_postgres::Transaction<'_>,
    user: &Principal,
    a: Application,
    to: State,
    side: Side,
    note: &str,
) -> ApiResult<State> {
    let from = State::parse(&a.state).ok_or_else(|| ApiError::internal("unknown state"))?;
    if to == State::Accepted {
        // Lock the opening so two acceptances cannot both take the last place.
        let headcount: i32 = tx
            .query_one(
                "SELECT headcount FROM openings WHERE id = $1 FOR UPDATE",
                &[&a.opening_id],
            )
            .await?
            .get(0);
        let accepted = apps::accepted_count(tx, a.opening_id).await?;
        if accepted >= i64::from(headcount) {
            return Err(ApiError::new(ErrorCode::CapacityReached)
                .with_extra(serde_json::json!({ "headcount": headcount })));
        }
        if accepted + 1 >= i64::from(headcount) {
            tx.execute(
                "UPDATE openings SET status = 'filled', version = version + 1, updated_at = now()
                 WHERE id = $1",
                &[&a.opening_id],
            )
            .await?;
            outbox::record_change(tx, Entity::Opening, a.opening_id).await?;
        }
    }
    let consent = side == Side::Worker && matches!(to, State::Applied | State::Accepted);
    apps::set_state(tx, a.id, to.as_str(), consent).await?;
    let role = user.role.as_str();
    apps::add_event(
        tx,
        a.id,
        Some(from.as_str()),
        to.as_str(),
        user.account_id,
        role,
        note,
    )
    .await?;
    audit::record(
        tx,
        user,
        AuditEntry {
            action: "transition",
            entity: "application",
            entity_id: a.id.to_string(),
            region_code: Some(&a.worker_home_region),
            details: serde_json::json!({ "from": from.as_str(), "to": to.as_str() }),
        },
    )
    .await?;
    Ok(to)
}

/// Moves an application to a new state. Impossible moves answer 409 `invalid_transition` with
/// the moves allowed to the caller in `extra.allowed`.
#[utoipa::path(
    tag = "applications",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    request_body = TransitionRequest,
    responses(
        (status = 200, body = ApplicationView),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "invalid_transition or capacity_reached"),
        (status = 422, body = crate::error::ErrorBody)
    )
)]
#[post("/applications/{id}/transitions")]
pub async fn transition(
    state: web::Data<AppState>,
    user: Auth<AnyUser>,
    path: web::Path<i64>,
    body: web::Json<TransitionRequest>,
) -> ApiResult<web::Json<ApplicationView>> {
    let to = State::parse(body.to.trim()).ok_or_else(|| ApiError::field("to", "unknown_state"))?;
    if body.note.chars().count() > 500 {
        return Err(ApiError::field("note", "too_long"));
    }
    let mut client = state.pool.get().await?;
    let id = path.into_inner();
    let current = apps::find(&client, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let sides = sides(&client, &user, &current).await?;
    if sides.is_empty() {
        return Err(ApiError::not_found());
    }
    let tx = client.transaction().await?;
    let a = apps::lock(&tx, id).await?.ok_or_else(ApiError::not_found)?;
    let from = State::parse(&a.state).ok_or_else(|| ApiError::internal("unknown state"))?;
    let Some(side) = sides.iter().copied().find(|s| from.allows(to, *s)) else {
        let mut allowed: Vec<&str> = sides.iter().flat_map(|s| from.allowed_for(*s)).collect();
        allowed.sort_unstable();
        return Err(ApiError::new(ErrorCode::InvalidTransition).with_extra(
            serde_json::json!({ "from": from.as_str(), "to": to.as_str(), "allowed": allowed }),
        ));
    };
    transition_in(&tx, &user, a, to, side, body.note.trim()).await?;
    tx.commit().await?;
    let a = apps::find(&client, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(web::Json(view(&client, a, &sides).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct ApplicationQuery {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The signed-in worker's applications and invitations, newest first.
#[utoipa::path(
    tag = "applications",
    security(("bearer" = [])),
    params(ApplicationQuery),
    responses((status = 200, body = Page<Application>))
)]
#[get("/me/applications")]
pub async fn my_applications(
    state: web::Data<AppState>,
    user: Auth<WorkerOnly>,
    query: web::Query<ApplicationQuery>,
) -> ApiResult<web::Json<Page<Application>>> {
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let limit = page.limit()?;
    let client = state.pool.get().await?;
    let Some(worker) = workers::find_by_account(&client, user.account_id).await? else {
        return Ok(web::Json(Page {
            items: vec![],
            next_cursor: None,
        }));
    };
    let rows = apps::list(&client, Some(worker.id), None, page.after_key()?, limit + 1).await?;
    Ok(web::Json(Page::from_overfetch(rows, limit, |a| a.id)))
}

/// An opening's applications (its employer, and staff).
#[utoipa::path(
    tag = "applications",
    security(("bearer" = [])),
    params(("id" = i64, Path), ApplicationQuery),
    responses((status = 200, body = Page<Application>), (status = 404, body = crate::error::ErrorBody))
)]
#[get("/openings/{id}/applications")]
pub async fn opening_applications(
    state: web::Data<AppState>,
    user: Auth<AnyUser>,
    path: web::Path<i64>,
    query: web::Query<ApplicationQuery>,
) -> ApiResult<web::Json<Page<Application>>> {
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let limit = page.limit()?;
    let client = state.pool.get().await?;
    let opening = openings::find(&client, path.into_inner())
        .await?
        .filter(|o| user.in_org(o.employer_id) || user.role == Role::Admin)
        .ok_or_else(ApiError::not_found)?;
    let rows = apps::list(
        &client,
        None,
        Some(opening.id),
        page.after_key()?,
        limit + 1,
    )
    .await?;
    Ok(web::Json(Page::from_overfetch(rows, limit, |a| a.id)))
}

#[derive(Deserialize, ToSchema)]
pub struct PlacementRequest {
    pub start_date: NaiveDate,
    /// Agreed monthly wage in yuan.
    pub agreed_wage: i32,
    pub contract_months: Option<i32>,
    /// Defaults to the opening's work region.
    pub work_region: Option<String>,
}

/// Records that an accepted worker started work. The worker leaves the match pool; follow-ups
/// are scheduled at the configured months.
#[utoipa::path(
    tag = "placements",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "application id")),
    request_body = PlacementRequest,
    responses(
        (status = 201, body = Placement),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "not accepted, or already placed"),
        (status = 422, body = crate::error::ErrorBody)
    )
)]
#[post("/applications/{id}/placement")]
pub async fn create_placement(
    state: web::Data<AppState>,
    user: Auth<AnyUser>,
    path: web::Path<i64>,
    body: web::Json<PlacementRequest>,
) -> ApiResult<HttpResponse> {
    let mut client = state.pool.get().await?;
    let a = apps::find(&client, path.into_inner())
        .await?
        .ok_or_else(ApiError::not_found)?;
    let allowed = match user.role {
        Role::Admin => true,
        Role::Employer => user.in_org(a.employer_id),
        Role::Officer => user.sees_region(&a.worker_home_region),
        _ => false,
    };
    if !allowed {
        return Err(ApiError::not_found());
    }
    if a.state != "accepted" {
        return Err(ApiError::new(ErrorCode::InvalidTransition)
            .with_extra(serde_json::json!({ "state": a.state, "needs": "accepted" })));
    }
    let opening = openings::find(&client, a.opening_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let mut p = Problems::default();
    if !(1..=200_000).contains(&body.agreed_wage) {
        p.add("agreed_wage", "out_of_range");
    }
    if let Some(m) = body.contract_months {
        if !(1..=120).contains(&m) {
            p.add("contract_months", "out_of_range_1_120");
        }
    }
    let work_region = body
        .work_region
        .clone()
        .unwrap_or(opening.work_region.clone());
    validate::region(&client, &mut p, "work_region", &work_region, false).await?;
    if body.start_date > validate::today() + chrono::Duration::days(366) {
        p.add("start_date", "more_than_a_year_ahead");
    }
    p.finish()?;
    let due = followup_due_dates(body.start_date, &state.settings.followup_months);
    let tx = client.transaction().await?;
    let id = apps::insert_placement(
        &tx,
        &apps::NewPlacement {
            application_id: a.id,
            worker_id: a.worker_id,
            opening_id: a.opening_id,
            employer_id: a.employer_id,
            start_date: body.start_date,
            agreed_wage: body.agreed_wage,
            contract_months: body.contract_months.or(opening.contract_months),
            work_region: &work_region,
        },
        &due,
    )
    .await?;
    workers::set_status(&tx, a.worker_id, "placed").await?;
    outbox::record_change(&tx, Entity::Worker, a.worker_id).await?;
    audit::record(
        &tx,
        &user,
        AuditEntry {
            action: "place",
            entity: "placement",
            entity_id: id.to_string(),
            region_code: Some(&a.worker_home_region),
            details: serde_json::json!({ "application_id": a.id }),
        },
    )
    .await?;
    let placement = apps::find_placement(&tx, id)
        .await?
        .ok_or_else(|| ApiError::internal("placement vanished"))?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(placement))
}

async fn placement_for(
    client: &deadpool_postgres::Client,
    user: &Principal,
    id: i64,
) -> ApiResult<(Placement, workers::Worker)> {
    let p = apps::find_placement(client, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let w = workers::find(client, p.worker_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let allowed = match user.role {
        Role::Admin => true,
        Role::Employer => user.in_org(p.employer_id),
        Role::Officer => user.sees_region(&w.home_region),
        Role::Worker => w.account_id == Some(user.account_id),
        Role::Center => false,
    };
    if !allowed {
        return Err(ApiError::not_found());
    }
    Ok((p, w))
}

/// A placement with its follow-ups.
#[utoipa::path(
    tag = "placements",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Placement), (status = 404, body = crate::error::ErrorBody))
)]
#[get("/placements/{id}")]
pub async fn get_placement(
    state: web::Data<AppState>,
    user: Auth<AnyUser>,
    path: web::Path<i64>,
) -> ApiResult<web::Json<Placement>> {
    let client = state.pool.get().await?;
    Ok(web::Json(
        placement_for(&client, &user, path.into_inner()).await?.0,
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct EndPlacementRequest {
    pub ended_on: NaiveDate,
    #[serde(default)]
    pub reason: String,
}

/// Ends a placement: the worker returns to the match pool (returnees are matched again).
#[utoipa::path(
    tag = "placements",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    request_body = EndPlacementRequest,
    responses(
        (status = 200, body = Placement),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "already ended"),
        (status = 422, body = crate::error::ErrorBody)
    )
)]
#[post("/placements/{id}/end")]
pub async fn end_placement(
    state: web::Data<AppState>,
    user: Auth<AnyUser>,
    path: web::Path<i64>,
    body: web::Json<EndPlacementRequest>,
) -> ApiResult<HttpResponse> {
    let mut client = state.pool.get().await?;
    let (p, w) = placement_for(&client, &user, path.into_inner()).await?;
    if user.role == Role::Worker {
        return Err(ApiError::forbidden());
    }
    if body.ended_on < p.start_date {
        return Err(ApiError::field("ended_on", "before_start_date"));
    }
    if body.reason.chars().count() > 500 {
        return Err(ApiError::field("reason", "too_long"));
    }
    let tx = client.transaction().await?;
    if !apps::end_placement(&tx, p.id, body.ended_on, body.reason.trim()).await? {
        return Err(ApiError::msg(
            ErrorCode::Conflict,
            "该就业记录已结束",
            "This placement has already ended",
        ));
    }
    workers::set_status(&tx, w.id, "available").await?;
    let change = outbox::record_change(&tx, Entity::Worker, w.id).await?;
    audit::record(
        &tx,
        &user,
        AuditEntry {
            action: "end",
            entity: "placement",
            entity_id: p.id.to_string(),
            region_code: Some(&w.home_region),
            details: serde_json::json!({ "reason": body.reason.trim() }),
        },
    )
    .await?;
    let placement = apps::find_placement(&tx, p.id)
        .await?
        .ok_or_else(|| ApiError::internal("placement vanished"))?;
    tx.commit().await?;
    Ok(HttpResponse::Ok()
        .insert_header(("X-Change", change.to_string()))
        .json(placement))
}

#[derive(Deserialize, ToSchema)]
pub struct FollowupRequest {
    /// same_employer | other_employer | not_working
    pub employment: String,
    /// Monthly wage in yuan (required unless not working).
    pub monthly_wage: Option<i32>,
    /// Wage slip or bank record reference.
    pub evidence_ref: Option<String>,
}

/// Records a follow-up: by the employer, an officer in scope, or the worker.
#[utoipa::path(
    tag = "placements",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "follow-up id")),
    request_body = FollowupRequest,
    responses(
        (status = 200, body = Placement),
        (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)
    )
)]
#[post("/followups/{id}")]
pub async fn record_followup(
    state: web::Data<AppState>,
    user: Auth<AnyUser>,
    path: web::Path<i64>,
    body: web::Json<FollowupRequest>,
) -> ApiResult<web::Json<Placement>> {
    let mut client = state.pool.get().await?;
    let ctx = apps::find_followup(&client, path.into_inner())
        .await?
        .ok_or_else(ApiError::not_found)?;
    let allowed = match user.role {
        Role::Admin => true,
        Role::Employer => user.in_org(ctx.employer_id),
        Role::Officer => user.sees_region(&ctx.worker_home),
        Role::Worker => ctx.worker_account == Some(user.account_id),
        Role::Center => false,
    };
    if !allowed {
        return Err(ApiError::not_found());
    }
    let mut p = Problems::default();
    let employment = body.employment.trim();
    if !["same_employer", "other_employer", "not_working"].contains(&employment) {
        p.add("employment", "unknown_employment");
    }
    match body.monthly_wage {
        Some(w) if !(0..=200_000).contains(&w) => p.add("monthly_wage", "out_of_range"),
        None if employment != "not_working" => p.add("monthly_wage", "required_when_working"),
        _ => {}
    }
    let evidence = body
        .evidence_ref
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty());
    if evidence.map(|e| e.chars().count() > 100).unwrap_or(false) {
        p.add("evidence_ref", "too_long");
    }
    p.finish()?;
    let tx = client.transaction().await?;
    apps::record_followup(
        &tx,
        ctx.followup.id,
        user.account_id,
        user.role.as_str(),
        employment,
        body.monthly_wage,
        evidence,
    )
    .await?;
    audit::record(
        &tx,
        &user,
        AuditEntry {
            action: "followup",
            entity: "placement",
            entity_id: ctx.followup.placement_id.to_string(),
            region_code: Some(&ctx.worker_home),
            details: serde_json::json!({ "due_month": ctx.followup.due_month, "employment": employment }),
        },
    )
    .await?;
    let placement = apps::find_placement(&tx, ctx.followup.placement_id)
        .await?
        .ok_or_else(|| ApiError::internal("placement vanished"))?;
    tx.commit().await?;
    Ok(web::Json(placement))
}

#[derive(Deserialize, IntoParams)]
pub struct DueQuery {
    /// Include follow-ups due within this many days from today (default 7, at most 366).
    pub within_days: Option<i64>,
    /// 1..=100, default 100.
    pub limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct DueList {
    pub until: NaiveDate,
    pub items: Vec<DueFollowup>,
}

/// Follow-ups not yet recorded and due soon (overdue ones flagged): officers see their region's
/// workers, employers their own placements.
#[utoipa::path(
    tag = "placements",
    security(("bearer" = [])),
    params(DueQuery),
    responses((status = 200, body = DueList), (status = 403, body = crate::error::ErrorBody))
)]
#[get("/followups/due")]
pub async fn due_followups(
    state: web::Data<AppState>,
    user: Auth<AnyUser>,
    query: web::Query<DueQuery>,
) -> ApiResult<web::Json<DueList>> {
    let days = query.within_days.unwrap_or(7);
    if !(0..=366).contains(&days) {
        return Err(ApiError::field("within_days", "out_of_range_0_366"));
    }
    let limit = query.limit.unwrap_or(100);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::field("limit", "limit_out_of_range"));
    }
    let (scope, employer) = match user.role {
        Role::Admin => (None, None),
        Role::Officer => (user.region_scope().map(str::to_string), None),
        Role::Employer => (None, user.organization_id),
        _ => return Err(ApiError::forbidden()),
    };
    let today = validate::today();
    let until = today + chrono::Duration::days(days);
    let client = state.pool.get().await?;
    let items = apps::due(&client, scope.as_deref(), employer, until, today, limit).await?;
    Ok(web::Json(DueList { until, items }))
}

#[derive(Deserialize, ToSchema)]
pub struct DispatchRequest {
    pub departure_date: NaiveDate,
    pub from_county: String,
    /// Destination city (any region level).
    pub to_region: String,
    #[serde(default)]
    pub transport: String,
    /// Accepted applications travelling together.
    pub application_ids: Vec<i64>,
}

/// Groups accepted workers into a dispatch that travels together.
#[utoipa::path(
    tag = "placements",
    security(("bearer" = [])),
    request_body = DispatchRequest,
    responses(
        (status = 201, body = apps::Dispatch),
        (status = 422, body = crate::error::ErrorBody)
    )
)]
#[post("/dispatches")]
pub async fn create_dispatch(
    state: web::Data<AppState>,
    user: Auth<AnyUser>,
    body: web::Json<DispatchRequest>,
) -> ApiResult<HttpResponse> {
    if !matches!(user.role, Role::Employer | Role::Officer | Role::Admin) {
        return Err(ApiError::forbidden());
    }
    let mut client = state.pool.get().await?;
    let mut p = Problems::default();
    validate::region(&client, &mut p, "from_county", &body.from_county, true).await?;
    validate::region(&client, &mut p, "to_region", &body.to_region, false).await?;
    if body.transport.chars().count() > 100 {
        p.add("transport", "too_long");
    }
    if body.application_ids.is_empty() || body.application_ids.len() > 500 {
        p.add("application_ids", "between_1_and_500");
    }
    for (i, id) in body.application_ids.iter().enumerate() {
        let ok = match apps::find(&client, *id).await? {
            Some(a) => {
                a.state == "accepted"
                    && match user.role {
                        Role::Employer => user.in_org(a.employer_id),
                        Role::Officer => user.sees_region(&a.worker_home_region),
                        _ => true,
                    }
            }
            None => false,
        };
        if !ok {
            p.add(
                format!("application_ids[{i}]"),
                "not_an_accepted_application_of_yours",
            );
        }
    }
    p.finish()?;
    if user.role == Role::Officer
        && RegionCode::parse(&body.from_county).is_ok()
        && !user.sees_region(&body.from_county)
    {
        return Err(ApiError::forbidden());
    }
    let tx = client.transaction().await?;
    let id = apps::insert_dispatch(
        &tx,
        body.departure_date,
        &body.from_county,
        &body.to_region,
        body.transport.trim(),
        user.account_id,
        &body.application_ids,
    )
    .await?;
    audit::record(
        &tx,
        &user,
        AuditEntry {
            action: "create",
            entity: "dispatch",
            entity_id: id.to_string(),
            region_code: Some(&body.from_county),
            details: serde_json::json!({ "members": body.application_ids.len() }),
        },
    )
    .await?;
    let dispatch = apps::find_dispatch(&tx, id)
        .await?
        .ok_or_else(|| ApiError::internal("dispatch vanished"))?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(dispatch))
}

#[cfg(test)]
mod tests {
    use super::followup_due_dates;
    use chrono::NaiveDate;

    #[test]
    fn month_end_starts() {
        let start = NaiveDate::from_ymd_opt(2027, 1, 31).unwrap();
        let due = followup_due_dates(start, &[1, 3, 6, 12]);
        let dates: Vec<String> = due.iter().map(|(_, d)| d.to_string()).collect();
        assert_eq!(
            dates,
            ["2027-02-28", "2027-04-30", "2027-07-31", "2028-01-31"]
        );
        let leap = followup_due_dates(NaiveDate::from_ymd_opt(2028, 1, 31).unwrap(), &[1]);
        assert_eq!(leap[0].1.to_string(), "2028-02-29");
    }
}
