//! Employers' openings.

use chrono::NaiveDate;
use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use tokio_postgres::Row;
use utoipa::ToSchema;

use super::DbResult;

pub const STATUSES: [&str; 4] = ["draft", "open", "filled", "closed"];

fn default_status() -> String {
    "draft".into()
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct OpeningInput {
    #[schema(example = "招电焊工 包吃住")]
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Required occupations (CSCO codes), at least one.
    pub required_occupations: Vec<String>,
    #[serde(default)]
    pub nice_occupations: Vec<String>,
    /// Where the work is (region code, any level).
    pub work_region: String,
    /// Monthly wage band in yuan.
    pub wage_min: i32,
    pub wage_max: i32,
    pub headcount: i32,
    #[serde(default)]
    pub housing: bool,
    #[serde(default)]
    pub meals: bool,
    pub contract_months: Option<i32>,
    pub start_date: NaiveDate,
    /// Last day to apply.
    pub deadline: NaiveDate,
    /// draft | open | filled | closed
    #[serde(default = "default_status")]
    pub status: String,
    /// Years of experience in the trade the job needs (0..=50). Absent: read from the title
    /// and description ("三年以上", "熟手"); 0: no minimum.
    #[serde(default)]
    pub min_years_experience: Option<f32>,
    /// required | preferred | none. Absent: read from the title and description ("持证上岗",
    /// "有证优先").
    #[serde(default)]
    pub certificate: Option<String>,
    /// Match the chosen occupation codes only: the trade named in the title is not read.
    #[serde(default)]
    pub pin_occupations: bool,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Opening {
    pub id: i64,
    pub employer_id: i64,
    pub employer_name: String,
    pub title: String,
    pub description: String,
    pub required_occupations: Vec<String>,
    pub nice_occupations: Vec<String>,
    pub work_region: String,
    pub wage_min: i32,
    pub wage_max: i32,
    pub headcount: i32,
    pub housing: bool,
    pub meals: bool,
    pub contract_months: Option<i32>,
    pub start_date: NaiveDate,
    pub deadline: NaiveDate,
    pub status: String,
    pub min_years_experience: Option<f32>,
    pub certificate: Option<String>,
    pub pin_occupations: bool,
    pub version: i32,
}

const COLUMNS: &str = "o.id, o.employer_id, g.name AS employer_name, o.title, o.description, \
                       o.required_occupations, o.nice_occupations, o.work_region, o.wage_min, \
                       o.wage_max, o.headcount, o.housing, o.meals, o.contract_months, \
                       o.start_date, o.deadline, o.status, o.min_years_experience, \
                       o.certificate, o.pin_occupations, o.version";

fn from_row(r: &Row) -> Opening {
    Opening {
        id: r.get("id"),
        employer_id: r.get("employer_id"),
        employer_name: r.get("employer_name"),
        title: r.get("title"),
        description: r.get("description"),
        required_occupations: r.get("required_occupations"),
        nice_occupations: r.get("nice_occupations"),
        work_region: r.get("work_region"),
        wage_min: r.get("wage_min"),
        wage_max: r.get("wage_max"),
        headcount: r.get("headcount"),
        housing: r.get("housing"),
        meals: r.get("meals"),
        contract_months: r.get("contract_months"),
        start_date: r.get("start_date"),
        deadline: r.get("deadline"),
        status: r.get("status"),
        min_years_experience: r.get("min_years_experience"),
        certificate: r.get("certificate"),
        pin_occupations: r.get("pin_occupations"),
        version: r.get("version"),
    }
}

pub async fn insert(
    client: &impl GenericClient,
    employer_id: i64,
    o: &OpeningInput,
) -> DbResult<i64> {
    let row = client
        .query_one(
            "INSERT INTO openings (employer_id, title, description, required_occupations,
                                   nice_occupations, work_region, wage_min, wage_max, headcount,
                                   housing, meals, contract_months, start_date, deadline, status,
                                   min_years_experience, certificate, pin_occupations)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                     $17, $18)
             RETURNING id",
            &[
                &employer_id,
                &o.title.trim(),
                &o.description.trim(),
                &o.required_occupations,
                &o.nice_occupations,
                &o.work_region,
                &o.wage_min,
                &o.wage_max,
                &o.headcount,
                &o.housing,
                &o.meals,
                &o.contract_months,
                &o.start_date,
                &o.deadline,
                &o.status,
                &o.min_years_experience,
                &o.certificate,
                &o.pin_occupations,
            ],
        )
        .await?;
    Ok(row.get(0))
}

pub async fn update(client: &impl GenericClient, id: i64, o: &OpeningInput) -> DbResult<bool> {
    Ok(client
        .execute(
            "UPDATE openings SET title = $2, description = $3, required_occupations = $4,
                 nice_occupations = $5, work_region = $6, wage_min = $7, wage_max = $8,
                 headcount = $9, housing = $10, meals = $11, contract_months = $12,
                 start_date = $13, deadline = $14, status = $15, min_years_experience = $16,
                 certificate = $17, pin_occupations = $18, version = version + 1,
                 updated_at = now()
             WHERE id = $1",
            &[
                &id,
                &o.title.trim(),
                &o.description.trim(),
                &o.required_occupations,
                &o.nice_occupations,
                &o.work_region,
                &o.wage_min,
                &o.wage_max,
                &o.headcount,
                &o.housing,
                &o.meals,
                &o.contract_months,
                &o.start_date,
                &o.deadline,
                &o.status,
                &o.min_years_experience,
                &o.certificate,
                &o.pin_occupations,
            ],
        )
        .await?
        == 1)
}

/// Locks an opening for a change in this transaction (acceptances lock it too).
pub async fn lock(client: &impl GenericClient, id: i64) -> DbResult<Option<Opening>> {
    client
        .execute("SELECT 1 FROM openings WHERE id = $1 FOR UPDATE", &[&id])
        .await?;
    find(client, id).await
}

/// Sets the status an acceptance decided (the opening is filled).
pub async fn set_status(client: &impl GenericClient, id: i64, status: &str) -> DbResult<()> {
    client
        .execute(
            "UPDATE openings SET status = $2, version = version + 1, updated_at = now()
             WHERE id = $1",
            &[&id, &status],
        )
        .await?;
    Ok(())
}

pub async fn find(client: &impl GenericClient, id: i64) -> DbResult<Option<Opening>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM openings o JOIN organizations g ON g.id = o.employer_id
         WHERE o.id = $1"
    );
    Ok(client.query_opt(&sql, &[&id]).await?.as_ref().map(from_row))
}

/// An employer's own openings (all statuses), or every open one when `employer` is `None`.
pub async fn list(
    client: &impl GenericClient,
    employer: Option<i64>,
    after: Option<i64>,
    limit: i64,
) -> DbResult<Vec<Opening>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM openings o JOIN organizations g ON g.id = o.employer_id
         WHERE (($1::int8 IS NULL AND o.status = 'open') OR o.employer_id = $1)
           AND ($2::int8 IS NULL OR o.id > $2)
         ORDER BY o.id LIMIT $3"
    );
    let rows = client.query(&sql, &[&employer, &after, &limit]).await?;
    Ok(rows.iter().map(from_row).collect())
}
