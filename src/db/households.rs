//! Households registered by county offices.

use chrono::NaiveDate;
use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use tokio_postgres::Row;
use utoipa::ToSchema;

use super::DbResult;
use crate::domain::RegionFilter;

pub const STATUSES: [&str; 4] = ["registered_poor", "monitored", "exited", "other"];

/// A household as clients send it (create and full update).
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct HouseholdInput {
    /// The registry number from the county's poverty-alleviation register (unique).
    pub registry_number: String,
    /// County code (level 3), e.g. 630224.
    pub county_code: String,
    pub village: String,
    pub member_count: i32,
    /// registered_poor | monitored | exited | other
    pub status: String,
    /// Annual per-capita income in yuan.
    pub income_per_capita: Option<i32>,
    pub income_assessed_on: Option<NaiveDate>,
    /// Yearly household income not from placed members (yuan).
    #[serde(default)]
    pub other_income_yuan: i32,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Household {
    pub id: i64,
    pub registry_number: String,
    pub county_code: String,
    pub village: String,
    pub member_count: i32,
    pub status: String,
    pub income_per_capita: Option<i32>,
    pub income_assessed_on: Option<NaiveDate>,
    pub other_income_yuan: i32,
    pub version: i32,
}

const COLUMNS: &str = "id, registry_number, county_code, village, member_count, status, \
                       income_per_capita, income_assessed_on, other_income_yuan, version";

fn from_row(r: &Row) -> Household {
    Household {
        id: r.get("id"),
        registry_number: r.get("registry_number"),
        county_code: r.get("county_code"),
        village: r.get("village"),
        member_count: r.get("member_count"),
        status: r.get("status"),
        income_per_capita: r.get("income_per_capita"),
        income_assessed_on: r.get("income_assessed_on"),
        other_income_yuan: r.get("other_income_yuan"),
        version: r.get("version"),
    }
}

pub async fn insert(client: &impl GenericClient, h: &HouseholdInput) -> DbResult<Household> {
    let sql = format!(
        "INSERT INTO households (registry_number, county_code, village, member_count, status,
                                 income_per_capita, income_assessed_on, other_income_yuan)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COLUMNS}"
    );
    let row = client
        .query_one(
            &sql,
            &[
                &h.registry_number,
                &h.county_code,
                &h.village,
                &h.member_count,
                &h.status,
                &h.income_per_capita,
                &h.income_assessed_on,
                &h.other_income_yuan,
            ],
        )
        .await?;
    Ok(from_row(&row))
}

/// Inserts or updates by registry number; unchanged rows are not touched (so importing the
/// same file twice changes nothing). Returns (household, what happened).
pub async fn upsert(
    client: &impl GenericClient,
    h: &HouseholdInput,
) -> DbResult<(Household, Upsert)> {
    let sql = format!(
        "INSERT INTO households AS t (registry_number, county_code, village, member_count, status,
                                      income_per_capita, income_assessed_on, other_income_yuan)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (registry_number) DO UPDATE SET
             county_code = EXCLUDED.county_code, village = EXCLUDED.village,
             member_count = EXCLUDED.member_count, status = EXCLUDED.status,
             income_per_capita = EXCLUDED.income_per_capita,
             income_assessed_on = EXCLUDED.income_assessed_on,
             other_income_yuan = EXCLUDED.other_income_yuan,
             version = t.version + 1, updated_at = now()
         WHERE (t.county_code, t.village, t.member_count, t.status, t.income_per_capita,
                t.income_assessed_on, t.other_income_yuan)
           IS DISTINCT FROM (EXCLUDED.county_code, EXCLUDED.village, EXCLUDED.member_count,
                EXCLUDED.status, EXCLUDED.income_per_capita, EXCLUDED.income_assessed_on,
                EXCLUDED.other_income_yuan)
         RETURNING {COLUMNS}, (xmax = 0) AS inserted"
    );
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 8] = [
        &h.registry_number,
        &h.county_code,
        &h.village,
        &h.member_count,
        &h.status,
        &h.income_per_capita,
        &h.income_assessed_on,
        &h.other_income_yuan,
    ];
    match client.query_opt(&sql, &params).await? {
        Some(row) => {
            let outcome = if row.get::<_, bool>("inserted") {
                Upsert::Inserted
            } else {
                Upsert::Updated
            };
            Ok((from_row(&row), outcome))
        }
        None => {
            let existing = find_by_registry(client, &h.registry_number)
                .await?
                .ok_or_else(|| super::DbError::Corrupt("household vanished".into()))?;
            Ok((existing, Upsert::Unchanged))
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Upsert {
    Inserted,
    Updated,
    Unchanged,
}

pub async fn find(client: &impl GenericClient, id: i64) -> DbResult<Option<Household>> {
    let sql = format!("SELECT {COLUMNS} FROM households WHERE id = $1");
    Ok(client.query_opt(&sql, &[&id]).await?.as_ref().map(from_row))
}

pub async fn find_by_registry(
    client: &impl GenericClient,
    number: &str,
) -> DbResult<Option<Household>> {
    let sql = format!("SELECT {COLUMNS} FROM households WHERE registry_number = $1");
    Ok(client
        .query_opt(&sql, &[&number])
        .await?
        .as_ref()
        .map(from_row))
}

pub async fn update(
    client: &impl GenericClient,
    id: i64,
    h: &HouseholdInput,
) -> DbResult<Option<Household>> {
    let sql = format!(
        "UPDATE households SET registry_number = $2, county_code = $3, village = $4,
             member_count = $5, status = $6, income_per_capita = $7, income_assessed_on = $8,
             other_income_yuan = $9, version = version + 1, updated_at = now()
         WHERE id = $1 RETURNING {COLUMNS}"
    );
    Ok(client
        .query_opt(
            &sql,
            &[
                &id,
                &h.registry_number,
                &h.county_code,
                &h.village,
                &h.member_count,
                &h.status,
                &h.income_per_capita,
                &h.income_assessed_on,
                &h.other_income_yuan,
            ],
        )
        .await?
        .as_ref()
        .map(from_row))
}

/// Locks a household for a change in this transaction.
pub async fn lock(client: &impl GenericClient, id: i64) -> DbResult<Option<Household>> {
    let sql = format!("SELECT {COLUMNS} FROM households WHERE id = $1 FOR UPDATE");
    Ok(client.query_opt(&sql, &[&id]).await?.as_ref().map(from_row))
}

/// Households inside `scope`, by id ascending after `after`.
pub async fn list(
    client: &impl GenericClient,
    scope: &RegionFilter,
    status: Option<&str>,
    after: Option<i64>,
    limit: i64,
) -> DbResult<Vec<Household>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM households
         WHERE ($1::text IS NULL OR region_within(county_code, $1))
           AND ($2::text IS NULL OR status = $2)
           AND ($3::int8 IS NULL OR id > $3)
         ORDER BY id LIMIT $4"
    );
    let rows = client
        .query(&sql, &[&scope.sql(), &status, &after, &limit])
        .await?;
    Ok(rows.iter().map(from_row).collect())
}
