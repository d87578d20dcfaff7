//! Training centers and employers, and the one-time invitations that bring in their staff.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{field, required_text};
use crate::auth::tokens::new_opaque_token;
use crate::auth::{AnyUser, Auth, OfficerOrAdmin, Principal, Role};
use crate::db::accounts::{self, Organization};
use crate::db::audit::{self, AuditEntry};
use crate::domain::{CreditCode, RegionCode};
use crate::error::{ApiError, ApiResult};
use crate::startup::AppState;

const INVITATION_DAYS: i64 = 14;

#[derive(Deserialize, ToSchema)]
pub struct CreateOrganizationRequest {
    /// `center` (training center) or `employer`.
    pub kind: String,
    pub name: String,
    /// Unified social credit code: required for employers.
    pub credit_code: Option<String>,
    pub region_code: String,
    #[serde(default)]
    pub address: String,
}

#[derive(Serialize, ToSchema)]
pub struct OrganizationView {
    pub id: i64,
    pub kind: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit_code: Option<String>,
    pub region_code: String,
    pub address: String,
}

impl From<Organization> for OrganizationView {
    fn from(o: Organization) -> Self {
        OrganizationView {
            id: o.id,
            kind: o.kind,
            name: o.name,
            credit_code: o.credit_code,
            region_code: o.region_code,
            address: o.address,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct InvitationView {
    /// One-time code, shown once: give it to the person who will sign up with it.
    pub code: String,
    pub organization_id: i64,
    pub org_admin: bool,
    pub expires_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedOrganization {
    pub organization: OrganizationView,
    /// Invitation for the organization's first account (its admin).
    pub invitation: InvitationView,
}

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
    body: web::Json<CreateOrganizationRequest>,
) -> ApiResult<HttpResponse> {
    let mut details = Vec::new();
    let kind = body.kind.trim();
    if kind != "center" && kind != "employer" {
        details.push(field("kind", "must_be_center_or_employer"));
    }
    let name = required_text("name", &body.name, 200)
        .map_err(|e| details.push(e))
        .ok();
    let credit_code = match body
        .credit_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        Some(raw) => CreditCode::parse(raw)
            .map_err(|r| details.push(field("credit_code", r)))
            .ok(),
        None if kind == "employer" => {
            details.push(field("credit_code", "required_for_employers"));
            None
        }
        None => None,
    };
    let region = RegionCode::parse(&body.region_code)
        .map_err(|r| details.push(field("region_code", r)))
        .ok();
    if body.address.chars().count() > 300 {
        details.push(field("address", "too_long"));
    }
    let (Some(name), Some(region)) = (name, region) else {
        return Err(ApiError::validation(details));
    };
    if !details.is_empty() {
        return Err(ApiError::validation(details));
    }
    if !staff.sees_region(region.as_str()) {
        return Err(ApiError::forbidden());
    }
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    if !accounts::region_exists(&tx, region.as_str()).await? {
        return Err(ApiError::field("region_code", "unknown_region"));
    }
    let org = accounts::insert_organization(
        &tx,
        kind,
        &name,
        credit_code.as_ref().map(|c| c.as_str()),
        region.as_str(),
        body.address.trim(),
        staff.account_id,
    )
    .await?;
    let invitation = new_invitation(&tx, &staff, org.id, true).await?;
    audit::record(
        &tx,
        &staff,
        AuditEntry {
            action: "create",
            entity: "organization",
            entity_id: org.id.to_string(),
            region_code: Some(&org.region_code),
            details: serde_json::json!({ "kind": org.kind, "name": org.name }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(CreatedOrganization {
        organization: org.into(),
        invitation,
    }))
}

async fn new_invitation(
    client: &impl deadpool_postgres::GenericClient,
    by: &Principal,
    organization_id: i64,
    org_admin: bool,
) -> ApiResult<InvitationView> {
    let (code, hash) = new_opaque_token();
    let expires_at = Utc::now() + chrono::Duration::days(INVITATION_DAYS);
    accounts::insert_invitation(
        client,
        &hash,
        organization_id,
        org_admin,
        by.account_id,
        expires_at,
    )
    .await?;
    Ok(InvitationView {
        code,
        organization_id,
        org_admin,
        expires_at,
    })
}

/// Who may manage an organization: its own admins, and staff whose region holds it.
fn may_manage(user: &Principal, org: &Organization) -> bool {
    (user.in_org(org.id) && user.org_admin) || user.sees_region(&org.region_code)
}

/// Members, and staff whose region holds it, may read an organization.
fn may_read(user: &Principal, org: &Organization) -> bool {
    user.in_org(org.id) || user.sees_region(&org.region_code)
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
    let client = state.pool.get().await?;
    let org = accounts::find_organization(&client, path.into_inner())
        .await?
        .filter(|o| may_read(&user, o))
        .ok_or_else(ApiError::not_found)?;
    Ok(web::Json(org.into()))
}

#[derive(Deserialize, ToSchema)]
pub struct CreateInvitationRequest {
    /// Whether the new account may invite others.
    #[serde(default)]
    pub org_admin: bool,
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
    body: web::Json<CreateInvitationRequest>,
) -> ApiResult<HttpResponse> {
    if user.role == Role::Worker {
        return Err(ApiError::forbidden());
    }
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let org = accounts::find_organization(&tx, path.into_inner())
        .await?
        .filter(|o| may_read(&user, o))
        .ok_or_else(ApiError::not_found)?;
    if !may_manage(&user, &org) {
        return Err(ApiError::forbidden());
    }
    let invitation = new_invitation(&tx, &user, org.id, body.org_admin).await?;
    audit::record(
        &tx,
        &user,
        AuditEntry {
            action: "invite",
            entity: "organization",
            entity_id: org.id.to_string(),
            region_code: Some(&org.region_code),
            details: serde_json::json!({ "org_admin": body.org_admin }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(invitation))
}
