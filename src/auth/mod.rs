//! Who is calling: roles, access tokens (JWT), passwords (argon2id), refresh tokens, and typed
//! extractors so each handler states in its signature which roles may call it.

pub mod extract;
pub mod password;
pub mod tokens;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use extract::{
    AdminOnly, AnyUser, Auth, CenterStaff, EmployerStaff, OfficerOrAdmin, WorkerOnly,
};
pub use tokens::JwtKeys;

use crate::domain::RegionCode;

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

/// The authenticated caller, as carried by a valid access token.
#[derive(Clone, Debug)]
pub struct Principal {
    pub account_id: i64,
    pub role: Role,
    pub organization_id: Option<i64>,
    pub org_admin: bool,
    /// Officers only: the region they may see.
    pub region: Option<RegionCode>,
    pub request_id: String,
}

impl Principal {
    /// Whether this caller may see data whose home region is `home`.
    pub fn sees_region(&self, home: &str) -> bool {
        match self.role {
            Role::Admin => true,
            Role::Officer => match (&self.region, RegionCode::parse(home)) {
                (Some(scope), Ok(home)) => scope.contains(&home),
                _ => false,
            },
            _ => false,
        }
    }

    /// The region filter for list queries: `None` means everything (admins).
    pub fn region_scope(&self) -> Option<&str> {
        match self.role {
            Role::Admin => None,
            _ => self.region.as_ref().map(|r| r.as_str()),
        }
    }

    pub fn is_staff(&self) -> bool {
        matches!(self.role, Role::Officer | Role::Admin)
    }

    pub fn in_org(&self, organization_id: i64) -> bool {
        self.organization_id == Some(organization_id)
    }
}
