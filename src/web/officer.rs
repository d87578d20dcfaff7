//! County officers' pages (and admins', over everything): households and workers registered
//! and edited, the claim code to print, the household CSV upload (the same report page as the
//! centers'), follow-ups due this week and overdue with a form for each, and the household
//! outcomes and subsidy eligibility lists with CSV export. Each page calls the service behind
//! the matching `/api/v1` route; the services ask the policy, so an officer sees her region only.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::center::{upload_answer, UploadPage};
use super::staff::{field_errors, Choice, StaffLayout};
use super::staff_text::{reason, staff_text, StaffText};
use super::uploads::{self, ReportView};
use super::{render, render_status, require, see_other, FieldErrors, PageError, PageForm, Viewer};
use crate::auth::policy::{self, Scope};
use crate::auth::{OfficerOrAdmin, Principal};
use crate::db::households::{Household, HouseholdInput, STATUSES};
use crate::db::reference;
use crate::db::regions;
use crate::db::workers::{SkillInput, WorkerInput};
use crate::error::{ApiError, ErrorCode};
use crate::i18n::Lang;
use crate::imports;
use crate::services::{claims, households, placements, reports, workers};
use crate::state::AppState;

pub fn mount(cfg: &mut web::ServiceConfig) {
    cfg.route("/office/households", web::get().to(households_page))
        .route("/office/households/new", web::get().to(new_household_page))
        .route(
            "/office/households/new",
            web::post().to(new_household_submit),
        )
        .route(
            "/office/households/upload",
            web::get().to(households_upload_page),
        )
        .route(
            "/office/households/upload",
            web::post().to(households_upload_submit),
        )
        .route(
            "/office/households/template.csv",
            web::get().to(households_template),
        )
        .route(
            "/office/households/{id}/edit",
            web::get().to(edit_household_page),
        )
        .route(
            "/office/households/{id}/edit",
            web::post().to(edit_household_submit),
        )
        .route("/office/workers", web::get().to(workers_page))
        .route("/office/workers/new", web::get().to(new_worker_page))
        .route("/office/workers/new", web::post().to(new_worker_submit))
        .route("/office/workers/{id}", web::get().to(worker_page))
        .route("/office/workers/{id}/edit", web::get().to(edit_worker_page))
        .route(
            "/office/workers/{id}/edit",
            web::post().to(edit_worker_submit),
        )
        .route(
            "/office/workers/{id}/claim-code",
            web::post().to(claim_code_submit),
        )
        .route("/office/followups", web::get().to(followups_page))
        .route("/office/followups/{id}", web::post().to(followup_submit))
        .route("/office/reports", web::get().to(reports_page))
        .route(
            "/office/reports/households.csv",
            web::get().to(households_csv),
        )
        .route("/office/reports/subsidy.csv", web::get().to(subsidy_csv));
}

fn id_of(raw: &str) -> Result<i64, PageError> {
    raw.parse().map_err(|_| PageError::NotFound)
}

fn status_word(s: &StaffText, status: &str) -> &'static str {
    match status {
        "registered_poor" => s.status_registered_poor,
        "monitored" => s.status_monitored,
        "exited" => s.status_exited,
        _ => s.status_other,
    }
}

/// The counties a staff member may choose from: those of an officer's region; `None` for a
/// reach too wide for a list (admins type the code).
async fn county_choices(
    state: &AppState,
    p: &Principal,
    selected: &str,
) -> Result<Option<Vec<Choice>>, PageError> {
    match policy::scope(p) {
        Scope::Region(r) => {
            let client = state.pool.get().await?;
            let list = regions::counties_within(&client, r.as_str()).await?;
            Ok(Some(
                list.into_iter()
                    .map(|(code, name)| Choice::new(code, name, selected))
                    .collect(),
            ))
        }
        _ => Ok(None),
    }
}

async fn region_names(
    state: &AppState,
    codes: Vec<String>,
) -> Result<std::collections::HashMap<String, String>, PageError> {
    let client = state.pool.get().await?;
    Ok(reference::region_names(&client, &codes).await?)
}

fn first_reason(lang: Lang, e: &ApiError) -> String {
    e.details
        .first()
        .map(|d| reason(lang, &d.reason))
        .unwrap_or_else(|| e.body(lang).message)
}

// Households ---------------------------------------------------------------------------------

pub struct HouseholdLine {
    pub id: i64,
    pub registry_number: String,
    pub place: String,
    pub members: i32,
    pub status: &'static str,
    pub income: String,
}

#[derive(Template)]
#[template(path = "staff/households.html")]
pub struct HouseholdsPage {
    pub l: StaffLayout,
    pub households: Vec<HouseholdLine>,
    pub saved: bool,
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    pub saved: Option<String>,
    pub recorded: Option<String>,
}

