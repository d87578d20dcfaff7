//! Cross-cutting HTTP conventions: `Idempotency-Key` on POST, `ETag`/`If-None-Match` on GET.

use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app, unique_phone, TestApp, TEST_PASSWORD};

const KEY: &str = "idempotency-key";
const REPLAYED: &str = "idempotent-replayed";

/// POSTs `body` with an `Idempotency-Key`; the body is sent as these exact bytes.
async fn post_keyed(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    key: &str,
    body: &Value,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(path))
        .header(KEY, key)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(body).unwrap());
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.expect("request")
}

/// Status, the replay header and the raw body.
async fn parts(resp: reqwest::Response) -> (u16, Option<String>, Vec<u8>) {
    let status = resp.status().as_u16();
    let replayed = resp
        .headers()
        .get(REPLAYED)
        .map(|v| v.to_str().unwrap().to_string());
    (status, replayed, resp.bytes().await.unwrap().to_vec())
}

fn new_key() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn count(app: &TestApp, sql: &str, param: &str) -> i64 {
    app.db()
        .await
        .query_one(sql, &[&param])
        .await
        .unwrap()
        .get(0)
}

fn organization(name: &str) -> Value {
    json!({"kind": "center", "name": name, "region_code": "630224"})
}

#[tokio::test]
async fn sign_up_answers_are_never_stored_but_a_retry_creates_one_account() {
    let app = spawn_app().await;
    let phone = unique_phone();
    let body = json!({"phone": phone, "password": TEST_PASSWORD, "display_name": "马小明"});
    let key = new_key();
    let (status1, _, _) =
        parts(post_keyed(&app, "/api/v1/auth/register", None, &key, &body).await).await;
    assert_eq!(status1, 201);
    let again = post_keyed(&app, "/api/v1/auth/register", None, &key, &body).await;
    assert_error(again, 409, "already_exists").await;
    let n = count(
        &app,
        "SELECT count(*) FROM accounts WHERE phone = $1",
        &phone,
    )
    .await;
    assert_eq!(n, 1);
    // The answer (with its tokens) was not kept.
    let db = app.db().await;
    let stored: i64 = db
        .query_one("SELECT count(*) FROM idempotency_keys", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn a_retried_organization_is_created_once() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let name = format!("幂等培训学校{}", unique_phone());
    let key = new_key();
    let first = parts(
        post_keyed(
            &app,
            "/api/v1/organizations",
            Some(&admin),
            &key,
            &organization(&name),
        )
        .await,
    )
    .await;
    let second = parts(
        post_keyed(
            &app,
            "/api/v1/organizations",
            Some(&admin),
            &key,
            &organization(&name),
        )
        .await,
    )
    .await;
    // The answer holds a one-time invitation code, which is not kept: the retry does not run
    // again and says which organization the first one made.
    assert_eq!(first.0, 201);
    assert_eq!(second.0, 409);
    assert_eq!(first.1, None);
    let created: Value = serde_json::from_slice(&first.2).unwrap();
    let replay: Value = serde_json::from_slice(&second.2).unwrap();
    assert_eq!(replay["code"], "idempotent_answer_withheld");
    assert_eq!(
        replay["extra"]["resource"],
        format!(
            "/api/v1/organizations/{}",
            created["organization"]["id"].as_i64().unwrap()
        )
    );
    let n = count(
        &app,
        "SELECT count(*) FROM organizations WHERE name = $1",
        &name,
    )
    .await;
    assert_eq!(n, 1);
}

#[tokio::test]
async fn a_key_reused_for_another_request_is_refused() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let key = new_key();
    let resp = post_keyed(
        &app,
        "/api/v1/organizations",
        Some(&admin),
        &key,
        &organization("甲"),
    )
    .await;
    assert_eq!(resp.status().as_u16(), 201);

    let other_body = post_keyed(
        &app,
        "/api/v1/organizations",
        Some(&admin),
        &key,
        &organization("乙"),
    )
    .await;
    assert_error(other_body, 409, "idempotency_key_reused").await;
    let other_path = post_keyed(
        &app,
        "/api/v1/households",
        Some(&admin),
        &key,
        &organization("甲"),
    )
    .await;
    assert_error(other_path, 409, "idempotency_key_reused").await;
    let n = count(
        &app,
        "SELECT count(*) FROM organizations WHERE name = $1",
        "乙",
    )
    .await;
    assert_eq!(n, 0);
}

#[tokio::test]
async fn client_errors_are_final_answers_and_replayed() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let key = new_key();
    let bad = json!({"kind": "school", "name": "", "region_code": "630224"});
    let (s1, r1, b1) =
        parts(post_keyed(&app, "/api/v1/organizations", Some(&admin), &key, &bad).await).await;
    let (s2, r2, b2) =
        parts(post_keyed(&app, "/api/v1/organizations", Some(&admin), &key, &bad).await).await;
    assert_eq!((s1, s2), (422, 422));
    assert_eq!(r1, None);
    assert_eq!(r2.as_deref(), Some("true"));
    assert_eq!(b1, b2);
    let body: Value = serde_json::from_slice(&b2).unwrap();
    assert_eq!(body["code"], "validation_failed");

    // A 409 from the handler is stored too: replayed even once the conflict is gone.
    let employer = json!({"kind": "employer", "name": "某厂", "region_code": "440113",
                          "credit_code": "91350100M000100Y43"});
    assert_eq!(
        app.post_json("/api/v1/organizations", Some(&admin), &employer)
            .await
            .status()
            .as_u16(),
        201
    );
    let key = new_key();
    let resp = post_keyed(&app, "/api/v1/organizations", Some(&admin), &key, &employer).await;
    assert_error(resp, 409, "already_exists").await;
    let db = app.db().await;
    let stored: i16 = db
        .query_one(
            "SELECT response_status FROM idempotency_keys WHERE key = $1",
            &[&key],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 409);
    let resp = post_keyed(&app, "/api/v1/organizations", Some(&admin), &key, &employer).await;
    assert_eq!(resp.headers()[REPLAYED], "true");
    assert_error(resp, 409, "already_exists").await;
}

