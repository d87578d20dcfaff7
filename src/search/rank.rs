//! Ranking from the `rank` column (see `columns`) with `score::score_match`, the function the
//! explanations use, keeping the best `limit` of each segment. Only those are read from the
//! document store afterwards, to be explained.
//!
//! Candidates of an opening (`rank_candidates`): the workers passing the filters are found
//! as bitsets (see `filters`) and counted, then scored best static bound first, so the many who
//! cannot enter the list are never scored. Matches for a worker (`MatchRanker`): a tantivy
//! collector scoring every opening the query admits.
//!
//! The text part: each of the opening's title words scores a power of two when a worker's notes
//! contain it, so a worker's query score is the set of title words found (see `WordScores`),
//! as the raw engine's query with one should-clause per word scores it. Openings carry their
//! title words' hashes in the column instead, and a worker's note words are compared with them.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::sync::atomic::{AtomicU32, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::schema::Field;
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentOrdinal, SegmentReader};

use super::columns::{bound_of, code_number, OpeningColumns, WorkerColumns};
use super::filters::{DocBits, DocValues, Filter, FilterCache};
use super::relatedness::MIN_FIT;
use super::score::{
    experience_step, recency, score_bound, score_bound_with, score_match, Ranking, SkillInputs,
    TieBounds, TITLE_WORDS_COUNTED,
};
use super::Segments;
use crate::domain::requirements::Requirements;

mod walk;
pub use walk::Walk;
use walk::{walk_buckets, walk_groups, Passing, SPARSE};

/// The `rank` and `id` fast fields' names (see `schema`).
pub const RANK_FIELD: &str = "rank";
pub const ID_FIELD: &str = "id";
pub const BOUND_FIELD: &str = "rank_bound";

/// Up to this many title words, each has its own bit in the query's score (a sum of distinct
/// powers of two below 2^24 is exact in an f32); beyond, each counts 1 and the words found are
/// looked up again for the answers only.
pub const MASKED_WORDS: usize = 24;

/// How a document's query score says which title words its notes contain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WordScores {
    /// Word `i` scores 2^i: the score is the set of words found.
    Mask,
    /// Every word scores 1: the score is how many were found.
    Count,
}

impl WordScores {
    pub fn for_words(n: usize) -> WordScores {
        if n <= MASKED_WORDS {
            WordScores::Mask
        } else {
            WordScores::Count
        }
    }

    /// The constant score of title word `i`'s clause.
    pub fn clause_score(self, i: usize) -> f32 {
        match self {
            WordScores::Mask => (1u32 << i) as f32,
            WordScores::Count => 1.0,
        }
    }

    fn found(self, score: Score) -> usize {
        match self {
            WordScores::Mask => (score as u32).count_ones() as usize,
            WordScores::Count => score as usize,
        }
    }
}

/// One ranked document: its score, its id (ties go to the lower) and where it is.
#[derive(Clone, Copy, Debug)]
pub struct Ranked {
    pub total: f32,
    pub id: i64,
    pub addr: DocAddress,
    /// The query's score (for candidates: which title words were found, see `WordScores`).
    pub query_score: Score,
}

impl Ranked {
    /// Best first: the higher score, then the lower id.
    pub fn order(a: &Ranked, b: &Ranked) -> Ordering {
        b.total.total_cmp(&a.total).then(a.id.cmp(&b.id))
    }
}

/// Heap entry whose greatest is the worst kept.
struct Worst(Ranked);

impl PartialEq for Worst {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Worst {}
impl PartialOrd for Worst {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Worst {
    fn cmp(&self, other: &Self) -> Ordering {
        Ranked::order(&self.0, &other.0)
    }
}

/// The best `limit` documents seen, and how many were scored at all.
struct TopK {
    limit: usize,
    heap: BinaryHeap<Worst>,
}

impl TopK {
    fn new(limit: usize) -> TopK {
        TopK {
            limit,
            heap: BinaryHeap::with_capacity(limit + 1),
        }
    }

    /// Offers a document; its id is only read when it can be kept.
    #[inline]
    fn offer(
        &mut self,
        total: f32,
        id: impl FnOnce() -> i64,
        addr: DocAddress,
        query_score: Score,
    ) {
        if self.limit == 0 {
            return;
        }
        if self.heap.len() >= self.limit {
            let worst = &self.heap.peek().expect("a full heap").0;
            if total < worst.total {
                return;
            }
            let entry = Ranked {
                total,
                id: id(),
                addr,
                query_score,
            };
            if Ranked::order(&entry, worst) == Ordering::Less {
                self.heap.pop();
                self.heap.push(Worst(entry));
            }
        } else {
            self.heap.push(Worst(Ranked {
                total,
                id: id(),
                addr,
                query_score,
            }));
        }
    }

