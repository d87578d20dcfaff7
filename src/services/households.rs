//! Households, registered and kept by county offices. A household's status is its members'
//! equity factor in matching, so every change enqueues its members for the index in the same
//! transaction (the route's `X-Change`, the import report's `change`).

use deadpool_postgres::GenericClient;

use super::{check_version, Written};
use crate::auth::{policy, Principal};
use crate::db::audit::{self, AuditEntry};
use crate::db::households::{self, Household, HouseholdInput, Upsert};
use crate::db::outbox;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::validate;

fn audit_entry<'a>(
    action: &'a str,
    h: &'a Household,
    details: serde_json::Value,
) -> AuditEntry<'a> {
    AuditEntry {
        action,
        entity: "household",
        entity_id: h.id.to_string(),
        region_code: Some(&h.county_code),
        details,
    }
}

fn registry(h: &Household) -> serde_json::Value {
    serde_json::json!({ "registry_number": h.registry_number })
}

/// Registers a household in the caller's region.
pub async fn create(
    state: &AppState,
    p: &Principal,
    input: &HouseholdInput,
) -> ApiResult<Household> {
    let mut client = state.pool.get().await?;
    validate::household(&client, input).await?.finish()?;
    policy::may_register_household(p, &input.county_code)?;
    let tx = client.transaction().await?;
    let household = households::insert(&tx, input).await?;
    audit::record(
        &tx,
        p,
        audit_entry("create", &household, registry(&household)),
    )
    .await?;
    tx.commit().await?;
    Ok(household)
}

/// One household; outside the caller's region it does not exist.
pub async fn get(state: &AppState, p: &Principal, id: i64) -> ApiResult<Household> {
    let client = state.pool.get().await?;
    let household = households::find(&client, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    policy::may_read_household(p, &household)?;
    Ok(household)
}

/// Replaces a household's data (it must stay inside the caller's region), if it is still the
/// `expected` version; its members are re-indexed with the new status.
pub async fn update(
    state: &AppState,
    p: &Principal,
    id: i64,
    input: &HouseholdInput,
    expected: Option<i32>,
) -> ApiResult<Written<Household>> {
    let mut client = state.pool.get().await?;
    validate::household(&client, input).await?.finish()?;
    let tx = client.transaction().await?;
    let current = households::lock(&tx, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    policy::may_change_household(p, &current, &input.county_code)?;
    check_version(expected, current.version)?;
    let household = households::update(&tx, id, input)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let change = outbox::record_household_members(&tx, id).await?;
    audit::record(
        &tx,
        p,
        audit_entry("update", &household, registry(&household)),
    )
    .await?;
    tx.commit().await?;
    Ok(Written {
        value: household,
        change,
    })
}

/// Households in the caller's region, by id after `after`.
pub async fn list(
    state: &AppState,
    p: &Principal,
    status: Option<&str>,
    after: Option<i64>,
    limit: i64,
) -> ApiResult<Vec<Household>> {
    let scope = policy::household_list(p)?;
    validate::status_filter(status, &households::STATUSES)?;
    let client = state.pool.get().await?;
    Ok(households::list(&client, &scope, status, after, limit).await?)
}

/// One valid import row, inside the import's transaction: upserted on the registry number, its
/// members enqueued for the index when it changed, audited. The caller has checked the row
/// lies inside the importer's region (`policy::may_register_household`).
pub async fn import_row(
    client: &impl GenericClient,
    p: &Principal,
    row: usize,
    input: &HouseholdInput,
) -> ApiResult<(Upsert, Option<i64>)> {
    let (household, outcome) = households::upsert(client, input).await?;
    if outcome == Upsert::Unchanged {
        return Ok((outcome, None));
    }
    // A new household has no members yet.
    let change = match outcome {
        Upsert::Updated => outbox::record_household_members(client, household.id).await?,
        _ => None,
    };
    audit::record(
        client,
        p,
        audit_entry("import", &household, serde_json::json!({ "row": row })),
    )
    .await?;
    Ok((outcome, change))
}
