//! Placements, follow-ups and dispatches: a worker starts work (leaving the match pool), is
//! followed up at fixed months, and returns to the pool when the placement ends.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Written;
use crate::auth::policy::{self, FollowupList};
use crate::auth::Principal;
use crate::db::applications::{self as apps, DueFollowup, DueOf, Placement};
use crate::db::audit::{self, AuditEntry};
use crate::db::outbox::{self, Entity};
use crate::db::{openings, workers};
use crate::domain::application_state::AppState as State;
use crate::domain::placements::{followup_due_dates, may_become_placement, valid_end};
use crate::domain::worker_status::WorkerStatus;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;
use crate::validate::{self, Problems};

#[derive(Deserialize, ToSchema)]
pub struct PlacementRequest {
    pub start_date: NaiveDate,
    /// Agreed monthly wage in yuan.
    pub agreed_wage: i32,
    pub contract_months: Option<i32>,
    /// Defaults to the opening's work region.
    pub work_region: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct EndPlacementRequest {
    pub ended_on: NaiveDate,
    #[serde(default)]
    pub reason: String,
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

#[derive(Serialize, ToSchema)]
pub struct DueList {
    pub until: NaiveDate,
    pub items: Vec<DueFollowup>,
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

/// Records that an accepted worker started work: the worker is placed (leaving the match
/// pool), and follow-ups are scheduled at the configured months.
pub async fn place(
    state: &AppState,
    p: &Principal,
    application_id: i64,
    req: &PlacementRequest,
) -> ApiResult<Placement> {
    let mut client = state.pool.get().await?;
    let a = apps::find(&client, application_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    policy::may_place(p, &a)?;
    if !State::parse(&a.state).is_some_and(may_become_placement) {
        return Err(ApiError::new(ErrorCode::InvalidTransition)
            .with_extra(serde_json::json!({ "state": a.state, "needs": "accepted" })));
    }
    let opening = openings::find(&client, a.opening_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let mut problems = Problems::default();
    if !(1..=200_000).contains(&req.agreed_wage) {
        problems.add("agreed_wage", "out_of_range");
    }
    if let Some(m) = req.contract_months {
        if !(1..=120).contains(&m) {
            problems.add("contract_months", "out_of_range_1_120");
        }
    }
    let work_region = req
        .work_region
        .clone()
        .unwrap_or(opening.work_region.clone());
    validate::region(&client, &mut problems, "work_region", &work_region, false).await?;
    if req.start_date > validate::today() + chrono::Duration::days(366) {
        problems.add("start_date", "more_than_a_year_ahead");
    }
    problems.finish()?;
    let due = followup_due_dates(req.start_date, &state.settings.followup_months);
    let tx = client.transaction().await?;
    let id = apps::insert_placement(
        &tx,
        &apps::NewPlacement {
            application_id: a.id,
            worker_id: a.worker_id,
            opening_id: a.opening_id,
            employer_id: a.employer_id,
            start_date: req.start_date,
            agreed_wage: req.agreed_wage,
            contract_months: req.contract_months.or(opening.contract_months),
            work_region: &work_region,
        },
        &due,
    )
    .await?;
    workers::set_status(&tx, a.worker_id, WorkerStatus::Placed.as_str()).await?;
    outbox::record_change(&tx, Entity::Worker, a.worker_id).await?;
    audit::record(
        &tx,
        p,
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
    Ok(placement)
}

async fn placement_and_worker(
    client: &impl deadpool_postgres::GenericClient,
    id: i64,
) -> ApiResult<(Placement, workers::Worker)> {
    let placement = apps::find_placement(client, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let worker = workers::find(client, placement.worker_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok((placement, worker))
}

/// A placement with its follow-ups.
pub async fn get(state: &AppState, p: &Principal, id: i64) -> ApiResult<Placement> {
    let client = state.pool.get().await?;
    let (placement, worker) = placement_and_worker(&client, id).await?;
    policy::may_read_placement(p, &placement, &worker)?;
    Ok(placement)
}

/// Ends a placement: the worker returns to the match pool (returnees are matched again).
pub async fn end(
    state: &AppState,
    p: &Principal,
    id: i64,
    req: &EndPlacementRequest,
) -> ApiResult<Written<Placement>> {
    let mut client = state.pool.get().await?;
    let (placement, worker) = placement_and_worker(&client, id).await?;
    policy::may_end_placement(p, &placement, &worker)?;
    if !valid_end(placement.start_date, req.ended_on) {
        return Err(ApiError::field("ended_on", "before_start_date"));
    }
    if req.reason.chars().count() > 500 {
        return Err(ApiError::field("reason", "too_long"));
    }
    validate::plain_text(&[("reason", &req.reason)])?;
    let tx = client.transaction().await?;
    if !apps::end_placement(&tx, placement.id, req.ended_on, req.reason.trim()).await? {
        return Err(ApiError::msg(
            ErrorCode::Conflict,
            "该就业记录已结束",
            "This placement has already ended",
        ));
    }
    workers::set_status(&tx, worker.id, WorkerStatus::Available.as_str()).await?;
    let change = outbox::record_change(&tx, Entity::Worker, worker.id).await?;
    audit::record(
        &tx,
        p,
        AuditEntry {
            action: "end",
            entity: "placement",
            entity_id: placement.id.to_string(),
            region_code: Some(&worker.home_region),
            details: serde_json::json!({ "reason": req.reason.trim() }),
        },
    )
    .await?;
    let placement = apps::find_placement(&tx, placement.id)
        .await?
        .ok_or_else(|| ApiError::internal("placement vanished"))?;
    tx.commit().await?;
    Ok(Written {
        value: placement,
        change: Some(change),
    })
}

/// Records a follow-up: by the employer, an officer in scope, or the worker.
pub async fn record_followup(
    state: &AppState,
    p: &Principal,
    followup_id: i64,
    req: &FollowupRequest,
) -> ApiResult<Placement> {
    let mut client = state.pool.get().await?;
    let ctx = apps::find_followup(&client, followup_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    policy::may_record_followup(p, &ctx)?;
    let mut problems = Problems::default();
    problems.plain("evidence_ref", req.evidence_ref.as_deref().unwrap_or(""));
    let employment = req.employment.trim();
    if !["same_employer", "other_employer", "not_working"].contains(&employment) {
        problems.add("employment", "unknown_employment");
    }
    match req.monthly_wage {
        Some(w) if !(0..=200_000).contains(&w) => problems.add("monthly_wage", "out_of_range"),
        None if employment != "not_working" => {
            problems.add("monthly_wage", "required_when_working")
        }
        _ => {}
    }
    let evidence = req
        .evidence_ref
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty());
    if evidence.is_some_and(|e| e.chars().count() > 100) {
        problems.add("evidence_ref", "too_long");
    }
    problems.finish()?;
    let tx = client.transaction().await?;
    apps::record_followup(
        &tx,
        ctx.followup.id,
        p.account_id,
        p.role_name(),
        employment,
        req.monthly_wage,
        evidence,
    )
    .await?;
    audit::record(
        &tx,
        p,
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
    Ok(placement)
}

/// Follow-ups not yet recorded and due within `within_days` (overdue ones flagged): officers
/// see their region's workers, employers their own placements.
pub async fn due(
    state: &AppState,
    p: &Principal,
    within_days: i64,
    limit: i64,
) -> ApiResult<DueList> {
    let list = policy::followup_list(p)?;
    if !(0..=366).contains(&within_days) {
        return Err(ApiError::field("within_days", "out_of_range_0_366"));
    }
    if !(1..=100).contains(&limit) {
        return Err(ApiError::field("limit", "limit_out_of_range"));
    }
    let of = match &list {
        FollowupList::All => DueOf::All,
        FollowupList::WorkersOf(region) => DueOf::WorkersWithin(region.as_str()),
        FollowupList::PlacementsOf(employer) => DueOf::Employer(*employer),
    };
    let today = validate::today();
    let until = today + chrono::Duration::days(within_days);
    let client = state.pool.get().await?;
    let items = apps::due(&client, of, until, today, limit).await?;
    Ok(DueList { until, items })
}

/// Groups accepted workers into a dispatch that travels together.
pub async fn dispatch(
    state: &AppState,
    p: &Principal,
    req: &DispatchRequest,
) -> ApiResult<apps::Dispatch> {
    policy::may_organize_dispatch(p, &req.from_county)?;
    let mut client = state.pool.get().await?;
    let mut problems = Problems::default();
    problems.plain("transport", &req.transport);
    validate::region(
        &client,
        &mut problems,
        "from_county",
        &req.from_county,
        true,
    )
    .await?;
    validate::region(&client, &mut problems, "to_region", &req.to_region, false).await?;
    if req.transport.chars().count() > 100 {
        problems.add("transport", "too_long");
    }
    if req.application_ids.is_empty() || req.application_ids.len() > 500 {
        problems.add("application_ids", "between_1_and_500");
    }
    for (i, id) in req.application_ids.iter().enumerate() {
        let ok = match apps::find(&client, *id).await? {
            Some(a) => a.state == State::Accepted.as_str() && policy::may_dispatch(p, &a),
            None => false,
        };
        if !ok {
            problems.add(
                format!("application_ids[{i}]"),
                "not_an_accepted_application_of_yours",
            );
        }
    }
    problems.finish()?;
    let tx = client.transaction().await?;
    let id = apps::insert_dispatch(
        &tx,
        req.departure_date,
        &req.from_county,
        &req.to_region,
        req.transport.trim(),
        p.account_id,
        &req.application_ids,
    )
    .await?;
    audit::record(
        &tx,
        p,
        AuditEntry {
            action: "create",
            entity: "dispatch",
            entity_id: id.to_string(),
            region_code: Some(&req.from_county),
            details: serde_json::json!({ "members": req.application_ids.len() }),
        },
    )
    .await?;
    let dispatch = apps::find_dispatch(&tx, id)
        .await?
        .ok_or_else(|| ApiError::internal("dispatch vanished"))?;
    tx.commit().await?;
    Ok(dispatch)
}

/// The caller's own placements (a worker's), newest first, each with its opening's title.
pub async fn mine(state: &AppState, p: &Principal) -> ApiResult<Vec<(String, Placement)>> {
    policy::may_keep_own_profile(p)?;
    let client = state.pool.get().await?;
    let Some(worker) = workers::find_by_account(&client, p.account_id).await? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (id, title) in apps::placements_of_worker(&client, worker.id).await? {
        let Some(placement) = apps::find_placement(&client, id).await? else {
            continue;
        };
        policy::may_read_placement(p, &placement, &worker)?;
        out.push((title, placement));
    }
    Ok(out)
}

/// One follow-up, for whoever may record it (the answer form shows it first).
pub async fn followup(
    state: &AppState,
    p: &Principal,
    followup_id: i64,
) -> ApiResult<apps::Followup> {
    let client = state.pool.get().await?;
    let ctx = apps::find_followup(&client, followup_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    policy::may_record_followup(p, &ctx)?;
    Ok(ctx.followup)
}

/// The placement recorded for an application, for whoever may read it; `None` when there is
/// none yet.
pub async fn of_application(
    state: &AppState,
    p: &Principal,
    application_id: i64,
) -> ApiResult<Option<Placement>> {
    let client = state.pool.get().await?;
    let Some(id) = apps::placement_of_application(&client, application_id).await? else {
        return Ok(None);
    };
    let (placement, worker) = placement_and_worker(&client, id).await?;
    policy::may_read_placement(p, &placement, &worker)?;
    Ok(Some(placement))
}
