use chrono::{Duration, Local, NaiveDate};
use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app, TestApp};
use crate::program::worker_body;

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    let resp = app.post_json(path, Some(token), &body).await;
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

struct Setup {
    officer: String,
    employer: String,
    opening: i64,
}

/// An open welding opening with `headcount`, and an officer of 630224.
async fn setup(app: &TestApp, headcount: i32) -> Setup {
    let admin = app.admin_token().await;
    let officer = app.officer_token(&admin, "630224").await;
    let (_, employer) = app.org_token(&admin, "employer", "440113").await;
    let (status, opening) = post(
        app,
        "/api/v1/openings",
        &employer,
        json!({
            "title": "焊工", "required_occupations": ["6-18-02-04"], "work_region": "440113",
            "wage_min": 6000, "wage_max": 9000, "headcount": headcount, "start_date": "2027-03-01",
            "deadline": "2027-02-20", "status": "open"
        }),
    )
    .await;
    assert_eq!(status, 201);
    Setup {
        officer,
        employer,
        opening: opening["id"].as_i64().unwrap(),
    }
}

/// A worker with an account and a profile: (token, worker id).
async fn worker(app: &TestApp, id17: &str) -> (String, i64) {
    let token = app.worker_token().await;
    let mut body = worker_body("马", id17);
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
    let w: Value = resp.json().await.unwrap();
    (token, w["id"].as_i64().unwrap())
}

async fn move_to(app: &TestApp, token: &str, app_id: i64, to: &str) -> (u16, Value) {
    post(
        app,
        &format!("/api/v1/applications/{app_id}/transitions"),
        token,
        json!({"to": to}),
    )
    .await
}

#[tokio::test]
async fn the_whole_path_and_forbidden_moves() {
    let app = spawn_app().await;
    let s = setup(&app, 3).await;
    let (worker_token, worker_id) = worker(&app, "63212419900101101").await;
    // The employer invites: no phone yet.
    let (status, invited) = post(
        &app,
        &format!("/api/v1/openings/{}/invitations", s.opening),
        &s.employer,
        json!({"worker_id": worker_id}),
    )
    .await;
    assert_eq!(status, 201, "{invited}");
    assert_eq!(invited["state"], "invited");
    assert!(
        invited.get("worker_phone").is_none(),
        "no phone before the worker agrees"
    );
    let id = invited["id"].as_i64().unwrap();
    // The employer cannot move it forward for the worker.
    let (status, body) = move_to(&app, &s.employer, id, "applied").await;
    assert_eq!(status, 409);
    assert_eq!(body["code"], "invalid_transition");
    assert_eq!(body["extra"]["allowed"], json!(["withdrawn"]));
    // The worker accepts the invitation: now the employer sees the phone.
    let (status, _) = move_to(&app, &worker_token, id, "applied").await;
    assert_eq!(status, 200);
    let view: Value = app
        .get_auth(&format!("/api/v1/applications/{id}"), &s.employer)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["worker_phone"].as_str().unwrap().len(), 11);
    assert_eq!(
        view["allowed_transitions"],
        json!(["rejected", "shortlisted"])
    );
    // The worker cannot shortlist themself.
    let (status, body) = move_to(&app, &worker_token, id, "shortlisted").await;
    assert_eq!(status, 409);
    assert_eq!(body["extra"]["allowed"], json!(["withdrawn"]));
    for to in ["shortlisted", "interviewing", "offered"] {
        let (status, body) = move_to(&app, &s.employer, id, to).await;
        assert_eq!(status, 200, "{to}: {body}");
    }
    let (status, _) = move_to(&app, &s.employer, id, "accepted").await;
    assert_eq!(status, 409, "only the worker accepts an offer");
    let (status, body) = move_to(&app, &worker_token, id, "accepted").await;
    assert_eq!(status, 200);
    assert_eq!(body["state"], "accepted");
    // Every move is in the history, with actor and time, visible to both sides.
    let seen_by_worker: Value = app
        .get_auth(&format!("/api/v1/applications/{id}"), &worker_token)
        .await
        .json()
        .await
        .unwrap();
    let history: Vec<&str> = seen_by_worker["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["to_state"].as_str().unwrap())
        .collect();
    assert_eq!(
        history,
        [
            "invited",
            "applied",
            "shortlisted",
            "interviewing",
            "offered",
            "accepted"
        ]
    );
    assert!(
        seen_by_worker["history"][1]["actor_role"] == "worker"
            && seen_by_worker["history"][2]["actor_role"] == "employer"
    );
    // Nothing leaves a final state; unknown states are refused.
    let (status, _) = move_to(&app, &worker_token, id, "withdrawn").await;
    assert_eq!(status, 409);
    let (status, body) = move_to(&app, &worker_token, id, "hired").await;
    assert_eq!(status, 422);
    assert_eq!(body["details"][0]["reason"], "unknown_state");
    // Withdrawal path and a stranger.
    let (w2_token, _) = worker(&app, "63212419910101102").await;
    let (status, applied) = post(
        &app,
        &format!("/api/v1/openings/{}/applications", s.opening),
        &w2_token,
        json!({}),
    )
    .await;
    assert_eq!(status, 201);
    let (again, _) = post(
        &app,
        &format!("/api/v1/openings/{}/applications", s.opening),
        &w2_token,
        json!({}),
    )
    .await;
    assert_eq!(again, 200, "applying twice applies once");
    let (status, _) = move_to(
        &app,
        &w2_token,
        applied["id"].as_i64().unwrap(),
        "withdrawn",
    )
    .await;
    assert_eq!(status, 200);
    let (stranger, _) = worker(&app, "63212419920101103").await;
    let resp = app
        .get_auth(&format!("/api/v1/applications/{id}"), &stranger)
        .await;
    assert_error(resp, 404, "not_found").await;
    let _ = s.officer;
}

