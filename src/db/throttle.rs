//! Counted attempts (failed sign-ins, wrong claim codes, sign-ups), per key such as
//! `phone:13812345678` or `ip:10.1.2.3`, over a sliding window.
//!
//! An attempt is counted *before* the slow work it guards (a password check, a hash), under a
//! per-key lock: of N concurrent attempts at most the limit get through, however they
//! interleave. A check that then succeeds takes its own count back where the key counts
//! failures only (sign-in, claim codes).

use std::time::Duration;

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;

use super::DbResult;

/// The outcome of asking to count an attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Attempt {
    /// Counted: the rows to take back if the attempt turns out not to count.
    Counted(Vec<i64>),
    /// A key is at its limit: nothing was counted.
    Refused { retry_after_secs: u64 },
}

/// Counts one attempt against every `(key, limit)`, or none if any key is at its limit.
pub async fn attempt(
    client: &mut deadpool_postgres::Client,
    limits: &[(String, i64)],
    window: Duration,
) -> DbResult<Attempt> {
    let window_secs = window.as_secs_f64();
    let tx = client.transaction().await?;
    let mut keys: Vec<&str> = limits.iter().map(|(k, _)| k.as_str()).collect();
    // Locks in one order, so two requests on overlapping keys never deadlock.
    keys.sort_unstable();
    keys.dedup();
    for key in &keys {
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 12))",
            &[key],
        )
        .await?;
    }
    // Read after the locks are held: a new statement sees every attempt committed before.
    for (key, limit) in limits {
        let row = tx
            .query_one(
                "SELECT count(*), min(failed_at) FROM login_failures
                 WHERE key = $1 AND failed_at > now() - make_interval(secs => $2)",
                &[key, &window_secs],
            )
            .await?;
        let (count, oldest): (i64, Option<DateTime<Utc>>) = (row.get(0), row.get(1));
        if count >= *limit {
            let elapsed = oldest
                .map(|o| (Utc::now() - o).num_seconds().max(0) as u64)
                .unwrap_or(0);
            return Ok(Attempt::Refused {
                retry_after_secs: window.as_secs().saturating_sub(elapsed).max(1),
            });
        }
    }
    let keys: Vec<&str> = limits.iter().map(|(k, _)| k.as_str()).collect();
    let rows = tx
        .query(
            "INSERT INTO login_failures (key) SELECT unnest($1::text[]) RETURNING id",
            &[&keys],
        )
        .await?;
    // Old rows are useless; trim them as we go so the table stays small.
    tx.execute(
        "DELETE FROM login_failures WHERE failed_at < now() - interval '1 day'",
        &[],
    )
    .await?;
    tx.commit().await?;
    Ok(Attempt::Counted(rows.iter().map(|r| r.get(0)).collect()))
}

/// Takes counted attempts back (the check they guarded succeeded).
pub async fn take_back(client: &impl GenericClient, ids: &[i64]) -> DbResult<()> {
    if !ids.is_empty() {
        client
            .execute("DELETE FROM login_failures WHERE id = ANY($1)", &[&ids])
            .await?;
    }
    Ok(())
}

/// Forgets every counted attempt of `key` (a successful sign-in clears the phone's failures).
pub async fn clear(client: &impl GenericClient, key: &str) -> DbResult<()> {
    client
        .execute("DELETE FROM login_failures WHERE key = $1", &[&key])
        .await?;
    Ok(())
}
