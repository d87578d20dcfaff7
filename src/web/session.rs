//! Page sessions: the same sign-in as the API's tokens, carried in cookies.
//!
//! - `lm_at`: the access token (the API's JWT), `lm_rt`: the refresh token of the same sign-in.
//!   Both `HttpOnly` (no script can read them), `SameSite=Lax` (not sent on cross-site POSTs; a
//!   link from an SMS still opens signed in), `Path=/`, and `Secure` when
//!   `LABORMATCH_COOKIE_SECURE` is set or the request came over TLS.
//! - When the access token has expired, the middleware spends the refresh token (rotation, as
//!   `POST /auth/refresh`) and sets both cookies anew. A phone that lost the answer and repeats
//!   the request with the old cookie gets a short grace (see
//!   [`accounts::spend_page_refresh_token`]); later reuse revokes the sign-in, as in the API.
//! - CSRF: a signed double-submit token. `lm_csrf` holds a random nonce (`HttpOnly`); every form
//!   carries `csrf` = HMAC-SHA256(server key, nonce, account id). A cross-site page can neither
//!   read the nonce nor compute the HMAC, and a token made for one account is refused for
//!   another. Checked by [`PageForm`], the only way a page handler reads a form.
//! - Sign-out revokes the refresh family (as `POST /auth/logout`) and clears the cookies.

use std::future::Future;
use std::pin::Pin;

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::de::DeserializeOwned;
use sha2::Sha256;

use crate::auth::principal_from_token;
use crate::auth::tokens::hash_opaque_token;
use crate::auth::Principal;
use crate::db::accounts::{self, RefreshUse};
use crate::error::{ApiError, ApiResult};
use crate::i18n::{current_lang, Lang};
use crate::services::accounts::{issue_tokens, TokenResponse};
use crate::state::AppState;
use crate::telemetry::RequestId;

pub const ACCESS_COOKIE: &str = "lm_at";
pub const REFRESH_COOKIE: &str = "lm_rt";
pub const CSRF_COOKIE: &str = "lm_csrf";

/// How long a spent refresh token of a page session may be spent again.
const REFRESH_GRACE_SECS: f64 = 30.0;

/// The key that signs CSRF tokens, derived from the JWT secret so no new secret is needed.
#[derive(Clone)]
pub struct CsrfKey([u8; 32]);

impl CsrfKey {
    pub fn derive(secret: &[u8]) -> CsrfKey {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
        mac.update(b"labormatch page csrf v1");
        CsrfKey(mac.finalize().into_bytes().into())
    }

    fn sign(&self, nonce: &str, account: Option<i64>) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(nonce.as_bytes());
        mac.update(b"|");
        mac.update(account.unwrap_or(0).to_string().as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    fn verify(&self, nonce: &str, account: Option<i64>, token: &str) -> bool {
        let Ok(given) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.trim())
        else {
            return false;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(nonce.as_bytes());
        mac.update(b"|");
        mac.update(account.unwrap_or(0).to_string().as_bytes());
        mac.verify_slice(&given).is_ok()
    }
}

/// Who is looking at a page, in which language, and the CSRF token for its forms.
#[derive(Clone)]
pub struct Viewer {
    pub principal: Option<Principal>,
    pub lang: Lang,
    pub csrf: String,
    nonce: String,
    /// The refresh token of this sign-in (sign-out needs it).
    refresh_token: Option<String>,
    /// The request's path and query, for "sign in and come back".
    pub here: String,
}

impl Viewer {
    pub fn account_id(&self) -> Option<i64> {
        self.principal.as_ref().map(|p| p.account_id)
    }

    pub fn refresh_token(&self) -> Option<&str> {
        self.refresh_token.as_deref()
    }

    /// Whether `token` is this viewer's CSRF token (for forms `PageForm` cannot read, such as
    /// file uploads).
    pub fn csrf_ok(&self, state: &AppState, token: &str) -> bool {
        state.csrf_key.verify(&self.nonce, self.account_id(), token)
    }
}

impl FromRequest for Viewer {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Viewer, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            req.extensions()
                .get::<Viewer>()
                .cloned()
                .ok_or_else(|| ApiError::internal("page session middleware missing")),
        )
    }
}

