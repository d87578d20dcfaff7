//! Server-rendered pages at `/`, a second face on the same functions as the JSON API under
//! `/api/v1`. One module per group of pages; one handler and one askama template struct per
//! page (templates under `templates/`, checked at compile time). Forms are plain HTML forms that
//! work with JavaScript off; htmx only swaps parts of a page, and a request carrying `HX-Request`
//! gets just the fragment. Sessions, cookies and CSRF: `session.rs`; assets: `assets.rs`.

pub mod admin;
pub mod applications;
pub mod assets;
pub mod auth;
pub mod candidates;
pub mod center;
pub mod claim;
pub mod dashboard;
pub mod employer;
pub mod home;
pub mod jobs;
pub mod jobs_text;
pub mod matches;
pub mod officer;
pub mod openings;
pub mod profile;
pub mod reasons;
pub mod session;
pub mod staff;
pub mod staff_text;
pub mod text;
pub mod uploads;

use std::collections::HashMap;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use askama::Template;

use crate::auth::policy::RoleSet;
use crate::auth::Principal;
use crate::error::{ApiError, ErrorCode, FieldError};
use crate::i18n::{current_lang, Lang};
pub use session::{PageForm, Viewer};
use text::{text, Text};

/// The pages' routes. Mounted beside the API; paths never start with `/api`.
pub fn mount(cfg: &mut web::ServiceConfig) {
    cfg.route("/assets/{name}", web::get().to(assets::serve))
        .route("/", web::get().to(home::home))
        .route("/lang", web::get().to(home::switch_language))
        .route("/signin", web::get().to(auth::sign_in_page))
        .route("/signin", web::post().to(auth::sign_in_submit))
        .route("/signup", web::get().to(auth::sign_up_page))
        .route("/signup", web::post().to(auth::sign_up_submit))
        .route("/signout", web::post().to(auth::sign_out_submit))
        .route("/me/profile", web::get().to(profile::view_page))
        .route("/me/profile/edit", web::get().to(profile::edit_page))
        .route("/me/profile/edit", web::post().to(profile::edit_submit))
        .route(
            "/fragments/occupations",
            web::get().to(profile::occupation_options),
        )
        .route("/fragments/regions", web::get().to(profile::region_picker))
        .route("/openings/{id}", web::get().to(openings::opening_page))
        .configure(jobs::mount)
        .configure(center::mount)
        .configure(officer::mount)
        .configure(dashboard::mount)
        .configure(admin::mount);
}

/// What every page's frame needs: words, asset URLs, the CSRF token, who is signed in.
pub struct Layout {
    pub t: &'static Text,
    pub css: &'static str,
    /// The htmx script, only on pages that use it.
    pub htmx: Option<&'static str>,
    pub csrf: String,
    pub signed_in: bool,
    pub links: Vec<NavLink>,
    /// The language switch: a link that works without JavaScript.
    pub lang_switch: String,
}

pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
}

impl Layout {
    pub fn new(viewer: &Viewer) -> Layout {
        let t = text(viewer.lang);
        let mut links = Vec::new();
        if let Some(p) = &viewer.principal {
            if may(p, crate::auth::WorkerOnly::ROLES) {
                links.push(NavLink {
                    href: "/me/profile",
                    label: t.my_profile,
                });
            }
            links.extend(jobs::nav_links(p, viewer.lang));
            links.extend(staff::nav_links(p, viewer.lang));
        }
        let other = match viewer.lang {
            Lang::Zh => "en",
            Lang::En => "zh",
        };
        Layout {
            t,
            css: &assets::URLS.css,
            htmx: None,
            csrf: viewer.csrf.clone(),
            signed_in: viewer.principal.is_some(),
            links,
            lang_switch: format!(
                "/lang?to={other}&back={}",
                percent_encode_query(&viewer.here)
            ),
        }
    }

    pub fn with_htmx(mut self) -> Layout {
        self.htmx = Some(&assets::URLS.htmx);
        self
    }
}

/// Whether the signed-in person holds one of `roles` (the API's role sets, never a hand-written
/// list per page).
fn may(p: &Principal, roles: &[crate::auth::Role]) -> bool {
    roles.contains(&p.role)
}

