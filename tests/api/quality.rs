//! Ranking quality of `GET /openings/{id}/candidates` on judged sets: one world of workers,
//! certifications and openings built over HTTP, then nDCG@10, precision@10 and must-not workers
//! in the top 10s, per opening, against a recruiter's graded judgments. Two parts, same format:
//!
//! - `tests/data/judged_matching.json`, the development part: the ranking was tuned on it.
//! - `tests/data/judged_matching_fresh.json`, held out: written by an independent judge who never
//!   saw the code or the development part (`judged_matching_fresh/PROVENANCE.md`), and first run
//!   after the ranking was done. It is never tuned on.
//!
//! Run with `cargo test --test api quality -- --nocapture` to see the per-opening tables.

use std::collections::HashMap;

use chrono::{Datelike, Months, NaiveDate};
use futures_util::stream::{self, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

const DEVELOPMENT: &str = include_str!("../data/judged_matching.json");
const FRESH: &str = include_str!("../data/judged_matching_fresh.json");

/// Requests in flight at once while building the world.
const IN_FLIGHT: usize = 8;
const K: usize = 10;

/// Floors a little below what the ranking measured (see BENCHMARKS.md, "Matching quality"); a
/// change that goes below them is a ranking regression.
struct Floors {
    mean_ndcg: f64,
    mean_precision: f64,
    /// Workers judged must-not (another trade) inside some top 10, over all openings.
    max_must_not: usize,
}

#[derive(Deserialize)]
struct JudgedSet {
    reference_date: NaiveDate,
    training_center: Place,
    officer_region: String,
    employers: Vec<Employer>,
    households: Vec<Household>,
    workers: Vec<Worker>,
    openings: Vec<Opening>,
}

#[derive(Deserialize)]
struct Place {
    region: String,
}

#[derive(Deserialize)]
struct Employer {
    key: String,
    region: String,
}

#[derive(Deserialize)]
struct Household {
    key: String,
    registry_number: String,
    county_code: String,
    village: String,
    member_count: i32,
    status: String,
}

#[derive(Deserialize)]
struct Worker {
    key: String,
    name: String,
    gender: String,
    birth_year: i32,
    home_region: String,
    household: Option<String>,
    destinations: Vec<String>,
    accept_anywhere: bool,
    min_wage: i32,
    available_from: Option<NaiveDate>,
    status: String,
    brand_tags: Vec<String>,
    skills: Vec<Skill>,
}

#[derive(Deserialize)]
struct Skill {
    occupation_code: String,
    years_experience: f32,
    note: String,
    certified: Option<Certificate>,
}

#[derive(Deserialize)]
struct Certificate {
    /// None: certified on the day the test runs.
    result_on: Option<NaiveDate>,
    level: i16,
}

#[derive(Deserialize)]
struct Opening {
    key: String,
    employer: String,
    title: String,
    description: String,
    required_occupations: Vec<String>,
    nice_occupations: Vec<String>,
    work_region: String,
    wage_min: i32,
    wage_max: i32,
    headcount: i32,
    housing: bool,
    meals: bool,
    contract_months: i32,
    start_date: NaiveDate,
    deadline: NaiveDate,
    judgments: Judgments,
}

#[derive(Deserialize)]
struct Judgments {
    relevant: Vec<Relevant>,
    irrelevant: Vec<Irrelevant>,
}

#[derive(Deserialize)]
struct Relevant {
    worker: String,
    grade: u8,
}

#[derive(Deserialize)]
struct Irrelevant {
    worker: String,
    /// destination | wage | availability | not_available (hard filters) | wrong_trade
    reason: String,
}

fn years_later(d: NaiveDate, years: u32) -> NaiveDate {
    d.checked_add_months(Months::new(12 * years))
        .expect("date in range")
}

/// The set is written for its reference date; run later, every date moves forward by whole
/// years so that the openings are still open and the workers keep their ages.
fn shift_dates(set: &mut JudgedSet, today: NaiveDate) -> u32 {
    let earliest = set
        .openings
        .iter()
        .map(|o| o.deadline)
        .min()
        .expect("openings");
    let mut years = 0;
    while years_later(earliest, years) <= today {
        years += 1;
    }
    if years == 0 {
        return 0;
    }
    set.reference_date = years_later(set.reference_date, years);
    for o in &mut set.openings {
        o.start_date = years_later(o.start_date, years);
        o.deadline = years_later(o.deadline, years);
    }
    for w in &mut set.workers {
        w.birth_year += years as i32;
        w.available_from = w.available_from.map(|d| years_later(d, years));
        for s in &mut w.skills {
            if let Some(c) = &mut s.certified {
                c.result_on = c.result_on.map(|d| years_later(d, years));
            }
        }
    }
    years
}

/// A destination covers a place when it is the place or a province/prefecture holding it.
fn covers(destination: &str, place: &str) -> bool {
    if let Some(province) = destination.strip_suffix("0000") {
        place.starts_with(province)
    } else if let Some(prefecture) = destination.strip_suffix("00") {
        place.starts_with(prefecture)
    } else {
        destination == place
    }
}

/// Which hard filter excludes the worker from the opening, if any (computed from the data, not
/// from the judgments).
fn hard_filter(w: &Worker, o: &Opening) -> Option<&'static str> {
    if w.status != "available" {
        Some("not_available")
    } else if !w.accept_anywhere && !w.destinations.iter().any(|d| covers(d, &o.work_region)) {
        Some("destination")
    } else if w.min_wage > o.wage_max {
        Some("wage")
    } else if w.available_from.is_some_and(|d| d > o.start_date) {
        Some("availability")
    } else {
        None
    }
}