    /// The score a document must reach to be kept, once the heap is full.
    #[inline]
    fn threshold(&self) -> Option<f32> {
        if self.heap.len() >= self.limit {
            self.heap.peek().map(|w| w.0.total)
        } else {
            None
        }
    }

    fn into_vec(self) -> Vec<Ranked> {
        self.heap.into_iter().map(|w| w.0).collect()
    }
}

/// The lowest score the list can still end at, as far as a request's segments know: the
/// highest of their full lists' worst. A segment's `limit` workers at or above it rank every
/// worker below it out, whichever segment that worker is in, so each segment stops at it
/// rather than at its own list's worst (each segment used to score until its own `limit` were
/// settled). Workers scoring exactly it are still scored: the lower id wins a tie.
#[derive(Default)]
pub struct SharedFloor(AtomicU32);

impl SharedFloor {
    /// 0 is no floor yet (it is the code of a NaN, which no list's worst is).
    fn code(x: f32) -> u32 {
        // `total_cmp`'s order as unsigned integers.
        let bits = x.to_bits();
        if bits >> 31 == 1 {
            !bits
        } else {
            bits | 0x8000_0000
        }
    }

    fn value(code: u32) -> f32 {
        if code >> 31 == 1 {
            f32::from_bits(code & 0x7fff_ffff)
        } else {
            f32::from_bits(!code)
        }
    }

    #[inline]
    pub fn get(&self) -> Option<f32> {
        match self.0.load(AtomicOrdering::Relaxed) {
            0 => None,
            code => Some(Self::value(code)),
        }
    }

    /// A full list's worst is `worst`: the floor is at least that.
    pub fn raise(&self, worst: f32) {
        self.0.fetch_max(Self::code(worst), AtomicOrdering::Relaxed);
    }
}

/// Per-segment memo of how one side's occupation codes fit the other side's: `fits` holds, for
/// each code seen, one weighted fit per item of the fixed side (NaN: no fit), computed once
/// with `Relatedness::link`.
struct FitMemo {
    keys: Vec<u32>,
    slots: Vec<u32>,
    width: usize,
    fits: Vec<f32>,
    len: usize,
}

impl FitMemo {
    fn new(width: usize) -> FitMemo {
        FitMemo {
            keys: vec![0; 64],
            slots: vec![0; 64],
            width,
            fits: Vec::new(),
            len: 0,
        }
    }

    fn position(keys: &[u32], key: u32) -> usize {
        let mask = keys.len() - 1;
        let mut i = (key.wrapping_mul(0x9E37_79B1) >> 7) as usize & mask;
        while keys[i] != 0 && keys[i] != key {
            i = (i + 1) & mask;
        }
        i
    }

    /// The fits of `code`, computed by `make` (one value per item) the first time.
    #[inline]
    fn fits(&mut self, code: u32, make: impl FnOnce(&mut Vec<f32>)) -> &[f32] {
        let key = code.wrapping_add(1);
        let mut i = Self::position(&self.keys, key);
        if self.keys[i] == 0 {
            if (self.len + 1) * 2 > self.keys.len() {
                self.grow();
                i = Self::position(&self.keys, key);
            }
            let slot = self.fits.len() / self.width.max(1);
            make(&mut self.fits);
            self.fits.resize((slot + 1) * self.width, f32::NAN);
            self.keys[i] = key;
            self.slots[i] = slot as u32;
            self.len += 1;
        }
        let start = self.slots[i] as usize * self.width;
        &self.fits[start..start + self.width]
    }

