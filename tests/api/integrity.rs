//! Program integrity (issue 12): each test pins one hole an outside review found, over HTTP.
//! The numbers in the test names are the items.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{
    assert_error, spawn_app, spawn_app_with, unique_phone, TestApp, TEST_PASSWORD,
};
use crate::program::worker_body;

async fn post(app: &TestApp, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let resp = app.post_json(path, token, &body).await;
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn put(app: &TestApp, path: &str, token: &str, body: &Value) -> reqwest::Response {
    app.client
        .put(app.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("request")
}

async fn get(app: &TestApp, path: &str, token: &str) -> Value {
    let resp = app.get_auth(path, token).await;
    assert_eq!(resp.status().as_u16(), 200, "GET {path}");
    resp.json().await.unwrap()
}

fn household(registry: &str, county: &str, status: &str) -> Value {
    json!({
        "registry_number": registry, "county_code": county, "village": "甘都镇东滩村",
        "member_count": 4, "status": status
    })
}

async fn create_household(app: &TestApp, officer: &str, registry: &str, county: &str) -> i64 {
    let (status, h) = post(
        app,
        "/api/v1/households",
        Some(officer),
        household(registry, county, "registered_poor"),
    )
    .await;
    assert_eq!(status, 201, "{h}");
    h["id"].as_i64().unwrap()
}

fn opening(headcount: i32) -> Value {
    json!({
        "title": "钢结构焊工", "required_occupations": ["6-18-02-04"], "work_region": "440113",
        "wage_min": 6000, "wage_max": 9000, "headcount": headcount,
        "start_date": "2027-03-01", "deadline": "2027-02-20", "status": "open"
    })
}

async fn create_opening(app: &TestApp, employer: &str, headcount: i32) -> (i64, i64) {
    let resp = app
        .post_json("/api/v1/openings", Some(employer), &opening(headcount))
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let change = crate::helpers::change_of(&resp);
    let body: Value = resp.json().await.unwrap();
    (body["id"].as_i64().unwrap(), change)
}

/// A self-registered worker with a profile: (token, worker id).
async fn self_registered(app: &TestApp, id17: &str) -> (String, i64) {
    let token = app.worker_token().await;
    let mut body = worker_body("韩", id17);
    body["phone"] = Value::Null;
    let resp = put(app, "/api/v1/me/worker", &token, &body).await;
    assert_eq!(resp.status().as_u16(), 200);
    let w: Value = resp.json().await.unwrap();
    (token, w["id"].as_i64().unwrap())
}

async fn move_to(app: &TestApp, token: &str, application: i64, to: &str) -> (u16, Value) {
    post(
        app,
        &format!("/api/v1/applications/{application}/transitions"),
        Some(token),
        json!({"to": to}),
    )
    .await
}

/// The worker applies and the employer takes the application all the way to `accepted`.
async fn accepted(app: &TestApp, worker: &str, employer: &str, opening: i64) -> i64 {
    let (status, a) = post(
        app,
        &format!("/api/v1/openings/{opening}/applications"),
        Some(worker),
        json!({}),
    )
    .await;
    assert_eq!(status, 201, "{a}");
    let id = a["id"].as_i64().unwrap();
    for to in ["shortlisted", "interviewing", "offered"] {
        let (status, body) = move_to(app, employer, id, to).await;
        assert_eq!(status, 200, "{to}: {body}");
    }
    let (status, body) = move_to(app, worker, id, "accepted").await;
    assert_eq!(status, 200, "{body}");
    id
}

/// Waits (at most `limit`) until `check` holds; answers how long it took.
async fn within<F, Fut>(limit: Duration, mut check: F) -> Option<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if check().await {
            return Some(start.elapsed());
        }
        if start.elapsed() > limit {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn claims_of(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

// 1 ------------------------------------------------------------------------------------------

#[tokio::test]
async fn item1_only_program_staff_of_its_region_link_a_worker_to_a_household() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let hualong = app.officer_token(&admin, "630224").await;
    let minhe = app.officer_token(&admin, "630222").await;
    let poor = create_household(&app, &hualong, "HL-LINK-1", "630224").await;

    // A new sign-up from 民和 names a 化隆 registered-poor household in its own profile.
    let token = app.worker_token().await;
    let mut body = worker_body("李", "63212219900101011");
    body["phone"] = Value::Null;
    body["home_region"] = json!("630222");
    body["household_id"] = json!(poor);
    let resp = put(&app, "/api/v1/me/worker", &token, &body).await;
    assert_error(resp, 403, "household_link_forbidden").await;
    // Without the household the same profile is fine, and it carries none.
    body["household_id"] = Value::Null;
    let resp = put(&app, "/api/v1/me/worker", &token, &body).await;
    assert_eq!(resp.status().as_u16(), 200);
    let mine: Value = resp.json().await.unwrap();
    assert!(mine.get("household_id").is_none(), "{mine}");
    // ... and not through /workers/{id} either.
    body["household_id"] = json!(poor);
    let resp = put(
        &app,
        &format!("/api/v1/workers/{}", mine["id"]),
        &token,
        &body,
    )
    .await;
    assert_error(resp, 403, "household_link_forbidden").await;

    // An officer of 民和 cannot attach a worker of 民和 to a household of 化隆.
    let mut other = worker_body("马", "63212219900101022");
    other["home_region"] = json!("630222");
    other["household_id"] = json!(poor);
    let resp = app.post_json("/api/v1/workers", Some(&minhe), &other).await;
    assert_error(resp, 403, "household_link_forbidden").await;
    other["household_id"] = Value::Null;
    let (status, created) = post(&app, "/api/v1/workers", Some(&minhe), other.clone()).await;
    assert_eq!(status, 201, "{created}");
    other["household_id"] = json!(poor);
    let resp = put(
        &app,
        &format!("/api/v1/workers/{}", created["id"]),
        &minhe,
        &other,
    )
    .await;
    assert_error(resp, 403, "household_link_forbidden").await;

    // The officer whose region holds the household may; so may an admin.
    let mut own = worker_body("马", "63212419900101033");
    own["household_id"] = json!(poor);
    let (status, linked) = post(&app, "/api/v1/workers", Some(&hualong), own).await;
    assert_eq!(status, 201, "{linked}");
    assert_eq!(linked["household_id"], poor);
    let resp = put(
        &app,
        &format!("/api/v1/workers/{}", created["id"]),
        &admin,
        &other,
    )
    .await;
    assert_eq!(resp.status().as_u16(), 200);
    let db = app.db().await;
    let count: i64 = db
        .query_one(
            "SELECT count(*) FROM workers WHERE household_id = $1",
            &[&poor],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 2, "only the officer's and the admin's links stand");
}

// 2 ------------------------------------------------------------------------------------------

#[tokio::test]
async fn item2_a_household_change_reaches_the_candidates_without_a_reindex() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let officer = app.officer_token(&admin, "630224").await;
    let (_, employer) = app.org_token(&admin, "employer", "440113").await;
    let (status, h) = post(
        &app,
        "/api/v1/households",
        Some(&officer),
        household("HL-EQ-2", "630224", "registered_poor"),
    )
    .await;
    assert_eq!(status, 201);
    let mut w = worker_body("马", "63212419900101044");
    w["household_id"] = h["id"].clone();
    let (status, _) = post(&app, "/api/v1/workers", Some(&officer), w).await;
    assert_eq!(status, 201);
    let (opening, change) = create_opening(&app, &employer, 5).await;
    let equity = |change: i64| {
        let app = &app;
        let employer = &employer;
        async move {
            let list = get(
                app,
                &format!("/api/v1/openings/{opening}/candidates?after_change={change}"),
                employer,
            )
            .await;
            list["items"][0]["explanation"]["equity"].clone()
        }
    };
    assert_eq!(equity(change).await["household_status"], "registered_poor");

    // The officer records that the household is now monitored.
    let resp = put(
        &app,
        &format!("/api/v1/households/{}", h["id"]),
        &officer,
        &household("HL-EQ-2", "630224", "monitored"),
    )
    .await;
    assert_eq!(resp.status().as_u16(), 200);
    let change: i64 = resp
        .headers()
        .get("x-change")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let seen = within(Duration::from_secs(5), || async {
        equity(change).await["household_status"] == "monitored"
    })
    .await;
    assert!(seen.is_some(), "the candidates never saw the new status");
    assert_eq!(equity(change).await["factor"], 0.6);

    // The same through the household CSV import.
    let csv = "registry_number,county_code,village,member_count,status\nHL-EQ-2,630224,甘都镇东滩村,4,脱贫户\n";
    let resp = app
        .client
        .post(app.url("/api/v1/imports/households"))
        .bearer_auth(&officer)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let report: Value = resp.json().await.unwrap();
    assert_eq!(report["updated"], 1, "{report}");
    let change = report["change"].as_i64().unwrap_or(0);
    let seen = within(Duration::from_secs(5), || async {
        equity(change).await["household_status"] == "exited"
    })
    .await;
    assert!(seen.is_some(), "the import never reached the candidates");
}

// 3 ------------------------------------------------------------------------------------------

#[tokio::test]
async fn item3_a_worker_registered_by_an_officer_claims_the_profile() {
    let app = spawn_app_with(|s| s.login_max_failures = 3).await;
    let admin = app.admin_token().await;
    let officer = app.officer_token(&admin, "630224").await;
    let (_, employer) = app.org_token(&admin, "employer", "440113").await;
    let phone = unique_phone();
    let mut body = worker_body("马建国", "63212419850101055");
    body["phone"] = json!(phone);
    let (status, registered) = post(&app, "/api/v1/workers", Some(&officer), body).await;
    assert_eq!(status, 201);
    let worker_id = registered["id"].as_i64().unwrap();
    let (opening, change) = create_opening(&app, &employer, 3).await;
    // The employer already invited him from the candidate list.
    let (status, invitation) = post(
        &app,
        &format!("/api/v1/openings/{opening}/invitations"),
        Some(&employer),
        json!({"worker_id": worker_id}),
    )
    .await;
    assert_eq!(status, 201, "{invitation}");

    // He signs up with his phone first, without a code: no profile, and he cannot make one
    // that takes his own phone from the office's record.
    let (status, signed_up) = post(
        &app,
        "/api/v1/auth/register",
        None,
        json!({"phone": phone, "password": TEST_PASSWORD}),
    )
    .await;
    assert_eq!(status, 201, "{signed_up}");
    let token = signed_up["access_token"].as_str().unwrap().to_string();
    let resp = app.get_auth("/api/v1/me/worker", &token).await;
    assert_error(resp, 404, "not_found").await;

    // Only an officer in scope (or an admin) issues the code.
    let (status, _) = post(
        &app,
        &format!("/api/v1/workers/{worker_id}/claim-code"),
        Some(&employer),
        json!({}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, issued) = post(
        &app,
        &format!("/api/v1/workers/{worker_id}/claim-code"),
        Some(&officer),
        json!({}),
    )
    .await;
    assert_eq!(status, 201, "{issued}");
    let code = issued["code"].as_str().unwrap().to_string();
    assert!(issued["expires_at"].is_string());

    // A wrong code is refused.
    let (status, wrong) = post(
        &app,
        "/api/v1/me/worker/claim",
        Some(&token),
        json!({"code": "AAAA-AAAA"}),
    )
    .await;
    assert_eq!(
        (status, wrong["code"].as_str()),
        (403, Some("invalid_claim_code"))
    );
    // The right one links the account to the office's profile (spelling is forgiven).
    let (status, claimed) = post(
        &app,
        "/api/v1/me/worker/claim",
        Some(&token),
        json!({"code": code.to_lowercase().replace('-', " ")}),
    )
    .await;
    assert_eq!(status, 200, "{claimed}");
    assert_eq!(claimed["id"], worker_id);
    let mine = get(&app, "/api/v1/me/worker", &token).await;
    assert_eq!(mine["id"], worker_id);
    assert_eq!(mine["name"], "马建国");
    assert_eq!(mine["skills"][0]["occupation_code"], "6-18-02-04");
    assert_eq!(mine["phone"], phone);
    // He sees his matches and the invitation, and can answer it.
    let matches = get(
        &app,
        &format!("/api/v1/me/matches?after_change={change}"),
        &token,
    )
    .await;
    assert_eq!(matches["items"][0]["opening_id"], opening, "{matches}");
    let apps = get(&app, "/api/v1/me/applications", &token).await;
    assert_eq!(apps["items"][0]["id"], invitation["id"], "{apps}");
    let (status, applied) = post(
        &app,
        &format!("/api/v1/openings/{opening}/applications"),
        Some(&token),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{applied}");
    assert_eq!(applied["state"], "applied");
    // Keeping his profile up to date works now.
    let mut update = worker_body("马建国", "63212419850101055");
    update["phone"] = json!(phone);
    update["min_wage"] = json!(6500);
    let resp = put(&app, "/api/v1/me/worker", &token, &update).await;
    assert_eq!(resp.status().as_u16(), 200);

    // The code is spent: used again it is refused, and refusals count like failed logins.
    let stranger = app.worker_token().await;
    for _ in 0..3 {
        let (status, body) = post(
            &app,
            "/api/v1/me/worker/claim",
            Some(&stranger),
            json!({"code": code}),
        )
        .await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(body["code"], "invalid_claim_code");
    }
    let resp = app
        .post_json(
            "/api/v1/me/worker/claim",
            Some(&stranger),
            &json!({"code": code}),
        )
        .await;
    assert!(resp.headers().contains_key("retry-after"));
    assert_error(resp, 429, "too_many_requests").await;
    let me = get(&app, "/api/v1/me", &stranger).await;
    let resp = app
        .post_json(
            "/api/v1/auth/login",
            None,
            &json!({"phone": me["phone"], "password": TEST_PASSWORD}),
        )
        .await;
    assert_error(resp, 429, "too_many_requests").await;
    // A profile that has its account gets no more codes.
    let (status, body) = post(
        &app,
        &format!("/api/v1/workers/{worker_id}/claim-code"),
        Some(&officer),
        json!({}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("already_claimed"))
    );
}

#[tokio::test]
async fn item3_signing_up_with_the_claim_code_links_at_once() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let officer = app.officer_token(&admin, "630224").await;
    let phone = unique_phone();
    let mut body = worker_body("马建华", "63212419850101066");
    body["phone"] = json!(phone);
    let (_, registered) = post(&app, "/api/v1/workers", Some(&officer), body).await;
    let worker_id = registered["id"].as_i64().unwrap();
    let (_, issued) = post(
        &app,
        &format!("/api/v1/workers/{worker_id}/claim-code"),
        Some(&officer),
        json!({}),
    )
    .await;
    let code = issued["code"].as_str().unwrap();
    // Another phone with the right code: refused, and no account is made.
    let other = unique_phone();
    let (status, body) = post(
        &app,
        "/api/v1/auth/register",
        None,
        json!({"phone": other, "password": TEST_PASSWORD, "claim_code": code}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("invalid_claim_code"))
    );
    let resp = app
        .post_json(
            "/api/v1/auth/login",
            None,
            &json!({"phone": other, "password": TEST_PASSWORD}),
        )
        .await;
    assert_error(resp, 401, "invalid_credentials").await;
    // His own phone with the code.
    let (status, signed_up) = post(
        &app,
        "/api/v1/auth/register",
        None,
        json!({"phone": phone, "password": TEST_PASSWORD, "claim_code": code}),
    )
    .await;
    assert_eq!(status, 201, "{signed_up}");
    let token = signed_up["access_token"].as_str().unwrap();
    let mine = get(&app, "/api/v1/me/worker", token).await;
    assert_eq!(mine["id"], worker_id);
}

// 4 ------------------------------------------------------------------------------------------

#[tokio::test]
async fn item4_a_placed_worker_cannot_make_themself_available() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let officer = app.officer_token(&admin, "630224").await;
    let (_, employer) = app.org_token(&admin, "employer", "440113").await;
    let (opening, _) = create_opening(&app, &employer, 3).await;
    let (token, worker_id) = self_registered(&app, "63212419900101077").await;
    let application = accepted(&app, &token, &employer, opening).await;
    let (status, placement) = post(
        &app,
        &format!("/api/v1/applications/{application}/placement"),
        Some(&employer),
        json!({"start_date": "2026-11-01", "agreed_wage": 7000}),
    )
    .await;
    assert_eq!(status, 201, "{placement}");

    let mut body = worker_body("韩", "63212419900101077");
    body["phone"] = Value::Null;
    body["status"] = json!("available");
    for path in [
        format!("/api/v1/workers/{worker_id}"),
        "/api/v1/me/worker".to_string(),
    ] {
        let resp = put(&app, &path, &token, &body).await;
        let err = assert_error(resp, 409, "invalid_transition").await;
        assert_eq!(err["extra"]["from"], "placed", "{err}");
    }
    let w = get(&app, &format!("/api/v1/workers/{worker_id}"), &officer).await;
    assert_eq!(w["status"], "placed");
    // Editing the rest of the profile keeps the status.
    body.as_object_mut().unwrap().remove("status");
    body["min_wage"] = json!(5500);
    let resp = put(&app, "/api/v1/me/worker", &token, &body).await;
    assert_eq!(resp.status().as_u16(), 200);
    let w: Value = resp.json().await.unwrap();
    assert_eq!(
        (w["status"].as_str(), w["min_wage"].as_i64()),
        (Some("placed"), Some(5500))
    );
    // Nor can a worker declare themself placed.
    let (other, other_id) = self_registered(&app, "63212419900101088").await;
    let mut body = worker_body("韩", "63212419900101088");
    body["phone"] = Value::Null;
    body["status"] = json!("placed");
    let resp = put(&app, &format!("/api/v1/workers/{other_id}"), &other, &body).await;
    assert_error(resp, 409, "invalid_transition").await;
    // Unavailable and back is the worker's own business.
    body["status"] = json!("unavailable");
    let resp = put(&app, "/api/v1/me/worker", &other, &body).await;
    assert_eq!(resp.status().as_u16(), 200);
    // Ending the placement is how the program makes him available again.
    let (status, _) = post(
        &app,
        &format!("/api/v1/placements/{}/end", placement["id"]),
        Some(&employer),
        json!({"ended_on": "2026-11-20", "reason": "返乡"}),
    )
    .await;
    assert_eq!(status, 200);
    let w = get(&app, &format!("/api/v1/workers/{worker_id}"), &officer).await;
    assert_eq!(w["status"], "available");
}

// 5 ------------------------------------------------------------------------------------------

#[tokio::test]
async fn item5_openings_keep_their_invariants() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, employer) = app.org_token(&admin, "employer", "440113").await;
    let (opening, _) = create_opening(&app, &employer, 2).await;
    for id17 in ["63212419900101099", "63212419900101101"] {
        let (token, _) = self_registered(&app, id17).await;
        accepted(&app, &token, &employer, opening).await;
    }
    let o = get(&app, &format!("/api/v1/openings/{opening}"), &employer).await;
    assert_eq!(o["status"], "filled");
    let path = format!("/api/v1/openings/{opening}");
    // Back to open with every place taken: refused.
    let resp = put(&app, &path, &employer, &opening_body(2, "open")).await;
    let err = assert_error(resp, 409, "invalid_transition").await;
    assert_eq!(err["extra"]["from"], "filled", "{err}");
    // Fewer places than accepted applications: refused.
    let resp = put(&app, &path, &employer, &opening_body(1, "filled")).await;
    let err = assert_error(resp, 422, "validation_failed").await;
    assert_eq!(err["details"][0]["field"], "headcount");
    assert_eq!(err["details"][0]["reason"], "below_accepted_applications");
    // More places: it may open again.
    let resp = put(&app, &path, &employer, &opening_body(3, "open")).await;
    assert_eq!(resp.status().as_u16(), 200);
    let o: Value = resp.json().await.unwrap();
    assert_eq!(
        (o["status"].as_str(), o["headcount"].as_i64()),
        (Some("open"), Some(3))
    );
    // Closed is final.
    let resp = put(&app, &path, &employer, &opening_body(3, "closed")).await;
    assert_eq!(resp.status().as_u16(), 200);
    let resp = put(&app, &path, &employer, &opening_body(3, "open")).await;
    assert_error(resp, 409, "invalid_transition").await;
    // A new opening cannot start out filled.
    let resp = app
        .post_json(
            "/api/v1/openings",
            Some(&employer),
            &opening_body(3, "filled"),
        )
        .await;
    assert_error(resp, 409, "invalid_transition").await;
}

