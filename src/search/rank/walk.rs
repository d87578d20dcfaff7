//! How a segment's passing workers are walked best bound first (`Walk`): the two walks
//! answer the same list and differ in what they read.

use std::sync::Arc;

use tantivy::{DocId, Score};

use super::{equity_bound, CandidateQuestion, CandidateSegment, BOUND_SHIFT, EQUITY_SHIFT};
use crate::search::filters::{DocBits, DocGroups, DocKeys};
use crate::search::score::TITLE_WORDS_COUNTED;

/// A segment's passing workers walks by `Walk::Buckets` when fewer than one document in this
/// many passes (by groups, the documents read to find a passing one grow as they thin out).
pub(super) const SPARSE: usize = 32;

/// How a segment's passing workers are walked, best bound first. Both walks answer the same
/// list (`TopK` keeps a total order); they differ in what they read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Walk {
    /// `Buckets` when few of the segment's documents pass, else `Groups`.
    ByDensity,
    /// Every passing worker laid out by bucket in one pass (a counting sort over its key):
    /// the cost grows with the workers that pass.
    Buckets,
    /// The segment's workers, kept grouped by the part of their bound no opening changes,
    /// read group by group best first, the passing ones looked at: the cost grows with the
    /// documents of the groups read, and most groups are never read.
    Groups,
}

/// What a segment's walk reads of its passing workers.
pub(super) struct Passing<'a> {
    pub admitted: &'a DocBits,
    /// The trade's terms' documents by the fit they bound, best first.
    pub levels: &'a [(f32, Arc<DocBits>)],
    /// Title word `i`'s documents (the workers whose notes hold it).
    pub words: &'a [Arc<DocBits>],
    pub keys: &'a DocKeys,
}

impl Passing<'_> {
    /// A worker's query score: the title words its notes hold (see `WordScores`).
    #[inline]
    fn score(&self, q: &CandidateQuestion, doc: DocId) -> Score {
        let mut score: Score = 0.0;
        for (i, w) in self.words.iter().enumerate() {
            if w.contains(doc) {
                score += q.words.clause_score(i);
            }
        }
        score
    }

    /// Whether a worker of bound key `key` could still enter `seg`'s list: its bucket's
    /// bound tightened by its own best trade level and tie-breakers (`tie`, its `worker_key`).
    #[inline]
    fn may_enter(
        &self,
        seg: &CandidateSegment,
        doc: DocId,
        key: usize,
        equity: f32,
        tie: u32,
    ) -> bool {
        let Some(threshold) = seg.threshold() else {
            return true;
        };
        let fit = self
            .levels
            .iter()
            .find(|(_, bits)| bits.contains(doc))
            .map_or(seg.best_fit, |(fit, _)| *fit);
        seg.own_bound(key, equity, fit, tie) >= threshold
    }

    /// Offers a passing worker whose walk unit (bucket or group) bounds it by `bound`: scored
    /// when it may still enter, skipped when its own bound says not, and the walk stopped
    /// when `bound` itself no longer can (units come best bound first). `tie` is the worker's
    /// `worker_key`, passed in by walks that have read it already.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    fn offer(
        &self,
        seg: &mut CandidateSegment,
        doc: DocId,
        score: Score,
        key: usize,
        equity: f32,
        bound: f32,
        tie: u32,
    ) -> Offered {
        if seg.threshold().is_some_and(|t| bound < t) {
            return Offered::Stop;
        }
        if !self.may_enter(seg, doc, key, equity, tie) {
            return Offered::Skipped;
        }
        debug_assert_eq!(seg.key(doc, score), key);
        seg.rank(doc, score);
        Offered::Scored
    }
}

/// How far ahead of its turn a worker's rank values are asked from memory (where they are, twice
/// as far ahead): the walks meet their workers scattered over the segment.
const AHEAD: usize = 8;
/// A group's documents are looked at this many at a time, the passing ones among them gathered
/// before they are offered (so their values can be asked ahead).
const GATHERED_FROM: usize = 256;

/// Offers a walk unit's passing workers (document, query score, `worker_key`), each bounded by
/// `bound`, of `rank_bound` value `value` and equity factor `equity` at most, in order, asking
/// for each one's rank values ahead of its turn. Counts those scored in `scored`; false when
/// the walk must stop.
#[allow(clippy::too_many_arguments)]
fn offer_unit(
    seg: &mut CandidateSegment,
    passing: &Passing,
    workers: &[(DocId, Score, u32)],
    value: usize,
    equity: f32,
    bound: f32,
    scored: &mut usize,
) -> bool {
    let words = seg.q.words;
    for (i, &(doc, score, tie)) in workers.iter().enumerate() {
        if let Some(&(ahead, _, _)) = workers.get(i + 2 * AHEAD) {
            seg.rank.prefetch_start(ahead);
        }
        if let Some(&(ahead, _, _)) = workers.get(i + AHEAD) {
            seg.rank.prefetch_values(ahead);
        }
        let key = words.found(score).min(TITLE_WORDS_COUNTED) * 16 + value;
        match passing.offer(seg, doc, score, key, equity, bound, tie) {
            Offered::Stop => return false,
            Offered::Skipped => {}
            Offered::Scored => *scored += 1,
        }
    }
    true
}

/// What [`Passing::offer`] did with a worker.
enum Offered {
    /// Sorted by bound: no later worker can enter either.
    Stop,
    Skipped,
    Scored,
}

