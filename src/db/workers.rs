//! Workers (job seekers) and their skills.

use chrono::NaiveDate;
use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use tokio_postgres::Row;
use utoipa::ToSchema;

use super::DbResult;
use crate::domain::RegionFilter;

pub const STATUSES: [&str; 3] = ["available", "placed", "unavailable"];
pub const GENDERS: [&str; 3] = ["male", "female", "other"];

fn default_languages() -> Vec<String> {
    vec!["zh".into()]
}

fn default_education() -> String {
    "unknown".into()
}

/// A self-declared skill, as the worker or an officer states it.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct SkillInput {
    #[schema(example = "6-18-02-04")]
    pub occupation_code: String,
    /// 5 (初级工) .. 1 (高级技师), if the person knows it.
    pub level: Option<i16>,
    #[serde(default)]
    pub years_experience: f32,
    #[serde(default)]
    pub note: String,
}

/// A worker profile as clients send it (create and full replace). Certified skills are not part
/// of it: they come from course results and are kept when a profile is replaced.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct WorkerInput {
    /// The registered household the worker belongs to. Only an officer whose region holds the
    /// household (or an admin) may set or change it (else 403 `household_link_forbidden`); a
    /// worker's own profile keeps whatever the office set.
    pub household_id: Option<i64>,
    pub name: String,
    /// male | female | other
    pub gender: String,
    pub birth_year: i32,
    #[serde(default)]
    pub ethnicity: String,
    /// Language codes: zh, bo (Tibetan), en, ...
    #[serde(default = "default_languages")]
    pub languages: Vec<String>,
    /// none | primary | junior_high | senior_high | vocational | college | bachelor | postgraduate | unknown
    #[serde(default = "default_education")]
    pub education: String,
    pub phone: Option<String>,
    pub id_number: Option<String>,
    /// Home county code.
    pub home_region: String,
    /// Accepted destinations: county, prefecture or province codes.
    #[serde(default)]
    pub destinations: Vec<String>,
    /// Accepts work anywhere in the country.
    #[serde(default)]
    pub accept_anywhere: bool,
    /// Minimum acceptable monthly wage in yuan.
    #[serde(default)]
    pub min_wage: i32,
    pub available_from: Option<NaiveDate>,
    #[serde(default)]
    pub skills: Vec<SkillInput>,
    /// Labor-brand tags such as 化隆拉面.
    #[serde(default)]
    pub brand_tags: Vec<String>,
    /// available | placed | unavailable. Omitted: unchanged (a new profile is available).
    /// Placed is the program's to set: a worker cannot leave it, or enter it, through the
    /// profile (409 `invalid_transition`).
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Skill {
    pub occupation_code: String,
    pub occupation_name: String,
    pub level: Option<i16>,
    /// self_declared | certified
    pub source: String,
    pub years_experience: f32,
    pub note: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certified_on: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub course_id: Option<i64>,
}

/// A worker as stored, PII included: never serialized directly.
#[derive(Clone, Debug)]
pub struct Worker {
    pub id: i64,
    pub account_id: Option<i64>,
    pub household_id: Option<i64>,
    pub name: String,
    pub gender: String,
    pub birth_year: i32,
    pub ethnicity: String,
    pub languages: Vec<String>,
    pub education: String,
    pub phone: Option<String>,
    pub id_number: Option<String>,
    pub home_region: String,
    pub destinations: Vec<String>,
    pub accept_anywhere: bool,
    pub min_wage: i32,
    pub available_from: Option<NaiveDate>,
    pub brand_tags: Vec<String>,
    pub status: String,
    pub version: i32,
    pub skills: Vec<Skill>,
}

const COLUMNS: &str = "id, account_id, household_id, name, gender, birth_year, ethnicity, \
                       languages, education, phone, id_number, home_region, destinations, \
                       accept_anywhere, min_wage, available_from, brand_tags, status, version";

fn from_row(r: &Row) -> Worker {
    Worker {
        id: r.get("id"),
        account_id: r.get("account_id"),
        household_id: r.get("household_id"),
        name: r.get("name"),
        gender: r.get("gender"),
        birth_year: r.get("birth_year"),
        ethnicity: r.get("ethnicity"),
        languages: r.get("languages"),
        education: r.get("education"),
        phone: r.get("phone"),
        id_number: r.get("id_number"),
        home_region: r.get("home_region"),
        destinations: r.get("destinations"),
        accept_anywhere: r.get("accept_anywhere"),
        min_wage: r.get("min_wage"),
        available_from: r.get("available_from"),
        brand_tags: r.get("brand_tags"),
        status: r.get("status"),
        version: r.get("version"),
        skills: Vec::new(),
    }
}

/// Values ready to store: phone and ID in canonical form, and the household and status the
/// rules decided (which may differ from what the input asked for).
pub struct WorkerRecord<'a> {
    pub input: &'a WorkerInput,
    pub phone: Option<String>,
    pub id_number: Option<String>,
    pub account_id: Option<i64>,
    pub household_id: Option<i64>,
    pub status: &'a str,
}

