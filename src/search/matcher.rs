//! Matching in both directions, and free-text search of openings.
//!
//! Two stages: tantivy applies the hard filters (availability, destination, wage, deadline) and
//! a cheap score (occupation closeness, certification, BM25 text relevance) to pick a shortlist,
//! searching the exact codes first and widening to unit and minor groups only while the
//! shortlist is not full; then every shortlisted pair is scored exactly, with each part of the score kept so the result
//! can explain itself. Ties break on id, so the order is deterministic.

use std::collections::HashMap;
use std::ops::Bound;

use chrono::NaiveDate;
use serde::Serialize;
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, EnableScoring, Occur, Query, QueryParser,
    RangeQuery, TermQuery,
};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::tokenizer::TokenStream;
use tantivy::DocSet;
use tantivy::{DocAddress, Searcher, TantivyDocument, Term};
use utoipa::ToSchema;

use super::documents::{OpeningDoc, SkillDoc, WorkerDoc};
use super::index::LiveIndex;
use super::schema::{day_number, Fields};
use crate::config::MatchWeights;
use crate::domain::{OccupationCode, RegionCode};

/// How many documents the first stage hands to exact scoring.
const SHORTLIST: usize = 400;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Fit {
    SameMinorGroup,
    SameUnitGroup,
    SameOccupation,
}

impl Fit {
    pub fn of(a: &str, b: &str) -> Option<Fit> {
        if a == b {
            Some(Fit::SameOccupation)
        } else if a.len() >= 7 && b.len() >= 7 && a[..7] == b[..7] {
            Some(Fit::SameUnitGroup)
        } else if a.len() >= 4 && b.len() >= 4 && a[..4] == b[..4] {
            Some(Fit::SameMinorGroup)
        } else {
            None
        }
    }

    pub fn value(self) -> f32 {
        match self {
            Fit::SameOccupation => 1.0,
            Fit::SameUnitGroup => 0.6,
            Fit::SameMinorGroup => 0.3,
        }
    }
}

