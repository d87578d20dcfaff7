//! `labormatch bench`: measures, in process, against the data `labormatch gen` loaded:
//! candidates of an opening, matches for a worker and free-text search on the live index
//! (p50/p95/p99), the same matching and search done by PostgreSQL alone as a baseline,
//! time from a committed write to its visibility in the index, peak RSS and index size.

use std::time::{Duration, Instant};

use anyhow::Context;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use tokio_postgres::Client;

use super::{mib, ms, Latency};
use crate::config::MatchWeights;
use crate::search::documents::{self, OpeningDoc, WorkerDoc};
use crate::search::index::{self, LiveIndex};
use crate::search::matcher::{self, Ranking, SearchFilters};

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
    pub ours: Latency,
    pub pg: Option<Latency>,
    pub note: String,
}

pub struct BenchReport {
    pub rows: Vec<Row>,
    pub write_visible: Option<Latency>,
    /// Changes, time to commit them all, time from the last commit until it was visible.
    pub burst: Option<(usize, Duration, Duration)>,
    pub documents: u64,
    pub workers: i64,
    pub openings: i64,
    pub index_mib: f64,
    pub peak_rss_mib: f64,
    pub rss_after_queries_mib: f64,
    pub pg_setup_secs: f64,
    pub trgm_plan: String,
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

/// The bench-only tables PostgreSQL answers from: one row per available worker with its
/// occupation codes at three levels as arrays (GIN-indexed), and one per open opening with
/// its work region's lineage and a trigram-indexed text.
async fn pg_setup(client: &Client) -> anyhow::Result<()> {
    client
        .batch_execute(
            "CREATE EXTENSION IF NOT EXISTS pg_trgm;
             DROP TABLE IF EXISTS bench_pg_workers;
             CREATE TABLE bench_pg_workers AS
             SELECT w.id, w.destinations, w.accept_anywhere, w.min_wage, w.available_from,
                    h.status AS household_status,
                    array_agg(DISTINCT s.occupation_code) AS codes,
                    array_agg(DISTINCT left(s.occupation_code, 7)) AS units,
                    array_agg(DISTINCT left(s.occupation_code, 4)) AS minors,
                    coalesce(array_agg(DISTINCT s.occupation_code)
                             FILTER (WHERE s.source = 'certified'), '{}') AS cert_codes,
                    max(s.years_experience) AS years
             FROM workers w
             JOIN worker_skills s ON s.worker_id = w.id
             LEFT JOIN households h ON h.id = w.household_id
             WHERE w.status = 'available'
             GROUP BY w.id, h.status;
             CREATE INDEX ON bench_pg_workers USING gin (minors);
             CREATE INDEX ON bench_pg_workers USING gin (destinations);
             ANALYZE bench_pg_workers;
             DROP TABLE IF EXISTS bench_pg_openings;
             CREATE TABLE bench_pg_openings AS
             SELECT o.id, o.title, o.title || ' ' || o.description AS body,
                    o.required_occupations || o.nice_occupations AS codes,
                    ARRAY(SELECT DISTINCT left(c, 7)
                          FROM unnest(o.required_occupations || o.nice_occupations) c) AS units,
                    ARRAY(SELECT DISTINCT left(c, 4)
                          FROM unnest(o.required_occupations || o.nice_occupations) c) AS minors,
                    ARRAY[left(o.work_region, 2) || '0000', left(o.work_region, 4) || '00',
                          o.work_region] AS lineage,
                    o.wage_max, o.start_date, o.deadline
             FROM openings o WHERE o.status = 'open';
             CREATE INDEX ON bench_pg_openings USING gin (minors);
             CREATE INDEX ON bench_pg_openings USING gin (body gin_trgm_ops);
             ANALYZE bench_pg_openings;",
        )
        .await
        .context("creating the PostgreSQL baseline tables")?;
    Ok(())
}

fn lineage(code: &str) -> Vec<String> {
    crate::domain::RegionCode::parse(code)
        .map(|r| r.lineage())
        .unwrap_or_default()
}

fn levels(codes: &[String], len: usize) -> Vec<String> {
    let mut out: Vec<String> = codes
        .iter()
        .filter_map(|c| c.get(..len))
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}

const PG_CANDIDATES: &str = "
    SELECT id,
           (CASE WHEN codes && $1 THEN 10 WHEN units && $2 THEN 6 ELSE 3 END)
         + (CASE WHEN cert_codes && $1 THEN 3 ELSE 0 END)
         + 2 * least(years, 10) / 10
         + (CASE household_status WHEN 'registered_poor' THEN 1 WHEN 'monitored' THEN 0.6 ELSE 0 END)
           AS score
    FROM bench_pg_workers
    WHERE minors && $3 AND (accept_anywhere OR destinations && $4) AND min_wage <= $5
      AND (available_from IS NULL OR available_from <= $6)
    ORDER BY score DESC, id LIMIT 20";

const PG_MATCHES: &str = "
    SELECT id,
           (CASE WHEN codes && $1 THEN 10 WHEN units && $2 THEN 6 ELSE 3 END) AS score
    FROM bench_pg_openings
    WHERE minors && $3 AND ($4 OR lineage && $5) AND wage_max >= $6 AND deadline >= $7
      AND ($8::date IS NULL OR start_date >= $8)
    ORDER BY score DESC, id LIMIT 20";

const PG_SEARCH: &str = "
    SELECT id, title, count(*) OVER () AS total
    FROM bench_pg_openings
    WHERE deadline >= $2 AND body ILIKE ANY ($1)
    ORDER BY (title ILIKE ANY ($1)) DESC, id LIMIT 20";

fn patterns(q: &str) -> Vec<String> {
    q.split_whitespace().map(|t| format!("%{t}%")).collect()
}

pub async fn bench(
    config: &tokio_postgres::Config,
    index_dir: &std::path::Path,
    weights: &MatchWeights,
    opts: &BenchOptions,
) -> anyhow::Result<BenchReport> {
    let client = crate::db::connect(config).await?;
    let generation = index::current_generation(index_dir)
        .context("no index generation: run `labormatch gen` (or `reindex`) first")?;
    let live = LiveIndex::open(index_dir, generation)?;
    let documents = live.reader.searcher().num_docs();
    let ranking = Ranking::load(&client, *weights).await?;
    let today = crate::validate::today();
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
    let sampled_workers = sample_ids(&worker_ids, opts.queries, &mut rng);
    drop(worker_ids);
    let mut openings: Vec<OpeningDoc> =
        documents::load_openings(&client, &sampled_openings).await?;
    let mut workers: Vec<WorkerDoc> = documents::load_workers(&client, &sampled_workers).await?;
    openings.shuffle(&mut rng);
    workers.shuffle(&mut rng);
    // As the candidates route does before it searches (not timed, as before: the suggester).
    let suggester = crate::search::shared_suggester()?;
    for o in &mut openings {
        crate::search::profile::prepare(o, &*suggester);
    }
    let queries: Vec<&str> = (0..opts.queries)
        .map(|_| *QUERIES.choose(&mut rng).unwrap_or(&"焊工"))
        .collect();
    println!(
        "bench: generation {generation}, {documents} documents; {} openings, {} workers, {} queries sampled",
        openings.len(),
        workers.len(),
        queries.len()
    );

    // Warm up: the first touches fault the index files into the page cache.
    for o in openings.iter().take(20) {
        matcher::candidates(&live, o, None, today, &ranking, 20)?;
    }
    for w in workers.iter().take(20) {
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

    let mut found = 0usize;
    let cand: Vec<Duration> = openings
        .iter()
        .map(|o| {
            let (d, r) = time(|| matcher::candidates(&live, o, None, today, &ranking, 20));
            found += r.map(|v| v.items.len()).unwrap_or(0);
            d
        })
        .collect();
    let cand_avg = found as f64 / openings.len().max(1) as f64;
    found = 0;
    let mat: Vec<Duration> = workers
        .iter()
        .map(|w| {
            let (d, r) = time(|| matcher::matches_for_worker(&live, w, today, &ranking, 20));
            found += r.map(|v| v.len()).unwrap_or(0);
            d
        })
        .collect();
    let mat_avg = found as f64 / workers.len().max(1) as f64;
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
    // Where candidate time goes: the second stage alone (read and parse 400 stored worker
    // documents, as `candidates` does for its shortlist), at random addresses.
    let stage2 = {
        let searcher = live.reader.searcher();
        let segments: Vec<(u32, u32)> = searcher
            .segment_readers()
            .iter()
            .enumerate()
            .map(|(i, r)| (i as u32, r.max_doc()))
            .filter(|(_, n)| *n > 0)
            .collect();
        let mut out = Vec::new();
        for _ in 0..opts.queries.min(100) {
            let addrs: Vec<tantivy::DocAddress> = (0..400)
                .filter_map(|_| {
                    let (seg, n) = *segments.choose(&mut rng)?;
                    Some(tantivy::DocAddress::new(seg, rng.gen_range(0..n)))
                })
                .collect();
            let (d, _) = time(|| {
                addrs
                    .iter()
                    .filter_map(|a| {
                        let doc: tantivy::TantivyDocument = searcher.doc(*a).ok()?;
                        let data =
                            tantivy::schema::Value::as_str(&doc.get_first(live.fields.data)?)?
                                .to_string();
                        serde_json::from_str::<serde_json::Value>(&data).ok()
                    })
                    .count()
            });
            out.push(d);
        }
        Latency::of(&out)
    };
    let rss_after_queries_mib = mib(super::rss_bytes());
    println!("bench: index queries done");

    // PostgreSQL alone.
    let setup = Instant::now();
    pg_setup(&client).await?;
    let pg_setup_secs = setup.elapsed().as_secs_f64();
    println!("bench: PostgreSQL baseline tables built in {pg_setup_secs:.1}s");
    let cand_stmt = client.prepare(PG_CANDIDATES).await?;
    let mat_stmt = client.prepare(PG_MATCHES).await?;
    let search_stmt = client.prepare(PG_SEARCH).await?;
    let mut pg_cand = Vec::new();
    for (k, o) in openings.iter().enumerate() {
        let codes: Vec<String> = o.required.iter().chain(o.nice.iter()).cloned().collect();
        let (units, minors) = (levels(&codes, 7), levels(&codes, 4));
        let mut regions = lineage(&o.work_region);
        regions.dedup();
        let t = Instant::now();
        client
            .query(
                &cand_stmt,
                &[
                    &codes,
                    &units,
                    &minors,
                    &regions,
                    &o.wage_max,
                    &o.start_date,
                ],
            )
            .await?;
        if k >= 5 {
            pg_cand.push(t.elapsed());
        }
    }
    let mut pg_mat = Vec::new();
    for (k, w) in workers.iter().enumerate() {
        let codes: Vec<String> = w.skills.iter().map(|s| s.code.clone()).collect();
        let (units, minors) = (levels(&codes, 7), levels(&codes, 4));
        let t = Instant::now();
        client
            .query(
                &mat_stmt,
                &[
                    &codes,
                    &units,
                    &minors,
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
        client.query(&search_stmt, &[&p, &today]).await?;
        if k >= 5 {
            pg_search.push(t.elapsed());
        }
    }
    let mut trgm_plan = Vec::new();
    for sql in [
        "EXPLAIN SELECT id FROM bench_pg_openings WHERE body ILIKE ANY ('{%电焊工%}')",
        "EXPLAIN SELECT id FROM bench_pg_openings WHERE body ILIKE '%电焊工%'",
        "SELECT 'lc_ctype ' || current_setting('lc_ctype') || ', trigrams of 电焊工: ' || show_trgm('电焊工')::text",
    ] {
        let lines: Vec<String> = client
            .query(sql, &[])
            .await?
            .iter()
            .map(|r| r.get::<_, String>(0).trim().to_string())
            .collect();
        trgm_plan.push(lines.join(" / "));
    }
    let trgm_plan = trgm_plan.join(" ‖ ");
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
                ours: Latency::of(&cand),
                pg: Some(Latency::of(&pg_cand)),
                note: format!("{cand_avg:.1} results on average"),
            },
            Row {
                what: "└ of which: read + parse 400 stored docs (stage 2, estimate)".into(),
                ours: stage2,
                pg: None,
                note: "random documents, same work as a shortlist".into(),
            },
            Row {
                what: "matches for a worker (top 20)".into(),
                ours: Latency::of(&mat),
                pg: Some(Latency::of(&pg_mat)),
                note: format!("{mat_avg:.1} results on average"),
            },
            Row {
                what: "free-text search of openings (top 20 + count + facets)".into(),
                ours: Latency::of(&search),
                pg: Some(Latency::of(&pg_search)),
                note: format!("{search_avg:.0} hits on average"),
            },
        ],
        write_visible,
        burst,
        documents,
        workers: workers_total,
        openings: openings_total,
        index_mib,
        peak_rss_mib: mib(super::peak_rss_bytes()),
        rss_after_queries_mib,
        pg_setup_secs,
        trgm_plan,
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
    let mut client = crate::db::connect(config).await?;
    let service = crate::search::SearchService::start(
        index_dir.to_path_buf(),
        config.clone(),
        4,
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
        "Data: {} available workers, {} open openings, {} documents in the index ({:.0} MiB on disk).\n\n",
        r.workers, r.openings, r.documents, r.index_mib
    ));
    out.push_str("| operation (in process) | n | p50 ms | p95 ms | p99 ms | max ms | PostgreSQL p50 / p99 ms | PostgreSQL ÷ ours (p50, p99) | note |\n");
    out.push_str("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
    for row in &r.rows {
        let (pg, ratio) = match &row.pg {
            Some(pg) => (
                format!("{:.2} / {:.2}", ms(pg.p50), ms(pg.p99)),
                format!(
                    "{:.2}× / {:.2}×",
                    ms(pg.p50) / ms(row.ours.p50).max(1e-6),
                    ms(pg.p99) / ms(row.ours.p99).max(1e-6)
                ),
            ),
            None => ("–".into(), "–".into()),
        };
        out.push_str(&format!(
            "| {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {} | {} |\n",
            row.what,
            row.ours.n,
            ms(row.ours.p50),
            ms(row.ours.p95),
            ms(row.ours.p99),
            ms(row.ours.max),
            pg,
            ratio,
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
         PostgreSQL baseline tables built in {:.1} s. Trigram plan: `{}`\n",
        r.peak_rss_mib, r.rss_after_queries_mib, r.pg_setup_secs, r.trgm_plan
    ));
    out
}
