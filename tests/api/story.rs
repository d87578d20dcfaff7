//! The program's whole story in one test, over HTTP, as its people would live it: the county
//! office registers a poor household and one of its members, the training center certifies him,
//! an employer in Guangzhou posts an opening, the worker claims the profile the office made,
//! sees his matches and applies, is placed, is followed up, and shows in the statistics.

use chrono::{Duration, Local};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, unique_phone, TestApp, TEST_PASSWORD};
use crate::program::worker_body;

async fn post(app: &TestApp, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let resp = app.post_json(path, token, &body).await;
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn get(app: &TestApp, path: &str, token: &str) -> Value {
    let resp = app.get_auth(path, token).await;
    assert_eq!(resp.status().as_u16(), 200, "GET {path}");
    resp.json().await.unwrap()
}

#[tokio::test]
async fn officer_registers_center_certifies_employer_posts_worker_claims_applies_and_is_followed_up(
) {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let officer = app.officer_token(&admin, "630224").await;

    // The county office: a registered-poor household in 化隆 and 马建国, who has no smartphone yet.
    let (status, household) = post(
        &app,
        "/api/v1/households",
        Some(&officer),
        json!({
            "registry_number": "HL-STORY-1", "county_code": "630224", "village": "甘都镇东滩村",
            "member_count": 5, "status": "registered_poor",
            "income_per_capita": 4200, "income_assessed_on": "2026-01-15"
        }),
    )
    .await;
    assert_eq!(status, 201, "{household}");
    let phone = unique_phone();
    let mut body = worker_body("马建国", "63212419880101017");
    body["phone"] = json!(phone);
    body["household_id"] = household["id"].clone();
    body["skills"] = json!([]);
    let (status, worker) = post(&app, "/api/v1/workers", Some(&officer), body).await;
    assert_eq!(status, 201, "{worker}");
    let worker_id = worker["id"].as_i64().unwrap();

    // The training center (registered by the office) certifies him as a welder.
    let (_, center) = app.org_token(&officer, "center", "630224").await;
    let (status, course) = post(
        &app,
        "/api/v1/courses",
        Some(&center),
        json!({
            "title": "电焊工培训班", "occupation_codes": ["6-18-02-04"], "hours": 120,
            "starts_on": "2026-09-01", "ends_on": "2026-10-30", "capacity": 40,
            "location_region": "630224", "certificate_level": 4
        }),
    )
    .await;
    assert_eq!(status, 201, "{course}");
    let (status, enrollment) = post(
        &app,
        &format!("/api/v1/courses/{}/enrollments", course["id"]),
        Some(&center),
        json!({"worker_id": worker_id}),
    )
    .await;
    assert_eq!(status, 201, "{enrollment}");
    let (status, result) = post(
        &app,
        &format!("/api/v1/enrollments/{}/result", enrollment["id"]),
        Some(&center),
        json!({"passed": true, "score": 88, "certificate_number": "QH-HJ-2026-0001"}),
    )
    .await;
    assert_eq!(status, 200, "{result}");

    // An employer in Guangzhou posts an opening.
    let (_, employer) = app.org_token(&admin, "employer", "440113").await;
    let resp = app
        .post_json(
            "/api/v1/openings",
            Some(&employer),
            &json!({
                "title": "招电焊工 包吃住", "description": "番禺钢结构厂，长期稳定",
                "required_occupations": ["6-18-02-04"], "work_region": "440113",
                "wage_min": 6000, "wage_max": 9000, "headcount": 5, "housing": true,
                "meals": true, "contract_months": 12,
                "start_date": "2027-01-15", "deadline": "2027-01-10", "status": "open"
            }),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let change: i64 = crate::helpers::change_of(&resp);
    let opening: Value = resp.json().await.unwrap();
    let opening_id = opening["id"].as_i64().unwrap();
    let candidates = get(
        &app,
        &format!("/api/v1/openings/{opening_id}/candidates?after_change={change}"),
        &employer,
    )
    .await;
    assert_eq!(
        candidates["items"][0]["worker_id"], worker_id,
        "{candidates}"
    );
    assert_eq!(candidates["items"][0]["display_name"], "马**");

    // The office prints a claim code; he signs up with his phone and the code.
    let (status, claim) = post(
        &app,
        &format!("/api/v1/workers/{worker_id}/claim-code"),
        Some(&officer),
        json!({}),
    )
    .await;
    assert_eq!(status, 201, "{claim}");
    let (status, signed_up) = post(
        &app,
        "/api/v1/auth/register",
        None,
        json!({
            "phone": phone, "password": TEST_PASSWORD, "display_name": "马建国",
            "claim_code": claim["code"]
        }),
    )
    .await;
    assert_eq!(status, 201, "{signed_up}");
    let token = signed_up["access_token"].as_str().unwrap().to_string();
    let mine = get(&app, "/api/v1/me/worker", &token).await;
    assert_eq!(mine["id"], worker_id);
    assert_eq!(mine["household_id"], household["id"]);
    assert_eq!(mine["skills"][0]["source"], "certified");
    assert_eq!(mine["skills"][0]["certificate_number"], "QH-HJ-2026-0001");

    // He sees the opening among his matches, and applies (twice, on a flaky network: once).
    let matches = get(
        &app,
        &format!("/api/v1/me/matches?after_change={change}"),
        &token,
    )
    .await;
    assert_eq!(matches["items"][0]["opening_id"], opening_id, "{matches}");
    let apply = format!("/api/v1/openings/{opening_id}/applications");
    let (status, application) = post(&app, &apply, Some(&token), json!({})).await;
    assert_eq!(status, 201, "{application}");
    let (status, _) = post(&app, &apply, Some(&token), json!({})).await;
    assert_eq!(status, 200);
    let application_id = application["id"].as_i64().unwrap();
    for to in ["shortlisted", "interviewing", "offered"] {
        let (status, body) = post(
            &app,
            &format!("/api/v1/applications/{application_id}/transitions"),
            Some(&employer),
            json!({"to": to}),
        )
        .await;
        assert_eq!(status, 200, "{to}: {body}");
    }
    let (status, body) = post(
        &app,
        &format!("/api/v1/applications/{application_id}/transitions"),
        Some(&token),
        json!({"to": "accepted"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["worker_phone"], phone, "the employer may now call him");

    // Placement, started four months ago (the program records it late, as happens).
    let start = Local::now().date_naive() - Duration::days(125);
    let (status, placement) = post(
        &app,
        &format!("/api/v1/applications/{application_id}/placement"),
        Some(&employer),
        json!({"start_date": start, "agreed_wage": 7500}),
    )
    .await;
    assert_eq!(status, 201, "{placement}");
    let me = get(&app, "/api/v1/me/worker", &token).await;
    assert_eq!(me["status"], "placed");

    // Follow-ups: the officer sees who is due, the employer and the worker record them.
    let due = get(&app, "/api/v1/followups/due?within_days=0", &officer).await;
    let due_ids: Vec<i64> = due["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["followup_id"].as_i64().unwrap())
        .collect();
    assert_eq!(due_ids.len(), 2, "months 1 and 3 are due: {due}");
    let (status, _) = post(
        &app,
        &format!("/api/v1/followups/{}", due_ids[0]),
        Some(&employer),
        json!({"employment": "same_employer", "monthly_wage": 7500, "evidence_ref": "GZ-2026-08"}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = post(
        &app,
        &format!("/api/v1/followups/{}", due_ids[1]),
        Some(&token),
        json!({"employment": "same_employer", "monthly_wage": 7800, "evidence_ref": "GZ-2026-10"}),
    )
    .await;
    assert_eq!(status, 200);
    let due = get(&app, "/api/v1/followups/due?within_days=0", &officer).await;
    assert!(due["items"].as_array().unwrap().is_empty(), "{due}");

    // The statistics and reports of the county show him.
    let stats = get(&app, "/api/v1/stats/outcomes?group_by=county", &officer).await;
    let hualong = stats
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group"].as_str().unwrap_or("").contains("630224"))
        .unwrap_or_else(|| panic!("no 630224 row: {stats}"));
    assert_eq!(hualong["placed"], 1, "{hualong}");
    assert_eq!(hualong["passed"], 1, "{hualong}");
    let eligible = get(&app, "/api/v1/reports/subsidy-eligibility", &officer).await;
    assert_eq!(eligible[0]["worker_id"], worker_id, "{eligible}");
    let households = get(&app, "/api/v1/reports/households", &officer).await;
    assert_eq!(
        households[0]["household_id"], household["id"],
        "{households}"
    );
    assert_eq!(households[0]["crossed"], "up");
}
