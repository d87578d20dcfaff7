//! Employers' pages: opening an account from an invitation (`services::accounts::
//! accept_invitation`, as `POST /auth/accept-invitation`), their openings, and the opening form
//! (`services::openings::create` / `update`, as `POST` / `PUT /openings`).
//!
//! The opening form suggests the occupation from the title (the suggester behind
//! `GET /occupations/suggest`), preselected and changeable: other words find other choices.
//! With htmx the choices follow the title as it is typed; without JavaScript the "推荐工种"
//! button shows the form again with them.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::jobs_text::{field_errors, jobs_text, reason, JobsText};
use super::profile::{region_picker_for, Opt, RegionPicker};
use super::session::{secure_cookies, session_cookies, set_cookies};
use super::text::{text, Text};
use super::{
    render, render_status, require, see_other, FieldErrors, Layout, PageError, PageForm, Viewer,
};
use crate::auth::policy;
use crate::auth::{EmployerStaff, Principal};
use crate::db::openings::{Opening, OpeningInput};
use crate::db::reference;
use crate::error::ErrorCode;
use crate::i18n::Lang;
use crate::routes::client_addr;
use crate::routes::matching::suggest;
use crate::services::accounts::{accept_invitation, AcceptInvitationRequest};
use crate::services::openings;
use crate::state::AppState;

// Accepting an invitation -------------------------------------------------------------------

#[derive(Template)]
#[template(path = "accept_invitation.html")]
pub struct InvitationPage {
    pub l: Layout,
    pub j: &'static JobsText,
    pub code: String,
    pub phone: String,
    pub display_name: String,
    pub errors: FieldErrors,
}

pub async fn invitation_page(
    viewer: Viewer,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    if viewer.principal.is_some() {
        return Ok(see_other("/"));
    }
    render(&InvitationPage {
        l: Layout::new(&viewer),
        j: jobs_text(viewer.lang),
        code: query.get("code").cloned().unwrap_or_default(),
        phone: String::new(),
        display_name: String::new(),
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize)]
pub struct InvitationForm {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub display_name: String,
}

pub async fn invitation_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    viewer: Viewer,
    form: PageForm<InvitationForm>,
) -> Result<HttpResponse, PageError> {
    let f = form.fields;
    let lang = viewer.lang;
    let mut errors = FieldErrors::default();
    if f.code.trim().is_empty() {
        errors.add("code", reason(lang, "must_not_be_empty"));
    }
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if errors.is_empty() {
        let body = AcceptInvitationRequest {
            code: f.code.clone(),
            phone: f.phone.clone(),
            password: f.password,
            display_name: f.display_name.clone(),
        };
        match accept_invitation(&state, body, &client_addr(&req)).await {
            Ok(tokens) => {
                set_cookies(
                    &req,
                    session_cookies(&state, &tokens, secure_cookies(&req, &state)),
                );
                return Ok(see_other("/"));
            }
            Err(e) if e.code == ErrorCode::ValidationFailed => {
                status = e.code.status();
                errors = field_errors(lang, &e.details);
            }
            Err(e) if e.code == ErrorCode::NotFound => {
                status = StatusCode::NOT_FOUND;
                errors.add("code", reason(lang, "invalid_invitation"));
            }
            Err(e) if e.code == ErrorCode::AlreadyExists => {
                status = e.code.status();
                errors.add("phone", text(lang).phone_taken.to_string());
            }
            Err(e) if e.code == ErrorCode::TooManyRequests => {
                status = e.code.status();
                errors.add("code", e.body(lang).message);
            }
            Err(e) => return Err(e.into()),
        }
    }
    render_status(
        status,
        &InvitationPage {
            l: Layout::new(&viewer),
            j: jobs_text(lang),
            code: f.code,
            phone: f.phone,
            display_name: f.display_name,
            errors,
        },
    )
}

// The employer's openings --------------------------------------------------------------------

pub struct OpeningLine {
    pub id: i64,
    pub title: String,
    pub status: &'static str,
    pub is_open: bool,
    pub wage_min: i32,
    pub wage_max: i32,
    pub headcount: i32,
}

