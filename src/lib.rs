pub mod config;
pub mod db;
pub mod error;
pub mod i18n;
pub mod metrics;
pub mod routes;
pub mod startup;
pub mod telemetry;
