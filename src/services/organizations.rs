//! Training centers and employers, and the one-time invitations that bring in their staff.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::accounts::{field, required_text};
use crate::auth::tokens::new_opaque_token;
use crate::auth::{policy, Principal};
use crate::db::accounts::{self, Organization};
use crate::db::audit::{self, AuditEntry};
use crate::domain::{CreditCode, RegionCode};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

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

#[derive(Deserialize, ToSchema)]
pub struct CreateInvitationRequest {
    /// Whether the new account may invite others.
    #[serde(default)]
    pub org_admin: bool,
}

/// Program staff (within their region) register a center or employer, and get the invitation
/// code for its first account.
pub async fn create(
    state: &AppState,
    p: &Principal,
    req: &CreateOrganizationRequest,
) -> ApiResult<CreatedOrganization> {
    crate::validate::plain_text(&[
        ("kind", &req.kind),
        ("name", &req.name),
        ("credit_code", req.credit_code.as_deref().unwrap_or("")),
        ("region_code", &req.region_code),
        ("address", &req.address),
    ])?;
    let mut details = Vec::new();
    let kind = req.kind.trim();
    if kind != "center" && kind != "employer" {
        details.push(field("kind", "must_be_center_or_employer"));
    }
    let name = required_text("name", &req.name, 200)
        .map_err(|e| details.push(e))
        .ok();
    let credit_code = match req
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
    let region = RegionCode::parse(&req.region_code)
        .map_err(|r| details.push(field("region_code", r)))
        .ok();
    if req.address.chars().count() > 300 {
        details.push(field("address", "too_long"));
    }
    let (Some(name), Some(region)) = (name, region) else {
        return Err(ApiError::validation(details));
    };
    if !details.is_empty() {
        return Err(ApiError::validation(details));
    }
    policy::may_create_organization(p, region.as_str())?;
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
        req.address.trim(),
        p.account_id,
    )
    .await?;
    let invitation = new_invitation(&tx, p, org.id, true).await?;
    audit::record(
        &tx,
        p,
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
    Ok(CreatedOrganization {
        organization: org.into(),
        invitation,
    })
}

async fn new_invitation(
    client: &impl GenericClient,
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

/// An organization; others get 404: even its existence is not theirs to know.
pub async fn get(state: &AppState, p: &Principal, id: i64) -> ApiResult<OrganizationView> {
    let client = state.pool.get().await?;
    let org = accounts::find_organization(&client, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    policy::may_read_organization(p, &org)?;
    Ok(org.into())
}

/// The organization's own admin (or staff in scope) invites another staff account.
pub async fn invite(
    state: &AppState,
    p: &Principal,
    id: i64,
    req: &CreateInvitationRequest,
) -> ApiResult<InvitationView> {
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let org = accounts::find_organization(&tx, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    policy::may_invite_to_organization(p, &org)?;
    let invitation = new_invitation(&tx, p, org.id, req.org_admin).await?;
    audit::record(
        &tx,
        p,
        AuditEntry {
            action: "invite",
            entity: "organization",
            entity_id: org.id.to_string(),
            region_code: Some(&org.region_code),
            details: serde_json::json!({ "org_admin": req.org_admin }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(invitation)
}
