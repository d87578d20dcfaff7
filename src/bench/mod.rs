//! Scale benchmarks: `labormatch gen` (a deterministic synthetic program bulk-loaded with COPY)
//! and `labormatch bench` (in-process latency of matching and search, write-to-visible, memory,
//! index size, and the same work done by PostgreSQL alone as a baseline; `http` puts the real
//! server under wrk load); `labormatch bench-auth` what authenticating a request costs.

pub mod auth;
pub mod gen;
pub mod http;
pub mod run;

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
    fn memory_is_readable() {
        assert!(peak_rss_bytes() > 0);
        assert!(rss_bytes() > 0);
    }
}