/// Each part of a score, already multiplied by its weight; `total` is their sum.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct ScoreParts {
    pub occupation: f32,
    pub certified: f32,
    pub experience: f32,
    pub text: f32,
    pub recent_training: f32,
    pub equity: f32,
    pub total: f32,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OccupationMatch {
    pub worker_code: String,
    pub worker_occupation: String,
    pub opening_code: String,
    pub opening_occupation: String,
    pub fit: Fit,
    /// Whether the opening requires it (else: nice to have).
    pub required: bool,
    pub certified: bool,
    pub level: Option<i16>,
    pub years_experience: f32,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RegionFit {
    pub work_region: String,
    /// The worker's accepted destination that covers it, or "*" (anywhere).
    pub accepted_as: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct WageFit {
    pub worker_minimum: i32,
    pub offered_min: i32,
    pub offered_max: i32,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EquityFactor {
    /// registered_poor | monitored | exited | other | none
    pub household_status: String,
    /// 0..1 before weighting.
    pub factor: f32,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Explanation {
    pub occupations: Vec<OccupationMatch>,
    pub region: RegionFit,
    pub wage: WageFit,
    pub available_from: Option<NaiveDate>,
    pub start_date: NaiveDate,
    pub equity: EquityFactor,
    pub score: ScoreParts,
}

/// Names for explanations (occupation code → name).
pub type Names = HashMap<String, String>;

fn name_of(names: &Names, code: &str) -> String {
    names.get(code).cloned().unwrap_or_default()
}

pub fn equity_factor(status: Option<&str>) -> f32 {
    match status {
        Some("registered_poor") => 1.0,
        Some("monitored") => 0.6,
        _ => 0.0,
    }
}

/// The destination of `w` that covers `work_region`, if any ("*" for anywhere).
pub fn accepted_as(w: &WorkerDoc, work_region: &str) -> Option<String> {
    let Ok(work) = RegionCode::parse(work_region) else {
        return None;
    };
    let covering = w
        .destinations
        .iter()
        .filter_map(|d| RegionCode::parse(d).ok())
        .filter(|d| d.contains(&work))
        // The most specific accepted destination explains best.
        .max_by_key(|d| (d.lineage().len(), d.as_str().to_string()));
    match covering {
        Some(d) => Some(d.as_str().to_string()),
        None if w.accept_anywhere => Some("*".into()),
        None => None,
    }
}

/// Exact score of a worker for an opening, with its explanation. `None` when a hard filter
/// fails or no occupation is near enough.
pub fn score_pair(
    o: &OpeningDoc,
    w: &WorkerDoc,
    text_relevance: f32,
    today: NaiveDate,
    weights: &MatchWeights,
    names: &Names,
) -> Option<Explanation> {
    let accepted = accepted_as(w, &o.work_region)?;
    if o.wage_max < w.min_wage || o.deadline < today {
        return None;
    }
    if w.available_from.map(|d| d > o.start_date).unwrap_or(false) {
        return None;
    }
    let mut matches: Vec<(f32, &SkillDoc, &String, bool, Fit)> = Vec::new();
    for s in &w.skills {
        for (codes, required) in [(&o.required, true), (&o.nice, false)] {
            for c in codes.iter() {
                if let Some(fit) = Fit::of(&s.code, c) {
                    let value = fit.value() * if required { 1.0 } else { 0.5 };
                    matches.push((value, s, c, required, fit));
                }
            }
        }
    }
    // Best first; a certified skill wins a tie, then more experience, then code order.
    matches.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(b.1.certified.cmp(&a.1.certified))
            .then(b.1.years.total_cmp(&a.1.years))
            .then(a.1.code.cmp(&b.1.code))
            .then(a.2.cmp(b.2))
    });
    let (best_value, best, _, _, _) = *matches.first()?;
    // A course certifies a skill with no years of its own; the worker's declared experience in
    // the same occupation still counts.
    let years = w
        .skills
        .iter()
        .filter(|s| s.code == best.code)
        .map(|s| s.years)
        .fold(best.years, f32::max);
    let recent = match (best.certified, best.certified_on) {
        (true, Some(on)) => {
            let days = (today - on).num_days();
            if (0..365).contains(&days) {
                1.0 - days as f32 / 365.0
            } else {
                0.0
            }
        }
        _ => 0.0,
    };
    let equity = equity_factor(w.household_status.as_deref());
    let mut parts = ScoreParts {
        occupation: weights.occupation * best_value,
        certified: if best.certified {
            weights.certified * best_value
        } else {
            0.0
        },
        experience: weights.experience * (years.clamp(0.0, 10.0) / 10.0),
        text: weights.text * text_relevance.clamp(0.0, 1.0),
        recent_training: weights.recent_training * recent,
        equity: weights.equity * equity,
        total: 0.0,
    };
    parts.total = parts.occupation
        + parts.certified
        + parts.experience
        + parts.text
        + parts.recent_training
        + parts.equity;
    let mut seen = std::collections::HashSet::new();
    let occupations = matches
        .iter()
        .filter(|(_, s, c, _, _)| seen.insert((s.code.clone(), (*c).clone())))
        .take(5)
        .map(|(_, s, c, required, fit)| OccupationMatch {
            worker_code: s.code.clone(),
            worker_occupation: name_of(names, &s.code),
            opening_code: (*c).clone(),
            opening_occupation: name_of(names, c),
            fit: *fit,
            required: *required,
            certified: s.certified,
            level: s.level,
            years_experience: s.years,
        })
        .collect();
    Some(Explanation {
        occupations,
        region: RegionFit {
            work_region: o.work_region.clone(),
            accepted_as: accepted,
        },
        wage: WageFit {
            worker_minimum: w.min_wage,
            offered_min: o.wage_min,
            offered_max: o.wage_max,
        },
        available_from: w.available_from,
        start_date: o.start_date,
        equity: EquityFactor {
            household_status: w.household_status.clone().unwrap_or_else(|| "none".into()),
            factor: equity,
        },
        score: parts,
    })
}

fn term(field: tantivy::schema::Field, text: &str) -> Term {
    Term::from_field_text(field, text)
}

type Clause = (Occur, Box<dyn Query>);

fn filter(q: Box<dyn Query>) -> Clause {
    (Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0)))
}

