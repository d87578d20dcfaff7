//! CSV uploads: households (officers) and graduates (training centers).

use actix_web::{post, web};
use futures_util::StreamExt;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{Auth, CenterStaff, OfficerOrAdmin};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::imports::{self, ImportMode, ImportReport};
use crate::startup::AppState;

#[derive(Deserialize, IntoParams)]
pub struct ImportQuery {
    /// best_effort (default): save good rows, report bad ones; all_or_nothing: save nothing
    /// unless every row is good.
    #[serde(default)]
    pub mode: ImportMode,
}

/// Reads the upload up to the import size limit.
async fn read_body(state: &AppState, mut payload: web::Payload) -> ApiResult<Vec<u8>> {
    let limit = state.settings.import_body_limit;
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError {
            cause: Some(e.to_string()),
            ..ApiError::new(ErrorCode::BadRequest)
        })?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::new(ErrorCode::PayloadTooLarge));
        }
        body.extend_from_slice(&chunk);
    }
    if body.is_empty() {
        return Err(ApiError::field("body", "empty_file"));
    }
    Ok(body)
}

/// Upload households as CSV (UTF-8, BOM optional, CRLF or LF; up to 100,000 rows). Columns:
/// registry_number, county_code, village, member_count, status (registered_poor | monitored |
/// exited | other, or 贫困户 / 监测户 / 脱贫户), and optionally income_per_capita,
/// income_assessed_on (YYYY-MM-DD), other_income_yuan. Rows are upserted on registry_number.
#[utoipa::path(
    tag = "imports",
    security(("bearer" = [])),
    params(ImportQuery),
    request_body(content = String, content_type = "text/csv"),
    responses(
        (status = 200, body = ImportReport, description = "per-row report"),
        (status = 413, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody, description = "missing columns or unreadable file")
    )
)]
#[post("/imports/households")]
pub async fn import_households(
    state: web::Data<AppState>,
    staff: Auth<OfficerOrAdmin>,
    query: web::Query<ImportQuery>,
    payload: web::Payload,
) -> ApiResult<web::Json<ImportReport>> {
    let body = read_body(&state, payload).await?;
    let report = imports::import_households(&state.pool, &staff, &body, query.mode).await?;
    Ok(web::Json(report))
}

/// Upload course results as CSV. Columns: course_id, name, id_number, home_region, passed
/// (1/0, 是/否, 合格/不合格), certificate_number, and optionally score, level, result_on,
/// gender, phone, ethnicity, destinations (codes separated by ';'; none means anywhere).
/// Workers are matched on id_number (created when new), results on the enrollment.
#[utoipa::path(
    tag = "imports",
    security(("bearer" = [])),
    params(ImportQuery),
    request_body(content = String, content_type = "text/csv"),
    responses(
        (status = 200, body = ImportReport, description = "per-row report"),
        (status = 413, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody, description = "missing columns or unreadable file")
    )
)]
#[post("/imports/graduates")]
pub async fn import_graduates(
    state: web::Data<AppState>,
    center: Auth<CenterStaff>,
    query: web::Query<ImportQuery>,
    payload: web::Payload,
) -> ApiResult<web::Json<ImportReport>> {
    let body = read_body(&state, payload).await?;
    let report = imports::import_graduates(&state.pool, &center, &body, query.mode).await?;
    Ok(web::Json(report))
}
