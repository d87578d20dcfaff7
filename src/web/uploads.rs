//! CSV uploads from the staff pages (graduates, households): the same importers as
//! `POST /api/v1/imports/...`, fed from a `multipart/form-data` form so that a plain form works
//! with JavaScript off (with it on, htmx sends the same form and shows a progress bar).
//!
//! The upload streams into the importer as it arrives, as the API's does. It is also written to
//! a private temporary file, read again afterwards only to copy out the rows that failed (the
//! importer reports row numbers, the clerk needs the rows to mend), and removed at once: the
//! failed rows travel back inside the report page as a `data:` link, so nothing of the file is
//! kept on the server.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::pin::pin;

use actix_multipart::Multipart;
use actix_web::web::Bytes;
use base64::Engine;
use futures_util::future::{select, Either};
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use super::staff_text::reason;
use super::{PageError, Viewer};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::i18n::Lang;
use crate::imports::{self, ChunkReader, ImportReport, Sheet};
use crate::state::AppState;

/// The longest CSRF field accepted before the file.
const MAX_TOKEN_BYTES: usize = 256;

/// What an upload came to: a report, or why the file as a whole was refused.
pub enum Uploaded {
    Report(Box<ImportReport>, FailedRows),
    Refused(ApiError),
    /// The form came without a file.
    NoFile,
}

/// The failed rows of the file as sent, by spreadsheet row number, with its header.
#[derive(Default)]
pub struct FailedRows {
    pub header: Vec<String>,
    pub rows: BTreeMap<usize, Vec<String>>,
}

impl FailedRows {
    /// The cell of `column` in row `row`, as the file had it.
    pub fn cell(&self, row: usize, column: &str) -> String {
        let Some(i) = self.header.iter().position(|h| {
            h.trim_start_matches('\u{feff}')
                .eq_ignore_ascii_case(column)
        }) else {
            return String::new();
        };
        self.rows
            .get(&row)
            .and_then(|r| r.get(i))
            .cloned()
            .unwrap_or_default()
    }

    /// The failed rows as a CSV file (UTF-8 with a BOM, which spreadsheets need to read it as
    /// UTF-8), ready to mend and send again.
    pub fn csv(&self) -> Vec<u8> {
        let mut out = vec![0xEF, 0xBB, 0xBF];
        let mut w = csv::Writer::from_writer(&mut out);
        let header: Vec<&str> = self
            .header
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}'))
            .collect();
        let _ = w.write_record(&header);
        for r in self.rows.values() {
            let _ = w.write_record(r);
        }
        let _ = w.flush();
        drop(w);
        out
    }

    pub fn data_uri(&self) -> String {
        format!(
            "data:text/csv;charset=utf-8;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(self.csv())
        )
    }
}

/// The temporary copy of an upload; removed when dropped, whatever happened.
struct TempCopy(PathBuf);

impl Drop for TempCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Reads the form: the CSRF field first (forms put it before the file), then the file, streamed
/// into `import`.
pub async fn receive<F, Fut>(
    state: &AppState,
    viewer: &Viewer,
    mut form: Multipart,
    required: &'static [&'static str],
    import: F,
) -> Result<Uploaded, PageError>
where
    F: FnOnce(Sheet) -> Fut,
    Fut: std::future::Future<Output = ApiResult<ImportReport>>,
{
    let mut token_ok = false;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|_| PageError::BadForm)?;
        match field.name() {
            Some("csrf") => {
                let mut token = Vec::new();
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(|_| PageError::BadForm)?;
                    if token.len() + chunk.len() > MAX_TOKEN_BYTES {
                        return Err(PageError::BadForm);
                    }
                    token.extend_from_slice(&chunk);
                }
                token_ok = viewer.csrf_ok(state, &String::from_utf8_lossy(&token));
            }
            Some("file") => {
                if !token_ok {
                    return Err(PageError::CsrfExpired);
                }
                return import_field(state, field, required, import).await;
            }
            _ => {
                // Drain and ignore anything else.
                while let Some(chunk) = field.next().await {
                    chunk.map_err(|_| PageError::BadForm)?;
                }
            }
        }
    }
    if !token_ok {
        return Err(PageError::CsrfExpired);
    }
    Ok(Uploaded::NoFile)
}

async fn import_field<F, Fut>(
    state: &AppState,
    field: actix_multipart::Field,
    required: &'static [&'static str],
    import: F,
) -> Result<Uploaded, PageError>
where
    F: FnOnce(Sheet) -> Fut,
    Fut: std::future::Future<Output = ApiResult<ImportReport>>,
{
    let copy = TempCopy(std::env::temp_dir().join(format!(
        "labormatch-upload-{}.csv",
        uuid::Uuid::new_v4().simple()
    )));
    let file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&copy.0)
        .await
        .map_err(|e| PageError::Api(ApiError::internal(e)))?;
    let (chunks_tx, chunks_rx) = mpsc::channel(imports::CHUNK_BUFFER);
    let feed = feed(state.settings.import_body_limit, field, file, chunks_tx);
    let run = async move {
        let sheet = Sheet::open(ChunkReader::new(chunks_rx), required).await?;
        import(sheet).await
    };
    let (feed, run) = (pin!(feed), pin!(run));
    let (report, sent) = match select(run, feed).await {
        Either::Left((report, feed)) => (report, feed.await),
        Either::Right((sent, run)) => (run.await, sent),
    };
    let report = match report {
        Ok(r) => r,
        Err(e) if e.code.status().is_client_error() => return Ok(Uploaded::Refused(e)),
        Err(e) => return Err(PageError::Api(e)),
    };
    if sent == 0 && report.rows == 0 {
        return Ok(Uploaded::NoFile);
    }
    let wanted: Vec<usize> = {
        let mut rows: Vec<usize> = report.errors.iter().map(|e| e.row).collect();
        rows.dedup();
        rows
    };
    let failed = if wanted.is_empty() {
        FailedRows::default()
    } else {
        let path = copy.0.clone();
        tokio::task::spawn_blocking(move || failed_rows(&path, &wanted))
            .await
            .map_err(|e| PageError::Api(ApiError::internal(e)))?
            .map_err(|e| PageError::Api(ApiError::internal(e)))?
    };
    drop(copy);
    Ok(Uploaded::Report(Box::new(report), failed))
}

