//! The audit log: every write records who did what to which entity, when, under which request.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde::Serialize;
use utoipa::ToSchema;

use super::DbResult;
use crate::auth::Principal;
use crate::domain::RegionFilter;

pub struct AuditEntry<'a> {
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: String,
    /// Home region of the entity, so officers can read their region's log.
    pub region_code: Option<&'a str>,
    pub details: serde_json::Value,
}

/// Records `entry` as done by `actor`. Call it inside the write's own transaction.
pub async fn record(
    client: &impl GenericClient,
    actor: &Principal,
    entry: AuditEntry<'_>,
) -> DbResult<()> {
    record_raw(
        client,
        Some(actor.account_id),
        actor.role_name(),
        &actor.request_id,
        entry,
    )
    .await
}

pub async fn record_raw(
    client: &impl GenericClient,
    actor_id: Option<i64>,
    actor_role: &str,
    request_id: &str,
    entry: AuditEntry<'_>,
) -> DbResult<()> {
    client
        .execute(
            "INSERT INTO audit_log (actor_id, actor_role, action, entity, entity_id, region_code,
                                    request_id, details)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &actor_id,
                &actor_role,
                &entry.action,
                &entry.entity,
                &entry.entity_id,
                &entry.region_code,
                &request_id,
                &entry.details,
            ],
        )
        .await?;
    Ok(())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditRecord {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub actor_role: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub region_code: Option<String>,
    pub request_id: String,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// Newest first, keyset-paginated on id; `scope` limits to a region (officers).
pub async fn list(
    client: &impl GenericClient,
    scope: &RegionFilter,
    entity: Option<&str>,
    before_id: Option<i64>,
    limit: i64,
) -> DbResult<Vec<AuditRecord>> {
    let rows = client
        .query(
            "SELECT id, at, actor_id, actor_role, action, entity, entity_id, region_code,
                    request_id, details
             FROM audit_log
             WHERE ($1::text IS NULL OR region_within(region_code, $1))
               AND ($2::text IS NULL OR entity = $2)
               AND ($3::int8 IS NULL OR id < $3)
             ORDER BY id DESC LIMIT $4",
            &[&scope.sql(), &entity, &before_id, &limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| AuditRecord {
            id: r.get("id"),
            at: r.get("at"),
            actor_id: r.get("actor_id"),
            actor_role: r.get("actor_role"),
            action: r.get("action"),
            entity: r.get("entity"),
            entity_id: r.get("entity_id"),
            region_code: r.get("region_code"),
            request_id: r.get("request_id"),
            details: r.get("details"),
        })
        .collect())
}
