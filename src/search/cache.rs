//! Ranked lists kept for the exact question they answer against the exact index state they came
//! from, as a search engine's request cache does. An employer pages back to a candidate list,
//! refreshes it, a colleague opens the same opening: scoring a million workers again would give
//! the same list until the index changes. The key holds the index generation and the reader's
//! searcher generation (which changes at every commit the reader picks up) and the whole
//! question (opening or worker as loaded from PostgreSQL, scope, limit, day), so a hit is
//! always what a fresh search would answer; nothing needs invalidating, old entries just age
//! out. Bounded by the number of ranked items held.

use std::sync::Arc;

use quick_cache::sync::Cache;
use quick_cache::Weighter;

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct CacheKey {
    pub generation: u64,
    pub searcher: u64,
    pub question: String,
}

/// A cached answer and its weight (ranked items in it, at least one).
pub struct Cached<V> {
    weight: u64,
    pub value: Arc<V>,
}

// Not derived: the answer is shared, so `V` itself need not be `Clone`.
impl<V> Clone for Cached<V> {
    fn clone(&self) -> Self {
        Cached {
            weight: self.weight,
            value: self.value.clone(),
        }
    }
}

#[derive(Clone, Copy, Default)]
pub struct ItemsWeighter;

impl<V> Weighter<CacheKey, Cached<V>> for ItemsWeighter {
    fn weight(&self, _key: &CacheKey, val: &Cached<V>) -> u64 {
        val.weight
    }
}

/// A bounded cache of ranked answers; with a capacity of 0 it keeps nothing.
pub struct ResultCache<V> {
    inner: Option<Cache<CacheKey, Cached<V>, ItemsWeighter>>,
}

impl<V> ResultCache<V> {
    /// `max_items`: how many ranked items (candidates, matches) all entries may hold together.
    pub fn new(max_items: usize) -> ResultCache<V> {
        let inner = (max_items > 0).then(|| {
            // Lists of 20 are the usual answer: size the table for that.
            Cache::with_weighter((max_items / 20).max(16), max_items as u64, ItemsWeighter)
        });
        ResultCache { inner }
    }

    pub fn get(&self, key: &CacheKey) -> Option<Arc<V>> {
        self.inner.as_ref()?.get(key).map(|c| c.value)
    }

    pub fn insert(&self, key: CacheKey, value: Arc<V>, items: usize) {
        if let Some(cache) = &self.inner {
            let weight = items.max(1) as u64;
            cache.insert(key, Cached { weight, value });
        }
    }

    pub fn len(&self) -> usize {
        self.inner.as_ref().map_or(0, |c| c.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(searcher: u64, question: &str) -> CacheKey {
        CacheKey {
            generation: 1,
            searcher,
            question: question.into(),
        }
    }

    #[test]
    fn an_answer_is_found_only_for_the_same_question_and_index_state() {
        let cache = ResultCache::new(100);
        cache.insert(key(7, "opening 1"), Arc::new(vec![1, 2, 3]), 3);
        assert_eq!(
            cache.get(&key(7, "opening 1")).as_deref(),
            Some(&vec![1, 2, 3])
        );
        assert!(cache.get(&key(8, "opening 1")).is_none());
        assert!(cache.get(&key(7, "opening 2")).is_none());
    }

    #[test]
    fn the_item_budget_bounds_what_is_kept() {
        let cache = ResultCache::new(100);
        for i in 0..50 {
            cache.insert(key(1, &format!("q{i}")), Arc::new(i), 20);
        }
        assert!(cache.len() <= 5, "{} entries of 20 items", cache.len());
        let off = ResultCache::new(0);
        off.insert(key(1, "q"), Arc::new(1), 1);
        assert!(off.get(&key(1, "q")).is_none());
    }
}