/// Streams the file field to the parser and the temporary copy; answers the bytes sent.
async fn feed(
    limit: usize,
    mut field: actix_multipart::Field,
    mut file: tokio::fs::File,
    chunks: mpsc::Sender<ApiResult<Bytes>>,
) -> usize {
    let mut received = 0;
    while let Some(chunk) = field.next().await {
        let item = match chunk {
            Ok(chunk) if received + chunk.len() > limit => {
                Err(ApiError::new(ErrorCode::PayloadTooLarge))
            }
            Ok(chunk) => match file.write_all(&chunk).await {
                Ok(()) => {
                    received += chunk.len();
                    Ok(chunk)
                }
                Err(e) => Err(ApiError::internal(e)),
            },
            Err(e) => Err(ApiError {
                cause: Some(e.to_string()),
                ..ApiError::new(ErrorCode::BadRequest)
            }),
        };
        let stop = item.is_err();
        if chunks.send(item).await.is_err() || stop {
            break;
        }
    }
    let _ = file.flush().await;
    received
}

/// Reads the copy again as the importer's parser does (same CSV settings, so the same row
/// numbers) and keeps the rows asked for.
fn failed_rows(path: &std::path::Path, wanted: &[usize]) -> std::io::Result<FailedRows> {
    let file = std::fs::File::open(path)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(std::io::BufReader::new(file));
    let header: Vec<String> = reader
        .headers()
        .map_err(std::io::Error::other)?
        .iter()
        .map(str::to_string)
        .collect();
    let mut rows = BTreeMap::new();
    let mut record = csv::StringRecord::new();
    let mut number = 1;
    let last = wanted.iter().copied().max().unwrap_or(0);
    while number < last {
        match reader.read_record(&mut record) {
            Ok(true) => {
                number += 1;
                if wanted.binary_search(&number).is_ok() {
                    rows.insert(number, record.iter().map(str::to_string).collect());
                }
            }
            // The importer reported the rest; a row it could not read has no cells to copy.
            Ok(false) | Err(_) => break,
        }
    }
    Ok(FailedRows { header, rows })
}

/// One line of the report table.
pub struct ReportLine {
    pub row: usize,
    pub column: String,
    pub value: String,
    pub reason: String,
}

/// An upload's answer as the report page shows it.
pub struct ReportView {
    pub rows: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
    pub committed: bool,
    pub lines: Vec<ReportLine>,
    pub failed_href: String,
    /// The whole file was refused (a missing column, not UTF-8...): why, in sentences.
    pub refused: Option<String>,
    pub refused_details: Vec<String>,
}

impl ReportView {
    pub fn of(lang: Lang, uploaded: Uploaded) -> ReportView {
        let mut view = ReportView {
            rows: 0,
            inserted: 0,
            updated: 0,
            unchanged: 0,
            failed: 0,
            committed: false,
            lines: Vec::new(),
            failed_href: String::new(),
            refused: None,
            refused_details: Vec::new(),
        };
        match uploaded {
            Uploaded::NoFile => {
                view.refused = Some(reason(lang, "file_required"));
            }
            Uploaded::Refused(e) => {
                view.refused_details = e
                    .details
                    .iter()
                    .map(|d| format!("{}: {}", d.field, reason(lang, &d.reason)))
                    .collect();
                view.refused = Some(e.body(lang).message);
            }
            Uploaded::Report(r, failed) => {
                // One reason per cell: a cell that is not a number is not also "out of range".
                let mut seen = std::collections::HashSet::new();
                view.lines = r
                    .errors
                    .iter()
                    .filter(|e| seen.insert((e.row, e.column.clone())))
                    .map(|e| ReportLine {
                        row: e.row,
                        value: failed.cell(e.row, &e.column),
                        column: e.column.clone(),
                        reason: reason(lang, &e.reason),
                    })
                    .collect();
                if !failed.rows.is_empty() {
                    view.failed_href = failed.data_uri();
                }
                view.rows = r.rows;
                view.inserted = r.inserted;
                view.updated = r.updated;
                view.unchanged = r.unchanged;
                view.failed = r.failed;
                view.committed = r.committed;
            }
        }
        view
    }
}

/// A short template with the expected header and one example row, as CSV with a BOM.
pub fn template_csv(header: &[&str], example: &[&str]) -> Vec<u8> {
    let mut out = vec![0xEF, 0xBB, 0xBF];
    {
        let mut w = csv::Writer::from_writer(&mut out);
        let _ = w.write_record(header);
        let _ = w.write_record(example);
        let _ = w.flush();
    }
    out
}
