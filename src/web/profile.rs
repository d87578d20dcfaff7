//! A worker's own profile: the view, and the form that creates or replaces it through
//! `save_own_profile` (the function behind `PUT /me/worker`).
//!
//! The form works without JavaScript: the region pickers and the occupation search re-render the
//! form (`intent=refresh` / `intent=find`) with what was typed kept; with htmx the same
//! fragments are swapped in place as the person chooses or types.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::text::{reason, text, Text};
use super::{
    render, render_status, require, see_other, FieldErrors, Layout, PageError, PageForm, Viewer,
};
use crate::auth::WorkerOnly;
use crate::db::reference;
use crate::db::workers::{SkillInput, Worker, WorkerInput};
use crate::error::ErrorCode;
use crate::i18n::Lang;
use crate::routes::matching::suggest;
use crate::search::suggest::Granularity;
use crate::services::workers::save_mine;

/// The caller's own profile as stored (the form needs the fields the view hides), behind the
/// same policy question as `GET /me/worker`.
async fn own_profile(
    state: &AppState,
    p: &crate::auth::Principal,
) -> Result<Option<Worker>, PageError> {
    crate::auth::policy::may_keep_own_profile(p)?;
    let client = state.pool.get().await?;
    Ok(crate::db::workers::find_by_account(&client, p.account_id).await?)
}
use crate::state::AppState;
use crate::validate::EDUCATION_LEVELS;

#[derive(Template)]
#[template(path = "profile.html")]
pub struct ProfilePage {
    pub l: Layout,
    pub j: &'static super::jobs_text::JobsText,
    pub saved: bool,
    pub claimed: bool,
    /// The matches link, waiting for the save just made to be searchable.
    pub matches_href: String,
    pub worker: Option<ProfileView>,
}

/// A profile in words.
pub struct ProfileView {
    pub name: String,
    pub gender: &'static str,
    pub birth_year: i32,
    pub education: &'static str,
    pub home: String,
    pub destinations: String,
    pub min_wage: i32,
    pub available_from: Option<NaiveDate>,
    pub status: &'static str,
    pub skills: Vec<SkillLine>,
}

pub struct SkillLine {
    pub name: String,
    pub certified: bool,
    pub years: f32,
    pub level: Option<i16>,
    pub certificate_number: Option<String>,
}

fn gender_word(t: &Text, g: &str) -> &'static str {
    match g {
        "male" => t.gender_male,
        "female" => t.gender_female,
        _ => t.gender_other,
    }
}

fn status_word(t: &Text, s: &str) -> &'static str {
    match s {
        "placed" => t.status_placed,
        "unavailable" => t.status_unavailable,
        _ => t.status_available,
    }
}

/// Education levels in words, in the order of the API's list.
pub fn education_word(lang: Lang, code: &str) -> &'static str {
    let (zh, en) = match code {
        "none" => ("未上学", "No schooling"),
        "primary" => ("小学", "Primary school"),
        "junior_high" => ("初中", "Junior high school"),
        "senior_high" => ("高中", "Senior high school"),
        "vocational" => ("中专 / 技校", "Vocational school"),
        "college" => ("大专", "College"),
        "bachelor" => ("本科", "Bachelor's degree"),
        "postgraduate" => ("研究生", "Postgraduate"),
        _ => ("不详", "Not given"),
    };
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

