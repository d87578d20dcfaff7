//! `labormatch bench`: measures, in process, against the data `labormatch gen` loaded:
//! candidates of an opening, matches for a worker and free-text search on the live index
//! (p50/p95/p99); the same candidate and match queries run straight into a plain tantivy
//! `TopDocs` (the raw engine: same filters and trade clause, no ranking, no explanations); the
//! same matching and search done by PostgreSQL alone, in a database of its own whose ctype
//! (C.UTF-8) lets `pg_trgm` see Chinese; time from a committed write to its visibility in the
//! index; peak RSS and index size.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::{SinkExt, StreamExt};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use tokio_postgres::Client;

use super::{load_average, mib, ms, Figures, Latency};
use labormatch::config::MatchWeights;
use labormatch::search::documents::{self, OpeningDoc, WorkerDoc};
use labormatch::search::index::{self, LiveIndex};
use labormatch::search::matcher::{self, Ranking, SearchFilters};
use labormatch::search::profile::OpeningProfile;
use labormatch::search::Segments;

pub struct BenchOptions {
    pub queries: usize,
    pub writes: usize,
    pub seed: u64,
}

/// Free-text queries as people type them (the sample cycles through these).
pub const QUERIES: [&str; 20] = [
    "焊工",
    "电焊工",
    "拉面",
    "拉面师傅",
    "厨师",
    "家政",
    "保育师",
    "挖机司机",
    "货车司机",
    "仓库管理员",
    "搬运工",
    "包吃包住",
    "钢筋工",
    "瓦工",
    "养老护理员",
    "深圳 电焊工",
    "广州 厨师",
    "杭州 家政",
    "月薪 8000",
    "餐厅服务员",
];

pub struct Row {
    pub what: String,
    /// Figure prefix: `candidates`, `matches`, `search`.
    pub name: &'static str,
    pub ours: Latency,
    /// The same query into a plain `TopDocs`.
    pub raw: Option<Latency>,
    pub pg: Option<Latency>,
    pub note: String,
}

pub struct BenchReport {
    pub rows: Vec<Row>,
    pub write_visible: Option<Latency>,
    /// Changes, time to commit them all, time from the last commit until it was visible.
    pub burst: Option<(usize, Duration, Duration)>,
    pub documents: u64,
    pub segments: usize,
    pub workers: i64,
    pub openings: i64,
    pub index_mib: f64,
    pub peak_rss_mib: f64,
    pub rss_after_queries_mib: f64,
    pub pg_setup_secs: f64,
    pub trgm_plan: String,
    /// Averages: candidates answered, workers that passed the filters, matches answered.
    pub candidates_avg: f64,
    pub passed_avg: f64,
    /// Of those, the workers scored a request (the rest could not enter the list).
    pub scored_avg: f64,
    pub matches_avg: f64,
    pub load_before: [f64; 3],
    pub load_after: [f64; 3],
}

impl BenchReport {
    pub fn figures(&self) -> Figures {
        let mut f = Figures::default();
        for row in &self.rows {
            f.latency(&format!("{}.inproc", row.name), &row.ours);
            if let Some(raw) = &row.raw {
                f.latency(&format!("{}.raw", row.name), raw);
                f.set(
                    format!("{}.ours_over_raw.p50", row.name),
                    ms(row.ours.p50) / ms(raw.p50).max(1e-6),
                );
                f.set(
                    format!("{}.ours_over_raw.p99", row.name),
                    ms(row.ours.p99) / ms(raw.p99).max(1e-6),
                );
            }
            if let Some(pg) = &row.pg {
                f.latency(&format!("{}.pg", row.name), pg);
                f.set(
                    format!("{}.pg_over_ours.p50", row.name),
                    ms(pg.p50) / ms(row.ours.p50).max(1e-6),
                );
                f.set(
                    format!("{}.pg_over_ours.p99", row.name),
                    ms(pg.p99) / ms(row.ours.p99).max(1e-6),
                );
            }
        }
        f.set("candidates.inproc.results_avg", self.candidates_avg);
        f.set("candidates.inproc.passed_filters_avg", self.passed_avg);
        f.set("candidates.inproc.scored_avg", self.scored_avg);
        f.set("matches.inproc.results_avg", self.matches_avg);
        if let Some(w) = &self.write_visible {
            f.latency("write_visible", w);
        }
        if let Some((n, written, tail)) = self.burst {
            f.set("write_visible.burst.changes", n as f64);
            f.set("write_visible.burst.commit_ms", ms(written));
            f.set("write_visible.burst.tail_ms", ms(tail));
        }
        f.set("data.workers", self.workers as f64);
        f.set("data.openings", self.openings as f64);
        f.set("index.documents", self.documents as f64);
        f.set("index.segments", self.segments as f64);
        f.set("index.mib", self.index_mib);
        f.set("memory.peak_rss_mib", self.peak_rss_mib);
        f.set("memory.rss_after_queries_mib", self.rss_after_queries_mib);
        f.set("pg.setup_secs", self.pg_setup_secs);
        f.set("machine.load1.before", self.load_before[0]);
        f.set("machine.load1.after", self.load_after[0]);
        f
    }
}