async fn households_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<SavedQuery>,
) -> Result<HttpResponse, PageError> {
    let user = require::<OfficerOrAdmin>(&viewer)?;
    let list = households::list(&state, user, None, None, 500).await?;
    let names = region_names(&state, list.iter().map(|h| h.county_code.clone()).collect()).await?;
    let s = staff_text(viewer.lang);
    let households = list
        .into_iter()
        .map(|h| HouseholdLine {
            place: format!(
                "{} {}",
                names
                    .get(&h.county_code)
                    .cloned()
                    .unwrap_or_else(|| h.county_code.clone()),
                h.village
            ),
            status: status_word(s, &h.status),
            income: h
                .income_per_capita
                .map(|i| i.to_string())
                .unwrap_or_default(),
            members: h.member_count,
            registry_number: h.registry_number,
            id: h.id,
        })
        .collect();
    render(&HouseholdsPage {
        l: StaffLayout::new(&viewer),
        households,
        saved: query.saved.is_some(),
    })
}

#[derive(Deserialize, Default, Clone)]
pub struct HouseholdFields {
    #[serde(default)]
    pub registry_number: String,
    #[serde(default)]
    pub county_code: String,
    #[serde(default)]
    pub village: String,
    #[serde(default)]
    pub member_count: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub income_per_capita: String,
    #[serde(default)]
    pub income_assessed_on: String,
    #[serde(default)]
    pub other_income_yuan: String,
    #[serde(default)]
    pub version: String,
}

impl HouseholdFields {
    fn of(h: &Household) -> HouseholdFields {
        HouseholdFields {
            registry_number: h.registry_number.clone(),
            county_code: h.county_code.clone(),
            village: h.village.clone(),
            member_count: h.member_count.to_string(),
            status: h.status.clone(),
            income_per_capita: h
                .income_per_capita
                .map(|v| v.to_string())
                .unwrap_or_default(),
            income_assessed_on: h
                .income_assessed_on
                .map(|d| d.to_string())
                .unwrap_or_default(),
            other_income_yuan: h.other_income_yuan.to_string(),
            version: h.version.to_string(),
        }
    }

    fn input(&self, problems: &mut Vec<crate::error::FieldError>) -> HouseholdInput {
        let mut bad = |f: &str, r: &str| {
            problems.push(crate::error::FieldError {
                field: f.into(),
                reason: r.into(),
            })
        };
        let mut num = |raw: &str, f: &str| -> Option<i32> {
            let raw = raw.trim().replace(',', "");
            if raw.is_empty() {
                return None;
            }
            match raw.parse::<i32>() {
                Ok(v) => Some(v),
                Err(_) => {
                    bad(f, "not_a_number");
                    None
                }
            }
        };
        let member_count = num(&self.member_count, "member_count").unwrap_or(0);
        let income = num(&self.income_per_capita, "income_per_capita");
        let other = num(&self.other_income_yuan, "other_income_yuan").unwrap_or(0);
        let date = self.income_assessed_on.trim();
        let assessed = if date.is_empty() {
            None
        } else {
            match NaiveDate::parse_from_str(date, "%Y-%m-%d") {
                Ok(d) => Some(d),
                Err(_) => {
                    problems.push(crate::error::FieldError {
                        field: "income_assessed_on".into(),
                        reason: "not_a_date".into(),
                    });
                    None
                }
            }
        };
        HouseholdInput {
            registry_number: self.registry_number.trim().to_string(),
            county_code: self.county_code.trim().to_string(),
            village: self.village.trim().to_string(),
            member_count,
            status: self.status.clone(),
            income_per_capita: income,
            income_assessed_on: assessed,
            other_income_yuan: other,
        }
    }
}

#[derive(Template)]
#[template(path = "staff/household_form.html")]
pub struct HouseholdFormPage {
    pub l: StaffLayout,
    pub heading: &'static str,
    pub action: String,
    pub f: HouseholdFields,
    pub errors: FieldErrors,
    pub counties: Option<Vec<Choice>>,
    pub statuses: Vec<Choice>,
    pub first_fields: Vec<TextField>,
    pub more_fields: Vec<TextField>,
}

/// A text input of a form: its name, label and value as typed.
pub struct TextField {
    pub name: &'static str,
    pub label: &'static str,
    pub value: String,
}

pub(super) fn text_field(name: &'static str, label: &'static str, value: &str) -> TextField {
    TextField {
        name,
        label,
        value: value.to_string(),
    }
}

