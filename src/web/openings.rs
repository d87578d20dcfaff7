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
    let page = OpeningPage {
        l: Layout::new(&viewer),
        is_open: o.status == "open",
        place,
        required: words(&o.required_occupations),
        nice: words(&o.nice_occupations),
        o,
    };
    render(&page)
}
