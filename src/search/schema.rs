//! The skills index's schema: the single source of truth for its fields and tokenizers.
//! Workers and open openings share one index (and so one writer), told apart by `kind`.

use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED, STORED, STRING,
};
use tantivy::tokenizer::{LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer};
use tantivy::Index;

pub const JIEBA: &str = "jieba_lower";
pub const ENGLISH: &str = "en_stem_lower";

#[derive(Clone, Copy, Debug)]
pub struct Fields {
    /// "worker" or "opening".
    pub kind: Field,
    /// "w:123" / "o:45": the term a change deletes by.
    pub key: Field,
    pub id: Field,
    /// Workers: occupation codes with their ancestors (6, 6-18, 6-18-02, 6-18-02-04).
    pub occupation: Field,
    /// Openings: the codes they are matched on, with their ancestors. Apart from the workers'
    /// codes so that a worker's matches walk postings of openings only: in one shared field a
    /// minor group's postings held every worker of it, and merging them was most of the time
    /// of a worker's matches.
    pub opening_occupation: Field,
    /// Workers: occupation codes (with ancestors) of certified skills only.
    pub certified: Field,
    /// Workers: accepted destinations (any level), "*" for anywhere.
    pub region: Field,
    /// Openings: the work region's lineage (province, prefecture, county); apart from the
    /// workers' destinations for the same reason as `opening_occupation`.
    pub opening_region: Field,
    /// Workers: home region lineage (for officers' scope).
    pub home: Field,
    /// Workers: minimum wage. Openings: maximum wage.
    pub wage: Field,
    /// Openings: minimum wage.
    pub wage_min: Field,
    /// Days since 1970: workers' available-from, openings' start date.
    pub day: Field,
    /// Openings: deadline (days since 1970).
    pub deadline: Field,
    /// Openings: Chinese text (jieba) and English text (stemmed) of the same words, what
    /// free-text search reads (workers have none: nothing searches workers by text).
    pub text_zh: Field,
    pub text_en: Field,
    /// Openings' title, boosted in free-text search.
    pub title_zh: Field,
    /// Workers: their own words about their skills (notes) and labor brands, without the
    /// occupations' names: where the title's precise words (拉面, 氩弧焊, 塔吊) are looked up.
    pub notes_zh: Field,
    /// Facets for search: destination province and occupation major group.
    pub province: Field,
    pub major: Field,
    /// Everything the ranking reads, as tagged 64-bit values (see `columns`).
    pub rank: Field,
    /// Workers: the highest experience step and any certificate (see `columns::worker_bound`).
    pub rank_bound: Field,
    /// Everything needed to explain and show a result, as JSON (no phone or ID numbers).
    pub data: Field,
}

pub fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let zh = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(JIEBA)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let en = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(ENGLISH)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        kind: b.add_text_field("kind", STRING | FAST),
        key: b.add_text_field("key", STRING),
        id: b.add_i64_field("id", INDEXED | STORED | FAST),
        occupation: b.add_text_field("occupation", STRING),
        opening_occupation: b.add_text_field("opening_occupation", STRING),
        certified: b.add_text_field("certified", STRING),
        region: b.add_text_field("region", STRING),
        opening_region: b.add_text_field("opening_region", STRING),
        home: b.add_text_field("home", STRING),
        wage: b.add_i64_field("wage", INDEXED | FAST),
        wage_min: b.add_i64_field("wage_min", INDEXED | FAST),
        day: b.add_i64_field("day", INDEXED | FAST),
        deadline: b.add_i64_field("deadline", INDEXED | FAST),
        text_zh: b.add_text_field("text_zh", zh.clone()),
        text_en: b.add_text_field("text_en", en),
        title_zh: b.add_text_field("title_zh", zh.clone()),
        notes_zh: b.add_text_field("notes_zh", zh),
        province: b.add_facet_field("province", tantivy::schema::FacetOptions::default()),
        major: b.add_facet_field("major", tantivy::schema::FacetOptions::default()),
        rank: b.add_u64_field(super::rank::RANK_FIELD, FAST),
        rank_bound: b.add_u64_field(super::rank::BOUND_FIELD, FAST),
        data: b.add_text_field("data", STORED),
    };
    (b.build(), fields)
}

/// Custom tokenizers are not stored in the index: register them every time one is opened.
pub fn register_tokenizers(index: &Index) {
    index.tokenizers().register(JIEBA, jieba_analyzer());
    let english = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(Stemmer::new(tantivy::tokenizer::Language::English))
        .build();
    index.tokenizers().register(ENGLISH, english);
}

/// The Chinese analyzer of the text fields (also used to cut titles into words outside the
/// index, so both sides see the same words).
pub fn jieba_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(tantivy_jieba::JiebaTokenizer::new())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .build()
}

/// Days since 1970-01-01, the unit of the date fast fields.
pub fn day_number(date: chrono::NaiveDate) -> i64 {
    (date - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()).num_days()
}
