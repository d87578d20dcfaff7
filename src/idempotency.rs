//! `Idempotency-Key` on POST: mobile clients on flaky networks retry, and a retried request
//! (same caller, same key) must not run twice. The first request claims the key; its answer
//! (2xx, 4xx) is stored and replayed to every retry with `Idempotent-Replayed: true`.
//!
//! - The key is 1..=128 visible ASCII characters, else `400 bad_request`.
//! - Keys are scoped by the caller: the account of a valid bearer token, 0 for anyone else.
//! - The request is fingerprinted (method, path, query, body); the same key with another
//!   request is `409 idempotency_key_reused`.
//! - A retry while the first request still runs is `409 idempotency_in_progress`. The running
//!   key belongs to a lease of `LEASE_SECS` that its instance renews while the request runs;
//!   `Retry-After` says when the lease ends. A process that dies stops renewing, so its keys
//!   are free within `LEASE_SECS`; an instance that starts again frees its own at once.
//! - No answer with personal data or a secret is kept: a new worker profile (phone, ID number)
//!   is kept as its address and read again, with the caller's rights of the moment, on replay;
//!   answers holding a one-time invitation code (organizations, invitations) or an officer's
//!   account are not kept, and a replay says `409 idempotent_answer_withheld` with the record
//!   created (the request does not run twice). Tokens and claim codes are not keyed at all.
//! - A 5xx, a 429, or a request abandoned midway (the client hung up and the handler was
//!   dropped) releases the key, so a retry runs again.
//! - Keys are kept 24 hours.
//! - POSTs without the header are untouched.

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes, BytesMut};
use actix_web::{HttpMessage, HttpResponse};
use deadpool_postgres::Pool;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// Longest accepted key.
pub const MAX_KEY_LEN: usize = 128;
/// Routes under this prefix take CSV uploads, with their own body limit.
const IMPORTS_PREFIX: &str = "/api/v1/imports/";
/// How long a key is remembered.
const KEY_TTL: &str = "24 hours";
/// How long a running key stays claimed without renewal.
pub const LEASE_SECS: i64 = 15;
/// How often a running request renews its lease.
const RENEW_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Who holds a lease: this instance, named by its host and data directory, so the same
/// instance started again knows its old leases are orphaned (two instances on one database
/// have their own data directories).
pub fn instance_owner(settings: &crate::config::Settings) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    format!("{}:{}", host.trim(), settings.data_dir.display())
}

/// At start-up: keys this instance was running when it stopped are free again.
pub async fn release_own_leases(pool: &Pool, settings: &crate::config::Settings) {
    let owner = instance_owner(settings);
    let result = async {
        let client = pool.get().await?;
        let n = client
            .execute(
                "DELETE FROM idempotency_keys WHERE owner = $1 AND response_status IS NULL",
                &[&owner],
            )
            .await?;
        Ok::<u64, ApiError>(n)
    }
    .await;
    match result {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            keys = n,
            "released idempotency keys of requests cut by a restart"
        ),
        Err(e) => tracing::warn!(error = %e, "cannot release this instance's idempotency keys yet"),
    }
}

/// What is kept of a route's successful answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Keeping {
    /// The answer itself: no personal data, no secret.
    Answer,
    /// Only the address of the resource, read again on replay (personal data).
    Reference,
    /// Nothing but the status and the record made (a one-time secret in the answer).
    Withheld,
}

fn keeping(path: &str) -> Keeping {
    match path {
        "/api/v1/workers" => Keeping::Reference,
        "/api/v1/organizations" | "/api/v1/officers" => Keeping::Withheld,
        p if p.starts_with("/api/v1/organizations/") && p.ends_with("/invitations") => {
            Keeping::Withheld
        }
        _ => Keeping::Answer,
    }
}

/// The address of what a successful answer made, for routes whose answers are not kept.
fn resource_of(path: &str, body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    match path {
        "/api/v1/workers" => value["id"]
            .as_i64()
            .map(|id| format!("/api/v1/workers/{id}")),
        "/api/v1/organizations" => value["organization"]["id"]
            .as_i64()
            .map(|id| format!("/api/v1/organizations/{id}")),
        p if p.ends_with("/invitations") => Some(p.trim_end_matches("/invitations").to_string()),
        _ => None,
    }
}

