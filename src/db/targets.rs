//! The year's targets per county.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use tokio_postgres::Row;
use utoipa::ToSchema;

use super::DbResult;
use crate::domain::RegionFilter;

#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct TargetInput {
    /// People to lift above the monitoring line through employment this year.
    pub people_out_of_poverty: i32,
    /// Workers to place this year.
    pub workers_to_place: i32,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Target {
    pub county_code: String,
    pub year: i32,
    pub people_out_of_poverty: i32,
    pub workers_to_place: i32,
    pub updated_at: DateTime<Utc>,
    /// Raised by every change; `If-Match: "<version>"` on PUT names it.
    pub version: i32,
}

fn from_row(r: &Row) -> Target {
    Target {
        county_code: r.get("county_code"),
        year: r.get("year"),
        people_out_of_poverty: r.get("people_out_of_poverty"),
        workers_to_place: r.get("workers_to_place"),
        updated_at: r.get("updated_at"),
        version: r.get("version"),
    }
}

pub async fn upsert(
    client: &impl GenericClient,
    county: &str,
    year: i32,
    t: &TargetInput,
    set_by: i64,
) -> DbResult<Target> {
    let row = client
        .query_one(
            "INSERT INTO county_targets (county_code, year, people_out_of_poverty, workers_to_place, set_by)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (county_code, year) DO UPDATE
                 SET people_out_of_poverty = EXCLUDED.people_out_of_poverty,
                     workers_to_place = EXCLUDED.workers_to_place,
                     set_by = EXCLUDED.set_by, updated_at = now(),
                     version = county_targets.version + 1
             RETURNING county_code, year, people_out_of_poverty, workers_to_place, updated_at,
                       version",
            &[&county, &year, &t.people_out_of_poverty, &t.workers_to_place, &set_by],
        )
        .await?;
    Ok(from_row(&row))
}

/// One county's targets for a year; `lock` holds its row until the transaction ends.
pub async fn find(
    client: &impl GenericClient,
    county: &str,
    year: i32,
    lock: bool,
) -> DbResult<Option<Target>> {
    let sql = format!(
        "SELECT county_code, year, people_out_of_poverty, workers_to_place, updated_at, version
         FROM county_targets WHERE county_code = $1 AND year = $2{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    Ok(client
        .query_opt(&sql, &[&county, &year])
        .await?
        .as_ref()
        .map(from_row))
}

/// The targets of `year` for counties in `scope`, by county code.
pub async fn list(
    client: &impl GenericClient,
    scope: &RegionFilter,
    year: i32,
) -> DbResult<Vec<Target>> {
    let rows = client
        .query(
            "SELECT county_code, year, people_out_of_poverty, workers_to_place, updated_at, version
             FROM county_targets
             WHERE year = $2 AND ($1::text IS NULL OR region_within(county_code, $1))
             ORDER BY county_code",
            &[&scope.sql(), &year],
        )
        .await?;
    Ok(rows.iter().map(from_row).collect())
}
