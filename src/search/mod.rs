//! Tantivy: the occupation suggester (free text to CSCO codes) and the skills index with its
//! indexer and matcher. Searching and committing never run on actix's async worker threads:
//! searches go to the blocking pool behind a semaphore (overload answers 503), the indexer has a
//! thread of its own.

pub mod cache;
pub mod columns;
pub mod documents;
pub mod filters;
pub mod index;
pub mod indexer;
pub mod matcher;
pub mod opening_docs;
pub mod profile;
pub mod rank;
pub mod relatedness;
pub mod schema;
pub mod score;
pub mod suggest;
pub mod text_search;
pub mod title_trade;

use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult, ErrorCode};
use cache::{CacheKey, ResultCache};
use index::LiveIndex;
use indexer::{Command, IndexerHandle, ReindexReport, Shared};
use matcher::{Candidates, OpeningMatch};
use score::Ranking;
use suggest::OccupationSuggester;

/// The suggester is built from the seed compiled into the binary, so one per process serves
/// every app (tests start many). Built once: callers arriving during the build (an index
/// build's title readers) wait for it rather than build their own.
pub fn shared_suggester() -> anyhow::Result<Arc<OccupationSuggester>> {
    static SUGGESTER: std::sync::OnceLock<Arc<OccupationSuggester>> = std::sync::OnceLock::new();
    static BUILDING: Mutex<()> = Mutex::new(());
    if let Some(s) = SUGGESTER.get() {
        return Ok(s.clone());
    }
    // A panic while building leaves nothing half-set: the next caller builds again.
    let _building = BUILDING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(s) = SUGGESTER.get() {
        return Ok(s.clone());
    }
    let built = Arc::new(OccupationSuggester::from_csv(
        crate::db::seed::OCCUPATIONS_CSV,
    )?);
    Ok(SUGGESTER.get_or_init(|| built).clone())
}

/// How one search's segments are searched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Segments {
    /// Spread over the index's search threads: a lone search ends sooner on idle cores.
    Spread,
    /// One after another on the calling thread. When every core already has a search of its
    /// own, handing segments to the (busy) search threads only adds wake-ups and waiting, and
    /// in turn each segment starts from the floor the earlier ones raised (fewer scored).
    InTurn,
}

impl Segments {
    pub fn executor(self, searcher: &tantivy::Searcher) -> &tantivy::Executor {
        static IN_TURN: tantivy::Executor = tantivy::Executor::SingleThread;
        match self {
            Segments::Spread => searcher.index().search_executor(),
            Segments::InTurn => &IN_TURN,
        }
    }
}

/// A search's turn (see `SearchService::run`): the live index, and how to search its
/// segments given what else was running when the turn began.
pub struct Turn {
    live: Arc<LiveIndex>,
    pub segments: Segments,
}

impl std::ops::Deref for Turn {
    type Target = LiveIndex;
    fn deref(&self) -> &LiveIndex {
        &self.live
    }
}

/// How many searches may run at once, and how many may be admitted (running or waiting their
/// turn) before the service answers 503. A search is CPU work from start to end, so more of
/// them running than there are cores only time-slices them: each takes longer, their working
/// sets evict each other from the caches, and under load the slowest answers wait behind every
/// other one. Waiting in a first-come queue for one of a few turns keeps the cores as busy and
/// every answer's wait near the queue's length times one search.
///
/// By default one more runs than there are cores: when a search ends, the next in the queue
/// reaches a core only after its task is woken, polled on a busy actix thread and handed to the
/// blocking pool, and meanwhile that core stood idle (13.6 % of the machine under uncached
/// candidate load at 1M with one turn per core, 8.3 % with one more, and 7–14 % more requests
/// answered side by side; BENCHMARKS.md). The extra search fills that gap.
#[derive(Clone)]
pub struct SearchLimits {
    admitted: Arc<tokio::sync::Semaphore>,
    running: Arc<tokio::sync::Semaphore>,
    /// The turns `running` was made with (a semaphore does not say).
    turns: usize,
    /// With this many turns taken, no core is idle.
    cores: usize,
}

impl SearchLimits {
    /// `running` 0 means one per core and one more; neither is below 1, and `running` is at
    /// most `admitted`.
    pub fn new(admitted: usize, running: usize) -> SearchLimits {
        let cores = crate::cores();
        let admitted = admitted.max(1);
        let turns = match running {
            0 => cores + 1,
            n => n,
        }
        .clamp(1, admitted);
        SearchLimits {
            admitted: Arc::new(tokio::sync::Semaphore::new(admitted)),
            // tokio's semaphore hands permits out in the order they were asked for.
            running: Arc::new(tokio::sync::Semaphore::new(turns)),
            turns,
            cores,
        }
    }

    /// Whether a core has no search now, the caller's own turn taken.
    fn core_idle(&self) -> bool {
        let taken = self.turns - self.running.available_permits();
        taken < self.cores
    }
}