fn sample_ids(all: &[i64], n: usize, rng: &mut StdRng) -> Vec<i64> {
    let mut ids: Vec<i64> = all
        .choose_multiple(rng, n.min(all.len()))
        .copied()
        .collect();
    ids.sort_unstable();
    ids
}

async fn ids(client: &Client, sql: &str) -> anyhow::Result<Vec<i64>> {
    Ok(client
        .query(sql, &[])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

fn time<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let t = Instant::now();
    let out = f();
    (t.elapsed(), out)
}

/// The PostgreSQL baseline's own database: UTF-8 with ctype C.UTF-8, in which `pg_trgm` takes
/// trigrams of Chinese text (in the service's `C` database it takes none and every `ILIKE` is a
/// sequential scan).
const PG_DATABASE: &str = "labormatch_bench_pg";

/// Occupation codes with their ancestors, as the index holds them (6, 6-18, 6-18-02, 6-18-02-04).
const ANCESTORS: &str = "ARRAY(SELECT DISTINCT t FROM unnest(CODES) c,
                              unnest(ARRAY[c, left(c, 7), left(c, 4), left(c, 1)]) t)";

/// Builds the baseline's tables in their own database, copied from the service's with COPY:
/// one row per available worker (occupation terms as the index has them, GIN-indexed; its
/// destinations, GIN-indexed; certified codes, most years, equity), and one per open opening
/// (occupation terms and work-region lineage, GIN-indexed; title and description with a
/// trigram index). Returns a client of that database.
async fn pg_setup(config: &tokio_postgres::Config, client: &Client) -> anyhow::Result<Client> {
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {PG_DATABASE}"))
        .await?;
    let mut created = Err(anyhow::anyhow!("no C.UTF-8 locale"));
    for ctype in ["C.UTF-8", "C.utf8"] {
        let sql = format!(
            "CREATE DATABASE {PG_DATABASE} TEMPLATE template0 ENCODING 'UTF8' \
             LC_COLLATE '{ctype}' LC_CTYPE '{ctype}'"
        );
        created = client
            .batch_execute(&sql)
            .await
            .map_err(anyhow::Error::from);
        if created.is_ok() {
            break;
        }
    }
    created.context("creating the PostgreSQL baseline's database with ctype C.UTF-8")?;
    let mut pg_config = config.clone();
    pg_config.dbname(PG_DATABASE);
    let pg = labormatch::db::connect(&pg_config).await?;
    pg.batch_execute(
        "CREATE EXTENSION IF NOT EXISTS pg_trgm;
         CREATE TABLE bench_pg_workers (
             id bigint PRIMARY KEY, destinations text[], accept_anywhere boolean,
             min_wage int, available_from date, equity real, codes text[], terms text[],
             cert_codes text[], years real);
         CREATE TABLE bench_pg_openings (
             id bigint PRIMARY KEY, title text, body text, employer_name text, work_region text,
             codes text[], terms text[], lineage text[], wage_min int, wage_max int,
             housing boolean, meals boolean, start_date date, deadline date);",
    )
    .await?;
    let workers = format!(
        "COPY (SELECT w.id, w.destinations, w.accept_anywhere, w.min_wage, w.available_from,
                      CASE h.status WHEN 'registered_poor' THEN 1 WHEN 'monitored' THEN 0.6
                                    ELSE 0 END,
                      array_agg(DISTINCT s.occupation_code), {},
                      coalesce(array_agg(DISTINCT s.occupation_code)
                               FILTER (WHERE s.source = 'certified'), '{{}}'),
                      max(s.years_experience)
               FROM workers w
               JOIN worker_skills s ON s.worker_id = w.id
               LEFT JOIN households h ON h.id = w.household_id
               WHERE w.status = 'available'
               GROUP BY w.id, h.status) TO STDOUT",
        ANCESTORS.replace("CODES", "array_agg(s.occupation_code)")
    );
    copy_between(client, &workers, &pg, "bench_pg_workers").await?;
    let openings = format!(
        "COPY (SELECT o.id, o.title, o.title || ' ' || o.description, g.name, o.work_region,
                      o.required_occupations || o.nice_occupations, {},
                      ARRAY[left(o.work_region, 2) || '0000', left(o.work_region, 4) || '00',
                            o.work_region],
                      o.wage_min, o.wage_max, o.housing, o.meals, o.start_date, o.deadline
               FROM openings o JOIN organizations g ON g.id = o.employer_id
               WHERE o.status = 'open') TO STDOUT",
        ANCESTORS.replace("CODES", "o.required_occupations || o.nice_occupations")
    );
    copy_between(client, &openings, &pg, "bench_pg_openings").await?;
    pg.batch_execute(
        "CREATE INDEX ON bench_pg_workers USING gin (terms);
         CREATE INDEX ON bench_pg_workers USING gin (destinations);
         ANALYZE bench_pg_workers;
         CREATE INDEX ON bench_pg_openings USING gin (terms);
         CREATE INDEX ON bench_pg_openings USING gin (lineage);
         CREATE INDEX ON bench_pg_openings USING gin (body gin_trgm_ops);
         ANALYZE bench_pg_openings;",
    )
    .await
    .context("indexing the PostgreSQL baseline tables")?;
    Ok(pg)
}