    fn grow(&mut self) {
        let size = self.keys.len() * 2;
        let mut keys = vec![0; size];
        let mut slots = vec![0; size];
        for (k, s) in self.keys.iter().zip(&self.slots) {
            if *k != 0 {
                let i = Self::position(&keys, *k);
                keys[i] = *k;
                slots[i] = *s;
            }
        }
        self.keys = keys;
        self.slots = slots;
    }
}

/// The `rank` column's values copied out (`FilterCache::doc_values`) and the `id` column,
/// from the cache: what both rankings read.
fn cached_columns(
    reader: &SegmentReader,
    cache: &FilterCache,
) -> tantivy::Result<(Arc<DocValues>, Column<i64>)> {
    Ok((
        cache.doc_values(reader, RANK_FIELD)?,
        cache
            .i64_column(reader, ID_FIELD)?
            .unwrap_or_else(|| Column::build_empty_column(reader.max_doc())),
    ))
}

/// What candidates of one opening are ranked by, fixed for the request.
pub struct CandidateQuestion {
    pub ranking: Arc<Ranking>,
    /// The opening's target trades (code numbers) and their role weights.
    pub targets: Vec<(u32, f32)>,
    pub requirements: Requirements,
    /// Day number of today.
    pub today: i64,
    pub words: WordScores,
    /// A worker must hold one of these terms of the `occupation` field; each level's terms
    /// fit at most its fit (best first), which bounds the worker's score.
    pub occupation: Field,
    pub trades: Vec<(f32, Vec<String>)>,
    /// What a worker must pass besides a trade: the hard filters (see `filters`).
    pub filters: Vec<Filter>,
    /// The workers' notes field, and title word `i`'s terms in it: found, it scores
    /// `words.clause_score(i)`.
    pub notes: Field,
    pub title_words: Vec<Vec<String>>,
    pub limit: usize,
    /// How each segment's passing workers are walked (the answer is the same).
    pub walk: Walk,
    /// What `fits_of` has computed so far (empty at first).
    pub fits: Mutex<HashMap<u32, Arc<[f32]>>>,
    /// The floor the segments share (none at first).
    pub floor: SharedFloor,
}

impl CandidateQuestion {
    /// The weighted fits (NaN: none) of a worker's `code` to each target, computed once per
    /// request: every segment meets the same few hundred codes, and `Relatedness::link` costs
    /// a thousand instructions.
    fn fits_of(&self, code: u32) -> Arc<[f32]> {
        if let Some(fits) = self.fits.lock().ok().and_then(|m| m.get(&code).cloned()) {
            return fits;
        }
        let fits: Arc<[f32]> = self
            .targets
            .iter()
            .map(|(target, weight)| {
                self.ranking
                    .related
                    .link_numbers(code, *target)
                    .map(|l| l.fit * weight)
                    .filter(|f| *f >= MIN_FIT)
                    .unwrap_or(f32::NAN)
            })
            .collect();
        if let Ok(mut m) = self.fits.lock() {
            m.insert(code, fits.clone());
        }
        fits
    }

