//! Sign-up (workers), sign-in, token refresh and sign-out, invitations, officers.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::password::{hash_password, verify_password};
use crate::auth::tokens::{hash_opaque_token, new_opaque_token, Claims};
use crate::auth::{AdminOnly, AnyUser, Auth, Role};
use crate::db::accounts::{self, Account, NewAccount, RefreshUse};
use crate::db::audit::{self, AuditEntry};
use crate::domain::{bounded_text, check_password, Phone, RegionCode};
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::startup::AppState;

#[derive(Deserialize, ToSchema)]
pub struct RegisterRequest {
    #[schema(example = "13812345678")]
    pub phone: String,
    pub password: String,
    #[serde(default)]
    pub display_name: String,
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub phone: String,
    pub password: String,
}

#[derive(Deserialize, ToSchema)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    pub refresh_token: String,
    pub account: AccountView,
}

/// The caller's own account. The phone is the caller's own, so it is shown.
#[derive(Serialize, ToSchema)]
pub struct AccountView {
    pub id: i64,
    pub role: Role,
    pub phone: String,
    pub display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<i64>,
    pub org_admin: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_code: Option<String>,
}

impl From<&Account> for AccountView {
    fn from(a: &Account) -> Self {
        AccountView {
            id: a.id,
            role: a.role,
            phone: a.phone.clone(),
            display_name: a.display_name.clone(),
            organization_id: a.organization_id,
            org_admin: a.org_admin,
            region_code: a.region_code.clone(),
        }
    }
}

/// Validates phone + password + display name, collecting every problem at once.
pub(crate) fn validate_credentials(
    phone: &str,
    password: &str,
    display_name: &str,
) -> ApiResult<(Phone, String)> {
    let mut details = Vec::new();
    let phone = Phone::parse(phone)
        .map_err(|r| details.push(field("phone", r)))
        .ok();
    if let Err(r) = check_password(password) {
        details.push(field("password", r));
    }
    if display_name.chars().count() > 50 {
        details.push(field("display_name", "too_long"));
    }
    match phone {
        Some(phone) if details.is_empty() => Ok((phone, display_name.trim().to_string())),
        _ => Err(ApiError::validation(details)),
    }
}

pub(crate) fn field(name: &str, reason: &str) -> FieldError {
    FieldError {
        field: name.into(),
        reason: reason.into(),
    }
}

/// Issues an access token and a new refresh token (in `family`, or a new family).
pub(crate) async fn issue_tokens(
    state: &AppState,
    client: &impl deadpool_postgres::GenericClient,
    account: &Account,
    family: Option<uuid::Uuid>,
) -> ApiResult<TokenResponse> {
    let access_token = state
        .jwt
        .issue(Claims {
            org: account.organization_id,
            org_admin: account.org_admin,
            region: account.region_code.clone(),
            ..Claims::new(account.id, account.role)
        })
        .map_err(ApiError::internal)?;
    let (refresh_token, hash) = new_opaque_token();
    let ttl =
        chrono::Duration::from_std(state.settings.refresh_token_ttl).map_err(ApiError::internal)?;
    accounts::store_refresh_token(
        client,
        account.id,
        family.unwrap_or_else(uuid::Uuid::new_v4),
        &hash,
        Utc::now() + ttl,
    )
    .await?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: state.jwt.access_ttl.as_secs(),
        refresh_token,
        account: AccountView::from(account),
    })
}

/// A job seeker creates an account with a mainland mobile number and a password.
#[utoipa::path(
    tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, body = TokenResponse),
        (status = 409, body = crate::error::ErrorBody, description = "already_exists"),
        (status = 422, body = crate::error::ErrorBody, description = "validation_failed")
    )
)]
#[post("/auth/register")]
pub async fn register(
    state: web::Data<AppState>,
    body: web::Json<RegisterRequest>,
) -> ApiResult<HttpResponse> {
    let tokens = sign_up(&state, &body).await?;
    Ok(HttpResponse::Created().json(tokens))
}

/// Creates a worker account and signs it in: the sign-up route and the sign-up page.
pub async fn sign_up(state: &AppState, body: &RegisterRequest) -> ApiResult<TokenResponse> {
    let (phone, display_name) =
        validate_credentials(&body.phone, &body.password, &body.display_name)?;
    let hash = hash_password(body.password.clone()).await?;
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let id = accounts::insert_account(
        &tx,
        NewAccount {
            role: Role::Worker,
            phone: phone.as_str(),
            password_hash: &hash,
            display_name: &display_name,
            organization_id: None,
            org_admin: false,
            region_code: None,
        },
    )
    .await?;
    let account = accounts::find_by_id(&tx, id)
        .await?
        .ok_or_else(|| ApiError::internal("account vanished"))?;
    audit::record_raw(
        &tx,
        Some(id),
        "worker",
        "",
        AuditEntry {
            action: "register",
            entity: "account",
            entity_id: id.to_string(),
            region_code: None,
            details: serde_json::json!({}),
        },
    )
    .await?;
    let tokens = issue_tokens(state, &tx, &account, None).await?;
    tx.commit().await?;
    Ok(tokens)
}

