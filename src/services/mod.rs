//! Services own the transactions, one module per aggregate. Each write asks the policy, applies
//! the domain rules, writes its rows, the index outbox rows and the audit entry in one
//! transaction; routes, pages and imports all call the same function. They take `&AppState`
//! (imports: their own transaction), the caller's `Principal` and input, and answer domain
//! values or the one error type, `ApiError`. Nothing here knows about HTTP requests.

pub mod accounts;
pub mod admin;
pub mod applications;
pub mod audit;
pub mod claims;
pub mod courses;
pub mod households;
pub mod openings;
pub mod organizations;
pub mod placements;
pub mod reports;
pub mod targets;
pub mod workers;

use crate::error::{ApiError, ApiResult, ErrorCode};

/// A write, and the index change number that makes it visible to searches (pass it as
/// `after_change`); `None` when nothing searchable changed.
#[derive(Debug)]
pub struct Written<T> {
    pub value: T,
    pub change: Option<i64>,
}

/// A replaced record must still be the version the client read (`If-Match`); `None` replaces
/// whatever is there.
pub fn check_version(expected: Option<i32>, current: i32) -> ApiResult<()> {
    match expected {
        Some(v) if v != current => Err(ApiError::new(ErrorCode::PreconditionFailed)
            .with_extra(serde_json::json!({ "version": current }))),
        _ => Ok(()),
    }
}

/// A refused opening or worker status change, as the API answers it.
pub(crate) fn transition_refused(
    from: Option<&str>,
    to: &str,
    allowed: Vec<&'static str>,
) -> ApiError {
    ApiError::new(ErrorCode::InvalidTransition)
        .with_extra(serde_json::json!({ "from": from, "to": to, "allowed": allowed }))
}
