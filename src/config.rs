//! Every setting comes from the environment (`LABORMATCH_*`), with defaults that work on a
//! developer's machine with nothing configured. README.md has the same table.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};

#[derive(Clone, Debug)]
pub struct Settings {
    pub bind: String,
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
    /// `None` means: run the project's own PostgreSQL cluster under `data_dir`.
    pub database_url: Option<String>,
    pub data_dir: PathBuf,
    pub index_dir: PathBuf,
    pub log_format: LogFormat,
    pub jwt_secret: Option<String>,
    pub jwt_issuer: String,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub body_limit: usize,
    pub import_body_limit: usize,
    pub pool_max_size: usize,
    pub pool_wait_timeout: Duration,
    pub pool_max_connection_age: Duration,
    pub login_max_failures: u32,
    pub login_window: Duration,
    /// Sign-ups and invitation acceptances per phone, and per client address, inside
    /// `signup_window` (each attempt counts, before any password is hashed).
    pub signup_max_per_phone: u32,
    pub signup_max_per_address: u32,
    pub signup_window: Duration,
    /// argon2id cost: memory in KiB, iterations, lanes. Stored hashes carry their own
    /// parameters, so changing these only affects new hashes.
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    /// Password hashes (and verifications) computed at once; each holds `argon2_memory_kib`.
    pub hash_max_concurrency: usize,
    /// How long a request waits for a hashing slot before answering 503 with Retry-After.
    pub hash_queue_wait: Duration,
    /// How often the list of ended sessions is re-read from PostgreSQL (an ended session's
    /// access tokens stop working within this, across every instance of the service).
    pub session_poll: Duration,
    /// How long an officer's profile claim code stays valid.
    pub claim_code_ttl: Duration,
    /// Searches admitted at once (running or waiting their turn) before 503.
    pub search_max_concurrency: usize,
    /// Searches running at once (0: one per core and one more, at most
    /// `search_max_concurrency`); the rest wait in arrival order. Not a thread count: the
    /// index's search threads are one per core.
    pub search_max_running: usize,
    /// Ranked items (candidates, matches) kept by each result cache; 0 turns caching off.
    pub result_cache_items: usize,
    pub read_your_writes_wait: Duration,
    /// How long a request head may take to arrive before it is answered 408.
    pub request_head_timeout: Duration,
    /// Read request heads through `head_guard` (on unless turned off).
    pub head_guard: bool,
    pub weights: MatchWeights,
    pub followup_months: Vec<u32>,
    pub monitoring_line_yuan: i64,
    pub subsidy_min_months: i32,
    /// Mark the pages' cookies `Secure` (set it when the service is reached over HTTPS through a
    /// proxy; a request that arrives over TLS gets them anyway).
    pub cookie_secure: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Ranking weights, documented in README ("Ranking"). The first four weigh the parts of a
/// score's whole-point band (each part is rounded to whole points); the last two are
/// tie-breakers inside a band and together stay under one point, so they never reorder bands.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MatchWeights {
    /// Points for a full trade fit (a stand-in gets its share).
    pub occupation: f32,
    /// Points for a certificate in the matched trade where the opening prefers one (half when
    /// it says nothing, three times when it requires one).
    pub certified: f32,
    /// Points per experience step (and per year short of the opening's minimum).
    pub experience: f32,
    /// Points per title word found in the worker's notes (two count).
    pub title_words: f32,
    /// Inside a band: a certificate from the last year, fading to 0 over the year.
    pub recent_training: f32,
    /// Inside a band: the household's equity factor (registered poor 1, monitored 0.6).
    pub equity: f32,
}

impl MatchWeights {
    /// Largest tie-breaker weights: with the exact years inside their step (0.2) they must
    /// stay under one point.
    pub const MAX_RECENT_TRAINING: f32 = 0.3;
    pub const MAX_EQUITY: f32 = 0.45;
}

impl Default for MatchWeights {
    fn default() -> Self {
        MatchWeights {
            occupation: 10.0,
            certified: 2.0,
            experience: 1.0,
            title_words: 1.0,
            recent_training: 0.2,
            equity: 0.4,
        }
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse_var<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    match var(name) {
        None => Ok(default),
        Some(raw) => raw
            .trim()
            .parse::<T>()
            .map_err(|e| anyhow::anyhow!("{name}={raw:?} is not valid: {e}")),
    }
}

fn parse_bool_var(name: &str, default: bool) -> anyhow::Result<bool> {
    match var(name).map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(other) => bail!("{name}={other:?}: use true or false"),
    }
}

