//! A CSV sheet read as it arrives. csv is a synchronous parser, so it runs on the blocking pool
//! and hands rows over a bounded channel to the importer, which writes earlier rows to
//! PostgreSQL meanwhile: memory holds a few upload chunks and a few hundred rows, never the file.
//!
//! A sheet either ends cleanly or yields an error: an upload that breaks off, grows past its
//! limit or turns out not to be UTF-8 never looks like a shorter file, so the importer rolls back
//! instead of saving part of it.

use std::collections::HashMap;
use std::io::{self, Read};

use actix_web::web::Bytes;
use tokio::sync::{mpsc, oneshot};

use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};

pub const MAX_ROWS: usize = 100_000;
/// Parsed rows waiting for the importer: the parser stops reading when the database lags.
const ROW_BUFFER: usize = 512;
/// Upload chunks waiting for the parser.
pub const CHUNK_BUFFER: usize = 16;

/// One data row and its spreadsheet row number (the header is row 1).
pub struct Row {
    pub number: usize,
    pub record: csv::StringRecord,
}

pub struct Sheet {
    columns: HashMap<String, usize>,
    rows: mpsc::Receiver<ApiResult<Row>>,
}

impl Sheet {
    /// Starts parsing `source`; answers once the header is read and has every `required` column.
    pub async fn open<R>(source: R, required: &'static [&'static str]) -> ApiResult<Sheet>
    where
        R: Read + Send + 'static,
    {
        let (header_tx, header_rx) = oneshot::channel();
        let (rows_tx, rows_rx) = mpsc::channel(ROW_BUFFER);
        crate::telemetry::spawn_blocking_with_span(move || {
            parse(source, required, header_tx, rows_tx)
        });
        let columns = header_rx
            .await
            .map_err(|_| ApiError::internal("the CSV parser stopped before the header"))??;
        Ok(Sheet {
            columns,
            rows: rows_rx,
        })
    }

    /// The next row; `None` at the clean end of the sheet.
    pub async fn next(&mut self) -> Option<ApiResult<Row>> {
        self.rows.recv().await
    }

    /// The cells of a row holding control characters, by column name: such text is refused
    /// (PostgreSQL cannot store NUL), and the row's error says where it is.
    pub fn control_characters(&self, record: &csv::StringRecord) -> Vec<FieldError> {
        let mut bad: Vec<(usize, FieldError)> = self
            .columns
            .iter()
            .filter(|(_, i)| {
                record
                    .get(**i)
                    .is_some_and(crate::input::has_control_characters)
            })
            .map(|(name, i)| {
                (
                    *i,
                    FieldError {
                        field: name.clone(),
                        reason: crate::input::CONTROL_CHARACTER.into(),
                    },
                )
            })
            .collect();
        bad.sort_by_key(|(i, _)| *i);
        bad.into_iter().map(|(_, e)| e).collect()
    }

    /// A cell, trimmed; `None` when the column is absent or the cell empty.
    pub fn get<'a>(&self, record: &'a csv::StringRecord, column: &str) -> Option<&'a str> {
        self.columns
            .get(column)
            .and_then(|i| record.get(*i))
            .filter(|v| !v.is_empty())
    }
}

fn parse<R: Read>(
    source: R,
    required: &[&str],
    header_tx: oneshot::Sender<ApiResult<HashMap<String, usize>>>,
    rows_tx: mpsc::Sender<ApiResult<Row>>,
) {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(source);
    let columns = read_header(&mut reader, required);
    let ok = columns.is_ok();
    if header_tx.send(columns).is_err() || !ok {
        return;
    }
    let mut record = csv::StringRecord::new();
    let mut number = 1;
    let mut rows = 0;
    loop {
        let item = match reader.read_record(&mut record) {
            Ok(false) => return,
            Ok(true) => {
                number += 1;
                // A row left blank in the spreadsheet comes out as ",,,,".
                if record.iter().all(str::is_empty) {
                    continue;
                }
                rows += 1;
                if rows > MAX_ROWS {
                    Err(ApiError::field("rows", "more_than_100000_rows"))
                } else {
                    Ok(Row {
                        number,
                        record: record.clone(),
                    })
                }
            }
            Err(e) => Err(csv_error(e)),
        };
        let stop = item.is_err();
        // A closed channel means the importer gave up: stop reading.
        if rows_tx.blocking_send(item).is_err() || stop {
            return;
        }
    }
}

fn read_header<R: Read>(
    reader: &mut csv::Reader<R>,
    required: &[&str],
) -> ApiResult<HashMap<String, usize>> {
    let headers = reader.headers().map_err(csv_error)?;
    if headers.iter().all(str::is_empty) {
        return Err(ApiError::field("body", "empty_file"));
    }
    let columns: HashMap<String, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim_start_matches('\u{feff}').to_ascii_lowercase(), i))
        .collect();
    let missing: Vec<FieldError> = required
        .iter()
        .filter(|c| !columns.contains_key(**c))
        .map(|c| FieldError {
            field: (*c).to_string(),
            reason: "missing_column".into(),
        })
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::validation(missing));
    }
    Ok(columns)
}

