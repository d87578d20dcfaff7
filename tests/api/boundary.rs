//! Input at the boundary (issue 13): control characters refused naming the field, every bad
//! field listed, no internal words in messages, wrong methods and HEAD, answers in the envelope.

use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app, unique_phone, TestApp, TEST_PASSWORD};

fn household(registry: &str, village: &str) -> Value {
    json!({
        "registry_number": registry, "county_code": "630224", "village": village,
        "member_count": 5, "status": "registered_poor",
        "income_per_capita": 4200, "income_assessed_on": "2026-01-15"
    })
}

fn fields(body: &Value) -> Vec<(String, String)> {
    body["details"]
        .as_array()
        .map(|d| {
            d.iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or("").to_string(),
                        e["reason"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn nul_and_control_characters_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let officer = app.officer_token(&admin, "630224").await;

    let resp = app
        .post_json(
            "/api/v1/households",
            Some(&officer),
            &household("HL-\u{0}1", "甘都\u{7}镇"),
        )
        .await;
    let body = assert_error(resp, 422, "validation_failed").await;
    let f = fields(&body);
    assert!(
        f.contains(&("registry_number".into(), "control_character".into())),
        "{body}"
    );
    assert!(
        f.contains(&("village".into(), "control_character".into())),
        "{body}"
    );

    // Sign-up and sign-in, no token needed.
    let resp = app
        .post_json(
            "/api/v1/auth/register",
            None,
            &json!({"phone": unique_phone(), "password": TEST_PASSWORD, "display_name": "马\u{0}"}),
        )
        .await;
    let body = assert_error(resp, 422, "validation_failed").await;
    assert_eq!(
        fields(&body),
        [("display_name".into(), "control_character".into())]
    );
    let resp = app
        .post_json(
            "/api/v1/auth/login",
            None,
            &json!({"phone": "1390000\u{0}0000", "password": TEST_PASSWORD}),
        )
        .await;
    let body = assert_error(resp, 422, "validation_failed").await;
    assert_eq!(
        fields(&body),
        [("phone".into(), "control_character".into())]
    );

    // Query parameters.
    let resp = app.get_auth("/api/v1/audit?entity=a%00b", &admin).await;
    let body = assert_error(resp, 422, "validation_failed").await;
    assert_eq!(
        fields(&body),
        [("entity".into(), "control_character".into())]
    );
    let resp = app
        .get_auth("/api/v1/openings/search?q=%E7%94%B5%00", &admin)
        .await;
    let body = assert_error(resp, 422, "validation_failed").await;
    assert_eq!(fields(&body), [("q".into(), "control_character".into())]);

    // Tab and line breaks are text, not control characters to refuse.
    let resp = app
        .post_json(
            "/api/v1/households",
            Some(&officer),
            &household("HL-0002", "甘都镇\n东滩村"),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);

    // A CSV: the bad row names its column, the others are saved (best effort) ...
    let csv = "registry_number,county_code,village,member_count,status\n\
               HL-1001,630224,甘都镇,4,贫困户\n\
               HL-1002,630224,群科\u{0}镇,3,monitored\n\
               HL-1003,630224,巴燕镇,2,监测户\n";
    let (status, report) = app
        .upload_csv("/api/v1/imports/households", &officer, csv)
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["inserted"], 2, "{report}");
    assert_eq!(report["failed"], 1, "{report}");
    assert_eq!(
        report["errors"],
        json!([{"row": 3, "column": "village", "reason": "control_character"}])
    );
    // ... and all-or-nothing saves nothing but still says where.
    let csv2 = csv.replace("HL-10", "HL-20");
    let (status, report) = app
        .upload_csv(
            "/api/v1/imports/households?mode=all_or_nothing",
            &officer,
            &csv2,
        )
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["committed"], false);
    assert_eq!(report["errors"][0]["column"], "village");

    // Graduates too.
    let (_, center) = app.org_token(&admin, "center", "630224").await;
    let csv = "course_id,name,id_number,home_region,passed,certificate_number\n\
               1,马\u{0}明,11010519491231002X,630224,1,C-1\n";
    let (status, report) = app
        .upload_csv("/api/v1/imports/graduates", &center, csv)
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["errors"][0]["column"], "name", "{report}");
    assert_eq!(report["errors"][0]["reason"], "control_character");
}

