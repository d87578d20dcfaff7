//! What the published OpenAPI document says beyond the types: the bounds, patterns and value
//! lists the validation really applies (`validate.rs`, `domain/`, the services), so a client
//! generated from `/openapi.json` sends what the server accepts. One table, next to the
//! document, rather than attributes scattered over the data modules; the contract suite
//! (`tests/contract`) checks the two agree. Rules no schema can say (a code must exist in the
//! reference tables, a check character, one field against another) are listed in
//! `tests/contract/schemathesis.toml` with their reasons.

use serde_json::{json, Value};

use chrono::Datelike;

/// Control characters (refused everywhere but tab, LF, CR), as a character-class body.
const CTRL: &str = r"\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F";
/// What Rust's `trim` removes, less the control characters refused anyway (a regex's `\s`
/// differs between engines).
const WS: &str = r"\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

/// Text the API refuses (`control_character`): every control character but tab, LF and CR.
pub fn text_pattern() -> String {
    format!("^[^{CTRL}]*$")
}

fn text(max: usize) -> Value {
    json!({ "maxLength": max, "pattern": text_pattern() })
}

/// Text the server trims and refuses when nothing is left.
fn nonblank(max: usize) -> Value {
    json!({
        "maxLength": max,
        "pattern": format!(r"^[^{CTRL}]*[^{WS}{CTRL}][^{CTRL}]*$"),
    })
}

fn region() -> Value {
    json!({ "pattern": format!(r"^[{WS}]*(0[1-9]|[1-9][0-9])[0-9]{{4}}[{WS}]*$") })
}

fn occupation() -> Value {
    json!({ "pattern": format!(r"^[{WS}]*[0-9]-[0-9]{{2}}-[0-9]{{2}}-[0-9]{{2}}[{WS}]*$") })
}

/// `Phone::parse`: spaces and dashes anywhere, an optional +86 / 0086 / 86, then 1[3-9] and
/// nine digits.
fn phone() -> Value {
    let s = "[ -]*";
    json!({
        "pattern": format!(
            r"^{s}(\+{s}8{s}6{s}|0{s}0{s}8{s}6{s}|8{s}6{s})?1{s}[3-9]({s}[0-9]){{9}}{s}$"
        )
    })
}

fn id_number() -> Value {
    json!({ "pattern": format!(r"^[{WS}]*[0-9]{{17}}[0-9Xx][{WS}]*$") })
}

fn password() -> Value {
    json!({
        "minLength": crate::domain::PASSWORD_MIN_CHARS,
        "maxLength": crate::domain::PASSWORD_MAX_CHARS,
    })
}

fn range(min: i64, max: i64) -> Value {
    json!({ "minimum": min, "maximum": max })
}

fn one_of(values: &[&str]) -> Value {
    json!({ "enum": values })
}

/// Merges `patch` into `target`, objects key by key.
fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                merge(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// The schema a rule about a property lands on: the property itself, or the non-null branch
/// of a nullable reference.
fn property<'a>(doc: &'a mut Value, schema: &str, prop: &str) -> Option<&'a mut Value> {
    let p = doc.pointer_mut(&format!("/components/schemas/{schema}/properties/{prop}"))?;
    Some(p)
}

fn rule(doc: &mut Value, schema: &str, prop: &str, patch: Value) {
    if let Some(target) = property(doc, schema, prop) {
        merge(target, &patch);
    }
}

fn items(doc: &mut Value, schema: &str, prop: &str, array: Value, item: Value) {
    if let Some(target) = property(doc, schema, prop) {
        merge(target, &array);
        if let Some(items) = target.get_mut("items") {
            merge(items, &item);
        }
    }
}

fn query(doc: &mut Value, path: &str, name: &str, patch: Value) {
    parameter(doc, path, "query", name, patch)
}

/// The same for a parameter in the path.
fn path_param(doc: &mut Value, path: &str, name: &str, patch: Value) {
    parameter(doc, path, "path", name, patch)
}

fn parameter(doc: &mut Value, path: &str, place: &str, name: &str, patch: Value) {
    let Some(item) = doc.pointer_mut(&format!("/paths/{}", path.replace('/', "~1"))) else {
        return;
    };
    let Some(item) = item.as_object_mut() else {
        return;
    };
    for op in item.values_mut() {
        let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) else {
            continue;
        };
        for p in params.iter_mut() {
            if p["in"] == place && p["name"] == name {
                if let Some(schema) = p.get_mut("schema") {
                    merge(schema, &patch);
                }
            }
        }
    }
}