fn opening_body(headcount: i32, status: &str) -> Value {
    let mut o = opening(headcount);
    o["status"] = json!(status);
    o
}

// 6 ------------------------------------------------------------------------------------------

#[tokio::test]
async fn item6_a_stale_if_match_answers_412() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let officer = app.officer_token(&admin, "630224").await;
    let (_, employer) = app.org_token(&admin, "employer", "440113").await;
    let h = create_household(&app, &officer, "HL-V-1", "630224").await;
    let path = format!("/api/v1/households/{h}");
    let resp = app.get_auth(&path, &officer).await;
    let etag = resp.headers()["etag"].to_str().unwrap().to_string();
    // Two clerks opened the same household; the first saves.
    let mut first = household("HL-V-1", "630224", "registered_poor");
    first["member_count"] = json!(5);
    let resp = app.put_if_match(&path, &officer, &etag, &first).await;
    assert_eq!(resp.status().as_u16(), 200);
    let fresh = resp.headers()["etag"].to_str().unwrap().to_string();
    assert_ne!(fresh, etag);
    // The second saves over a version that no longer exists: refused, nothing lost.
    let mut second = household("HL-V-1", "630224", "monitored");
    second["member_count"] = json!(3);
    let resp = app.put_if_match(&path, &officer, &etag, &second).await;
    let err = assert_error(resp, 412, "precondition_failed").await;
    assert_eq!(err["extra"]["version"], 2, "{err}");
    let now = get(&app, &path, &officer).await;
    assert_eq!(
        (now["member_count"].as_i64(), now["status"].as_str()),
        (Some(5), Some("registered_poor"))
    );
    // The new ETag, or the version in quotes, is accepted.
    for tag in [fresh.as_str(), "\"3\""] {
        let resp = app.put_if_match(&path, &officer, tag, &second).await;
        assert_eq!(resp.status().as_u16(), 200, "If-Match {tag}");
    }

    // Openings and worker profiles too.
    let (opening_id, _) = create_opening(&app, &employer, 3).await;
    let opath = format!("/api/v1/openings/{opening_id}");
    for (tag, status) in [("\"1\"", 200), ("\"1\"", 412), ("*", 200)] {
        let resp = app.put_if_match(&opath, &employer, tag, &opening(4)).await;
        assert_eq!(resp.status().as_u16(), status, "opening If-Match {tag}");
    }
    let (token, worker_id) = self_registered(&app, "63212419900101112").await;
    let etag = app.get_auth("/api/v1/me/worker", &token).await.headers()["etag"]
        .to_str()
        .unwrap()
        .to_string();
    let mut body = worker_body("韩", "63212419900101112");
    body["phone"] = Value::Null;
    for (path, status) in [
        ("/api/v1/me/worker".to_string(), 200),
        (format!("/api/v1/workers/{worker_id}"), 412),
    ] {
        let resp = app.put_if_match(&path, &token, &etag, &body).await;
        assert_eq!(resp.status().as_u16(), status, "{path}");
    }

    // Courses too: two clerks of one center edit the same course.
    let (_, center) = app.org_token(&admin, "center", "630224").await;
    let course = json!({
        "title": "焊工培训", "occupation_codes": ["6-18-02-04"], "hours": 100,
        "starts_on": "2026-09-01", "ends_on": "2026-10-30", "capacity": 50,
        "location_region": "630224", "certificate_level": 4
    });
    let created: Value = app
        .post_json("/api/v1/courses", Some(&center), &course)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(created["version"], 1, "{created}");
    let cpath = format!("/api/v1/courses/{}", created["id"]);
    let etag = app.get_auth(&cpath, &center).await.headers()["etag"]
        .to_str()
        .unwrap()
        .to_string();
    let mut first = course.clone();
    first["capacity"] = json!(60);
    let mut second = course.clone();
    second["title"] = json!("焊工培训（夜班）");
    // The second clerk, refused, reloads and makes the change on what is there now.
    let mut reloaded = first.clone();
    reloaded["title"] = json!("焊工培训（夜班）");
    for (tag, body, status) in [
        (etag.as_str(), &first, 200),
        (etag.as_str(), &second, 412),
        ("\"1\"", &second, 412),
        ("\"2\"", &reloaded, 200),
    ] {
        let resp = app.put_if_match(&cpath, &center, tag, body).await;
        assert_eq!(resp.status().as_u16(), status, "course If-Match {tag}");
        if status == 412 {
            let err = assert_error(resp, 412, "precondition_failed").await;
            assert_eq!(err["extra"]["version"], 2, "{err}");
        }
    }
    let now = get(&app, &cpath, &center).await;
    assert_eq!(
        (
            now["capacity"].as_i64(),
            now["title"].as_str(),
            now["version"].as_i64()
        ),
        (Some(60), Some("焊工培训（夜班）"), Some(3)),
        "the first clerk's capacity was kept"
    );
}

