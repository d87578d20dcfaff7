use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app, TestApp};

fn household(registry: &str, county: &str) -> Value {
    json!({
        "registry_number": registry, "county_code": county, "village": "甘都镇东滩村",
        "member_count": 5, "status": "registered_poor",
        "income_per_capita": 4200, "income_assessed_on": "2026-01-15"
    })
}

pub fn worker_body(name: &str, id17: &str) -> Value {
    let id = labormatch::domain::complete_id_number(id17).unwrap();
    let birth_year: i32 = id17[6..10].parse().unwrap();
    json!({
        "name": name, "gender": "male", "birth_year": birth_year, "ethnicity": "回族",
        "languages": ["zh"], "education": "junior_high", "id_number": id,
        "phone": crate::helpers::unique_phone(),
        "home_region": "630224", "destinations": ["440000"], "min_wage": 5000,
        "available_from": "2026-12-01",
        "skills": [{"occupation_code": "6-18-02-04", "years_experience": 2}],
        "brand_tags": ["化隆拉面"]
    })
}

fn opening_body() -> Value {
    json!({
        "title": "招电焊工 包吃住", "description": "广州番禺钢结构厂，长期稳定",
        "required_occupations": ["6-18-02-04"], "work_region": "440113",
        "wage_min": 6000, "wage_max": 9000, "headcount": 5, "housing": true, "meals": true,
        "contract_months": 12, "start_date": "2026-12-15", "deadline": "2026-12-10",
        "status": "open"
    })
}

async fn staff(app: &TestApp) -> (String, String) {
    let admin = app.admin_token().await;
    let officer = app.officer_token(&admin, "630224").await;
    (admin, officer)
}

#[tokio::test]
async fn households_create_read_update_list_and_conflict() {
    let app = spawn_app().await;
    let (_, officer) = staff(&app).await;
    let resp = app
        .post_json(
            "/api/v1/households",
            Some(&officer),
            &household("HL-0001", "630224"),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let h: Value = resp.json().await.unwrap();
    let again = app
        .post_json(
            "/api/v1/households",
            Some(&officer),
            &household("HL-0001", "630224"),
        )
        .await;
    assert_error(again, 409, "already_exists").await;
    // Outside the officer's county: refused.
    let other = app
        .post_json(
            "/api/v1/households",
            Some(&officer),
            &household("XH-0001", "630225"),
        )
        .await;
    assert_error(other, 403, "forbidden").await;
    // Bad input: every problem listed.
    let mut bad = household("", "999999");
    bad["member_count"] = json!(0);
    bad["status"] = json!("rich");
    let resp = app
        .post_json("/api/v1/households", Some(&officer), &bad)
        .await;
    let body = assert_error(resp, 422, "validation_failed").await;
    let reasons: Vec<String> = body["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{}:{}",
                d["field"].as_str().unwrap(),
                d["reason"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        reasons.contains(&"registry_number:must_not_be_empty".to_string()),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&"county_code:unknown_region".to_string()),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&"member_count:out_of_range_1_30".to_string()),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&"status:unknown_status".to_string()),
        "{reasons:?}"
    );
    // A prefecture is not a county.
    let resp = app
        .post_json(
            "/api/v1/households",
            Some(&officer),
            &household("HL-0002", "630200"),
        )
        .await;
    let body = assert_error(resp, 422, "validation_failed").await;
    assert_eq!(body["details"][0]["reason"], "must_be_a_county");
    // Update.
    let mut changed = household("HL-0001", "630224");
    changed["member_count"] = json!(6);
    let resp = app
        .client
        .put(app.url(&format!("/api/v1/households/{}", h["id"])))
        .bearer_auth(&officer)
        .json(&changed)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let updated: Value = resp.json().await.unwrap();
    assert_eq!(updated["member_count"], 6);
    assert_eq!(updated["version"], 2);
}