fn i64_range(field: tantivy::schema::Field, lo: Bound<i64>, hi: Bound<i64>) -> Box<dyn Query> {
    let map = |b: Bound<i64>| match b {
        Bound::Included(v) => Bound::Included(Term::from_field_i64(field, v)),
        Bound::Excluded(v) => Bound::Excluded(Term::from_field_i64(field, v)),
        Bound::Unbounded => Bound::Unbounded,
    };
    Box::new(RangeQuery::new(map(lo), map(hi)))
}

/// How near an occupation must be to enter the shortlist. Candidates are searched tier by
/// tier and the search stops at the first tier that fills the shortlist: for a common trade
/// the exact code alone does, and a 150,000-worker minor group is never scanned.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Tier {
    Exact,
    Unit,
    Minor,
}

impl Tier {
    const ALL: [Tier; 3] = [Tier::Exact, Tier::Unit, Tier::Minor];
}

/// Documents with any of `terms`. Not a `TermSetQuery`: that one fills a bitset from every
/// posting of every term before the search starts (a quarter of the index for "*" and a
/// province), where a union of term queries is only advanced as far as the intersection asks.
fn any_of(mut terms: Vec<Term>) -> Box<dyn Query> {
    terms.sort();
    terms.dedup();
    if terms.len() == 1 {
        return Box::new(TermQuery::new(terms.remove(0), IndexRecordOption::Basic));
    }
    let clauses: Vec<Clause> = terms
        .into_iter()
        .map(|t| {
            let q: Box<dyn Query> = Box::new(TermQuery::new(t, IndexRecordOption::Basic));
            (Occur::Should, q)
        })
        .collect();
    Box::new(BooleanQuery::new(clauses))
}

/// Should-clauses scoring occupation closeness: exact code > unit group > minor group, and a
/// certified skill above a declared one; and the must-clause admitting codes as near as `tier`.
fn occupation_clauses(f: &Fields, codes: &[String], tier: Tier) -> (Box<dyn Query>, Vec<Clause>) {
    let mut admitted = Vec::new();
    let mut should: Vec<Clause> = Vec::new();
    for c in codes.iter().filter_map(|c| OccupationCode::parse(c).ok()) {
        let [_, minor_group, unit, exact] = c.ancestors();
        admitted.push(term(
            f.occupation,
            match tier {
                Tier::Exact => &exact,
                Tier::Unit => &unit,
                Tier::Minor => &minor_group,
            },
        ));
        // Closeness coarser than the tier adds about the same to every document the tier
        // admits: no clause for it, so its long posting list is not walked.
        let levels = [
            (f.occupation, &exact, 6.0, Tier::Exact),
            (f.occupation, &unit, 3.0, Tier::Unit),
            (f.occupation, &minor_group, 1.0, Tier::Minor),
            (f.certified, &exact, 3.0, Tier::Exact),
        ];
        for (field, text, boost, _) in levels.into_iter().filter(|l| l.3 <= tier) {
            should.push((
                Occur::Should,
                Box::new(ConstScoreQuery::new(
                    Box::new(TermQuery::new(term(field, text), IndexRecordOption::Basic)),
                    boost,
                )),
            ));
        }
    }
    (any_of(admitted), should)
}

/// Searches tier by tier until the shortlist is full; `query_for` builds a tier's query.
fn tiered_shortlist(
    searcher: &Searcher,
    mut query_for: impl FnMut(Tier) -> BooleanQuery,
) -> tantivy::Result<Vec<(f32, DocAddress)>> {
    let mut shortlist = Vec::new();
    for tier in Tier::ALL {
        shortlist = searcher.search(
            &query_for(tier),
            &TopDocs::with_limit(SHORTLIST).order_by_score(),
        )?;
        if shortlist.len() >= SHORTLIST {
            break;
        }
    }
    Ok(shortlist)
}