pub(crate) fn client_ip(req: &HttpRequest) -> String {
    // The socket peer, not X-Forwarded-For, which any client can write.
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Signs in with phone and password. Too many failures for a phone or from an address → 429.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, body = crate::error::ErrorBody, description = "invalid_credentials"),
        (status = 429, body = crate::error::ErrorBody, description = "too_many_requests")
    )
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> ApiResult<web::Json<TokenResponse>> {
    Ok(web::Json(
        sign_in(&state, &body.phone, &body.password, &client_ip(&req)).await?,
    ))
}

/// Checks a phone and password under the login throttle and issues tokens: the login route and
/// the sign-in page.
pub async fn sign_in(
    state: &AppState,
    raw_phone: &str,
    password: &str,
    client_ip: &str,
) -> ApiResult<TokenResponse> {
    // A malformed phone cannot belong to anyone; answer exactly as for a wrong password.
    let phone = Phone::parse(raw_phone).ok();
    let phone_key = format!(
        "phone:{}",
        phone
            .as_ref()
            .map(|p| p.as_str())
            .unwrap_or(raw_phone.trim())
    );
    let ip_key = format!("ip:{client_ip}");
    let client = state.pool.get().await?;
    let window = state.settings.login_window.as_secs_f64();
    let max = i64::from(state.settings.login_max_failures);
    // Many villagers share one mobile carrier address: the address limit is looser.
    for (key, limit) in [(&phone_key, max), (&ip_key, max * 10)] {
        let (count, oldest) = accounts::recent_failures(&client, key, window).await?;
        if count >= limit {
            let elapsed = oldest
                .map(|o| (Utc::now() - o).num_seconds().max(0) as u64)
                .unwrap_or(0);
            let retry = state
                .settings
                .login_window
                .as_secs()
                .saturating_sub(elapsed)
                .max(1);
            return Err(ApiError::new(ErrorCode::TooManyRequests).retry_after(retry));
        }
    }
    let account = match &phone {
        Some(p) => accounts::find_by_phone(&client, p.as_str()).await?,
        None => None,
    };
    let stored = account
        .as_ref()
        .filter(|a| !a.disabled)
        .map(|a| a.password_hash.clone());
    let ok = verify_password(password.to_string(), stored).await?;
    let account = match (ok, account) {
        (true, Some(a)) => a,
        _ => {
            accounts::record_failures(&client, &[phone_key, ip_key]).await?;
            return Err(ApiError::new(ErrorCode::InvalidCredentials));
        }
    };
    accounts::clear_failures(&client, &phone_key).await?;
    issue_tokens(state, &client, &account, None).await
}

/// Trades a refresh token for new tokens. Each refresh token works once; presenting a spent one
/// revokes every token descended from the same sign-in.
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
    body: web::Json<RefreshRequest>,
) -> ApiResult<web::Json<TokenResponse>> {
    let hash = hash_opaque_token(body.refresh_token.trim());
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    match accounts::spend_refresh_token(&tx, &hash).await? {
        RefreshUse::Fresh { account_id, family } => {
            let account = accounts::find_by_id(&tx, account_id)
                .await?
                .filter(|a| !a.disabled)
                .ok_or_else(ApiError::unauthorized)?;
            let tokens = issue_tokens(&state, &tx, &account, Some(family)).await?;
            tx.commit().await?;
            Ok(web::Json(tokens))
        }
        RefreshUse::Reused => {
            tracing::warn!("refresh token reused; its family is revoked");
            tx.commit().await?;
            Err(ApiError::unauthorized())
        }
        RefreshUse::Invalid => Err(ApiError::unauthorized()),
    }
}

/// Signs out: the refresh token and every token of its family stop working.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 204), (status = 401, body = crate::error::ErrorBody))
)]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    user: Auth<AnyUser>,
    body: web::Json<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    sign_out(&state, user.account_id, &body.refresh_token).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Ends the sign-in that `refresh_token` belongs to, if it is `account_id`'s: the logout route
/// and the sign-out button of the pages.
pub async fn sign_out(state: &AppState, account_id: i64, refresh_token: &str) -> ApiResult<()> {
    let hash = hash_opaque_token(refresh_token.trim());
    let client = state.pool.get().await?;
    if let Some((family, owner)) = accounts::family_of(&client, &hash).await? {
        if owner == account_id {
            accounts::revoke_family(&client, family).await?;
        }
    }
    Ok(())
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
    let client = state.pool.get().await?;
    let account = accounts::find_by_id(&client, user.account_id)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    Ok(web::Json(AccountView::from(&account)))
}

