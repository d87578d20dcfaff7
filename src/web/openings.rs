//! An opening's page, for anyone signed in who may read it (the rule of `GET /openings/{id}`).

use actix_web::{web, HttpResponse};
use askama::Template;

use super::{render, require, Layout, PageError, Viewer};
use crate::auth::AnyUser;
use crate::db::openings::Opening;
use crate::db::reference;
use crate::services::openings;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "opening.html")]
pub struct OpeningPage {
    pub l: Layout,
    pub o: Opening,
    pub is_open: bool,
    pub place: String,
    pub required: String,
    pub nice: String,
    pub j: &'static super::jobs_text::JobsText,
    /// What a job seeker may do here: apply, or see their application.
    pub apply: Option<ApplyBox>,
}

pub struct ApplyBox {
    /// A fresh key for this form: sent twice, it applies once (see `matches::apply_submit`).
    pub key: String,
    pub needs_profile: bool,
    /// The seeker's application to this opening, if any: its state in words.
    pub existing: Option<&'static str>,
}

/// The apply box of an open opening, for those the policy lets apply.
async fn apply_box(
    state: &AppState,
    user: &crate::auth::Principal,
    o: &Opening,
    lang: crate::i18n::Lang,
) -> Result<Option<ApplyBox>, PageError> {
    if o.status != "open" || crate::auth::policy::may_apply(user).is_err() {
        return Ok(None);
    }
    let needs_profile = match crate::services::workers::get_mine(state, user).await {
        Ok(_) => false,
        Err(e) if e.code == crate::error::ErrorCode::NotFound => true,
        Err(e) => return Err(e.into()),
    };
    let existing = crate::services::applications::mine(state, user, None, 200)
        .await?
        .into_iter()
        .find(|a| a.opening_id == o.id)
        .map(|a| super::jobs_text::state_word(lang, &a.state));
    Ok(Some(ApplyBox {
        key: uuid::Uuid::new_v4().to_string(),
        needs_profile,
        existing,
    }))
}

pub async fn opening_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let user = require::<AnyUser>(&viewer)?;
    let id: i64 = path.parse().map_err(|_| PageError::NotFound)?;
    let o = openings::get(&state, user, id).await?;
    let client = state.pool.get().await?;
    let place = reference::region_names(&client, std::slice::from_ref(&o.work_region))
        .await?
        .remove(&o.work_region)
        .unwrap_or_else(|| o.work_region.clone());
    let mut codes = o.required_occupations.clone();
    codes.extend(o.nice_occupations.iter().cloned());
    let names = reference::occupation_names(&client, &codes).await?;
    let words = |list: &[String]| {
        list.iter()
            .map(|c| names.get(c).cloned().unwrap_or_else(|| c.clone()))
            .collect::<Vec<_>>()
            .join("、")
    };
    let apply = apply_box(&state, user, &o, viewer.lang).await?;
    let page = OpeningPage {
        l: Layout::new(&viewer),
        j: super::jobs_text::jobs_text(viewer.lang),
        apply,
        is_open: o.status == "open",
        place,
        required: words(&o.required_occupations),
        nice: words(&o.nice_occupations),
        o,
    };
    render(&page)
}
