//! Sign-up (workers), sign-in, token refresh and sign-out, invitations, officers, and the
//! admins' switch that disables an account.

use actix_web::{get, post, web, HttpRequest, HttpResponse};

use super::client_addr;
use crate::auth::{AdminOnly, AnyUser, Auth};
use crate::error::ApiResult;
use crate::services::accounts::{
    self, AcceptInvitationRequest, AccountView, CreateOfficerRequest, LoginRequest, RefreshRequest,
    RegisterRequest, TokenResponse,
};
use crate::state::AppState;

/// A job seeker creates an account with a mainland mobile number and a password. With the
/// `claim_code` an office gave for the profile it registered with this phone, the account is
/// that profile's at once. Sign-ups are limited per phone and per client address.
#[utoipa::path(
    tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, body = TokenResponse),
        (status = 403, body = crate::error::ErrorBody, description = "invalid_claim_code"),
        (status = 409, body = crate::error::ErrorBody, description = "already_exists"),
        (status = 422, body = crate::error::ErrorBody, description = "validation_failed"),
        (status = 429, body = crate::error::ErrorBody, description = "too_many_requests"),
        (status = 503, body = crate::error::ErrorBody, description = "overloaded: too many passwords being hashed")
    )
)]
#[post("/auth/register")]
pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: crate::input::Json<RegisterRequest>,
) -> ApiResult<HttpResponse> {
    let tokens = accounts::register(&state, body.into_inner(), &client_addr(&req)).await?;
    Ok(HttpResponse::Created().json(tokens))
}

/// Signs in with phone and password. Too many failures for a phone or from an address → 429.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, body = crate::error::ErrorBody, description = "invalid_credentials"),
        (status = 429, body = crate::error::ErrorBody, description = "too_many_requests"),
        (status = 503, body = crate::error::ErrorBody, description = "overloaded")
    )
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: crate::input::Json<LoginRequest>,
) -> ApiResult<web::Json<TokenResponse>> {
    Ok(web::Json(
        accounts::login(&state, body.into_inner(), &client_addr(&req)).await?,
    ))
}

/// Trades a refresh token for new tokens. Each refresh token works once; presenting a spent one
/// ends its session: every refresh and access token of that sign-in stops working.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, body = crate::error::ErrorBody, description = "unauthorized")
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    body: crate::input::Json<RefreshRequest>,
) -> ApiResult<web::Json<TokenResponse>> {
    Ok(web::Json(
        accounts::refresh(&state, &body.refresh_token).await?,
    ))
}

/// Signs out: this session ends (its access tokens stop working within a second), and so does
/// the session of the refresh token given, if it is the caller's.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    request_body = RefreshRequest,
    responses((status = 204), (status = 401, body = crate::error::ErrorBody))
)]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    user: Auth<AnyUser>,
    body: crate::input::Json<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    accounts::logout(&state, &user, &body.refresh_token).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in account.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 200, body = AccountView), (status = 401, body = crate::error::ErrorBody))
)]
#[get("/me")]
pub async fn me(
    state: web::Data<AppState>,
    user: Auth<AnyUser>,
) -> ApiResult<web::Json<AccountView>> {
    Ok(web::Json(accounts::me(&state, &user).await?))
}

/// Creates a center or employer staff account from a one-time invitation code. Limited per
/// phone and per client address, like sign-ups.
#[utoipa::path(
    tag = "auth",
    request_body = AcceptInvitationRequest,
    responses(
        (status = 201, body = TokenResponse),
        (status = 404, body = crate::error::ErrorBody, description = "unknown, used or expired code"),
        (status = 429, body = crate::error::ErrorBody, description = "too_many_requests"),
        (status = 503, body = crate::error::ErrorBody, description = "overloaded")
    )
)]
#[post("/auth/accept-invitation")]
pub async fn accept_invitation(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: crate::input::Json<AcceptInvitationRequest>,
) -> ApiResult<HttpResponse> {
    let tokens = accounts::accept_invitation(&state, body.into_inner(), &client_addr(&req)).await?;
    Ok(HttpResponse::Created().json(tokens))
}

/// Admins create program-staff accounts, each scoped to a region.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    request_body = CreateOfficerRequest,
    responses(
        (status = 201, body = AccountView),
        (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)
    )
)]
#[post("/officers")]
pub async fn create_officer(
    state: web::Data<AppState>,
    admin: Auth<AdminOnly>,
    body: crate::input::Json<CreateOfficerRequest>,
) -> ApiResult<HttpResponse> {
    let account = accounts::create_officer(&state, &admin, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(account))
}

/// Disables an account: it cannot sign in, and every session of it ends (its access tokens stop
/// working within a second). Audited.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "account id")),
    responses(
        (status = 200, body = AccountView),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "your own account")
    )
)]
#[post("/admin/accounts/{id}/disable")]
pub async fn disable_account(
    state: web::Data<AppState>,
    admin: Auth<AdminOnly>,
    path: web::Path<i64>,
) -> ApiResult<web::Json<AccountView>> {
    Ok(web::Json(
        accounts::set_disabled(&state, &admin, path.into_inner(), true).await?,
    ))
}

/// Enables a disabled account again (its owner signs in anew). Audited.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "account id")),
    responses(
        (status = 200, body = AccountView),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)
    )
)]
#[post("/admin/accounts/{id}/enable")]
pub async fn enable_account(
    state: web::Data<AppState>,
    admin: Auth<AdminOnly>,
    path: web::Path<i64>,
) -> ApiResult<web::Json<AccountView>> {
    Ok(web::Json(
        accounts::set_disabled(&state, &admin, path.into_inner(), false).await?,
    ))
}
