//! Validation of program data, shared by the JSON endpoints and the CSV imports: every problem
//! of a record is reported at once as (field, reason), and every code is checked against the
//! seed tables.

use chrono::{Datelike, NaiveDate};
use deadpool_postgres::GenericClient;

use crate::db::households::{HouseholdInput, STATUSES};
use crate::db::reference;
use crate::domain::requirements::{CertificateRule, MAX_MIN_YEARS};
use crate::domain::{NationalId, OccupationCode, Phone, RegionCode};
use crate::error::{ApiResult, FieldError};

/// Collects field errors; `finish` turns them into one validation error.
#[derive(Default, Debug)]
pub struct Problems(pub Vec<FieldError>);

impl Problems {
    pub fn add(&mut self, field: impl Into<String>, reason: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            reason: reason.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn finish(self) -> ApiResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(crate::error::ApiError::validation(self.0))
        }
    }

    /// Text with a control character (NUL and the like) cannot be stored: PostgreSQL refuses
    /// NUL outright. The API's extractors refuse it first; this names the field for the pages
    /// and imports, which reach the services without them.
    pub fn plain(&mut self, field: &str, value: &str) {
        if crate::input::has_control_characters(value) {
            self.add(field, crate::input::CONTROL_CHARACTER);
        }
    }

    fn plain_all<'a>(&mut self, field: &str, values: impl IntoIterator<Item = &'a String>) {
        if values
            .into_iter()
            .any(|v| crate::input::has_control_characters(v))
        {
            self.add(field, crate::input::CONTROL_CHARACTER);
        }
    }

    fn text(&mut self, field: &str, value: &str, max: usize) {
        if value.trim().is_empty() {
            self.add(field, "must_not_be_empty");
        } else if value.chars().count() > max {
            self.add(field, "too_long");
        }
    }
}

/// Free text whose only rule here is to be plain text (notes, references, reasons): each field
/// with a control character is named. The API's extractors refuse them first; the pages reach
/// the services without those extractors.
pub fn plain_text(fields: &[(&str, &str)]) -> ApiResult<()> {
    let mut p = Problems::default();
    for (field, value) in fields {
        p.plain(field, value);
    }
    p.finish()
}

/// A list filter that must be one of the known values.
pub fn status_filter(status: Option<&str>, allowed: &[&str]) -> ApiResult<()> {
    match status {
        Some(s) if !allowed.contains(&s) => {
            Err(crate::error::ApiError::field("status", "unknown_status"))
        }
        _ => Ok(()),
    }
}

pub fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

pub async fn household(client: &impl GenericClient, h: &HouseholdInput) -> ApiResult<Problems> {
    let known = match RegionCode::parse(&h.county_code) {
        Ok(code) => reference::known_regions(client, &[code.as_str().to_string()]).await?,
        Err(_) => Default::default(),
    };
    Ok(household_with(h, &known))
}

/// Household validation against a region table already in memory (imports load it once).
pub fn household_with(
    h: &HouseholdInput,
    regions: &std::collections::HashMap<String, i16>,
) -> Problems {
    let mut p = Problems::default();
    p.plain("registry_number", &h.registry_number);
    p.plain("county_code", &h.county_code);
    p.plain("village", &h.village);
    p.plain("status", &h.status);
    p.text("registry_number", &h.registry_number, 40);
    p.text("village", &h.village, 100);
    if !(1..=30).contains(&h.member_count) {
        p.add("member_count", "out_of_range_1_30");
    }
    if !STATUSES.contains(&h.status.as_str()) {
        p.add("status", "unknown_status");
    }
    if let Some(income) = h.income_per_capita {
        if !(0..=10_000_000).contains(&income) {
            p.add("income_per_capita", "out_of_range");
        }
    }
    if h.income_per_capita.is_some() != h.income_assessed_on.is_some() {
        p.add("income_assessed_on", "income_and_date_go_together");
    }
    if let Some(date) = h.income_assessed_on {
        if date > today() {
            p.add("income_assessed_on", "in_the_future");
        }
    }
    if !(0..=100_000_000).contains(&h.other_income_yuan) {
        p.add("other_income_yuan", "out_of_range");
    }
    match RegionCode::parse(&h.county_code) {
        Err(r) => p.add("county_code", r),
        Ok(code) => match regions.get(code.as_str()) {
            None => p.add("county_code", "unknown_region"),
            Some(3) => {}
            Some(_) => p.add("county_code", "must_be_a_county"),
        },
    }
    p
}

