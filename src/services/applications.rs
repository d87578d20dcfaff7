//! Applications and invitations: applying, inviting, and every state change, checked against
//! `domain::application_state` and the opening's headcount.

use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{policy, Principal};
use crate::db::applications::{self as apps, Application, Event};
use crate::db::audit::{self, AuditEntry};
use crate::db::outbox::{self, Entity};
use crate::db::{openings, workers};
use crate::domain::application_state::{AppState as State, Side};
use crate::domain::openings::{fills_on_acceptance, OpeningStatus};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;

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

#[derive(Deserialize, ToSchema)]
pub struct InviteRequest {
    pub worker_id: i64,
    #[serde(default)]
    pub note: String,
}

#[derive(Deserialize, ToSchema)]
pub struct TransitionRequest {
    /// The new state: applied, shortlisted, interviewing, offered, accepted, declined,
    /// rejected or withdrawn.
    pub to: String,
    #[serde(default)]
    pub note: String,
}

fn state_of(a: &Application) -> ApiResult<State> {
    State::parse(&a.state).ok_or_else(|| ApiError::internal("unknown state"))
}

async fn view(
    client: &impl GenericClient,
    a: Application,
    sides: &[Side],
) -> ApiResult<ApplicationView> {
    let state = state_of(&a)?;
    let mut allowed: Vec<&'static str> = sides.iter().flat_map(|s| state.allowed_for(*s)).collect();
    allowed.sort_unstable();
    allowed.dedup();
    let worker_phone = if policy::sees_applicant_phone(sides, a.worker_consented) {
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

async fn load(client: &impl GenericClient, id: i64) -> ApiResult<Application> {
    apps::find(client, id)
        .await?
        .ok_or_else(ApiError::not_found)
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

/// A worker applies to an open opening. Applying twice answers the existing application
/// (`created` false); applying to an opening one was invited to accepts the invitation.
pub async fn apply(
    state: &AppState,
    p: &Principal,
    opening_id: i64,
) -> ApiResult<(bool, ApplicationView)> {
    policy::may_apply(p)?;
    let mut client = state.pool.get().await?;
    let worker = workers::find_by_account(&client, p.account_id)
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
        .filter(|o| o.status == OpeningStatus::Open.as_str())
        .ok_or_else(ApiError::not_found)?;
    let tx = client.transaction().await?;
    if let Some(existing) = apps::find_for(&tx, opening.id, worker.id).await? {
        if state_of(&existing)? == State::Invited {
            let id = existing.id;
            transition_in(&tx, p, existing, State::Applied, Side::Worker, "").await?;
            tx.commit().await?;
            let a = load(&client, id).await?;
            return Ok((false, view(&client, a, &[Side::Worker]).await?));
        }
        drop(tx);
        let sides = policy::application_sides(p, &existing);
        return Ok((false, view(&client, existing, &sides).await?));
    }
    let id = apps::insert(&tx, opening.id, worker.id, State::Applied.as_str(), true)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::Conflict))?;
    apps::add_event(
        &tx,
        id,
        None,
        State::Applied.as_str(),
        p.account_id,
        p.role_name(),
        "",
    )
    .await?;
    audit::record(&tx, p, audit_entry("apply", id, &worker.home_region)).await?;
    tx.commit().await?;
    let a = load(&client, id).await?;
    Ok((true, view(&client, a, &[Side::Worker]).await?))
}

/// The employer invites a worker (typically from its candidate list) to one of its openings.
pub async fn invite(
    state: &AppState,
    p: &Principal,
    opening_id: i64,
    req: &InviteRequest,
) -> ApiResult<ApplicationView> {
    crate::validate::plain_text(&[("note", &req.note)])?;
    let mut client = state.pool.get().await?;
    let opening = openings::find(&client, opening_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    policy::may_invite(p, &opening)?;
    if opening.status != OpeningStatus::Open.as_str() {
        return Err(ApiError::msg(
            ErrorCode::Conflict,
            "岗位未开放",
            "The opening is not open",
        ));
    }
    let worker = workers::find(&client, req.worker_id)
        .await?
        .filter(|w| w.status == "available")
        .ok_or_else(|| ApiError::field("worker_id", "unknown_or_unavailable_worker"))?;
    if req.note.chars().count() > 500 {
        return Err(ApiError::field("note", "too_long"));
    }
    let tx = client.transaction().await?;
    let id = apps::insert(&tx, opening.id, worker.id, State::Invited.as_str(), false)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::AlreadyExists))?;
    apps::add_event(
        &tx,
        id,
        None,
        State::Invited.as_str(),
        p.account_id,
        p.role_name(),
        req.note.trim(),
    )
    .await?;
    audit::record(&tx, p, audit_entry("invite", id, &worker.home_region)).await?;
    tx.commit().await?;
    let a = load(&client, id).await?;
    view(&client, a, &[Side::Employer]).await
}

