//! Sessions: one per sign-in, shared by the refresh-token family it started and by every access
//! token issued in it (the token's `sid`). Ending a session ends all of them.

use deadpool_postgres::GenericClient;
use uuid::Uuid;

use super::DbResult;

/// Why a session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndReason {
    Logout,
    /// A spent refresh token was presented again: someone holds a copy.
    Reuse,
    Disabled,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Logout => "logout",
            EndReason::Reuse => "reuse",
            EndReason::Disabled => "disabled",
        }
    }
}

pub async fn create(client: &impl GenericClient, account_id: i64) -> DbResult<Uuid> {
    let id = Uuid::new_v4();
    client
        .execute(
            "INSERT INTO sessions (id, account_id) VALUES ($1, $2)",
            &[&id, &account_id],
        )
        .await?;
    Ok(id)
}

/// Ends a session and its refresh tokens; false when it had already ended (or never was).
pub async fn end(client: &impl GenericClient, id: Uuid, reason: EndReason) -> DbResult<bool> {
    let n = client
        .execute(
            "UPDATE sessions SET revoked_at = now(), revoked_reason = $2
             WHERE id = $1 AND revoked_at IS NULL",
            &[&id, &reason.as_str()],
        )
        .await?;
    client
        .execute(
            "UPDATE refresh_tokens SET revoked_at = now() WHERE family = $1 AND revoked_at IS NULL",
            &[&id],
        )
        .await?;
    Ok(n == 1)
}

/// Ends every open session of an account; answers which.
pub async fn end_all_of(
    client: &impl GenericClient,
    account_id: i64,
    reason: EndReason,
) -> DbResult<Vec<Uuid>> {
    let rows = client
        .query(
            "UPDATE sessions SET revoked_at = now(), revoked_reason = $2
             WHERE account_id = $1 AND revoked_at IS NULL RETURNING id",
            &[&account_id, &reason.as_str()],
        )
        .await?;
    client
        .execute(
            "UPDATE refresh_tokens SET revoked_at = now()
             WHERE account_id = $1 AND revoked_at IS NULL",
            &[&account_id],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Sessions ended within the last `secs` seconds (older ones have no live access token left).
pub async fn ended_within(client: &impl GenericClient, secs: f64) -> DbResult<Vec<Uuid>> {
    let rows = client
        .query(
            "SELECT id FROM sessions WHERE revoked_at > now() - make_interval(secs => $1)",
            &[&secs],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Whether a session is open and its account enabled: the per-request lookup a cache spares
/// (kept for `labormatch bench-auth`, which measures both).
pub async fn is_open(client: &impl GenericClient, id: Uuid) -> DbResult<bool> {
    Ok(client
        .query_opt(
            "SELECT 1 FROM sessions s JOIN accounts a ON a.id = s.account_id
             WHERE s.id = $1 AND s.revoked_at IS NULL AND NOT a.disabled",
            &[&id],
        )
        .await?
        .is_some())
}
