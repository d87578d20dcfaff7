//! Applications and invitations, placements, follow-ups and dispatches.

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{AnyUser, Auth, EmployerOrStaff, EmployerStaff, WorkerOnly};
use crate::db::applications::{Application, Dispatch, Placement};
use crate::error::ApiResult;
use crate::pagination::{Page, PageParams};
use crate::services::applications::{
    self as apps, ApplicationView, InviteRequest, TransitionRequest,
};
use crate::services::placements::{
    self, DispatchRequest, DueList, EndPlacementRequest, FollowupRequest, PlacementRequest,
};
use crate::state::AppState;

/// A worker applies to an open opening. Applying twice answers the existing application.
#[utoipa::path(
    tag = "applications",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "opening id")),
    responses(
        (status = 201, body = ApplicationView),
        (status = 200, body = ApplicationView, description = "already applied"),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "opening not open / profile missing")
    )
)]
#[post("/openings/{id}/applications")]
pub async fn apply(
    state: web::Data<AppState>,
    user: Auth<WorkerOnly>,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let (created, view) = apps::apply(&state, &user, path.into_inner()).await?;
    Ok(if created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

/// The employer invites a worker (typically from its candidate list) to one of its openings.
#[utoipa::path(
    tag = "applications",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "opening id")),
    request_body = InviteRequest,
    responses(
        (status = 201, body = ApplicationView),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "already has an application")
    )
)]
#[post("/openings/{id}/invitations")]
pub async fn invite(
    state: web::Data<AppState>,
    employer: Auth<EmployerStaff>,
    path: web::Path<i64>,
    body: crate::input::Json<InviteRequest>,
) -> ApiResult<HttpResponse> {
    let view = apps::invite(&state, &employer, path.into_inner(), &body).await?;
    Ok(HttpResponse::Created().json(view))
}

/// One application with its history; 404 for anyone not party to it.
#[utoipa::path(
    tag = "applications",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = ApplicationView), (status = 404, body = crate::error::ErrorBody))
)]
#[get("/applications/{id}")]
pub async fn get_application(
    state: web::Data<AppState>,
    user: Auth<AnyUser>,
    path: web::Path<i64>,
) -> ApiResult<web::Json<ApplicationView>> {
    Ok(web::Json(
        apps::get(&state, &user, path.into_inner()).await?,
    ))
}

/// Moves an application to a new state. Impossible moves answer 409 `invalid_transition` with
/// the moves allowed to the caller in `extra.allowed`.
#[utoipa::path(
    tag = "applications",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    request_body = TransitionRequest,
    responses(
        (status = 200, body = ApplicationView),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "invalid_transition or capacity_reached"),
        (status = 422, body = crate::error::ErrorBody)
    )
)]
#[post("/applications/{id}/transitions")]
pub async fn transition(
    state: web::Data<AppState>,
    user: Auth<AnyUser>,
    path: web::Path<i64>,
    body: crate::input::Json<TransitionRequest>,
) -> ApiResult<web::Json<ApplicationView>> {
    Ok(web::Json(
        apps::transition(&state, &user, path.into_inner(), &body).await?,
    ))
}

#[derive(Deserialize, IntoParams)]
pub struct ApplicationQuery {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The signed-in worker's applications and invitations, newest first.
#[utoipa::path(
    tag = "applications",
    security(("bearer" = [])),
    params(ApplicationQuery),
    responses((status = 200, body = Page<Application>))
)]
#[get("/me/applications")]
pub async fn my_applications(
    state: web::Data<AppState>,
    user: Auth<WorkerOnly>,
    query: crate::input::Query<ApplicationQuery>,
) -> ApiResult<web::Json<Page<Application>>> {
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let limit = page.limit()?;
    let rows = apps::mine(&state, &user, page.after_key()?, limit + 1).await?;
    Ok(web::Json(Page::from_overfetch(rows, limit, |a| a.id)))
}

/// An opening's applications (its employer, and admins).
#[utoipa::path(
    tag = "applications",
    security(("bearer" = [])),
    params(("id" = i64, Path), ApplicationQuery),
    responses((status = 200, body = Page<Application>), (status = 404, body = crate::error::ErrorBody))
)]
#[get("/openings/{id}/applications")]
pub async fn opening_applications(
    state: web::Data<AppState>,
    user: Auth<AnyUser>,
    path: web::Path<i64>,
    query: crate::input::Query<ApplicationQuery>,
) -> ApiResult<web::Json<Page<Application>>> {
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let limit = page.limit()?;
    let rows = apps::of_opening(
        &state,
        &user,
        path.into_inner(),
        page.after_key()?,
        limit + 1,
    )
    .await?;
    Ok(web::Json(Page::from_overfetch(rows, limit, |a| a.id)))
}

