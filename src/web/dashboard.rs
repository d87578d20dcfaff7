//! The outcome dashboard for program staff: officers see their region, admins everything with
//! a region choice. Grouped by county, village, course, center, employer or occupation over a
//! chosen period: placements, retention at 1/3/6/12 months, median and quartile wages,
//! households whose estimated income crossed the line. The figures are
//! `services::reports::outcomes`, the very function behind `GET /api/v1/stats/outcomes`: one
//! computation, two faces. Each chart has a table of the same figures and a CSV download; with
//! JavaScript off the tables and the CSV are the dashboard.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use super::staff::{Choice, StaffLayout};
use super::staff_text::{reason, staff_text};
use super::{assets, render_status, require, FieldErrors, PageError, Viewer};
use crate::auth::policy::{self, Scope};
use crate::auth::{OfficerOrAdmin, Principal};
use crate::db::reports::{GroupBy, OutcomeRow};
use crate::db::{reference, regions};
use crate::domain::RegionCode;
use crate::services::{reports, targets};
use crate::state::AppState;
use crate::validate;

pub fn mount(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard", web::get().to(dashboard_page))
        .route("/dashboard.csv", web::get().to(dashboard_csv));
}

pub const GROUPS: [&str; 6] = [
    "county",
    "village",
    "course",
    "center",
    "employer",
    "occupation",
];

#[derive(Deserialize, Default, Clone)]
pub struct Filters {
    #[serde(default)]
    pub group_by: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub region: String,
}

/// The filters read as the API reads its query (defaults: by county, this year so far).
pub struct Chosen {
    pub group_by: GroupBy,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub region: Option<RegionCode>,
}

fn read_filters(f: &Filters, today: NaiveDate) -> (Chosen, Vec<(&'static str, &'static str)>) {
    let mut problems = Vec::new();
    let group_by = if f.group_by.is_empty() {
        GroupBy::County
    } else {
        GroupBy::parse(&f.group_by).unwrap_or_else(|| {
            problems.push(("group_by", "unknown_group_by"));
            GroupBy::County
        })
    };
    let year_start = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let date = |raw: &str, field: &'static str, default: NaiveDate, problems: &mut Vec<_>| {
        if raw.trim().is_empty() {
            return default;
        }
        NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").unwrap_or_else(|_| {
            problems.push((field, "not_a_date"));
            default
        })
    };
    let from = date(&f.from, "from", year_start, &mut problems);
    let to = date(&f.to, "to", today, &mut problems);
    if to < from {
        problems.push(("to", "before_from"));
    }
    let region = if f.region.trim().is_empty() {
        None
    } else {
        match RegionCode::parse(f.region.trim()) {
            Ok(r) => Some(r),
            Err(_) => {
                problems.push(("region", "unknown_region"));
                None
            }
        }
    };
    (
        Chosen {
            group_by,
            from,
            to,
            region,
        },
        problems,
    )
}

/// A group's figures as the tables show them.
pub struct Line {
    pub name: String,
    pub r: OutcomeRow,
}

impl Line {
    pub fn pct(v: &Option<f64>) -> String {
        v.map(|x| format!("{:.0}%", x * 100.0))
            .unwrap_or_else(|| "–".into())
    }

    pub fn yuan(v: &Option<f64>) -> String {
        v.map(|x| format!("{x:.0}")).unwrap_or_else(|| "–".into())
    }
}

/// Names in words for the groups of `rows`.
pub async fn group_names(
    state: &AppState,
    group_by: GroupBy,
    rows: &[OutcomeRow],
) -> Result<HashMap<String, String>, PageError> {
    let client = state.pool.get().await?;
    let groups: Vec<String> = rows.iter().map(|r| r.group.clone()).collect();
    let ids: Vec<i64> = groups.iter().filter_map(|g| g.parse().ok()).collect();
    let mut out = HashMap::new();
    match group_by {
        GroupBy::County => out = reference::region_names(&client, &groups).await?,
        GroupBy::Village => {
            let codes: Vec<String> = groups
                .iter()
                .filter_map(|g| g.split_once(' ').map(|(c, _)| c.to_string()))
                .collect();
            let names = reference::region_names(&client, &codes).await?;
            for g in &groups {
                if let Some((code, village)) = g.split_once(' ') {
                    if let Some(n) = names.get(code) {
                        out.insert(g.clone(), format!("{n} {village}"));
                    }
                }
            }
        }
        GroupBy::Course => {
            for (id, t) in regions::course_titles(&client, &ids).await? {
                out.insert(id.to_string(), t);
            }
        }
        GroupBy::Center | GroupBy::Employer => {
            for (id, n) in regions::organization_names(&client, &ids).await? {
                out.insert(id.to_string(), n);
            }
        }
        GroupBy::Occupation => out = reference::occupation_names(&client, &groups).await?,
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "staff/dashboard.html")]
pub struct DashboardPage {
    pub l: StaffLayout,
    pub f: Filters,
    pub errors: FieldErrors,
    pub groups: Vec<Choice>,
    pub regions: Vec<Choice>,
    pub lines: Vec<Line>,
    pub csv_href: String,
    pub data_json: String,
    pub period: String,
    /// The year's targets: the year and a line per county and measure, then the provinces.
    pub targets: Option<(i32, Vec<TargetRow>)>,
}