/// Cookies the answer must set (the middleware adds them after the handler ran).
#[derive(Default)]
pub struct CookieJar(pub Vec<Cookie<'static>>);

fn secure(req: &ServiceRequest, state: &AppState) -> bool {
    state.settings.cookie_secure || req.connection_info().scheme() == "https"
}

pub fn cookie(
    name: &'static str,
    value: String,
    max_age_secs: i64,
    secure: bool,
) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(actix_web::cookie::time::Duration::seconds(max_age_secs))
        .finish()
}

/// The cookies that carry a fresh sign-in.
pub fn session_cookies(
    state: &AppState,
    tokens: &TokenResponse,
    secure: bool,
) -> Vec<Cookie<'static>> {
    vec![
        cookie(
            ACCESS_COOKIE,
            tokens.access_token.clone(),
            tokens.expires_in as i64,
            secure,
        ),
        cookie(
            REFRESH_COOKIE,
            tokens.refresh_token.clone(),
            state.settings.refresh_token_ttl.as_secs() as i64,
            secure,
        ),
    ]
}

pub fn cleared_session_cookies(secure: bool) -> Vec<Cookie<'static>> {
    vec![
        cookie(ACCESS_COOKIE, String::new(), 0, secure),
        cookie(REFRESH_COOKIE, String::new(), 0, secure),
    ]
}

/// Whether the request is for the pages (everything outside the API, the docs and the probes).
pub fn is_page_path(path: &str) -> bool {
    !(path.starts_with("/api/")
        || path == "/api"
        || path.starts_with("/docs")
        || path.starts_with("/assets/")
        || matches!(path, "/openapi.json" | "/healthz" | "/readyz" | "/metrics"))
}