pub async fn insert(client: &impl GenericClient, rec: &WorkerRecord<'_>) -> DbResult<i64> {
    let w = rec.input;
    let row = client
        .query_one(
            "INSERT INTO workers (account_id, household_id, name, gender, birth_year, ethnicity,
                                  languages, education, phone, id_number, home_region,
                                  destinations, accept_anywhere, min_wage, available_from,
                                  brand_tags, status)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
             RETURNING id",
            &[
                &rec.account_id,
                &rec.household_id,
                &w.name.trim(),
                &w.gender,
                &w.birth_year,
                &w.ethnicity.trim(),
                &w.languages,
                &w.education,
                &rec.phone,
                &rec.id_number,
                &w.home_region,
                &w.destinations,
                &w.accept_anywhere,
                &w.min_wage,
                &w.available_from,
                &w.brand_tags,
                &rec.status,
            ],
        )
        .await?;
    let id: i64 = row.get(0);
    replace_declared_skills(client, id, &w.skills).await?;
    Ok(id)
}

pub async fn update(
    client: &impl GenericClient,
    id: i64,
    rec: &WorkerRecord<'_>,
) -> DbResult<bool> {
    let w = rec.input;
    let n = client
        .execute(
            "UPDATE workers SET household_id = $2, name = $3, gender = $4, birth_year = $5,
                 ethnicity = $6, languages = $7, education = $8, phone = $9, id_number = $10,
                 home_region = $11, destinations = $12, accept_anywhere = $13, min_wage = $14,
                 available_from = $15, brand_tags = $16, status = $17,
                 version = version + 1, updated_at = now()
             WHERE id = $1",
            &[
                &id,
                &rec.household_id,
                &w.name.trim(),
                &w.gender,
                &w.birth_year,
                &w.ethnicity.trim(),
                &w.languages,
                &w.education,
                &rec.phone,
                &rec.id_number,
                &w.home_region,
                &w.destinations,
                &w.accept_anywhere,
                &w.min_wage,
                &w.available_from,
                &w.brand_tags,
                &rec.status,
            ],
        )
        .await?;
    if n == 0 {
        return Ok(false);
    }
    replace_declared_skills(client, id, &w.skills).await?;
    Ok(true)
}

/// Replaces the self-declared skills; certified ones stay.
async fn replace_declared_skills(
    client: &impl GenericClient,
    worker_id: i64,
    skills: &[SkillInput],
) -> DbResult<()> {
    client
        .execute(
            "DELETE FROM worker_skills WHERE worker_id = $1 AND source = 'self_declared'",
            &[&worker_id],
        )
        .await?;
    for s in skills {
        client
            .execute(
                "INSERT INTO worker_skills (worker_id, occupation_code, level, source,
                                            years_experience, note)
                 VALUES ($1, $2, $3, 'self_declared', $4, $5)",
                &[
                    &worker_id,
                    &s.occupation_code,
                    &s.level,
                    &s.years_experience,
                    &s.note.trim(),
                ],
            )
            .await?;
    }
    Ok(())
}

/// Adds a certified skill from a passed course (idempotent per enrollment and occupation).
pub async fn add_certified_skill(
    client: &impl GenericClient,
    worker_id: i64,
    occupation_code: &str,
    level: Option<i16>,
    certificate_number: Option<&str>,
    enrollment_id: i64,
    certified_on: NaiveDate,
) -> DbResult<()> {
    client
        .execute(
            "DELETE FROM worker_skills WHERE enrollment_id = $1 AND occupation_code = $2",
            &[&enrollment_id, &occupation_code],
        )
        .await?;
    client
        .execute(
            "INSERT INTO worker_skills (worker_id, occupation_code, level, source,
                                        certificate_number, enrollment_id, certified_on)
             VALUES ($1, $2, $3, 'certified', $4, $5, $6)",
            &[
                &worker_id,
                &occupation_code,
                &level,
                &certificate_number,
                &enrollment_id,
                &certified_on,
            ],
        )
        .await?;
    Ok(())
}

pub async fn remove_certified_skills(
    client: &impl GenericClient,
    enrollment_id: i64,
) -> DbResult<()> {
    client
        .execute(
            "DELETE FROM worker_skills WHERE enrollment_id = $1",
            &[&enrollment_id],
        )
        .await?;
    Ok(())
}