async fn post(app: &TestApp, token: &str, path: &str, body: &Value) -> (Value, Option<i64>) {
    let resp = app.post_json(path, Some(token), body).await;
    let status = resp.status().as_u16();
    let change = resp
        .headers()
        .get("x-change")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let answer: Value = resp.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 201, "POST {path} {body}: {answer}");
    (answer, change)
}

/// The fresh part says "inactive" for what the API calls "unavailable" (either way the worker is
/// not available and must not be ranked).
fn api_status(status: &str) -> &str {
    match status {
        "inactive" => "unavailable",
        other => other,
    }
}

fn worker_body(i: usize, w: &Worker, household_id: Option<i64>) -> Value {
    // A valid ID number from the home county and birth year; the order digit follows the gender.
    let seq = 2 * i + usize::from(w.gender == "male");
    let id17 = format!(
        "{}{}{:02}{:02}{:03}",
        w.home_region,
        w.birth_year,
        1 + i % 12,
        1 + (i * 7) % 28,
        seq % 1000
    );
    let skills: Vec<Value> = w
        .skills
        .iter()
        .map(|s| {
            json!({
                "occupation_code": s.occupation_code,
                "years_experience": s.years_experience,
                "note": s.note,
            })
        })
        .collect();
    json!({
        "household_id": household_id,
        "name": w.name, "gender": w.gender, "birth_year": w.birth_year,
        "ethnicity": "", "languages": ["zh"], "education": "junior_high",
        "id_number": labormatch::domain::complete_id_number(&id17).expect("17 digits"),
        "phone": crate::helpers::unique_phone(),
        "home_region": w.home_region,
        "destinations": w.destinations, "accept_anywhere": w.accept_anywhere,
        "min_wage": w.min_wage, "available_from": w.available_from,
        "skills": skills, "brand_tags": w.brand_tags, "status": api_status(&w.status),
    })
}

fn dcg(gains: impl Iterator<Item = u8>) -> f64 {
    gains
        .enumerate()
        .map(|(i, g)| (2f64.powi(i32::from(g)) - 1.0) / ((i + 2) as f64).log2())
        .sum()
}

struct Row {
    key: String,
    title: String,
    judged: usize,
    ndcg: f64,
    precision: f64,
    wrong_trade: usize,
    /// Wrong-trade workers ranked above a relevant one.
    displacing: usize,
    /// The top 10 as `key:grade:score`.
    detail: String,
    /// The top 10 as grades: 3/2/1, `.` unjudged, `x` judged irrelevant.
    shape: String,
}

#[tokio::test]
async fn candidate_ranking_on_the_development_part() {
    // Measured on 2026-12-01 (ranking of issue 17): nDCG@10 0.985, P@10 1.000, 0 must-not.
    let floors = Floors {
        mean_ndcg: 0.96,
        mean_precision: 0.97,
        max_must_not: 2,
    };
    measure("development part (tuned on)", DEVELOPMENT, floors).await;
}

