//! The one place the ranking depends on the occupation suggester: "the best occupation (leaf
//! code, or a group when no occupation is sure) a title names, and how sure that reading is,
//! 0..1". Everything else in the ranking
//! sees only [`TitleTrade`], so a new suggester only has to implement [`ReadsTrade`].

use std::collections::HashMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::suggest::{Granularity, OccupationSuggester};

/// The trade a title names, as the suggester read it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TitleTrade {
    /// CSCO 2022 code: an occupation, or a unit or minor group (level 3 or 2).
    pub code: String,
    /// 0..1: how sure the reading is.
    pub confidence: f32,
    /// Codes the employer chose that the reviewed relatedness table calls another trade than
    /// this one (its workers are no stand-in for them): filled by `profile::prepare`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_trade_than: Vec<String>,
}

/// The least confidence at which the ranking acts on a title's trade.
pub const CONFIDENT: f32 = 0.6;

pub trait ReadsTrade: Send + Sync {
    /// The best occupation for a title, or `None` when it names none.
    fn best_trade(&self, title: &str) -> Option<TitleTrade>;
}

impl ReadsTrade for OccupationSuggester {
    /// The suggester's first answer with its calibrated confidence: an occupation, or a unit
    /// or minor group when no occupation was sure but the group was (the ranking then uses the
    /// group as a nice-to-have, see `profile`).
    fn best_trade(&self, title: &str) -> Option<TitleTrade> {
        let best = self
            .suggest_at(title, 1, Granularity::GroupsWhenUnsure)
            .ok()?
            .into_iter()
            .next()?;
        Some(TitleTrade {
            code: best.code,
            confidence: best.confidence,
            other_trade_than: Vec::new(),
        })
    }
}

/// The titles an index build has read, each read once: employers post one title for many
/// openings (their cities, branches, reposts), and reading a title is the suggester's work,
/// most of an opening's share of a build. Keeps at most `MEMO_TITLES` titles; past them, titles
/// are read without being kept.
#[derive(Default)]
pub struct TitleMemo {
    seen: Mutex<HashMap<String, Option<TitleTrade>>>,
}

/// Some 50,000 distinct titles of some 100 bytes each with their reading: a few megabytes.
const MEMO_TITLES: usize = 50_000;

impl TitleMemo {
    /// `reader`, answering from this memo the titles it has read before.
    pub fn reading<'a>(&'a self, reader: &'a dyn ReadsTrade) -> Memoized<'a> {
        Memoized { memo: self, reader }
    }
}

pub struct Memoized<'a> {
    memo: &'a TitleMemo,
    reader: &'a dyn ReadsTrade,
}

impl ReadsTrade for Memoized<'_> {
    fn best_trade(&self, title: &str) -> Option<TitleTrade> {
        // A poisoned lock only loses the memo: the title is read again.
        if let Some(known) = self
            .memo
            .seen
            .lock()
            .ok()
            .and_then(|s| s.get(title).cloned())
        {
            return known;
        }
        let read = self.reader.best_trade(title);
        if let Ok(mut seen) = self.memo.seen.lock() {
            if seen.len() < MEMO_TITLES {
                seen.insert(title.to_string(), read.clone());
            }
        }
        read
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Counting(AtomicUsize);

    impl ReadsTrade for Counting {
        fn best_trade(&self, title: &str) -> Option<TitleTrade> {
            self.0.fetch_add(1, Ordering::Relaxed);
            (!title.is_empty()).then(|| TitleTrade {
                code: format!("6-18-02-0{}", title.chars().count() % 10),
                confidence: 0.9,
                other_trade_than: Vec::new(),
            })
        }
    }

    #[test]
    fn a_title_is_read_once_and_answered_alike() {
        let counting = Counting(AtomicUsize::new(0));
        let memo = TitleMemo::default();
        let reader = memo.reading(&counting);
        let first = reader.best_trade("高薪诚聘电焊工");
        assert_eq!(reader.best_trade("高薪诚聘电焊工"), first);
        assert_eq!(
            reader.best_trade("招电焊工"),
            counting.best_trade("招电焊工")
        );
        assert_eq!(reader.best_trade(""), None);
        assert_eq!(reader.best_trade(""), None);
        // Three distinct titles read through the memo, once each, and one read directly.
        assert_eq!(counting.0.load(Ordering::Relaxed), 4);
    }
}
