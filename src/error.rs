//! One error type for the whole API. Every error has a stable snake_case code, an HTTP status and
//! a readable message in Chinese (the default) or English (by `Accept-Language`). The JSON body
//! is `{"code", "message"}`, plus `details` (field, reason) for validation errors.
//! A 5xx body never says anything internal: the cause is logged instead.

use std::fmt;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::i18n::{current_lang, Lang};

macro_rules! error_codes {
    ($($variant:ident => ($code:literal, $status:expr, $zh:literal, $en:literal)),* $(,)?) => {
        /// The table of stable error codes. Codes never change once published.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum ErrorCode { $($variant),* }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];
            pub fn as_str(self) -> &'static str { match self { $(ErrorCode::$variant => $code),* } }
            pub fn status(self) -> StatusCode { match self { $(ErrorCode::$variant => $status),* } }
            pub fn default_message(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((ErrorCode::$variant, Lang::Zh) => $zh, (ErrorCode::$variant, Lang::En) => $en),*
                }
            }
        }
    };
}

error_codes! {
    BadRequest => ("bad_request", StatusCode::BAD_REQUEST, "请求无效", "The request is not valid"),
    ValidationFailed => ("validation_failed", StatusCode::UNPROCESSABLE_ENTITY, "输入未通过校验", "Some fields are not valid"),
    MalformedJson => ("malformed_json", StatusCode::BAD_REQUEST, "JSON 格式错误", "The request body is not valid JSON"),
    UnsupportedMediaType => ("unsupported_media_type", StatusCode::UNSUPPORTED_MEDIA_TYPE, "不支持的内容类型", "Unsupported content type"),
    PayloadTooLarge => ("payload_too_large", StatusCode::PAYLOAD_TOO_LARGE, "请求内容过大", "The request body is too large"),
    InvalidQuery => ("invalid_query", StatusCode::BAD_REQUEST, "查询参数无效", "The query parameters are not valid"),
    InvalidPath => ("invalid_path", StatusCode::BAD_REQUEST, "路径参数无效", "The path parameters are not valid"),
    InvalidCursor => ("invalid_cursor", StatusCode::BAD_REQUEST, "分页游标无效", "The pagination cursor is not valid"),
    InvalidSearchQuery => ("invalid_search_query", StatusCode::BAD_REQUEST, "搜索语句无效", "The search query is not valid"),
    UriTooLong => ("uri_too_long", StatusCode::URI_TOO_LONG, "请求地址过长", "The request URL is too long"),
    HeaderFieldsTooLarge => ("header_fields_too_large", StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "请求头过大", "The request headers are too large"),
    RequestTimeout => ("request_timeout", StatusCode::REQUEST_TIMEOUT, "请求未能及时送达，请重试", "The request did not arrive in time, retry"),
    RouteNotFound => ("route_not_found", StatusCode::NOT_FOUND, "接口不存在", "No such endpoint"),
    MethodNotAllowed => ("method_not_allowed", StatusCode::METHOD_NOT_ALLOWED, "不支持该请求方法", "Method not allowed"),
    NotFound => ("not_found", StatusCode::NOT_FOUND, "未找到", "Not found"),
    Unauthorized => ("unauthorized", StatusCode::UNAUTHORIZED, "未登录或登录已过期", "Missing, invalid or expired credentials"),
    InvalidCredentials => ("invalid_credentials", StatusCode::UNAUTHORIZED, "手机号或密码错误", "Wrong phone number or password"),
    Forbidden => ("forbidden", StatusCode::FORBIDDEN, "无权访问", "You are not allowed to do this"),
    HouseholdLinkForbidden => ("household_link_forbidden", StatusCode::FORBIDDEN, "只有户籍所在地区的工作人员可以关联家庭", "Only program staff whose region holds the household may link a worker to it"),
    InvalidClaimCode => ("invalid_claim_code", StatusCode::FORBIDDEN, "认领码错误、已使用或已过期，或与手机号不符", "The claim code is wrong, used or expired, or not for this phone number"),
    TooManyRequests => ("too_many_requests", StatusCode::TOO_MANY_REQUESTS, "尝试次数过多，请稍后再试", "Too many attempts, try again later"),
    Conflict => ("conflict", StatusCode::CONFLICT, "与现有数据冲突", "Conflicts with existing data"),
    AlreadyExists => ("already_exists", StatusCode::CONFLICT, "记录已存在", "A record with this key already exists"),
    AlreadyClaimed => ("already_claimed", StatusCode::CONFLICT, "该资料已有账号认领", "This profile already belongs to an account"),
    IdempotencyKeyReused => ("idempotency_key_reused", StatusCode::CONFLICT, "幂等键已用于不同的请求", "This Idempotency-Key was used with a different request"),
    IdempotencyInProgress => ("idempotency_in_progress", StatusCode::CONFLICT, "相同请求正在处理中", "The same request is still being processed"),
    IdempotentAnswerWithheld => ("idempotent_answer_withheld", StatusCode::CONFLICT, "该请求已经完成；其答复含一次性密钥，没有保存，请查看已创建的记录", "This request already succeeded; its answer held a one-time secret and was not kept: read the record it created"),
    InvalidTransition => ("invalid_transition", StatusCode::CONFLICT, "当前状态不允许该操作", "This state change is not allowed"),
    CapacityReached => ("capacity_reached", StatusCode::CONFLICT, "名额已满", "No places left"),
    PreconditionFailed => ("precondition_failed", StatusCode::PRECONDITION_FAILED, "数据已被修改", "The resource has changed"),
    Overloaded => ("overloaded", StatusCode::SERVICE_UNAVAILABLE, "服务繁忙，请稍后重试", "The service is busy, retry shortly"),
    DatabaseUnavailable => ("database_unavailable", StatusCode::SERVICE_UNAVAILABLE, "数据库暂不可用，请稍后重试", "The database is unavailable, retry shortly"),
    NotReady => ("not_ready", StatusCode::SERVICE_UNAVAILABLE, "服务尚未就绪", "The service is not ready"),
    Internal => ("internal", StatusCode::INTERNAL_SERVER_ERROR, "服务器内部错误", "Internal server error"),
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One field that failed validation, with a machine-readable reason.
#[derive(Clone, Debug, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

/// The error envelope of every 4xx/5xx answer.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine code, e.g. `validation_failed`.
    #[schema(example = "validation_failed")]
    pub code: String,
    /// Human-readable message in the request's language.
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<FieldError>,
    /// Extra structured data for some codes (e.g. allowed transitions).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub extra: Option<serde_json::Value>,
}

