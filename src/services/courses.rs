//! Training centers' courses, enrollments and results. A pass certifies the course's
//! occupations (`domain::certification`); a later fail takes them back.

use deadpool_postgres::GenericClient;
use serde::Deserialize;
use utoipa::ToSchema;

use super::check_version;
use crate::auth::policy::{self, CourseList};
use crate::auth::Principal;
use crate::db::audit::{self, AuditEntry};
use crate::db::courses::{self, Course, CourseInput, Enrollment, ResultInput};
use crate::db::outbox::{self, Entity};
use crate::db::workers;
use crate::domain::certification::{certify, ResultClaim};
use crate::domain::NationalId;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;
use crate::validate;

#[derive(Deserialize, ToSchema)]
pub struct EnrollRequest {
    /// The worker, by id ...
    pub worker_id: Option<i64>,
    /// ... or by national ID number.
    pub id_number: Option<String>,
}

/// A center registers a course.
pub async fn create(state: &AppState, p: &Principal, input: &CourseInput) -> ApiResult<Course> {
    let center_id = policy::center_of_new_course(p)?;
    let mut client = state.pool.get().await?;
    validate::course(&client, input).await?;
    let tx = client.transaction().await?;
    let id = courses::insert(&tx, center_id, input).await?;
    audit::record(
        &tx,
        p,
        AuditEntry {
            action: "create",
            entity: "course",
            entity_id: id.to_string(),
            region_code: Some(&input.location_region),
            details: serde_json::json!({ "title": input.title.trim() }),
        },
    )
    .await?;
    let course = courses::find(&tx, id)
        .await?
        .ok_or_else(|| ApiError::internal("course vanished"))?;
    tx.commit().await?;
    Ok(course)
}

