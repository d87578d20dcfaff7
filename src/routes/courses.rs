//! Training centers' courses, enrollments and results. A pass adds certified skills.

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::{AnyUser, Auth, CenterStaff, Principal, Role};
use crate::db::audit::{self, AuditEntry};
use crate::db::courses::{self, Course, CourseInput, Enrollment, ResultInput};
use crate::db::outbox::{self, Entity};
use crate::db::workers;
use crate::domain::NationalId;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::pagination::{Page, PageParams};
use crate::startup::AppState;
use crate::validate::{self, Problems};

async fn validate_course(client: &deadpool_postgres::Client, c: &CourseInput) -> ApiResult<()> {
    let mut p = Problems::default();
    if c.title.trim().is_empty() {
        p.add("title", "must_not_be_empty");
    } else if c.title.chars().count() > 200 {
        p.add("title", "too_long");
    }
    if c.occupation_codes.is_empty() || c.occupation_codes.len() > 10 {
        p.add("occupation_codes", "between_1_and_10_codes");
    }
    validate::occupations(client, &mut p, "occupation_codes", &c.occupation_codes).await?;
    if !(1..=5000).contains(&c.hours) {
        p.add("hours", "out_of_range_1_5000");
    }
    if c.ends_on < c.starts_on {
        p.add("ends_on", "before_starts_on");
    }
    if !(1..=10_000).contains(&c.capacity) {
        p.add("capacity", "out_of_range_1_10000");
    }
    if !(1..=5).contains(&c.certificate_level) {
        p.add("certificate_level", "level_1_to_5");
    }
    validate::region(client, &mut p, "location_region", &c.location_region, false).await?;
    p.finish()
}

/// A center registers a course.
#[utoipa::path(
    tag = "training",
    security(("bearer" = [])),
    request_body = CourseInput,
    responses(
        (status = 201, body = Course),
        (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)
    )
)]
#[post("/courses")]
pub async fn create_course(
    state: web::Data<AppState>,
    center: Auth<CenterStaff>,
    body: web::Json<CourseInput>,
) -> ApiResult<HttpResponse> {
    let center_id = center.organization_id.ok_or_else(ApiError::forbidden)?;
    let mut client = state.pool.get().await?;
    validate_course(&client, &body).await?;
    let tx = client.transaction().await?;
    let id = courses::insert(&tx, center_id, &body).await?;
    audit::record(
        &tx,
        &center,
        AuditEntry {
            action: "create",
            entity: "course",
            entity_id: id.to_string(),
            region_code: Some(&body.location_region),
            details: serde_json::json!({ "title": body.title.trim() }),
        },
    )
    .await?;
    let course = courses::find(&tx, id)
        .await?
        .ok_or_else(|| ApiError::internal("course vanished"))?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(course))
}

/// A course (course information is public to signed-in users).
#[utoipa::path(
    tag = "training",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Course), (status = 404, body = crate::error::ErrorBody))
)]
#[get("/courses/{id}")]
pub async fn get_course(
    state: web::Data<AppState>,
    _user: Auth<AnyUser>,
    path: web::Path<i64>,
) -> ApiResult<web::Json<Course>> {
    let client = state.pool.get().await?;
    courses::find(&client, path.into_inner())
        .await?
        .map(web::Json)
        .ok_or_else(ApiError::not_found)
}

#[derive(Deserialize, IntoParams)]
pub struct CourseQuery {
    /// Only this center's courses (centers see their own by default).
    pub center_id: Option<i64>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Courses, oldest first; a center's staff see their own.
#[utoipa::path(
    tag = "training",
    security(("bearer" = [])),
    params(CourseQuery),
    responses((status = 200, body = Page<Course>))
)]
#[get("/courses")]
pub async fn list_courses(
    state: web::Data<AppState>,
    user: Auth<AnyUser>,
    query: web::Query<CourseQuery>,
) -> ApiResult<web::Json<Page<Course>>> {
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let limit = page.limit()?;
    let center = match user.role {
        Role::Center => user.organization_id,
        _ => query.center_id,
    };
    let client = state.pool.get().await?;
    let rows = courses::list(&client, center, page.after_key()?, limit + 1).await?;
    Ok(web::Json(Page::from_overfetch(rows, limit, |c| c.id)))
}

/// The course, if the caller's center runs it; 404 otherwise.
async fn own_course(
    client: &impl deadpool_postgres::GenericClient,
    user: &Principal,
    course_id: i64,
    lock: bool,
) -> ApiResult<Course> {
    let course = if lock {
        courses::lock(client, course_id).await?
    } else {
        courses::find(client, course_id).await?
    };
    course
        .filter(|c| user.in_org(c.center_id) || user.sees_region(&c.location_region))
        .ok_or_else(ApiError::not_found)
}

#[derive(Deserialize, ToSchema)]
pub struct EnrollRequest {
    /// The worker, by id ...
    pub worker_id: Option<i64>,
    /// ... or by national ID number.
    pub id_number: Option<String>,
}