pub struct TargetRow {
    pub region: String,
    pub measure: &'static str,
    pub pace: crate::domain::targets::Pace,
}

async fn target_rows(
    state: &AppState,
    lang: crate::i18n::Lang,
    progress: targets::Progress,
) -> Result<(i32, Vec<TargetRow>), PageError> {
    let s = staff_text(lang);
    let codes: Vec<String> = progress
        .counties
        .iter()
        .chain(progress.provinces.iter())
        .map(|c| c.region_code.clone())
        .collect();
    let client = state.pool.get().await?;
    let names = reference::region_names(&client, &codes).await?;
    let mut rows = Vec::new();
    for (c, total) in progress
        .counties
        .iter()
        .map(|c| (c, false))
        .chain(progress.provinces.iter().map(|c| (c, true)))
    {
        let mut region = names
            .get(&c.region_code)
            .cloned()
            .unwrap_or_else(|| c.region_code.clone());
        if total {
            region = format!("{region}（{}）", s.province_total);
        }
        rows.push(TargetRow {
            region: region.clone(),
            measure: s.people_target,
            pace: c.people,
        });
        rows.push(TargetRow {
            region,
            measure: s.placements_target,
            pace: c.placements,
        });
    }
    Ok((progress.year, rows))
}

/// The regions a viewer may narrow to: an officer's own region and the counties in it;
/// provinces and prefectures for an admin, and once she has narrowed to a prefecture (or a
/// county), the counties of that prefecture under it, so she can go down to one county.
async fn region_choices(
    state: &AppState,
    p: &Principal,
    selected: &str,
) -> Result<Vec<Choice>, PageError> {
    let client = state.pool.get().await?;
    let list = match policy::scope(p) {
        Scope::Region(r) => {
            let mut list = Vec::new();
            if r.as_str().ends_with("00") {
                let names = reference::region_names(&client, &[r.as_str().to_string()]).await?;
                list.push((
                    r.as_str().to_string(),
                    names.get(r.as_str()).cloned().unwrap_or_default(),
                ));
            }
            list.extend(regions::counties_within(&client, r.as_str()).await?);
            list
        }
        _ => {
            let mut list = regions::provinces_and_prefectures(&client).await?;
            if let Some(prefecture) = prefecture_of(selected) {
                if let Some(at) = list.iter().position(|(code, _)| *code == prefecture) {
                    let counties = regions::counties_within(&client, &prefecture).await?;
                    list.splice(at + 1..at + 1, counties);
                }
            }
            list
        }
    };
    Ok(list
        .into_iter()
        .map(|(code, name)| Choice::new(code, name, selected))
        .collect())
}

/// The prefecture a region code lies in (itself for a prefecture); none for a province or
/// anything that is not a region code.
fn prefecture_of(code: &str) -> Option<String> {
    let code = crate::domain::RegionCode::parse(code).ok()?;
    code.lineage().get(1).cloned()
}

fn query_string(f: &Filters, c: &Chosen) -> String {
    let mut q = format!(
        "group_by={}&from={}&to={}",
        f.group_by_or_default(),
        c.from,
        c.to
    );
    if let Some(r) = &c.region {
        q.push_str(&format!("&region={}", r.as_str()));
    }
    q
}

impl Filters {
    fn group_by_or_default(&self) -> &str {
        if GROUPS.contains(&self.group_by.as_str()) {
            &self.group_by
        } else {
            "county"
        }
    }
}

