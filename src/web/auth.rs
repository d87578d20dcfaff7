//! Sign in, sign up, sign out: the same functions as `POST /auth/login`, `/auth/register` and
//! `/auth/logout`, so the pages share the API's validation and login throttling.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::session::{cleared_session_cookies, secure_cookies, session_cookies, set_cookies};
use super::text::text;
use super::{
    render, render_status, safe_back, see_other, FieldErrors, Layout, PageError, PageForm, Viewer,
};
use crate::error::ErrorCode;
use crate::routes::client_addr;
use crate::services::accounts::{login, logout, register, LoginRequest, RegisterRequest};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "signin.html")]
pub struct SignInPage {
    pub l: Layout,
    pub j: &'static super::jobs_text::JobsText,
    pub next: String,
    pub phone: String,
    pub form_error: Option<String>,
    pub errors: FieldErrors,
}

#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    pub next: String,
}

pub async fn sign_in_page(
    viewer: Viewer,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, PageError> {
    if viewer.principal.is_some() {
        return Ok(see_other(&safe_back(&query.next)));
    }
    render(&SignInPage {
        l: Layout::new(&viewer),
        j: super::jobs_text::jobs_text(viewer.lang),
        next: safe_back(&query.next),
        phone: String::new(),
        form_error: None,
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub next: String,
}

pub async fn sign_in_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    viewer: Viewer,
    form: PageForm<SignInForm>,
) -> Result<HttpResponse, PageError> {
    let f = form.fields;
    let t = text(viewer.lang);
    let mut errors = FieldErrors::default();
    if f.phone.trim().is_empty() {
        errors.add(
            "phone",
            super::text::reason(viewer.lang, "must_not_be_empty"),
        );
    }
    if f.password.is_empty() {
        errors.add(
            "password",
            super::text::reason(viewer.lang, "must_not_be_empty"),
        );
    }
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    let mut form_error = None;
    if errors.is_empty() {
        let creds = LoginRequest {
            phone: f.phone.clone(),
            password: f.password.clone(),
        };
        match login(&state, creds, &client_addr(&req)).await {
            Ok(tokens) => {
                set_cookies(
                    &req,
                    session_cookies(&state, &tokens, secure_cookies(&req, &state)),
                );
                return Ok(see_other(&safe_back(&f.next)));
            }
            Err(e) if e.code == ErrorCode::InvalidCredentials => {
                status = e.code.status();
                errors.add("password", e.body(viewer.lang).message);
            }
            Err(e) if e.code == ErrorCode::TooManyRequests => {
                status = e.code.status();
                let minutes = e.retry_after_secs.unwrap_or(60).div_ceil(60);
                form_error = Some(format!(
                    "{} {minutes} {}",
                    e.body(viewer.lang).message,
                    t.try_again_in_minutes
                ));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let mut resp = render_status(
        status,
        &SignInPage {
            l: Layout::new(&viewer),
            j: super::jobs_text::jobs_text(viewer.lang),
            next: safe_back(&f.next),
            phone: f.phone,
            form_error,
            errors,
        },
    )?;
    if status == StatusCode::TOO_MANY_REQUESTS {
        resp.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from(60u64),
        );
    }
    Ok(resp)
}

#[derive(Template)]
#[template(path = "signup.html")]
pub struct SignUpPage {
    pub l: Layout,
    pub phone: String,
    pub display_name: String,
    pub errors: FieldErrors,
}

pub async fn sign_up_page(viewer: Viewer) -> Result<HttpResponse, PageError> {
    if viewer.principal.is_some() {
        return Ok(see_other("/"));
    }
    render(&SignUpPage {
        l: Layout::new(&viewer),
        phone: String::new(),
        display_name: String::new(),
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize)]
pub struct SignUpForm {
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub display_name: String,
}

pub async fn sign_up_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    viewer: Viewer,
    form: PageForm<SignUpForm>,
) -> Result<HttpResponse, PageError> {
    let f = form.fields;
    let body = RegisterRequest {
        phone: f.phone.clone(),
        password: f.password,
        display_name: f.display_name.clone(),
        claim_code: None,
    };
    let (status, errors) = match register(&state, body, &client_addr(&req)).await {
        Ok(tokens) => {
            set_cookies(
                &req,
                session_cookies(&state, &tokens, secure_cookies(&req, &state)),
            );
            return Ok(see_other("/me/profile/edit"));
        }
        Err(e) if e.code == ErrorCode::ValidationFailed => (
            e.code.status(),
            FieldErrors::from_api(viewer.lang, &e.details),
        ),
        Err(e) if e.code == ErrorCode::AlreadyExists => {
            let mut errors = FieldErrors::default();
            errors.add("phone", text(viewer.lang).phone_taken.to_string());
            (e.code.status(), errors)
        }
        Err(e) => return Err(e.into()),
    };
    render_status(
        status,
        &SignUpPage {
            l: Layout::new(&viewer),
            phone: f.phone,
            display_name: f.display_name,
            errors,
        },
    )
}

#[derive(Deserialize)]
pub struct Empty {}

/// Ends this browser's sign-in (the refresh family, as `POST /auth/logout`) and its cookies.
pub async fn sign_out_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    viewer: Viewer,
    _form: PageForm<Empty>,
) -> Result<HttpResponse, PageError> {
    if let (Some(p), Some(rt)) = (&viewer.principal, viewer.refresh_token()) {
        logout(&state, p, rt).await?;
    }
    set_cookies(&req, cleared_session_cookies(secure_cookies(&req, &state)));
    Ok(see_other("/signin"))
}