async fn household_form(
    state: &AppState,
    viewer: &Viewer,
    heading: &'static str,
    action: String,
    f: HouseholdFields,
    errors: FieldErrors,
) -> Result<HouseholdFormPage, PageError> {
    let user = require::<OfficerOrAdmin>(viewer)?;
    let s = staff_text(viewer.lang);
    let counties = county_choices(state, user, &f.county_code).await?;
    let statuses = STATUSES
        .iter()
        .map(|st| Choice::new(st.to_string(), status_word(s, st).to_string(), &f.status))
        .collect();
    Ok(HouseholdFormPage {
        first_fields: vec![text_field(
            "registry_number",
            s.registry_number,
            &f.registry_number,
        )],
        more_fields: vec![
            text_field("village", s.village, &f.village),
            text_field("member_count", s.member_count, &f.member_count),
            text_field(
                "income_per_capita",
                s.income_per_capita,
                &f.income_per_capita,
            ),
            text_field(
                "income_assessed_on",
                s.income_assessed_on,
                &f.income_assessed_on,
            ),
            text_field(
                "other_income_yuan",
                s.other_income_yuan,
                &f.other_income_yuan,
            ),
        ],
        l: StaffLayout::new(viewer),
        heading,
        action,
        f,
        errors,
        counties,
        statuses,
    })
}

async fn new_household_page(
    state: web::Data<AppState>,
    viewer: Viewer,
) -> Result<HttpResponse, PageError> {
    let s = staff_text(viewer.lang);
    let f = HouseholdFields {
        status: "registered_poor".into(),
        ..Default::default()
    };
    render(
        &household_form(
            &state,
            &viewer,
            s.new_household,
            "/office/households/new".into(),
            f,
            FieldErrors::default(),
        )
        .await?,
    )
}

async fn household_refused(
    state: &AppState,
    viewer: &Viewer,
    heading: &'static str,
    action: String,
    f: HouseholdFields,
    e: ApiError,
) -> Result<HttpResponse, PageError> {
    let errors = match e.code {
        ErrorCode::ValidationFailed => field_errors(viewer.lang, &e.details, &[]),
        ErrorCode::Forbidden => {
            let mut errors = FieldErrors::default();
            errors.add("county_code", reason(viewer.lang, "outside_your_region"));
            errors
        }
        ErrorCode::AlreadyExists | ErrorCode::Conflict | ErrorCode::PreconditionFailed => {
            let mut errors = FieldErrors::default();
            errors.add("registry_number", e.body(viewer.lang).message);
            errors
        }
        _ => return Err(e.into()),
    };
    let status = e.code.status();
    render_status(
        status,
        &household_form(state, viewer, heading, action, f, errors).await?,
    )
}

async fn new_household_submit(
    state: web::Data<AppState>,
    viewer: Viewer,
    form: PageForm<HouseholdFields>,
) -> Result<HttpResponse, PageError> {
    let user = require::<OfficerOrAdmin>(&viewer)?;
    let s = staff_text(viewer.lang);
    let f = form.fields;
    let mut problems = Vec::new();
    let input = f.input(&mut problems);
    let outcome = if problems.is_empty() {
        households::create(&state, user, &input).await
    } else {
        Err(ApiError::validation(problems))
    };
    match outcome {
        Ok(_) => Ok(see_other("/office/households?saved=1")),
        Err(e) => {
            household_refused(
                &state,
                &viewer,
                s.new_household,
                "/office/households/new".into(),
                f,
                e,
            )
            .await
        }
    }
}

async fn edit_household_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let user = require::<OfficerOrAdmin>(&viewer)?;
    let id = id_of(&path)?;
    let h = households::get(&state, user, id).await?;
    let s = staff_text(viewer.lang);
    render(
        &household_form(
            &state,
            &viewer,
            s.edit_household,
            format!("/office/households/{id}/edit"),
            HouseholdFields::of(&h),
            FieldErrors::default(),
        )
        .await?,
    )
}

async fn edit_household_submit(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
    form: PageForm<HouseholdFields>,
) -> Result<HttpResponse, PageError> {
    let user = require::<OfficerOrAdmin>(&viewer)?;
    let id = id_of(&path)?;
    let s = staff_text(viewer.lang);
    let f = form.fields;
    let mut problems = Vec::new();
    let input = f.input(&mut problems);
    let expected = f.version.trim().parse::<i32>().ok();
    let outcome = if problems.is_empty() {
        households::update(&state, user, id, &input, expected)
            .await
            .map(|_| ())
    } else {
        Err(ApiError::validation(problems))
    };
    match outcome {
        Ok(()) => Ok(see_other("/office/households?saved=1")),
        Err(e) => {
            household_refused(
                &state,
                &viewer,
                s.edit_household,
                format!("/office/households/{id}/edit"),
                f,
                e,
            )
            .await
        }
    }
}

fn households_upload(viewer: &Viewer, report: Option<ReportView>) -> UploadPage {
    let s = staff_text(viewer.lang);
    UploadPage {
        l: StaffLayout::new(viewer).with_htmx().with_staff_js(),
        heading: s.households_upload,
        intro: s.households_intro,
        action: "/office/households/upload",
        template_href: "/office/households/template.csv",
        report,
    }
}

