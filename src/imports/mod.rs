//! CSV imports of households (county offices) and graduates (training centers): the spreadsheet
//! clerks already keep, saved as UTF-8 CSV (with or without BOM, CRLF or LF). Every row is
//! checked; the answer lists each bad row with its row number, column and reason. Good rows are
//! upserted on natural keys (registry number; ID number; certificate number), so sending the same
//! file twice changes nothing. In `all_or_nothing` mode one bad row stops the whole file.

use std::collections::HashMap;

use chrono::NaiveDate;
use deadpool_postgres::{GenericClient, Pool};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{policy, Principal};
use crate::db::audit::{self, AuditEntry};
use crate::db::courses::{self, ResultInput};
use crate::db::households::{HouseholdInput, Upsert};
use crate::db::workers::{self, WorkerInput, WorkerRecord};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::validate::{self, Problems};

mod sheet;

pub use sheet::{ChunkReader, Sheet, CHUNK_BUFFER, MAX_ROWS};

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// Good rows are saved, bad rows reported.
    #[default]
    BestEffort,
    /// Nothing is saved unless every row is good.
    AllOrNothing,
}

#[derive(Debug, Serialize, ToSchema, PartialEq, Eq)]
pub struct RowError {
    /// Spreadsheet row number: the header is row 1, the first data row is row 2.
    pub row: usize,
    pub column: String,
    pub reason: String,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct ImportReport {
    pub rows: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
    /// Whether anything was saved (false in all_or_nothing mode with errors).
    pub committed: bool,
    /// The index change number of the import's last searchable change (household members'
    /// equity, new graduates): pass it as `after_change` to see them in matching.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<i64>,
    pub errors: Vec<RowError>,
}

impl ImportReport {
    fn fail(&mut self, row: usize, problems: Vec<FieldError>) {
        self.failed += 1;
        for p in problems {
            self.errors.push(RowError {
                row,
                column: p.field,
                reason: p.reason,
            });
        }
    }

    fn changed(&mut self, change: Option<i64>) {
        self.change = self.change.max(change);
    }

    fn count(&mut self, outcome: Upsert) {
        match outcome {
            Upsert::Inserted => self.inserted += 1,
            Upsert::Updated => self.updated += 1,
            Upsert::Unchanged => self.unchanged += 1,
        }
    }
}

fn parse_num<T: std::str::FromStr>(p: &mut Problems, column: &str, raw: Option<&str>) -> Option<T> {
    let raw = raw?;
    match raw.replace(',', "").parse::<T>() {
        Ok(v) => Some(v),
        Err(_) => {
            p.add(column, "not_a_number");
            None
        }
    }
}

fn parse_date(p: &mut Problems, column: &str, raw: Option<&str>) -> Option<NaiveDate> {
    let raw = raw?;
    for format in ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"] {
        if let Ok(d) = NaiveDate::parse_from_str(raw, format) {
            return Some(d);
        }
    }
    p.add(column, "date_must_be_yyyy_mm_dd");
    None
}

fn parse_bool(p: &mut Problems, column: &str, raw: Option<&str>) -> Option<bool> {
    match raw?.to_lowercase().as_str() {
        "1" | "true" | "yes" | "y" | "是" | "合格" | "通过" => Some(true),
        "0" | "false" | "no" | "n" | "否" | "不合格" | "未通过" => Some(false),
        _ => {
            p.add(column, "must_be_yes_or_no");
            None
        }
    }
}

const STATUS_WORDS: [(&str, &str); 4] = [
    ("脱贫户", "exited"),
    ("建档立卡贫困户", "registered_poor"),
    ("贫困户", "registered_poor"),
    ("监测户", "monitored"),
];

pub const HOUSEHOLD_COLUMNS: [&str; 5] = [
    "registry_number",
    "county_code",
    "village",
    "member_count",
    "status",
];

