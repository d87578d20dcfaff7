//! Employers' openings.

use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::preconditions::{expected_version, if_match, set_etag};
use crate::auth::{AnyUser, Auth, EmployerStaff};
use crate::db::openings::{Opening, OpeningInput};
use crate::error::ApiResult;
use crate::pagination::{Page, PageParams};
use crate::services::openings;
use crate::state::AppState;

/// An employer posts an opening (draft or open).
#[utoipa::path(
    tag = "openings",
    security(("bearer" = [])),
    request_body = OpeningInput,
    responses(
        (status = 201, body = Opening),
        (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "invalid_transition: a new opening is a draft or open"),
        (status = 422, body = crate::error::ErrorBody)
    )
)]
#[post("/openings")]
pub async fn create_opening(
    state: web::Data<AppState>,
    employer: Auth<EmployerStaff>,
    body: crate::input::Json<OpeningInput>,
) -> ApiResult<HttpResponse> {
    let written = openings::create(&state, &employer, &body).await?;
    let mut resp = HttpResponse::Created();
    if let Some(change) = written.change {
        resp.insert_header(("X-Change", change.to_string()));
    }
    Ok(resp.json(written.value))
}

/// One opening. Open openings are visible to everyone signed in; drafts, filled and closed
/// ones to their employer and program staff.
#[utoipa::path(
    tag = "openings",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Opening), (status = 404, body = crate::error::ErrorBody))
)]
#[get("/openings/{id}")]
pub async fn get_opening(
    state: web::Data<AppState>,
    user: Auth<AnyUser>,
    path: web::Path<i64>,
) -> ApiResult<web::Json<Opening>> {
    Ok(web::Json(
        openings::get(&state, &user, path.into_inner()).await?,
    ))
}

/// The employer replaces an opening (including its status). Status moves: draft → open or
/// closed; open → filled or closed; filled → closed, or open again with more places than
/// accepted applications; closed is final (else 409 `invalid_transition`). The headcount is
/// never below the accepted applications (422, `below_accepted_applications`). An open opening
/// whose places are all taken becomes filled. `If-Match` as for households.
#[utoipa::path(
    tag = "openings",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path),
        ("If-Match" = Option<String>, Header, description = "ETag or quoted version last read")
    ),
    request_body = OpeningInput,
    responses(
        (status = 200, body = Opening),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "invalid_transition"),
        (status = 412, body = crate::error::ErrorBody, description = "precondition_failed"),
        (status = 422, body = crate::error::ErrorBody)
    )
)]
#[put("/openings/{id}")]
pub async fn update_opening(
    state: web::Data<AppState>,
    employer: Auth<EmployerStaff>,
    req: HttpRequest,
    path: web::Path<i64>,
    body: crate::input::Json<OpeningInput>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let expected = match if_match(&req)? {
        None => None,
        condition => {
            let current = openings::get(&state, &employer, id).await?;
            expected_version(condition, &current, current.version)?
        }
    };
    let written = openings::update(&state, &employer, id, &body, expected).await?;
    let mut resp = HttpResponse::Ok();
    set_etag(&mut resp, &written.value)?;
    if let Some(change) = written.change {
        resp.insert_header(("X-Change", change.to_string()));
    }
    Ok(resp.json(written.value))
}

#[derive(Deserialize, IntoParams)]
pub struct OpeningQuery {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Employers see all their own openings; everyone else the open ones.
#[utoipa::path(
    tag = "openings",
    security(("bearer" = [])),
    params(OpeningQuery),
    responses((status = 200, body = Page<Opening>))
)]
#[get("/openings")]
pub async fn list_openings(
    state: web::Data<AppState>,
    user: Auth<AnyUser>,
    query: crate::input::Query<OpeningQuery>,
) -> ApiResult<web::Json<Page<Opening>>> {
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let limit = page.limit()?;
    let rows = openings::list(&state, &user, page.after_key()?, limit + 1).await?;
    Ok(web::Json(Page::from_overfetch(rows, limit, |o| o.id)))
}