#[tokio::test]
async fn keys_are_scoped_by_caller() {
    let app = spawn_app().await;
    let admin_a = app.admin_token().await;
    let admin_b = app.admin_token().await;
    let key = new_key();
    let a = post_keyed(
        &app,
        "/api/v1/organizations",
        Some(&admin_a),
        &key,
        &organization("甲校"),
    )
    .await;
    let b = post_keyed(
        &app,
        "/api/v1/organizations",
        Some(&admin_b),
        &key,
        &organization("乙校"),
    )
    .await;
    let (a, b) = (parts(a).await, parts(b).await);
    assert_eq!((a.0, b.0), (201, 201));
    assert_eq!((a.1, b.1), (None, None));
    let a: Value = serde_json::from_slice(&a.2).unwrap();
    let b: Value = serde_json::from_slice(&b.2).unwrap();
    assert_eq!(a["organization"]["name"], "甲校");
    assert_eq!(b["organization"]["name"], "乙校");
}

#[tokio::test]
async fn invalid_keys_are_refused() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let body = organization("无效键学校");
    for key in ["k".repeat(300), "has space".to_string(), String::new()] {
        let resp = post_keyed(&app, "/api/v1/organizations", Some(&admin), &key, &body).await;
        assert_error(resp, 400, "bad_request").await;
    }
    let n = count(
        &app,
        "SELECT count(*) FROM organizations WHERE name = $1",
        "无效键学校",
    )
    .await;
    assert_eq!(n, 0, "nothing ran");
    // The longest valid key works.
    let resp = post_keyed(
        &app,
        "/api/v1/organizations",
        Some(&admin),
        &"k".repeat(128),
        &body,
    )
    .await;
    assert_eq!(resp.status().as_u16(), 201);
}

#[tokio::test]
async fn a_running_request_answers_in_progress_and_old_keys_expire() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let me: Value = app
        .get_auth("/api/v1/me", &admin)
        .await
        .json()
        .await
        .unwrap();
    let admin_id = me["id"].as_i64().unwrap();
    let db = app.db().await;
    let body = organization("进行中学校");
    let bytes = serde_json::to_vec(&body).unwrap();
    let hash = labormatch::idempotency::request_hash("POST", "/api/v1/organizations", "", &bytes);

    // Another request with this key is still running.
    let running = new_key();
    db.execute(
        "INSERT INTO idempotency_keys (account_id, key, request_hash) VALUES ($3, $1, $2)",
        &[&running, &hash, &admin_id],
    )
    .await
    .unwrap();
    let resp = post_keyed(&app, "/api/v1/organizations", Some(&admin), &running, &body).await;
    // Retry-After says when the running request's lease ends (15 s by default).
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15).contains(&retry), "{retry}");
    assert_error(resp, 409, "idempotency_in_progress").await;

    // A key older than a day is forgotten, whatever it held.
    let old = new_key();
    db.execute(
        "INSERT INTO idempotency_keys (account_id, key, request_hash, response_status, \
         response_body, response_type, created_at) \
         VALUES ($2, $1, 'other', 201, '\\x7b7d', 'application/json', now() - interval '25 hours')",
        &[&old, &admin_id],
    )
    .await
    .unwrap();
    let resp = post_keyed(&app, "/api/v1/organizations", Some(&admin), &old, &body).await;
    assert_eq!(resp.status().as_u16(), 201);
    assert!(resp.headers().get(REPLAYED).is_none());
    let hash_now: String = db
        .query_one(
            "SELECT request_hash FROM idempotency_keys WHERE account_id = $2 AND key = $1",
            &[&old, &admin_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(hash_now, hash);
}

#[tokio::test]
async fn get_answers_carry_an_etag_and_honour_if_none_match() {
    let app = spawn_app().await;
    let token = app.worker_token().await;
    let first = app.get_auth("/api/v1/me", &token).await;
    assert_eq!(first.status().as_u16(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(etag.len(), 34, "{etag}");
    assert!(etag.starts_with('"') && etag.ends_with('"'));
    assert!(etag[1..33].bytes().all(|b| b.is_ascii_hexdigit()));
    let body = first.bytes().await.unwrap();
    assert!(!body.is_empty());

    let conditional = |inm: String| {
        app.client
            .get(app.url("/api/v1/me"))
            .bearer_auth(&token)
            .header("if-none-match", inm)
            .send()
    };
    for inm in [
        etag.clone(),
        format!("W/{etag}"),
        format!("\"0000\", {etag}"),
        "*".to_string(),
    ] {
        let resp = conditional(inm.clone()).await.unwrap();
        assert_eq!(resp.status().as_u16(), 304, "{inm}");
        assert_eq!(resp.headers()["etag"].to_str().unwrap(), etag);
        assert!(resp.headers().get("x-request-id").is_some());
        assert!(resp.bytes().await.unwrap().is_empty());
    }
    let resp = conditional("\"0123456789abcdef0123456789abcdef\"".into())
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["etag"].to_str().unwrap(), etag);
    assert_eq!(resp.bytes().await.unwrap(), body);

    // Errors and non-JSON answers get no ETag.
    let unauthorized = app.get("/api/v1/me").await;
    assert!(unauthorized.headers().get("etag").is_none());
    let metrics = app.get("/metrics").await;
    assert_eq!(metrics.status().as_u16(), 200);
    assert!(metrics.headers().get("etag").is_none());
}
