//! The test harness: one private PostgreSQL cluster per test run (or LABORMATCH_TEST_DATABASE_URL),
//! a migrated template database made once, a fresh database cloned from it for every test, the
//! real app on port 0 with its own temporary index directory, and real HTTP.

use std::sync::OnceLock;

use labormatch::config::Settings;
use labormatch::db::{self, EmbeddedPostgres};
use labormatch::startup::Application;
use serde_json::Value;

struct TestCluster {
    admin: tokio_postgres::Config,
    template: String,
}

static CLUSTER: OnceLock<Result<TestCluster, String>> = OnceLock::new();

/// Migrations and seed files decide what the template holds; a change makes a new template.
fn template_name() -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/sql"))
        .expect("sql/ exists")
        .flatten()
    {
        if entry
            .path()
            .extension()
            .map(|e| e == "sql")
            .unwrap_or(false)
        {
            hasher.update(entry.file_name().as_encoded_bytes());
            hasher.update(std::fs::read(entry.path()).expect("readable migration"));
        }
    }
    hasher.update(db::seed::REGIONS_CSV.as_bytes());
    hasher.update(db::seed::OCCUPATIONS_CSV.as_bytes());
    let digest = hasher.finalize();
    let short: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("lm_template_{short}")
}

fn cluster() -> &'static TestCluster {
    let result = CLUSTER.get_or_init(|| {
        // A thread of its own, alive for the whole run: the cluster's postgres process stops
        // when the thread that started it ends (and so when this test process ends).
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let started = start_cluster();
            let keep = match started {
                Ok((cluster, pg)) => {
                    let _ = tx.send(Ok(cluster));
                    pg
                }
                Err(e) => {
                    let _ = tx.send(Err(format!("{e:#}")));
                    None
                }
            };
            let _keep = keep;
            loop {
                std::thread::park();
            }
        });
        rx.recv().unwrap_or_else(|e| Err(e.to_string()))
    });
    match result {
        Ok(c) => c,
        Err(e) => panic!("test database cluster unavailable: {e}"),
    }
}

fn start_cluster() -> anyhow::Result<(TestCluster, Option<EmbeddedPostgres>)> {
    let (admin, pg) = match std::env::var("LABORMATCH_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => (url.parse::<tokio_postgres::Config>()?, None),
        _ => {
            let root = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("test-postgres");
            let pg = match EmbeddedPostgres::start(&root) {
                Ok(pg) => pg,
                // The test cluster holds nothing but what the tests make, so one that will not
                // start (a killed run, a full disk, files copied from elsewhere) is made anew
                // rather than failing every test. The service's own cluster is never treated so.
                Err(e) if root.exists() => {
                    eprintln!(
                        "test cluster at {} did not start ({e:#}); making it anew",
                        root.display()
                    );
                    std::fs::remove_dir_all(&root)?;
                    EmbeddedPostgres::start(&root)?
                }
                Err(e) => return Err(e),
            };
            (pg.connection_string("postgres").parse()?, Some(pg))
        }
    };
    let template = template_name();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let client = db::connect(&admin).await?;
        client.execute("SELECT pg_advisory_lock(4242)", &[]).await?;
        let exists = client
            .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&template])
            .await?
            .is_some();
        if !exists {
            let building = format!("{template}_building");
            client
                .batch_execute(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
                .await?;
            client
                .batch_execute(&format!("CREATE DATABASE {building}"))
                .await?;
            let mut config = admin.clone();
            config.dbname(&building);
            db::migrate(&config).await?;
            client
                .batch_execute(&format!("ALTER DATABASE {building} RENAME TO {template}"))
                .await?;
        }
        client
            .execute("SELECT pg_advisory_unlock(4242)", &[])
            .await?;
        anyhow::Ok(())
    })?;
    Ok((TestCluster { admin, template }, pg))
}

#[allow(dead_code)]
pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub db_name: String,
    pub db_config: tokio_postgres::Config,
    pub client: reqwest::Client,
    pub index_dir: tempfile::TempDir,
    pub data_dir: tempfile::TempDir,
    pub settings: Settings,
    handle: actix_web::dev::ServerHandle,
    owns_database: bool,
}