    /// The best role weight of any target: no worker's weighted fit is higher.
    fn best_fit(&self) -> f32 {
        self.targets.iter().map(|(_, w)| *w).fold(0.0, f32::max)
    }
}

/// What ranking the candidates of an opening found.
pub struct RankedCandidates {
    /// Workers who passed the filters.
    pub passed: usize,
    /// Of them, those scored: the others' bounds could not enter the list.
    pub scored: usize,
    /// The best `limit`, best first.
    pub top: Vec<Ranked>,
}

fn merge(fruits: Vec<(usize, Vec<Ranked>)>, limit: usize) -> (usize, Vec<Ranked>) {
    let passed = fruits.iter().map(|(n, _)| n).sum();
    let mut all: Vec<Ranked> = fruits.into_iter().flat_map(|(_, top)| top).collect();
    all.sort_by(Ranked::order);
    all.truncate(limit);
    (passed, all)
}

/// Ranks the candidates of one opening over every segment, as `segments` says: the workers
/// that pass every one of `q.filters` (all as bitsets from `cache`, the ranges looked up per
/// document only near their limit) are counted, then scored best bound first until no
/// remaining worker's bound can enter the list. The list is the same as scoring every worker
/// that passes (`TopK` keeps a total order, whatever order it is offered in); what the order
/// saves is scoring the many who cannot enter.
pub fn rank_candidates(
    searcher: &Searcher,
    q: &Arc<CandidateQuestion>,
    cache: &FilterCache,
    segments: Segments,
) -> tantivy::Result<RankedCandidates> {
    let fruits = segments.executor(searcher).map(
        |(ord, reader)| rank_segment(ord as SegmentOrdinal, reader, q, cache),
        searcher.segment_readers().iter().enumerate(),
    )?;
    let scored = fruits.iter().map(|(_, scored, _)| scored).sum();
    let (passed, top) = merge(
        fruits
            .into_iter()
            .map(|(passed, _, top)| (passed, top))
            .collect(),
        q.limit,
    );
    Ok(RankedCandidates {
        passed,
        scored,
        top,
    })
}

fn rank_segment(
    ord: SegmentOrdinal,
    reader: &SegmentReader,
    q: &Arc<CandidateQuestion>,
    cache: &FilterCache,
) -> tantivy::Result<(usize, usize, Vec<Ranked>)> {
    let mut seg = CandidateSegment::new(q.clone(), ord, reader, cache)?;
    // The trade, level by level: a worker's best level bounds its fit.
    let mut levels = Vec::with_capacity(q.trades.len());
    let mut admitted = DocBits::empty(reader.max_doc());
    for (fit, terms) in &q.trades {
        let bits = cache.any_term(reader, q.occupation, terms)?;
        admitted.union_with(&bits);
        levels.push((*fit, bits));
    }
    let mut ranges = Vec::new();
    for filter in &q.filters {
        match filter {
            Filter::AnyTerm(field, terms) => {
                let bits = cache.any_term(reader, *field, terms)?;
                admitted.intersect_with(&bits);
            }
            Filter::I64In(field, lo, hi) => {
                let Some(range) = cache.range(reader, *field)? else {
                    return Ok((0, 0, Vec::new()));
                };
                ranges.push((range, *lo, *hi));
            }
        }
    }
    // The ranges after the terms: their edges are checked per document still admitted.
    for ((column, bits), lo, hi) in &ranges {
        bits.restrict(&mut admitted, *lo, *hi, column);
    }
    if reader.has_deletes() {
        admitted.intersect_with(&cache.alive(reader));
    }
    let passed = admitted.len();
    if passed == 0 || q.limit == 0 {
        return Ok((passed, 0, Vec::new()));
    }
    let words = q
        .title_words
        .iter()
        .map(|terms| cache.any_term(reader, q.notes, terms))
        .collect::<tantivy::Result<Vec<_>>>()?;
    let keys = cache.doc_keys(reader, "rank_keys", |doc| {
        let mut worker = WorkerColumns::default();
        worker.read(seg.rank.get(doc).iter().copied());
        let bound = seg.bound.first(doc).unwrap_or(u64::MAX) & 0b1111;
        worker_key(&worker, bound as u32)
    });
    let passing = Passing {
        admitted: &admitted,
        levels: &levels,
        words: &words,
        keys: &keys,
    };
    let walk = match q.walk {
        Walk::ByDensity if passed * SPARSE < reader.max_doc() as usize => Walk::Buckets,
        Walk::ByDensity => Walk::Groups,
        chosen => chosen,
    };
    let scored = match walk {
        Walk::Groups => {
            let groups = cache.doc_groups(reader, "rank_groups", &keys, |key| key >> BOUND_SHIFT);
            walk_groups(&mut seg, &passing, &groups)
        }
        _ => walk_buckets(&mut seg, &passing, passed),
    };
    Ok((passed, scored, seg.top.into_vec()))
}

/// Steps of the years-within-step bound kept per worker (`worker_key`).
const WITHIN_STEPS: u32 = 7;
/// `worker_key`'s certificate day: none dated (0), or one past the last representable day.
const NO_DAY: u32 = 0;
const LATE_DAY: u32 = 0xffff;
const WITHIN_SHIFT: u32 = 16;
const BOUND_SHIFT: u32 = 19;
const EQUITY_SHIFT: u32 = 23;
/// Everything that bounds a worker's score but the opening's side, in 32 bits kept per document
/// (`FilterCache::doc_keys`): the day of its latest dated certificate + 1 (bits 0..16), how far
/// into their step its years are at most, rounded up to sevenths (16..19), its `rank_bound`
/// value (19..23) and its equity factor rounded up to 255ths (23..31).
fn worker_key(worker: &WorkerColumns, bound: u32) -> u32 {
    let within = worker
        .skills
        .iter()
        .map(|s| experience_step(s.inputs.years).1)
        .fold(0.0f32, f32::max);
    let latest = worker
        .skills
        .iter()
        .filter(|s| s.inputs.certified)
        .filter_map(|s| s.inputs.certified_day)
        .max();
    // A day before 1970 is kept as 1970 (a looser bound); one past 2149 as "any day".
    let day = latest.map_or(NO_DAY, |d| (d.max(0) + 1).min(i64::from(LATE_DAY)) as u32);
    day | (up_to(within, WITHIN_STEPS) << WITHIN_SHIFT)
        | ((bound & 0b1111) << BOUND_SHIFT)
        | (up_to(worker.equity, 255) << EQUITY_SHIFT)
}

/// `x` (0..=1) in `steps`ths, rounded up: `up_to(x, n) as f32 / n as f32 >= x`, always.
fn up_to(x: f32, steps: u32) -> u32 {
    if x.is_nan() || x >= 1.0 {
        return steps;
    }
    let mut n = ((x.max(0.0) * steps as f32).ceil() as u32).min(steps);
    while n < steps && (n as f32 / steps as f32) < x {
        n += 1;
    }
    n
}

/// The equity factor an `up_to(_, 255)` stands for.
fn equity_bound(steps: u32) -> f32 {
    steps as f32 / 255.0
}

/// The tie-breakers' bounds a `worker_key` gives today: every certificate of the worker is at
/// most as recent as the latest, and `score_match` counts one only from its day to a year on.
fn tie_bounds(key: u32, today: i64) -> TieBounds {
    let within = ((key >> WITHIN_SHIFT) & 0b111) as f32 / WITHIN_STEPS as f32;
    let recent = match key & 0xffff {
        NO_DAY => 0.0,
        LATE_DAY => 1.0,
        day => {
            let days = today - (i64::from(day) - 1);
            if days < 0 {
                // The latest dated ahead: an earlier one may still be recent.
                1.0
            } else {
                recency(days)
            }
        }
    };
    TieBounds { recent, within }
}

struct CandidateSegment {
    q: Arc<CandidateQuestion>,
    segment: SegmentOrdinal,
    best_fit: f32,
    bound: Column<u64>,
    rank: Arc<DocValues>,
    ids: Column<i64>,
    memo: FitMemo,
    worker: WorkerColumns,
    top: TopK,
    /// The worst of this segment's list last given to the shared floor.
    published: Option<f32>,
}

impl CandidateSegment {
    fn new(
        q: Arc<CandidateQuestion>,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
        cache: &FilterCache,
    ) -> tantivy::Result<CandidateSegment> {
        let (rank, ids) = cached_columns(reader, cache)?;
        // Workers' bounds: the candidate search's alone.
        let bound = cache
            .u64_column(reader, BOUND_FIELD)?
            .unwrap_or_else(|| Column::build_empty_column(reader.max_doc()));
        Ok(CandidateSegment {
            best_fit: q.best_fit(),
            memo: FitMemo::new(q.targets.len()),
            top: TopK::new(q.limit),
            q,
            segment,
            bound,
            rank,
            ids,
            worker: WorkerColumns::default(),
            published: None,
        })
    }

