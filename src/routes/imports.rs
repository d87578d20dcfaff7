//! CSV uploads: households (officers) and graduates (training centers).

use actix_web::post;
use actix_web::web::{self, Bytes};
use actix_web::HttpRequest;
use futures_util::StreamExt;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{Auth, CenterStaff, OfficerOrAdmin};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::imports::{self, ImportMode, ImportReport, Sheet};
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
pub struct ImportQuery {
    /// best_effort (default): save good rows, report bad ones; all_or_nothing: save nothing
    /// unless every row is good.
    #[serde(default)]
    pub mode: ImportMode,
}

/// CSV comes as text/csv (what the documentation says); spreadsheets and browsers also send
/// application/csv, text/plain or Excel's type for a .csv file. Anything else (a JSON body, a
/// form) is refused with 415 before a byte is parsed.
fn require_csv(req: &HttpRequest) -> ApiResult<()> {
    let essence = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    match essence.as_deref() {
        Some("text/csv" | "application/csv" | "text/plain" | "application/vnd.ms-excel") => Ok(()),
        _ => Err(ApiError::msg(
            ErrorCode::UnsupportedMediaType,
            "请以 text/csv 上传 CSV 文件",
            "Upload the CSV file as text/csv",
        )),
    }
}

/// Spools the upload to a temporary file (cut off at the import size limit) before anything
/// touches the database: a slow sender holds a file handle, never a connection or a
/// transaction. The importer then reads the file at disk speed.
async fn stream_import<F, Fut>(
    state: &AppState,
    payload: web::Payload,
    required: &'static [&'static str],
    import: F,
) -> ApiResult<ImportReport>
where
    F: FnOnce(Sheet) -> Fut,
    Fut: std::future::Future<Output = ApiResult<ImportReport>>,
{
    let file = spool(state.settings.import_body_limit, payload).await?;
    let sheet = Sheet::open(std::io::BufReader::new(file), required).await?;
    import(sheet).await
}

async fn spool(limit: usize, mut payload: web::Payload) -> ApiResult<std::fs::File> {
    use tokio::io::AsyncWriteExt;
    // Unlinked at once: nothing is left behind, whatever happens to the process.
    let file = tokio::task::spawn_blocking(tempfile::tempfile)
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    let mut out = tokio::fs::File::from_std(file);
    let mut received = 0;
    while let Some(chunk) = payload.next().await {
        let chunk: Bytes = chunk.map_err(|e| ApiError {
            cause: Some(e.to_string()),
            ..ApiError::msg(
                ErrorCode::BadRequest,
                "上传中断，请重新上传",
                "The upload broke off; send the file again",
            )
        })?;
        received += chunk.len();
        if received > limit {
            return Err(ApiError::new(ErrorCode::PayloadTooLarge));
        }
        out.write_all(&chunk).await.map_err(ApiError::internal)?;
    }
    out.flush().await.map_err(ApiError::internal)?;
    let mut file = out.into_std().await;
    tokio::task::spawn_blocking(move || {
        use std::io::Seek;
        file.rewind().map(|_| file)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)
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
        (status = 415, body = crate::error::ErrorBody, description = "not sent as CSV"),
        (status = 422, body = crate::error::ErrorBody, description = "missing columns or unreadable file")
    )
)]
#[post("/imports/households")]
pub async fn import_households(
    state: web::Data<AppState>,
    staff: Auth<OfficerOrAdmin>,
    req: HttpRequest,
    query: crate::input::Query<ImportQuery>,
    payload: web::Payload,
) -> ApiResult<web::Json<ImportReport>> {
    require_csv(&req)?;
    let report = stream_import(&state, payload, &imports::HOUSEHOLD_COLUMNS, |sheet| {
        imports::import_households(&state.pool, &staff, sheet, query.mode)
    })
    .await?;
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
        (status = 415, body = crate::error::ErrorBody, description = "not sent as CSV"),
        (status = 422, body = crate::error::ErrorBody, description = "missing columns or unreadable file")
    )
)]
#[post("/imports/graduates")]
pub async fn import_graduates(
    state: web::Data<AppState>,
    center: Auth<CenterStaff>,
    req: HttpRequest,
    query: crate::input::Query<ImportQuery>,
    payload: web::Payload,
) -> ApiResult<web::Json<ImportReport>> {
    require_csv(&req)?;
    let report = stream_import(&state, payload, &imports::GRADUATE_COLUMNS, |sheet| {
        imports::import_graduates(&state.pool, &center, sheet, query.mode)
    })
    .await?;
    Ok(web::Json(report))
}
