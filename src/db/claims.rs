//! Profile claim codes: an officer issues one for a worker the office registered; the worker
//! proves with it (and the phone on record) that the profile is theirs. Stored as a keyed hash.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;

use super::DbResult;

/// Stores a new code for `worker_id`; any earlier unused code of the worker stops working.
pub async fn issue(
    client: &impl GenericClient,
    worker_id: i64,
    code_hash: &str,
    issued_by: i64,
    expires_at: DateTime<Utc>,
) -> DbResult<()> {
    client
        .execute(
            "UPDATE worker_claims SET superseded_at = now()
             WHERE worker_id = $1 AND used_at IS NULL AND superseded_at IS NULL",
            &[&worker_id],
        )
        .await?;
    client
        .execute(
            "INSERT INTO worker_claims (code_hash, worker_id, issued_by, expires_at)
             VALUES ($1, $2, $3, $4)",
            &[&code_hash, &worker_id, &issued_by, &expires_at],
        )
        .await?;
    Ok(())
}

/// Whether a code is live for a worker with `phone` on record and no account yet.
pub async fn is_live(client: &impl GenericClient, code_hash: &str, phone: &str) -> DbResult<bool> {
    Ok(client
        .query_opt(
            "SELECT 1 FROM worker_claims c JOIN workers w ON w.id = c.worker_id
             WHERE c.code_hash = $1 AND c.used_at IS NULL AND c.superseded_at IS NULL
               AND c.expires_at > now() AND w.account_id IS NULL AND w.phone = $2",
            &[&code_hash, &phone],
        )
        .await?
        .is_some())
}

/// Spends a live code whose worker has no account yet and has `phone` on record; answers the
/// worker. Locks both rows: two claims of one code cannot both win.
pub async fn spend(
    client: &impl GenericClient,
    code_hash: &str,
    phone: &str,
    account_id: i64,
) -> DbResult<Option<i64>> {
    let Some(row) = client
        .query_opt(
            "SELECT c.worker_id FROM worker_claims c JOIN workers w ON w.id = c.worker_id
             WHERE c.code_hash = $1 AND c.used_at IS NULL AND c.superseded_at IS NULL
               AND c.expires_at > now() AND w.account_id IS NULL AND w.phone = $2
             FOR UPDATE OF c, w",
            &[&code_hash, &phone],
        )
        .await?
    else {
        return Ok(None);
    };
    let worker_id: i64 = row.get(0);
    client
        .execute(
            "UPDATE worker_claims SET used_at = now(), used_by = $2 WHERE code_hash = $1",
            &[&code_hash, &account_id],
        )
        .await?;
    Ok(Some(worker_id))
}