    /// The score a worker must reach to enter the list: its own list's worst once full, or the
    /// floor the segments share, whichever is higher.
    #[inline]
    fn threshold(&self) -> Option<f32> {
        match (self.top.threshold(), self.q.floor.get()) {
            (Some(own), Some(shared)) => Some(own.max(shared)),
            (own, shared) => own.or(shared),
        }
    }

    /// A worker's bound key: the title words its query score counts and its `rank_bound`
    /// (unknown: the loosest bound).
    #[inline]
    fn key(&self, doc: DocId, score: Score) -> usize {
        let words = self.q.words.found(score).min(TITLE_WORDS_COUNTED);
        let value = self.bound.first(doc).unwrap_or(u64::MAX) & 0b1111;
        words * 16 + value as usize
    }

    /// The most any worker of bound key `key` with an equity factor of `equity` at most can
    /// score.
    fn bound(&self, key: usize, equity: f32) -> f32 {
        let (step, certified) = bound_of((key % 16) as u64);
        score_bound(
            step,
            certified,
            self.best_fit,
            key / 16,
            &self.q.requirements,
            equity,
            &self.q.ranking.weights,
        )
    }

    /// [`CandidateSegment::bound`] for one worker: its best trade level's `fit` and its
    /// tie-breakers (its `worker_key`).
    fn own_bound(&self, key: usize, equity: f32, fit: f32, tie: u32) -> f32 {
        let (step, certified) = bound_of((key % 16) as u64);
        score_bound_with(
            step,
            certified,
            fit.min(self.best_fit),
            key / 16,
            &self.q.requirements,
            equity,
            tie_bounds(tie, self.q.today),
            &self.q.ranking.weights,
        )
    }

