// ApiError carries its message, details and cause; it only travels on the cold error path, so
// its size does not matter and boxing it would only add noise.
#![allow(clippy::result_large_err)]

pub mod auth;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod etag;
pub mod head_guard;
pub mod i18n;
pub mod idempotency;
pub mod imports;
pub mod input;
pub mod methods;
pub mod metrics;
pub mod pagination;
pub mod routes;
pub mod search;
pub mod services;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod validate;
pub mod web;

/// The cores this process may use (1 when the system cannot say): what "one per core" means
/// everywhere in the service (search turns and threads, title readers, actix workers, hashing).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
