//! An employer's work on one opening: the ranked candidates with their reasons (the ranking of
//! `GET /openings/{id}/candidates`; names masked by the matcher), inviting one
//! (`services::applications::invite`), the applications as a pipeline with the moves the
//! service allows, recording a placement (`services::placements::place`), and the follow-ups
//! due (`services::placements::due`).

use std::collections::{HashMap, HashSet};

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::applications::{moves_of, notices, Move};
use super::jobs_text::{field_errors, jobs_text, reason, state_word, JobsText};
use super::matches::after_change;
use super::reasons::{in_words, places_named};
use super::{
    render, render_status, require, see_other, FieldErrors, Layout, PageError, PageForm, Viewer,
};
use crate::auth::{AnyUser, EmployerOrStaff, EmployerStaff};
use crate::db::reference;
use crate::domain::application_state::AppState as State;
use crate::error::ErrorCode;
use crate::routes::matching::candidate_list;
use crate::services::applications::{self as apps, InviteRequest};
use crate::services::openings;
use crate::services::placements::{self, PlacementRequest};
use crate::state::AppState;

pub struct CandidateLine {
    pub worker_id: i64,
    pub rank: usize,
    pub name: String,
    pub home: String,
    pub birth_year: i32,
    pub reasons: String,
    pub has_application: bool,
}

#[derive(Template)]
#[template(path = "candidates.html")]
pub struct CandidatesPage {
    pub l: Layout,
    pub j: &'static JobsText,
    pub opening_id: i64,
    pub title: String,
    pub is_open: bool,
    pub saved: bool,
    pub notice: Option<String>,
    pub passed_filters: usize,
    pub items: Vec<CandidateLine>,
}

pub async fn candidates_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    let user = require::<EmployerStaff>(&viewer)?;
    let id: i64 = path.parse().map_err(|_| PageError::NotFound)?;
    let lang = viewer.lang;
    let j = jobs_text(lang);
    let opening = openings::get(&state, user, id).await?;
    let list = candidate_list(&state, user, id, 20, after_change(&query)).await?;
    let applied: HashSet<i64> = apps::of_opening(&state, user, id, None, 500)
        .await?
        .into_iter()
        .map(|a| a.worker_id)
        .collect();
    let mut codes: Vec<String> = Vec::new();
    for c in &list.items {
        codes.extend(places_named(&c.explanation));
        codes.push(c.home_region.clone());
    }
    let client = state.pool.get().await?;
    let short = reference::region_short_names(&client, &codes).await?;
    drop(client);
    let items = list
        .items
        .iter()
        .enumerate()
        .map(|(i, c)| CandidateLine {
            worker_id: c.worker_id,
            rank: i + 1,
            name: c.display_name.clone(),
            home: short
                .get(&c.home_region)
                .cloned()
                .unwrap_or_else(|| c.home_region.clone()),
            birth_year: c.birth_year,
            reasons: in_words(lang, &c.explanation, &short).join(" · "),
            has_application: applied.contains(&c.worker_id),
        })
        .collect();
    let notice = if query.contains_key("invited") {
        Some(j.invited_notice.to_string())
    } else {
        // Only known words, never text from the address.
        query.get("refused").map(|code| match code.as_str() {
            "already_exists" => j.already_has_application.to_string(),
            "unavailable" => j.worker_unavailable.to_string(),
            _ => j.candidates_not_open.to_string(),
        })
    };
    render(&CandidatesPage {
        l: Layout::new(&viewer),
        j,
        opening_id: id,
        title: opening.title,
        is_open: list.opening_status == "open",
        saved: query.contains_key("saved"),
        notice,
        passed_filters: list.passed_filters,
        items,
    })
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    pub worker_id: String,
}

