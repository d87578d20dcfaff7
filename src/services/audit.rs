//! Reading the audit log: admins all of it, officers the entries about their region.

use crate::auth::{policy, Principal};
use crate::db::audit::{self, AuditRecord};
use crate::error::ApiResult;
use crate::state::AppState;

/// Newest first, before the entry `before`.
pub async fn list(
    state: &AppState,
    p: &Principal,
    entity: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> ApiResult<Vec<AuditRecord>> {
    let scope = policy::audit_scope(p)?;
    let client = state.pool.get().await?;
    Ok(audit::list(&client, &scope, entity, before, limit).await?)
}