/// The key of the request: absent (no header) or valid; anything else is a 400.
fn parse_key(raw: &HeaderValue) -> Result<String, ApiError> {
    let bytes = raw.as_bytes();
    if bytes.is_empty() || bytes.len() > MAX_KEY_LEN || !bytes.iter().all(|b| b.is_ascii_graphic())
    {
        return Err(ApiError::msg(
            ErrorCode::BadRequest,
            "Idempotency-Key 须为 1 到 128 个可见 ASCII 字符",
            "Idempotency-Key must be 1 to 128 visible ASCII characters",
        ));
    }
    // Visible ASCII only, so this is valid UTF-8.
    Ok(String::from_utf8_lossy(bytes).into_owned())
}

/// The account of a valid bearer token; 0 for an anonymous caller (or a token that is not valid:
/// such a request is refused by the handler or does not depend on who sent it).
fn caller(req: &ServiceRequest, state: &AppState) -> i64 {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .and_then(|t| state.jwt.verify(t).ok())
        .and_then(|claims| claims.sub.parse::<i64>().ok())
        .unwrap_or(0)
}

/// Fingerprint of a request: sha256 over method, path, query and body, hex-encoded.
pub fn request_hash(method: &str, path: &str, query: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    for part in [method.as_bytes(), path.as_bytes(), query.as_bytes()] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher.update(body);
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Reads the whole body (at most `limit` bytes) and puts it back for the handler.
async fn read_body(req: &mut ServiceRequest, limit: usize) -> Result<Bytes, ApiError> {
    let too_large = || ApiError::new(ErrorCode::PayloadTooLarge);
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(too_large());
    }
    let mut payload = req.take_payload();
    let mut buf = BytesMut::with_capacity(declared.unwrap_or(0));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| match e {
            actix_web::error::PayloadError::Overflow => too_large(),
            other => ApiError {
                cause: Some(other.to_string()),
                ..ApiError::msg(
                    ErrorCode::BadRequest,
                    "请求内容读取失败",
                    "The request body could not be read",
                )
            },
        })?;
        if buf.len() + chunk.len() > limit {
            return Err(too_large());
        }
        buf.extend_from_slice(&chunk);
    }
    let body = buf.freeze();
    req.set_payload(actix_web::dev::Payload::from(body.clone()));
    Ok(body)
}

/// What the stored key says about this request.
enum Claim {
    /// The key is ours: run the request.
    Run,
    /// The same request was answered before: replay the answer.
    Replay {
        status: StatusCode,
        body: Vec<u8>,
        content_type: Option<String>,
    },
    /// The same request was answered before and its answer not kept: read `resource` again.
    Rerender {
        status: StatusCode,
        resource: String,
    },
    /// The same request was answered before with a secret that was not kept.
    Withheld { resource: Option<String> },
    /// Refused: in progress, or the key was used for another request.
    Refuse(ApiError),
}

async fn claim(
    pool: &Pool,
    path: &str,
    owner: &str,
    account_id: i64,
    key: &str,
    hash: &str,
) -> Result<Claim, ApiError> {
    let client = pool.get().await?;
    // Forget this caller's key if it expired (or its lease ran out), and sweep a few other
    // expired keys on the way; the created_at index makes this cheap.
    client
        .execute(
            &format!(
                "DELETE FROM idempotency_keys WHERE account_id = $1 AND key = $2 \
                 AND (created_at < now() - interval '{KEY_TTL}' \
                      OR (response_status IS NULL AND lease_until < now()))"
            ),
            &[&account_id, &key],
        )
        .await?;
    client
        .execute(
            &format!(
                "DELETE FROM idempotency_keys WHERE ctid IN (SELECT ctid FROM idempotency_keys \
                 WHERE created_at < now() - interval '{KEY_TTL}' LIMIT 100)"
            ),
            &[],
        )
        .await?;
    // A row may vanish between the insert and the select (its request failed and released it):
    // then try again.
    for _ in 0..3 {
        let inserted = client
            .execute(
                "INSERT INTO idempotency_keys (account_id, key, request_hash, owner, lease_until) \
                 VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) \
                 ON CONFLICT DO NOTHING",
                &[&account_id, &key, &hash, &owner, &(LEASE_SECS as f64)],
            )
            .await?;
        if inserted == 1 {
            return Ok(Claim::Run);
        }
        let Some(row) = client
            .query_opt(
                "SELECT request_hash, response_status, response_body, response_type, resource, \
                 ceil(extract(epoch FROM lease_until - now()))::int8 AS lease_left \
                 FROM idempotency_keys WHERE account_id = $1 AND key = $2",
                &[&account_id, &key],
            )
            .await?
        else {
            continue;
        };
        let stored_hash: String = row.get("request_hash");
        if stored_hash != hash {
            return Ok(Claim::Refuse(ApiError::new(
                ErrorCode::IdempotencyKeyReused,
            )));
        }
        let status: Option<i16> = row.get("response_status");
        let Some(status) = status else {
            // Retry when the lease would end if nobody renewed it.
            let left: i64 = row.get("lease_left");
            return Ok(Claim::Refuse(
                ApiError::new(ErrorCode::IdempotencyInProgress).retry_after(left.max(1) as u64),
            ));
        };
        let status = u16::try_from(status)
            .ok()
            .and_then(|s| StatusCode::from_u16(s).ok())
            .ok_or_else(|| ApiError::internal(format!("stored status {status}")))?;
        let body: Option<Vec<u8>> = row.get("response_body");
        let resource: Option<String> = row.get("resource");
        return Ok(match (body, resource) {
            (Some(body), _) => Claim::Replay {
                status,
                body,
                content_type: row.get("response_type"),
            },
            (None, Some(resource))
                if status.is_success() && keeping(path) == Keeping::Reference =>
            {
                Claim::Rerender { status, resource }
            }
            (None, resource) => Claim::Withheld { resource },
        });
    }
    Ok(Claim::Refuse(
        ApiError::new(ErrorCode::IdempotencyInProgress).retry_after(1),
    ))
}

