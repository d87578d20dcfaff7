//! The in-memory tantivy index over the catalogue: tokenizers (jieba words, character runs),
//! fields with their boosts, BM25 queries.

use std::sync::Arc;

use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED, STORED, STRING,
};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use tantivy::{Index, Searcher, TantivyDocument, Term};
use tantivy_jieba::jieba_rs::{Jieba, TokenizeMode};

use super::vocabulary::Entry;

pub(super) const WRITER_MEMORY: usize = 50_000_000;

pub(super) const JIEBA: &str = "jieba";

pub(super) const BIGRAM: &str = "bigram";

pub(super) const UNIGRAM: &str = "unigram";

/// Word fields and their BM25 boosts: what people call a job matters more than how the
/// catalogue describes it.
pub(super) struct FieldBoosts {
    pub(super) name: f32,
    pub(super) aliases: f32,
    pub(super) groups: f32,
    pub(super) definition: f32,
    pub(super) tasks: f32,
}

pub(super) const BOOSTS: FieldBoosts = FieldBoosts {
    name: 4.0,
    aliases: 3.0,
    groups: 0.7,
    definition: 1.0,
    tasks: 0.4,
};

/// Jieba behind an `Arc`: tantivy clones tokenizers per field and segment, and a `Jieba` owns
/// its whole dictionary.
#[derive(Clone)]
pub(super) struct JiebaWords {
    pub(super) jieba: Arc<Jieba>,
    pub(super) mode: TokenizeMode,
}

impl JiebaWords {
    /// Words in the given mode, lower-cased, punctuation dropped.
    pub(super) fn words(&self, text: &str) -> Vec<Token> {
        self.jieba
            .tokenize(text, self.mode, true)
            .into_iter()
            .filter(|t| t.word.chars().any(char::is_alphanumeric))
            .map(|t| Token {
                offset_from: t.byte_start,
                offset_to: t.byte_end,
                position: t.start,
                text: t.word.to_lowercase(),
                position_length: t.end.saturating_sub(t.start).max(1),
            })
            .collect()
    }
}

impl Tokenizer for JiebaWords {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        VecTokenStream::new(self.words(text))
    }
}

/// Overlapping runs of `n` characters within words: pairs match compounds the word segmenter
/// splits differently on the two sides, single characters are the last resort.
#[derive(Clone)]
pub(super) struct CharGrams(pub(super) usize);

pub(super) fn char_grams(text: &str, n: usize) -> Vec<String> {
    let lowered = text.to_lowercase();
    let mut grams = Vec::new();
    for run in lowered.split(|c: char| !c.is_alphanumeric()) {
        let chars: Vec<char> = run.chars().collect();
        grams.extend(
            chars
                .windows(n.max(1))
                .map(|w| w.iter().collect::<String>()),
        );
    }
    grams
}

pub(super) fn bigrams(text: &str) -> Vec<String> {
    char_grams(text, 2)
}

impl Tokenizer for CharGrams {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let tokens = char_grams(text, self.0)
            .into_iter()
            .enumerate()
            .map(|(position, text)| Token {
                position,
                text,
                ..Token::default()
            })
            .collect();
        VecTokenStream::new(tokens)
    }
}

pub(super) struct VecTokenStream {
    pub(super) tokens: std::vec::IntoIter<Token>,
    pub(super) current: Token,
}

impl VecTokenStream {
    pub(super) fn new(tokens: Vec<Token>) -> Self {
        VecTokenStream {
            tokens: tokens.into_iter(),
            current: Token::default(),
        }
    }
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        match self.tokens.next() {
            Some(token) => {
                self.current = token;
                true
            }
            None => false,
        }
    }

    fn token(&self) -> &Token {
        &self.current
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.current
    }
}

#[derive(Clone, Copy)]
pub(super) struct Fields {
    pub(super) name: Field,
    pub(super) aliases: Field,
    pub(super) groups: Field,
    pub(super) definition: Field,
    pub(super) tasks: Field,
    pub(super) grams: Field,
    pub(super) chars: Field,
    pub(super) code: Field,
    pub(super) level: Field,
    pub(super) ord: Field,
}

impl Fields {
    pub(super) fn schema() -> (Schema, Fields) {
        let text = |tokenizer: &str| {
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(tokenizer)
                    .set_index_option(IndexRecordOption::WithFreqs),
            )
        };
        let mut builder = Schema::builder();
        let fields = Fields {
            name: builder.add_text_field("name", text(JIEBA)),
            aliases: builder.add_text_field("aliases", text(JIEBA)),
            groups: builder.add_text_field("groups", text(JIEBA)),
            definition: builder.add_text_field("definition", text(JIEBA)),
            tasks: builder.add_text_field("tasks", text(JIEBA)),
            grams: builder.add_text_field("grams", text(BIGRAM)),
            chars: builder.add_text_field("chars", text(UNIGRAM)),
            code: builder.add_text_field("code", STRING | STORED),
            level: builder.add_i64_field("level", INDEXED | STORED),
            ord: builder.add_u64_field("ord", FAST),
        };
        (builder.build(), fields)
    }

    pub(super) fn weighted_words(&self) -> [(Field, f32); 5] {
        [
            (self.name, BOOSTS.name),
            (self.aliases, BOOSTS.aliases),
            (self.groups, BOOSTS.groups),
            (self.definition, BOOSTS.definition),
            (self.tasks, BOOSTS.tasks),
        ]
    }
}

pub(super) fn term_clause(field: Field, text: &str, boost: f32) -> (Occur, Box<dyn Query>) {
    let term = TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    );
    (
        Occur::Should,
        Box::new(BoostQuery::new(Box::new(term), boost)),
    )
}

pub(super) fn non_empty(clauses: Vec<(Occur, Box<dyn Query>)>) -> Option<Box<dyn Query>> {
    (!clauses.is_empty()).then(|| Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>)
}

pub(super) fn write_entries(
    index: &Index,
    fields: Fields,
    entries: &[Entry],
) -> anyhow::Result<()> {
    let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, WRITER_MEMORY)?;
    for (ord, entry) in entries.iter().enumerate() {
        let mut doc = TantivyDocument::default();
        doc.add_text(fields.name, &entry.name);
        doc.add_text(fields.grams, &entry.name);
        doc.add_text(fields.chars, &entry.name);
        for alias in &entry.aliases {
            doc.add_text(fields.aliases, alias);
            doc.add_text(fields.grams, alias);
            doc.add_text(fields.chars, alias);
        }
        for group in &entry.groups {
            doc.add_text(fields.groups, group);
        }
        doc.add_text(fields.definition, &entry.definition);
        doc.add_text(fields.tasks, &entry.tasks);
        doc.add_text(fields.code, &entry.code);
        doc.add_i64(fields.level, i64::from(entry.level));
        doc.add_u64(fields.ord, ord as u64);
        writer.add_document(doc)?;
    }
    writer.commit()?;
    Ok(())
}

/// Maps every (segment, doc) to its occupation once, so a search needs no stored-field reads.
pub(super) fn doc_ords(searcher: &Searcher) -> anyhow::Result<Vec<Vec<usize>>> {
    searcher
        .segment_readers()
        .iter()
        .map(|segment| {
            let column = segment.fast_fields().u64("ord")?;
            Ok((0..segment.max_doc())
                .map(|doc| column.first(doc).map_or(usize::MAX, |ord| ord as usize))
                .collect())
        })
        .collect()
}