#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    /// Message overriding the default one: (Chinese, English).
    pub message: Option<(String, String)>,
    pub details: Vec<FieldError>,
    pub extra: Option<serde_json::Value>,
    pub retry_after_secs: Option<u64>,
    /// Internal cause, logged for 5xx, never sent.
    pub cause: Option<String>,
    /// The `Allow` header of a 405.
    pub allow: Option<String>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: ErrorCode) -> Self {
        ApiError {
            code,
            message: None,
            details: Vec::new(),
            extra: None,
            retry_after_secs: None,
            cause: None,
            allow: None,
        }
    }

    pub fn msg(code: ErrorCode, zh: impl Into<String>, en: impl Into<String>) -> Self {
        ApiError {
            message: Some((zh.into(), en.into())),
            ..ApiError::new(code)
        }
    }

    pub fn internal(cause: impl fmt::Display) -> Self {
        ApiError {
            cause: Some(cause.to_string()),
            ..ApiError::new(ErrorCode::Internal)
        }
    }

    pub fn validation(details: Vec<FieldError>) -> Self {
        ApiError {
            details,
            ..ApiError::new(ErrorCode::ValidationFailed)
        }
    }

    pub fn field(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ApiError::validation(vec![FieldError {
            field: field.into(),
            reason: reason.into(),
        }])
    }

    pub fn not_found() -> Self {
        ApiError::new(ErrorCode::NotFound)
    }

    pub fn forbidden() -> Self {
        ApiError::new(ErrorCode::Forbidden)
    }

    pub fn unauthorized() -> Self {
        ApiError::new(ErrorCode::Unauthorized)
    }

    /// 405 for a path served under other methods, or `None` when no route has the path.
    pub fn method_not_allowed(path: &str) -> Option<Self> {
        let allowed = crate::methods::allowed_methods(path);
        (!allowed.is_empty()).then(|| ApiError {
            allow: Some(allowed.join(", ")),
            ..ApiError::new(ErrorCode::MethodNotAllowed)
        })
    }

    pub fn with_code(mut self, code: ErrorCode) -> Self {
        self.code = code;
        self
    }

    pub fn with_extra(mut self, extra: serde_json::Value) -> Self {
        self.extra = Some(extra);
        self
    }

    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs);
        self
    }

    pub fn body(&self, lang: Lang) -> ErrorBody {
        let message = match (&self.message, lang) {
            (Some((zh, _)), Lang::Zh) => zh.clone(),
            (Some((_, en)), Lang::En) => en.clone(),
            (None, lang) => self.code.default_message(lang).to_string(),
        };
        ErrorBody {
            code: self.code.as_str().to_string(),
            message,
            details: self.details.clone(),
            extra: self.extra.clone(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code.as_str())?;
        if let Some(cause) = &self.cause {
            write!(f, ": {cause}")?;
        }
        Ok(())
    }
}

