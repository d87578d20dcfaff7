//! Employers' openings: posted, changed (within `domain::openings`' rules), read and listed.

use super::{check_version, transition_refused, Written};
use crate::auth::policy::{self, OpeningList};
use crate::auth::Principal;
use crate::db::applications as apps;
use crate::db::audit::{self, AuditEntry};
use crate::db::openings::{self, Opening, OpeningInput};
use crate::db::outbox::{self, Entity};
use crate::domain::openings::{check_change, check_new, OpeningRefused, OpeningStatus};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::state::AppState;
use crate::validate;

fn audit_entry<'a>(action: &'a str, o: &'a Opening) -> AuditEntry<'a> {
    AuditEntry {
        action,
        entity: "opening",
        entity_id: o.id.to_string(),
        region_code: Some(&o.work_region),
        details: serde_json::json!({ "status": o.status }),
    }
}

fn refused(r: OpeningRefused) -> ApiError {
    match r {
        OpeningRefused::Transition { from, to, allowed } => {
            transition_refused(from.map(OpeningStatus::as_str), to.as_str(), allowed)
        }
        OpeningRefused::HeadcountBelowAccepted { accepted } => {
            ApiError::validation(vec![FieldError {
                field: "headcount".into(),
                reason: "below_accepted_applications".into(),
            }])
            .with_extra(serde_json::json!({ "accepted": accepted }))
        }
    }
}

fn status_of(raw: &str) -> ApiResult<OpeningStatus> {
    OpeningStatus::parse(raw).ok_or_else(|| ApiError::field("status", "unknown_status"))
}

/// An employer posts an opening (a draft, or open at once).
pub async fn create(
    state: &AppState,
    p: &Principal,
    input: &OpeningInput,
) -> ApiResult<Written<Opening>> {
    let employer_id = policy::employer_of_new_opening(p)?;
    let mut client = state.pool.get().await?;
    validate::opening(&client, input).await?;
    check_new(status_of(&input.status)?).map_err(refused)?;
    let tx = client.transaction().await?;
    let id = openings::insert(&tx, employer_id, input).await?;
    let change = outbox::record_change(&tx, Entity::Opening, id).await?;
    let opening = openings::find(&tx, id)
        .await?
        .ok_or_else(|| ApiError::internal("opening vanished"))?;
    audit::record(&tx, p, audit_entry("create", &opening)).await?;
    tx.commit().await?;
    Ok(Written {
        value: opening,
        change: Some(change),
    })
}

pub async fn get(state: &AppState, p: &Principal, id: i64) -> ApiResult<Opening> {
    let client = state.pool.get().await?;
    let opening = openings::find(&client, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    policy::may_read_opening(p, &opening)?;
    Ok(opening)
}

/// The employer replaces an opening (its status included), if it is still the `expected`
/// version. The headcount never drops below the accepted applications; see
/// `domain::openings` for the status moves.
pub async fn update(
    state: &AppState,
    p: &Principal,
    id: i64,
    input: &OpeningInput,
    expected: Option<i32>,
) -> ApiResult<Written<Opening>> {
    let mut client = state.pool.get().await?;
    validate::opening(&client, input).await?;
    let to = status_of(&input.status)?;
    let tx = client.transaction().await?;
    // Locked: an acceptance racing this change waits, and counts against the new headcount.
    let current = openings::lock(&tx, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    policy::may_change_opening(p, &current)?;
    check_version(expected, current.version)?;
    let from = status_of(&current.status)?;
    let accepted = apps::accepted_count(&tx, id).await?;
    let status = check_change(from, to, input.headcount, accepted).map_err(refused)?;
    let decided = OpeningInput {
        status: status.as_str().to_string(),
        ..input.clone()
    };
    openings::update(&tx, id, &decided).await?;
    let change = outbox::record_change(&tx, Entity::Opening, id).await?;
    let opening = openings::find(&tx, id)
        .await?
        .ok_or_else(|| ApiError::internal("opening vanished"))?;
    audit::record(&tx, p, audit_entry("update", &opening)).await?;
    tx.commit().await?;
    Ok(Written {
        value: opening,
        change: Some(change),
    })
}

/// Employers see all their own openings; everyone else the open ones.
pub async fn list(
    state: &AppState,
    p: &Principal,
    after: Option<i64>,
    limit: i64,
) -> ApiResult<Vec<Opening>> {
    let employer = match policy::opening_list(p) {
        OpeningList::OwnedBy(org) => Some(org),
        OpeningList::Open => None,
    };
    let client = state.pool.get().await?;
    Ok(openings::list(&client, employer, after, limit).await?)
}
