//! Admin pages: accounts (disable, enable), officers, organizations with their invitations,
//! the year's targets, and the index (status, reindex). Each calls the service behind the
//! matching `/api/v1` route; the services ask the policy (`may_administer`, `may_set_targets`,
//! `may_set_disabled`...).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Datelike;
use serde::Deserialize;

use super::officer::{text_field, TextField};
use super::staff::{field_errors, Choice, StaffLayout};
use super::staff_text::{reason, staff_text};
use super::{render, render_status, require, see_other, FieldErrors, PageError, PageForm, Viewer};
use crate::auth::{policy, AdminOnly};
use crate::db::targets::{Target, TargetInput};
use crate::db::{reference, targets as target_rows};
use crate::domain::RegionFilter;
use crate::error::{ApiError, ErrorCode};
use crate::search::IndexStatus;
use crate::services::accounts::{self, AccountView, CreateOfficerRequest};
use crate::services::organizations::{
    self, CreateInvitationRequest, CreateOrganizationRequest, InvitationView,
};
use crate::services::{admin, targets};
use crate::state::AppState;
use crate::validate;

pub fn mount(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(admin_page))
        .route("/admin/reindex", web::post().to(reindex_submit))
        .route("/admin/accounts", web::get().to(accounts_page))
        .route(
            "/admin/accounts/{id}/disable",
            web::post().to(disable_submit),
        )
        .route("/admin/accounts/{id}/enable", web::post().to(enable_submit))
        .route("/admin/officers", web::post().to(officer_submit))
        .route("/admin/organizations", web::get().to(organizations_page))
        .route("/admin/organizations", web::post().to(organization_submit))
        .route(
            "/admin/organizations/{id}/invitations",
            web::post().to(invitation_submit),
        )
        .route("/admin/targets", web::get().to(targets_page))
        .route("/admin/targets", web::post().to(target_submit));
}

fn id_of(raw: &str) -> Result<i64, PageError> {
    raw.parse().map_err(|_| PageError::NotFound)
}

fn message(lang: crate::i18n::Lang, e: &ApiError) -> String {
    e.details
        .first()
        .map(|d| reason(lang, &d.reason))
        .unwrap_or_else(|| e.body(lang).message)
}

#[derive(Deserialize)]
pub struct Nothing {}

// The index ------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "staff/admin.html")]
pub struct AdminPage {
    pub l: StaffLayout,
    pub index: IndexStatus,
    pub reindexed: Option<crate::search::indexer::ReindexReport>,
}

async fn admin_page(state: web::Data<AppState>, viewer: Viewer) -> Result<HttpResponse, PageError> {
    let user = require::<AdminOnly>(&viewer)?;
    policy::may_administer(user)?;
    render(&AdminPage {
        l: StaffLayout::new(&viewer).with_htmx(),
        index: state.search.status(),
        reindexed: None,
    })
}

/// Rebuilds the index (as `POST /admin/reindex`) and shows what it built; the page shows a
/// progress bar while the rebuild runs (htmx), or simply waits for it without JavaScript.
async fn reindex_submit(
    state: web::Data<AppState>,
    viewer: Viewer,
    _form: PageForm<Nothing>,
) -> Result<HttpResponse, PageError> {
    let user = require::<AdminOnly>(&viewer)?;
    policy::may_administer(user)?;
    let report = state.search.reindex().await?;
    render(&AdminPage {
        l: StaffLayout::new(&viewer).with_htmx(),
        index: state.search.status(),
        reindexed: Some(report),
    })
}

// Accounts and officers -----------------------------------------------------------------------

pub struct AccountLine {
    pub a: AccountView,
    pub role: &'static str,
}

#[derive(Template)]
#[template(path = "staff/accounts.html")]
pub struct AccountsPage {
    pub l: StaffLayout,
    pub q: String,
    pub accounts: Vec<AccountLine>,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub officer: OfficerFields,
    pub officer_errors: FieldErrors,
    pub officer_fields: Vec<TextField>,
}

#[derive(Deserialize, Default)]
pub struct AccountsQuery {
    #[serde(default)]
    pub q: String,
    pub done: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct OfficerFields {
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub region_code: String,
}

fn role_word(s: &super::staff_text::StaffText, role: crate::auth::Role) -> &'static str {
    match role {
        crate::auth::Role::Worker => s.role_worker,
        crate::auth::Role::Center => s.role_center,
        crate::auth::Role::Employer => s.role_employer,
        crate::auth::Role::Officer => s.role_officer,
        crate::auth::Role::Admin => s.role_admin,
    }
}