pub async fn view_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    let user = require::<WorkerOnly>(&viewer)?;
    let t = text(viewer.lang);
    let worker = match own_profile(&state, user).await? {
        None => None,
        Some(w) => {
            let mut codes = vec![w.home_region.clone()];
            codes.extend(w.destinations.iter().cloned());
            let client = state.pool.get().await?;
            let names = reference::region_names(&client, &codes).await?;
            let name_of = |c: &String| names.get(c).cloned().unwrap_or_else(|| c.clone());
            let mut dest: Vec<String> = w.destinations.iter().map(name_of).collect();
            if w.accept_anywhere {
                dest.insert(0, t.anywhere.to_string());
            }
            Some(ProfileView {
                gender: gender_word(t, &w.gender),
                education: education_word(viewer.lang, &w.education),
                home: name_of(&w.home_region),
                destinations: dest.join("、"),
                status: status_word(t, &w.status),
                skills: w
                    .skills
                    .iter()
                    .map(|s| SkillLine {
                        name: s.occupation_name.clone(),
                        certified: s.source == "certified",
                        years: s.years_experience,
                        level: s.level,
                        certificate_number: s.certificate_number.clone(),
                    })
                    .collect(),
                name: w.name,
                birth_year: w.birth_year,
                min_wage: w.min_wage,
                available_from: w.available_from,
            })
        }
    };
    let matches_href = match super::matches::after_change(&query) {
        Some(c) => format!("/me/matches?after_change={c}"),
        None => "/me/matches".to_string(),
    };
    render(&ProfilePage {
        l: Layout::new(&viewer),
        j: super::jobs_text::jobs_text(viewer.lang),
        saved: query.contains_key("saved"),
        claimed: query.contains_key("claimed"),
        matches_href,
        worker,
    })
}

/// One `<option>`.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn options(items: Vec<(String, String)>, selected: &str) -> Vec<Opt> {
    items
        .into_iter()
        .map(|(value, label)| Opt {
            selected: value == selected,
            value,
            label,
        })
        .collect()
}

/// Province → prefecture → county selects, for one field (`home`, or `add` for a destination).
#[derive(Template)]
#[template(path = "partials/region_picker.html")]
pub struct RegionPicker {
    pub t: &'static Text,
    pub prefix: String,
    pub legend: &'static str,
    pub hint: &'static str,
    pub provinces: Vec<Opt>,
    pub prefectures: Vec<Opt>,
    pub counties: Vec<Opt>,
    pub error: Option<String>,
}

/// Builds a picker from the chosen codes, dropping a choice that does not lie in its parent
/// (the province was changed after the city was chosen).
pub(crate) async fn region_picker_for(
    client: &impl deadpool_postgres::GenericClient,
    t: &'static Text,
    prefix: &str,
    legend: &'static str,
    hint: &'static str,
    chosen: [&str; 3],
) -> Result<RegionPicker, PageError> {
    let [p, c, x] = chosen;
    let provinces = reference::region_children(client, None).await?;
    let p = if provinces.iter().any(|(code, _)| code == p) {
        p
    } else {
        ""
    };
    let prefectures = if p.is_empty() {
        Vec::new()
    } else {
        reference::region_children(client, Some(p)).await?
    };
    let c = if prefectures.iter().any(|(code, _)| code == c) {
        c
    } else {
        ""
    };
    let counties = if c.is_empty() {
        Vec::new()
    } else {
        reference::region_children(client, Some(c)).await?
    };
    Ok(RegionPicker {
        t,
        prefix: prefix.to_string(),
        legend,
        hint,
        provinces: options(provinces, p),
        prefectures: options(prefectures, c),
        counties: options(counties, x),
        error: None,
    })
}

/// The codes a region code implies for a picker: 630224 → [630000, 630200, 630224].
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

/// The most specific code chosen in a picker.
fn picked(p: &str, c: &str, x: &str) -> Option<String> {
    [x, c, p]
        .into_iter()
        .find(|v| !v.trim().is_empty())
        .map(|v| v.trim().to_string())
}

#[derive(Template)]
#[template(path = "partials/occupation_options.html")]
pub struct OccupationOptions {
    pub t: &'static Text,
    pub searched: bool,
    pub options: Vec<Opt>,
    pub error: Option<String>,
}

async fn occupation_options_for(
    state: &AppState,
    lang: Lang,
    q: &str,
    selected: &str,
) -> OccupationOptions {
    let t = text(lang);
    if q.trim().is_empty() {
        return OccupationOptions {
            t,
            searched: false,
            options: Vec::new(),
            error: None,
        };
    }
    match suggest(state, q, 8, Granularity::LeavesOnly).await {
        Ok(found) => OccupationOptions {
            t,
            searched: true,
            options: found
                .into_iter()
                .map(|s| Opt {
                    selected: s.code == selected,
                    label: s.name,
                    value: s.code,
                })
                .collect(),
            error: None,
        },
        Err(e) => OccupationOptions {
            t,
            searched: true,
            options: Vec::new(),
            error: Some(
                e.details
                    .first()
                    .map(|d| reason(lang, &d.reason))
                    .unwrap_or_else(|| e.body(lang).message),
            ),
        },
    }
}

