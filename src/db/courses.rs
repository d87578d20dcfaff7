//! Training courses, enrollments and results.

use chrono::NaiveDate;
use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use tokio_postgres::Row;
use utoipa::ToSchema;

use super::DbResult;

#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct CourseInput {
    pub title: String,
    /// CSCO codes taught, e.g. ["6-18-02-04"].
    pub occupation_codes: Vec<String>,
    pub hours: i32,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub capacity: i32,
    /// Where the course is held (region code).
    pub location_region: String,
    /// Certificate level awarded: 5 (五级/初级工) .. 1 (一级/高级技师).
    pub certificate_level: i16,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Course {
    pub id: i64,
    pub center_id: i64,
    pub title: String,
    pub occupation_codes: Vec<String>,
    pub hours: i32,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub capacity: i32,
    pub location_region: String,
    pub certificate_level: i16,
    pub enrolled: i64,
    /// Raised by every update; `If-Match: "<version>"` on PUT names it.
    pub version: i32,
}

const COLUMNS: &str = "c.id, c.center_id, c.title, c.occupation_codes, c.hours, c.starts_on, \
                       c.ends_on, c.capacity, c.location_region, c.certificate_level, c.version, \
                       (SELECT count(*) FROM enrollments e WHERE e.course_id = c.id) AS enrolled";

fn from_row(r: &Row) -> Course {
    Course {
        id: r.get("id"),
        center_id: r.get("center_id"),
        title: r.get("title"),
        occupation_codes: r.get("occupation_codes"),
        hours: r.get("hours"),
        starts_on: r.get("starts_on"),
        ends_on: r.get("ends_on"),
        capacity: r.get("capacity"),
        location_region: r.get("location_region"),
        certificate_level: r.get("certificate_level"),
        enrolled: r.get("enrolled"),
        version: r.get("version"),
    }
}

pub async fn insert(client: &impl GenericClient, center_id: i64, c: &CourseInput) -> DbResult<i64> {
    let row = client
        .query_one(
            "INSERT INTO courses (center_id, title, occupation_codes, hours, starts_on, ends_on,
                                  capacity, location_region, certificate_level)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            &[
                &center_id,
                &c.title.trim(),
                &c.occupation_codes,
                &c.hours,
                &c.starts_on,
                &c.ends_on,
                &c.capacity,
                &c.location_region,
                &c.certificate_level,
            ],
        )
        .await?;
    Ok(row.get(0))
}

/// Replaces a course's data (its center stays).
pub async fn update(client: &impl GenericClient, id: i64, c: &CourseInput) -> DbResult<()> {
    client
        .execute(
            "UPDATE courses SET title = $2, occupation_codes = $3, hours = $4, starts_on = $5,
                 ends_on = $6, capacity = $7, location_region = $8, certificate_level = $9,
                 version = version + 1
             WHERE id = $1",
            &[
                &id,
                &c.title.trim(),
                &c.occupation_codes,
                &c.hours,
                &c.starts_on,
                &c.ends_on,
                &c.capacity,
                &c.location_region,
                &c.certificate_level,
            ],
        )
        .await?;
    Ok(())
}

pub async fn find(client: &impl GenericClient, id: i64) -> DbResult<Option<Course>> {
    let sql = format!("SELECT {COLUMNS} FROM courses c WHERE c.id = $1");
    Ok(client.query_opt(&sql, &[&id]).await?.as_ref().map(from_row))
}

/// Locks the course row so concurrent enrollments cannot overfill it.
pub async fn lock(client: &impl GenericClient, id: i64) -> DbResult<Option<Course>> {
    client
        .execute("SELECT 1 FROM courses WHERE id = $1 FOR UPDATE", &[&id])
        .await?;
    find(client, id).await
}

