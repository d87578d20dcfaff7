use serde_json::Value;

use crate::helpers::{assert_error, spawn_app, spawn_app_with};

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/healthz").await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    let resp = app.get("/readyz").await;
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.headers().contains_key("x-request-id"));
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "ready");
}

#[tokio::test]
async fn readiness_fails_when_the_index_directory_is_unusable() {
    let app = spawn_app().await;
    // Replace the index directory by a file: it can no longer be written. Moved aside rather
    // than deleted: the indexer may be writing into it, and a rename cannot race with that.
    let aside = app.settings.index_dir.with_extension("moved");
    std::fs::rename(&app.settings.index_dir, &aside).unwrap();
    std::fs::write(&app.settings.index_dir, b"not a directory").unwrap();
    let resp = app.get("/readyz").await;
    assert!(resp.headers().contains_key("retry-after"));
    let body = assert_error(resp, 503, "not_ready").await;
    assert_eq!(body["extra"]["failing"][0], "index");
}

#[tokio::test]
async fn request_id_is_echoed_or_generated() {
    let app = spawn_app().await;
    let resp = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"], "abc-123");
    let resp = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    let id = resp.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_ne!(id, "bad id with spaces");
    assert!(!id.is_empty());
}

#[tokio::test]
async fn metrics_report_routes_and_pool() {
    let app = spawn_app().await;
    app.get("/healthz").await;
    app.get("/no/such/route").await;
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(
        text.contains(
            r#"labormatch_http_requests_total{method="GET",route="/healthz",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains(r#"route="unmatched",status="404""#), "{text}");
    assert!(text.contains("labormatch_db_pool_size"));
    assert!(text.contains("labormatch_db_pool_waiting"));
    assert!(text.contains("labormatch_index_lag_changes 0"), "{text}");
    assert!(text.contains("labormatch_index_applied_seq"));
}

#[tokio::test]
async fn openapi_document_lists_every_route() {
    let app = spawn_app().await;
    let (status, doc) = app.get_json("/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().expect("paths");
    // The document is generated from the same registration as the app, so every documented
    // operation must be served (not 404 route_not_found) and every served one documented.
    let served = labormatch::routes::openapi();
    assert_eq!(paths.len(), served.paths.paths.len());
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            let concrete = path
                .split('/')
                .map(|seg| if seg.starts_with('{') { "1" } else { seg })
                .collect::<Vec<_>>()
                .join("/");
            let resp = app
                .client
                .request(method.to_uppercase().parse().unwrap(), app.url(&concrete))
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            if status == 404 {
                let body: Value = resp.json().await.unwrap_or(Value::Null);
                assert_ne!(
                    body["code"], "route_not_found",
                    "{method} {path} is not served"
                );
            }
        }
    }
    for required in ["/healthz", "/readyz", "/metrics"] {
        assert!(paths.contains_key(required), "{required} missing");
    }
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    let docs_page = app.get("/docs/").await;
    assert_eq!(docs_page.status().as_u16(), 200);
}

#[tokio::test]
async fn unknown_route_uses_the_envelope_in_both_languages() {
    let app = spawn_app().await;
    let body = assert_error(
        app.get("/api/v1/nothing-here").await,
        404,
        "route_not_found",
    )
    .await;
    assert_eq!(body["message"], "接口不存在");
    let resp = app
        .client
        .get(app.url("/api/v1/nothing-here"))
        .header("accept-language", "en-US,en;q=0.9")
        .send()
        .await
        .unwrap();
    let body = assert_error(resp, 404, "route_not_found").await;
    assert_eq!(body["message"], "No such endpoint");
}

#[tokio::test]
async fn seed_tables_are_loaded() {
    let app = spawn_app().await;
    let db = app.db().await;
    let row = db
        .query_one(
            "SELECT name, level FROM occupations WHERE code = '6-18-02-04'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "焊工");
    assert_eq!(row.get::<_, i16>(1), 4);
    let row = db
        .query_one(
            "SELECT name, parent_code, level FROM regions WHERE code = '630224'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "化隆回族自治县");
    assert_eq!(row.get::<_, Option<String>>(1).as_deref(), Some("630200"));
    assert_eq!(row.get::<_, i16>(2), 3);
    let count: i64 = db
        .query_one("SELECT count(*) FROM occupations", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 2047);
    // Loading again changes nothing (idempotent).
    labormatch::db::migrate(&app.db_config).await.unwrap();
    let count_again: i64 = db
        .query_one("SELECT count(*) FROM regions", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count_again, 3220);
}

#[tokio::test]
async fn body_limit_is_enforced_with_the_envelope() {
    let app = spawn_app_with(|s| s.body_limit = 1024).await;
    let resp = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(format!("{{\"phone\":\"{}\"}}", "1".repeat(4096)))
        .send()
        .await
        .unwrap();
    assert_error(resp, 413, "payload_too_large").await;
}

/// Every documented operation: without a token, protected ones answer 401 in the envelope; with
/// a token, a non-numeric `{id}` answers 400 `invalid_path` (or 403 for a role the admin does
/// not have), never a 500.
#[tokio::test]
async fn every_operation_refuses_missing_tokens_and_bad_ids() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let doc = labormatch::routes::openapi();
    let doc = serde_json::to_value(&doc).unwrap();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let method: reqwest::Method = method.to_uppercase().parse().unwrap();
            let protected = op.get("security").is_some();
            let concrete = path.replace("{id}", "1");
            if protected {
                let resp = app
                    .client
                    .request(method.clone(), app.url(&concrete))
                    .header("content-type", "application/json")
                    .body("{}")
                    .send()
                    .await
                    .unwrap();
                assert_error(resp, 401, "unauthorized").await;
                checked += 1;
            }
            if path.contains("{id}") {
                let resp = app
                    .client
                    .request(method.clone(), app.url(&path.replace("{id}", "abc")))
                    .bearer_auth(&admin)
                    .header("content-type", "application/json")
                    .body("{}")
                    .send()
                    .await
                    .unwrap();
                let status = resp.status().as_u16();
                let body: Value = resp.json().await.unwrap_or(Value::Null);
                // Role-restricted endpoints an admin may not call refuse before reading the path.
                let expected = (status == 400 && body["code"] == "invalid_path")
                    || (status == 403 && body["code"] == "forbidden");
                assert!(expected, "{method} {path}: {status} {body}");
                checked += 1;
            }
        }
    }
    assert!(checked > 50, "only {checked} checks");
}
