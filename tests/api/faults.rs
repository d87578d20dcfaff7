//! Faults (issue 13): the database goes away and comes back under a running service.

use std::time::{Duration, Instant};

use labormatch::db::{self, EmbeddedPostgres};
use serde_json::{json, Value};

use crate::helpers::{spawn_app_on, TestApp, TEST_PASSWORD};

/// A private cluster of this test's own (the shared one serves the other tests), with a
/// migrated database.
async fn own_cluster(root: &std::path::Path) -> (EmbeddedPostgres, tokio_postgres::Config) {
    let root = root.to_path_buf();
    let pg = tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&root))
        .await
        .unwrap()
        .expect("start a private cluster");
    let admin: tokio_postgres::Config = pg.connection_string("postgres").parse().unwrap();
    db::create_database_if_missing(&admin, "faults")
        .await
        .unwrap();
    let config: tokio_postgres::Config = pg.connection_string("faults").parse().unwrap();
    db::migrate(&config).await.expect("migrate");
    (pg, config)
}

struct Seen {
    status: u16,
    code: String,
    retry_after: Option<String>,
}

async fn call(app: &TestApp, req: reqwest::RequestBuilder) -> Seen {
    let _ = app;
    match req.timeout(Duration::from_secs(20)).send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap_or("").to_string());
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            Seen {
                status,
                code: body["code"].as_str().unwrap_or("").to_string(),
                retry_after,
            }
        }
        Err(e) => panic!("no answer: {e}"),
    }
}

/// One round of mixed traffic: reads and writes that need the database, and a search that
/// does not.
async fn round(app: &TestApp, admin: &str, worker: &str, n: usize) -> Vec<(&'static str, Seen)> {
    let c = &app.client;
    vec![
        ("me", call(app, c.get(app.url("/api/v1/me")).bearer_auth(worker)).await),
        (
            "households",
            call(app, c.get(app.url("/api/v1/households")).bearer_auth(admin)).await,
        ),
        (
            "login",
            call(
                app,
                c.post(app.url("/api/v1/auth/login"))
                    .json(&json!({"phone": "13900000000", "password": TEST_PASSWORD})),
            )
            .await,
        ),
        (
            "create",
            call(
                app,
                c.post(app.url("/api/v1/organizations"))
                    .bearer_auth(admin)
                    .json(&json!({"kind": "center", "name": format!("故障学校{n}"), "region_code": "630224"})),
            )
            .await,
        ),
        (
            "search",
            call(
                app,
                c.get(app.url("/api/v1/openings/search?q=%E7%84%8A%E5%B7%A5"))
                    .bearer_auth(worker),
            )
            .await,
        ),
    ]
}

