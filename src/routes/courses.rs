//! Training centers' courses, enrollments and results. A pass adds certified skills.

use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::preconditions::{expected_version, if_match, set_etag};
use crate::auth::{AnyUser, Auth, CenterStaff};
use crate::db::courses::{Course, CourseInput, Enrollment, ResultInput};
use crate::error::ApiResult;
use crate::pagination::{Page, PageParams};
use crate::services::courses::{self, EnrollRequest};
use crate::state::AppState;

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
    body: crate::input::Json<CourseInput>,
) -> ApiResult<HttpResponse> {
    let course = courses::create(&state, &center, &body).await?;
    Ok(HttpResponse::Created().json(course))
}

/// The center that runs a course replaces its data; places never drop below those enrolled
/// (422 `below_enrolled`). With `If-Match` (the ETag of a GET, or the version in quotes) a
/// course changed since it was read answers 412 `precondition_failed`.
#[utoipa::path(
    tag = "training",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path),
        ("If-Match" = Option<String>, Header, description = "ETag or quoted version last read")
    ),
    request_body = CourseInput,
    responses(
        (status = 200, body = Course),
        (status = 404, body = crate::error::ErrorBody),
        (status = 412, body = crate::error::ErrorBody, description = "precondition_failed: changed since read"),
        (status = 422, body = crate::error::ErrorBody)
    )
)]
#[put("/courses/{id}")]
pub async fn update_course(
    state: web::Data<AppState>,
    center: Auth<CenterStaff>,
    req: HttpRequest,
    path: web::Path<i64>,
    body: crate::input::Json<CourseInput>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let expected = match if_match(&req)? {
        None => None,
        condition => {
            let current = courses::get(&state, &center, id).await?;
            expected_version(condition, &current, current.version)?
        }
    };
    let course = courses::update(&state, &center, id, &body, expected).await?;
    let mut resp = HttpResponse::Ok();
    set_etag(&mut resp, &course)?;
    Ok(resp.json(course))
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
    user: Auth<AnyUser>,
    path: web::Path<i64>,
) -> ApiResult<web::Json<Course>> {
    Ok(web::Json(
        courses::get(&state, &user, path.into_inner()).await?,
    ))
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
    query: crate::input::Query<CourseQuery>,
) -> ApiResult<web::Json<Page<Course>>> {
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let limit = page.limit()?;
    let rows = courses::list(&state, &user, query.center_id, page.after_key()?, limit + 1).await?;
    Ok(web::Json(Page::from_overfetch(rows, limit, |c| c.id)))
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
    body: crate::input::Json<EnrollRequest>,
) -> ApiResult<HttpResponse> {
    let (created, enrollment) = courses::enroll(&state, &center, path.into_inner(), &body).await?;
    Ok(if created {
        HttpResponse::Created().json(enrollment)
    } else {
        HttpResponse::Ok().json(enrollment)
    })
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
    page: crate::input::Query<PageParams>,
) -> ApiResult<web::Json<Page<Enrollment>>> {
    let limit = page.limit()?;
    let rows = courses::enrollments(
        &state,
        &user,
        path.into_inner(),
        page.after_key()?,
        limit + 1,
    )
    .await?;
    Ok(web::Json(Page::from_overfetch(rows, limit, |e| e.id)))
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
    body: crate::input::Json<ResultInput>,
) -> ApiResult<HttpResponse> {
    let (enrollment, change) =
        courses::record_result(&state, &center, path.into_inner(), &body).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("X-Change", change.to_string()))
        .json(enrollment))
}
