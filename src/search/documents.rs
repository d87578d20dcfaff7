//! What the index holds about a worker or an opening, loaded from PostgreSQL (the source of
//! truth) and turned into tantivy documents. No phone or ID number ever enters the index.

use chrono::NaiveDate;
use futures_util::{Stream, TryStreamExt};
use serde::{Deserialize, Serialize};
use tantivy::schema::Facet;
use tantivy::TantivyDocument;
use tokio_postgres::GenericClient;

use super::profile::{OpeningProfile, TitleWord};
use super::schema::{day_number, Fields};
use super::title_trade::TitleTrade;
use crate::domain::requirements::{requirements, CertificateRule, Requirements};
use crate::domain::{OccupationCode, RegionCode};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SkillDoc {
    pub code: String,
    pub certified: bool,
    pub level: Option<i16>,
    pub years: f32,
    pub certified_on: Option<NaiveDate>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WorkerDoc {
    pub id: i64,
    /// Surname and a mask (马**): enough to tell candidates apart, not to identify them.
    pub display_name: String,
    pub gender: String,
    pub birth_year: i32,
    pub home_region: String,
    pub household_status: Option<String>,
    pub min_wage: i32,
    pub available_from: Option<NaiveDate>,
    pub destinations: Vec<String>,
    pub accept_anywhere: bool,
    pub skills: Vec<SkillDoc>,
    pub brand_tags: Vec<String>,
    pub languages: Vec<String>,
    /// The worker's own words about their skills, and their labor brands.
    #[serde(skip)]
    pub notes: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OpeningDoc {
    pub id: i64,
    pub employer_id: i64,
    pub employer_name: String,
    pub title: String,
    pub work_region: String,
    pub wage_min: i32,
    pub wage_max: i32,
    pub required: Vec<String>,
    pub nice: Vec<String>,
    pub start_date: NaiveDate,
    pub deadline: NaiveDate,
    pub headcount: i32,
    pub housing: bool,
    pub meals: bool,
    /// Certificate and years asked for, stated or read from the title and description.
    #[serde(default)]
    pub requirements: Requirements,
    #[serde(default)]
    pub pin_occupations: bool,
    /// The trade the title names (see `profile::prepare`; absent when pinned).
    #[serde(default)]
    pub title_trade: Option<TitleTrade>,
    #[serde(default)]
    pub title_words: Vec<TitleWord>,
    #[serde(skip)]
    pub text: String,
}

pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => format!("{first}{}", "*".repeat(chars.count().clamp(1, 3))),
        None => String::new(),
    }
}

/// What a worker document is made of; callers add the WHERE clause. One lateral subquery per
/// worker gathers the skills, as parallel arrays (decoded in binary, not built as JSON by the
/// database and parsed again here: perf of an index build showed both), and the notes, in the
/// order the skills were registered. That order comes from a sorted subquery read off the
/// (worker_id, id) index: aggregates each with their own ORDER BY sort a worker's rows once
/// per aggregate (PostgreSQL 15 does not share the sort); without them, and with the merges
/// side by side, a 1M-worker build took 13.7 s instead of 15.6 (BENCHMARKS.md). PostgreSQL
/// keeps a subquery's sort for the aggregate above it while nothing joins in between (its
/// documentation's "usually works"); and all the aggregates read the one subquery's rows in
/// one pass, so the arrays stay parallel whatever the order.
const WORKER_SELECT: &str = "SELECT w.id, w.status, w.name, w.gender, w.birth_year, w.home_region,
        h.status AS household_status, w.min_wage, w.available_from, w.destinations,
        w.accept_anywhere, w.brand_tags, w.languages,
        s.codes, s.certified, s.levels, s.years, s.certified_on,
        coalesce(s.notes, '') AS notes
 FROM workers w
 LEFT JOIN households h ON h.id = w.household_id
 LEFT JOIN LATERAL (
     SELECT array_agg(ws.occupation_code) AS codes,
            array_agg(ws.source = 'certified') AS certified,
            array_agg(ws.level) AS levels,
            array_agg(ws.years_experience) AS years,
            array_agg(ws.certified_on) AS certified_on,
            string_agg(ws.note, ' ') AS notes
     FROM (SELECT * FROM worker_skills ws WHERE ws.worker_id = w.id ORDER BY ws.id) ws
 ) s ON true";

