//! Claiming the profile an office registered: the signed-in worker enters the code the office
//! gave them (`services::claims::claim`, as `POST /me/worker/claim`; a wrong code counts like a
//! failed sign-in, so the page shares the API's throttle).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::jobs_text::{jobs_text, reason, JobsText};
use super::{
    render, render_status, require, see_other, FieldErrors, Layout, PageError, PageForm, Viewer,
};
use crate::auth::WorkerOnly;
use crate::error::ErrorCode;
use crate::routes::client_addr;
use crate::services::claims;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "claim.html")]
pub struct ClaimPage {
    pub l: Layout,
    pub j: &'static JobsText,
    pub code: String,
    pub errors: FieldErrors,
}

pub async fn claim_page(viewer: Viewer) -> Result<HttpResponse, PageError> {
    require::<WorkerOnly>(&viewer)?;
    render(&ClaimPage {
        l: Layout::new(&viewer),
        j: jobs_text(viewer.lang),
        code: String::new(),
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize)]
pub struct ClaimForm {
    #[serde(default)]
    pub code: String,
}

pub async fn claim_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    viewer: Viewer,
    form: PageForm<ClaimForm>,
) -> Result<HttpResponse, PageError> {
    let user = require::<WorkerOnly>(&viewer)?;
    let lang = viewer.lang;
    let code = form.fields.code;
    let mut errors = FieldErrors::default();
    let status = if code.trim().is_empty() {
        errors.add("code", reason(lang, "must_not_be_empty"));
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        match claims::claim(&state, user, &code, &client_addr(&req)).await {
            Ok(_) => return Ok(see_other("/me/profile?claimed=1")),
            Err(e) if e.code == ErrorCode::InvalidClaimCode => {
                errors.add("code", reason(lang, "invalid_claim_code"));
                e.code.status()
            }
            Err(e) if e.code == ErrorCode::AlreadyClaimed => {
                errors.add("code", reason(lang, "already_claimed"));
                e.code.status()
            }
            Err(e) if e.code == ErrorCode::TooManyRequests => {
                errors.add("code", e.body(lang).message);
                e.code.status()
            }
            Err(e) => return Err(e.into()),
        }
    };
    render_status(
        status,
        &ClaimPage {
            l: Layout::new(&viewer),
            j: jobs_text(lang),
            code,
            errors,
        },
    )
}
