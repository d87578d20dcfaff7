//! Training centers and employers, and the one-time invitations that bring in their staff.

use actix_web::{get, post, web, HttpResponse};

use crate::auth::{AnyUser, Auth, OfficerOrAdmin};
use crate::error::ApiResult;
use crate::services::organizations::{
    self, CreateInvitationRequest, CreateOrganizationRequest, CreatedOrganization, InvitationView,
    OrganizationView,
};
use crate::state::AppState;

/// An officer (within their region) or admin registers a center or employer, and gets the
/// invitation code for its first account.
#[utoipa::path(
    tag = "organizations",
    security(("bearer" = [])),
    request_body = CreateOrganizationRequest,
    responses(
        (status = 201, body = CreatedOrganization),
        (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "already_exists"),
        (status = 422, body = crate::error::ErrorBody, description = "validation_failed")
    )
)]
#[post("/organizations")]
pub async fn create_organization(
    state: web::Data<AppState>,
    staff: Auth<OfficerOrAdmin>,
    body: crate::input::Json<CreateOrganizationRequest>,
) -> ApiResult<HttpResponse> {
    let created = organizations::create(&state, &staff, &body).await?;
    Ok(HttpResponse::Created().json(created))
}

/// An organization. Others get 404: even its existence is not theirs to know.
#[utoipa::path(
    tag = "organizations",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = OrganizationView), (status = 404, body = crate::error::ErrorBody))
)]
#[get("/organizations/{id}")]
pub async fn get_organization(
    state: web::Data<AppState>,
    user: Auth<AnyUser>,
    path: web::Path<i64>,
) -> ApiResult<web::Json<OrganizationView>> {
    Ok(web::Json(
        organizations::get(&state, &user, path.into_inner()).await?,
    ))
}

/// The organization's own admin (or staff in scope) invites another staff account.
#[utoipa::path(
    tag = "organizations",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    request_body = CreateInvitationRequest,
    responses(
        (status = 201, body = InvitationView),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)
    )
)]
#[post("/organizations/{id}/invitations")]
pub async fn create_invitation(
    state: web::Data<AppState>,
    user: Auth<AnyUser>,
    path: web::Path<i64>,
    body: crate::input::Json<CreateInvitationRequest>,
) -> ApiResult<HttpResponse> {
    let invitation = organizations::invite(&state, &user, path.into_inner(), &body).await?;
    Ok(HttpResponse::Created().json(invitation))
}