/// A worker's skills from the lateral subquery's parallel arrays (all absent: no skills).
fn skills_from_row(r: &tokio_postgres::Row) -> Vec<SkillDoc> {
    let codes: Option<Vec<String>> = r.get("codes");
    let certified: Option<Vec<bool>> = r.get("certified");
    let levels: Option<Vec<Option<i16>>> = r.get("levels");
    let years: Option<Vec<f32>> = r.get("years");
    let certified_on: Option<Vec<Option<NaiveDate>>> = r.get("certified_on");
    let (certified, levels) = (certified.unwrap_or_default(), levels.unwrap_or_default());
    let (years, certified_on) = (years.unwrap_or_default(), certified_on.unwrap_or_default());
    codes
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, code)| SkillDoc {
            code,
            certified: certified.get(i).copied().unwrap_or(false),
            level: levels.get(i).copied().flatten(),
            years: years.get(i).copied().unwrap_or(0.0),
            certified_on: certified_on.get(i).copied().flatten(),
        })
        .collect()
}

fn worker_from_row(r: &tokio_postgres::Row) -> WorkerDoc {
    let skills = skills_from_row(r);
    let brand_tags: Vec<String> = r.get("brand_tags");
    let notes: String = r.get("notes");
    let name: String = r.get("name");
    WorkerDoc {
        id: r.get("id"),
        display_name: mask_name(&name),
        gender: r.get("gender"),
        birth_year: r.get("birth_year"),
        home_region: r.get("home_region"),
        household_status: r.get("household_status"),
        min_wage: r.get("min_wage"),
        available_from: r.get("available_from"),
        destinations: r.get("destinations"),
        accept_anywhere: r.get("accept_anywhere"),
        notes: format!("{notes} {}", brand_tags.join(" ")),
        skills,
        brand_tags,
        languages: r.get("languages"),
    }
}

/// Available workers among `ids` (others are absent: the caller deletes them from the index).
pub async fn load_workers(
    client: &impl GenericClient,
    ids: &[i64],
) -> Result<Vec<WorkerDoc>, tokio_postgres::Error> {
    let sql = format!("{WORKER_SELECT} WHERE w.id = ANY($1) AND w.status = 'available'");
    let rows = client.query(&sql, &[&ids]).await?;
    Ok(rows.iter().map(worker_from_row).collect())
}

/// The worker of an account, in one read: its status, and its searchable form when it is
/// available. `None`: the account has no worker profile.
pub async fn load_worker_of_account(
    client: &impl GenericClient,
    account_id: i64,
) -> Result<Option<(String, Option<WorkerDoc>)>, tokio_postgres::Error> {
    let sql = format!("{WORKER_SELECT} WHERE w.account_id = $1");
    let row = client.query_opt(&sql, &[&account_id]).await?;
    Ok(row.map(|r| {
        let status: String = r.get("status");
        let doc = (status == "available").then(|| worker_from_row(&r));
        (status, doc)
    }))
}

/// Every available worker, as the rows arrive (a full rebuild never holds them all), by the
/// occupation of their first skill: the index's segments then keep each trade's workers
/// together (every indexing thread takes its documents from this one ordered stream), so a
/// candidate search's passing workers lie in runs of neighbouring documents and their columns
/// are read from the same cache lines and pages. PostgreSQL's sort costs nothing measurable
/// here (a 1M-worker build in 19.9 s against 20.8 s unsorted).
pub async fn stream_workers(
    client: &impl GenericClient,
) -> Result<impl Stream<Item = Result<WorkerDoc, tokio_postgres::Error>>, tokio_postgres::Error> {
    let sql = format!(
        "{WORKER_SELECT} WHERE w.status = 'available' ORDER BY s.codes[1] NULLS LAST, w.id"
    );
    Ok(stream_rows(client, &sql)
        .await?
        .map_ok(|r| worker_from_row(&r)))
}

const OPENING_SELECT: &str = "SELECT o.id, o.employer_id, g.name AS employer_name, o.title,
        o.description, o.work_region, o.wage_min, o.wage_max, o.required_occupations,
        o.nice_occupations, o.start_date, o.deadline, o.headcount, o.housing, o.meals,
        o.min_years_experience, o.certificate, o.pin_occupations,
        coalesce((SELECT string_agg(oc.name || ' ' || array_to_string(oc.aliases, ' '), ' ')
                  FROM occupations oc
                  WHERE oc.code = ANY(o.required_occupations || o.nice_occupations)), '')
            AS occupation_text
 FROM openings o JOIN organizations g ON g.id = o.employer_id";