/// `Walk::Buckets`: one pass over the passing workers finds each one's title words and its
/// bucket (title words counted, `rank_bound` value, equity factor, read off its key); then
/// the workers are laid out bucket by bucket, so only buckets holding someone are looked at,
/// best bound first. Answers how many were scored.
pub(super) fn walk_buckets(seg: &mut CandidateSegment, passing: &Passing, passed: usize) -> usize {
    let q = seg.q.clone();
    // Up to 256 equity values: a slot per value seen, `None` until then.
    let mut equity_slot: [Option<usize>; 256] = [None; 256];
    let mut equities: Vec<u32> = Vec::new();
    // Each passing worker's key is read here, in document order, and carried along: read
    // again in bucket order it missed the cache for most of the walk's time.
    let mut found: Vec<(DocId, Score, u32, u32)> = Vec::with_capacity(passed);
    // The passing workers are few and far between: their keys are asked ahead.
    let mut ahead = passing.admitted.iter().skip(2 * AHEAD);
    for doc in passing.admitted.iter() {
        if let Some(later) = ahead.next() {
            passing.keys.prefetch(later);
        }
        let score = passing.score(&q, doc);
        let key = passing.keys.get(doc);
        let equity = (key >> EQUITY_SHIFT) as usize & 0xff;
        let slot = *equity_slot[equity].get_or_insert_with(|| {
            equities.push(equity as u32);
            equities.len() - 1
        });
        let bucket = bucket_index(
            q.words.found(score).min(TITLE_WORDS_COUNTED),
            (key >> BOUND_SHIFT) & 0b1111,
            slot,
        );
        found.push((doc, score, key, bucket));
    }
    let buckets = equities.len() * BUCKETS_PER_EQUITY;
    let mut starts = vec![0u32; buckets + 1];
    for (_, _, _, bucket) in &found {
        starts[*bucket as usize + 1] += 1;
    }
    for b in 0..buckets {
        starts[b + 1] += starts[b];
    }
    let mut laid_out: Vec<(DocId, Score, u32)> = vec![(0, 0.0, 0); found.len()];
    let mut next = starts.clone();
    for (doc, score, key, bucket) in found {
        let at = &mut next[bucket as usize];
        laid_out[*at as usize] = (doc, score, key);
        *at += 1;
    }
    // Each bucket holding someone, with the most any of its workers can score, best first.
    let mut order: Vec<(f32, usize, f32, usize)> = (0..buckets)
        .filter(|b| starts[b + 1] > starts[*b])
        .map(|b| {
            let key = (b % BUCKETS_PER_EQUITY / 16) * 16 + b % 16;
            let equity = equity_bound(equities[b / BUCKETS_PER_EQUITY]);
            (seg.bound(key, equity), key, equity, b)
        })
        .collect();
    order.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut scored = 0;
    for (bound, key, equity, b) in order {
        let workers = &laid_out[starts[b] as usize..starts[b + 1] as usize];
        if !offer_unit(seg, passing, workers, key % 16, equity, bound, &mut scored) {
            break;
        }
    }
    scored
}

/// `Walk::Groups`: the segment's workers by the part of their bound no opening changes
/// (`rank_bound` value and equity, `key >> BOUND_SHIFT`), each group ordered by the bound it
/// gives this opening with the title words at their most, read best first until no group
/// left can enter the list. Answers how many were scored.
pub(super) fn walk_groups(
    seg: &mut CandidateSegment,
    passing: &Passing,
    groups: &DocGroups,
) -> usize {
    let q = seg.q.clone();
    let words_most = passing
        .words
        .iter()
        .filter(|w| !w.is_empty())
        .count()
        .min(TITLE_WORDS_COUNTED);
    // Each group: its bound, `rank_bound` value, equity bound and workers (with their keys).
    type Unit<'g> = (f32, usize, f32, &'g [(DocId, u32)]);
    let mut order: Vec<Unit> = groups
        .iter()
        .map(|(group, docs)| {
            let value = (group & 0b1111) as usize;
            let equity = equity_bound(group >> (EQUITY_SHIFT - BOUND_SHIFT));
            (
                seg.bound(words_most * 16 + value, equity),
                value,
                equity,
                docs,
            )
        })
        .collect();
    order.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut scored = 0;
    let mut gathered: Vec<(DocId, Score, u32)> = Vec::with_capacity(GATHERED_FROM);
    'groups: for (bound, value, equity, docs) in order {
        if seg.threshold().is_some_and(|t| bound < t) {
            // Not one of its documents need be read.
            break;
        }
        for chunk in docs.chunks(GATHERED_FROM) {
            gathered.clear();
            gathered.extend(
                chunk
                    .iter()
                    .filter(|(doc, _)| passing.admitted.contains(*doc))
                    .map(|&(doc, tie)| (doc, passing.score(&q, doc), tie)),
            );
            if !offer_unit(seg, passing, &gathered, value, equity, bound, &mut scored) {
                break 'groups;
            }
        }
    }
    scored
}

/// Buckets for one equity factor: title words counted (0..=TITLE_WORDS_COUNTED) × the 16
/// `rank_bound` values.
const BUCKETS_PER_EQUITY: usize = (TITLE_WORDS_COUNTED + 1) * 16;

fn bucket_index(words: usize, bound: u32, equity_slot: usize) -> u32 {
    (equity_slot * BUCKETS_PER_EQUITY + words * 16 + bound as usize) as u32
}
