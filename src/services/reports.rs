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
    let line = state.settings.monitoring_line_yuan;
    Ok(reports::outcomes(&client, &scope, from, to, group_by, today, line).await?)
}

/// The header of the outcome statistics as CSV (the API's `format=csv` and the dashboard's
/// download).
pub const OUTCOME_CSV_HEADER: [&str; 17] = [
    "group",
    "enrolled",
    "passed",
    "applied",
    "placed",
    "placement_rate",
    "retention_3m",
    "retention_6m",
    "retention_12m",
    "median_wage",
    "mean_wage",
    "retention_1m",
    "wage_p25",
    "wage_p75",
    "households_crossed_up",
    "people_crossed_up",
    "group_name",
];

/// Outcome rows as CSV, `names` giving each group's name in words (empty when none).
pub fn outcomes_csv(rows: &[OutcomeRow], names: &dyn Fn(&str) -> String) -> ApiResult<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let opt = |v: Option<f64>| v.map(|x| format!("{x:.4}")).unwrap_or_default();
    writer
        .write_record(OUTCOME_CSV_HEADER)
        .map_err(ApiError::internal)?;
    for r in rows {
        writer
            .write_record([
                r.group.clone(),
                r.enrolled.to_string(),
                r.passed.to_string(),
                r.applied.to_string(),
                r.placed.to_string(),
                opt(r.placement_rate),
                opt(r.retention_3m),
                opt(r.retention_6m),
                opt(r.retention_12m),
                opt(r.median_wage),
                opt(r.mean_wage),
                opt(r.retention_1m),
                opt(r.wage_p25),
                opt(r.wage_p75),
                r.households_crossed_up.to_string(),
                r.people_crossed_up.to_string(),
                names(&r.group),
            ])
            .map_err(ApiError::internal)?;
    }
    writer.into_inner().map_err(ApiError::internal)
}
