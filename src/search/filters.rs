//! The sets of documents a candidate search filters on, as one bit per document of a segment.
//!
//! Why: at a million workers a common trade admits some 180,000 documents by occupation, and
//! tantivy's intersection of five filters over them (term unions seeked document by document,
//! fast-field ranges looked up one by one) cost as much as the ranking itself. Here the trade
//! and the term filters (worker, destination, home region, the title's words in the notes)
//! become bitsets combined with word-wide OR and AND, and only the documents left are visited.
//!
//! A term held by many documents of a segment is kept as a bitset between requests: a
//! segment never changes (deletions are the alive bitset's business, checked apart), and the
//! dense terms are few and shared by every opening (a province, "anywhere", a common trade).
//! A rarer term is read from its postings each time, which is cheaper than OR-ing a bitset of
//! the whole segment. The cache is bounded by bytes; a term it no longer holds is read again,
//! so an answer never depends on what the cache holds.

use std::sync::Arc;

use quick_cache::sync::Cache;
use quick_cache::Weighter;
use tantivy::index::SegmentId;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, SegmentReader, Term, TERMINATED};

/// A term is kept as a bitset when at least one document in this many holds it.
const DENSE: u32 = 64;

/// One bit per document of a segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocBits {
    words: Vec<u64>,
}

impl DocBits {
    pub fn empty(max_doc: u32) -> DocBits {
        DocBits {
            words: vec![0; (max_doc as usize).div_ceil(64)],
        }
    }

    pub fn full(max_doc: u32) -> DocBits {
        let mut bits = DocBits {
            words: vec![u64::MAX; (max_doc as usize).div_ceil(64)],
        };
        if !max_doc.is_multiple_of(64) {
            if let Some(last) = bits.words.last_mut() {
                *last = (1 << (max_doc % 64)) - 1;
            }
        }
        bits
    }

    #[inline]
    pub fn insert(&mut self, doc: DocId) {
        self.words[doc as usize / 64] |= 1 << (doc % 64);
    }

    #[inline]
    pub fn contains(&self, doc: DocId) -> bool {
        self.words
            .get(doc as usize / 64)
            .is_some_and(|w| w & (1 << (doc % 64)) != 0)
    }

    pub fn union_with(&mut self, other: &DocBits) {
        for (w, o) in self.words.iter_mut().zip(&other.words) {
            *w |= o;
        }
    }

    pub fn intersect_with(&mut self, other: &DocBits) {
        for (w, o) in self.words.iter_mut().zip(&other.words) {
            *w &= o;
        }
    }

    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|w| *w == 0)
    }

    /// The documents held, in order.
    pub fn iter(&self) -> impl Iterator<Item = DocId> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                (w != 0).then(|| {
                    let bit = w.trailing_zeros();
                    w &= w - 1;
                    i as DocId * 64 + bit
                })
            })
        })
    }

    fn bytes(&self) -> u64 {
        self.words.len() as u64 * 8
    }
}

/// A filter of a candidate search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filter {
    /// Documents holding any of these terms of a string field.
    AnyTerm(Field, Vec<String>),
    /// Documents with a value of an i64 fast field in `lo..=hi`.
    I64In(Field, i64, i64),
}

impl Filter {
    pub fn any_term(field: Field, terms: impl IntoIterator<Item = String>) -> Filter {
        let mut terms: Vec<String> = terms.into_iter().collect();
        terms.sort();
        terms.dedup();
        Filter::AnyTerm(field, terms)
    }
}

type Key = (SegmentId, Field, String);

#[derive(Clone, Copy)]
struct Bytes;

impl Weighter<Key, Arc<DocBits>> for Bytes {
    fn weight(&self, _key: &Key, bits: &Arc<DocBits>) -> u64 {
        bits.bytes().max(1)
    }
}

/// Dense terms' documents per segment, bounded by bytes.
pub struct FilterCache {
    inner: Cache<Key, Arc<DocBits>, Bytes>,
}

impl FilterCache {
    pub fn new(max_bytes: u64) -> FilterCache {
        // Sized for segments of some 150,000 documents (19 KB a term).
        let entries = (max_bytes / 19_000).max(16) as usize;
        FilterCache {
            inner: Cache::with_weighter(entries, max_bytes.max(1), Bytes),
        }
    }