/// Imports households; officers only inside their region.
pub async fn import_households(
    pool: &Pool,
    actor: &Principal,
    mut sheet: Sheet,
    mode: ImportMode,
) -> ApiResult<ImportReport> {
    policy::may_import_households(actor)?;
    let regions = load_regions(&pool.get().await?).await?;
    let mut one = one_transaction(pool, mode).await?;
    let mut rows = Batches::new(pool, one.as_mut()).await?;
    let mut report = ImportReport::default();
    let mut batch = HouseholdBatch::default();
    while let Some(next) = sheet.next().await {
        let sheet::Row {
            number: row,
            record,
        } = next?;
        report.rows += 1;
        let record = &record;
        let refused = sheet.control_characters(record);
        if !refused.is_empty() {
            report.fail(row, refused);
            continue;
        }
        let mut p = Problems::default();
        let status_raw = sheet.get(record, "status").unwrap_or("");
        let status = STATUS_WORDS
            .iter()
            .find(|(word, _)| *word == status_raw)
            .map(|(_, s)| s.to_string())
            .unwrap_or_else(|| status_raw.to_string());
        let input = HouseholdInput {
            registry_number: sheet
                .get(record, "registry_number")
                .unwrap_or("")
                .to_string(),
            county_code: sheet.get(record, "county_code").unwrap_or("").to_string(),
            village: sheet.get(record, "village").unwrap_or("").to_string(),
            member_count: parse_num(&mut p, "member_count", sheet.get(record, "member_count"))
                .unwrap_or(0),
            status,
            income_per_capita: parse_num(
                &mut p,
                "income_per_capita",
                sheet.get(record, "income_per_capita"),
            ),
            income_assessed_on: parse_date(
                &mut p,
                "income_assessed_on",
                sheet.get(record, "income_assessed_on"),
            ),
            other_income_yuan: parse_num(
                &mut p,
                "other_income_yuan",
                sheet.get(record, "other_income_yuan"),
            )
            .unwrap_or(0),
        };
        let mut problems = p.0;
        problems.extend(validate::household_with(&input, &regions).0);
        if problems.is_empty() && policy::may_register_household(actor, &input.county_code).is_err()
        {
            problems.push(FieldError {
                field: "county_code".into(),
                reason: "outside_your_region".into(),
            });
        }
        if !problems.is_empty() {
            report.fail(row, problems);
            continue;
        }
        // A registry number twice in one file: the later row wins, so it waits for the earlier.
        if batch.has(&input.registry_number) {
            rows.save_households(actor, &mut batch, &mut report).await?;
        }
        batch.push(row, input);
        if batch.rows.len() >= BATCH_ROWS {
            rows.save_households(actor, &mut batch, &mut report).await?;
        }
    }
    rows.save_households(actor, &mut batch, &mut report).await?;
    rows.finish(report).await
}