// 7 ------------------------------------------------------------------------------------------

#[tokio::test]
async fn item7_concurrent_wrong_passwords_check_at_most_the_limit() {
    let app = spawn_app().await;
    let phone = unique_phone();
    app.post_json(
        "/api/v1/auth/register",
        None,
        &json!({"phone": phone, "password": TEST_PASSWORD}),
    )
    .await;
    let limit = app.settings.login_max_failures as usize;
    let app = &app;
    let attempts = (0..40).map(|i| {
        let body = json!({"phone": phone, "password": format!("wrong-password-{i}")});
        async move { app.post_json("/api/v1/auth/login", None, &body).await }
    });
    let answers = futures_util::future::join_all(attempts).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert!(
        checked <= limit,
        "{checked} passwords checked: {statuses:?}"
    );
    assert_eq!(checked + throttled, 40, "{statuses:?}");
    let db = app.db().await;
    let failures: i64 = db
        .query_one(
            "SELECT count(*) FROM login_failures WHERE key = $1",
            &[&format!("phone:{phone}")],
        )
        .await
        .unwrap()
        .get(0);
    assert!(failures as usize <= limit, "{failures} failures recorded");
}

// 8 ------------------------------------------------------------------------------------------

#[tokio::test]
async fn item8_password_hashing_is_bounded_and_sign_ups_are_limited() {
    let app = spawn_app_with(|s| {
        s.hash_max_concurrency = 1;
        s.hash_queue_wait = Duration::from_millis(0);
        s.signup_max_per_phone = 3;
        s.signup_max_per_address = 1_000;
    })
    .await;
    // Many anonymous sign-ups at once: one hash at a time, the others are told to come back.
    let app_ref = &app;
    let attempts = (0..12).map(|_| {
        let app = app_ref;
        let body = json!({"phone": unique_phone(), "password": TEST_PASSWORD});
        async move { app.post_json("/api/v1/auth/register", None, &body).await }
    });
    let answers = futures_util::future::join_all(attempts).await;
    let mut created = 0;
    let mut busy = 0;
    for resp in answers {
        match resp.status().as_u16() {
            201 => created += 1,
            503 => {
                assert!(resp.headers().contains_key("retry-after"));
                assert_error(resp, 503, "overloaded").await;
                busy += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(created >= 1 && busy >= 1, "{created} created, {busy} busy");
    // Hashes carry explicit parameters.
    let db = app.db().await;
    let hash: String = db
        .query_one("SELECT password_hash FROM accounts LIMIT 1", &[])
        .await
        .unwrap()
        .get(0);
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );

    // One phone: a few tries, then 429 before any hashing.
    let phone = unique_phone();
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let resp = app
            .post_json(
                "/api/v1/auth/register",
                None,
                &json!({"phone": phone, "password": TEST_PASSWORD}),
            )
            .await;
        statuses.push(resp.status().as_u16());
    }
    assert_eq!(statuses, [201, 409, 409, 429, 429]);
}

#[tokio::test]
async fn item8_sign_ups_and_invitations_are_limited_per_address() {
    let app = spawn_app_with(|s| s.signup_max_per_address = 3).await;
    let admin = app.admin_token().await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let resp = app
            .post_json(
                "/api/v1/auth/register",
                None,
                &json!({"phone": unique_phone(), "password": TEST_PASSWORD}),
            )
            .await;
        statuses.push(resp.status().as_u16());
    }
    assert_eq!(statuses, [201, 201, 201, 429]);
    // Accepting an invitation shares the address budget: no hashing for a flood of codes.
    let resp = app
        .post_json(
            "/api/v1/auth/accept-invitation",
            None,
            &json!({"code": "whatever", "phone": unique_phone(), "password": TEST_PASSWORD}),
        )
        .await;
    assert!(resp.headers().contains_key("retry-after"));
    assert_error(resp, 429, "too_many_requests").await;
    let _ = admin;
}

