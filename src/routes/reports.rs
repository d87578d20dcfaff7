//! Program staff's reports: household incomes against the monitoring line, subsidy
//! eligibility, and outcome statistics (JSON or CSV), each scoped to the caller's region.

use actix_web::{get, web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{Auth, OfficerOrAdmin};
use crate::db::reports::{GroupBy, HouseholdOutcome, OutcomeRow, SubsidyEligible};
use crate::domain::RegionCode;
use crate::error::{ApiError, ApiResult};
use crate::services::reports;
use crate::state::AppState;
use crate::validate::{self, Problems};

#[derive(Deserialize, IntoParams)]
pub struct HouseholdReportQuery {
    /// Monitoring line in yuan per person per year (default LABORMATCH_MONITORING_LINE_YUAN).
    pub line: Option<i64>,
}

/// Households whose estimated per-capita income crossed the monitoring line, either way.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(HouseholdReportQuery),
    responses((status = 200, body = [HouseholdOutcome]), (status = 403, body = crate::error::ErrorBody))
)]
#[get("/reports/households")]
pub async fn households(
    state: web::Data<AppState>,
    staff: Auth<OfficerOrAdmin>,
    query: crate::input::Query<HouseholdReportQuery>,
) -> ApiResult<web::Json<Vec<HouseholdOutcome>>> {
    let line = query.line.unwrap_or(state.settings.monitoring_line_yuan);
    Ok(web::Json(
        reports::households_crossing(&state, &staff, line).await?,
    ))
}

/// Workers eligible for the one-time transport subsidy (registered-poor household, employed
/// outside the home province for at least LABORMATCH_SUBSIDY_MIN_MONTHS months, with wage
/// evidence), with the evidence behind each.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    responses((status = 200, body = [SubsidyEligible]), (status = 403, body = crate::error::ErrorBody))
)]
#[get("/reports/subsidy-eligibility")]
pub async fn subsidy_eligibility(
    state: web::Data<AppState>,
    staff: Auth<OfficerOrAdmin>,
) -> ApiResult<web::Json<Vec<SubsidyEligible>>> {
    Ok(web::Json(
        reports::subsidy_eligibility(&state, &staff).await?,
    ))
}

#[derive(Deserialize, IntoParams)]
pub struct StatsQuery {
    /// Narrow to a region inside the caller's (default: the caller's whole region).
    pub region: Option<String>,
    /// First day counted (default 2000-01-01).
    pub from: Option<NaiveDate>,
    /// Last day counted (default today).
    pub to: Option<NaiveDate>,
    /// county | village | course | center | employer | occupation (default county)
    pub group_by: Option<String>,
    /// json (default) or csv
    pub format: Option<String>,
}

/// Enrolled, passed, applied, placed, placement rate, retention at 1/3/6/12 months (over
/// placements old enough to measure), median, mean and quartile monthly wages, and households
/// (and their members) whose estimated income crossed the monitoring line, by group. The CSV
/// has the same columns (new ones appended at the end) and a `group_name` column left empty.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(StatsQuery),
    responses(
        (status = 200, body = [OutcomeRow], description = "JSON, or text/csv with format=csv"),
        (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)
    )
)]
#[get("/stats/outcomes")]
pub async fn outcomes(
    state: web::Data<AppState>,
    staff: Auth<OfficerOrAdmin>,
    query: crate::input::Query<StatsQuery>,
) -> ApiResult<HttpResponse> {
    let mut p = Problems::default();
    let group_by = match query.group_by.as_deref() {
        None => Some(GroupBy::County),
        Some(raw) => GroupBy::parse(raw).or_else(|| {
            p.add("group_by", "unknown_group_by");
            None
        }),
    };
    let csv = match query.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            p.add("format", "json_or_csv");
            false
        }
    };
    let today = validate::today();
    let from = query
        .from
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(today));
    let to = query.to.unwrap_or(today);
    if to < from {
        p.add("to", "before_from");
    }
    let region = match &query.region {
        None => None,
        Some(raw) => RegionCode::parse(raw).map_err(|r| p.add("region", r)).ok(),
    };
    p.finish()?;
    let group_by = group_by.ok_or_else(|| ApiError::field("group_by", "unknown_group_by"))?;
    let rows = reports::outcomes(&state, &staff, region, from, to, group_by, today).await?;
    if !csv {
        return Ok(HttpResponse::Ok().json(rows));
    }
    let body = reports::outcomes_csv(&rows, &|_| String::new())?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"outcomes.csv\"",
        ))
        .body(body))
}