/// Where an import's rows go. Best effort: each batch in a transaction of its own, committed
/// before the next is read, so a crash mid-import leaves whole batches (a resend upserts the
/// rest and converges) and no transaction outlives a batch. All or nothing: one transaction
/// over the (spooled, so quickly read) file.
/// Runs `$body` on a transaction `$tx`: its own, committed after (best effort), or a
/// savepoint of the import's one transaction (all or nothing).
macro_rules! within {
    ($batches:expr, |$tx:ident| $body:expr) => {
        match &mut $batches.one {
            None => {
                let mut client = $batches.pool.get().await?;
                #[allow(unused_mut)]
                let mut $tx = client.transaction().await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
            Some(one) => {
                #[allow(unused_mut)]
                let mut $tx = one.savepoint("import_batch").await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
        }
    };
}

/// The connection of an all-or-nothing import's one transaction.
async fn one_transaction(
    pool: &Pool,
    mode: ImportMode,
) -> ApiResult<Option<deadpool_postgres::Object>> {
    Ok(match mode {
        ImportMode::AllOrNothing => Some(pool.get().await?),
        ImportMode::BestEffort => None,
    })
}

struct Batches<'p, 'c> {
    pool: &'p Pool,
    /// All or nothing: the import's one transaction (batches are savepoints in it).
    one: Option<deadpool_postgres::Transaction<'c>>,
}

impl<'p, 'c> Batches<'p, 'c> {
    /// `client` is the connection of the one transaction, for all or nothing.
    async fn new(
        pool: &'p Pool,
        client: Option<&'c mut deadpool_postgres::Object>,
    ) -> ApiResult<Batches<'p, 'c>> {
        let one = match client {
            Some(c) => Some(c.transaction().await?),
            None => None,
        };
        Ok(Batches { pool, one })
    }

    async fn save_households(
        &mut self,
        actor: &Principal,
        batch: &mut HouseholdBatch,
        report: &mut ImportReport,
    ) -> ApiResult<()> {
        if batch.rows.is_empty() {
            return Ok(());
        }
        within!(self, |tx| save_households(&mut tx, actor, batch, report)
            .await)
    }

    async fn finish(self, mut report: ImportReport) -> ApiResult<ImportReport> {
        // Rows saved in batches report database refusals after later rows' validation errors.
        report.errors.sort_by_key(|e| e.row);
        match self.one {
            None => report.committed = true,
            Some(tx) if report.failed > 0 => {
                tx.rollback().await?;
                report.inserted = 0;
                report.updated = 0;
                report.unchanged = 0;
                report.committed = false;
            }
            Some(tx) => {
                tx.commit().await?;
                report.committed = true;
            }
        }
        Ok(report)
    }
}

/// Valid household rows saved together (see `save_households`).
const BATCH_ROWS: usize = 500;

/// Valid rows waiting to be saved, and their registry numbers.
#[derive(Default)]
struct HouseholdBatch {
    rows: Vec<(usize, HouseholdInput)>,
    keys: std::collections::HashSet<String>,
}

impl HouseholdBatch {
    fn has(&self, registry_number: &str) -> bool {
        self.keys.contains(registry_number)
    }

    fn push(&mut self, row: usize, input: HouseholdInput) {
        self.keys.insert(input.registry_number.clone());
        self.rows.push((row, input));
    }

    fn clear(&mut self) {
        self.rows.clear();
        self.keys.clear();
    }
}

/// Saves a batch of valid rows and empties it. Almost every valid row is accepted, so a batch's statements are
/// sent pipelined (one round trip's wait for the lot, not several per row) inside one
/// savepoint; only when the database refuses one of them is the batch redone row by row, each
/// in its own savepoint, to report which row it was and keep the others.
async fn save_households(
    tx: &mut deadpool_postgres::Transaction<'_>,
    actor: &Principal,
    batch: &mut HouseholdBatch,
    report: &mut ImportReport,
) -> ApiResult<()> {
    if batch.rows.is_empty() {
        return Ok(());
    }
    let sp = tx.savepoint("batch").await?;
    let saved = futures_util::future::join_all(
        batch
            .rows
            .iter()
            .map(|(row, input)| save_household(&sp, actor, *row, input)),
    )
    .await;
    if saved.iter().all(Result::is_ok) {
        sp.commit().await?;
        for (outcome, change) in saved.into_iter().flatten() {
            report.count(outcome);
            report.changed(change);
        }
    } else {
        sp.rollback().await?;
        for (row, input) in &batch.rows {
            let sp = tx.savepoint(format!("row{row}")).await?;
            match save_household(&sp, actor, *row, input).await {
                Ok((outcome, change)) => {
                    sp.commit().await?;
                    report.count(outcome);
                    report.changed(change);
                }
                Err(e) => {
                    sp.rollback().await?;
                    report.fail(*row, vec![db_problem("registry_number", e)?]);
                }
            }
        }
    }
    batch.clear();
    Ok(())
}

async fn save_household(
    client: &deadpool_postgres::Transaction<'_>,
    actor: &Principal,
    row: usize,
    input: &HouseholdInput,
) -> ApiResult<(Upsert, Option<i64>)> {
    crate::services::households::import_row(client, actor, row, input).await
}

/// A database refusal of one row becomes a row error; anything else stops the import.
fn db_problem(column: &str, e: ApiError) -> ApiResult<FieldError> {
    match e.code {
        crate::error::ErrorCode::AlreadyExists | crate::error::ErrorCode::Conflict => {
            Ok(FieldError {
                field: column.into(),
                reason: "conflicts_with_existing_record".into(),
            })
        }
        _ => Err(e),
    }
}

async fn load_regions(client: &impl GenericClient) -> ApiResult<HashMap<String, i16>> {
    let rows = client.query("SELECT code, level FROM regions", &[]).await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

pub const GRADUATE_COLUMNS: [&str; 6] = [
    "course_id",
    "name",
    "id_number",
    "home_region",
    "passed",
    "certificate_number",
];

/// Imports course results: finds or creates the worker by ID number, enrolls them in the course
/// if needed, and records the result (a pass certifies the course's occupations).
pub async fn import_graduates(
    pool: &Pool,
    actor: &Principal,
    mut sheet: Sheet,
    mode: ImportMode,
) -> ApiResult<ImportReport> {
    policy::may_import_graduates(actor)?;
    let mut one = one_transaction(pool, mode).await?;
    let mut batches = Batches::new(pool, one.as_mut()).await?;
    let mut report = ImportReport::default();
    let mut batch = Vec::with_capacity(GRADUATE_BATCH_ROWS);
    loop {
        let next = sheet.next().await.transpose()?;
        let end = next.is_none();
        if let Some(row) = next {
            report.rows += 1;
            batch.push(row);
        }
        if batch.len() >= GRADUATE_BATCH_ROWS || (end && !batch.is_empty()) {
            let rows = std::mem::take(&mut batch);
            within!(batches, |tx| save_graduates(
                &mut tx,
                actor,
                &sheet,
                rows,
                &mut report
            )
            .await)?;
        }
        if end {
            break;
        }
    }
    batches.finish(report).await
}

/// Graduate rows saved in one transaction: each row writes a worker, an enrollment, a result
/// and its index change, so batches are small and the change numbers they take are committed
/// soon after (a read-your-writes wait never waits on a long import).
const GRADUATE_BATCH_ROWS: usize = 50;

async fn save_graduates(
    tx: &mut deadpool_postgres::Transaction<'_>,
    actor: &Principal,
    sheet: &Sheet,
    rows: Vec<sheet::Row>,
    report: &mut ImportReport,
) -> ApiResult<()> {
    for sheet::Row {
        number: row,
        record,
    } in rows
    {
        let sp = tx.savepoint(format!("row{row}")).await?;
        match graduate_row(&sp, actor, sheet, &record, row).await? {
            Ok((outcome, change)) => {
                sp.commit().await?;
                report.count(outcome);
                report.changed(change);
            }
            Err(problems) => {
                sp.rollback().await?;
                report.fail(row, problems);
            }
        }
    }
    Ok(())
}

/// One graduate row: `Ok(Err(problems))` is a bad row, `Err` stops the import.
async fn graduate_row(
    tx: &deadpool_postgres::Transaction<'_>,
    actor: &Principal,
    sheet: &Sheet,
    record: &csv::StringRecord,
    row: usize,
) -> ApiResult<Result<(Upsert, Option<i64>), Vec<FieldError>>> {
    let refused = sheet.control_characters(record);
    if !refused.is_empty() {
        return Ok(Err(refused));
    }
    let mut p = Problems::default();
    let course_id: Option<i64> = parse_num(&mut p, "course_id", sheet.get(record, "course_id"));
    let passed = parse_bool(&mut p, "passed", sheet.get(record, "passed"));
    if passed.is_none() && sheet.get(record, "passed").is_none() {
        p.add("passed", "must_not_be_empty");
    }
    let result = ResultInput {
        passed: passed.unwrap_or(false),
        score: parse_num(&mut p, "score", sheet.get(record, "score")),
        certificate_number: sheet.get(record, "certificate_number").map(str::to_string),
        level: parse_num(&mut p, "level", sheet.get(record, "level")),
        result_on: parse_date(&mut p, "result_on", sheet.get(record, "result_on")),
    };
    let id_number = validate::national_id(&mut p, "id_number", sheet.get(record, "id_number"));
    if sheet.get(record, "id_number").is_none() {
        p.add("id_number", "must_not_be_empty");
    }
    let course = match course_id {
        Some(id) => courses::find(tx, id).await?,
        None => None,
    };
    let course = match course {
        Some(c) if policy::may_import_graduates_for(actor, &c) => Some(c),
        Some(_) | None if course_id.is_some() => {
            p.add("course_id", "unknown_course_or_not_yours");
            None
        }
        _ => None,
    };
    let (Some(course), Some(id_number)) = (course, id_number) else {
        return Ok(Err(p.0));
    };
    if !p.is_empty() {
        return Ok(Err(p.0));
    }

    let mut outcome = Upsert::Unchanged;
    let worker_id = match workers::id_by_national_id(tx, id_number.as_str()).await? {
        Some(id) => id,
        None => {
            let destinations: Vec<String> = sheet
                .get(record, "destinations")
                .map(|d| {
                    d.split([';', '；', '|', ' '])
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            let input = WorkerInput {
                household_id: None,
                name: sheet.get(record, "name").unwrap_or("").to_string(),
                gender: match sheet.get(record, "gender") {
                    Some("男") | Some("male") => "male".into(),
                    Some("女") | Some("female") => "female".into(),
                    Some(other) => other.to_string(),
                    // GB 11643: the 17th digit is odd for men.
                    None => {
                        let digit = id_number.as_str().as_bytes()[16];
                        if (digit - b'0') % 2 == 1 {
                            "male"
                        } else {
                            "female"
                        }
                        .into()
                    }
                },
                birth_year: id_number.birth_year(),
                ethnicity: sheet.get(record, "ethnicity").unwrap_or("").to_string(),
                languages: vec!["zh".into()],
                education: "unknown".into(),
                phone: sheet.get(record, "phone").map(str::to_string),
                id_number: Some(id_number.as_str().to_string()),
                home_region: sheet.get(record, "home_region").unwrap_or("").to_string(),
                accept_anywhere: destinations.is_empty(),
                destinations,
                min_wage: 0,
                available_from: None,
                skills: Vec::new(),
                brand_tags: Vec::new(),
                status: None,
            };
            let (problems, clean) = validate::worker(tx, &input).await?;
            if !problems.is_empty() {
                return Ok(Err(problems.0));
            }
            let rec = WorkerRecord {
                input: &input,
                phone: clean.phone,
                id_number: clean.id_number,
                account_id: None,
                household_id: None,
                status: crate::domain::worker_status::WorkerStatus::Available.as_str(),
            };
            let id = match workers::insert(tx, &rec).await {
                Ok(id) => id,
                Err(e) => return Ok(Err(vec![db_problem("phone", e.into())?])),
            };
            outcome = Upsert::Inserted;
            id
        }
    };
    let enrollment = match courses::find_enrollment_of(tx, course.id, worker_id).await? {
        Some(e) => e,
        None => {
            if course.enrolled >= i64::from(course.capacity) {
                return Ok(Err(vec![FieldError {
                    field: "course_id".into(),
                    reason: "capacity_reached".into(),
                }]));
            }
            let id = courses::enroll(tx, course.id, worker_id)
                .await?
                .ok_or_else(|| ApiError::internal("enrollment raced"))?;
            courses::find_enrollment(tx, id)
                .await?
                .ok_or_else(|| ApiError::internal("enrollment vanished"))?
        }
    };
    let wanted_status = if result.passed { "passed" } else { "failed" };
    let wanted_level = result
        .level
        .or(Some(course.certificate_level))
        .filter(|_| result.passed);
    let same = enrollment.status == wanted_status
        && enrollment.score == result.score
        && enrollment.certificate_number.as_deref() == result.certificate_number.as_deref()
        && enrollment.level == wanted_level
        && (result.result_on.is_none() || enrollment.result_on == result.result_on);
    if same {
        return Ok(Ok((outcome, None)));
    }
    let change =
        match crate::services::courses::record_result_in(tx, &course, &enrollment, &result).await {
            Ok(change) => change,
            Err(e) if e.code == crate::error::ErrorCode::ValidationFailed => {
                return Ok(Err(e.details));
            }
            Err(e) => return Ok(Err(vec![db_problem("certificate_number", e)?])),
        };
    audit::record(
        tx,
        actor,
        AuditEntry {
            action: "import",
            entity: "enrollment",
            entity_id: enrollment.id.to_string(),
            region_code: Some(&course.location_region),
            details: serde_json::json!({ "row": row, "passed": result.passed }),
        },
    )
    .await?;
    let outcome = if outcome == Upsert::Inserted {
        Upsert::Inserted
    } else {
        Upsert::Updated
    };
    Ok(Ok((outcome, Some(change))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_booleans() {
        let mut p = Problems::default();
        assert_eq!(
            parse_date(&mut p, "d", Some("2026/1/5")),
            NaiveDate::from_ymd_opt(2026, 1, 5)
        );
        assert_eq!(parse_bool(&mut p, "b", Some("合格")), Some(true));
        assert!(p.is_empty());
        assert_eq!(parse_bool(&mut p, "b", Some("maybe")), None);
        assert_eq!(p.0[0].reason, "must_be_yes_or_no");
    }
}