#[tokio::test]
async fn candidate_ranking_on_the_fresh_held_out_part() {
    // First (and only) measured once the ranking was done, 2026-12-01: nDCG@10 0.951, P@10
    // 0.976, 2 must-not. The ranking before issue 17 scored 0.855, 0.922 and 5 on it.
    let floors = Floors {
        mean_ndcg: 0.93,
        mean_precision: 0.95,
        max_must_not: 3,
    };
    measure("fresh held-out part (never tuned on)", FRESH, floors).await;
}

async fn measure(part: &str, data: &str, floors: Floors) {
    let mut set: JudgedSet = serde_json::from_str(data).expect("the judged set parses");
    let today = chrono::Local::now().date_naive();
    let shifted = shift_dates(&mut set, today);
    let set = set;

    let app = spawn_app().await;
    let app = &app;
    let admin = app.admin_token().await;
    let officer = app.officer_token(&admin, &set.officer_region).await;
    let officer = officer.as_str();
    let (_, center) = app
        .org_token(officer, "center", &set.training_center.region)
        .await;
    let center = center.as_str();
    let mut employers: HashMap<&str, String> = HashMap::new();
    for e in &set.employers {
        let (_, token) = app.org_token(&admin, "employer", &e.region).await;
        employers.insert(e.key.as_str(), token);
    }

    // Households, a bounded number of requests at a time.
    let households: HashMap<&str, i64> = stream::iter(&set.households)
        .map(|h| async move {
            let body = json!({
                "registry_number": h.registry_number, "county_code": h.county_code,
                "village": h.village, "member_count": h.member_count, "status": h.status,
            });
            let (created, _) = post(app, officer, "/api/v1/households", &body).await;
            (
                h.key.as_str(),
                created["id"].as_i64().expect("household id"),
            )
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    let households = &households;
    // Workers one at a time: ties in score break on the lower id, so ids follow the file's order
    // and the table is the same on every run.
    let mut created: Vec<(&str, i64, i64)> = Vec::new();
    for (i, w) in set.workers.iter().enumerate() {
        let household = w.household.as_deref().map(|h| households[h]);
        let body = worker_body(i, w, household);
        let (answer, _) = post(app, officer, "/api/v1/workers", &body).await;
        created.push((
            w.key.as_str(),
            answer["id"].as_i64().expect("worker id"),
            answer["change"].as_i64().expect("change"),
        ));
    }
    let mut last_change = created.iter().map(|c| c.2).max().unwrap_or(0);
    let worker_ids: HashMap<&str, i64> = created.iter().map(|c| (c.0, c.1)).collect();
    let workers_by_id: HashMap<i64, &Worker> = set
        .workers
        .iter()
        .map(|w| (worker_ids[w.key.as_str()], w))
        .collect();

    // One course per certified occupation; every certificate is a passed result.
    let mut codes: Vec<&str> = set
        .workers
        .iter()
        .flat_map(|w| &w.skills)
        .filter(|s| s.certified.is_some())
        .map(|s| s.occupation_code.as_str())
        .collect();
    codes.sort();
    codes.dedup();
    let mut courses: HashMap<&str, i64> = HashMap::new();
    for code in codes {
        let body = json!({
            "title": format!("{code} 职业技能培训"), "occupation_codes": [code], "hours": 120,
            "starts_on": years_later(NaiveDate::from_ymd_opt(2022, 3, 1).unwrap(), shifted),
            "ends_on": years_later(NaiveDate::from_ymd_opt(2022, 4, 30).unwrap(), shifted),
            "capacity": 1000, "location_region": set.training_center.region,
            "certificate_level": 5,
        });
        let (course, _) = post(app, center, "/api/v1/courses", &body).await;
        courses.insert(code, course["id"].as_i64().expect("course id"));
    }
    let courses = &courses;
    let worker_ids = &worker_ids;
    let certificates: Vec<(&Worker, &Skill)> = set
        .workers
        .iter()
        .flat_map(|w| w.skills.iter().map(move |s| (w, s)))
        .filter(|(_, s)| s.certified.is_some())
        .collect();
    let changes: Vec<i64> = stream::iter(certificates)
        .map(|(w, s)| async move {
            let cert = s.certified.as_ref().expect("certified");
            let course = courses[s.occupation_code.as_str()];
            let (enrollment, _) = post(
                app,
                center,
                &format!("/api/v1/courses/{course}/enrollments"),
                &json!({"worker_id": worker_ids[w.key.as_str()]}),
            )
            .await;
            let resp = app
                .post_json(
                    &format!("/api/v1/enrollments/{}/result", enrollment["id"]),
                    Some(center),
                    &json!({
                        "passed": true, "score": 85,
                        "certificate_number": format!("LM-{}-{}", w.key, s.occupation_code),
                        "level": cert.level, "result_on": cert.result_on,
                    }),
                )
                .await;
            assert_eq!(resp.status().as_u16(), 200, "result for {}", w.key);
            crate::helpers::change_of(&resp)
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    last_change = last_change.max(changes.into_iter().max().unwrap_or(0));

    let mut openings: Vec<(&Opening, i64)> = Vec::new();
    for o in &set.openings {
        let body = json!({
            "title": o.title, "description": o.description,
            "required_occupations": o.required_occupations,
            "nice_occupations": o.nice_occupations, "work_region": o.work_region,
            "wage_min": o.wage_min, "wage_max": o.wage_max, "headcount": o.headcount,
            "housing": o.housing, "meals": o.meals, "contract_months": o.contract_months,
            "start_date": o.start_date, "deadline": o.deadline, "status": "open",
        });
        let (created, change) = post(
            app,
            &employers[o.employer.as_str()],
            "/api/v1/openings",
            &body,
        )
        .await;
        last_change = last_change.max(change.expect("X-Change on an opening"));
        openings.push((o, created["id"].as_i64().expect("opening id")));
    }

    // Wait until the index has applied every write above: each request waits at most
    // LABORMATCH_READ_YOUR_WRITES_WAIT_MS, which a machine busy with other tests may exceed.
    let employers = &employers;
    let (first, first_id) = openings[0];
    let mut caught_up = false;
    for _ in 0..20 {
        let list: Value = app
            .get_auth(
                &format!(
                    "/api/v1/openings/{first_id}/candidates?after_change={last_change}&limit=1"
                ),
                &employers[first.employer.as_str()],
            )
            .await
            .json()
            .await
            .expect("candidate list");
        if list["visible_change"].as_i64().unwrap_or(0) >= last_change {
            caught_up = true;
            break;
        }
    }
    assert!(caught_up, "the index did not reach change {last_change}");

    // Every opening's top 10.
    let mut answers: Vec<(&Opening, Value)> = stream::iter(openings)
        .map(|(o, id)| async move {
            let resp = app
                .get_auth(
                    &format!(
                        "/api/v1/openings/{id}/candidates?after_change={last_change}&limit={K}"
                    ),
                    &employers[o.employer.as_str()],
                )
                .await;
            assert_eq!(resp.status().as_u16(), 200, "candidates of {}", o.key);
            (o, resp.json::<Value>().await.expect("candidate list"))
        })
        .buffer_unordered(4)
        .collect()
        .await;
    answers.sort_by(|a, b| a.0.key.cmp(&b.0.key));

    let mut rows = Vec::new();
    let mut filtered_hits = Vec::new();
    let mut must_not = 0usize;
    for (o, list) in &answers {
        assert!(
            list["visible_change"].as_i64().unwrap_or(0) >= last_change,
            "the index caught up with change {last_change}: {list}"
        );
        let top: Vec<&Worker> = list["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|c| workers_by_id[&c["worker_id"].as_i64().expect("worker_id")])
            .collect();
        let grades: HashMap<&str, u8> = o
            .judgments
            .relevant
            .iter()
            .map(|r| (r.worker.as_str(), r.grade))
            .collect();
        let irrelevant: HashMap<&str, &str> = o
            .judgments
            .irrelevant
            .iter()
            .map(|r| (r.worker.as_str(), r.reason.as_str()))
            .collect();
        for w in &top {
            if let Some(filter) = hard_filter(w, o) {
                filtered_hits.push(format!("{} in {} ({filter})", w.key, o.key));
            }
            if let Some(reason) = irrelevant.get(w.key.as_str()) {
                must_not += 1;
                if *reason != "wrong_trade" {
                    filtered_hits.push(format!("{} in {} (judged {reason})", w.key, o.key));
                }
            }
        }
        let gains = top
            .iter()
            .map(|w| grades.get(w.key.as_str()).copied().unwrap_or(0));
        let mut ideal: Vec<u8> = grades.values().copied().collect();
        ideal.sort_unstable_by(|a, b| b.cmp(a));
        let ideal_dcg = dcg(ideal.iter().copied().take(K));
        let ndcg = if ideal_dcg > 0.0 {
            dcg(gains.clone()) / ideal_dcg
        } else {
            1.0
        };
        let hits = gains.filter(|g| *g >= 1).count();
        let precision = if grades.is_empty() {
            1.0
        } else {
            hits as f64 / K.min(grades.len()) as f64
        };
        let shape: String = top
            .iter()
            .map(|w| {
                match (
                    grades.get(w.key.as_str()),
                    irrelevant.contains_key(w.key.as_str()),
                ) {
                    (Some(g), _) => char::from(b'0' + g),
                    (None, true) => 'x',
                    (None, false) => '.',
                }
            })
            .collect();
        let last_relevant = top
            .iter()
            .rposition(|w| grades.contains_key(w.key.as_str()))
            .map_or(0, |p| p + 1);
        let detail = list["items"]
            .as_array()
            .expect("items")
            .iter()
            .zip(&top)
            .map(|(c, w)| {
                let grade = grades
                    .get(w.key.as_str())
                    .map_or("-".to_string(), |g| g.to_string());
                format!(
                    "{}:{grade}:{:.1}",
                    w.key,
                    c["score"].as_f64().unwrap_or(0.0)
                )
            })
            .collect::<Vec<_>>()
            .join(" ");
        rows.push(Row {
            key: o.key.clone(),
            title: o.title.clone(),
            judged: grades.len(),
            ndcg,
            precision,
            wrong_trade: top
                .iter()
                .filter(|w| irrelevant.get(w.key.as_str()) == Some(&"wrong_trade"))
                .count(),
            displacing: top[..last_relevant]
                .iter()
                .filter(|w| irrelevant.get(w.key.as_str()) == Some(&"wrong_trade"))
                .count(),
            detail,
            shape,
        });
    }

    println!(
        "\ncandidate ranking on the {part} ({} workers, {} openings, dates +{shifted}y, reference {})",
        set.workers.len(),
        set.openings.len(),
        set.reference_date.year()
    );
    println!("opening  rel  nDCG@10  P@10  wrong  top-10     title");
    for r in &rows {
        println!(
            "{:<7} {:>4}  {:>7.3}  {:>4.2}  {:>2}/{:<2}  {:<10} {}",
            r.key, r.judged, r.ndcg, r.precision, r.displacing, r.wrong_trade, r.shape, r.title
        );
    }
    println!("(top-10: grade of each result, `x` judged another trade, `.` not judged; wrong: above a relevant worker / in the top 10)");
    for r in rows.iter().filter(|r| r.ndcg < 0.9) {
        println!("{} top 10 (worker:grade:score): {}", r.key, r.detail);
    }
    let n = rows.len() as f64;
    let mean_ndcg = rows.iter().map(|r| r.ndcg).sum::<f64>() / n;
    let mean_precision = rows.iter().map(|r| r.precision).sum::<f64>() / n;
    let wrong_trade: usize = rows.iter().map(|r| r.wrong_trade).sum();
    let displacing: usize = rows.iter().map(|r| r.displacing).sum();
    println!(
        "{part}: mean nDCG@10 {mean_ndcg:.3}  mean P@10 {mean_precision:.3}  must-not workers in the top 10s: {must_not} (wrong trade {wrong_trade}, {displacing} of them above a relevant one; hard-filtered {})",
        filtered_hits.len()
    );

    assert!(
        filtered_hits.is_empty(),
        "workers excluded by destination, wage or availability were ranked: {filtered_hits:?}"
    );
    assert!(
        mean_ndcg >= floors.mean_ndcg,
        "{part}: mean nDCG@10 {mean_ndcg:.3} < {}",
        floors.mean_ndcg
    );
    assert!(
        mean_precision >= floors.mean_precision,
        "{part}: mean P@10 {mean_precision:.3} < {}",
        floors.mean_precision
    );
    assert!(
        must_not <= floors.max_must_not,
        "{part}: {must_not} must-not workers in top 10s (at most {})",
        floors.max_must_not
    );
}