/// Working age, by birth year, in the current year.
pub const MIN_AGE: i32 = 16;
pub const MAX_AGE: i32 = 64;

pub fn birth_year(p: &mut Problems, field: &str, year: i32) {
    let age = today().year() - year;
    if !(MIN_AGE..=MAX_AGE).contains(&age) {
        p.add(field, "birth_year_outside_working_age");
    }
}

pub fn phone(p: &mut Problems, field: &str, raw: Option<&str>) -> Option<Phone> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
    Phone::parse(raw).map_err(|r| p.add(field, r)).ok()
}

pub fn national_id(p: &mut Problems, field: &str, raw: Option<&str>) -> Option<NationalId> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
    NationalId::parse(raw).map_err(|r| p.add(field, r)).ok()
}

/// Checks shapes and existence of region codes; `level_3_only` for home counties.
pub async fn regions(
    client: &impl GenericClient,
    p: &mut Problems,
    field: &str,
    codes: &[String],
    county_only: bool,
) -> ApiResult<()> {
    let mut valid = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        let name = format!("{field}[{i}]");
        match RegionCode::parse(code) {
            Ok(c) => valid.push((name, c.as_str().to_string())),
            Err(r) => p.add(name, r),
        }
    }
    let just_codes: Vec<String> = valid.iter().map(|(_, c)| c.clone()).collect();
    let known = reference::known_regions(client, &just_codes).await?;
    for (name, code) in valid {
        match known.get(&code) {
            None => p.add(name, "unknown_region"),
            Some(level) if county_only && *level != 3 => p.add(name, "must_be_a_county"),
            _ => {}
        }
    }
    Ok(())
}

pub async fn region(
    client: &impl GenericClient,
    p: &mut Problems,
    field: &str,
    code: &str,
    county_only: bool,
) -> ApiResult<()> {
    match RegionCode::parse(code) {
        Err(r) => {
            p.add(field, r);
            Ok(())
        }
        Ok(c) => {
            let known = reference::known_regions(client, &[c.as_str().to_string()]).await?;
            match known.get(c.as_str()) {
                None => p.add(field, "unknown_region"),
                Some(level) if county_only && *level != 3 => p.add(field, "must_be_a_county"),
                _ => {}
            }
            Ok(())
        }
    }
}

pub async fn occupations(
    client: &impl GenericClient,
    p: &mut Problems,
    field: &str,
    codes: &[String],
) -> ApiResult<()> {
    let mut valid = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        match OccupationCode::parse(code) {
            Ok(c) => valid.push((format!("{field}[{i}]"), c.as_str().to_string())),
            Err(r) => p.add(format!("{field}[{i}]"), r),
        }
    }
    let just_codes: Vec<String> = valid.iter().map(|(_, c)| c.clone()).collect();
    let known = reference::known_occupations(client, &just_codes).await?;
    for (name, code) in valid {
        if !known.contains(&code) {
            p.add(name, "unknown_occupation");
        }
    }
    Ok(())
}

pub const EDUCATION_LEVELS: [&str; 9] = [
    "none",
    "primary",
    "junior_high",
    "senior_high",
    "vocational",
    "college",
    "bachelor",
    "postgraduate",
    "unknown",
];

/// A validated worker, with phone and ID number in canonical form.
pub struct CleanWorker {
    pub phone: Option<String>,
    pub id_number: Option<String>,
}

