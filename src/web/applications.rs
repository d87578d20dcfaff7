//! A worker's applications and invitations, the moves on an application (for either side: the
//! service answers which moves the caller may make, from the policy's sides and the state
//! machine), and follow-ups: a worker's own, and the answer form both the worker and the
//! employer use.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::jobs_text::{field_errors, jobs_text, move_word, reason, state_word, JobsText};
use super::{
    render, render_status, require, safe_back, see_other, FieldErrors, Layout, PageError, PageForm,
    Viewer,
};
use crate::auth::{AnyUser, RoleSet, WorkerOnly};
use crate::error::{ApiError, ErrorCode};
use crate::i18n::Lang;
use crate::services::applications::{self as apps, ApplicationView, TransitionRequest};
use crate::services::placements::{self, FollowupRequest};
use crate::state::AppState;

/// A move the caller may make, as a button.
pub struct Move {
    pub to: &'static str,
    pub label: &'static str,
}

pub fn moves_of(lang: Lang, v: &ApplicationView) -> Vec<Move> {
    v.allowed_transitions
        .iter()
        .map(|to| Move {
            to,
            label: move_word(lang, &v.application.state, to),
        })
        .collect()
}

pub struct AppLine {
    pub id: i64,
    pub opening_id: i64,
    pub title: String,
    pub state: &'static str,
    pub moves: Vec<Move>,
    pub since: NaiveDate,
    pub highlight: bool,
}

#[derive(Template)]
#[template(path = "my_applications.html")]
pub struct MyApplicationsPage {
    pub l: Layout,
    pub j: &'static JobsText,
    pub notice: Option<String>,
    pub refused: Option<String>,
    pub invitations: Vec<AppLine>,
    pub applications: Vec<AppLine>,
    pub has_placement: bool,
}

/// The notice a page shows after a redirect: what was done, or why a move was refused.
pub fn notices(lang: Lang, query: &HashMap<String, String>) -> (Option<String>, Option<String>) {
    let j = jobs_text(lang);
    let notice = if query.contains_key("applied") {
        Some(j.applied_notice)
    } else if query.contains_key("already") {
        Some(j.already_applied_notice)
    } else if query.contains_key("moved") {
        Some(j.moved_notice)
    } else {
        None
    };
    let refused = query.get("refused").map(|code| {
        let code = match code.as_str() {
            "capacity_reached" => ErrorCode::CapacityReached,
            _ => ErrorCode::InvalidTransition,
        };
        ApiError::new(code).body(lang).message
    });
    (notice.map(str::to_string), refused)
}

fn highlighted(query: &HashMap<String, String>) -> Option<i64> {
    ["applied", "already", "moved"]
        .iter()
        .find_map(|k| query.get(*k))
        .and_then(|v| v.parse().ok())
}

pub async fn my_applications_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    let user = require::<WorkerOnly>(&viewer)?;
    let lang = viewer.lang;
    let rows = apps::mine(&state, user, None, 50).await?;
    let mark = highlighted(&query);
    let mut invitations = Vec::new();
    let mut applications = Vec::new();
    let mut has_placement = false;
    for a in rows {
        let v = apps::get(&state, user, a.id).await?;
        has_placement |= v.application.state == "accepted";
        let line = AppLine {
            id: v.application.id,
            opening_id: v.application.opening_id,
            title: v.application.opening_title.clone(),
            state: state_word(lang, &v.application.state),
            moves: moves_of(lang, &v),
            since: v.application.updated_at.date_naive(),
            highlight: mark == Some(v.application.id),
        };
        if v.application.state == "invited" {
            invitations.push(line);
        } else {
            applications.push(line);
        }
    }
    let (notice, refused) = notices(lang, &query);
    render(&MyApplicationsPage {
        l: Layout::new(&viewer),
        j: jobs_text(lang),
        notice,
        refused,
        invitations,
        applications,
        has_placement,
    })
}

#[derive(Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub back: String,
}

fn with_param(back: &str, param: &str) -> String {
    let sep = if back.contains('?') { '&' } else { '?' };
    format!("{back}{sep}{param}")
}

/// `POST /applications/{id}/move`: one move, by whoever may make it (`apps::transition` asks
/// the policy); back to the page the button was on.
pub async fn move_submit(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
    form: PageForm<MoveForm>,
) -> Result<HttpResponse, PageError> {
    let user = require::<AnyUser>(&viewer)?;
    let id: i64 = path.parse().map_err(|_| PageError::NotFound)?;
    let back = safe_back(&form.fields.back);
    // Strip earlier notices so they do not pile up in the address.
    let back = back.split('?').next().unwrap_or("/").to_string();
    let req = TransitionRequest {
        to: form.fields.to.clone(),
        note: String::new(),
    };
    match apps::transition(&state, user, id, &req).await {
        Ok(_) => Ok(see_other(&with_param(&back, &format!("moved={id}")))),
        Err(e)
            if e.code == ErrorCode::InvalidTransition || e.code == ErrorCode::CapacityReached =>
        {
            Ok(see_other(&with_param(
                &back,
                &format!("refused={}", e.code.as_str()),
            )))
        }
        Err(e) if e.code == ErrorCode::ValidationFailed => Err(PageError::BadForm),
        Err(e) => Err(e.into()),
    }
}

