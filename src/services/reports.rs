//! Program staff's reports: household incomes against the monitoring line, subsidy
//! eligibility, and outcome statistics, each over the caller's region.

use chrono::NaiveDate;

use crate::auth::{policy, Principal};
use crate::db::reports::{self, GroupBy, HouseholdOutcome, OutcomeRow, SubsidyEligible};
use crate::domain::RegionCode;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Households whose estimated per-capita income crossed the monitoring line `line`.
pub async fn households_crossing(
    state: &AppState,
    p: &Principal,
    line: i64,
) -> ApiResult<Vec<HouseholdOutcome>> {
    let scope = policy::report_scope(p)?;
    if !(0..=1_000_000).contains(&line) {
        return Err(ApiError::field("line", "out_of_range"));
    }
    let client = state.pool.get().await?;
    Ok(reports::households_crossing(&client, &scope, line).await?)
}

/// Workers eligible for the transport subsidy, with the evidence behind each.
pub async fn subsidy_eligibility(
    state: &AppState,
    p: &Principal,
) -> ApiResult<Vec<SubsidyEligible>> {
    let scope = policy::report_scope(p)?;
    let client = state.pool.get().await?;
    Ok(reports::transport_subsidy(&client, &scope, state.settings.subsidy_min_months).await?)
}

/// Outcome statistics between `from` and `to` by `group_by`, over the caller's region or a
/// `region` inside it.
pub async fn outcomes(
    state: &AppState,
    p: &Principal,
    region: Option<RegionCode>,
    from: NaiveDate,
    to: NaiveDate,
    group_by: GroupBy,
    today: NaiveDate,
) -> ApiResult<Vec<OutcomeRow>> {
    let scope = match region {
        Some(region) => policy::narrowed_report_scope(p, region)?,
        None => policy::report_scope(p)?,
    };
    let client = state.pool.get().await?;
    Ok(reports::outcomes(&client, &scope, from, to, group_by, today).await?)
}