/// Streams `COPY (...) TO STDOUT` from one database into `table` of another.
async fn copy_between(
    from: &Client,
    out_sql: &str,
    to: &Client,
    table: &str,
) -> anyhow::Result<()> {
    let source = from.copy_out(out_sql).await?;
    let sink = to.copy_in(&format!("COPY {table} FROM STDIN")).await?;
    let mut source = std::pin::pin!(source);
    let mut sink = std::pin::pin!(sink);
    while let Some(chunk) = source.next().await {
        sink.send(chunk?).await?;
    }
    sink.as_mut().finish().await?;
    Ok(())
}

fn lineage(code: &str) -> Vec<String> {
    labormatch::domain::RegionCode::parse(code)
        .map(|r| r.lineage())
        .unwrap_or_default()
}

/// PostgreSQL's ranking: the exact trade first, a certificate in it, years, equity (a cruder
/// rule than the service's; no text part, no explanations).
const PG_CANDIDATES: &str = "
    SELECT id,
           (CASE WHEN codes && $1 THEN 10 ELSE 5 END)
         + (CASE WHEN cert_codes && $1 THEN 2 ELSE 0 END)
         + least(years, 12) / 3
         + 0.4 * equity AS score
    FROM bench_pg_workers
    WHERE terms && $2 AND (accept_anywhere OR destinations && $3) AND min_wage <= $4
      AND (available_from IS NULL OR available_from <= $5)
    ORDER BY score DESC, id LIMIT 20";

/// The answer's columns too (title, employer, place, wages, perks, dates), as ours carries them.
const PG_MATCHES: &str = "
    SELECT id, title, employer_name, work_region, wage_min, wage_max, housing, meals,
           start_date, deadline,
           (CASE WHEN codes && $1 THEN 10 ELSE 5 END) AS score
    FROM bench_pg_openings
    WHERE terms && $2 AND ($3 OR lineage && $4) AND wage_max >= $5 AND deadline >= $6
      AND ($7::date IS NULL OR start_date >= $7)
    ORDER BY score DESC, id LIMIT 20";

