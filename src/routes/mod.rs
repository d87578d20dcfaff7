//! Thin handlers: extract, call a service (which asks the policy), answer JSON.
//! Every route is registered through utoipa-actix-web, so the OpenAPI document lists exactly
//! the routes the app serves.

pub mod applications;
pub mod audit;
pub mod auth;
pub mod contract;
pub mod courses;
pub mod health;
pub mod households;
pub mod imports;
pub mod matching;
pub mod openings;
pub mod organizations;
pub mod preconditions;
pub mod reports;
pub mod targets;
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
    components(schemas(ErrorBody, FieldError, crate::imports::ImportMode)),
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

/// Documents, on every operation, the error answers the layers around the handlers give (the
/// handlers document their own): 401/403 where a token is needed, 400 `invalid_path` and 404
/// where the path has an id, 400 `invalid_query` and 422 where there are query parameters,
/// 400/413/415/422 where there is a body, 400/409 for `Idempotency-Key` on POST, 412 on PUT
/// (`If-Match`), and 503 (`database_unavailable`, `overloaded`) wherever the database or the
/// index is asked. Each with the ErrorBody envelope.
struct ErrorResponses;

impl utoipa::Modify for ErrorResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Ok(mut doc) = serde_json::to_value(&*openapi) else {
            return;
        };
        if let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) {
            for (path, item) in paths.iter_mut() {
                let Some(item) = item.as_object_mut() else {
                    continue;
                };
                for (method, op) in item.iter_mut() {
                    add_error_responses(path, method, op);
                }
            }
        }
        contract::annotate(&mut doc);
        // What clients send (parameters, bodies and the schemas they use), not what they get.
        let mut sent = Vec::new();
        if let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) {
            for item in paths.values_mut().filter_map(|i| i.as_object_mut()) {
                for op in item.values_mut() {
                    if let Some(v) = op.get_mut("parameters") {
                        collect_refs(v, &mut sent);
                        add_text_patterns(v);
                    }
                    // JSON bodies; a CSV upload is a file, its cells are checked by column.
                    if let Some(v) = op.pointer_mut("/requestBody/content/application~1json") {
                        collect_refs(v, &mut sent);
                        add_text_patterns(v);
                    }
                }
            }
        }
        let mut done = std::collections::HashSet::new();
        while let Some(name) = sent.pop() {
            if !done.insert(name.clone()) {
                continue;
            }
            if let Some(schema) = doc.pointer_mut(&format!("/components/schemas/{name}")) {
                collect_refs(schema, &mut sent);
                add_text_patterns(schema);
            }
        }
        if let Ok(api) = serde_json::from_value(doc) {
            *openapi = api;
        }
    }
}

/// The component names `value` refers to.
fn collect_refs(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v.as_str()) {
                    ("$ref", Some(r)) => {
                        if let Some(name) = r.strip_prefix("#/components/schemas/") {
                            out.push(name.to_string());
                        }
                    }
                    _ => collect_refs(v, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// Says on every free-text string (no enum, pattern or format of its own) that control
/// characters are refused, as the boundary does.
fn add_text_patterns(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            let is_string = match map.get("type") {
                Some(serde_json::Value::String(t)) => t == "string",
                Some(serde_json::Value::Array(ts)) => ts.iter().any(|t| t == "string"),
                _ => false,
            };
            let free = !map.contains_key("enum")
                && !map.contains_key("pattern")
                && !map.contains_key("format");
            if is_string && free {
                map.insert("pattern".into(), contract::text_pattern().into());
            }
            // `format: date` is only an annotation to a validator; the server wants YYYY-MM-DD.
            if is_string && map.get("format").and_then(|f| f.as_str()) == Some("date") {
                map.entry("pattern")
                    .or_insert_with(|| "^[0-9]{4}-[0-9]{2}-[0-9]{2}$".into());
            }
            for v in map.values_mut() {
                add_text_patterns(v);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(add_text_patterns),
        _ => {}
    }
}

fn add_error_responses(path: &str, method: &str, op: &mut serde_json::Value) {
    let params = op["parameters"].as_array().cloned().unwrap_or_default();
    let has = |place: &str| params.iter().any(|p| p["in"] == place);
    let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
    let body = op.get("requestBody").is_some();
    let mut statuses: Vec<(&str, &str)> = Vec::new();
    if secured {
        statuses.push(("401", "unauthorized: no valid token"));
        statuses.push(("403", "forbidden: not for this role"));
    }
    if has("path") {
        statuses.push(("400", "invalid_path or another bad request"));
        statuses.push(("404", "not_found"));
    }
    if has("query") {
        statuses.push(("400", "invalid_query or another bad request"));
        statuses.push(("422", "validation_failed"));
    }
    if body {
        statuses.push(("400", "malformed_json or another bad request"));
        statuses.push(("413", "payload_too_large"));
        statuses.push(("415", "unsupported_media_type"));
        statuses.push(("422", "validation_failed"));
    }
    if method == "post" {
        statuses.push(("400", "bad_request: a malformed Idempotency-Key"));
        statuses.push((
            "409",
            "idempotency_key_reused, idempotency_in_progress or a conflict",
        ));
    }
    if method == "put" {
        statuses.push(("404", "not_found"));
        statuses.push(("409", "a conflict with another record"));
        statuses.push(("412", "precondition_failed: a stale If-Match"));
    }
    if secured {
        statuses.push(("404", "not_found: nothing of yours there"));
    }
    if path != "/healthz" && path != "/metrics" {
        statuses.push((
            "503",
            "database_unavailable or overloaded, with Retry-After",
        ));
    }
    let Some(responses) = op.get_mut("responses").and_then(|r| r.as_object_mut()) else {
        return;
    };
    for (status, description) in statuses {
        responses.entry(status.to_string()).or_insert_with(|| {
            serde_json::json!({
                "description": description,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
            })
        });
    }
}

/// The document as the types alone make it: what the boundary checks bodies against (types,
/// required fields); the bounds of [`contract`] are the validators' to enforce.
pub fn openapi_of_types() -> utoipa::openapi::OpenApi {
    let (_, api) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(api_routes)
        .split_for_parts();
    api
}

/// The OpenAPI document of the whole app (built the same way the app is).
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, api) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(api_routes)
        .split_for_parts();
    let mut api = api;
    utoipa::Modify::modify(&ErrorResponses, &mut api);
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
                .service(courses::update_course)
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
                .service(targets::set_target)
                .service(targets::target_progress)
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
        .openapi_service(|mut api| {
            // Added once the routes are known (ApiDoc's own modifiers run before them).
            utoipa::Modify::modify(&ErrorResponses, &mut api);
            SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", api)
        })
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
    if let Some(e) = ApiError::method_not_allowed(req.path()) {
        return Err(e);
    }
    Err(ApiError::new(ErrorCode::RouteNotFound))
}