/// Settings as the service would have them with nothing configured, pointed at test places.
pub fn test_settings(index_dir: &std::path::Path, data_dir: &std::path::Path) -> Settings {
    let mut settings = Settings::from_env().expect("default settings are valid");
    settings.bind = "127.0.0.1:0".into();
    settings.workers = 1;
    // Waiting for the index returns as soon as it has caught up; a generous bound keeps a loaded
    // CI machine (many apps, two cores) from failing read-your-writes checks.
    settings.read_your_writes_wait = std::time::Duration::from_secs(30);
    settings.index_dir = index_dir.to_path_buf();
    settings.data_dir = data_dir.to_path_buf();
    settings
}

pub async fn spawn_app() -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        labormatch::telemetry::init(labormatch::config::LogFormat::Pretty);
    }
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(customize: impl FnOnce(&mut Settings)) -> TestApp {
    let cluster = cluster();
    let db_name = format!("t_{}", uuid::Uuid::new_v4().simple());
    let admin = db::connect(&cluster.admin).await.expect("admin connection");
    admin
        .batch_execute(&format!(
            "CREATE DATABASE {db_name} TEMPLATE {}",
            cluster.template
        ))
        .await
        .expect("create the test database");
    let mut db_config = cluster.admin.clone();
    db_config.dbname(&db_name);
    spawn_app_on(db_config, customize).await
}

/// Starts the app on an existing test database (which the returned app drops at the end).
pub async fn spawn_app_on(
    db_config: tokio_postgres::Config,
    customize: impl FnOnce(&mut Settings),
) -> TestApp {
    let db_name = db_config.get_dbname().unwrap_or_default().to_string();
    let index_dir = tempfile::tempdir().expect("temp index dir");
    let data_dir = tempfile::tempdir().expect("temp data dir");
    let mut settings = test_settings(&index_dir.path().join("index"), data_dir.path());
    customize(&mut settings);
    let app = Application::build(settings.clone(), db_config.clone())
        .await
        .expect("build the app");
    let port = app.port();
    let handle = app.server_handle();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        db_name,
        db_config,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // Below the server's 5 s keep-alive: a connection idle that long (a browser step on
            // a loaded machine) may be closed by the server just as it is reused, and the
            // request fails with an incomplete message.
            .pool_idle_timeout(std::time::Duration::from_secs(3))
            .build()
            .expect("http client"),
        index_dir,
        data_dir,
        settings,
        handle,
        owns_database: true,
    }
}

impl TestApp {
    /// Keeps the database when this app is dropped (a restart test hands it to a new app).
    pub fn keep_database(&mut self) -> tokio_postgres::Config {
        self.owns_database = false;
        self.db_config.clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn db(&self) -> tokio_postgres::Client {
        db::connect(&self.db_config)
            .await
            .expect("test db connection")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// Posts a CSV file (`text/csv`) as the import endpoints take it.
    pub async fn upload_csv(&self, path: &str, token: &str, body: &str) -> (u16, Value) {
        let resp = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .header("content-type", "text/csv")
            .body(body.to_string())
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let resp = self.get(path).await;
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }
}

/// Drops a test database that no `TestApp` owns (the fault and crash tests' own servers),
/// reached through the cluster's `postgres` database with the same credentials.
pub async fn drop_test_database(config: &tokio_postgres::Config) {
    let mut admin = config.clone();
    admin.dbname("postgres");
    let client = db::connect(&admin).await.expect("admin connection");
    let _ = client
        .batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            config.get_dbname().unwrap_or_default()
        ))
        .await;
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Sends the stop at once; awaiting it here would block the runtime that serves it.
        drop(self.handle.stop(false));
        if !self.owns_database {
            return;
        }
        let admin = cluster().admin.clone();
        let db_name = self.db_name.clone();
        // Drop runs inside the test's runtime; do the async clean-up on a thread of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                if let Ok(client) = db::connect(&admin).await {
                    let _ = client
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {db_name} WITH (FORCE)"))
                        .await;
                }
            });
        })
        .join();
    }
}

/// Asserts the error envelope: status, stable code, a non-empty message.
pub async fn assert_error(resp: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(resp.status().as_u16(), status, "status");
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(ct.starts_with("application/json"), "content-type {ct}");
    let body: Value = resp.json().await.expect("json error body");
    assert_eq!(body["code"], code, "body {body}");
    assert!(
        body["message"]
            .as_str()
            .map(|m| !m.is_empty())
            .unwrap_or(false),
        "message in {body}"
    );
    body
}