/// BM25 relevance of stored words (not user syntax) in a text field: one scored term query per
/// token, so no phrase matching is involved.
fn text_clause(
    live: &LiveIndex,
    field: tantivy::schema::Field,
    text: &str,
) -> Option<Box<dyn Query>> {
    let mut tokenizer = live.index.tokenizer_for_field(field).ok()?;
    let mut stream = tokenizer.token_stream(text);
    let mut tokens: Vec<String> = Vec::new();
    while let Some(token) = stream.next() {
        let t = token.text.trim();
        if !t.is_empty() && t.chars().any(char::is_alphanumeric) && !tokens.iter().any(|x| x == t) {
            tokens.push(t.to_string());
        }
        if tokens.len() >= 32 {
            break;
        }
    }
    if tokens.is_empty() {
        return None;
    }
    let clauses: Vec<Clause> = tokens
        .iter()
        .map(|t| {
            let q: Box<dyn Query> =
                Box::new(TermQuery::new(term(field, t), IndexRecordOption::WithFreqs));
            (Occur::Should, q)
        })
        .collect();
    Some(Box::new(BooleanQuery::new(clauses)))
}

/// BM25 relevance of `query` for each of `docs` (absent: no match). Each segment's scorer seeks
/// the shortlisted documents in order, so the cost follows the shortlist, not the posting lists.
fn text_relevance(
    searcher: &Searcher,
    query: Option<&dyn Query>,
    docs: &[DocAddress],
) -> tantivy::Result<HashMap<DocAddress, f32>> {
    let mut out = HashMap::new();
    let Some(query) = query else {
        return Ok(out);
    };
    let weight = query.weight(EnableScoring::enabled_from_searcher(searcher))?;
    let mut sorted = docs.to_vec();
    sorted.sort();
    for segment in sorted.chunk_by(|a, b| a.segment_ord == b.segment_ord) {
        let reader = searcher.segment_reader(segment[0].segment_ord);
        let mut scorer = weight.scorer(reader, 1.0)?;
        for addr in segment {
            // The scorer may already stand past this document (or be exhausted): no match.
            if scorer.doc() <= addr.doc_id && scorer.seek(addr.doc_id) == addr.doc_id {
                out.insert(*addr, scorer.score());
            }
        }
    }
    Ok(out)
}

fn read_data<T: serde::de::DeserializeOwned>(
    searcher: &Searcher,
    f: &Fields,
    addr: DocAddress,
) -> Option<T> {
    let doc: TantivyDocument = searcher.doc(addr).ok()?;
    let data = doc.get_first(f.data)?.as_str()?;
    serde_json::from_str(data).ok()
}