/// `GET /fragments/occupations?new_skill_q=...`: the occupation choices for what was typed.
pub async fn occupation_options(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    let q = query.get("new_skill_q").map(String::as_str).unwrap_or("");
    render(&occupation_options_for(&state, viewer.lang, q, "").await)
}

/// `GET /fragments/regions?prefix=home&home_p=...`: the picker after a choice.
pub async fn region_picker(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    let t = text(viewer.lang);
    let prefix = match query.get("prefix").map(String::as_str) {
        Some("home") => "home",
        Some("add") => "add",
        Some("work") => "work",
        _ => return Err(PageError::NotFound),
    };
    let get = |k: &str| {
        query
            .get(&format!("{prefix}_{k}"))
            .map(String::as_str)
            .unwrap_or("")
    };
    let (legend, hint) = picker_words(t, viewer.lang, prefix);
    let client = state.pool.get().await?;
    let picker = region_picker_for(
        &client,
        t,
        prefix,
        legend,
        hint,
        [get("p"), get("c"), get("x")],
    )
    .await?;
    render(&picker)
}

fn picker_words(t: &'static Text, lang: Lang, prefix: &str) -> (&'static str, &'static str) {
    if prefix == "home" {
        (t.home_county, t.home_county_hint)
    } else if prefix == "work" {
        (
            t.work_place,
            super::jobs_text::jobs_text(lang).work_place_hint,
        )
    } else {
        (t.add_destination, t.destinations_hint)
    }
}

/// One self-declared skill row of the form.
pub struct SkillRow {
    pub index: usize,
    pub code: String,
    pub name: String,
    pub years: String,
    pub level: String,
    pub error: Option<String>,
}

pub struct DestinationRow {
    pub code: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "profile_edit.html")]
pub struct ProfileEditPage {
    pub l: Layout,
    pub f: FormValues,
    pub errors: FieldErrors,
    pub home: RegionPicker,
    pub add: RegionPicker,
    pub destinations: Vec<DestinationRow>,
    pub skills: Vec<SkillRow>,
    pub certified: Vec<SkillLine>,
    pub occupations: OccupationOptions,
    pub genders: Vec<Opt>,
    pub educations: Vec<Opt>,
    pub statuses: Vec<Opt>,
    pub levels: Vec<Opt>,
    pub placed: bool,
}

/// What the form holds, as typed (so a refused form comes back as it was sent).
#[derive(Default, Clone)]
pub struct FormValues {
    pub name: String,
    pub gender: String,
    pub birth_year: String,
    pub education: String,
    pub home: [String; 3],
    pub add: [String; 3],
    pub destinations: Vec<String>,
    pub accept_anywhere: bool,
    pub min_wage: String,
    pub available_from: String,
    pub status: String,
    /// (code, years, level) of self-declared skills.
    pub skills: Vec<(String, String, String)>,
    pub new_skill_q: String,
    pub new_skill_code: String,
    pub new_skill_years: String,
    pub new_skill_level: String,
}

impl FormValues {
    fn from_worker(w: &Worker) -> FormValues {
        FormValues {
            name: w.name.clone(),
            gender: w.gender.clone(),
            birth_year: w.birth_year.to_string(),
            education: w.education.clone(),
            home: lineage_of(&w.home_region),
            add: Default::default(),
            destinations: w.destinations.clone(),
            accept_anywhere: w.accept_anywhere,
            min_wage: w.min_wage.to_string(),
            available_from: w.available_from.map(|d| d.to_string()).unwrap_or_default(),
            status: w.status.clone(),
            skills: w
                .skills
                .iter()
                .filter(|s| s.source != "certified")
                .map(|s| {
                    (
                        s.occupation_code.clone(),
                        format_years(s.years_experience),
                        s.level.map(|l| l.to_string()).unwrap_or_default(),
                    )
                })
                .collect(),
            ..FormValues::default()
        }
    }