#[tokio::test]
async fn pagination_walks_every_page_once() {
    let app = spawn_app().await;
    let (_, officer) = staff(&app).await;
    for i in 0..7 {
        let resp = app
            .post_json(
                "/api/v1/households",
                Some(&officer),
                &household(&format!("HL-P{i}"), "630224"),
            )
            .await;
        assert_eq!(resp.status().as_u16(), 201);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/households?limit=3&cursor={c}"),
            None => "/api/v1/households?limit=3".to_string(),
        };
        let page: Value = app.get_auth(&path, &officer).await.json().await.unwrap();
        for item in page["items"].as_array().unwrap() {
            seen.push(item["registry_number"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7);
    let mut sorted = seen.clone();
    sorted.dedup();
    assert_eq!(sorted.len(), 7);
    let resp = app
        .get_auth("/api/v1/households?limit=1000", &officer)
        .await;
    assert_error(resp, 422, "validation_failed").await;
    let resp = app
        .get_auth("/api/v1/households?cursor=@@@", &officer)
        .await;
    assert_error(resp, 400, "invalid_cursor").await;
    let resp = app.get_auth("/api/v1/households?limit=abc", &officer).await;
    assert_error(resp, 400, "invalid_query").await;
}

#[tokio::test]
async fn workers_validate_and_protect_pii() {
    let app = spawn_app().await;
    let (_, officer) = staff(&app).await;
    let body = worker_body("马阿里", "63212719900307123");
    let resp = app
        .post_json("/api/v1/workers", Some(&officer), &body)
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let w: Value = resp.json().await.unwrap();
    assert_eq!(
        w["id_number"], body["id_number"],
        "officer in scope sees the full ID"
    );
    assert_eq!(w["skills"][0]["occupation_name"], "焊工");
    assert!(w["change"].as_i64().unwrap() > 0);
    // An officer of another county: 404 on read; lists never carry PII.
    let admin = app.admin_token().await;
    let xunhua = app.officer_token(&admin, "630225").await;
    let resp = app
        .get_auth(&format!("/api/v1/workers/{}", w["id"]), &xunhua)
        .await;
    assert_error(resp, 404, "not_found").await;
    let list: Value = app
        .get_auth("/api/v1/workers", &officer)
        .await
        .json()
        .await
        .unwrap();
    let text = list.to_string();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(!text.contains(body["phone"].as_str().unwrap()));
    assert!(!text.contains(body["id_number"].as_str().unwrap()));
    assert!(!text.contains("phone") && !text.contains("id_number"));
    // Bad inputs.
    let mut bad = worker_body("", "63212719900307123");
    bad["birth_year"] = json!(1950);
    bad["home_region"] = json!("000001");
    bad["skills"] = json!([{"occupation_code": "9-99-99-99"}, {"occupation_code": "welder"}]);
    let id = bad["id_number"].as_str().unwrap().to_string();
    let flipped = if id.ends_with('1') {
        format!("{}2", &id[..17])
    } else {
        format!("{}1", &id[..17])
    };
    bad["id_number"] = json!(flipped);
    bad["destinations"] = json!([]);
    let resp = app.post_json("/api/v1/workers", Some(&officer), &bad).await;
    let body = assert_error(resp, 422, "validation_failed").await;
    let reasons: Vec<String> = body["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{}:{}",
                d["field"].as_str().unwrap(),
                d["reason"].as_str().unwrap()
            )
        })
        .collect();
    for expected in [
        "name:must_not_be_empty",
        "birth_year:birth_year_outside_working_age",
        "id_number:id_number_check_character",
        "home_region:region_code_must_be_6_digits",
        "skills.occupation_code[0]:unknown_occupation",
        "skills.occupation_code[1]:occupation_code_format",
        "destinations:give_destinations_or_accept_anywhere",
    ] {
        assert!(
            reasons.contains(&expected.to_string()),
            "{expected} missing from {reasons:?}"
        );
    }
    // Same ID number twice: 409.
    let mut dup = worker_body("马阿里", "63212719900307123");
    dup["phone"] = json!(crate::helpers::unique_phone());
    let resp = app.post_json("/api/v1/workers", Some(&officer), &dup).await;
    assert_error(resp, 409, "already_exists").await;
}

