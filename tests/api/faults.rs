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