    fn from_pairs(pairs: &[(String, String)]) -> FormValues {
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let mut skills = Vec::new();
        for i in 0..30 {
            let code = get(&format!("skill_code_{i}"));
            if code.is_empty() {
                continue;
            }
            if !get(&format!("skill_remove_{i}")).is_empty() {
                continue;
            }
            skills.push((
                code,
                get(&format!("skill_years_{i}")),
                get(&format!("skill_level_{i}")),
            ));
        }
        let removed: Vec<String> = pairs
            .iter()
            .filter(|(k, _)| k == "dest_remove")
            .map(|(_, v)| v.clone())
            .collect();
        let mut destinations: Vec<String> = pairs
            .iter()
            .filter(|(k, v)| k == "dest" && !removed.contains(v))
            .map(|(_, v)| v.clone())
            .collect();
        destinations.dedup();
        FormValues {
            name: get("name"),
            gender: get("gender"),
            birth_year: get("birth_year"),
            education: get("education"),
            home: [get("home_p"), get("home_c"), get("home_x")],
            add: [get("add_p"), get("add_c"), get("add_x")],
            destinations,
            accept_anywhere: !get("accept_anywhere").is_empty(),
            min_wage: get("min_wage"),
            available_from: get("available_from"),
            status: get("status"),
            skills,
            new_skill_q: get("new_skill_q"),
            new_skill_code: get("new_skill_code"),
            new_skill_years: get("new_skill_years"),
            new_skill_level: get("new_skill_level"),
        }
    }

    /// Moves the destination picked in the "add" picker and the new skill into the lists, so
    /// they show as rows after a refresh and are saved with the rest.
    fn absorb_additions(&mut self) {
        if let Some(code) = picked(&self.add[0], &self.add[1], &self.add[2]) {
            if !self.destinations.contains(&code) {
                self.destinations.push(code);
            }
            self.add = Default::default();
        }
        if !self.new_skill_code.trim().is_empty() {
            let code = self.new_skill_code.trim().to_string();
            if !self.skills.iter().any(|(c, _, _)| *c == code) {
                self.skills.push((
                    code,
                    self.new_skill_years.clone(),
                    self.new_skill_level.clone(),
                ));
            }
            self.new_skill_q.clear();
            self.new_skill_code.clear();
            self.new_skill_years.clear();
            self.new_skill_level.clear();
        }
    }
}

fn format_years(y: f32) -> String {
    if y.fract() == 0.0 {
        format!("{y:.0}")
    } else {
        format!("{y}")
    }
}

/// Turns the form into the API's input; what cannot even be read (a year that is not a number)
/// becomes a field error here, in the API's field names.
fn to_input(f: &FormValues, existing: Option<&Worker>, lang: Lang) -> (WorkerInput, FieldErrors) {
    let mut errors = FieldErrors::default();
    let int = |errors: &mut FieldErrors, field: &str, raw: &str, empty: i32| -> i32 {
        let raw = raw.trim();
        if raw.is_empty() {
            return empty;
        }
        raw.parse::<i32>().unwrap_or_else(|_| {
            errors.add(field, reason(lang, "not_a_number"));
            empty
        })
    };
    let birth_year = if f.birth_year.trim().is_empty() {
        errors.add("birth_year", reason(lang, "must_not_be_empty"));
        0
    } else {
        int(&mut errors, "birth_year", &f.birth_year, 0)
    };
    let min_wage = int(&mut errors, "min_wage", &f.min_wage, 0);
    let available_from = match f.available_from.trim() {
        "" => None,
        raw => match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                errors.add("available_from", reason(lang, "not_a_date"));
                None
            }
        },
    };
    let mut skills = Vec::new();
    for (i, (code, years, level)) in f.skills.iter().enumerate() {
        let years = match years.trim() {
            "" => 0.0,
            raw => raw.parse::<f32>().unwrap_or_else(|_| {
                errors.add(
                    &format!("skills[{i}].years_experience"),
                    reason(lang, "not_a_number"),
                );
                0.0
            }),
        };
        let level = match level.trim() {
            "" => None,
            raw => raw.parse::<i16>().ok(),
        };
        skills.push(SkillInput {
            occupation_code: code.clone(),
            level,
            years_experience: years,
            note: existing
                .and_then(|w| w.skills.iter().find(|s| s.occupation_code == *code))
                .map(|s| s.note.clone())
                .unwrap_or_default(),
        });
    }
    let home_region = f.home[2].trim().to_string();
    if home_region.is_empty() && f.home.iter().any(|v| !v.trim().is_empty()) {
        // A half-made choice: say what is missing rather than "choose a place".
        errors.add("home_region", reason(lang, "must_be_a_county"));
    }
    let input = WorkerInput {
        // The household link is the program's to set: a worker's own form keeps what is there.
        household_id: existing.and_then(|w| w.household_id),
        name: f.name.clone(),
        gender: f.gender.clone(),
        birth_year,
        ethnicity: existing.map(|w| w.ethnicity.clone()).unwrap_or_default(),
        languages: existing
            .map(|w| w.languages.clone())
            .unwrap_or_else(|| vec!["zh".into()]),
        education: if f.education.is_empty() {
            "unknown".into()
        } else {
            f.education.clone()
        },
        phone: existing.and_then(|w| w.phone.clone()),
        id_number: existing.and_then(|w| w.id_number.clone()),
        home_region,
        destinations: f.destinations.clone(),
        accept_anywhere: f.accept_anywhere,
        min_wage,
        available_from,
        skills,
        brand_tags: existing.map(|w| w.brand_tags.clone()).unwrap_or_default(),
        // A placed worker's form carries no status: the program's to change, not theirs.
        status: match f.status.as_str() {
            "" | "placed" => None,
            s => Some(s.to_string()),
        },
    };
    (input, errors)
}