pub async fn list(
    client: &impl GenericClient,
    center_id: Option<i64>,
    after: Option<i64>,
    limit: i64,
) -> DbResult<Vec<Course>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM courses c
         WHERE ($1::int8 IS NULL OR c.center_id = $1) AND ($2::int8 IS NULL OR c.id > $2)
         ORDER BY c.id LIMIT $3"
    );
    let rows = client.query(&sql, &[&center_id, &after, &limit]).await?;
    Ok(rows.iter().map(from_row).collect())
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Enrollment {
    pub id: i64,
    pub course_id: i64,
    pub worker_id: i64,
    pub worker_name: String,
    /// enrolled | passed | failed
    pub status: String,
    pub score: Option<f32>,
    pub certificate_number: Option<String>,
    pub level: Option<i16>,
    pub result_on: Option<NaiveDate>,
}

const ENROLLMENT_COLUMNS: &str =
    "e.id, e.course_id, e.worker_id, w.name AS worker_name, e.status, \
                                  e.score, e.certificate_number, e.level, e.result_on";

fn enrollment_from_row(r: &Row) -> Enrollment {
    Enrollment {
        id: r.get("id"),
        course_id: r.get("course_id"),
        worker_id: r.get("worker_id"),
        worker_name: r.get("worker_name"),
        status: r.get("status"),
        score: r.get("score"),
        certificate_number: r.get("certificate_number"),
        level: r.get("level"),
        result_on: r.get("result_on"),
    }
}

/// Enrolls; returns `None` when the worker is already enrolled in the course.
pub async fn enroll(
    client: &impl GenericClient,
    course_id: i64,
    worker_id: i64,
) -> DbResult<Option<i64>> {
    Ok(client
        .query_opt(
            "INSERT INTO enrollments (course_id, worker_id) VALUES ($1, $2)
             ON CONFLICT (course_id, worker_id) DO NOTHING RETURNING id",
            &[&course_id, &worker_id],
        )
        .await?
        .map(|r| r.get(0)))
}

pub async fn find_enrollment(client: &impl GenericClient, id: i64) -> DbResult<Option<Enrollment>> {
    let sql = format!(
        "SELECT {ENROLLMENT_COLUMNS} FROM enrollments e JOIN workers w ON w.id = e.worker_id
         WHERE e.id = $1"
    );
    Ok(client
        .query_opt(&sql, &[&id])
        .await?
        .as_ref()
        .map(enrollment_from_row))
}

pub async fn find_enrollment_of(
    client: &impl GenericClient,
    course_id: i64,
    worker_id: i64,
) -> DbResult<Option<Enrollment>> {
    let sql = format!(
        "SELECT {ENROLLMENT_COLUMNS} FROM enrollments e JOIN workers w ON w.id = e.worker_id
         WHERE e.course_id = $1 AND e.worker_id = $2"
    );
    Ok(client
        .query_opt(&sql, &[&course_id, &worker_id])
        .await?
        .as_ref()
        .map(enrollment_from_row))
}

pub async fn list_enrollments(
    client: &impl GenericClient,
    course_id: i64,
    after: Option<i64>,
    limit: i64,
) -> DbResult<Vec<Enrollment>> {
    let sql = format!(
        "SELECT {ENROLLMENT_COLUMNS} FROM enrollments e JOIN workers w ON w.id = e.worker_id
         WHERE e.course_id = $1 AND ($2::int8 IS NULL OR e.id > $2) ORDER BY e.id LIMIT $3"
    );
    let rows = client.query(&sql, &[&course_id, &after, &limit]).await?;
    Ok(rows.iter().map(enrollment_from_row).collect())
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct ResultInput {
    pub passed: bool,
    pub score: Option<f32>,
    /// Required when passed; unique across the program.
    pub certificate_number: Option<String>,
    /// Level certified, 5..1; defaults to the course's certificate level.
    pub level: Option<i16>,
    /// Defaults to today.
    pub result_on: Option<NaiveDate>,
}

pub async fn set_result(
    client: &impl GenericClient,
    enrollment_id: i64,
    status: &str,
    r: &ResultInput,
    level: Option<i16>,
    result_on: NaiveDate,
) -> DbResult<()> {
    client
        .execute(
            "UPDATE enrollments SET status = $2, score = $3, certificate_number = $4, level = $5,
                 result_on = $6
             WHERE id = $1",
            &[
                &enrollment_id,
                &status,
                &r.score,
                &r.certificate_number.as_deref().map(str::trim),
                &level,
                &result_on,
            ],
        )
        .await?;
    Ok(())
}