#[tokio::test]
async fn bad_bodies_list_every_field_in_the_request_language_without_internals() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let officer = app.officer_token(&admin, "630224").await;

    // Every missing field at once, no serde words.
    let resp = app
        .client
        .post(app.url("/api/v1/households"))
        .bearer_auth(&officer)
        .json(&json!({"village": "甘都镇"}))
        .send()
        .await
        .unwrap();
    let body = assert_error(resp, 422, "validation_failed").await;
    let f = fields(&body);
    for name in ["registry_number", "county_code", "member_count", "status"] {
        assert!(
            f.contains(&(name.into(), "required".into())),
            "{name}: {body}"
        );
    }
    let text = body.to_string();
    for internal in ["missing field", "line 1", "column", "`"] {
        assert!(!text.contains(internal), "{internal} in {body}");
    }

    // Wrong types and a bad date name their fields.
    let mut bad = household("HL-3", "甘都镇");
    bad["member_count"] = json!("five");
    bad["income_assessed_on"] = json!("2026-13-45");
    let resp = app
        .post_json("/api/v1/households", Some(&officer), &bad)
        .await;
    let body = assert_error(resp, 422, "validation_failed").await;
    let f = fields(&body);
    assert!(
        f.contains(&("member_count".into(), "must_be_integer".into())),
        "{body}"
    );
    assert!(
        f.contains(&(
            "income_assessed_on".into(),
            "date_must_be_yyyy_mm_dd".into()
        )),
        "{body}"
    );

    // A query parameter that does not parse: named, in the request's language.
    let resp = app
        .client
        .get(app.url("/api/v1/audit?limit=abc"))
        .bearer_auth(&admin)
        .header("accept-language", "zh-CN")
        .send()
        .await
        .unwrap();
    let body = assert_error(resp, 400, "invalid_query").await;
    assert_eq!(fields(&body), [("limit".into(), "invalid_value".into())]);
    assert!(!body.to_string().contains("parse"), "{body}");
    assert!(!body["message"].as_str().unwrap().is_ascii(), "{body}");
    let resp = app
        .client
        .get(app.url("/api/v1/households/abc"))
        .bearer_auth(&admin)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    let body = assert_error(resp, 400, "invalid_path").await;
    assert_eq!(fields(&body), [("id".into(), "must_be_integer".into())]);
    assert!(!body.to_string().contains("i64"), "{body}");

    // Malformed JSON: no serde text.
    let resp = app
        .client
        .post(app.url("/api/v1/households"))
        .bearer_auth(&officer)
        .header("content-type", "application/json")
        .body("{\"registry_number\": ")
        .send()
        .await
        .unwrap();
    let body = assert_error(resp, 400, "malformed_json").await;
    assert!(!body.to_string().contains("EOF"), "{body}");

    // A duplicate names the field, not the constraint.
    let ok = app
        .post_json(
            "/api/v1/households",
            Some(&officer),
            &household("HL-9", "甘都镇"),
        )
        .await;
    assert_eq!(ok.status().as_u16(), 201);
    let again = app
        .post_json(
            "/api/v1/households",
            Some(&officer),
            &household("HL-9", "甘都镇"),
        )
        .await;
    let body = assert_error(again, 409, "already_exists").await;
    assert!(!body.to_string().contains("_key"), "{body}");
    assert_eq!(
        fields(&body),
        [("registry_number".into(), "already_exists".into())]
    );
}

