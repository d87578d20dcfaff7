//! `labormatch bench --http-secs N`: the same three questions over HTTP under concurrency. The
//! server `serve` runs (`Application`) listens on a local port inside this process and wrk
//! (Debian's `wrk` package) drives it: candidates for one of 1,000 open openings at random per
//! request (an administrator's token), matches for one of 20 worker accounts at random, and the
//! typical free-text queries, each measured after a short warm-up at the same load (its own
//! random order). Tokens are minted with the server's own key for real accounts, since the load
//! under test is searching, not logging in. Two rounds: the result cache off (every request
//! searches), then on after every path was asked once (warmed).

use std::path::Path;

use anyhow::{bail, Context};
use deadpool_postgres::Object as Client;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

use super::mib;
use labormatch::auth::tokens::Claims;
use labormatch::auth::Role;
use labormatch::config::Settings;
use labormatch::db::accounts::{self, NewAccount};
use labormatch::startup::Application;

pub struct HttpOptions {
    pub secs: u64,
    pub connections: usize,
    pub threads: usize,
    pub openings: usize,
    pub seed: u64,
}

#[derive(Debug, Default)]
pub struct WrkResult {
    pub requests: u64,
    pub rps: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub non_2xx: u64,
    pub socket_errors: String,
}

pub struct HttpRow {
    pub endpoint: &'static str,
    /// Figure prefix: `candidates`, `matches`, `search`.
    pub name: &'static str,
    pub cache: &'static str,
    /// `uncached` (result cache off) or `cached` (on, warmed).
    pub round: &'static str,
    pub result: WrkResult,
}

pub struct HttpReport {
    pub rows: Vec<HttpRow>,
    pub openings: usize,
    pub workers: usize,
    pub peak_rss_mib: f64,
    pub load_after: [f64; 3],
}

/// Bench accounts: `gen` makes no accounts, so these phones (137… the administrator, 136… the
/// workers) are free on its data; the password hash is one no password matches.
const ADMIN_PHONE: &str = "13700000000";
const NO_PASSWORD: &str = "!bench-account-no-login";
const WORKER_ACCOUNTS: i64 = 20;
/// Seconds of the same load run before each measured one (see `load`).
const WARM_UP_SECS: u64 = 2;