/// Applies the table to the document (as JSON).
pub fn annotate(doc: &mut Value) {
    let year = crate::validate::today().year();
    let working_age = range(
        i64::from(year - crate::validate::MAX_AGE),
        i64::from(year - crate::validate::MIN_AGE),
    );

    rule(doc, "RegisterRequest", "phone", phone());
    rule(doc, "RegisterRequest", "password", password());
    rule(doc, "RegisterRequest", "display_name", text(50));
    rule(doc, "AcceptInvitationRequest", "phone", phone());
    rule(doc, "AcceptInvitationRequest", "password", password());
    rule(doc, "AcceptInvitationRequest", "display_name", text(50));
    rule(doc, "CreateOfficerRequest", "phone", phone());
    rule(doc, "CreateOfficerRequest", "password", password());
    rule(doc, "CreateOfficerRequest", "display_name", text(50));
    rule(doc, "CreateOfficerRequest", "region_code", region());

    rule(
        doc,
        "CreateOrganizationRequest",
        "kind",
        json!({ "pattern": format!(r"^[{WS}]*(center|employer)[{WS}]*$") }),
    );
    rule(doc, "CreateOrganizationRequest", "name", nonblank(200));
    rule(doc, "CreateOrganizationRequest", "region_code", region());

    rule(doc, "HouseholdInput", "registry_number", nonblank(40));
    rule(doc, "HouseholdInput", "village", nonblank(100));
    rule(doc, "HouseholdInput", "member_count", range(1, 30));
    rule(
        doc,
        "HouseholdInput",
        "status",
        one_of(&crate::db::households::STATUSES),
    );
    rule(
        doc,
        "HouseholdInput",
        "income_per_capita",
        range(0, 10_000_000),
    );
    rule(
        doc,
        "HouseholdInput",
        "other_income_yuan",
        range(0, 100_000_000),
    );
    rule(doc, "HouseholdInput", "county_code", region());

    rule(doc, "WorkerInput", "name", nonblank(50));
    rule(
        doc,
        "WorkerInput",
        "gender",
        one_of(&crate::db::workers::GENDERS),
    );
    rule(doc, "WorkerInput", "birth_year", working_age);
    rule(doc, "WorkerInput", "ethnicity", text(20));
    items(
        doc,
        "WorkerInput",
        "languages",
        json!({ "maxItems": 10 }),
        json!({ "pattern": "^[a-z]{2,3}$" }),
    );
    rule(
        doc,
        "WorkerInput",
        "education",
        one_of(&crate::validate::EDUCATION_LEVELS),
    );
    rule(doc, "WorkerInput", "phone", phone());
    rule(doc, "WorkerInput", "id_number", id_number());
    rule(doc, "WorkerInput", "home_region", region());
    items(
        doc,
        "WorkerInput",
        "destinations",
        json!({ "maxItems": 50 }),
        region(),
    );
    rule(doc, "WorkerInput", "min_wage", range(0, 200_000));
    rule(doc, "WorkerInput", "skills", json!({ "maxItems": 30 }));
    items(
        doc,
        "WorkerInput",
        "brand_tags",
        json!({ "maxItems": 10 }),
        nonblank(20),
    );
    rule(
        doc,
        "WorkerInput",
        "status",
        one_of(&crate::db::workers::STATUSES),
    );
    rule(doc, "SkillInput", "occupation_code", occupation());
    rule(doc, "SkillInput", "level", range(1, 5));
    rule(
        doc,
        "SkillInput",
        "years_experience",
        json!({ "minimum": 0, "maximum": 60 }),
    );
    rule(doc, "SkillInput", "note", text(500));

    rule(doc, "OpeningInput", "title", nonblank(100));
    rule(doc, "OpeningInput", "description", text(5000));
    items(
        doc,
        "OpeningInput",
        "required_occupations",
        json!({ "minItems": 1, "maxItems": 10 }),
        occupation(),
    );
    items(
        doc,
        "OpeningInput",
        "nice_occupations",
        json!({ "maxItems": 10 }),
        occupation(),
    );
    rule(doc, "OpeningInput", "work_region", region());
    rule(doc, "OpeningInput", "wage_min", range(0, 200_000));
    rule(doc, "OpeningInput", "wage_max", range(0, 200_000));
    rule(doc, "OpeningInput", "headcount", range(1, 10_000));
    rule(doc, "OpeningInput", "contract_months", range(1, 120));
    rule(
        doc,
        "OpeningInput",
        "status",
        one_of(&crate::db::openings::STATUSES),
    );
    rule(
        doc,
        "OpeningInput",
        "min_years_experience",
        json!({ "minimum": 0, "maximum": crate::domain::requirements::MAX_MIN_YEARS }),
    );

    let trimmed =
        |values: &[&str]| json!({ "pattern": format!("^[{WS}]*({})[{WS}]*$", values.join("|")) });
    let states: Vec<&str> = crate::domain::application_state::AppState::ALL
        .iter()
        .map(|s| s.as_str())
        .collect();
    rule(doc, "TransitionRequest", "to", trimmed(&states));
    rule(
        doc,
        "FollowupRequest",
        "employment",
        trimmed(&["same_employer", "other_employer", "not_working"]),
    );
    rule(doc, "DispatchRequest", "from_county", region());
    rule(doc, "DispatchRequest", "to_region", region());

    rule(doc, "CourseInput", "title", nonblank(200));
    items(
        doc,
        "CourseInput",
        "occupation_codes",
        json!({ "minItems": 1, "maxItems": 10 }),
        occupation(),
    );
    rule(doc, "CourseInput", "hours", range(1, 5000));
    rule(doc, "CourseInput", "capacity", range(1, 10_000));
    rule(doc, "CourseInput", "certificate_level", range(1, 5));
    rule(doc, "CourseInput", "location_region", region());

    let page = range(1, crate::pagination::MAX_LIMIT);
    for path in [
        "/api/v1/audit",
        "/api/v1/courses",
        "/api/v1/courses/{id}/enrollments",
        "/api/v1/followups/due",
        "/api/v1/households",
        "/api/v1/me/applications",
        "/api/v1/openings",
        "/api/v1/openings/{id}/applications",
        "/api/v1/workers",
        "/api/v1/me/matches",
        "/api/v1/openings/{id}/candidates",
    ] {
        query(doc, path, "limit", page.clone());
    }
    for path in ["/api/v1/me/matches", "/api/v1/openings/{id}/candidates"] {
        query(doc, path, "after_change", json!({ "minimum": 0 }));
    }
    query(doc, "/api/v1/openings/search", "limit", range(1, 50));
    query(doc, "/api/v1/openings/search", "q", text(200));
    query(doc, "/api/v1/openings/search", "region", region());
    query(
        doc,
        "/api/v1/openings/search",
        "wage_min",
        range(0, 200_000),
    );
    query(
        doc,
        "/api/v1/openings/search",
        "occupation",
        json!({ "pattern": r"^[0-9](-[0-9]{2}(-[0-9]{2}(-[0-9]{2})?)?)?$" }),
    );
    query(doc, "/api/v1/occupations/suggest", "limit", range(1, 50));
    query(doc, "/api/v1/occupations/suggest", "q", nonblank(200));
    query(
        doc,
        "/api/v1/households",
        "status",
        one_of(&crate::db::households::STATUSES),
    );
    query(
        doc,
        "/api/v1/workers",
        "status",
        one_of(&crate::db::workers::STATUSES),
    );
    query(doc, "/api/v1/stats/outcomes", "region", region());
    query(
        doc,
        "/api/v1/stats/outcomes",
        "format",
        one_of(&["json", "csv"]),
    );
    query(
        doc,
        "/api/v1/stats/outcomes",
        "group_by",
        one_of(&[
            "county",
            "village",
            "course",
            "center",
            "employer",
            "occupation",
        ]),
    );
    query(doc, "/api/v1/followups/due", "within_days", range(0, 366));
    // The import mode inline (as its component says), not by reference: schemathesis's
    // generator trips over a referenced enum in a query parameter of a CSV upload.
    for path in ["/api/v1/imports/households", "/api/v1/imports/graduates"] {
        query(
            doc,
            path,
            "mode",
            json!({ "type": "string", "enum": ["best_effort", "all_or_nothing"] }),
        );
        if let Some(params) = doc
            .pointer_mut(&format!(
                "/paths/{}/post/parameters",
                path.replace('/', "~1")
            ))
            .and_then(Value::as_array_mut)
        {
            for p in params.iter_mut().filter(|p| p["name"] == "mode") {
                if let Some(schema) = p.get_mut("schema").and_then(Value::as_object_mut) {
                    schema.remove("$ref");
                }
            }
        }
    }
    // format=csv answers the same rows as CSV.
    if let Some(content) =
        doc.pointer_mut("/paths/~1api~1v1~1stats~1outcomes/get/responses/200/content")
    {
        merge(
            content,
            &json!({ "text/csv": { "schema": { "type": "string" } } }),
        );
    }
    query(
        doc,
        "/api/v1/reports/households",
        "line",
        range(0, 1_000_000),
    );

    // `domain::targets::valid_year`: from 2000 to five years ahead (2100 at the latest).
    let target_year = range(2000, i64::from((year + 5).min(2100)));
    rule(
        doc,
        "TargetInput",
        "people_out_of_poverty",
        range(0, 10_000_000),
    );
    rule(doc, "TargetInput", "workers_to_place", range(0, 10_000_000));
    path_param(doc, "/api/v1/targets/{county}/{year}", "county", region());
    path_param(doc, "/api/v1/targets/{county}/{year}", "year", target_year);
    // Progress may be asked of any year from 2000 to 2100 (`services::targets::progress`).
    query(doc, "/api/v1/targets/progress", "year", range(2000, 2100));
    query(doc, "/api/v1/targets/progress", "region", region());
}