async fn edit_page_for(
    state: &AppState,
    viewer: &Viewer,
    f: FormValues,
    existing: Option<&Worker>,
    errors: FieldErrors,
) -> Result<ProfileEditPage, PageError> {
    let lang = viewer.lang;
    let t = text(lang);
    let client = state.pool.get().await?;
    let h = [f.home[0].as_str(), f.home[1].as_str(), f.home[2].as_str()];
    let mut home =
        region_picker_for(&client, t, "home", t.home_county, t.home_county_hint, h).await?;
    home.error = errors.get("home_region").map(str::to_string);
    let a = [f.add[0].as_str(), f.add[1].as_str(), f.add[2].as_str()];
    let mut add =
        region_picker_for(&client, t, "add", t.add_destination, t.destinations_hint, a).await?;
    add.error = errors.under("destinations[").map(str::to_string);
    let names = reference::region_names(&client, &f.destinations).await?;
    let destinations = f
        .destinations
        .iter()
        .map(|c| DestinationRow {
            name: names.get(c).cloned().unwrap_or_else(|| c.clone()),
            code: c.clone(),
        })
        .collect();
    let codes: Vec<String> = f.skills.iter().map(|(c, _, _)| c.clone()).collect();
    let occ_names = reference::occupation_names(&client, &codes).await?;
    drop(client);
    let skills = f
        .skills
        .iter()
        .enumerate()
        .map(|(i, (code, years, level))| SkillRow {
            index: i,
            name: occ_names.get(code).cloned().unwrap_or_else(|| code.clone()),
            code: code.clone(),
            years: years.clone(),
            level: level.clone(),
            error: errors
                .get(&format!("skills.occupation_code[{i}]"))
                .or_else(|| errors.under(&format!("skills[{i}]")))
                .map(str::to_string),
        })
        .collect();
    let certified = existing
        .map(|w| {
            w.skills
                .iter()
                .filter(|s| s.source == "certified")
                .map(|s| SkillLine {
                    name: s.occupation_name.clone(),
                    certified: true,
                    years: s.years_experience,
                    level: s.level,
                    certificate_number: s.certificate_number.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let mut occupations =
        occupation_options_for(state, lang, &f.new_skill_q, &f.new_skill_code).await;
    if let Some(e) = errors.get("new_skill_code") {
        occupations.error = Some(e.to_string());
    }
    let placed = existing.is_some_and(|w| w.status == "placed");
    let genders = options(
        vec![
            ("male".into(), t.gender_male.into()),
            ("female".into(), t.gender_female.into()),
            ("other".into(), t.gender_other.into()),
        ],
        &f.gender,
    );
    let educations = options(
        EDUCATION_LEVELS
            .iter()
            .map(|c| (c.to_string(), education_word(lang, c).to_string()))
            .collect(),
        if f.education.is_empty() {
            "unknown"
        } else {
            &f.education
        },
    );
    let statuses = options(
        vec![
            ("available".into(), t.status_available.into()),
            ("unavailable".into(), t.status_unavailable.into()),
        ],
        &f.status,
    );
    let levels = options(
        (1..=5)
            .rev()
            .map(|l| (l.to_string(), level_word(lang, l).to_string()))
            .collect(),
        "",
    );
    Ok(ProfileEditPage {
        l: Layout::new(viewer).with_htmx(),
        f,
        errors,
        home,
        add,
        destinations,
        skills,
        certified,
        occupations,
        genders,
        educations,
        statuses,
        levels,
        placed,
    })
}

/// National vocational skill levels: 5 初级工 (entry) .. 1 高级技师 (senior technician).
pub fn level_word(lang: Lang, level: i16) -> &'static str {
    let (zh, en) = match level {
        5 => ("五级 / 初级工", "Level 5, entry"),
        4 => ("四级 / 中级工", "Level 4, intermediate"),
        3 => ("三级 / 高级工", "Level 3, advanced"),
        2 => ("二级 / 技师", "Level 2, technician"),
        _ => ("一级 / 高级技师", "Level 1, senior technician"),
    };
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

pub async fn edit_page(
    state: web::Data<AppState>,
    viewer: Viewer,
) -> Result<HttpResponse, PageError> {
    let user = require::<WorkerOnly>(&viewer)?;
    let existing = own_profile(&state, user).await?;
    let f = existing
        .as_ref()
        .map(FormValues::from_worker)
        .unwrap_or_else(|| FormValues {
            status: "available".into(),
            ..FormValues::default()
        });
    let page = edit_page_for(
        &state,
        &viewer,
        f,
        existing.as_ref(),
        FieldErrors::default(),
    )
    .await?;
    render(&page)
}

#[derive(Deserialize)]
pub struct EditForm {
    #[serde(default)]
    pub intent: String,
}

pub async fn edit_submit(
    state: web::Data<AppState>,
    viewer: Viewer,
    form: PageForm<EditForm>,
) -> Result<HttpResponse, PageError> {
    let user = require::<WorkerOnly>(&viewer)?;
    let existing = own_profile(&state, user).await?;
    let mut f = FormValues::from_pairs(&form.pairs);
    let intent = form.fields.intent.as_str();
    if matches!(intent, "find" | "refresh" | "add") {
        // Not a save: show the form again with the new choices (JavaScript off), or with the
        // place or skill just added as a row (so more can be added).
        if intent == "add" {
            f.absorb_additions();
        }
        let page = edit_page_for(
            &state,
            &viewer,
            f,
            existing.as_ref(),
            FieldErrors::default(),
        )
        .await?;
        return render(&page);
    }
    let mut pending_skill_error = None;
    if !f.new_skill_q.trim().is_empty() && f.new_skill_code.trim().is_empty() {
        pending_skill_error = Some(reason(viewer.lang, "choose_an_occupation"));
    }
    f.absorb_additions();
    let (input, mut errors) = to_input(&f, existing.as_ref(), viewer.lang);
    if let Some(e) = pending_skill_error {
        errors.add("new_skill_code", e);
    }
    if errors.is_empty() {
        match save_mine(&state, user, input, None).await {
            // The change number lets the matches wait for this save to be searchable.
            Ok(saved) => {
                let change = saved.change.map(|c| format!("&after_change={c}"));
                return Ok(see_other(&format!(
                    "/me/profile?saved=1{}",
                    change.unwrap_or_default()
                )));
            }
            Err(e) if e.code == ErrorCode::ValidationFailed => {
                errors = FieldErrors::from_api(viewer.lang, &e.details);
            }
            Err(e) => return Err(e.into()),
        }
    } else {
        // Report every problem at once: what the API would also refuse.
        let client = state.pool.get().await?;
        let (problems, _) = crate::validate::worker(&client, &input).await?;
        for p in problems.0 {
            if !errors.has(&p.field) {
                errors.add(&p.field, reason(viewer.lang, &p.reason));
            }
        }
    }
    let page = edit_page_for(&state, &viewer, f, existing.as_ref(), errors).await?;
    render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}