const PG_SEARCH: &str = "
    SELECT id, title, count(*) OVER () AS total
    FROM bench_pg_openings
    WHERE deadline >= $2 AND body ILIKE ANY ($1)
    ORDER BY (title ILIKE ANY ($1)) DESC, id LIMIT 20";

fn patterns(q: &str) -> Vec<String> {
    q.split_whitespace().map(|t| format!("%{t}%")).collect()
}

fn skill_codes(w: &WorkerDoc) -> Vec<String> {
    w.skills.iter().map(|s| s.code.clone()).collect()
}

pub async fn bench(
    config: &tokio_postgres::Config,
    index_dir: &std::path::Path,
    weights: &MatchWeights,
    opts: &BenchOptions,
) -> anyhow::Result<BenchReport> {
    let load_before = load_average();
    let client = labormatch::db::connect(config).await?;
    let generation = index::current_generation(index_dir)
        .context("no index generation: run `labormatch gen` (or `reindex`) first")?;
    let live = LiveIndex::open(index_dir, generation)?;
    let documents = live.reader.searcher().num_docs();
    let segments = live.reader.searcher().segment_readers().len();
    let ranking = Arc::new(Ranking::load(&client, *weights).await?);
    let today = labormatch::validate::today();
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let opening_ids = ids(
        &client,
        "SELECT id FROM openings WHERE status = 'open' AND deadline >= current_date ORDER BY id",
    )
    .await?;
    let worker_ids = ids(
        &client,
        "SELECT id FROM workers WHERE status = 'available' ORDER BY id",
    )
    .await?;
    let (workers_total, openings_total) = (worker_ids.len() as i64, opening_ids.len() as i64);
    let sampled_openings = sample_ids(&opening_ids, opts.queries, &mut rng);
    // Twice as many workers as measured: every other one only warms up, as a running server's
    // earlier requests would have (the openings they match are parsed and kept), without
    // asking the measured questions beforehand.
    let mut sampled_workers = Vec::with_capacity(opts.queries);
    let mut warmup_workers = Vec::with_capacity(opts.queries);
    for (i, id) in sample_ids(&worker_ids, 2 * opts.queries, &mut rng)
        .into_iter()
        .enumerate()
    {
        if i % 2 == 0 {
            sampled_workers.push(id);
        } else {
            warmup_workers.push(id);
        }
    }
    drop(worker_ids);
    let mut openings: Vec<OpeningDoc> =
        documents::load_openings(&client, &sampled_openings).await?;
    let mut workers: Vec<WorkerDoc> = documents::load_workers(&client, &sampled_workers).await?;
    let warmup: Vec<WorkerDoc> = documents::load_workers(&client, &warmup_workers).await?;
    openings.shuffle(&mut rng);
    workers.shuffle(&mut rng);
    // As the candidates route does before it searches (not timed: the suggester).
    let suggester = labormatch::search::shared_suggester()?;
    for o in &mut openings {
        labormatch::search::profile::prepare(o, &*suggester, &ranking.related);
    }
    let queries: Vec<&str> = (0..opts.queries)
        .map(|_| *QUERIES.choose(&mut rng).unwrap_or(&"焊工"))
        .collect();
    println!(
        "bench: generation {generation}, {documents} documents in {segments} segments; {} openings, {} workers, {} queries sampled",
        openings.len(),
        workers.len(),
        queries.len()
    );

    // Warm up: the first touches fault the index files into the page cache.
    for o in openings.iter().take(20) {
        matcher::candidates(&live, o, None, today, &ranking, 20, Segments::Spread)?;
    }
    for w in &warmup {
        matcher::matches_for_worker(&live, w, today, &ranking, 20)?;
    }
    let no_filters = SearchFilters {
        region: None,
        wage_min: None,
        occupation: None,
    };
    for q in QUERIES {
        let _ = matcher::search_openings(&live, q, &no_filters, today, 20);
    }

    // Ours and the raw engine alternate query by query, so a change of the machine's speed
    // during the run touches both alike.
    let (mut found, mut passed, mut scored) = (0usize, 0usize, 0usize);
    let mut cand = Vec::new();
    let mut cand_raw = Vec::new();
    for o in &openings {
        // Spread: one request at a time, as a lone request on idle cores is searched.
        let (d, r) =
            time(|| matcher::candidates(&live, o, None, today, &ranking, 20, Segments::Spread));
        let r = r?;
        found += r.items.len();
        passed += r.passed_filters;
        scored += r.scored;
        cand.push(d);
        let (d, r) = time(|| {
            let profile = OpeningProfile::of(o);
            let query = matcher::candidate_query(&live.fields, o, &profile, None, &ranking.related);
            matcher::raw_top(&live, &query, 20)
        });
        r?;
        cand_raw.push(d);
    }
    let n_openings = openings.len().max(1) as f64;
    let (candidates_avg, passed_avg) = (found as f64 / n_openings, passed as f64 / n_openings);
    let scored_avg = scored as f64 / n_openings;
    found = 0;
    let mut mat = Vec::new();
    let mut mat_raw = Vec::new();
    for w in &workers {
        let (d, r) = time(|| matcher::matches_for_worker(&live, w, today, &ranking, 20));
        found += r?.len();
        mat.push(d);
        let (d, r) =
            time(
                || match matcher::match_query(&live.fields, w, today, &ranking.related) {
                    Some(query) => matcher::raw_top(&live, &query, 20),
                    None => Ok(0),
                },
            );
        r?;
        mat_raw.push(d);
    }
    let matches_avg = found as f64 / workers.len().max(1) as f64;
    let mut totals = 0usize;
    let search: Vec<Duration> = queries
        .iter()
        .map(|q| {
            let (d, r) = time(|| matcher::search_openings(&live, q, &no_filters, today, 20));
            totals += r.map(|v| v.total).unwrap_or(0);
            d
        })
        .collect();
    let search_avg = totals as f64 / queries.len().max(1) as f64;
    let rss_after_queries_mib = mib(super::rss_bytes());
    println!("bench: index queries done");

    // PostgreSQL alone.
    let setup = Instant::now();
    let pg = pg_setup(config, &client).await?;
    let pg_setup_secs = setup.elapsed().as_secs_f64();
    println!("bench: PostgreSQL baseline database built in {pg_setup_secs:.1}s");
    let cand_stmt = pg.prepare(PG_CANDIDATES).await?;
    let mat_stmt = pg.prepare(PG_MATCHES).await?;
    let search_stmt = pg.prepare(PG_SEARCH).await?;
    let mut pg_cand = Vec::new();
    for (k, o) in openings.iter().enumerate() {
        let profile = OpeningProfile::of(o);
        let exact: Vec<String> = profile.targets.iter().map(|t| t.code.clone()).collect();
        let terms = matcher::opening_trade_terms(&profile, &ranking.related);
        let mut regions = lineage(&o.work_region);
        regions.dedup();
        let t = Instant::now();
        pg.query(
            &cand_stmt,
            &[&exact, &terms, &regions, &o.wage_max, &o.start_date],
        )
        .await?;
        if k >= 5 {
            pg_cand.push(t.elapsed());
        }
    }
    let mut pg_mat = Vec::new();
    for (k, w) in workers.iter().enumerate() {
        let codes = skill_codes(w);
        let terms = matcher::worker_trade_terms(&codes, &ranking.related);
        let t = Instant::now();
        pg.query(
            &mat_stmt,
            &[
                &codes,
                &terms,
                &w.accept_anywhere,
                &w.destinations,
                &w.min_wage,
                &today,
                &w.available_from,
            ],
        )
        .await?;
        if k >= 5 {
            pg_mat.push(t.elapsed());
        }
    }
    let mut pg_search = Vec::new();
    for (k, q) in queries.iter().enumerate() {
        let p = patterns(q);
        let t = Instant::now();
        pg.query(&search_stmt, &[&p, &today]).await?;
        if k >= 5 {
            pg_search.push(t.elapsed());
        }
    }
    let mut trgm_plan = Vec::new();
    for sql in [
        "EXPLAIN SELECT id FROM bench_pg_openings WHERE body ILIKE ANY ('{%电焊工%}')",
        "SELECT 'lc_ctype ' || current_setting('lc_ctype') || ', trigrams of 电焊工: ' || show_trgm('电焊工')::text",
    ] {
        let lines: Vec<String> = pg
            .query(sql, &[])
            .await?
            .iter()
            .map(|r| r.get::<_, String>(0).trim().to_string())
            .collect();
        trgm_plan.push(lines.join(" / "));
    }
    let trgm_plan = trgm_plan.join(" ‖ ");
    drop(pg);
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {PG_DATABASE}"))
        .await?;
    println!("bench: PostgreSQL queries done");

    // Write to visible: the service's own indexer thread against the live generation.
    let (write_visible, burst) = if opts.writes > 0 {
        let (w, b) = write_to_visible(config, index_dir, opts).await?;
        (Some(w), Some(b))
    } else {
        (None, None)
    };

    let index_mib = mib(super::dir_size(&index::generation_dir(
        index_dir, generation,
    )));
    Ok(BenchReport {
        rows: vec![
            Row {
                what: "candidates of an opening (top 20)".into(),
                name: "candidates",
                ours: Latency::of(&cand),
                raw: Some(Latency::of(&cand_raw)),
                pg: Some(Latency::of(&pg_cand)),
                note: format!(
                    "{candidates_avg:.1} results, {passed_avg:.0} passed the filters and {scored_avg:.0} were scored on average"
                ),
            },
            Row {
                what: "matches for a worker (top 20)".into(),
                name: "matches",
                ours: Latency::of(&mat),
                raw: Some(Latency::of(&mat_raw)),
                pg: Some(Latency::of(&pg_mat)),
                note: format!("{matches_avg:.1} results on average"),
            },
            Row {
                what: "free-text search of openings (top 20 + count + facets)".into(),
                name: "search",
                ours: Latency::of(&search),
                raw: None,
                pg: Some(Latency::of(&pg_search)),
                note: format!("{search_avg:.0} hits on average"),
            },
        ],
        write_visible,
        burst,
        documents,
        segments,
        workers: workers_total,
        openings: openings_total,
        index_mib,
        peak_rss_mib: mib(super::peak_rss_bytes()),
        rss_after_queries_mib,
        pg_setup_secs,
        trgm_plan,
        candidates_avg,
        passed_avg,
        scored_avg,
        matches_avg,
        load_before,
        load_after: load_average(),
    })
}

