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
use tantivy::columnar::{Column, DynamicColumn, HasAssociatedColumnType};
use tantivy::index::SegmentId;
use tantivy::postings::TermInfo;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, InvertedIndexReader, SegmentReader, Term, TERMINATED};

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

    /// Removes the documents `other` holds.
    pub fn subtract(&mut self, other: &DocBits) {
        for (w, o) in self.words.iter_mut().zip(&other.words) {
            *w &= !o;
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
        self.words
            .iter()
            .enumerate()
            .flat_map(|(i, &w)| bits_of(i, w))
    }

    /// The documents held by all three, in order, without building the set.
    pub fn iter_and<'a>(
        &'a self,
        b: &'a DocBits,
        c: &'a DocBits,
    ) -> impl Iterator<Item = DocId> + 'a {
        self.words
            .iter()
            .zip(&b.words)
            .zip(&c.words)
            .enumerate()
            .flat_map(|(i, ((&x, &y), &z))| bits_of(i, x & y & z))
    }

    /// Keeps what `keep` says of each document, word by word: `keep(i, word)` gets word `i`
    /// of the set and answers the bits to keep.
    fn retain_words(&mut self, mut keep: impl FnMut(usize, u64) -> u64) {
        for (i, w) in self.words.iter_mut().enumerate() {
            if *w != 0 {
                *w = keep(i, *w);
            }
        }
    }

    fn word(&self, i: usize) -> u64 {
        self.words.get(i).copied().unwrap_or(0)
    }

    fn bytes(&self) -> u64 {
        self.words.len() as u64 * 8
    }
}

/// The documents of word `i` whose bits are set in `w`.
fn bits_of(i: usize, mut w: u64) -> impl Iterator<Item = DocId> {
    std::iter::from_fn(move || {
        (w != 0).then(|| {
            let bit = w.trailing_zeros();
            w &= w - 1;
            i as DocId * 64 + bit
        })
    })
}