async fn accounts_view(
    state: &AppState,
    viewer: &Viewer,
    q: String,
    notice: Option<String>,
    error: Option<String>,
    officer: OfficerFields,
    officer_errors: FieldErrors,
) -> Result<AccountsPage, PageError> {
    let user = require::<AdminOnly>(viewer)?;
    let s = staff_text(viewer.lang);
    let list = admin::accounts(state, user, Some(&q), None).await?;
    let t = super::text::text(viewer.lang);
    let officer_fields = vec![
        text_field("phone", t.phone, &officer.phone),
        text_field("password", t.password, ""),
        text_field("display_name", s.display_name, &officer.display_name),
        text_field("region_code", s.region_code, &officer.region_code),
    ];
    Ok(AccountsPage {
        officer_fields,
        l: StaffLayout::new(viewer),
        accounts: list
            .into_iter()
            .map(|a| AccountLine {
                role: role_word(s, a.role),
                a,
            })
            .collect(),
        q,
        notice,
        error,
        officer: OfficerFields {
            password: String::new(),
            ..officer
        },
        officer_errors,
    })
}

async fn accounts_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<AccountsQuery>,
) -> Result<HttpResponse, PageError> {
    let s = staff_text(viewer.lang);
    let notice = query.done.as_ref().map(|_| s.saved_notice.to_string());
    render(
        &accounts_view(
            &state,
            &viewer,
            query.q.clone(),
            notice,
            None,
            OfficerFields::default(),
            FieldErrors::default(),
        )
        .await?,
    )
}

async fn set_disabled(
    state: &AppState,
    viewer: &Viewer,
    raw: &str,
    disabled: bool,
) -> Result<HttpResponse, PageError> {
    let user = require::<AdminOnly>(viewer)?;
    let id = id_of(raw)?;
    match accounts::set_disabled(state, user, id, disabled).await {
        Ok(_) => Ok(see_other("/admin/accounts?done=1")),
        Err(e) if e.code == ErrorCode::Conflict => {
            let page = accounts_view(
                state,
                viewer,
                String::new(),
                None,
                Some(e.body(viewer.lang).message),
                OfficerFields::default(),
                FieldErrors::default(),
            )
            .await?;
            render_status(StatusCode::CONFLICT, &page)
        }
        Err(e) => Err(e.into()),
    }
}

async fn disable_submit(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
    _form: PageForm<Nothing>,
) -> Result<HttpResponse, PageError> {
    set_disabled(&state, &viewer, &path, true).await
}

async fn enable_submit(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
    _form: PageForm<Nothing>,
) -> Result<HttpResponse, PageError> {
    set_disabled(&state, &viewer, &path, false).await
}

async fn officer_submit(
    state: web::Data<AppState>,
    viewer: Viewer,
    form: PageForm<OfficerFields>,
) -> Result<HttpResponse, PageError> {
    let user = require::<AdminOnly>(&viewer)?;
    let f = form.fields;
    let req = CreateOfficerRequest {
        phone: f.phone.clone(),
        password: f.password.clone(),
        display_name: f.display_name.clone(),
        region_code: f.region_code.trim().to_string(),
    };
    match accounts::create_officer(&state, user, req).await {
        Ok(_) => Ok(see_other("/admin/accounts?done=1")),
        Err(e) if e.code.status().is_client_error() => {
            let mut errors = field_errors(viewer.lang, &e.details, &[]);
            if errors.is_empty() {
                errors.add("phone", e.body(viewer.lang).message);
            }
            let status = e.code.status();
            let page = accounts_view(&state, &viewer, String::new(), None, None, f, errors).await?;
            render_status(status, &page)
        }
        Err(e) => Err(e.into()),
    }
}

// Organizations and invitations ---------------------------------------------------------------

pub struct OrgLine {
    pub id: i64,
    pub kind: &'static str,
    pub name: String,
    pub place: String,
}

#[derive(Template)]
#[template(path = "staff/organizations.html")]
pub struct OrganizationsPage {
    pub l: StaffLayout,
    pub orgs: Vec<OrgLine>,
    pub f: OrgFields,
    pub errors: FieldErrors,
    pub kinds: Vec<Choice>,
    /// A new invitation, shown once: (organization name, invitation).
    pub invitation: Option<(String, InvitationView)>,
    pub org_fields: Vec<TextField>,
}

