//! `Auth<R>`: a handler that takes `Auth<EmployerStaff>` cannot run for anyone else. The role
//! sets are defined in `policy`, next to every other rule.
//! Missing, invalid or expired token, or an ended session → 401 `unauthorized`; a valid token of
//! a role outside the set → 403 `forbidden`.

use std::future::{ready, Ready};
use std::marker::PhantomData;

use actix_web::{dev::Payload, web, FromRequest, HttpMessage, HttpRequest};

use super::policy::RoleSet;
use super::Principal;
use crate::error::ApiError;
use crate::state::AppState;
use crate::telemetry::RequestId;

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
        ready(bearer(req).and_then(|principal| {
            R::admit(&principal)?;
            Ok(Auth {
                principal,
                _roles: PhantomData,
            })
        }))
    }
}

/// The caller of a request with `Authorization: Bearer <access token>`.
fn bearer(req: &HttpRequest) -> Result<Principal, ApiError> {
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
    super::principal_from_token(state, token, request_id)
}