fn seconds_var(name: &str, default_secs: u64) -> anyhow::Result<Duration> {
    Ok(Duration::from_secs(parse_var(name, default_secs)?))
}

fn millis_var(name: &str, default_ms: u64) -> anyhow::Result<Duration> {
    Ok(Duration::from_millis(parse_var(name, default_ms)?))
}

impl Settings {
    pub fn from_env() -> anyhow::Result<Settings> {
        let data_dir = PathBuf::from(var("LABORMATCH_DATA_DIR").unwrap_or_else(|| ".data".into()));
        let log_format = match var("LABORMATCH_LOG_FORMAT").as_deref() {
            None | Some("pretty") | Some("text") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => bail!("LABORMATCH_LOG_FORMAT={other:?}: use json or pretty"),
        };
        let jwt_secret = var("LABORMATCH_JWT_SECRET");
        if let Some(secret) = &jwt_secret {
            if secret.len() < 32 {
                bail!("LABORMATCH_JWT_SECRET must be at least 32 bytes long");
            }
        }
        let defaults = MatchWeights::default();
        let weights = MatchWeights {
            occupation: parse_var("LABORMATCH_WEIGHT_OCCUPATION", defaults.occupation)?,
            certified: parse_var("LABORMATCH_WEIGHT_CERTIFIED", defaults.certified)?,
            experience: parse_var("LABORMATCH_WEIGHT_EXPERIENCE", defaults.experience)?,
            title_words: parse_var("LABORMATCH_WEIGHT_TITLE_WORDS", defaults.title_words)?,
            recent_training: parse_var(
                "LABORMATCH_WEIGHT_RECENT_TRAINING",
                defaults.recent_training,
            )?,
            equity: parse_var("LABORMATCH_WEIGHT_EQUITY", defaults.equity)?,
        };
        for (name, value, max) in [
            ("OCCUPATION", weights.occupation, f32::INFINITY),
            ("CERTIFIED", weights.certified, f32::INFINITY),
            ("EXPERIENCE", weights.experience, f32::INFINITY),
            ("TITLE_WORDS", weights.title_words, f32::INFINITY),
            (
                "RECENT_TRAINING",
                weights.recent_training,
                MatchWeights::MAX_RECENT_TRAINING,
            ),
            ("EQUITY", weights.equity, MatchWeights::MAX_EQUITY),
        ] {
            if !(value.is_finite() && (0.0..=max).contains(&value)) {
                if max.is_finite() {
                    bail!("LABORMATCH_WEIGHT_{name}={value} must be between 0 and {max}");
                }
                bail!("LABORMATCH_WEIGHT_{name}={value} must be a number, 0 or more");
            }
        }
        if parse_var("LABORMATCH_SESSION_POLL_MS", 250u64)? == 0 {
            bail!("LABORMATCH_SESSION_POLL_MS must be at least 1");
        }
        for (name, window, max) in [
            ("LABORMATCH_LOGIN_WINDOW_SECS", 15 * 60, 86_400),
            ("LABORMATCH_SIGNUP_WINDOW_SECS", 3600, 86_400),
        ] {
            // Counted attempts are trimmed after a day (see db::throttle).
            if !(1..=max).contains(&parse_var::<u64>(name, window)?) {
                bail!("{name} must be between 1 and {max} seconds");
            }
        }
        let followup_months = match var("LABORMATCH_FOLLOWUP_MONTHS") {
            None => vec![1, 3, 6, 12],
            Some(raw) => parse_month_list(&raw)?,
        };
        Ok(Settings {
            bind: var("LABORMATCH_BIND").unwrap_or_else(|| "127.0.0.1:8080".into()),
            workers: parse_var("LABORMATCH_WORKERS", 0)?,
            database_url: var("LABORMATCH_DATABASE_URL"),
            index_dir: var("LABORMATCH_INDEX_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("index/data")),
            data_dir,
            log_format,
            jwt_secret,
            jwt_issuer: var("LABORMATCH_JWT_ISSUER").unwrap_or_else(|| "labormatch".into()),
            access_token_ttl: seconds_var("LABORMATCH_ACCESS_TOKEN_TTL_SECS", 15 * 60)?,
            refresh_token_ttl: seconds_var("LABORMATCH_REFRESH_TOKEN_TTL_SECS", 30 * 24 * 3600)?,
            body_limit: parse_var("LABORMATCH_BODY_LIMIT_BYTES", 1024 * 1024)?,
            import_body_limit: parse_var("LABORMATCH_IMPORT_BODY_LIMIT_BYTES", 64 * 1024 * 1024)?,
            pool_max_size: parse_var("LABORMATCH_POOL_MAX_SIZE", 16)?,
            pool_wait_timeout: millis_var("LABORMATCH_POOL_WAIT_TIMEOUT_MS", 5_000)?,
            pool_max_connection_age: seconds_var("LABORMATCH_POOL_MAX_CONNECTION_AGE_SECS", 1800)?,
            login_max_failures: parse_var("LABORMATCH_LOGIN_MAX_FAILURES", 5)?,
            login_window: seconds_var("LABORMATCH_LOGIN_WINDOW_SECS", 15 * 60)?,
            signup_max_per_phone: parse_var("LABORMATCH_SIGNUP_MAX_PER_PHONE", 5)?,
            signup_max_per_address: parse_var("LABORMATCH_SIGNUP_MAX_PER_ADDRESS", 100)?,
            signup_window: seconds_var("LABORMATCH_SIGNUP_WINDOW_SECS", 3600)?,
            argon2_memory_kib: parse_var("LABORMATCH_ARGON2_MEMORY_KIB", 19 * 1024)?,
            argon2_iterations: parse_var("LABORMATCH_ARGON2_ITERATIONS", 2)?,
            argon2_parallelism: parse_var("LABORMATCH_ARGON2_PARALLELISM", 1)?,
            hash_max_concurrency: match parse_var("LABORMATCH_HASH_MAX_CONCURRENCY", 0)? {
                0 => crate::cores(),
                n => n,
            },
            hash_queue_wait: millis_var("LABORMATCH_HASH_QUEUE_WAIT_MS", 2_000)?,
            session_poll: millis_var("LABORMATCH_SESSION_POLL_MS", 250)?,
            claim_code_ttl: Duration::from_secs(
                24 * 3600 * parse_var::<u64>("LABORMATCH_CLAIM_CODE_DAYS", 30)?,
            ),
            search_max_concurrency: parse_var("LABORMATCH_SEARCH_MAX_CONCURRENCY", 64)?,
            search_max_running: parse_var("LABORMATCH_SEARCH_MAX_RUNNING", 0)?,
            result_cache_items: parse_var("LABORMATCH_RESULT_CACHE_ITEMS", 50_000)?,
            read_your_writes_wait: millis_var("LABORMATCH_READ_YOUR_WRITES_WAIT_MS", 3_000)?,
            request_head_timeout: millis_var("LABORMATCH_REQUEST_HEAD_TIMEOUT_MS", 10_000)?,
            head_guard: parse_bool_var("LABORMATCH_HEAD_GUARD", true)?,
            weights,
            followup_months,
            monitoring_line_yuan: parse_var("LABORMATCH_MONITORING_LINE_YUAN", 6_000)?,
            subsidy_min_months: parse_var("LABORMATCH_SUBSIDY_MIN_MONTHS", 3)?,
            cookie_secure: parse_bool_var("LABORMATCH_COOKIE_SECURE", false)?,
        })
    }

    /// Where the generated JWT secret lives when none is configured.
    pub fn jwt_secret_file(&self) -> PathBuf {
        self.data_dir.join("jwt_secret")
    }
}

fn parse_month_list(raw: &str) -> anyhow::Result<Vec<u32>> {
    let mut months = Vec::new();
    for part in raw.split(',') {
        let m: u32 = part
            .trim()
            .parse()
            .with_context(|| format!("LABORMATCH_FOLLOWUP_MONTHS: {part:?} is not a number"))?;
        if m == 0 || m > 120 {
            bail!("LABORMATCH_FOLLOWUP_MONTHS: {m} is outside 1..=120");
        }
        months.push(m);
    }
    months.sort_unstable();
    months.dedup();
    Ok(months)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_list_is_sorted_and_validated() {
        assert_eq!(parse_month_list("12, 1,3,3").unwrap(), vec![1, 3, 12]);
        assert!(parse_month_list("0").is_err());
        assert!(parse_month_list("x").is_err());
    }
}