#[tokio::test]
async fn a_wrong_method_answers_405_with_allow_and_head_works_on_get_routes() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let resp = app
        .client
        .delete(app.url("/api/v1/households"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["allow"], "GET, HEAD, POST");
    assert_error(resp, 405, "method_not_allowed").await;
    let resp = app
        .client
        .patch(app.url("/api/v1/households/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["allow"], "GET, HEAD, PUT");
    assert_error(resp, 405, "method_not_allowed").await;
    let resp = app.client.post(app.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.headers()["allow"], "GET, HEAD");
    assert_error(resp, 405, "method_not_allowed").await;
    // No such path under any method: still 404.
    let resp = app
        .client
        .delete(app.url("/api/v1/nowhere"))
        .send()
        .await
        .unwrap();
    assert_error(resp, 404, "route_not_found").await;

    // HEAD answers as GET would, without the body.
    let get = app.get_auth("/api/v1/me", &admin).await;
    let etag = get.headers()["etag"].clone();
    let head = app
        .client
        .head(app.url("/api/v1/me"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status().as_u16(), 200);
    assert_eq!(head.headers()["etag"], etag);
    assert!(head.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    assert!(head.bytes().await.unwrap().is_empty());
    let head = app.client.head(app.url("/healthz")).send().await.unwrap();
    assert_eq!(head.status().as_u16(), 200);
    let head = app.client.head(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(head.status().as_u16(), 401);
}

fn opening() -> Value {
    json!({
        "title": "钢结构焊工", "required_occupations": ["6-18-02-04"], "work_region": "440113",
        "wage_min": 6000, "wage_max": 9000, "headcount": 3,
        "start_date": "2027-03-01", "deadline": "2027-02-20", "status": "open"
    })
}

async fn create_opening(app: &TestApp, employer: &str) -> (i64, i64) {
    let resp = app
        .post_json("/api/v1/openings", Some(employer), &opening())
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let change = crate::helpers::change_of(&resp);
    let body: Value = resp.json().await.unwrap();
    (body["id"].as_i64().unwrap(), change)
}

async fn wait_visible(app: &TestApp, admin: &str, change: i64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let status: Value = app
            .get_auth("/api/v1/admin/index", admin)
            .await
            .json()
            .await
            .unwrap();
        if status["visible_change"].as_i64().unwrap_or(0) >= change {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "index stuck: {status}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn an_after_change_beyond_the_latest_change_is_refused_at_once() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, employer) = app.org_token(&admin, "employer", "440113").await;
    let (id, change) = create_opening(&app, &employer).await;
    let ok = app
        .get_auth(
            &format!("/api/v1/openings/{id}/candidates?after_change={change}"),
            &employer,
        )
        .await;
    assert_eq!(ok.status().as_u16(), 200);
    // The test settings wait up to 30 s for a change: a refusal must not wait at all.
    let started = std::time::Instant::now();
    let resp = app
        .get_auth(
            &format!(
                "/api/v1/openings/{id}/candidates?after_change={}",
                change + 1_000_000
            ),
            &employer,
        )
        .await;
    let body = assert_error(resp, 422, "validation_failed").await;
    assert_eq!(
        fields(&body),
        [("after_change".into(), "beyond_latest_change".into())]
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let worker = app.worker_token().await;
    let resp = app
        .get_auth("/api/v1/me/matches?after_change=999999999", &worker)
        .await;
    assert_error(resp, 422, "validation_failed").await;
}

#[tokio::test]
async fn equal_scores_come_back_in_opening_id_order_whatever_the_segments() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, employer) = app.org_token(&admin, "employer", "440113").await;
    let mut ids = Vec::new();
    let mut last = 0;
    for _ in 0..6 {
        let (id, change) = create_opening(&app, &employer).await;
        ids.push(id);
        last = change;
    }
    wait_visible(&app, &admin, last).await;
    // Rewriting the first three puts them after the others in the index's own order.
    for id in &ids[..3] {
        let resp = app
            .client
            .put(app.url(&format!("/api/v1/openings/{id}")))
            .bearer_auth(&employer)
            .json(&opening())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        last = crate::helpers::change_of(&resp);
    }
    wait_visible(&app, &admin, last).await;
    let found: Value = app
        .get_auth(
            "/api/v1/openings/search?q=%E7%84%8A%E5%B7%A5&limit=3",
            &admin,
        )
        .await
        .json()
        .await
        .unwrap();
    let hits: Vec<i64> = found["hits"]
        .as_array()
        .unwrap_or_else(|| panic!("{found}"))
        .iter()
        .map(|h| h["opening_id"].as_i64().unwrap())
        .collect();
    assert_eq!(hits, ids[..3], "{found}");
}
