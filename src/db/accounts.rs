//! Accounts, organizations, invitations, refresh tokens and login failures.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{DbError, DbResult};
use crate::auth::Role;

#[derive(Debug, Clone)]
pub struct Account {
    pub id: i64,
    pub role: Role,
    pub phone: String,
    pub password_hash: String,
    pub display_name: String,
    pub organization_id: Option<i64>,
    pub org_admin: bool,
    pub region_code: Option<String>,
    pub disabled: bool,
}

const ACCOUNT_COLUMNS: &str = "id, role, phone, password_hash, display_name, organization_id, \
                               org_admin, region_code, disabled";

fn account_from_row(row: &Row) -> DbResult<Account> {
    let role: String = row.get("role");
    Ok(Account {
        id: row.get("id"),
        role: Role::parse(&role).ok_or_else(|| DbError::Corrupt(format!("role {role}")))?,
        phone: row.get("phone"),
        password_hash: row.get("password_hash"),
        display_name: row.get("display_name"),
        organization_id: row.get("organization_id"),
        org_admin: row.get("org_admin"),
        region_code: row.get("region_code"),
        disabled: row.get("disabled"),
    })
}

pub struct NewAccount<'a> {
    pub role: Role,
    pub phone: &'a str,
    pub password_hash: &'a str,
    pub display_name: &'a str,
    pub organization_id: Option<i64>,
    pub org_admin: bool,
    pub region_code: Option<&'a str>,
}

pub async fn insert_account(client: &impl GenericClient, new: NewAccount<'_>) -> DbResult<i64> {
    let row = client
        .query_one(
            "INSERT INTO accounts (role, phone, password_hash, display_name, organization_id,
                                   org_admin, region_code)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            &[
                &new.role.as_str(),
                &new.phone,
                &new.password_hash,
                &new.display_name,
                &new.organization_id,
                &new.org_admin,
                &new.region_code,
            ],
        )
        .await?;
    Ok(row.get(0))
}

pub async fn find_by_phone(client: &impl GenericClient, phone: &str) -> DbResult<Option<Account>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE phone = $1");
    client
        .query_opt(&sql, &[&phone])
        .await?
        .as_ref()
        .map(account_from_row)
        .transpose()
}

pub async fn find_by_id(client: &impl GenericClient, id: i64) -> DbResult<Option<Account>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1");
    client
        .query_opt(&sql, &[&id])
        .await?
        .as_ref()
        .map(account_from_row)
        .transpose()
}

pub async fn store_refresh_token(
    client: &impl GenericClient,
    account_id: i64,
    family: uuid::Uuid,
    token_hash: &str,
    expires_at: DateTime<Utc>,
) -> DbResult<()> {
    client
        .execute(
            "INSERT INTO refresh_tokens (token_hash, account_id, family, expires_at)
             VALUES ($1, $2, $3, $4)",
            &[&token_hash, &account_id, &family, &expires_at],
        )
        .await?;
    Ok(())
}

pub enum RefreshUse {
    /// Valid and now spent: issue the next token of this family.
    Fresh { account_id: i64, family: uuid::Uuid },
    /// Already spent or revoked: someone replays it. Its session (the whole family) is now
    /// ended.
    Reused { family: uuid::Uuid },
    /// Unknown or expired.
    Invalid,
}

/// Spends a refresh token. Must run in a transaction: the row is locked while it is checked.
pub async fn spend_refresh_token(
    tx: &deadpool_postgres::Transaction<'_>,
    token_hash: &str,
) -> DbResult<RefreshUse> {
    let Some(row) = tx
        .query_opt(
            "SELECT id, account_id, family, expires_at, used_at, revoked_at
             FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE",
            &[&token_hash],
        )
        .await?
    else {
        return Ok(RefreshUse::Invalid);
    };
    let family: uuid::Uuid = row.get("family");
    let used: Option<DateTime<Utc>> = row.get("used_at");
    let revoked: Option<DateTime<Utc>> = row.get("revoked_at");
    if used.is_some() || revoked.is_some() {
        super::sessions::end(tx, family, super::sessions::EndReason::Reuse).await?;
        return Ok(RefreshUse::Reused { family });
    }
    let expires: DateTime<Utc> = row.get("expires_at");
    if expires < Utc::now() {
        return Ok(RefreshUse::Invalid);
    }
    let id: i64 = row.get("id");
    tx.execute(
        "UPDATE refresh_tokens SET used_at = now() WHERE id = $1",
        &[&id],
    )
    .await?;
    Ok(RefreshUse::Fresh {
        account_id: row.get("account_id"),
        family,
    })
}