async fn households_upload_page(viewer: Viewer) -> Result<HttpResponse, PageError> {
    let user = require::<OfficerOrAdmin>(&viewer)?;
    policy::may_import_households(user)?;
    render(&households_upload(&viewer, None))
}

async fn households_upload_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    viewer: Viewer,
    form: Multipart,
) -> Result<HttpResponse, PageError> {
    let user = require::<OfficerOrAdmin>(&viewer)?.clone();
    let uploaded = uploads::receive(
        &state,
        &viewer,
        form,
        &imports::HOUSEHOLD_COLUMNS,
        |sheet| {
            let state = state.clone();
            async move {
                imports::import_households(
                    &state.pool,
                    &user,
                    sheet,
                    imports::ImportMode::BestEffort,
                )
                .await
            }
        },
    )
    .await?;
    let report = ReportView::of(viewer.lang, uploaded);
    upload_answer(&req, households_upload(&viewer, Some(report)))
}

async fn households_template(viewer: Viewer) -> Result<HttpResponse, PageError> {
    require::<OfficerOrAdmin>(&viewer)?;
    let mut header: Vec<&str> = imports::HOUSEHOLD_COLUMNS.to_vec();
    header.extend([
        "income_per_capita",
        "income_assessed_on",
        "other_income_yuan",
    ]);
    let body = uploads::template_csv(
        &header,
        &[
            "632127-0001",
            "630224",
            "甘都镇东村",
            "4",
            "贫困户",
            "5200",
            "2026-01-15",
            "3000",
        ],
    );
    Ok(csv_answer(body, "households-template.csv"))
}

fn csv_answer(body: Vec<u8>, name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .body(body)
}

// Workers ------------------------------------------------------------------------------------

pub struct WorkerLine {
    pub id: i64,
    pub name: String,
    pub birth_year: i32,
    pub place: String,
    pub status: &'static str,
}

#[derive(Template)]
#[template(path = "staff/workers.html")]
pub struct WorkersPage {
    pub l: StaffLayout,
    pub workers: Vec<WorkerLine>,
}

fn worker_status(t: &super::text::Text, s: &str) -> &'static str {
    match s {
        "placed" => t.status_placed,
        "unavailable" => t.status_unavailable,
        _ => t.status_available,
    }
}

async fn workers_page(
    state: web::Data<AppState>,
    viewer: Viewer,
) -> Result<HttpResponse, PageError> {
    let user = require::<OfficerOrAdmin>(&viewer)?;
    let list = workers::list(&state, user, None, None, 500).await?;
    let names = region_names(&state, list.iter().map(|w| w.home_region.clone()).collect()).await?;
    let t = super::text::text(viewer.lang);
    let workers = list
        .into_iter()
        .map(|w| WorkerLine {
            place: names
                .get(&w.home_region)
                .cloned()
                .unwrap_or_else(|| w.home_region.clone()),
            status: worker_status(t, &w.status),
            id: w.id,
            name: w.name,
            birth_year: w.birth_year,
        })
        .collect();
    render(&WorkersPage {
        l: StaffLayout::new(&viewer),
        workers,
    })
}

#[derive(Deserialize, Default, Clone)]
pub struct WorkerFields {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub gender: String,
    #[serde(default)]
    pub birth_year: String,
    #[serde(default)]
    pub id_number: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub home_region: String,
    #[serde(default)]
    pub registry_number: String,
    #[serde(default)]
    pub education: String,
    #[serde(default)]
    pub min_wage: String,
    #[serde(default)]
    pub version: String,
}

#[derive(Template)]
#[template(path = "staff/worker_form.html")]
pub struct WorkerFormPage {
    pub l: StaffLayout,
    pub heading: &'static str,
    pub action: String,
    pub f: WorkerFields,
    pub errors: FieldErrors,
    pub counties: Option<Vec<Choice>>,
    pub genders: Vec<Choice>,
    pub educations: Vec<Choice>,
    pub first_fields: Vec<TextField>,
}

async fn worker_form(
    state: &AppState,
    viewer: &Viewer,
    heading: &'static str,
    action: String,
    f: WorkerFields,
    errors: FieldErrors,
) -> Result<WorkerFormPage, PageError> {
    let user = require::<OfficerOrAdmin>(viewer)?;
    let t = super::text::text(viewer.lang);
    let counties = county_choices(state, user, &f.home_region).await?;
    let genders = [
        ("male", t.gender_male),
        ("female", t.gender_female),
        ("other", t.gender_other),
    ]
    .into_iter()
    .map(|(v, l)| Choice::new(v.into(), l.into(), &f.gender))
    .collect();
    let educations = crate::validate::EDUCATION_LEVELS
        .iter()
        .map(|e| {
            Choice::new(
                e.to_string(),
                super::profile::education_word(viewer.lang, e).to_string(),
                &f.education,
            )
        })
        .collect();
    let s = staff_text(viewer.lang);
    Ok(WorkerFormPage {
        first_fields: vec![
            text_field("name", t.name, &f.name),
            text_field("id_number", s.id_number, &f.id_number),
            text_field("phone", t.phone, &f.phone),
            text_field("birth_year", t.birth_year, &f.birth_year),
        ],
        l: StaffLayout::new(viewer),
        heading,
        action,
        f,
        errors,
        counties,
        genders,
        educations,
    })
}

