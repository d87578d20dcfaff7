//! Matching in both directions, and free-text search of openings.
//!
//! Two stages: tantivy applies the hard filters (availability, destination, wage, deadline)
//! and the trade filter (the opening's trades and their reviewed stand-ins, see `relatedness`)
//! with a cheap score to pick a shortlist, searching the exact trades first and widening to
//! stand-ins only while the shortlist is not full; then every shortlisted pair is scored
//! exactly by `score::score_pair`, which keeps each part so the result can explain itself.
//! Ties break on id, so the order is deterministic.

use std::collections::{HashMap, HashSet};
use std::ops::Bound;

use chrono::NaiveDate;
use serde::Serialize;
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::query::{
    BooleanQuery, ConstScoreQuery, EnableScoring, Occur, Query, QueryParser, RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::tokenizer::TokenStream;
use tantivy::DocSet;
use tantivy::{DocAddress, Searcher, TantivyDocument, Term};
use utoipa::ToSchema;

use super::documents::{OpeningDoc, WorkerDoc};
use super::index::LiveIndex;
use super::profile::{OpeningProfile, TitleWord};
use super::relatedness::{group_prefix, Relatedness, MIN_FIT, UNIT_GROUP_FIT, WORKER_GROUP_FIT};
use super::schema::{day_number, Fields};
use crate::domain::{OccupationCode, RegionCode};

pub use super::score::{Explanation, Names, Ranking};

/// How many documents the first stage hands to exact scoring.
const SHORTLIST: usize = 400;
/// Cheap-score boost of a certified skill in an exact trade.
const CERTIFIED_BOOST: f32 = 3.0;

fn term(field: Field, text: &str) -> Term {
    Term::from_field_text(field, text)
}

type Clause = (Occur, Box<dyn Query>);

fn filter(q: Box<dyn Query>) -> Clause {
    (Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0)))
}

fn boosted(q: Box<dyn Query>, boost: f32) -> Clause {
    (Occur::Should, Box::new(ConstScoreQuery::new(q, boost)))
}

fn i64_range(field: Field, lo: Bound<i64>, hi: Bound<i64>) -> Box<dyn Query> {
    let map = |b: Bound<i64>| match b {
        Bound::Included(v) => Bound::Included(Term::from_field_i64(field, v)),
        Bound::Excluded(v) => Bound::Excluded(Term::from_field_i64(field, v)),
        Bound::Unbounded => Bound::Unbounded,
    };
    Box::new(RangeQuery::new(map(lo), map(hi)))
}

/// Candidates are searched tier by tier and the search stops at the first tier that fills the
/// shortlist: for a common trade the exact codes alone do, and stand-ins are never scanned.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Tier {
    /// The trades asked for as required (and everything inside a chosen group).
    Exact,
    /// Also nice-to-have trades, stand-ins, and same-unit-group fallbacks.
    Related,
}

impl Tier {
    const ALL: [Tier; 2] = [Tier::Exact, Tier::Related];
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

/// Occupation terms admitted in a tier, each with its cheap-score boost (the best weighted
/// fit it can stand for, in occupation points).
#[derive(Default)]
struct Admitted(HashMap<String, f32>);

impl Admitted {
    fn add(&mut self, text: &str, weighted_fit: f32) {
        if weighted_fit >= MIN_FIT {
            let boost = self.0.entry(text.to_string()).or_insert(0.0);
            *boost = boost.max(10.0 * weighted_fit);
        }
    }