pub async fn worker(
    client: &impl GenericClient,
    w: &crate::db::workers::WorkerInput,
) -> ApiResult<(Problems, CleanWorker)> {
    use crate::db::workers::{GENDERS, STATUSES};
    let mut p = Problems::default();
    for (field, value) in [
        ("name", &w.name),
        ("gender", &w.gender),
        ("ethnicity", &w.ethnicity),
        ("education", &w.education),
        ("home_region", &w.home_region),
    ] {
        p.plain(field, value);
    }
    p.plain_all("phone", &w.phone);
    p.plain_all("id_number", &w.id_number);
    p.plain_all("languages", &w.languages);
    p.plain_all("destinations", &w.destinations);
    p.plain_all("brand_tags", &w.brand_tags);
    p.text("name", &w.name, 50);
    if !GENDERS.contains(&w.gender.as_str()) {
        p.add("gender", "unknown_gender");
    }
    birth_year(&mut p, "birth_year", w.birth_year);
    if w.ethnicity.chars().count() > 20 {
        p.add("ethnicity", "too_long");
    }
    if w.languages.len() > 10 {
        p.add("languages", "too_many");
    }
    for (i, lang) in w.languages.iter().enumerate() {
        let ok = (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase());
        if !ok {
            p.add(format!("languages[{i}]"), "language_code_2_or_3_letters");
        }
    }
    if !EDUCATION_LEVELS.contains(&w.education.as_str()) {
        p.add("education", "unknown_education_level");
    }
    let phone = phone(&mut p, "phone", w.phone.as_deref());
    let id = national_id(&mut p, "id_number", w.id_number.as_deref());
    if let Some(id) = &id {
        if id.birth_year() != w.birth_year {
            p.add("birth_year", "does_not_match_id_number");
        }
    }
    region(client, &mut p, "home_region", &w.home_region, true).await?;
    if w.destinations.len() > 50 {
        p.add("destinations", "too_many");
    }
    regions(client, &mut p, "destinations", &w.destinations, false).await?;
    if w.destinations.is_empty() && !w.accept_anywhere {
        p.add("destinations", "give_destinations_or_accept_anywhere");
    }
    if !(0..=200_000).contains(&w.min_wage) {
        p.add("min_wage", "out_of_range");
    }
    if w.skills.len() > 30 {
        p.add("skills", "too_many");
    }
    let codes: Vec<String> = w.skills.iter().map(|s| s.occupation_code.clone()).collect();
    occupations(client, &mut p, "skills.occupation_code", &codes).await?;
    for (i, s) in w.skills.iter().enumerate() {
        if let Some(level) = s.level {
            if !(1..=5).contains(&level) {
                p.add(format!("skills[{i}].level"), "level_1_to_5");
            }
        }
        if !(0.0..=60.0).contains(&s.years_experience) || s.years_experience.is_nan() {
            p.add(format!("skills[{i}].years_experience"), "out_of_range");
        }
        if s.note.chars().count() > 500 {
            p.add(format!("skills[{i}].note"), "too_long");
        }
    }
    if w.brand_tags.len() > 10
        || w.brand_tags
            .iter()
            .any(|t| t.trim().is_empty() || t.chars().count() > 20)
    {
        p.add("brand_tags", "up_to_10_tags_of_1_to_20_characters");
    }
    if let Some(status) = &w.status {
        if !STATUSES.contains(&status.as_str()) {
            p.add("status", "unknown_status");
        }
    }
    if let Some(hid) = w.household_id {
        let exists = client
            .query_opt("SELECT 1 FROM households WHERE id = $1", &[&hid])
            .await?
            .is_some();
        if !exists {
            p.add("household_id", "unknown_household");
        }
    }
    Ok((
        p,
        CleanWorker {
            phone: phone.map(|p| p.as_str().to_string()),
            id_number: id.map(|i| i.as_str().to_string()),
        },
    ))
}