async fn new_worker_page(
    state: web::Data<AppState>,
    viewer: Viewer,
) -> Result<HttpResponse, PageError> {
    let s = staff_text(viewer.lang);
    let f = WorkerFields {
        education: "junior_high".into(),
        ..Default::default()
    };
    render(
        &worker_form(
            &state,
            &viewer,
            s.new_worker,
            "/office/workers/new".into(),
            f,
            FieldErrors::default(),
        )
        .await?,
    )
}

/// The form's fields over `base` (a new profile, or the stored one: what the form does not
/// show is kept as it is).
async fn worker_input(
    state: &AppState,
    p: &Principal,
    f: &WorkerFields,
    mut base: WorkerInput,
    problems: &mut Vec<crate::error::FieldError>,
) -> Result<WorkerInput, PageError> {
    let mut bad = |field: &str, r: &str| {
        problems.push(crate::error::FieldError {
            field: field.into(),
            reason: r.into(),
        })
    };
    base.name = f.name.trim().to_string();
    base.gender = f.gender.clone();
    base.birth_year = match f.birth_year.trim().parse() {
        Ok(y) => y,
        Err(_) => {
            bad(
                "birth_year",
                if f.birth_year.trim().is_empty() {
                    "must_not_be_empty"
                } else {
                    "not_a_number"
                },
            );
            0
        }
    };
    let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
    base.id_number = opt(&f.id_number);
    base.phone = opt(&f.phone);
    base.home_region = f.home_region.trim().to_string();
    base.education = f.education.clone();
    base.min_wage = if f.min_wage.trim().is_empty() {
        0
    } else {
        f.min_wage.trim().parse().unwrap_or_else(|_| {
            bad("min_wage", "not_a_number");
            0
        })
    };
    base.household_id = match opt(&f.registry_number) {
        None => None,
        Some(number) => {
            let client = state.pool.get().await?;
            match crate::db::households::find_by_registry(&client, &number).await? {
                Some(h) if policy::may_read_household(p, &h).is_ok() => Some(h.id),
                _ => {
                    bad("registry_number", "unknown_household");
                    None
                }
            }
        }
    };
    Ok(base)
}

fn blank_worker() -> WorkerInput {
    WorkerInput {
        household_id: None,
        name: String::new(),
        gender: String::new(),
        birth_year: 0,
        ethnicity: String::new(),
        languages: vec!["zh".into()],
        education: "unknown".into(),
        phone: None,
        id_number: None,
        home_region: String::new(),
        destinations: Vec::new(),
        accept_anywhere: true,
        min_wage: 0,
        available_from: None,
        skills: Vec::new(),
        brand_tags: Vec::new(),
        status: None,
    }
}

async fn worker_refused(
    state: &AppState,
    viewer: &Viewer,
    heading: &'static str,
    action: String,
    f: WorkerFields,
    e: ApiError,
) -> Result<HttpResponse, PageError> {
    let mut errors = match e.code {
        ErrorCode::ValidationFailed => field_errors(
            viewer.lang,
            &e.details,
            &[("household_id", "registry_number")],
        ),
        ErrorCode::Forbidden => {
            let mut errors = FieldErrors::default();
            errors.add("home_region", reason(viewer.lang, "outside_your_region"));
            errors
        }
        ErrorCode::HouseholdLinkForbidden => {
            let mut errors = FieldErrors::default();
            errors.add("registry_number", e.body(viewer.lang).message);
            errors
        }
        ErrorCode::AlreadyExists | ErrorCode::Conflict | ErrorCode::PreconditionFailed => {
            let mut errors = FieldErrors::default();
            errors.add("phone", e.body(viewer.lang).message);
            errors
        }
        _ => return Err(e.into()),
    };
    if errors.is_empty() {
        errors.add("name", first_reason(viewer.lang, &e));
    }
    let status = e.code.status();
    render_status(
        status,
        &worker_form(state, viewer, heading, action, f, errors).await?,
    )
}