// 9 ------------------------------------------------------------------------------------------

async fn me_status(app: &TestApp, token: &str) -> u16 {
    app.get_auth("/api/v1/me", token).await.status().as_u16()
}

async fn ends_within_a_second(app: &TestApp, token: &str) {
    let took = within(Duration::from_secs(1), || async {
        me_status(app, token).await == 401
    })
    .await;
    assert!(
        took.is_some(),
        "the access token still works after a second"
    );
}

#[tokio::test]
async fn item9_logout_reuse_and_disabling_end_the_access_tokens() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let phone = unique_phone();
    let (status, signed_up) = post(
        &app,
        "/api/v1/auth/register",
        None,
        json!({"phone": phone, "password": TEST_PASSWORD}),
    )
    .await;
    assert_eq!(status, 201);
    let account_id = signed_up["account"]["id"].as_i64().unwrap();

    // Logout.
    let session = app.login(&phone, TEST_PASSWORD).await;
    let access = session["access_token"].as_str().unwrap();
    assert!(
        claims_of(access)["sid"].is_string(),
        "the token names its session"
    );
    assert_eq!(me_status(&app, access).await, 200);
    let resp = app
        .post_json(
            "/api/v1/auth/logout",
            Some(access),
            &json!({"refresh_token": session["refresh_token"]}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 204);
    ends_within_a_second(&app, access).await;
    // Another session of the same account is not touched.
    let other = app.login(&phone, TEST_PASSWORD).await;
    let other_access = other["access_token"].as_str().unwrap();
    assert_eq!(me_status(&app, other_access).await, 200);

    // Refresh-token reuse: the stolen refresh token is replayed, the whole session ends.
    let r1 = other["refresh_token"].as_str().unwrap();
    let (status, next) = post(
        &app,
        "/api/v1/auth/refresh",
        None,
        json!({"refresh_token": r1}),
    )
    .await;
    assert_eq!(status, 200);
    let next_access = next["access_token"].as_str().unwrap();
    assert_eq!(
        claims_of(next_access)["sid"],
        claims_of(other_access)["sid"]
    );
    let (status, _) = post(
        &app,
        "/api/v1/auth/refresh",
        None,
        json!({"refresh_token": r1}),
    )
    .await;
    assert_eq!(status, 401);
    ends_within_a_second(&app, other_access).await;
    ends_within_a_second(&app, next_access).await;

    // A session ended elsewhere (another instance of the service, by SQL) ends here too.
    let third = app.login(&phone, TEST_PASSWORD).await;
    let third_access = third["access_token"].as_str().unwrap();
    let sid = claims_of(third_access)["sid"].as_str().unwrap().to_string();
    let db = app.db().await;
    let n = db
        .execute(
            "UPDATE sessions SET revoked_at = now(), revoked_reason = 'logout' WHERE id = $1::text::uuid",
            &[&sid],
        )
        .await
        .unwrap();
    assert_eq!(n, 1);
    ends_within_a_second(&app, third_access).await;

    // An admin disables the account: every session ends, sign-in and refresh are refused.
    let fourth = app.login(&phone, TEST_PASSWORD).await;
    let fourth_access = fourth["access_token"].as_str().unwrap();
    let worker = app.worker_token().await;
    let (status, _) = post(
        &app,
        &format!("/api/v1/admin/accounts/{account_id}/disable"),
        Some(&worker),
        json!({}),
    )
    .await;
    assert_eq!(status, 403, "only admins disable accounts");
    let (status, disabled) = post(
        &app,
        &format!("/api/v1/admin/accounts/{account_id}/disable"),
        Some(&admin),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{disabled}");
    assert_eq!(disabled["disabled"], true);
    ends_within_a_second(&app, fourth_access).await;
    let resp = app
        .post_json(
            "/api/v1/auth/login",
            None,
            &json!({"phone": phone, "password": TEST_PASSWORD}),
        )
        .await;
    assert_error(resp, 401, "invalid_credentials").await;
    let (status, _) = post(
        &app,
        "/api/v1/auth/refresh",
        None,
        json!({"refresh_token": fourth["refresh_token"]}),
    )
    .await;
    assert_eq!(status, 401);
    // Enabled again, the person signs in anew.
    let (status, enabled) = post(
        &app,
        &format!("/api/v1/admin/accounts/{account_id}/enable"),
        Some(&admin),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{enabled}");
    assert_eq!(enabled["disabled"], false);
    let fifth = app.login(&phone, TEST_PASSWORD).await;
    assert_eq!(
        me_status(&app, fifth["access_token"].as_str().unwrap()).await,
        200
    );
    // Both are in the audit log.
    let audit = get(&app, "/api/v1/audit?entity=account", &admin).await;
    let entity_id = account_id.to_string();
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entity_id"] == entity_id.as_str())
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"disable") && actions.contains(&"enable"),
        "{actions:?}"
    );
}