/// Under overload every request may answer 503: one line a second says so (with how many
/// were not written), not one line each.
struct Throttled {
    last_second: std::sync::atomic::AtomicU64,
    suppressed: std::sync::atomic::AtomicU64,
}

impl Throttled {
    const fn new() -> Self {
        Throttled {
            last_second: std::sync::atomic::AtomicU64::new(u64::MAX),
            suppressed: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// `Some(suppressed since the last line)` when a line may be written now.
    fn admit(&self) -> Option<u64> {
        use std::sync::atomic::Ordering;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let last = self.last_second.load(Ordering::Relaxed);
        if last != now
            && self
                .last_second
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            Some(self.suppressed.swap(0, Ordering::Relaxed))
        } else {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            None
        }
    }
}

static UNAVAILABLE_LOG: Throttled = Throttled::new();

impl ApiError {
    /// One line per failure that needs a person (ERROR: a bug or a broken dependency); the
    /// service shedding load or waiting for its database is a WARN at most once a second;
    /// a client's mistake is DEBUG (the answer tells the client).
    fn log(&self) {
        let status = self.code.status();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            if let Some(suppressed) = UNAVAILABLE_LOG.admit() {
                tracing::warn!(
                    code = self.code.as_str(),
                    cause = ?self.cause,
                    suppressed,
                    "answering 503"
                );
            }
        } else if status.is_server_error() {
            tracing::error!(code = self.code.as_str(), cause = ?self.cause, "request failed");
        } else {
            tracing::debug!(code = self.code.as_str(), cause = ?self.cause, "request refused");
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        self.log();
        let mut resp = HttpResponse::build(status);
        if let Some(secs) = self.retry_after_secs {
            resp.insert_header((header::RETRY_AFTER, HeaderValue::from(secs)));
        }
        if let Some(allow) = self
            .allow
            .as_deref()
            .and_then(|a| HeaderValue::from_str(a).ok())
        {
            resp.insert_header((header::ALLOW, allow));
        }
        resp.json(self.body(current_lang()))
    }
}

impl From<crate::db::DbError> for ApiError {
    /// The one place where database failures become API errors.
    fn from(e: crate::db::DbError) -> Self {
        use crate::db::DbError;
        use deadpool_postgres::PoolError;
        match e {
            DbError::Postgres(pg) => postgres_error(pg),
            DbError::Pool(PoolError::Backend(pg)) => postgres_error(pg),
            DbError::Pool(other) => unavailable(other),
            DbError::Corrupt(what) => ApiError::internal(what),
        }
    }
}

impl From<deadpool_postgres::PoolError> for ApiError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        crate::db::DbError::from(e).into()
    }
}

impl From<tokio_postgres::Error> for ApiError {
    fn from(e: tokio_postgres::Error) -> Self {
        crate::db::DbError::from(e).into()
    }
}

fn unavailable(cause: impl fmt::Display) -> ApiError {
    ApiError {
        cause: Some(cause.to_string()),
        ..ApiError::new(ErrorCode::DatabaseUnavailable)
    }
    .retry_after(DATABASE_RETRY_AFTER_SECS)
}

/// What `Retry-After` says while the database cannot be reached: the pool tries a new
/// connection on the next request, so a retry soon after a restart succeeds.
pub const DATABASE_RETRY_AFTER_SECS: u64 = 2;