async fn new_worker_submit(
    state: web::Data<AppState>,
    viewer: Viewer,
    form: PageForm<WorkerFields>,
) -> Result<HttpResponse, PageError> {
    let user = require::<OfficerOrAdmin>(&viewer)?;
    let s = staff_text(viewer.lang);
    let f = form.fields;
    let mut problems = Vec::new();
    let input = worker_input(&state, user, &f, blank_worker(), &mut problems).await?;
    let outcome = if problems.is_empty() {
        workers::register(&state, user, input).await
    } else {
        Err(ApiError::validation(problems))
    };
    match outcome {
        Ok(w) => Ok(see_other(&format!("/office/workers/{}?saved=1", w.id))),
        Err(e) => {
            worker_refused(
                &state,
                &viewer,
                s.new_worker,
                "/office/workers/new".into(),
                f,
                e,
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "staff/worker.html")]
pub struct WorkerPage {
    pub l: StaffLayout,
    pub w: workers::WorkerView,
    pub place: String,
    pub gender: &'static str,
    pub education: &'static str,
    pub status: &'static str,
    pub household: String,
    pub saved: bool,
    pub claim: Option<claims::IssuedClaim>,
    pub claim_error: Option<String>,
}

async fn worker_view(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    saved: bool,
    claim: Option<claims::IssuedClaim>,
    claim_error: Option<String>,
) -> Result<WorkerPage, PageError> {
    let user = require::<OfficerOrAdmin>(viewer)?;
    let w = workers::get(state, user, id).await?;
    let names = region_names(state, vec![w.home_region.clone()]).await?;
    let t = super::text::text(viewer.lang);
    let household = match w.household_id {
        Some(hid) => households::get(state, user, hid)
            .await
            .map(|h| h.registry_number)
            .unwrap_or_default(),
        None => String::new(),
    };
    Ok(WorkerPage {
        l: StaffLayout::new(viewer),
        place: names
            .get(&w.home_region)
            .cloned()
            .unwrap_or_else(|| w.home_region.clone()),
        gender: match w.gender.as_str() {
            "male" => t.gender_male,
            "female" => t.gender_female,
            _ => t.gender_other,
        },
        education: super::profile::education_word(viewer.lang, &w.education),
        status: worker_status(t, &w.status),
        household,
        w,
        saved,
        claim,
        claim_error,
    })
}

async fn worker_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
    query: web::Query<SavedQuery>,
) -> Result<HttpResponse, PageError> {
    let id = id_of(&path)?;
    render(&worker_view(&state, &viewer, id, query.saved.is_some(), None, None).await?)
}

#[derive(Deserialize)]
pub struct Nothing {}

/// Issues the claim code and shows it once, large, to print or read out.
async fn claim_code_submit(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
    _form: PageForm<Nothing>,
) -> Result<HttpResponse, PageError> {
    let user = require::<OfficerOrAdmin>(&viewer)?;
    let id = id_of(&path)?;
    match claims::issue(&state, user, id).await {
        Ok(claim) => render(&worker_view(&state, &viewer, id, false, Some(claim), None).await?),
        Err(e) if e.code.status().is_client_error() && e.code != ErrorCode::NotFound => {
            let msg = first_reason(viewer.lang, &e);
            let page = worker_view(&state, &viewer, id, false, None, Some(msg)).await?;
            render_status(e.code.status(), &page)
        }
        Err(e) => Err(e.into()),
    }
}

async fn edit_worker_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let user = require::<OfficerOrAdmin>(&viewer)?;
    let id = id_of(&path)?;
    let w = workers::get(&state, user, id).await?;
    let registry = match w.household_id {
        Some(hid) => households::get(&state, user, hid)
            .await
            .map(|h| h.registry_number)
            .unwrap_or_default(),
        None => String::new(),
    };
    let f = WorkerFields {
        name: w.name.clone(),
        gender: w.gender.clone(),
        birth_year: w.birth_year.to_string(),
        id_number: w.id_number.clone().unwrap_or_default(),
        phone: w.phone.clone().unwrap_or_default(),
        home_region: w.home_region.clone(),
        registry_number: registry,
        education: w.education.clone(),
        min_wage: w.min_wage.to_string(),
        version: w.version.to_string(),
    };
    let s = staff_text(viewer.lang);
    render(
        &worker_form(
            &state,
            &viewer,
            s.edit_worker,
            format!("/office/workers/{id}/edit"),
            f,
            FieldErrors::default(),
        )
        .await?,
    )
}