/// BM25 scores are unbounded; squash them into 0..1 for the weighted sum.
fn squash(bm25: f32) -> f32 {
    if bm25 <= 0.0 {
        0.0
    } else {
        bm25 / (bm25 + 5.0)
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Candidate {
    pub worker_id: i64,
    /// Masked: surname only.
    pub display_name: String,
    pub gender: String,
    pub birth_year: i32,
    pub home_region: String,
    pub brand_tags: Vec<String>,
    pub score: f32,
    pub explanation: Explanation,
}

/// Ranked available workers for an opening. `home_scope` limits to workers from a region
/// (officers see their own region's workers).
pub fn candidates(
    live: &LiveIndex,
    o: &OpeningDoc,
    home_scope: Option<&str>,
    today: NaiveDate,
    weights: &MatchWeights,
    names: &Names,
    limit: usize,
) -> tantivy::Result<Vec<Candidate>> {
    let f = &live.fields;
    let codes: Vec<String> = o.required.iter().chain(o.nice.iter()).cloned().collect();
    let mut regions: Vec<Term> = RegionCode::parse(&o.work_region)
        .map(|r| r.lineage())
        .unwrap_or_default()
        .iter()
        .map(|r| term(f.region, r))
        .collect();
    regions.push(term(f.region, "*"));
    let query_for = |tier: Tier| {
        let (occupation_filter, mut clauses) = occupation_clauses(f, &codes, tier);
        clauses.push(filter(Box::new(TermQuery::new(
            term(f.kind, "worker"),
            IndexRecordOption::Basic,
        ))));
        clauses.push(filter(occupation_filter));
        clauses.push(filter(any_of(regions.clone())));
        clauses.push(filter(i64_range(
            f.wage,
            Bound::Unbounded,
            Bound::Included(i64::from(o.wage_max)),
        )));
        clauses.push(filter(i64_range(
            f.day,
            Bound::Unbounded,
            Bound::Included(day_number(o.start_date)),
        )));
        if let Some(scope) = home_scope {
            clauses.push(filter(Box::new(TermQuery::new(
                term(f.home, scope),
                IndexRecordOption::Basic,
            ))));
        }
        if let Some(text) = text_clause(live, f.text_zh, &o.title) {
            clauses.push((Occur::Should, Box::new(BoostQuery::new(text, 1.0))));
        }
        BooleanQuery::new(clauses)
    };
    let searcher = live.reader.searcher();
    let shortlist = tiered_shortlist(&searcher, query_for)?;
    let text_only = text_clause(live, f.text_zh, &o.title);
    let addrs: Vec<DocAddress> = shortlist.iter().map(|(_, addr)| *addr).collect();
    let relevance_of = text_relevance(&searcher, text_only.as_deref(), &addrs)?;
    // Reading, parsing and scoring the shortlist is a third of the work: split it over the
    // index's search threads.
    let score_part = |part: &[(f32, DocAddress)]| -> tantivy::Result<Vec<Candidate>> {
        let mut scored = Vec::with_capacity(part.len());
        for (_, addr) in part {
            let Some(w) = read_data::<WorkerDoc>(&searcher, f, *addr) else {
                continue;
            };
            let relevance = relevance_of.get(addr).copied().map(squash).unwrap_or(0.0);
            if let Some(explanation) = score_pair(o, &w, relevance, today, weights, names) {
                scored.push(Candidate {
                    worker_id: w.id,
                    display_name: w.display_name,
                    gender: w.gender,
                    birth_year: w.birth_year,
                    home_region: w.home_region,
                    brand_tags: w.brand_tags,
                    score: explanation.score.total,
                    explanation,
                });
            }
        }
        Ok(scored)
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let part_len = shortlist.len().div_ceil(threads).max(1);
    let mut out: Vec<Candidate> = live
        .index
        .search_executor()
        .map(score_part, shortlist.chunks(part_len))?
        .into_iter()
        .flatten()
        .collect();
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.worker_id.cmp(&b.worker_id))
    });
    out.truncate(limit);
    Ok(out)
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OpeningMatch {
    pub opening_id: i64,
    pub title: String,
    pub employer_name: String,
    pub work_region: String,
    pub wage_min: i32,
    pub wage_max: i32,
    pub housing: bool,
    pub meals: bool,
    pub start_date: NaiveDate,
    pub deadline: NaiveDate,
    pub score: f32,
    pub explanation: Explanation,
}

fn opening_match(o: OpeningDoc, explanation: Explanation) -> OpeningMatch {
    OpeningMatch {
        opening_id: o.id,
        score: explanation.score.total,
        title: o.title,
        employer_name: o.employer_name,
        work_region: o.work_region,
        wage_min: o.wage_min,
        wage_max: o.wage_max,
        housing: o.housing,
        meals: o.meals,
        start_date: o.start_date,
        deadline: o.deadline,
        explanation,
    }
}

/// Ranked open openings for a worker.
pub fn matches_for_worker(
    live: &LiveIndex,
    w: &WorkerDoc,
    today: NaiveDate,
    weights: &MatchWeights,
    names: &Names,
    limit: usize,
) -> tantivy::Result<Vec<OpeningMatch>> {
    let f = &live.fields;
    let codes: Vec<String> = w.skills.iter().map(|s| s.code.clone()).collect();
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    let query_for = |tier: Tier| {
        let (occupation_filter, mut clauses) = occupation_clauses(f, &codes, tier);
        clauses.push(filter(Box::new(TermQuery::new(
            term(f.kind, "opening"),
            IndexRecordOption::Basic,
        ))));
        clauses.push(filter(occupation_filter));
        if !w.accept_anywhere {
            let regions: Vec<Term> = w.destinations.iter().map(|d| term(f.region, d)).collect();
            clauses.push(filter(any_of(regions)));
        }
        clauses.push(filter(i64_range(
            f.wage,
            Bound::Included(i64::from(w.min_wage)),
            Bound::Unbounded,
        )));
        clauses.push(filter(i64_range(
            f.deadline,
            Bound::Included(day_number(today)),
            Bound::Unbounded,
        )));
        if let Some(from) = w.available_from {
            clauses.push(filter(i64_range(
                f.day,
                Bound::Included(day_number(from)),
                Bound::Unbounded,
            )));
        }
        if let Some(text) = text_clause(live, f.text_zh, &w.text) {
            clauses.push((Occur::Should, text));
        }
        BooleanQuery::new(clauses)
    };
    let searcher = live.reader.searcher();
    let shortlist = tiered_shortlist(&searcher, query_for)?;
    let mut out = Vec::new();
    for (_, addr) in shortlist {
        let Some(o) = read_data::<OpeningDoc>(&searcher, f, addr) else {
            continue;
        };
        if let Some(explanation) = score_pair(&o, w, 0.0, today, weights, names) {
            out.push(opening_match(o, explanation));
        }
    }
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.opening_id.cmp(&b.opening_id))
    });
    out.truncate(limit);
    Ok(out)
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SearchHit {
    pub opening_id: i64,
    pub title: String,
    pub employer_name: String,
    pub work_region: String,
    pub wage_min: i32,
    pub wage_max: i32,
    pub required_occupations: Vec<String>,
    pub start_date: NaiveDate,
    pub deadline: NaiveDate,
    pub relevance: f32,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<SearchHit>,
    /// Counts by destination province code.
    pub provinces: Vec<FacetCount>,
    /// Counts by occupation major group (1..8).
    pub major_groups: Vec<FacetCount>,
}