#[derive(Deserialize, Default, Clone)]
pub struct OrgFields {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub credit_code: String,
    #[serde(default)]
    pub region_code: String,
    #[serde(default)]
    pub address: String,
}

async fn organizations_view(
    state: &AppState,
    viewer: &Viewer,
    f: OrgFields,
    errors: FieldErrors,
    invitation: Option<(String, InvitationView)>,
) -> Result<OrganizationsPage, PageError> {
    let user = require::<AdminOnly>(viewer)?;
    let s = staff_text(viewer.lang);
    let list = admin::organizations(state, user).await?;
    let client = state.pool.get().await?;
    let codes: Vec<String> = list.iter().map(|o| o.region_code.clone()).collect();
    let names = reference::region_names(&client, &codes).await?;
    let kinds = [("center", s.kind_center), ("employer", s.kind_employer)]
        .into_iter()
        .map(|(v, label)| Choice::new(v.into(), label.into(), &f.kind))
        .collect();
    Ok(OrganizationsPage {
        org_fields: vec![
            text_field("name", s.org_name, &f.name),
            text_field("credit_code", s.credit_code, &f.credit_code),
            text_field("region_code", s.region_code, &f.region_code),
            text_field("address", s.address, &f.address),
        ],
        l: StaffLayout::new(viewer),
        orgs: list
            .into_iter()
            .map(|o| OrgLine {
                kind: if o.kind == "center" {
                    s.kind_center
                } else {
                    s.kind_employer
                },
                place: names
                    .get(&o.region_code)
                    .cloned()
                    .unwrap_or_else(|| o.region_code.clone()),
                id: o.id,
                name: o.name,
            })
            .collect(),
        f,
        errors,
        kinds,
        invitation,
    })
}

async fn organizations_page(
    state: web::Data<AppState>,
    viewer: Viewer,
) -> Result<HttpResponse, PageError> {
    let f = OrgFields {
        kind: "center".into(),
        ..Default::default()
    };
    render(&organizations_view(&state, &viewer, f, FieldErrors::default(), None).await?)
}