fn opening_from_row(r: &tokio_postgres::Row) -> OpeningDoc {
    let title: String = r.get("title");
    let description: String = r.get("description");
    let occupation_text: String = r.get("occupation_text");
    let certificate: Option<String> = r.get("certificate");
    let requirements = requirements(
        certificate.as_deref().and_then(CertificateRule::parse),
        r.get("min_years_experience"),
        &title,
        &description,
    );
    OpeningDoc {
        id: r.get("id"),
        employer_id: r.get("employer_id"),
        employer_name: r.get("employer_name"),
        text: format!("{title} {description} {occupation_text}"),
        title,
        work_region: r.get("work_region"),
        wage_min: r.get("wage_min"),
        wage_max: r.get("wage_max"),
        required: r.get("required_occupations"),
        nice: r.get("nice_occupations"),
        start_date: r.get("start_date"),
        deadline: r.get("deadline"),
        headcount: r.get("headcount"),
        housing: r.get("housing"),
        meals: r.get("meals"),
        requirements,
        pin_occupations: r.get("pin_occupations"),
        // Filled by `profile::prepare` where blocking work is allowed.
        title_trade: None,
        title_words: Vec::new(),
    }
}

/// Open openings among `ids`.
pub async fn load_openings(
    client: &impl GenericClient,
    ids: &[i64],
) -> Result<Vec<OpeningDoc>, tokio_postgres::Error> {
    let sql = format!("{OPENING_SELECT} WHERE o.id = ANY($1) AND o.status = 'open'");
    let rows = client.query(&sql, &[&ids]).await?;
    Ok(rows.iter().map(opening_from_row).collect())
}

/// One open opening, by a statement prepared once per connection: the candidates route reads
/// one per request, and parsing and planning the statement each time was half of what
/// PostgreSQL spent on the request (perf under candidate load at 1M workers). After a few
/// runs PostgreSQL keeps a generic plan for it.
pub async fn load_open_opening(
    client: &impl deadpool_postgres::GenericClient,
    id: i64,
) -> Result<Option<OpeningDoc>, tokio_postgres::Error> {
    let sql = format!("{OPENING_SELECT} WHERE o.id = $1 AND o.status = 'open'");
    let statement = client.prepare_cached(&sql).await?;
    let row = client.query_opt(&statement, &[&id]).await?;
    Ok(row.as_ref().map(opening_from_row))
}

/// Every open opening, as the rows arrive.
pub async fn stream_openings(
    client: &impl GenericClient,
) -> Result<impl Stream<Item = Result<OpeningDoc, tokio_postgres::Error>>, tokio_postgres::Error> {
    let sql = format!("{OPENING_SELECT} WHERE o.status = 'open'");
    Ok(stream_rows(client, &sql)
        .await?
        .map_ok(|r| opening_from_row(&r)))
}

async fn stream_rows(
    client: &impl GenericClient,
    sql: &str,
) -> Result<tokio_postgres::RowStream, tokio_postgres::Error> {
    client
        .query_raw(
            sql,
            std::iter::empty::<&(dyn tokio_postgres::types::ToSql + Sync)>(),
        )
        .await
}

fn add_occupations(doc: &mut TantivyDocument, field: tantivy::schema::Field, codes: &[String]) {
    let mut terms: Vec<String> = codes
        .iter()
        .filter_map(|c| OccupationCode::parse(c).ok())
        .flat_map(|c| c.ancestors())
        .collect();
    terms.sort();
    terms.dedup();
    for t in terms {
        doc.add_text(field, t);
    }
}

fn lineage(code: &str) -> Vec<String> {
    RegionCode::parse(code)
        .map(|r| r.lineage())
        .unwrap_or_default()
}