pub async fn family_of(
    client: &impl GenericClient,
    token_hash: &str,
) -> DbResult<Option<(uuid::Uuid, i64)>> {
    Ok(client
        .query_opt(
            "SELECT family, account_id FROM refresh_tokens WHERE token_hash = $1",
            &[&token_hash],
        )
        .await?
        .map(|r| (r.get(0), r.get(1))))
}

/// Disables or enables an account; answers it as it is now (`None`: no such account).
pub async fn set_disabled(
    client: &impl GenericClient,
    id: i64,
    disabled: bool,
) -> DbResult<Option<Account>> {
    let sql =
        format!("UPDATE accounts SET disabled = $2 WHERE id = $1 RETURNING {ACCOUNT_COLUMNS}");
    client
        .query_opt(&sql, &[&id, &disabled])
        .await?
        .as_ref()
        .map(account_from_row)
        .transpose()
}

#[derive(Debug, Clone)]
pub struct Organization {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub credit_code: Option<String>,
    pub region_code: String,
    pub address: String,
}

fn organization_from_row(row: &Row) -> Organization {
    Organization {
        id: row.get("id"),
        kind: row.get("kind"),
        name: row.get("name"),
        credit_code: row.get("credit_code"),
        region_code: row.get("region_code"),
        address: row.get("address"),
    }
}

pub async fn insert_organization(
    client: &impl GenericClient,
    kind: &str,
    name: &str,
    credit_code: Option<&str>,
    region_code: &str,
    address: &str,
    created_by: i64,
) -> DbResult<Organization> {
    let row = client
        .query_one(
            "INSERT INTO organizations (kind, name, credit_code, region_code, address, created_by)
             VALUES ($1, $2, $3, $4, $5, $6)
             RETURNING id, kind, name, credit_code, region_code, address",
            &[
                &kind,
                &name,
                &credit_code,
                &region_code,
                &address,
                &created_by,
            ],
        )
        .await?;
    Ok(organization_from_row(&row))
}

pub async fn find_organization(
    client: &impl GenericClient,
    id: i64,
) -> DbResult<Option<Organization>> {
    Ok(client
        .query_opt(
            "SELECT id, kind, name, credit_code, region_code, address FROM organizations
             WHERE id = $1",
            &[&id],
        )
        .await?
        .as_ref()
        .map(organization_from_row))
}

pub async fn insert_invitation(
    client: &impl GenericClient,
    code_hash: &str,
    organization_id: i64,
    org_admin: bool,
    created_by: i64,
    expires_at: DateTime<Utc>,
) -> DbResult<()> {
    client
        .execute(
            "INSERT INTO invitations (code_hash, organization_id, org_admin, created_by, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
            &[&code_hash, &organization_id, &org_admin, &created_by, &expires_at],
        )
        .await?;
    Ok(())
}

/// Whether an invitation code is unused and unexpired (checked before hashing a password).
pub async fn invitation_is_live(client: &impl GenericClient, code_hash: &str) -> DbResult<bool> {
    Ok(client
        .query_opt(
            "SELECT 1 FROM invitations WHERE code_hash = $1 AND used_at IS NULL AND expires_at > now()",
            &[&code_hash],
        )
        .await?
        .is_some())
}

