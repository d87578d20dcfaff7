//! Who is calling: roles, access tokens (JWT), sessions, passwords (argon2id), and typed
//! extractors. Who may do what is decided in `policy`, and only there.

pub mod extract;
pub mod password;
pub mod policy;
pub mod sessions;
pub mod tokens;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use extract::Auth;
pub use policy::{
    AdminOnly, AnyUser, CenterStaff, EmployerOrStaff, EmployerStaff, OfficerOrAdmin, RoleSet,
    Scope, WorkerOnly,
};
pub use tokens::JwtKeys;

use crate::domain::RegionCode;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Worker,
    Center,
    Employer,
    Officer,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Worker => "worker",
            Role::Center => "center",
            Role::Employer => "employer",
            Role::Officer => "officer",
            Role::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Option<Role> {
        Some(match raw {
            "worker" => Role::Worker,
            "center" => Role::Center,
            "employer" => Role::Employer,
            "officer" => Role::Officer,
            "admin" => Role::Admin,
            _ => return None,
        })
    }
}

/// The authenticated caller, as carried by a valid access token of an open session. It says
/// who the caller is; what they may do is `policy`'s to answer.
#[derive(Clone, Debug)]
pub struct Principal {
    pub account_id: i64,
    pub role: Role,
    pub organization_id: Option<i64>,
    pub org_admin: bool,
    /// Officers only: the region they may see.
    pub region: Option<RegionCode>,
    /// The session the token belongs to; `None` for the command line.
    pub session_id: Option<uuid::Uuid>,
    pub request_id: String,
}

impl Principal {
    /// The command line (`labormatch import ...`): an administrator's reach, audited as "cli".
    pub fn command_line() -> Principal {
        Principal {
            account_id: 0,
            role: Role::Admin,
            organization_id: None,
            org_admin: false,
            region: None,
            session_id: None,
            request_id: "cli".into(),
        }
    }

    /// The role as audit entries and histories record it.
    pub fn role_name(&self) -> &'static str {
        self.role.as_str()
    }
}

/// The one way from an access token to a caller: the signature, issuer, audience and expiry
/// (`JwtKeys::verify`), then the session (`Sessions::check`). The bearer extractor uses it, and
/// so will pages that carry the token in a cookie.
pub fn principal_from_token(
    state: &AppState,
    token: &str,
    request_id: String,
) -> ApiResult<Principal> {
    let claims = state.jwt.verify(token).map_err(|e| {
        tracing::debug!(error = %e, "access token refused");
        ApiError::unauthorized()
    })?;
    state.sessions.check(claims.sid)?;
    let account_id: i64 = claims.sub.parse().map_err(|_| ApiError::unauthorized())?;
    let region = match claims.region {
        Some(r) => Some(RegionCode::parse(&r).map_err(|_| ApiError::unauthorized())?),
        None => None,
    };
    let principal = Principal {
        account_id,
        role: claims.role,
        organization_id: claims.org,
        org_admin: claims.org_admin,
        region,
        session_id: Some(claims.sid),
        request_id,
    };
    if !policy::is_well_formed(&principal) {
        return Err(ApiError::unauthorized());
    }
    Ok(principal)
}
