//! What every route, page, service and import may need, shared by all HTTP workers. `startup`
//! builds it; nothing here depends on actix, so services take `&AppState` whoever calls them.

use std::sync::Arc;

use deadpool_postgres::Pool;

use crate::auth::password::PasswordHasher;
use crate::auth::sessions::Sessions;
use crate::auth::JwtKeys;
use crate::config::Settings;
use crate::metrics::Metrics;
use crate::search::SearchService;

pub struct AppState {
    pub pool: Pool,
    pub settings: Arc<Settings>,
    pub metrics: Metrics,
    pub jwt: JwtKeys,
    pub search: SearchService,
    /// Ended sessions, checked on every authenticated request.
    pub sessions: Arc<Sessions>,
    /// argon2id with the configured parameters and a bound on hashes in flight.
    pub passwords: PasswordHasher,
    /// Key of the keyed hash under which profile claim codes are stored.
    pub claim_code_key: Vec<u8>,
    /// Signs the pages' CSRF tokens.
    pub csrf_key: crate::web::session::CsrfKey,
}
