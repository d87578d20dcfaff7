//! PostgreSQL: the pool, migrations (refinery, from sql/), seed data, and one module per
//! aggregate with its SQL next to its types.

pub mod accounts;
pub mod applications;
pub mod audit;
pub mod claims;
pub mod courses;
pub mod embedded;
pub mod households;
pub mod openings;
pub mod outbox;
pub mod reference;
pub mod regions;
pub mod reports;
pub mod seed;
pub mod sessions;
pub mod targets;
pub mod throttle;
pub mod workers;

use std::time::Duration;

use anyhow::Context;
use deadpool_postgres::{Hook, HookError, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};

use crate::config::Settings;
pub use embedded::EmbeddedPostgres;

/// What the data layer fails with. It knows nothing of HTTP: `error.rs` turns it into an
/// `ApiError` in one place (`impl From<DbError> for ApiError`).
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Postgres(#[from] tokio_postgres::Error),
    #[error(transparent)]
    Pool(#[from] deadpool_postgres::PoolError),
    /// A stored value the code cannot read (an unknown role, a row that vanished inside a
    /// transaction): a bug or a bad migration, never the caller's fault.
    #[error("unreadable data: {0}")]
    Corrupt(String),
}

pub type DbResult<T> = Result<T, DbError>;

mod embedded_migrations {
    refinery::embed_migrations!("sql");
}

/// The newest migration version compiled into this binary.
pub fn latest_migration_version() -> i32 {
    embedded_migrations::migrations::runner()
        .get_migrations()
        .iter()
        .map(|m| m.version() as i32)
        .max()
        .unwrap_or(0)
}

/// Where the database is: a URL from the environment, or the private cluster we started.
pub struct Database {
    pub config: tokio_postgres::Config,
    /// Kept alive for as long as the service runs; dropping it stops the cluster.
    pub embedded: Option<EmbeddedPostgres>,
}

impl Database {
    /// Uses `LABORMATCH_DATABASE_URL` when set; otherwise starts the private cluster under the
    /// data directory and makes sure the `labormatch` database exists.
    pub async fn open(settings: &Settings) -> anyhow::Result<Database> {
        if let Some(url) = &settings.database_url {
            let config: tokio_postgres::Config = url
                .parse()
                .context("LABORMATCH_DATABASE_URL is not a valid PostgreSQL URL")?;
            return Ok(Database {
                config,
                embedded: None,
            });
        }
        let root = settings.data_dir.clone();
        let embedded = tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&root))
            .await
            .context("starting the private PostgreSQL cluster")??;
        let admin: tokio_postgres::Config = embedded.connection_string("postgres").parse()?;
        create_database_if_missing(&admin, "labormatch").await?;
        let config = embedded.connection_string("labormatch").parse()?;
        Ok(Database {
            config,
            embedded: Some(embedded),
        })
    }
}

/// Connects once, retrying while a just-started server is still recovering.
pub async fn connect(config: &tokio_postgres::Config) -> anyhow::Result<tokio_postgres::Client> {
    let mut attempts = 0;
    loop {
        match config.connect(tokio_postgres::NoTls).await {
            Ok((client, connection)) => {
                tokio::spawn(async move {
                    if let Err(e) = connection.await {
                        tracing::debug!(error = %e, "database connection closed");
                    }
                });
                return Ok(client);
            }
            Err(e) if attempts < 100 && is_starting_up(&e) => {
                attempts += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => return Err(e).context("connecting to PostgreSQL"),
        }
    }
}

fn is_starting_up(e: &tokio_postgres::Error) -> bool {
    e.as_db_error()
        .map(|db| *db.code() == tokio_postgres::error::SqlState::CANNOT_CONNECT_NOW)
        .unwrap_or(true)
}

pub async fn create_database_if_missing(
    admin: &tokio_postgres::Config,
    name: &str,
) -> anyhow::Result<()> {
    let client = connect(admin).await?;
    let exists = client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await?
        .is_some();
    if !exists {
        let sql = format!("CREATE DATABASE {}", quote_ident(name));
        if let Err(e) = client.batch_execute(&sql).await {
            // Two processes may race to create it.
            if e.code() != Some(&tokio_postgres::error::SqlState::DUPLICATE_DATABASE) {
                return Err(e.into());
            }
        }
    }
    Ok(())
}

pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Applies the migrations in sql/ and loads the seed data.
pub async fn migrate(config: &tokio_postgres::Config) -> anyhow::Result<()> {
    // refinery creates its history table "IF NOT EXISTS" on every start; PostgreSQL's NOTICE
    // that it exists is not news, so this connection only hears warnings and worse.
    let mut quiet = config.clone();
    let options = match config.get_options() {
        Some(o) if !o.is_empty() => format!("{o} -c client_min_messages=warning"),
        _ => "-c client_min_messages=warning".to_string(),
    };
    quiet.options(&options);
    let mut client = connect(&quiet).await?;
    let report = embedded_migrations::migrations::runner()
        .run_async(&mut client)
        .await
        .context("applying migrations")?;
    for m in report.applied_migrations() {
        tracing::info!(version = m.version(), name = m.name(), "migration applied");
    }
    seed::load_seed(&mut client).await?;
    tracing::info!(
        version = latest_migration_version(),
        "database schema up to date"
    );
    Ok(())
}

pub fn build_pool(config: tokio_postgres::Config, settings: &Settings) -> anyhow::Result<Pool> {
    let manager = Manager::from_config(
        config,
        tokio_postgres::NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    let max_age = settings.pool_max_connection_age;
    Pool::builder(manager)
        .max_size(settings.pool_max_size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(settings.pool_wait_timeout))
        .create_timeout(Some(Duration::from_secs(5)))
        .recycle_timeout(Some(Duration::from_secs(5)))
        .pre_recycle(Hook::sync_fn(move |_, metrics| {
            // Old connections are closed so server-side memory and plans do not pile up.
            if metrics.age() > max_age {
                Err(HookError::message("connection reached its maximum age"))
            } else {
                Ok(())
            }
        }))
        .build()
        .context("building the connection pool")
}

/// Readiness: the database answers and has every migration this binary knows.
pub async fn check_ready(pool: &Pool) -> Result<(), String> {
    let client = pool.get().await.map_err(|e| format!("pool: {e}"))?;
    let row = client
        .query_one(
            "SELECT coalesce(max(version), 0)::int4 FROM refinery_schema_history",
            &[],
        )
        .await
        .map_err(|e| format!("query: {e}"))?;
    let applied: i32 = row.get(0);
    let wanted = latest_migration_version();
    if applied < wanted {
        return Err(format!(
            "migrations applied up to {applied}, binary needs {wanted}"
        ));
    }
    Ok(())
}