pub async fn load(
    settings: &Settings,
    db: &tokio_postgres::Config,
    opts: &HttpOptions,
) -> anyhow::Result<HttpReport> {
    if tokio::process::Command::new("wrk")
        .arg("--version")
        .output()
        .await
        .is_err()
    {
        bail!("wrk is needed for the HTTP part (Debian: apt-get install wrk)");
    }
    let pool = labormatch::db::build_pool(db.clone(), settings)?;
    let client = pool.get().await?;
    let admin_id = bench_admin(&client).await?;
    let workers = bench_workers(&client).await?;
    let mut openings: Vec<i64> = client
        .query(
            "SELECT id FROM openings WHERE status = 'open' ORDER BY id",
            &[],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    openings.shuffle(&mut StdRng::seed_from_u64(opts.seed));
    openings.truncate(opts.openings);
    if openings.is_empty() || workers.is_empty() {
        bail!("no open openings or no workers with skills: run `labormatch gen` first");
    }
    drop(client);
    drop(pool);

    let mut rows = Vec::new();
    for (cache, round, warm) in [("off", "uncached", false), ("on, warmed", "cached", true)] {
        let mut settings = settings.clone();
        settings.bind = "127.0.0.1:0".into();
        if !warm {
            settings.result_cache_items = 0;
        }
        let app = Application::build(settings, db.clone()).await?;
        let app_port = app.port();
        let base = format!("http://127.0.0.1:{app_port}");
        let jwt = app.state.jwt.clone();
        // Each bench account signs in once: a session of its own, named by its tokens.
        let client = app.state.pool.get().await?;
        let mut tokens = Vec::new();
        for (id, role) in std::iter::once((admin_id, Role::Admin))
            .chain(workers.iter().map(|id| (*id, Role::Worker)))
        {
            let sid = labormatch::db::sessions::create(&client, id)
                .await
                .map_err(api)?;
            tokens.push(jwt.issue(Claims::new(id, role, sid))?);
        }
        drop(client);
        let worker_tokens = tokens.split_off(1);
        let admin = tokens;
        let handle = app.server_handle();
        let state = app.state.clone();
        let server = tokio::spawn(app.run_until_stopped());
        let runs: [(&'static str, &'static str, Vec<String>, &[String]); 3] = [
            (
                "candidates of an opening (top 20)",
                "candidates",
                openings
                    .iter()
                    .map(|id| format!("/api/v1/openings/{id}/candidates?limit=20"))
                    .collect(),
                &admin,
            ),
            (
                "matches for a worker (top 20)",
                "matches",
                vec!["/api/v1/me/matches?limit=20".into()],
                &worker_tokens,
            ),
            (
                "free-text search (top 20 + facets)",
                "search",
                super::run::QUERIES
                    .iter()
                    .map(|q| format!("/api/v1/openings/search?q={}", percent_encode(q)))
                    .collect(),
                &admin,
            ),
        ];
        let dir = ScriptDir::new()?;
        for (endpoint, name, paths, tokens) in runs {
            if warm {
                for token in tokens {
                    for path in &paths {
                        get(app_port, path, token).await?;
                    }
                }
            }
            // The same load for a moment first, in another order, not counted: a server just
            // started opens its pool's connections and pages its index in under the first wave
            // of requests, which is start-up, not the steady state these figures describe.
            let warm_up = dir.path().join("warm-up.lua");
            std::fs::write(
                &warm_up,
                load_script(&paths, tokens, opts.seed.wrapping_add(1)),
            )?;
            wrk(
                &base,
                &warm_up,
                opts.threads,
                opts.connections,
                WARM_UP_SECS,
            )
            .await?;
            let script = dir.path().join("load.lua");
            std::fs::write(&script, load_script(&paths, tokens, opts.seed))?;
            let result = wrk(&base, &script, opts.threads, opts.connections, opts.secs).await?;
            eprintln!(
                "bench http: {endpoint}, cache {cache}: {:.0} requests/s",
                result.rps
            );
            rows.push(HttpRow {
                endpoint,
                name,
                cache,
                round,
                result,
            });
        }
        handle.stop(true).await;
        server.await??;
        // The next round's server opens the same index: its writer must be free.
        tokio::task::spawn_blocking(move || state.search.stop()).await?;
    }
    Ok(HttpReport {
        rows,
        openings: openings.len(),
        workers: workers.len(),
        peak_rss_mib: mib(super::peak_rss_bytes()),
        load_after: super::load_average(),
    })
}

/// Where the wrk scripts are written; removed when done.
struct ScriptDir(std::path::PathBuf);

impl ScriptDir {
    fn new() -> std::io::Result<ScriptDir> {
        let path = std::env::temp_dir().join(format!("labormatch-bench-{}", std::process::id()));
        std::fs::create_dir_all(&path)?;
        Ok(ScriptDir(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScriptDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn api(e: labormatch::db::DbError) -> anyhow::Error {
    anyhow::anyhow!("{e:?}")
}

async fn bench_admin(client: &Client) -> anyhow::Result<i64> {
    match accounts::find_by_phone(client, ADMIN_PHONE)
        .await
        .map_err(api)?
    {
        Some(account) => Ok(account.id),
        None => bench_account(client, Role::Admin, ADMIN_PHONE).await,
    }
}

async fn bench_account(client: &Client, role: Role, phone: &str) -> anyhow::Result<i64> {
    accounts::insert_account(
        client,
        NewAccount {
            role,
            phone,
            password_hash: NO_PASSWORD,
            display_name: "bench",
            organization_id: None,
            org_admin: false,
            region_code: None,
        },
    )
    .await
    .map_err(api)
}

/// The first workers with skills, each given an account (kept for later runs).
async fn bench_workers(client: &Client) -> anyhow::Result<Vec<i64>> {
    let rows = client
        .query(
            "SELECT w.id, w.account_id FROM workers w
             WHERE w.status = 'available'
               AND EXISTS (SELECT 1 FROM worker_skills s WHERE s.worker_id = w.id)
             ORDER BY w.id LIMIT $1",
            &[&WORKER_ACCOUNTS],
        )
        .await?;
    let mut accounts_of = Vec::with_capacity(rows.len());
    for row in rows {
        let (worker, account): (i64, Option<i64>) = (row.get(0), row.get(1));
        let account = match account {
            Some(a) => a,
            None => {
                let phone = format!("136{:08}", worker % 100_000_000);
                let id = bench_account(client, Role::Worker, &phone).await?;
                client
                    .execute(
                        "UPDATE workers SET account_id = $1 WHERE id = $2",
                        &[&id, &worker],
                    )
                    .await?;
                id
            }
        };
        accounts_of.push(account);
    }
    Ok(accounts_of)
}

fn lua_list(values: &[String]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
    format!("{{{}}}", quoted.join(","))
}

fn load_script(paths: &[String], tokens: &[String], seed: u64) -> String {
    format!(
        r#"local paths = {}
local tokens = {}
local counter = 0
setup = function(thread)
  counter = counter + 1
  thread:set("id", counter)
end
init = function(args)
  math.randomseed({seed} + (id or 0))
end
request = function()
  local path = paths[math.random(#paths)]
  local token = tokens[math.random(#tokens)]
  return wrk.format("GET", path, {{["Authorization"] = "Bearer " .. token}})
end
"#,
        lua_list(paths),
        lua_list(tokens)
    )
}

async fn wrk(
    base: &str,
    script: &Path,
    threads: usize,
    connections: usize,
    secs: u64,
) -> anyhow::Result<WrkResult> {
    let out = tokio::process::Command::new("wrk")
        .arg(format!("-t{threads}"))
        .arg(format!("-c{connections}"))
        .arg(format!("-d{secs}s"))
        .args(["--latency", "--timeout", "10s", "-s"])
        .arg(script)
        .arg(base)
        .output()
        .await
        .context("running wrk")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "wrk failed: {}{}",
            stdout,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    parse_wrk(&stdout).with_context(|| format!("reading wrk's output:\n{stdout}"))
}

/// One GET on a fresh connection (warming the cache needs each path asked once, in order:
/// not a job for wrk); anything but 200 stops the bench.
async fn get(port: u16, path: &str, token: &str) -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
         Connection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    let head = String::from_utf8_lossy(&answer[..answer.len().min(200)]).into_owned();
    if !head.starts_with("HTTP/1.1 200") {
        bail!("GET {path}: {head}");
    }
    Ok(())
}

/// wrk's latency unit suffixes: us, ms, s, m.
fn millis(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let value: f64 = text[..split].parse().ok()?;
    let factor = match &text[split..] {
        "us" => 0.001,
        "ms" => 1.0,
        "s" => 1_000.0,
        "m" => 60_000.0,
        _ => return None,
    };
    Some(value * factor)
}

pub fn parse_wrk(out: &str) -> Option<WrkResult> {
    let mut r = WrkResult::default();
    let mut in_distribution = false;
    for line in out.lines() {
        let t = line.trim();
        if t.starts_with("Latency Distribution") {
            in_distribution = true;
            continue;
        }
        if in_distribution {
            let mut parts = t.split_whitespace();
            match (parts.next(), parts.next().and_then(millis)) {
                (Some("50%"), Some(v)) => r.p50_ms = v,
                (Some("90%"), Some(v)) => r.p90_ms = v,
                (Some("99%"), Some(v)) => r.p99_ms = v,
                (Some("75%"), Some(_)) => {}
                _ => in_distribution = false,
            }
        }
        if let Some(v) = t.strip_prefix("Requests/sec:") {
            r.rps = v.trim().parse().ok()?;
        } else if let Some(v) = t.strip_prefix("Non-2xx or 3xx responses:") {
            r.non_2xx = v.trim().parse().ok()?;
        } else if let Some(v) = t.strip_prefix("Socket errors:") {
            r.socket_errors = v.trim().to_string();
        } else if let Some((n, _)) = t.split_once(" requests in ") {
            r.requests = n.trim().parse().ok()?;
        }
    }
    (r.rps > 0.0).then_some(r)
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl HttpReport {
    /// `{candidates|matches|search}.http.{uncached|cached}.{rps,p50_ms,p90_ms,p99_ms,...}`.
    pub fn figures(&self) -> super::Figures {
        let mut f = super::Figures::default();
        for row in &self.rows {
            let prefix = format!("{}.http.{}", row.name, row.round);
            let w = &row.result;
            f.set(format!("{prefix}.requests"), w.requests as f64);
            f.set(format!("{prefix}.rps"), w.rps);
            f.set(format!("{prefix}.p50_ms"), w.p50_ms);
            f.set(format!("{prefix}.p90_ms"), w.p90_ms);
            f.set(format!("{prefix}.p99_ms"), w.p99_ms);
            f.set(format!("{prefix}.non_2xx"), w.non_2xx as f64);
        }
        f.set("http.peak_rss_mib", self.peak_rss_mib);
        f.set("machine.load1.after_http", self.load_after[0]);
        f
    }
}

pub fn markdown(r: &HttpReport, opts: &HttpOptions) -> String {
    let mut out = format!(
        "Over HTTP: wrk -t{} -c{} -d{}s after {} s of the same load not counted, {} openings, {} \
         worker accounts; `serve`'s app in this process on 127.0.0.1.\n\n",
        opts.threads, opts.connections, opts.secs, WARM_UP_SECS, r.openings, r.workers
    );
    out.push_str(
        "| endpoint | result cache | requests | requests/s | p50 ms | p90 ms | p99 ms | non-2xx |\n",
    );
    out.push_str("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for row in &r.rows {
        let w = &row.result;
        let cache = if row.endpoint.starts_with("free-text") {
            format!("not cached (round: {})", row.cache)
        } else {
            row.cache.to_string()
        };
        out.push_str(&format!(
            "| {} | {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {} |\n",
            row.endpoint, cache, w.requests, w.rps, w.p50_ms, w.p90_ms, w.p99_ms, w.non_2xx
        ));
        if !w.socket_errors.is_empty() {
            out.push_str(&format!(
                "\nSocket errors ({}, cache {}): {}\n",
                row.endpoint, row.cache, w.socket_errors
            ));
        }
    }
    out.push_str(&format!(
        "\nPeak RSS of the bench process after the HTTP rounds (VmHWM): {:.0} MiB; load average \
         (1 min) after them {:.2}\n",
        r.peak_rss_mib, r.load_after[0]
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRK_OUTPUT: &str = "Running 20s test @ http://127.0.0.1:18080
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   151.40ms   80.10ms   1.20s    70.00%
    Req/Sec   132.58     40.11   250.00     68.00%
  Latency Distribution
     50%  151.40ms
     75%  200.00ms
     90%  337.10ms
     99%    1.05s
  5294 requests in 20.05s, 30.10MB read
  Non-2xx or 3xx responses: 3
Requests/sec:    264.05
Transfer/sec:      1.50MB
";

    #[test]
    fn wrk_output_is_read() {
        let r = parse_wrk(WRK_OUTPUT).unwrap();
        assert_eq!(r.requests, 5294);
        assert!((r.rps - 264.05).abs() < 1e-9);
        assert!((r.p50_ms - 151.4).abs() < 1e-9);
        assert!((r.p90_ms - 337.1).abs() < 1e-9);
        assert!((r.p99_ms - 1050.0).abs() < 1e-9);
        assert_eq!(r.non_2xx, 3);
        assert!(parse_wrk("wrk: connection refused").is_none());
    }

    #[test]
    fn queries_are_percent_encoded() {
        assert_eq!(
            percent_encode("深圳 焊工"),
            "%E6%B7%B1%E5%9C%B3%20%E7%84%8A%E5%B7%A5"
        );
        assert_eq!(percent_encode("月薪8000"), "%E6%9C%88%E8%96%AA8000");
    }
}