fn new_nonce() -> String {
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn valid_nonce(raw: &str) -> bool {
    raw.len() == 32
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Spends the page's refresh token for new tokens.
async fn refresh(state: &AppState, refresh_token: &str) -> ApiResult<Option<TokenResponse>> {
    let hash = hash_opaque_token(refresh_token.trim());
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    match accounts::spend_page_refresh_token(&tx, &hash, REFRESH_GRACE_SECS).await? {
        RefreshUse::Fresh { account_id, family } => {
            let Some(account) = accounts::find_by_id(&tx, account_id)
                .await?
                .filter(|a| !a.disabled)
            else {
                return Ok(None);
            };
            let tokens = issue_tokens(state, &tx, &account, Some(family)).await?;
            tx.commit().await?;
            Ok(Some(tokens))
        }
        RefreshUse::Reused { family } => {
            tracing::warn!(session = %family, "page refresh token reused; its session is ended");
            tx.commit().await?;
            state.sessions.ended_here(&[family]);
            Ok(None)
        }
        RefreshUse::Invalid => Ok(None),
    }
}

/// Resolves the page session of every page request and sets the cookies its answer needs.
pub async fn page_session_middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if !is_page_path(req.path()) {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    let secure = secure(&req, &state);
    let mut set: Vec<Cookie<'static>> = Vec::new();
    let nonce = match req.cookie(CSRF_COOKIE) {
        Some(c) if valid_nonce(c.value()) => c.value().to_string(),
        _ => {
            let n = new_nonce();
            set.push(cookie(
                CSRF_COOKIE,
                n.clone(),
                state.settings.refresh_token_ttl.as_secs() as i64,
                secure,
            ));
            n
        }
    };
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let mut refresh_token = req.cookie(REFRESH_COOKIE).map(|c| c.value().to_string());
    let mut principal = req
        .cookie(ACCESS_COOKIE)
        .and_then(|c| principal_from_token(&state, c.value(), request_id.clone()).ok());
    if principal.is_none() {
        if let Some(rt) = refresh_token.clone().filter(|t| !t.is_empty()) {
            match refresh(&state, &rt).await {
                Ok(Some(tokens)) => {
                    principal =
                        principal_from_token(&state, &tokens.access_token, request_id.clone()).ok();
                    refresh_token = Some(tokens.refresh_token.clone());
                    set.extend(session_cookies(&state, &tokens, secure));
                }
                Ok(None) => {
                    refresh_token = None;
                    set.extend(cleared_session_cookies(secure));
                }
                // The database is away: answer as signed out for now, keep the cookies.
                Err(e) => tracing::warn!(error = %e, "page session refresh failed"),
            }
        }
    }
    let here = match req.query_string() {
        "" => req.path().to_string(),
        q => format!("{}?{q}", req.path()),
    };
    let viewer = Viewer {
        csrf: state
            .csrf_key
            .sign(&nonce, principal.as_ref().map(|p| p.account_id)),
        principal,
        lang: current_lang(),
        nonce,
        refresh_token,
        here,
    };
    req.extensions_mut().insert(viewer);
    let mut res = next.call(req).await?;
    let extra = res.request().extensions_mut().remove::<CookieJar>();
    set.extend(extra.map(|j| j.0).unwrap_or_default());
    // A handler that set a cookie of the same name (a sign-in) wins over the refresh above.
    let mut seen = std::collections::HashSet::new();
    let mut last_first: Vec<Cookie<'static>> = set.into_iter().rev().collect();
    last_first.retain(|c| seen.insert(c.name().to_string()));
    for c in last_first {
        if let Ok(v) = HeaderValue::from_str(&c.to_string()) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    // Pages are personal: never cached by shared caches, and re-fetched after a sign-out.
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(res.map_into_right_body())
}

/// Asks the middleware to set these cookies on the answer.
pub fn set_cookies(req: &HttpRequest, cookies: Vec<Cookie<'static>>) {
    let mut ext = req.extensions_mut();
    match ext.get_mut::<CookieJar>() {
        Some(jar) => jar.0.extend(cookies),
        None => {
            ext.insert(CookieJar(cookies));
        }
    }
}

/// Whether the answer should be secure cookies (for handlers that set them).
pub fn secure_cookies(req: &HttpRequest, state: &AppState) -> bool {
    state.settings.cookie_secure || req.connection_info().scheme() == "https"
}

/// A form posted by a page, CSRF-checked: `T` holds its fields, `pairs` every name=value in
/// order (for repeated or numbered fields). A missing or wrong token answers 403 with a page that
/// says the form expired.
pub struct PageForm<T> {
    pub fields: T,
    pub pairs: Vec<(String, String)>,
}

impl<T> PageForm<T> {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for PageForm<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let bytes = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let viewer = req
                .extensions()
                .get::<Viewer>()
                .cloned()
                .ok_or_else(|| ApiError::internal("page session middleware missing"))?;
            let bytes = bytes.await?;
            let pairs: Vec<(String, String)> =
                serde_urlencoded::from_bytes(&bytes).map_err(|_| super::PageError::BadForm)?;
            let token = pairs
                .iter()
                .find(|(k, _)| k == "csrf")
                .map(|(_, v)| v.as_str())
                .unwrap_or("");
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::internal("AppState missing"))?;
            if !state
                .csrf_key
                .verify(&viewer.nonce, viewer.account_id(), token)
            {
                return Err(super::PageError::CsrfExpired.into());
            }
            let fields: T =
                serde_urlencoded::from_bytes(&bytes).map_err(|_| super::PageError::BadForm)?;
            Ok(PageForm { fields, pairs })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_bind_nonce_and_account() {
        let key = CsrfKey::derive(b"0123456789abcdef0123456789abcdef");
        let nonce = new_nonce();
        assert!(valid_nonce(&nonce));
        let t = key.sign(&nonce, Some(7));
        assert!(key.verify(&nonce, Some(7), &t));
        assert!(!key.verify(&nonce, Some(8), &t));
        assert!(!key.verify(&nonce, None, &t));
        assert!(!key.verify(&new_nonce(), Some(7), &t));
        assert!(!key.verify(&nonce, Some(7), "garbage"));
        let other = CsrfKey::derive(b"another secret of at least 32 bytes!");
        assert!(!other.verify(&nonce, Some(7), &t));
    }

    #[test]
    fn page_paths() {
        assert!(is_page_path("/"));
        assert!(is_page_path("/signin"));
        assert!(is_page_path("/openings/3"));
        assert!(!is_page_path("/api/v1/me"));
        assert!(!is_page_path("/assets/site.1234.css"));
        assert!(!is_page_path("/docs/"));
        assert!(!is_page_path("/healthz"));
    }
}