/// Starts the search service (its indexer thread polls the outbox every 50 ms), then writes
/// worker changes one at a time, each with its outbox row, and waits until each is visible.
/// Then a burst: many changes committed back to back, timed until the last one is visible.
async fn write_to_visible(
    config: &tokio_postgres::Config,
    index_dir: &std::path::Path,
    opts: &BenchOptions,
) -> anyhow::Result<(Latency, (usize, Duration, Duration))> {
    let mut client = labormatch::db::connect(config).await?;
    let service = labormatch::search::SearchService::start(
        index_dir.to_path_buf(),
        config.clone(),
        labormatch::search::SearchLimits::new(4, 0),
        0,
        MatchWeights::default(),
    )
    .await?;
    let latest: i64 = client
        .query_one("SELECT coalesce(max(seq), 0) FROM index_changes", &[])
        .await?
        .get(0);
    anyhow::ensure!(
        service.wait_for(latest, Duration::from_secs(600)).await,
        "the indexer did not catch up with the outbox"
    );
    let worker_ids = ids(
        &client,
        "SELECT id FROM workers WHERE status = 'available' ORDER BY id",
    )
    .await?;
    let mut rng = StdRng::seed_from_u64(opts.seed ^ 0x5eed);
    let mut samples = Vec::new();
    for _ in 0..opts.writes {
        let id = *worker_ids.choose(&mut rng).unwrap_or(&1);
        // Spread the writes over the poll interval rather than in step with it.
        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..60))).await;
        let seq = write_change(&mut client, id).await?;
        let t = Instant::now();
        anyhow::ensure!(
            service.wait_for(seq, Duration::from_secs(30)).await,
            "change {seq} not visible after 30 s"
        );
        samples.push(t.elapsed());
    }
    let burst_n = 1_000;
    let t = Instant::now();
    let mut last = 0;
    for _ in 0..burst_n {
        let id = *worker_ids.choose(&mut rng).unwrap_or(&1);
        last = write_change(&mut client, id).await?;
    }
    let written = t.elapsed();
    let t = Instant::now();
    anyhow::ensure!(
        service.wait_for(last, Duration::from_secs(120)).await,
        "burst not visible after 120 s"
    );
    let burst = (burst_n, written, t.elapsed());
    service.stop();
    Ok((Latency::of(&samples), burst))
}

