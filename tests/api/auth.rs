use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app, spawn_app_with, unique_phone, TEST_PASSWORD};

const SECRET: &str = "0123456789abcdef0123456789abcdef-test";

/// Claims of the admin signed in as `session` (its `sub` and `sid`), with the given times and
/// issuer and audience.
fn claims(session: &Value, exp_offset: i64, aud: &str, iss: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "sub": session["sub"], "sid": session["sid"], "role": "admin", "iss": iss, "aud": aud,
        "iat": now, "exp": now + exp_offset
    })
}

fn payload(token: &str) -> Value {
    use base64::Engine;
    let part = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn sign(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn bad_tokens_are_refused() {
    let app = spawn_app_with(|s| s.jwt_secret = Some(SECRET.into())).await;
    let session = payload(&app.admin_token().await);
    let claims = |exp: i64, aud: &str, iss: &str| claims(&session, exp, aud, iss);
    let good = sign(&claims(600, "labormatch-api", "labormatch"), SECRET);
    assert_eq!(
        app.get_auth("/api/v1/audit", &good).await.status().as_u16(),
        200
    );

    // alg none: header {"alg":"none"} and no signature.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let none = format!(
        "{}.{}.",
        b64.encode(r#"{"alg":"none","typ":"JWT"}"#),
        b64.encode(claims(600, "labormatch-api", "labormatch").to_string())
    );
    // Tampered: payload changed (role) after signing.
    let mut parts: Vec<String> = good.split('.').map(str::to_string).collect();
    let mut forged = claims(600, "labormatch-api", "labormatch");
    forged["sub"] = json!("2");
    parts[1] = b64.encode(forged.to_string());
    let tampered = parts.join(".");
    let cases = [
        ("alg none", none),
        ("tampered", tampered),
        (
            "wrong secret",
            sign(
                &claims(600, "labormatch-api", "labormatch"),
                "another-secret-another-secret-xx",
            ),
        ),
        (
            "expired",
            sign(&claims(-600, "labormatch-api", "labormatch"), SECRET),
        ),
        (
            "wrong audience",
            sign(&claims(600, "someone-else", "labormatch"), SECRET),
        ),
        (
            "wrong issuer",
            sign(&claims(600, "labormatch-api", "evil"), SECRET),
        ),
        ("garbage", "not.a.token".to_string()),
        ("no session", {
            let mut c = claims(600, "labormatch-api", "labormatch");
            c.as_object_mut().unwrap().remove("sid");
            sign(&c, SECRET)
        }),
    ];
    for (name, token) in cases {
        let resp = app.get_auth("/api/v1/audit", &token).await;
        assert_eq!(resp.status().as_u16(), 401, "{name}");
        assert_error(resp, 401, "unauthorized").await;
    }
    let resp = app.get("/api/v1/audit").await;
    assert_error(resp, 401, "unauthorized").await;
}

#[tokio::test]
async fn register_login_and_me() {
    let app = spawn_app().await;
    let phone = unique_phone();
    let resp = app
        .post_json(
            "/api/v1/auth/register",
            None,
            &json!({"phone": phone, "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["account"]["role"], "worker");
    let token = body["access_token"].as_str().unwrap();
    let me: Value = app
        .get_auth("/api/v1/me", token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["phone"], phone);
    // Same phone again: 409.
    let again = app
        .post_json(
            "/api/v1/auth/register",
            None,
            &json!({"phone": phone, "password": TEST_PASSWORD}),
        )
        .await;
    assert_error(again, 409, "already_exists").await;
    // Bad input: every problem listed.
    let bad = app
        .post_json(
            "/api/v1/auth/register",
            None,
            &json!({"phone": "12345", "password": "short"}),
        )
        .await;
    let body = assert_error(bad, 422, "validation_failed").await;
    let fields: Vec<&str> = body["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["phone", "password"]);
    // Stored password is an argon2id hash.
    let db = app.db().await;
    let hash: String = db
        .query_one(
            "SELECT password_hash FROM accounts WHERE phone = $1",
            &[&phone],
        )
        .await
        .unwrap()
        .get(0);
    assert!(hash.starts_with("$argon2id$"));
}

#[tokio::test]
async fn malformed_json_and_wrong_content_type_use_the_envelope() {
    let app = spawn_app().await;
    let resp = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body("{\"phone\": ")
        .send()
        .await
        .unwrap();
    assert_error(resp, 400, "malformed_json").await;
    let resp = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "text/plain")
        .body("phone=1")
        .send()
        .await
        .unwrap();
    assert_error(resp, 415, "unsupported_media_type").await;
    let resp = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body("{\"phone\": 5}")
        .send()
        .await
        .unwrap();
    assert_error(resp, 422, "validation_failed").await;
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = spawn_app().await;
    let phone = unique_phone();
    app.post_json(
        "/api/v1/auth/register",
        None,
        &json!({"phone": phone, "password": TEST_PASSWORD}),
    )
    .await;
    let first = app.login(&phone, TEST_PASSWORD).await;
    let r1 = first["refresh_token"].as_str().unwrap().to_string();
    let resp = app
        .post_json("/api/v1/auth/refresh", None, &json!({"refresh_token": r1}))
        .await;
    assert_eq!(resp.status().as_u16(), 200);
    let second: Value = resp.json().await.unwrap();
    let r2 = second["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r1, r2);
    // Replaying r1 is detected, and r2 (same family) dies with it.
    let replay = app
        .post_json("/api/v1/auth/refresh", None, &json!({"refresh_token": r1}))
        .await;
    assert_error(replay, 401, "unauthorized").await;
    let after = app
        .post_json("/api/v1/auth/refresh", None, &json!({"refresh_token": r2}))
        .await;
    assert_error(after, 401, "unauthorized").await;
    // Logout revokes: a fresh login's refresh token stops working after logout.
    let third = app.login(&phone, TEST_PASSWORD).await;
    let r3 = third["refresh_token"].as_str().unwrap();
    let access = third["access_token"].as_str().unwrap();
    let out = app
        .post_json(
            "/api/v1/auth/logout",
            Some(access),
            &json!({"refresh_token": r3}),
        )
        .await;
    assert_eq!(out.status().as_u16(), 204);
    let dead = app
        .post_json("/api/v1/auth/refresh", None, &json!({"refresh_token": r3}))
        .await;
    assert_error(dead, 401, "unauthorized").await;
}

#[tokio::test]
async fn login_is_throttled_and_does_not_reveal_accounts() {
    let app = spawn_app_with(|s| s.login_max_failures = 3).await;
    let phone = unique_phone();
    app.post_json(
        "/api/v1/auth/register",
        None,
        &json!({"phone": phone, "password": TEST_PASSWORD}),
    )
    .await;
    let unknown = unique_phone();
    let a = app
        .post_json(
            "/api/v1/auth/login",
            None,
            &json!({"phone": unknown, "password": "whatever1"}),
        )
        .await;
    let a = assert_error(a, 401, "invalid_credentials").await;
    let b = app
        .post_json(
            "/api/v1/auth/login",
            None,
            &json!({"phone": phone, "password": "whatever1"}),
        )
        .await;
    let b = assert_error(b, 401, "invalid_credentials").await;
    assert_eq!(a, b, "same answer whether the phone exists or not");
    for _ in 0..2 {
        app.post_json(
            "/api/v1/auth/login",
            None,
            &json!({"phone": phone, "password": "wrong-pass"}),
        )
        .await;
    }
    // Even the right password is refused while throttled.
    let resp = app
        .post_json(
            "/api/v1/auth/login",
            None,
            &json!({"phone": phone, "password": TEST_PASSWORD}),
        )
        .await;
    assert!(resp.headers().contains_key("retry-after"));
    assert_error(resp, 429, "too_many_requests").await;
}

#[tokio::test]
async fn every_role_is_refused_other_roles_endpoints() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let officer = app.officer_token(&admin, "630224").await;
    let worker = app.worker_token().await;
    let (_, center) = app.org_token(&officer, "center", "630224").await;
    let (_, employer) = app.org_token(&officer, "employer", "630224").await;
    let officer_body =
        json!({"phone": unique_phone(), "password": TEST_PASSWORD, "region_code": "630224"});
    let org_body = json!({"kind": "center", "name": "x", "region_code": "630224"});
    for (who, token) in [
        ("worker", &worker),
        ("center", &center),
        ("employer", &employer),
        ("officer", &officer),
    ] {
        let resp = app
            .post_json("/api/v1/officers", Some(token), &officer_body)
            .await;
        assert_eq!(resp.status().as_u16(), 403, "{who} creating an officer");
    }
    for (who, token) in [
        ("worker", &worker),
        ("center", &center),
        ("employer", &employer),
    ] {
        let resp = app
            .post_json("/api/v1/organizations", Some(token), &org_body)
            .await;
        assert_eq!(
            resp.status().as_u16(),
            403,
            "{who} creating an organization"
        );
        let resp = app.get_auth("/api/v1/audit", token).await;
        assert_error(resp, 403, "forbidden").await;
    }
}

#[tokio::test]
async fn officers_are_scoped_to_their_region() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let hualong = app.officer_token(&admin, "630224").await;
    let xunhua = app.officer_token(&admin, "630225").await;
    let haidong = app.officer_token(&admin, "630200").await;
    // Hualong's officer cannot register an organization in Xunhua.
    let resp = app
        .post_json(
            "/api/v1/organizations",
            Some(&hualong),
            &json!({"kind": "center", "name": "循化培训学校", "region_code": "630225"}),
        )
        .await;
    assert_error(resp, 403, "forbidden").await;
    let (xunhua_org, _) = app.org_token(&xunhua, "center", "630225").await;
    // ... cannot even see it (404), while the prefecture officer can.
    let resp = app
        .get_auth(&format!("/api/v1/organizations/{xunhua_org}"), &hualong)
        .await;
    assert_error(resp, 404, "not_found").await;
    let resp = app
        .get_auth(&format!("/api/v1/organizations/{xunhua_org}"), &haidong)
        .await;
    assert_eq!(resp.status().as_u16(), 200);
    // The audit log: Hualong's officer sees nothing about Xunhua's organization.
    let log: Value = app
        .get_auth("/api/v1/audit?entity=organization", &hualong)
        .await
        .json()
        .await
        .unwrap();
    assert!(log["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["region_code"] != "630225"));
    let log: Value = app
        .get_auth("/api/v1/audit?entity=organization", &haidong)
        .await
        .json()
        .await
        .unwrap();
    assert!(log["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["region_code"] == "630225"));
}

#[tokio::test]
async fn employers_cannot_manage_other_employers() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (org_a, employer_a) = app.org_token(&admin, "employer", "440106").await;
    let (org_b, employer_b) = app.org_token(&admin, "employer", "440106").await;
    // Each org's admin may invite into their own org only; B's existence is hidden from A.
    let own = app
        .post_json(
            &format!("/api/v1/organizations/{org_a}/invitations"),
            Some(&employer_a),
            &json!({}),
        )
        .await;
    assert_eq!(own.status().as_u16(), 201);
    let other = app
        .post_json(
            &format!("/api/v1/organizations/{org_b}/invitations"),
            Some(&employer_a),
            &json!({}),
        )
        .await;
    assert_error(other, 404, "not_found").await;
    let read = app
        .get_auth(&format!("/api/v1/organizations/{org_a}"), &employer_b)
        .await;
    assert_error(read, 404, "not_found").await;
}

#[tokio::test]
async fn the_audit_log_records_writes_with_their_actor() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let resp = app
        .client
        .post(app.url("/api/v1/officers"))
        .bearer_auth(&admin)
        .header("x-request-id", "audit-test-1")
        .json(&json!({"phone": unique_phone(), "password": TEST_PASSWORD, "region_code": "630224"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let officer: Value = resp.json().await.unwrap();
    let me: Value = app
        .get_auth("/api/v1/me", &admin)
        .await
        .json()
        .await
        .unwrap();
    let log: Value = app
        .get_auth("/api/v1/audit?entity=account", &admin)
        .await
        .json()
        .await
        .unwrap();
    let entry = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "create_officer")
        .expect("create_officer audited");
    assert_eq!(entry["actor_id"], me["id"]);
    assert_eq!(entry["actor_role"], "admin");
    assert_eq!(
        entry["entity_id"],
        officer["id"].as_i64().unwrap().to_string()
    );
    assert_eq!(entry["request_id"], "audit-test-1");
    // Nothing in the log exposes a phone number.
    assert!(!log.to_string().contains(me["phone"].as_str().unwrap()));
}

#[tokio::test]
async fn organization_input_is_validated() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let resp = app
        .post_json("/api/v1/organizations", Some(&admin), &json!({"kind": "employer", "name": "广州某餐饮公司", "region_code": "440106", "credit_code": "91350100M000100Y44"}))
        .await;
    let body = assert_error(resp, 422, "validation_failed").await;
    assert_eq!(body["details"][0]["reason"], "credit_code_check_character");
    let resp = app
        .post_json("/api/v1/organizations", Some(&admin), &json!({"kind": "employer", "name": "x", "region_code": "999999", "credit_code": "91350100M000100Y43"}))
        .await;
    let body = assert_error(resp, 422, "validation_failed").await;
    assert_eq!(body["details"][0]["reason"], "unknown_region");
}
