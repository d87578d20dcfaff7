//! Liveness, readiness and metrics.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

/// The process is alive.
#[utoipa::path(tag = "ops", responses((status = 200, body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> web::Json<Health> {
    web::Json(Health { status: "ok" })
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    pub status: &'static str,
    pub database: &'static str,
    pub index: &'static str,
}

/// Ready to serve: the database answers with every migration applied, and the index
/// directory is usable.
#[utoipa::path(
    tag = "ops",
    responses(
        (status = 200, body = Readiness),
        (status = 503, body = crate::error::ErrorBody, description = "not_ready")
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<web::Json<Readiness>, ApiError> {
    let mut problems = Vec::new();
    if let Err(e) = crate::db::check_ready(&state.pool).await {
        tracing::warn!(reason = %e, "database not ready");
        problems.push("database");
    }
    if let Err(e) = index_dir_usable(&state.settings.index_dir) {
        tracing::warn!(reason = %e, "index directory not usable");
        problems.push("index");
    }
    if problems.is_empty() {
        return Ok(web::Json(Readiness {
            status: "ready",
            database: "ok",
            index: "ok",
        }));
    }
    Err(ApiError::new(ErrorCode::NotReady)
        .with_extra(serde_json::json!({ "failing": problems }))
        .retry_after(5))
}

fn index_dir_usable(dir: &std::path::Path) -> std::io::Result<()> {
    let probe = dir.join(".readyz-probe");
    std::fs::write(&probe, b"ok")?;
    std::fs::remove_file(&probe)
}

/// Prometheus text format: requests and latency per route and status, pool state, index lag.
#[utoipa::path(tag = "ops", responses((status = 200, content_type = "text/plain", body = String)))]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    state.metrics.observe_pool(state.pool.status());
    let visible = state.search.visible_change();
    state.metrics.index_applied_seq.set(visible);
    // The lag is what PostgreSQL has recorded beyond what the index shows; skipped (not failed)
    // when the database is unreachable, so metrics still answer.
    if let Ok(client) = state.pool.get().await {
        if let Ok(row) = client
            .query_one("SELECT coalesce(max(seq), 0) FROM index_changes", &[])
            .await
        {
            let latest: i64 = row.get(0);
            state.metrics.index_lag.set((latest - visible).max(0));
        }
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}