/// The bits of word `i` set in `w` whose documents `keep` holds.
fn bits_kept(i: usize, w: u64, keep: impl Fn(DocId) -> bool) -> u64 {
    // Without a branch on `keep`: near a range's limit its answer is a coin toss.
    bits_of(i, w).fold(0u64, |acc, d| acc | (keep(d) as u64) << (d % 64))
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

/// What a cache entry weighs.
trait Weigh {
    fn bytes(&self) -> u64;
}

impl Weigh for DocBits {
    fn bytes(&self) -> u64 {
        DocBits::bytes(self)
    }
}

#[derive(Clone, Copy)]
struct Bytes;

impl<K, V: Weigh> Weighter<K, Arc<V>> for Bytes {
    fn weight(&self, _key: &K, bits: &Arc<V>) -> u64 {
        bits.bytes().max(1)
    }
}

type Kept<K, V> = Cache<K, Arc<V>, Bytes>;

fn kept<K: Eq + std::hash::Hash, V: Weigh>(max_bytes: u64) -> Kept<K, V> {
    // Sized for segments of some 150,000 documents (19 KB a set).
    let entries = (max_bytes / 19_000).max(16) as usize;
    Cache::with_weighter(entries, max_bytes.max(1), Bytes)
}

/// A cache of a few large values, one per segment (a column's least values, keys, copies):
/// one shard, since quick_cache splits the bytes between its shards and refuses a value
/// heavier than a shard's share (a segment of 500,000 documents holds 20 MB of values).
fn kept_whole<K: Eq + std::hash::Hash, V: Weigh>(max_bytes: u64) -> Kept<K, V> {
    let options = quick_cache::OptionsBuilder::new()
        .estimated_items_capacity(64)
        .weight_capacity(max_bytes.max(1))
        .shards(1)
        .build();
    match options {
        Ok(options) => Cache::with_options(options, Bytes, Default::default(), Default::default()),
        Err(_) => Cache::with_weighter(64, max_bytes.max(1), Bytes),
    }
}

/// Dense terms' documents per segment, and the sets read off columns (`RangeBits`, `DocKeys`,
/// the alive documents), bounded by bytes.
pub struct FilterCache {
    terms: Kept<(SegmentId, Field, String), DocBits>,
    unions: Kept<(SegmentId, Field, Vec<String>), DocBits>,
    ranges: Kept<(SegmentId, Field), RangeBits>,
    keys: Kept<(SegmentId, &'static str), DocKeys>,
    values: Kept<(SegmentId, &'static str), DocValues>,
    groups: Kept<(SegmentId, &'static str), DocGroups>,
    alive: Kept<(SegmentId, Option<u64>), DocBits>,
    columns_u64: Kept<(SegmentId, String), Opened<u64>>,
    columns_i64: Kept<(SegmentId, String), Opened<i64>>,
}

/// A segment's fast-field column, opened once: opening one (finding it by name, reading its
/// header) cost a request more than reading the few values it needs.
struct Opened<T>(Column<T>);

impl<T> Weigh for Opened<T> {
    fn bytes(&self) -> u64 {
        // The values stay in the memory-mapped file; this is the handle.
        256
    }
}

/// `reader`'s column `name` of type `T`, from `kept` or opened and kept there.
fn opened<T>(
    kept: &Kept<(SegmentId, String), Opened<T>>,
    reader: &SegmentReader,
    name: &str,
) -> tantivy::Result<Option<Column<T>>>
where
    T: HasAssociatedColumnType,
    DynamicColumn: Into<Option<Column<T>>>,
{
    let key = (reader.segment_id(), name.to_string());
    if let Some(opened) = kept.get(&key) {
        return Ok(Some(opened.0.clone()));
    }
    let Some(column) = reader.fast_fields().column_opt::<T>(name)? else {
        return Ok(None);
    };
    kept.insert(key, Arc::new(Opened(column.clone())));
    Ok(Some(column))
}

/// A number per document of a segment, read off its columns once (`FilterCache::doc_keys`).
pub struct DocKeys(Vec<u32>);

impl DocKeys {
    #[inline]
    pub fn get(&self, doc: DocId) -> u32 {
        self.0.get(doc as usize).copied().unwrap_or(0)
    }

    /// Asks for `doc`'s key, to be read soon (see `DocValues::prefetch_start`).
    #[inline]
    pub fn prefetch(&self, doc: DocId) {
        if let Some(key) = self.0.get(doc as usize) {
            prefetch(key);
        }
    }
}

/// A segment's documents by group: each group's documents in a row, in order, each with a
/// value of its own (its key: read beside the document, it costs no second lookup).
pub struct DocGroups {
    /// Each group held, with where its documents are in `docs`.
    groups: Vec<(u32, std::ops::Range<u32>)>,
    docs: Vec<(DocId, u32)>,
}

impl DocGroups {
    /// From every document's group and value, in document order.
    fn build(group_of_doc: impl Iterator<Item = (u32, u32)>) -> DocGroups {
        let mut pairs: Vec<(u32, DocId, u32)> = group_of_doc
            .enumerate()
            .map(|(doc, (group, value))| (group, doc as DocId, value))
            .collect();
        pairs.sort_unstable_by_key(|(group, doc, _)| (*group, *doc));
        let mut groups: Vec<(u32, std::ops::Range<u32>)> = Vec::new();
        for (at, (group, _, _)) in pairs.iter().enumerate() {
            let at = at as u32;
            match groups.last_mut() {
                Some((last, range)) if last == group => range.end = at + 1,
                _ => groups.push((*group, at..at + 1)),
            }
        }
        DocGroups {
            groups,
            docs: pairs
                .into_iter()
                .map(|(_, doc, value)| (doc, value))
                .collect(),
        }
    }

    /// Each group held and its documents with their values, in order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &[(DocId, u32)])> + '_ {
        self.groups.iter().map(|(group, range)| {
            (
                *group,
                self.docs
                    .get(range.start as usize..range.end as usize)
                    .unwrap_or(&[]),
            )
        })
    }
}

impl Weigh for DocGroups {
    fn bytes(&self) -> u64 {
        self.docs.len() as u64 * 8 + self.groups.len() as u64 * 12
    }
}

/// A u64 column's values, every document's in a row (`FilterCache::doc_values`).
pub struct DocValues {
    /// Document `d`'s values are `values[starts[d]..starts[d + 1]]`.
    starts: Vec<u32>,
    values: Vec<u64>,
}

impl DocValues {
    #[inline]
    pub fn get(&self, doc: DocId) -> &[u64] {
        let d = doc as usize;
        match (self.starts.get(d), self.starts.get(d + 1)) {
            (Some(&a), Some(&b)) => self.values.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// Asks for where `doc`'s values are, to be read soon: a walk reads them for documents
    /// scattered over the segment, and a miss waited for one by one cost it most of its time.
    #[inline]
    pub fn prefetch_start(&self, doc: DocId) {
        if let Some(start) = self.starts.get(doc as usize) {
            prefetch(start);
        }
    }

    /// Asks for `doc`'s values themselves (best once `prefetch_start` has had time).
    #[inline]
    pub fn prefetch_values(&self, doc: DocId) {
        if let Some(value) = self
            .starts
            .get(doc as usize)
            .and_then(|&at| self.values.get(at as usize))
        {
            prefetch(value);
        }
    }
}

/// A hint that `at` will be read soon; it reads nothing and changes nothing.
#[inline]
fn prefetch<T>(at: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: a prefetch is only a hint: it never faults, whatever the address, and
        // `at` is a live reference anyway.
        unsafe { _mm_prefetch::<_MM_HINT_T0>((at as *const T).cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}

impl Weigh for DocValues {
    fn bytes(&self) -> u64 {
        self.starts.len() as u64 * 4 + self.values.len() as u64 * 8
    }
}

impl Weigh for DocKeys {
    fn bytes(&self) -> u64 {
        self.0.len() as u64 * 4
    }
}

impl FilterCache {
    /// `max_bytes` for the dense terms and as much for dense unions of several; the column
    /// sets of each segment get bounds above what one segment of 10 million documents (the
    /// largest tantivy's merge policy makes) needs, since a set heavier than its cache is
    /// refused and rebuilt on every request: ranges some 10 bytes a document for each field,
    /// keys 4, groups 8, the copied rank values some 40. What they hold grows with the index
    /// (at a million documents some 20 MB of ranges, 4 MB of keys, 8 MB of groups, 40 MB of
    /// values), not with the bounds.
    pub fn new(max_bytes: u64) -> FilterCache {
        FilterCache {
            terms: kept(max_bytes),
            unions: kept(max_bytes),
            ranges: kept_whole(max_bytes * 4),
            keys: kept_whole(max_bytes),
            values: kept_whole(max_bytes * 8),
            groups: kept_whole(max_bytes * 2),
            alive: kept_whole(max_bytes / 4),
            columns_u64: Cache::with_weighter(1_024, 1 << 20, Bytes),
            columns_i64: Cache::with_weighter(1_024, 1 << 20, Bytes),
        }
    }

    /// `reader`'s u64 column `name` (`None`: no such column in the segment).
    pub fn u64_column(
        &self,
        reader: &SegmentReader,
        name: &str,
    ) -> tantivy::Result<Option<Column<u64>>> {
        opened(&self.columns_u64, reader, name)
    }

    /// `reader`'s i64 column `name` (`None`: no such column in the segment).
    pub fn i64_column(
        &self,
        reader: &SegmentReader,
        name: &str,
    ) -> tantivy::Result<Option<Column<i64>>> {
        opened(&self.columns_i64, reader, name)
    }

    /// The documents of `reader`'s segment holding any of `terms` of `field` (deleted ones
    /// included). A dense answer is shared from the cache: a term's own set, or the union of
    /// several when together they are dense (an opening's regions, a trade's codes: the same
    /// few lists come back request after request).
    pub fn any_term(
        &self,
        reader: &SegmentReader,
        field: Field,
        terms: &[String],
    ) -> tantivy::Result<Arc<DocBits>> {
        let inverted = reader.inverted_index(field)?;
        let mut found = Vec::with_capacity(terms.len());
        for text in terms {
            let term = Term::from_field_text(field, text);
            if let Some(info) = inverted.get_term_info(&term)? {
                found.push((text, info));
            }
        }
        let dense = reader.max_doc() / DENSE;
        let union = |found: &[(&String, TermInfo)]| -> tantivy::Result<DocBits> {
            let mut out = DocBits::empty(reader.max_doc());
            for (text, info) in found {
                if info.doc_freq >= dense {
                    let bits = self.term_bits(reader, field, &inverted, text, info)?;
                    out.union_with(&bits);
                } else {
                    let mut postings =
                        inverted.read_postings_from_terminfo(info, IndexRecordOption::Basic)?;
                    insert_all(&mut postings, &mut out);
                }
            }
            Ok(out)
        };
        match found.as_slice() {
            [(text, info)] if info.doc_freq >= dense => {
                self.term_bits(reader, field, &inverted, text, info)
            }
            many if many.len() > 1
                && many.iter().map(|(_, i)| u64::from(i.doc_freq)).sum::<u64>()
                    >= u64::from(dense) =>
            {
                let key = (reader.segment_id(), field, terms.to_vec());
                self.unions
                    .get_or_insert_with(&key, || union(many).map(Arc::new))
            }
            few => union(few).map(Arc::new),
        }
    }

    /// A dense term's documents, from the cache or read and kept.
    fn term_bits(
        &self,
        reader: &SegmentReader,
        field: Field,
        inverted: &InvertedIndexReader,
        text: &str,
        info: &TermInfo,
    ) -> tantivy::Result<Arc<DocBits>> {
        let key = (reader.segment_id(), field, text.to_string());
        self.terms.get_or_insert_with(&key, || {
            let mut bits = DocBits::empty(reader.max_doc());
            let mut postings =
                inverted.read_postings_from_terminfo(info, IndexRecordOption::Basic)?;
            insert_all(&mut postings, &mut bits);
            tantivy::Result::Ok(Arc::new(bits))
        })
    }

    /// `field`'s i64 column of `reader`'s segment as `RangeBits` (`None`: no such column).
    pub fn range(
        &self,
        reader: &SegmentReader,
        field: Field,
    ) -> tantivy::Result<Option<(Column<i64>, Arc<RangeBits>)>> {
        let name = reader.schema().get_field_name(field);
        let Some(column) = self.i64_column(reader, name)? else {
            return Ok(None);
        };
        let bits = self
            .ranges
            .get_or_insert_with(&(reader.segment_id(), field), || {
                Ok::<_, std::convert::Infallible>(Arc::new(RangeBits::build(
                    &column,
                    reader.max_doc(),
                )))
            })
            .unwrap_or_else(|never| match never {});
        Ok(Some((column, bits)))
    }

    /// `key_of` every document of `reader`'s segment, kept under `name` (one name, one
    /// function).
    pub fn doc_keys(
        &self,
        reader: &SegmentReader,
        name: &'static str,
        key_of: impl Fn(DocId) -> u32,
    ) -> Arc<DocKeys> {
        self.keys
            .get_or_insert_with(&(reader.segment_id(), name), || {
                Ok::<_, std::convert::Infallible>(Arc::new(DocKeys(
                    (0..reader.max_doc()).map(key_of).collect(),
                )))
            })
            .unwrap_or_else(|never| match never {})
    }

    /// The documents of `reader`'s segment by `group_of` their key (`keys`), kept under
    /// `name` (one name, one function).
    pub fn doc_groups(
        &self,
        reader: &SegmentReader,
        name: &'static str,
        keys: &DocKeys,
        group_of: impl Fn(u32) -> u32,
    ) -> Arc<DocGroups> {
        self.groups
            .get_or_insert_with(&(reader.segment_id(), name), || {
                Ok::<_, std::convert::Infallible>(Arc::new(DocGroups::build(
                    (0..reader.max_doc()).map(|doc| {
                        let key = keys.get(doc);
                        (group_of(key), key)
                    }),
                )))
            })
            .unwrap_or_else(|never| match never {})
    }

    /// Every document's values of `reader`'s u64 column `name`, copied out of the column once
    /// per segment: the ranking reads a thousand workers' values a request, and a
    /// multi-valued column's lookup (row index, then bit-unpacking) cost more than the
    /// scoring.
    pub fn doc_values(
        &self,
        reader: &SegmentReader,
        name: &'static str,
    ) -> tantivy::Result<Arc<DocValues>> {
        let key = (reader.segment_id(), name);
        // One build per segment, however many requests ask at once (the others wait for it).
        self.values.get_or_insert_with(&key, || {
            let column = self.u64_column(reader, name)?;
            let mut starts = Vec::with_capacity(reader.max_doc() as usize + 1);
            let mut values = Vec::new();
            starts.push(0);
            for doc in 0..reader.max_doc() {
                if let Some(column) = &column {
                    values.extend(column.values_for_doc(doc));
                }
                let end = u32::try_from(values.len()).map_err(|_| {
                    tantivy::TantivyError::InternalError(format!(
                        "more than 2^32 values of {name} in one segment"
                    ))
                })?;
                starts.push(end);
            }
            tantivy::Result::Ok(Arc::new(DocValues { starts, values }))
        })
    }

    /// The documents of `reader`'s segment that are not deleted. A segment's deletions only
    /// grow, each set named by the opstamp of the deletes applied to it.
    pub fn alive(&self, reader: &SegmentReader) -> Arc<DocBits> {
        let max_doc = reader.max_doc();
        let Some(alive) = reader.alive_bitset() else {
            return Arc::new(DocBits::full(max_doc));
        };
        self.alive
            .get_or_insert_with(&(reader.segment_id(), reader.delete_opstamp()), || {
                let mut bits = DocBits::empty(max_doc);
                for doc in alive.iter_alive() {
                    bits.insert(doc);
                }
                Ok::<_, std::convert::Infallible>(Arc::new(bits))
            })
            .unwrap_or_else(|never| match never {})
    }
}

/// At most this many boundaries of a column are kept as sets (`RangeBits`): a bit per
/// document each, and the documents between two of them (a 64th of a segment's) are the ones
/// looked up one by one, at a cache miss each.
const RANGE_STEPS: usize = 64;

/// A numeric column's documents by value, for filters of "at most": the documents whose least
/// value is at most each of a few boundaries (every distinct value when there are few, else
/// the segment's quantiles), so that "some value <= hi" is one AND for every document but
/// those between the two boundaries around `hi`, which are checked on the column itself.
pub struct RangeBits {
    /// Ascending, distinct.
    bounds: Vec<i64>,
    /// Every distinct least value of a document, ascending.
    values: Vec<i64>,
    /// Each document's least value as its place in `values` (`values.len()`: none), for the
    /// documents near a limit: read here, a value costs a load instead of a column lookup,
    /// and as a place in two bytes (when there are few values) the loads mostly hit the cache.
    least: LeastPlaces,
    /// `at_most[j]`: the documents with a value at most `bounds[j]`.
    at_most: Vec<DocBits>,
}

impl Weigh for RangeBits {
    fn bytes(&self) -> u64 {
        self.at_most.iter().map(DocBits::bytes).sum::<u64>()
            + (self.bounds.len() + self.values.len()) as u64 * 8
            + self.least.bytes()
    }
}

/// Each document's place in a sorted list of values, in as few bytes as the list needs.
enum LeastPlaces {
    Narrow(Vec<u16>),
    Wide(Vec<u32>),
}

impl LeastPlaces {
    fn new(places: impl ExactSizeIterator<Item = u32>, most: u32) -> LeastPlaces {
        if most <= u32::from(u16::MAX) {
            LeastPlaces::Narrow(places.map(|p| p as u16).collect())
        } else {
            LeastPlaces::Wide(places.collect())
        }
    }

    /// Document `doc`'s place (`u32::MAX` past the end).
    #[inline]
    fn get(&self, doc: DocId) -> u32 {
        match self {
            LeastPlaces::Narrow(p) => p.get(doc as usize).map_or(u32::MAX, |&v| u32::from(v)),
            LeastPlaces::Wide(p) => p.get(doc as usize).copied().unwrap_or(u32::MAX),
        }
    }

    fn bytes(&self) -> u64 {
        match self {
            LeastPlaces::Narrow(p) => p.len() as u64 * 2,
            LeastPlaces::Wide(p) => p.len() as u64 * 4,
        }
    }
}

impl RangeBits {
    pub fn build(column: &Column<i64>, max_doc: u32) -> RangeBits {
        let least: Vec<Option<i64>> = (0..max_doc)
            .map(|doc| column.values_for_doc(doc).min())
            .collect();
        let mut sorted: Vec<i64> = least.iter().flatten().copied().collect();
        sorted.sort_unstable();
        let mut values = sorted.clone();
        values.dedup();
        let bounds = if values.len() > RANGE_STEPS {
            let mut quantiles: Vec<i64> = (1..=RANGE_STEPS)
                .map(|k| sorted[sorted.len() * k / RANGE_STEPS - 1])
                .collect();
            quantiles.dedup();
            quantiles
        } else {
            values.clone()
        };
        let mut at_most = vec![DocBits::empty(max_doc); bounds.len()];
        for (doc, value) in least.iter().enumerate() {
            if let Some(v) = value {
                at_most[bounds.partition_point(|b| b < v)].insert(doc as DocId);
            }
        }
        for j in 1..at_most.len() {
            let (below, rest) = at_most.split_at_mut(j);
            rest[0].union_with(&below[j - 1]);
        }
        let none = values.len() as u32;
        let places = least
            .iter()
            .map(|v| v.map_or(none, |v| values.partition_point(|x| *x < v) as u32));
        let least = LeastPlaces::new(places, none);
        RangeBits {
            bounds,
            values,
            least,
            at_most,
        }
    }

    /// Keeps in `docs` those with a value of `column` (the one this was built from) in
    /// `lo..=hi`. Without a lower limit, only the documents between two boundaries are looked
    /// up, in the least values kept; with one, every document is, in the column.
    pub fn restrict(&self, docs: &mut DocBits, lo: i64, hi: i64, column: &Column<i64>) {
        let exact = |doc: DocId| column.values_for_doc(doc).any(|v| (lo..=hi).contains(&v));
        let checked = |i: usize, w: u64| bits_kept(i, w, exact);
        if lo != i64::MIN {
            docs.retain_words(checked);
            return;
        }
        let j = self.bounds.partition_point(|b| *b <= hi);
        let sure = j.checked_sub(1).map(|k| &self.at_most[k]);
        match self.at_most.get(j) {
            // `hi` is at least every value: the documents with a value pass.
            None => match sure {
                Some(all) => docs.intersect_with(all),
                None => docs.retain_words(|_, _| 0),
            },
            Some(edge) => {
                // "Some value at most `hi`" is "the least value at most `hi`": its place is
                // before the first value above `hi`.
                let above = self.values.partition_point(|v| *v <= hi) as u32;
                let least = |i: usize, w: u64| bits_kept(i, w, |d| self.least.get(d) < above);
                docs.retain_words(|i, w| {
                    let sure = sure.map_or(0, |s| s.word(i));
                    (w & sure) | least(i, w & edge.word(i) & !sure)
                })
            }
        }
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
        assert_eq!(cache.terms.len(), 1, "only the dense term is kept");
    }

    #[test]
    fn a_segments_copied_values_are_its_columns_and_are_kept_however_heavy() {
        let mut schema = Schema::builder();
        let field = schema.add_u64_field("v", tantivy::schema::FAST);
        let index = Index::create_in_ram(schema.build());
        let mut writer: tantivy::IndexWriter =
            index.writer_with_num_threads(1, 50_000_000).unwrap();
        // 40,000 documents of 0 to 3 values: some 600 KB copied, more than an eighth of the
        // cache (the share of one of eight shards, which quick_cache would refuse).
        for i in 0..40_000u64 {
            let mut d = doc!();
            for k in 0..i % 4 {
                d.add_u64(field, i * 10 + k);
            }
            writer.add_document(d).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let reader = searcher.segment_reader(0);
        let cache = FilterCache::new(1 << 18);
        let column = reader.fast_fields().u64("v").unwrap();
        for _ in 0..2 {
            let values = cache.doc_values(reader, "v").unwrap();
            // More than an eighth of the values cache (8 × 256 KB).
            assert!(values.bytes() > (8 << 18) / 8);
            for doc in [0, 1, 2, 3, 39_999, 12_345] {
                assert_eq!(
                    values.get(doc),
                    column.values_for_doc(doc).collect::<Vec<_>>().as_slice()
                );
            }
            assert_eq!(values.get(40_000), &[] as &[u64]);
        }
        assert_eq!(cache.values.len(), 1, "kept, not refused");
    }

    #[test]
    fn groups_hold_every_document_once_in_order_with_its_value() {
        let groups = DocGroups::build([3u32, 1, 3, 0, 1, 3].into_iter().zip([9u32, 8, 7, 6, 5, 4]));
        let got: Vec<(u32, Vec<(DocId, u32)>)> =
            groups.iter().map(|(g, d)| (g, d.to_vec())).collect();
        assert_eq!(
            got,
            vec![
                (0, vec![(3, 6)]),
                (1, vec![(1, 8), (4, 5)]),
                (3, vec![(0, 9), (2, 7), (5, 4)])
            ]
        );
        assert_eq!(DocGroups::build(std::iter::empty()).iter().count(), 0);
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

    #[test]
    fn ranges_keep_exactly_the_documents_in_range_at_every_limit() {
        let mut schema = Schema::builder();
        let few = schema.add_i64_field("few", tantivy::schema::FAST);
        let many = schema.add_i64_field("many", tantivy::schema::FAST);
        let index = Index::create_in_ram(schema.build());
        let mut writer: tantivy::IndexWriter =
            index.writer_with_num_threads(1, 15_000_000).unwrap();
        // "few": 13 distinct values (every one a boundary); "many": hundreds (quantiles, so the
        // documents between two boundaries are looked up); a few documents have no value, some
        // two.
        let value = |i: i64| (i * 7_919) % 977 - 300;
        for i in 0..3_000i64 {
            let mut d = doc!();
            if i % 101 != 5 {
                d.add_i64(few, 3_000 + 500 * (i % 13));
                d.add_i64(many, value(i));
            }
            if i % 37 == 0 {
                d.add_i64(many, value(i) + 400);
            }
            writer.add_document(d).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let reader = searcher.segment_reader(0);
        let cache = FilterCache::new(1 << 24);
        for field in [few, many] {
            let (column, bits) = cache.range(reader, field).unwrap().unwrap();
            assert!(bits.bounds.len() <= RANGE_STEPS);
            let mut some = DocBits::empty(reader.max_doc());
            for d in (0..3_000).filter(|d| d % 3 != 1) {
                some.insert(d);
            }
            for (lo, hi) in [
                (i64::MIN, i64::MIN),
                (i64::MIN, -301),
                (i64::MIN, -300),
                (i64::MIN, 0),
                (i64::MIN, 3_000),
                (i64::MIN, 3_499),
                (i64::MIN, 5_500),
                (i64::MIN, 9_000),
                (i64::MIN, i64::MAX),
                (0, 5_000),
            ] {
                for start in [DocBits::full(reader.max_doc()), some.clone()] {
                    let mut got = start.clone();
                    bits.restrict(&mut got, lo, hi, &column);
                    let expected: Vec<DocId> = start
                        .iter()
                        .filter(|d| column.values_for_doc(*d).any(|v| (lo..=hi).contains(&v)))
                        .collect();
                    assert_eq!(got.iter().collect::<Vec<_>>(), expected, "{lo}..={hi}");
                }
            }
        }
        assert_eq!(cache.ranges.len(), 2);
    }
}