async fn edit_worker_submit(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
    form: PageForm<WorkerFields>,
) -> Result<HttpResponse, PageError> {
    let user = require::<OfficerOrAdmin>(&viewer)?;
    let id = id_of(&path)?;
    let s = staff_text(viewer.lang);
    let f = form.fields;
    let w = workers::get(&state, user, id).await?;
    // What the form does not show is sent back as stored.
    let base = WorkerInput {
        household_id: w.household_id,
        name: w.name,
        gender: w.gender,
        birth_year: w.birth_year,
        ethnicity: w.ethnicity,
        languages: w.languages,
        education: w.education,
        phone: w.phone,
        id_number: w.id_number,
        home_region: w.home_region,
        destinations: w.destinations,
        accept_anywhere: w.accept_anywhere,
        min_wage: w.min_wage,
        available_from: w.available_from,
        skills: w
            .skills
            .iter()
            .filter(|s| s.source != "certified")
            .map(|s| SkillInput {
                occupation_code: s.occupation_code.clone(),
                level: s.level,
                years_experience: s.years_experience,
                note: s.note.clone(),
            })
            .collect(),
        brand_tags: w.brand_tags,
        status: None,
    };
    let mut problems = Vec::new();
    let input = worker_input(&state, user, &f, base, &mut problems).await?;
    let expected = f.version.trim().parse::<i32>().ok();
    let outcome = if problems.is_empty() {
        workers::update(&state, user, id, input, expected).await
    } else {
        Err(ApiError::validation(problems))
    };
    match outcome {
        Ok(_) => Ok(see_other(&format!("/office/workers/{id}?saved=1"))),
        Err(e) => {
            worker_refused(
                &state,
                &viewer,
                s.edit_worker,
                format!("/office/workers/{id}/edit"),
                f,
                e,
            )
            .await
        }
    }
}

// Follow-ups ---------------------------------------------------------------------------------

pub struct DueLine {
    pub id: i64,
    pub worker_id: i64,
    pub worker: String,
    pub employer: String,
    pub due_month: i32,
    pub due_on: NaiveDate,
    pub overdue: bool,
    pub error: Option<String>,
    pub wage: String,
    pub evidence: String,
}

#[derive(Template)]
#[template(path = "staff/followups.html")]
pub struct FollowupsPage {
    pub l: StaffLayout,
    pub items: Vec<DueLine>,
    pub until: NaiveDate,
    pub recorded: bool,
}

/// Follow-ups due within this many days (this week), and every overdue one.
const DUE_WITHIN_DAYS: i64 = 7;

async fn followups_view(
    state: &AppState,
    viewer: &Viewer,
    recorded: bool,
    failed: Option<(i64, String, FollowupFields)>,
) -> Result<FollowupsPage, PageError> {
    let user = require::<OfficerOrAdmin>(viewer)?;
    let due = placements::due(state, user, DUE_WITHIN_DAYS, 100).await?;
    let items = due
        .items
        .into_iter()
        .map(|d| {
            let (error, wage, evidence) = match &failed {
                Some((id, msg, f)) if *id == d.followup_id => (
                    Some(msg.clone()),
                    f.monthly_wage.clone(),
                    f.evidence_ref.clone(),
                ),
                _ => (None, String::new(), String::new()),
            };
            DueLine {
                id: d.followup_id,
                worker_id: d.worker_id,
                worker: d.worker_name,
                employer: d.employer_name,
                due_month: d.due_month,
                due_on: d.due_on,
                overdue: d.overdue,
                error,
                wage,
                evidence,
            }
        })
        .collect();
    Ok(FollowupsPage {
        l: StaffLayout::new(viewer),
        items,
        until: due.until,
        recorded,
    })
}

async fn followups_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<SavedQuery>,
) -> Result<HttpResponse, PageError> {
    render(&followups_view(&state, &viewer, query.recorded.is_some(), None).await?)
}

#[derive(Deserialize, Default, Clone)]
pub struct FollowupFields {
    #[serde(default)]
    pub employment: String,
    #[serde(default)]
    pub monthly_wage: String,
    #[serde(default)]
    pub evidence_ref: String,
}

