//! Thin handlers: extract, call a service (which asks the policy), answer JSON.
//! Every route is registered through utoipa-actix-web, so the OpenAPI document lists exactly
//! the routes the app serves.

pub mod applications;
pub mod audit;
pub mod auth;
pub mod courses;
pub mod health;
pub mod households;
pub mod imports;
pub mod matching;
pub mod openings;
pub mod organizations;
pub mod preconditions;
pub mod reports;
pub mod workers;

use actix_web::web;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::{ApiError, ErrorBody, ErrorCode, FieldError};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "labormatch",
        description = "Matching rural workers from registered poor households to employer \
                       openings, and tracking training and job outcomes. Errors always have the \
                       shape ErrorBody, with a stable `code`."
    ),
    components(schemas(ErrorBody, FieldError)),
    modifiers(&SecurityAddon)
)]
pub struct ApiDoc;

struct SecurityAddon;

impl utoipa::Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document of the whole app (built the same way the app is).
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, api) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(api_routes)
        .split_for_parts();
    api
}

/// Every route of the app. Registering through utoipa-actix-web documents each one.
pub fn api_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(health::metrics)
        .service(
            utoipa_actix_web::scope("/api/v1")
                .service(auth::register)
                .service(auth::login)
                .service(auth::refresh)
                .service(auth::logout)
                .service(auth::me)
                .service(auth::accept_invitation)
                .service(auth::create_officer)
                .service(auth::disable_account)
                .service(auth::enable_account)
                .service(organizations::create_organization)
                .service(organizations::get_organization)
                .service(organizations::create_invitation)
                .service(audit::list_audit)
                .service(households::create_household)
                .service(households::get_household)
                .service(households::update_household)
                .service(households::list_households)
                .service(workers::create_worker)
                .service(workers::get_my_profile)
                .service(workers::put_my_profile)
                .service(workers::claim_profile)
                .service(workers::issue_claim_code)
                .service(workers::get_worker)
                .service(workers::update_worker)
                .service(workers::list_workers)
                .service(courses::create_course)
                .service(courses::get_course)
                .service(courses::list_courses)
                .service(courses::enroll)
                .service(courses::list_enrollments)
                .service(courses::record_result)
                .service(matching::search_openings)
                .service(matching::candidates)
                .service(matching::my_matches)
                .service(matching::suggest_occupations)
                .service(matching::reindex)
                .service(matching::index_status)
                .service(openings::create_opening)
                .service(openings::get_opening)
                .service(openings::update_opening)
                .service(openings::list_openings)
                .service(applications::apply)
                .service(applications::invite)
                .service(applications::opening_applications)
                .service(applications::get_application)
                .service(applications::transition)
                .service(applications::my_applications)
                .service(applications::create_placement)
                .service(applications::get_placement)
                .service(applications::end_placement)
                .service(applications::due_followups)
                .service(applications::record_followup)
                .service(applications::create_dispatch)
                .service(reports::households)
                .service(reports::subsidy_eligibility)
                .service(reports::outcomes)
                .service(imports::import_households)
                .service(imports::import_graduates),
        );
}

/// Mounts the routes, the OpenAPI document and the docs page on an app.
pub fn mount<T>(app: actix_web::App<T>) -> actix_web::App<T>
where
    T: actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Error = actix_web::Error,
        InitError = (),
    >,
{
    app.into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(api_routes)
        .openapi_service(|api| SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", api))
        .default_service(web::to(route_not_found))
        .into_app()
}

/// The client's address for per-address limits: the socket peer, not X-Forwarded-For, which
/// any client can write.
pub(crate) fn client_addr(req: &actix_web::HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

async fn route_not_found(req: actix_web::HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    // A browser that follows a dead link outside the API gets a page, not JSON.
    if crate::web::wants_html(&req) {
        return Ok(crate::web::not_found_page());
    }
    // The path exists under other methods: 405 with the ones it has.
    let allowed = crate::methods::allowed_methods(req.path());
    if !allowed.is_empty() {
        use actix_web::ResponseError;
        let mut res = ApiError::new(ErrorCode::MethodNotAllowed).error_response();
        if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&allowed.join(", ")) {
            res.headers_mut()
                .insert(actix_web::http::header::ALLOW, value);
        }
        return Ok(res);
    }
    Err(ApiError::new(ErrorCode::RouteNotFound))
}
