//! Accounts and sessions: sign-up (workers, optionally claiming an office-registered profile),
//! sign-in, refresh, sign-out, invitations, officers, admins, disabling accounts.
//!
//! Anonymous requests hash passwords, so each is counted before any hashing: sign-ups and
//! invitation acceptances per phone and per client address; failed sign-ins (and wrong claim
//! codes) per phone and per address. Hashing itself is bounded (`PasswordHasher`).

use chrono::Utc;
use deadpool_postgres::{GenericClient, Pool};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::password::PasswordHasher;
use crate::auth::tokens::{hash_opaque_token, new_opaque_token, Claims};
use crate::auth::{policy, Principal, Role};
use crate::config::Settings;
use crate::db::accounts::{self, Account, NewAccount, RefreshUse};
use crate::db::audit::{self, AuditEntry};
use crate::db::sessions::{self, EndReason};
use crate::db::throttle::{self, Attempt};
use crate::domain::{bounded_text, check_password, Phone, RegionCode};
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
pub struct RegisterRequest {
    #[schema(example = "13812345678")]
    pub phone: String,
    pub password: String,
    #[serde(default)]
    pub display_name: String,
    /// The claim code an office gave for the profile it registered with this phone: the new
    /// account is that profile's (see `POST /workers/{id}/claim-code`).
    #[serde(default)]
    pub claim_code: Option<String>,
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

/// An account as its owner (or an admin) sees it. The phone is the caller's own, so it is
/// shown.
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
    /// A disabled account cannot sign in; its sessions have ended.
    pub disabled: bool,
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
            disabled: a.disabled,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct AcceptInvitationRequest {
    pub code: String,
    pub phone: String,
    pub password: String,
    #[serde(default)]
    pub display_name: String,
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

pub(crate) fn field(name: &str, reason: &str) -> FieldError {
    FieldError {
        field: name.into(),
        reason: reason.into(),
    }
}

/// Validates phone + password + display name, collecting every problem at once.
pub fn validate_credentials(
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
    } else if crate::input::has_control_characters(display_name) {
        // The pages reach this without the API's extractors, which refuse it first.
        details.push(field("display_name", crate::input::CONTROL_CHARACTER));
    }
    match phone {
        Some(phone) if details.is_empty() => Ok((phone, display_name.trim().to_string())),
        _ => Err(ApiError::validation(details)),
    }
}

/// Validates a display-style name field (organization names etc.).
pub(crate) fn required_text(name: &str, value: &str, max: usize) -> Result<String, FieldError> {
    bounded_text(value, max).map_err(|r| field(name, r))
}

fn throttled(retry_after_secs: u64) -> ApiError {
    ApiError::new(ErrorCode::TooManyRequests).retry_after(retry_after_secs)
}

async fn count_attempt(
    state: &AppState,
    limits: &[(String, i64)],
    window: std::time::Duration,
) -> ApiResult<Vec<i64>> {
    let mut client = state.pool.get().await?;
    match throttle::attempt(&mut client, limits, window).await? {
        Attempt::Counted(ids) => Ok(ids),
        Attempt::Refused { retry_after_secs } => Err(throttled(retry_after_secs)),
    }
}

/// Counts a sign-up or invitation acceptance for this phone and address (each attempt counts).
async fn count_sign_up(state: &AppState, phone: &str, client_addr: &str) -> ApiResult<Vec<i64>> {
    let s = &state.settings;
    count_attempt(
        state,
        &[
            (
                format!("signup-phone:{phone}"),
                i64::from(s.signup_max_per_phone),
            ),
            (
                format!("signup-ip:{client_addr}"),
                i64::from(s.signup_max_per_address),
            ),
        ],
        s.signup_window,
    )
    .await
}

/// Hashes a password; if no hashing slot frees up in time (503), the attempts counted for this
/// request are taken back: nothing was tried, and the client is told to retry.
async fn hash_or_take_back(
    state: &AppState,
    password: String,
    counted: &[i64],
) -> ApiResult<String> {
    match state.passwords.hash(password).await {
        Ok(hash) => Ok(hash),
        Err(e) => {
            if let Ok(client) = state.pool.get().await {
                if let Err(err) = throttle::take_back(&client, counted).await {
                    tracing::warn!(error = %err, "could not take back counted attempts");
                }
            }
            Err(e)
        }
    }
}

/// The keys sign-in failures count against: the phone, and the client address (looser: many
/// villagers share one mobile carrier address).
fn sign_in_limits(settings: &Settings, phone: &str, client_addr: &str) -> [(String, i64); 2] {
    let max = i64::from(settings.login_max_failures);
    [
        (format!("phone:{phone}"), max),
        (format!("ip:{client_addr}"), max * 10),
    ]
}

/// Counts a sign-in-like attempt (a password or a claim code checked) before the check; the
/// caller takes it back if the check succeeds.
pub(crate) async fn count_sign_in(
    state: &AppState,
    phone: &str,
    client_addr: &str,
) -> ApiResult<Vec<i64>> {
    let limits = sign_in_limits(&state.settings, phone, client_addr);
    count_attempt(state, &limits, state.settings.login_window).await
}

/// Issues an access token and a refresh token in `session`, or in a new session.
pub(crate) async fn issue_tokens(
    state: &AppState,
    client: &impl GenericClient,
    account: &Account,
    session: Option<Uuid>,
) -> ApiResult<TokenResponse> {
    let sid = match session {
        Some(sid) => sid,
        None => sessions::create(client, account.id).await?,
    };
    let access_token = state
        .jwt
        .issue(Claims {
            org: account.organization_id,
            org_admin: account.org_admin,
            region: account.region_code.clone(),
            ..Claims::new(account.id, account.role, sid)
        })
        .map_err(ApiError::internal)?;
    let (refresh_token, hash) = new_opaque_token();
    let ttl =
        chrono::Duration::from_std(state.settings.refresh_token_ttl).map_err(ApiError::internal)?;
    accounts::store_refresh_token(client, account.id, sid, &hash, Utc::now() + ttl).await?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: state.jwt.access_ttl.as_secs(),
        refresh_token,
        account: AccountView::from(account),
    })
}