#[derive(Deserialize, ToSchema)]
pub struct AcceptInvitationRequest {
    pub code: String,
    pub phone: String,
    pub password: String,
    #[serde(default)]
    pub display_name: String,
}

/// Creates a center or employer staff account from a one-time invitation code.
#[utoipa::path(
    tag = "auth",
    request_body = AcceptInvitationRequest,
    responses(
        (status = 201, body = TokenResponse),
        (status = 404, body = crate::error::ErrorBody, description = "unknown, used or expired code")
    )
)]
#[post("/auth/accept-invitation")]
pub async fn accept_invitation(
    state: web::Data<AppState>,
    body: web::Json<AcceptInvitationRequest>,
) -> ApiResult<HttpResponse> {
    let (phone, display_name) =
        validate_credentials(&body.phone, &body.password, &body.display_name)?;
    let password_hash = hash_password(body.password.clone()).await?;
    let code_hash = hash_opaque_token(body.code.trim());
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let (organization_id, org_admin) = accounts::take_invitation(&tx, &code_hash)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let org = accounts::find_organization(&tx, organization_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let role = if org.kind == "center" {
        Role::Center
    } else {
        Role::Employer
    };
    let id = accounts::insert_account(
        &tx,
        NewAccount {
            role,
            phone: phone.as_str(),
            password_hash: &password_hash,
            display_name: &display_name,
            organization_id: Some(organization_id),
            org_admin,
            region_code: None,
        },
    )
    .await?;
    accounts::mark_invitation_used(&tx, &code_hash, id).await?;
    audit::record_raw(
        &tx,
        Some(id),
        role.as_str(),
        "",
        AuditEntry {
            action: "accept_invitation",
            entity: "account",
            entity_id: id.to_string(),
            region_code: Some(&org.region_code),
            details: serde_json::json!({ "organization_id": organization_id }),
        },
    )
    .await?;
    let account = accounts::find_by_id(&tx, id)
        .await?
        .ok_or_else(|| ApiError::internal("account vanished"))?;
    let tokens = issue_tokens(&state, &tx, &account, None).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(tokens))
}

#[derive(Deserialize, ToSchema)]
pub struct CreateOfficerRequest {
    pub phone: String,
    pub password: String,
    #[serde(default)]
    pub display_name: String,
    /// County, prefecture or province code the officer may see.
    #[schema(example = "630224")]
    pub region_code: String,
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
    body: web::Json<CreateOfficerRequest>,
) -> ApiResult<HttpResponse> {
    let (phone, display_name) =
        validate_credentials(&body.phone, &body.password, &body.display_name)?;
    let region =
        RegionCode::parse(&body.region_code).map_err(|r| ApiError::field("region_code", r))?;
    let password_hash = hash_password(body.password.clone()).await?;
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    if !accounts::region_exists(&tx, region.as_str()).await? {
        return Err(ApiError::field("region_code", "unknown_region"));
    }
    let id = accounts::insert_account(
        &tx,
        NewAccount {
            role: Role::Officer,
            phone: phone.as_str(),
            password_hash: &password_hash,
            display_name: &display_name,
            organization_id: None,
            org_admin: false,
            region_code: Some(region.as_str()),
        },
    )
    .await?;
    audit::record(
        &tx,
        &admin,
        AuditEntry {
            action: "create_officer",
            entity: "account",
            entity_id: id.to_string(),
            region_code: Some(region.as_str()),
            details: serde_json::json!({}),
        },
    )
    .await?;
    let account = accounts::find_by_id(&tx, id)
        .await?
        .ok_or_else(|| ApiError::internal("account vanished"))?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(AccountView::from(&account)))
}

/// Creates an admin account (used by `labormatch create-admin`).
pub async fn create_admin(
    pool: &deadpool_postgres::Pool,
    phone: &str,
    password: &str,
    display_name: &str,
) -> ApiResult<i64> {
    let (phone, display_name) = validate_credentials(phone, password, display_name)?;
    let password_hash = hash_password(password.to_string()).await?;
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let id = accounts::insert_account(
        &tx,
        NewAccount {
            role: Role::Admin,
            phone: phone.as_str(),
            password_hash: &password_hash,
            display_name: &display_name,
            organization_id: None,
            org_admin: false,
            region_code: None,
        },
    )
    .await?;
    audit::record_raw(
        &tx,
        None,
        "cli",
        "",
        AuditEntry {
            action: "create_admin",
            entity: "account",
            entity_id: id.to_string(),
            region_code: None,
            details: serde_json::json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Validates a display-style name field (organization names etc.).
pub(crate) fn required_text(name: &str, value: &str, max: usize) -> Result<String, FieldError> {
    bounded_text(value, max).map_err(|r| field(name, r))
}
