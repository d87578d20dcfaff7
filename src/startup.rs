//! The application as a value: `build` binds the listener (port 0 in tests), `port` tells which,
//! `run_until_stopped` serves. `main` and the tests start this very same app.

use std::net::TcpListener;
use std::sync::Arc;

use crate::auth::password::PasswordHasher;
use crate::auth::sessions::Sessions;
use crate::auth::tokens::{keyed_hash, load_or_create_secret};
use crate::auth::JwtKeys;
use crate::config::Settings;
use crate::error;
use crate::head_guard::{refused_head_middleware, HeadGuard};
use crate::i18n::language_middleware;
use crate::metrics::{metrics_middleware, Metrics};
use crate::routes;
use crate::state::AppState;
use crate::telemetry::{request_id_middleware, RequestSpan};
use actix_http::{HttpService, KeepAlive};
use actix_service::{fn_service, map_config, ServiceFactoryExt};
use actix_web::dev::{AppConfig, Server};
use actix_web::middleware::{from_fn, Compress};
use actix_web::{web, App};
use anyhow::Context;
use std::time::Duration;

pub struct Application {
    port: u16,
    server: Server,
    pub state: web::Data<AppState>,
}

impl Application {
    /// Builds the app on an already migrated database.
    pub async fn build(
        settings: Settings,
        db_config: tokio_postgres::Config,
    ) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("binding {}", settings.bind))?;
        Application::build_with_listener(settings, db_config, listener).await
    }

    pub async fn build_with_listener(
        settings: Settings,
        db_config: tokio_postgres::Config,
        listener: TcpListener,
    ) -> anyhow::Result<Application> {
        let port = listener.local_addr()?.port();
        std::fs::create_dir_all(&settings.index_dir).with_context(|| {
            format!(
                "creating the index directory {}",
                settings.index_dir.display()
            )
        })?;
        let pool = crate::db::build_pool(db_config.clone(), &settings)?;
        crate::idempotency::release_own_leases(&pool, &settings).await;
        let secret =
            load_or_create_secret(settings.jwt_secret.as_deref(), &settings.jwt_secret_file())?;
        let jwt = JwtKeys::new(&secret, &settings.jwt_issuer, settings.access_token_ttl);
        let search = crate::search::SearchService::start(
            settings.index_dir.clone(),
            db_config.clone(),
            crate::search::SearchLimits::new(
                settings.search_max_concurrency,
                settings.search_max_running,
            ),
            settings.result_cache_items,
            settings.weights,
        )
        .await?;
        let sessions = Sessions::new(settings.access_token_ttl);
        // Read once before serving, so the first requests are checked; if the database is
        // away, authenticated requests answer 503 until the poller reads it.
        let poller_pool = crate::db::build_pool(
            db_config.clone(),
            &Settings {
                pool_max_size: 1,
                ..settings.clone()
            },
        )?;
        match poller_pool.get().await {
            Ok(client) => {
                if let Err(e) = sessions.refresh(&client).await {
                    tracing::warn!(error = %e, "cannot read ended sessions yet");
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read ended sessions yet"),
        }
        Sessions::spawn_poller(&sessions, poller_pool, settings.session_poll);
        let passwords = PasswordHasher::from_settings(&settings)?;
        let claim_code_key = keyed_hash(&secret, "labormatch profile claim codes").into_bytes();
        let state = web::Data::new(AppState {
            search,
            jwt,
            pool,
            sessions,
            passwords,
            claim_code_key,
            csrf_key: crate::web::session::CsrfKey::derive(&secret),
            settings: Arc::new(settings),
            metrics: Metrics::new(),
        });
        let server = run(listener, state.clone())?;
        Ok(Application {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT/SIGTERM (actix stops gracefully: in-flight requests finish).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }

    /// A handle for stopping the server from elsewhere (tests).
    pub fn server_handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }
}

fn run(listener: TcpListener, state: web::Data<AppState>) -> anyhow::Result<Server> {
    let body_limit = state.settings.body_limit;
    let head_timeout = state.settings.request_head_timeout;
    let guard_heads = state.settings.head_guard;
    let workers = match state.settings.workers {
        0 => crate::cores(),
        n => n,
    };
    let local_addr = listener.local_addr()?;
    listener.set_nonblocking(true)?;
    let metrics = web::Data::new(state.metrics.clone());
    // Built from actix's parts rather than `HttpServer`, so that every connection is read through
    // the head guard (see `head_guard`): `HttpServer` hands actix the bare socket.
    let server = actix_server::Server::build()
        .workers(workers)
        .shutdown_timeout(20)
        .listen("labormatch", listener, move || {
            let app = App::new()
                .app_data(state.clone())
                .app_data(metrics.clone())
                .app_data(
                    web::JsonConfig::default()
                        .limit(body_limit)
                        .error_handler(error::json_error_handler),
                )
                .app_data(web::QueryConfig::default().error_handler(error::query_error_handler))
                .app_data(web::PathConfig::default().error_handler(error::path_error_handler))
                .app_data(web::PayloadConfig::default().limit(body_limit));
            let app = routes::mount(app.configure(crate::web::mount))
                .wrap(from_fn(crate::web::session::page_session_middleware))
                .wrap(from_fn(error::envelope_middleware))
                .wrap(from_fn(crate::idempotency::idempotency_middleware))
                .wrap(from_fn(crate::etag::etag_middleware))
                .wrap(Compress::default())
                .wrap(from_fn(refused_head_middleware))
                .wrap(from_fn(metrics_middleware))
                .wrap(from_fn(language_middleware))
                // Outside everything that looks at the method (ETag, idempotency, metrics): they
                // see the GET that HEAD stands for.
                .wrap(from_fn(crate::methods::head_middleware))
                .wrap(tracing_actix_web::TracingLogger::<RequestSpan>::new())
                .wrap(from_fn(request_id_middleware));
            fn_service(move |io: actix_rt::net::TcpStream| async move {
                let _ = io.set_nodelay(true);
                let peer = io.peer_addr().ok();
                let io = if guard_heads {
                    HeadGuard::new(io, head_timeout)
                } else {
                    HeadGuard::bypassed(io)
                };
                Ok::<_, actix_http::error::DispatchError>((io, peer))
            })
            .and_then(
                HttpService::build()
                    .keep_alive(KeepAlive::Timeout(Duration::from_secs(5)))
                    // The guard answers a slow head first (408 in the envelope); actix's own
                    // timer is only the backstop.
                    .client_request_timeout(head_timeout + Duration::from_secs(5))
                    .client_disconnect_timeout(Duration::from_secs(1))
                    .local_addr(local_addr)
                    .h1(map_config(app, |_| AppConfig::default())),
            )
        })?
        .run();
    Ok(server)
}