#[derive(Template)]
#[template(path = "employer_openings.html")]
pub struct OpeningsPage {
    pub l: Layout,
    pub j: &'static JobsText,
    pub saved: bool,
    pub items: Vec<OpeningLine>,
}

pub fn status_word(j: &JobsText, status: &str) -> &'static str {
    match status {
        "draft" => j.status_draft,
        "open" => j.status_open,
        "filled" => j.status_filled,
        _ => j.status_closed,
    }
}

pub async fn openings_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    let user = require::<EmployerStaff>(&viewer)?;
    let j = jobs_text(viewer.lang);
    let items = openings::list(&state, user, None, 100)
        .await?
        .into_iter()
        .map(|o| OpeningLine {
            status: status_word(j, &o.status),
            is_open: o.status == "open",
            id: o.id,
            title: o.title,
            wage_min: o.wage_min,
            wage_max: o.wage_max,
            headcount: o.headcount,
        })
        .collect();
    render(&OpeningsPage {
        l: Layout::new(&viewer),
        j,
        saved: query.contains_key("saved"),
        items,
    })
}

// The opening form ---------------------------------------------------------------------------

/// What the form holds, as typed.
#[derive(Default, Clone)]
pub struct OpeningValues {
    pub title: String,
    pub occ_q: String,
    pub occupation: String,
    pub pin: bool,
    pub description: String,
    pub work: [String; 3],
    pub wage_min: String,
    pub wage_max: String,
    pub headcount: String,
    pub housing: bool,
    pub meals: bool,
    pub contract_months: String,
    pub start_date: String,
    pub deadline: String,
    pub min_years: String,
    pub certificate: String,
    pub status: String,
    pub version: String,
}

fn lineage_of(code: &str) -> [String; 3] {
    match crate::domain::RegionCode::parse(code) {
        Ok(r) => {
            let mut l = r.lineage();
            l.resize(3, String::new());
            [l[0].clone(), l[1].clone(), l[2].clone()]
        }
        Err(_) => Default::default(),
    }
}

impl OpeningValues {
    fn from_opening(o: &Opening) -> OpeningValues {
        OpeningValues {
            title: o.title.clone(),
            occ_q: String::new(),
            occupation: o.required_occupations.first().cloned().unwrap_or_default(),
            pin: o.pin_occupations,
            description: o.description.clone(),
            work: lineage_of(&o.work_region),
            wage_min: o.wage_min.to_string(),
            wage_max: o.wage_max.to_string(),
            headcount: o.headcount.to_string(),
            housing: o.housing,
            meals: o.meals,
            contract_months: o.contract_months.map(|m| m.to_string()).unwrap_or_default(),
            start_date: o.start_date.to_string(),
            deadline: o.deadline.to_string(),
            min_years: o
                .min_years_experience
                .map(super::reasons::years)
                .unwrap_or_default(),
            certificate: o.certificate.clone().unwrap_or_default(),
            status: o.status.clone(),
            version: o.version.to_string(),
        }
    }

    fn from_pairs(pairs: &[(String, String)]) -> OpeningValues {
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        OpeningValues {
            title: get("title"),
            occ_q: get("occ_q"),
            occupation: get("occupation"),
            pin: !get("pin").is_empty(),
            description: get("description"),
            work: [get("work_p"), get("work_c"), get("work_x")],
            wage_min: get("wage_min"),
            wage_max: get("wage_max"),
            headcount: get("headcount"),
            housing: !get("housing").is_empty(),
            meals: !get("meals").is_empty(),
            contract_months: get("contract_months"),
            start_date: get("start_date"),
            deadline: get("deadline"),
            min_years: get("min_years"),
            certificate: get("certificate"),
            status: get("status"),
            version: get("version"),
        }
    }