/// `POST /employer/openings/{id}/invite`
pub async fn invite_submit(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
    form: PageForm<InviteForm>,
) -> Result<HttpResponse, PageError> {
    let user = require::<EmployerStaff>(&viewer)?;
    let id: i64 = path.parse().map_err(|_| PageError::NotFound)?;
    let worker_id: i64 = form
        .fields
        .worker_id
        .trim()
        .parse()
        .map_err(|_| PageError::BadForm)?;
    let req = InviteRequest {
        worker_id,
        note: String::new(),
    };
    let back = format!("/employer/openings/{id}/candidates");
    match apps::invite(&state, user, id, &req).await {
        Ok(_) => Ok(see_other(&format!("{back}?invited={worker_id}"))),
        // Invited already (a second tap), or the worker is no longer available: say so on the
        // list rather than on an error page.
        Err(e) if e.code == ErrorCode::AlreadyExists => {
            Ok(see_other(&format!("{back}?refused=already_exists")))
        }
        Err(e) if e.code == ErrorCode::ValidationFailed => {
            Ok(see_other(&format!("{back}?refused=unavailable")))
        }
        Err(e) if e.code == ErrorCode::Conflict => {
            Ok(see_other(&format!("{back}?refused=not_open")))
        }
        Err(e) => Err(e.into()),
    }
}

// The pipeline --------------------------------------------------------------------------------

pub struct PipelineLine {
    pub id: i64,
    pub name: String,
    pub phone: Option<String>,
    pub moves: Vec<Move>,
    pub can_place: bool,
    pub placed: bool,
    pub highlight: bool,
}

pub struct Stage {
    pub label: &'static str,
    pub items: Vec<PipelineLine>,
}

#[derive(Template)]
#[template(path = "pipeline.html")]
pub struct PipelinePage {
    pub l: Layout,
    pub j: &'static JobsText,
    pub opening_id: i64,
    pub title: String,
    pub notice: Option<String>,
    pub refused: Option<String>,
    pub stages: Vec<Stage>,
    pub closed: Vec<(PipelineLine, &'static str)>,
    pub empty: bool,
}

const STAGES: [State; 6] = [
    State::Invited,
    State::Applied,
    State::Shortlisted,
    State::Interviewing,
    State::Offered,
    State::Accepted,
];

pub async fn pipeline_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    let user = require::<EmployerStaff>(&viewer)?;
    let id: i64 = path.parse().map_err(|_| PageError::NotFound)?;
    let lang = viewer.lang;
    let opening = openings::get(&state, user, id).await?;
    // The newest 100: each is read with its moves, as `GET /applications/{id}` answers it.
    let rows = apps::of_opening(&state, user, id, None, 100).await?;
    let names = apps::masked_names(&state, user, &rows).await?;
    let mark: Option<i64> = query.get("moved").and_then(|v| v.parse().ok());
    let mut stages: Vec<Stage> = STAGES
        .iter()
        .map(|s| Stage {
            label: state_word(lang, s.as_str()),
            items: Vec::new(),
        })
        .collect();
    let mut closed = Vec::new();
    let empty = rows.is_empty();
    for a in rows {
        let v = apps::get(&state, user, a.id).await?;
        let accepted = v.application.state == "accepted";
        let placed = accepted
            && placements::of_application(&state, user, a.id)
                .await?
                .is_some();
        let line = PipelineLine {
            id: a.id,
            name: names.get(&a.worker_id).cloned().unwrap_or_default(),
            phone: v.worker_phone.clone(),
            moves: moves_of(lang, &v),
            can_place: accepted && !placed,
            placed,
            highlight: mark == Some(a.id),
        };
        match STAGES.iter().position(|s| s.as_str() == a.state) {
            Some(i) => stages[i].items.push(line),
            None => closed.push((line, state_word(lang, &a.state))),
        }
    }
    let (notice, refused) = notices(lang, &query);
    let notice = if query.contains_key("placed") {
        Some(jobs_text(lang).placed_notice.to_string())
    } else {
        notice
    };
    render(&PipelinePage {
        l: Layout::new(&viewer),
        j: jobs_text(lang),
        opening_id: id,
        title: opening.title,
        notice,
        refused,
        stages,
        closed,
        empty,
    })
}

// Recording a placement -------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "placement_form.html")]
pub struct PlacementPage {
    pub l: Layout,
    pub j: &'static JobsText,
    pub application_id: i64,
    pub opening_id: i64,
    pub title: String,
    pub start_date: String,
    pub agreed_wage: String,
    pub contract_months: String,
    pub errors: FieldErrors,
    pub form_error: Option<String>,
}

