//! Matching in both directions (free-text search of openings is in `text_search`).
//!
//! The hard filters (availability, destination, wage, deadline) and the trade filter (the
//! opening's trades and their reviewed stand-ins, see `relatedness`) admit documents, and
//! `rank` scores those from the index's `rank` column with the same function
//! `score::score_pair` uses, keeping the best `limit` (candidates: filters as cached bitsets,
//! scored best bound first; matches: a tantivy query and collector). Only those are read from
//! the document store, and `score_pair` writes their explanations. Ties break on id, so the
//! order is deterministic.

use std::collections::{HashMap, HashSet};
use std::ops::Bound;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{
    BooleanQuery, ConstScoreQuery, EnableScoring, Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::tokenizer::TokenStream;
use tantivy::DocSet;
use tantivy::{DocAddress, Searcher, TantivyDocument, Term};
use utoipa::ToSchema;

use super::columns::{code_number, term_hash};
use super::documents::{OpeningDoc, WorkerDoc};
use super::filters::Filter;
use super::index::LiveIndex;
use super::profile::{OpeningProfile, TitleWord};
use super::rank::{
    rank_candidates, CandidateQuestion, MatchQuestion, MatchRanker, Walk, WordScores,
};
use super::relatedness::{group_prefix, Relatedness, MIN_FIT, UNIT_GROUP_FIT, WORKER_GROUP_FIT};
use super::schema::{day_number, Fields};
use super::score::{equity_factor, merged_skills, SkillInputs};
use super::title_trade::ReadsTrade;
use super::Segments;
use crate::domain::{OccupationCode, RegionCode};

pub use super::score::{Explanation, Names, Ranking};
pub use super::text_search::{
    search_openings, FacetCount, SearchError, SearchFilters, SearchHit, SearchResults,
};

pub(super) fn term(field: Field, text: &str) -> Term {
    Term::from_field_text(field, text)
}

pub(super) type Clause = (Occur, Box<dyn Query>);

pub(super) fn filter(q: Box<dyn Query>) -> Clause {
    (Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0)))
}

fn boosted(q: Box<dyn Query>, boost: f32) -> Clause {
    (Occur::Should, Box::new(ConstScoreQuery::new(q, boost)))
}