#[tokio::test]
async fn headcount_fills_the_opening_and_it_leaves_matching() {
    let app = spawn_app().await;
    let s = setup(&app, 1).await;
    let mut offered = Vec::new();
    for id17 in ["63212419900101201", "63212419900101212"] {
        let (token, _) = worker(&app, id17).await;
        let (_, a) = post(
            &app,
            &format!("/api/v1/openings/{}/applications", s.opening),
            &token,
            json!({}),
        )
        .await;
        let id = a["id"].as_i64().unwrap();
        for to in ["shortlisted", "interviewing", "offered"] {
            assert_eq!(move_to(&app, &s.employer, id, to).await.0, 200);
        }
        offered.push((token, id));
    }
    let (status, _) = move_to(&app, &offered[0].0, offered[0].1, "accepted").await;
    assert_eq!(status, 200);
    let opening: Value = app
        .get_auth(&format!("/api/v1/openings/{}", s.opening), &s.employer)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(opening["status"], "filled");
    let (status, body) = move_to(&app, &offered[1].0, offered[1].1, "accepted").await;
    assert_eq!(status, 409);
    assert_eq!(body["code"], "capacity_reached");
    let list: Value = app
        .get_auth(
            &format!("/api/v1/openings/{}/candidates", s.opening),
            &s.employer,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["opening_status"], "filled");
    assert!(list["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn placements_schedule_followups_and_workers_return_to_the_pool() {
    let app = spawn_app().await;
    let s = setup(&app, 5).await;
    let (token, worker_id) = worker(&app, "63212419900101301").await;
    let (_, a) = post(
        &app,
        &format!("/api/v1/openings/{}/applications", s.opening),
        &token,
        json!({}),
    )
    .await;
    let id = a["id"].as_i64().unwrap();
    let (status, body) = post(
        &app,
        &format!("/api/v1/applications/{id}/placement"),
        &s.employer,
        json!({"start_date": "2027-01-31", "agreed_wage": 7000}),
    )
    .await;
    assert_eq!(status, 409, "not accepted yet: {body}");
    for to in ["shortlisted", "interviewing", "offered"] {
        move_to(&app, &s.employer, id, to).await;
    }
    move_to(&app, &token, id, "accepted").await;
    let (status, body) = post(
        &app,
        &format!("/api/v1/applications/{id}/placement"),
        &s.employer,
        json!({"start_date": "2027-01-31", "agreed_wage": 0}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, placement) = post(
        &app,
        &format!("/api/v1/applications/{id}/placement"),
        &s.employer,
        json!({"start_date": "2027-01-31", "agreed_wage": 7000}),
    )
    .await;
    assert_eq!(status, 201, "{placement}");
    let due: Vec<&str> = placement["followups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["due_on"].as_str().unwrap())
        .collect();
    assert_eq!(
        due,
        ["2027-02-28", "2027-04-30", "2027-07-31", "2028-01-31"]
    );
    let w: Value = app
        .get_auth(&format!("/api/v1/workers/{worker_id}"), &s.officer)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(w["status"], "placed");
    // A follow-up recorded by the worker; bad input refused.
    let f1 = placement["followups"][0]["id"].as_i64().unwrap();
    let (status, _) = post(
        &app,
        &format!("/api/v1/followups/{f1}"),
        &token,
        json!({"employment": "same_employer"}),
    )
    .await;
    assert_eq!(status, 422, "a wage is needed while working");
    let (status, p) = post(
        &app,
        &format!("/api/v1/followups/{f1}"),
        &token,
        json!({"employment": "same_employer", "monthly_wage": 7200, "evidence_ref": "WS-2027-02"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(p["followups"][0]["recorder_role"], "worker");
    // The placement ends: the worker is available again.
    let (status, _) = post(
        &app,
        &format!("/api/v1/placements/{}/end", placement["id"]),
        &s.employer,
        json!({"ended_on": "2027-03-15", "reason": "返乡"}),
    )
    .await;
    assert_eq!(status, 200);
    let w: Value = app
        .get_auth(&format!("/api/v1/workers/{worker_id}"), &s.officer)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(w["status"], "available");
    let (status, _) = post(
        &app,
        &format!("/api/v1/placements/{}/end", placement["id"]),
        &s.employer,
        json!({"ended_on": "2027-03-16"}),
    )
    .await;
    assert_eq!(status, 409);
}

fn today() -> NaiveDate {
    Local::now().date_naive()
}

#[tokio::test]
async fn followups_due_this_week_for_the_officers_county_only() {
    let app = spawn_app().await;
    let s = setup(&app, 5).await;
    let admin = app.admin_token().await;
    let xunhua = app.officer_token(&admin, "630225").await;
    let (token, _) = worker(&app, "63212419900101401").await;
    let (_, a) = post(
        &app,
        &format!("/api/v1/openings/{}/applications", s.opening),
        &token,
        json!({}),
    )
    .await;
    let id = a["id"].as_i64().unwrap();
    for to in ["shortlisted", "interviewing", "offered"] {
        move_to(&app, &s.employer, id, to).await;
    }
    move_to(&app, &token, id, "accepted").await;
    // Started a bit over three months ago: the 1-month check-in is overdue, the 3-month one due
    // within days.
    let start = today().checked_sub_months(chrono::Months::new(3)).unwrap() + Duration::days(3);
    let (status, _) = post(
        &app,
        &format!("/api/v1/applications/{id}/placement"),
        &s.employer,
        json!({"start_date": start, "agreed_wage": 6500}),
    )
    .await;
    assert_eq!(status, 201);
    let due: Value = app
        .get_auth("/api/v1/followups/due?within_days=7", &s.officer)
        .await
        .json()
        .await
        .unwrap();
    let items = due["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{due}");
    assert_eq!(items[0]["due_month"], 1);
    assert_eq!(items[0]["overdue"], true);
    assert_eq!(items[1]["due_month"], 3);
    assert_eq!(items[1]["overdue"], false);
    assert!(!due.to_string().contains("phone"));
    let other: Value = app
        .get_auth("/api/v1/followups/due", &xunhua)
        .await
        .json()
        .await
        .unwrap();
    assert!(other["items"].as_array().unwrap().is_empty());
    let mine: Value = app
        .get_auth("/api/v1/followups/due?within_days=7", &s.employer)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 2);
    let resp = app
        .get_auth("/api/v1/followups/due?within_days=9999", &s.officer)
        .await;
    assert_error(resp, 422, "validation_failed").await;
    // A dispatch groups accepted workers.
    let (status, d) = post(&app, "/api/v1/dispatches", &s.officer, json!({"departure_date": "2027-02-25", "from_county": "630224", "to_region": "440100", "transport": "火车", "application_ids": [id]})).await;
    assert_eq!(status, 201, "{d}");
    assert_eq!(d["application_ids"], json!([id]));
    let (status, _) = post(&app, "/api/v1/dispatches", &s.officer, json!({"departure_date": "2027-02-25", "from_county": "630224", "to_region": "440100", "application_ids": [999999]})).await;
    assert_eq!(status, 422);
}

/// A recorded follow-up: (placement, month, employment, wage, evidence).
type Recorded = (i64, i32, &'static str, Option<i32>, Option<&'static str>);

/// A hand-built program with known answers, written straight into PostgreSQL.
pub(crate) async fn seed_known_world(app: &TestApp) {
    let db = app.db().await;
    let t = today();
    let d = |days: i64| t - Duration::days(days);
    let at = |start: NaiveDate, months: u32| {
        start
            .checked_add_months(chrono::Months::new(months))
            .unwrap()
    };
    db.batch_execute(
        "INSERT INTO organizations (id, kind, name, credit_code, region_code) VALUES
            (901, 'employer', '番禺钢构', NULL, '440113'), (902, 'center', '化隆技校', NULL, '630224');
         INSERT INTO households (id, registry_number, county_code, village, member_count, status,
                                 income_per_capita, income_assessed_on, other_income_yuan) VALUES
            (1, 'H1', '630224', '甲村', 4, 'registered_poor', 3000, '2026-01-01', 2000),
            (2, 'H2', '630225', '乙村', 2, 'monitored', 8000, '2026-01-01', 0),
            (3, 'H3', '630224', '丙村', 3, 'monitored', 7000, '2026-01-01', 3000);
         INSERT INTO workers (id, household_id, name, gender, birth_year, home_region, destinations, status) VALUES
            (1, 1, '马一', 'male', 1990, '630224', '{440000}', 'placed'),
            (2, 1, '马二', 'female', 1992, '630224', '{440000}', 'placed'),
            (3, 2, '韩三', 'male', 1991, '630225', '{440000}', 'placed'),
            (4, NULL, '冶四', 'male', 1993, '630224', '{440000}', 'available');
         INSERT INTO courses (id, center_id, title, occupation_codes, hours, starts_on, ends_on, capacity,
                              location_region, certificate_level) VALUES
            (1, 902, '焊工', '{6-18-02-04}', 100, '2024-01-01', '2024-02-01', 30, '630224', 5);
         INSERT INTO enrollments (course_id, worker_id, status, result_on, created_at) VALUES
            (1, 1, 'passed', '2024-02-01', '2024-01-01'), (1, 2, 'passed', '2024-02-01', '2024-01-01'),
            (1, 4, 'failed', '2024-02-01', '2024-01-01');
         INSERT INTO openings (id, employer_id, title, required_occupations, work_region, wage_min,
                               wage_max, headcount, start_date, deadline, status) VALUES
            (1, 901, '焊工', '{6-18-02-04}', '440113', 5000, 9000, 10, '2024-03-01', '2024-02-20', 'open');",
    )
    .await
    .unwrap();
    for (id, worker, state, created) in [
        (1i64, 1i64, "accepted", d(420)),
        (2, 2, "accepted", d(220)),
        (3, 3, "accepted", d(40)),
        (4, 4, "rejected", d(40)),
    ] {
        db.execute(
            "INSERT INTO applications (id, opening_id, worker_id, state, worker_consented, created_at)
             VALUES ($1, 1, $2, $3, true, $4::date)",
            &[&id, &worker, &state, &created],
        )
        .await
        .unwrap();
    }
    let placements = [
        (1i64, 1i64, d(400), 6000),
        (2, 2, d(200), 5000),
        (3, 3, d(30), 7000),
    ];
    for (id, worker, start, wage) in placements {
        db.execute(
            "INSERT INTO placements (id, application_id, worker_id, opening_id, employer_id, start_date,
                                     agreed_wage, work_region) VALUES ($1, $1, $2, 1, 901, $3, $4, '440113')",
            &[&id, &worker, &start, &wage],
        )
        .await
        .unwrap();
        for m in [1u32, 3, 6, 12] {
            db.execute(
                "INSERT INTO followups (placement_id, due_month, due_on) VALUES ($1, $2, $3)",
                &[&id, &(m as i32), &at(start, m)],
            )
            .await
            .unwrap();
        }
    }
    let recorded: [Recorded; 5] = [
        (1, 3, "same_employer", Some(6000), Some("WS-1")),
        (1, 6, "other_employer", Some(6500), None),
        (1, 12, "same_employer", Some(7000), None),
        (2, 3, "same_employer", Some(5200), Some("BANK-2")),
        (2, 6, "not_working", None, None),
    ];
    for (p, m, employment, wage, evidence) in recorded {
        db.execute(
            "UPDATE followups SET recorded_at = due_on::timestamptz, recorder_role = 'officer',
                 employment = $3, monthly_wage = $4, evidence_ref = $5
             WHERE placement_id = $1 AND due_month = $2",
            &[&p, &m, &employment, &wage, &evidence],
        )
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn statistics_households_and_subsidies_have_the_known_answers() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let province = app.officer_token(&admin, "630000").await;
    let xunhua = app.officer_token(&admin, "630225").await;
    // No data yet: an empty answer, not an error.
    let empty: Value = app
        .get_auth("/api/v1/stats/outcomes", &province)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(empty, json!([]));
    seed_known_world(&app).await;

    let stats: Value = app
        .get_auth("/api/v1/stats/outcomes?group_by=county", &province)
        .await
        .json()
        .await
        .unwrap();
    let rows = stats.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{stats}");
    let hualong = &rows[0];
    assert_eq!(hualong["group"], "630224");
    assert_eq!(
        (hualong["enrolled"].as_i64(), hualong["passed"].as_i64()),
        (Some(3), Some(2))
    );
    assert_eq!(
        (hualong["applied"].as_i64(), hualong["placed"].as_i64()),
        (Some(3), Some(2))
    );
    assert!((hualong["placement_rate"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
    assert_eq!(hualong["retention_3m"], 1.0);
    assert_eq!(hualong["retention_6m"], 0.5);
    assert_eq!(
        hualong["retention_12m"], 1.0,
        "only placement 1 is old enough for 12 months"
    );
    assert_eq!(hualong["median_wage"], 5500.0);
    assert_eq!(hualong["mean_wage"], 5500.0);
    let xh = &rows[1];
    assert_eq!(xh["group"], "630225");
    assert_eq!(xh["placed"], 1);
    assert!(xh["retention_3m"].is_null(), "too recent to measure");
    assert_eq!(xh["median_wage"], 7000.0);

    // Scoped: Xunhua's officer sees Xunhua only, and may not ask for Hualong.
    let scoped: Value = app
        .get_auth("/api/v1/stats/outcomes", &xunhua)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(scoped.as_array().unwrap().len(), 1);
    assert_eq!(scoped[0]["group"], "630225");
    let resp = app
        .get_auth("/api/v1/stats/outcomes?region=630224", &xunhua)
        .await;
    assert_error(resp, 403, "forbidden").await;
    let resp = app
        .get_auth("/api/v1/stats/outcomes?group_by=planet", &province)
        .await;
    assert_error(resp, 422, "validation_failed").await;

    // By course: both Hualong placements followed the welding course.
    let by_course: Value = app
        .get_auth("/api/v1/stats/outcomes?group_by=course", &province)
        .await
        .json()
        .await
        .unwrap();
    let course = by_course
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group"] == "1")
        .unwrap();
    assert_eq!(
        (
            course["enrolled"].as_i64(),
            course["passed"].as_i64(),
            course["placed"].as_i64()
        ),
        (Some(3), Some(2), Some(2))
    );

    // CSV export: same numbers.
    let resp = app
        .get_auth(
            "/api/v1/stats/outcomes?group_by=county&format=csv",
            &province,
        )
        .await;
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = resp.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // The first columns keep their order; later ones are appended.
    assert_eq!(lines[0], "group,enrolled,passed,applied,placed,placement_rate,retention_3m,retention_6m,retention_12m,median_wage,mean_wage,retention_1m,wage_p25,wage_p75,households_crossed_up,people_crossed_up,group_name");
    assert!(
        lines[1].starts_with("630224,3,2,3,2,0.6667,1.0000,0.5000,1.0000,5500.0000,5500.0000,"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with("630225,0,0,1,1,1.0000,,,,7000.0000,7000.0000,"),
        "{}",
        lines[2]
    );

    // Households: H1 = (7000×12 + 0 + 2000) / 4 = 21,500 (was 3,000): up. H3 = 3000 / 3 = 1,000
    // (was 7,000): down. H2 = 7000×12 / 2 = 42,000, was 8,000 already above: not listed.
    let report: Value = app
        .get_auth("/api/v1/reports/households?line=6000", &province)
        .await
        .json()
        .await
        .unwrap();
    let got: Vec<(String, i64, String)> = report
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["registry_number"].as_str().unwrap().to_string(),
                h["estimated_per_capita"].as_i64().unwrap(),
                h["crossed"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("H1".into(), 21500, "up".into()),
            ("H3".into(), 1000, "down".into())
        ]
    );

    // Subsidy: registered-poor members employed outside Qinghai for 3+ months with evidence.
    let eligible: Value = app
        .get_auth("/api/v1/reports/subsidy-eligibility", &province)
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<i64> = eligible
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["worker_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![1, 2], "{eligible}");
    assert_eq!(eligible[0]["evidence"]["evidence_ref"], "WS-1");
    assert_eq!(eligible[1]["evidence"]["evidence_ref"], "BANK-2");
    let none: Value = app
        .get_auth("/api/v1/reports/subsidy-eligibility", &xunhua)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(none, json!([]));
}

/// Every allowed move of the state machine, over HTTP: drive a fresh application to the
/// starting state along the main path, then make the move as the side allowed to.
#[tokio::test]
async fn every_allowed_transition_works_over_http() {
    use labormatch::domain::application_state::{AppState as St, Side};
    let app = spawn_app().await;
    let s = setup(&app, 50).await;
    let path = |from: St| -> Vec<(&'static str, Side)> {
        let main = [
            ("applied", Side::Worker),
            ("shortlisted", Side::Employer),
            ("interviewing", Side::Employer),
            ("offered", Side::Employer),
        ];
        let steps = match from {
            St::Invited => 0,
            St::Applied => 1,
            St::Shortlisted => 2,
            St::Interviewing => 3,
            St::Offered => 4,
            _ => unreachable!(),
        };
        main[..steps].to_vec()
    };
    let mut n = 0;
    for from in [
        St::Invited,
        St::Applied,
        St::Shortlisted,
        St::Interviewing,
        St::Offered,
    ] {
        for (to, side) in from.next() {
            n += 1;
            let (token, worker_id) =
                worker(&app, &format!("6321241990{:02}01{:03}", 1 + n % 12, n)).await;
            let (status, invited) = post(
                &app,
                &format!("/api/v1/openings/{}/invitations", s.opening),
                &s.employer,
                json!({"worker_id": worker_id}),
            )
            .await;
            assert_eq!(status, 201, "{invited}");
            let id = invited["id"].as_i64().unwrap();
            for (step, who) in path(from) {
                let actor = if who == Side::Worker {
                    &token
                } else {
                    &s.employer
                };
                assert_eq!(
                    move_to(&app, actor, id, step).await.0,
                    200,
                    "{from:?}: {step}"
                );
            }
            let actor = if *side == Side::Worker {
                &token
            } else {
                &s.employer
            };
            let (status, body) = move_to(&app, actor, id, to.as_str()).await;
            assert_eq!(status, 200, "{from:?} -> {to:?}: {body}");
            assert_eq!(body["state"], to.as_str());
        }
    }
    assert_eq!(n, 15);
}