pub struct SearchFilters {
    pub region: Option<String>,
    pub wage_min: Option<i32>,
    pub occupation: Option<String>,
}

/// Free-text search of open openings (Chinese segmented by jieba, English stemmed). The query
/// language is tantivy's: a syntax error is reported, not guessed around.
pub fn search_openings(
    live: &LiveIndex,
    q: &str,
    filters: &SearchFilters,
    today: NaiveDate,
    limit: usize,
) -> Result<SearchResults, SearchError> {
    let f = &live.fields;
    let mut clauses: Vec<Clause> = vec![
        filter(Box::new(TermQuery::new(
            term(f.kind, "opening"),
            IndexRecordOption::Basic,
        ))),
        filter(i64_range(
            f.deadline,
            Bound::Included(day_number(today)),
            Bound::Unbounded,
        )),
    ];
    if !q.trim().is_empty() {
        let mut parser =
            QueryParser::for_index(&live.index, vec![f.title_zh, f.text_zh, f.text_en]);
        parser.set_field_boost(f.title_zh, 2.0);
        let parsed = parser
            .parse_query(q)
            .map_err(|e| SearchError::Syntax(e.to_string()))?;
        clauses.push((Occur::Must, parsed));
    }
    if let Some(region) = &filters.region {
        clauses.push(filter(Box::new(TermQuery::new(
            term(f.region, region),
            IndexRecordOption::Basic,
        ))));
    }
    if let Some(wage) = filters.wage_min {
        clauses.push(filter(i64_range(
            f.wage,
            Bound::Included(i64::from(wage)),
            Bound::Unbounded,
        )));
    }
    if let Some(code) = &filters.occupation {
        clauses.push(filter(Box::new(TermQuery::new(
            term(f.occupation, code),
            IndexRecordOption::Basic,
        ))));
    }
    let query = BooleanQuery::new(clauses);
    let searcher = live.reader.searcher();
    let mut provinces = FacetCollector::for_field("province");
    provinces.add_facet("/");
    let mut majors = FacetCollector::for_field("major");
    majors.add_facet("/");
    let (top, total, province_counts, major_counts) = searcher
        .search(
            &query,
            &(
                TopDocs::with_limit(limit).order_by_score(),
                Count,
                provinces,
                majors,
            ),
        )
        .map_err(|e| SearchError::Index(e.to_string()))?;
    let mut hits = Vec::new();
    for (score, addr) in top {
        if let Some(o) = read_data::<OpeningDoc>(&searcher, f, addr) {
            hits.push(SearchHit {
                opening_id: o.id,
                title: o.title,
                employer_name: o.employer_name,
                work_region: o.work_region,
                wage_min: o.wage_min,
                wage_max: o.wage_max,
                required_occupations: o.required,
                start_date: o.start_date,
                deadline: o.deadline,
                relevance: score,
            });
        }
    }
    let facet_list = |counts: &tantivy::collector::FacetCounts| {
        let mut list: Vec<FacetCount> = counts
            .get("/")
            .map(|(facet, count)| FacetCount {
                value: facet.to_path().join("/"),
                count,
            })
            .collect();
        list.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
        list
    };
    Ok(SearchResults {
        total,
        hits,
        provinces: facet_list(&province_counts),
        major_groups: facet_list(&major_counts),
    })
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("query syntax: {0}")]
    Syntax(String),
    #[error("index: {0}")]
    Index(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn worker(skills: Vec<SkillDoc>, household: Option<&str>) -> WorkerDoc {
        WorkerDoc {
            id: 1,
            display_name: "马**".into(),
            gender: "male".into(),
            birth_year: 1990,
            home_region: "630224".into(),
            household_status: household.map(str::to_string),
            min_wage: 5000,
            available_from: None,
            destinations: vec!["440000".into()],
            accept_anywhere: false,
            skills,
            brand_tags: vec![],
            languages: vec!["zh".into()],
            text: String::new(),
        }
    }

    fn skill(code: &str, certified: bool) -> SkillDoc {
        SkillDoc {
            code: code.into(),
            certified,
            level: None,
            years: 2.0,
            certified_on: None,
        }
    }

    fn opening() -> OpeningDoc {
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
            start_date: NaiveDate::from_ymd_opt(2026, 12, 15).unwrap(),
            deadline: NaiveDate::from_ymd_opt(2026, 12, 10).unwrap(),
            headcount: 1,
            housing: true,
            meals: true,
            text: String::new(),
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
    }

    #[test]
    fn certified_outranks_declared_and_fit_levels_order() {
        let w = MatchWeights::default();
        let names = Names::new();
        let certified = score_pair(
            &opening(),
            &worker(vec![skill("6-18-02-04", true)], None),
            0.0,
            today(),
            &w,
            &names,
        )
        .unwrap();
        let declared = score_pair(
            &opening(),
            &worker(vec![skill("6-18-02-04", false)], None),
            0.0,
            today(),
            &w,
            &names,
        )
        .unwrap();
        let unit = score_pair(
            &opening(),
            &worker(vec![skill("6-18-02-05", true)], None),
            0.0,
            today(),
            &w,
            &names,
        )
        .unwrap();
        let minor = score_pair(
            &opening(),
            &worker(vec![skill("6-18-01-01", true)], None),
            0.0,
            today(),
            &w,
            &names,
        )
        .unwrap();
        assert!(certified.score.total > declared.score.total);
        assert!(declared.score.total > unit.score.total);
        assert!(unit.score.total > minor.score.total);
        assert_eq!(certified.occupations[0].fit, Fit::SameOccupation);
        assert!(score_pair(
            &opening(),
            &worker(vec![skill("4-03-02-02", true)], None),
            0.0,
            today(),
            &w,
            &names
        )
        .is_none());
    }

    #[test]
    fn hard_filters() {
        let w = MatchWeights::default();
        let names = Names::new();
        let mut elsewhere = worker(vec![skill("6-18-02-04", true)], None);
        elsewhere.destinations = vec!["330000".into()];
        assert!(score_pair(&opening(), &elsewhere, 0.0, today(), &w, &names).is_none());
        let mut greedy = worker(vec![skill("6-18-02-04", true)], None);
        greedy.min_wage = 9001;
        assert!(score_pair(&opening(), &greedy, 0.0, today(), &w, &names).is_none());
        let mut late = worker(vec![skill("6-18-02-04", true)], None);
        late.available_from = NaiveDate::from_ymd_opt(2027, 1, 1);
        assert!(score_pair(&opening(), &late, 0.0, today(), &w, &names).is_none());
        let after_deadline = NaiveDate::from_ymd_opt(2026, 12, 11).unwrap();
        assert!(score_pair(
            &opening(),
            &worker(vec![skill("6-18-02-04", true)], None),
            0.0,
            after_deadline,
            &w,
            &names
        )
        .is_none());
    }

    /// `n` welders (exact code), one worker of the same unit group, each text "焊工 {extra}".
    fn index_of(n: usize) -> LiveIndex {
        let live = LiveIndex::empty().unwrap();
        let mut writer: tantivy::IndexWriter =
            live.index.writer_with_num_threads(1, 15_000_000).unwrap();
        let add = |id: i64, code: &str, text: &str| {
            let mut w = worker(vec![skill(code, true)], None);
            w.id = id;
            w.text = text.into();
            writer
                .add_document(super::super::documents::worker_document(&live.fields, &w))
                .unwrap();
        };
        for i in 0..n {
            let text = if i % 2 == 0 {
                "焊工 电焊"
            } else {
                "焊工"
            };
            add(i as i64 + 1, "6-18-02-04", text);
        }
        add(100_000, "6-18-02-05", "焊工 电焊");
        writer.commit().unwrap();
        live.reader.reload().unwrap();
        live
    }

    fn ranked(live: &LiveIndex) -> Vec<Candidate> {
        candidates(
            live,
            &opening(),
            None,
            today(),
            &MatchWeights::default(),
            &Names::new(),
            SHORTLIST + 10,
        )
        .unwrap()
    }

    #[test]
    fn a_full_exact_tier_keeps_wider_groups_out() {
        let few = ranked(&index_of(10));
        assert_eq!(few.len(), 11, "the unit group widens a short list");
        assert_eq!(few.last().unwrap().worker_id, 100_000);
        let many = ranked(&index_of(SHORTLIST + 5));
        assert_eq!(many.len(), SHORTLIST);
        assert!(many.iter().all(|c| c.worker_id != 100_000));
    }

    #[test]
    fn text_relevance_equals_a_full_search() {
        let live = index_of(50);
        let searcher = live.reader.searcher();
        let query = text_clause(&live, live.fields.text_zh, "焊工 电焊").unwrap();
        let full: HashMap<DocAddress, f32> = searcher
            .search(&*query, &TopDocs::with_limit(1_000).order_by_score())
            .unwrap()
            .into_iter()
            .map(|(score, addr)| (addr, score))
            .collect();
        let all: Vec<DocAddress> = (0..51).map(|d| DocAddress::new(0, d)).rev().collect();
        let seeked = text_relevance(&searcher, Some(&*query), &all).unwrap();
        assert_eq!(seeked.len(), full.len());
        for (addr, score) in &full {
            assert!((seeked[addr] - score).abs() < 1e-6);
        }
        // Every even welder says 电焊 as well: they score higher.
        assert!(seeked[&DocAddress::new(0, 0)] > seeked[&DocAddress::new(0, 1)]);
    }

    #[test]
    fn equity_breaks_comparable_fits_only() {
        let w = MatchWeights::default();
        let names = Names::new();
        let poor = score_pair(
            &opening(),
            &worker(vec![skill("6-18-02-04", false)], Some("registered_poor")),
            0.0,
            today(),
            &w,
            &names,
        )
        .unwrap();
        let other = score_pair(
            &opening(),
            &worker(vec![skill("6-18-02-04", false)], Some("other")),
            0.0,
            today(),
            &w,
            &names,
        )
        .unwrap();
        let certified_other = score_pair(
            &opening(),
            &worker(vec![skill("6-18-02-04", true)], Some("other")),
            0.0,
            today(),
            &w,
            &names,
        )
        .unwrap();
        assert!(poor.score.total > other.score.total);
        assert!(certified_other.score.total > poor.score.total);
        assert_eq!(poor.equity.factor, 1.0);
    }
}