    /// The API's input, and what could not even be read (a wage that is not a number) as
    /// field errors in the API's field names.
    fn to_input(&self, lang: Lang) -> (Option<OpeningInput>, FieldErrors) {
        let mut errors = FieldErrors::default();
        let mut int = |field: &str, raw: &str, required: bool| -> Option<i32> {
            match raw.trim() {
                "" if required => {
                    errors.add(field, reason(lang, "must_not_be_empty"));
                    None
                }
                "" => None,
                raw => raw.parse::<i32>().map(Some).unwrap_or_else(|_| {
                    errors.add(field, reason(lang, "not_a_number"));
                    None
                }),
            }
        };
        let wage_min = int("wage_min", &self.wage_min, true);
        let wage_max = int("wage_max", &self.wage_max, true);
        let headcount = int("headcount", &self.headcount, true);
        let contract_months = int("contract_months", &self.contract_months, false);
        let mut date = |field: &str, raw: &str| -> Option<NaiveDate> {
            match raw.trim() {
                "" => {
                    errors.add(field, reason(lang, "must_not_be_empty"));
                    None
                }
                raw => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                    .map_err(|_| errors.add(field, reason(lang, "not_a_date")))
                    .ok(),
            }
        };
        let start_date = date("start_date", &self.start_date);
        let deadline = date("deadline", &self.deadline);
        let min_years = match self.min_years.trim() {
            "" => None,
            raw => match raw.parse::<f32>() {
                Ok(y) => Some(y),
                Err(_) => {
                    errors.add("min_years_experience", reason(lang, "not_a_number"));
                    None
                }
            },
        };
        let work_region = [&self.work[2], &self.work[1], &self.work[0]]
            .into_iter()
            .find(|v| !v.trim().is_empty())
            .map(|v| v.trim().to_string())
            .unwrap_or_default();
        if work_region.is_empty() {
            errors.add("work_region", reason(lang, "unknown_region"));
        }
        if self.occupation.trim().is_empty() {
            errors.add("required_occupations", reason(lang, "choose_an_occupation"));
        }
        let (Some(wage_min), Some(wage_max), Some(headcount), Some(start_date), Some(deadline)) =
            (wage_min, wage_max, headcount, start_date, deadline)
        else {
            return (None, errors);
        };
        let input = OpeningInput {
            title: self.title.clone(),
            description: self.description.clone(),
            required_occupations: if self.occupation.trim().is_empty() {
                Vec::new()
            } else {
                vec![self.occupation.trim().to_string()]
            },
            nice_occupations: Vec::new(),
            work_region,
            wage_min,
            wage_max,
            headcount,
            housing: self.housing,
            meals: self.meals,
            contract_months,
            start_date,
            deadline,
            status: self.status.clone(),
            min_years_experience: min_years,
            certificate: Some(self.certificate.clone()).filter(|c| !c.is_empty()),
            pin_occupations: self.pin,
        };
        (Some(input), errors)
    }
}

/// The occupation choices for an opening: suggested from the words typed (or the title),
/// the chosen one kept first when it is not among them.
#[derive(Template)]
#[template(path = "partials/opening_occupations.html")]
pub struct OccupationChoices {
    pub j: &'static JobsText,
    pub t: &'static Text,
    pub options: Vec<Opt>,
    pub searched: bool,
    pub error: Option<String>,
}

async fn occupation_choices(
    state: &AppState,
    lang: Lang,
    title: &str,
    words: &str,
    chosen: &str,
) -> Result<OccupationChoices, PageError> {
    let j = jobs_text(lang);
    let t = text(lang);
    let q = if words.trim().is_empty() {
        title
    } else {
        words
    };
    let mut options: Vec<Opt> = Vec::new();
    let mut searched = false;
    if !q.trim().is_empty() {
        searched = true;
        if let Ok(found) =
            suggest(state, q, 8, crate::search::suggest::Granularity::LeavesOnly).await
        {
            options = found
                .into_iter()
                .map(|s| Opt {
                    selected: false,
                    label: s.name,
                    value: s.code,
                })
                .collect();
        }
    }
    let chosen = chosen.trim();
    if !chosen.is_empty() && !options.iter().any(|o| o.value == chosen) {
        let client = state.pool.get().await?;
        let names = reference::occupation_names(&client, &[chosen.to_string()]).await?;
        if let Some(name) = names.get(chosen) {
            options.insert(
                0,
                Opt {
                    value: chosen.to_string(),
                    label: name.clone(),
                    selected: false,
                },
            );
        }
    }
    // The chosen one, else the first suggestion: the suggested occupation, preselected.
    let pick = if options.iter().any(|o| o.value == chosen) {
        chosen.to_string()
    } else {
        options.first().map(|o| o.value.clone()).unwrap_or_default()
    };
    for o in &mut options {
        o.selected = o.value == pick;
    }
    Ok(OccupationChoices {
        j,
        t,
        options,
        searched,
        error: None,
    })
}