#[tokio::test]
async fn workers_keep_their_own_profile() {
    let app = spawn_app().await;
    let token = app.worker_token().await;
    let resp = app.get_auth("/api/v1/me/worker", &token).await;
    assert_error(resp, 404, "not_found").await;
    let mut body = worker_body("韩梅", "63212419980511234");
    body["phone"] = Value::Null;
    let resp = app
        .client
        .put(app.url("/api/v1/me/worker"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let me: Value = app
        .get_auth("/api/v1/me/worker", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["name"], "韩梅");
    assert_eq!(
        me["id_number"], body["id_number"],
        "the worker sees their own ID"
    );
    assert_eq!(
        me["phone"].as_str().unwrap().len(),
        11,
        "account phone used"
    );
    // Another worker cannot read it.
    let other = app.worker_token().await;
    let resp = app
        .get_auth(&format!("/api/v1/workers/{}", me["id"]), &other)
        .await;
    assert_error(resp, 404, "not_found").await;
}

#[tokio::test]
async fn courses_enforce_capacity_and_a_pass_certifies() {
    let app = spawn_app().await;
    let (_, officer) = staff(&app).await;
    let (_, center) = app.org_token(&officer, "center", "630224").await;
    let course = json!({
        "title": "电焊工培训（初级）", "occupation_codes": ["6-18-02-04"], "hours": 120,
        "starts_on": "2026-09-01", "ends_on": "2026-10-15", "capacity": 1,
        "location_region": "630224", "certificate_level": 5
    });
    let resp = app
        .post_json("/api/v1/courses", Some(&center), &course)
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let course: Value = resp.json().await.unwrap();
    let w1: Value = app
        .post_json(
            "/api/v1/workers",
            Some(&officer),
            &worker_body("甲", "63212419950101001"),
        )
        .await
        .json()
        .await
        .unwrap();
    let w2: Value = app
        .post_json(
            "/api/v1/workers",
            Some(&officer),
            &worker_body("乙", "63212419960101002"),
        )
        .await
        .json()
        .await
        .unwrap();
    let path = format!("/api/v1/courses/{}/enrollments", course["id"]);
    let e1 = app
        .post_json(&path, Some(&center), &json!({"worker_id": w1["id"]}))
        .await;
    assert_eq!(e1.status().as_u16(), 201);
    let e1: Value = e1.json().await.unwrap();
    let again = app
        .post_json(&path, Some(&center), &json!({"worker_id": w1["id"]}))
        .await;
    assert_eq!(
        again.status().as_u16(),
        200,
        "enrolling twice answers the same enrollment"
    );
    let full = app
        .post_json(&path, Some(&center), &json!({"id_number": w2["id_number"]}))
        .await;
    assert_error(full, 409, "capacity_reached").await;
    // A pass without a certificate number is refused; with one, the worker gets a certified skill.
    let result_path = format!("/api/v1/enrollments/{}/result", e1["id"]);
    let resp = app
        .post_json(
            &result_path,
            Some(&center),
            &json!({"passed": true, "score": 88.5}),
        )
        .await;
    let body = assert_error(resp, 422, "validation_failed").await;
    assert_eq!(body["details"][0]["reason"], "required_when_passed");
    let resp = app
        .post_json(
            &result_path,
            Some(&center),
            &json!({"passed": true, "score": 88.5, "certificate_number": "HL2026-0001"}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 200);
    let w: Value = app
        .get_auth(&format!("/api/v1/workers/{}", w1["id"]), &officer)
        .await
        .json()
        .await
        .unwrap();
    let certified: Vec<&Value> = w["skills"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["source"] == "certified")
        .collect();
    assert_eq!(certified.len(), 1);
    assert_eq!(certified[0]["occupation_code"], "6-18-02-04");
    assert_eq!(certified[0]["level"], 5);
    // The center now sees its enrollee, with masked PII.
    let seen: Value = app
        .get_auth(&format!("/api/v1/workers/{}", w1["id"]), &center)
        .await
        .json()
        .await
        .unwrap();
    assert!(seen["id_number"].as_str().unwrap().contains("********"));
    // Bad course input.
    let resp = app
        .post_json("/api/v1/courses", Some(&center), &json!({
            "title": "x", "occupation_codes": ["0-00-00-99"], "hours": 0, "starts_on": "2026-10-01",
            "ends_on": "2026-09-01", "capacity": 0, "location_region": "630224", "certificate_level": 9
        }))
        .await;
    let body = assert_error(resp, 422, "validation_failed").await;
    assert_eq!(body["details"].as_array().unwrap().len(), 5, "{body}");
}

#[tokio::test]
async fn openings_validate_and_are_scoped_to_their_employer() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, employer) = app.org_token(&admin, "employer", "440113").await;
    let (_, other_employer) = app.org_token(&admin, "employer", "440113").await;
    let resp = app
        .post_json("/api/v1/openings", Some(&employer), &opening_body())
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    assert!(resp.headers().contains_key("x-change"));
    let opening: Value = resp.json().await.unwrap();
    let mut bad = opening_body();
    bad["wage_min"] = json!(9000);
    bad["wage_max"] = json!(6000);
    bad["required_occupations"] = json!(["6-18-99-99"]);
    bad["work_region"] = json!("123456");
    let resp = app
        .post_json("/api/v1/openings", Some(&employer), &bad)
        .await;
    let body = assert_error(resp, 422, "validation_failed").await;
    let reasons: Vec<String> = body["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{}:{}",
                d["field"].as_str().unwrap(),
                d["reason"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        reasons.contains(&"wage_max:less_than_wage_min".to_string()),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&"required_occupations[0]:unknown_occupation".to_string()),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&"work_region:unknown_region".to_string()),
        "{reasons:?}"
    );
    // Another employer cannot change it.
    let resp = app
        .client
        .put(app.url(&format!("/api/v1/openings/{}", opening["id"])))
        .bearer_auth(&other_employer)
        .json(&opening_body())
        .send()
        .await
        .unwrap();
    assert_error(resp, 404, "not_found").await;
    // Workers may not post.
    let worker = app.worker_token().await;
    let resp = app
        .post_json("/api/v1/openings", Some(&worker), &opening_body())
        .await;
    assert_error(resp, 403, "forbidden").await;
}