/// What is stored of a final answer.
struct Kept<'a> {
    status: StatusCode,
    body: Option<&'a [u8]>,
    content_type: Option<&'a str>,
    resource: Option<String>,
}

async fn store(pool: &Pool, account_id: i64, key: &str, kept: Kept<'_>) -> Result<(), ApiError> {
    let client = pool.get().await?;
    let status = kept.status.as_u16() as i16;
    client
        .execute(
            "UPDATE idempotency_keys SET response_status = $3, response_body = $4, \
             response_type = $5, resource = $6 WHERE account_id = $1 AND key = $2",
            &[
                &account_id,
                &key,
                &status,
                &kept.body,
                &kept.content_type,
                &kept.resource,
            ],
        )
        .await?;
    Ok(())
}

async fn renew(pool: &Pool, owner: &str, account_id: i64, key: &str) -> Result<(), ApiError> {
    let client = pool.get().await?;
    client
        .execute(
            "UPDATE idempotency_keys SET lease_until = now() + make_interval(secs => $4) \
             WHERE account_id = $1 AND key = $2 AND owner = $3 AND response_status IS NULL",
            &[&account_id, &key, &owner, &(LEASE_SECS as f64)],
        )
        .await?;
    Ok(())
}

async fn release(pool: &Pool, account_id: i64, key: &str) -> Result<(), ApiError> {
    let client = pool.get().await?;
    client
        .execute(
            "DELETE FROM idempotency_keys WHERE account_id = $1 AND key = $2 \
             AND response_status IS NULL",
            &[&account_id, &key],
        )
        .await?;
    Ok(())
}

/// The claimed key while its request runs; its lease is renewed in the background. Dropped
/// without [`Pending::finish`] (the handler's future was cancelled, e.g. the client hung up), it
/// releases the key in the background so a retry can run.
struct Pending {
    pool: Pool,
    account_id: i64,
    key: String,
    armed: bool,
    renewal: tokio::task::JoinHandle<()>,
}

impl Pending {
    fn new(pool: Pool, owner: String, account_id: i64, key: String) -> Pending {
        let renewal = {
            let (pool, key) = (pool.clone(), key.clone());
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(RENEW_EVERY).await;
                    if let Err(e) = renew(&pool, &owner, account_id, &key).await {
                        tracing::debug!(error = %e, "renewing an idempotency lease");
                    }
                }
            })
        };
        Pending {
            pool,
            account_id,
            key,
            armed: true,
            renewal,
        }
    }

    fn finish(mut self) {
        self.armed = false;
        self.renewal.abort();
    }

    async fn release(mut self) {
        self.armed = false;
        self.renewal.abort();
        if let Err(e) = release(&self.pool, self.account_id, &self.key).await {
            tracing::warn!(error = %e, "releasing an idempotency key");
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.renewal.abort();
        if !self.armed {
            return;
        }
        let (pool, account_id, key) = (self.pool.clone(), self.account_id, self.key.clone());
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Err(e) = release(&pool, account_id, &key).await {
                    tracing::warn!(error = %e, "releasing an abandoned idempotency key");
                }
            });
        }
    }
}

/// Whether an answer is final, i.e. stored and replayed. 5xx, 408 and 429 invite a retry.
fn is_final(status: StatusCode) -> bool {
    !(status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT)
}

