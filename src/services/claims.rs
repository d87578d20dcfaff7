//! Claiming a profile the office registered. Many workers are registered at the village or
//! county office before they have a phone of their own; later they sign up. The office issues a
//! one-time claim code for the profile (`POST /workers/{id}/claim-code`) and prints it or reads
//! it out; the worker then signs up with the phone on record and the code
//! (`POST /auth/register` with `claim_code`), or, already signed up with that phone, enters the
//! code (`POST /me/worker/claim`). The account becomes the profile's: the same skills and
//! certificates, matches, invitations and applications.
//!
//! The proof is both things together: the phone on the office's record and a code only the
//! office hands out. A code is 8 characters from an alphabet without look-alikes (about 40
//! bits), valid `LABORMATCH_CLAIM_CODE_DAYS`, used once, replaced by the next code issued for
//! the same worker, and stored as a keyed hash. A wrong, used or expired code counts like a
//! failed sign-in for that phone and address, so it cannot be guessed.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use rand::Rng;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::workers::WorkerView;
use crate::auth::tokens::keyed_hash;
use crate::auth::{policy, Principal};
use crate::db::accounts::{self, Account};
use crate::db::audit::{self, AuditEntry};
use crate::db::outbox::{self, Entity};
use crate::db::{claims, throttle, workers};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;

/// No 0/O, 1/I/L: read aloud over a bad line or copied from a print-out, it survives.
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const CODE_LEN: usize = 8;

#[derive(Serialize, ToSchema)]
pub struct IssuedClaim {
    pub worker_id: i64,
    /// Shown once: print it or read it to the worker. Spaces, dashes and case do not matter.
    #[schema(example = "K7QM-4XTP")]
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Deserialize, ToSchema)]
pub struct ClaimRequest {
    pub code: String,
}

fn generate() -> String {
    let mut rng = rand::rngs::OsRng;
    let chars: String = (0..CODE_LEN)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{}-{}", &chars[..4], &chars[4..])
}

/// The code as typed, reduced to what matters: letters and digits, upper case.
pub fn normalize(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

pub fn code_hash(state: &AppState, code: &str) -> String {
    keyed_hash(&state.claim_code_key, &normalize(code))
}

pub(crate) async fn is_live(
    client: &impl GenericClient,
    code_hash: &str,
    phone: &str,
) -> ApiResult<bool> {
    Ok(claims::is_live(client, code_hash, phone).await?)
}

/// An officer of the worker's home region (or an admin) issues a code for a profile that has
/// no account yet. A new code replaces any earlier one.
pub async fn issue(state: &AppState, p: &Principal, worker_id: i64) -> ApiResult<IssuedClaim> {
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let worker = workers::lock(&tx, worker_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    policy::may_issue_claim_code(p, &worker)?;
    if worker.account_id.is_some() {
        return Err(ApiError::new(ErrorCode::AlreadyClaimed));
    }
    if worker.phone.is_none() {
        // The phone on record is half of the proof.
        return Err(ApiError::field("phone", "worker_has_no_phone"));
    }
    let code = generate();
    let expires_at = Utc::now()
        + chrono::Duration::from_std(state.settings.claim_code_ttl).map_err(ApiError::internal)?;
    claims::issue(
        &tx,
        worker.id,
        &code_hash(state, &code),
        p.account_id,
        expires_at,
    )
    .await?;
    audit::record(
        &tx,
        p,
        AuditEntry {
            action: "issue_claim_code",
            entity: "worker",
            entity_id: worker.id.to_string(),
            region_code: Some(&worker.home_region),
            details: serde_json::json!({ "expires_at": expires_at }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(IssuedClaim {
        worker_id: worker.id,
        code,
        expires_at,
    })
}

/// Inside the caller's transaction: links `account` to the profile the code is for, if the
/// code is live and the profile has the account's phone. `None`: refused.
pub(crate) async fn spend_in(
    tx: &deadpool_postgres::Transaction<'_>,
    account: &Account,
    code_hash: &str,
) -> ApiResult<Option<i64>> {
    if workers::find_by_account(tx, account.id).await?.is_some() {
        return Err(ApiError::msg(
            ErrorCode::AlreadyClaimed,
            "您的账号已有求职资料",
            "Your account already has a worker profile",
        ));
    }
    let Some(worker_id) = claims::spend(tx, code_hash, &account.phone, account.id).await? else {
        return Ok(None);
    };
    workers::link_account(tx, worker_id, account.id).await?;
    outbox::record_change(tx, Entity::Worker, worker_id).await?;
    let home = workers::find(tx, worker_id)
        .await?
        .map(|w| w.home_region)
        .unwrap_or_default();
    audit::record_raw(
        tx,
        Some(account.id),
        policy::SELF_SIGN_UP_ROLE.as_str(),
        "",
        AuditEntry {
            action: "claim",
            entity: "worker",
            entity_id: worker_id.to_string(),
            region_code: Some(&home),
            details: serde_json::json!({ "account_id": account.id }),
        },
    )
    .await?;
    Ok(Some(worker_id))
}

/// A signed-in worker enters the code the office gave them.
pub async fn claim(
    state: &AppState,
    p: &Principal,
    code: &str,
    client_addr: &str,
) -> ApiResult<WorkerView> {
    policy::may_claim_profile(p)?;
    let account = {
        let client = state.pool.get().await?;
        let account = accounts::find_by_id(&client, p.account_id)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        if workers::find_by_account(&client, account.id)
            .await?
            .is_some()
        {
            return Err(ApiError::msg(
                ErrorCode::AlreadyClaimed,
                "您的账号已有求职资料",
                "Your account already has a worker profile",
            ));
        }
        account
    };
    let counted = super::accounts::count_sign_in(state, &account.phone, client_addr).await?;
    let hash = code_hash(state, code);
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    if spend_in(&tx, &account, &hash).await?.is_none() {
        return Err(ApiError::new(ErrorCode::InvalidClaimCode));
    }
    tx.commit().await?;
    throttle::take_back(&client, &counted).await?;
    drop(client);
    super::workers::get_mine(state, p).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_readable_and_forgiving() {
        let code = generate();
        assert_eq!(code.len(), CODE_LEN + 1);
        assert_eq!(&code[4..5], "-");
        assert!(normalize(&code).bytes().all(|b| ALPHABET.contains(&b)));
        assert_eq!(normalize(" k7qm 4xtp "), "K7QM4XTP");
        assert_eq!(normalize("K7QM-4XTP"), "K7QM4XTP");
    }
}