/// Enrolls a worker in one of the center's courses. Capacity is enforced; enrolling the same
/// worker again answers the existing enrollment.
#[utoipa::path(
    tag = "training",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    request_body = EnrollRequest,
    responses(
        (status = 201, body = Enrollment),
        (status = 200, body = Enrollment, description = "already enrolled"),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "capacity_reached")
    )
)]
#[post("/courses/{id}/enrollments")]
pub async fn enroll(
    state: web::Data<AppState>,
    center: Auth<CenterStaff>,
    path: web::Path<i64>,
    body: web::Json<EnrollRequest>,
) -> ApiResult<HttpResponse> {
    let course_id = path.into_inner();
    let mut client = state.pool.get().await?;
    let worker_id = match (&body.worker_id, &body.id_number) {
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
    let course = own_course(&tx, &center, course_id, true).await?;
    if let Some(existing) = courses::find_enrollment_of(&tx, course_id, worker_id).await? {
        return Ok(HttpResponse::Ok().json(existing));
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
        &center,
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
    Ok(HttpResponse::Created().json(enrollment))
}

/// The course's enrollees (names only: no phone or ID numbers in lists).
#[utoipa::path(
    tag = "training",
    security(("bearer" = [])),
    params(("id" = i64, Path), PageParams),
    responses((status = 200, body = Page<Enrollment>), (status = 404, body = crate::error::ErrorBody))
)]
#[get("/courses/{id}/enrollments")]
pub async fn list_enrollments(
    state: web::Data<AppState>,
    user: Auth<AnyUser>,
    path: web::Path<i64>,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Page<Enrollment>>> {
    let limit = page.limit()?;
    let client = state.pool.get().await?;
    let course = own_course(&client, &user, path.into_inner(), false).await?;
    let rows = courses::list_enrollments(&client, course.id, page.after_key()?, limit + 1).await?;
    Ok(web::Json(Page::from_overfetch(rows, limit, |e| e.id)))
}

/// Records a result inside the caller's transaction: validates it, stores it, and on a pass
/// gives the worker a certified skill per occupation of the course (a later fail removes them).
/// Returns the index change number.
pub async fn apply_result(
    tx: &deadpool_postgres::Transaction<'_>,
    course: &Course,
    enrollment: &Enrollment,
    r: &ResultInput,
) -> ApiResult<i64> {
    let mut p = Problems::default();
    if let Some(score) = r.score {
        if !(0.0..=100.0).contains(&score) {
            p.add("score", "out_of_range_0_100");
        }
    }
    let certificate = r
        .certificate_number
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if r.passed && certificate.is_none() {
        p.add("certificate_number", "required_when_passed");
    }
    if certificate.map(|c| c.chars().count() > 50).unwrap_or(false) {
        p.add("certificate_number", "too_long");
    }
    if let Some(level) = r.level {
        if !(1..=5).contains(&level) {
            p.add("level", "level_1_to_5");
        }
    }
    let result_on = r.result_on.unwrap_or_else(validate::today);
    if result_on > validate::today() {
        p.add("result_on", "in_the_future");
    }
    p.finish()?;
    let level = r.level.or(Some(course.certificate_level));
    let status = if r.passed { "passed" } else { "failed" };
    courses::set_result(
        tx,
        enrollment.id,
        status,
        r,
        level.filter(|_| r.passed),
        result_on,
    )
    .await?;
    workers::remove_certified_skills(tx, enrollment.id).await?;
    if r.passed {
        for code in &course.occupation_codes {
            workers::add_certified_skill(
                tx,
                enrollment.worker_id,
                code,
                level,
                certificate,
                enrollment.id,
                result_on,
            )
            .await?;
        }
    }
    Ok(outbox::record_change(tx, Entity::Worker, enrollment.worker_id).await?)
}

/// Records a pass or fail. A pass adds certified skills to the worker and is reflected in
/// matching (see `change` and read-your-writes in README).
#[utoipa::path(
    tag = "training",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "enrollment id")),
    request_body = ResultInput,
    responses(
        (status = 200, body = Enrollment),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "certificate number already used"),
        (status = 422, body = crate::error::ErrorBody)
    )
)]
#[post("/enrollments/{id}/result")]
pub async fn record_result(
    state: web::Data<AppState>,
    center: Auth<CenterStaff>,
    path: web::Path<i64>,
    body: web::Json<ResultInput>,
) -> ApiResult<HttpResponse> {
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let enrollment = courses::find_enrollment(&tx, path.into_inner())
        .await?
        .ok_or_else(ApiError::not_found)?;
    let course = own_course(&tx, &center, enrollment.course_id, false).await?;
    let change = apply_result(&tx, &course, &enrollment, &body).await?;
    audit::record(
        &tx,
        &center,
        AuditEntry {
            action: "result",
            entity: "enrollment",
            entity_id: enrollment.id.to_string(),
            region_code: Some(&course.location_region),
            details: serde_json::json!({ "passed": body.passed }),
        },
    )
    .await?;
    let updated = courses::find_enrollment(&tx, enrollment.id)
        .await?
        .ok_or_else(|| ApiError::internal("enrollment vanished"))?;
    tx.commit().await?;
    Ok(HttpResponse::Ok()
        .insert_header(("X-Change", change.to_string()))
        .json(updated))
}