// 10 -----------------------------------------------------------------------------------------

const SECRET: &str = "0123456789abcdef0123456789abcdef-integrity";

fn sign(claims: &Value) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn item10_a_principal_without_a_scope_sees_nothing() {
    let app = spawn_app_with(|s| s.jwt_secret = Some(SECRET.into())).await;
    let admin = app.admin_token().await;
    let (_, employer) = app.org_token(&admin, "employer", "440113").await;
    // The same employer's token, but the organization is missing (a bug in whatever issued it):
    // that must mean "nothing", never "everything".
    let mut claims = claims_of(&employer);
    claims.as_object_mut().unwrap().remove("org");
    let orphan = sign(&claims);
    let resp = app.get_auth("/api/v1/followups/due", &orphan).await;
    assert_error(resp, 403, "forbidden").await;
    let resp = app.get_auth("/api/v1/followups/due", &employer).await;
    assert_eq!(resp.status().as_u16(), 200);
    // An officer token without its region is no officer at all.
    let officer = app.officer_token(&admin, "630224").await;
    let mut claims = claims_of(&officer);
    claims.as_object_mut().unwrap().remove("region");
    let resp = app.get_auth("/api/v1/households", &sign(&claims)).await;
    assert_eq!(resp.status().as_u16(), 401);
    // A center without its organization lists no courses of others as its own.
    let (_, center) = app.org_token(&admin, "center", "630224").await;
    let mut claims = claims_of(&center);
    claims.as_object_mut().unwrap().remove("org");
    let resp = app
        .post_json(
            "/api/v1/courses",
            Some(&sign(&claims)),
            &json!({
                "title": "焊工培训", "occupation_codes": ["6-18-02-04"], "hours": 100,
                "starts_on": "2026-09-01", "ends_on": "2026-10-30", "capacity": 50,
                "location_region": "630224", "certificate_level": 4
            }),
        )
        .await;
    assert_error(resp, 403, "forbidden").await;
}