const AUTH_PREFIX: &str = "/api/v1/auth/";

/// Answers that carry secrets, which must never be stored in clear: tokens (`/auth/`) and
/// profile claim codes. Those endpoints are safe to retry anyway (a repeated sign-up answers
/// already_exists; a repeated claim code replaces the first).
fn carries_secrets(path: &str) -> bool {
    path.starts_with(AUTH_PREFIX) || path.ends_with("/claim-code")
}

pub async fn idempotency_middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(raw) = req
        .headers()
        .get(IDEMPOTENCY_KEY_HEADER)
        .filter(|_| req.method() == Method::POST && !carries_secrets(req.path()))
        .cloned()
    else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let key = match parse_key(&raw) {
        Ok(key) => key,
        Err(e) => return Ok(req.error_response(e)),
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(req.error_response(ApiError::internal("AppState missing")));
    };
    let account_id = caller(&req, &state);
    let limit = if req.path().starts_with(IMPORTS_PREFIX) {
        state.settings.import_body_limit
    } else {
        state.settings.body_limit
    };
    let body = match read_body(&mut req, limit).await {
        Ok(body) => body,
        Err(e) => return Ok(req.error_response(e)),
    };
    let hash = request_hash(req.method().as_str(), req.path(), req.query_string(), &body);
    drop(body);
    let owner = instance_owner(&state.settings);
    match claim(&state.pool, req.path(), &owner, account_id, &key, &hash).await {
        Err(e) | Ok(Claim::Refuse(e)) => Ok(req.error_response(e)),
        Ok(Claim::Withheld { resource }) => {
            let e = ApiError::new(ErrorCode::IdempotentAnswerWithheld);
            let e = match resource {
                Some(r) => e.with_extra(serde_json::json!({ "resource": r })),
                None => e,
            };
            Ok(req.error_response(e))
        }
        Ok(Claim::Rerender { status, resource }) => rerender(req, next, status, &resource).await,
        Ok(Claim::Replay {
            status,
            body,
            content_type,
        }) => {
            let mut res = HttpResponse::build(status);
            if let Some(ct) = content_type.and_then(|ct| HeaderValue::from_str(&ct).ok()) {
                res.insert_header((header::CONTENT_TYPE, ct));
            }
            res.insert_header((
                HeaderName::from_static(REPLAYED_HEADER),
                HeaderValue::from_static("true"),
            ));
            Ok(ServiceResponse::new(req.into_parts().0, res.body(body)))
        }
        Ok(Claim::Run) => {
            let pending = Pending::new(state.pool.clone(), owner, account_id, key);
            run(req, next, pending).await
        }
    }
}

/// Replays an answer that was not kept by reading its resource again, as this caller may now
/// see it, under the status the first answer had.
async fn rerender(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    status: StatusCode,
    resource: &str,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Ok(uri) = resource.parse::<actix_web::http::Uri>() else {
        return Ok(req.error_response(ApiError::internal(format!("stored resource {resource}"))));
    };
    req.head_mut().method = Method::GET;
    req.match_info_mut().get_mut().update(&uri);
    req.head_mut().uri = uri;
    req.set_payload(actix_web::dev::Payload::None);
    let mut res = next.call(req).await?.map_into_boxed_body();
    if res.status().is_success() {
        *res.response_mut().status_mut() = status;
    }
    res.headers_mut().insert(
        HeaderName::from_static(REPLAYED_HEADER),
        HeaderValue::from_static("true"),
    );
    Ok(res)
}

/// Runs the request whose key was claimed, and stores its answer when it is final.
async fn run(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    pending: Pending,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let path = req.path().to_string();
    let res = match next.call(req).await {
        Ok(res) => res,
        Err(e) => {
            pending.release().await;
            return Err(e);
        }
    };
    let status = res.status();
    let (http_req, res) = res.into_parts();
    let (head, body) = res.into_parts();
    let bytes = match body::to_bytes(body).await {
        Ok(bytes) => bytes,
        Err(e) => {
            pending.release().await;
            let e: Box<dyn std::error::Error> = e.into();
            let err = ApiError::internal(format!("buffering the response: {e}"));
            return Ok(ServiceResponse::new(
                http_req,
                HttpResponse::from_error(err),
            ));
        }
    };
    if is_final(status) {
        let content_type = head
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        // Error answers are the envelope (no personal data); successes as the route allows.
        let keep = if status.is_success() {
            keeping(&path)
        } else {
            Keeping::Answer
        };
        let kept = match keep {
            Keeping::Answer => Kept {
                status,
                body: Some(&bytes),
                content_type,
                resource: None,
            },
            Keeping::Reference | Keeping::Withheld => Kept {
                status,
                body: None,
                content_type: None,
                resource: resource_of(&path, &bytes),
            },
        };
        let stored = store(&pending.pool, pending.account_id, &pending.key, kept).await;
        if let Err(e) = stored {
            // The request did run: keep the key marked running rather than let a retry run it
            // twice; its lease (no longer renewed) ends within LEASE_SECS.
            tracing::error!(error = %e, "storing an idempotent answer");
        }
        pending.finish();
    } else {
        pending.release().await;
    }
    Ok(ServiceResponse::new(
        http_req,
        head.set_body(BoxBody::new(bytes)),
    ))
}