fn csv_error(e: csv::Error) -> ApiError {
    let line = e.position().map(|p| p.line()).unwrap_or(0);
    match e.into_kind() {
        csv::ErrorKind::Io(io) => match io.into_inner().map(|inner| inner.downcast::<Upstream>()) {
            Some(Ok(upstream)) => upstream.0,
            _ => ApiError::new(ErrorCode::BadRequest),
        },
        csv::ErrorKind::Utf8 { pos, .. } => ApiError {
            details: vec![FieldError {
                field: format!("line {}", pos.map(|p| p.line()).unwrap_or(line)),
                reason: "not_utf8".into(),
            }],
            ..ApiError::msg(
                ErrorCode::BadRequest,
                "文件不是 UTF-8 编码的 CSV，请在表格软件中另存为“CSV UTF-8”",
                "The file is not UTF-8 CSV; save it as \"CSV UTF-8\" from the spreadsheet",
            )
        },
        _ => ApiError::validation(vec![FieldError {
            field: format!("line {line}"),
            reason: "malformed_csv".into(),
        }]),
    }
}

/// Why the upload stopped, carried through `io::Error` to the parser's caller.
#[derive(Debug)]
struct Upstream(ApiError);

impl std::fmt::Display for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "upload failed: {}", self.0)
    }
}

impl std::error::Error for Upstream {}

/// `Read` over upload chunks sent from the async side. A chunk that is an error becomes an
/// `io::Error` (never an end of file), and so a sheet error.
pub struct ChunkReader {
    chunks: mpsc::Receiver<ApiResult<Bytes>>,
    current: Bytes,
    first: bool,
}

impl ChunkReader {
    pub fn new(chunks: mpsc::Receiver<ApiResult<Bytes>>) -> ChunkReader {
        ChunkReader {
            chunks,
            current: Bytes::new(),
            first: true,
        }
    }

    fn next_chunk(&mut self) -> io::Result<Option<Bytes>> {
        match self.chunks.blocking_recv() {
            None => Ok(None),
            Some(Ok(chunk)) => Ok(Some(chunk)),
            Some(Err(e)) => Err(io::Error::other(Upstream(e))),
        }
    }
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.next_chunk()? {
                None => return Ok(0),
                Some(chunk) => self.current = chunk,
            }
            // csv strips a byte order mark only when all three bytes come in the first read.
            if self.first {
                self.first = false;
                while self.current.len() < 3 {
                    let Some(more) = self.next_chunk()? else {
                        break;
                    };
                    self.current = [self.current.as_ref(), more.as_ref()].concat().into();
                }
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: [&str; 2] = ["registry_number", "county_code"];

    async fn rows_of(sheet: &mut Sheet) -> ApiResult<Vec<(usize, String)>> {
        let mut out = Vec::new();
        while let Some(row) = sheet.next().await {
            let row = row?;
            let value = sheet
                .get(&row.record, "registry_number")
                .unwrap_or("")
                .to_string();
            out.push((row.number, value));
        }
        Ok(out)
    }

    fn chunked(parts: Vec<ApiResult<&'static [u8]>>) -> ChunkReader {
        let (tx, rx) = mpsc::channel(parts.len().max(1));
        for p in parts {
            tx.try_send(p.map(Bytes::from_static)).unwrap();
        }
        ChunkReader::new(rx)
    }

    #[tokio::test]
    async fn bom_split_across_chunks_crlf_and_blank_rows() {
        let reader = chunked(vec![
            Ok(b"\xEF"),
            Ok(b"\xBB"),
            Ok(b"\xBFRegistry_Number, county_code\r\nA,630224\r\n,\r\nB,63"),
            Ok(b"0225\r\n\r\n"),
        ]);
        let mut sheet = Sheet::open(reader, &COLUMNS).await.unwrap();
        let rows = rows_of(&mut sheet).await.unwrap();
        // Row 4 is the blank ",": skipped but still counted, as the spreadsheet numbers it.
        assert_eq!(rows, vec![(2, "A".into()), (4, "B".into())]);
    }

    #[tokio::test]
    async fn a_broken_upload_is_an_error_not_an_end() {
        let reader = chunked(vec![
            Ok(b"registry_number,county_code\nA,630224\n"),
            Err(ApiError::new(ErrorCode::PayloadTooLarge)),
        ]);
        let mut sheet = Sheet::open(reader, &COLUMNS).await.unwrap();
        let e = rows_of(&mut sheet).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::PayloadTooLarge);
    }

    #[tokio::test]
    async fn header_problems_and_bad_encoding() {
        let missing = Sheet::open(chunked(vec![Ok(b"a,b\n1,2\n")]), &COLUMNS).await;
        let e = missing.err().unwrap();
        assert_eq!(e.details.len(), 2);
        assert_eq!(e.details[0].reason, "missing_column");
        let empty = Sheet::open(chunked(vec![]), &COLUMNS).await;
        assert_eq!(empty.err().unwrap().details[0].reason, "empty_file");
        let gbk = Sheet::open(
            chunked(vec![Ok(b"registry_number,county_code\n\xb0\xa1,1\n")]),
            &COLUMNS,
        )
        .await;
        let e = rows_of(&mut gbk.unwrap()).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::BadRequest);
        assert_eq!(e.details[0].field, "line 2");
        assert_eq!(e.details[0].reason, "not_utf8");
    }

    #[tokio::test]
    async fn more_than_the_row_limit_is_refused() {
        let mut text = String::from("registry_number,county_code\n");
        for i in 0..=MAX_ROWS {
            text.push_str(&format!("R{i},630224\n"));
        }
        let text: &'static str = Box::leak(text.into_boxed_str());
        let mut sheet = Sheet::open(chunked(vec![Ok(text.as_bytes())]), &COLUMNS)
            .await
            .unwrap();
        let e = rows_of(&mut sheet).await.unwrap_err();
        assert_eq!(e.details[0].reason, "more_than_100000_rows");
    }
}
