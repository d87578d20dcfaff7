//! `Auth<R>`: a handler that takes `Auth<EmployerStaff>` cannot run for anyone else.
//! Missing, invalid or expired token → 401 `unauthorized`; a valid token of another role → 403.

use std::future::{ready, Ready};
use std::marker::PhantomData;

use actix_web::{dev::Payload, web, FromRequest, HttpMessage, HttpRequest};

use super::{Principal, Role};
use crate::domain::RegionCode;
use crate::error::ApiError;
use crate::startup::AppState;
use crate::telemetry::RequestId;

/// A set of roles allowed to call a handler.
pub trait RoleSet {
    const ROLES: &'static [Role];
}

macro_rules! role_set {
    ($(#[$doc:meta])* $name:ident => [$($role:ident),+]) => {
        $(#[$doc])*
        pub struct $name;
        impl RoleSet for $name {
            const ROLES: &'static [Role] = &[$(Role::$role),+];
        }
    };
}

role_set!(/// Job seekers.
    WorkerOnly => [Worker]);
role_set!(/// Training-center staff.
    CenterStaff => [Center]);
role_set!(/// Employer staff.
    EmployerStaff => [Employer]);
role_set!(/// Program staff: county, prefecture and province officers, and admins.
    OfficerOrAdmin => [Officer, Admin]);
role_set!(/// Admins only.
    AdminOnly => [Admin]);
role_set!(/// Anyone signed in.
    AnyUser => [Worker, Center, Employer, Officer, Admin]);

pub struct Auth<R: RoleSet> {
    pub principal: Principal,
    _roles: PhantomData<R>,
}

impl<R: RoleSet> std::ops::Deref for Auth<R> {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.principal
    }
}

impl<R: RoleSet> FromRequest for Auth<R> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req).and_then(|principal| {
            if R::ROLES.contains(&principal.role) {
                Ok(Auth {
                    principal,
                    _roles: PhantomData,
                })
            } else {
                Err(ApiError::forbidden())
            }
        }))
    }
}

fn authenticate(req: &HttpRequest) -> Result<Principal, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("AppState missing"))?;
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(ApiError::unauthorized)?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(ApiError::unauthorized)?;
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    principal_from_token(state, token, request_id)
}

/// The caller an access token stands for: the `Authorization` header of the API and the session
/// cookie of the pages both come here, so they are checked alike.
pub fn principal_from_token(
    state: &AppState,
    token: &str,
    request_id: String,
) -> Result<Principal, ApiError> {
    let claims = state.jwt.verify(token).map_err(|e| {
        tracing::debug!(error = %e, "access token refused");
        ApiError::unauthorized()
    })?;
    let account_id: i64 = claims.sub.parse().map_err(|_| ApiError::unauthorized())?;
    let region = match claims.region {
        Some(r) => Some(RegionCode::parse(&r).map_err(|_| ApiError::unauthorized())?),
        None => None,
    };
    if claims.role == Role::Officer && region.is_none() {
        return Err(ApiError::unauthorized());
    }
    Ok(Principal {
        account_id,
        role: claims.role,
        organization_id: claims.org,
        org_admin: claims.org_admin,
        region,
        request_id,
    })
}