fn new_account<'a>(role: Role, phone: &'a Phone, hash: &'a str, name: &'a str) -> NewAccount<'a> {
    NewAccount {
        role,
        phone: phone.as_str(),
        password_hash: hash,
        display_name: name,
        organization_id: None,
        org_admin: false,
        region_code: None,
    }
}

/// A job seeker signs up; with a claim code, the account becomes the office-registered profile
/// with the same phone (a wrong code makes no account and counts like a failed sign-in).
pub async fn register(
    state: &AppState,
    req: RegisterRequest,
    client_addr: &str,
) -> ApiResult<TokenResponse> {
    let (phone, display_name) = validate_credentials(&req.phone, &req.password, &req.display_name)?;
    let mut counted = count_sign_up(state, phone.as_str(), client_addr).await?;
    let claim = match req
        .claim_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        Some(code) => {
            let counted = count_sign_in(state, phone.as_str(), client_addr).await?;
            let hash = super::claims::code_hash(state, code);
            let client = state.pool.get().await?;
            if !super::claims::is_live(&client, &hash, phone.as_str()).await? {
                return Err(ApiError::new(ErrorCode::InvalidClaimCode));
            }
            Some((hash, counted))
        }
        None => None,
    };
    {
        // Known phones are refused before any hashing.
        let client = state.pool.get().await?;
        if accounts::find_by_phone(&client, phone.as_str())
            .await?
            .is_some()
        {
            return Err(ApiError::validation(vec![FieldError {
                field: "phone".into(),
                reason: "already_exists".into(),
            }])
            .with_code(ErrorCode::AlreadyExists));
        }
    }
    if let Some((_, claim_counted)) = &claim {
        counted.extend(claim_counted);
    }
    let hash = hash_or_take_back(state, req.password, &counted).await?;
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let id = accounts::insert_account(
        &tx,
        new_account(policy::SELF_SIGN_UP_ROLE, &phone, &hash, &display_name),
    )
    .await?;
    let account = accounts::find_by_id(&tx, id)
        .await?
        .ok_or_else(|| ApiError::internal("account vanished"))?;
    audit::record_raw(
        &tx,
        Some(id),
        policy::SELF_SIGN_UP_ROLE.as_str(),
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
    if let Some((code_hash, _)) = &claim {
        super::claims::spend_in(&tx, &account, code_hash)
            .await?
            .ok_or_else(|| ApiError::new(ErrorCode::InvalidClaimCode))?;
    }
    let tokens = issue_tokens(state, &tx, &account, None).await?;
    tx.commit().await?;
    if let Some((_, counted)) = claim {
        throttle::take_back(&client, &counted).await?;
    }
    Ok(tokens)
}