#[tokio::test]
async fn the_database_goes_away_and_comes_back_mid_traffic() {
    let root = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let (mut pg, config) = own_cluster(root.path()).await;
    let mut app = spawn_app_on(config, |s| {
        s.pool_wait_timeout = Duration::from_secs(2);
    })
    .await;
    app.keep_database();
    let admin = app.admin_token().await;
    let worker = app.worker_token().await;
    let (_, employer) = app.org_token(&admin, "employer", "440113").await;
    for (what, seen) in round(&app, &admin, &worker, 0).await {
        assert!(
            seen.status < 500,
            "{what} before the outage: {}",
            seen.status
        );
    }

    pg = tokio::task::spawn_blocking(move || {
        pg.stop();
        pg
    })
    .await
    .unwrap();
    // While it is away: never a 500; what needs the database says so, with Retry-After.
    let mut unavailable = 0;
    let until = Instant::now() + Duration::from_secs(4);
    let mut n = 1;
    while Instant::now() < until {
        for (what, seen) in round(&app, &admin, &worker, n).await {
            assert_ne!(seen.status, 500, "{what} during the outage");
            if seen.status == 503 {
                unavailable += 1;
                assert_eq!(seen.code, "database_unavailable", "{what}");
                assert!(
                    seen.retry_after
                        .as_deref()
                        .is_some_and(|r| r.parse::<u64>().is_ok()),
                    "{what}: Retry-After"
                );
            } else if what != "search" {
                panic!("{what} answered {} without its database", seen.status);
            }
        }
        n += 1;
    }
    assert!(unavailable > 0);

    pg = tokio::task::spawn_blocking(move || {
        pg.restart().expect("restart");
        pg
    })
    .await
    .unwrap();
    // Back without restarting the service.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let seen = round(&app, &admin, &worker, n).await;
        n += 1;
        for (what, s) in &seen {
            assert_ne!(s.status, 500, "{what} after the outage");
        }
        if seen.iter().all(|(_, s)| s.status < 500) {
            break;
        }
        assert!(Instant::now() < deadline, "the service did not recover");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The indexer resumes: a change made now becomes searchable.
    let resp = app
        .post_json(
            "/api/v1/openings",
            Some(&employer),
            &json!({
                "title": "钢结构焊工", "required_occupations": ["6-18-02-04"], "work_region": "440113",
                "wage_min": 6000, "wage_max": 9000, "headcount": 3,
                "start_date": "2027-03-01", "deadline": "2027-02-20", "status": "open"
            }),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let change: i64 = resp.headers()["x-change"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, status) = {
            let resp = app.get_auth("/api/v1/admin/index", &admin).await;
            (resp.status(), resp.json::<Value>().await.unwrap())
        };
        if status["visible_change"].as_i64().unwrap_or(0) >= change {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the indexer did not resume: {status}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(app);
    drop(pg);
}

async fn post_keyed(
    app: &TestApp,
    path: &str,
    token: &str,
    key: &str,
    body: &Value,
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(body).unwrap())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_dead_request_frees_its_idempotency_key_when_its_lease_ends_or_its_instance_restarts() {
    let mut app = crate::helpers::spawn_app().await;
    let admin = app.admin_token().await;
    let me: Value = app
        .get_auth("/api/v1/me", &admin)
        .await
        .json()
        .await
        .unwrap();
    let admin_id = me["id"].as_i64().unwrap();
    let db = app.db().await;
    let body = json!({"kind": "center", "name": "租约学校", "region_code": "630224"});
    let bytes = serde_json::to_vec(&body).unwrap();
    let hash = labormatch::idempotency::request_hash("POST", "/api/v1/organizations", "", &bytes);
    let running = |key: String, owner: String, lease: &'static str| {
        let (db, hash) = (&db, hash.clone());
        async move {
            db.execute(
                &format!(
                    "INSERT INTO idempotency_keys (account_id, key, request_hash, owner, lease_until) \
                     VALUES ($1, $2, $3, $4, now() + interval '{lease}')"
                ),
                &[&admin_id, &key, &hash, &owner],
            )
            .await
            .unwrap();
        }
    };

    // Running elsewhere under a live lease: Retry-After says when that lease ends.
    running("live".into(), "elsewhere".into(), "1 hour").await;
    let resp = post_keyed(&app, "/api/v1/organizations", &admin, "live", &body).await;
    assert_eq!(resp.status().as_u16(), 409);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((3590..=3600).contains(&retry), "{retry}");

    // Its process died: the lease ran out, the retry runs at once.
    running("dead".into(), "elsewhere".into(), "-1 second").await;
    let resp = post_keyed(&app, "/api/v1/organizations", &admin, "dead", &body).await;
    assert_eq!(resp.status().as_u16(), 201);

    // This instance was running it when it was killed: starting again frees the key.
    let owner = labormatch::idempotency::instance_owner(&app.settings);
    running("cut".into(), owner, "1 hour").await;
    let config = app.keep_database();
    let data_dir = app.settings.data_dir.clone();
    let again = spawn_app_on(config, |s| s.data_dir = data_dir).await;
    let resp = post_keyed(&again, "/api/v1/organizations", &admin, "cut", &body).await;
    assert_eq!(resp.status().as_u16(), 201);
    drop(app);
}

#[tokio::test]
async fn the_idempotency_store_keeps_no_phone_id_number_or_invitation_code() {
    let app = crate::helpers::spawn_app().await;
    let admin = app.admin_token().await;
    let officer = app.officer_token(&admin, "630224").await;
    let body = crate::program::worker_body("马阿里", "63212719900307123");
    let phone = body["phone"].as_str().unwrap().to_string();
    let id_number = body["id_number"].as_str().unwrap().to_string();
    let first = post_keyed(&app, "/api/v1/workers", &officer, "w1", &body).await;
    assert_eq!(first.status().as_u16(), 201);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["phone"], phone.as_str(), "{first}");
    // The replay reads the profile again, with the officer's rights.
    let replay = post_keyed(&app, "/api/v1/workers", &officer, "w1", &body).await;
    assert_eq!(replay.status().as_u16(), 201);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let replay: Value = replay.json().await.unwrap();
    assert_eq!(replay["id"], first["id"]);
    assert_eq!(replay["phone"], first["phone"]);

    let org = post_keyed(
        &app,
        "/api/v1/organizations",
        &admin,
        "o1",
        &json!({"kind": "center", "name": "无密学校", "region_code": "630224"}),
    )
    .await;
    assert_eq!(org.status().as_u16(), 201);
    let org: Value = org.json().await.unwrap();
    let code = org["invitation"]["code"].as_str().unwrap().to_string();

    let db = app.db().await;
    for secret in [&phone, &id_number, &code] {
        let n: i64 = db
            .query_one(
                "SELECT count(*) FROM idempotency_keys \
                 WHERE position($1 in convert_from(coalesce(response_body, ''), 'UTF8')) > 0",
                &[secret],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(n, 0, "{secret} is kept");
    }
    let kept: i64 = db
        .query_one(
            "SELECT count(*) FROM idempotency_keys WHERE response_status = 201",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(kept, 2);
}
