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
    let change: i64 = crate::helpers::change_of(&resp);
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

fn conninfo(config: &tokio_postgres::Config) -> String {
    let host = match &config.get_hosts()[0] {
        tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        tokio_postgres::config::Host::Tcp(h) => h.clone(),
    };
    format!(
        "host={host} port={} user={} dbname={}",
        config.get_ports()[0],
        config.get_user().unwrap_or("postgres"),
        config.get_dbname().unwrap_or_default()
    )
}

/// The real binary on a free port; answers once it is ready.
async fn start_binary(db: &str, dirs: &std::path::Path) -> (std::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_labormatch"))
        .arg("serve")
        .env("LABORMATCH_DATABASE_URL", db)
        .env("LABORMATCH_INDEX_DIR", dirs.join("index"))
        .env("LABORMATCH_DATA_DIR", dirs.join("data"))
        .env("LABORMATCH_BIND", format!("127.0.0.1:{port}"))
        .env("LABORMATCH_WORKERS", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start labormatch serve");
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while reqwest::get(format!("{base}/healthz")).await.is_err() {
        assert!(Instant::now() < deadline, "the binary did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (child, base)
}

async fn households(db: &tokio_postgres::Client) -> i64 {
    db.query_one("SELECT count(*) FROM households", &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn kill_dash_nine_during_an_import_leaves_whole_batches_and_a_resend_converges() {
    const ROWS: usize = 20_000;
    let mut app = crate::helpers::spawn_app().await;
    let config = app.keep_database();
    let settings = app.settings.clone();
    drop(app);
    let db_info = conninfo(&config);
    let db = db::connect(&config).await.unwrap();
    let dirs = tempfile::tempdir().unwrap();
    let (mut child, base) = start_binary(&db_info, dirs.path()).await;

    let pool = db::build_pool(config.clone(), &settings).unwrap();
    let phone = crate::helpers::unique_phone();
    labormatch::services::accounts::create_admin(&pool, &settings, &phone, TEST_PASSWORD, "admin")
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let login = |phone: String| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let body: Value = http
                .post(format!("{base}/api/v1/auth/login"))
                .json(&json!({"phone": phone, "password": TEST_PASSWORD}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            body["access_token"].as_str().unwrap().to_string()
        }
    };
    let admin = login(phone).await;
    let officer_phone = crate::helpers::unique_phone();
    let resp = http
        .post(format!("{base}/api/v1/officers"))
        .bearer_auth(&admin)
        .json(&json!({"phone": officer_phone, "password": TEST_PASSWORD, "region_code": "630224"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let officer = login(officer_phone).await;

    let mut csv = String::from("registry_number,county_code,village,member_count,status\n");
    for i in 0..ROWS {
        csv.push_str(&format!("KILL-{i:06},630224,甘都镇,4,registered_poor\n"));
    }
    let upload = {
        let (http, url, officer, csv) = (
            http.clone(),
            format!("{base}/api/v1/imports/households"),
            officer.clone(),
            csv.clone(),
        );
        tokio::spawn(async move {
            http.post(url)
                .bearer_auth(officer)
                .header("content-type", "text/csv")
                .body(csv)
                .send()
                .await
        })
    };
    // Killed as soon as the first batch is in.
    let deadline = Instant::now() + Duration::from_secs(60);
    while households(&db).await == 0 {
        assert!(
            Instant::now() < deadline,
            "the import never committed a batch"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let _ = upload.await;
    let left = households(&db).await;
    assert_eq!(left % 500, 0, "{left} rows: not whole batches");
    assert!(left > 0 && left < ROWS as i64, "{left}: not cut mid-import");

    // Started again, the same file sent again: exactly the file's rows.
    let (mut child, base2) = start_binary(&db_info, dirs.path()).await;
    let resp = http
        .post(format!("{base2}/api/v1/imports/households"))
        .bearer_auth(&officer)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let report: Value = resp.json().await.unwrap();
    assert_eq!(report["rows"], ROWS);
    assert_eq!(report["failed"], 0, "{report}");
    assert_eq!(
        report["inserted"].as_i64().unwrap() + report["unchanged"].as_i64().unwrap(),
        ROWS as i64
    );
    assert_eq!(households(&db).await, ROWS as i64);
    child.kill().unwrap();
    child.wait().unwrap();
    drop(pool);
    crate::helpers::drop_test_database(&config).await;
}

#[tokio::test]
async fn two_instances_on_one_database_converge_and_a_killed_one_catches_up() {
    use crate::crash::{insert_workers, start, wait_until_indexed};
    // The harness's app only provides a migrated database; the instances are the binary.
    let mut app = crate::helpers::spawn_app().await;
    let config = app.keep_database();
    drop(app);
    let db_info = conninfo(&config);
    let db = db::connect(&config).await.unwrap();
    let dirs = tempfile::tempdir().unwrap();
    let (index_a, index_b) = (dirs.path().join("a/index"), dirs.path().join("b/index"));
    let (data_a, data_b) = (dirs.path().join("a/data"), dirs.path().join("b/data"));
    let mut a = start(&db_info, &index_a, &data_a);
    let mut b = start(&db_info, &index_b, &data_b);

    // Both apply every change, each into its own index.
    let first = insert_workers(&db, 30).await;
    let in_a = wait_until_indexed(&index_a, first).await;
    let in_b = wait_until_indexed(&index_b, first).await;
    assert_eq!(in_a, in_b);
    assert_eq!(in_a.len(), 30);

    // One is killed; changes go on; started again on its own index, it catches up.
    b.kill().unwrap(); // SIGKILL
    b.wait().unwrap();
    let last = insert_workers(&db, 50).await;
    let in_a = wait_until_indexed(&index_a, last).await;
    let mut b = start(&db_info, &index_b, &data_b);
    let in_b = wait_until_indexed(&index_b, last).await;
    assert_eq!(in_a.len(), 80);
    assert_eq!(in_a, in_b, "the two indexes hold the same workers");

    for child in [&mut a, &mut b] {
        child.kill().unwrap();
        child.wait().unwrap();
    }
    crate::helpers::drop_test_database(&config).await;
}