/// Records that an accepted worker started work. The worker leaves the match pool; follow-ups
/// are scheduled at the configured months.
#[utoipa::path(
    tag = "placements",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "application id")),
    request_body = PlacementRequest,
    responses(
        (status = 201, body = Placement),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "not accepted, or already placed"),
        (status = 422, body = crate::error::ErrorBody)
    )
)]
#[post("/applications/{id}/placement")]
pub async fn create_placement(
    state: web::Data<AppState>,
    user: Auth<AnyUser>,
    path: web::Path<i64>,
    body: crate::input::Json<PlacementRequest>,
) -> ApiResult<HttpResponse> {
    let placement = placements::place(&state, &user, path.into_inner(), &body).await?;
    Ok(HttpResponse::Created().json(placement))
}

/// A placement with its follow-ups.
#[utoipa::path(
    tag = "placements",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Placement), (status = 404, body = crate::error::ErrorBody))
)]
#[get("/placements/{id}")]
pub async fn get_placement(
    state: web::Data<AppState>,
    user: Auth<AnyUser>,
    path: web::Path<i64>,
) -> ApiResult<web::Json<Placement>> {
    Ok(web::Json(
        placements::get(&state, &user, path.into_inner()).await?,
    ))
}

/// Ends a placement: the worker returns to the match pool (returnees are matched again).
#[utoipa::path(
    tag = "placements",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    request_body = EndPlacementRequest,
    responses(
        (status = 200, body = Placement),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "already ended"),
        (status = 422, body = crate::error::ErrorBody)
    )
)]
#[post("/placements/{id}/end")]
pub async fn end_placement(
    state: web::Data<AppState>,
    user: Auth<AnyUser>,
    path: web::Path<i64>,
    body: crate::input::Json<EndPlacementRequest>,
) -> ApiResult<HttpResponse> {
    let written = placements::end(&state, &user, path.into_inner(), &body).await?;
    let mut resp = HttpResponse::Ok();
    if let Some(change) = written.change {
        resp.insert_header(("X-Change", change.to_string()));
    }
    Ok(resp.json(written.value))
}

/// Records a follow-up: by the employer, an officer in scope, or the worker.
#[utoipa::path(
    tag = "placements",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "follow-up id")),
    request_body = FollowupRequest,
    responses(
        (status = 200, body = Placement),
        (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)
    )
)]
#[post("/followups/{id}")]
pub async fn record_followup(
    state: web::Data<AppState>,
    user: Auth<AnyUser>,
    path: web::Path<i64>,
    body: crate::input::Json<FollowupRequest>,
) -> ApiResult<web::Json<Placement>> {
    Ok(web::Json(
        placements::record_followup(&state, &user, path.into_inner(), &body).await?,
    ))
}

#[derive(Deserialize, IntoParams)]
pub struct DueQuery {
    /// Include follow-ups due within this many days from today (default 7, at most 366).
    pub within_days: Option<i64>,
    /// 1..=100, default 100.
    pub limit: Option<i64>,
}

/// Follow-ups not yet recorded and due soon (overdue ones flagged): officers see their region's
/// workers, employers their own placements.
#[utoipa::path(
    tag = "placements",
    security(("bearer" = [])),
    params(DueQuery),
    responses((status = 200, body = DueList), (status = 403, body = crate::error::ErrorBody))
)]
#[get("/followups/due")]
pub async fn due_followups(
    state: web::Data<AppState>,
    user: Auth<EmployerOrStaff>,
    query: crate::input::Query<DueQuery>,
) -> ApiResult<web::Json<DueList>> {
    Ok(web::Json(
        placements::due(
            &state,
            &user,
            query.within_days.unwrap_or(7),
            query.limit.unwrap_or(100),
        )
        .await?,
    ))
}

/// Groups accepted workers into a dispatch that travels together.
#[utoipa::path(
    tag = "placements",
    security(("bearer" = [])),
    request_body = DispatchRequest,
    responses(
        (status = 201, body = Dispatch),
        (status = 422, body = crate::error::ErrorBody)
    )
)]
#[post("/dispatches")]
pub async fn create_dispatch(
    state: web::Data<AppState>,
    user: Auth<EmployerOrStaff>,
    body: crate::input::Json<DispatchRequest>,
) -> ApiResult<HttpResponse> {
    let dispatch = placements::dispatch(&state, &user, &body).await?;
    Ok(HttpResponse::Created().json(dispatch))
}