async fn followup_submit(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
    form: PageForm<FollowupFields>,
) -> Result<HttpResponse, PageError> {
    let user = require::<OfficerOrAdmin>(&viewer)?;
    let id = id_of(&path)?;
    let f = form.fields;
    let wage = f.monthly_wage.trim().replace(',', "");
    let monthly_wage = if wage.is_empty() {
        Ok(None)
    } else {
        wage.parse::<i32>()
            .map(Some)
            .map_err(|_| ApiError::field("monthly_wage", "not_a_number"))
    };
    let outcome = match monthly_wage {
        Ok(monthly_wage) => {
            let req = placements::FollowupRequest {
                employment: f.employment.clone(),
                monthly_wage,
                evidence_ref: Some(f.evidence_ref.clone()),
            };
            placements::record_followup(&state, user, id, &req)
                .await
                .map(|_| ())
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) => Ok(see_other("/office/followups?recorded=1")),
        Err(e) if e.code.status().is_client_error() && e.code != ErrorCode::NotFound => {
            let msg = first_reason(viewer.lang, &e);
            let page = followups_view(&state, &viewer, false, Some((id, msg, f))).await?;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

// Reports ------------------------------------------------------------------------------------

pub struct CrossingLine {
    pub registry_number: String,
    pub place: String,
    pub members: i32,
    pub assessed: String,
    pub estimated: i64,
    pub working: i64,
    pub up: bool,
}

pub struct SubsidyLine {
    pub worker: String,
    pub place: String,
    pub registry_number: String,
    pub employer: String,
    pub months: i32,
    pub wage: String,
    pub evidence: String,
}

#[derive(Template)]
#[template(path = "staff/reports.html")]
pub struct ReportsPage {
    pub l: StaffLayout,
    pub line: i64,
    pub crossing: Vec<CrossingLine>,
    pub subsidy: Vec<SubsidyLine>,
}

async fn reports_page(
    state: web::Data<AppState>,
    viewer: Viewer,
) -> Result<HttpResponse, PageError> {
    let user = require::<OfficerOrAdmin>(&viewer)?;
    let line = state.settings.monitoring_line_yuan;
    let crossing = reports::households_crossing(&state, user, line).await?;
    let subsidy = reports::subsidy_eligibility(&state, user).await?;
    let mut codes: Vec<String> = crossing.iter().map(|h| h.county_code.clone()).collect();
    codes.extend(subsidy.iter().map(|s| s.home_region.clone()));
    let names = region_names(&state, codes).await?;
    let name = |c: &String| names.get(c).cloned().unwrap_or_else(|| c.clone());
    render(&ReportsPage {
        l: StaffLayout::new(&viewer),
        line,
        crossing: crossing
            .iter()
            .map(|h| CrossingLine {
                registry_number: h.registry_number.clone(),
                place: format!("{} {}", name(&h.county_code), h.village),
                members: h.member_count,
                assessed: h
                    .assessed_per_capita
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                estimated: h.estimated_per_capita,
                working: h.working_members,
                up: h.crossed == "up",
            })
            .collect(),
        subsidy: subsidy
            .iter()
            .map(|s| SubsidyLine {
                worker: s.worker_name.clone(),
                place: name(&s.home_region),
                registry_number: s.household_registry_number.clone(),
                employer: s.evidence.employer_name.clone(),
                months: s.evidence.months_employed,
                wage: s
                    .evidence
                    .monthly_wage
                    .map(|w| w.to_string())
                    .unwrap_or_default(),
                evidence: s.evidence.evidence_ref.clone(),
            })
            .collect(),
    })
}

fn write_csv(header: &[&str], rows: Vec<Vec<String>>) -> Result<Vec<u8>, PageError> {
    let mut out = vec![0xEF, 0xBB, 0xBF];
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(header)
            .map_err(|e| PageError::Api(ApiError::internal(e)))?;
        for r in rows {
            w.write_record(&r)
                .map_err(|e| PageError::Api(ApiError::internal(e)))?;
        }
        w.flush()
            .map_err(|e| PageError::Api(ApiError::internal(e)))?;
    }
    Ok(out)
}

async fn households_csv(
    state: web::Data<AppState>,
    viewer: Viewer,
) -> Result<HttpResponse, PageError> {
    let user = require::<OfficerOrAdmin>(&viewer)?;
    let rows =
        reports::households_crossing(&state, user, state.settings.monitoring_line_yuan).await?;
    let body = write_csv(
        &[
            "registry_number",
            "county_code",
            "village",
            "status",
            "member_count",
            "assessed_per_capita",
            "estimated_per_capita",
            "working_members",
            "crossed",
        ],
        rows.into_iter()
            .map(|h| {
                vec![
                    h.registry_number,
                    h.county_code,
                    h.village,
                    h.status,
                    h.member_count.to_string(),
                    h.assessed_per_capita
                        .map(|v| v.to_string())
                        .unwrap_or_default(),
                    h.estimated_per_capita.to_string(),
                    h.working_members.to_string(),
                    h.crossed,
                ]
            })
            .collect(),
    )?;
    Ok(csv_answer(body, "household-outcomes.csv"))
}

async fn subsidy_csv(
    state: web::Data<AppState>,
    viewer: Viewer,
) -> Result<HttpResponse, PageError> {
    let user = require::<OfficerOrAdmin>(&viewer)?;
    let rows = reports::subsidy_eligibility(&state, user).await?;
    let body = write_csv(
        &[
            "worker_id",
            "worker_name",
            "home_region",
            "household_registry_number",
            "rule",
            "placement_id",
            "employer_name",
            "work_region",
            "start_date",
            "months_employed",
            "monthly_wage",
            "evidence_ref",
        ],
        rows.into_iter()
            .map(|s| {
                vec![
                    s.worker_id.to_string(),
                    s.worker_name,
                    s.home_region,
                    s.household_registry_number,
                    s.rule,
                    s.evidence.placement_id.to_string(),
                    s.evidence.employer_name,
                    s.evidence.work_region,
                    s.evidence.start_date.to_string(),
                    s.evidence.months_employed.to_string(),
                    s.evidence
                        .monthly_wage
                        .map(|w| w.to_string())
                        .unwrap_or_default(),
                    s.evidence.evidence_ref,
                ]
            })
            .collect(),
    )?;
    Ok(csv_answer(body, "subsidy-eligibility.csv"))
}
