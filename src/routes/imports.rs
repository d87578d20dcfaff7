//! CSV uploads: households (officers) and graduates (training centers).

use std::pin::pin;

use actix_web::post;
use actix_web::web::{self, Bytes};
use actix_web::HttpRequest;
use futures_util::future::{select, Either};
use futures_util::StreamExt;
use serde::Deserialize;
use tokio::sync::mpsc;
use utoipa::IntoParams;

use crate::auth::{Auth, CenterStaff, OfficerOrAdmin};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::imports::{self, ChunkReader, ImportMode, ImportReport, Sheet};
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

/// Streams the upload into the CSV parser while `import` writes the rows it yields. The upload
/// is cut off at the import size limit; if the import ends first (a missing column, say), the
/// rest of the upload is not read.
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
    let (chunks_tx, chunks_rx) = mpsc::channel(imports::CHUNK_BUFFER);
    let feed = feed(state.settings.import_body_limit, payload, chunks_tx);
    let run = async move {
        let sheet = Sheet::open(ChunkReader::new(chunks_rx), required).await?;
        import(sheet).await
    };
    let (feed, run) = (pin!(feed), pin!(run));
    match select(run, feed).await {
        Either::Left((report, _)) => report,
        Either::Right(((), run)) => run.await,
    }
}

async fn feed(limit: usize, mut payload: web::Payload, chunks: mpsc::Sender<ApiResult<Bytes>>) {
    let mut received = 0;
    while let Some(chunk) = payload.next().await {
        let item = match chunk {
            Ok(chunk) if received + chunk.len() > limit => {
                Err(ApiError::new(ErrorCode::PayloadTooLarge))
            }
            Ok(chunk) => {
                received += chunk.len();
                Ok(chunk)
            }
            Err(e) => Err(ApiError {
                cause: Some(e.to_string()),
                ..ApiError::new(ErrorCode::BadRequest)
            }),
        };
        let stop = item.is_err();
        // A closed channel means the parser stopped; the import has its answer.
        if chunks.send(item).await.is_err() || stop {
            return;
        }
    }
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