pub(super) fn i64_range(field: Field, lo: Bound<i64>, hi: Bound<i64>) -> Box<dyn Query> {
    let map = |b: Bound<i64>| match b {
        Bound::Included(v) => Bound::Included(Term::from_field_i64(field, v)),
        Bound::Excluded(v) => Bound::Excluded(Term::from_field_i64(field, v)),
        Bound::Unbounded => Bound::Unbounded,
    };
    Box::new(RangeQuery::new(map(lo), map(hi)))
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

/// Occupation terms (as indexed, with ancestors) that can admit a fitting document: a superset
/// of what fits, since the exact fit is decided by the collector. Each term keeps the most a
/// document holding it can fit through it, so the best of a document's terms bounds its fit.
#[derive(Default)]
struct Admitted(HashMap<String, f32>);

impl Admitted {
    fn add(&mut self, text: &str, weighted_fit: f32) {
        if weighted_fit >= MIN_FIT {
            let best = self.0.entry(text.to_string()).or_insert(weighted_fit);
            *best = best.max(weighted_fit);
        }
    }

    fn query(self, field: Field) -> Box<dyn Query> {
        any_of(self.0.keys().map(|t| term(field, t)).collect())
    }

    fn terms(self) -> Vec<String> {
        let mut terms: Vec<String> = self.0.into_keys().collect();
        terms.sort();
        terms
    }

    /// The terms by the fit they bound, best first.
    fn levels(self) -> Vec<(f32, Vec<String>)> {
        let mut levels: Vec<(f32, Vec<String>)> = Vec::new();
        for (text, fit) in self.0 {
            match levels.iter_mut().find(|(f, _)| *f == fit) {
                Some((_, terms)) => terms.push(text),
                None => levels.push((fit, vec![text])),
            }
        }
        levels.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (_, terms) in &mut levels {
            terms.sort();
        }
        levels
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

/// Worker occupation terms that can fit the opening's trades.
fn trades_for_opening(profile: &OpeningProfile, related: &Relatedness) -> Admitted {
    let mut admitted = Admitted::default();
    for t in &profile.targets {
        let weight = t.role.weight();
        admitted.add(&t.code, weight);
        if let Some(prefix) = group_prefix(&t.code) {
            admitted.add(prefix, weight);
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

/// Opening occupation terms a worker of `codes` can fit. Wider than exact: the collector
/// decides (a nice-to-have discount, the table's coverage).
fn trades_for_worker(codes: &[String], related: &Relatedness) -> Admitted {
    let mut admitted = Admitted::default();
    for c in codes {
        admitted.add(c, 1.0);
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

/// The occupation terms the candidates of an opening are admitted by (for the bench's
/// PostgreSQL baseline, which matches on the same terms).
pub fn opening_trade_terms(profile: &OpeningProfile, related: &Relatedness) -> Vec<String> {
    trades_for_opening(profile, related).terms()
}

/// The occupation terms a worker's matches are admitted by.
pub fn worker_trade_terms(codes: &[String], related: &Relatedness) -> Vec<String> {
    trades_for_worker(codes, related).terms()
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
fn note_terms(notes: &str) -> rustc_hash::FxHashSet<String> {
    let mut analyzer = super::schema::jieba_analyzer();
    let mut stream = analyzer.token_stream(notes);
    let mut out = rustc_hash::FxHashSet::default();
    while let Some(t) = stream.next() {
        out.insert(t.text.clone());
    }
    out
}

pub(super) fn read_data<T: serde::de::DeserializeOwned>(
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
    /// How many of those were scored (the bench reports it; the others could not enter).
    pub scored: usize,
}

/// Fills what the ranking needs from an opening's title (see `profile::prepare`), from the
/// opening's own document in the index when it was indexed with the same title and pinning:
/// the suggester then does not run again, and the opening is ranked by the very reading its
/// indexed document carries (the one a worker's matches see).
pub fn prepare_opening(
    live: &LiveIndex,
    o: &mut OpeningDoc,
    reader: &dyn ReadsTrade,
    related: &Relatedness,
) {
    let f = &live.fields;
    let searcher = live.reader.searcher();
    let key = TermQuery::new(
        term(f.key, &format!("o:{}", o.id)),
        IndexRecordOption::Basic,
    );
    // One key's postings: on this thread, as handing it to the search threads costs more.
    let indexed = searcher
        .search_with_executor(
            &key,
            &TopDocs::with_limit(1).order_by_score(),
            Segments::InTurn.executor(&searcher),
            EnableScoring::enabled_from_searcher(&searcher),
        )
        .ok()
        .and_then(|top| top.first().map(|(_, addr)| *addr))
        .and_then(|addr| live.openings.get(&searcher, f, addr))
        .filter(|d| d.doc.title == o.title && d.doc.pin_occupations == o.pin_occupations);
    match indexed {
        Some(d) => {
            o.title_trade = d.doc.title_trade.clone();
            o.title_words = d.doc.title_words.clone();
            // The chosen codes may have changed since it was indexed.
            super::profile::check_title_trade(o, related);
        }
        None => super::profile::prepare(o, reader, related),
    }
}

/// What admits a worker among an opening's candidates, in one place: the trade terms, the
/// hard filters and the title's words in the notes. `candidates` ranks from the parts (the
/// trade walked, the filters as cached bitsets); the bench's raw-engine baseline runs the same
/// parts as one tantivy query (`query`).
pub struct CandidateFilters {
    /// The trade terms by the fit they bound, best first (`Admitted::levels`).
    trades: Vec<(f32, Vec<String>)>,
    regions: Vec<String>,
    wage_max: i64,
    start_day: i64,
    home: Option<String>,
    words: Vec<Vec<String>>,
}

impl CandidateFilters {
    pub fn of(
        o: &OpeningDoc,
        profile: &OpeningProfile,
        home_scope: Option<&str>,
        related: &Relatedness,
    ) -> CandidateFilters {
        let mut regions: Vec<String> = RegionCode::parse(&o.work_region)
            .map(|r| r.lineage())
            .unwrap_or_default();
        regions.push("*".into());
        CandidateFilters {
            trades: trades_for_opening(profile, related).levels(),
            regions,
            wage_max: i64::from(o.wage_max),
            start_day: day_number(o.start_date),
            home: home_scope.map(str::to_string),
            words: profile
                .title_words
                .iter()
                .map(|w| w.terms.clone())
                .collect(),
        }
    }

    /// A trade that can fit, and the hard filters: a worker, who accepts the work region (or
    /// anywhere), asks at most the wage offered, is available by the start, and is from the
    /// officer's region when scoped.
    fn filters(&self, f: &Fields) -> Vec<Filter> {
        let trades = self
            .trades
            .iter()
            .flat_map(|(_, terms)| terms.iter().cloned());
        let mut out = vec![Filter::any_term(f.occupation, trades)];
        out.extend(self.hard_filters(f));
        out
    }

    /// The filters but the trade, which the ranking takes level by level (`trades`).
    fn hard_filters(&self, f: &Fields) -> Vec<Filter> {
        let mut out = vec![
            Filter::any_term(f.kind, ["worker".to_string()]),
            Filter::any_term(f.region, self.regions.iter().cloned()),
            Filter::I64In(f.wage, i64::MIN, self.wage_max),
            Filter::I64In(f.day, i64::MIN, self.start_day),
        ];
        if let Some(home) = &self.home {
            out.push(Filter::any_term(f.home, [home.clone()]));
        }
        out
    }

    /// All of it as one tantivy query: the filters as must-clauses, the title's words in the
    /// notes as should-clauses scoring as `WordScores` says (the raw-engine baseline).
    pub fn query(&self, f: &Fields) -> BooleanQuery {
        let mut clauses = Vec::new();
        for hard in self.filters(f) {
            clauses.push(filter(match hard {
                Filter::AnyTerm(field, terms) => {
                    any_of(terms.iter().map(|t| term(field, t)).collect())
                }
                Filter::I64In(field, lo, hi) => {
                    i64_range(field, Bound::Included(lo), Bound::Included(hi))
                }
            }));
        }
        let scores = WordScores::for_words(self.words.len());
        clauses.extend(self.words.iter().enumerate().map(|(i, terms)| {
            boosted(
                any_of(terms.iter().map(|t| term(f.notes_zh, t)).collect()),
                scores.clause_score(i),
            )
        }));
        BooleanQuery::new(clauses)
    }
}

/// The query of the workers an opening may rank (see `CandidateFilters::query`).
pub fn candidate_query(
    f: &Fields,
    o: &OpeningDoc,
    profile: &OpeningProfile,
    home_scope: Option<&str>,
    related: &Relatedness,
) -> BooleanQuery {
    CandidateFilters::of(o, profile, home_scope, related).query(f)
}

/// Ranked available workers for an opening prepared by `profile::prepare`. `home_scope`
/// limits to workers from a region (officers see their own region's workers).
pub fn candidates(
    live: &LiveIndex,
    o: &OpeningDoc,
    home_scope: Option<&str>,
    today: NaiveDate,
    ranking: &Arc<Ranking>,
    limit: usize,
    segments: Segments,
) -> tantivy::Result<Candidates> {
    candidates_walked(
        live,
        o,
        home_scope,
        today,
        ranking,
        limit,
        Walk::ByDensity,
        segments,
    )
}

/// [`candidates`], each segment walked as `walk` says (the answer is the same whichever, and
/// however the segments are searched; the tests run each).
#[allow(clippy::too_many_arguments)]
fn candidates_walked(
    live: &LiveIndex,
    o: &OpeningDoc,
    home_scope: Option<&str>,
    today: NaiveDate,
    ranking: &Arc<Ranking>,
    limit: usize,
    walk: Walk,
    segments: Segments,
) -> tantivy::Result<Candidates> {
    let f = &live.fields;
    if o.deadline < today {
        return Ok(Candidates {
            items: Vec::new(),
            passed_filters: 0,
            scored: 0,
        });
    }
    let profile = OpeningProfile::of(o);
    let words = WordScores::for_words(profile.title_words.len());
    let admits = CandidateFilters::of(o, &profile, home_scope, &ranking.related);
    let question = Arc::new(CandidateQuestion {
        ranking: ranking.clone(),
        targets: profile
            .targets
            .iter()
            .filter_map(|t| code_number(&t.code).map(|n| (n, t.role.weight())))
            .collect(),
        requirements: profile.requirements.clone(),
        today: day_number(today),
        words,
        occupation: f.occupation,
        trades: admits.trades.clone(),
        filters: admits.hard_filters(f),
        notes: f.notes_zh,
        title_words: admits.words.clone(),
        limit,
        walk,
        fits: Default::default(),
        floor: Default::default(),
    });
    let searcher = live.reader.searcher();
    let ranked = rank_candidates(&searcher, &question, &live.filters, segments)?;
    let top = ranked.top;
    // The words found, for the answers only: from the query's score, or looked up again.
    let looked_up = match words {
        WordScores::Mask => HashMap::new(),
        WordScores::Count => {
            let addrs: Vec<DocAddress> = top.iter().map(|r| r.addr).collect();
            title_word_hits(&searcher, f, &profile.title_words, &addrs)?
        }
    };
    let mut items = Vec::with_capacity(top.len());
    for r in &top {
        let Some(w) = read_data::<WorkerDoc>(&searcher, f, r.addr) else {
            continue;
        };
        let found: Vec<usize> = match words {
            WordScores::Mask => {
                let mask = r.query_score as u32;
                (0..profile.title_words.len())
                    .filter(|i| mask & (1 << i) != 0)
                    .collect()
            }
            WordScores::Count => looked_up.get(&r.addr).cloned().unwrap_or_default(),
        };
        let Some(explanation) = super::score::score_pair(&profile, o, &w, &found, today, ranking)
        else {
            continue;
        };
        debug_assert_eq!(explanation.score.total, r.total, "worker {}", w.id);
        items.push(Candidate {
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
    items.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.worker_id.cmp(&b.worker_id))
    });
    Ok(Candidates {
        items,
        passed_filters: ranked.passed,
        scored: ranked.scored,
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

fn opening_match(o: &OpeningDoc, explanation: Explanation) -> OpeningMatch {
    OpeningMatch {
        opening_id: o.id,
        score: explanation.score.total,
        title: o.title.clone(),
        employer_name: o.employer_name.clone(),
        work_region: o.work_region.clone(),
        wage_min: o.wage_min,
        wage_max: o.wage_max,
        housing: o.housing,
        meals: o.meals,
        start_date: o.start_date,
        deadline: o.deadline,
        explanation,
    }
}

/// The query of the openings a worker may match: the hard filters and the trade filter.
/// `None` when the worker has no occupation at all.
pub fn match_query(
    f: &Fields,
    w: &WorkerDoc,
    today: NaiveDate,
    related: &Relatedness,
) -> Option<BooleanQuery> {
    let codes: Vec<String> = w
        .skills
        .iter()
        .filter(|s| OccupationCode::parse(&s.code).is_ok())
        .map(|s| s.code.clone())
        .collect();
    if codes.is_empty() {
        return None;
    }
    // Openings alone carry these trade terms: no `kind` clause needed.
    let mut clauses = vec![filter(
        trades_for_worker(&codes, related).query(f.opening_occupation),
    )];
    if !w.accept_anywhere {
        let regions: Vec<Term> = w
            .destinations
            .iter()
            .map(|d| term(f.opening_region, d))
            .collect();
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
    Some(BooleanQuery::new(clauses))
}

/// Ranked open openings for a worker, scored exactly as the same pair is among the opening's
/// candidates (the openings in the index carry their title's trade and words).
pub fn matches_for_worker(
    live: &LiveIndex,
    w: &WorkerDoc,
    today: NaiveDate,
    ranking: &Arc<Ranking>,
    limit: usize,
) -> tantivy::Result<Vec<OpeningMatch>> {
    let f = &live.fields;
    let Some(query) = match_query(f, w, today, &ranking.related) else {
        return Ok(Vec::new());
    };
    let notes = note_terms(&w.notes);
    let mut hashes: Vec<u64> = notes.iter().map(|t| term_hash(t)).collect();
    hashes.sort_unstable();
    hashes.dedup();
    let question = Arc::new(MatchQuestion {
        ranking: ranking.clone(),
        skills: merged_skills(w)
            .iter()
            .filter(|s| code_number(&s.code).is_some())
            .map(|s| (s.code.clone(), SkillInputs::of(s)))
            .collect(),
        equity: equity_factor(w.household_status.as_deref()),
        notes: hashes,
        today: day_number(today),
        limit,
    });
    let searcher = live.reader.searcher();
    // On the calling thread: a worker's query admits a few hundred openings, little work
    // beside handing the segments to the search threads and waking them; concurrent requests
    // use the cores. (Not measured apart from the parsed openings kept: together they left
    // matches at 100,000 workers as fast as before, BENCHMARKS.md.)
    let (_, top) = searcher.search_with_executor(
        &query,
        &MatchRanker {
            question,
            cache: &live.filters,
        },
        Segments::InTurn.executor(&searcher),
        EnableScoring::disabled_from_searcher(&searcher),
    )?;
    let mut out = Vec::with_capacity(top.len());
    for r in &top {
        let Some(stored) = live.openings.get(&searcher, f, r.addr) else {
            continue;
        };
        let (o, profile) = (&stored.doc, &stored.profile);
        let words: Vec<usize> = profile
            .title_words
            .iter()
            .enumerate()
            .filter(|(_, word)| word.terms.iter().any(|t| notes.contains(t)))
            .map(|(i, _)| i)
            .collect();
        if let Some(explanation) = super::score::score_pair(profile, o, w, &words, today, ranking) {
            debug_assert_eq!(explanation.score.total, r.total, "opening {}", o.id);
            out.push(opening_match(o, explanation));
        }
    }
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.opening_id.cmp(&b.opening_id))
    });
    Ok(out)
}

/// Ranked documents straight from the engine, for the bench's raw baseline: the same query
/// into a plain `TopDocs` (no ranking, no explanations).
pub fn raw_top(live: &LiveIndex, query: &dyn Query, limit: usize) -> tantivy::Result<usize> {
    let searcher = live.reader.searcher();
    let top = searcher.search(query, &TopDocs::with_limit(limit).order_by_score())?;
    Ok(top.len())
}

#[cfg(test)]
mod tests;
