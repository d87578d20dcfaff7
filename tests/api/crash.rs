//! The real binary, killed with SIGKILL while the indexer works, resumes with nothing lost.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use labormatch::search::index::{current_generation, LiveIndex};

use crate::helpers::spawn_app;

pub(crate) fn conninfo(config: &tokio_postgres::Config) -> String {
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

pub(crate) fn start(db: &str, index: &std::path::Path, data: &std::path::Path) -> Child {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    Command::new(env!("CARGO_BIN_EXE_labormatch"))
        .arg("serve")
        .env("LABORMATCH_DATABASE_URL", db)
        .env("LABORMATCH_INDEX_DIR", index)
        .env("LABORMATCH_DATA_DIR", data)
        .env("LABORMATCH_BIND", format!("127.0.0.1:{port}"))
        .env("LABORMATCH_WORKERS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start labormatch serve")
}

/// Worker ids in the index (read-only, from another process's files).
fn indexed_workers(index: &std::path::Path) -> Option<(Vec<i64>, i64)> {
    let generation = current_generation(index)?;
    let live = LiveIndex::open(index, generation).ok()?;
    let searcher = live.reader.searcher();
    let query = tantivy::query::TermQuery::new(
        tantivy::Term::from_field_text(live.fields.kind, "worker"),
        tantivy::schema::IndexRecordOption::Basic,
    );
    let docs = searcher
        .search(&query, &tantivy::collector::DocSetCollector)
        .ok()?;
    let mut ids: Vec<i64> = docs
        .into_iter()
        .filter_map(|addr| {
            let doc: tantivy::TantivyDocument = searcher.doc(addr).ok()?;
            use tantivy::schema::Value;
            doc.get_first(live.fields.id)?.as_i64()
        })
        .collect();
    ids.sort_unstable();
    Some((ids, live.progress().visible_upto()))
}

pub(crate) async fn insert_workers(db: &tokio_postgres::Client, n: usize) -> i64 {
    let mut last = 0;
    for _ in 0..n {
        let id: i64 = db
            .query_one(
                "INSERT INTO workers (name, gender, birth_year, home_region, destinations, min_wage)
                 VALUES ('马', 'male', 1990, '630224', '{440000}', 4000) RETURNING id",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        db.execute(
            "INSERT INTO worker_skills (worker_id, occupation_code, source) VALUES ($1, '6-18-02-04', 'self_declared')",
            &[&id],
        )
        .await
        .unwrap();
        last = db
            .query_one(
                "INSERT INTO index_changes (entity, entity_id) VALUES ('worker', $1) RETURNING seq",
                &[&id],
            )
            .await
            .unwrap()
            .get(0);
    }
    last
}

pub(crate) async fn wait_until_indexed(index: &std::path::Path, seq: i64) -> Vec<i64> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some((ids, visible)) = indexed_workers(index) {
            if visible >= seq {
                return ids;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the index did not reach change {seq}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn kill_dash_nine_between_batches_loses_nothing() {
    // The harness's app only provides a migrated database; the service under test is the binary.
    let mut app = spawn_app().await;
    let config = app.keep_database();
    drop(app);
    let dirs = tempfile::tempdir().unwrap();
    let index = dirs.path().join("index");
    let data = dirs.path().join("data");
    let db_info = conninfo(&config);
    let db = labormatch::db::connect(&config).await.unwrap();

    let mut child = start(&db_info, &index, &data);
    let first = insert_workers(&db, 20).await;
    wait_until_indexed(&index, first).await;
    // More changes keep arriving; the service dies mid-stream.
    let writer = {
        let config = config.clone();
        tokio::spawn(async move {
            let db = labormatch::db::connect(&config).await.unwrap();
            insert_workers(&db, 200).await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let last = writer.await.unwrap();

    let mut child = start(&db_info, &index, &data);
    let ids = wait_until_indexed(&index, last).await;
    let mut expected: Vec<i64> = db
        .query(
            "SELECT id FROM workers WHERE status = 'available' ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    expected.sort_unstable();
    assert_eq!(ids.len(), 220);
    assert_eq!(
        ids, expected,
        "the index equals the database: nothing lost, nothing twice"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    crate::helpers::drop_test_database(&config).await;
}
