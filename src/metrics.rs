//! Prometheus metrics: requests and latency per route and status, and the pool's state.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry};

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pool_size: IntGauge,
    pool_available: IntGauge,
    pool_waiting: IntGauge,
    pub index_lag: IntGauge,
    pub index_applied_seq: IntGauge,
}

impl Metrics {
    pub fn new() -> Metrics {
        let registry = Registry::new_custom(Some("labormatch".into()), None)
            .expect("a static prefix is valid");
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests by route and status"),
            &["method", "route", "status"],
        )
        .expect("static metric definition");
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP latency by route").buckets(
                vec![
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ],
            ),
            &["method", "route", "status"],
        )
        .expect("static metric definition");
        let gauge = |name: &str, help: &str| IntGauge::new(name, help).expect("static gauge");
        let m = Metrics {
            pool_size: gauge("db_pool_size", "connections open in the pool"),
            pool_available: gauge("db_pool_available", "idle connections in the pool"),
            pool_waiting: gauge("db_pool_waiting", "requests waiting for a connection"),
            index_lag: gauge("index_lag_changes", "changes recorded but not yet indexed"),
            index_applied_seq: gauge("index_applied_seq", "last change applied to the index"),
            registry,
            requests,
            latency,
        };
        for c in [
            Box::new(m.requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(m.latency.clone()),
            Box::new(m.pool_size.clone()),
            Box::new(m.pool_available.clone()),
            Box::new(m.pool_waiting.clone()),
            Box::new(m.index_lag.clone()),
            Box::new(m.index_applied_seq.clone()),
        ] {
            m.registry
                .register(c)
                .expect("each metric is registered once");
        }
        m
    }

    pub fn observe_pool(&self, status: deadpool_postgres::Status) {
        self.pool_size.set(status.size as i64);
        self.pool_available.set(status.available as i64);
        self.pool_waiting.set(status.waiting as i64);
    }

    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let encoder = prometheus::TextEncoder::new();
        if let Err(e) = encoder.encode(&self.registry.gather(), &mut buf) {
            tracing::error!(error = %e, "encoding metrics");
        }
        String::from_utf8(buf).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

pub async fn metrics_middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let method = req.method().to_string();
    let res = next.call(req).await?;
    if let Some(metrics) = metrics {
        // The route pattern, never the raw path: ids in paths would explode the label set.
        let route = res
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_string());
        let status = res.status().as_u16().to_string();
        let labels = [method.as_str(), route.as_str(), status.as_str()];
        metrics.requests.with_label_values(&labels).inc();
        metrics
            .latency
            .with_label_values(&labels)
            .observe(started.elapsed().as_secs_f64());
    }
    Ok(res)
}
