//! A worker's matches (the ranking of `GET /me/matches`), each with its reasons in plain
//! words, and applying from an opening's page.
//!
//! Applying: the opening's page puts a fresh key in the form. The first submit with that key
//! applies (`services::applications::apply`, as `POST /openings/{id}/applications`); a second
//! submit of the same form (a double tap, or a resend after the answer was lost on a weak
//! signal) waits for the first and gets its answer, so it applies once. The keys live in the
//! API's idempotency store (see `idempotency::page_once`).

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::jobs_text::{jobs_text, JobsText};
use super::reasons::{in_words, places_named};
use super::{render, require, see_other, Layout, PageError, PageForm, Viewer};
use crate::auth::WorkerOnly;
use crate::db::reference;
use crate::error::ErrorCode;
use crate::routes::matching::match_list;
use crate::services::applications;
use crate::state::AppState;

pub struct MatchLine {
    pub opening_id: i64,
    pub title: String,
    pub employer: String,
    pub place: String,
    pub wage_min: i32,
    pub wage_max: i32,
    pub housing: bool,
    pub meals: bool,
    pub reasons: String,
}

#[derive(Template)]
#[template(path = "matches.html")]
pub struct MatchesPage {
    pub l: Layout,
    pub j: &'static JobsText,
    pub need_profile: bool,
    pub not_available: bool,
    pub items: Vec<MatchLine>,
}

/// `after_change` as the API reads it; anything else is ignored (the list is then as the
/// index has it now).
pub fn after_change(query: &HashMap<String, String>) -> Option<i64> {
    query
        .get("after_change")
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|c| *c >= 0)
}

pub async fn matches_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    let user = require::<WorkerOnly>(&viewer)?;
    let j = jobs_text(viewer.lang);
    let list = match match_list(&state, user, 20, after_change(&query)).await {
        Ok(list) => Some(list),
        Err(e) if e.code == ErrorCode::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    let Some(list) = list else {
        return render(&MatchesPage {
            l: Layout::new(&viewer),
            j,
            need_profile: true,
            not_available: false,
            items: Vec::new(),
        });
    };
    let mut codes: Vec<String> = Vec::new();
    for m in &list.items {
        codes.extend(places_named(&m.explanation));
    }
    let client = state.pool.get().await?;
    let short = reference::region_short_names(&client, &codes).await?;
    let full = reference::region_names(&client, &codes).await?;
    drop(client);
    let items = list
        .items
        .into_iter()
        .map(|m| MatchLine {
            reasons: in_words(viewer.lang, &m.explanation, &short).join(" · "),
            place: full
                .get(&m.work_region)
                .cloned()
                .unwrap_or_else(|| m.work_region.clone()),
            opening_id: m.opening_id,
            title: m.title,
            employer: m.employer_name,
            wage_min: m.wage_min,
            wage_max: m.wage_max,
            housing: m.housing,
            meals: m.meals,
        })
        .collect();
    render(&MatchesPage {
        l: Layout::new(&viewer),
        j,
        need_profile: false,
        not_available: list.worker_status != "available",
        items,
    })
}

#[derive(Deserialize)]
pub struct ApplyForm {
    #[serde(default)]
    pub key: String,
}

/// `POST /openings/{id}/apply`: applies once per form key, then shows my applications.
pub async fn apply_submit(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
    form: PageForm<ApplyForm>,
) -> Result<HttpResponse, PageError> {
    let user = require::<WorkerOnly>(&viewer)?;
    let id: i64 = path.parse().map_err(|_| PageError::NotFound)?;
    let key = form.fields.key.trim();
    if key.is_empty() {
        return Err(PageError::BadForm);
    }
    let location = crate::idempotency::page_once(
        &state,
        user.account_id,
        key,
        &format!("apply to opening {id}"),
        || async {
            let (created, view) = applications::apply(&state, user, id).await?;
            let said = if created { "applied" } else { "already" };
            Ok(format!("/me/applications?{said}={}", view.application.id))
        },
    )
    .await?;
    Ok(see_other(&location))
}