    /// The must-clause admitting them and the should-clauses scoring them.
    fn clauses(self, field: Field) -> (Box<dyn Query>, Vec<Clause>) {
        let mut terms: Vec<(String, f32)> = self.0.into_iter().collect();
        terms.sort_by(|a, b| a.0.cmp(&b.0));
        let should = terms
            .iter()
            .map(|(t, boost)| {
                boosted(
                    Box::new(TermQuery::new(term(field, t), IndexRecordOption::Basic)),
                    *boost,
                )
            })
            .collect();
        let admitted = terms.iter().map(|(t, _)| term(field, t)).collect();
        (any_of(admitted), should)
    }
}

/// The group codes (as indexed: 6-29-01-00, 6-29-00-00, 6-00-00-00) that contain `code`.
fn groups_containing(code: &str) -> Vec<String> {
    if code.len() != 10 {
        return Vec::new();
    }
    vec![
        format!("{}-00", &code[..7]),
        format!("{}-00-00", &code[..4]),
        format!("{}-00-00-00", &code[..1]),
    ]
    .into_iter()
    .filter(|g| g != code)
    .collect()
}

/// Worker occupation terms that can fit the opening's trades in `tier`.
fn trades_for_opening(profile: &OpeningProfile, related: &Relatedness, tier: Tier) -> Admitted {
    let mut admitted = Admitted::default();
    for t in &profile.targets {
        let weight = t.role.weight();
        if tier == Tier::Exact && weight < 1.0 {
            continue;
        }
        admitted.add(&t.code, weight);
        if let Some(prefix) = group_prefix(&t.code) {
            admitted.add(prefix, weight);
        }
        if tier == Tier::Exact {
            continue;
        }
        for s in related.stand_ins(&t.code, MIN_FIT / weight) {
            let fit = related.link(s, &t.code).map_or(0.0, |l| l.fit);
            admitted.add(s, fit * weight);
        }
        if !related.covers(&t.code) && group_prefix(&t.code).is_none() {
            admitted.add(&t.code[..7], UNIT_GROUP_FIT * weight);
        }
        for g in groups_containing(&t.code) {
            admitted.add(&g, WORKER_GROUP_FIT * weight);
        }
    }
    admitted
}

/// Opening occupation terms a worker of `codes` can fit in `tier`. Wider than exact: the
/// exact score decides (a nice-to-have discount, the table's coverage).
fn trades_for_worker(codes: &[String], related: &Relatedness, tier: Tier) -> Admitted {
    let mut admitted = Admitted::default();
    for c in codes {
        admitted.add(c, 1.0);
        if tier == Tier::Exact {
            continue;
        }
        for t in related.stands_in_for(c, MIN_FIT) {
            let fit = related.link(c, t).map_or(0.0, |l| l.fit);
            admitted.add(t, fit);
        }
        // Openings for the unit group (and, where the table is silent, for its other trades),
        // and for the wider groups holding the worker's trade.
        if c.len() == 10 {
            admitted.add(&c[..7], UNIT_GROUP_FIT);
        }
        for g in groups_containing(c) {
            admitted.add(&g, 1.0);
        }
    }
    admitted
}

/// Searches tier by tier until the shortlist is full; `query_for` builds a tier's query.
/// Also answers how many documents the widest tier admits.
fn tiered_shortlist(
    searcher: &Searcher,
    mut query_for: impl FnMut(Tier) -> BooleanQuery,
) -> tantivy::Result<(Vec<(f32, DocAddress)>, usize)> {
    let mut shortlist = Vec::new();
    for tier in Tier::ALL {
        let query = query_for(tier);
        let (top, count) = searcher.search(
            &query,
            &(TopDocs::with_limit(SHORTLIST).order_by_score(), Count),
        )?;
        shortlist = top;
        if shortlist.len() >= SHORTLIST && tier != Tier::Related {
            let wider = searcher.search(&query_for(Tier::Related), &Count)?;
            return Ok((shortlist, wider));
        }
        if tier == Tier::Related {
            return Ok((shortlist, count));
        }
    }
    Ok((shortlist, 0))
}

/// Should-clauses adding a point for each title word found in the worker's notes.
fn title_word_clauses(f: &Fields, words: &[TitleWord]) -> Vec<Clause> {
    words
        .iter()
        .map(|w| {
            let terms = w.terms.iter().map(|t| term(f.notes_zh, t)).collect();
            boosted(any_of(terms), 1.0)
        })
        .collect()
}

/// Which of `docs` match `query`. Each segment's scorer seeks the given documents in order,
/// so the cost follows the list, not the posting lists.
fn matching_docs(
    searcher: &Searcher,
    query: &dyn Query,
    docs: &[DocAddress],
) -> tantivy::Result<HashSet<DocAddress>> {
    let mut out = HashSet::new();
    let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let mut sorted = docs.to_vec();
    sorted.sort();
    for segment in sorted.chunk_by(|a, b| a.segment_ord == b.segment_ord) {
        let reader = searcher.segment_reader(segment[0].segment_ord);
        let mut scorer = weight.scorer(reader, 1.0)?;
        for addr in segment {
            // The scorer may already stand past this document (or be exhausted): no match.
            if scorer.doc() <= addr.doc_id && scorer.seek(addr.doc_id) == addr.doc_id {
                out.insert(*addr);
            }
        }
    }
    Ok(out)
}

/// For each of `docs`, the indexes of the title words its notes contain.
fn title_word_hits(
    searcher: &Searcher,
    f: &Fields,
    words: &[TitleWord],
    docs: &[DocAddress],
) -> tantivy::Result<HashMap<DocAddress, Vec<usize>>> {
    let mut hits: HashMap<DocAddress, Vec<usize>> = HashMap::new();
    for (i, w) in words.iter().enumerate() {
        let query = any_of(w.terms.iter().map(|t| term(f.notes_zh, t)).collect());
        for addr in matching_docs(searcher, &*query, docs)? {
            hits.entry(addr).or_default().push(i);
        }
    }
    Ok(hits)
}

/// The words of a worker's notes, as the index cuts them.
fn note_terms(notes: &str) -> HashSet<String> {
    let mut analyzer = super::schema::jieba_analyzer();
    let mut stream = analyzer.token_stream(notes);
    let mut out = HashSet::new();
    while let Some(t) = stream.next() {
        out.insert(t.text.clone());
    }
    out
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

#[derive(Clone, Debug)]
pub struct Candidates {
    pub items: Vec<Candidate>,
    /// How many workers passed the filters (trade, destination, wage, availability).
    pub passed_filters: usize,
}

/// Ranked available workers for an opening prepared by `profile::prepare`. `home_scope`
/// limits to workers from a region (officers see their own region's workers).
pub fn candidates(
    live: &LiveIndex,
    o: &OpeningDoc,
    home_scope: Option<&str>,
    today: NaiveDate,
    ranking: &Ranking,
    limit: usize,
) -> tantivy::Result<Candidates> {
    let f = &live.fields;
    let profile = OpeningProfile::of(o);
    let mut regions: Vec<Term> = RegionCode::parse(&o.work_region)
        .map(|r| r.lineage())
        .unwrap_or_default()
        .iter()
        .map(|r| term(f.region, r))
        .collect();
    regions.push(term(f.region, "*"));
    let exact_codes: Vec<&str> = profile
        .targets
        .iter()
        .filter(|t| t.role.weight() >= 1.0)
        .map(|t| t.code.as_str())
        .collect();
    let query_for = |tier: Tier| {
        let (trade_filter, mut clauses) =
            trades_for_opening(&profile, &ranking.related, tier).clauses(f.occupation);
        for code in &exact_codes {
            clauses.push(boosted(
                Box::new(TermQuery::new(
                    term(f.certified, code),
                    IndexRecordOption::Basic,
                )),
                CERTIFIED_BOOST,
            ));
        }
        clauses.push(filter(Box::new(TermQuery::new(
            term(f.kind, "worker"),
            IndexRecordOption::Basic,
        ))));
        clauses.push(filter(trade_filter));
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
        clauses.extend(title_word_clauses(f, &profile.title_words));
        BooleanQuery::new(clauses)
    };
    let searcher = live.reader.searcher();
    let (shortlist, admitted) = tiered_shortlist(&searcher, query_for)?;
    let addrs: Vec<DocAddress> = shortlist.iter().map(|(_, addr)| *addr).collect();
    let hits = title_word_hits(&searcher, f, &profile.title_words, &addrs)?;
    // Reading, parsing and scoring the shortlist is a third of the work: split it over the
    // index's search threads.
    let score_part = |part: &[(f32, DocAddress)]| -> tantivy::Result<Vec<Candidate>> {
        let mut scored = Vec::with_capacity(part.len());
        for (_, addr) in part {
            let Some(w) = read_data::<WorkerDoc>(&searcher, f, *addr) else {
                continue;
            };
            let words = hits.get(addr).map_or(&[][..], Vec::as_slice);
            if let Some(explanation) =
                super::score::score_pair(&profile, o, &w, words, today, ranking)
            {
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
    // Every admitted worker was scored when the shortlist held them all.
    let passed_filters = if shortlist.len() < SHORTLIST {
        out.len()
    } else {
        admitted
    };
    out.truncate(limit);
    Ok(Candidates {
        items: out,
        passed_filters,
    })
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

/// Ranked open openings for a worker, scored exactly as the same pair is among the opening's
/// candidates (the openings in the index carry their title's trade and words).
pub fn matches_for_worker(
    live: &LiveIndex,
    w: &WorkerDoc,
    today: NaiveDate,
    ranking: &Ranking,
    limit: usize,
) -> tantivy::Result<Vec<OpeningMatch>> {
    let f = &live.fields;
    let codes: Vec<String> = w
        .skills
        .iter()
        .filter(|s| OccupationCode::parse(&s.code).is_ok())
        .map(|s| s.code.clone())
        .collect();
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    let notes = note_terms(&w.notes);
    let query_for = |tier: Tier| {
        let (trade_filter, mut clauses) =
            trades_for_worker(&codes, &ranking.related, tier).clauses(f.occupation);
        clauses.push(filter(Box::new(TermQuery::new(
            term(f.kind, "opening"),
            IndexRecordOption::Basic,
        ))));
        clauses.push(filter(trade_filter));
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
        let words: Vec<Term> = notes.iter().map(|t| term(f.title_zh, t)).collect();
        if !words.is_empty() {
            clauses.push(boosted(any_of(words), 1.0));
        }
        BooleanQuery::new(clauses)
    };
    let searcher = live.reader.searcher();
    let (shortlist, _) = tiered_shortlist(&searcher, query_for)?;
    let mut out = Vec::new();
    for (_, addr) in shortlist {
        let Some(o) = read_data::<OpeningDoc>(&searcher, f, addr) else {
            continue;
        };
        let profile = OpeningProfile::of(&o);
        let words: Vec<usize> = profile
            .title_words
            .iter()
            .enumerate()
            .filter(|(_, word)| word.terms.iter().any(|t| notes.contains(t)))
            .map(|(i, _)| i)
            .collect();
        if let Some(explanation) = super::score::score_pair(&profile, &o, w, &words, today, ranking)
        {
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
    use crate::search::documents::{opening_document, worker_document, SkillDoc};
    use crate::search::profile::title_words;

    fn ranking() -> Ranking {
        Ranking {
            weights: Default::default(),
            names: Names::new(),
            related: Relatedness::from_seed().unwrap(),
        }
    }

    fn worker(id: i64, code: &str, years: f32, notes: &str) -> WorkerDoc {
        WorkerDoc {
            id,
            display_name: "马**".into(),
            gender: "male".into(),
            birth_year: 1990,
            home_region: "630224".into(),
            household_status: None,
            min_wage: 5000,
            available_from: None,
            destinations: vec!["440000".into()],
            accept_anywhere: false,
            skills: vec![SkillDoc {
                code: code.into(),
                certified: false,
                level: None,
                years,
                certified_on: None,
            }],
            brand_tags: vec![],
            languages: vec!["zh".into()],
            text: notes.into(),
            notes: notes.into(),
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
    }

    fn index_of(workers: &[WorkerDoc], openings: &[OpeningDoc]) -> LiveIndex {
        let live = LiveIndex::empty().unwrap();
        let mut writer: tantivy::IndexWriter =
            live.index.writer_with_num_threads(1, 15_000_000).unwrap();
        for w in workers {
            writer
                .add_document(worker_document(&live.fields, w))
                .unwrap();
        }
        for o in openings {
            writer
                .add_document(opening_document(&live.fields, o))
                .unwrap();
        }
        writer.commit().unwrap();
        live.reader.reload().unwrap();
        live
    }

    fn opening(title: &str) -> OpeningDoc {
        OpeningDoc {
            title: title.into(),
            title_words: title_words(title),
            ..OpeningDoc::example()
        }
    }

    fn ranked(live: &LiveIndex, o: &OpeningDoc) -> Candidates {
        candidates(live, o, None, today(), &ranking(), SHORTLIST + 10).unwrap()
    }

    fn welders(n: usize) -> Vec<WorkerDoc> {
        (0..n)
            .map(|i| worker(i as i64 + 1, "6-18-02-04", 3.0, "电焊"))
            .collect()
    }

    #[test]
    fn a_full_exact_tier_keeps_stand_ins_out() {
        // A riveter (铆工) can stand in for a welder.
        let riveter = worker(100_000, "6-18-01-11", 8.0, "铆焊");
        let mut few = welders(10);
        few.push(riveter.clone());
        let list = ranked(&index_of(&few, &[]), &opening("招电焊工"));
        assert_eq!(list.items.len(), 11, "a stand-in widens a short list");
        assert_eq!(list.items.last().unwrap().worker_id, 100_000);
        assert_eq!(list.passed_filters, 11);
        let mut many = welders(SHORTLIST + 5);
        many.push(riveter);
        let list = ranked(&index_of(&many, &[]), &opening("招电焊工"));
        assert_eq!(list.items.len(), SHORTLIST);
        assert!(list.items.iter().all(|c| c.worker_id != 100_000));
        assert_eq!(list.passed_filters, SHORTLIST + 6);
    }

    #[test]
    fn other_trades_of_the_unit_group_stay_out_of_a_short_list() {
        let workers = vec![
            worker(1, "6-18-02-04", 2.0, "电焊"),
            // Cutter and caster share the welders' unit group; the table says neither welds.
            worker(2, "6-18-02-05", 9.0, "火焰切割"),
            worker(3, "6-18-02-01", 9.0, "铸造 浇注"),
        ];
        let list = ranked(&index_of(&workers, &[]), &opening("招电焊工"));
        let ids: Vec<i64> = list.items.iter().map(|c| c.worker_id).collect();
        assert_eq!(ids, vec![1]);
        assert_eq!(list.passed_filters, 1);
    }

    #[test]
    fn the_titles_own_words_in_the_notes_count() {
        let workers = vec![
            worker(1, "6-18-02-04", 5.0, "二保焊 钢结构"),
            worker(2, "6-18-02-04", 5.0, "氩弧焊 船厂 不锈钢"),
        ];
        let list = ranked(&index_of(&workers, &[]), &opening("船厂急招氩弧焊工"));
        assert_eq!(list.items[0].worker_id, 2);
        assert_eq!(
            list.items[0].explanation.title_words,
            vec!["船厂", "氩弧焊"]
        );
        assert_eq!(list.items[0].explanation.score.title_words, 2.0);
        assert!(list.items[1].explanation.title_words.is_empty());
    }

    #[test]
    fn a_pair_scores_the_same_from_either_side() {
        let mut o = opening("船厂急招氩弧焊工 持证上岗");
        o.requirements.certificate = crate::domain::requirements::CertificateRule::Required;
        let w = worker(7, "6-18-02-04", 6.0, "氩弧焊 船厂");
        let live = index_of(std::slice::from_ref(&w), std::slice::from_ref(&o));
        let from_opening = ranked(&live, &o).items[0].score;
        let from_worker = matches_for_worker(&live, &w, today(), &ranking(), 10).unwrap();
        assert_eq!(from_worker[0].opening_id, o.id);
        assert_eq!(from_worker[0].score, from_opening);
        assert_eq!(
            from_worker[0].explanation.title_words,
            vec!["船厂", "氩弧焊"]
        );
    }

    #[test]
    fn seeking_finds_what_a_full_search_finds() {
        let workers: Vec<WorkerDoc> = (0..50)
            .map(|i| {
                worker(
                    i + 1,
                    "6-18-02-04",
                    3.0,
                    if i % 3 == 0 { "氩弧焊" } else { "电焊" },
                )
            })
            .collect();
        let live = index_of(&workers, &[]);
        let searcher = live.reader.searcher();
        let query = any_of(vec![term(live.fields.notes_zh, "氩弧焊")]);
        let full: HashSet<DocAddress> = searcher
            .search(&*query, &TopDocs::with_limit(1_000).order_by_score())
            .unwrap()
            .into_iter()
            .map(|(_, addr)| addr)
            .collect();
        let all: Vec<DocAddress> = (0..50).map(|d| DocAddress::new(0, d)).rev().collect();
        assert_eq!(matching_docs(&searcher, &*query, &all).unwrap(), full);
        assert_eq!(full.len(), 17);
    }
}