async fn dashboard_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<Filters>,
) -> Result<HttpResponse, PageError> {
    let user = require::<OfficerOrAdmin>(&viewer)?;
    let s = staff_text(viewer.lang);
    let today = validate::today();
    let mut f = query.into_inner();
    let (chosen, problems) = read_filters(&f, today);
    let mut errors = FieldErrors::default();
    for (field, r) in &problems {
        errors.add(field, reason(viewer.lang, r));
    }
    let rows = if problems.is_empty() {
        match reports::outcomes(
            &state,
            user,
            chosen.region.clone(),
            chosen.from,
            chosen.to,
            chosen.group_by,
            today,
        )
        .await
        {
            Ok(rows) => rows,
            Err(e) if e.code.status() == StatusCode::FORBIDDEN => {
                errors.add("region", reason(viewer.lang, "outside_your_region"));
                Vec::new()
            }
            Err(e) => return Err(e.into()),
        }
    } else {
        Vec::new()
    };
    let names = group_names(&state, chosen.group_by, &rows).await?;
    let lines: Vec<Line> = rows
        .into_iter()
        .map(|r| Line {
            name: names
                .get(&r.group)
                .cloned()
                .unwrap_or_else(|| r.group.clone()),
            r,
        })
        .collect();
    let data = serde_json::json!({
        "groups": lines.iter().map(|l| l.name.clone()).collect::<Vec<_>>(),
        "placed": lines.iter().map(|l| l.r.placed).collect::<Vec<_>>(),
        "households": lines.iter().map(|l| l.r.households_crossed_up).collect::<Vec<_>>(),
        "r1": lines.iter().map(|l| l.r.retention_1m).collect::<Vec<_>>(),
        "r3": lines.iter().map(|l| l.r.retention_3m).collect::<Vec<_>>(),
        "r6": lines.iter().map(|l| l.r.retention_6m).collect::<Vec<_>>(),
        "r12": lines.iter().map(|l| l.r.retention_12m).collect::<Vec<_>>(),
        "p25": lines.iter().map(|l| l.r.wage_p25).collect::<Vec<_>>(),
        "median": lines.iter().map(|l| l.r.median_wage).collect::<Vec<_>>(),
        "p75": lines.iter().map(|l| l.r.wage_p75).collect::<Vec<_>>(),
        "labels": {
            "group": s.group, "placed": s.placed, "households": s.households_up,
            "r1": s.retention_1m, "r3": s.retention_3m, "r6": s.retention_6m, "r12": s.retention_12m,
            "p25": s.wage_p25, "median": s.wage_median, "p75": s.wage_p75
        }
    });
    // Inside a <script> element: no "<" may close it early.
    let data_json = data.to_string().replace('<', "\\u003c");
    if f.group_by.is_empty() {
        f.group_by = "county".into();
    }
    let csv_href = format!("/dashboard.csv?{}", query_string(&f, &chosen));
    let group_words = [
        s.by_county,
        s.by_village,
        s.by_course,
        s.by_center,
        s.by_employer,
        s.by_occupation,
    ];
    let groups = GROUPS
        .iter()
        .zip(group_words)
        .map(|(v, label)| Choice::new(v.to_string(), label.to_string(), &f.group_by))
        .collect();
    let regions = region_choices(&state, user, &f.region).await?;
    let targets =
        match targets::progress(&state, user, today.year(), chosen.region.clone(), today).await {
            Ok(p) => Some(target_rows(&state, viewer.lang, p).await?),
            Err(_) => None,
        };
    let mut l = StaffLayout::new(&viewer);
    l.charts = Some((
        &assets::URLS.chart_css,
        &assets::URLS.chart_js,
        &assets::URLS.dashboard_js,
    ));
    let page = DashboardPage {
        l,
        period: format!("{} – {}", chosen.from, chosen.to),
        f,
        errors,
        groups,
        regions,
        lines,
        csv_href,
        data_json,
        targets,
    };
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(status, &page)
}

/// The dashboard's figures as CSV: the API's columns, with each group's name.
async fn dashboard_csv(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<Filters>,
) -> Result<HttpResponse, PageError> {
    let user = require::<OfficerOrAdmin>(&viewer)?;
    let today = validate::today();
    let (chosen, problems) = read_filters(&query, today);
    if let Some((field, r)) = problems.first() {
        return Err(PageError::Api(crate::error::ApiError::field(*field, *r)));
    }
    let rows = reports::outcomes(
        &state,
        user,
        chosen.region,
        chosen.from,
        chosen.to,
        chosen.group_by,
        today,
    )
    .await?;
    let names = group_names(&state, chosen.group_by, &rows).await?;
    let mut body = vec![0xEF, 0xBB, 0xBF];
    body.extend(reports::outcomes_csv(&rows, &|g| {
        names.get(g).cloned().unwrap_or_default()
    })?);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"outcomes.csv\"",
        ))
        .body(body))
}