    /// Scores a passing worker (whose query score is `score`) and offers it.
    fn rank(&mut self, doc: DocId, score: Score) {
        let q = &*self.q;
        let words = q.words.found(score);
        self.worker.read(self.rank.get(doc).iter().copied());
        let mut best: Option<f32> = None;
        for skill in &self.worker.skills {
            let fits = self.memo.fits(skill.code, |out| {
                out.extend_from_slice(&q.fits_of(skill.code));
            });
            for fit in fits.iter().filter(|f| !f.is_nan()) {
                let total = score_match(
                    skill.inputs,
                    *fit,
                    words,
                    &q.requirements,
                    self.worker.equity,
                    q.today,
                    &q.ranking.weights,
                )
                .total;
                best = Some(best.map_or(total, |b| b.max(total)));
            }
        }
        debug_assert!(best.is_some(), "an admitted worker without a fitting trade");
        let Some(total) = best else {
            return;
        };
        if self.q.floor.get().is_some_and(|floor| total < floor) {
            return;
        }
        let ids = &self.ids;
        self.top.offer(
            total,
            || ids.first(doc).unwrap_or(i64::MAX),
            DocAddress::new(self.segment, doc),
            score,
        );
        if let Some(worst) = self.top.threshold() {
            if self.published.is_none_or(|p| worst > p) {
                self.q.floor.raise(worst);
                self.published = Some(worst);
            }
        }
    }
}

/// What a worker's matches are ranked by, fixed for the request.
pub struct MatchQuestion {
    pub ranking: Arc<Ranking>,
    /// The worker's skills, merged by occupation: code and what the score reads.
    pub skills: Vec<(String, SkillInputs)>,
    pub equity: f32,
    /// Sorted hashes (`columns::term_hash`) of the words of the worker's notes.
    pub notes: Vec<u64>,
    pub today: i64,
    pub limit: usize,
}

/// Top `limit` openings for a worker, read from the columns the candidate searches keep
/// (`cached_columns`): opened and decoded once per segment, not per request (opening them
/// and decoding bit-packed values was a fifth of a match request at 100k workers).
pub struct MatchRanker<'a> {
    pub question: Arc<MatchQuestion>,
    pub cache: &'a FilterCache,
}

pub struct MatchSegment {
    q: Arc<MatchQuestion>,
    segment: SegmentOrdinal,
    rank: Arc<DocValues>,
    ids: Column<i64>,
    memo: FitMemo,
    opening: OpeningColumns,
    requirements: Requirements,
    top: TopK,
    passed: usize,
}

impl Collector for MatchRanker<'_> {
    type Fruit = (usize, Vec<Ranked>);
    type Child = MatchSegment;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<MatchSegment> {
        let (rank, ids) = cached_columns(reader, self.cache)?;
        Ok(MatchSegment {
            q: self.question.clone(),
            segment,
            rank,
            ids,
            memo: FitMemo::new(self.question.skills.len()),
            opening: OpeningColumns::default(),
            requirements: Requirements::default(),
            top: TopK::new(self.question.limit),
            passed: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<(usize, Vec<Ranked>)>) -> tantivy::Result<Self::Fruit> {
        Ok(merge(fruits, self.question.limit))
    }
}

impl SegmentCollector for MatchSegment {
    type Fruit = (usize, Vec<Ranked>);

    fn collect(&mut self, doc: DocId, _score: Score) {
        let q = &*self.q;
        self.opening
            .read(self.rank.get(doc).iter().copied(), &q.notes);
        self.requirements.certificate = self.opening.certificate;
        self.requirements.min_years = self.opening.min_years;
        let mut best: Option<f32> = None;
        for target in &self.opening.targets {
            let weight = target.role.weight();
            let fits = self.memo.fits(target.code, |out| {
                out.extend(q.skills.iter().map(|(skill, _)| {
                    code_number(skill)
                        .and_then(|s| q.ranking.related.link_numbers(s, target.code))
                        .map_or(f32::NAN, |l| l.fit)
                }));
            });
            for (fit, (_, inputs)) in fits.iter().zip(&q.skills) {
                let weighted = fit * weight;
                // NaN (no fit) is never at least the minimum.
                if weighted.is_nan() || weighted < MIN_FIT {
                    continue;
                }
                let total = score_match(
                    *inputs,
                    weighted,
                    self.opening.title_words,
                    &self.requirements,
                    q.equity,
                    q.today,
                    &q.ranking.weights,
                )
                .total;
                best = Some(best.map_or(total, |b| b.max(total)));
            }
        }
        if let Some(total) = best {
            self.passed += 1;
            let ids = &self.ids;
            self.top.offer(
                total,
                || ids.first(doc).unwrap_or(i64::MAX),
                DocAddress::new(self.segment, doc),
                0.0,
            );
        }
    }

    fn harvest(self) -> Self::Fruit {
        (self.passed, self.top.into_vec())
    }
}

#[cfg(test)]
mod tests;