/// `GET /fragments/opening-occupations?title=...&occ_q=...&occupation=...`
pub async fn occupation_fragment(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    require::<EmployerStaff>(&viewer)?;
    let get = |k: &str| query.get(k).map(String::as_str).unwrap_or("");
    render(
        &occupation_choices(
            &state,
            viewer.lang,
            get("title"),
            get("occ_q"),
            get("occupation"),
        )
        .await?,
    )
}

pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

fn choices(items: Vec<(&'static str, &'static str)>, chosen: &str) -> Vec<Choice> {
    items
        .into_iter()
        .map(|(value, label)| Choice {
            value,
            label,
            selected: value == chosen,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "opening_form.html")]
pub struct OpeningFormPage {
    pub l: Layout,
    pub j: &'static JobsText,
    /// `None` for a new opening.
    pub id: Option<i64>,
    pub action: String,
    pub f: OpeningValues,
    pub errors: FieldErrors,
    pub form_error: Option<String>,
    pub occupations: OccupationChoices,
    pub work: RegionPicker,
    pub certificates: Vec<Choice>,
    pub statuses: Vec<Choice>,
}

async fn form_page(
    state: &AppState,
    viewer: &Viewer,
    id: Option<i64>,
    f: OpeningValues,
    errors: FieldErrors,
    form_error: Option<String>,
) -> Result<OpeningFormPage, PageError> {
    let lang = viewer.lang;
    let j = jobs_text(lang);
    let t = text(lang);
    let client = state.pool.get().await?;
    let w = [f.work[0].as_str(), f.work[1].as_str(), f.work[2].as_str()];
    let mut work =
        region_picker_for(&client, t, "work", t.work_place, j.work_place_hint, w).await?;
    drop(client);
    work.error = errors.get("work_region").map(str::to_string);
    let mut occupations =
        occupation_choices(state, lang, &f.title, &f.occ_q, &f.occupation).await?;
    occupations.error = errors
        .get("required_occupations")
        .or_else(|| errors.under("required_occupations"))
        .map(str::to_string);
    let certificates = choices(
        vec![
            ("", j.certificate_from_words),
            ("required", j.certificate_required),
            ("preferred", j.certificate_preferred),
            ("none", j.certificate_none),
        ],
        &f.certificate,
    );
    let statuses = match id {
        None => vec![("open", j.status_open), ("draft", j.status_draft)],
        Some(_) => vec![
            ("open", j.status_open),
            ("draft", j.status_draft),
            ("filled", j.status_filled),
            ("closed", j.status_closed),
        ],
    };
    let statuses = choices(statuses, &f.status);
    Ok(OpeningFormPage {
        l: Layout::new(viewer).with_htmx(),
        j,
        action: match id {
            None => "/employer/openings/new".into(),
            Some(id) => format!("/employer/openings/{id}/edit"),
        },
        id,
        f,
        errors,
        form_error,
        occupations,
        work,
        certificates,
        statuses,
    })
}

pub async fn new_opening_page(
    state: web::Data<AppState>,
    viewer: Viewer,
) -> Result<HttpResponse, PageError> {
    let user = require::<EmployerStaff>(&viewer)?;
    policy::employer_of_new_opening(user)?;
    let today = crate::validate::today();
    let f = OpeningValues {
        status: "open".into(),
        headcount: "1".into(),
        start_date: (today + chrono::Duration::days(14)).to_string(),
        deadline: (today + chrono::Duration::days(10)).to_string(),
        ..OpeningValues::default()
    };
    let page = form_page(&state, &viewer, None, f, FieldErrors::default(), None).await?;
    render(&page)
}

pub async fn edit_opening_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let user = require::<EmployerStaff>(&viewer)?;
    let id: i64 = path.parse().map_err(|_| PageError::NotFound)?;
    let o = owned_opening(&state, user, id).await?;
    let f = OpeningValues::from_opening(&o);
    let page = form_page(&state, &viewer, Some(id), f, FieldErrors::default(), None).await?;
    render(&page)
}