/// One worker change with its outbox row, as the service writes it; returns the change number.
async fn write_change(client: &mut Client, id: i64) -> anyhow::Result<i64> {
    let tx = client.transaction().await?;
    tx.execute(
        "UPDATE workers SET min_wage = min_wage, version = version + 1, updated_at = now()
         WHERE id = $1",
        &[&id],
    )
    .await?;
    let seq: i64 = tx
        .query_one(
            "INSERT INTO index_changes (entity, entity_id) VALUES ('worker', $1) RETURNING seq",
            &[&id],
        )
        .await?
        .get(0);
    tx.commit().await?;
    Ok(seq)
}

/// The report as markdown tables.
pub fn markdown(r: &BenchReport) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "Data: {} available workers, {} open openings, {} documents in {} segments ({:.0} MiB on disk). \
         Load average (1 min) {:.2} before, {:.2} after the in-process part.\n\n",
        r.workers, r.openings, r.documents, r.segments, r.index_mib, r.load_before[0], r.load_after[0]
    ));
    out.push_str("| operation (in process) | n | p50 ms | p95 ms | p99 ms | max ms | raw engine p50 / p99 ms | ours ÷ raw (p50, p99) | PostgreSQL p50 / p99 ms | PostgreSQL ÷ ours (p50, p99) | note |\n");
    out.push_str("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
    let pair = |l: &Option<Latency>, ours: &Latency, ours_first: bool| match l {
        Some(l) => {
            let ratio = |a: Duration, b: Duration| {
                if ours_first {
                    ms(a) / ms(b).max(1e-6)
                } else {
                    ms(b) / ms(a).max(1e-6)
                }
            };
            (
                format!("{:.2} / {:.2}", ms(l.p50), ms(l.p99)),
                format!(
                    "{:.2}× / {:.2}×",
                    ratio(ours.p50, l.p50),
                    ratio(ours.p99, l.p99)
                ),
            )
        }
        None => ("–".into(), "–".into()),
    };
    for row in &r.rows {
        let (raw, over_raw) = pair(&row.raw, &row.ours, true);
        let (pg, pg_over) = pair(&row.pg, &row.ours, false);
        out.push_str(&format!(
            "| {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {} | {} | {} | {} |\n",
            row.what,
            row.ours.n,
            ms(row.ours.p50),
            ms(row.ours.p95),
            ms(row.ours.p99),
            ms(row.ours.max),
            raw,
            over_raw,
            pg,
            pg_over,
            row.note
        ));
    }
    out.push('\n');
    if let Some(w) = &r.write_visible {
        out.push_str(&format!(
            "| write → visible in the index | n | p50 ms | p95 ms | p99 ms | max ms |\n| --- | ---: | ---: | ---: | ---: | ---: |\n| one change at a time | {} | {:.1} | {:.1} | {:.1} | {:.1} |\n",
            w.n,
            ms(w.p50),
            ms(w.p95),
            ms(w.p99),
            ms(w.max)
        ));
    }
    if let Some((n, written, tail)) = r.burst {
        out.push_str(&format!(
            "| burst: {n} changes committed back to back (one connection, {:.0} ms), then last commit → visible | 1 | {:.0} | | | |\n",
            ms(written),
            ms(tail)
        ));
    }
    out.push_str(&format!(
        "\nPeak RSS of the bench process (VmHWM): {:.0} MiB (RSS after the index queries: {:.0} MiB). \
         PostgreSQL baseline database (ctype C.UTF-8) built in {:.1} s. Trigram plan: `{}`\n",
        r.peak_rss_mib, r.rss_after_queries_mib, r.pg_setup_secs, r.trgm_plan
    ));
    out
}
