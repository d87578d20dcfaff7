//! `labormatch bench-auth`: what authentication costs. Every authenticated request checks its
//! token's session; this measures that check against the in-memory set of ended sessions, the
//! per-request indexed PostgreSQL lookup it spares, the poller's re-read of the set, and one
//! argon2id hash with the configured parameters.

use std::time::Instant;

use anyhow::Context;

use labormatch::auth::password::PasswordHasher;
use labormatch::auth::sessions::Sessions;
use labormatch::config::Settings;

pub struct AuthOptions {
    /// Sessions ended inside the window (the size of the in-memory set).
    pub ended: i64,
    pub checks: u64,
    pub lookups: usize,
    pub hashes: usize,
}

pub struct AuthReport {
    pub ended: i64,
    pub check_ns: f64,
    pub check_threads: usize,
    pub check_parallel_ns: f64,
    pub lookup_us: (f64, f64, f64),
    pub refresh_ms: (f64, f64),
    pub hash_ms: (f64, f64),
    pub argon2: String,
}

/// A phone `gen` never uses, for the bench's own account.
const BENCH_PHONE: &str = "13500000000";

fn percentiles(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.99), v.iter().sum::<f64>() / v.len() as f64)
}

pub async fn run(
    settings: &Settings,
    db: &tokio_postgres::Config,
    opts: &AuthOptions,
) -> anyhow::Result<AuthReport> {
    let pool = labormatch::db::build_pool(db.clone(), settings)?;
    let client = pool.get().await?;
    let account: i64 = match client
        .query_opt("SELECT id FROM accounts WHERE phone = $1", &[&BENCH_PHONE])
        .await?
    {
        Some(r) => r.get(0),
        None => client
            .query_one(
                "INSERT INTO accounts (role, phone, password_hash, display_name)
                 VALUES ('worker', $1, '!bench-account-no-login', 'bench') RETURNING id",
                &[&BENCH_PHONE],
            )
            .await?
            .get(0),
    };
    client
        .execute(
            "INSERT INTO sessions (id, account_id, revoked_at, revoked_reason)
             SELECT gen_random_uuid(), $1, now(), 'logout' FROM generate_series(1, $2::int8)",
            &[&account, &opts.ended],
        )
        .await
        .context("ending the bench sessions")?;
    let open = labormatch::db::sessions::create(&client, account).await?;

    let sessions = Sessions::new(settings.access_token_ttl);
    let mut refreshes = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        sessions
            .refresh(&client)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        refreshes.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let (refresh_p50, _, refresh_mean) = percentiles(refreshes);

    // The check as the extractor makes it, on one thread, then on every core at once.
    let t = Instant::now();
    for _ in 0..opts.checks {
        std::hint::black_box(sessions.check(std::hint::black_box(open)).is_ok());
    }
    let check_ns = t.elapsed().as_nanos() as f64 / opts.checks as f64;
    let threads = labormatch::cores();
    let t = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..opts.checks {
                    std::hint::black_box(sessions.check(std::hint::black_box(open)).is_ok());
                }
            });
        }
    });
    let check_parallel_ns = t.elapsed().as_nanos() as f64 / opts.checks as f64;

    // The alternative: an indexed lookup per request, on a pooled connection.
    let mut lookups = Vec::with_capacity(opts.lookups);
    for _ in 0..opts.lookups {
        let t = Instant::now();
        let c = pool.get().await?;
        let ok = labormatch::db::sessions::is_open(&c, open).await?;
        drop(c);
        lookups.push(t.elapsed().as_secs_f64() * 1e6);
        anyhow::ensure!(ok, "the bench session should be open");
    }
    let lookup_us = percentiles(lookups);

    let hasher = PasswordHasher::from_settings(settings)?;
    let mut hashes = Vec::new();
    for _ in 0..opts.hashes {
        let t = Instant::now();
        hasher
            .hash_blocking("bench password 1")
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        hashes.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let (hash_p50, _, hash_mean) = percentiles(hashes);

    client
        .execute("DELETE FROM sessions WHERE account_id = $1", &[&account])
        .await?;
    Ok(AuthReport {
        ended: opts.ended,
        check_ns,
        check_threads: threads,
        check_parallel_ns,
        lookup_us,
        refresh_ms: (refresh_p50, refresh_mean),
        hash_ms: (hash_p50, hash_mean),
        argon2: format!(
            "m={} KiB, t={}, p={}",
            settings.argon2_memory_kib, settings.argon2_iterations, settings.argon2_parallelism
        ),
    })
}

pub fn markdown(r: &AuthReport) -> String {
    format!(
        "| measure | figure |\n| --- | --- |\n\
         | session check, in-memory set of {ended} ended sessions, 1 thread | {check:.0} ns |\n\
         | same, {threads} threads at once (wall time per check and thread) | {par:.0} ns |\n\
         | indexed PostgreSQL lookup per request instead (pool + query) | p50 {l50:.0} µs, p99 {l99:.0} µs, mean {lmean:.0} µs |\n\
         | poller's re-read of the set ({ended} rows), every 250 ms | p50 {r50:.2} ms, mean {rmean:.2} ms |\n\
         | one argon2id hash ({argon2}) | p50 {h50:.1} ms, mean {hmean:.1} ms |\n",
        ended = r.ended,
        check = r.check_ns,
        threads = r.check_threads,
        par = r.check_parallel_ns,
        l50 = r.lookup_us.0,
        l99 = r.lookup_us.1,
        lmean = r.lookup_us.2,
        r50 = r.refresh_ms.0,
        rmean = r.refresh_ms.1,
        argon2 = r.argon2,
        h50 = r.hash_ms.0,
        hmean = r.hash_ms.1,
    )
}