/// Whether an error without a server answer comes from the connection (refused, reset, timed
/// out, closed) rather than from this code (a value that does not convert).
fn is_connection_error(e: &tokio_postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if s.is::<std::io::Error>() {
            return true;
        }
        source = s.source();
    }
    // tokio-postgres keeps its error kinds private; its words for the connection kinds are
    // stable across 0.7.
    let text = e.to_string();
    text.starts_with("error connecting to server")
        || text.starts_with("error communicating with the server")
        || text.starts_with("timeout waiting for server")
}

/// The column a unique constraint guards, for `details`; the constraint's own name is internal.
/// PostgreSQL names an inline UNIQUE `<table>_<column>_key`; the composite ones are listed.
fn unique_field(table: Option<&str>, constraint: Option<&str>) -> Option<String> {
    let constraint = constraint?;
    let composite = match constraint {
        "enrollments_course_id_worker_id_key" | "applications_opening_id_worker_id_key" => {
            Some("worker_id")
        }
        "followups_placement_id_due_month_key" => Some("due_month"),
        _ => None,
    };
    if let Some(field) = composite {
        return Some(field.to_string());
    }
    let rest = constraint.strip_prefix(&format!("{}_", table?))?;
    let column = rest.strip_suffix("_key")?;
    Some(column.to_string())
}

fn postgres_error(e: tokio_postgres::Error) -> ApiError {
    use tokio_postgres::error::SqlState;
    if let Some(db) = e.as_db_error() {
        let code = db.code();
        if *code == SqlState::UNIQUE_VIOLATION {
            let details = unique_field(db.table(), db.constraint())
                .map(|field| {
                    vec![FieldError {
                        field,
                        reason: "already_exists".into(),
                    }]
                })
                .unwrap_or_default();
            return ApiError {
                details,
                cause: Some(db.message().to_string()),
                ..ApiError::new(ErrorCode::AlreadyExists)
            };
        }
        if *code == SqlState::FOREIGN_KEY_VIOLATION {
            return ApiError {
                cause: Some(db.message().to_string()),
                ..ApiError::new(ErrorCode::Conflict)
            };
        }
        if *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED
        {
            return ApiError {
                cause: Some(db.message().to_string()),
                ..ApiError::new(ErrorCode::Overloaded)
            }
            .retry_after(1);
        }
        // Text the boundary should have refused (a NUL): still the caller's input, never a 500.
        if *code == SqlState::CHARACTER_NOT_IN_REPERTOIRE
            || *code == SqlState::UNTRANSLATABLE_CHARACTER
        {
            return ApiError {
                cause: Some(db.message().to_string()),
                ..ApiError::field("body", crate::input::CONTROL_CHARACTER)
            };
        }
        // Class 08 (connection exceptions), shutdowns (57P01-57P03) and too many connections.
        if code.code().starts_with("08")
            || *code == SqlState::ADMIN_SHUTDOWN
            || *code == SqlState::CRASH_SHUTDOWN
            || *code == SqlState::CANNOT_CONNECT_NOW
            || *code == SqlState::TOO_MANY_CONNECTIONS
        {
            return unavailable(db.message());
        }
        return ApiError::internal(format!("{}: {}", code.code(), db.message()));
    }
    if is_connection_error(&e) {
        return unavailable(e);
    }
    ApiError::internal(e)
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::internal(e)
    }
}

/// Actix's own payload errors (JSON, query, path, form) use the same envelope.
pub fn json_error_handler(
    err: actix_web::error::JsonPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as E;
    let api = match &err {
        E::ContentType => ApiError::new(ErrorCode::UnsupportedMediaType),
        E::OverflowKnownLength { .. } | E::Overflow { .. } => {
            ApiError::new(ErrorCode::PayloadTooLarge)
        }
        // serde's words (Rust types, line and column) are not for clients: name the field.
        E::Deserialize(de) if de.is_data() => ApiError::field("body", "invalid_value"),
        E::Deserialize(_) => ApiError::new(ErrorCode::MalformedJson),
        E::Payload(actix_web::error::PayloadError::Overflow) => {
            ApiError::new(ErrorCode::PayloadTooLarge)
        }
        _ => ApiError::new(ErrorCode::BadRequest),
    };
    api.into()
}

pub fn query_error_handler(
    err: actix_web::error::QueryPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError {
        cause: Some(err.to_string()),
        ..ApiError::new(ErrorCode::InvalidQuery)
    }
    .into()
}