/// Percent-encodes a path and query for use as one query value.
pub fn percent_encode_query(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A local path to come back to: only `/...`, never `//host` or a scheme, so a crafted link
/// cannot send someone elsewhere after signing in.
pub fn safe_back(raw: &str) -> String {
    let ok = raw.starts_with('/')
        && !raw.starts_with("//")
        && !raw.starts_with("/\\")
        && !raw.chars().any(|c| c.is_control());
    if ok {
        raw.to_string()
    } else {
        "/".to_string()
    }
}

/// Field errors of a form, as sentences in the page's language, found by field name.
#[derive(Default)]
pub struct FieldErrors(HashMap<String, String>);

impl FieldErrors {
    pub fn from_api(lang: Lang, details: &[FieldError]) -> FieldErrors {
        let mut map = HashMap::new();
        for d in details {
            map.entry(d.field.clone())
                .or_insert_with(|| text::reason(lang, &d.reason));
        }
        FieldErrors(map)
    }

    pub fn add(&mut self, field: &str, message: String) {
        self.0.entry(field.to_string()).or_insert(message);
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    /// The first error among fields that start with `prefix` (skills[0].level → skills[0]).
    pub fn under(&self, prefix: &str) -> Option<&str> {
        let mut keys: Vec<&String> = self.0.keys().filter(|k| k.starts_with(prefix)).collect();
        keys.sort();
        keys.first()
            .and_then(|k| self.0.get(*k))
            .map(String::as_str)
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// Whether htmx sent this request (then the answer is a fragment, not a page).
pub fn is_htmx(req: &HttpRequest) -> bool {
    req.headers()
        .get("HX-Request")
        .is_some_and(|v| v.as_bytes() == b"true")
}

pub fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body)
}

pub fn render(tpl: &impl Template) -> Result<HttpResponse, PageError> {
    render_status(StatusCode::OK, tpl)
}

pub fn render_status(status: StatusCode, tpl: &impl Template) -> Result<HttpResponse, PageError> {
    let body = tpl
        .render()
        .map_err(|e| PageError::Api(ApiError::internal(e)))?;
    Ok(html(status, body))
}

/// 303 See Other: after a successful POST, so a reload does not send it again.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            HeaderValue::from_str(location).unwrap_or(HeaderValue::from_static("/")),
        ))
        .finish()
}

/// The signed-in person, if they hold one of the roles `R` of the API; else the page answers
/// "sign in" (not signed in) or "not found" (signed in as someone this page is not for).
pub fn require<R: RoleSet>(viewer: &Viewer) -> Result<&Principal, PageError> {
    match &viewer.principal {
        None => Err(PageError::SignIn(viewer.here.clone())),
        Some(p) if may(p, R::ROLES) => Ok(p),
        Some(_) => Err(PageError::NotFound),
    }
}

/// How a page fails. Each answer is a page in the request's language (never JSON).
#[derive(Debug)]
pub enum PageError {
    /// Not signed in: go to the sign-in page and come back to this path.
    SignIn(String),
    NotFound,
    CsrfExpired,
    BadForm,
    Api(ApiError),
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PageError::SignIn(_) => write!(f, "sign in first"),
            PageError::NotFound => write!(f, "not found"),
            PageError::CsrfExpired => write!(f, "csrf token missing or wrong"),
            PageError::BadForm => write!(f, "form not readable"),
            PageError::Api(e) => write!(f, "{e}"),
        }
    }
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        match e.code {
            ErrorCode::NotFound => PageError::NotFound,
            _ => PageError::Api(e),
        }
    }
}

impl From<deadpool_postgres::PoolError> for PageError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        PageError::Api(e.into())
    }
}

impl From<crate::db::DbError> for PageError {
    fn from(e: crate::db::DbError) -> Self {
        PageError::from(ApiError::from(e))
    }
}

impl From<tokio_postgres::Error> for PageError {
    fn from(e: tokio_postgres::Error) -> Self {
        PageError::Api(e.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    t: &'static Text,
    css: &'static str,
    title: &'static str,
    message: String,
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::SignIn(_) => StatusCode::SEE_OTHER,
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::CsrfExpired => StatusCode::FORBIDDEN,
            PageError::BadForm => StatusCode::BAD_REQUEST,
            PageError::Api(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let lang = current_lang();
        let t = text(lang);
        let (title, message) = match self {
            PageError::SignIn(next) => {
                return see_other(&format!("/signin?next={}", percent_encode_query(next)));
            }
            PageError::NotFound => (t.not_found_title, t.not_found_body.to_string()),
            PageError::CsrfExpired => (t.error_title, t.form_expired.to_string()),
            PageError::BadForm => (t.error_title, t.form_unreadable.to_string()),
            PageError::Api(e) => {
                if e.code.status().is_server_error() {
                    tracing::error!(code = e.code.as_str(), cause = ?e.cause, "page failed");
                }
                (t.error_title, e.body(lang).message)
            }
        };
        let page = ErrorPage {
            t,
            css: &assets::URLS.css,
            title,
            message,
        };
        let mut resp = html(
            self.status_code(),
            page.render().unwrap_or_else(|_| t.error_title.to_string()),
        );
        if let PageError::Api(e) = self {
            if let Some(secs) = e.retry_after_secs {
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
        }
        resp
    }
}

/// An unknown path outside the API, asked for by a browser: a page, not JSON.
pub fn wants_html(req: &HttpRequest) -> bool {
    session::is_page_path(req.path())
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"))
}

pub fn not_found_page() -> HttpResponse {
    PageError::NotFound.error_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_links_stay_local() {
        assert_eq!(safe_back("/jobs/3"), "/jobs/3");
        assert_eq!(safe_back("//evil.example"), "/");
        assert_eq!(safe_back("https://evil.example"), "/");
        assert_eq!(safe_back("/\\evil.example"), "/");
        assert_eq!(safe_back(""), "/");
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(
            percent_encode_query("/jobs/3?x=1&y=2"),
            "/jobs/3%3Fx%3D1%26y%3D2"
        );
    }
}