/// One application with its history; 404 for anyone not party to it.
pub async fn get(state: &AppState, p: &Principal, id: i64) -> ApiResult<ApplicationView> {
    let client = state.pool.get().await?;
    let a = load(&client, id).await?;
    let sides = policy::may_read_application(p, &a)?;
    view(&client, a, &sides).await
}

/// Applies a checked transition inside `tx`; enforces the opening's headcount on acceptance and
/// marks the opening filled when it is reached.
async fn transition_in(
    tx: &deadpool_postgres::Transaction<'_>,
    p: &Principal,
    a: Application,
    to: State,
    side: Side,
    note: &str,
) -> ApiResult<State> {
    let from = state_of(&a)?;
    if to == State::Accepted {
        // Lock the opening so two acceptances cannot both take the last place.
        let opening = openings::lock(tx, a.opening_id)
            .await?
            .ok_or_else(ApiError::not_found)?;
        let accepted = apps::accepted_count(tx, a.opening_id).await?;
        if accepted >= i64::from(opening.headcount) {
            return Err(ApiError::new(ErrorCode::CapacityReached)
                .with_extra(serde_json::json!({ "headcount": opening.headcount })));
        }
        if fills_on_acceptance(opening.headcount, accepted) {
            openings::set_status(tx, a.opening_id, OpeningStatus::Filled.as_str()).await?;
            outbox::record_change(tx, Entity::Opening, a.opening_id).await?;
        }
    }
    let consent = side == Side::Worker && matches!(to, State::Applied | State::Accepted);
    apps::set_state(tx, a.id, to.as_str(), consent).await?;
    apps::add_event(
        tx,
        a.id,
        Some(from.as_str()),
        to.as_str(),
        p.account_id,
        p.role_name(),
        note,
    )
    .await?;
    audit::record(
        tx,
        p,
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
pub async fn transition(
    state: &AppState,
    p: &Principal,
    id: i64,
    req: &TransitionRequest,
) -> ApiResult<ApplicationView> {
    let to = State::parse(req.to.trim()).ok_or_else(|| ApiError::field("to", "unknown_state"))?;
    if req.note.chars().count() > 500 {
        return Err(ApiError::field("note", "too_long"));
    }
    crate::validate::plain_text(&[("note", &req.note)])?;
    let mut client = state.pool.get().await?;
    let current = load(&client, id).await?;
    let sides = policy::may_read_application(p, &current)?;
    let tx = client.transaction().await?;
    let a = apps::lock(&tx, id).await?.ok_or_else(ApiError::not_found)?;
    let from = state_of(&a)?;
    let Some(side) = sides.iter().copied().find(|s| from.allows(to, *s)) else {
        let mut allowed: Vec<&str> = sides.iter().flat_map(|s| from.allowed_for(*s)).collect();
        allowed.sort_unstable();
        return Err(ApiError::new(ErrorCode::InvalidTransition).with_extra(
            serde_json::json!({ "from": from.as_str(), "to": to.as_str(), "allowed": allowed }),
        ));
    };
    transition_in(&tx, p, a, to, side, req.note.trim()).await?;
    tx.commit().await?;
    let a = load(&client, id).await?;
    view(&client, a, &sides).await
}

/// The caller's own applications and invitations (a worker's), newest first.
pub async fn mine(
    state: &AppState,
    p: &Principal,
    before: Option<i64>,
    limit: i64,
) -> ApiResult<Vec<Application>> {
    policy::may_keep_own_profile(p)?;
    let client = state.pool.get().await?;
    let Some(worker) = workers::find_by_account(&client, p.account_id).await? else {
        return Ok(Vec::new());
    };
    Ok(apps::list(&client, Some(worker.id), None, before, limit).await?)
}

/// An opening's applications, newest first (its employer, and admins).
pub async fn of_opening(
    state: &AppState,
    p: &Principal,
    opening_id: i64,
    before: Option<i64>,
    limit: i64,
) -> ApiResult<Vec<Application>> {
    let client = state.pool.get().await?;
    let opening = openings::find(&client, opening_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    policy::may_list_applications(p, &opening)?;
    Ok(apps::list(&client, None, Some(opening.id), before, limit).await?)
}

/// The masked names (surname only, as candidate lists show them) of the workers of
/// applications the caller may read, by worker id.
pub async fn masked_names(
    state: &AppState,
    p: &Principal,
    applications: &[Application],
) -> ApiResult<std::collections::HashMap<i64, String>> {
    let client = state.pool.get().await?;
    let mut names = std::collections::HashMap::new();
    for a in applications {
        if policy::may_read_application(p, a).is_err() {
            continue;
        }
        if let Some(w) = workers::find(&client, a.worker_id).await? {
            names.insert(a.worker_id, crate::search::documents::mask_name(&w.name));
        }
    }
    Ok(names)
}