pub fn path_error_handler(
    err: actix_web::error::PathError,
    req: &actix_web::HttpRequest,
) -> actix_web::Error {
    // `PUT /openings/search` reaches `PUT /openings/{id}`: the path names another resource,
    // which has no PUT.
    if let Some(e) = ApiError::method_not_allowed(req.path()) {
        let methods = e.allow.clone().unwrap_or_default();
        if !methods.split(", ").any(|m| m == req.method().as_str()) {
            return e.into();
        }
    }
    // Every path parameter of the API is an integer id.
    let details = req
        .match_info()
        .iter()
        .filter(|(_, value)| value.parse::<i64>().is_err())
        .map(|(name, _)| FieldError {
            field: name.to_string(),
            reason: "must_be_integer".into(),
        })
        .collect();
    ApiError {
        details,
        cause: Some(err.to_string()),
        ..ApiError::new(ErrorCode::InvalidPath)
    }
    .into()
}

/// Answers that did not come from an [`ApiError`] (actix's own 404/405/413, a payload error)
/// get the same JSON envelope, so clients parse one shape.
pub async fn envelope_middleware(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let res = next.call(req).await?;
    let status = res.status();
    let content_type = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // JSON is already the envelope; HTML is a page's own answer (its errors are pages).
    let own_body =
        content_type.starts_with("application/json") || content_type.starts_with("text/html");
    if !(status.is_client_error() || status.is_server_error()) || own_body {
        return Ok(res.map_into_boxed_body());
    }

    let code = match status {
        StatusCode::NOT_FOUND => ErrorCode::RouteNotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
        StatusCode::UNAUTHORIZED => ErrorCode::Unauthorized,
        StatusCode::FORBIDDEN => ErrorCode::Forbidden,
        StatusCode::SERVICE_UNAVAILABLE => ErrorCode::Overloaded,
        s if s.is_server_error() => ErrorCode::Internal,
        _ => ErrorCode::BadRequest,
    };
    let (req, _) = res.into_parts();
    let mut body = HttpResponse::build(status);
    body.content_type("application/json");
    let response = body.json(ApiError::new(code).body(current_lang()));
    Ok(actix_web::dev::ServiceResponse::new(req, response))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "duplicate code {s}");
            assert!(s.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{s}");
        }
    }

    /// Levels of the events written while `f` runs.
    fn levels_while(f: impl FnOnce()) -> Vec<tracing::Level> {
        use std::sync::{Arc, Mutex};
        use tracing_subscriber::layer::SubscriberExt;
        struct Capture(Arc<Mutex<Vec<tracing::Level>>>);
        impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Capture {
            fn on_event(
                &self,
                event: &tracing::Event<'_>,
                _: tracing_subscriber::layer::Context<'_, S>,
            ) {
                self.0.lock().unwrap().push(*event.metadata().level());
            }
        }
        let seen = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::registry().with(Capture(seen.clone()));
        tracing::subscriber::with_default(subscriber, f);
        let out = seen.lock().unwrap().clone();
        out
    }

    #[test]
    fn overload_is_one_warning_a_second_and_client_errors_are_quiet() {
        let levels = levels_while(|| {
            for _ in 0..200 {
                let _ = ApiError::new(ErrorCode::Overloaded).error_response();
                let _ = ApiError::new(ErrorCode::DatabaseUnavailable).error_response();
            }
        });
        assert!(
            levels.iter().all(|l| *l == tracing::Level::WARN),
            "{levels:?}"
        );
        assert!(levels.len() <= 2, "{} lines for 400 answers", levels.len());
        let levels = levels_while(|| {
            let _ = ApiError::field("name", "too_long").error_response();
            let _ = ApiError::new(ErrorCode::NotFound).error_response();
        });
        // tracing orders levels by verbosity: DEBUG and TRACE are above INFO.
        assert!(
            levels.iter().all(|l| *l > tracing::Level::INFO),
            "{levels:?}"
        );
        let levels = levels_while(|| {
            let _ = ApiError::internal("a bug").error_response();
        });
        assert_eq!(levels, [tracing::Level::ERROR]);
    }

    #[test]
    fn body_uses_language() {
        let err = ApiError::new(ErrorCode::NotFound);
        assert_eq!(err.body(Lang::En).message, "Not found");
        assert_eq!(err.body(Lang::Zh).message, "未找到");
        assert_eq!(err.body(Lang::Zh).code, "not_found");
    }
}