async fn organization_submit(
    state: web::Data<AppState>,
    viewer: Viewer,
    form: PageForm<OrgFields>,
) -> Result<HttpResponse, PageError> {
    let user = require::<AdminOnly>(&viewer)?;
    let f = form.fields;
    let credit = f.credit_code.trim();
    let req = CreateOrganizationRequest {
        kind: f.kind.clone(),
        name: f.name.clone(),
        credit_code: (!credit.is_empty()).then(|| credit.to_string()),
        region_code: f.region_code.trim().to_string(),
        address: f.address.clone(),
    };
    match organizations::create(&state, user, &req).await {
        // The invitation code is shown once, so the answer is the page itself (no redirect).
        Ok(created) => {
            let invitation = Some((created.organization.name.clone(), created.invitation));
            let page = organizations_view(
                &state,
                &viewer,
                OrgFields {
                    kind: "center".into(),
                    ..Default::default()
                },
                FieldErrors::default(),
                invitation,
            )
            .await?;
            render(&page)
        }
        Err(e) if e.code.status().is_client_error() => {
            let mut errors = field_errors(viewer.lang, &e.details, &[]);
            if errors.is_empty() {
                errors.add("name", e.body(viewer.lang).message);
            }
            let status = e.code.status();
            render_status(
                status,
                &organizations_view(&state, &viewer, f, errors, None).await?,
            )
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct InviteFields {
    #[serde(default)]
    pub org_admin: Option<String>,
}

async fn invitation_submit(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
    form: PageForm<InviteFields>,
) -> Result<HttpResponse, PageError> {
    let user = require::<AdminOnly>(&viewer)?;
    let id = id_of(&path)?;
    let req = CreateInvitationRequest {
        org_admin: form.fields.org_admin.is_some(),
    };
    let org = organizations::get(&state, user, id).await?;
    let invitation = organizations::invite(&state, user, id, &req).await?;
    let page = organizations_view(
        &state,
        &viewer,
        OrgFields {
            kind: "center".into(),
            ..Default::default()
        },
        FieldErrors::default(),
        Some((org.name, invitation)),
    )
    .await?;
    render(&page)
}

// Targets ------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "staff/targets.html")]
pub struct TargetsPage {
    pub l: StaffLayout,
    pub year: i32,
    pub targets: Vec<(String, Target)>,
    pub f: TargetFields,
    pub errors: FieldErrors,
    pub saved: bool,
    pub target_fields: Vec<TextField>,
}

#[derive(Deserialize, Default, Clone)]
pub struct TargetFields {
    #[serde(default)]
    pub county_code: String,
    #[serde(default)]
    pub year: String,
    #[serde(default)]
    pub people_out_of_poverty: String,
    #[serde(default)]
    pub workers_to_place: String,
}

#[derive(Deserialize, Default)]
pub struct TargetsQuery {
    pub year: Option<i32>,
    pub saved: Option<String>,
}

async fn targets_view(
    state: &AppState,
    viewer: &Viewer,
    year: i32,
    f: TargetFields,
    errors: FieldErrors,
    saved: bool,
) -> Result<TargetsPage, PageError> {
    let user = require::<AdminOnly>(viewer)?;
    policy::may_set_targets(user)?;
    let client = state.pool.get().await?;
    let list = target_rows::list(&client, &RegionFilter::All, year).await?;
    let codes: Vec<String> = list.iter().map(|t| t.county_code.clone()).collect();
    let names = reference::region_names(&client, &codes).await?;
    let s = staff_text(viewer.lang);
    Ok(TargetsPage {
        target_fields: vec![
            text_field("county_code", s.county_code_label, &f.county_code),
            text_field("year", s.year, &f.year),
            text_field(
                "people_out_of_poverty",
                s.people_target,
                &f.people_out_of_poverty,
            ),
            text_field("workers_to_place", s.placements_target, &f.workers_to_place),
        ],
        l: StaffLayout::new(viewer),
        year,
        targets: list
            .into_iter()
            .map(|t| {
                (
                    names
                        .get(&t.county_code)
                        .cloned()
                        .unwrap_or_else(|| t.county_code.clone()),
                    t,
                )
            })
            .collect(),
        f,
        errors,
        saved,
    })
}

async fn targets_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<TargetsQuery>,
) -> Result<HttpResponse, PageError> {
    let year = query.year.unwrap_or_else(|| validate::today().year());
    let f = TargetFields {
        year: year.to_string(),
        ..Default::default()
    };
    render(
        &targets_view(
            &state,
            &viewer,
            year,
            f,
            FieldErrors::default(),
            query.saved.is_some(),
        )
        .await?,
    )
}

async fn target_submit(
    state: web::Data<AppState>,
    viewer: Viewer,
    form: PageForm<TargetFields>,
) -> Result<HttpResponse, PageError> {
    let user = require::<AdminOnly>(&viewer)?;
    let f = form.fields;
    let mut problems = Vec::new();
    let mut num = |raw: &str, field: &str| -> i32 {
        raw.trim().replace(',', "").parse().unwrap_or_else(|_| {
            problems.push(crate::error::FieldError {
                field: field.into(),
                reason: if raw.trim().is_empty() {
                    "must_not_be_empty"
                } else {
                    "not_a_number"
                }
                .into(),
            });
            0
        })
    };
    let year = num(&f.year, "year");
    let input = TargetInput {
        people_out_of_poverty: num(&f.people_out_of_poverty, "people_out_of_poverty"),
        workers_to_place: num(&f.workers_to_place, "workers_to_place"),
    };
    let outcome = if problems.is_empty() {
        // The form sets the values typed (the table above shows what is there), not an edit of
        // a record read earlier, so it expects nothing.
        targets::set(
            &state,
            user,
            f.county_code.trim(),
            year,
            &input,
            targets::Expect::Anything,
        )
        .await
    } else {
        Err(ApiError::validation(problems))
    };
    match outcome {
        Ok(t) => Ok(see_other(&format!(
            "/admin/targets?year={}&saved=1",
            t.year
        ))),
        Err(e) if e.code == ErrorCode::ValidationFailed => {
            let errors = field_errors(viewer.lang, &e.details, &[]);
            let shown = if (2000..=2100).contains(&year) {
                year
            } else {
                validate::today().year()
            };
            let page = targets_view(&state, &viewer, shown, f, errors, false).await?;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => {
            let _ = message(viewer.lang, &e);
            Err(e.into())
        }
    }
}