pub fn worker_document(f: &Fields, w: &WorkerDoc) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_text(f.kind, "worker");
    doc.add_text(f.key, format!("w:{}", w.id));
    doc.add_i64(f.id, w.id);
    let codes: Vec<String> = w.skills.iter().map(|s| s.code.clone()).collect();
    add_occupations(&mut doc, f.occupation, &codes);
    let certified: Vec<String> = w
        .skills
        .iter()
        .filter(|s| s.certified)
        .map(|s| s.code.clone())
        .collect();
    add_occupations(&mut doc, f.certified, &certified);
    if w.accept_anywhere {
        doc.add_text(f.region, "*");
    }
    for d in &w.destinations {
        doc.add_text(f.region, d);
    }
    for r in lineage(&w.home_region) {
        doc.add_text(f.home, r);
    }
    doc.add_i64(f.wage, i64::from(w.min_wage));
    doc.add_i64(f.day, w.available_from.map(day_number).unwrap_or(0));
    // No deadline: with one (day 0) for every worker the column was dense, cheaper to look up
    // at 100k workers but 1.6× slower for matches and opening searches at 1M, whose range
    // filter then scans a million values instead of the openings' (BENCHMARKS.md).
    // No occupation names or aliases: the ranking reads the codes, free-text search reads
    // openings only, and tokenising each worker's trades' names was a large part of an index
    // build (with the skills as arrays, 3.0-3.2 s became 2.3-2.6 s at 100,000 workers).
    doc.add_text(f.notes_zh, &w.notes);
    for v in super::columns::worker_values(w) {
        doc.add_u64(f.rank, v);
    }
    doc.add_u64(f.rank_bound, super::columns::worker_bound(w));
    doc.add_text(f.data, serde_json::to_string(w).unwrap_or_default());
    doc
}

pub fn opening_document(f: &Fields, o: &OpeningDoc) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_text(f.kind, "opening");
    doc.add_text(f.key, format!("o:{}", o.id));
    doc.add_i64(f.id, o.id);
    // Every trade the opening is matched on, the one its title names included.
    let codes: Vec<String> = OpeningProfile::of(o)
        .targets
        .into_iter()
        .map(|t| t.code)
        .collect();
    add_occupations(&mut doc, f.opening_occupation, &codes);
    let regions = lineage(&o.work_region);
    for r in &regions {
        doc.add_text(f.opening_region, r);
    }
    if let Some(province) = regions.first() {
        doc.add_facet(f.province, Facet::from(&format!("/{province}")));
    }
    let mut majors: Vec<&str> = o.required.iter().filter_map(|c| c.get(..1)).collect();
    majors.sort();
    majors.dedup();
    for m in majors {
        doc.add_facet(f.major, Facet::from(&format!("/{m}")));
    }
    doc.add_i64(f.wage, i64::from(o.wage_max));
    doc.add_i64(f.wage_min, i64::from(o.wage_min));
    doc.add_i64(f.day, day_number(o.start_date));
    doc.add_i64(f.deadline, day_number(o.deadline));
    doc.add_text(f.title_zh, &o.title);
    doc.add_text(f.text_zh, &o.text);
    doc.add_text(f.text_en, &o.text);
    for v in super::columns::opening_values(o) {
        doc.add_u64(f.rank, v);
    }
    doc.add_text(f.data, serde_json::to_string(o).unwrap_or_default());
    doc
}

#[cfg(test)]
impl WorkerDoc {
    /// A worker of 化隆 going to Guangdong, without skills or notes, for tests to adjust.
    pub fn example() -> WorkerDoc {
        WorkerDoc {
            id: 1,
            display_name: "马**".into(),
            gender: "male".into(),
            birth_year: 1990,
            home_region: "630224".into(),
            household_status: None,
            min_wage: 5000,
            available_from: None,
            destinations: vec!["440000".into()],
            accept_anywhere: false,
            skills: vec![],
            brand_tags: vec![],
            languages: vec!["zh".into()],
            notes: String::new(),
        }
    }
}

#[cfg(test)]
impl OpeningDoc {
    /// An open welding opening in Guangzhou, for tests to adjust.
    pub fn example() -> OpeningDoc {
        OpeningDoc {
            id: 9,
            employer_id: 1,
            employer_name: "厂".into(),
            title: "电焊工".into(),
            work_region: "440113".into(),
            wage_min: 6000,
            wage_max: 9000,
            required: vec!["6-18-02-04".into()],
            nice: vec![],
            start_date: NaiveDate::from_ymd_opt(2026, 12, 15).unwrap_or_default(),
            deadline: NaiveDate::from_ymd_opt(2026, 12, 10).unwrap_or_default(),
            headcount: 1,
            housing: true,
            meals: true,
            requirements: Requirements::default(),
            pin_occupations: false,
            title_trade: None,
            title_words: Vec::new(),
            text: String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_masked() {
        assert_eq!(super::mask_name("马阿里"), "马**");
        assert_eq!(super::mask_name("韩"), "韩*");
        assert_eq!(super::mask_name(""), "");
    }
}
