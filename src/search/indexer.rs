//! The indexer: one thread, the only `IndexWriter` of the live index. It reads the outbox
//! (`index_changes`) in sequence order, loads the changed workers and openings from PostgreSQL,
//! replaces their documents, and commits with the progress in the commit payload, so a crash
//! resumes exactly where the last commit left off. Applying a change is idempotent (the current
//! state replaces the document), so a change re-read after a crash does no harm.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::TryStreamExt;
use tantivy::{Index, IndexWriter, Term};

use super::documents::{self, opening_document, worker_document};
use super::index::{self, LiveIndex, Progress};
use super::relatedness::Relatedness;
use super::schema::Fields;

const BATCH: i64 = 5_000;
const WRITER_MEMORY: usize = 128 * 1024 * 1024;

pub enum Command {
    /// Build a fresh generation from PostgreSQL and swap it in; answers with its number.
    Reindex(std::sync::mpsc::Sender<anyhow::Result<ReindexReport>>),
    Stop,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ReindexReport {
    pub generation: u64,
    pub workers: usize,
    pub openings: usize,
    pub millis: u128,
}

/// What the rest of the service sees of the index.
pub struct Shared {
    pub live: RwLock<Arc<LiveIndex>>,
    /// Every change up to this number is searchable.
    pub visible: tokio::sync::watch::Sender<i64>,
}

impl Shared {
    pub fn live(&self) -> Arc<LiveIndex> {
        match self.live.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn swap(&self, next: Arc<LiveIndex>) {
        match self.live.write() {
            Ok(mut g) => *g = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
    }
}

/// The outbox rows seen in one poll, and the snapshot they were read under.
pub struct Poll {
    pub changes: Vec<(i64, String, i64)>,
    pub xmin: i64,
    pub xmax: i64,
}

/// A gap's horizon before a later poll has set it (see `advance`).
const HORIZON_UNSET: i64 = i64::MAX;

/// New progress after a poll: seen gaps are filled, new holes become gaps, and gaps whose every
/// possible owner has ended (xmin passed their horizon) are given up as rolled back.
///
/// A new gap's horizon is the xmax of the *next* poll that still misses it, not of the poll
/// that found it: PostgreSQL gives a transaction its id at its first write, and a transaction
/// whose first write is the outbox row draws the sequence number before it has an id. Its id
/// can then be above the finding snapshot's xmax, and that horizon would give up a change
/// that was about to commit (the likeliest cause of the crash test's one failure under load,
/// 40 of 220 workers missing; the test inserts each outbox row in a transaction of its own).
/// By the next poll, a poll interval later, the owner has its id.
pub fn advance(progress: &Progress, poll: &Poll) -> Progress {
    let seen: BTreeSet<i64> = poll.changes.iter().map(|(seq, _, _)| *seq).collect();
    let mut gaps: Vec<(i64, i64)> = progress
        .gaps
        .iter()
        .filter(|(seq, horizon)| !seen.contains(seq) && poll.xmin < *horizon)
        .map(|&(seq, horizon)| match horizon {
            HORIZON_UNSET => (seq, poll.xmax),
            set => (seq, set),
        })
        .collect();
    let mut upto = progress.upto;
    for seq in seen.iter().filter(|s| **s > progress.upto) {
        for missing in (upto + 1)..*seq {
            gaps.push((missing, HORIZON_UNSET));
        }
        upto = *seq;
    }
    gaps.sort_unstable();
    gaps.dedup_by_key(|(seq, _)| *seq);
    Progress { upto, gaps }
}

/// A read-only transaction on one snapshot: every query in it sees the same committed state.
async fn snapshot(
    client: &mut tokio_postgres::Client,
) -> Result<tokio_postgres::Transaction<'_>, tokio_postgres::Error> {
    client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
}

async fn poll(
    client: &mut tokio_postgres::Client,
    progress: &Progress,
) -> Result<Poll, tokio_postgres::Error> {
    let tx = snapshot(client).await?;
    let snap = tx
        .query_one(
            "SELECT txid_snapshot_xmin(txid_current_snapshot()),
                    txid_snapshot_xmax(txid_current_snapshot())",
            &[],
        )
        .await?;
    let gaps: Vec<i64> = progress.gaps.iter().map(|(s, _)| *s).collect();
    let rows = tx
        .query(
            "(SELECT seq, entity, entity_id FROM index_changes WHERE seq > $1 ORDER BY seq LIMIT $2)
             UNION ALL
             (SELECT seq, entity, entity_id FROM index_changes WHERE seq = ANY($3))
             ORDER BY seq",
            &[&progress.upto, &BATCH, &gaps],
        )
        .await?;
    tx.commit().await?;
    Ok(Poll {
        changes: rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect(),
        xmin: snap.get(0),
        xmax: snap.get(1),
    })
}

/// Replaces the documents of the changed entities with their current state.
async fn apply(
    writer: &IndexWriter,
    fields: &Fields,
    client: &tokio_postgres::Client,
    changes: &[(i64, String, i64)],
    related: &Relatedness,
) -> anyhow::Result<()> {
    let mut worker_ids: Vec<i64> = Vec::new();
    let mut opening_ids: Vec<i64> = Vec::new();
    for (_, entity, id) in changes {
        match entity.as_str() {
            "worker" => worker_ids.push(*id),
            "opening" => opening_ids.push(*id),
            _ => {}
        }
    }
    worker_ids.sort_unstable();
    worker_ids.dedup();
    opening_ids.sort_unstable();
    opening_ids.dedup();
    for id in &worker_ids {
        writer.delete_term(Term::from_field_text(fields.key, &format!("w:{id}")));
    }
    for id in &opening_ids {
        writer.delete_term(Term::from_field_text(fields.key, &format!("o:{id}")));
    }
    for w in documents::load_workers(client, &worker_ids).await? {
        writer.add_document(worker_document(fields, &w))?;
    }
    if !opening_ids.is_empty() {
        let suggester = super::shared_suggester()?;
        for mut o in documents::load_openings(client, &opening_ids).await? {
            super::profile::prepare(&mut o, &*suggester, related);
            writer.add_document(opening_document(fields, &o))?;
        }
    }
    Ok(())
}

fn commit(writer: &mut IndexWriter, progress: &Progress) -> anyhow::Result<()> {
    let mut prepared = writer.prepare_commit()?;
    prepared.set_payload(&serde_json::to_string(progress)?);
    prepared.commit()?;
    Ok(())
}

/// Builds a new generation holding everything PostgreSQL has now; returns it with its report.
/// Runs beside the live index (its own writer, on its own directory).
pub async fn build_generation(
    dir: &std::path::Path,
    client: &mut tokio_postgres::Client,
) -> anyhow::Result<ReindexReport> {
    let started = Instant::now();
    let (generation, index) = index::create_generation(dir)?;
    let (_, fields) = super::schema::build_schema();
    let writer: IndexWriter = index.writer(WRITER_MEMORY)?;
    // One snapshot for the documents and the outbox position, so nothing falls between them.
    let tx = snapshot(client).await?;
    // The worker stream's plan is costed high enough for PostgreSQL to compile it, which takes
    // longer than the compiled plan saves on a stream of simple lookups (0.27 s of 1.09 s at
    // 100k workers).
    tx.batch_execute("SET LOCAL jit = off").await?;
    let snap = tx
        .query_one(
            "SELECT coalesce((SELECT max(seq) FROM index_changes), 0)",
            &[],
        )
        .await?;
    let upto: i64 = snap.get(0);
    let related = Relatedness::load(&tx).await?;
    // Changes of transactions still running now are not in this snapshot: remember the recent
    // holes as gaps, to be picked up when those transactions commit.
    let holes = tx
        .query(
            "SELECT s FROM generate_series(greatest(1, $1::int8 - 10000), $1::int8) s
             WHERE NOT EXISTS (SELECT 1 FROM index_changes c WHERE c.seq = s)",
            &[&upto],
        )
        .await?;
    // Rows stream in from PostgreSQL while a thread turns them into documents for the writer's
    // indexing threads, so fetching, building and indexing overlap.
    let (docs, received) = tokio::sync::mpsc::channel::<Doc>(4_096);
    let adder =
        tokio::task::spawn_blocking(move || add_documents(writer, fields, received, related));
    let sent = docs_from(&tx, docs).await;
    // A send fails only when the adder stopped, and then the adder's error says why.
    let (mut writer, workers, openings) = adder.await??;
    sent?;
    tx.commit().await?;
    let progress = Progress {
        upto,
        // Horizons set by the first poll that still misses them (see `advance`).
        gaps: holes
            .iter()
            .map(|r| (r.get::<_, i64>(0), HORIZON_UNSET))
            .collect(),
    };
    commit(&mut writer, &progress)?;
    merge_into(&index, &mut writer, crate::cores())?;
    writer.wait_merging_threads()?;
    index::set_current(dir, generation)?;
    Ok(ReindexReport {
        generation,
        workers,
        openings,
        millis: started.elapsed().as_millis(),
    })
}

/// Merges a new generation's segments into `parts` (one per search thread, so a lone search
/// can still spread over the cores). A candidate search pays per segment: its bitsets, and
/// its own list of the best, which each segment fills before the floor they share can help.
/// The indexing threads' memory budget leaves six segments at 1M workers, and uncached
/// candidate requests were ~10 % faster on one or two (BENCHMARKS.md); the merges, run side
/// by side, add ~1.2 s to a 1M build (1.75 s one after the other). The merge keeps the
/// commit's payload (the outbox position).
fn merge_into(index: &Index, writer: &mut IndexWriter, parts: usize) -> anyhow::Result<()> {
    let segments = index.searchable_segment_ids()?;
    if segments.len() <= parts.max(1) {
        return Ok(());
    }
    // Started together, so the merges run on the writer's merge threads side by side.
    let merges: Vec<_> = segments
        .chunks(segments.len().div_ceil(parts.max(1)))
        .filter(|part| part.len() > 1)
        .map(|part| writer.merge(part))
        .collect();
    for merge in merges {
        merge.wait()?;
    }
    Ok(())
}

enum Doc {
    Worker(documents::WorkerDoc),
    Opening(documents::OpeningDoc),
}

/// Openings first: each needs its title read by the suggester, which the adder hands to other
/// threads, so that reading overlaps the workers' stream instead of following it.
async fn docs_from(
    tx: &tokio_postgres::Transaction<'_>,
    docs: tokio::sync::mpsc::Sender<Doc>,
) -> anyhow::Result<()> {
    let openings = documents::stream_openings(tx).await?;
    let mut openings = std::pin::pin!(openings);
    while let Some(o) = openings.try_next().await? {
        docs.send(Doc::Opening(o)).await?;
    }
    let workers = documents::stream_workers(tx).await?;
    let mut workers = std::pin::pin!(workers);
    while let Some(w) = workers.try_next().await? {
        docs.send(Doc::Worker(w)).await?;
    }
    Ok(())
}

/// Adds every received document to the writer. Workers go straight in; openings go to one
/// title reader per core (one suggester call per title, which on this one thread, after the
/// workers, made a large generation's build much slower) and are added from there, the writer
/// taking documents from several threads.
fn add_documents(
    writer: IndexWriter,
    fields: Fields,
    mut received: tokio::sync::mpsc::Receiver<Doc>,
    related: Relatedness,
) -> anyhow::Result<(IndexWriter, usize, usize)> {
    let readers = crate::cores();
    let (to_read, unread) = std::sync::mpsc::channel::<documents::OpeningDoc>();
    let unread = std::sync::Mutex::new(unread);
    let titles = super::title_trade::TitleMemo::default();
    let (workers, openings) = std::thread::scope(|scope| -> anyhow::Result<(usize, usize)> {
        let reading: Vec<_> = (0..readers)
            .map(|_| {
                scope.spawn(|| -> anyhow::Result<usize> {
                    // Built here, not before the workers: they need no suggester.
                    let suggester = super::shared_suggester()?;
                    let reader = titles.reading(&*suggester);
                    let mut added = 0;
                    loop {
                        // The lock is held only while taking the next opening.
                        let next = unread
                            .lock()
                            .map_err(|_| anyhow::anyhow!("a title reader panicked"))?
                            .recv();
                        let Ok(mut o) = next else {
                            return Ok(added);
                        };
                        super::profile::prepare(&mut o, &reader, &related);
                        writer.add_document(opening_document(&fields, &o))?;
                        added += 1;
                    }
                })
            })
            .collect();
        let mut workers = 0;
        let mut added: anyhow::Result<()> = Ok(());
        while let Some(doc) = received.blocking_recv() {
            match doc {
                Doc::Worker(w) => {
                    if let Err(e) = writer.add_document(worker_document(&fields, &w)) {
                        added = Err(e.into());
                        break;
                    }
                    workers += 1;
                }
                // A reader that fails stops; the others go on, and the failure is returned below.
                Doc::Opening(o) => {
                    if to_read.send(o).is_err() {
                        added = Err(anyhow::anyhow!("the title readers' queue closed"));
                        break;
                    }
                }
            }
        }
        drop(to_read);
        let mut openings = 0;
        for reader in reading {
            openings += reader
                .join()
                .map_err(|_| anyhow::anyhow!("a title reader panicked"))??;
        }
        added?;
        Ok((workers, openings))
    })?;
    Ok((writer, workers, openings))
}

pub struct IndexerHandle {
    commands: std::sync::mpsc::Sender<Command>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl IndexerHandle {
    pub fn send(&self, command: Command) -> bool {
        self.commands.send(command).is_ok()
    }
}

impl Drop for IndexerHandle {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Indexer {
    dir: PathBuf,
    db: tokio_postgres::Config,
    shared: Arc<Shared>,
    commands: std::sync::mpsc::Receiver<Command>,
    poll_interval: Duration,
}

/// Starts the indexer thread. The live index is the one named by CURRENT (built first when
/// there is none).
pub fn start(
    dir: PathBuf,
    db: tokio_postgres::Config,
    shared: Arc<Shared>,
    poll_interval: Duration,
) -> anyhow::Result<IndexerHandle> {
    let (tx, rx) = std::sync::mpsc::channel();
    let indexer = Indexer {
        dir,
        db,
        shared,
        commands: rx,
        poll_interval,
    };
    let thread = std::thread::Builder::new()
        .name("indexer".into())
        .spawn(move || indexer.run())
        .context("starting the indexer thread")?;
    Ok(IndexerHandle {
        commands: tx,
        thread: Some(thread),
    })
}

impl Indexer {
    fn run(self) {
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                tracing::error!(error = %e, "indexer runtime");
                return;
            }
        };
        const FIRST_BACKOFF: Duration = Duration::from_millis(200);
        let mut backoff = FIRST_BACKOFF;
        loop {
            let started = std::time::Instant::now();
            match rt.block_on(self.serve()) {
                Ok(()) => return,
                Err(e) => {
                    // A failure after a long healthy run (the database restarted) starts the
                    // backoff over, so the index catches up soon after the database is back.
                    if started.elapsed() > Duration::from_secs(30) {
                        backoff = FIRST_BACKOFF;
                    }
                    tracing::error!(error = %format!("{e:#}"), "indexer failed; restarting");
                    // Stop promptly even while backing off.
                    match self.commands.recv_timeout(backoff) {
                        Ok(Command::Stop)
                        | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
                        Ok(Command::Reindex(reply)) => {
                            let _ = reply.send(Err(anyhow::anyhow!("the indexer is restarting")));
                        }
                        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            }
        }
    }

    /// Opens the live generation and applies changes until told to stop. Errors restart it.
    async fn serve(&self) -> anyhow::Result<()> {
        let mut client = crate::db::connect(&self.db).await?;
        match index::current_generation(&self.dir) {
            None => {
                let report = build_generation(&self.dir, &mut client).await?;
                tracing::info!(?report, "built the first index generation");
            }
            Some(generation) if !index::has_current_schema(&self.dir, generation) => {
                let report = build_generation(&self.dir, &mut client).await?;
                tracing::info!(
                    ?report,
                    "rebuilt the index: its schema was from an older build"
                );
            }
            Some(_) => {}
        }
        // Seed data: it changes only with a migration, and a restart reloads it.
        let related = Relatedness::load(&client).await?;
        let (mut live, mut writer) = self.open_live()?;
        let mut progress = live.progress();
        self.publish(&progress);
        loop {
            match self.commands.try_recv() {
                Ok(Command::Stop) | Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                    writer.wait_merging_threads()?;
                    return Ok(());
                }
                Ok(Command::Reindex(reply)) => {
                    let result = build_generation(&self.dir, &mut client).await;
                    if result.is_ok() {
                        // Swapped in before answering, so the caller's next search uses it.
                        (live, writer) = self.swap_to_current(writer)?;
                        progress = live.progress();
                        self.publish(&progress);
                    }
                    let _ = reply.send(result);
                    continue;
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => {}
            }
            // `labormatch reindex` from the command line swaps CURRENT under us.
            if index::current_generation(&self.dir) != Some(live.generation) {
                (live, writer) = self.swap_to_current(writer)?;
                progress = live.progress();
                self.publish(&progress);
            }
            let polled = poll(&mut client, &progress).await?;
            let next = advance(&progress, &polled);
            if polled.changes.is_empty() && next == progress {
                tokio::time::sleep(self.poll_interval).await;
                continue;
            }
            apply(&writer, &live.fields, &client, &polled.changes, &related).await?;
            commit(&mut writer, &next)?;
            live.reader.reload()?;
            progress = next;
            self.publish(&progress);
        }
    }

    fn open_live(&self) -> anyhow::Result<(Arc<LiveIndex>, IndexWriter)> {
        let generation = index::current_generation(&self.dir)
            .ok_or_else(|| anyhow::anyhow!("no CURRENT index generation"))?;
        let live = Arc::new(LiveIndex::open(&self.dir, generation)?);
        let writer = live.index.writer(WRITER_MEMORY)?;
        self.shared.swap(live.clone());
        index::remove_old_generations(&self.dir, generation);
        Ok((live, writer))
    }

    fn swap_to_current(&self, old: IndexWriter) -> anyhow::Result<(Arc<LiveIndex>, IndexWriter)> {
        // Release the old generation's writer (and its lock) before opening the new one.
        old.wait_merging_threads()?;
        self.open_live()
    }

    fn publish(&self, progress: &Progress) {
        self.shared.visible.send_replace(progress.visible_upto());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poll(seqs: &[i64], xmin: i64, xmax: i64) -> Poll {
        Poll {
            changes: seqs.iter().map(|s| (*s, "worker".to_string(), 1)).collect(),
            xmin,
            xmax,
        }
    }

    #[test]
    fn a_late_commit_below_the_watermark_is_not_skipped() {
        // 1, 2 and 4 visible; 3 belongs to a transaction still running.
        let p = advance(&Progress::default(), &poll(&[1, 2, 4], 100, 105));
        assert_eq!(p.upto, 4);
        assert_eq!(p.gaps, vec![(3, HORIZON_UNSET)]);
        assert_eq!(p.visible_upto(), 2);
        // Next poll: 3 has committed and is seen through the gap list.
        let p = advance(&p, &poll(&[3], 103, 108));
        assert_eq!(p.gaps, vec![]);
        assert_eq!(p.visible_upto(), 4);
    }

    #[test]
    fn a_rolled_back_gap_is_given_up_only_when_its_owner_must_have_ended() {
        let p = advance(&Progress::default(), &poll(&[1, 3], 100, 105));
        // The next poll still misses 2 and sets its horizon: any owner has its id by now.
        let p = advance(&p, &poll(&[], 104, 110));
        assert_eq!(p.gaps, vec![(2, 110)]);
        // The owner might still run (xmin 108 < horizon 110): keep waiting.
        let p = advance(&p, &poll(&[], 108, 112));
        assert_eq!(p.gaps, vec![(2, 110)]);
        // Every transaction below 110 has ended and 2 never appeared: it rolled back.
        let p = advance(&p, &poll(&[], 110, 112));
        assert_eq!(p.gaps, vec![]);
        assert_eq!(p.visible_upto(), 3);
    }

    #[test]
    fn a_gap_whose_owner_got_its_id_after_the_finding_snapshot_is_kept() {
        // 5 was drawn by a transaction with no id yet; 6 committed; the snapshot's xmax is 101.
        let p = advance(&Progress::default(), &poll(&[1, 2, 3, 4, 6], 100, 101));
        // The owner then wrote (id 101) and still runs: every id below 101 has ended. The
        // finding snapshot's horizon (101) would give 5 up here.
        let p = advance(&p, &poll(&[], 101, 102));
        assert_eq!(p.gaps, vec![(5, 102)]);
        // It commits and is picked up.
        let p = advance(&p, &poll(&[5], 101, 103));
        assert_eq!(p.gaps, vec![]);
        assert_eq!(p.visible_upto(), 6);
    }
}