/// The center that runs a course replaces its data. Places never drop below those enrolled.
pub async fn update(
    state: &AppState,
    p: &Principal,
    id: i64,
    input: &CourseInput,
    expected: Option<i32>,
) -> ApiResult<Course> {
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let current = courses::lock(&tx, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    policy::may_run_course(p, &current)?;
    check_version(expected, current.version)?;
    validate::course(&tx, input).await?;
    if i64::from(input.capacity) < current.enrolled {
        return Err(ApiError::field("capacity", "below_enrolled"));
    }
    courses::update(&tx, id, input).await?;
    audit::record(
        &tx,
        p,
        AuditEntry {
            action: "update",
            entity: "course",
            entity_id: id.to_string(),
            region_code: Some(&input.location_region),
            details: serde_json::json!({ "title": input.title.trim() }),
        },
    )
    .await?;
    let course = courses::find(&tx, id)
        .await?
        .ok_or_else(|| ApiError::internal("course vanished"))?;
    tx.commit().await?;
    Ok(course)
}

/// A course (course information is public to anyone signed in).
pub async fn get(state: &AppState, _p: &Principal, id: i64) -> ApiResult<Course> {
    let client = state.pool.get().await?;
    courses::find(&client, id)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// Courses, oldest first; a center's staff see their own.
pub async fn list(
    state: &AppState,
    p: &Principal,
    center: Option<i64>,
    after: Option<i64>,
    limit: i64,
) -> ApiResult<Vec<Course>> {
    let center = match policy::course_list(p, center)? {
        CourseList::All => None,
        CourseList::OfCenter(id) => Some(id),
    };
    let client = state.pool.get().await?;
    Ok(courses::list(&client, center, after, limit).await?)
}

/// Enrolls a worker in one of the center's courses. Capacity is enforced; enrolling the same
/// worker again answers the existing enrollment (`created` false).
pub async fn enroll(
    state: &AppState,
    p: &Principal,
    course_id: i64,
    req: &EnrollRequest,
) -> ApiResult<(bool, Enrollment)> {
    let mut client = state.pool.get().await?;
    let worker_id = match (&req.worker_id, &req.id_number) {
        (Some(id), _) => workers::find(&client, *id).await?.map(|w| w.id),
        (None, Some(raw)) => {
            let id = NationalId::parse(raw).map_err(|r| ApiError::field("id_number", r))?;
            workers::id_by_national_id(&client, id.as_str()).await?
        }
        (None, None) => {
            return Err(ApiError::field(
                "worker_id",
                "worker_id_or_id_number_required",
            ))
        }
    }
    .ok_or_else(|| ApiError::field("worker_id", "unknown_worker"))?;
    let tx = client.transaction().await?;
    // Locked, so concurrent enrollments cannot overfill it.
    let course = courses::lock(&tx, course_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    policy::may_run_course(p, &course)?;
    if let Some(existing) = courses::find_enrollment_of(&tx, course_id, worker_id).await? {
        return Ok((false, existing));
    }
    if course.enrolled >= i64::from(course.capacity) {
        return Err(ApiError::new(ErrorCode::CapacityReached)
            .with_extra(serde_json::json!({ "capacity": course.capacity })));
    }
    let id = courses::enroll(&tx, course_id, worker_id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::Conflict))?;
    audit::record(
        &tx,
        p,
        AuditEntry {
            action: "enroll",
            entity: "enrollment",
            entity_id: id.to_string(),
            region_code: Some(&course.location_region),
            details: serde_json::json!({ "course_id": course_id, "worker_id": worker_id }),
        },
    )
    .await?;
    let enrollment = courses::find_enrollment(&tx, id)
        .await?
        .ok_or_else(|| ApiError::internal("enrollment vanished"))?;
    tx.commit().await?;
    Ok((true, enrollment))
}

/// A course's enrollees (names only: no phone or ID numbers in lists).
pub async fn enrollments(
    state: &AppState,
    p: &Principal,
    course_id: i64,
    after: Option<i64>,
    limit: i64,
) -> ApiResult<Vec<Enrollment>> {
    let client = state.pool.get().await?;
    let course = courses::find(&client, course_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    policy::may_list_enrollments(p, &course)?;
    Ok(courses::list_enrollments(&client, course.id, after, limit).await?)
}

/// Records a result inside the caller's transaction (the route's, or an import's): checks it,
/// stores it, and on a pass gives the worker a certified skill per occupation of the course (a
/// later fail removes them), with the worker's index change. Returns the change number. The
/// caller has checked the course is theirs to run.
pub async fn record_result_in(
    tx: &impl GenericClient,
    course: &Course,
    enrollment: &Enrollment,
    r: &ResultInput,
) -> ApiResult<i64> {
    validate::plain_text(&[(
        "certificate_number",
        r.certificate_number.as_deref().unwrap_or(""),
    )])?;
    let claim = ResultClaim {
        passed: r.passed,
        score: r.score,
        certificate_number: r.certificate_number.as_deref(),
        level: r.level,
        result_on: r.result_on,
    };
    let cert = certify(&claim, course.certificate_level, validate::today())
        .map_err(ApiError::validation)?;
    courses::set_result(
        tx,
        enrollment.id,
        cert.status,
        r,
        cert.level,
        cert.result_on,
    )
    .await?;
    workers::remove_certified_skills(tx, enrollment.id).await?;
    if r.passed {
        for code in &course.occupation_codes {
            workers::add_certified_skill(
                tx,
                enrollment.worker_id,
                code,
                cert.level,
                cert.certificate_number,
                enrollment.id,
                cert.result_on,
            )
            .await?;
        }
    }
    Ok(outbox::record_change(tx, Entity::Worker, enrollment.worker_id).await?)
}

/// Records a pass or fail; answers the enrollment and the index change number.
pub async fn record_result(
    state: &AppState,
    p: &Principal,
    enrollment_id: i64,
    r: &ResultInput,
) -> ApiResult<(Enrollment, i64)> {
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let enrollment = courses::find_enrollment(&tx, enrollment_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let course = courses::find(&tx, enrollment.course_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    policy::may_run_course(p, &course)?;
    let change = record_result_in(&tx, &course, &enrollment, r).await?;
    audit::record(
        &tx,
        p,
        AuditEntry {
            action: "result",
            entity: "enrollment",
            entity_id: enrollment.id.to_string(),
            region_code: Some(&course.location_region),
            details: serde_json::json!({ "passed": r.passed }),
        },
    )
    .await?;
    let updated = courses::find_enrollment(&tx, enrollment.id)
        .await?
        .ok_or_else(|| ApiError::internal("enrollment vanished"))?;
    tx.commit().await?;
    Ok((updated, change))
}