/// Locks an unused, unexpired invitation: (organization id, org admin?).
pub async fn take_invitation(
    tx: &deadpool_postgres::Transaction<'_>,
    code_hash: &str,
) -> DbResult<Option<(i64, bool)>> {
    Ok(tx
        .query_opt(
            "SELECT organization_id, org_admin FROM invitations
             WHERE code_hash = $1 AND used_at IS NULL AND expires_at > now() FOR UPDATE",
            &[&code_hash],
        )
        .await?
        .map(|r| (r.get(0), r.get(1))))
}

pub async fn mark_invitation_used(
    tx: &deadpool_postgres::Transaction<'_>,
    code_hash: &str,
    account_id: i64,
) -> DbResult<()> {
    tx.execute(
        "UPDATE invitations SET used_at = now(), used_by = $2 WHERE code_hash = $1",
        &[&code_hash, &account_id],
    )
    .await?;
    Ok(())
}

pub async fn region_exists(client: &impl GenericClient, code: &str) -> DbResult<bool> {
    Ok(client
        .query_opt("SELECT 1 FROM regions WHERE code = $1", &[&code])
        .await?
        .is_some())
}

/// Spends a refresh token of a page session (the browser's cookie). As [`spend_refresh_token`],
/// except that a token spent less than `grace_secs` ago may be spent again: on a flaky mobile
/// network the answer that carried the new cookie is sometimes lost and the phone repeats the
/// request with the old one, which must not sign the person out. Past the grace, a second use is
/// reuse and revokes the family. Must run in a transaction.
pub async fn spend_page_refresh_token(
    tx: &deadpool_postgres::Transaction<'_>,
    token_hash: &str,
    grace_secs: f64,
) -> DbResult<RefreshUse> {
    let Some(row) = tx
        .query_opt(
            "SELECT id, account_id, family, expires_at, revoked_at,
                    used_at IS NOT NULL AS used,
                    used_at > now() - make_interval(secs => $2) AS in_grace
             FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE",
            &[&token_hash, &grace_secs],
        )
        .await?
    else {
        return Ok(RefreshUse::Invalid);
    };
    let family: uuid::Uuid = row.get("family");
    let revoked: Option<DateTime<Utc>> = row.get("revoked_at");
    let used: bool = row.get("used");
    let in_grace: Option<bool> = row.get("in_grace");
    if revoked.is_some() || (used && in_grace != Some(true)) {
        super::sessions::end(tx, family, super::sessions::EndReason::Reuse).await?;
        return Ok(RefreshUse::Reused { family });
    }
    let expires: DateTime<Utc> = row.get("expires_at");
    if expires < Utc::now() {
        return Ok(RefreshUse::Invalid);
    }
    if !used {
        let id: i64 = row.get("id");
        tx.execute(
            "UPDATE refresh_tokens SET used_at = now() WHERE id = $1",
            &[&id],
        )
        .await?;
    }
    Ok(RefreshUse::Fresh {
        account_id: row.get("account_id"),
        family,
    })
}

/// Accounts for an admin's list, newest first, optionally those whose phone or name contains
/// `q`, or of one role.
pub async fn list_accounts(
    client: &impl GenericClient,
    q: Option<&str>,
    role: Option<&str>,
    limit: i64,
) -> DbResult<Vec<Account>> {
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts
         WHERE ($1::text IS NULL OR phone LIKE '%' || $1 || '%' OR display_name LIKE '%' || $1 || '%')
           AND ($2::text IS NULL OR role = $2)
         ORDER BY id DESC LIMIT $3"
    );
    let rows = client.query(&sql, &[&q, &role, &limit]).await?;
    rows.iter().map(account_from_row).collect()
}

/// Organizations for an admin's list, newest first.
pub async fn list_organizations(
    client: &impl GenericClient,
    limit: i64,
) -> DbResult<Vec<Organization>> {
    let rows = client
        .query(
            "SELECT id, kind, name, credit_code, region_code, address FROM organizations
             ORDER BY id DESC LIMIT $1",
            &[&limit],
        )
        .await?;
    Ok(rows.iter().map(organization_from_row).collect())
}