/// Signs in with phone and password. Failures are counted per phone and per address before the
/// password is checked, so concurrent guesses check at most the limit; beyond it 429.
pub async fn login(
    state: &AppState,
    req: LoginRequest,
    client_addr: &str,
) -> ApiResult<TokenResponse> {
    // A malformed phone cannot belong to anyone; answer exactly as for a wrong password.
    let phone = Phone::parse(&req.phone).ok();
    let phone_key = phone
        .as_ref()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| req.phone.trim().to_string());
    let counted = count_sign_in(state, &phone_key, client_addr).await?;
    let client = state.pool.get().await?;
    let account = match &phone {
        Some(p) => accounts::find_by_phone(&client, p.as_str()).await?,
        None => None,
    };
    let stored = account
        .as_ref()
        .filter(|a| !a.disabled)
        .map(|a| a.password_hash.clone());
    let ok = match state.passwords.verify(req.password, stored).await {
        Ok(ok) => ok,
        Err(e) => {
            // Not checked (no hashing slot): not a failure.
            throttle::take_back(&client, &counted).await?;
            return Err(e);
        }
    };
    let account = match (ok, account) {
        (true, Some(a)) => a,
        _ => return Err(ApiError::new(ErrorCode::InvalidCredentials)),
    };
    throttle::take_back(&client, &counted).await?;
    throttle::clear(&client, &format!("phone:{phone_key}")).await?;
    issue_tokens(state, &client, &account, None).await
}

/// Trades a refresh token for new tokens in the same session. Each refresh token works once;
/// presenting a spent one ends its session, and with it every access token of that session.
pub async fn refresh(state: &AppState, refresh_token: &str) -> ApiResult<TokenResponse> {
    let hash = hash_opaque_token(refresh_token.trim());
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    match accounts::spend_refresh_token(&tx, &hash).await? {
        RefreshUse::Fresh { account_id, family } => {
            let account = accounts::find_by_id(&tx, account_id)
                .await?
                .filter(|a| !a.disabled)
                .ok_or_else(ApiError::unauthorized)?;
            let tokens = issue_tokens(state, &tx, &account, Some(family)).await?;
            tx.commit().await?;
            Ok(tokens)
        }
        RefreshUse::Reused { family } => {
            tracing::warn!(session = %family, "refresh token reused; its session is ended");
            tx.commit().await?;
            state.sessions.ended_here(&[family]);
            Err(ApiError::unauthorized())
        }
        RefreshUse::Invalid => Err(ApiError::unauthorized()),
    }
}

/// Signs out: the caller's session ends (its refresh tokens and access tokens stop working),
/// and so does the session of `refresh_token` if it is the caller's.
pub async fn logout(state: &AppState, p: &Principal, refresh_token: &str) -> ApiResult<()> {
    let hash = hash_opaque_token(refresh_token.trim());
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let mut ended = Vec::new();
    if let Some(sid) = p.session_id {
        ended.push(sid);
    }
    if let Some((family, owner)) = accounts::family_of(&tx, &hash).await? {
        if owner == p.account_id && !ended.contains(&family) {
            ended.push(family);
        }
    }
    for sid in &ended {
        sessions::end(&tx, *sid, EndReason::Logout).await?;
    }
    tx.commit().await?;
    state.sessions.ended_here(&ended);
    Ok(())
}