/// Prefix of the keys page forms carry, so they never meet a client's `Idempotency-Key`.
const PAGE_KEY_PREFIX: &str = "page:";

/// A page form's submit, run at most once per key. The form carries a fresh key in a hidden
/// field (pages have no headers to set); the first submit claims it and runs `work`, which
/// answers the page to go to next; a repeat (a double tap, a resend after a lost answer) waits
/// for the first to finish and gets the same page. An error releases the key, as a 4xx would
/// not for the API: a page shows the error and the same form may be sent again.
pub async fn page_once<F, Fut>(
    state: &AppState,
    account_id: i64,
    key: &str,
    request: &str,
    work: F,
) -> Result<String, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<String, ApiError>>,
{
    let pool = &state.pool;
    let owner = instance_owner(&state.settings);
    let key = format!("{PAGE_KEY_PREFIX}{key}");
    parse_key(&HeaderValue::from_str(&key).map_err(|_| ApiError::new(ErrorCode::BadRequest))?)?;
    let hash = request_hash("POST", request, "", b"");
    let mut work = Some(work);
    // The first submit usually answers within a second; wait up to ten for it.
    for _ in 0..100 {
        match claim(pool, request, &owner, account_id, &key, &hash).await? {
            Claim::Run => {
                let pending = Pending::new(pool.clone(), owner.clone(), account_id, key.clone());
                let Some(work) = work.take() else {
                    return Err(ApiError::internal("page key claimed twice"));
                };
                return match work().await {
                    Ok(location) => {
                        let kept = Kept {
                            status: StatusCode::SEE_OTHER,
                            body: Some(location.as_bytes()),
                            content_type: None,
                            resource: None,
                        };
                        let stored = store(pool, account_id, &key, kept).await;
                        if let Err(e) = stored {
                            tracing::error!(error = %e, "storing a page form's answer");
                        }
                        pending.finish();
                        Ok(location)
                    }
                    Err(e) => {
                        pending.release().await;
                        Err(e)
                    }
                };
            }
            Claim::Replay { body, .. } => return Ok(String::from_utf8_lossy(&body).into_owned()),
            // A page's answer is a location and always kept, so neither arises for its keys.
            Claim::Rerender { .. } | Claim::Withheld { .. } => {
                return Err(ApiError::new(ErrorCode::IdempotentAnswerWithheld))
            }
            Claim::Refuse(e) if e.code == ErrorCode::IdempotencyInProgress => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Claim::Refuse(e) => return Err(e),
        }
    }
    Err(ApiError::new(ErrorCode::IdempotencyInProgress).retry_after(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        let ok = |s: &str| parse_key(&HeaderValue::from_str(s).unwrap()).is_ok();
        assert!(ok("a"));
        assert!(ok("550e8400-e29b-41d4-a716-446655440000"));
        assert!(ok(&"k".repeat(MAX_KEY_LEN)));
        assert!(!ok(""));
        assert!(!ok("has space"));
        assert!(!ok(&"k".repeat(MAX_KEY_LEN + 1)));
        assert!(parse_key(&HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap()).is_err());
    }

    #[test]
    fn hashes_separate_their_parts() {
        let a = request_hash("POST", "/a", "b=1", b"");
        assert_eq!(a.len(), 64);
        assert_ne!(a, request_hash("POST", "/ab", "=1", b""));
        assert_ne!(a, request_hash("POST", "/a", "b=1", b"x"));
        assert_eq!(a, request_hash("POST", "/a", "b=1", b""));
    }

    #[test]
    fn finality() {
        assert!(is_final(StatusCode::CREATED));
        assert!(is_final(StatusCode::UNPROCESSABLE_ENTITY));
        assert!(!is_final(StatusCode::TOO_MANY_REQUESTS));
        assert!(!is_final(StatusCode::SERVICE_UNAVAILABLE));
    }
}