/// An opening the caller may change (the policy's question of `PUT /openings/{id}`).
pub async fn owned_opening(
    state: &AppState,
    user: &Principal,
    id: i64,
) -> Result<Opening, PageError> {
    let o = openings::get(state, user, id).await?;
    policy::may_change_opening(user, &o)?;
    Ok(o)
}

#[derive(Deserialize)]
pub struct OpeningForm {
    #[serde(default)]
    pub intent: String,
}

pub async fn new_opening_submit(
    state: web::Data<AppState>,
    viewer: Viewer,
    form: PageForm<OpeningForm>,
) -> Result<HttpResponse, PageError> {
    let user = require::<EmployerStaff>(&viewer)?;
    save(&state, &viewer, user, None, form).await
}

pub async fn edit_opening_submit(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
    form: PageForm<OpeningForm>,
) -> Result<HttpResponse, PageError> {
    let user = require::<EmployerStaff>(&viewer)?;
    let id: i64 = path.parse().map_err(|_| PageError::NotFound)?;
    owned_opening(&state, user, id).await?;
    save(&state, &viewer, user, Some(id), form).await
}

async fn save(
    state: &AppState,
    viewer: &Viewer,
    user: &Principal,
    id: Option<i64>,
    form: PageForm<OpeningForm>,
) -> Result<HttpResponse, PageError> {
    let lang = viewer.lang;
    let mut f = OpeningValues::from_pairs(&form.pairs);
    if matches!(form.fields.intent.as_str(), "suggest" | "refresh") {
        // Not a save: the form again with new occupation or place choices (JavaScript off).
        if form.fields.intent == "suggest" {
            // The new words choose anew: drop the earlier choice.
            f.occupation.clear();
        }
        let page = form_page(state, viewer, id, f, FieldErrors::default(), None).await?;
        return render(&page);
    }
    let (input, mut errors) = f.to_input(lang);
    let mut form_error = None;
    if let (Some(input), true) = (&input, errors.is_empty()) {
        let expected = f.version.trim().parse::<i32>().ok();
        let written = match id {
            None => openings::create(state, user, input).await,
            Some(id) => openings::update(state, user, id, input, expected).await,
        };
        match written {
            Ok(w) => {
                let change = w
                    .change
                    .map(|c| format!("&after_change={c}"))
                    .unwrap_or_default();
                return Ok(see_other(&format!(
                    "/employer/openings/{}/candidates?saved=1{change}",
                    w.value.id
                )));
            }
            Err(e) if e.code == ErrorCode::ValidationFailed => {
                errors = field_errors(lang, &e.details);
            }
            Err(e) if e.code == ErrorCode::InvalidTransition => {
                errors.add("status", e.body(lang).message);
            }
            Err(e) if e.code == ErrorCode::PreconditionFailed => {
                // Someone saved meanwhile: show theirs, and say so.
                if let Some(id) = id {
                    let o = owned_opening(state, user, id).await?;
                    f = OpeningValues::from_opening(&o);
                }
                form_error = Some(jobs_text(lang).changed_meanwhile.to_string());
            }
            Err(e) => return Err(e.into()),
        }
    } else if let Some(input) = &input {
        // Report what the API would refuse too, all at once.
        let client = state.pool.get().await?;
        if let Err(e) = crate::validate::opening(&client, input).await {
            for d in &e.details {
                if !errors.has(&d.field) {
                    errors.add(&d.field, reason(lang, &d.reason));
                }
            }
        }
    }
    let page = form_page(state, viewer, id, f, errors, form_error).await?;
    render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}
