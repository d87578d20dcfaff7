//! Free-text search of open openings (Chinese segmented by jieba, English stemmed), with
//! counts by destination province and occupation major group.

use std::ops::Bound;

use chrono::NaiveDate;
use serde::Serialize;
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::query::{BooleanQuery, Occur, QueryParser, TermQuery};
use tantivy::schema::IndexRecordOption;
use utoipa::ToSchema;

use super::documents::OpeningDoc;
use super::index::LiveIndex;
use super::matcher::{filter, i64_range, read_data, term, Clause};
use super::schema::day_number;

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
                // Equal scores are ordered by opening id, so every replica (whatever its segment
                // layout) cuts and orders the same hits.
                TopDocs::with_limit(limit).tweak_score(move |segment: &tantivy::SegmentReader| {
                    let ids = segment
                        .fast_fields()
                        .i64("id")
                        .ok()
                        .map(|c| c.first_or_default_col(i64::MAX));
                    move |doc: tantivy::DocId, score: tantivy::Score| {
                        let id = ids.as_ref().map(|c| c.get_val(doc)).unwrap_or(i64::MAX);
                        (score, std::cmp::Reverse(id))
                    }
                }),
                Count,
                provinces,
                majors,
            ),
        )
        .map_err(|e| SearchError::Index(e.to_string()))?;
    let mut hits = Vec::new();
    for ((score, _), addr) in top {
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