/// The signed-in account.
pub async fn me(state: &AppState, p: &Principal) -> ApiResult<AccountView> {
    let client = state.pool.get().await?;
    let account = accounts::find_by_id(&client, p.account_id)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    Ok(AccountView::from(&account))
}

/// Creates a center or employer staff account from a one-time invitation code.
pub async fn accept_invitation(
    state: &AppState,
    req: AcceptInvitationRequest,
    client_addr: &str,
) -> ApiResult<TokenResponse> {
    let (phone, display_name) = validate_credentials(&req.phone, &req.password, &req.display_name)?;
    let counted = count_sign_up(state, phone.as_str(), client_addr).await?;
    let code_hash = hash_opaque_token(req.code.trim());
    {
        // Unknown, used or expired codes are refused before any hashing.
        let client = state.pool.get().await?;
        if !accounts::invitation_is_live(&client, &code_hash).await? {
            return Err(ApiError::not_found());
        }
    }
    let password_hash = hash_or_take_back(state, req.password, &counted).await?;
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let (organization_id, org_admin) = accounts::take_invitation(&tx, &code_hash)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let org = accounts::find_organization(&tx, organization_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let role = policy::role_for_organization(&org.kind);
    let id = accounts::insert_account(
        &tx,
        NewAccount {
            organization_id: Some(organization_id),
            org_admin,
            ..new_account(role, &phone, &password_hash, &display_name)
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
    let tokens = issue_tokens(state, &tx, &account, None).await?;
    tx.commit().await?;
    Ok(tokens)
}

/// Admins create program-staff accounts, each scoped to a region.
pub async fn create_officer(
    state: &AppState,
    p: &Principal,
    req: CreateOfficerRequest,
) -> ApiResult<AccountView> {
    policy::may_administer(p)?;
    let (phone, display_name) = validate_credentials(&req.phone, &req.password, &req.display_name)?;
    let region =
        RegionCode::parse(&req.region_code).map_err(|r| ApiError::field("region_code", r))?;
    {
        let client = state.pool.get().await?;
        if !accounts::region_exists(&client, region.as_str()).await? {
            return Err(ApiError::field("region_code", "unknown_region"));
        }
    }
    let password_hash = state.passwords.hash(req.password).await?;
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let id = accounts::insert_account(
        &tx,
        NewAccount {
            region_code: Some(region.as_str()),
            ..new_account(Role::Officer, &phone, &password_hash, &display_name)
        },
    )
    .await?;
    audit::record(
        &tx,
        p,
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
    Ok(AccountView::from(&account))
}

/// Creates an admin account (`labormatch create-admin`, and the tests).
pub async fn create_admin(
    pool: &Pool,
    settings: &Settings,
    phone: &str,
    password: &str,
    display_name: &str,
) -> ApiResult<i64> {
    let (phone, display_name) = validate_credentials(phone, password, display_name)?;
    let hasher = PasswordHasher::from_settings(settings).map_err(ApiError::internal)?;
    let password_hash = hasher.hash(password.to_string()).await?;
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let id = accounts::insert_account(
        &tx,
        new_account(Role::Admin, &phone, &password_hash, &display_name),
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

/// An admin disables (or enables again) an account. Disabling ends every session of it at
/// once: its access tokens stop working everywhere within `LABORMATCH_SESSION_POLL_MS`.
pub async fn set_disabled(
    state: &AppState,
    p: &Principal,
    account_id: i64,
    disabled: bool,
) -> ApiResult<AccountView> {
    policy::may_set_disabled(p, account_id, disabled)?;
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let account = accounts::set_disabled(&tx, account_id, disabled)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let ended = if disabled {
        sessions::end_all_of(&tx, account_id, EndReason::Disabled).await?
    } else {
        Vec::new()
    };
    audit::record(
        &tx,
        p,
        AuditEntry {
            action: if disabled { "disable" } else { "enable" },
            entity: "account",
            entity_id: account_id.to_string(),
            region_code: account.region_code.as_deref(),
            details: serde_json::json!({ "sessions_ended": ended.len() }),
        },
    )
    .await?;
    tx.commit().await?;
    state.sessions.ended_here(&ended);
    Ok(AccountView::from(&account))
}