// Follow-ups ----------------------------------------------------------------------------------

pub struct FollowupLine {
    pub id: i64,
    pub title: String,
    pub due_month: i32,
    pub due_on: NaiveDate,
    pub overdue: bool,
    pub recorded: bool,
}

#[derive(Template)]
#[template(path = "my_followups.html")]
pub struct MyFollowupsPage {
    pub l: Layout,
    pub j: &'static JobsText,
    pub saved: bool,
    pub items: Vec<FollowupLine>,
}

/// `GET /me/followups`: the follow-ups of the worker's own placements that are due (or soon).
pub async fn my_followups_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    let user = require::<WorkerOnly>(&viewer)?;
    let today = crate::validate::today();
    let mut items = Vec::new();
    for (title, p) in placements::mine(&state, user).await? {
        for f in p.followups {
            if f.due_on > today + chrono::Duration::days(7) {
                continue;
            }
            items.push(FollowupLine {
                id: f.id,
                title: title.clone(),
                due_month: f.due_month,
                due_on: f.due_on,
                overdue: f.recorded_at.is_none() && f.due_on < today,
                recorded: f.recorded_at.is_some(),
            });
        }
    }
    render(&MyFollowupsPage {
        l: Layout::new(&viewer),
        j: jobs_text(viewer.lang),
        saved: query.contains_key("saved"),
        items,
    })
}

pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "followup_form.html")]
pub struct FollowupPage {
    pub l: Layout,
    pub j: &'static JobsText,
    pub id: i64,
    pub due_month: i32,
    pub due_on: NaiveDate,
    pub recorded: bool,
    pub back: String,
    pub employments: Vec<Choice>,
    pub monthly_wage: String,
    pub evidence_ref: String,
    pub errors: FieldErrors,
}

fn employments(j: &JobsText, chosen: &str) -> Vec<Choice> {
    [
        ("same_employer", j.employment_same),
        ("other_employer", j.employment_other),
        ("not_working", j.employment_none),
    ]
    .into_iter()
    .map(|(value, label)| Choice {
        value,
        label,
        selected: value == chosen,
    })
    .collect()
}

/// Where a follow-up answer returns: the list the person came from.
fn followup_back(viewer: &Viewer, raw: &str) -> String {
    let back = safe_back(raw);
    if back != "/" {
        return back;
    }
    match &viewer.principal {
        Some(p) if super::may(p, WorkerOnly::ROLES) => "/me/followups".into(),
        _ => "/employer/followups".into(),
    }
}

pub async fn followup_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    let user = require::<AnyUser>(&viewer)?;
    let id: i64 = path.parse().map_err(|_| PageError::NotFound)?;
    let f = placements::followup(&state, user, id).await?;
    let j = jobs_text(viewer.lang);
    let back = followup_back(&viewer, query.get("back").map(String::as_str).unwrap_or(""));
    render(&FollowupPage {
        l: Layout::new(&viewer),
        j,
        id,
        due_month: f.due_month,
        due_on: f.due_on,
        recorded: f.recorded_at.is_some(),
        back,
        employments: employments(j, f.employment.as_deref().unwrap_or("")),
        monthly_wage: f.monthly_wage.map(|w| w.to_string()).unwrap_or_default(),
        evidence_ref: f.evidence_ref.unwrap_or_default(),
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize)]
pub struct FollowupForm {
    #[serde(default)]
    pub employment: String,
    #[serde(default)]
    pub monthly_wage: String,
    #[serde(default)]
    pub evidence_ref: String,
    #[serde(default)]
    pub back: String,
}

pub async fn followup_submit(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
    form: PageForm<FollowupForm>,
) -> Result<HttpResponse, PageError> {
    let user = require::<AnyUser>(&viewer)?;
    let id: i64 = path.parse().map_err(|_| PageError::NotFound)?;
    let f = form.fields;
    let lang = viewer.lang;
    let back = followup_back(&viewer, &f.back);
    let mut errors = FieldErrors::default();
    let monthly_wage = match f.monthly_wage.trim() {
        "" => None,
        raw => match raw.parse::<i32>() {
            Ok(w) => Some(w),
            Err(_) => {
                errors.add("monthly_wage", reason(lang, "not_a_number"));
                None
            }
        },
    };
    let req = FollowupRequest {
        employment: f.employment.clone(),
        monthly_wage,
        evidence_ref: Some(f.evidence_ref.clone()),
    };
    if errors.is_empty() {
        match placements::record_followup(&state, user, id, &req).await {
            Ok(_) => {
                let path = back.split('?').next().unwrap_or("/");
                return Ok(see_other(&format!("{path}?saved=1")));
            }
            Err(e) if e.code == ErrorCode::ValidationFailed => {
                errors = field_errors(lang, &e.details);
            }
            Err(e) => return Err(e.into()),
        }
    }
    let current = placements::followup(&state, user, id).await?;
    let j = jobs_text(lang);
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &FollowupPage {
            l: Layout::new(&viewer),
            j,
            id,
            due_month: current.due_month,
            due_on: current.due_on,
            recorded: current.recorded_at.is_some(),
            back,
            employments: employments(j, &f.employment),
            monthly_wage: f.monthly_wage,
            evidence_ref: f.evidence_ref,
            errors,
        },
    )
}