pub const TEST_PASSWORD: &str = "s3cret-passw0rd";

/// The change number a write answers in `X-Change` (what `after_change` waits for).
pub fn change_of(resp: &reqwest::Response) -> i64 {
    resp.headers()["x-change"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// A unique, valid mainland mobile number for this test run.
pub fn unique_phone() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let salt = (std::process::id() as u64 % 1000) * 100_000;
    format!("139{:08}", (salt + n) % 100_000_000)
}

#[allow(dead_code)]
impl TestApp {
    /// `PUT path` with the caller's token and `If-Match: tag`.
    pub async fn put_if_match(
        &self,
        path: &str,
        token: &str,
        tag: &str,
        body: &Value,
    ) -> reqwest::Response {
        self.client
            .put(self.url(path))
            .bearer_auth(token)
            .header("if-match", tag)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn post_json(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> reqwest::Response {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("request")
    }

    pub async fn get_auth(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    pub async fn login(&self, phone: &str, password: &str) -> Value {
        let resp = self
            .post_json(
                "/api/v1/auth/login",
                None,
                &serde_json::json!({ "phone": phone, "password": password }),
            )
            .await;
        assert_eq!(resp.status().as_u16(), 200, "login {phone}");
        resp.json().await.unwrap()
    }

    /// An admin account, created as `labormatch create-admin` does; returns its access token.
    pub async fn admin_token(&self) -> String {
        let pool = db::build_pool(self.db_config.clone(), &self.settings).unwrap();
        let phone = unique_phone();
        labormatch::services::accounts::create_admin(
            &pool,
            &self.settings,
            &phone,
            TEST_PASSWORD,
            "admin",
        )
        .await
        .expect("create admin");
        self.login(&phone, TEST_PASSWORD).await["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn officer_token(&self, admin: &str, region: &str) -> String {
        let phone = unique_phone();
        let resp = self
            .post_json(
                "/api/v1/officers",
                Some(admin),
                &serde_json::json!({ "phone": phone, "password": TEST_PASSWORD, "region_code": region }),
            )
            .await;
        assert_eq!(resp.status().as_u16(), 201, "create officer");
        self.login(&phone, TEST_PASSWORD).await["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn worker_token(&self) -> String {
        let phone = unique_phone();
        let resp = self
            .post_json(
                "/api/v1/auth/register",
                None,
                &serde_json::json!({ "phone": phone, "password": TEST_PASSWORD, "display_name": "马小明" }),
            )
            .await;
        assert_eq!(resp.status().as_u16(), 201, "register worker");
        let body: Value = resp.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_string()
    }

    /// Creates an organization (by `staff`) and signs up its first account: (org id, token).
    pub async fn org_token(&self, staff: &str, kind: &str, region: &str) -> (i64, String) {
        use std::sync::atomic::{AtomicU64, Ordering};
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let n = SEQ.fetch_add(1, Ordering::Relaxed) + std::process::id() as u64 * 1000;
        let credit =
            labormatch::domain::complete_credit_code(&format!("91440101MA{:07}", n % 10_000_000))
                .unwrap();
        let resp = self
            .post_json(
                "/api/v1/organizations",
                Some(staff),
                &serde_json::json!({
                    "kind": kind, "name": format!("测试{kind}{n}"), "region_code": region,
                    "credit_code": credit
                }),
            )
            .await;
        assert_eq!(resp.status().as_u16(), 201, "create organization");
        let body: Value = resp.json().await.unwrap();
        let org_id = body["organization"]["id"].as_i64().unwrap();
        let code = body["invitation"]["code"].as_str().unwrap();
        let resp = self
            .post_json(
                "/api/v1/auth/accept-invitation",
                None,
                &serde_json::json!({ "code": code, "phone": unique_phone(), "password": TEST_PASSWORD }),
            )
            .await;
        assert_eq!(resp.status().as_u16(), 201, "accept invitation");
        let body: Value = resp.json().await.unwrap();
        (org_id, body["access_token"].as_str().unwrap().to_string())
    }
}