pub async fn placement_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let user = require::<AnyUser>(&viewer)?;
    let id: i64 = path.parse().map_err(|_| PageError::NotFound)?;
    let v = apps::get(&state, user, id).await?;
    let opening = openings::get(&state, user, v.application.opening_id).await?;
    render(&PlacementPage {
        l: Layout::new(&viewer),
        j: jobs_text(viewer.lang),
        application_id: id,
        opening_id: opening.id,
        title: opening.title,
        start_date: crate::validate::today().to_string(),
        agreed_wage: opening.wage_min.to_string(),
        contract_months: opening
            .contract_months
            .map(|m| m.to_string())
            .unwrap_or_default(),
        errors: FieldErrors::default(),
        form_error: None,
    })
}

#[derive(Deserialize)]
pub struct PlacementForm {
    #[serde(default)]
    pub start_date: String,
    #[serde(default)]
    pub agreed_wage: String,
    #[serde(default)]
    pub contract_months: String,
}

pub async fn placement_submit(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
    form: PageForm<PlacementForm>,
) -> Result<HttpResponse, PageError> {
    let user = require::<AnyUser>(&viewer)?;
    let id: i64 = path.parse().map_err(|_| PageError::NotFound)?;
    let lang = viewer.lang;
    let f = form.fields;
    let v = apps::get(&state, user, id).await?;
    let opening = openings::get(&state, user, v.application.opening_id).await?;
    let mut errors = FieldErrors::default();
    let start_date = match NaiveDate::parse_from_str(f.start_date.trim(), "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) if f.start_date.trim().is_empty() => {
            errors.add("start_date", reason(lang, "must_not_be_empty"));
            None
        }
        Err(_) => {
            errors.add("start_date", reason(lang, "not_a_date"));
            None
        }
    };
    let agreed_wage = match f.agreed_wage.trim().parse::<i32>() {
        Ok(w) => Some(w),
        Err(_) => {
            errors.add("agreed_wage", reason(lang, "not_a_number"));
            None
        }
    };
    let contract_months = match f.contract_months.trim() {
        "" => None,
        raw => raw
            .parse::<i32>()
            .map_err(|_| errors.add("contract_months", reason(lang, "not_a_number")))
            .ok(),
    };
    let mut form_error = None;
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if let (Some(start_date), Some(agreed_wage), true) =
        (start_date, agreed_wage, errors.is_empty())
    {
        let req = PlacementRequest {
            start_date,
            agreed_wage,
            contract_months,
            work_region: None,
        };
        match placements::place(&state, user, id, &req).await {
            Ok(_) => {
                return Ok(see_other(&format!(
                    "/employer/openings/{}/applications?placed={id}",
                    opening.id
                )))
            }
            // Sent twice (a double tap): the first recorded it.
            Err(e) if e.code == ErrorCode::AlreadyExists => {
                return Ok(see_other(&format!(
                    "/employer/openings/{}/applications?placed={id}",
                    opening.id
                )))
            }
            Err(e) if e.code == ErrorCode::ValidationFailed => {
                errors = field_errors(lang, &e.details);
            }
            Err(e) if e.code.status().is_client_error() && e.code != ErrorCode::NotFound => {
                status = e.code.status();
                form_error = Some(e.body(lang).message);
            }
            Err(e) => return Err(e.into()),
        }
    }
    render_status(
        status,
        &PlacementPage {
            l: Layout::new(&viewer),
            j: jobs_text(lang),
            application_id: id,
            opening_id: opening.id,
            title: opening.title,
            start_date: f.start_date,
            agreed_wage: f.agreed_wage,
            contract_months: f.contract_months,
            errors,
            form_error,
        },
    )
}

// Follow-ups due -------------------------------------------------------------------------------

pub struct DueLine {
    pub id: i64,
    pub name: String,
    pub due_month: i32,
    pub due_on: NaiveDate,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "followups_due.html")]
pub struct DuePage {
    pub l: Layout,
    pub j: &'static JobsText,
    pub saved: bool,
    pub items: Vec<DueLine>,
}

/// `GET /employer/followups`: follow-ups due within 30 days, overdue first.
pub async fn due_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    let user = require::<EmployerOrStaff>(&viewer)?;
    let list = placements::due(&state, user, 30, 100).await?;
    let items = list
        .items
        .into_iter()
        .map(|d| DueLine {
            id: d.followup_id,
            name: d.worker_name,
            due_month: d.due_month,
            due_on: d.due_on,
            overdue: d.overdue,
        })
        .collect();
    render(&DuePage {
        l: Layout::new(&viewer),
        j: jobs_text(viewer.lang),
        saved: query.contains_key("saved"),
        items,
    })
}