async fn load_skills(client: &impl GenericClient, workers: &mut [Worker]) -> DbResult<()> {
    let ids: Vec<i64> = workers.iter().map(|w| w.id).collect();
    let rows = client
        .query(
            "SELECT s.worker_id, s.occupation_code, o.name, s.level, s.source,
                    s.years_experience, s.note, s.certificate_number, s.certified_on,
                    e.course_id
             FROM worker_skills s
             JOIN occupations o ON o.code = s.occupation_code
             LEFT JOIN enrollments e ON e.id = s.enrollment_id
             WHERE s.worker_id = ANY($1)
             ORDER BY s.worker_id, (s.source = 'certified') DESC, s.occupation_code, s.id",
            &[&ids],
        )
        .await?;
    for r in rows {
        let wid: i64 = r.get(0);
        if let Some(w) = workers.iter_mut().find(|w| w.id == wid) {
            w.skills.push(Skill {
                occupation_code: r.get(1),
                occupation_name: r.get(2),
                level: r.get(3),
                source: r.get(4),
                years_experience: r.get(5),
                note: r.get(6),
                certificate_number: r.get(7),
                certified_on: r.get(8),
                course_id: r.get(9),
            });
        }
    }
    Ok(())
}

pub async fn find(client: &impl GenericClient, id: i64) -> DbResult<Option<Worker>> {
    let sql = format!("SELECT {COLUMNS} FROM workers WHERE id = $1");
    let Some(row) = client.query_opt(&sql, &[&id]).await? else {
        return Ok(None);
    };
    let mut workers = vec![from_row(&row)];
    load_skills(client, &mut workers).await?;
    Ok(workers.pop())
}

/// Locks a worker row for a change in this transaction (skills included).
pub async fn lock(client: &impl GenericClient, id: i64) -> DbResult<Option<Worker>> {
    client
        .execute("SELECT 1 FROM workers WHERE id = $1 FOR UPDATE", &[&id])
        .await?;
    find(client, id).await
}

/// Gives a worker profile its account (a claimed profile).
pub async fn link_account(client: &impl GenericClient, id: i64, account_id: i64) -> DbResult<()> {
    client
        .execute(
            "UPDATE workers SET account_id = $2, version = version + 1, updated_at = now()
             WHERE id = $1",
            &[&id, &account_id],
        )
        .await?;
    Ok(())
}

/// Ids of the members of a household.
pub async fn ids_in_household(
    client: &impl GenericClient,
    household_id: i64,
) -> DbResult<Vec<i64>> {
    Ok(client
        .query(
            "SELECT id FROM workers WHERE household_id = $1 ORDER BY id",
            &[&household_id],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

pub async fn find_by_account(
    client: &impl GenericClient,
    account_id: i64,
) -> DbResult<Option<Worker>> {
    let row = client
        .query_opt(
            "SELECT id FROM workers WHERE account_id = $1",
            &[&account_id],
        )
        .await?;
    match row {
        Some(r) => find(client, r.get(0)).await,
        None => Ok(None),
    }
}

pub async fn id_by_national_id(
    client: &impl GenericClient,
    id_number: &str,
) -> DbResult<Option<i64>> {
    Ok(client
        .query_opt("SELECT id FROM workers WHERE id_number = $1", &[&id_number])
        .await?
        .map(|r| r.get(0)))
}

/// Workers by many ids (skills included), in the order given.
pub async fn find_many(client: &impl GenericClient, ids: &[i64]) -> DbResult<Vec<Worker>> {
    let sql = format!("SELECT {COLUMNS} FROM workers WHERE id = ANY($1)");
    let rows = client.query(&sql, &[&ids]).await?;
    let mut workers: Vec<Worker> = rows.iter().map(from_row).collect();
    load_skills(client, &mut workers).await?;
    workers.sort_by_key(|w| ids.iter().position(|id| *id == w.id).unwrap_or(usize::MAX));
    Ok(workers)
}

/// Workers whose home lies inside `scope`, by id ascending after `after`.
pub async fn list(
    client: &impl GenericClient,
    scope: &RegionFilter,
    status: Option<&str>,
    after: Option<i64>,
    limit: i64,
) -> DbResult<Vec<Worker>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM workers
         WHERE ($1::text IS NULL OR region_within(home_region, $1))
           AND ($2::text IS NULL OR status = $2)
           AND ($3::int8 IS NULL OR id > $3)
         ORDER BY id LIMIT $4"
    );
    let rows = client
        .query(&sql, &[&scope.sql(), &status, &after, &limit])
        .await?;
    let mut workers: Vec<Worker> = rows.iter().map(from_row).collect();
    load_skills(client, &mut workers).await?;
    Ok(workers)
}

/// Whether a center's course has this worker enrolled (centers may read their enrollees).
pub async fn enrolled_with_center(
    client: &impl GenericClient,
    worker_id: i64,
    center_id: i64,
) -> DbResult<bool> {
    Ok(client
        .query_opt(
            "SELECT 1 FROM enrollments e JOIN courses c ON c.id = e.course_id
             WHERE e.worker_id = $1 AND c.center_id = $2 LIMIT 1",
            &[&worker_id, &center_id],
        )
        .await?
        .is_some())
}

/// Sets the status the program decided (placement, its end); false when there is no such worker.
pub async fn set_status(client: &impl GenericClient, id: i64, status: &str) -> DbResult<bool> {
    let n = client
        .execute(
            "UPDATE workers SET status = $2, version = version + 1, updated_at = now()
             WHERE id = $1",
            &[&id, &status],
        )
        .await?;
    Ok(n == 1)
}