    /// The documents of `reader`'s segment holding any of `terms` of `field` (deleted ones
    /// included).
    pub fn any_term(
        &self,
        reader: &SegmentReader,
        field: Field,
        terms: &[String],
    ) -> tantivy::Result<DocBits> {
        let mut out = DocBits::empty(reader.max_doc());
        let inverted = reader.inverted_index(field)?;
        for text in terms {
            let term = Term::from_field_text(field, text);
            let Some(info) = inverted.get_term_info(&term)? else {
                continue;
            };
            if info.doc_freq >= reader.max_doc() / DENSE {
                let key = (reader.segment_id(), field, text.clone());
                let bits = match self.inner.get(&key) {
                    Some(bits) => bits,
                    None => {
                        let mut bits = DocBits::empty(reader.max_doc());
                        let mut postings = inverted
                            .read_postings_from_terminfo(&info, IndexRecordOption::Basic)?;
                        insert_all(&mut postings, &mut bits);
                        let bits = Arc::new(bits);
                        self.inner.insert(key, bits.clone());
                        bits
                    }
                };
                out.union_with(&bits);
            } else {
                let mut postings =
                    inverted.read_postings_from_terminfo(&info, IndexRecordOption::Basic)?;
                insert_all(&mut postings, &mut out);
            }
        }
        Ok(out)
    }
}

fn insert_all(docs: &mut impl DocSet, bits: &mut DocBits) {
    let mut doc = docs.doc();
    while doc != TERMINATED {
        bits.insert(doc);
        doc = docs.advance();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::schema::{Schema, STRING};
    use tantivy::{doc, Index};

    #[test]
    fn bits_hold_what_the_postings_hold_dense_or_not_and_cached_or_not() {
        let mut schema = Schema::builder();
        let field = schema.add_text_field("t", STRING);
        let index = Index::create_in_ram(schema.build());
        let mut writer: tantivy::IndexWriter =
            index.writer_with_num_threads(1, 15_000_000).unwrap();
        // "a" on every other document (dense), "b" on one in 500 (sparse), "c" nowhere.
        for i in 0..2_000u32 {
            let mut d = doc!();
            if i % 2 == 0 {
                d.add_text(field, "a");
            }
            if i % 500 == 7 {
                d.add_text(field, "b");
            }
            writer.add_document(d).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let reader = searcher.segment_reader(0);
        let cache = FilterCache::new(1 << 20);
        let terms = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        for _ in 0..2 {
            let a = cache.any_term(reader, field, &terms(&["a"])).unwrap();
            assert_eq!(
                a.iter().collect::<Vec<_>>(),
                (0..2_000).step_by(2).collect::<Vec<_>>()
            );
            let b = cache.any_term(reader, field, &terms(&["b", "c"])).unwrap();
            assert_eq!(b.iter().collect::<Vec<_>>(), vec![7, 507, 1007, 1507]);
            let both = cache.any_term(reader, field, &terms(&["a", "b"])).unwrap();
            assert_eq!(both.len(), 1_004);
            assert!(both.contains(507) && both.contains(0) && !both.contains(1));
        }
        assert_eq!(cache.inner.len(), 1, "only the dense term is kept");
    }

    #[test]
    fn and_or_and_iteration_agree() {
        let mut x = DocBits::empty(200);
        let mut y = DocBits::empty(200);
        for d in [0, 63, 64, 130, 199] {
            x.insert(d);
        }
        for d in [63, 130, 150] {
            y.insert(d);
        }
        let mut both = x.clone();
        both.intersect_with(&y);
        assert_eq!(both.iter().collect::<Vec<_>>(), vec![63, 130]);
        x.union_with(&y);
        assert_eq!(x.iter().collect::<Vec<_>>(), vec![0, 63, 64, 130, 150, 199]);
        assert!(!x.is_empty() && DocBits::empty(10).is_empty());
        assert_eq!(
            DocBits::full(130).iter().collect::<Vec<_>>(),
            (0..130).collect::<Vec<_>>()
        );
        assert_eq!(DocBits::full(128).len(), 128);
    }
}
