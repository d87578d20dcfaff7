//! The binary as a person at a terminal meets it (issue 13 item 12).

use std::io::Write;
use std::process::{Command, Stdio};

use crate::helpers::spawn_app;

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

fn labormatch(db: &str, data: &std::path::Path, args: &[&str], stdin: &str) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_labormatch"))
        .args(args)
        .env("LABORMATCH_DATABASE_URL", db)
        .env("LABORMATCH_DATA_DIR", data)
        .env("LABORMATCH_INDEX_DIR", data.join("index"))
        .env_remove("LABORMATCH_ADMIN_PASSWORD")
        .env_remove("LABORMATCH_LOG")
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run labormatch");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn create_admin_says_the_rule_and_logs_are_plain_without_notices() {
    let app = spawn_app().await;
    let db = conninfo(&app.db_config);
    let data = tempfile::tempdir().unwrap();

    let (ok, text) = labormatch(
        &db,
        data.path(),
        &["create-admin", "--phone", "13912340001"],
        "short\n",
    );
    assert!(!ok, "{text}");
    assert!(text.contains("8 to 128 characters"), "{text}");
    let (ok, text) = labormatch(
        &db,
        data.path(),
        &["create-admin", "--phone", "13912340001"],
        "\n",
    );
    assert!(!ok && text.contains("8 to 128 characters"), "{text}");

    // A migrated database migrated again: plain text (no colour codes in a pipe or a file),
    // and no NOTICE about refinery's table.
    for _ in 0..2 {
        let (ok, text) = labormatch(&db, data.path(), &["migrate"], "");
        assert!(ok, "{text}");
        assert!(text.contains("database schema up to date"), "{text}");
        assert!(!text.contains('\u{1b}'), "colour codes: {text:?}");
        assert!(!text.contains("NOTICE"), "{text}");
    }
}
