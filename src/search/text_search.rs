//! Free-text search of open openings (Chinese segmented by jieba, English stemmed), with
//! counts by destination province and occupation major group.

use std::ops::Bound;

use chrono::NaiveDate;
use serde::Serialize;
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::query::{Bm25StatisticsProvider, BooleanQuery, Occur, QueryParser, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Searcher, Term};
use utoipa::ToSchema;

use super::index::LiveIndex;
use super::matcher::{filter, i64_range, term, Clause};
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
            term(f.opening_region, region),
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
            term(f.opening_occupation, code),
            IndexRecordOption::Basic,
        ))));
    }
    let query = BooleanQuery::new(clauses);
    let searcher = live.reader.searcher();
    let mut provinces = FacetCollector::for_field("province");
    provinces.add_facet("/");
    let mut majors = FacetCollector::for_field("major");
    majors.add_facet("/");
    let openings_only = OpeningsOnly {
        searcher: &searcher,
        openings: searcher
            .doc_freq(&term(f.kind, "opening"))
            .map_err(|e| SearchError::Index(e.to_string()))?,
    };
    let (top, total, province_counts, major_counts) = searcher
        .search_with_statistics_provider(
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
            &openings_only,
        )
        .map_err(|e| SearchError::Index(e.to_string()))?;
    let mut hits = Vec::new();
    for ((score, _), addr) in top {
        if let Some(stored) = live.openings.get(&searcher, f, addr) {
            let o = &stored.doc;
            hits.push(SearchHit {
                opening_id: o.id,
                title: o.title.clone(),
                employer_name: o.employer_name.clone(),
                work_region: o.work_region.clone(),
                wage_min: o.wage_min,
                wage_max: o.wage_max,
                required_occupations: o.required.clone(),
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

/// BM25's statistics over the openings alone. Workers share the index but hold no text;
/// counted among the documents, they would shrink the openings' average length by the ratio of
/// all documents to openings (twenty to one in the generated program), so that every opening
/// would read as long and a repeated word barely count, and make every word look rarer.
struct OpeningsOnly<'a> {
    searcher: &'a Searcher,
    /// Opening documents, deleted ones not yet merged away included, as in `doc_freq`.
    openings: u64,
}

impl Bm25StatisticsProvider for OpeningsOnly<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        self.searcher.total_num_tokens(field)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        Ok(self.openings.max(1))
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        self.searcher.doc_freq(term)
    }
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
    use crate::search::documents::{
        opening_document, worker_document, OpeningDoc, SkillDoc, WorkerDoc,
    };

    fn welder(id: i64) -> WorkerDoc {
        WorkerDoc {
            id,
            skills: vec![SkillDoc {
                code: "6-18-02-04".into(),
                certified: true,
                level: None,
                years: 3.0,
                certified_on: None,
            }],
            notes: "电焊 氩弧焊 电焊工".into(),
            ..WorkerDoc::example()
        }
    }

    /// Each opening's relevance to 电焊工 in an index that also holds `workers` welders.
    fn relevance(workers: i64) -> Vec<(i64, f32)> {
        let live = LiveIndex::empty().unwrap();
        let mut writer: tantivy::IndexWriter =
            live.index.writer_with_num_threads(1, 15_000_000).unwrap();
        let titles = ["招电焊工", "急招电焊工 电焊 二保焊 包吃住", "招厨师"];
        for (i, title) in titles.iter().enumerate() {
            let o = OpeningDoc {
                id: i as i64 + 1,
                title: title.to_string(),
                text: format!("{title} 长期稳定 月薪面议"),
                ..OpeningDoc::example()
            };
            writer
                .add_document(opening_document(&live.fields, &o))
                .unwrap();
        }
        for id in 0..workers {
            writer
                .add_document(worker_document(&live.fields, &welder(100 + id)))
                .unwrap();
        }
        writer.commit().unwrap();
        live.reader.reload().unwrap();
        let filters = SearchFilters {
            region: None,
            wage_min: None,
            occupation: None,
        };
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let found = search_openings(&live, "电焊工", &filters, day, 10).unwrap();
        found
            .hits
            .iter()
            .map(|h| (h.opening_id, h.relevance))
            .collect()
    }

    #[test]
    fn workers_in_the_index_do_not_move_an_openings_relevance() {
        let alone = relevance(0);
        assert_eq!(alone.len(), 2, "{alone:?}");
        assert_eq!(relevance(60), alone);
    }
}
