//! The year's targets: an admin sets, per county and year, the people to lift above the
//! monitoring line through employment and the workers to place; program staff read the
//! progress of their region. Done is the outcome statistics' own figures for the year so far
//! (`services::reports::outcomes` by county: placements, and people of households that crossed
//! the line), so the targets, the dashboard and `GET /stats/outcomes` never disagree.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{policy, Principal};
use crate::db::audit::{self, AuditEntry};
use crate::db::reports::GroupBy;
use crate::db::targets::{self, Target, TargetInput};
use crate::domain::targets::{counted_period, pace, valid_year, Pace};
use crate::domain::RegionCode;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;
use crate::validate::{self, Problems};

/// What a `PUT` of targets expects to find.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Whatever is there, or nothing (no `If-Match`).
    Anything,
    /// Targets that exist, in any version (`If-Match: *`).
    Existing,
    /// This version.
    Version(i32),
}

/// A county's targets for a year, if set (for `If-Match` against their ETag).
pub async fn find(
    state: &AppState,
    p: &Principal,
    county: &str,
    year: i32,
) -> ApiResult<Option<Target>> {
    policy::may_set_targets(p)?;
    let client = state.pool.get().await?;
    Ok(targets::find(&client, county, year, false).await?)
}

/// Sets (or replaces) a county's targets for a year; a stale `expect` answers 412 and writes
/// nothing.
pub async fn set(
    state: &AppState,
    p: &Principal,
    county: &str,
    year: i32,
    input: &TargetInput,
    expect: Expect,
) -> ApiResult<Target> {
    policy::may_set_targets(p)?;
    let mut client = state.pool.get().await?;
    let mut problems = Problems::default();
    validate::region(&client, &mut problems, "county_code", county, true).await?;
    if !valid_year(year, validate::today()) {
        problems.add("year", "out_of_range");
    }
    for (field, v) in [
        ("people_out_of_poverty", input.people_out_of_poverty),
        ("workers_to_place", input.workers_to_place),
    ] {
        if !(0..=10_000_000).contains(&v) {
            problems.add(field, "out_of_range");
        }
    }
    problems.finish()?;
    let tx = client.transaction().await?;
    // Under the row lock, so a change between the caller's read and this write is caught.
    let current = targets::find(&tx, county, year, true).await?;
    let stale = match (expect, &current) {
        (Expect::Anything, _) => false,
        (Expect::Existing, current) => current.is_none(),
        (Expect::Version(v), current) => current.as_ref().map(|t| t.version) != Some(v),
    };
    if stale {
        return Err(ApiError::new(ErrorCode::PreconditionFailed)
            .with_extra(serde_json::json!({ "version": current.map(|t| t.version) })));
    }
    let target = targets::upsert(&tx, county, year, input, p.account_id).await?;
    audit::record(
        &tx,
        p,
        AuditEntry {
            action: "set_target",
            entity: "county_target",
            entity_id: format!("{county}/{year}"),
            region_code: Some(county),
            details: serde_json::json!({
                "people_out_of_poverty": input.people_out_of_poverty,
                "workers_to_place": input.workers_to_place,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(target)
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RegionProgress {
    /// A county code, or a province code for the totals of its counties.
    pub region_code: String,
    /// People lifted above the line through employment: members of households with a member
    /// placed this year whose estimated income is now at or above the line (last assessed below).
    pub people: Pace,
    /// Workers placed this year.
    pub placements: Pace,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Progress {
    pub year: i32,
    /// The period counted: 1 January to today (or 31 December once the year is over).
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Counties with a target this year, inside the caller's region.
    pub counties: Vec<RegionProgress>,
    /// Their totals by province.
    pub provinces: Vec<RegionProgress>,
}

/// Progress against `year`'s targets over the caller's region, or `region` inside it.
pub async fn progress(
    state: &AppState,
    p: &Principal,
    year: i32,
    region: Option<RegionCode>,
    today: NaiveDate,
) -> ApiResult<Progress> {
    let scope = match &region {
        Some(r) => policy::narrowed_report_scope(p, r.clone())?,
        None => policy::report_scope(p)?,
    };
    if !(2000..=2100).contains(&year) {
        return Err(ApiError::field("year", "out_of_range"));
    }
    let (from, to) = counted_period(year, today);
    let list = {
        let client = state.pool.get().await?;
        targets::list(&client, &scope, year).await?
    };
    let rows = super::reports::outcomes(state, p, region, from, to, GroupBy::County, today).await?;
    let done: BTreeMap<&str, (i64, i64)> = rows
        .iter()
        .map(|r| (r.group.as_str(), (r.people_crossed_up, r.placed)))
        .collect();
    let mut counties = Vec::new();
    let mut provinces: BTreeMap<String, (i64, i64, i64, i64)> = BTreeMap::new();
    for t in &list {
        let (people, placed) = done.get(t.county_code.as_str()).copied().unwrap_or((0, 0));
        let people_target = i64::from(t.people_out_of_poverty);
        let placed_target = i64::from(t.workers_to_place);
        counties.push(RegionProgress {
            region_code: t.county_code.clone(),
            people: pace(people_target, people, year, today),
            placements: pace(placed_target, placed, year, today),
        });
        let province = format!("{}0000", &t.county_code[..2]);
        let sum = provinces.entry(province).or_default();
        sum.0 += people_target;
        sum.1 += people;
        sum.2 += placed_target;
        sum.3 += placed;
    }
    let provinces = provinces
        .into_iter()
        .map(|(code, (pt, pd, wt, wd))| RegionProgress {
            region_code: code,
            people: pace(pt, pd, year, today),
            placements: pace(wt, wd, year, today),
        })
        .collect();
    Ok(Progress {
        year,
        from,
        to,
        counties,
        provinces,
    })
}
