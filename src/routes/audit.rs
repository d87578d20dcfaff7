//! The audit log, for admins and for officers within their region.

use actix_web::{get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{Auth, OfficerOrAdmin};
use crate::db::audit::AuditRecord;
use crate::error::ApiResult;
use crate::pagination::{Page, PageParams};
use crate::services::audit;
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
pub struct AuditQuery {
    /// Only entries about this kind of entity (account, organization, worker, ...).
    pub entity: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Newest first. Officers see entries about things in their region only.
#[utoipa::path(
    tag = "audit",
    security(("bearer" = [])),
    params(AuditQuery),
    responses((status = 200, body = Page<AuditRecord>), (status = 403, body = crate::error::ErrorBody))
)]
#[get("/audit")]
pub async fn list_audit(
    state: web::Data<AppState>,
    staff: Auth<OfficerOrAdmin>,
    query: crate::input::Query<AuditQuery>,
) -> ApiResult<web::Json<Page<AuditRecord>>> {
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let limit = page.limit()?;
    let before = page.after_key()?;
    let rows = audit::list(&state, &staff, query.entity.as_deref(), before, limit + 1).await?;
    Ok(web::Json(Page::from_overfetch(rows, limit, |r| r.id)))
}