pub struct SearchService {
    shared: Arc<Shared>,
    indexer: Mutex<Option<IndexerHandle>>,
    limits: SearchLimits,
    /// Weights, occupation names and the relatedness table.
    pub ranking: Arc<Ranking>,
    pub suggester: Arc<OccupationSuggester>,
    /// Candidate lists (with the opening as prepared for ranking) and worker matches.
    pub candidate_cache: Arc<ResultCache<(Candidates, documents::OpeningDoc)>>,
    pub match_cache: Arc<ResultCache<Vec<OpeningMatch>>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IndexStatus {
    pub generation: u64,
    /// Every change up to this number is searchable.
    pub visible_change: i64,
    pub documents: u64,
}

impl SearchService {
    /// Opens the index under `dir` and starts the indexer thread.
    pub async fn start(
        dir: std::path::PathBuf,
        db: tokio_postgres::Config,
        limits: SearchLimits,
        result_cache_items: usize,
        weights: crate::config::MatchWeights,
    ) -> anyhow::Result<SearchService> {
        std::fs::create_dir_all(&dir)?;
        let client = crate::db::connect(&db).await?;
        let ranking = Ranking::load(&client, weights).await?;
        drop(client);
        let suggester = tokio::task::spawn_blocking(shared_suggester).await??;
        let (visible, _) = tokio::sync::watch::channel(0);
        let shared = Arc::new(Shared {
            live: RwLock::new(Arc::new(LiveIndex::empty()?)),
            visible,
        });
        let handle = indexer::start(dir, db, shared.clone(), Duration::from_millis(50))?;
        Ok(SearchService {
            shared,
            indexer: Mutex::new(Some(handle)),
            limits,
            ranking: Arc::new(ranking),
            suggester,
            candidate_cache: Arc::new(ResultCache::new(result_cache_items)),
            match_cache: Arc::new(ResultCache::new(result_cache_items)),
        })
    }

    /// Runs `f` on the blocking pool against the live index, in turn (see `SearchLimits`).
    /// Too many waiting or running → 503.
    pub async fn run<F, R>(&self, f: F) -> ApiResult<R>
    where
        F: FnOnce(&Turn) -> R + Send + 'static,
        R: Send + 'static,
    {
        let admitted = self
            .limits
            .admitted
            .clone()
            .try_acquire_owned()
            .map_err(|_| ApiError::new(ErrorCode::Overloaded).retry_after(1))?;
        let turn = self
            .limits
            .running
            .clone()
            .acquire_owned()
            .await
            .map_err(ApiError::internal)?;
        // A core without a search when this one starts: it may spread its segments over the
        // search threads.
        let segments = if self.limits.core_idle() {
            Segments::Spread
        } else {
            Segments::InTurn
        };
        let live = self.shared.live();
        let out = crate::telemetry::spawn_blocking_with_span(move || {
            let _permits = (admitted, turn);
            f(&Turn { live, segments })
        })
        .await
        .map_err(ApiError::internal)?;
        Ok(out)
    }

    /// Like `run` for a ranked answer: an answer to the same `question` from the same index
    /// state comes from `cache` without searching (see `cache`).
    pub async fn run_cached<V, E, F>(
        &self,
        cache: &Arc<ResultCache<V>>,
        question: String,
        items: fn(&V) -> usize,
        f: F,
    ) -> ApiResult<Result<Arc<V>, E>>
    where
        F: FnOnce(&Turn) -> Result<V, E> + Send + 'static,
        V: Send + Sync + 'static,
        E: Send + 'static,
    {
        let key = {
            let live = self.shared.live();
            let searcher = live.reader.searcher().generation().generation_id();
            CacheKey {
                generation: live.generation,
                searcher,
                question,
            }
        };
        if let Some(hit) = cache.get(&key) {
            return Ok(Ok(hit));
        }
        let cache = cache.clone();
        // Only an answer from the index state named in the key may be kept under it: the
        // search checks that it ran against that state.
        self.run(move |live| {
            let searcher = live.reader.searcher().generation().generation_id();
            let same_state = live.generation == key.generation && searcher == key.searcher;
            let answer = Arc::new(f(live)?);
            if same_state {
                cache.insert(key, answer.clone(), items(&answer));
            }
            Ok(answer)
        })
        .await
    }

    /// Waits (bounded) until change `change` is searchable; false on time-out.
    pub async fn wait_for(&self, change: i64, max: Duration) -> bool {
        let mut rx = self.shared.visible.subscribe();
        tokio::time::timeout(max, rx.wait_for(|v| *v >= change))
            .await
            .map(|r| r.is_ok())
            .unwrap_or(false)
    }

    pub fn visible_change(&self) -> i64 {
        *self.shared.visible.borrow()
    }

    pub fn status(&self) -> IndexStatus {
        let live = self.shared.live();
        IndexStatus {
            generation: live.generation,
            visible_change: self.visible_change(),
            documents: live.reader.searcher().num_docs(),
        }
    }

    /// Builds a fresh generation beside the live one and swaps it in; searches keep being
    /// answered from the old one meanwhile.
    pub async fn reindex(&self) -> ApiResult<ReindexReport> {
        let (tx, rx) = std::sync::mpsc::channel();
        {
            let guard = self
                .indexer
                .lock()
                .map_err(|_| ApiError::internal("indexer lock"))?;
            let sent = guard
                .as_ref()
                .map(|h| h.send(Command::Reindex(tx)))
                .unwrap_or(false);
            if !sent {
                return Err(ApiError::new(ErrorCode::NotReady));
            }
        }
        crate::telemetry::spawn_blocking_with_span(move || rx.recv())
            .await
            .map_err(ApiError::internal)?
            .map_err(|_| ApiError::new(ErrorCode::NotReady))?
            .map_err(|e| ApiError::internal(format!("{e:#}")))
    }

    /// Stops the indexer (commits are already done after each batch).
    pub fn stop(&self) {
        if let Ok(mut guard) = self.indexer.lock() {
            guard.take();
        }
    }
}

impl Drop for SearchService {
    fn drop(&mut self) {
        self.stop();
    }
}
