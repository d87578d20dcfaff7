//! The start page and the language switch.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::session::{cookie, secure_cookies, set_cookies};
use super::{render, safe_back, Layout, PageError, Viewer};
use crate::auth::{EmployerStaff, RoleSet, WorkerOnly};
use crate::i18n::{Lang, LANG_COOKIE};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub l: Layout,
    /// What the signed-in person can do here, in a sentence.
    pub intro: &'static str,
}

pub async fn home(viewer: Viewer) -> Result<HttpResponse, PageError> {
    let t = super::text::text(viewer.lang);
    let intro = match &viewer.principal {
        Some(p) if super::may(p, EmployerStaff::ROLES) => {
            super::jobs_text::jobs_text(viewer.lang).employer_home_intro
        }
        Some(p) if super::may(p, WorkerOnly::ROLES) => t.home_intro_worker,
        _ => t.home_intro_staff,
    };
    render(&HomePage {
        l: Layout::new(&viewer),
        intro,
    })
}

#[derive(Deserialize)]
pub struct SwitchQuery {
    pub to: String,
    #[serde(default)]
    pub back: String,
}

/// `GET /lang?to=en&back=/path`: remembers the language for a year and goes back. A plain link,
/// so it works without JavaScript; it changes nothing but the words shown.
pub async fn switch_language(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<SwitchQuery>,
) -> HttpResponse {
    if let Some(lang) = Lang::from_code(&query.to) {
        let secure = secure_cookies(&req, &state);
        set_cookies(
            &req,
            vec![cookie(
                LANG_COOKIE,
                lang.code().to_string(),
                365 * 24 * 3600,
                secure,
            )],
        );
    }
    super::see_other(&safe_back(&query.back))
}
