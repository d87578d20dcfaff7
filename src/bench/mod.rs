//! Scale benchmarks: `labormatch gen` (a deterministic synthetic program bulk-loaded with COPY)
//! and `labormatch bench` (in-process latency of matching and search, write-to-visible, memory,
//! index size, the same queries into a plain tantivy `TopDocs` as a raw-engine baseline, and the
//! same work done by PostgreSQL alone; `http` puts the real server under wrk load). Built into
//! the binary only: they are tools, not part of the service. `labormatch bench-auth`: what
//! authenticating a request costs. `labormatch bench-suggest`: the occupation suggester's
//! accuracy on three sets beside a baseline, and its latency.

pub mod auth;
pub mod gen;
pub mod http;
pub mod run;
pub mod suggest;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// Peak resident set size of this process (VmHWM), in bytes.
pub fn peak_rss_bytes() -> u64 {
    status_kib("VmHWM:") * 1024
}

/// Current resident set size of this process (VmRSS), in bytes.
pub fn rss_bytes() -> u64 {
    status_kib("VmRSS:") * 1024
}

fn status_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Total size of the files under `dir`.
pub fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Latency summary of one measured operation.
#[derive(Clone, Debug, Default)]
pub struct Latency {
    pub n: usize,
    pub p50: Duration,
    pub p95: Duration,
    pub p99: Duration,
    pub max: Duration,
    pub mean: Duration,
}

impl Latency {
    pub fn of(samples: &[Duration]) -> Latency {
        if samples.is_empty() {
            return Latency::default();
        }
        let mut s = samples.to_vec();
        s.sort_unstable();
        let at = |p: f64| s[((p / 100.0) * (s.len() - 1) as f64).round() as usize];
        let total: Duration = s.iter().sum();
        Latency {
            n: s.len(),
            p50: at(50.0),
            p95: at(95.0),
            p99: at(99.0),
            max: s[s.len() - 1],
            mean: total / s.len() as u32,
        }
    }
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Every figure of a bench run under a stable dotted name (`candidates.inproc.p50_ms`,
/// `matches.pg.p99_ms`, `candidates.http.uncached.rps`, ...), for `--json` and scripts that
/// compare runs. Names never change meaning; new figures get new names.
#[derive(Debug, Default, serde::Serialize)]
pub struct Figures(pub BTreeMap<String, f64>);

impl Figures {
    pub fn set(&mut self, name: impl Into<String>, value: f64) {
        self.0.insert(name.into(), value);
    }

    /// `{prefix}.n`, `.p50_ms`, `.p95_ms`, `.p99_ms`, `.max_ms`, `.mean_ms`.
    pub fn latency(&mut self, prefix: &str, l: &Latency) {
        self.set(format!("{prefix}.n"), l.n as f64);
        for (name, d) in [
            ("p50_ms", l.p50),
            ("p95_ms", l.p95),
            ("p99_ms", l.p99),
            ("max_ms", l.max),
            ("mean_ms", l.mean),
        ] {
            self.set(format!("{prefix}.{name}"), ms(d));
        }
    }

    pub fn extend(&mut self, other: Figures) {
        self.0.extend(other.0);
    }
}

/// The machine's load averages (1, 5 and 15 minutes), from /proc/loadavg.
pub fn load_average() -> [f64; 3] {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut parts = text
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(f64::NAN));
    [
        parts.next().unwrap_or(f64::NAN),
        parts.next().unwrap_or(f64::NAN),
        parts.next().unwrap_or(f64::NAN),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let l = Latency::of(&samples);
        assert_eq!(l.n, 100);
        assert_eq!(l.p50, Duration::from_millis(51));
        assert_eq!(l.p99, Duration::from_millis(99));
        assert_eq!(l.max, Duration::from_millis(100));
        assert_eq!(Latency::of(&[]).n, 0);
    }

    #[test]
    fn figures_have_stable_names() {
        let mut f = Figures::default();
        f.latency(
            "candidates.inproc",
            &Latency::of(&[Duration::from_millis(2)]),
        );
        f.set("candidates.http.uncached.rps", 1234.0);
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(json["candidates.inproc.p50_ms"], 2.0);
        assert_eq!(json["candidates.inproc.n"], 1.0);
        assert_eq!(json["candidates.http.uncached.rps"], 1234.0);
        assert!(load_average()[0] >= 0.0);
    }

    #[test]
    fn memory_is_readable() {
        assert!(peak_rss_bytes() > 0);
        assert!(rss_bytes() > 0);
    }
}