/// An opening as an employer sends it.
pub async fn opening(
    client: &impl GenericClient,
    o: &crate::db::openings::OpeningInput,
) -> ApiResult<()> {
    let mut p = Problems::default();
    for (field, value) in [
        ("title", &o.title),
        ("description", &o.description),
        ("work_region", &o.work_region),
        ("status", &o.status),
    ] {
        p.plain(field, value);
    }
    p.plain_all("required_occupations", &o.required_occupations);
    p.plain_all("nice_occupations", &o.nice_occupations);
    if o.title.trim().is_empty() {
        p.add("title", "must_not_be_empty");
    } else if o.title.chars().count() > 100 {
        p.add("title", "too_long");
    }
    if o.description.chars().count() > 5000 {
        p.add("description", "too_long");
    }
    if o.required_occupations.is_empty() || o.required_occupations.len() > 10 {
        p.add("required_occupations", "between_1_and_10_codes");
    }
    if o.nice_occupations.len() > 10 {
        p.add("nice_occupations", "at_most_10_codes");
    }
    occupations(
        client,
        &mut p,
        "required_occupations",
        &o.required_occupations,
    )
    .await?;
    occupations(client, &mut p, "nice_occupations", &o.nice_occupations).await?;
    region(client, &mut p, "work_region", &o.work_region, false).await?;
    if !(0..=200_000).contains(&o.wage_min) {
        p.add("wage_min", "out_of_range");
    }
    if o.wage_max < o.wage_min {
        p.add("wage_max", "less_than_wage_min");
    } else if o.wage_max > 200_000 {
        p.add("wage_max", "out_of_range");
    }
    if !(1..=10_000).contains(&o.headcount) {
        p.add("headcount", "out_of_range_1_10000");
    }
    if let Some(m) = o.contract_months {
        if !(1..=120).contains(&m) {
            p.add("contract_months", "out_of_range_1_120");
        }
    }
    if o.deadline > o.start_date + chrono::Duration::days(365) {
        p.add("deadline", "more_than_a_year_after_start");
    }
    if !crate::db::openings::STATUSES.contains(&o.status.as_str()) {
        p.add("status", "unknown_status");
    }
    if let Some(years) = o.min_years_experience {
        if !(years.is_finite() && (0.0..=MAX_MIN_YEARS).contains(&years)) {
            p.add("min_years_experience", "out_of_range_0_50");
        }
    }
    if let Some(rule) = &o.certificate {
        if CertificateRule::parse(rule).is_none() {
            p.add("certificate", "unknown_certificate_rule");
        }
    }
    p.finish()
}

/// A course as a center sends it.
pub async fn course(
    client: &impl GenericClient,
    c: &crate::db::courses::CourseInput,
) -> ApiResult<()> {
    let mut p = Problems::default();
    p.plain("title", &c.title);
    p.plain("location_region", &c.location_region);
    p.plain_all("occupation_codes", &c.occupation_codes);
    if c.title.trim().is_empty() {
        p.add("title", "must_not_be_empty");
    } else if c.title.chars().count() > 200 {
        p.add("title", "too_long");
    }
    if c.occupation_codes.is_empty() || c.occupation_codes.len() > 10 {
        p.add("occupation_codes", "between_1_and_10_codes");
    }
    occupations(client, &mut p, "occupation_codes", &c.occupation_codes).await?;
    if !(1..=5000).contains(&c.hours) {
        p.add("hours", "out_of_range_1_5000");
    }
    if c.ends_on < c.starts_on {
        p.add("ends_on", "before_starts_on");
    }
    if !(1..=10_000).contains(&c.capacity) {
        p.add("capacity", "out_of_range_1_10000");
    }
    if !(1..=5).contains(&c.certificate_level) {
        p.add("certificate_level", "level_1_to_5");
    }
    region(client, &mut p, "location_region", &c.location_region, false).await?;
    p.finish()
}
